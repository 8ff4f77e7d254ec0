//! The case's money (issue 14, point 2), for its health system's admins and finance people
//! only (`App::case_money`; nobody else sees the section): the manufacturer's invoice (or why
//! there is none), the claim to the payer with each step on its day, and the forms to submit
//! the claim and record what the payer answered — one form route, `POST /cases/{id}/claims`.

use super::Typed;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::pages::notice_redirect;
use crate::pages::programs::facts_form::parse_dollars;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::cases::CaseView;
use cellpath_app::finance::claims::{CaseMoney, ClaimView, NewClaim, NewClaimStep};
use cellpath_domain::Date;
use cellpath_domain::events::cases::CaseState;
use cellpath_domain::finance::dollars;
use maud::{Markup, html};

/// A claim's next step in people's words.
fn step_words(step: &str) -> &'static str {
    match step {
        "paid" => "Paid by the payer",
        "denied" => "Denied by the payer",
        "appealed" => "Appealed",
        "unpaid" => "Finally unpaid (the denial stood)",
        _ => "Another step",
    }
}

/// The section, or nothing for whoever is not one of the health system's money people.
pub(super) async fn section(
    ctx: &Ctx,
    case: &CaseView,
    typed: Option<&Typed>,
) -> Result<Markup, WebError> {
    let money = match ctx.app.case_money(ctx.caller(), &case.id).await {
        Ok(m) => m,
        Err(AppError::Forbidden(_) | AppError::NotFound(_)) => return Ok(html! {}),
        Err(e) => return Err(e.into()),
    };
    let nothing = (FormData::default(), FormErrors::default());
    let view = |id: &'static str| match typed {
        Some(t) if t.form == id => FormView::new(&t.values, &t.errors, id),
        _ => FormView::new(&nothing.0, &nothing.1, id),
    };
    let (submit, step) = (view("claim-submit"), view("claim-step"));
    let action = format!("{}/claims", paths::case(&case.id));
    let today = Date::of_micros(ctx.app.now());
    Ok(html! {
        section.panel #money {
            h2 { "Invoice and claim" }
            (invoice_facts(&money))
            @match &money.claim {
                None => p.empty { "No claim submitted to a payer yet." },
                Some(c) => (claim_facts(c)),
            }
            @if money.claim.is_none() && case.status != CaseState::Cancelled {
                @if money.payers.is_empty() {
                    p.hint { "Your health system has no payer profiles yet: start them from the usual payers (Medicare's MS-DRG 018 payment and a commercial plan paying the price), then edit them to your own figures under " a href=(paths::payers()) { "payer profiles" } "." }
                    form.inline-action method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "start_payers"))
                        button type="submit" { "Start from the usual payers" }
                    }
                } @else {
                    h3 { "Submit the claim" }
                    form #claim-submit method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "submit"))
                        (submit.summary(&["payer_profile_id", "submitted_on", "claimed_cents"]))
                        (submit.select("Payer", "payer_profile_id", &money.payers.iter().map(|p| (p.id.clone(), p.name.clone())).collect::<Vec<_>>()))
                        (submit.input("Submitted on", "submitted_on", Input::Date, None))
                        (submit.input("Amount claimed (US dollars)", "claimed_cents", Input::Text, Some("Leave it empty for what the payer's profile expects for this case.")))
                        button.primary type="submit" { "Submit the claim" }
                    }
                }
            }
            @if let Some(c) = money.claim.as_ref().filter(|c| !c.status.is_closed()) {
                h3 { "Record the payer's answer" }
                form #claim-step method="post" action=(action) {
                    (csrf_field(ctx.csrf()))
                    (hidden("do", "step"))
                    (hidden("claim", &c.id))
                    (hidden("version", c.version))
                    (step.summary(&["step", "on", "amount_cents", "reason"]))
                    (step.select("What the payer answered", "step", &c.status.next_steps().iter().map(|s| (s.to_string(), step_words(s).to_string())).collect::<Vec<_>>()))
                    (step.input("On", "on", Input::Date, Some(&format!("Not after today ({}).", today.words()))))
                    (step.input("Amount paid (US dollars)", "amount_cents", Input::Text, Some("For a payment.")))
                    (step.input("The payer's reason", "reason", Input::Text, Some("For a denial.")))
                    button.primary type="submit" { "Record it" }
                }
            }
        }
    })
}

