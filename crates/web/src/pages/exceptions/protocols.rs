//! A partnership's release-exception protocols: each program's agreed version and drafts in
//! words, a draft form (three tiers at most on the page; a tier left empty is not sent), and
//! one version's page with its signatures and the e-signature form (21 CFR Part 11: the
//! password re-entered, meaning approved, over the version's content hash).

use super::{protocol_words, recipient_words};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field};
use crate::labels::{self, Tone, badge};
use crate::layout::notice;
use crate::pages::{NoticeQuery, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::{calendar_day, time_el};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::release_exceptions::{
    NewExceptionProtocol, PartnershipProtocols, ProtocolVersionView,
};
use cellpath_domain::events::release_exceptions::ProtocolStatus;
use cellpath_domain::release_exception::{
    Channel, DecisionOption, ExceptionKind, KindOptions, PatientCommunication, Protocol, Recipient,
    Tier,
};
use cellpath_domain::{OrgKind, Role};
use maud::{Markup, html};

/// How many tiers the draft form offers.
const TIERS_ON_FORM: usize = 3;

pub fn list_path(partnership_id: &str) -> String {
    format!("/partnerships/{partnership_id}/exception-protocols")
}

pub fn version_path(id: &str) -> String {
    format!("/exception-protocols/{id}")
}

pub fn status_badge(status: ProtocolStatus) -> Markup {
    match status {
        ProtocolStatus::Draft => badge("Draft: awaiting signatures", Tone::Waiting),
        ProtocolStatus::Agreed => badge("Agreed by both sides", Tone::Good),
        ProtocolStatus::Superseded => badge("Superseded", Tone::Quiet),
    }
}

pub async fn list(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let protocols = ctx.app.partnership_protocols(ctx.caller(), &id).await?;
    let values = start_values(&protocols, None);
    render(
        &ctx,
        &protocols,
        &values,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn draft(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    // Who may not draft here is told so before anything they typed is read.
    let protocols = ctx.app.partnership_protocols(ctx.caller(), &id).await?;
    if !protocols.may_draft {
        return Err(cellpath_app::AppError::Forbidden(
            "a protocol is drafted by a party of an active partnership whose role records its deliverables".into(),
        )
        .into());
    }
    let (protocol, mut errors) = protocol_of_form(&form);
    if errors.is_empty() {
        let input = NewExceptionProtocol {
            program_id: form.get("program_id").to_string(),
            protocol: protocol.expect("no errors"),
        };
        match ctx
            .app
            .draft_exception_protocol_view(ctx.caller(), &id, input, None)
            .await
            .and_then(|o| o.fresh())
        {
            Ok(v) => return Ok(notice_redirect(&version_path(&v.id), "created")),
            Err(e) => {
                for (field, message) in FormErrors::from_app(e)?.into_pairs() {
                    if field.is_empty() {
                        errors.form(message);
                    } else {
                        errors.field(&form_field(&field), message);
                    }
                }
            }
        }
    }
    let protocols = ctx.app.partnership_protocols(ctx.caller(), &id).await?;
    render(&ctx, &protocols, &form, &errors, None, errors.status()).await
}

/// A field the app names (`protocol.tiers[0].recipients[1].role`) as the form's field
/// (`t0_recipients`), so its message stands beside what the person ticked or typed.
fn form_field(app_field: &str) -> String {
    let f = app_field.strip_prefix("protocol.").unwrap_or(app_field);
    if let Some(rest) = f.strip_prefix("tiers[") {
        let (i, rest) = rest.split_once(']').unwrap_or(("0", ""));
        let part = rest.trim_start_matches('.');
        let name = if part.starts_with("recipients") {
            "recipients"
        } else if part.starts_with("channels") {
            "channels"
        } else if part.starts_with("notify_within_minutes") {
            "notify"
        } else if part.starts_with("escalate_after_hours") {
            "escalate"
        } else {
            "recipients"
        };
        return format!("t{i}_{name}");
    }
    match f {
        "tiers" => "t0_recipients".into(),
        "patient_communication.role" => "patient_role".into(),
        "patient_communication.within_hours" => "patient_hours".into(),
        "decision_within_hours" => "decision_hours".into(),
        "program_id" => "program_id".into(),
        other if other.starts_with("options") => "options".into(),
        other => other.into(),
    }
}

/// The form's values for a protocol: each tier's recipients (`side:role`), channels,
/// minutes and hours; the patient's teller and hours; the decision hours; the options
/// (`kind:option`).
fn values_of(program_id: &str, p: &Protocol) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![("program_id".into(), program_id.into())];
    for (i, t) in p.tiers.iter().enumerate().take(TIERS_ON_FORM) {
        for r in &t.recipients {
            pairs.push((
                format!("t{i}_recipients"),
                format!("{}:{}", r.side.as_str(), r.role.as_str()),
            ));
        }
        for c in &t.channels {
            pairs.push((format!("t{i}_channels"), c.as_str().into()));
        }
        pairs.push((format!("t{i}_notify"), t.notify_within_minutes.to_string()));
        if let Some(h) = t.escalate_after_hours {
            pairs.push((format!("t{i}_escalate"), h.to_string()));
        }
    }
    pairs.push((
        "patient_role".into(),
        p.patient_communication.role.as_str().into(),
    ));
    pairs.push((
        "patient_hours".into(),
        p.patient_communication.within_hours.to_string(),
    ));
    pairs.push(("decision_hours".into(), p.decision_within_hours.to_string()));
    for o in &p.options {
        for x in &o.options {
            pairs.push((
                "options".into(),
                format!("{}:{}", o.kind.as_str(), x.as_str()),
            ));
        }
    }
    FormData::from_pairs(pairs)
}

/// The draft form starts from the first program's agreed version, or the usual protocol.
fn start_values(protocols: &PartnershipProtocols, program_id: Option<&str>) -> FormData {
    let program = program_id
        .map(str::to_string)
        .or_else(|| protocols.programs.first().map(|p| p.id.clone()))
        .unwrap_or_default();
    let protocol = protocols
        .agreed(&program)
        .map(|v| v.protocol.clone())
        .unwrap_or_else(Protocol::usual);
    values_of(&program, &protocol)
}

/// A whole number typed in a field; blank is none.
fn number(form: &FormData, field: &str, errors: &mut FormErrors) -> Option<i64> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.field(field, "a whole number");
            None
        }
    }
}

