//! "Change status": the health system accepts a proposal, either side ends a partnership.

use super::page::{Returned, render_one};
use crate::errors::WebError;
use crate::forms::{FormErrors, FormView, csrf_field, hidden};
use crate::pages::{OrgNames, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::records::partnerships::PartnershipPatch;
use cellpath_app::views::Partnership;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};

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
            let code = if p.status == PartnershipStatus::Ended {
                "ended"
            } else {
                "accepted"
            };
            Ok(notice_redirect(&paths::partnership(&p.id), code))
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

/// The "Change status" panel of a partnership page (accept, end), or what the proposer waits for.
pub(super) fn section(ctx: &Ctx, p: &Partnership, names: &OrgNames, view: &FormView) -> Markup {
    let may_update = ctx.may_in(Action::Update, ResourceKind::Partnership, p);
    let is_hs = ctx.org.id == p.health_system_id;
    let may_accept = may_update && is_hs && p.status == PartnershipStatus::Proposed;
    let may_end = may_update && p.status != PartnershipStatus::Ended;
    html! {
        @if may_accept || may_end {
            section.panel #partnership-actions {
                h2 { "Change status" }
                (view.summary(&["confirm"]))
                div.actions {
                    @if may_accept {
                        form #accept-form method="post" action={ (paths::partnership(&p.id)) "/status#partnership-actions" } {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "active"))
                            p.hint { "Accepting makes the partnership active for both sides." }
                            button.primary type="submit" { "Accept partnership" }
                        }
                    }
                    @if may_end {
                        form #end-form method="post" action={ (paths::partnership(&p.id)) "/status#partnership-actions" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (hidden("version", p.version))
                            (hidden("status", "ended"))
                            (view.checkbox("I understand that ending cannot be undone", "confirm"))
                            button.danger type="submit" { "End partnership" }
                        }
                    }
                }
            }
        } @else if p.status == PartnershipStatus::Proposed && !is_hs {
            p.hint { "Waiting for " (names.name(&p.health_system_id)) " to accept." }
        }
    }
}
