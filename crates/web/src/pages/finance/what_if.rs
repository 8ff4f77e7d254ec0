//! The what-if (`/finance/what-if`), for a health system's money roles: a cash-flow scenario
//! pre-filled from its own history (the app's `what_if_start`: programs under the terms in
//! force, patients a month, the not-infused share, the payer mix), edited as a form and run by
//! the planning crate's model (at most `WEB_MAX_RUNS` runs, off the async threads). The
//! answer is a forecast and says so: the fan chart of exposure by day, the distribution of
//! the peak, the margin per patient of each program, the chance the peak passes the cap, and
//! the aligned terms beside the current ones. A bad value comes back beside its field, named
//! by the scenario's own checks.

use super::money;
use crate::charts::cashflow::{dollars, fan, peaks};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::finance::what_if::{
    Basis, Report, Scenario, WEB_MAX_RUNS, WhatIfStart, scenario_fields, scenario_from_fields,
};
use maud::{Markup, html};

fn basis_words(b: Basis) -> &'static str {
    match b {
        Basis::Shipment => "at shipment",
        Basis::Infusion => "at infusion",
        Basis::Reimbursement => "after the payer pays",
    }
}

fn terms_words(b: Basis, net_days: u32) -> String {
    format!("net {net_days} days {}", basis_words(b))
}

/// Row numbers of `program[N].…` or `payer[N].…` fields in the form, in order.
fn rows_of(table: &str, pairs: &[(String, String)]) -> Vec<usize> {
    let prefix = format!("{table}[");
    let mut out: Vec<usize> = pairs
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split(']').next()?.parse().ok())
        .filter(|n: &usize| *n < 100)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

pub async fn show(ctx: Ctx) -> Result<Response, WebError> {
    let start = ctx.app.what_if_start(ctx.caller()).await?;
    let pairs = match &start.scenario {
        Some(s) => scenario_fields(s),
        None => blank_fields(),
    };
    render(
        &ctx,
        &start,
        &pairs,
        &FormErrors::default(),
        None,
        StatusCode::OK,
    )
}

/// A form with one empty program and the default payers, for a health system with no program.
fn blank_fields() -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("seed", "7"),
        ("runs", "2000"),
        ("horizon_days", "730"),
        ("cap", "6000000"),
        ("align", ""),
        ("program[0].id", ""),
        ("program[0].price", ""),
        ("program[0].patients_per_month", ""),
        ("program[0].terms.basis", "infusion"),
        ("program[0].terms.net_days", "30"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (i, p) in cellpath_app::finance::what_if::default_payers()
        .iter()
        .enumerate()
    {
        let k = |n: &str| format!("payer[{i}].{n}");
        f.extend([
            (k("name"), p.name.clone()),
            (k("share"), p.share.to_string()),
            (k("paid_fixed"), p.paid_fixed.to_string()),
            (k("paid_fraction"), p.paid_fraction.to_string()),
            (k("lag_median_days"), p.lag.median_days.to_string()),
            (k("lag_p90_days"), p.lag.p90_days.to_string()),
            (k("denial_rate"), p.denial_rate.to_string()),
            (k("appeal_success_rate"), p.appeal_success_rate.to_string()),
            (k("appeal_median_days"), p.appeal.median_days.to_string()),
            (k("appeal_p90_days"), p.appeal.p90_days.to_string()),
        ]);
    }
    f
}

pub async fn run(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let start = ctx.app.what_if_start(ctx.caller()).await?;
    let pairs: Vec<(String, String)> = form.pairs().to_vec();
    let scenario = match scenario_from_fields(&pairs) {
        Ok(s) => s,
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            return render(&ctx, &start, &pairs, &errors, None, errors.status());
        }
    };
    match ctx.app.run_what_if(ctx.caller(), scenario.clone()).await {
        Ok(report) => render(
            &ctx,
            &start,
            &pairs,
            &FormErrors::default(),
            Some((&scenario, &report)),
            StatusCode::OK,
        ),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render(&ctx, &start, &pairs, &errors, None, errors.status())
        }
    }
}

