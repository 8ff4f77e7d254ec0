//! Programs and their process map versions (the manufacturer's ledger): rows and queries.

pub(crate) mod project;

use crate::decode::word;
use crate::read::*;
use crate::{Store, StoreError};
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::program::Modality;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

/// A program; its JSON facts are interpreted by the app (`cellpath_domain::program`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Program {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub modality: Modality,
    pub units: serde_json::Value,
    pub identifiers: serde_json::Value,
    pub list_prices: serde_json::Value,
    pub requires_dual_verification: bool,
    pub requirements: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapVersion {
    pub id: String,
    pub program_id: String,
    pub number: i64,
    pub status: MapVersionStatus,
    pub map: serde_json::Value,
    pub content_hash: String,
    pub published_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for Program {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Program {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            name: r.try_get("name")?,
            modality: word(r, "modality")?,
            units: json_value(r.try_get("units")?)?,
            identifiers: json_value(r.try_get("identifiers")?)?,
            list_prices: json_value(r.try_get("list_prices")?)?,
            requires_dual_verification: r.try_get::<i64, _>("requires_dual_verification")? == 1,
            requirements: json_value(r.try_get("requirements")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for MapVersion {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(MapVersion {
            id: r.try_get("id")?,
            program_id: r.try_get("program_id")?,
            number: r.try_get("number")?,
            status: word(r, "status")?,
            map: json_value(r.try_get("map")?)?,
            content_hash: r.try_get("content_hash")?,
            published_at: r.try_get("published_at")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn program(&self, id: &str) -> Result<Option<Program>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM programs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn program_by_name(
        &self,
        org_id: &str,
        name: &str,
    ) -> Result<Option<Program>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM programs WHERE org_id = $1 AND name = $2")
                .bind(org_id)
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub async fn programs_of(&self, org_id: &str, page: Page) -> Result<Vec<Program>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM programs WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Programs of the manufacturers a health system is in (a not ended) partnership with.
    pub async fn programs_of_partners(
        &self,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Program>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM programs WHERE org_id IN (SELECT manufacturer_id FROM partnerships WHERE health_system_id = $1 AND status = 'active') ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn map_version(&self, id: &str) -> Result<Option<MapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM map_versions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A program's map versions, newest first.
    pub async fn map_versions_of(&self, program_id: &str) -> Result<Vec<MapVersion>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM map_versions WHERE program_id = $1 ORDER BY number DESC")
                .bind(program_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }
}
