//! What follows an exception's acknowledgement, on its page (issue 13, point 6): where it
//! stands — the patient told, the decision, expanded access's prerequisites, each side's
//! signature on the close — and a form for each step, shown only to whom the exception's view
//! says may take it now. A refused form comes back on the same page with the message beside
//! its field; a role the protocol does not name gets no form, and 403 if it posts anyway.

use super::pages::path;
use super::{option_words, prerequisite_words, tell_method_words};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field};
use crate::labels::{Tone, badge};
use crate::pages::notice_redirect;
use crate::session::{Ctx, Posted};
use crate::time::{fold_choice, time_el, time_label};
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::release_exceptions::{
    ExceptionDecision, ExceptionPrerequisite, PatientTold, ReleaseExceptionView,
};
use cellpath_domain::OrgKind;
use cellpath_domain::release_exception::{DecisionOption, Prerequisite, TellMethod};
use maud::{Markup, html};

/// The steps after an acknowledgement, in the order they are taken: each a section of the
/// exception's page (`id`), its form (`{id}-form`) and the path it posts to (the API's too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    PatientTold,
    Decision,
    Prerequisite,
    Signature,
}

impl FollowUp {
    pub const ALL: [FollowUp; 4] = [
        FollowUp::PatientTold,
        FollowUp::Decision,
        FollowUp::Prerequisite,
        FollowUp::Signature,
    ];

    /// The section's id and the last part of the path the form posts to.
    pub fn key(self) -> &'static str {
        match self {
            FollowUp::PatientTold => "patient-told",
            FollowUp::Decision => "decision",
            FollowUp::Prerequisite => "prerequisites",
            FollowUp::Signature => "signatures",
        }
    }

    pub fn form_id(self) -> &'static str {
        match self {
            FollowUp::PatientTold => "patient-told-form",
            FollowUp::Decision => "decision-form",
            FollowUp::Prerequisite => "prerequisite-form",
            FollowUp::Signature => "sign-form",
        }
    }

    /// What the step is, as the "next steps" list names it.
    pub fn label(self) -> &'static str {
        match self {
            FollowUp::PatientTold => "Record that the patient was told",
            FollowUp::Decision => "Record the decision",
            FollowUp::Prerequisite => "Record a prerequisite of expanded access",
            FollowUp::Signature => "Sign the close",
        }
    }

    /// Whether the view says the person may take the step now.
    pub fn allowed(self, e: &ReleaseExceptionView) -> bool {
        match self {
            FollowUp::PatientTold => e.may_tell_patient,
            FollowUp::Decision => e.may_decide,
            FollowUp::Prerequisite => e.may_record_prerequisite,
            FollowUp::Signature => e.may_sign,
        }
    }

    pub fn action(self, id: &str) -> String {
        format!("{}/{}", path(id), self.key())
    }

    /// The fields its form shows (a message about any other goes above the form).
    fn fields(self) -> &'static [&'static str] {
        match self {
            FollowUp::PatientTold => &["method", "told_at", "note"],
            FollowUp::Decision => &["option", "note", "care_transition_plan"],
            FollowUp::Prerequisite => &["prerequisite", "reference", "document_sha256", "note"],
            FollowUp::Signature => &["password"],
        }
    }
}

/// A form posted and refused: what was typed and what was wrong, to show it again.
pub struct Typed {
    pub which: FollowUp,
    pub values: FormData,
    pub errors: FormErrors,
}

/// The values and errors a form is drawn with: what was typed when it was the one refused.
fn typed_for<'a>(
    typed: Option<&'a Typed>,
    which: FollowUp,
    empty: &'a (FormData, FormErrors),
) -> (&'a FormData, &'a FormErrors) {
    match typed {
        Some(t) if t.which == which => (&t.values, &t.errors),
        _ => (&empty.0, &empty.1),
    }
}

fn choices<T: Copy>(
    items: &[T],
    value: impl Fn(T) -> &'static str,
    words: impl Fn(T) -> String,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), "Choose…".to_string()))
        .chain(items.iter().map(|i| (value(*i).to_string(), words(*i))))
        .collect()
}

