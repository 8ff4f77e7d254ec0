//! Adverse events on a case's page: the table of graded events (kind, onset, grade and why,
//! observations with their grades, treatment, outcome) for every reader of the case, and for
//! the site's nurses and physicians the form that records one. The grade is never typed: it is
//! computed from the findings, shown as they are typed by a small script that asks `/grading`
//! (which writes nothing), and without the script it appears once the form is submitted. An
//! event still ongoing takes later observations, treatments and its outcome, each a form of
//! its own under the table.

use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use crate::time::{fold_choice, time_label};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::AppError;
use cellpath_app::cases::{
    AdverseEventView, CaseView, GradeView, NewAdverseEvent, ObservationInput, TreatmentInput,
};
use cellpath_domain::events::cases::{AdverseEventKind, AdverseEventOutcome, Findings, Treatment};
use cellpath_domain::toxicity::{
    Consciousness, CrsObservations, IcansObservations, Oxygen, RaisedPressure, Seizure,
};
use maud::{Markup, html};
use serde_json::json;

/// A form of a case's page shown again: which one (its id), what was typed, what was wrong.
pub struct Typed {
    pub form: String,
    pub values: FormData,
    pub errors: FormErrors,
}

/// The form id this page names the record form by.
const RECORD_FORM: &str = "adverse-event-form";

/// What was typed in form `id`, when it is the one shown again.
fn typed_in<'a>(typed: Option<&'a Typed>, id: &str) -> Option<&'a Typed> {
    typed.filter(|t| t.form == id)
}

fn grade_badge(grade: u8) -> Markup {
    let tone = match grade {
        0 => Tone::Quiet,
        1 => Tone::Info,
        2 => Tone::Waiting,
        _ => Tone::Bad,
    };
    badge(&format!("Grade {grade}"), tone)
}

/// The events' table; with a column for the manufacturer's acknowledgement when the events
/// carry it (on the case's page).
pub(crate) fn table(events: &[AdverseEventView]) -> Markup {
    let acknowledged = events.iter().any(|ae| ae.safety_report.is_some());
    html! {
        table.adverse-events {
            thead { tr {
                th scope="col" { "Event" } th scope="col" { "Onset" } th scope="col" { "Grade" }
                th scope="col" { "Why" } th scope="col" { "Observations" }
                th scope="col" { "Treatment" } th scope="col" { "Outcome" }
                @if acknowledged { th scope="col" { "Manufacturer's safety report" } }
            } }
            tbody {
                @for ae in events {
                    tr data-adverse-event=(ae.number) data-grade=(ae.grade) {
                        th scope="row" { (ae.label) " #" (ae.number) }
                        td { (time_el(ae.onset_at)) }
                        td { (grade_badge(ae.grade)) }
                        td { ul.plain { @for b in &ae.because { li { (b) } } } }
                        td { ol.plain {
                            @for o in &ae.observations {
                                li { (time_el(o.at)) " · grade " (o.grade) " · " (o.by) }
                            }
                        } }
                        td {
                            @if ae.treatments.is_empty() { span.empty { "none" } }
                            ul.plain { @for t in &ae.treatments {
                                li { (t.treatment.as_str()) " " (time_el(t.given_at))
                                    @if let Some(d) = &t.detail { " (" (d) ")" }
                                    " · " (t.by) }
                            } }
                        }
                        td { (ae.outcome_text) }
                        @if acknowledged {
                            td.safety-report { @match &ae.safety_report {
                                Some(state) => (super::safety::state_words(state)),
                                None => span.empty { "—" },
                            } }
                        }
                    }
                }
            }
        }
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, t)| ((*v).to_string(), (*t).to_string()))
        .collect()
}

