//! The forms of a case's page for what its reader's role may do now: one per step kind
//! (record, custody handoff, release decision, schedule, hold point, thaw, administer, monitor,
//! follow-up, checklist, signature, bedside verification), and beside the steps an identifier
//! from a label, a unit ended, an optional step left out, a done step done again, a deviation.
//! Each is named `form` so a refused one comes back with what was typed and its messages.

use super::Typed;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::paths;
use crate::session::Ctx;
use cellpath_app::cases::{CaseView, StepView};
use cellpath_domain::Role;
use cellpath_domain::journey::{LABEL_ROLES, UNIT_ROLES, UnitState, noun};
use cellpath_domain::process_map::{SignatureMeaning, Step, StepKind};
use cellpath_domain::program::IdentifierKind;
use maud::{Markup, html};
use std::sync::LazyLock;

static NOTHING_TYPED: LazyLock<(FormData, FormErrors)> = LazyLock::new(Default::default);

/// What was typed in form `id` and what was wrong, when it is the one shown again.
fn typed_in<'a>(typed: Option<&'a Typed>, id: &str) -> (&'a FormData, &'a FormErrors) {
    match typed {
        Some(t) if t.form == id => (&t.values, &t.errors),
        _ => (&NOTHING_TYPED.0, &NOTHING_TYPED.1),
    }
}

/// Options as `(value, label)`.
fn options<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect()
}

/// How a unit ended, as the form offers it (the reason or volume beside).
pub(super) const DISPOSITIONS: [(&str, &str); 5] = [
    ("infused_whole", "Infused whole"),
    ("infused_in_part", "Infused in part (volume below)"),
    ("not_infused", "Not infused (reason below)"),
    ("returned", "Returned (reason below)"),
    ("discarded", "Discarded (reason below)"),
];

/// The manufacturer's release decision in words.
pub(super) const DECISIONS: [(&str, &str); 3] = [
    ("released", "Released"),
    ("out_of_specification", "Out of specification"),
    ("manufacturing_failure", "Manufacturing failure"),
];

pub(super) fn meaning_label(m: SignatureMeaning) -> &'static str {
    match m {
        SignatureMeaning::Approved => "Approved",
        SignatureMeaning::Verified => "Verified",
        SignatureMeaning::Reviewed => "Reviewed",
        SignatureMeaning::Performed => "Performed",
        SignatureMeaning::Authored => "Authored",
    }
}

fn caller_role(ctx: &Ctx) -> Option<Role> {
    ctx.caller().principal.as_ref().map(|p| p.role)
}

/// The form shell every action shares: token first (a form with files reads it first), which
/// form it is, the command, the step, the case's version.
struct Shell<'a> {
    ctx: &'a Ctx,
    case: &'a CaseView,
    id: &'a str,
    command: &'a str,
    step: Option<&'a str>,
    /// The fields shown, so the summary lists only the others' messages.
    fields: &'a [&'a str],
    button: &'a str,
}

impl Shell<'_> {
    fn render(&self, v: &FormView<'_>, body: Markup) -> Markup {
        let release = self.command == "release";
        let action = if release {
            format!("{}/release", paths::case(&self.case.id))
        } else {
            format!("{}/actions", paths::case(&self.case.id))
        };
        html! {
            // The bedside scan comes back without a fragment: a browser gives the scan field
            // its focus (autofocus) only on a page loaded without one.
            form.step-form id=(self.id) method="post"
                action={ (action) @if self.command != "verify" { "#" (self.id) } }
                enctype=[release.then_some("multipart/form-data")] {
                (csrf_field(self.ctx.csrf()))
                (hidden("form", self.id))
                (hidden("command", self.command))
                @if let Some(s) = self.step { (hidden("step", s)) }
                (hidden("version", self.case.version))
                (v.summary(self.fields))
                (body)
                // Hold and cancel stop the patient's path: they look it.
                @if matches!(self.command, "hold" | "cancel") {
                    button.danger type="submit" { (self.button) }
                } @else {
                    button.primary type="submit" { (self.button) }
                }
            }
        }
    }
}