/// Who records a prerequisite, in words: "the health system's physician or coordinator".
fn recorder_words(p: Prerequisite) -> String {
    let (side, roles) = p.recorded_by();
    let roles: Vec<String> = roles
        .iter()
        .map(|r| crate::labels::role(r.as_str()).to_lowercase())
        .collect();
    format!("{}'s {}", super::side_words(side), roles.join(" or "))
}

/// The handling after the acknowledgement: where each step stands, and the forms the person
/// may fill in now.
pub fn section(ctx: &Ctx, e: &ReleaseExceptionView, typed: Option<&Typed>) -> Markup {
    let empty = (FormData::default(), FormErrors::default());
    let not_yet = |what: &str| html! { span.muted { (what) } };
    let signer = |at: Option<i64>, by: &Option<String>| match at {
        Some(at) => {
            html! { (badge("Signed", Tone::Good)) " by " strong { (by.clone().unwrap_or_default()) } " " (time_el(at)) }
        }
        None => html! { (badge("Not signed yet", Tone::Waiting)) },
    };
    let shown = |which: FollowUp| which.allowed(e) || typed.is_some_and(|t| t.which == which);
    html! {
        section.panel #handling {
            h2 { "The patient, the decision and the close" }
            (crate::pages::facts(&[
                ("Patient told", match e.patient_told_at {
                    Some(at) => html! { (badge("Told", Tone::Good)) " by " strong { (e.patient_told_by.clone().unwrap_or_default()) } " " (time_el(at)) },
                    None => not_yet("Not yet"),
                }),
                ("Decision", match e.decision {
                    Some(d) => html! { strong.decision data-option=(d.as_str()) { (option_words(d)) } " by " (e.decided_by.clone().unwrap_or_default()) " " @if let Some(at) = e.decided_at { (time_el(at)) } },
                    None => not_yet("Not decided yet"),
                }),
                ("Close signed for the manufacturer", signer(e.manufacturer_signed_at, &e.manufacturer_signed_by)),
                ("Close signed for the health system", signer(e.health_system_signed_at, &e.health_system_signed_by)),
            ]))
            @if e.decision == Some(DecisionOption::ExpandedAccess) {
                h3 { "Expanded access's prerequisites" }
                p.hint { "The product is infused only once all four are on the record." }
                ul.plain.prerequisites {
                    @for p in Prerequisite::ALL.iter().copied() {
                        li data-prerequisite=(p.as_str()) data-recorded=(if e.prerequisites.contains(&p) { "yes" } else { "no" }) {
                            @if e.prerequisites.contains(&p) { (badge("Recorded", Tone::Good)) } @else { (badge("Missing", Tone::Waiting)) }
                            " " (prerequisite_words(p)) span.muted { " — recorded by " (recorder_words(p)) }
                        }
                    }
                }
            }
            @if shown(FollowUp::PatientTold) {
                (patient_told_form(ctx, e, typed_for(typed, FollowUp::PatientTold, &empty)))
            }
            @if shown(FollowUp::Decision) {
                (decision_form(ctx, e, typed_for(typed, FollowUp::Decision, &empty)))
            }
            @if shown(FollowUp::Prerequisite) {
                (prerequisite_form(ctx, e, typed_for(typed, FollowUp::Prerequisite, &empty)))
            }
            @if shown(FollowUp::Signature) {
                (sign_form(ctx, e, typed_for(typed, FollowUp::Signature, &empty)))
            }
        }
    }
}

