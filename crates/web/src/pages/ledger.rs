//! The audit trail of one ledger (an organization's or a partnership's): events newest first,
//! each with who, when, what changed (old → new) and the e-signatures on it; a "Verify chain"
//! check that re-hashes the stored bytes; and a form on each event to e-sign it with a stated
//! meaning and the password re-entered (21 CFR Part 11).

use super::{offset_of, see_other};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{self, Tone, badge};
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::audit::{EventView, VerifyReport};
use cellpath_app::views::Page;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_ledger::{Meaning, SIGNATURE_EVENT_TYPE, Signed};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// Events per page.
const PAGE_SIZE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    offset: Option<String>,
    verify: Option<String>,
    notice: Option<String>,
}

/// A sign form that came back with errors, to show on its event.
#[derive(Default)]
struct SignAttempt {
    event_hash: String,
    values: FormData,
    errors: FormErrors,
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, WebError> {
    let verify = q
        .verify
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "0");
    render(
        &ctx,
        &id,
        offset_of(q.offset.as_deref()),
        verify,
        SignAttempt::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn sign(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let offset = offset_of(Some(form.get("offset")));
    let event_hash = form.get("event_hash").to_string();
    let result = match form.get("meaning").parse::<Meaning>() {
        Ok(meaning) => ctx
            .app
            .sign(
                ctx.caller(),
                &id,
                Signed::Event {
                    event_hash: event_hash.clone(),
                },
                meaning,
                form.get("password"),
                None,
            )
            .await
            .and_then(|o| o.fresh())
            .map_err(FormErrors::from_app),
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.field("meaning", "choose what your signature means");
            Err(Ok(errors))
        }
    };
    match result {
        Ok(_) => {
            // The signature is a new event at the top, so the signed one moved down by one.
            let offset = if offset > 0 { offset + 1 } else { 0 };
            let seq = form.get("seq").parse::<i64>().unwrap_or(0);
            Ok(see_other(&format!(
                "/ledgers/{id}?offset={offset}&notice=signed#ev-{seq}"
            )))
        }
        Err(errors) => {
            let errors = errors?;
            let status = errors.status();
            let attempt = SignAttempt {
                event_hash,
                values: FormData::from_pairs([("meaning", form.get("meaning"))]),
                errors,
            };
            render(&ctx, &id, offset, false, attempt, None, status).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    ctx: &Ctx,
    id: &str,
    offset: i64,
    verify: bool,
    attempt: SignAttempt,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let head = ctx.app.ledger_head(ctx.caller(), id).await?;
    let offset = offset.min((head.seq - 1).max(0));
    let events = ctx
        .app
        .ledger_events(
            ctx.caller(),
            id,
            Page {
                limit: PAGE_SIZE,
                offset,
            },
        )
        .await?;
    let report = if verify {
        Some(ctx.app.verify_ledger(ctx.caller(), id).await?)
    } else {
        None
    };
    let (title, back) = if id == ctx.org.id {
        (ctx.org.name.clone(), paths::org(id))
    } else {
        match ctx.app.partnership(ctx.caller(), id).await {
            Ok(p) => (p.name, paths::partnership(id)),
            Err(_) => (id.to_string(), "/".to_string()),
        }
    };
    let rel = ctx.app.ledger_relation(ctx.caller(), id).await?;
    let may_sign = ctx.may(Action::Sign, ResourceKind::Ledger, rel);
    let seq_of: HashMap<&str, i64> = events.iter().map(|e| (e.hash.as_str(), e.seq)).collect();
    let newest = head.seq - offset;
    let oldest = newest - events.len() as i64 + 1;

    let content = html! {
        header.page-head {
            p.breadcrumb { a href=(back) { (title) } }
            h1 { "Audit trail" }
            p.subtitle { (title) " · " (labels::event_kind(head.kind.as_str())) " ledger" }
        }
        (notice(notice_code))
        (super::facts(&[
            ("Ledger", html! { code { (head.ledger_id) } }),
            ("Events", html! { (head.seq) }),
            ("Head hash", html! { code.hash #head-hash { (head.head_hash) } }),
        ]))
        section.panel #verify {
            div.verify-row {
                a.button.secondary #verify-link href={ (paths::ledger(id)) "?verify=1&offset=" (offset) } { "Verify chain" }
                span.hint { "Re-hashes every stored event and follows the chain from the first to the head." }
            }
            @if let Some(report) = &report { (verify_result(report)) }
        }
        @if events.is_empty() {
            p.empty { "No events on this page." }
        } @else {
            p.range { "Events " (newest) " to " (oldest) " of " (head.seq) ", newest first." }
            ol.events {
                @for e in &events {
                    (event(ctx, id, e, offset, may_sign, &attempt, &seq_of))
                }
            }
            (pager(id, offset, head.seq))
        }
    };
    Ok(ctx.render_status(status, &format!("Audit trail of {title}"), content))
}

fn verify_result(report: &VerifyReport) -> Markup {
    match report {
        VerifyReport::Intact {
            events, head_hash, ..
        } => html! {
            div.callout.good #verify-result data-result="intact" role="status" {
                p { strong { "Chain intact." } " " (events) " events verified; every hash matches its stored bytes and links to the one before." }
                p { "Head hash " code.hash { (head_hash) } }
            }
        },
        VerifyReport::Broken { seq, reason, .. } => html! {
            div.callout.bad #verify-result data-result="broken" role="alert" {
                p { strong { "Chain broken at event " (seq) "." } " " (labels::sentence(reason)) }
                p { "Events from there on cannot be trusted as recorded. Tell your quality lead and the cellpath operator." }
            }
        },
    }
}

fn pager(id: &str, offset: i64, total: i64) -> Markup {
    let newer = (offset > 0).then(|| (offset - PAGE_SIZE).max(0));
    let older = (offset + PAGE_SIZE < total).then_some(offset + PAGE_SIZE);
    html! {
        nav.pager aria-label="Pages of the audit trail" {
            @if let Some(o) = newer { a.button.secondary rel="prev" href={ (paths::ledger(id)) "?offset=" (o) } { "← Newer events" } }
            @if let Some(o) = older { a.button.secondary rel="next" href={ (paths::ledger(id)) "?offset=" (o) } { "Older events →" } }
        }
    }
}

fn who(e: &EventView) -> Markup {
    match (&e.actor_name, e.actor.strip_prefix("system:")) {
        (Some(name), _) => html! { span title=(e.actor) { (name) } },
        (None, Some(what)) => html! { span.muted title=(e.actor) { "the operator (" (what) ")" } },
        (None, None) => html! { code { (e.actor) } },
    }
}

fn event(
    ctx: &Ctx,
    ledger_id: &str,
    e: &EventView,
    offset: i64,
    may_sign: bool,
    attempt: &SignAttempt,
    seq_of: &HashMap<&str, i64>,
) -> Markup {
    let failed = attempt.event_hash == e.hash;
    let no_values = FormData::default();
    let no_errors = FormErrors::default();
    let prefix = format!("sign-{}", e.seq);
    let view = if failed {
        FormView::new(&attempt.values, &attempt.errors, &prefix)
    } else {
        FormView::new(&no_values, &no_errors, &prefix)
    };
    let meanings: Vec<(String, String)> =
        std::iter::once((String::new(), "Choose a meaning…".to_string()))
            .chain(
                Meaning::ALL
                    .iter()
                    .map(|m| (m.as_str().to_string(), labels::sentence(m.as_str()))),
            )
            .collect();
    html! {
        li.event #{ "ev-" (e.seq) } data-seq=(e.seq) data-type=(e.kind) {
            header.event-head {
                span.seq { "#" (e.seq) }
                span.event-type { (labels::event_kind(&e.kind)) }
                code.type-name { (e.kind) }
                span.event-meta { (time_el(e.recorded_at)) " · by " (who(e)) }
            }
            (changes(&e.kind, &e.payload, seq_of))
            @if !e.signatures.is_empty() {
                ul.signatures {
                    @for s in &e.signatures {
                        li.signature data-meaning=(s.meaning) {
                            span.sig-mark aria-hidden="true" { "✎" }
                            strong { (s.printed_name) }
                            " · " (badge(&labels::sentence(s.meaning.as_str()), Tone::Info))
                            " · " (time_el(s.signed_at))
                            " · " span.sig-channel { (labels::signature_channel(s.channel.as_ref())) }
                        }
                    }
                }
            }
            p.hash-line { "hash " code.hash { (e.hash) } }
            @if may_sign && e.kind != SIGNATURE_EVENT_TYPE {
                details.sign open[failed] {
                    summary { "Sign this event" }
                    (view.summary(&["meaning", "password"]))
                    form.sign-form #{ "sign-form-" (e.seq) } method="post" action={ (paths::ledger(ledger_id)) "/sign#ev-" (e.seq) } novalidate {
                        (csrf_field(ctx.csrf()))
                        (hidden("event_hash", &e.hash))
                        (hidden("seq", e.seq))
                        (hidden("offset", offset))
                        div.field-grid {
                            (view.select("Meaning", "meaning", &meanings))
                            (view.input("Your password", "password", Input::CurrentPassword, None))
                        }
                        p.hint { "Your signature records your printed name (" (ctx.session.user.name) "), its meaning and the time, linked to this event's hash." }
                        button.primary type="submit" { "Sign" }
                    }
                }
            }
        }
    }
}