fn form(ctx: &Ctx, case: &CaseView, typed: Option<&Typed>, graded: Option<&GradeView>) -> Markup {
    let empty_values = FormData::default();
    let empty_errors = FormErrors::default();
    let typed = typed_in(typed, RECORD_FORM);
    let (values, errors) = typed.map_or((&empty_values, &empty_errors), |t| (&t.values, &t.errors));
    let v = FormView::new(values, errors, "ae");
    let action = format!("{}/adverse-events", paths::case(&case.id));
    html! {
        form #adverse-event-form method="post" action=(action) data-grading="/grading" {
            h3 { "Record an adverse event" }
            (csrf_field(ctx.csrf()))
            (hidden("version", case.version))
            (hidden("form", RECORD_FORM))
            (v.summary(&FIELDS))
            div.field-grid {
                (v.select("Kind", "kind", &options(&[("crs", "CRS (cytokine release syndrome)"), ("icans", "ICANS (neurotoxicity)")])))
                (v.input(&time_label("Onset"), "onset", Input::DateTime, None))
                (fold_choice(values, "onset"))
                (v.input(&time_label("Observed at"), "at", Input::DateTime, None))
                (fold_choice(values, "at"))
            }
            (findings_fields(&v, None))
            p.computed-grade { "ASTCT grade: "
                output #ae-grade for="ae-kind" aria-live="polite" data-grade=[graded.map(|g| g.grade)] {
                    @match graded {
                        Some(g) => { "Grade " (g.grade) ": " (g.because.join("; ")) }
                        None => { "computed from the findings when you record them" }
                    }
                }
            }
            button.primary type="submit" { "Record the adverse event" }
        }
        script src=(crate::assets::grading_script_src()) defer {}
    }
}

/// The findings of one kind (or of both, for a new event whose kind is chosen in the form).
fn findings_fields(v: &FormView<'_>, kind: Option<AdverseEventKind>) -> Markup {
    let crs = kind != Some(AdverseEventKind::Icans);
    let icans = kind != Some(AdverseEventKind::Crs);
    html! {
        @if crs {
            fieldset data-kind="crs" {
                legend { "CRS findings" }
                div.field-grid {
                    (v.input("Highest temperature (°C)", "temperature", Input::Text, Some("e.g. 38.9")))
                    (v.select("Oxygen", "oxygen", &options(&[
                        ("none", "none"), ("blow_by", "blow-by"), ("nasal_cannula", "nasal cannula"),
                        ("high_flow_nasal_cannula", "high-flow nasal cannula"), ("facemask", "facemask"),
                        ("non_rebreather", "non-rebreather mask"), ("venturi", "Venturi mask"),
                        ("cpap", "CPAP"), ("bipap", "BiPAP"), ("mechanical_ventilation", "mechanical ventilation"),
                    ])))
                    (v.input("Flow (L/min)", "litres_per_minute", Input::Number, Some("for a nasal cannula")))
                    (v.input("Vasopressors (vasopressin apart)", "vasopressors", Input::Number, None))
                }
                (v.checkbox("Tocilizumab, steroids or antipyretics given", "fever_treated"))
                (v.checkbox("Hypotension", "hypotension"))
                (v.checkbox("Vasopressin running", "vasopressin"))
                (v.checkbox("Died of CRS", "crs_died"))
        }
        }
        @if icans {
            fieldset data-kind="icans" {
                legend { "ICANS findings" }
                div.field-grid {
                    (v.input("ICE score (0–10)", "ice_score", Input::Number, Some("leave empty when it could not be assessed")))
                    (v.select("Consciousness", "consciousness", &options(&[
                        ("alert", "alert"), ("awakens_spontaneously", "awakens spontaneously"),
                        ("awakens_to_voice", "awakens to voice"), ("awakens_only_to_touch", "awakens only to touch"),
                        ("unarousable", "unarousable"),
                    ])))
                    (v.select("Seizure", "seizure", &options(&[
                        ("none", "none"), ("resolved_quickly", "resolved quickly"),
                        ("prolonged_or_repeated", "over 5 minutes, or repeated"),
                    ])))
                    (v.select("Raised intracranial pressure", "raised_pressure", &options(&[
                        ("none", "none"), ("focal_edema", "focal edema"),
                        ("diffuse_edema_or_signs", "diffuse edema, posturing, papilledema or Cushing's triad"),
                    ])))
                }
                (v.checkbox("Deep focal motor weakness", "motor_weakness"))
                (v.checkbox("Died of ICANS", "icans_died"))
        }
        }
    }
}

