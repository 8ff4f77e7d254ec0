//! Programs' events, on the manufacturer's ledger: a program's facts (and the requirements
//! readiness checks against), and the versions of its process map — drafts change, a
//! published version never does.

use super::{Created, Updated, events, present};
use crate::process_map::{ProcessMap, ProductUnit};
use crate::program::{IdentifierSpec, ListPrice, Modality};
use crate::readiness::Requirement;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramFields {
    pub org_id: String,
    pub name: String,
    pub modality: Modality,
    pub units: Vec<ProductUnit>,
    pub identifiers: Vec<IdentifierSpec>,
    pub list_prices: Vec<ListPrice>,
    pub requires_dual_verification: bool,
    /// Left out: a program starts with none, and readiness sets them (`ProgramUpdated`). The
    /// projection has always taken them here too, so an event that holds them still reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Vec<Requirement>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProgramChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<Modality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<ProductUnit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<Vec<IdentifierSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_prices: Option<Vec<ListPrice>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_dual_verification: Option<bool>,
    /// What a facility serving a site must have (set by readiness; none at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Vec<Requirement>>,
}

vocabulary!(
    /// A map version is a draft until it is published; then it never changes.
    MapVersionStatus, "map version status" {
        Draft => "draft",
        Published => "published",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapVersionFields {
    pub program_id: String,
    /// 1 for the program's first version, then one more than the last.
    pub number: i64,
    pub status: MapVersionStatus,
    pub map: ProcessMap,
    /// `content_hash` of the map (`cellpath_ledger::content_hash`).
    pub content_hash: String,
    /// Microseconds since the epoch; null until published.
    pub published_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapVersionChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<ProcessMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MapVersionStatus>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Option<i64>>,
}

pub type ProgramCreated = Created<ProgramFields>;
pub type ProgramUpdated = Updated<ProgramChanges>;
pub type MapVersionCreated = Created<MapVersionFields>;
pub type MapVersionUpdated = Updated<MapVersionChanges>;

events! {
    ProgramCreated => "program.created",
    ProgramUpdated => "program.updated",
    MapVersionCreated => "map_version.created",
    MapVersionUpdated => "map_version.updated",
}
