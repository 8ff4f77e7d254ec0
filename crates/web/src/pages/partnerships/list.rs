//! The partnerships of the caller's organization, and "Propose a partnership".

use super::program_names_of;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field};
use crate::labels;
use crate::layout::notice;
use crate::pages::{NoticeQuery, OrgNames, health_systems, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::partnerships::PartnershipInput;
use cellpath_app::views::{Page, Partnership};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use maud::html;

const NEW_FIELDS: &[&str] = &["health_system_id", "name", "programs"];

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
        Ok(p) => Ok(notice_redirect(&paths::partnership(&p.id), "created")),
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
    let mut programs_of = Vec::with_capacity(partnerships.len());
    for p in &partnerships {
        programs_of.push(program_names_of(ctx, p).await?.join(", "));
    }
    let may_create = !ctx.is_health_system()
        && ctx.may(
            Action::Create,
            ResourceKind::Partnership,
            Relation::Party(PartnershipStatus::Proposed),
        );
    // The proposer's own programs, to choose what the partnership is for.
    let mut own_programs: Vec<(String, String)> = if may_create {
        ctx.app
            .programs(ctx.caller(), crate::pages::list_page())
            .await?
            .into_iter()
            .filter(|p| p.org_id == ctx.org.id)
            .map(|p| (p.id, p.name))
            .collect()
    } else {
        Vec::new()
    };
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
                    @for (p, programs) in partnerships.iter().zip(&programs_of) {
                        tr {
                            td { a href={ (paths::partnership(&p.id)) } { (p.name) } }
                            td { (names.name(other_party(ctx, p))) }
                            td { (programs) }
                            td { (labels::partnership_badge(p)) }
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