/// What an event changed, read from its payload: `*.updated` → each field old → new;
/// `*.created` → the new fields; a signature → what it signs; anything else → its fields.
fn changes(kind: &str, payload: &Value, seq_of: &HashMap<&str, i64>) -> Markup {
    if kind == SIGNATURE_EVENT_TYPE {
        return signature_payload(payload, seq_of);
    }
    let old = payload.get("old").and_then(Value::as_object);
    let new = payload.get("new").and_then(Value::as_object);
    match (old, new) {
        (Some(old), Some(new)) => html! {
            table.changes {
                thead { tr { th { "Field" } th { "Before" } th.arrow { } th { "After" } } }
                tbody {
                    @for (field, after) in new {
                        tr data-field=(field) {
                            th scope="row" { (labels::field_name(field)) }
                            td.old { (value(field, old.get(field).unwrap_or(&Value::Null))) }
                            td.arrow aria-label="changed to" { "→" }
                            td.new { (value(field, after)) }
                        }
                    }
                }
            }
        },
        (None, Some(new)) => fields(new.iter()),
        _ => match payload.as_object() {
            Some(map) => fields(map.iter()),
            None => html! { p { (value("", payload)) } },
        },
    }
}

fn fields<'a>(pairs: impl Iterator<Item = (&'a String, &'a Value)>) -> Markup {
    html! {
        dl.payload {
            @for (k, v) in pairs {
                div data-field=(k) { dt { (labels::field_name(k)) } dd { (value(k, v)) } }
            }
        }
    }
}