/// The fields of the form, as named in its errors.
const FIELDS: [&str; 15] = [
    "kind",
    "onset",
    "at",
    "temperature",
    "oxygen",
    "litres_per_minute",
    "vasopressors",
    "ice_score",
    "consciousness",
    "seizure",
    "raised_pressure",
    "fever_treated",
    "hypotension",
    "vasopressin",
    "motor_weakness",
];

/// The section of a case's page.
pub fn section(ctx: &Ctx, case: &CaseView, typed: Option<&Typed>) -> Markup {
    let graded = typed_in(typed, RECORD_FORM).and_then(|t| {
        let mut errors = FormErrors::default();
        let (_, findings) = findings_of(&t.values, &mut errors)?;
        preview(ctx, &findings).ok()
    });
    html! {
        section.panel #adverse-events {
            h2 { "Adverse events" }
            @if case.adverse_events.is_empty() {
                p.empty { "No adverse event recorded." }
            } @else {
                (table(&case.adverse_events))
            }
            @if case.may_record_adverse_events {
                @for ae in case.adverse_events.iter().filter(|ae| !ae.outcome.as_ref().is_some_and(|o| o.is_final())) {
                    (follow_up_forms(ctx, case, ae, typed))
                }
                (form(ctx, case, typed, graded.as_ref()))
            }
        }
    }
}

/// A whole number typed in a field; empty is `None`.
fn number<T: std::str::FromStr>(
    form: &FormData,
    field: &str,
    what: &str,
    errors: &mut FormErrors,
) -> Option<T> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<T>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.field(field, format!("{text:?} is not {what}"));
            None
        }
    }
}

/// Degrees Celsius with at most one decimal (`38.9`, `38,9`) as tenths.
fn tenths(text: &str) -> Option<i32> {
    let text = text.trim().replace(',', ".");
    let (whole, tenth) = text.split_once('.').unwrap_or((&text, "0"));
    if whole.is_empty() || tenth.len() != 1 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(whole.parse::<i32>().ok()? * 10 + tenth.parse::<i32>().ok()?)
}

fn word<T: serde::de::DeserializeOwned + Default>(
    form: &FormData,
    field: &str,
    errors: &mut FormErrors,
) -> T {
    match form.get(field) {
        "" => T::default(),
        w => serde_json::from_value(json!(w)).unwrap_or_else(|_| {
            errors.field(field, format!("{w:?} is not one of the choices"));
            T::default()
        }),
    }
}

/// The findings typed, of the kind chosen; problems by the form's field names (`errors` comes
/// in empty).
fn findings_of(form: &FormData, errors: &mut FormErrors) -> Option<(AdverseEventKind, Findings)> {
    let kind = match form.get("kind").parse::<AdverseEventKind>() {
        Ok(k) => k,
        Err(e) => {
            errors.field("kind", e.to_string());
            return None;
        }
    };
    let findings = match kind {
        AdverseEventKind::Crs => {
            let temperature = match form.get("temperature").trim() {
                "" => None,
                t => {
                    match tenths(t) {
                        Some(n) if !(250..=450).contains(&n) => {
                            errors.field(
                                "temperature",
                                format!("{t} °C is not a body temperature: enter degrees Celsius, e.g. 38.9"),
                            );
                            None
                        }
                        Some(n) => Some(n),
                        None => {
                            errors.field("temperature", format!("{t:?}: enter degrees Celsius with at most one decimal, e.g. 38.9"));
                            None
                        }
                    }
                }
            };
            let litres = number::<u16>(
                form,
                "litres_per_minute",
                "a flow in whole litres per minute",
                errors,
            );
            let oxygen = match (form.get("oxygen"), litres) {
                ("" | "none", _) => Oxygen::None,
                ("nasal_cannula", Some(l)) => Oxygen::NasalCannula {
                    litres_per_minute: l,
                },
                ("high_flow_nasal_cannula", Some(l)) => Oxygen::HighFlowNasalCannula {
                    litres_per_minute: l,
                },
                ("nasal_cannula" | "high_flow_nasal_cannula", None) => {
                    errors.field(
                        "litres_per_minute",
                        "enter the flow of the cannula in litres per minute",
                    );
                    Oxygen::None
                }
                (device, _) => {
                    serde_json::from_value(json!({ "device": device })).unwrap_or_else(|_| {
                        errors.field("oxygen", format!("{device:?} is not one of the choices"));
                        Oxygen::None
                    })
                }
            };
            Findings::Crs(CrsObservations {
                temperature_tenths_c: temperature,
                fever_treated: form.has("fever_treated"),
                hypotension: form.has("hypotension"),
                vasopressors: number(form, "vasopressors", "a count of drugs", errors).unwrap_or(0),
                vasopressin: form.has("vasopressin"),
                oxygen,
                died: form.has("crs_died"),
            })
        }
        AdverseEventKind::Icans => Findings::Icans(IcansObservations {
            ice_score: number(form, "ice_score", "a score from 0 to 10", errors),
            consciousness: word::<Consciousness>(form, "consciousness", errors),
            seizure: word::<Seizure>(form, "seizure", errors),
            motor_weakness: form.has("motor_weakness"),
            raised_pressure: word::<RaisedPressure>(form, "raised_pressure", errors),
            died: form.has("icans_died"),
        }),
    };
    errors.is_empty().then_some((kind, findings))
}

