//! The "Sites" section of a partnership page: each site × program with its site map,
//! readiness and authorization, and "Start site map".

use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::pages::site_work::{Row, readiness_cell, rows, site_map_cell};
use crate::paths;
use crate::session::Ctx;
use crate::time::day_el;
use cellpath_app::records::partnerships::SiteJoin;
use cellpath_app::views::Partnership;
use cellpath_domain::contracting::joining::Joining;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::refinement::SiteMapStatus;
use maud::{Markup, html};

/// The sites added to the health system since the partnership was accepted: which joined its
/// onboarding (it covers all current and future sites) and which wait for a joinder.
fn joins_note(joins: &[SiteJoin]) -> Markup {
    html! {
        @if !joins.is_empty() {
            ul.plain #site-joins {
                @for j in joins {
                    li data-site=(j.site.code) data-joined=(j.joined()) {
                        strong { (j.site.name) } " was added on " (day_el(j.site.created_at)) ". "
                        @match &j.joining {
                            Joining::NotCovered(naming) => {
                                "It has not joined the onboarding: "
                                (naming.iter().map(|k| k.title()).collect::<Vec<_>>().join(", "))
                                " name" @if naming.len() == 1 { "s" } " the sites covered; a joinder adds it."
                            }
                            _ => { "It joined the onboarding: the partnership covers all current and future sites." }
                        }
                    }
                }
            }
        }
    }
}

/// "Start site map" (or "Start version N+1" from a signed version) for the health system.
fn start_form(ctx: &Ctx, r: &Row) -> Markup {
    let may = ctx.org.id == r.partnership.health_system_id
        && ctx.may_in(Action::Create, ResourceKind::SiteMap, &r.partnership);
    let from = match &r.newest {
        None => None,
        Some((v, SiteMapStatus::Signed, _)) => Some(v),
        Some(_) => return html! {},
    };
    html! {
        @if may {
            form.inline.start-site-map method="post" action={ (paths::partnership(&r.partnership.id)) "/site-maps" } {
                (csrf_field(ctx.csrf()))
                (hidden("site_id", &r.site.id))
                (hidden("program_id", &r.program.id))
                @if let Some(v) = from {
                    (hidden("from", &v.id))
                    button.secondary.small type="submit" { "Start version " (v.number + 1) }
                } @else {
                    button.secondary.small type="submit" { "Start site map" }
                }
            }
        }
    }
}

/// The "Sites" section of a partnership page. `start` is a refused "Start site map".
pub async fn partnership_section(
    ctx: &Ctx,
    p: &Partnership,
    start: Option<(&FormData, &FormErrors)>,
) -> Result<Markup, WebError> {
    // The sites the partnership opens (an ended one: those that existed when it ended),
    // less those added since it was accepted that it does not cover: they have not joined.
    let joins = ctx.app.site_joins(ctx.caller(), &p.id).await?;
    let sites: Vec<_> = ctx
        .app
        .partnership_sites(ctx.caller(), &p.id)
        .await?
        .into_iter()
        .filter(|s| !joins.iter().any(|j| j.site.id == s.id && !j.joined()))
        .collect();
    let rows = rows(ctx, p, &sites).await?;
    let empty = (FormData::default(), FormErrors::default());
    let (values, errors) = start.unwrap_or((&empty.0, &empty.1));
    let view = FormView::new(values, errors, "start");
    // Each program once, for the links to its live plan.
    let mut programs: Vec<(&str, &str)> = Vec::new();
    for r in &rows {
        if !programs.iter().any(|(id, _)| *id == r.program.id) {
            programs.push((&r.program.id, &r.program.name));
        }
    }
    Ok(html! {
        section.panel #sites {
            h2 { "Sites" }
            p.hint { "Each site refines the program's process map into its own version, which both sides sign; site visits and gap analysis say how ready it is." }
            (joins_note(&joins))
            @if !rows.is_empty() {
                p.section-links {
                    @for (id, name) in &programs {
                        a href=(paths::plan(&p.id, id)) { "When will each site be authorized for " (name) "?" }
                    }
                }
            }
            (view.summary(&[]))
            @if rows.is_empty() {
                p.empty {
                    @if sites.is_empty() { "No sites to show." } @else { "No programs to show yet." }
                }
            } @else {
                div.table-scroll {
                    table.list.site-work {
                        thead { tr {
                            th { "Site" } th { "Program" } th { "Site map" } th { "Readiness" } th { "Authorization" } th { span.visually-hidden { "Actions" } }
                        } }
                        tbody {
                            @for r in &rows {
                                tr data-site=(r.site.code) data-program=(r.program.name) {
                                    td { a href={ (paths::site(&r.site.id)) } { (r.site.name) } br; code { (r.site.code) } }
                                    td { a href={ (paths::program(&r.program.id)) } { (r.program.name) } }
                                    td { (site_map_cell(r)) }
                                    td { (readiness_cell(r)) }
                                    td.authorization { (crate::pages::gate::cell(r.gate.as_ref())) }
                                    td.actions-cell {
                                        a.button.secondary.small href=(paths::readiness(&r.partnership.id, &r.site.id, &r.program.id)) { "Readiness" }
                                        (start_form(ctx, r))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}
