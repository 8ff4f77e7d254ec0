//! Patients' cases: a site's case list (with the form that registers a patient and opens a
//! case, for the site's coordinators and physicians), and a case's page — where it stands on
//! its map (the swimlane with done, current and waiting steps), what the reader can do next
//! (a form per step open to their role, and hold, resume, cancel), and the timeline in
//! people's words. Every page is cut to the reader's view of the patient by the app.

use super::{NoticeQuery, notice_redirect};
use crate::charts::swimlane::{Progress, SiteOverlay, swimlane};
use crate::errors::WebError;
use crate::forms::{FormData, csrf_field, hidden};
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::{day_el, time_el};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::cases::{CaseInput, CaseView, NewCase, NewPatient, StepView};
use cellpath_app::views::{ConsentVersion, Page};
use cellpath_domain::Date;
use cellpath_domain::consent::ConsentStatus;
use cellpath_domain::events::cases::{
    CaseState, ConsentGiver, EhrAttestation, PriorAuthorization, PriorAuthorizationStatus,
};
use cellpath_domain::policy::{Action, PatientView, Relation, ResourceKind};
use cellpath_domain::process_map::{SignatureMeaning, StepKind};
use maud::{Markup, html};
use std::collections::BTreeMap;

fn state_badge(state: CaseState) -> Markup {
    use crate::labels::{Tone, badge};
    match state {
        CaseState::Active => badge("Active", Tone::Good),
        CaseState::OnHold => badge("On hold", Tone::Waiting),
        CaseState::Stopped => badge("Stopped", Tone::Bad),
        CaseState::Cancelled => badge("Cancelled", Tone::Quiet),
    }
}

/// Cases on a page of a site's list.
const CASES_PAGE: i64 = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub struct CasesQuery {
    notice: Option<String>,
    /// Cases to skip; anything but a whole number from 0 is the first page.
    offset: Option<String>,
}