/// The protocol a form describes; a tier with nothing ticked or typed is left out. What the
/// form itself cannot read (a number that is not one) is named beside its field; the rest is
/// the domain's to check.
fn protocol_of_form(form: &FormData) -> (Option<Protocol>, FormErrors) {
    let mut errors = FormErrors::default();
    let mut tiers = Vec::new();
    for i in 0..TIERS_ON_FORM {
        let recipients: Vec<Recipient> = form
            .all(&format!("t{i}_recipients"))
            .iter()
            .filter_map(|v| {
                let (side, role) = v.split_once(':')?;
                Some(Recipient {
                    side: side.parse::<OrgKind>().ok()?,
                    role: role.parse::<Role>().ok()?,
                })
            })
            .collect();
        let channels: Vec<Channel> = form
            .all(&format!("t{i}_channels"))
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let notify = number(form, &format!("t{i}_notify"), &mut errors);
        let escalate = number(form, &format!("t{i}_escalate"), &mut errors);
        let blank = recipients.is_empty() && channels.is_empty() && escalate.is_none();
        if blank && i > 0 {
            continue;
        }
        if notify.is_none() && !errors.has_field(&format!("t{i}_notify")) {
            errors.field(
                &format!("t{i}_notify"),
                "say within how many minutes the tier is told",
            );
        }
        tiers.push(Tier {
            recipients,
            channels,
            notify_within_minutes: notify.unwrap_or(0),
            escalate_after_hours: escalate,
        });
    }
    let role = form.get("patient_role").parse::<Role>().ok();
    if role.is_none() {
        errors.field("patient_role", "choose who tells the patient");
    }
    let patient_hours = number(form, "patient_hours", &mut errors);
    if patient_hours.is_none() && !errors.has_field("patient_hours") {
        errors.field("patient_hours", "say within how many hours");
    }
    let decision_hours = number(form, "decision_hours", &mut errors);
    if decision_hours.is_none() && !errors.has_field("decision_hours") {
        errors.field("decision_hours", "say within how many hours");
    }
    let ticked = form.all("options");
    let options = ExceptionKind::ALL
        .iter()
        .map(|kind| KindOptions {
            kind: *kind,
            options: DecisionOption::ALL
                .iter()
                .copied()
                .filter(|o| ticked.contains(&format!("{}:{}", kind.as_str(), o.as_str())))
                .collect(),
        })
        .collect();
    if !errors.is_empty() {
        return (None, errors);
    }
    (
        Some(Protocol {
            tiers,
            patient_communication: PatientCommunication {
                role: role.expect("checked"),
                within_hours: patient_hours.expect("checked"),
            },
            decision_within_hours: decision_hours.expect("checked"),
            options,
        }),
        errors,
    )
}

