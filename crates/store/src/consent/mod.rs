//! Rows and queries of consent documents: a site's consent versions for a program, on the
//! partnership's ledger (migration 0015).

pub(crate) mod project;

use crate::decode::{date, maybe_date, word};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::consent::{ConsentSection, ConsentStatus, ConsentVersionFacts};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentVersion {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub number: i64,
    pub document_name: String,
    pub document_sha256: String,
    pub effective_on: Date,
    pub sections: Vec<ConsentSection>,
    pub status: ConsentStatus,
    /// None while a draft.
    pub activated_on: Option<Date>,
    pub retired_on: Option<Date>,
    /// None until retired.
    pub retired_reason: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ConsentVersion {
    /// What the domain's consent rules read of it.
    pub fn facts(&self) -> ConsentVersionFacts {
        ConsentVersionFacts {
            number: self.number,
            status: self.status,
            effective_on: self.effective_on.clone(),
            sections: self.sections.clone(),
            retired_on: self.retired_on.clone(),
        }
    }
}

impl FromRow<'_, AnyRow> for ConsentVersion {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let sections: String = r.try_get("sections")?;
        let reason: String = r.try_get("retired_reason")?;
        Ok(ConsentVersion {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            number: r.try_get("number")?,
            document_name: r.try_get("document_name")?,
            document_sha256: r.try_get("document_sha256")?,
            effective_on: date(r, "effective_on")?,
            sections: serde_json::from_str(&sections)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            status: word(r, "status")?,
            activated_on: maybe_date(r, "activated_on")?,
            retired_on: maybe_date(r, "retired_on")?,
            retired_reason: (!reason.is_empty()).then_some(reason),
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn consent_version(&self, id: &str) -> Result<Option<ConsentVersion>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM consent_versions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// Every consent version of a site, in every partnership: by program, newest first.
    pub async fn consent_versions_of_site(
        &self,
        site_id: &str,
    ) -> Result<Vec<ConsentVersion>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM consent_versions WHERE site_id = $1 ORDER BY program_id, number DESC",
        )
        .bind(site_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The versions of a site and program in a partnership, oldest first.
    pub async fn consent_versions_of(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<ConsentVersion>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM consent_versions WHERE partnership_id = $1 AND site_id = $2 AND program_id = $3 ORDER BY number",
        )
        .bind(partnership_id)
        .bind(site_id)
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }
}
