//! A partnership's payment terms (`/partnerships/{id}/payment-terms`): per program, every dated
//! set of terms the manufacturer proposed, newest first, the one in force today marked — the
//! price in dollars, the basis, net days, backstop, denial protection, the credit for a product
//! never infused and the outcomes refund, all in words — and, for the manufacturer's money
//! roles while the partnership is active, the form that proposes new terms (each problem beside
//! its field; nothing is written while one is wrong).

use super::{
    basis_words, denial_words, in_force_badge, money, net_words, not_infused_words, refund_words,
};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field};
use crate::layout::notice;
use crate::pages::{NoticeQuery, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::finance::terms::NewTerms;
use cellpath_app::{AppError, FieldError};
use cellpath_domain::finance::{OutcomesRefund, TermsInput};
use maud::html;

/// The app's field names for the terms, and the form's.
fn form_field(app_field: &str) -> &str {
    match app_field {
        "terms.price_cents" => "price",
        "terms.refund.percent" => "refund_percent",
        "terms.refund.window_days" => "refund_window_days",
        other => other.strip_prefix("terms.").unwrap_or(other),
    }
}

/// Dollars as typed ("475,000", "$475000.50") in cents, or what is wrong.
pub fn cents_of(text: &str) -> Result<i64, String> {
    let t = text.trim().trim_start_matches('$').replace([',', ' '], "");
    if t.is_empty() {
        return Err("give an amount in dollars, e.g. 475,000.00".into());
    }
    let bad = || {
        format!(
            "'{}' is not an amount in dollars, e.g. 475,000.00",
            text.trim()
        )
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(if whole < 0 { -frac } else { frac }))
        .ok_or_else(bad)
}

/// A whole number as typed, a blank as `None`, or what is wrong.
fn whole(text: &str) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| format!("'{t}' is not a whole number"))
}

