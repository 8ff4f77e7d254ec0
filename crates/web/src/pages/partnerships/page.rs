//! One partnership's page: its facts, then its sections (status actions, sites, agreements).

use super::program_names_of;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView};
use crate::labels;
use crate::layout::notice;
use crate::pages::{NoticeQuery, OrgNames, facts};
use crate::paths;
use crate::session::Ctx;
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::html;

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
pub(super) enum Returned<'a> {
    None,
    SiteMap(&'a FormData, &'a FormErrors),
    Agreement(&'a FormData, &'a FormErrors),
}

pub(super) async fn render_one(
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
    // A proposal shows each side the other's name and the programs proposed, nothing more; a
    // proposal ended or declined before acceptance never opened anything.
    let proposed = p.accepted_at.is_none();
    let (sites, agreements, exceptions) = if proposed {
        let hint = if p.status == PartnershipStatus::Proposed {
            "Sites, agreements and the work at each site open to both sides once the health system accepts the proposal."
        } else {
            "This proposal was never accepted: it opened no sites, agreements or work to either side."
        };
        (
            html! { p.hint #proposal-only { (hint) } },
            html! {},
            html! {},
        )
    } else {
        (
            super::sites::partnership_section(ctx, &p, start).await?,
            super::agreements::partnership_section(ctx, &p, agreement).await?,
            crate::pages::exceptions::sla::partnership_section(ctx, &p).await?,
        )
    };
    let names = OrgNames::load(ctx).await?;
    let program_names = program_names_of(ctx, &p).await?;
    let may_audit = ctx.may_in(Action::Read, ResourceKind::Ledger, &p);
    // Money opens with the partnership, to each side's money roles.
    let may_money = !proposed && ctx.may_in(Action::Read, ResourceKind::Payment, &p);
    // A partner's organization page is readable whatever the partnership's status.
    let party = |org_id: &str| {
        html! {
            a href={ (paths::org(org_id)) } { (names.name(org_id)) }
            @if org_id == ctx.org.id { " (you)" }
        }
    };
    let view = FormView::new(values, errors, "status");
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/partnerships" { "Partnerships" } }
            h1 { (p.name) " " (labels::partnership_badge(&p)) }
        }
        (notice(notice_code))
        (facts(&[
            ("Manufacturer", party(&p.manufacturer_id)),
            ("Health system", party(&p.health_system_id)),
            ("Programs", html! {
                @if p.programs.is_empty() { span.muted { "None named yet" } }
                @else { ul.plain { @for name in &program_names { li { (name) } } } }
            }),
            ("Status", labels::partnership_badge(&p)),
            ("Proposed", time_el(p.created_at)),
            ("Accepted", match p.accepted_at {
                Some(at) => time_el(at),
                None => html! { span.muted { "Not accepted" } },
            }),
            ("Last changed", time_el(p.updated_at)),
            ("Version", html! { (p.version) }),
        ]))
        @if let Some(by) = &p.declined_by {
            div.callout #declined role="note" {
                p {
                    strong { "Declined" } " by " (by) " of " (names.name(&p.health_system_id))
                    " on " (crate::time::day_el(p.updated_at)) "."
                }
                @if let Some(reason) = &p.decline_reason {
                    p { "Their reason: " q.decline-reason { (reason) } }
                } @else {
                    p.muted { "No reason was given." }
                }
            }
        }
        @if may_audit {
            p { a.button.secondary #partnership-audit-link href={ (paths::ledger(&p.id)) } { "Audit trail of this partnership" } }
        }
        @if may_money {
            p #partnership-money {
                a.button.secondary #payment-terms-link href={ (paths::payment_terms(&p.id)) } { "Payment terms" }
                " "
                a.button.secondary #invoices-link href={ (paths::invoices(&p.id, None)) } { "Invoices" }
            }
        }
        (sites)
        (agreements)
        (exceptions)
        // Accepting, declining and ending act on everything above: they come after it.
        (super::status::section(ctx, &p, &names, &view))
    };
    Ok(ctx.render_status(status, &p.name, content))
}
