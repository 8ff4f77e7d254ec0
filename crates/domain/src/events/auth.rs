//! Access's recorded events: API tokens created and revoked, on the owner's organization's
//! ledger. (E-signatures are the ledger crate's own `SignaturePayload`, which partners verify
//! without this crate.)

use super::events;
use crate::Date;
use serde::{Deserialize, Serialize};

/// A token was given to a user: only its SHA-256 is recorded, never the token. Its expiry
/// and read-only scope are left out when unused, so tokens recorded before they existed read
/// (and hash) as they always did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenCreated {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    /// The last day (UTC) the token is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// The token may only read.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRevoked {
    pub id: String,
}

events! {
    ApiTokenCreated => "api_token.created",
    ApiTokenRevoked => "api_token.revoked",
}
