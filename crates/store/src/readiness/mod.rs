//! Site visits and gaps (the partnership's ledger): rows and queries.

pub(crate) mod project;

use crate::decode::{date, empty_if_none, maybe_text, word};
use crate::read::*;
use crate::{Store, StoreError};
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::readiness::Severity;
use cellpath_domain::{Date, Role};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteVisit {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub visited_on: Date,
    pub visitors: serde_json::Value,
    pub facility_ids: serde_json::Value,
    pub observations: serde_json::Value,
    pub findings: serde_json::Value,
    pub attachments: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// None when the site lacks the kind of facility the requirement needs.
    #[serde(serialize_with = "empty_if_none")]
    pub facility_id: Option<String>,
    pub requirement_key: String,
    pub severity: Severity,
    pub expected: String,
    pub observed: String,
    pub owner_role: Role,
    pub due_on: Date,
    pub status: GapStatus,
    /// What closed it; none while open.
    #[serde(serialize_with = "empty_if_none")]
    pub evidence: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for SiteVisit {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteVisit {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            visited_on: date(r, "visited_on")?,
            visitors: json_value(r.try_get("visitors")?)?,
            facility_ids: json_value(r.try_get("facility_ids")?)?,
            observations: json_value(r.try_get("observations")?)?,
            findings: json_value(r.try_get("findings")?)?,
            attachments: json_value(r.try_get("attachments")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for Gap {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Gap {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            facility_id: maybe_text(r, "facility_id")?,
            requirement_key: r.try_get("requirement_key")?,
            severity: word(r, "severity")?,
            expected: r.try_get("expected")?,
            observed: r.try_get("observed")?,
            owner_role: word(r, "owner_role")?,
            due_on: date(r, "due_on")?,
            status: word(r, "status")?,
            evidence: maybe_text(r, "evidence")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn site_visit(&self, id: &str) -> Result<Option<SiteVisit>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_visits WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A site's visits, newest first.
    pub async fn site_visits_of(&self, site_id: &str) -> Result<Vec<SiteVisit>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_visits WHERE site_id = $1 ORDER BY visited_on DESC, created_at DESC")
            .bind(site_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn gap(&self, id: &str) -> Result<Option<Gap>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM gaps WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// The open gaps of a partnership at every site, for the gate's count of blocking ones.
    pub async fn open_gaps_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<Gap>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM gaps WHERE partnership_id = $1 AND status = 'open' ORDER BY site_id, id",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn gaps_of_site(&self, site_id: &str) -> Result<Vec<Gap>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT * FROM gaps WHERE site_id = $1 ORDER BY status DESC, due_on, id",
            )
            .bind(site_id)
            .fetch_all(&self.reader)
            .await?,
        )
    }
}
