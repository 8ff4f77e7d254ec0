//! Rows and queries of release exceptions (issue 13): a partnership's protocol versions per
//! program (migration 0028).

pub(crate) mod project;

use crate::decode::{maybe_date, word};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::events::release_exceptions::{ExceptionStatus, ProtocolStatus};
use cellpath_domain::release_exception::{DecisionOption, ExceptionKind, Prerequisite, Protocol};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionProtocolRow {
    pub id: String,
    pub partnership_id: String,
    pub program_id: String,
    pub number: i64,
    pub protocol: Protocol,
    pub content_sha256: String,
    pub status: ProtocolStatus,
    /// None until that side signed.
    pub manufacturer_signer: Option<String>,
    pub health_system_signer: Option<String>,
    pub agreed_on: Option<Date>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn some_text(r: &AnyRow, column: &str) -> Result<Option<String>, sqlx::Error> {
    let text: String = r.try_get(column)?;
    Ok((!text.is_empty()).then_some(text))
}

impl FromRow<'_, AnyRow> for ExceptionProtocolRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let protocol: String = r.try_get("protocol")?;
        Ok(ExceptionProtocolRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            program_id: r.try_get("program_id")?,
            number: r.try_get("number")?,
            protocol: serde_json::from_str(&protocol)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            content_sha256: r.try_get("content_sha256")?,
            status: word(r, "status")?,
            manufacturer_signer: some_text(r, "manufacturer_signer")?,
            health_system_signer: some_text(r, "health_system_signer")?,
            agreed_on: maybe_date(r, "agreed_on")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A release exception's row (migration 0029).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseExceptionRow {
    pub id: String,
    pub partnership_id: String,
    pub case_id: String,
    pub site_id: String,
    pub program_id: String,
    pub protocol_id: String,
    pub kind: ExceptionKind,
    pub certificate_reference: String,
    pub certificate_sha256: String,
    pub lymphodepletion_started: bool,
    pub opened_at: i64,
    pub tier_reached: i64,
    pub tier_notified_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub status: ExceptionStatus,
    /// Migration 0033: the patient told, the decision, expanded access's prerequisites and
    /// each side's signature on the close.
    pub patient_told_at: Option<i64>,
    pub patient_told_by: Option<String>,
    pub decision: Option<DecisionOption>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub prerequisites: Vec<Prerequisite>,
    pub manufacturer_signed_at: Option<i64>,
    pub manufacturer_signed_by: Option<String>,
    pub health_system_signed_at: Option<i64>,
    pub health_system_signed_by: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for ReleaseExceptionRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ReleaseExceptionRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            case_id: r.try_get("case_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            protocol_id: r.try_get("protocol_id")?,
            kind: word(r, "kind")?,
            certificate_reference: r.try_get("certificate_reference")?,
            certificate_sha256: r.try_get("certificate_sha256")?,
            lymphodepletion_started: r.try_get::<i64, _>("lymphodepletion_started")? == 1,
            opened_at: r.try_get("opened_at")?,
            tier_reached: r.try_get("tier_reached")?,
            tier_notified_at: r.try_get("tier_notified_at")?,
            acknowledged_at: r.try_get("acknowledged_at")?,
            acknowledged_by: some_text(r, "acknowledged_by")?,
            status: word(r, "status")?,
            patient_told_at: r.try_get("patient_told_at")?,
            patient_told_by: some_text(r, "patient_told_by")?,
            decision: match some_text(r, "decision")? {
                None => None,
                Some(_) => Some(word(r, "decision")?),
            },
            decided_at: r.try_get("decided_at")?,
            decided_by: some_text(r, "decided_by")?,
            prerequisites: {
                let text: String = r.try_get("prerequisites")?;
                serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            },
            manufacturer_signed_at: r.try_get("manufacturer_signed_at")?,
            manufacturer_signed_by: some_text(r, "manufacturer_signed_by")?,
            health_system_signed_at: r.try_get("health_system_signed_at")?,
            health_system_signed_by: some_text(r, "health_system_signed_by")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

impl Store {
    pub async fn release_exception(
        &self,
        id: &str,
    ) -> Result<Option<ReleaseExceptionRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM release_exceptions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// A case's exceptions, oldest first.
    pub async fn release_exceptions_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<ReleaseExceptionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM release_exceptions WHERE case_id = $1 ORDER BY opened_at, id",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The exceptions of the partnerships, newest first.
    pub async fn release_exceptions_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<ReleaseExceptionRow>, StoreError> {
        self.rows_in(
            "SELECT * FROM release_exceptions WHERE partnership_id IN ({in}) ORDER BY opened_at DESC, id",
            partnership_ids,
        )
        .await
    }

    pub async fn exception_protocol(
        &self,
        id: &str,
    ) -> Result<Option<ExceptionProtocolRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM exception_protocols WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// Every protocol version of the partnerships, by partnership, program and number.
    pub async fn exception_protocols_of_partnerships(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<ExceptionProtocolRow>, StoreError> {
        self.rows_in(
            "SELECT * FROM exception_protocols WHERE partnership_id IN ({in}) ORDER BY partnership_id, program_id, number",
            partnership_ids,
        )
        .await
    }

    /// The agreed version of a partnership's program, if any.
    pub async fn agreed_exception_protocol(
        &self,
        partnership_id: &str,
        program_id: &str,
    ) -> Result<Option<ExceptionProtocolRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM exception_protocols WHERE partnership_id = $1 AND program_id = $2 AND status = 'agreed'",
        )
        .bind(partnership_id)
        .bind(program_id)
        .fetch_optional(&self.reader)
        .await?)
    }
}
