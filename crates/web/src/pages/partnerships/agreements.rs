//! The "Agreements" section of a partnership page: the lapsing-agreements callout, the table
//! and "Start an agreement".

use crate::errors::WebError;
use crate::forms::{FormData, FormErrors};
use crate::pages::agreements::{people_of, sites_of, start_form};
use crate::pages::gate::{self, agreements_table};
use crate::paths;
use crate::session::Ctx;
use cellpath_app::AppError;
use cellpath_app::views::{Agreement, Partnership};
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};

/// The "Agreements" section of a partnership page; `start` is a "Start an agreement" form that
/// came back with errors.
pub async fn partnership_section(
    ctx: &Ctx,
    p: &Partnership,
    start: Option<(&FormData, &FormErrors)>,
) -> Result<Markup, WebError> {
    let agreements = match ctx.app.agreements(ctx.caller(), &p.id).await {
        Ok(list) => list,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let sites = sites_of(ctx, p).await?;
    let refs: Vec<&Agreement> = agreements.iter().collect();
    let today = gate::today(ctx);
    let may_start = ctx.may_in(Action::Create, ResourceKind::Contract, p);
    let form = if may_start {
        let people = (
            people_of(ctx, &p.manufacturer_id).await?,
            people_of(ctx, &p.health_system_id).await?,
        );
        start_form(ctx, p, &sites, &people, start)
    } else {
        html! {}
    };
    // Executed agreements that lapse before a site is expected to be authorized, or while
    // the plan runs: renewing them is part of the plan.
    let lapsing = match ctx
        .app
        .lapsing_agreements(ctx.caller(), &p.id, today.clone())
        .await
    {
        Ok(list) => list,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(html! {
        section.panel #agreements {
            h2 { "Agreements" }
            p.hint { "Central agreements are executed once for the health system; quality and supply agreements at each site (or once, centrally). Each site's authorization rests on them — see the Authorization column under Sites." }
            @if !lapsing.is_empty() {
                div.callout.warning #lapsing-agreements role="note" {
                    p { strong { "Lapsing before the plan is done" } }
                    ul {
                        @for l in &lapsing {
                            li data-agreement=(l.lapse.agreement_id) data-site=(l.site_code) {
                                (crate::labels::badge("Lapses", crate::labels::Tone::Waiting)) " "
                                a href={ (paths::agreement(&l.lapse.agreement_id)) } { (l.program_name) " at " (l.site_code) } ": "
                                (l.lapse.text)
                            }
                        }
                    }
                }
            }
            (agreements_table(ctx, p, &refs, &sites, today.as_str(), true).await)
            (form)
        }
    })
}
