//! Readiness's events, on the partnership's ledger: site visits with what was observed, and
//! the gaps gap analysis opens (closed later with evidence and an e-signature). A program's
//! requirements are a change of the program (`programs::ProgramUpdated`).

use super::{Created, Updated, events};
use crate::readiness::{Area, Attachment, Observation, Severity};
use crate::{Date, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteVisitFields {
    pub partnership_id: String,
    pub site_id: String,
    pub visited_on: Date,
    /// The visitors' names.
    pub visitors: Vec<String>,
    pub facility_ids: Vec<String>,
    pub observations: Vec<Observation>,
    /// Free-text findings by area.
    pub findings: BTreeMap<Area, String>,
    pub attachments: Vec<Attachment>,
}

vocabulary!(
    /// A gap is open until closed with evidence.
    GapStatus, "gap status" {
        Open => "open",
        Closed => "closed",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub facility_id: String,
    pub requirement_key: String,
    pub severity: Severity,
    pub expected: String,
    pub observed: String,
    pub owner_role: Role,
    pub due_on: Date,
    pub status: GapStatus,
    /// Empty until closed.
    pub evidence: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GapChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<GapStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

pub type SiteVisitCreated = Created<SiteVisitFields>;
pub type GapCreated = Created<GapFields>;
pub type GapUpdated = Updated<GapChanges>;

events! {
    SiteVisitCreated => "site_visit.created",
    GapCreated => "gap.created",
    GapUpdated => "gap.updated",
}
