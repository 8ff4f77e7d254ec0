//! Consent documents' events, on the partnership's ledger: a site's consent version for a
//! program (`consent_version.created`, a draft with its document and sections), then made
//! active or retired (`consent_version.updated`: the status with its day). Days that may be
//! none are `""`, as the ledger holds every other such day (`blank_day`).
//!
//! Listed by `events::each_not_yet_recorded`: the store's fixture of an earlier release holds
//! no consent version.

use super::{Created, Updated, blank_day, events};
use crate::Date;
use crate::consent::{ConsentSection, ConsentStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentVersionFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// 1, 2, … per site and program.
    pub number: i64,
    /// The form's file as uploaded, by name and SHA-256 (64 lowercase hex digits).
    pub document_name: String,
    pub document_sha256: String,
    pub effective_on: Date,
    pub sections: Vec<ConsentSection>,
    pub status: ConsentStatus,
    /// The day it was made active; none while a draft.
    #[serde(with = "blank_day")]
    pub activated_on: Option<Date>,
    #[serde(with = "blank_day")]
    pub retired_on: Option<Date>,
    /// Why it was retired (superseded by a newer version, withdrawn); empty until then.
    pub retired_reason: String,
}

/// Made active (status and its day) or retired (status, day and reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsentVersionChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ConsentStatus>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub activated_on: Option<Option<Date>>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub retired_on: Option<Option<Date>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_reason: Option<String>,
}

pub type ConsentVersionCreated = Created<ConsentVersionFields>;
pub type ConsentVersionUpdated = Updated<ConsentVersionChanges>;

events! {
    ConsentVersionCreated => "consent_version.created",
    ConsentVersionUpdated => "consent_version.updated",
}
