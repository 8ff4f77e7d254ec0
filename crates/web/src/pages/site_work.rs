//! The work of a partnership at each site, in brief: for each site and each program of the
//! manufacturer, the newest site map version (its status and scan burden) and the site's
//! readiness (score, open blocking gaps). Shown on the partnership page (its "Sites" section,
//! `partnerships/sites.rs`, with "Start site map"), on a site's page, and on a facility's page
//! (with the gaps found at that facility).

use super::readiness::{blocking_badge, score_bar, severity_badge};
use super::site_maps::status_badge;
use crate::charts::swimlane::scan_burden_badge;
use crate::errors::WebError;
use crate::labels;
use crate::paths;
use crate::session::Ctx;
use cellpath_app::contracting::GateView;
use cellpath_app::readiness::ReadinessView;
use cellpath_app::views::{Facility, Gap, Partnership, Program, Site, SiteMapVersion};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::process_map::ScanBurden;
use maud::{Markup, html};

/// One site and one program of a partnership.
pub struct Row {
    pub partnership: Partnership,
    pub site: Site,
    pub program: Program,
    /// The newest site map version, its status and its scan burden.
    pub newest: Option<(SiteMapVersion, &'static str, ScanBurden)>,
    /// `None` when the readiness cannot be read (e.g. a program not shared any more).
    pub readiness: Option<ReadinessView>,
    /// The authorization gate today; `None` when it cannot be read.
    pub gate: Option<GateView>,
}

/// The programs the partnership is for.
async fn programs_of(ctx: &Ctx, p: &Partnership) -> Result<Vec<Program>, WebError> {
    Ok(ctx.app.partnership_programs(ctx.caller(), &p.id).await?)
}

/// A row for every site × every program of the partnership.
pub async fn rows(ctx: &Ctx, p: &Partnership, sites: &[Site]) -> Result<Vec<Row>, WebError> {
    let programs = programs_of(ctx, p).await?;
    let versions = ctx.app.site_maps(ctx.caller(), &p.id).await?;
    // Every row's gate from one read of the partnership's record; none when it cannot be read.
    let gates = ctx
        .app
        .gates(ctx.caller(), &p.id, super::gate::today(ctx))
        .await
        .unwrap_or_default();
    let mut out = Vec::new();
    for site in sites {
        for program in &programs {
            let newest = versions
                .iter()
                .filter(|v| v.site_id == site.id && v.program_id == program.id)
                .max_by_key(|v| v.number);
            let newest = match newest {
                Some(v) => {
                    let view = ctx.app.site_map(ctx.caller(), &v.id).await?;
                    Some((v.clone(), view.status, view.scan_burden))
                }
                None => None,
            };
            let readiness = ctx
                .app
                .readiness(ctx.caller(), &p.id, &site.id, &program.id)
                .await
                .ok();
            let gate = gates
                .iter()
                .find(|g| g.site_id == site.id && g.program_id == program.id)
                .cloned();
            out.push(Row {
                partnership: p.clone(),
                site: site.clone(),
                program: program.clone(),
                newest,
                readiness,
                gate,
            });
        }
    }
    Ok(out)
}

/// The active partnerships of the caller's organization with the health system `org_id`.
async fn partnerships_with(ctx: &Ctx, org_id: &str) -> Result<Vec<Partnership>, WebError> {
    Ok(ctx
        .app
        .partnerships(ctx.caller(), &ctx.org.id, cellpath_app::views::Page::all())
        .await?
        .into_iter()
        .filter(|p| p.health_system_id == org_id && p.status == PartnershipStatus::Active)
        .collect())
}

pub(crate) fn site_map_cell(r: &Row) -> Markup {
    html! {
        @match &r.newest {
            Some((v, status, burden)) => {
                a href={ (paths::site_map(&v.id)) } { "Version " (v.number) } " " (status_badge(status))
                br; (scan_burden_badge(burden))
            }
            None => span.muted { "Not started" },
        }
    }
}

pub(crate) fn readiness_cell(r: &Row) -> Markup {
    html! {
        @match &r.readiness {
            Some(view) if view.visits == 0 && view.gaps.is_empty() => {
                span.badge.badge-quiet.not-visited { "No site visit yet" }
            }
            Some(view) => {
                div.readiness-cell {
                    (score_bar(view.percent, true))
                    (blocking_badge(view.open_blocking))
                }
            }
            None => span.muted { "—" },
        }
    }
}

/// The table of a site page or facility page: one row per partnership program (and site).
fn table(rows: &[Row], names: &super::OrgNames, with_site: bool) -> Markup {
    html! {
        div.table-scroll {
            table.list.site-work {
                thead { tr {
                    @if with_site { th { "Site" } }
                    th { "Program" } th { "Partnership" } th { "Site map" } th { "Readiness" } th { "Authorization" } th { span.visually-hidden { "Open" } }
                } }
                tbody {
                    @for r in rows {
                        tr data-site=(r.site.code) data-program=(r.program.name) {
                            @if with_site { td { a href={ (paths::site(&r.site.id)) } { (r.site.name) } } }
                            td { (r.program.name) br; span.muted { (names.name(&r.program.org_id)) } }
                            td { a href={ (paths::partnership(&r.partnership.id)) "#sites" } { (r.partnership.name) } }
                            td { (site_map_cell(r)) }
                            td { (readiness_cell(r)) }
                            td.authorization { (super::gate::cell(r.gate.as_ref())) }
                            td { a.button.secondary.small href=(paths::readiness(&r.partnership.id, &r.site.id, &r.program.id)) { "Readiness" } }
                        }
                    }
                }
            }
        }
    }
}

/// The "Partnership programs" section of a site's page.
pub async fn site_section(ctx: &Ctx, site: &Site) -> Result<Markup, WebError> {
    let mut all = Vec::new();
    for p in partnerships_with(ctx, &site.org_id).await? {
        all.extend(rows(ctx, &p, std::slice::from_ref(site)).await?);
    }
    let names = super::OrgNames::load(ctx).await?;
    // Each program's map as this site runs it: the newest site version, drawn with the
    // site's owners, locations and systems.
    let mut maps = Vec::new();
    for r in &all {
        if let Some((v, status, _)) = &r.newest {
            let loaded = super::site_maps::Loaded::load(ctx, &v.id).await?;
            maps.push((
                r.program.name.clone(),
                v.number,
                *status,
                loaded.path(),
                crate::charts::swimlane::swimlane(&loaded.effective, Some(&loaded.overlay())),
            ));
        }
    }
    Ok(html! {
        section.panel #site-programs {
            h2 { "Programs at this site" }
            @if all.is_empty() {
                p.empty { "No partnership program covers this site yet." }
            } @else {
                p.hint { "Readiness: the share of the program's requirements met at the facilities this site uses, from the latest site visits. Open blocking gaps keep the site from authorization." }
                (table(&all, &names, false))
            }
        }
        @for (program, number, status, path, chart) in &maps {
            section.panel.site-swimlane {
                h2 { (program) " at this site" }
                p.hint {
                    "Site map version " (number) " · " (super::site_maps::status_badge(status)) " · "
                    a href=(path) { "Open the site map" }
                }
                (chart)
            }
        }
    })
}

