//! Patients' cases: a site's case list (with the form that registers a patient and opens a
//! case, for the site's coordinators and physicians), and a case's page — where it stands on
//! its map (the swimlane with done, current and waiting steps), what the reader can do next
//! (a form per step open to their role, `steps`, posted through `act`), the timeline in
//! people's words, and last, apart, hold and cancel. Every page is cut to the reader's view of
//! the patient by the app.

mod act;
mod booking;
mod money;
mod steps;
#[cfg(test)]
mod tests;

pub use super::adverse_events::Typed;
pub use act::{act, release};
pub use booking::act as booking;
pub use money::act as claims;

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
use cellpath_app::cases::{CaseView, NewCase, NewPatient, StepView};
use cellpath_app::views::{ConsentVersion, Page};
use cellpath_domain::consent::ConsentStatus;
use cellpath_domain::events::cases::CaseState;
use cellpath_domain::policy::{Action, PatientView, Relation, ResourceKind};
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

pub(super) async fn render_case(
    ctx: &Ctx,
    id: &str,
    error: Option<String>,
    notice_code: Option<&str>,
    status: StatusCode,
    typed: Option<&Typed>,
) -> Result<Response, WebError> {
    render(ctx, id, error, notice_code, None, typed, status).await
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

/// A command posted from the case page and refused: bad values beside their fields in the form
/// they were typed in (`form_id`, 422), other refusals in words above the page (422, 403 or
/// 409); anything else is the error page.
pub(super) async fn refused(
    ctx: &Ctx,
    id: &str,
    form_id: &str,
    values: crate::forms::FormData,
    e: cellpath_app::AppError,
) -> Result<Response, WebError> {
    use cellpath_app::AppError;
    match e {
        AppError::Invalid(fields) if !form_id.is_empty() => {
            let typed = Typed {
                form: form_id.to_string(),
                values,
                errors: crate::forms::FormErrors::from_app(AppError::Invalid(fields))?,
            };
            render_case(
                ctx,
                id,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&typed),
            )
            .await
        }
        e @ (AppError::Invalid(_)
        | AppError::State(_)
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            render_case(ctx, id, Some(e.to_string()), None, status, None).await
        }
        e => Err(e.into()),
    }
}

/// The case's signed steps, each with its signatures beside it (21 CFR 11.50): printed name,
/// date and time, meaning. Nothing when no step is signed yet.
fn signed_steps(
    case: &cellpath_app::cases::CaseView,
    signed: &cellpath_app::signatures::RecordSignatures,
) -> maud::Markup {
    let steps: Vec<&StepView> = case
        .steps
        .iter()
        .filter(|s| !signed.of(&s.key).is_empty())
        .collect();
    html! {
        @if !steps.is_empty() {
            section.panel #signed-steps {
                h2 { "Signed steps" }
                dl.signed-steps {
                    @for s in steps {
                        div data-step=(s.key) {
                            dt { (s.name) }
                            dd { (crate::signatures::list(signed.of(&s.key))) }
                        }
                    }
                }
            }
        }
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    error: Option<String>,
    notice_code: Option<&str>,
    registry: Option<(&FormData, &crate::forms::FormErrors)>,
    typed: Option<&Typed>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let case = ctx.app.case(ctx.caller(), id).await?;
    let signed = ctx.app.case_step_signatures(ctx.caller(), id).await?;
    let now = ctx.app.now();
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
    let booking = booking::section(ctx, &case, typed).await?;
    let money = money::section(ctx, &case, typed).await?;
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
                ul.next-steps { @for s in &yours { (steps::step_form(ctx, &case, s, typed, now)) } }
            }
            @if site_staff && case.status == CaseState::OnHold { (steps::resume_form(ctx, &case, typed)) }
        }
        section.panel #benefits {
            h2 { "Benefits" }
            @match &case.benefits {
                None => p.empty { "Benefits not verified yet." },
                Some(b) => dl.facts {
                    div { dt { "Prior authorization" } dd { (b.status.as_str()) " · requested " (b.requested_on.words())
                        @if let Some(d) = &b.decided_on { " · decided " (d.words()) } } }
                    @if let Some(p) = &b.payer { div { dt { "Payer" } dd { (p) } } }
                    @if let Some(p) = &b.plan { div { dt { "Plan" } dd { (p) } } }
                    @if let Some(r) = &b.reference { div { dt { "Reference" } dd { (r) } } }
                    div { dt { "Verified by" } dd { (b.verified_by) " " (time_el(b.verified_at)) } }
                },
            }
            @if benefits_staff && case.status != CaseState::Cancelled { (benefits_form(ctx, &case)) }
        }
        (booking)
        (money)
        (super::adverse_events::section(ctx, &case, typed))
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
                    div { dt { "Signed on" } dd { (c.signed_on.words()) } }
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
        (signed_steps(&case, &signed))
        section.panel #timeline {
            h2 { "Timeline" }
            ol.timeline {
                @for e in &case.timeline { li { (e.text) } }
            }
        }
        @if case.status != CaseState::Cancelled { (steps::other_actions(ctx, &case, typed)) }
        // Below everything they affect, apart: what stops the patient's path.
        @if site_staff { (steps::stopping_forms(ctx, &case, typed)) }
    };
    Ok(ctx.render_status(status, &format!("Case {}", case.pseudonym), content))
}
