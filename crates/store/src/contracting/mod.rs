//! Rows and queries of dual-track contracting: a partnership's agreements and the gate
//! deliverables recorded at its sites.

pub(crate) mod gate_reads;
pub(crate) mod project;

use crate::decode::{date, empty_if_none, maybe_date, maybe_text, word};
use crate::read::json_value;
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::contracting::gate::AuthorizationStatus;
use cellpath_domain::contracting::{AgreementKind, AgreementStatus, Deliverable, Scope};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub id: String,
    pub partnership_id: String,
    pub kind: AgreementKind,
    pub scope: Scope,
    /// None for a health-system-scope agreement.
    #[serde(serialize_with = "empty_if_none")]
    pub site_id: Option<String>,
    pub status: AgreementStatus,
    /// User id of the owner on the manufacturer's side, if one is named.
    #[serde(serialize_with = "empty_if_none")]
    pub owner_manufacturer: Option<String>,
    #[serde(serialize_with = "empty_if_none")]
    pub owner_health_system: Option<String>,
    /// None until set (the API answers `""`, as it always has).
    #[serde(serialize_with = "empty_if_none")]
    pub effective_on: Option<Date>,
    #[serde(serialize_with = "empty_if_none")]
    pub expires_on: Option<Date>,
    pub coverage: serde_json::Value,
    pub documents: serde_json::Value,
    pub amendments: serde_json::Value,
    pub redline_rounds: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliverableRecord {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub deliverable: Deliverable,
    pub done_on: Date,
    pub evidence: String,
    /// The day it stopped counting (none while it counts) and why.
    #[serde(serialize_with = "empty_if_none")]
    pub revoked_on: Option<Date>,
    #[serde(serialize_with = "empty_if_none")]
    pub revoked_reason: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl DeliverableRecord {
    /// Whether the gate counts it: recorded and not revoked.
    pub fn counts(&self) -> bool {
        self.revoked_on.is_none()
    }
}

/// A signature on a site map version: the version, the content signed (its hash) and the
/// signer's organization, with the version's site, program and number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteMapSignature {
    pub partnership_id: String,
    pub site_map_version_id: String,
    pub content_hash: String,
    pub signer_org_id: String,
    /// Microseconds since the epoch.
    pub signed_at: i64,
    pub site_id: String,
    pub program_id: String,
    /// The version's number; `None` when the version is not (or no longer) stored.
    pub number: Option<i64>,
}

impl FromRow<'_, AnyRow> for SiteMapSignature {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteMapSignature {
            partnership_id: r.try_get("partnership_id")?,
            site_map_version_id: r.try_get("site_map_version_id")?,
            content_hash: r.try_get("content_hash")?,
            signer_org_id: r.try_get("signer_org_id")?,
            signed_at: r.try_get("signed_at")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            number: r.try_get("number")?,
        })
    }
}

/// The gate's verdict as last recorded for a program at a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteAuthorization {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub status: AuthorizationStatus,
    /// The day of the last change of status.
    pub since: Date,
    /// What was missing when it was suspended (sentences); empty when authorized.
    pub missing: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for SiteAuthorization {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteAuthorization {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            status: word(r, "status")?,
            since: date(r, "since")?,
            missing: json_value(r.try_get("missing")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A reminder, recorded on the partnership's ledger, that an executed agreement lapses soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryReminder {
    pub id: String,
    pub partnership_id: String,
    pub agreement_id: String,
    pub agreement_kind: AgreementKind,
    /// The expiry date the reminder was about.
    pub expires_on: Date,
    /// The threshold: 90, 30 or 7 days before expiry.
    pub days_before: i64,
    /// Days left on `sent_on`.
    pub days_left: i64,
    pub sent_on: Date,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for ExpiryReminder {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ExpiryReminder {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            agreement_id: r.try_get("agreement_id")?,
            agreement_kind: word(r, "agreement_kind")?,
            expires_on: date(r, "expires_on")?,
            days_before: r.try_get("days_before")?,
            days_left: r.try_get("days_left")?,
            sent_on: date(r, "sent_on")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A program's own track template (the items as JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackTemplateRow {
    pub id: String,
    pub org_id: String,
    pub program_id: String,
    pub items: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for TrackTemplateRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(TrackTemplateRow {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            program_id: r.try_get("program_id")?,
            items: json_value(r.try_get("items")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for Agreement {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Agreement {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            kind: word(r, "kind")?,
            scope: word(r, "scope")?,
            site_id: maybe_text(r, "site_id")?,
            status: word(r, "status")?,
            owner_manufacturer: maybe_text(r, "owner_manufacturer")?,
            owner_health_system: maybe_text(r, "owner_health_system")?,
            effective_on: maybe_date(r, "effective_on")?,
            expires_on: maybe_date(r, "expires_on")?,
            coverage: json_value(r.try_get("coverage")?)?,
            documents: json_value(r.try_get("documents")?)?,
            amendments: json_value(r.try_get("amendments")?)?,
            redline_rounds: r.try_get("redline_rounds")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl FromRow<'_, AnyRow> for DeliverableRecord {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(DeliverableRecord {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            deliverable: word(r, "deliverable")?,
            done_on: date(r, "done_on")?,
            evidence: r.try_get("evidence")?,
            revoked_on: maybe_date(r, "revoked_on")?,
            revoked_reason: maybe_text(r, "revoked_reason")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn agreement(&self, id: &str) -> Result<Option<Agreement>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM agreements WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn agreements_of(&self, partnership_id: &str) -> Result<Vec<Agreement>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM agreements WHERE partnership_id = $1 ORDER BY created_at, id",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn deliverable_records_of(
        &self,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<DeliverableRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM deliverable_records WHERE partnership_id = $1 AND site_id = $2 AND program_id = $3 ORDER BY deliverable",
        )
        .bind(partnership_id)
        .bind(site_id)
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn deliverable_record(
        &self,
        id: &str,
    ) -> Result<Option<DeliverableRecord>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM deliverable_records WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// Every deliverable recorded in a partnership, for every site and program.
    pub async fn deliverable_records_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<DeliverableRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM deliverable_records WHERE partnership_id = $1 ORDER BY site_id, program_id, deliverable",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Every signature on a site map version of a partnership (projected with its event),
    /// with the signer's organization ('' for a signer who is no user), oldest first
    /// ([`Store::site_map_signatures_of_partnerships`] for one partnership).
    pub async fn site_map_signatures_of(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<SiteMapSignature>, StoreError> {
        self.site_map_signatures_of_partnerships(&[partnership_id.to_string()])
            .await
    }

    pub async fn site_authorizations_of(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<SiteAuthorization>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM site_authorizations WHERE partnership_id = $1 ORDER BY site_id, program_id",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A partnership's expiry reminders, newest first.
    pub async fn expiry_reminders_of(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<ExpiryReminder>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM expiry_reminders WHERE partnership_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn track_template_of(
        &self,
        program_id: &str,
    ) -> Result<Option<TrackTemplateRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM track_templates WHERE program_id = $1")
                .bind(program_id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }
}
