//! The audit trail of one ledger (an organization's or a partnership's): events newest first,
//! each with who, when, what it concerns and what changed (old → new), in names rather than
//! ids (resolved for the whole page at once), with the e-signatures on it and the event as
//! recorded one click away; a "Verify chain" check that re-hashes the stored bytes; and a form
//! on each event to e-sign it with a stated meaning and the password re-entered (21 CFR Part 11).

use super::{offset_of, see_other};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{self, Tone, badge};
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::signatures;
use crate::time::{day, time_el};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::audit::{EventView, NamesOf, VerifyReport};
use cellpath_app::signatures::RecordSignature;
use cellpath_app::views::Page;
use cellpath_domain::Date;
use cellpath_domain::contracting::{AgreementKind, Deliverable};
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
    let names = ctx.app.ledger_names(ctx.caller(), id, &events).await?;
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
                    (event(ctx, id, e, offset, may_sign, &attempt, &Reading { names: &names, seq_of: &seq_of, kind: &e.kind }))
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
    // `actor_name` is resolved with the page's other names (one query for the page).
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
    reading: &Reading,
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
                @if let Some(subject) = reading.subject(&e.payload) { " " span.event-subject { (subject) } }
                code.type-name { (e.kind) }
                span.event-meta { (time_el(e.recorded_at)) " · by " (who(e)) }
            }
            (reading.changes(&e.payload))
            @let signed: Vec<RecordSignature> = e.signatures.iter().cloned().map(|s| RecordSignature::of(s, &e.kind)).collect();
            (signatures::list(&signed))
            p.hash-line { "hash " code.hash { (e.hash) } }
            details.raw-event {
                summary { "The event as recorded" }
                p.hint { "The exact bytes that were hashed (canonical JSON), for an auditor to compare with an export." }
                pre { code { (e.body) } }
            }
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

/// How a page of events reads: the names of what their ids stand for, where each event of the
/// page is (to link a signature to the event it signs), and the type of the event at hand.
struct Reading<'a> {
    names: &'a NamesOf,
    seq_of: &'a HashMap<&'a str, i64>,
    kind: &'a str,
}

/// Fields whose values are words of a vocabulary (`legal_review`), shown as words.
const VOCABULARY_FIELDS: &[&str] = &[
    "status",
    "kind",
    "scope",
    "role",
    "owner_role",
    "deliverable",
    "severity",
    "consented_by",
    "area",
    "meaning",
    "decision",
];