fn preview(ctx: &Ctx, findings: &Findings) -> Result<GradeView, AppError> {
    match findings {
        Findings::Crs(o) => ctx.app.preview_crs(ctx.caller(), o),
        Findings::Icans(o) => ctx.app.preview_icans(ctx.caller(), o),
    }
}

/// The app's field (`observations[0].temperature_tenths_c`) as the form's.
fn form_field(field: &str) -> &str {
    match field.strip_prefix("observations[0].").unwrap_or(field) {
        "temperature_tenths_c" => "temperature",
        "oxygen" => "litres_per_minute",
        "crs" | "icans" | "findings" => "kind",
        "observations" => "",
        other => other,
    }
}

/// The app's refusal as the form shows it: bad values beside the form's fields.
fn typed_errors(e: AppError) -> Result<FormErrors, crate::errors::WebError> {
    let mut errors = FormErrors::default();
    match e {
        AppError::Invalid(fields) => {
            for f in fields {
                match form_field(&f.field) {
                    "" => errors.form(f.message),
                    field => errors.field(field, f.message),
                }
            }
        }
        AppError::State(m) => errors.form(m),
        other => return FormErrors::from_app(other),
    }
    Ok(errors)
}

/// A date-time field read on the reader's clock as the UTC text the app takes; a time the
/// clocks skipped or that happened twice is a message beside the field.
fn typed_time(form: &mut FormData, field: &str, errors: &mut FormErrors) -> String {
    match crate::time::utc_of_typed(form, field) {
        Ok(text) => text,
        Err(message) => {
            errors.field(field, message);
            String::new()
        }
    }
}

/// `POST /cases/{id}/adverse-events`: record one with its first observation.
pub async fn record(
    axum::extract::Path(id): axum::extract::Path<String>,
    posted: Posted,
) -> Result<Response, crate::errors::WebError> {
    let Posted { ctx, mut form } = posted;
    let mut errors = FormErrors::default();
    let onset = typed_time(&mut form, "onset", &mut errors);
    let at = typed_time(&mut form, "at", &mut errors);
    let found = findings_of(&form, &mut errors);
    let result = match found {
        _ if !errors.is_empty() => Err(errors),
        None => Err(errors),
        Some((kind, findings)) => {
            let (crs, icans) = match findings {
                Findings::Crs(o) => (Some(o), None),
                Findings::Icans(o) => (None, Some(o)),
            };
            let input = NewAdverseEvent {
                kind,
                onset,
                observations: vec![ObservationInput { at, crs, icans }],
            };
            match ctx
                .app
                .record_adverse_event(ctx.caller(), &id, input, form.version().ok(), None)
                .await
                .and_then(|o| o.fresh())
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let state = matches!(e, AppError::State(_) | AppError::Conflict { .. });
                    let mut errors = typed_errors(e)?;
                    if state {
                        errors = conflict(errors);
                    }
                    Err(errors)
                }
            }
        }
    };
    match result {
        Ok(()) => Ok(super::notice_redirect(&paths::case(&id), "saved")),
        Err(errors) => {
            let status = errors.status();
            let typed = Typed {
                form: RECORD_FORM.to_string(),
                values: form,
                errors,
            };
            super::cases::render_case(&ctx, &id, None, None, status, Some(&typed)).await
        }
    }
}

