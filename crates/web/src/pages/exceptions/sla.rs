//! The SLA record of release exceptions (issue 13, point 5): for one exception, how long each
//! step took against what the protocol allows; for a partnership, the medians and breaches
//! over its exceptions (on the partnership page); across partnerships, a dashboard for each
//! side. A step not yet done counts as breached once its time has passed.

use super::{kind_words, span_words};
use crate::errors::WebError;
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::Ctx;
use crate::time::time_el;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::release_exceptions::PartnershipSla;
use cellpath_domain::release_exception::{Measure, MeasureSummary, Sla, SlaSummary};
use maud::{Markup, html};

const STEPS: [&str; 4] = ["Notify tier 1", "Acknowledge", "Decide", "Tell the patient"];

fn measures(s: &Sla) -> [Measure; 4] {
    [s.notify, s.acknowledge, s.decide, s.tell_patient]
}

fn summaries(s: &SlaSummary) -> [MeasureSummary; 4] {
    [s.notify, s.acknowledge, s.decide, s.tell_patient]
}

fn verdict(m: &Measure) -> Markup {
    match (m.took, m.breached) {
        (Some(_), false) => badge("Within", Tone::Good),
        (Some(_), true) => badge("Breached", Tone::Bad),
        (None, true) => badge("Breached: not done", Tone::Bad),
        (None, false) => badge("Not done yet", Tone::Waiting),
    }
}

/// One exception's figures, step by step.
pub fn measures_table(s: &Sla, _now: i64) -> Markup {
    html! {
        table.list.sla {
            thead { tr { th { "Step" } th { "Took" } th { "Allowed" } th { "" } } }
            tbody {
                @for (step, m) in STEPS.iter().zip(measures(s)) {
                    tr data-breached=(if m.breached { "yes" } else { "no" }) {
                        td { (step) }
                        td { @match m.took { Some(t) => (span_words(t)), None => span.muted { "—" } } }
                        td { (span_words(m.allowed)) }
                        td { (verdict(&m)) }
                    }
                }
            }
        }
    }
}

/// A partnership's summary: per step, the median of those done and the breaches.
pub fn summary_table(s: &SlaSummary) -> Markup {
    html! {
        table.list.sla-summary {
            thead { tr { th { "Step" } th { "Median time" } th { "Done" } th { "Breaches" } } }
            tbody {
                @for (step, m) in STEPS.iter().zip(summaries(s)) {
                    tr data-breaches=(m.breached) {
                        td { (step) }
                        td { @match m.median { Some(t) => (span_words(t)), None => span.muted { "—" } } }
                        td { (m.done) " of " (m.count) }
                        td { @if m.breached > 0 { (badge(&m.breached.to_string(), Tone::Bad)) } @else { "0" } }
                    }
                }
            }
        }
    }
}

fn breaches(p: &PartnershipSla) -> usize {
    summaries(&p.summary).iter().map(|m| m.breached).sum()
}

/// The partnership page's section: its figures, or that it has had no exception.
pub async fn partnership_section(
    ctx: &Ctx,
    p: &cellpath_app::views::Partnership,
) -> Result<Markup, WebError> {
    // Who does not see the cases' patients sees no exception figures either.
    let sla = match ctx.app.release_exception_sla(ctx.caller(), &p.id).await {
        Ok(sla) => sla,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => return Ok(html! {}),
        Err(e) => return Err(e.into()),
    };
    Ok(html! {
        section.panel #release-exceptions {
            h2 { "Release exceptions" }
            p {
                a href=(super::protocols::list_path(&p.id)) { "The release-exception protocols" }
                " · " a href="/release-exceptions/sla" { "SLA record of every partnership" }
            }
            @if sla.exceptions.is_empty() {
                p.empty { "No release exception so far." }
            } @else {
                p { (sla.exceptions.len()) " exception" @if sla.exceptions.len() != 1 { "s" }
                    ", " (breaches(&sla)) " breach" @if breaches(&sla) != 1 { "es" } " of the protocol's times." }
                (summary_table(&sla.summary))
                (exceptions_table(&sla))
            }
        }
    })
}

fn exceptions_table(p: &PartnershipSla) -> Markup {
    html! {
        table.list.sla-exceptions {
            thead { tr { th { "Opened" } th { "Case" } th { "Kind" } @for step in STEPS { th { (step) } } } }
            tbody {
                @for e in &p.exceptions {
                    tr data-exception=(e.id) {
                        td { a href=(super::pages::path(&e.id)) { (time_el(e.opened_at)) } }
                        td { (e.case_pseudonym) br; span.muted { (e.program_name) } }
                        td { (kind_words(e.kind)) }
                        @for m in measures(&e.sla) {
                            td {
                                @match m.took { Some(t) => (span_words(t)), None => span.muted { "not done" } }
                                @if m.breached { " " (badge("Breached", Tone::Bad)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn dashboard(ctx: Ctx) -> Result<Response, WebError> {
    let d = ctx.app.release_exception_slas(ctx.caller()).await?;
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/release-exceptions" { "Release exceptions" } }
            h1 { "SLA record of release exceptions" }
            p.subtitle { "For each partnership of " (ctx.org.name) ": how long notifying, acknowledging, deciding and telling the patient took against its protocol. A step not done counts as breached once its time has passed (as of " (time_el(d.at)) ")." }
        }
        @if d.partnerships.is_empty() {
            p.empty { "No partnership whose cases you see." }
        } @else {
            table.list.sla-dashboard {
                thead { tr { th { "Partnership" } th { "Exceptions" } @for step in STEPS { th { (step) " (median)" } } th { "Breaches" } } }
                tbody {
                    @for p in &d.partnerships {
                        tr data-partnership=(p.partnership_id) data-breaches=(breaches(p)) {
                            td { a href={ (paths::partnership(&p.partnership_id)) "#release-exceptions" } { (p.partnership_name) } }
                            td { (p.summary.exceptions) }
                            @for m in summaries(&p.summary) {
                                td { @match m.median { Some(t) => (span_words(t)), None => span.muted { "—" } } }
                            }
                            td { @if breaches(p) > 0 { (badge(&breaches(p).to_string(), Tone::Bad)) } @else { "0" } }
                        }
                    }
                }
            }
            @for p in d.partnerships.iter().filter(|p| !p.exceptions.is_empty()) {
                section.panel data-partnership=(p.partnership_id) {
                    h2 { (p.partnership_name) }
                    (exceptions_table(p))
                }
            }
        }
    };
    Ok(ctx.render("SLA record of release exceptions", content))
}
