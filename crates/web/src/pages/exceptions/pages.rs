//! The release exceptions a person sees, and one exception's page: first whether
//! lymphodepleting chemotherapy had started, then the kind in words, the tiers told and the
//! acknowledgement, the deadlines and the SLA figures, what the person may do now and, below,
//! the handling that follows (`follow_up.rs`).

use super::follow_up::{FollowUp, Typed};
use super::{and_list, channel_words, kind_words, recipient_words};
use crate::errors::WebError;
use crate::forms::csrf_field;
use crate::labels::{Tone, badge};
use crate::layout::notice;
use crate::pages::{NoticeQuery, facts, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::release_exceptions::ReleaseExceptionView;
use cellpath_domain::events::release_exceptions::ExceptionStatus;
use maud::{Markup, html};

pub fn path(id: &str) -> String {
    format!("/release-exceptions/{id}")
}

pub fn status_badge(status: ExceptionStatus) -> Markup {
    match status {
        ExceptionStatus::Open => badge("Open", Tone::Bad),
        ExceptionStatus::Decided => badge("Decided", Tone::Waiting),
        ExceptionStatus::Closed => badge("Closed", Tone::Quiet),
    }
}

/// The first fact of every exception, as a badge.
fn lymphodepletion_badge(started: bool) -> Markup {
    if started {
        badge("Lymphodepletion started", Tone::Bad)
    } else {
        badge("Lymphodepletion not started", Tone::Good)
    }
}

pub async fn list(ctx: Ctx) -> Result<Response, WebError> {
    let all = ctx.app.release_exceptions(ctx.caller()).await?;
    let content = html! {
        header.page-head {
            h1 { "Release exceptions" }
            p.subtitle { "Products that failed release, for the cases you see. " a href="/release-exceptions/sla" { "The SLA record of each partnership" } "." }
        }
        @if all.is_empty() {
            p.empty { "No release exception in the cases you see." }
        } @else {
            table.list.exceptions {
                thead { tr { th { "Opened" } th { "Case" } th { "Kind" } th { "Lymphodepletion" } th { "Partnership" } th { "Tier told" } th { "Status" } } }
                tbody {
                    @for e in &all {
                        tr data-exception=(e.id) {
                            td { a href=(path(&e.id)) { (time_el(e.opened_at)) } }
                            td { (e.case_pseudonym) br; span.muted { (e.site_name) " · " (e.program_name) } }
                            td { (kind_words(e.kind)) }
                            td { (lymphodepletion_badge(e.lymphodepletion_started)) }
                            td { (e.partnership_name) }
                            td { (reached(e)) }
                            td { (status_badge(e.status))
                                @if e.acknowledged_at.is_some() { " " (badge("Acknowledged", Tone::Good)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render("Release exceptions", content))
}

fn reached(e: &ReleaseExceptionView) -> String {
    let told = e.tiers.iter().filter(|t| t.told).count();
    format!("{told} of {}", e.tiers.len())
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &id, None, q.notice.as_deref(), StatusCode::OK).await
}

/// The exception's page; `typed` is a follow-up form refused, shown again as typed.
pub async fn render(
    ctx: &Ctx,
    id: &str,
    typed: Option<&Typed>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let e = ctx.app.release_exception_view(ctx.caller(), id).await?;
    let now = ctx.app.now();
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/release-exceptions" { "Release exceptions" } }
            h1 { (kind_words(e.kind)) ": " (e.case_pseudonym) " " (status_badge(e.status)) }
        }
        (notice(notice_code))
        @if e.lymphodepletion_started {
            div.callout.danger #lymphodepletion data-started="yes" role="alert" {
                p.first-fact { strong { "Lymphodepleting chemotherapy had started: yes." } }
                p { "The patient has had chemotherapy that prepares for the infusion: what is decided is urgent." }
            }
        } @else {
            div.callout #lymphodepletion data-started="no" role="note" {
                p.first-fact { strong { "Lymphodepleting chemotherapy had started: no." } }
                p { "The patient has not started the chemotherapy that prepares for the infusion." }
            }
        }
        (facts(&[
            ("Kind", html! { (kind_words(e.kind)) }),
            ("Case", html! { a href=(paths::case(&e.case_id)) { (e.case_pseudonym) } }),
            ("Site", html! { (e.site_name) }),
            ("Program", html! { (e.program_name) }),
            ("Partnership", html! { a href=(paths::partnership(&e.partnership_id)) { (e.partnership_name) } }),
            ("Opened", time_el(e.opened_at)),
            ("Quality system decision", html! { (e.certificate_reference) br; span.muted { "SHA-256 " code { (e.certificate_sha256) } } }),
            ("Protocol", html! { a href=(super::protocols::version_path(&e.protocol_id)) { "Version " (e.protocol_number) } }),
        ]))
        section.panel #tiers {
            h2 { "Who was told" }
            table.list.tiers {
                thead { tr { th { "Tier" } th { "Who" } th { "How" } th { "Told" } } }
                tbody {
                    @for t in &e.tiers {
                        tr data-tier=(t.number) data-told=(if t.told { "yes" } else { "no" }) {
                            td { "Tier " (t.number) }
                            td { (crate::labels::sentence(&and_list(&t.recipients.iter().map(recipient_words).collect::<Vec<_>>()))) }
                            td { (crate::labels::sentence(&and_list(&t.channels.iter().map(|c| channel_words(*c).to_string()).collect::<Vec<_>>()))) }
                            td {
                                @if t.told {
                                    (badge(if t.escalated { "Told by escalation" } else { "Told" }, if t.escalated { Tone::Waiting } else { Tone::Good }))
                                    @if let Some(at) = t.told_at { " " (time_el(at)) }
                                } @else {
                                    span.muted { "Not told" }
                                }
                            }
                        }
                    }
                }
            }
            @match (&e.acknowledged_at, &e.acknowledged_by) {
                (Some(at), by) => {
                    p #acknowledged { (badge("Acknowledged", Tone::Good)) " by " strong { (by.clone().unwrap_or_default()) } " " (time_el(*at)) ": the escalation stopped." }
                }
                (None, _) => {
                    p #not-acknowledged { (badge("Not acknowledged yet", Tone::Bad))
                        @if let Some(at) = e.next_escalation_at {
                            " The next tier is told " (time_el(at)) " unless someone acknowledges first."
                        } @else {
                            " Every tier has been told."
                        }
                    }
                }
            }
            @if e.may_acknowledge {
                form #acknowledge-form method="post" action={ (path(&e.id)) "/acknowledgement" } {
                    (csrf_field(ctx.csrf()))
                    p.hint { "You are among those told. Acknowledging says you have it in hand: it stops the escalation for everyone." }
                    button.primary type="submit" { "Acknowledge" }
                }
            }
        }
        section.panel #deadlines {
            h2 { "Deadlines and the SLA" }
            (facts(&[
                ("Tell the patient by", html! { (time_el(e.patient_told_due_at)) " — the health system's " (crate::labels::role(e.patient_teller.as_str())) }),
                ("Decide by", time_el(e.decision_due_at)),
            ]))
            (super::sla::measures_table(&e.sla, now))
        }
        // What follows an acknowledgement — telling the patient, the decision, expanded
        // access's prerequisites, the close — is a form below (`follow_up.rs`), each shown only
        // when the view says the person may act; this list links to them.
        @let actions: Vec<FollowUp> = FollowUp::ALL.iter().copied().filter(|f| f.allowed(&e)).collect();
        @if !actions.is_empty() {
            section.panel #next-steps {
                h2 { "What you may do next" }
                ul.plain {
                    @for step in &actions {
                        li id={ "to-" (step.key()) } {
                            a href={ "#" (step.key()) } { (step.label()) }
                        }
                    }
                }
            }
        }
        @if e.acknowledged_at.is_some() || e.decision.is_some() || e.patient_told_at.is_some() || !actions.is_empty() || typed.is_some() {
            (super::follow_up::section(ctx, &e, typed))
        }
    };
    Ok(ctx.render_status(status, "Release exception", content))
}

pub async fn acknowledge(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let ctx = posted.ctx;
    ctx.app
        .acknowledge_release_exception(ctx.caller(), &id, None)
        .await?
        .fresh()?;
    Ok(notice_redirect(&path(&id), "acknowledged"))
}