/// The form as the app's input, or the messages beside the fields it could not read.
fn read(form: &FormData) -> Result<NewTerms, FormErrors> {
    let mut errors = FormErrors::default();
    let mut num = |name: &str| match whole(form.get(name)) {
        Ok(v) => v,
        Err(m) => {
            errors.field(name, m);
            None
        }
    };
    let net_days = num("net_days");
    let backstop_days = num("backstop_days");
    let denial = num("denial_protection_percent");
    let not_infused = num("not_infused_credit_percent");
    let refund_percent = num("refund_percent");
    let refund_window = num("refund_window_days");
    let price = match cents_of(form.get("price")) {
        Ok(c) => Some(c),
        Err(m) => {
            errors.field("price", m);
            None
        }
    };
    if net_days.is_none() && !errors.has_field("net_days") {
        errors.field(
            "net_days",
            "give the days from the basis event to the due date (0–365)",
        );
    }
    let refund = match (refund_percent, refund_window) {
        (None, None) => None,
        (Some(percent), Some(window_days)) => Some(OutcomesRefund {
            percent,
            window_days,
        }),
        (Some(_), None) => {
            errors.field(
                "refund_window_days",
                "a refund needs its window: the days after the infusion within which a non-response is refunded",
            );
            None
        }
        (None, Some(_)) => {
            errors.field(
                "refund_percent",
                "a refund needs its share of the price, in percent",
            );
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewTerms {
        program_id: form.get("program_id").trim().to_string(),
        terms: TermsInput {
            effective_on: form.get("effective_on").trim().to_string(),
            price_cents: price.expect("checked"),
            basis: form.get("basis").trim().to_string(),
            backstop_days,
            net_days: net_days.expect("checked"),
            denial_protection_percent: denial.unwrap_or(0),
            not_infused_credit_percent: not_infused.unwrap_or(0),
            refund,
        },
    })
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let values = FormData::from_pairs([
        ("basis", "infusion"),
        ("net_days", "30"),
        ("denial_protection_percent", "0"),
        ("not_infused_credit_percent", "100"),
    ]);
    render(
        &ctx,
        &id,
        &values,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn propose(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let input = match read(&form) {
        Ok(i) => i,
        Err(errors) => {
            // Still ask the app, so a person who may not propose gets 403/404 and not a form.
            ctx.app.payment_terms(ctx.caller(), &id).await.and_then(|t| {
                if t.may_propose {
                    Ok(())
                } else {
                    Err(AppError::Forbidden(
                        "payment terms are proposed by the manufacturer's admins, contracts and finance people while the partnership is active".into(),
                    ))
                }
            })?;
            return render(&ctx, &id, &form, &errors, None, errors.status()).await;
        }
    };
    match ctx
        .app
        .propose_payment_terms(ctx.caller(), &id, input, None)
        .await
    {
        Ok(_) => Ok(notice_redirect(&paths::payment_terms(&id), "saved")),
        Err(AppError::Invalid(fields)) => {
            let fields = fields
                .into_iter()
                .map(|f| FieldError {
                    message: if f.field == "terms.price_cents" {
                        "must be more than $0.00".into()
                    } else {
                        f.message
                    },
                    field: form_field(&f.field).to_string(),
                })
                .collect();
            let errors = FormErrors::from_app(AppError::Invalid(fields))?;
            render(&ctx, &id, &form, &errors, None, errors.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let seen = ctx.app.payment_terms(ctx.caller(), id).await?;
    let programs = ctx.app.partnership_programs(ctx.caller(), id).await?;
    let view = FormView::new(values, errors, "terms");
    let program_options: Vec<(String, String)> = programs
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let bases = [
        ("infusion", "At infusion"),
        ("shipment", "At shipment"),
        ("reimbursement", "After the payer pays (with a backstop)"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let content = html! {
        header.page-head {
            p.breadcrumb {
                a href=(paths::finance()) { "Finance" } " · "
                a href=(paths::partnership(&seen.partnership_id)) { (seen.partnership_name) }
            }
            h1 { "Payment terms" }
            p.subtitle {
                "What " (seen.partnership_name) " agreed for each program: the latest terms effective on a day apply to the cases invoiced from that day. "
                a href=(paths::invoices(&seen.partnership_id, None)) { "Invoices" }
            }
        }
        (notice(notice_code))
        @if programs.is_empty() {
            p.empty { "This partnership names no program yet." }
        }
        @for program in &programs {
            @let versions: Vec<_> = seen.terms.iter().rev().filter(|t| t.program_id == program.id).collect();
            section.panel.program-terms data-program=(program.id) {
                h2 { (program.name) }
                @if versions.is_empty() {
                    p.empty { "No payment terms yet." }
                } @else {
                    table.list.terms-table {
                        thead { tr {
                            th { "From" } th { "Price" } th { "Invoice and basis" } th { "Due" }
                            th { "Denial protection" } th { "Never infused" } th { "Outcomes refund" }
                        } }
                        tbody {
                            @for v in &versions {
                                tr.in-force[v.in_force] data-terms=(v.id) {
                                    td { (v.terms.effective_on.words()) " " (in_force_badge(v.in_force)) }
                                    td { (money(v.terms.price_cents)) }
                                    td { (basis_words(&v.terms)) }
                                    td { (net_words(&v.terms)) }
                                    td { (denial_words(&v.terms)) }
                                    td { (not_infused_words(&v.terms)) }
                                    td { (refund_words(&v.terms)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if seen.may_propose && !programs.is_empty() {
            section.panel #propose-terms-panel {
                h2 { "Propose new terms" }
                p.hint { "New terms apply from their day on, to cases invoiced from then; earlier terms stay on the record." }
                (view.summary(&["program_id", "effective_on", "price", "basis", "backstop_days", "net_days", "denial_protection_percent", "not_infused_credit_percent", "refund_percent", "refund_window_days"]))
                form #terms-form method="post" action={ (paths::payment_terms(id)) "#propose-terms-panel" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (view.select("Program", "program_id", &program_options))
                    (view.input("Effective from", "effective_on", Input::Date, Some("The first day these terms apply.")))
                    (view.input("Price (US dollars)", "price", Input::Text, Some("One patient's product, e.g. 475,000.00.")))
                    (view.select("Invoice and basis", "basis", &bases))
                    (view.input("Backstop (days after the infusion)", "backstop_days", Input::Number, Some("Only for \"after the payer pays\": the latest day from which the net days run when the payer has not paid. Leave blank otherwise.")))
                    (view.input("Net days", "net_days", Input::Number, Some("Days from the basis event to the due date (0–365).")))
                    (view.input("Denial protection (% of the price)", "denial_protection_percent", Input::Number, Some("Credited when the claim is finally unpaid.")))
                    (view.input("Credit for a product never infused (% of the price)", "not_infused_credit_percent", Input::Number, None))
                    fieldset.field {
                        legend { "Outcomes-based refund (optional)" }
                        (view.input("Refund (% of the price)", "refund_percent", Input::Number, None))
                        (view.input("Window (days after the infusion)", "refund_window_days", Input::Number, None))
                    }
                    button.primary type="submit" { "Propose these terms" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Payment terms", content))
}