fn observed(start: &WhatIfStart) -> Markup {
    html! {
        section.panel #observed {
            h2 { "What your history shows" }
            p.hint {
                "From " (start.health_system) "'s cases of the last " (start.window_days) " days, under the terms in force on " (start.today.words()) ". "
                @if start.claims == 0 {
                    "No claims are on record yet, so the payer mix below starts from published figures (Medicare's MS-DRG 018 for FY2026 and 2022 denial rates): edit it to yours."
                } @else {
                    "The payer mix comes from " (start.claims) " claims on record."
                }
            }
            @if start.programs.is_empty() {
                p.empty { "No active partnership names a program yet: describe one below to try the model." }
            } @else {
                table.list #observed-programs {
                    thead { tr { th { "Program" } th { "Manufacturer" } th { "Cases opened" } th { "Released to you" } th { "Never infused" } th { "Price" } th { "Terms in force" } } }
                    tbody {
                        @for p in &start.programs {
                            tr {
                                td { (p.name) }
                                td { (p.manufacturer) }
                                td { (p.cases) }
                                td { (p.released) }
                                td { (p.not_infused) }
                                td { @match p.price_cents { Some(c) => (money(c)), None => span.muted { "No price on record" } } }
                                td {
                                    @match &p.terms {
                                        Some(t) => { (super::basis_words(t)) ", " (super::net_words(t)) }
                                        None => span.muted { "None proposed: net 30 days at infusion assumed" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn form(ctx: &Ctx, pairs: &[(String, String)], errors: &FormErrors) -> Markup {
    let values = FormData::from_pairs(pairs.iter().cloned());
    let view = FormView::new(&values, errors, "what-if");
    let programs = rows_of("program", pairs);
    let mut payers = rows_of("payer", pairs);
    // One empty row to add a payer.
    payers.push(payers.last().map_or(0, |n| n + 1));
    let align_options: Vec<(String, String)> = std::iter::once((String::new(), "None".to_string()))
        .chain(programs.iter().filter_map(|i| {
            let id = values.get(&format!("program[{i}].id"));
            (!id.is_empty()).then(|| (id.to_string(), id.to_string()))
        }))
        .collect();
    let bases: Vec<(String, String)> = [
        ("infusion", "At infusion"),
        ("shipment", "At shipment"),
        ("reimbursement", "After the payer pays (with a backstop)"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut shown: Vec<String> = ["seed", "runs", "horizon_days", "cap", "align"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    shown.extend(pairs.iter().map(|(k, _)| k.clone()));
    for i in &payers {
        for k in [
            "name",
            "share",
            "paid_fixed",
            "paid_fraction",
            "lag_median_days",
            "lag_p90_days",
            "denial_rate",
            "appeal_success_rate",
            "appeal_median_days",
            "appeal_p90_days",
        ] {
            shown.push(format!("payer[{i}].{k}"));
        }
    }
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    html! {
        section.panel #what-if-form-panel {
            h2 { "Scenario" }
            (view.summary(&shown))
            form.what-if-form #what-if-form method="post" action={ (paths::what_if()) "#results" } novalidate {
                (csrf_field(ctx.csrf()))
                fieldset {
                    legend { "The run" }
                    (view.input("Exposure cap (US dollars)", "cap", Input::Text, Some("The most you can carry at once across every program and manufacturer.")))
                    (view.select("Program whose terms to align", "align", &align_options))
                    (view.input("Days ahead", "horizon_days", Input::Number, Some("How far the forecast reaches, e.g. 730 for two years.")))
                    (view.input("Runs", "runs", Input::Number, Some(&format!("More runs, steadier figures; at most {WEB_MAX_RUNS} here."))))
                    (view.input("Seed", "seed", Input::Number, Some("The same seed gives the same figures.")))
                }
                @for i in &programs {
                    @let k = |n: &str| format!("program[{i}].{n}");
                    fieldset.what-if-program data-row=(i) {
                        legend { "Program: " (values.get(&k("id"))) }
                        (view.input("Name", &k("id"), Input::Text, None))
                        (view.input("Price (US dollars)", &k("price"), Input::Text, None))
                        (view.input("Patients a month", &k("patients_per_month"), Input::Text, None))
                        (view.select("Invoice and basis", &k("terms.basis"), &bases))
                        (view.input("Net days", &k("terms.net_days"), Input::Number, None))
                        (view.input("Backstop (days after the infusion)", &k("terms.backstop_days"), Input::Text, Some("Used when the basis is \"after the payer pays\".")))
                        (view.input("Shipment before infusion (days)", &k("terms.ship_lead_days"), Input::Text, None))
                        (view.input("Denial protection (share of the price, 0–1)", &k("terms.denial_protection_fraction"), Input::Text, None))
                        (view.input("Never infused (share of patients, 0–1)", &k("not_infused_rate"), Input::Text, None))
                        (view.input("Credit for a product never infused (share of the price, 0–1)", &k("not_infused_credit_fraction"), Input::Text, None))
                        (view.input("Infusion to claim (days)", &k("claim_submit_days"), Input::Text, None))
                        (view.input("Outcomes refund: patients who do not respond (0–1)", &k("rebate.nonresponse_rate"), Input::Text, Some("Leave the three refund fields blank for no refund.")))
                        (view.input("Outcomes refund (share of the price, 0–1)", &k("rebate.rebate_fraction"), Input::Text, None))
                        (view.input("Outcomes refund window (days)", &k("rebate.rebate_window_days"), Input::Text, None))
                    }
                }
                fieldset #what-if-payers {
                    legend { "Payer mix (shared by every program)" }
                    div.table-scroll { table.list {
                        thead { tr {
                            th { "Payer" } th { "Share (0–1)" } th { "Pays, fixed ($)" } th { "Pays, share of price" }
                            th { "Days to pay: median" } th { "P90" } th { "Denied (0–1)" } th { "Appeals won (0–1)" }
                            th { "Appeal days: median" } th { "P90" }
                        } }
                        tbody {
                            @for i in &payers {
                                tr data-row=(i) {
                                    @for (key, label) in [("name", "Payer"), ("share", "Share"), ("paid_fixed", "Pays, fixed"), ("paid_fraction", "Pays, share of price"), ("lag_median_days", "Days to pay, median"), ("lag_p90_days", "Days to pay, P90"), ("denial_rate", "Denied"), ("appeal_success_rate", "Appeals won"), ("appeal_median_days", "Appeal days, median"), ("appeal_p90_days", "Appeal days, P90")] {
                                        @let name = format!("payer[{i}].{key}");
                                        td.has-error[errors.has_field(&name)] {
                                            input type="text" name=(name) value=(values.get(&name))
                                                aria-label={ (label) " of payer " (i + 1) }
                                                aria-invalid=[errors.has_field(&name).then_some("true")];
                                            (view.field_errors(&name))
                                        }
                                    }
                                }
                            }
                        }
                    } }
                    p.hint { "Leave a row blank to drop it; fill the empty row to add a payer. The shares must sum to 1." }
                }
                button.primary type="submit" { "Run the forecast" }
            }
        }
    }
}

fn results(start: &WhatIfStart, scenario: &Scenario, r: &Report) -> Markup {
    let aligned = &r.aligned_terms;
    let aligned_program = aligned
        .program
        .as_ref()
        .and_then(|id| scenario.programs.iter().find(|p| &p.id == id));
    html! {
        section.panel #results {
            h2 { "Forecast" }
            p.forecast-note.callout role="note" {
                "This is a forecast, not a record: " (r.runs) " simulated runs of " (r.horizon_days)
                " days from " (start.today.words()) ", drawn from the scenario above. Real payers and patients will differ."
            }
            dl.facts {
                div { dt { "Peak exposure, P50" } dd #peak-p50 { (dollars(r.peak_exposure.p50)) } }
                div { dt { "Peak exposure, P95" } dd #peak-p95 { (dollars(r.peak_exposure.p95)) } }
                div { dt { "Cap" } dd { (dollars(r.cap)) } }
                div { dt { "Chance the peak passes the cap" } dd #p-over-cap { (format!("{:.1} %", r.p_peak_over_cap * 100.0)) } }
            }
            (fan(&start.today, &r.exposure_by_day.p5, &r.exposure_by_day.p50, &r.exposure_by_day.p95, r.cap))
            (peaks(&r.peaks, r.peak_exposure.p50, r.peak_exposure.p95, r.cap))
            h3 { "Recommended terms" }
            @match aligned_program {
                None => p.hint #aligned-none { "Choose a program whose terms to align to see the terms that keep the P95 peak under the cap." },
                Some(p) => {
                    table.list.terms-side-by-side #aligned-terms {
                        thead { tr { th { (p.id) } th { "Now" } th { "Recommended" } } }
                        tbody {
                            tr {
                                th { "Terms" }
                                td #terms-now { (terms_words(p.terms.basis, p.terms.net_days)) }
                                td #terms-recommended {
                                    @match aligned.net_days {
                                        Some(n) => { (terms_words(p.terms.basis, n)) }
                                        None => span.muted { "None: even net 365 days leaves the P95 peak above the cap — change the basis, another program's terms, or the cap." }
                                    }
                                }
                            }
                            tr {
                                th { "Peak exposure, P95" }
                                td { (dollars(r.peak_exposure.p95)) }
                                td { @match aligned.peak_p95 { Some(v) => (dollars(v)), None => "—" } }
                            }
                        }
                    }
                    @if aligned.net_days.is_some_and(|n| n <= p.terms.net_days) {
                        p.hint { "The current terms already keep the P95 peak within the cap; the recommended ones are the shortest that still do." }
                    }
                }
            }
            h3 { "Margin per patient" }
            table.list #margins {
                thead { tr { th { "Program" } th { "Terms" } th { "Patients simulated" } th { "Margin per patient" } } }
                tbody {
                    @for p in &scenario.programs {
                        @if let Some(res) = r.programs.get(&p.id) {
                            tr {
                                td { (p.id) }
                                td { (terms_words(res.basis, res.net_days)) }
                                td { (res.patients_simulated) }
                                td { (dollars(res.margin_per_patient)) }
                            }
                        }
                    }
                }
            }
            p.hint { "Margin per patient: what the payers and the manufacturer's credits and refunds bring in for a patient, minus the price paid for the product." }
        }
    }
}

fn render(
    ctx: &Ctx,
    start: &WhatIfStart,
    pairs: &[(String, String)],
    errors: &FormErrors,
    ran: Option<(&Scenario, &Report)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let content = html! {
        header.page-head {
            p.breadcrumb { a href=(paths::finance()) { "Finance" } }
            h1 { "What if? Exposure under payment terms" }
            p.subtitle { "A forecast of what " (start.health_system) " pays manufacturers before payers and credits pay it back, and the terms that keep it under the cap." }
        }
        (observed(start))
        (form(ctx, pairs, errors))
        @if let Some((s, r)) = ran { (results(start, s, r)) }
    };
    Ok(ctx.render_status(status, "What if?", content))
}
