//! The posts: what was typed read into the app's inputs (a number, tenths of a degree, a
//! word, a time on the reader's clock), recorded through the app, and a refusal shown beside
//! the fields of the form that was sent; and `/grading`, which writes nothing.

use super::{RECORD_FORM, Typed};
use crate::forms::{FormData, FormErrors};
use crate::pages::{cases, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::AppError;
use cellpath_app::cases::{GradeView, NewAdverseEvent, ObservationInput, TreatmentInput};
use cellpath_domain::events::cases::{AdverseEventKind, AdverseEventOutcome, Findings, Treatment};
use cellpath_domain::toxicity::{
    Consciousness, CrsObservations, IcansObservations, Oxygen, RaisedPressure, Seizure,
};
use serde_json::json;

/// A whole number typed in a field; empty is `None`.
pub(super) fn number<T: std::str::FromStr>(
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
pub(super) fn tenths(text: &str) -> Option<i32> {
    let text = text.trim().replace(',', ".");
    let (whole, tenth) = text.split_once('.').unwrap_or((&text, "0"));
    if whole.is_empty() || tenth.len() != 1 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(whole.parse::<i32>().ok()? * 10 + tenth.parse::<i32>().ok()?)
}

pub(super) fn word<T: serde::de::DeserializeOwned + Default>(
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
pub(super) fn findings_of(
    form: &FormData,
    errors: &mut FormErrors,
) -> Option<(AdverseEventKind, Findings)> {
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

pub(super) fn preview(ctx: &Ctx, findings: &Findings) -> Result<GradeView, AppError> {
    match findings {
        Findings::Crs(o) => ctx.app.preview_crs(ctx.caller(), o),
        Findings::Icans(o) => ctx.app.preview_icans(ctx.caller(), o),
    }
}

/// The app's field (`observations[0].temperature_tenths_c`) as the form's.
pub(super) fn form_field(field: &str) -> &str {
    match field.strip_prefix("observations[0].").unwrap_or(field) {
        "temperature_tenths_c" => "temperature",
        "oxygen" => "litres_per_minute",
        "crs" | "icans" | "findings" => "kind",
        "observations" => "",
        other => other,
    }
}

/// The app's refusal as the form shows it: bad values beside the form's fields.
pub(super) fn typed_errors(e: AppError) -> Result<FormErrors, crate::errors::WebError> {
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
pub(super) fn typed_time(form: &mut FormData, field: &str, errors: &mut FormErrors) -> String {
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
        Ok(()) => Ok(notice_redirect(&paths::case(&id), "saved")),
        Err(errors) => {
            let status = errors.status();
            let typed = Typed {
                form: RECORD_FORM.to_string(),
                values: form,
                errors,
            };
            cases::render_case(&ctx, &id, None, None, status, Some(&typed)).await
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
            Ok(_) => return Ok(notice_redirect(&paths::case(&id), "saved")),
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
    cases::render_case(&ctx, &id, None, None, status, Some(&typed)).await
}

/// Messages of field `from` as `to`'s.
pub(super) fn rename(errors: FormErrors, from: &str, to: &str) -> FormErrors {
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
pub(super) fn conflict(errors: FormErrors) -> FormErrors {
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
