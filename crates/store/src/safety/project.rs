//! Safety reports' projector (migration 0025). A case's `case.adverse_event_recorded` writes
//! its report (version 1) with the case's partnership, site, program and pseudonym and the
//! partnership's manufacturer; each later event of that adverse event folds into the report's
//! body with the domain's `AdverseEvent::apply` — the same fold as the case's — and raises its
//! version, so a report acknowledged before is pending again. `safety_report.acknowledged`
//! sets who acknowledged which version and when. Run from the cases' projector for the case
//! events, in the event's transaction.

use crate::StoreError;
use crate::project::{Bind, execute, invalid, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::cases::{AdverseEventOutcome, CaseEvent};
use cellpath_domain::events::safety::{SafetyReportAcknowledged, report_id};
use cellpath_domain::journey::AdverseEvent;
use cellpath_ledger::Event;
use sqlx::{Any, AssertSqlSafe, Transaction};

fn outcome(ae: &AdverseEvent) -> &'static str {
    match ae.outcome.as_ref().map(|o| &o.outcome) {
        None | Some(AdverseEventOutcome::Ongoing) => "ongoing",
        Some(AdverseEventOutcome::Resolved { .. }) => "resolved",
        Some(AdverseEventOutcome::Fatal { .. }) => "fatal",
    }
}

fn body(event: &Event, ae: &AdverseEvent) -> Result<String, StoreError> {
    serde_json::to_string(ae).map_err(|e| invalid(event, format!("its report: {e}")))
}

/// The report of a case event that opens or changes an adverse event; others pass.
pub(crate) async fn from_case(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    case_event: &CaseEvent,
) -> Result<(), StoreError> {
    let at = event.recorded_at;
    let number = match case_event {
        CaseEvent::AdverseEventRecorded(e) => {
            let ae = AdverseEvent::opened(e);
            execute(
                tx,
                "INSERT INTO safety_reports (id, case_id, adverse_event, partnership_id, manufacturer_id, site_id, program_id, pseudonym, kind, onset_at, grade, outcome, body, acknowledged_version, acknowledged_by, acknowledged_by_name, acknowledged_at, pending, version, created_at, updated_at) SELECT $1, c.id, $3, c.partnership_id, p.manufacturer_id, c.site_id, c.program_id, c.pseudonym, $4, $5, $6, $7, $8, 0, '', '', NULL, 1, 1, $9, $9 FROM cases c JOIN partnerships p ON p.id = c.partnership_id WHERE c.id = $2",
                vec![
                    Bind::Text(report_id(&e.case_id, e.adverse_event)),
                    Bind::Text(e.case_id.clone()),
                    Bind::Int(i64::from(e.adverse_event)),
                    Bind::Text(e.kind.as_str().into()),
                    Bind::Int(e.onset_at),
                    Bind::Int(i64::from(ae.grade())),
                    Bind::Text(outcome(&ae).into()),
                    Bind::Text(body(event, &ae)?),
                    Bind::Int(at),
                ],
            )
            .await?;
            return Ok(());
        }
        CaseEvent::AdverseEventObserved(e) => e.adverse_event,
        CaseEvent::AdverseEventTreated(e) => e.adverse_event,
        CaseEvent::AdverseEventOutcome(e) => e.adverse_event,
        _ => return Ok(()),
    };
    let id = report_id(case_event.case_id(), number);
    let found: Option<(String, i64)> = sqlx::query_as(AssertSqlSafe(
        "SELECT body, version FROM safety_reports WHERE id = $1",
    ))
    .bind(&id)
    .fetch_optional(&mut **tx)
    .await?;
    let (text, version) = found.ok_or_else(|| StoreError::NotFound {
        kind: "safety report",
        id: id.clone(),
    })?;
    let mut ae: AdverseEvent = serde_json::from_str(&text)
        .map_err(|e| invalid(event, format!("the report {id} does not read: {e}")))?;
    ae.apply(case_event);
    execute(
        tx,
        "UPDATE safety_reports SET grade = $2, outcome = $3, body = $4, version = $5, pending = CASE WHEN acknowledged_version < $5 THEN 1 ELSE 0 END, updated_at = $6 WHERE id = $1",
        vec![
            Bind::Text(id),
            Bind::Int(i64::from(ae.grade())),
            Bind::Text(outcome(&ae).into()),
            Bind::Text(body(event, &ae)?),
            Bind::Int(version + 1),
            Bind::Int(at),
        ],
    )
    .await?;
    Ok(())
}

/// `safety_report.acknowledged`; `false` for any other event.
pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    if event.kind != SafetyReportAcknowledged::KIND {
        return Ok(false);
    }
    let a: SafetyReportAcknowledged = typed(event)?;
    // An acknowledgement names a version the report has reached; a later one never goes back
    // to an earlier version.
    let n = execute(
        tx,
        "UPDATE safety_reports SET acknowledged_version = $2, acknowledged_by = $3, acknowledged_by_name = $4, acknowledged_at = $5, pending = CASE WHEN version > $2 THEN 1 ELSE 0 END WHERE id = $1 AND case_id = $6 AND adverse_event = $7 AND version >= $2 AND acknowledged_version < $2",
        vec![
            Bind::Text(a.id.clone()),
            Bind::Int(a.version),
            Bind::Text(a.by.user_id),
            Bind::Text(a.by.name),
            Bind::Int(event.recorded_at),
            Bind::Text(a.case_id),
            Bind::Int(i64::from(a.adverse_event)),
        ],
    )
    .await?;
    if n == 0 {
        // Another acknowledgement of this version was written first (or the report is not
        // there): a conflict for the one who came second.
        let current: Option<(i64,)> = sqlx::query_as(AssertSqlSafe(
            "SELECT version FROM safety_reports WHERE id = $1",
        ))
        .bind(&a.id)
        .fetch_optional(&mut **tx)
        .await?;
        return Err(match current {
            Some((current,)) => StoreError::Conflict {
                kind: "safety report",
                id: a.id,
                current,
            },
            None => StoreError::NotFound {
                kind: "safety report",
                id: a.id,
            },
        });
    }
    Ok(true)
}