fn recipient_choices() -> Vec<(String, String)> {
    [OrgKind::Manufacturer, OrgKind::HealthSystem]
        .iter()
        .flat_map(|side| {
            Role::for_kind(*side).iter().map(move |role| {
                let r = Recipient {
                    side: *side,
                    role: *role,
                };
                (
                    format!("{}:{}", side.as_str(), role.as_str()),
                    labels::sentence(&recipient_words(&r)),
                )
            })
        })
        .collect()
}

fn draft_form(ctx: &Ctx, protocols: &PartnershipProtocols, view: &FormView) -> Markup {
    let programs: Vec<(String, String)> = protocols
        .programs
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let recipients = recipient_choices();
    let channels: Vec<(String, String)> = Channel::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), super::channel_words(*c).to_string()))
        .collect();
    let tellers: Vec<(String, String)> = Role::for_kind(OrgKind::HealthSystem)
        .iter()
        .map(|r| (r.as_str().to_string(), labels::role(r.as_str()).to_string()))
        .collect();
    let mut fields = vec![
        "program_id",
        "patient_role",
        "patient_hours",
        "decision_hours",
        "options",
    ];
    let tier_fields: Vec<String> = (0..TIERS_ON_FORM)
        .flat_map(|i| ["recipients", "channels", "notify", "escalate"].map(|f| format!("t{i}_{f}")))
        .collect();
    fields.extend(tier_fields.iter().map(String::as_str));
    html! {
        section.panel #draft-panel {
            h2 { "Draft a new version" }
            p.hint { "The form starts from the version agreed for the first program (or from a usual protocol). Each side signs the draft; once both have, it is agreed and replaces the version agreed before." }
            (view.summary(&fields))
            form #protocol-form method="post" action={ (list_path(&protocols.partnership_id)) "#draft-panel" } novalidate {
                (csrf_field(ctx.csrf()))
                (view.select("Program", "program_id", &programs))
                @for i in 0..TIERS_ON_FORM {
                    fieldset.tier-fields data-tier=(i + 1) {
                        legend { "Tier " (i + 1) @if i > 0 { " (leave empty for none)" } }
                        (view.checkboxes("Who is told", &format!("t{i}_recipients"), &recipients, ""))
                        (view.checkboxes("By which channel", &format!("t{i}_channels"), &channels, ""))
                        div.field-grid {
                            (view.input("Told within (minutes)", &format!("t{i}_notify"), Input::Text, None))
                            (view.input("Next tier told after (hours without an acknowledgement)", &format!("t{i}_escalate"), Input::Text, Some("Empty on the last tier.")))
                        }
                    }
                }
                fieldset {
                    legend { "The patient and the decision" }
                    div.field-grid {
                        (view.select("Who tells the patient (the health system's)", "patient_role", &tellers))
                        (view.input("Within (hours)", "patient_hours", Input::Text, None))
                        (view.input("Decision due within (hours)", "decision_hours", Input::Text, None))
                    }
                }
                @let options: Vec<(String, String)> = ExceptionKind::ALL.iter().flat_map(|k| {
                    DecisionOption::ALL.iter().filter(|o| o.fits(*k)).map(move |o| {
                        (format!("{}:{}", k.as_str(), o.as_str()), format!("{}: {}", super::kind_words(*k), o.words()))
                    })
                }).collect();
                (view.checkboxes("Options offered for each kind of exception", "options", &options, ""))
                button.primary type="submit" { "Save the draft" }
            }
        }
    }
}

fn versions_table(versions: &[&ProtocolVersionView]) -> Markup {
    html! {
        table.list.protocol-versions {
            thead { tr { th { "Version" } th { "Status" } th { "Signed for the manufacturer" } th { "Signed for the health system" } th { "Drafted" } } }
            tbody {
                @for v in versions {
                    tr data-version=(v.id) data-status=(v.status.as_str()) {
                        td { a href=(version_path(&v.id)) { "Version " (v.number) } }
                        td { (status_badge(v.status)) @if let Some(d) = &v.agreed_on { " on " (calendar_day(d)) } }
                        td { (v.manufacturer_signer.clone().unwrap_or_else(|| "Not signed yet".into())) }
                        td { (v.health_system_signer.clone().unwrap_or_else(|| "Not signed yet".into())) }
                        td { (time_el(v.created_at)) }
                    }
                }
            }
        }
    }
}