/// The step's own fields, or its EHR reference when it is charted there. Left empty by the
/// second person on a step already begun (a second verifier, a second signer).
fn entry(v: &FormView<'_>, step: &StepView, names: &mut Vec<String>) -> Markup {
    if step.ehr {
        names.push("ehr_reference".into());
        return v.input(
            "EHR reference",
            "ehr_reference",
            Input::Text,
            Some(
                "charted in the EHR: its reference attests it (the second person leaves it empty)",
            ),
        );
    }
    let fields: Vec<(&String, String)> = step
        .fields
        .iter()
        .map(|f| (f, format!("field:{f}")))
        .collect();
    names.extend(fields.iter().map(|(_, n)| n.clone()));
    html! {
        @for (f, name) in &fields {
            (v.input(crate::charts::field_label(f), name, Input::Text, None))
        }
    }
}

fn scan_kinds(case: &CaseView) -> Vec<(String, String)> {
    let mut kinds: Vec<IdentifierKind> = Vec::new();
    for i in &case.identifiers {
        if !kinds.contains(&i.kind) {
            kinds.push(i.kind);
        }
    }
    if kinds.is_empty() {
        kinds = IdentifierKind::ALL.to_vec();
    }
    kinds
        .into_iter()
        .map(|k| (k.as_str().to_string(), capitalized(noun(k))))
        .collect()
}

fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The scan field: a barcode scanner types into it and presses Enter, which sends the form.
fn scan_field(v: &FormView<'_>, case: &CaseView, autofocus: bool, label: &str) -> Markup {
    let kinds = scan_kinds(case);
    let invalid = v.errors.has_field("scan");
    html! {
        div.field.scan-field.has-error[invalid] {
            label for={ (v.prefix) "-scan" } { (label) }
            // A refused scan is not kept: the message names it, and the next scan starts clean.
            input id={ (v.prefix) "-scan" } name="scan" type="text" value=(if invalid { "" } else { v.values.get("scan") })
                autocomplete="off" autofocus[autofocus] inputmode="text"
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[invalid.then(|| format!("{}-scan-error", v.prefix))];
            (v.field_errors("scan"))
            p.hint { "Scan the label, or type what it prints." }
        }
        @if kinds.len() == 1 { (hidden("scan_kind", &kinds[0].0)) }
        @else { (v.select("Identifier scanned", "scan_kind", &kinds)) }
    }
}

fn disposition_fields(v: &FormView<'_>) -> Markup {
    html! {
        (v.select("How it ended", "disposition", &options(DISPOSITIONS)))
        (v.input("Volume infused (mL)", "volume_ml", Input::Number, Some("when infused in part")))
        (v.input("Reason", "disposition_reason", Input::Text, Some("when not infused, returned or discarded")))
    }
}