/// The forms under an ongoing event: a later observation (graded as the first), a treatment
/// given, its outcome.
fn follow_up_forms(
    ctx: &Ctx,
    case: &CaseView,
    ae: &AdverseEventView,
    typed: Option<&Typed>,
) -> Markup {
    let empty = (FormData::default(), FormErrors::default());
    let base = format!("{}/adverse-events/{}", paths::case(&case.id), ae.number);
    let ids =
        ["observations", "treatments", "outcome"].map(|what| format!("ae-{}-{what}", ae.number));
    let view = |id: &str| {
        let (values, errors) =
            typed_in(typed, id).map_or((&empty.0, &empty.1), |t| (&t.values, &t.errors));
        (values, errors)
    };
    let shell =
        |id: &str, what: &str, fields: &[&str], v: &FormView<'_>, body: Markup, button: &str| {
            html! {
                form.ae-follow-up id=(id) method="post" action={ (base) "/" (what) "#" (id) } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", case.version))
                    (hidden("form", id))
                    (v.summary(fields))
                    (body)
                    button type="submit" { (button) }
                }
            }
        };
    let (ov, oe) = view(&ids[0]);
    let observe = FormView::new(ov, oe, &ids[0]);
    let (tv, te) = view(&ids[1]);
    let treat = FormView::new(tv, te, &ids[1]);
    let (cv, ce) = view(&ids[2]);
    let close = FormView::new(cv, ce, &ids[2]);
    let open = ids.iter().any(|id| typed_in(typed, id).is_some());
    html! {
        details.ae-follow-up data-adverse-event=(ae.number) open[open] {
            summary { "Follow " (ae.label) " #" (ae.number) ": a later observation, a treatment, its outcome" }
            (shell(&ids[0], "observations", &FIELDS, &observe, html! {
                (hidden("kind", ae.kind.as_str()))
                (observe.input(&time_label("Observed at"), "at", Input::DateTime, None))
                (fold_choice(ov, "at"))
                (findings_fields(&observe, Some(ae.kind)))
            }, "Record the observation"))
            (shell(&ids[1], "treatments", &["treatment", "given_at", "detail"], &treat, html! {
                div.field-grid {
                    (treat.select("Treatment", "treatment", &options(&[("tocilizumab", "Tocilizumab"), ("steroids", "Steroids (e.g. dexamethasone)")])))
                    (treat.input(&time_label("Given at"), "given_at", Input::DateTime, None))
                    (fold_choice(tv, "given_at"))
                    (treat.input("Dose and route", "detail", Input::Text, Some("e.g. 8 mg/kg IV")))
                }
            }, "Record the treatment"))
            (shell(&ids[2], "outcome", &["status", "on"], &close, html! {
                div.field-grid {
                    (close.select("Outcome", "status", &options(&[("ongoing", "Ongoing"), ("resolved", "Resolved"), ("fatal", "Fatal")])))
                    (close.input("On", "on", Input::Date, Some("the day it resolved, or the day of death")))
                }
            }, "Record the outcome"))
        }
    }
}

