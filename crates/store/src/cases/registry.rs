//! Registry forms as the app reads them (migration 0014): a case's forms, and a site's forms
//! by where they stand on a day — overdue, due, both (most urgent first: the window that
//! closed or closes first), or submitted (latest first) — each one range scan of a partial
//! index on (site, day), paged.

use crate::decode::{date, maybe_date, maybe_text};
use crate::{Page, Store, StoreError};
use cellpath_domain::Date;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

/// One scheduled form of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryFormRow {
    pub case_id: String,
    pub form_key: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub pseudonym: String,
    pub form: String,
    pub occurrence: i64,
    /// When it falls due, in words ("day 100", "1 year").
    pub due_when: String,
    pub opens_on: Date,
    pub due_on: Date,
    pub closes_on: Date,
    pub submitted_on: Option<Date>,
    pub reference: Option<String>,
}

impl FromRow<'_, AnyRow> for RegistryFormRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(RegistryFormRow {
            case_id: r.try_get("case_id")?,
            form_key: r.try_get("form_key")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            pseudonym: r.try_get("pseudonym")?,
            form: r.try_get("form")?,
            occurrence: r.try_get("occurrence")?,
            due_when: r.try_get("due_when")?,
            opens_on: date(r, "opens_on")?,
            due_on: date(r, "due_on")?,
            closes_on: date(r, "closes_on")?,
            submitted_on: maybe_date(r, "submitted_on")?,
            reference: maybe_text(r, "reference")?,
        })
    }
}

/// Which of a site's forms to list, on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormsAt {
    /// Window open today, not submitted.
    Due,
    /// Window closed before today, not submitted.
    Overdue,
    /// Due and overdue together, most urgent first.
    Open,
    Submitted,
}

impl Store {
    /// A case's forms in the order they fall due.
    pub async fn registry_forms_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<RegistryFormRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM registry_forms WHERE case_id = $1 ORDER BY due_on, occurrence, form_key",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A site's forms that stand `which` way on `today`; `only`: of these partnerships' cases
    /// (none: of every partnership).
    pub async fn registry_forms_of_site(
        &self,
        site_id: &str,
        which: FormsAt,
        today: &Date,
        only: Option<&[String]>,
        page: Page,
    ) -> Result<Vec<RegistryFormRow>, StoreError> {
        // Only placeholders are put into the text; the partnership ids are bound after the
        // fixed parameters ($1 the site, then the day where the filter needs it).
        let partnerships = |first: usize| match only {
            None => String::new(),
            Some([]) => " AND 1 = 0".into(),
            Some(ids) => format!(
                " AND partnership_id IN ({})",
                (0..ids.len())
                    .map(|i| format!("${}", first + i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let ids: &[String] = only.unwrap_or(&[]);
        let (filter, order) = match which {
            FormsAt::Due => (
                "submitted_on = '' AND closes_on >= $2 AND opens_on <= $2",
                "closes_on, opens_on, case_id, form_key",
            ),
            FormsAt::Overdue => (
                "submitted_on = '' AND closes_on < $2",
                "closes_on, opens_on, case_id, form_key",
            ),
            FormsAt::Open => (
                "submitted_on = '' AND opens_on <= $2",
                "closes_on, opens_on, case_id, form_key",
            ),
            FormsAt::Submitted => {
                let n = ids.len();
                let sql = format!(
                    "SELECT * FROM registry_forms WHERE site_id = $1 AND submitted_on <> ''{} ORDER BY submitted_on DESC, case_id, form_key LIMIT ${} OFFSET ${}",
                    partnerships(2),
                    n + 2,
                    n + 3
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(site_id);
                for id in ids {
                    q = q.bind(id);
                }
                return Ok(q
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&self.reader)
                    .await?);
            }
        };
        let n = ids.len();
        let sql = format!(
            "SELECT * FROM registry_forms WHERE site_id = $1 AND {filter}{} ORDER BY {order} LIMIT ${} OFFSET ${}",
            partnerships(3),
            n + 3,
            n + 4
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(site_id)
            .bind(today.as_str());
        for id in ids {
            q = q.bind(id);
        }
        Ok(q.bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.reader)
            .await?)
    }
}
