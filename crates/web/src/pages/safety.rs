//! Safety reports for the manufacturer (issue 12, point 5): its safety and quality roles' list
//! of the adverse events of its partnerships' cases — those waiting for an acknowledgement
//! first, each with its grade in words ("CRS grade 3"), why (the inputs the grade comes from),
//! onset on the reader's clock, outcome and where its acknowledgement stands — and one report's
//! page: the adverse event whole and, for the safety role while the partnership is active, the
//! button that acknowledges the version shown. The case's page shows the site whether the
//! manufacturer acknowledged each of its adverse events (`adverse_events.rs`).

use super::facts;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, csrf_field, hidden};
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::safety::{ReportState, ReportsFilter, SafetyReportItem, SafetyReportView};
use cellpath_app::views::Page;
use maud::{Markup, html};
use serde::Deserialize;

/// How many reports a page of the list shows.
const PAGE: i64 = 50;

pub fn report_path(id: &str) -> String {
    format!("/safety-reports/{id}")
}

/// Where a report's acknowledgement stands, as a badge.
pub fn state_badge(state: &ReportState) -> Markup {
    if state.updated_since_acknowledged {
        badge("Updated since acknowledged", Tone::Waiting)
    } else if state.pending {
        badge("Not acknowledged", Tone::Bad)
    } else {
        badge("Acknowledged", Tone::Good)
    }
}

/// The acknowledgement in words, with when on the reader's clock.
pub fn state_words(state: &ReportState) -> Markup {
    html! {
        (state_badge(state)) " "
        @match &state.acknowledged {
            Some(a) if state.updated_since_acknowledged => {
                "version " (a.version) " acknowledged by " (a.by) " " (time_el(a.at))
                "; now at version " (state.version)
            }
            Some(a) => { "by " (a.by) " " (time_el(a.at)) }
            None => { "by the manufacturer's safety officer" }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<ReportsFilter>,
    offset: Option<i64>,
}

fn row(r: &SafetyReportItem) -> Markup {
    html! {
        tr data-report=(r.id) data-pending=(r.state.pending) {
            td { a.grade-text href=(report_path(&r.id)) { strong { (r.grade_text) } } " #" (r.adverse_event) }
            td { code { (r.pseudonym) } }
            td { (r.site_name) br; span.hint { (r.program_name) } }
            td { ul.plain { @for b in &r.because { li { (b) } } } }
            td { (time_el(r.onset_at)) }
            td { (r.outcome_text) }
            td { (state_words(&r.state)) }
        }
    }
}

/// `GET /safety-reports`: the caller's manufacturer's reports, the pending first.
pub async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> Result<Response, WebError> {
    let offset = q.offset.unwrap_or(0).max(0);
    let page = Page {
        limit: PAGE,
        offset,
    };
    let (reports, total) = ctx
        .app
        .safety_reports(ctx.caller(), None, q.status, page)
        .await?;
    let here = "/safety-reports";
    let tab = |label: &str, status: Option<ReportsFilter>, query: &str| {
        html! {
            @if q.status == status { strong { (label) } }
            @else { a href={ (here) (query) } { (label) } }
        }
    };
    let status_query = match q.status {
        None => "",
        Some(ReportsFilter::Pending) => "status=pending&",
        Some(ReportsFilter::Acknowledged) => "status=acknowledged&",
    };
    let content = html! {
        header.page-head {
            h1 { "Safety reports" }
            p.subtitle { "The adverse events of the cases under " (ctx.org.name) "'s partnerships, each under its case's pseudonym; those waiting for an acknowledgement first." }
        }
        p.tabs {
            (tab("All", None, "")) " · "
            (tab("To acknowledge", Some(ReportsFilter::Pending), "?status=pending")) " · "
            (tab("Acknowledged", Some(ReportsFilter::Acknowledged), "?status=acknowledged"))
        }
        @if reports.is_empty() {
            p.empty { @match q.status {
                Some(ReportsFilter::Pending) => "Every report is acknowledged.",
                Some(ReportsFilter::Acknowledged) => "No report is acknowledged yet.",
                None => "No adverse event has been reported.",
            } }
        } @else {
            p.hint { (total) " in all; " (offset + 1) "–" (offset + reports.len() as i64) " shown." }
            table.list #safety-reports {
                thead { tr {
                    th scope="col" { "Event" } th scope="col" { "Case" } th scope="col" { "Site" }
                    th scope="col" { "Why" } th scope="col" { "Onset" } th scope="col" { "Outcome" }
                    th scope="col" { "Acknowledgement" }
                } }
                tbody { @for r in &reports { (row(r)) } }
            }
            p.pager {
                @if offset > 0 {
                    a rel="prev" href={ (here) "?" (status_query) "offset=" ((offset - PAGE).max(0)) } { "Previous" } " "
                }
                @if offset + (reports.len() as i64) < total {
                    a rel="next" href={ (here) "?" (status_query) "offset=" (offset + PAGE) } { "Next" }
                }
            }
        }
    };
    Ok(ctx.render_status(StatusCode::OK, "Safety reports", content))
}

fn report_page(ctx: &Ctx, r: &SafetyReportView, errors: Option<&FormErrors>) -> Markup {
    let item = &r.item;
    html! {
        header.page-head {
            h1 { (item.grade_text) " — " code { (item.pseudonym) } }
            p.subtitle { "Safety report of adverse event #" (item.adverse_event) " at " (item.site_name) ", " (item.program_name) }
        }
        section.panel #report-state {
            h2 { "Acknowledgement" }
            p { (state_words(&item.state)) }
            @if let Some(errors) = errors {
                div.form-errors role="alert" {
                    ul { @for m in errors.form_messages() { li { (m) } } }
                }
            }
            @if r.may_acknowledge {
                form #acknowledge-form method="post" action={ (report_path(&item.id)) "/acknowledgement" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", item.state.version))
                    p.hint { "You acknowledge that you have read the report as it stands now (version " (item.state.version) "). A later change to the adverse event asks for a new acknowledgement." }
                    button.primary type="submit" { "Acknowledge version " (item.state.version) }
                }
            }
        }
        section.panel #report {
            h2 { "The adverse event" }
            (facts(&[
                ("Grade", html! { (item.grade_text) }),
                ("Why", html! { ul.plain { @for b in &item.because { li { (b) } } } }),
                ("Onset", time_el(item.onset_at)),
                ("Outcome", html! { (item.outcome_text) }),
                ("Case", html! { a href={ (paths::case(&item.case_id)) "#adverse-events" } { code { (item.pseudonym) } } }),
                ("Version", html! { (item.state.version) " · last changed " (time_el(item.updated_at)) }),
            ]))
            h3 { "Observations, treatment and outcome" }
            (super::adverse_events::table(std::slice::from_ref(&r.adverse_event_detail)))
            h3 { "Inputs of each observation" }
            ol.plain #report-inputs {
                @for o in &r.adverse_event_detail.observations {
                    li { (time_el(o.at)) " · grade " (o.grade) " · " (o.by)
                        ul.plain { @for b in &o.because { li { (b) } } } }
                }
            }
        }
    }
}

