//! Site map versions and proposals (the partnership's ledger): rows and queries.

pub(crate) mod project;

use crate::decode::{empty_if_none, maybe_text, word};
use crate::read::*;
use crate::{Store, StoreError};
use cellpath_domain::events::site_maps::ProposalStatus;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteMapVersion {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub base_map_version_id: String,
    pub number: i64,
    pub refinement: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapProposal {
    pub id: String,
    pub partnership_id: String,
    pub site_map_version_id: String,
    pub step_key: String,
    pub proposed: serde_json::Value,
    pub reason: String,
    pub status: ProposalStatus,
    /// Why it was accepted or rejected; none while pending.
    #[serde(serialize_with = "empty_if_none")]
    pub decision_reason: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for SiteMapVersion {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteMapVersion {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            base_map_version_id: r.try_get("base_map_version_id")?,
            number: r.try_get("number")?,
            refinement: json_value(r.try_get("refinement")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for MapProposal {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(MapProposal {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_map_version_id: r.try_get("site_map_version_id")?,
            step_key: r.try_get("step_key")?,
            proposed: json_value(r.try_get("proposed")?)?,
            reason: r.try_get("reason")?,
            status: word(r, "status")?,
            decision_reason: maybe_text(r, "decision_reason")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn site_map_version(&self, id: &str) -> Result<Option<SiteMapVersion>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM site_map_versions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// A site's versions of a program's map, newest first.
    pub async fn site_map_versions(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<SiteMapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_map_versions WHERE site_id = $1 AND program_id = $2 ORDER BY number DESC")
            .bind(site_id)
            .bind(program_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn site_map_versions_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<SiteMapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_map_versions WHERE partnership_id = $1 ORDER BY site_id, program_id, number DESC")
            .bind(partnership_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn map_proposal(&self, id: &str) -> Result<Option<MapProposal>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM map_proposals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn map_proposals_of(
        &self,
        site_map_version_id: &str,
    ) -> Result<Vec<MapProposal>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM map_proposals WHERE site_map_version_id = $1 ORDER BY created_at, id",
        )
        .bind(site_map_version_id)
        .fetch_all(&self.reader)
        .await?)
    }
}
