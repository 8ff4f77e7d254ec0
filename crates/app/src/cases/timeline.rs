//! A case's events in people's words: who did what to which step, when. A reader with the
//! pseudonym view reads no identifier, no field typed at a step and no deviation's reason
//! (they can carry a label's text); the chain-of-identity and full views read them all.

use cellpath_domain::events::cases::{AdverseEventKind, CaseEvent, Outcome};
use cellpath_domain::journey::{CaseMap, celsius, clock, noun, outcome_words};
use cellpath_store::CaseEventRow;

/// "2026-12-06 14:05 UTC".
pub(crate) fn when(micros: i64) -> String {
    clock(micros)
}

fn step_name(map: &CaseMap, key: &str) -> String {
    map.map()
        .step(key)
        .map_or_else(|| key.to_string(), |s| s.name.clone())
}

fn attempt(n: u32) -> String {
    if n > 1 {
        format!(" (attempt {n})")
    } else {
        String::new()
    }
}

/// One event as a sentence; `identifiers`: the reader may see identifiers and typed fields.
pub(crate) fn sentence(
    map: &CaseMap,
    row: &CaseEventRow,
    event: &CaseEvent,
    identifiers: bool,
) -> String {
    let at = when(row.recorded_at);
    match event {
        CaseEvent::Opened(e) => format!(
            "{} opened case {} ({at})",
            e.new.opened_by.name, e.new.pseudonym
        ),
        CaseEvent::IdentifierAdded(e) => {
            let what = noun(e.identifier.kind);
            if identifiers {
                format!(
                    "{} added the {what} {} ({at})",
                    e.by.name, e.identifier.value
                )
            } else {
                format!("{} added a {what} ({at})", e.by.name)
            }
        }
        CaseEvent::StepRecorded(e) => {
            let step = format!("{}{}", step_name(map, &e.step), attempt(e.attempt));
            let how = if e.attestation.is_some() {
                "attested from the EHR"
            } else {
                "recorded"
            };
            let outcome = match &e.outcome {
                Outcome::Released { decision, .. } => format!(": {decision}"),
                Outcome::Scheduled { on, .. } => format!(" for {}", on.as_str()),
                Outcome::Thawed { unit, .. } => format!(": {unit} thawed"),
                Outcome::Administered { unit, disposition } => format!(": {unit} {disposition}"),
                Outcome::MonitoringOpened { from, until } => {
                    format!(": monitoring {} to {}", from.as_str(), until.as_str())
                }
                Outcome::FollowUpScheduled { forms, .. } => {
                    format!(": {} registry forms scheduled", forms.len())
                }
                _ => String::new(),
            };
            format!("{} {how} {step}{outcome} ({at})", e.by.name)
        }
        CaseEvent::StepSigned(e) => format!(
            "{} signed {}{} as {} ({at})",
            e.by.name,
            step_name(map, &e.step),
            attempt(e.attempt),
            e.meaning
        ),
        CaseEvent::StepVerified(e) => format!(
            "{} verified {}{} ({at})",
            e.by.name,
            step_name(map, &e.step),
            attempt(e.attempt)
        ),
        CaseEvent::CustodyRecorded(e) => {
            let temperature = match e.temperature {
                cellpath_domain::journey::Temperature::InRange => String::new(),
                cellpath_domain::journey::Temperature::Excursion {
                    reading_tenths_celsius,
                } => format!(
                    ", temperature excursion at {}",
                    celsius(reading_tenths_celsius)
                ),
            };
            format!(
                "{} handed over from {} to {} at {} ({}){temperature} ({at})",
                e.by.name,
                e.from,
                e.to,
                e.location,
                step_name(map, &e.step)
            )
        }
        CaseEvent::StepCompleted(e) => format!(
            "{}{} done ({at})",
            step_name(map, &e.step),
            attempt(e.attempt)
        ),
        CaseEvent::StepSkipped(e) => format!(
            "{} skipped {}: {} ({at})",
            e.by.name,
            step_name(map, &e.step),
            e.reason
        ),
        CaseEvent::AttemptStarted(e) => format!(
            "{} started {} again: {} ({at})",
            e.by.name,
            step_name(map, &e.step),
            e.reason
        ),
        CaseEvent::DeviationRecorded(e) => {
            let kind = e.kind.as_str().replace('_', " ");
            let signed = if e.signed { ", signed" } else { "" };
            if identifiers {
                format!(
                    "{} recorded a {kind} deviation{signed}: {} ({at})",
                    e.by.name, e.reason
                )
            } else {
                format!("{} recorded a {kind} deviation{signed} ({at})", e.by.name)
            }
        }
        CaseEvent::UnitEnded(e) => {
            format!("{} ended {}: {} ({at})", e.by.name, e.unit, e.disposition)
        }
        CaseEvent::Held(e) => format!("{} put the case on hold: {} ({at})", e.by.name, e.reason),
        CaseEvent::Resumed(e) => format!("{} resumed the case: {} ({at})", e.by.name, e.note),
        CaseEvent::Cancelled(e) => format!(
            "{} cancelled the case; care goes on: {} ({at})",
            e.by.name, e.care_transition_note
        ),
        CaseEvent::BenefitsVerified(e) => {
            let pa = &e.prior_authorization;
            if identifiers {
                format!(
                    "{} verified benefits: {}, {}; prior authorization {} {} ({at})",
                    e.by.name, e.payer, e.plan, pa.reference, pa.status
                )
            } else {
                format!(
                    "{} verified benefits; prior authorization {} ({at})",
                    e.by.name, pa.status
                )
            }
        }
        CaseEvent::ConsentRecorded(e) => {
            let witness = if identifiers {
                format!(", witnessed by {}", e.witness)
            } else {
                String::new()
            };
            format!(
                "{} recorded the consent of {} on consent version {}, signed on {}{witness} ({at})",
                e.by.name,
                e.consented_by.label(),
                e.version_number,
                e.signed_on,
            )
        }
        CaseEvent::Migrated(e) => format!(
            "{} moved the case to a newer version of the site's map ({at})",
            e.by.name
        ),
        CaseEvent::AdverseEventRecorded(e) => {
            let grade = e.observations.iter().map(|o| o.grade()).max().unwrap_or(0);
            format!(
                "{} recorded {} (onset {}): grade {grade} ({at})",
                e.by.name,
                ae(e.kind, e.adverse_event),
                when(e.onset_at)
            )
        }
        CaseEvent::AdverseEventObserved(e) => format!(
            "{} observed adverse event #{}: grade {} ({at})",
            e.by.name,
            e.adverse_event,
            e.observation.grade()
        ),
        CaseEvent::AdverseEventTreated(e) => {
            let detail = if identifiers && !e.detail.is_empty() {
                format!(" ({})", e.detail)
            } else {
                String::new()
            };
            format!(
                "{} recorded {}{detail} given at {} for adverse event #{} ({at})",
                e.by.name,
                e.treatment,
                when(e.given_at),
                e.adverse_event
            )
        }
        CaseEvent::AdverseEventOutcome(e) => format!(
            "{} recorded adverse event #{} as {} ({at})",
            e.by.name,
            e.adverse_event,
            outcome_words(&e.outcome)
        ),
        CaseEvent::RegistryScheduled(e) => format!(
            "the infusion on {} scheduled {} registry forms and {} follow-up visits ({at})",
            e.infused_on.words(),
            e.forms.len(),
            e.visits.len()
        ),
        CaseEvent::RegistryFormSubmitted(e) => {
            let day = e.submitted_on.words();
            if identifiers {
                format!(
                    "{} marked {} submitted on {day}, reference {} ({at})",
                    e.by.name, e.form, e.reference
                )
            } else {
                format!("{} marked {} submitted on {day} ({at})", e.by.name, e.form)
            }
        }
    }
}

/// E.g. "CRS #1".
fn ae(kind: AdverseEventKind, number: u32) -> String {
    format!("{} #{number}", kind.label())
}
