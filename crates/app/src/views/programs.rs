//! Programs and their process map versions as the API answers them. Each view is made from the
//! store's row and serializes exactly as the row did; the facts kept as JSON (units,
//! identifiers, prices, requirements, the map) are named by the schemas of their domain types.

use super::schema;
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::program::Modality;
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub id: String,
    pub org_id: String,
    pub name: String,
    #[schema(schema_with = schema::vocabulary::<Modality>)]
    pub modality: Modality,
    #[schema(value_type = Vec<cellpath_domain::process_map::ProductUnit>)]
    pub units: serde_json::Value,
    #[schema(value_type = Vec<cellpath_domain::program::IdentifierSpec>)]
    pub identifiers: serde_json::Value,
    /// List prices by the day they take effect, in US cents.
    #[schema(value_type = Vec<cellpath_domain::program::ListPrice>)]
    pub list_prices: serde_json::Value,
    pub requires_dual_verification: bool,
    /// What a site needs for the program (set with setRequirements).
    #[schema(value_type = Vec<cellpath_domain::readiness::Requirement>)]
    pub requirements: serde_json::Value,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::Program> for Program {
    fn from(r: rows::Program) -> Self {
        Program {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            modality: r.modality,
            units: r.units,
            identifiers: r.identifiers,
            list_prices: r.list_prices,
            requires_dual_verification: r.requires_dual_verification,
            requirements: r.requirements,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A version of a program's process map: a draft until published, then never changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MapVersion {
    pub id: String,
    pub program_id: String,
    pub number: i64,
    #[schema(schema_with = schema::vocabulary::<MapVersionStatus>)]
    pub status: MapVersionStatus,
    #[schema(value_type = cellpath_domain::process_map::ProcessMap)]
    pub map: serde_json::Value,
    pub content_hash: String,
    pub published_at: Option<i64>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::MapVersion> for MapVersion {
    fn from(r: rows::MapVersion) -> Self {
        MapVersion {
            id: r.id,
            program_id: r.program_id,
            number: r.number,
            status: r.status,
            map: r.map,
            content_hash: r.content_hash,
            published_at: r.published_at,
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
        same_json::<_, Program>(&rows::Program {
            id: "g1".into(),
            org_id: "m1".into(),
            name: "Vantacel".into(),
            modality: Modality::AutologousCell,
            units: json!([{ "key": "bag", "name": "Bag" }]),
            identifiers: json!([]),
            list_prices: json!([{ "effective_on": "2026-01-01", "cents": 1 }]),
            requires_dual_verification: true,
            requirements: json!([]),
            version: 2,
            created_at: 1,
            updated_at: 3,
        });
        for published_at in [None, Some(7)] {
            same_json::<_, MapVersion>(&rows::MapVersion {
                id: "v1".into(),
                program_id: "g1".into(),
                number: 1,
                status: MapVersionStatus::Draft,
                map: json!({ "steps": [] }),
                content_hash: "ab".into(),
                published_at,
                version: 1,
                created_at: 4,
                updated_at: 5,
            });
        }
    }
}
