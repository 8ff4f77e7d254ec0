//! An organization's page: its own, or a partner's. Admins rename their own organization and
//! set its time zone here (with the version they read, so two admins cannot silently
//! overwrite each other).

use super::{NoticeQuery, OrgNames, facts, notice_redirect, saved_notice};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
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
use cellpath_app::zone::Zone;
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
        time_zone: Some(form.get("time_zone").to_string()),
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
    let zone = Zone::of(org.time_zone.as_deref());
    let mut values = typed.unwrap_or_else(|| {
        FormData::from_pairs([("name", org.name.as_str()), ("time_zone", zone.name())])
    });
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
            ("Time zone", html! { span #org-zone { (zone.name()) } }),
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
                h2 { "Name and time zone" }
                (view.summary(&["name", "time_zone"]))
                form #org-form method="post" action={ (paths::org(&org.id)) "#rename" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (view.text("Name", "name"))
                    (view.input("Time zone", "time_zone", Input::Text, Some("The tz database name of where your organization works, e.g. America/Chicago, Europe/Berlin or UTC. Its people's pages show times on this clock, with UTC when they hover over a time; exports and the API keep UTC.")))
                    button.primary type="submit" { "Save" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &org.name, content))
}

#[cfg(test)]
mod tests {
    use crate::paths;
    use crate::testing::{Browser, seeded};
    use crate::time::{local, utc};
    use axum::http::StatusCode;
    use cellpath_app::zone::Zone;

    #[tokio::test]
    async fn the_admin_sets_the_time_zone_and_pages_show_its_clock_with_utc_on_hover() {
        let demo = seeded().await;
        let lakeshore = demo.org("Lakeshore University Health").await;
        let page = paths::org(&lakeshore.id);
        let mut admin = Browser::signed_in(&demo, "admin@lakeshore.example").await;

        // Until it is set, times read in UTC.
        let before = admin.get(&page).await;
        before.assert_has(r#"<span id="org-zone">UTC</span>"#);
        before.assert_has("times are shown in UTC");

        // A name the tz database does not know is refused beside the field; nothing changes.
        let refused = admin
            .submit(
                &page,
                "org-form",
                &page,
                &[("name", &lakeshore.name), ("time_zone", "America/Chicgo")],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let beside = refused
            .error_beside("time_zone")
            .expect("an error beside the time zone");
        assert!(beside.contains("is not a time zone"), "{beside}");
        assert_eq!(
            demo.org("Lakeshore University Health").await.time_zone,
            None
        );

        let saved = admin
            .submit(
                &page,
                "org-form",
                &page,
                &[("name", &lakeshore.name), ("time_zone", "America/Chicago")],
                None,
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let org = demo.org("Lakeshore University Health").await;
        assert_eq!(org.time_zone.as_deref(), Some("America/Chicago"));

        // The page shows when it last changed on Chicago's clock (CST or CDT), the exact UTC
        // time in the element's title.
        let after = admin.get(&page).await;
        let chicago = Zone::parse("America/Chicago").expect("in the tz database");
        let shown = local(&chicago, org.updated_at);
        assert!(
            shown.ends_with(" CST") || shown.ends_with(" CDT"),
            "{shown}"
        );
        assert_ne!(shown, utc(org.updated_at));
        after.assert_has(&format!(
            r#"title="{}">{shown}</time>"#,
            utc(org.updated_at)
        ));
        after.assert_has("times are shown in America/Chicago");

        // A partner's people keep their own organization's clock.
        let mut partner = Browser::signed_in(&demo, "admin@helixa.example").await;
        let theirs = partner.get(&page).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
        theirs.assert_has(&format!(">{}</time>", utc(org.updated_at)));
    }
}