fn patient_told_form(
    ctx: &Ctx,
    e: &ReleaseExceptionView,
    (values, errors): (&FormData, &FormErrors),
) -> Markup {
    let which = FollowUp::PatientTold;
    let v = FormView::new(values, errors, which.key());
    let methods = choices(TellMethod::ALL, TellMethod::as_str, tell_method_words);
    html! {
        div.follow-up #(which.key()) {
            h3 { (which.label()) }
            p.hint { "Due " (time_el(e.patient_told_due_at)) ". Say when you told the patient and how; it is recorded once." }
            (v.summary(which.fields()))
            form id=(which.form_id()) method="post" action={ (which.action(&e.id)) "#" (which.key()) } novalidate {
                (csrf_field(ctx.csrf()))
                div.field-grid {
                    (v.select("How", "method", &methods))
                    (v.input(&time_label("When"), "told_at", Input::DateTime, None))
                    (fold_choice(values, "told_at"))
                }
                (v.textarea("Note", "note", Some("Optional: who was there, what the patient asked."), 3))
                button.primary type="submit" { "Record that the patient was told" }
            }
        }
    }
}

fn decision_form(
    ctx: &Ctx,
    e: &ReleaseExceptionView,
    (values, errors): (&FormData, &FormErrors),
) -> Markup {
    let which = FollowUp::Decision;
    let v = FormView::new(values, errors, which.key());
    let options = choices(&e.decision_options, DecisionOption::as_str, option_words);
    html! {
        div.follow-up #(which.key()) {
            h3 { (which.label()) }
            p.hint { "Due " (time_el(e.decision_due_at)) ". The options are those the protocol offers for " (super::kind_words(e.kind).to_lowercase()) "; the decision is recorded once." }
            (v.summary(which.fields()))
            form id=(which.form_id()) method="post" action={ (which.action(&e.id)) "#" (which.key()) } novalidate {
                (csrf_field(ctx.csrf()))
                (v.select("What is decided", "option", &options))
                (v.textarea("Care-transition plan", "care_transition_plan", Some("Required for another therapy or a cancellation: where the patient's care goes from here."), 3))
                (v.textarea("Note", "note", Some("Optional."), 2))
                button.primary type="submit" { "Record the decision" }
            }
        }
    }
}

fn prerequisite_form(
    ctx: &Ctx,
    e: &ReleaseExceptionView,
    (values, errors): (&FormData, &FormErrors),
) -> Markup {
    let which = FollowUp::Prerequisite;
    let v = FormView::new(values, errors, which.key());
    let options = choices(
        &e.recordable_prerequisites,
        Prerequisite::as_str,
        prerequisite_words,
    );
    html! {
        div.follow-up #(which.key()) {
            h3 { (which.label()) }
            p.hint { "Each is recorded once, by its side and role. The consent and the manufacturer's release are recorded with their document's SHA-256." }
            (v.summary(which.fields()))
            form id=(which.form_id()) method="post" action={ (which.action(&e.id)) "#" (which.key()) } novalidate {
                (csrf_field(ctx.csrf()))
                (v.select("Prerequisite", "prerequisite", &options))
                div.field-grid {
                    (v.input("Reference", "reference", Input::Text, Some("The request's, the approval's, the consent's or the certificate's reference.")))
                    (v.input("Document SHA-256", "document_sha256", Input::Text, Some("64 hexadecimal digits; required for the consent and the release.")))
                }
                (v.textarea("Note", "note", Some("Optional."), 2))
                button.primary type="submit" { "Record the prerequisite" }
            }
        }
    }
}

