//! Site map versions and proposals as the API answers them, made from the store's rows and
//! serialized exactly as the rows were; [`SiteMapView`] (the version as people read it) lives
//! in `sitemaps` and names these schemas.

use super::{empty_if_none, schema};
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::process_map::Step;
use cellpath_domain::refinement::SiteRefinement;
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

/// A site's version of a program's published map: what the site adds to it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteMapVersion {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub base_map_version_id: String,
    pub number: i64,
    #[schema(value_type = SiteRefinement)]
    pub refinement: serde_json::Value,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::SiteMapVersion> for SiteMapVersion {
    fn from(r: rows::SiteMapVersion) -> Self {
        SiteMapVersion {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            base_map_version_id: r.base_map_version_id,
            number: r.number,
            refinement: r.refinement,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A proposed change to a controlled step, pending until the manufacturer decides.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MapProposal {
    pub id: String,
    pub partnership_id: String,
    pub site_map_version_id: String,
    pub step_key: String,
    /// The whole step as the site proposes it.
    #[schema(value_type = Step)]
    pub proposed: serde_json::Value,
    pub reason: String,
    #[schema(schema_with = schema::vocabulary::<ProposalStatus>)]
    pub status: ProposalStatus,
    /// Why it was accepted or rejected; `''` while pending.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub decision_reason: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::MapProposal> for MapProposal {
    fn from(r: rows::MapProposal) -> Self {
        MapProposal {
            id: r.id,
            partnership_id: r.partnership_id,
            site_map_version_id: r.site_map_version_id,
            step_key: r.step_key,
            proposed: r.proposed,
            reason: r.reason,
            status: r.status,
            decision_reason: r.decision_reason,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::same_json;
    use serde_json::json;

    #[test]
    fn views_serialize_as_their_rows() {
        same_json::<_, SiteMapVersion>(&rows::SiteMapVersion {
            id: "v1".into(),
            partnership_id: "p1".into(),
            site_id: "s1".into(),
            program_id: "g1".into(),
            base_map_version_id: "m1".into(),
            number: 2,
            refinement: json!({ "details": {} }),
            version: 3,
            created_at: 1,
            updated_at: 2,
        });
        for decision_reason in [None, Some("fine".to_string())] {
            same_json::<_, MapProposal>(&rows::MapProposal {
                id: "q1".into(),
                partnership_id: "p1".into(),
                site_map_version_id: "v1".into(),
                step_key: "thaw".into(),
                proposed: json!({ "key": "thaw" }),
                reason: "closer".into(),
                status: ProposalStatus::Pending,
                decision_reason,
                version: 1,
                created_at: 1,
                updated_at: 1,
            });
        }
    }
}