/// `GET /safety-reports/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response, WebError> {
    let report = ctx.app.safety_report(ctx.caller(), &id).await?;
    let content = report_page(&ctx, &report, None);
    Ok(ctx.render_status(StatusCode::OK, &report.item.grade_text, content))
}

/// `POST /safety-reports/{id}/acknowledgement`: the safety role acknowledges the version it
/// read; a report changed meanwhile (or already acknowledged) comes back with why (409).
pub async fn acknowledge(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = FormData::version(&form)?;
    let refused = match ctx
        .app
        .acknowledge_safety_report(ctx.caller(), &id, Some(version), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => return Ok(super::notice_redirect(&report_path(&id), "saved")),
        Err(AppError::State(m)) => m,
        Err(e @ AppError::Conflict { .. }) => format!(
            "{e}: the report changed since you read it; read it again below and acknowledge the version shown"
        ),
        Err(e) => return Err(e.into()),
    };
    let mut errors = FormErrors::default();
    errors.form(refused);
    errors.mark_conflict();
    let report = ctx.app.safety_report(ctx.caller(), &id).await?;
    let content = report_page(&ctx, &report, Some(&errors));
    Ok(ctx.render_status(errors.status(), &report.item.grade_text, content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_app::cases::{NewAdverseEvent, ObservationInput};
    use cellpath_domain::events::cases::AdverseEventKind;
    use cellpath_domain::toxicity::{CrsObservations, Oxygen};

    fn crs(at: &str, litres_per_minute: u16) -> ObservationInput {
        ObservationInput {
            at: at.into(),
            crs: Some(CrsObservations {
                temperature_tenths_c: Some(391),
                oxygen: Oxygen::NasalCannula { litres_per_minute },
                ..Default::default()
            }),
            icans: None,
        }
    }

    /// The safety officer's list and report, the acknowledgement from the report's page, the
    /// site's view of it on the case, a change afterwards asking for a new one; nobody else of
    /// either side is shown a report.
    #[tokio::test]
    async fn the_safety_officer_acknowledges_a_report_and_the_site_sees_it() {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let case = demo.app.stored_case(&site.id).await.unwrap().unwrap();
        demo.app.through_first_infusion(&case).await.unwrap();
        let at = crate::pages::adverse_events::tests::typed(demo.app.now());
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let nurse_caller = demo.caller("nurse@lakeshore.example").await;
        demo.app
            .record_adverse_event(
                &nurse_caller,
                &case,
                NewAdverseEvent {
                    kind: AdverseEventKind::Crs,
                    onset: at.clone(),
                    observations: vec![crs(&at, 7)],
                },
                None,
                None,
            )
            .await
            .unwrap();
        let id = format!("{case}-ae1");
        let report = super::report_path(&id);

        let mut safety = Browser::signed_in(&demo, "safety@helixa.example").await;
        let home = safety.get("/").await;
        home.assert_has(r#"id="nav-safety-reports""#);
        let list = safety.get("/safety-reports").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let row = list.row(&format!(r#"data-report="{id}""#));
        assert!(row.contains("CRS grade 3"), "{row}");
        assert!(row.contains("nasal cannula at 7 L/min: grade 3"), "{row}");
        assert!(row.contains("Not acknowledged"), "{row}");
        assert!(row.contains("<time"), "onset on the reader's clock: {row}");
        let shown = safety.get(&report).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        shown.assert_has("Acknowledge version 1");
        shown.assert_has(r#"id="report-inputs""#);
        let done = safety
            .submit(
                &report,
                "acknowledge-form",
                &format!("{report}/acknowledgement"),
                &[],
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.target(), report);
        let after = safety.get(&report).await;
        assert!(
            !after.body.contains("Acknowledge version"),
            "{}",
            after.body
        );
        after.assert_has("Acknowledged");
        let pending = safety.get("/safety-reports?status=pending").await;
        assert!(!pending.body.contains(&format!(r#"data-report="{id}""#)));

        // The site sees the acknowledgement beside its adverse event.
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        let case_page = nurse.get(&crate::paths::case(&case)).await;
        let ae = case_page.row(r#"data-adverse-event="1" data-grade"#);
        assert!(ae.contains("Acknowledged"), "{ae}");
        assert!(ae.contains("by "), "{ae}");
        assert!(!case_page.body.contains(r#"id="nav-safety-reports""#));

        // A later observation: the report asks for a new acknowledgement; the one posted
        // from the page read before is refused (409) with why.
        let stale_page = safety.get(&report).await;
        assert!(!stale_page.body.contains("acknowledge-form"));
        let later = crate::pages::adverse_events::tests::typed(demo.app.now());
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        demo.app
            .observe_adverse_event(&nurse_caller, &case, 1, crs(&later, 4), None, None)
            .await
            .unwrap();
        let changed = safety.get(&report).await;
        changed.assert_has("Updated since acknowledged");
        changed.assert_has("Acknowledge version 2");
        let csrf = changed.field("csrf");
        let stale = safety
            .post(
                &format!("{report}/acknowledgement"),
                &[("csrf", &csrf), ("version", "1")],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
        stale.assert_has("changed since you read it");
        let case_page = nurse.get(&crate::paths::case(&case)).await;
        assert!(
            case_page
                .row(r#"data-adverse-event="1" data-grade"#)
                .contains("Updated since acknowledged")
        );

        // Quality reads it, without the button; nobody else of either side sees it.
        let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
        let read = quality.get(&report).await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(!read.body.contains("acknowledge-form"));
        for email in [
            "patient.ops@helixa.example",
            "safety@northbridge.example",
            "physician@lakeshore.example",
            "quality@lakeshore.example",
        ] {
            let mut other = Browser::signed_in(&demo, email).await;
            let got = other.get(&report).await;
            assert_eq!(got.status, StatusCode::NOT_FOUND, "{email}: {}", got.body);
            let list = other.get("/safety-reports").await;
            assert!(
                !list.body.contains(&format!(r#"data-report="{id}""#)),
                "{email}"
            );
        }
    }
}