fn sign_form(
    ctx: &Ctx,
    e: &ReleaseExceptionView,
    (values, errors): (&FormData, &FormErrors),
) -> Markup {
    let which = FollowUp::Signature;
    let v = FormView::new(values, errors, which.key());
    let side = match ctx.principal.org_kind {
        OrgKind::Manufacturer => "the manufacturer",
        OrgKind::HealthSystem => "the health system",
    };
    let closes = e.manufacturer_signed_at.is_some() || e.health_system_signed_at.is_some();
    html! {
        div.follow-up #(which.key()) {
            h3 { "Sign the close for " (ctx.org.name) }
            div.signed-content {
                p { "You sign, for " (side) ", meaning " strong { "approved" } ", that this exception is handled:" }
                (crate::pages::facts(&[
                    ("Exception", html! { (super::kind_words(e.kind)) " on case " (e.case_pseudonym) ", opened " (time_el(e.opened_at)) }),
                    ("Quality system decision", html! { (e.certificate_reference) }),
                    ("Decision", html! { @if let Some(d) = e.decision { (option_words(d)) } @if let Some(at) = e.decided_at { ", " (time_el(at)) } }),
                    ("Patient told", html! { @if let Some(at) = e.patient_told_at { (time_el(at)) } }),
                    ("Content signed", html! { "SHA-256 " code.hash { (e.close_sha256) } }),
                ]))
                p.hint { "Your signature records your printed name (" (ctx.session.user.name) "), its meaning and the time, linked to that hash. "
                    @if closes { "The other side has signed: yours closes the exception." } @else { "The exception closes once both sides have signed." } }
            }
            (v.summary(which.fields()))
            form id=(which.form_id()) method="post" action={ (which.action(&e.id)) "#" (which.key()) } novalidate {
                (csrf_field(ctx.csrf()))
                (v.input("Your password", "password", Input::CurrentPassword, Some("Re-entered for every signature (21 CFR Part 11).")))
                button.primary type="submit" { "Sign the close" }
            }
        }
    }
}

/// An app refusal as the form shows it: bad values beside their fields; the exception's
/// stage (already told, decided, signed; a case with nothing to go back to) above the form,
/// with 409. Not found and forbidden are pages, and so is any refusal of a form the person
/// was not shown.
fn refused(allowed: bool, e: AppError) -> Result<FormErrors, WebError> {
    if !allowed {
        // No form was shown: the refusal is a page.
        return Err(e.into());
    }
    match e {
        AppError::State(m) => {
            let mut errors = FormErrors::default();
            errors.form(m);
            errors.mark_conflict();
            Ok(errors)
        }
        other => FormErrors::from_app(other),
    }
}

/// The end of every post: back to the page with a notice when recorded; the page again with
/// the form as typed and its messages when refused.
async fn finish(
    ctx: Ctx,
    id: &str,
    which: FollowUp,
    form: FormData,
    recorded: Result<(), FormErrors>,
    notice: &str,
) -> Result<Response, WebError> {
    match recorded {
        Ok(()) => Ok(notice_redirect(&path(id), notice)),
        Err(errors) => {
            let status = errors.status();
            let typed = Typed {
                which,
                values: form,
                errors,
            };
            super::pages::render(&ctx, id, Some(&typed), None, status).await
        }
    }
}

/// Whether the view lets the person take the step now (404 when they may not see the case's
/// patient). A post from someone it does not is still the app's to refuse, with its reason —
/// 403 for a role the protocol does not name, 409 for a step already taken — unless the form
/// cannot even be read, which is refused here (403) without saying what was wrong with it.
async fn permission(
    ctx: &Ctx,
    id: &str,
    which: FollowUp,
) -> Result<(bool, ReleaseExceptionView), WebError> {
    let e = ctx.app.release_exception_view(ctx.caller(), id).await?;
    Ok((which.allowed(&e), e))
}

fn not_allowed(which: FollowUp, e: &ReleaseExceptionView) -> WebError {
    AppError::Forbidden(match which {
        FollowUp::PatientTold => format!(
            "the patient is told once, by the health system's {}: you may not record it now",
            crate::labels::role(e.patient_teller.as_str()).to_lowercase()
        ),
        FollowUp::Decision => "a decision is recorded once, by the health system's physician or the manufacturer's quality: you may not record it now".into(),
        FollowUp::Prerequisite => "expanded access's prerequisites are recorded once it is decided, each by its side and role: you may not record one now".into(),
        FollowUp::Signature => "the close is signed once per side, once the exception is decided and the patient told: you may not sign it now".into(),
    })
    .into()
}

