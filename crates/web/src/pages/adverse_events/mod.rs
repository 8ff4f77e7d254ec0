//! Adverse events on a case's page: the table of graded events (kind, onset, grade and why,
//! observations with their grades, treatment, outcome) for every reader of the case, and for
//! the site's nurses and physicians the form that records one. The grade is never typed: it is
//! computed from the findings, shown as they are typed by a small script that asks `/grading`
//! (which writes nothing), and without the script it appears once the form is submitted. An
//! event still ongoing takes later observations, treatments and its outcome, each a form of
//! its own under the table.

mod form;
mod record;
#[cfg(test)]
pub(crate) mod tests;

pub use record::{follow_up, grade, record};

use crate::forms::{FormData, FormErrors};
use crate::labels::{Tone, badge};
use crate::session::Ctx;
use crate::time::time_el;
use cellpath_app::cases::{AdverseEventView, CaseView};
use form::{follow_up_forms, record_form};
use maud::{Markup, html};
use record::{findings_of, preview};

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
                                Some(state) => (crate::pages::safety::state_words(state)),
                                None => span.empty { "—" },
                            } }
                        }
                    }
                }
            }
        }
    }
}

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
                (record_form(ctx, case, typed, graded.as_ref()))
            }
        }
    }
}
