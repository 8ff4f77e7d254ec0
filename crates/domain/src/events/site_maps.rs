//! Site maps' events, on the partnership's ledger: a site's versions of a published map (its
//! refinement), and the changes to controlled steps it proposes, which the manufacturer
//! accepts or rejects. A signature on a version is the ledger's own signature event, recorded
//! with a version bump (`SiteMapVersionUpdated` with nothing changed).

use super::{Created, Updated, events};
use crate::process_map::{ProcessMap, Step};
use crate::refinement::{LocalDetail, SiteRefinement};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteMapVersionFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// The published map version it refines.
    pub base_map_version_id: String,
    pub number: i64,
    pub refinement: SiteRefinement,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteMapVersionChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refinement: Option<SiteRefinement>,
}

/// What both sides sign of a site's map version (not an event: the record its signatures'
/// `content_hash` covers). Its form is as fixed as a payload's: a renamed field would leave
/// every signature on a site map pointing at content no longer shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteMapContent<'a> {
    pub site_map_version_id: &'a str,
    pub site_id: &'a str,
    pub program_id: &'a str,
    pub base_map_version_id: &'a str,
    /// The effective map: the published one with the site's refinement and accepted changes.
    pub map: &'a ProcessMap,
    pub details: &'a BTreeMap<String, LocalDetail>,
}

vocabulary!(
    /// A proposed change to a controlled step waits for the manufacturer's decision.
    ProposalStatus, "proposal status" {
        Pending => "pending",
        Accepted => "accepted",
        Rejected => "rejected",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapProposalFields {
    pub partnership_id: String,
    pub site_map_version_id: String,
    pub step_key: String,
    /// The whole step as the site proposes it.
    pub proposed: Step,
    pub reason: String,
    pub status: ProposalStatus,
    /// Empty until decided.
    pub decision_reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapProposalChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProposalStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

pub type SiteMapVersionCreated = Created<SiteMapVersionFields>;
pub type SiteMapVersionUpdated = Updated<SiteMapVersionChanges>;
pub type MapProposalCreated = Created<MapProposalFields>;
pub type MapProposalUpdated = Updated<MapProposalChanges>;

events! {
    SiteMapVersionCreated => "site_map_version.created",
    SiteMapVersionUpdated => "site_map_version.updated",
    MapProposalCreated => "map_proposal.created",
    MapProposalUpdated => "map_proposal.updated",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_map::seeds;

    #[test]
    fn the_signed_content_of_a_site_map_keeps_its_form() {
        let (map, _) = seeds::autologous_car_t();
        let details = BTreeMap::new();
        let content = SiteMapContent {
            site_map_version_id: "smv_1",
            site_id: "site_1",
            program_id: "prog_1",
            base_map_version_id: "mv_1",
            map: &map,
            details: &details,
        };
        assert_eq!(
            serde_json::to_value(&content).unwrap(),
            serde_json::json!({
                "site_map_version_id": "smv_1", "site_id": "site_1", "program_id": "prog_1",
                "base_map_version_id": "mv_1", "map": map, "details": {},
            })
        );
    }
}
