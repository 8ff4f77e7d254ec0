//! A proposal's outcomes besides acceptance and end, on the partnership's own ledger: the
//! health system declines it (`partnership.declined`). A declined proposal never opened
//! anything and takes nothing more; the record says who declined and, if they gave one, why.
//!
//! Listed by `events::each_not_yet_recorded`: the store's fixture of an earlier release holds
//! no declined proposal.

use super::events;
use serde::{Deserialize, Serialize};

/// The health system declined a proposed partnership (the partnership at `version - 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipDeclined {
    pub id: String,
    pub version: i64,
    /// The printed name of the person who declined, as a signature shows it (the other side
    /// cannot look the health system's people up through a proposal).
    pub by: String,
    /// Why, in their words; none when they gave no reason.
    pub reason: Option<String>,
}

events! {
    PartnershipDeclined => "partnership.declined",
}
