//! Patients and cases as the app reads them (migration 0011): a patient's identity (health
//! system only), a case's row, the cases of a site or a partnership, and a case's events in
//! order — one query through `case_events`, for the journey engine to fold.

pub(crate) mod figures;
pub(crate) mod project;
mod registry;

pub use figures::{BookingFigureRow, CaseFigureRow, FigureScope};
pub use registry::{FormsAt, RegistryFormRow};

use crate::decode::{date, word};
use crate::{Page, Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::events::cases::CaseState;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

/// A patient's identity on the health system's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patient {
    pub id: String,
    /// The health system (its ledger).
    pub org_id: String,
    pub site_id: String,
    pub name: String,
    pub date_of_birth: Date,
    pub mrn: String,
    #[serde(skip)]
    pub salt: String,
    /// Hash of the `patient.registered` event: what a case names across ledgers.
    pub registration: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for Patient {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Patient {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            site_id: r.try_get("site_id")?,
            name: r.try_get("name")?,
            date_of_birth: date(r, "date_of_birth")?,
            mrn: r.try_get("mrn")?,
            salt: r.try_get("salt")?,
            registration: r.try_get("registration")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A case on the partnership's ledger: pseudonymous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub map_version_id: String,
    pub pseudonym: String,
    pub initials: String,
    pub birth_year: i64,
    pub identity_sha256: String,
    pub patient_registration: String,
    pub status: CaseState,
    pub opened_at: i64,
    /// How many events the case has: the version an action is decided on.
    pub version: i64,
    /// The step it last finished (done or skipped) and when; none before its first.
    pub last_step: Option<(String, i64)>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for CaseRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(CaseRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            map_version_id: r.try_get("map_version_id")?,
            pseudonym: r.try_get("pseudonym")?,
            initials: r.try_get("initials")?,
            birth_year: r.try_get("birth_year")?,
            identity_sha256: r.try_get("identity_sha256")?,
            patient_registration: r.try_get("patient_registration")?,
            status: word(r, "status")?,
            opened_at: r.try_get("opened_at")?,
            version: r.try_get("version")?,
            last_step: r
                .try_get::<Option<String>, _>("last_step")?
                .zip(r.try_get::<Option<i64>, _>("last_step_at")?),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// One event of a case, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEventRow {
    pub seq: i64,
    pub recorded_at: i64,
    pub actor: String,
    pub kind: String,
    pub payload: serde_json::Value,
}

impl Store {
    pub async fn patient(&self, id: &str) -> Result<Option<Patient>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM patients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// The patient a health system registered under a medical record number.
    pub async fn patient_by_mrn(
        &self,
        org_id: &str,
        mrn: &str,
    ) -> Result<Option<Patient>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM patients WHERE org_id = $1 AND mrn = $2")
                .bind(org_id)
                .bind(mrn)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// The patient whose registration event has this hash (what a case names).
    pub async fn patient_by_registration(
        &self,
        registration: &str,
    ) -> Result<Option<Patient>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM patients WHERE registration = $1")
                .bind(registration)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A partnership's cases, newest first, a page at a time.
    pub async fn cases_of_partnership(
        &self,
        partnership_id: &str,
        page: Page,
    ) -> Result<Vec<CaseRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM cases WHERE partnership_id = $1 ORDER BY opened_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(partnership_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A site's cases under the partnerships named, newest first, a page at a time.
    pub async fn cases_of_site(
        &self,
        site_id: &str,
        partnership_ids: &[String],
        page: Page,
    ) -> Result<Vec<CaseRow>, StoreError> {
        if partnership_ids.is_empty() {
            return Ok(Vec::new());
        }
        let named: Vec<String> = (0..partnership_ids.len())
            .map(|i| format!("${}", i + 4))
            .collect();
        let sql = format!(
            "SELECT * FROM cases WHERE site_id = $1 AND partnership_id IN ({}) ORDER BY opened_at DESC, id DESC LIMIT $2 OFFSET $3",
            named.join(", ")
        );
        // Only placeholders are formatted in; the ids are bound.
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(site_id)
            .bind(page.limit)
            .bind(page.offset);
        for id in partnership_ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// How many cases at a site carry a pseudonym beginning with `prefix` (program code and
    /// site code, whatever the partnership): the next case's sequence follows it. Two programs
    /// whose names begin alike, at one site, share the sequence, so no pseudonym is given twice.
    pub async fn cases_named_like(&self, site_id: &str, prefix: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE site_id = $1 AND substr(pseudonym, 1, CAST($3 AS INTEGER)) = $2",
        )
        .bind(site_id)
        .bind(prefix)
        .bind(prefix.chars().count() as i64)
        .fetch_one(&self.reader)
        .await?;
        Ok(n)
    }

    /// A case's events in ledger order, from the index.
    pub async fn case_events(&self, case_id: &str) -> Result<Vec<CaseEventRow>, StoreError> {
        let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT e.seq, e.recorded_at, e.actor, e.kind, e.body FROM case_events c JOIN events e ON e.ledger_id = c.ledger_id AND e.seq = c.seq WHERE c.case_id = $1 ORDER BY c.seq",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(seq, recorded_at, actor, kind, body)| {
                let mut event: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
                    StoreError::Invalid(format!("event {seq} of case {case_id} is not JSON: {e}"))
                })?;
                Ok(CaseEventRow {
                    seq,
                    recorded_at,
                    actor,
                    kind,
                    payload: event
                        .get_mut("payload")
                        .map(serde_json::Value::take)
                        .unwrap_or_default(),
                })
            })
            .collect()
    }
}