/// `POST /cases/{id}/adverse-events/{number}/{observations|treatments|outcome}`: a later
/// observation, a treatment or the outcome of an ongoing event.
pub async fn follow_up(
    axum::extract::Path((id, number, what)): axum::extract::Path<(String, u32, String)>,
    posted: Posted,
) -> Result<Response, crate::errors::WebError> {
    let Posted { ctx, mut form } = posted;
    let version = form.version().ok();
    let mut errors = FormErrors::default();
    let done = match what.as_str() {
        "observations" => match (
            typed_time(&mut form, "at", &mut errors),
            findings_of(&form, &mut errors),
        ) {
            _ if !errors.is_empty() => None,
            (_, None) => None,
            (at, Some((_, findings))) => {
                let (crs, icans) = match findings {
                    Findings::Crs(o) => (Some(o), None),
                    Findings::Icans(o) => (None, Some(o)),
                };
                let input = ObservationInput { at, crs, icans };
                Some(
                    ctx.app
                        .observe_adverse_event(ctx.caller(), &id, number, input, version, None)
                        .await,
                )
            }
        },
        "treatments" => match (
            typed_time(&mut form, "given_at", &mut errors),
            form.get("treatment").parse::<Treatment>(),
        ) {
            (_, Err(e)) => {
                errors.field("treatment", e.to_string());
                None
            }
            _ if !errors.is_empty() => None,
            (given_at, Ok(treatment)) => {
                let input = TreatmentInput {
                    treatment,
                    given_at,
                    detail: form.get("detail").trim().into(),
                };
                Some(
                    ctx.app
                        .treat_adverse_event(ctx.caller(), &id, number, input, version, None)
                        .await,
                )
            }
        },
        "outcome" => {
            let on = || cellpath_domain::Date::parse(form.get("on").trim()).ok();
            let outcome = match (form.get("status"), on()) {
                ("ongoing", _) => Some(AdverseEventOutcome::Ongoing),
                ("resolved", Some(on)) => Some(AdverseEventOutcome::Resolved { on }),
                ("fatal", Some(on)) => Some(AdverseEventOutcome::Fatal { on }),
                ("resolved" | "fatal", None) => {
                    errors.field("on", "enter the day, e.g. 2026-11-23");
                    None
                }
                (other, _) => {
                    errors.field("status", format!("{other:?} is not one of the choices"));
                    None
                }
            };
            match outcome {
                None => None,
                Some(o) => Some(
                    ctx.app
                        .adverse_event_outcome(ctx.caller(), &id, number, o, version, None)
                        .await,
                ),
            }
        }
        _ => return Err(AppError::not_found(format!("{what} of an adverse event")).into()),
    };
    if let Some(result) = done {
        match result.and_then(|o| o.fresh()) {
            Ok(_) => return Ok(super::notice_redirect(&paths::case(&id), "saved")),
            Err(e) => {
                let state = matches!(e, AppError::State(_) | AppError::Conflict { .. });
                errors = typed_errors(e)?;
                if what == "treatments" && errors.has_field("at") {
                    errors = rename(errors, "at", "given_at");
                }
                if state {
                    errors = conflict(errors);
                }
            }
        }
    }
    let status = errors.status();
    let typed = Typed {
        form: format!("ae-{number}-{what}"),
        values: form,
        errors,
    };
    super::cases::render_case(&ctx, &id, None, None, status, Some(&typed)).await
}

/// Messages of field `from` as `to`'s.
fn rename(errors: FormErrors, from: &str, to: &str) -> FormErrors {
    let mut out = FormErrors::default();
    for (field, message) in errors.into_pairs() {
        match field.as_str() {
            "" => out.form(message),
            f if f == from => out.field(to, message),
            f => out.field(f, message),
        }
    }
    out
}

/// A refusal for the case as it stands (409): shown above the form.
fn conflict(errors: FormErrors) -> FormErrors {
    let mut out = FormErrors::default();
    out.mark_conflict();
    for (field, message) in errors.into_pairs() {
        if field.is_empty() {
            out.form(message);
        } else {
            out.field(&field, message);
        }
    }
    out
}