fn signature_payload(payload: &Value, seq_of: &HashMap<&str, i64>) -> Markup {
    let Ok(sig) = cellpath_ledger::SignaturePayload::from_payload(payload) else {
        return fields(payload.as_object().into_iter().flat_map(|m| m.iter()));
    };
    let target = match &sig.signs {
        Signed::Event { event_hash } => html! {
            "event "
            @if let Some(seq) = seq_of.get(event_hash.as_str()) { a href={ "#ev-" (seq) } { "#" (seq) } " " }
            code.hash.short title=(event_hash) { (event_hash.get(..12).unwrap_or(event_hash)) "…" }
        },
        Signed::Record {
            record_kind,
            record_id,
            content_hash,
        } => html! {
            (labels::field_name(record_kind)) " " code { (record_id) } " "
            code.hash.short title=(content_hash) { (content_hash.get(..12).unwrap_or(content_hash)) "…" }
        },
    };
    html! {
        p.signature-summary {
            strong { (sig.printed_name) } " signed " (target) " as "
            (badge(&labels::sentence(sig.meaning.as_str()), Tone::Info))
            " at " (time_el(sig.signed_at))
            " · " span.sig-channel { (labels::signature_channel(sig.channel.as_ref())) }
        }
    }
}

/// One payload value: text as typed, lists joined, times (`*_at`) in UTC, absent as a dash.
fn value(key: &str, v: &Value) -> Markup {
    match v {
        Value::Null => html! { span.muted { "—" } },
        Value::Bool(b) => html! { (if *b { "yes" } else { "no" }) },
        Value::Number(n) if key.ends_with("_at") && n.is_i64() => {
            time_el(n.as_i64().unwrap_or_default())
        }
        Value::Number(n) => html! { (n.to_string()) },
        Value::String(s) => html! { (s) },
        Value::Array(items) if items.is_empty() => html! { span.muted { "none" } },
        Value::Array(items) => html! {
            @for (i, item) in items.iter().enumerate() {
                @if i > 0 { ", " }
                (value("", item))
            }
        },
        Value::Object(_) => html! { code { (v.to_string()) } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_each_field_old_to_new_escaped() {
        let payload = json!({ "id": "site_x", "version": 2,
            "old": { "name": "North", "active": true },
            "new": { "name": "<script>alert(1)</script>", "active": false } });
        let html = changes("site.updated", &payload, &HashMap::new()).into_string();
        assert!(html.contains("North"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"<td class="old">yes</td>"#), "{html}");
        assert!(html.contains(r#"<td class="new">no</td>"#), "{html}");
    }

    #[test]
    fn a_creation_lists_the_new_fields_with_times_in_utc() {
        let payload =
            json!({ "id": "x", "new": { "name": "Lab", "site_ids": ["a", "b"], "opened_at": 0 } });
        let html = changes("facility.created", &payload, &HashMap::new()).into_string();
        assert!(html.contains("a, b"), "{html}");
        assert!(html.contains("1970-01-01 00:00:00 UTC"), "{html}");
        assert!(html.contains("site ids"), "{html}");
    }

    #[test]
    fn offsets_from_the_url_are_never_negative_or_garbage() {
        assert_eq!(offset_of(Some("40")), 40);
        assert_eq!(offset_of(Some("-3")), 0);
        assert_eq!(offset_of(Some("x")), 0);
        assert_eq!(offset_of(None), 0);
    }
}