fn invoice_facts(money: &CaseMoney) -> Markup {
    html! {
        @match &money.invoice {
            None if money.expanded_access => p.hint { "No invoice: the product is infused under expanded access (the manufacturer does not charge for it; the claim is the reduced inpatient payment)." },
            None => p.empty { "No invoice from the manufacturer yet (it comes at the event the payment terms name)." },
            Some(i) => dl.facts #invoice {
                div { dt { "Invoice" } dd { (dollars(i.price_cents)) " at the " (i.basis_event.as_str()) " on " (i.basis_on.words()) } }
                div { dt { "Due" } dd { (i.due_on.words()) } }
                div { dt { "Still owed" } dd { (dollars(i.open_cents)) } }
                @for s in &i.settlements {
                    div { dt { @if s.kind.as_str() == "payment" { "Paid" } @else { "Credited" } }
                        dd { (dollars(s.amount_cents)) " on " (s.on.words()) " by " (s.by_name) } }
                }
            },
        }
    }
}

fn claim_facts(c: &ClaimView) -> Markup {
    html! {
        dl.facts #claim data-status=(c.status.as_str()) {
            div { dt { "Claim" } dd { (dollars(c.claimed_cents)) " to " (c.payer_name) ", submitted " (c.submitted_on.words()) } }
            div { dt { "Where it stands" } dd { (c.status_words) } }
            @if let Some(d) = &c.denied_on {
                div { dt { "Denied" } dd { (d.words()) @if let Some(r) = &c.denial_reason { ": " (r) } } }
            }
            @if let Some(a) = &c.appealed_on { div { dt { "Appealed" } dd { (a.words()) } } }
            @if let (Some(p), Some(on)) = (c.paid_cents, &c.paid_on) {
                div { dt { "Paid" } dd { (dollars(p)) " on " (on.words()) } }
            }
            @if let Some(u) = &c.unpaid_on { div { dt { "Finally unpaid" } dd { (u.words()) } } }
            @if c.expanded_access { div { dt { "Expanded access" } dd { "the reduced inpatient payment" } } }
        }
    }
}

/// An amount typed in dollars, as cents; `None` when left empty; a message beside the field
/// when it cannot be read.
fn amount(form: &FormData, field: &str, errors: &mut FormErrors) -> Option<i64> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return None;
    }
    let cents = parse_dollars(text);
    if cents.is_none() {
        errors.field(
            field,
            "an amount in US dollars, such as 314231.00 or 475,000",
        );
    }
    cents
}

/// `POST /cases/{id}/claims`: start the payer profiles, submit the claim, or record the
/// payer's answer; a refusal comes back beside its field, nothing written.
pub async fn act(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let c = ctx.caller();
    let mut errors = FormErrors::default();
    let (form_id, done) = match form.get("do") {
        "start_payers" => (
            "",
            ctx.app
                .start_payer_profiles_from_defaults(c, None)
                .await
                .map(|_| ()),
        ),
        "submit" => {
            let claimed = amount(&form, "claimed_cents", &mut errors);
            let done = if errors.is_empty() {
                ctx.app
                    .submit_claim(
                        c,
                        &id,
                        NewClaim {
                            payer_profile_id: form.get("payer_profile_id").to_string(),
                            submitted_on: form.get("submitted_on").to_string(),
                            claimed_cents: claimed,
                        },
                        None,
                    )
                    .await
                    .and_then(|o| o.fresh().map(|_| ()))
            } else {
                Ok(())
            };
            ("claim-submit", done)
        }
        "step" => {
            let paid = amount(&form, "amount_cents", &mut errors);
            let reason = form.get("reason").trim();
            let done = if errors.is_empty() {
                ctx.app
                    .record_claim_step(
                        c,
                        form.get("claim"),
                        form.version().ok(),
                        NewClaimStep {
                            step: form.get("step").to_string(),
                            on: form.get("on").to_string(),
                            amount_cents: paid,
                            reason: (!reason.is_empty()).then(|| reason.to_string()),
                        },
                        None,
                    )
                    .await
                    .and_then(|o| o.fresh().map(|_| ()))
            } else {
                Ok(())
            };
            ("claim-step", done)
        }
        other => (
            "",
            Err(AppError::invalid(
                "do",
                format!("this page cannot send {other:?}"),
            )),
        ),
    };
    match done {
        Ok(()) if errors.is_empty() => Ok(notice_redirect(&paths::case(&id), "saved")),
        // A dollar amount that could not be read: nothing was sent.
        Ok(()) => {
            let typed = Typed {
                form: form_id.to_string(),
                values: form,
                errors,
            };
            super::render_case(
                &ctx,
                &id,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&typed),
            )
            .await
        }
        Err(e) => super::refused(&ctx, &id, form_id, form, e).await,
    }
}
