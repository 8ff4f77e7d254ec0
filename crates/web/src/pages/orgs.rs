//! An organization's page: its own, or a partner's. Admins rename their own organization here
//! (with the version they read, so two admins cannot silently overwrite each other).

use super::{NoticeQuery, OrgNames, facts, notice_redirect, saved_notice};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::labels;
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::organizations::OrganizationPatch;
use cellpath_app::views::Page;
use cellpath_domain::OrgKind;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use maud::html;

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(
        &ctx,
        &id,
        None,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let patch = OrganizationPatch {
        name: Some(form.get("name").to_string()),
    };
    match ctx
        .app
        .update_organization(ctx.caller(), &id, version, patch, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(org) => Ok(notice_redirect(
            &paths::org(&org.id),
            saved_notice(version, org.version),
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render(&ctx, &id, Some(form), &errors, None, errors.status()).await
        }
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    typed: Option<FormData>,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let org = ctx.app.organization(ctx.caller(), id).await?;
    let rel = ctx.relation_to_org(&org.id).await?;
    let own = rel == Relation::OwnOrg;
    let hs = org.kind == OrgKind::HealthSystem;
    let may_edit = ctx.may(Action::Update, ResourceKind::Organization, rel);
    let may_audit = own && ctx.may(Action::Read, ResourceKind::Ledger, Relation::OwnOrg);
    // With a partner: the partnerships between the two, from the caller's own list.
    let shared = if own {
        Vec::new()
    } else {
        ctx.app
            .partnerships(ctx.caller(), &ctx.org.id, Page::all())
            .await?
            .into_iter()
            .filter(|p| p.manufacturer_id == org.id || p.health_system_id == org.id)
            .collect()
    };
    let mut shared_programs = Vec::with_capacity(shared.len());
    for p in &shared {
        shared_programs.push(
            super::partnerships::program_names_of(ctx, p)
                .await?
                .join(", "),
        );
    }
    let names = OrgNames::load(ctx).await?;
    // A stale version is answered with the current one, so the next save can succeed.
    let mut values = typed.unwrap_or_else(|| FormData::from_pairs([("name", org.name.as_str())]));
    values.set("version", org.version.to_string());
    let view = FormView::new(&values, errors, "org");

    let content = html! {
        header.page-head {
            h1 { (org.name) }
            p.subtitle {
                (labels::org_kind_badge(org.kind))
                @if own { " Your organization" } @else { " A partner of " (ctx.org.name) }
            }
        }
        (notice(notice_code))
        (facts(&[
            ("Kind", html! { (labels::org_kind(org.kind)) }),
            ("Identifier", html! { code { (org.id) } }),
            ("Created", time_el(org.created_at)),
            ("Last changed", time_el(org.updated_at)),
            ("Version", html! { (org.version) }),
        ]))
        nav.section-links aria-label="Records of this organization" {
            // A partner's records open with an active (or ended) partnership, not a proposal.
            @if hs && ctx.may(Action::Read, ResourceKind::Site, rel) {
                a href={ (paths::org_sites(&org.id)) } { "Sites" }
                a href={ (paths::org_facilities(&org.id)) } { "Facilities" }
            }
            @if ctx.may(Action::Read, ResourceKind::User, rel) {
                a href={ (paths::org_users(&org.id)) } { @if own { "Users" } @else { "People" } }
            }
            @if may_audit { a #org-audit-link href={ (paths::ledger(&org.id)) } { "Audit trail" } }
        }
        @if !own {
            section.panel {
                h2 { "Partnerships with " (org.name) }
                @if shared.is_empty() {
                    p.empty { "None." }
                } @else {
                    table.list {
                        thead { tr { th { "Partnership" } th { "Programs" } th { "Status" } } }
                        tbody {
                            @for (p, programs) in shared.iter().zip(&shared_programs) {
                                tr {
                                    td { a href={ (paths::partnership(&p.id)) } { (p.name) } }
                                    td { (programs) }
                                    td { (labels::partnership_badge(p)) }
                                }
                            }
                        }
                    }
                }
                p.hint { "Between " (names.name(&ctx.org.id)) " and " (names.name(&org.id)) "." }
            }
        }
        @if may_edit {
            section.panel #rename {
                h2 { "Rename" }
                (view.summary(&["name"]))
                form #org-form method="post" action={ (paths::org(&org.id)) "#rename" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (view.text("Name", "name"))
                    button.primary type="submit" { "Save" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &org.name, content))
}