async fn render(
    ctx: &Ctx,
    protocols: &PartnershipProtocols,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let view = FormView::new(values, errors, "protocol");
    let content = html! {
        header.page-head {
            p.breadcrumb {
                a href="/partnerships" { "Partnerships" } " › "
                a href=(paths::partnership(&protocols.partnership_id)) { (protocols.partnership_name) }
            }
            h1 { "Release-exception protocols" }
            p.subtitle { "What both sides agreed, before the first patient, for a product that fails release: who is told and how fast, when it escalates, who tells the patient, when the decision is due, and what may be decided." }
        }
        (notice(notice_code))
        @if protocols.programs.is_empty() {
            p.empty { "The partnership names no program yet." }
        }
        @for program in &protocols.programs {
            @let versions: Vec<&ProtocolVersionView> = protocols.versions.iter().filter(|v| v.program_id == program.id).collect();
            section.panel.program-protocols data-program=(program.id) {
                h2 { (program.name) }
                @match protocols.agreed(&program.id) {
                    Some(v) => {
                        p { (status_badge(v.status)) " Version " (v.number)
                            @if let Some(d) = &v.agreed_on { ", agreed on " (calendar_day(d)) } "." }
                        (protocol_words(&v.protocol))
                    }
                    None => {
                        div.callout.warning.no-agreed role="note" {
                            p { "No protocol is agreed for " (program.name) " yet: a release exception cannot be opened for its cases until both sides sign one." }
                        }
                    }
                }
                @if !versions.is_empty() {
                    h3 { "Every version" }
                    (versions_table(&versions))
                }
            }
        }
        @if protocols.may_draft && !protocols.programs.is_empty() {
            (draft_form(ctx, protocols, &view))
        }
    };
    Ok(ctx.render_status(status, "Release-exception protocols", content))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_version(
        &ctx,
        &id,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn sign(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    match ctx
        .app
        .sign_exception_protocol(ctx.caller(), &id, form.get("password"), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&version_path(&id), "signed")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_version(&ctx, &id, &errors, None, errors.status()).await
        }
    }
}

async fn render_version(
    ctx: &Ctx,
    id: &str,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let v = ctx.app.exception_protocol_view(ctx.caller(), id).await?;
    let empty = FormData::default();
    let view = FormView::new(&empty, errors, "sign");
    let signer = |name: &Option<String>| match name {
        Some(n) => html! { (badge("Signed", Tone::Good)) " by " strong { (n) } },
        None => badge("Not signed yet", Tone::Waiting),
    };
    let content = html! {
        header.page-head {
            p.breadcrumb {
                a href="/partnerships" { "Partnerships" } " › "
                a href=(paths::partnership(&v.partnership_id)) { (v.partnership_name) } " › "
                a href=(list_path(&v.partnership_id)) { "Release-exception protocols" }
            }
            h1 { (v.program_name) ": protocol version " (v.number) }
            p.subtitle { (status_badge(v.status)) @if let Some(d) = &v.agreed_on { " on " (calendar_day(d)) } }
        }
        (notice(notice_code))
        (protocol_words(&v.protocol))
        section.panel #signatures {
            h2 { "Signatures" }
            (crate::pages::facts(&[
                ("For the manufacturer", signer(&v.manufacturer_signer)),
                ("For the health system", signer(&v.health_system_signer)),
                ("Content signed", html! { "SHA-256 " code.hash { (v.content_sha256) } }),
            ]))
            @if v.may_sign {
                h3 { "Sign version " (v.number) " for " (ctx.org.name) }
                p { "You sign the protocol above, exactly as shown, meaning " strong { "approved" } ". Your signature records your printed name (" (ctx.session.user.name) "), its meaning and the time, linked to the content's hash " code { (v.content_sha256.get(..12).unwrap_or(&v.content_sha256)) "…" } "." }
                (view.summary(&["password"]))
                form #sign-form method="post" action={ (version_path(&v.id)) "/sign#signatures" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (view.input("Your password", "password", Input::CurrentPassword, Some("Re-entered for every signature (21 CFR Part 11).")))
                    button.primary type="submit" { "Sign version " (v.number) }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Release-exception protocol", content))
}