/// `POST /grading`: the grade of the findings typed in the form, as JSON (`{grade, because}`,
/// or `{errors: [{field, message}]}` with 422); nothing is recorded.
pub async fn grade(posted: Posted) -> Result<Response, crate::errors::WebError> {
    let Posted { ctx, form } = posted;
    let mut errors = FormErrors::default();
    let answer = match findings_of(&form, &mut errors) {
        None => Err(errors),
        Some((_, findings)) => {
            preview(&ctx, &findings).map_err(|e| typed_errors(e).unwrap_or_default())
        }
    };
    Ok(match answer {
        Ok(graded) => axum::Json(graded).into_response(),
        Err(errors) => {
            let errors: Vec<_> = errors
                .into_pairs()
                .into_iter()
                .map(|(field, message)| json!({ "field": field, "message": message }))
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "errors": errors })),
            )
                .into_response()
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::{Browser, seeded};

    /// `YYYY-MM-DDTHH:MM:SS` of a time, rounded up to the second.
    pub(crate) fn typed(micros: i64) -> String {
        let secs = (micros + 999_999).div_euclid(1_000_000);
        let t = secs.rem_euclid(86_400);
        format!(
            "{}T{:02}:{:02}:{:02}",
            cellpath_domain::Date::of_micros(secs * 1_000_000),
            t / 3_600,
            t % 3_600 / 60,
            t % 60
        )
    }

    #[tokio::test]
    async fn a_nurse_records_a_graded_crs_without_script_and_every_reader_sees_its_grade() {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let case = demo
            .app
            .stored_case(&site.id)
            .await
            .unwrap()
            .expect("the demo's stored case");
        let page = crate::paths::case(&case);
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        // before the infusion: no form
        let before = nurse.get(&page).await;
        before.assert_has("No adverse event recorded");
        assert!(!before.body.contains("adverse-event-form"));
        demo.app.through_first_infusion(&case).await.unwrap();
        let when = typed(demo.app.now());
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let shown = nurse.get(&page).await;
        shown.assert_has("Record an adverse event");
        shown.assert_has(crate::assets::grading_script_src());
        let action = format!("{page}/adverse-events");
        let crs = |temperature: &'static str, litres: &'static str| {
            vec![
                ("kind", "crs"),
                ("temperature", temperature),
                ("oxygen", "nasal_cannula"),
                ("litres_per_minute", litres),
            ]
        };
        let mut fields = crs("389", "7");
        fields.extend([("onset", when.as_str()), ("at", when.as_str())]);
        let refused = nurse
            .submit(&page, "adverse-event-form", &action, &fields, None)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let beside = refused
            .error_beside("temperature")
            .expect("beside the temperature");
        assert!(beside.contains("e.g. 38.9"), "{beside}");
        assert!(
            refused.body.contains(r#"value="389""#),
            "what was typed is kept"
        );
        let mut fields = crs("38.9", "7");
        fields.extend([("onset", "2020-01-01T10:00"), ("at", when.as_str())]);
        let refused = nurse
            .submit(&page, "adverse-event-form", &action, &fields, None)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .error_beside("onset")
                .expect("beside the onset")
                .contains("first infusion"),
            "{}",
            refused.body
        );
        // the grade of what was typed is shown with the form again, without any script
        refused.assert_has("Grade 3: fever 38.9 °C; nasal cannula at 7 L/min: grade 3");
        let mut fields = crs("38.9", "7");
        fields.extend([("onset", when.as_str()), ("at", when.as_str())]);
        let recorded = nurse
            .submit(&page, "adverse-event-form", &action, &fields, None)
            .await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
        let after = nurse.get(&page).await;
        let row = after.row(r#"data-adverse-event="1""#);
        assert!(row.contains("CRS #1") && row.contains("Grade 3"), "{row}");
        // the grading answer for the script: JSON, nothing written
        let graded = nurse
            .post(
                "/grading",
                &[
                    ("csrf", &after.field("csrf")),
                    ("kind", "crs"),
                    ("temperature", "38.4"),
                    ("oxygen", "nasal_cannula"),
                    ("litres_per_minute", "6"),
                ],
            )
            .await;
        assert_eq!(graded.status, StatusCode::OK, "{}", graded.body);
        let answer: serde_json::Value = serde_json::from_str(&graded.body).unwrap();
        assert_eq!(answer["grade"], 2);
        let bad = nurse
            .post(
                "/grading",
                &[
                    ("csrf", &after.field("csrf")),
                    ("kind", "icans"),
                    ("ice_score", "11"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("ice_score"), "{}", bad.body);
        // the manufacturer's quality lead: the grade, no form
        let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
        let read = quality.get(&page).await;
        assert!(read.row(r#"data-adverse-event="1""#).contains("Grade 3"));
        assert!(!read.body.contains("adverse-event-form"));
    }

    #[test]
    fn degrees_are_read_as_tenths() {
        assert_eq!(tenths("38.9"), Some(389));
        assert_eq!(tenths("38,9"), Some(389));
        assert_eq!(tenths("39"), Some(390));
        for bad in ["38.95", "", ".5", "thirty", "-1.0"] {
            assert_eq!(tenths(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_apps_fields_are_the_forms() {
        assert_eq!(
            form_field("observations[0].temperature_tenths_c"),
            "temperature"
        );
        assert_eq!(form_field("observations[0].oxygen"), "litres_per_minute");
        assert_eq!(form_field("observations[0].icans"), "kind");
        assert_eq!(form_field("onset"), "onset");
        assert_eq!(form_field("observations[0].at"), "at");
    }

    async fn post(
        nurse: &mut Browser<'_>,
        page: &str,
        fields: &[(String, String)],
    ) -> crate::testing::Answer {
        let action = format!("{page}/adverse-events");
        nurse
            .submit(
                page,
                "adverse-event-form",
                &action,
                &crate::testing::borrowed(fields),
                None,
            )
            .await
    }

    /// Issue 10, point 12: a date-time is typed on the organization's clock (America/Chicago
    /// here) and stored UTC; a time the clocks skipped is refused beside the field, one that
    /// happened twice is asked which, beside the field.
    #[tokio::test]
    async fn times_are_typed_on_the_organizations_clock_across_a_dst_change() {
        let demo = seeded().await;
        let lakeshore = demo.org("Lakeshore University Health").await;
        let org_page = paths::org(&lakeshore.id);
        let mut admin = Browser::signed_in(&demo, "admin@lakeshore.example").await;
        let saved = admin
            .submit(
                &org_page,
                "org-form",
                &org_page,
                &[("name", &lakeshore.name), ("time_zone", "America/Chicago")],
                None,
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let site = demo.site("LUH-MAIN").await;
        let case = demo
            .app
            .stored_case(&site.id)
            .await
            .unwrap()
            .expect("stored case");
        let page = crate::paths::case(&case);
        demo.app.through_first_infusion(&case).await.unwrap();
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        let shown = nurse.get(&page).await;
        shown.assert_has("Onset (America/Chicago)");
        assert!(!shown.body.contains("Onset (UTC)"));
        let crs = |onset: &str, at: &str, fold: Option<&str>| {
            let mut f: Vec<(String, String)> = [
                ("kind", "crs"),
                ("temperature", "38.9"),
                ("oxygen", "nasal_cannula"),
                ("litres_per_minute", "7"),
                ("onset", onset),
                ("at", at),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if let Some(fold) = fold {
                f.push(("onset_fold".into(), fold.into()));
            }
            f
        };
        // The clocks skipped 02:30 on 8 March 2026 in Chicago.
        let fields = crs("2026-03-08T02:30", "2026-03-08T04:00", None);
        let refused = post(&mut nurse, &page, &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let m = refused.error_beside("onset").expect("beside the onset");
        assert!(m.contains("did not happen in America/Chicago"), "{m}");
        // 01:30 on 1 November 2026 happened twice: asked which, the choice offered beside it.
        let fields = crs("2026-11-01T01:30", "2026-11-01T04:00", None);
        let refused = post(&mut nurse, &page, &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let m = refused.error_beside("onset").expect("beside the onset");
        assert!(
            m.contains("happened twice") && m.contains("CDT") && m.contains("CST"),
            "{m}"
        );
        assert!(
            refused.body.contains(r#"name="onset_fold""#),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("The first, CDT"));

        // Now on Chicago's clock: recorded at the instant typed, stored UTC.
        let now = demo.app.now();
        let chicago = cellpath_app::zone::Zone::parse("America/Chicago").unwrap();
        let local = |micros: i64| {
            let c = chicago.wall_clock(micros);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            )
        };
        let minute = (now + 999_999).div_euclid(1_000_000) * 1_000_000;
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let fields = crs(&local(minute), &local(minute), Some(""));
        let recorded = post(&mut nurse, &page, &fields).await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
        let view = demo
            .app
            .case(&cellpath_app::Caller::system("test"), &case)
            .await
            .expect("the case");
        assert_eq!(
            view.adverse_events[0].onset_at, minute,
            "stored as the UTC instant"
        );
    }
}
