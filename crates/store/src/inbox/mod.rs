//! What the inbox reads (migration 0026): a role's open journey steps, open adverse events,
//! due and overdue registry forms, bookings by status and agreements about to lapse, under a
//! list of partnerships — each one range scan of an index, a page at a time, and their counts
//! in one statement (the navigation's number).

pub(crate) mod project;

use crate::contracting::gate_reads::placeholders;
use crate::decode::{date, maybe_word, waiting_list, word};
use crate::write::OpenStep;
use crate::{Booking, Page, RegistryFormRow, Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::Role;
use cellpath_domain::events::cases::AdverseEventKind;
use cellpath_domain::process_map::Stage;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

/// The most partnerships an inbox statement reads as branches of their own (a health system
/// works with a few manufacturers; SQLite allows 500 terms in a compound `SELECT`).
const BRANCHES: usize = 32;

/// A journey step open on an active case, for one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenStepRow {
    pub case_id: String,
    pub step: String,
    pub role: Role,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub pseudonym: String,
    pub name: String,
    pub stage: Option<Stage>,
    pub attempt: i64,
    /// The steps a partly done step still waits for, by name (empty: none).
    pub waiting: Vec<String>,
    /// When it opened (micros).
    pub since: i64,
}

impl FromRow<'_, AnyRow> for OpenStepRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(OpenStepRow {
            case_id: r.try_get("case_id")?,
            step: r.try_get("step")?,
            role: word(r, "role")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            pseudonym: r.try_get("pseudonym")?,
            name: r.try_get("name")?,
            stage: maybe_word(r, "stage")?,
            attempt: r.try_get("attempt")?,
            waiting: waiting_list(r, "waiting")?,
            since: r.try_get("since")?,
        })
    }
}

/// An adverse event without a final outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenAdverseEventRow {
    pub case_id: String,
    pub adverse_event: i64,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub pseudonym: String,
    pub kind: AdverseEventKind,
    pub onset_at: i64,
}

impl FromRow<'_, AnyRow> for OpenAdverseEventRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(OpenAdverseEventRow {
            case_id: r.try_get("case_id")?,
            adverse_event: r.try_get("adverse_event")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            pseudonym: r.try_get("pseudonym")?,
            kind: word(r, "kind")?,
            onset_at: r.try_get("onset_at")?,
        })
    }
}

/// Active cases of a stage (the stage of a step open on them), under a partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub partnership_id: String,
    pub stage: String,
    pub cases: i64,
}

/// An executed agreement whose expiry day falls in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiringAgreementRow {
    pub id: String,
    pub partnership_id: String,
    pub kind: String,
    pub site_id: Option<String>,
    pub expires_on: Date,
}

impl FromRow<'_, AnyRow> for ExpiringAgreementRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let site: String = r.try_get("site_id")?;
        Ok(ExpiringAgreementRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            kind: r.try_get("kind")?,
            site_id: (!site.is_empty()).then_some(site),
            expires_on: date(r, "expires_on")?,
        })
    }
}

/// What to count or list: the partnerships the reader works under (already filtered by the
/// policy), the reader's role, and today.
#[derive(Debug, Clone)]
pub struct InboxScope<'a> {
    pub partnerships: &'a [String],
    pub role: Role,
    pub today: &'a Date,
}

/// Which sources of the inbox a count includes (the app decides by role and side).
#[derive(Debug, Clone, Default)]
pub struct Counted {
    pub steps: bool,
    pub adverse_events: bool,
    pub registry_forms: bool,
    /// Bookings in these statuses.
    pub bookings: Vec<&'static str>,
    /// Executed agreements expiring within this many days (none: not counted).
    pub agreements_within: Option<i64>,
    /// The safety reports of this manufacturer waiting for an acknowledgement.
    pub safety_reports_of: Option<String>,
    /// Open invoices due on or before this day (none: not counted).
    pub invoices_due_by: Option<Date>,
    /// Claims denied, or waiting with no step since this day (none: not counted).
    pub claims_stale_by: Option<Date>,
}

