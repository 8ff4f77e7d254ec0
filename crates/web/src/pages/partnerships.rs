//! Partnerships: a manufacturer and a health system, for one or more programs. The
//! manufacturer proposes (choosing from the operator's directory of health systems), the
//! health system accepts, either side may end it. Each status change carries the version the
//! person read, and each partnership has its own audit trail.

use super::{NoticeQuery, OrgNames, facts, health_systems, notice_redirect};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::labels;
use crate::layout::notice;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_store::{Page, Partnership};
use maud::html;

const NEW_FIELDS: &[&str] = &["health_system_id", "name", "programs"];

/// Program names by id, of the programs the caller reads (a partnership keeps ids; older
/// rows hold names, shown as they are).
async fn program_names(ctx: &Ctx) -> Result<std::collections::HashMap<String, String>, WebError> {
    Ok(ctx
        .app
        .programs(ctx.caller(), super::list_page())
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

fn program_list(names: &std::collections::HashMap<String, String>, ids: &[String]) -> String {
    ids.iter()
        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn list(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    let empty = FormData::default();
    render_list(
        &ctx,
        &empty,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let input = PartnershipInput {
        health_system_id: form.get("health_system_id").into(),
        name: form.get("name").into(),
        programs: form.all("programs"),
        manufacturer_id: None,
    };
    match ctx
        .app
        .create_partnership(ctx.caller(), input, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(p) => Ok(notice_redirect(
            &format!("/partnerships/{}", p.id),
            "created",
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_list(&ctx, &form, &errors, None, errors.status()).await
        }
    }
}

fn other_party<'a>(ctx: &Ctx, p: &'a Partnership) -> &'a str {
    if p.manufacturer_id == ctx.org.id {
        &p.health_system_id
    } else {
        &p.manufacturer_id
    }
}

async fn render_list(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let partnerships = ctx
        .app
        .partnerships(ctx.caller(), &ctx.org.id, Page::all())
        .await?;
    let names = OrgNames::load(ctx).await?;
    let program_names = program_names(ctx).await?;
    let may_create = !ctx.is_health_system()
        && ctx.may(
            Action::Create,
            ResourceKind::Partnership,
            Relation::Party(PartnershipStatus::Proposed),
        );
    // The proposer's own programs, to choose what the partnership is for.
    let mut own_programs: Vec<(String, String)> = program_names
        .iter()
        .map(|(id, name)| (id.clone(), name.clone()))
        .collect();
    own_programs.sort_by(|a, b| a.1.cmp(&b.1));
    let mut directory = Vec::new();
    if may_create {
        directory.push((String::new(), "Choose a health system…".to_string()));
        directory.extend(
            health_systems(ctx)
                .await?
                .into_iter()
                .map(|o| (o.id, o.name)),
        );
    }
    let view = FormView::new(values, errors, "partnership");
    let content = html! {
        header.page-head {
            h1 { "Partnerships" }
            p.subtitle {
                @if ctx.is_health_system() { "The manufacturers " (ctx.org.name) " works with" }
                @else { "The health systems " (ctx.org.name) " works with" }
            }
        }
        (notice(notice_code))
        @if partnerships.is_empty() {
            p.empty { "No partnerships yet." }
        } @else {
            table.list #partnerships {
                thead { tr { th { "Partnership" } th { "Partner" } th { "Programs" } th { "Status" } th { "Proposed" } } }
                tbody {
                    @for p in &partnerships {
                        tr {
                            td { a href={ "/partnerships/" (p.id) } { (p.name) } }
                            td { (names.name(other_party(ctx, p))) }
                            td { (program_list(&program_names, &p.programs)) }
                            td { (labels::partnership_status_badge(&p.status)) }
                            td { (time_el(p.created_at)) }
                        }
                    }
                }
            }
        }
        @if may_create {
            section.panel #new-partnership {
                h2 { "Propose a partnership" }
                p.hint { "The health system sees the proposal at once and accepts it or not." }
                (view.summary(NEW_FIELDS))
                form #partnership-form method="post" action="/partnerships#new-partnership" novalidate {
                    (csrf_field(ctx.csrf()))
                    (view.select("Health system", "health_system_id", &directory))
                    (view.text("Name", "name"))
                    (view.checkboxes("Programs", "programs", &own_programs,
                        "No programs yet: add one on the Programs page first."))
                    button.primary type="submit" { "Propose partnership" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Partnerships", content))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_one(
        &ctx,
        &id,
        &FormData::default(),
        &FormErrors::default(),
        Returned::None,
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// The partnership page with a refused "Start site map" shown in its Sites section.
pub async fn render_with_site_errors(
    ctx: &Ctx,
    id: &str,
    values: &FormData,
    errors: &FormErrors,
) -> Result<Response, WebError> {
    let none = (FormData::default(), FormErrors::default());
    render_one(
        ctx,
        id,
        &none.0,
        &none.1,
        Returned::SiteMap(values, errors),
        None,
        errors.status(),
    )
    .await
}

/// The partnership page with a refused "Start an agreement" shown in its Agreements section.
pub async fn render_with_agreement_errors(
    ctx: &Ctx,
    id: &str,
    values: &FormData,
    errors: &FormErrors,
) -> Result<Response, WebError> {
    let none = (FormData::default(), FormErrors::default());
    render_one(
        ctx,
        id,
        &none.0,
        &none.1,
        Returned::Agreement(values, errors),
        None,
        errors.status(),
    )
    .await
}

/// A form of a section of the partnership page that came back with errors.
enum Returned<'a> {
    None,
    SiteMap(&'a FormData, &'a FormErrors),
    Agreement(&'a FormData, &'a FormErrors),
}

pub async fn set_status(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let status = form.get("status").to_string();
    if status == "ended" && !form.has("confirm") {
        let mut errors = FormErrors::default();
        errors.field(
            "confirm",
            "tick this box to confirm: ending a partnership cannot be undone",
        );
        return render_one(
            &ctx,
            &id,
            &form,
            &errors,
            Returned::None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let patch = PartnershipPatch {
        status: Some(status.clone()),
        ..Default::default()
    };
    match ctx
        .app
        .update_partnership(ctx.caller(), &id, version, patch, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(p) => {
            let code = if p.status == "ended" {
                "ended"
            } else {
                "accepted"
            };
            Ok(notice_redirect(&format!("/partnerships/{}", p.id), code))
        }
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_one(
                &ctx,
                &id,
                &form,
                &errors,
                Returned::None,
                None,
                errors.status(),
            )
            .await
        }
    }
}

async fn render_one(
    ctx: &Ctx,
    id: &str,
    values: &FormData,
    errors: &FormErrors,
    returned: Returned<'_>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let p = ctx.app.partnership(ctx.caller(), id).await?;
    let (start, agreement) = match returned {
        Returned::None => (None, None),
        Returned::SiteMap(v, e) => (Some((v, e)), None),
        Returned::Agreement(v, e) => (None, Some((v, e))),
    };
    // A proposal shows each side the other's name and the programs proposed, nothing more.
    let proposed = p.status == PartnershipStatus::Proposed.as_str();
    let (sites, agreements) = if proposed {
        (
            html! { p.hint #proposal-only { "Sites, agreements and the work at each site open to both sides once the health system accepts the proposal." } },
            html! {},
        )
    } else {
        (
            super::site_work::partnership_section(ctx, &p, start).await?,
            super::agreements::partnership_section(ctx, &p, agreement).await?,
        )
    };
    let names = OrgNames::load(ctx).await?;
    let program_names = program_names(ctx).await?;
    let may_update = ctx.may_in(Action::Update, ResourceKind::Partnership, &p);
    let is_hs = ctx.org.id == p.health_system_id;
    let may_accept = may_update && is_hs && p.status == "proposed";
    let may_end = may_update && p.status != "ended";
    let may_audit = ctx.may_in(Action::Read, ResourceKind::Ledger, &p);
    // A partner's organization page is readable whatever the partnership's status.
    let party = |org_id: &str| {
        html! {
            a href={ "/orgs/" (org_id) } { (names.name(org_id)) }
            @if org_id == ctx.org.id { " (you)" }
        }
    };
    let view = FormView::new(values, errors, "status");
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/partnerships" { "Partnerships" } }
            h1 { (p.name) " " (labels::partnership_status_badge(&p.status)) }
        }
        (notice(notice_code))
        (facts(&[
            ("Manufacturer", party(&p.manufacturer_id)),
            ("Health system", party(&p.health_system_id)),
            ("Programs", html! {
                @if p.programs.is_empty() { span.muted { "None named yet" } }
                @else { ul.plain { @for prog in &p.programs { li { (program_names.get(prog).unwrap_or(prog)) } } } }
            }),
            ("Status", labels::partnership_status_badge(&p.status)),
            ("Proposed", time_el(p.created_at)),
            ("Last changed", time_el(p.updated_at)),
            ("Version", html! { (p.version) }),
        ]))
        @if may_audit {
            p { a.button.secondary #partnership-audit-link href={ "/ledgers/" (p.id) } { "Audit trail of this partnership" } }
        }
        @if may_accept || may_end {
            section.panel #partnership-actions {
                h2 { "Change status" }
                (view.summary(&["confirm"]))
                div.actions {
                    @if may_accept {
                        form #accept-form method="post" action={ "/partnerships/" (p.id) "/status#partnership-actions" } {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "active"))
                            p.hint { "Accepting makes the partnership active for both sides." }
                            button.primary type="submit" { "Accept partnership" }
                        }
                    }
                    @if may_end {
                        form #end-form method="post" action={ "/partnerships/" (p.id) "/status#partnership-actions" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "ended"))
                            (view.checkbox("I understand that ending cannot be undone", "confirm"))
                            button.danger type="submit" { "End partnership" }
                        }
                    }
                }
            }
        } @else if p.status == "proposed" && !is_hs {
            p.hint { "Waiting for " (names.name(&p.health_system_id)) " to accept." }
        }
        (sites)
        (agreements)
    };
    Ok(ctx.render_status(status, &p.name, content))
}
