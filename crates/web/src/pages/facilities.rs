//! Facilities: the clinical, collection (apheresis) and processing (cell lab) units of a
//! health system. A facility may serve several sites, chosen with checkboxes.

use super::{NoticeQuery, facts, list_cut, list_page, notice_redirect, saved_notice};
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
use cellpath_app::records::facilities::{FacilityInput, FacilityPatch};
use cellpath_app::views::Site;
use cellpath_domain::FacilityKind;
use cellpath_domain::OrgKind;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};
use std::collections::HashMap;

const FIELDS: &[&str] = &["name", "kind", "site_ids"];

fn facility_fields(view: &FormView, sites: &[Site]) -> Markup {
    let mut kinds = vec![(String::new(), "Choose a kind…".to_string())];
    kinds.extend(FacilityKind::ALL.iter().map(|k| {
        (
            k.as_str().to_string(),
            labels::facility_kind(k.as_str()).to_string(),
        )
    }));
    let site_options: Vec<(String, String)> = sites
        .iter()
        .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.code)))
        .collect();
    html! {
        (view.text("Name", "name"))
        (view.select("Kind", "kind", &kinds))
        (view.checkboxes("Sites it serves", "site_ids", &site_options, "This health system has no sites yet."))
    }
}

pub async fn list(
    ctx: Ctx,
    Path(org_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let empty = FormData::default();
    render_list(
        &ctx,
        &org_id,
        &empty,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(Path(org_id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let input = FacilityInput {
        name: form.get("name").into(),
        kind: form.get("kind").into(),
        site_ids: form.all("site_ids"),
    };
    match ctx
        .app
        .create_facility(ctx.caller(), &org_id, input, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&paths::org_facilities(&org_id), "created")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_list(&ctx, &org_id, &form, &errors, None, errors.status()).await
        }
    }
}

async fn render_list(
    ctx: &Ctx,
    org_id: &str,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let org = ctx.app.organization(ctx.caller(), org_id).await?;
    let facilities = ctx
        .app
        .facilities(ctx.caller(), org_id, list_page())
        .await?;
    let sites = ctx.app.sites(ctx.caller(), org_id, list_page()).await?;
    let site_names: HashMap<&str, &str> = sites
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let rel = ctx.relation_to_org(org_id).await?;
    let hs = org.kind == OrgKind::HealthSystem;
    let may_create = hs && ctx.may(Action::Create, ResourceKind::Facility, rel);
    let view = FormView::new(values, errors, "facility");
    let content = html! {
        header.page-head {
            h1 { "Facilities" }
            p.subtitle { "Clinical, collection and processing units of " a href={ (paths::org(&org.id)) } { (org.name) } }
        }
        (notice(notice_code))
        @if !hs {
            p.empty { "Manufacturers have no facilities here: facilities belong to health systems." }
        } @else if facilities.is_empty() {
            p.empty { "No facilities yet." }
        } @else {
            table.list #facilities {
                thead { tr { th { "Name" } th { "Kind" } th { "Sites it serves" } } }
                tbody {
                    @for f in &facilities {
                        tr {
                            td { a href={ (paths::facility(&f.id)) } { (f.name) } }
                            td { (labels::facility_kind_badge(f.kind.as_str())) }
                            td {
                                @for (i, id) in f.site_ids.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    a href={ (paths::site(id)) } { (site_names.get(id.as_str()).copied().unwrap_or(id)) }
                                }
                            }
                        }
                    }
                }
            }
            (list_cut(facilities.len()))
        }
        @if may_create {
            section.panel #new-facility {
                h2 { "New facility" }
                (view.summary(FIELDS))
                form #facility-form method="post" action={ (paths::org_facilities(&org.id)) "#new-facility" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (facility_fields(&view, &sites))
                    button.primary type="submit" { "Create facility" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Facilities", content))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_facility(
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
    let patch = FacilityPatch {
        name: Some(form.get("name").into()),
        kind: Some(form.get("kind").into()),
        site_ids: Some(form.all("site_ids")),
    };
    match ctx
        .app
        .update_facility(ctx.caller(), &id, version, patch, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(f) => Ok(notice_redirect(
            &paths::facility(&f.id),
            saved_notice(version, f.version),
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_facility(&ctx, &id, Some(form), &errors, None, errors.status()).await
        }
    }
}

async fn render_facility(
    ctx: &Ctx,
    id: &str,
    typed: Option<FormData>,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let facility = ctx.app.facility(ctx.caller(), id).await?;
    let org = ctx.app.organization(ctx.caller(), &facility.org_id).await?;
    let sites = ctx
        .app
        .sites(ctx.caller(), &facility.org_id, list_page())
        .await?;
    let rel = ctx.relation_to_org(&facility.org_id).await?;
    let may_edit = ctx.may(Action::Update, ResourceKind::Facility, rel);
    let mut values = typed.unwrap_or_else(|| {
        let mut pairs = vec![
            ("name".to_string(), facility.name.clone()),
            ("kind".to_string(), facility.kind.as_str().to_string()),
        ];
        pairs.extend(
            facility
                .site_ids
                .iter()
                .map(|s| ("site_ids".to_string(), s.clone())),
        );
        FormData::from_pairs(pairs)
    });
    values.set("version", facility.version.to_string());
    let view = FormView::new(&values, errors, "facility");
    let served: Vec<&Site> = sites
        .iter()
        .filter(|s| facility.site_ids.contains(&s.id))
        .collect();
    let readiness = super::site_work::facility_sections(ctx, &facility, &served).await?;
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::org_facilities(&org.id)) } { "Facilities of " (org.name) } }
            h1 { (facility.name) }
            p.subtitle { (labels::facility_kind_badge(facility.kind.as_str())) }
        }
        (notice(notice_code))
        (facts(&[
            ("Kind", html! { (labels::facility_kind(facility.kind.as_str())) }),
            ("Health system", html! { a href={ (paths::org(&org.id)) } { (org.name) } }),
            ("Created", time_el(facility.created_at)),
            ("Last changed", time_el(facility.updated_at)),
            ("Version", html! { (facility.version) }),
        ]))
        section.panel #facility-sites {
            h2 { "Sites it serves" }
            @if served.is_empty() {
                p.empty { "No site yet." }
            } @else {
                ul.plain {
                    @for s in &served {
                        li { a href={ (paths::site(&s.id)) } { (s.name) } " " code { (s.code) } }
                    }
                }
            }
        }
        (readiness)
        @if may_edit {
            section.panel #edit-facility {
                h2 { "Edit facility" }
                (view.summary(FIELDS))
                form #facility-edit-form method="post" action={ (paths::facility(&facility.id)) "#edit-facility" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (facility_fields(&view, &sites))
                    button.primary type="submit" { "Save" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &facility.name, content))
}