impl Store {
    /// The statement of `sql` with `$1…$k` the fixed values and `{in}` the partnerships.
    async fn inbox_rows<T>(
        &self,
        sql: &str,
        fixed: Vec<String>,
        partnerships: &[String],
        page: Page,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        if partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let k = fixed.len();
        let n = partnerships.len();
        let sql = sql
            .replace("{in}", &placeholders(k + 1, n))
            .replace("{limit}", &format!("${}", k + n + 1))
            .replace("{offset}", &format!("${}", k + n + 2));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for v in fixed {
            q = q.bind(v);
        }
        for id in partnerships {
            q = q.bind(id.as_str());
        }
        Ok(q.bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.reader)
            .await?)
    }

    /// The rows of `select` under each partnership (`{p}` its placeholder), each ordered by
    /// `order` and cut at the page's end, merged by `order` and paged: one ordered range scan
    /// of an index per partnership that stops after a page, never every matching row sorted
    /// whole (migration 0036). The branches are one statement (`UNION ALL` of limited
    /// subqueries). Beyond [`BRANCHES`] partnerships (a manufacturer with many health
    /// systems, whose partnerships hold most of the rows anyway) planning the branches costs
    /// more than it saves, and the partnerships are one `IN` list, sorted whole: the same
    /// rows in the same order.
    async fn per_partnership<T>(
        &self,
        select: &str,
        order: &str,
        fixed: Vec<String>,
        partnerships: &[String],
        page: Page,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        if partnerships.len() <= BRANCHES {
            return self
                .merged_branches(select, order, &fixed, partnerships, page)
                .await;
        }
        let sql = format!(
            "{} ORDER BY {order} LIMIT {{limit}} OFFSET {{offset}}",
            select.replace("= {p}", "IN ({in})")
        );
        self.inbox_rows(&sql, fixed, partnerships, page).await
    }

    /// One statement of [`Store::per_partnership`]: a limited, ordered branch per partnership.
    async fn merged_branches<T>(
        &self,
        select: &str,
        order: &str,
        fixed: &[String],
        partnerships: &[String],
        page: Page,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        if partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let k = fixed.len();
        let n = partnerships.len();
        let (upto, limit, offset) = (k + n + 1, k + n + 2, k + n + 3);
        let branches: Vec<String> = (0..n)
            .map(|i| {
                let branch = select.replace("{p}", &format!("${}", k + 1 + i));
                format!("SELECT * FROM ({branch} ORDER BY {order} LIMIT ${upto}) AS b{i}")
            })
            .collect();
        let sql = format!(
            "SELECT * FROM ({}) AS merged ORDER BY {order} LIMIT ${limit} OFFSET ${offset}",
            branches.join(" UNION ALL ")
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for v in fixed {
            q = q.bind(v.clone());
        }
        for id in partnerships {
            q = q.bind(id.as_str());
        }
        Ok(q.bind(page.offset.saturating_add(page.limit))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.reader)
            .await?)
    }

    /// The steps `role` may do now on the partnerships' active cases, longest waiting first.
    pub async fn open_steps_for_role(
        &self,
        scope: &InboxScope<'_>,
        page: Page,
    ) -> Result<Vec<OpenStepRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM case_open_steps WHERE role = $1 AND partnership_id = {p}",
            "since, name, case_id, step",
            vec![scope.role.as_str().to_string()],
            scope.partnerships,
            page,
        )
        .await
    }

    /// The steps open now on one case (its inbox rows), in the order they opened.
    pub async fn open_steps_of_case(&self, case_id: &str) -> Result<Vec<OpenStepRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM case_open_steps WHERE case_id = $1 ORDER BY since, step, role",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The partnerships' active cases by the stage of the steps open on them (a case with
    /// steps open in two stages counts in both).
    pub async fn cases_by_stage(
        &self,
        partnerships: &[String],
    ) -> Result<Vec<StageCount>, StoreError> {
        let rows: Vec<(String, String, i64)> = self
            .inbox_rows(
                "SELECT partnership_id, stage, CAST(COUNT(DISTINCT case_id) AS BIGINT) FROM case_open_steps WHERE partnership_id IN ({in}) GROUP BY partnership_id, stage ORDER BY partnership_id, stage LIMIT {limit} OFFSET {offset}",
                Vec::new(),
                partnerships,
                Page::all(),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(partnership_id, stage, cases)| StageCount {
                partnership_id,
                stage,
                cases,
            })
            .collect())
    }

    /// Adverse events without a final outcome under the partnerships, earliest onset first.
    pub async fn open_adverse_events(
        &self,
        partnerships: &[String],
        page: Page,
    ) -> Result<Vec<OpenAdverseEventRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM open_adverse_events WHERE partnership_id = {p}",
            "onset_at, kind, adverse_event, case_id",
            Vec::new(),
            partnerships,
            page,
        )
        .await
    }

    /// Registry forms due or overdue on `today` under the partnerships, the window that
    /// closed or closes first first.
    pub async fn open_registry_forms(
        &self,
        partnerships: &[String],
        today: &Date,
        page: Page,
    ) -> Result<Vec<RegistryFormRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM registry_forms WHERE submitted_on = '' AND opens_on <= $1 AND partnership_id = {p}",
            "closes_on, form, due_when, case_id, form_key",
            vec![today.as_str().to_string()],
            partnerships,
            page,
        )
        .await
    }

    /// Bookings in `status` under the partnerships: requests by the day asked for, the
    /// waitlist oldest first.
    pub async fn bookings_in_status(
        &self,
        partnerships: &[String],
        status: &str,
        page: Page,
    ) -> Result<Vec<Booking>, StoreError> {
        // Requests wait for the day asked for; the waitlist by how long each has waited.
        let order = if status == "requested" {
            "asked_on, created_at, case_id"
        } else {
            "created_at, case_id"
        };
        self.per_partnership(
            "SELECT * FROM bookings WHERE status = $1 AND partnership_id = {p}",
            order,
            vec![status.to_string()],
            partnerships,
            page,
        )
        .await
    }

    /// Executed agreements under the partnerships whose expiry day is after `today` and at
    /// most `within` days later, soonest first.
    pub async fn agreements_expiring(
        &self,
        partnerships: &[String],
        today: &Date,
        within: i64,
        page: Page,
    ) -> Result<Vec<ExpiringAgreementRow>, StoreError> {
        self.per_partnership(
            "SELECT id, partnership_id, kind, site_id, expires_on FROM agreements WHERE status = 'executed' AND expires_on > $1 AND expires_on <= $2 AND partnership_id = {p}",
            "expires_on, id",
            vec![today.as_str().to_string(), today.plus_days(within).as_str().to_string()],
            partnerships,
            page,
        )
        .await
    }

    /// Release exceptions nobody has acknowledged yet, not closed, under the partnerships,
    /// the earliest opened first (whom each asks is its protocol's, read by the app).
    pub async fn unacknowledged_release_exceptions(
        &self,
        partnerships: &[String],
        page: Page,
    ) -> Result<Vec<crate::ReleaseExceptionRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM release_exceptions WHERE acknowledged_at IS NULL AND status <> 'closed' AND partnership_id = {p}",
            "opened_at, id",
            Vec::new(),
            partnerships,
            page,
        )
        .await
    }

    /// Invoices with money still open, due on or before `last` under the partnerships, the
    /// earliest due first (one range of `(partnership_id, due_on)` per partnership).
    pub async fn invoices_due(
        &self,
        partnerships: &[String],
        last: &Date,
        page: Page,
    ) -> Result<Vec<crate::InvoiceRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM invoices WHERE due_on <= $1 AND price_cents > paid_cents + credited_cents AND partnership_id = {p}",
            "due_on, id",
            vec![last.as_str().to_string()],
            partnerships,
            page,
        )
        .await
    }

    /// A health system's claims waiting on it: denied and not yet appealed or closed, or
    /// waiting for the payer with no step since `stale_by` (the oldest step first).
    pub async fn claims_to_follow_up(
        &self,
        partnerships: &[String],
        stale_by: &Date,
        page: Page,
    ) -> Result<Vec<crate::ClaimRow>, StoreError> {
        self.per_partnership(
            "SELECT * FROM claims WHERE partnership_id = {p} AND (status = 'denied' OR (status IN ('submitted', 'appealed') AND last_on <= $1))",
            "last_on, id",
            vec![stale_by.as_str().to_string()],
            partnerships,
            page,
        )
        .await
    }

    /// How many items the counted sources hold, in one statement (each term a count over
    /// its index).
    pub async fn inbox_count(
        &self,
        scope: &InboxScope<'_>,
        counted: Counted,
    ) -> Result<i64, StoreError> {
        if scope.partnerships.is_empty() {
            return Ok(0);
        }
        let mut fixed: Vec<String> = Vec::new();
        let mut terms: Vec<String> = Vec::new();
        let param = |fixed: &mut Vec<String>, v: String| {
            fixed.push(v);
            format!("${}", fixed.len())
        };
        if counted.steps {
            let role = param(&mut fixed, scope.role.as_str().to_string());
            terms.push(format!(
                "(SELECT COUNT(*) FROM case_open_steps WHERE role = {role} AND partnership_id IN ({{in}}))"
            ));
        }
        if counted.adverse_events {
            terms.push(
                "(SELECT COUNT(*) FROM open_adverse_events WHERE partnership_id IN ({in}))".into(),
            );
        }
        if counted.registry_forms {
            let today = param(&mut fixed, scope.today.as_str().to_string());
            terms.push(format!(
                "(SELECT COUNT(*) FROM registry_forms WHERE submitted_on = '' AND opens_on <= {today} AND partnership_id IN ({{in}}))"
            ));
        }
        for status in &counted.bookings {
            let s = param(&mut fixed, (*status).to_string());
            terms.push(format!(
                "(SELECT COUNT(*) FROM bookings WHERE status = {s} AND partnership_id IN ({{in}}))"
            ));
        }
        if let Some(within) = counted.agreements_within {
            let today = param(&mut fixed, scope.today.as_str().to_string());
            let last = param(
                &mut fixed,
                scope.today.plus_days(within).as_str().to_string(),
            );
            terms.push(format!(
                "(SELECT COUNT(*) FROM agreements WHERE status = 'executed' AND expires_on > {today} AND expires_on <= {last} AND partnership_id IN ({{in}}))"
            ));
        }
        if let Some(manufacturer) = counted.safety_reports_of {
            let m = param(&mut fixed, manufacturer);
            terms.push(format!(
                "(SELECT COUNT(*) FROM safety_reports WHERE manufacturer_id = {m} AND pending = 1 AND partnership_id IN ({{in}}))"
            ));
        }
        if let Some(last) = counted.invoices_due_by {
            let last = param(&mut fixed, last.as_str().to_string());
            terms.push(format!(
                "(SELECT COUNT(*) FROM invoices WHERE due_on <= {last} AND price_cents > paid_cents + credited_cents AND partnership_id IN ({{in}}))"
            ));
        }
        if let Some(stale) = counted.claims_stale_by {
            let stale = param(&mut fixed, stale.as_str().to_string());
            terms.push(format!(
                "(SELECT COUNT(*) FROM claims WHERE (status = 'denied' OR (status IN ('submitted', 'appealed') AND last_on <= {stale})) AND partnership_id IN ({{in}}))"
            ));
        }
        if terms.is_empty() {
            return Ok(0);
        }
        let k = fixed.len();
        let sql = format!("SELECT CAST({} AS BIGINT)", terms.join(" + "))
            .replace("{in}", &placeholders(k + 1, scope.partnerships.len()));
        let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
        for v in fixed {
            q = q.bind(v);
        }
        for id in scope.partnerships {
            q = q.bind(id.as_str());
        }
        Ok(q.fetch_one(&self.reader).await?.0)
    }

    /// The pseudonyms of these cases, by id.
    pub async fn case_pseudonyms(
        &self,
        case_ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = self
            .inbox_rows(
                "SELECT id, pseudonym FROM cases WHERE id IN ({in}) LIMIT {limit} OFFSET {offset}",
                Vec::new(),
                case_ids,
                Page::all(),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// How far each of these ledgers' records have gone (the sequence number of its newest
    /// event not about a patient's path, migration 0038): what a result judged from the
    /// records alone is kept by, unmoved by the cases' steps.
    pub async fn ledger_records_seqs(
        &self,
        ledger_ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        self.inbox_rows(
            "SELECT ledger_id, records_seq FROM ledger_heads WHERE ledger_id IN ({in}) ORDER BY ledger_id LIMIT {limit} OFFSET {offset}",
            Vec::new(),
            ledger_ids,
            Page::all(),
        )
        .await
    }

    /// Every case's id, for writing the open steps again.
    pub async fn case_ids(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM cases ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Replace a case's open steps outside any command (the reindex after a replay): the
    /// case's rows as `steps` say, each with when it opened, in one transaction.
    pub async fn replace_open_steps_since(
        &self,
        case_id: &str,
        steps: &[(OpenStep, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        crate::write::write_open_steps_since(&mut tx, case_id, steps).await?;
        tx.commit().await?;
        Ok(())
    }
}