/// The form of one open step the reader's role may do.
pub(super) fn step_form(
    ctx: &Ctx,
    case: &CaseView,
    step: &StepView,
    typed: Option<&Typed>,
    now: i64,
) -> Markup {
    let id = format!("step-{}", step.key);
    let (values, errors) = typed_in(typed, &id);
    let v = FormView::new(values, errors, &id);
    let map_step: Option<&Step> = case.map.as_ref().and_then(|m| m.step(&step.key));
    let unit = map_step
        .and_then(|s| s.params.unit.as_deref())
        .and_then(|u| case.units.iter().find(|x| x.key == u));
    let mut names: Vec<String> = Vec::new();
    let entry = entry(&v, step, &mut names);
    let mut push = |n: &[&str]| names.extend(n.iter().map(|s| s.to_string()));
    let (command, body, button): (&str, Markup, String) = match step.kind {
        StepKind::Record => ("record", entry, format!("Record {}", step.name)),
        StepKind::Thaw => (
            "thaw",
            html! {
                @if let Some(u) = unit { p.hint { "Thaws the " (u.name) ": its administration window starts now." } }
                (entry)
            },
            format!("Record {}", step.name),
        ),
        StepKind::HoldPoint => ("pass_hold", entry, format!("Record {}", step.name)),
        StepKind::FollowUp => ("follow_up", entry, format!("Record {}", step.name)),
        StepKind::Signature => {
            push(&["meaning", "password"]);
            let role = caller_role(ctx);
            let mut meanings: Vec<SignatureMeaning> = map_step
                .map(|s| {
                    s.params
                        .signatures
                        .iter()
                        .filter(|sig| Some(sig.role) == role)
                        .map(|sig| sig.meaning)
                        .collect()
                })
                .unwrap_or_default();
            if meanings.is_empty() {
                meanings = SignatureMeaning::ALL.to_vec();
            }
            let meanings: Vec<(String, String)> = meanings
                .into_iter()
                .map(|m| (m.as_str().to_string(), meaning_label(m).to_string()))
                .collect();
            (
                "sign",
                html! {
                    (entry)
                    (v.select("Meaning of your signature", "meaning", &meanings))
                    (v.input("Your password (to sign)", "password", Input::CurrentPassword, None))
                },
                format!("Sign {}", step.name),
            )
        }
        StepKind::CustodyHandoff => {
            push(&[
                "from",
                "to",
                "location",
                "items",
                "temperature",
                "reading",
                "scan",
                "scan_kind",
            ]);
            let mut items = vec![(
                "starting_material".to_string(),
                "The starting material".to_string(),
            )];
            items.extend(
                case.units
                    .iter()
                    .filter(|u| u.status != UnitState::Ended)
                    .map(|u| (format!("unit:{}", u.key), u.name.clone())),
            );
            let location = map_step.and_then(|s| s.params.location.clone());
            let scan = map_step.is_some_and(|s| s.params.scan);
            (
                "handoff",
                html! {
                    div.field-grid {
                        (v.input("From (who hands it over)", "from", Input::Text, None))
                        (v.input("To (who takes it)", "to", Input::Text, None))
                        (v.input("Location", "location", Input::Text,
                            location.as_deref().map(|l| format!("the map says: {l}")).as_deref()))
                    }
                    (v.checkboxes("What is handed over", "items", &items,
                        "The starting material before release, every unit after it."))
                    p.hint { "Tick nothing to hand over the starting material before release, or every unit not yet given after it." }
                    div.field-grid {
                        (v.select("Temperature", "temperature", &options([("in_range", "In range"), ("excursion", "Excursion (reading below)")])))
                        (v.input("Reading (°C)", "reading", Input::Text, Some("for an excursion, e.g. -120.5")))
                    }
                    @if scan { (scan_field(&v, case, false, "Scan of the label (optional)")) }
                    (entry)
                },
                format!("Record {}", step.name),
            )
        }
        StepKind::ReleaseDecision => {
            push(&[
                "decision",
                "certificate_reference",
                "certificate_file",
                "certificate_sha256",
            ]);
            (
                "release",
                html! {
                    div.field-grid {
                        (v.select("Decision", "decision", &options(DECISIONS)))
                        (v.input("Certificate reference", "certificate_reference", Input::Text, Some("e.g. the certificate of analysis number")))
                    }
                    (v.file("Certificate of analysis", "certificate_file", false, Some("the file is kept; its SHA-256 goes on the record")))
                    (v.input("…or its SHA-256", "certificate_sha256", Input::Text, Some("for a certificate kept in your own quality system")))
                },
                "Record the release decision".to_string(),
            )
        }
        StepKind::Schedule => {
            push(&["on", "slot"]);
            (
                "schedule",
                html! {
                    div.field-grid {
                        (v.input("Date", "on", Input::Date, None))
                        (v.input("Slot", "slot", Input::Text, Some("e.g. morning")))
                    }
                    (entry)
                },
                format!("Schedule {}", step.name),
            )
        }
        StepKind::Administer => {
            push(&[
                "disposition",
                "volume_ml",
                "disposition_reason",
                "late_reason",
                "password",
            ]);
            let closed = unit.and_then(|u| u.window_ends_at).filter(|end| *end < now);
            (
                "administer",
                html! {
                    @if let Some(u) = unit { p.hint { "The " (u.name) ": " (u.state) "." } }
                    (disposition_fields(&v))
                    @if let Some(end) = closed {
                        div.late {
                            p.callout.bad role="note" { "The thaw window closed " (crate::time::time_el(end))
                                ": to give it anyway, say why and sign with your password (a deviation on the record)." }
                            (v.input("Why it is given late", "late_reason", Input::Text, None))
                            (v.input("Your password (to sign the deviation)", "password", Input::CurrentPassword, None))
                        }
                    }
                    (entry)
                },
                format!("Record {}", step.name),
            )
        }
        StepKind::Monitor => {
            push(&["from"]);
            (
                "monitor",
                html! { (v.input("Monitoring from", "from", Input::Date, None)) (entry) },
                format!("Start {}", step.name),
            )
        }
        StepKind::Checklist => {
            push(&["ticked"]);
            let items: Vec<(String, String)> = map_step
                .map(|s| {
                    s.params
                        .items
                        .iter()
                        .map(|i| (i.clone(), i.clone()))
                        .collect()
                })
                .unwrap_or_default();
            (
                "checklist",
                html! { (v.checkboxes("Tick each item done", "ticked", &items, "This checklist has no items.")) (entry) },
                format!("Record {}", step.name),
            )
        }
        StepKind::DualVerification => {
            push(&["scan", "scan_kind"]);
            (
                "verify",
                html! {
                    @if let Some(u) = unit { p.hint { "Check the " (u.name) " at the bedside against the patient: two different people each scan it." } }
                    (scan_field(&v, case, true, "Scan the bag"))
                    (entry)
                },
                format!("Verify {}", step.name),
            )
        }
    };
    let shown: Vec<&str> = names.iter().map(String::as_str).collect();
    let optional = map_step.is_some_and(|s| s.optional);
    html! {
        li.next-step data-step=(step.key) {
            h3 { (step.name) " " span.muted { "(" (crate::charts::kind_label(step.kind)) ")" } }
            (Shell { ctx, case, id: &id, command, step: Some(&step.key), fields: &shown, button: &button }.render(&v, body))
            @if optional { (skip_form(ctx, case, step, typed)) }
        }
    }
}

