//! What the vein-to-vein figures read (migration 0027): each case's milestones on its row —
//! set by the cases' projector from the domain's `figures::milestone`, the first of each kept —
//! and, for a list of partnerships, one indexed query for the cases the window holds and one
//! for their bookings.

use crate::project::{Bind, execute};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::events::cases::{CaseEvent, CaseState};
use cellpath_domain::figures::{Milestone, milestone};
use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};

/// The column a milestone is kept in.
fn column(m: Milestone) -> &'static str {
    match m {
        Milestone::Collected => "collected_at",
        Milestone::Released => "released_at",
        Milestone::Infused => "infused_at",
    }
}

/// The `SET` clause a case event adds to its case's row, when it marks a milestone: the first
/// one stays.
pub(crate) fn milestone_set(event: &CaseEvent) -> Option<(String, i64)> {
    let (m, at) = milestone(event)?;
    let c = column(m);
    Some((format!("{c} = COALESCE({c}, $N)"), at))
}

/// Migration 0027: the milestones of the cases recorded before it, from their events in order.
pub(crate) async fn backfill_milestones(
    tx: &mut Transaction<'static, Any>,
) -> Result<(), StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT ledger_id, kind, body FROM events WHERE kind IN ('case.custody_recorded', 'case.step_recorded') ORDER BY ledger_id, seq",
    )
    .fetch_all(&mut **tx)
    .await?;
    for (ledger_id, kind, body) in rows {
        let event: cellpath_ledger::Event = serde_json::from_str(&body).map_err(|e| {
            StoreError::Invalid(format!(
                "an event of ledger {ledger_id} is not an event: {e}"
            ))
        })?;
        let Some(Ok(case_event)) = CaseEvent::read(&kind, &event.payload) else {
            continue;
        };
        if let Some((set, at)) = milestone_set(&case_event) {
            execute(
                tx,
                &format!("UPDATE cases SET {} WHERE id = $1", set.replace("$N", "$2")),
                vec![Bind::Text(case_event.case_id().to_string()), Bind::Int(at)],
            )
            .await?;
        }
    }
    Ok(())
}

/// A case as the figures read it: where and whose, its state and milestones (microseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFigureRow {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub pseudonym: String,
    pub status: CaseState,
    pub opened_at: i64,
    pub collected_at: Option<i64>,
    pub released_at: Option<i64>,
    pub infused_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for CaseFigureRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(CaseFigureRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            pseudonym: r.try_get("pseudonym")?,
            status: crate::decode::word(r, "status")?,
            opened_at: r.try_get("opened_at")?,
            collected_at: r.try_get("collected_at")?,
            released_at: r.try_get("released_at")?,
            infused_at: r.try_get("infused_at")?,
        })
    }
}

/// A booking as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFigureRow {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub status: BookingStatus,
    pub requested_at: i64,
    /// None until confirmed.
    pub apheresis_on: Option<Date>,
}

/// Which cases: a set of partnerships, and optionally one site and one program of them.
#[derive(Debug, Clone, Default)]
pub struct FigureScope<'a> {
    pub partnerships: &'a [String],
    pub site: Option<&'a str>,
    pub program: Option<&'a str>,
}

impl FigureScope<'_> {
    /// `AND …` for the site and program, and the partnerships' `IN (…)`, numbered from `first`;
    /// the values to bind in that order.
    fn filter(&self, first: usize) -> (String, Vec<String>) {
        let mut binds: Vec<String> = Vec::new();
        let mut sql = String::new();
        for (col, v) in [("site_id", self.site), ("program_id", self.program)] {
            if let Some(v) = v {
                binds.push(v.to_string());
                sql.push_str(&format!(" AND {col} = ${}", first + binds.len() - 1));
            }
        }
        let named: Vec<String> = self
            .partnerships
            .iter()
            .map(|p| {
                binds.push(p.clone());
                format!("${}", first + binds.len() - 1)
            })
            .collect();
        sql.push_str(&format!(" AND partnership_id IN ({})", named.join(", ")));
        (sql, binds)
    }
}

impl Store {
    /// The scope's cases that are open and not yet infused, or were infused — or, not infused,
    /// last changed — at or after `since` (microseconds): what a year's figures rest on, never
    /// the whole history.
    pub async fn case_figures(
        &self,
        scope: &FigureScope<'_>,
        since: i64,
    ) -> Result<Vec<CaseFigureRow>, StoreError> {
        if scope.partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let (filter, binds) = scope.filter(2);
        let sql = format!(
            "SELECT id, partnership_id, site_id, program_id, pseudonym, status, opened_at, collected_at, released_at, infused_at FROM cases WHERE (infused_at >= $1 OR (infused_at IS NULL AND (status IN ('active', 'on_hold') OR updated_at >= $1))){filter} ORDER BY opened_at, id"
        );
        // Only placeholders are formatted in; the values are bound.
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(since);
        for b in binds {
            q = q.bind(b);
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// The scope's bookings still waiting (requested or waitlisted) and those confirmed whose
    /// request came at or after `since`.
    pub async fn booking_figures(
        &self,
        scope: &FigureScope<'_>,
        since: i64,
    ) -> Result<Vec<BookingFigureRow>, StoreError> {
        if scope.partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let (filter, binds) = scope.filter(2);
        let sql = format!(
            "SELECT partnership_id, site_id, program_id, status, created_at, apheresis_on FROM bookings WHERE (status IN ('requested', 'waitlisted') OR (status = 'confirmed' AND created_at >= $1)){filter}"
        );
        let mut q = sqlx::query_as::<_, (String, String, String, String, i64, String)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(since);
        for b in binds {
            q = q.bind(b);
        }
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Invalid(format!("a booking's {what} does not fit: {e}"))
        };
        q.fetch_all(&self.reader)
            .await?
            .into_iter()
            .map(
                |(partnership_id, site_id, program_id, status, requested_at, apheresis_on)| {
                    Ok(BookingFigureRow {
                        partnership_id,
                        site_id,
                        program_id,
                        status: status.parse().map_err(|e| bad("status", &e))?,
                        requested_at,
                        apheresis_on: match apheresis_on.as_str() {
                            "" => None,
                            day => Some(Date::parse(day).map_err(|e| bad("apheresis day", &e))?),
                        },
                    })
                },
            )
            .collect()
    }
}
