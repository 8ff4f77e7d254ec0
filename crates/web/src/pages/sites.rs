//! Sites: the treatment locations of a health system. The list page holds the "New site"
//! form; a site's page shows the facilities it uses and holds its edit form.

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
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_domain::OrgKind;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};

const FIELDS: &[&str] = &["name", "code", "city", "region"];

fn site_fields(view: &FormView) -> Markup {
    html! {
        div.field-grid {
            (view.text("Name", "name"))
            (view.input("Code", "code", crate::forms::Input::Text,
                Some("Capital letters, digits and '-', starting with a letter, e.g. MAIN-01.")))
            (view.text("City", "city"))
            (view.input("Region", "region", crate::forms::Input::Text, Some("State or region, e.g. IL.")))
        }
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
    let input = SiteInput {
        name: form.get("name").into(),
        code: form.get("code").into(),
        city: form.get("city").into(),
        region: form.get("region").into(),
    };
    match ctx
        .app
        .create_site(ctx.caller(), &org_id, input, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(&paths::org_sites(&org_id), "created")),
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
    let sites = ctx.app.sites(ctx.caller(), org_id, list_page()).await?;
    let rel = ctx.relation_to_org(org_id).await?;
    let hs = org.kind == OrgKind::HealthSystem;
    let may_create = hs && ctx.may(Action::Create, ResourceKind::Site, rel);
    let view = FormView::new(values, errors, "site");
    let content = html! {
        header.page-head {
            h1 { "Sites" }
            p.subtitle { "Treatment locations of " a href={ (paths::org(&org.id)) } { (org.name) } }
        }
        (notice(notice_code))
        @if !hs {
            p.empty { "Manufacturers have no sites: sites belong to health systems." }
        } @else if sites.is_empty() {
            p.empty { "No sites yet." }
        } @else {
            table.list #sites {
                thead { tr { th { "Name" } th { "Code" } th { "City" } th { "Region" } th { "Status" } } }
                tbody {
                    @for s in &sites {
                        tr {
                            td { a href={ (paths::site(&s.id)) } { (s.name) } }
                            td { code { (s.code) } }
                            td { (s.city) }
                            td { (s.region) }
                            td { (labels::active_badge(s.active)) }
                        }
                    }
                }
            }
            (list_cut(sites.len()))
        }
        @if may_create {
            section.panel #new-site {
                h2 { "New site" }
                (view.summary(FIELDS))
                form #site-form method="post" action={ (paths::org_sites(&org.id)) "#new-site" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (site_fields(&view))
                    button.primary type="submit" { "Create site" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Sites", content))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_site(
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
    let patch = SitePatch {
        name: Some(form.get("name").into()),
        code: Some(form.get("code").into()),
        city: Some(form.get("city").into()),
        region: Some(form.get("region").into()),
        active: Some(form.has("active")),
    };
    match ctx
        .app
        .update_site(ctx.caller(), &id, version, patch, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(site) => Ok(notice_redirect(
            &paths::site(&site.id),
            saved_notice(version, site.version),
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_site(&ctx, &id, Some(form), &errors, None, errors.status()).await
        }
    }
}

async fn render_site(
    ctx: &Ctx,
    id: &str,
    typed: Option<FormData>,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let site = ctx.app.site(ctx.caller(), id).await?;
    let org = ctx.app.organization(ctx.caller(), &site.org_id).await?;
    let facilities = ctx.app.facilities_of_site(ctx.caller(), id).await?;
    let rel = ctx.relation_to_org(&site.org_id).await?;
    let may_edit = ctx.may(Action::Update, ResourceKind::Site, rel);
    let programs = super::site_work::site_section(ctx, &site).await?;
    // Consent forms are kept per partnership that opens the site: none yet (only proposals),
    // no link to a page that would not be found.
    let consent = match ctx.app.consent_documents(ctx.caller(), &site.id).await {
        Ok(_) => {
            html! { a #site-consent href={ (paths::site_consent(&site.id)) } { "Consent forms per program" } }
        }
        Err(cellpath_app::AppError::NotFound(_) | cellpath_app::AppError::Forbidden(_)) => {
            html! { span.muted { "None yet: no accepted partnership opens this site" } }
        }
        Err(e) => return Err(e.into()),
    };
    let mut values = typed.unwrap_or_else(|| {
        let mut v = FormData::from_pairs([
            ("name", site.name.as_str()),
            ("code", site.code.as_str()),
            ("city", site.city.as_str()),
            ("region", site.region.as_str()),
        ]);
        if site.active {
            v.set("active", "on");
        }
        v
    });
    values.set("version", site.version.to_string());
    let view = FormView::new(&values, errors, "site");
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::org_sites(&org.id)) } { "Sites of " (org.name) } }
            h1 { (site.name) " " (labels::active_badge(site.active)) }
        }
        (notice(notice_code))
        (facts(&[
            ("Code", html! { code { (site.code) } }),
            ("City", html! { (site.city) }),
            ("Region", html! { (site.region) }),
            ("Health system", html! { a href={ (paths::org(&org.id)) } { (org.name) } }),
            ("Patients' cases", html! { a #site-cases href={ (paths::site_cases(&site.id)) } { "Cases at this site" } }),
            ("Consent documents", consent),
            ("Registry forms", html! { a #site-registry-forms href={ (paths::site_registry_forms(&site.id)) } { "Due and overdue registry forms" } }),
            ("Created", time_el(site.created_at)),
            ("Last changed", time_el(site.updated_at)),
            ("Version", html! { (site.version) }),
        ]))
        section.panel #site-facilities {
            h2 { "Facilities this site uses" }
            @if facilities.is_empty() {
                p.empty { "No facility serves this site yet." }
            } @else {
                table.list {
                    thead { tr { th { "Facility" } th { "Kind" } } }
                    tbody {
                        @for f in &facilities {
                            tr {
                                td { a href={ (paths::facility(&f.id)) } { (f.name) } }
                                td { (labels::facility_kind_badge(f.kind)) }
                            }
                        }
                    }
                }
            }
        }
        (programs)
        @if may_edit {
            section.panel #edit-site {
                h2 { "Edit site" }
                (view.summary(&["name", "code", "city", "region", "active"]))
                form #site-edit-form method="post" action={ (paths::site(&site.id)) "#edit-site" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (site_fields(&view))
                    (view.checkbox("Active (treats patients)", "active"))
                    button.primary type="submit" { "Save" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &site.name, content))
}