/// `/sites/{id}/cases?offset=…`: the site's cases, newest first, a page at a time.
pub async fn list(
    ctx: Ctx,
    Path(site_id): Path<String>,
    Query(q): Query<CasesQuery>,
) -> Result<Response, WebError> {
    let offset = super::offset_of(q.offset.as_deref());
    render_list(
        &ctx,
        &site_id,
        offset,
        None,
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

async fn render_list(
    ctx: &Ctx,
    site_id: &str,
    offset: i64,
    error: Option<String>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let site = ctx.app.site(ctx.caller(), site_id).await?;
    // One more than a page: whether there is a next one.
    let page = cellpath_app::records::page(Some(CASES_PAGE + 1), Some(offset))?;
    let mut cases = ctx.app.cases_of_site(ctx.caller(), site_id, page).await?;
    let more = cases.len() as i64 > CASES_PAGE;
    cases.truncate(CASES_PAGE as usize);
    let link = |o: i64| format!("{}?offset={o}", paths::site_cases(site_id));
    let pager = html! {
        @if offset > 0 || more {
            nav.pager aria-label="Pages of cases" {
                @if offset > 0 { a.button.secondary rel="prev" href=(link((offset - CASES_PAGE).max(0))) { "← Newer cases" } }
                @else { span {} }
                span.muted #cases-page { "Cases " (offset + 1) "–" (offset + cases.len() as i64) ", newest first" }
                @if more { a.button.secondary rel="next" href=(link(offset + CASES_PAGE)) { "Older cases →" } }
                @else { span {} }
            }
        }
    };
    let rel = ctx.relation_to_org(&site.org_id).await?;
    let may_open = rel == Relation::OwnOrg && ctx.may(Action::Create, ResourceKind::Patient, rel);
    // The programs the site's partnerships name, to open a case for.
    let mut programs: Vec<(String, String)> = Vec::new();
    if may_open {
        for p in ctx
            .app
            .partnerships(ctx.caller(), &site.org_id, Page::all())
            .await?
        {
            for program_id in &p.programs {
                let name = match ctx.app.program(ctx.caller(), program_id).await {
                    Ok(pr) => pr.name,
                    Err(_) => program_id.clone(),
                };
                programs.push((
                    format!("{}|{program_id}", p.id),
                    format!("{name} ({})", p.name),
                ));
            }
        }
    }
    let content = html! {
        header.page-head {
            h1 { "Cases" }
            p.subtitle { "Patients' cases at " a href={ (paths::site(&site.id)) } { (site.name) } }
        }
        (notice(notice_code))
        @if cases.is_empty() && offset == 0 {
            p.empty { "No cases at this site yet." }
        } @else {
            (pager)
            table.list #cases {
                thead { tr { th { "Case" } th { "Initials" } th { "Born" } th { "Status" } th { "Last step done" } th { "Done on" } th { "Opened" } } }
                tbody {
                    @for c in &cases {
                        tr {
                            td { a href={ (paths::case(&c.id)) } { code { (c.pseudonym) } } }
                            td { (c.initials) }
                            td { (c.birth_year) }
                            td { (state_badge(c.status)) }
                            @if let Some(last) = &c.last_step {
                                td {
                                    (last.name)
                                    @if let Some(stage) = last.stage { " " span.muted { "(" (crate::charts::stage_label(stage)) ")" } }
                                }
                                td { (day_el(last.at)) }
                            } @else {
                                td.muted { "none yet" }
                                td {}
                            }
                            td { (day_el(c.opened_at)) }
                        }
                    }
                }
            }
        }
        @if may_open && !programs.is_empty() {
            section.panel #open-case {
                h2 { "Open a case" }
                p.hint { "The patient's identity stays with the health system; the partnership's record carries the case's pseudonym, initials and birth year. A case opens only where the site is authorized for the program today." }
                @if let Some(e) = &error { p.form-error role="alert" { (e) } }
                form #case-form method="post" action={ (paths::site_cases(&site.id)) "#open-case" } {
                    (csrf_field(ctx.csrf()))
                    div.field-grid {
                        label { "Patient's name" input type="text" name="name" required; }
                        label { "Date of birth" input type="date" name="date_of_birth" required; }
                        label { "Medical record number" input type="text" name="mrn" required; }
                        label { "Program"
                            select name="program" {
                                @for (value, label) in &programs { option value=(value) { (label) } }
                            }
                        }
                    }
                    button.primary type="submit" { "Open case" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Cases", content))
}

pub async fn open(Path(site_id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let (partnership_id, program_id) = form
        .get("program")
        .split_once('|')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or_default();
    let opened = async {
        let patient = ctx
            .app
            .register_patient(
                ctx.caller(),
                NewPatient {
                    site_id: site_id.clone(),
                    name: form.get("name").into(),
                    date_of_birth: form.get("date_of_birth").into(),
                    mrn: form.get("mrn").into(),
                },
                None,
            )
            .await?
            .fresh()?;
        ctx.app
            .open_case(
                ctx.caller(),
                NewCase {
                    partnership_id,
                    site_id: site_id.clone(),
                    program_id,
                    patient_id: patient.patient_id,
                },
                None,
            )
            .await?
            .fresh()
    }
    .await;
    match opened {
        Ok(case) => Ok(notice_redirect(&paths::case(&case.id), "created")),
        Err(e @ (cellpath_app::AppError::Invalid(_) | cellpath_app::AppError::State(_))) => {
            render_list(
                &ctx,
                &site_id,
                0,
                Some(e.to_string()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_case(&ctx, &id, None, q.notice.as_deref(), StatusCode::OK, None).await
}

/// A posted step form as the case's command: `command`, `step`, each listed field as
/// `field:NAME`, the EHR reference, the reason or note, the meaning of a signature.
fn input_of(form: &FormData, step: Option<&StepView>, now: i64) -> Result<CaseInput, String> {
    let step_key = form.get("step").to_string();
    let fields: BTreeMap<String, String> = step
        .map(|s| {
            s.fields
                .iter()
                .map(|f| (f.clone(), form.get(&format!("field:{f}")).to_string()))
                .collect()
        })
        .unwrap_or_default();
    let attestation = Some(form.get("ehr_reference"))
        .filter(|r| !r.trim().is_empty())
        .map(|r| EhrAttestation {
            reference: r.trim().to_string(),
            charted_at: now,
        });
    let (fields, attestation) = if attestation.is_some() {
        (BTreeMap::new(), attestation)
    } else {
        (fields, None)
    };
    Ok(match form.get("command") {
        "record" => CaseInput::Record {
            step: step_key,
            fields,
            attestation,
        },
        "thaw" => CaseInput::Thaw {
            step: step_key,
            fields,
            attestation,
        },
        "pass_hold" => CaseInput::PassHold {
            step: step_key,
            fields,
            attestation,
        },
        "follow_up" => CaseInput::FollowUp {
            step: step_key,
            fields,
            attestation,
        },
        "sign" => CaseInput::Sign {
            step: step_key,
            meaning: form
                .get("meaning")
                .parse::<SignatureMeaning>()
                .map_err(|e| e.to_string())?,
            fields,
            attestation,
        },
        "hold" => CaseInput::Hold {
            reason: form.get("reason").into(),
        },
        "resume" => CaseInput::Resume {
            note: form.get("note").into(),
        },
        "cancel" => CaseInput::Cancel {
            care_transition_note: form.get("care_transition_note").into(),
        },
        "verify_benefits" => {
            let day = |name: &str| -> Result<Option<Date>, String> {
                match form.get(name).trim() {
                    "" => Ok(None),
                    t => Date::parse(t).map(Some).map_err(|e| format!("{name}: {e}")),
                }
            };
            CaseInput::VerifyBenefits {
                payer: form.get("payer").into(),
                plan: form.get("plan").into(),
                prior_authorization: PriorAuthorization {
                    status: form
                        .get("pa_status")
                        .parse::<PriorAuthorizationStatus>()
                        .map_err(|e| e.to_string())?,
                    requested_on: day("requested_on")?
                        .ok_or("enter the day the prior authorization was requested")?,
                    decided_on: day("decided_on")?,
                    reference: form.get("reference").into(),
                },
            }
        }
        "record_consent" => CaseInput::RecordConsent {
            consent_version_id: form.get("consent_version_id").into(),
            consented_by: form
                .get("consented_by")
                .parse::<ConsentGiver>()
                .map_err(|e| e.to_string())?,
            signed_on: form.get("signed_on").trim().into(),
            witness: form.get("witness").into(),
        },
        other => return Err(format!("this page cannot send the action {other:?}")),
    })
}

/// The consent form, for the site's coordinators, physicians and nurses: against the active
/// consent version of the case's site and program (none active: where to make one active).
fn consent_form(ctx: &Ctx, case: &CaseView, active: Option<&ConsentVersion>) -> Markup {
    let action = format!("{}/actions", paths::case(&case.id));
    html! {
        @match active {
            None => p.hint {
                "No consent version is active for this program at this site: "
                a href={ (paths::site_consent(&case.site_id)) } { "make one active" } " before recording consent."
            },
            Some(v) => form #consent-form method="post" action=(action) {
                (csrf_field(ctx.csrf()))
                (hidden("command", "record_consent"))
                (hidden("version", case.version))
                (hidden("consent_version_id", &v.id))
                p.hint { "Against consent version " (v.number) ", effective " (v.effective_on) "." }
                div.field-grid {
                    label { "Consented"
                        select name="consented_by" {
                            option value="patient" { "the patient" }
                            option value="legally_authorized_representative" { "a legally authorized representative" }
                        }
                    }
                    label { "Signed on" input type="date" name="signed_on" required; }
                    label { "Witness" input type="text" name="witness" required; }
                }
                button type="submit" { "Record consent" }
            },
        }
    }
}

pub async fn act(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let view = ctx.app.case(ctx.caller(), &id).await?;
    let step = view.steps.iter().find(|s| s.key == form.get("step"));
    let input = match input_of(&form, step, ctx.app.now()) {
        Ok(input) => input,
        Err(e) => {
            return render_case(
                &ctx,
                &id,
                Some(e),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await;
        }
    };
    let version = form.version().ok();
    match ctx
        .app
        .act_on_case(
            ctx.caller(),
            &id,
            input,
            form.get("password"),
            version,
            None,
        )
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&paths::case(&id), "saved")),
        Err(
            e @ (cellpath_app::AppError::Invalid(_)
            | cellpath_app::AppError::State(_)
            | cellpath_app::AppError::Conflict { .. }),
        ) => {
            let status = match e {
                cellpath_app::AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::CONFLICT,
            };
            render_case(&ctx, &id, Some(e.to_string()), None, status, None).await
        }
        Err(e) => Err(e.into()),
    }
}

fn step_form(ctx: &Ctx, case: &CaseView, step: &StepView) -> Markup {
    let command = match step.kind {
        StepKind::Record => Some("record"),
        StepKind::Thaw => Some("thaw"),
        StepKind::HoldPoint => Some("pass_hold"),
        StepKind::FollowUp => Some("follow_up"),
        StepKind::Signature => Some("sign"),
        _ => None,
    };
    let action = format!("{}/actions", paths::case(&case.id));
    html! {
        li.next-step data-step=(step.key) {
            h3 { (step.name) }
            @match command {
                None => p.hint { "Recorded through the API or a scanning device (" (crate::charts::kind_label(step.kind)) ")." },
                Some(command) => form method="post" action=(action) {
                    (csrf_field(ctx.csrf()))
                    (hidden("command", command))
                    (hidden("step", &step.key))
                    (hidden("version", case.version))
                    @if step.ehr {
                        label { "EHR reference" input type="text" name="ehr_reference" required; }
                    } @else {
                        @for f in &step.fields {
                            label { (f) input type="text" name={ "field:" (f) }; }
                        }
                    }
                    @if step.kind == StepKind::Signature {
                        label { "Meaning"
                            select name="meaning" {
                                @for m in ["approved", "verified", "reviewed", "performed", "authored"] { option value=(m) { (m) } }
                            }
                        }
                        label { "Your password (to sign)" input type="password" name="password" autocomplete="current-password" required; }
                    }
                    button.primary type="submit" { "Record " (step.name) }
                }
            }
        }
    }
}

/// The benefits form, for the site's finance and coordinators.
fn benefits_form(ctx: &Ctx, case: &CaseView) -> Markup {
    let action = format!("{}/actions", paths::case(&case.id));
    html! {
        form #benefits-form method="post" action=(action) {
            (csrf_field(ctx.csrf()))
            (hidden("command", "verify_benefits"))
            (hidden("version", case.version))
            div.field-grid {
                label { "Payer" input type="text" name="payer" required; }
                label { "Plan" input type="text" name="plan" required; }
                label { "Prior authorization"
                    select name="pa_status" {
                        option value="pending" { "pending" }
                        option value="approved" { "approved" }
                        option value="denied" { "denied" }
                    }
                }
                label { "Requested on" input type="date" name="requested_on" required; }
                label { "Decided on" input type="date" name="decided_on"; }
                label { "Reference" input type="text" name="reference" required; }
            }
            button type="submit" { "Record benefits" }
        }
    }
}

fn case_actions(ctx: &Ctx, case: &CaseView) -> Markup {
    let action = format!("{}/actions", paths::case(&case.id));
    let form = |command: &str, field: &str, label: &str, button: &str| {
        html! {
            form.inline-action method="post" action=(action) {
                (csrf_field(ctx.csrf()))
                (hidden("command", command))
                (hidden("version", case.version))
                label { (label) input type="text" name=(field) required; }
                button type="submit" { (button) }
            }
        }
    };
    html! {
        @match case.status {
            CaseState::Active => {
                (form("hold", "reason", "Reason", "Put on hold"))
                (form("cancel", "care_transition_note", "Where the patient's care goes from here", "Cancel the case"))
            }
            CaseState::OnHold => {
                (form("resume", "note", "Note", "Resume"))
                (form("cancel", "care_transition_note", "Where the patient's care goes from here", "Cancel the case"))
            }
            _ => {}
        }
    }
}

pub(super) async fn render_case(
    ctx: &Ctx,
    id: &str,
    error: Option<String>,
    notice_code: Option<&str>,
    status: StatusCode,
    adverse: Option<&super::adverse_events::Typed>,
) -> Result<Response, WebError> {
    render(ctx, id, error, notice_code, None, adverse, status).await
}

/// The case's page with its registry form sent back with its values and messages.
pub(super) async fn render_case_with(
    ctx: &Ctx,
    id: &str,
    registry: (&FormData, &crate::forms::FormErrors),
    status: StatusCode,
) -> Result<Response, WebError> {
    render(ctx, id, None, None, Some(registry), None, status).await
}

async fn render(
    ctx: &Ctx,
    id: &str,
    error: Option<String>,
    notice_code: Option<&str>,
    registry: Option<(&FormData, &crate::forms::FormErrors)>,
    adverse: Option<&super::adverse_events::Typed>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let case = ctx.app.case(ctx.caller(), id).await?;
    let overlay = SiteOverlay {
        site_name: case.site_name.clone(),
        steps: BTreeMap::new(),
        progress: case
            .steps
            .iter()
            .map(|s| {
                let p = match s.state {
                    "done" => Progress::Done,
                    "current" => Progress::Current,
                    _ => Progress::Waiting,
                };
                (s.key.clone(), p)
            })
            .collect(),
    };
    let yours: Vec<&StepView> = case
        .steps
        .iter()
        .filter(|s| case.yours.contains(&s.key))
        .collect();
    let benefits_staff = case.view == PatientView::Full
        && matches!(
            ctx.caller().principal.as_ref().map(|p| p.role),
            Some(cellpath_domain::Role::Finance | cellpath_domain::Role::Coordinator)
        );
    let site_staff = case.view == PatientView::Full
        && matches!(
            ctx.caller().principal.as_ref().map(|p| p.role),
            Some(cellpath_domain::Role::Coordinator | cellpath_domain::Role::Physician)
        );
    let consent_staff = case.view == PatientView::Full
        && matches!(
            ctx.caller().principal.as_ref().map(|p| p.role),
            Some(
                cellpath_domain::Role::Coordinator
                    | cellpath_domain::Role::Physician
                    | cellpath_domain::Role::Nurse
            )
        );
    // The version a consent is recorded against now: the site's active one for the program.
    let active_consent = if consent_staff {
        ctx.app
            .consent_documents(ctx.caller(), &case.site_id)
            .await
            .ok()
            .and_then(|d| {
                d.programs
                    .into_iter()
                    .filter(|p| {
                        p.partnership_id == case.partnership_id && p.program_id == case.program_id
                    })
                    .flat_map(|p| p.versions)
                    .find(|v| v.status == ConsentStatus::Active)
            })
    } else {
        None
    };
    let content = html! {
        header.page-head {
            h1 { "Case " code { (case.pseudonym) } }
            p.subtitle {
                (case.program_name) " at " a href={ (paths::site_cases(&case.site_id)) } { (case.site_name) }
                " · " (state_badge(case.status))
                // The badge says "Active"; the other states come with their reason.
                @if case.status != CaseState::Active { " " (case.status_text) }
            }
        }
        (notice(notice_code))
        @if let Some(e) = &error { p.form-error role="alert" { (e) } }
        section.panel #patient {
            h2 { "Patient" }
            dl.facts {
                div { dt { "Initials" } dd { (case.initials) } }
                div { dt { "Birth year" } dd { (case.birth_year) } }
                @if let Some(p) = &case.patient {
                    div { dt { "Name" } dd { (p.name) } }
                    div { dt { "Date of birth" } dd { (p.date_of_birth.as_str()) } }
                    @if let Some(mrn) = &p.mrn { div { dt { "Medical record number" } dd { (mrn) } } }
                }
                @for i in &case.identifiers {
                    div { dt { (cellpath_domain::journey::noun(i.kind)) } dd { code { (i.printed()) } } }
                }
            }
            // Labels carry the chain of identity: offered to whoever sees it, once there is one.
            @if case.view >= PatientView::ChainOfIdentity && !case.identifiers.is_empty() {
                p { a #labels href=(paths::case_labels(&case.id)) { "Labels" } " · one 100 × 50 mm label per identifier, for the label printer" }
            }
        }
        section.panel #next {
            h2 { "What you can do next" }
            @if yours.is_empty() {
                p.empty { "Nothing is waiting for your role on this case now." }
                @if !case.available.is_empty() {
                    p.hint { "Open now: "
                        @for (i, a) in case.available.iter().enumerate() {
                            @if i > 0 { ", " }
                            (a.name) " (" (a.roles.iter().map(|r| r.as_str().replace('_', " ")).collect::<Vec<_>>().join(" or ")) ")"
                        }
                    }
                }
            } @else {
                ul.next-steps { @for s in &yours { (step_form(ctx, &case, s)) } }
            }
            @if site_staff { (case_actions(ctx, &case)) }
        }
        section.panel #benefits {
            h2 { "Benefits" }
            @match &case.benefits {
                None => p.empty { "Benefits not verified yet." },
                Some(b) => dl.facts {
                    div { dt { "Prior authorization" } dd { (b.status.as_str()) " · requested " (b.requested_on.as_str())
                        @if let Some(d) = &b.decided_on { " · decided " (d.as_str()) } } }
                    @if let Some(p) = &b.payer { div { dt { "Payer" } dd { (p) } } }
                    @if let Some(p) = &b.plan { div { dt { "Plan" } dd { (p) } } }
                    @if let Some(r) = &b.reference { div { dt { "Reference" } dd { (r) } } }
                    div { dt { "Verified by" } dd { (b.verified_by) " " (time_el(b.verified_at)) } }
                },
            }
            @if benefits_staff && case.status != CaseState::Cancelled { (benefits_form(ctx, &case)) }
        }
        (super::adverse_events::section(ctx, &case, adverse))
        section.panel #consent {
            h2 { "Consent" }
            @match &case.consent {
                None => p.empty { "No consent recorded yet." },
                Some(c) => dl.facts {
                    div { dt { "Consent version" } dd {
                        @if consent_staff { a href={ (paths::site_consent(&case.site_id)) } { "Version " (c.version_number) } }
                        @else { "Version " (c.version_number) }
                    } }
                    div { dt { "Consented" } dd { (c.consented_by.label()) } }
                    div { dt { "Signed on" } dd { (c.signed_on.as_str()) } }
                    @if let Some(w) = &c.witness { div { dt { "Witness" } dd { (w) } } }
                    div { dt { "Recorded by" } dd { (c.recorded_by) " " (time_el(c.recorded_at)) } }
                },
            }
            @if consent_staff && case.status != CaseState::Cancelled { (consent_form(ctx, &case, active_consent.as_ref())) }
        }
        (super::registry::case_section(ctx, &case, registry))
        section.panel #map {
            h2 { "Where the case stands" }
            @if let Some(map) = &case.map { (swimlane(map, Some(&overlay))) }
        }
        section.panel #timeline {
            h2 { "Timeline" }
            ol.timeline {
                @for e in &case.timeline { li { (e.text) } }
            }
        }
    };
    Ok(ctx.render_status(status, &format!("Case {}", case.pseudonym), content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;

    const NAME: &str = "Ines Abernathy-Kowalczyk";
    const MRN: &str = "LUH-40021877";

    /// The option of the open-case form for Vantacel.
    fn vantacel_option(page: &str) -> String {
        let at = page.find("Vantacel (").expect("Vantacel is offered");
        let start = page[..at].rfind("value=\"").expect("its value") + 7;
        let end = start + page[start..].find('"').expect("the value ends");
        page[start..end].to_string()
    }

    #[tokio::test]
    async fn a_coordinator_opens_a_case_records_a_step_and_each_reader_sees_their_view() {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
        let list = crate::paths::site_cases(&site.id);
        // The site's page leads to its cases.
        coordinator
            .get(&crate::paths::site(&site.id))
            .await
            .assert_has(&format!(r#"href="{list}""#));
        let page = coordinator.get(&list).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let program = vantacel_option(&page.body);
        let opened = coordinator
            .submit(
                &list,
                "case-form",
                &list,
                &[
                    ("name", NAME),
                    ("date_of_birth", "1966-07-21"),
                    ("mrn", MRN),
                    ("program", &program),
                ],
                None,
            )
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
        let case_page = opened.target();
        let case = coordinator.get(&case_page).await;
        for text in [
            NAME,
            MRN,
            "VAN-LUH-MAIN-0008",
            "Referral received",
            "What you can do next",
        ] {
            case.assert_has(text);
        }
        assert!(
            case.body
                .contains(r#"data-step="referral" data-progress="current""#)
        );

        let action = format!("{case_page}/actions");
        let recorded = coordinator
            .post(
                &action,
                &[
                    ("csrf", &case.field("csrf")),
                    ("command", "record"),
                    ("step", "referral"),
                    ("version", &case.field("version")),
                    ("field:referring physician", "Dr. Sato"),
                    ("field:diagnosis", "DLBCL"),
                    ("field:prior lines of therapy", "2"),
                ],
            )
            .await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
        let after = coordinator.get(&case_page).await;
        assert!(
            after
                .body
                .contains(r#"data-step="referral" data-progress="done""#)
        );
        after.assert_has("recorded Referral received");
        // The same form again: the step is done; the page says so, nothing is written.
        let again = coordinator
            .post(
                &action,
                &[
                    ("csrf", &case.field("csrf")),
                    ("command", "record"),
                    ("step", "referral"),
                    ("field:referring physician", "Dr. Sato"),
                    ("field:diagnosis", "DLBCL"),
                    ("field:prior lines of therapy", "2"),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        again.assert_has("already done");

        let mut finance = Browser::signed_in(&demo, "finance@lakeshore.example").await;
        let verified = finance
            .submit(
                &case_page,
                "benefits-form",
                &action,
                &[
                    ("command", "verify_benefits"),
                    ("payer", "Great Lakes Health Plan"),
                    ("plan", "PPO Gold"),
                    ("pa_status", "pending"),
                    (
                        "requested_on",
                        cellpath_domain::Date::of_micros(demo.app.now()).as_str(),
                    ),
                    ("reference", "PA-2026-551"),
                ],
                None,
            )
            .await;
        assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
        coordinator.get(&case_page).await.assert_has("PA-2026-551");

        for (email, name, mrn) in [
            ("patient.ops@helixa.example", true, false),
            ("quality@helixa.example", false, false),
            ("contracts@lakeshore.example", false, false),
            ("nurse@lakeshore.example", true, true),
        ] {
            let mut reader = Browser::signed_in(&demo, email).await;
            let page = reader.get(&case_page).await;
            assert_eq!(page.status, StatusCode::OK, "{email}");
            assert_eq!(page.body.contains(NAME), name, "{email}");
            assert_eq!(page.body.contains(MRN), mrn, "{email}");
            page.assert_has("VAN-LUH-MAIN-0008");
            let listed = reader.get(&list).await;
            assert!(!listed.body.contains(NAME), "{email}");
        }
        let mut stranger = Browser::signed_in(&demo, "coordinator@cascade.example").await;
        assert_eq!(stranger.get(&case_page).await.status, StatusCode::NOT_FOUND);
    }
}