impl Reading<'_> {
    /// What an event concerns, when its `id` (or a case event's `case_id`) names something the
    /// page knows: the agreement (its kind, and the site it binds) an "agreement updated" event
    /// changed, the site, user or program created or updated, the case by its pseudonym.
    fn subject(&self, payload: &Value) -> Option<Markup> {
        let id = payload
            .get("id")
            .or_else(|| payload.get("case_id"))?
            .as_str()?;
        self.named(id).map(|name| html! { "— " (name) })
    }

    /// The name of what an id stands for, if the page resolved it (with the id in its title).
    fn named(&self, id: &str) -> Option<Markup> {
        if let Some((kind, site)) = self.names.agreements.get(id) {
            return Some(html! {
                span.named title=(id) data-id=(id) {
                    (labels::agreement_kind(*kind))
                    @if let Some(site) = site {
                        " for " (self.names.names.get(site).map_or(site.as_str(), String::as_str))
                    }
                }
            });
        }
        self.names
            .names
            .get(id)
            .map(|name| html! { span.named title=(id) data-id=(id) { (name) } })
    }

    /// What an event changed, read from its payload: `*.updated` → each field old → new;
    /// `*.created` → the new fields; a signature → what it signs; anything else → its fields.
    fn changes(&self, payload: &Value) -> Markup {
        if self.kind == SIGNATURE_EVENT_TYPE {
            return self.signature_payload(payload);
        }
        let old = payload.get("old").and_then(Value::as_object);
        let new = payload.get("new").and_then(Value::as_object);
        match (old, new) {
            (Some(_), Some(new)) if new.is_empty() => html! {
                p.muted.no-change {
                    "No field changed"
                    @if let Some(v) = payload.get("version") { "; the record's version moved to " (v.to_string()) }
                    "."
                }
            },
            (Some(old), Some(new)) => html! {
                table.changes {
                    thead { tr { th { "Field" } th { "Before" } th.arrow { } th { "After" } } }
                    tbody {
                        @for (field, after) in new {
                            tr data-field=(field) {
                                th scope="row" { (field_label(field)) }
                                td.old { (self.value(field, old.get(field).unwrap_or(&Value::Null))) }
                                td.arrow aria-label="changed to" { "→" }
                                td.new { (self.value(field, after)) }
                            }
                        }
                    }
                }
            },
            (None, Some(new)) => self.fields(new.iter()),
            _ => match payload.as_object() {
                Some(map) => self.fields(map.iter()),
                None => html! { p { (self.value("", payload)) } },
            },
        }
    }

    fn fields<'v>(&self, pairs: impl Iterator<Item = (&'v String, &'v Value)>) -> Markup {
        html! {
            dl.payload {
                @for (k, v) in pairs {
                    div data-field=(k) { dt { (field_label(k)) } dd { (self.value(k, v)) } }
                }
            }
        }
    }

    fn signature_payload(&self, payload: &Value) -> Markup {
        let Ok(sig) = cellpath_ledger::SignaturePayload::from_payload(payload) else {
            return self.fields(payload.as_object().into_iter().flat_map(|m| m.iter()));
        };
        let target = match &sig.signs {
            Signed::Event { event_hash } => html! {
                "event "
                @if let Some(seq) = self.seq_of.get(event_hash.as_str()) { a href={ "#ev-" (seq) } { "#" (seq) } " " }
                code.hash.short title=(event_hash) { (event_hash.get(..12).unwrap_or(event_hash)) "…" }
            },
            Signed::Record {
                record_kind,
                record_id,
                content_hash,
            } => html! {
                (labels::field_name(record_kind)) " "
                @match self.named(record_id) { Some(name) => (name), None => code { (record_id) } }
                " "
                code.hash.short title=(content_hash) { (content_hash.get(..12).unwrap_or(content_hash)) "…" }
            },
        };
        html! {
            p.signature-summary {
                strong { (sig.printed_name) } " signed " (target) " as "
                (badge(signatures::meaning(sig.meaning), Tone::Info))
                " at " (signatures::signed_at(sig.signed_at))
                " · " span.sig-channel { (labels::signature_channel(sig.channel.as_ref())) }
            }
        }
    }

    /// One payload value: ids as the names they stand for, vocabulary words as words, days
    /// (`*_on`) and times (`*_at`) in words, lists as lists, coverage and documents as people
    /// read them, absent as a dash.
    fn value(&self, key: &str, v: &Value) -> Markup {
        match v {
            Value::Null => html! { span.muted { "—" } },
            Value::Bool(b) => html! { (if *b { "yes" } else { "no" }) },
            Value::Number(n) if key.ends_with("_at") && n.is_i64() => {
                time_el(n.as_i64().unwrap_or_default())
            }
            Value::Number(n) => html! { (n.to_string()) },
            Value::String(s) if s.is_empty() => html! { span.muted { "—" } },
            Value::String(s) => {
                if let Some(name) = self.named(s) {
                    return name;
                }
                if key.ends_with("_on")
                    && let Ok(d) = Date::parse(s)
                {
                    return html! { time datetime=(s) { (day(d.days_since_epoch() * 86_400_000_000)) } };
                }
                if let Some(word) = self.vocabulary_word(key, s) {
                    return html! { (word) };
                }
                if VOCABULARY_FIELDS.contains(&key) {
                    return html! { (labels::field_name(s)) };
                }
                html! { (s) }
            }
            Value::Array(items) if items.is_empty() => html! { span.muted { "none" } },
            Value::Array(items) if items.iter().all(Value::is_object) => html! {
                ul.payload-list {
                    @for item in items { li { (self.value(key, item)) } }
                }
            },
            Value::Array(items) => html! {
                @for (i, item) in items.iter().enumerate() {
                    @if i > 0 { ", " }
                    (self.value(key, item))
                }
            },
            Value::Object(map) => self.object(key, map),
        }
    }

    /// A word of a vocabulary the page has a label for: a deliverable, a role, an agreement's
    /// kind.
    fn vocabulary_word(&self, key: &str, word: &str) -> Option<String> {
        match key {
            "deliverable" => word
                .parse::<Deliverable>()
                .ok()
                .map(|d| labels::deliverable(d).to_string()),
            "role" | "owner_role" => Some(labels::role(word).to_string()),
            "kind" if self.kind.starts_with("agreement.") => word
                .parse::<AgreementKind>()
                .ok()
                .map(labels::agreement_kind),
            _ => None,
        }
    }

    /// A nested value: an agreement's coverage, a document, or any other as its fields.
    fn object(&self, key: &str, map: &serde_json::Map<String, Value>) -> Markup {
        if key == "coverage" {
            match map.get("covers").and_then(Value::as_str) {
                Some("all_sites") => return html! { "all current and future sites" },
                Some("named") => {
                    let none = Value::Array(vec![]);
                    return html! {
                        "the named sites: " (self.value("site_ids", map.get("site_ids").unwrap_or(&none)))
                    };
                }
                _ => {}
            }
        }
        if let (Some(name), Some(sha)) = (
            map.get("name").and_then(Value::as_str),
            map.get("sha256").and_then(Value::as_str),
        ) {
            return html! {
                span.document {
                    strong { (name) }
                    @if let Some(bytes) = map.get("bytes").and_then(Value::as_i64) { " (" (size(bytes)) ")" }
                    @if let Some(on) = map.get("added_on") { ", added " (self.value("added_on", on)) }
                    " · SHA-256 " code.hash.short title=(sha) { (sha.get(..12).unwrap_or(sha)) "…" }
                }
            };
        }
        html! {
            span.payload-object {
                @for (i, (k, v)) in map.iter().enumerate() {
                    @if i > 0 { "; " }
                    (field_label(k)) ": " (self.value(k, v))
                }
            }
        }
    }
}