/// The sections of a facility's page: readiness of the sites it serves, and the gaps found at it.
pub async fn facility_sections(
    ctx: &Ctx,
    facility: &Facility,
    served: &[&Site],
) -> Result<Markup, WebError> {
    let served: Vec<Site> = served.iter().map(|s| (*s).clone()).collect();
    let mut all = Vec::new();
    let mut gaps: Vec<(Gap, String, String, String)> = Vec::new();
    for p in partnerships_with(ctx, &facility.org_id).await? {
        let rows = rows(ctx, &p, &served).await?;
        for site in &served {
            for g in ctx.app.gaps_of_site(ctx.caller(), &p.id, &site.id).await? {
                if g.facility_id.as_deref() != Some(facility.id.as_str()) {
                    continue;
                }
                let program = rows
                    .iter()
                    .find(|r| r.program.id == g.program_id)
                    .map(|r| r.program.name.clone())
                    .unwrap_or_else(|| g.program_id.clone());
                let path = format!(
                    "/partnerships/{}/sites/{}/readiness?program={}#gap-{}",
                    p.id, site.id, g.program_id, g.id
                );
                gaps.push((g, site.name.clone(), program, path));
            }
        }
        all.extend(rows);
    }
    // Open first, then by due date.
    gaps.sort_by(|a, b| {
        (a.0.status != GapStatus::Open, &a.0.due_on)
            .cmp(&(b.0.status != GapStatus::Open, &b.0.due_on))
    });
    let names = super::OrgNames::load(ctx).await?;
    let today = super::gate::today(ctx);
    Ok(html! {
        section.panel #facility-readiness {
            h2 { "Readiness of the sites it serves" }
            @if all.is_empty() {
                p.empty { "No partnership program covers these sites yet." }
            } @else {
                (table(&all, &names, true))
            }
        }
        section.panel #facility-gaps {
            h2 { "Gaps found at this facility" }
            @if gaps.is_empty() {
                p.empty { "No gaps: no site visit found an unmet requirement here." }
            } @else {
                div.table-scroll {
                    table.list.gaps {
                        thead { tr {
                            th { "Requirement" } th { "Site" } th { "Program" } th { "Severity" } th { "Owner" } th { "Due" } th { "Status" }
                        } }
                        tbody {
                            @for (g, site, program, path) in &gaps {
                                tr data-gap=(g.id) data-status=(g.status) {
                                    td { a href=(path) { (g.expected) } br; span.muted { (super::readiness::observed_phrase(&g.observed)) } }
                                    td { (site) }
                                    td { (program) }
                                    td { (severity_badge(g.severity.as_str())) }
                                    td { (labels::role(g.owner_role.as_str())) }
                                    td { (labels::due(g.due_on.as_str(), g.status == GapStatus::Open, today.as_str())) }
                                    td { (super::readiness::gap_status_badge(g.status.as_str())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}
