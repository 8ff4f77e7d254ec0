//! "Change status": the health system accepts or declines a proposal, either side ends a
//! partnership. The panel comes last on the partnership page, below what it acts on.

use super::page::{Returned, render_one};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::pages::{OrgNames, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::partnerships::{PartnershipDecline, PartnershipPatch};
use cellpath_app::views::Partnership;
use cellpath_app::{AppError, Outcome};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};

pub async fn set_status(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let status = form.get("status").to_string();
    if matches!(status.parse(), Ok(PartnershipStatus::Ended)) && !form.has("confirm") {
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
    let done = ctx
        .app
        .update_partnership(ctx.caller(), &id, version, patch, None)
        .await;
    answer(&ctx, &id, &form, done, |p| {
        if p.status == PartnershipStatus::Ended {
            "ended"
        } else {
            "accepted"
        }
    })
    .await
}

/// The health system declines a proposal, with a reason if it gives one.
pub async fn decline(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let reason = Some(form.get("reason").to_string()).filter(|r| !r.trim().is_empty());
    let done = ctx
        .app
        .decline_partnership(
            ctx.caller(),
            &id,
            version,
            PartnershipDecline { reason },
            None,
        )
        .await;
    answer(&ctx, &id, &form, done, |_| "declined").await
}

/// After a status change: back to the partnership page with its notice, or the page again
/// with what was refused beside the form.
async fn answer(
    ctx: &Ctx,
    id: &str,
    form: &FormData,
    done: Result<Outcome<Partnership>, AppError>,
    notice: impl Fn(&Partnership) -> &'static str,
) -> Result<Response, WebError> {
    match done.and_then(|o| o.fresh()) {
        Ok(p) => Ok(notice_redirect(&paths::partnership(&p.id), notice(&p))),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_one(
                ctx,
                id,
                form,
                &errors,
                Returned::None,
                None,
                errors.status(),
            )
            .await
        }
    }
}

/// The "Change status" panel of a partnership page (accept, decline, end), or what the
/// proposer waits for.
pub(super) fn section(ctx: &Ctx, p: &Partnership, names: &OrgNames, view: &FormView) -> Markup {
    let may_update = ctx.may_in(Action::Update, ResourceKind::Partnership, p);
    let is_hs = ctx.org.id == p.health_system_id;
    let may_accept = may_update && is_hs && p.status == PartnershipStatus::Proposed;
    let may_end = may_update && p.status != PartnershipStatus::Ended;
    let proposal = p.status == PartnershipStatus::Proposed;
    html! {
        @if may_accept || may_end {
            section.panel #partnership-actions {
                h2 { "Change status" }
                (view.summary(&["confirm", "reason"]))
                div.actions {
                    @if may_accept {
                        form #accept-form method="post" action={ (paths::partnership(&p.id)) "/status#partnership-actions" } {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "active"))
                            p.hint { "Accepting makes the partnership active for both sides." }
                            button.primary type="submit" { "Accept partnership" }
                        }
                        form #decline-form method="post" action={ (paths::partnership(&p.id)) "/decline#partnership-actions" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            p.hint { "Declining ends the proposal; " (names.name(&p.manufacturer_id)) " sees that you declined it, and your reason." }
                            (view.textarea("Reason (optional)", "reason", None, 2))
                            button.danger type="submit" { "Decline proposal" }
                        }
                    }
                    @if may_end && !may_accept {
                        form #end-form method="post" action={ (paths::partnership(&p.id)) "/status#partnership-actions" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "ended"))
                            @if proposal {
                                p.hint { "Waiting for " (names.name(&p.health_system_id)) " to accept or decline. Withdrawing ends the proposal." }
                                (view.checkbox("I understand that withdrawing cannot be undone", "confirm"))
                                button.danger type="submit" { "Withdraw proposal" }
                            } @else {
                                (view.checkbox("I understand that ending cannot be undone", "confirm"))
                                button.danger type="submit" { "End partnership" }
                            }
                        }
                    }
                }
            }
        } @else if proposal && !is_hs {
            p.hint { "Waiting for " (names.name(&p.health_system_id)) " to accept or decline." }
        }
    }
}
