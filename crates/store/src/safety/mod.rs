//! Safety reports (migration 0025): each adverse event of a case as it reaches the
//! manufacturer, kept by the case's own adverse-event events (`project.rs`) and acknowledged by
//! the manufacturer's safety role at a version. Read by id, by case (the case page's
//! acknowledgements), and per manufacturer — waiting for an acknowledgement first, then the
//! latest change — one range scan of `safety_reports_manufacturer`, paged.

pub(crate) mod project;

use crate::decode::word;
use crate::{Page, Store, StoreError};
use cellpath_domain::events::cases::AdverseEventKind;
use cellpath_domain::journey::AdverseEvent;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

/// One adverse event of a case as the manufacturer's report holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafetyReport {
    /// `{case id}-ae{number}`.
    pub id: String,
    pub case_id: String,
    pub adverse_event: u32,
    pub partnership_id: String,
    pub manufacturer_id: String,
    pub site_id: String,
    pub program_id: String,
    pub pseudonym: String,
    pub kind: AdverseEventKind,
    pub onset_at: i64,
    /// The ASTCT grade: the worst of its observations, 5 when fatal.
    pub grade: u8,
    /// The adverse event as its events made it, its outcome too (the table's `outcome`
    /// column is the same in a word, for SQL; the row does not repeat it as text).
    pub body: AdverseEvent,
    /// The version last acknowledged; none before the first acknowledgement.
    pub acknowledged: Option<Acknowledged>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who acknowledged a report, when, at which version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    pub version: i64,
    pub by_user_id: String,
    pub by_name: String,
    pub at: i64,
}

impl SafetyReport {
    /// Not acknowledged at its current version: never, or updated since.
    pub fn pending(&self) -> bool {
        self.acknowledged
            .as_ref()
            .is_none_or(|a| a.version < self.version)
    }
}

impl FromRow<'_, AnyRow> for SafetyReport {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let body: String = r.try_get("body")?;
        let number: i64 = r.try_get("adverse_event")?;
        let grade: i64 = r.try_get("grade")?;
        let acknowledged_version: i64 = r.try_get("acknowledged_version")?;
        let decode = |e: Box<dyn std::error::Error + Send + Sync>| sqlx::Error::Decode(e);
        Ok(SafetyReport {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            adverse_event: u32::try_from(number).map_err(|e| decode(Box::new(e)))?,
            partnership_id: r.try_get("partnership_id")?,
            manufacturer_id: r.try_get("manufacturer_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            pseudonym: r.try_get("pseudonym")?,
            kind: word(r, "kind")?,
            onset_at: r.try_get("onset_at")?,
            grade: u8::try_from(grade).map_err(|e| decode(Box::new(e)))?,
            body: serde_json::from_str(&body).map_err(|e| decode(Box::new(e)))?,
            acknowledged: if acknowledged_version > 0 {
                Some(Acknowledged {
                    version: acknowledged_version,
                    by_user_id: r.try_get("acknowledged_by")?,
                    by_name: r.try_get("acknowledged_by_name")?,
                    at: r.try_get::<Option<i64>, _>("acknowledged_at")?.unwrap_or(0),
                })
            } else {
                None
            },
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Which of a manufacturer's reports to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportsShown {
    /// Waiting for an acknowledgement first, then the rest.
    All,
    /// Not acknowledged at their current version.
    Pending,
    /// Acknowledged at their current version.
    Acknowledged,
}

impl Store {
    pub async fn safety_report(&self, id: &str) -> Result<Option<SafetyReport>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM safety_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A case's reports by adverse event number.
    pub async fn safety_reports_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<SafetyReport>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT * FROM safety_reports WHERE case_id = $1 ORDER BY adverse_event",
            )
            .bind(case_id)
            .fetch_all(&self.reader)
            .await?,
        )
    }

    /// A manufacturer's reports standing `which` way — those waiting first, then the latest
    /// change first — of these partnerships (the ones the caller may read them through), with
    /// how many there are in all.
    pub async fn safety_reports_of_manufacturer(
        &self,
        manufacturer_id: &str,
        partnerships: &[String],
        which: ReportsShown,
        page: Page,
    ) -> Result<(Vec<SafetyReport>, i64), StoreError> {
        if partnerships.is_empty() {
            return Ok((Vec::new(), 0));
        }
        // Only placeholders go into the text: $1 the manufacturer, then the partnerships.
        let ids = (0..partnerships.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = match which {
            ReportsShown::All => "",
            ReportsShown::Pending => " AND pending = 1",
            ReportsShown::Acknowledged => " AND pending = 0",
        };
        let n = partnerships.len();
        let from = format!(
            "FROM safety_reports WHERE manufacturer_id = $1 AND partnership_id IN ({ids}){filter}"
        );
        let mut count = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) {from}"
        )))
        .bind(manufacturer_id);
        for id in partnerships {
            count = count.bind(id);
        }
        let (total,) = count.fetch_one(&self.reader).await?;
        let sql = format!(
            "SELECT * {from} ORDER BY pending DESC, updated_at DESC, id LIMIT ${} OFFSET ${}",
            n + 2,
            n + 3
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(manufacturer_id);
        for id in partnerships {
            q = q.bind(id);
        }
        let rows = q
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.reader)
            .await?;
        Ok((rows, total))
    }
}