/// `POST /release-exceptions/{id}/patient-told`.
pub async fn patient_told(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, mut form } = posted;
    let which = FollowUp::PatientTold;
    let (allowed, e) = permission(&ctx, &id, which).await?;
    let mut errors = FormErrors::default();
    let method = form.get("method").parse::<TellMethod>().ok();
    if method.is_none() {
        errors.field("method", "choose how the patient was told");
    }
    let told_at = typed_instant(&mut form, "told_at", &mut errors);
    let recorded = match (method, told_at) {
        (Some(method), Some(told_at)) if errors.is_empty() => {
            let input = PatientTold {
                method,
                told_at,
                note: form.get("note").to_string(),
            };
            match ctx
                .app
                .record_patient_told(ctx.caller(), &id, input, None)
                .await
                .and_then(|o| o.fresh())
            {
                Ok(_) => Ok(()),
                Err(e) => Err(refused(allowed, e)?),
            }
        }
        _ if !allowed => return Err(not_allowed(which, &e)),
        _ => Err(errors),
    };
    finish(ctx, &id, which, form, recorded, "patient_told").await
}

/// `POST /release-exceptions/{id}/decision`.
pub async fn decide(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let which = FollowUp::Decision;
    let (allowed, e) = permission(&ctx, &id, which).await?;
    let recorded = match form.get("option").parse::<DecisionOption>() {
        Err(_) if !allowed => return Err(not_allowed(which, &e)),
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.field("option", "choose what is decided");
            Err(errors)
        }
        Ok(option) => {
            let plan = form.get("care_transition_plan");
            let input = ExceptionDecision {
                option,
                note: form.get("note").to_string(),
                care_transition_plan: (!plan.trim().is_empty()).then(|| plan.to_string()),
            };
            match ctx
                .app
                .decide_release_exception(ctx.caller(), &id, input, None)
                .await
                .and_then(|o| o.fresh())
            {
                Ok(_) => Ok(()),
                Err(e) => Err(refused(allowed, e)?),
            }
        }
    };
    finish(ctx, &id, which, form, recorded, "decided").await
}

/// `POST /release-exceptions/{id}/prerequisites`.
pub async fn prerequisite(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let which = FollowUp::Prerequisite;
    let (allowed, e) = permission(&ctx, &id, which).await?;
    let recorded = match form.get("prerequisite").parse::<Prerequisite>() {
        Err(_) if !allowed => return Err(not_allowed(which, &e)),
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.field("prerequisite", "choose which prerequisite you record");
            Err(errors)
        }
        Ok(prerequisite) => {
            let sha = form.get("document_sha256").trim();
            let input = ExceptionPrerequisite {
                prerequisite,
                reference: form.get("reference").to_string(),
                document_sha256: (!sha.is_empty()).then(|| sha.to_string()),
                note: form.get("note").to_string(),
            };
            match ctx
                .app
                .record_exception_prerequisite(ctx.caller(), &id, input, None)
                .await
                .and_then(|o| o.fresh())
            {
                Ok(_) => Ok(()),
                Err(e) => Err(refused(allowed, e)?),
            }
        }
    };
    finish(ctx, &id, which, form, recorded, "prerequisite_recorded").await
}

/// `POST /release-exceptions/{id}/signatures`: the password re-entered, never shown again.
pub async fn sign(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let which = FollowUp::Signature;
    let (allowed, _) = permission(&ctx, &id, which).await?;
    let recorded = match ctx
        .app
        .sign_release_exception(ctx.caller(), &id, form.get("password"), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(()),
        Err(e) => Err(refused(allowed, e)?),
    };
    finish(ctx, &id, which, FormData::default(), recorded, "signed").await
}

/// A date-time field typed on the reader's clock, as microseconds: blank, unreadable, or a
/// time the clocks skipped or showed twice is a message beside the field.
fn typed_instant(form: &mut FormData, field: &str, errors: &mut FormErrors) -> Option<i64> {
    if form.get(field).trim().is_empty() {
        errors.field(field, "say when the patient was told (day and time)");
        return None;
    }
    match crate::time::utc_of_typed(form, field) {
        Ok(text) => match cellpath_domain::Date::parse_time(&text) {
            Ok(at) => Some(at),
            Err(_) => {
                errors.field(field, "a day and a time, e.g. 2026-12-07 14:30");
                None
            }
        },
        Err(message) => {
            errors.field(field, message);
            None
        }
    }
}
