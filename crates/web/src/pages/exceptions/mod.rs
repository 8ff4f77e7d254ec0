//! Release exceptions on the web (issue 13, points 1, 2, 5 and 6): a partnership's protocols
//! read in words, drafted in a form and e-signed (`protocols.rs`); the exceptions the person
//! sees and one exception's page, the first fact first (`pages.rs`), with the forms of what
//! follows its acknowledgement (`follow_up.rs`); the SLA record, across
//! partnerships and on the partnership page (`sla.rs`). The words every one of them shares —
//! sides, roles, channels, kinds, options, spans of time — are here.

pub mod follow_up;
pub mod pages;
pub mod protocols;
pub mod sla;
#[cfg(test)]
mod tests;

use crate::labels;
use cellpath_domain::OrgKind;
use cellpath_domain::release_exception::{
    Channel, DecisionOption, ExceptionKind, HOUR, MINUTE, Prerequisite, Protocol, Recipient,
    TellMethod,
};
use maud::{Markup, html};

pub use cellpath_app::release_exceptions::span_words;

/// A side of a partnership, as a sentence names it.
pub fn side_words(side: OrgKind) -> &'static str {
    match side {
        OrgKind::Manufacturer => "the manufacturer",
        OrgKind::HealthSystem => "the health system",
    }
}

/// A recipient in words: "the health system's Cell lab".
pub fn recipient_words(r: &Recipient) -> String {
    format!("{}'s {}", side_words(r.side), labels::role(r.role.as_str()))
}

pub fn channel_words(c: Channel) -> &'static str {
    match c {
        Channel::InApp => "in-app notice",
        Channel::Email => "e-mail",
        Channel::Webhook => "webhook",
        Channel::Phone => "phone",
    }
}

/// A kind as a heading says it: "Out of specification".
pub fn kind_words(kind: ExceptionKind) -> String {
    labels::sentence(kind.words())
}

pub fn option_words(option: DecisionOption) -> String {
    labels::sentence(option.words())
}

/// How the patient was told: "In person", "By phone".
pub fn tell_method_words(method: TellMethod) -> String {
    labels::sentence(method.words())
}

/// One of expanded access's prerequisites: "The IRB's approval".
pub fn prerequisite_words(p: Prerequisite) -> String {
    labels::sentence(p.words())
}

/// A list joined as a sentence: "a, b and c".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Hours in words ("8 hours", "3 days").
pub fn hours_words(hours: i64) -> String {
    span_words(hours * HOUR)
}

/// Minutes in words ("60 minutes" reads "1 hour").
pub fn minutes_words(minutes: i64) -> String {
    span_words(minutes * MINUTE)
}

/// A protocol in words: each tier (who, how, how fast, when it escalates), who tells the
/// patient by when, the decision deadline, the options for each kind.
pub fn protocol_words(p: &Protocol) -> Markup {
    let last = p.tiers.len();
    html! {
        div.protocol {
            h3 { "Who is told" }
            ol.tiers {
                @for (i, t) in p.tiers.iter().enumerate() {
                    li.tier data-tier=(i + 1) {
                        strong { "Tier " (i + 1) } ": "
                        (and_list(&t.recipients.iter().map(recipient_words).collect::<Vec<_>>()))
                        ", by " (and_list(&t.channels.iter().map(|c| channel_words(*c).to_string()).collect::<Vec<_>>()))
                        ", within " (minutes_words(t.notify_within_minutes))
                        @if i == 0 { " of the exception" } @else { " of the escalation" } "."
                        @if let Some(h) = t.escalate_after_hours {
                            @if i + 1 < last {
                                " If nobody acknowledges within " (hours_words(h)) ", tier " (i + 2) " is told."
                            }
                        } @else {
                            " The last tier."
                        }
                    }
                }
            }
            h3 { "The patient and the decision" }
            p.patient-told {
                "The health system's " (labels::role(p.patient_communication.role.as_str()))
                " tells the patient within " (hours_words(p.patient_communication.within_hours)) " of the exception."
            }
            p.decision-due { "The decision is due within " (hours_words(p.decision_within_hours)) " of the exception." }
            h3 { "What may be decided" }
            dl.facts.options {
                @for o in &p.options {
                    div data-kind=(o.kind.as_str()) {
                        dt { (kind_words(o.kind)) }
                        dd { (and_list(&o.options.iter().map(|x| option_words(*x)).collect::<Vec<_>>())) }
                    }
                }
            }
        }
    }
}