/// Leaving an optional step out, with the reason.
fn skip_form(ctx: &Ctx, case: &CaseView, step: &StepView, typed: Option<&Typed>) -> Markup {
    let id = format!("skip-{}", step.key);
    let (values, errors) = typed_in(typed, &id);
    let v = FormView::new(values, errors, &id);
    let button = format!("Leave out {}", step.name);
    Shell {
        ctx,
        case,
        id: &id,
        command: "skip",
        step: Some(&step.key),
        fields: &["reason"],
        button: &button,
    }
    .render(
        &v,
        html! { (v.input("Why it is left out", "reason", Input::Text, None)) },
    )
}

/// The actions beside the steps, each to the roles that may take it: an identifier from a
/// label, a unit ended outside its administration, a done step done again, a deviation.
pub(super) fn other_actions(ctx: &Ctx, case: &CaseView, typed: Option<&Typed>) -> Markup {
    let Some(role) = caller_role(ctx) else {
        return html! {};
    };
    let health_system = ctx
        .caller()
        .principal
        .as_ref()
        .is_some_and(|p| p.org_kind == cellpath_domain::OrgKind::HealthSystem);
    let labels = LABEL_ROLES.contains(&role);
    let open_units: Vec<(String, String)> = case
        .units
        .iter()
        .filter(|u| u.status != UnitState::Ended)
        .map(|u| (u.key.clone(), u.name.clone()))
        .collect();
    let ends_units = UNIT_ROLES.contains(&role) && health_system && !open_units.is_empty();
    let all_frozen = case.units.iter().all(|u| u.status == UnitState::Frozen);
    let repeatable: Vec<(String, String)> = case
        .steps
        .iter()
        .filter(|s| s.state == "done" && s.role == role && all_frozen)
        .map(|s| (s.key.clone(), s.name.clone()))
        .collect();
    let deviates = health_system && case.view == cellpath_domain::policy::PatientView::Full;
    if !(labels || ends_units || !repeatable.is_empty() || deviates) {
        return html! {};
    }
    let form = |id: &str,
                command: &str,
                fields: &[&str],
                button: &str,
                body: &dyn Fn(&FormView<'_>) -> Markup| {
        let (values, errors) = typed_in(typed, id);
        let v = FormView::new(values, errors, id);
        let open = typed.is_some_and(|t| t.form == id);
        html! {
            details.case-action open[open] {
                summary { (button) }
                (Shell { ctx, case, id, command, step: None, fields, button }.render(&v, body(&v)))
            }
        }
    };
    let mut units_or_none = vec![(String::new(), "The whole case".to_string())];
    units_or_none.extend(case.units.iter().map(|u| (u.key.clone(), u.name.clone())));
    let kinds: Vec<(String, String)> = IdentifierKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), capitalized(noun(*k))))
        .collect();
    let mut steps_or_none = vec![(String::new(), "No one step".to_string())];
    steps_or_none.extend(case.steps.iter().map(|s| (s.key.clone(), s.name.clone())));
    html! {
        section.panel #more-actions {
            h2 { "Other actions" }
            @if labels {
                (form("add-identifier", "add_identifier", &["kind", "text", "unit"], "Put a label's identifier on the case", &|v| html! {
                    div.field-grid {
                        (v.select("Identifier", "kind", &kinds))
                        (v.input("As printed on the label", "text", Input::Text, None))
                        (v.select("On the label of", "unit", &units_or_none))
                    }
                }))
            }
            @if ends_units {
                (form("end-unit", "end_unit", &["unit", "disposition", "volume_ml", "disposition_reason"], "End a unit outside its administration", &|v| html! {
                    (v.select("Unit", "unit", &open_units))
                    (disposition_fields(v))
                }))
            }
            @if !repeatable.is_empty() {
                (form("repeat", "repeat", &["step", "reason"], "Do a done step again", &|v| html! {
                    (v.select("Step", "step", &repeatable))
                    (v.input("Why it is done again", "reason", Input::Text, Some("e.g. a second collection")))
                }))
            }
            @if deviates {
                (form("deviation", "deviation", &["step", "reason", "password"], "Record a deviation", &|v| html! {
                    (v.select("About", "step", &steps_or_none))
                    (v.input("What departed from the map, and why", "reason", Input::Text, None))
                    (v.input("Your password (to sign)", "password", Input::CurrentPassword, None))
                }))
            }
        }
    }
}

