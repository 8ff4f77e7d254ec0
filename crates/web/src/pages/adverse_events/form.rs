//! The forms of the adverse-events section: the one that records an event with its first
//! observation (the findings of the kind chosen), and those under an ongoing event — a later
//! observation, a treatment, the outcome.

use super::{RECORD_FORM, Typed, typed_in};
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::paths;
use crate::session::Ctx;
use crate::time::{fold_choice, time_label};
use cellpath_app::cases::{AdverseEventView, CaseView, GradeView};
use cellpath_domain::events::cases::AdverseEventKind;
use maud::{Markup, html};

pub(super) fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, t)| ((*v).to_string(), (*t).to_string()))
        .collect()
}

pub(super) fn record_form(
    ctx: &Ctx,
    case: &CaseView,
    typed: Option<&Typed>,
    graded: Option<&GradeView>,
) -> Markup {
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
pub(super) fn findings_fields(v: &FormView<'_>, kind: Option<AdverseEventKind>) -> Markup {
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
pub(super) const FIELDS: [&str; 15] = [
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

/// The forms under an ongoing event: a later observation (graded as the first), a treatment
/// given, its outcome.
pub(super) fn follow_up_forms(
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