/// A payload's field as a heading, naming what an id field holds: `site_id` → "site",
/// `site_ids` → "sites", `done_on` → "done on".
fn field_label(key: &str) -> String {
    if let Some(thing) = key.strip_suffix("_ids") {
        return format!("{}s", labels::field_name(thing));
    }
    labels::field_name(key.strip_suffix("_id").unwrap_or(key))
}

/// A document's size as people read it: "482 KB", "1.2 MB", "930 bytes".
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(kind: &str, payload: &Value, names: &NamesOf) -> String {
        let seq_of = HashMap::new();
        Reading {
            names,
            seq_of: &seq_of,
            kind,
        }
        .changes(payload)
        .into_string()
    }

    fn names() -> NamesOf {
        let mut names = NamesOf::default();
        names.names.insert("usr_ann".into(), "Ann Lee".into());
        names.names.insert("site_main".into(), "LUH Main".into());
        names.names.insert("site_north".into(), "LUH North".into());
        names.agreements.insert(
            "agr_q".into(),
            (AgreementKind::QualityAgreement, Some("site_main".into())),
        );
        names
    }

    #[test]
    fn an_update_shows_each_field_old_to_new_escaped() {
        let payload = json!({ "id": "site_x", "version": 2,
            "old": { "name": "North", "active": true },
            "new": { "name": "<script>alert(1)</script>", "active": false } });
        let html = read("site.updated", &payload, &NamesOf::default());
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
        let html = read("facility.created", &payload, &NamesOf::default());
        assert!(html.contains("a, b"), "{html}");
        assert!(html.contains("1970-01-01 00:00:00 UTC"), "{html}");
        assert!(html.contains("<dt>sites</dt>"), "{html}");
    }

    #[test]
    fn ids_read_as_the_names_they_stand_for_and_words_as_words() {
        let payload = json!({ "id": "agr_q", "new": {
            "owner_health_system": "usr_ann", "status": "legal_review", "site_id": "site_main",
            "effective_on": "2025-06-01", "owner_manufacturer": "usr_unknown" } });
        let html = read("agreement.created", &payload, &names());
        assert!(
            html.contains(r#"title="usr_ann" data-id="usr_ann">Ann Lee</span>"#),
            "{html}"
        );
        assert!(html.contains(">LUH Main</span>"), "{html}");
        assert!(html.contains("legal review"), "{html}");
        assert!(
            html.contains("<th scope=\"row\">site</th>") || html.contains("<dt>site</dt>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<time datetime="2025-06-01">1 Jun 2025</time>"#),
            "{html}"
        );
        // An id the page could not name stays as it is.
        assert!(html.contains("usr_unknown"), "{html}");
        let seq_of = HashMap::new();
        let reading = Reading {
            names: &names(),
            seq_of: &seq_of,
            kind: "agreement.updated",
        };
        let subject = reading
            .subject(&payload)
            .expect("the agreement is named")
            .into_string();
        assert!(
            subject.contains("Quality agreement for LUH Main"),
            "{subject}"
        );
    }

    #[test]
    fn coverage_and_documents_read_as_lists_not_json() {
        let payload = json!({ "id": "agr_q",
            "old": { "coverage": { "covers": "all_sites" }, "documents": [] },
            "new": { "coverage": { "covers": "named", "site_ids": ["site_main", "site_north"] },
                     "documents": [{ "name": "msa-executed.pdf", "bytes": 482113,
                        "sha256": "4b75161c435b279908d654e049cc8ebd64afcef70b02c53552b9ddfc89b7e029",
                        "added_on": "2026-08-09" }] } });
        let html = read("agreement.updated", &payload, &names());
        assert!(html.contains("all current and future sites"), "{html}");
        assert!(html.contains("the named sites: "), "{html}");
        assert!(html.contains(">LUH Main</span>, <span"), "{html}");
        assert!(html.contains(">LUH North</span>"), "{html}");
        assert!(
            html.contains("<strong>msa-executed.pdf</strong> (482 KB), added"),
            "{html}"
        );
        assert!(html.contains("9 Aug 2026"), "{html}");
        assert!(!html.contains("{&quot;"), "no raw JSON: {html}");
        assert!(!html.contains("covers"), "no raw JSON: {html}");
    }

    #[test]
    fn vocabulary_words_read_as_labels_and_a_bare_version_bump_says_so() {
        let payload = json!({ "id": "dlv_1", "new": { "deliverable": "pharmacy_and_therapeutics",
            "owner_role": "cell_lab" } });
        let html = read("deliverable_record.created", &payload, &NamesOf::default());
        assert!(
            html.contains("Pharmacy and therapeutics approval"),
            "{html}"
        );
        assert!(
            html.contains(&format!("<dd>{}</dd>", labels::role("cell_lab"))),
            "{html}"
        );
        let kind = json!({ "id": "agr_1", "new": { "kind": "quality_agreement" } });
        let html = read("agreement.created", &kind, &NamesOf::default());
        assert!(html.contains("Quality agreement"), "{html}");
        let bump = json!({ "id": "smv_1", "old": {}, "new": {}, "version": 3 });
        let html = read("site_map_version.updated", &bump, &NamesOf::default());
        assert!(
            html.contains("No field changed; the record's version moved to 3."),
            "{html}"
        );
        assert!(!html.contains("<table"), "{html}");
    }

    #[test]
    fn offsets_from_the_url_are_never_negative_or_garbage() {
        assert_eq!(offset_of(Some("40")), 40);
        assert_eq!(offset_of(Some("-3")), 0);
        assert_eq!(offset_of(Some("x")), 0);
        assert_eq!(offset_of(None), 0);
    }
}