/// Hold, resume and cancel, for the site's coordinators and physicians. Hold and cancel stop
/// the patient's path: they sit below everything they affect, apart from the rest.
pub(super) fn resume_form(ctx: &Ctx, case: &CaseView, typed: Option<&Typed>) -> Markup {
    let (values, errors) = typed_in(typed, "case-resume");
    let v = FormView::new(values, errors, "case-resume");
    Shell {
        ctx,
        case,
        id: "case-resume",
        command: "resume",
        step: None,
        fields: &["note"],
        button: "Resume the case",
    }
    .render(&v, html! { (v.input("Note", "note", Input::Text, None)) })
}

pub(super) fn stopping_forms(ctx: &Ctx, case: &CaseView, typed: Option<&Typed>) -> Markup {
    use cellpath_domain::events::cases::CaseState;
    let hold = {
        let (values, errors) = typed_in(typed, "case-hold");
        let v = FormView::new(values, errors, "case-hold");
        Shell {
            ctx,
            case,
            id: "case-hold",
            command: "hold",
            step: None,
            fields: &["reason"],
            button: "Put on hold",
        }
        .render(
            &v,
            html! { (v.input("Reason (e.g. a patient complication)", "reason", Input::Text, None)) },
        )
    };
    let cancel = {
        let (values, errors) = typed_in(typed, "case-cancel");
        let v = FormView::new(values, errors, "case-cancel");
        Shell {
            ctx,
            case,
            id: "case-cancel",
            command: "cancel",
            step: None,
            fields: &["care_transition_note"],
            button: "Cancel the case",
        }
        .render(
            &v,
            html! { (v.textarea("Where the patient's care goes from here", "care_transition_note", Some("the care-transition note: who takes the patient on, what was sent"), 3)) },
        )
    };
    html! {
        @if matches!(case.status, CaseState::Active | CaseState::OnHold) {
            section.panel.danger-zone #stop-case {
                h2 { "Hold or cancel the case" }
                p.hint { "These stop the patient's path on this map. A hold can be resumed; a cancellation cannot be undone." }
                @if case.status == CaseState::Active { (hold) }
                (cancel)
            }
        }
    }
}
