//! The authorization gate (DESIGN.md §2) as people read it: whether a site is an authorized
//! treatment center for a program today, or each thing still missing (agreements,
//! deliverables, readiness gaps), with the agreements the gate looked at; the compact
//! "Authorization" cell of the site × program rows (`site_work`); and the agreements table
//! the partnership page (`agreements`) shows too. Each missing deliverable has its "Record as
//! done" form (`deliverables`), e-signed with the password re-entered; after any change that
//! may move the gate, [`review`] records the new verdicts on the partnership's ledger.

mod deliverables;
#[cfg(test)]
mod tests;

pub use deliverables::record as record_deliverable;
pub use deliverables::revoke as revoke_deliverable;

use crate::errors::WebError;
use crate::labels::{self, Tone, badge};
use crate::paths;
use crate::session::Ctx;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::contracting::GateView;
use cellpath_app::views::{Agreement, Partnership, Site};
use cellpath_domain::Date;
use cellpath_domain::contracting::Scope;
use cellpath_domain::contracting::gate::AuthorizationStatus;
use cellpath_domain::contracting::{Coverage, Missing};
use cellpath_domain::org::{OrgKind, PartnershipStatus};
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};
use serde::Deserialize;

/// Today, for the gate.
pub fn today(ctx: &Ctx) -> Date {
    Date::of_micros(ctx.app.now())
}

/// The day since which the site is authorized, when the ledger has recorded it.
fn authorized_since(view: &GateView) -> Option<&str> {
    view.recorded
        .as_ref()
        .filter(|r| r.status == AuthorizationStatus::Authorized && view.authorized)
        .map(|r| r.since.as_str())
}

/// The compact "Authorization" cell of a site × program row.
pub fn cell(view: Option<&GateView>) -> Markup {
    html! {
        @match view {
            Some(v) => {
                a.gate-cell href=(paths::gate(&v.partnership_id, &v.site_id, &v.program_id))
                    data-authorized=(v.authorized) {
                    @if v.authorized {
                        span.badge.badge-good { "Authorized" }
                        @if let Some(since) = authorized_since(v) { br; span.muted { "since " (since) } }
                    } @else {
                        span.badge.badge-bad { "Not authorized" }
                        br; span.gate-missing-count { (v.missing.len()) " missing" }
                    }
                }
            }
            None => span.muted { "—" },
        }
    }
}

/// Underscored wire words inside an app sentence as words: "not executed (legal_review)" →
/// "not executed (legal review)".
pub(crate) fn words(text: &str) -> String {
    text.replace('_', " ")
}

#[derive(Debug, Deserialize)]
pub struct GateQuery {
    pub program: Option<String>,
    pub notice: Option<String>,
}

pub async fn show(
    ctx: Ctx,
    Path((pid, site_id)): Path<(String, String)>,
    Query(q): Query<GateQuery>,
) -> Result<Response, WebError> {
    render(
        &ctx,
        &pid,
        &site_id,
        q.program.as_deref(),
        None,
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// The gate page; `returned` is a "Record as done" form that came back with errors.
async fn render(
    ctx: &Ctx,
    pid: &str,
    site_id: &str,
    program_id: Option<&str>,
    returned: Option<deliverables::Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let p = ctx.app.partnership(ctx.caller(), pid).await?;
    let site = ctx
        .app
        .site(ctx.caller(), site_id)
        .await
        .ok()
        .filter(|s| s.org_id == p.health_system_id)
        .ok_or_else(|| AppError::not_found(format!("site {site_id} of this partnership")))?;
    let programs = ctx.app.partnership_programs(ctx.caller(), &p.id).await?;
    let wanted = program_id.filter(|s| !s.is_empty());
    let program = match wanted {
        Some(id) => programs.iter().find(|pr| pr.id == id),
        None => programs.first(),
    }
    .cloned()
    .ok_or_else(|| {
        AppError::not_found(format!(
            "program {} of this partnership",
            wanted.unwrap_or("")
        ))
    })?;
    // The signatures the view was signed with: shown again beside each record and its
    // revocations, read once.
    let (view, signatures) = ctx
        .app
        .gate_and_signatures(ctx.caller(), &p.id, &site.id, &program.id, today(ctx))
        .await?;
    let sites = ctx
        .app
        .sites(ctx.caller(), &p.health_system_id, super::list_page())
        .await
        .unwrap_or_default();
    let newest_map = ctx
        .app
        .site_maps(ctx.caller(), &p.id)
        .await?
        .into_iter()
        .filter(|v| v.site_id == site.id && v.program_id == program.id)
        .max_by_key(|v| v.number);
    let names = super::OrgNames::load(ctx).await?;
    let may_record = ctx.may_in(Action::Create, ResourceKind::Deliverable, &p);
    let may_revoke = ctx.may_in(Action::Update, ResourceKind::Deliverable, &p);
    let consent_open = p.status == PartnershipStatus::Active
        || ctx
            .caller()
            .principal
            .as_ref()
            .is_some_and(|who| who.org_kind == OrgKind::HealthSystem);
    let base = deliverables::Base {
        ctx,
        partnership_id: &p.id,
        site_id: &site.id,
        program_id: &program.id,
        site_map: newest_map.as_ref().map(|v| v.id.as_str()),
        kept: crate::uploads::kept_in(ctx, view.deliverables.iter().map(|r| r.evidence.as_str()))
            .await?,
        signatures,
        consent_open,
    };
    let readiness = format!(
        "/partnerships/{}/sites/{}/readiness?program={}",
        p.id, site.id, program.id
    );
    let (mut agreements, mut deliverables, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let mut standing = Vec::new();
    for m in &view.missing {
        match &m.missing {
            Missing::Partnership { reason } => standing.push(html! {
                li data-missing="partnership" { "The partnership is " (reason) }
            }),
            Missing::Agreement { kind, reason } => agreements.push(html! {
                li data-missing="agreement" data-kind=(kind.as_str()) {
                    strong { (labels::agreement_kind(*kind)) } " — " (words(reason))
                }
            }),
            Missing::Deliverable { deliverable } => deliverables.push(html! {
                li data-missing="deliverable" data-deliverable=(deliverable.as_str())
                    id={ "deliverable-" (deliverable.as_str()) } {
                    (labels::deliverable(*deliverable)) " — not done yet"
                    (base.how_to_fulfil(*deliverable, may_record, &returned))
                }
            }),
            Missing::BlockingGaps { count } => gaps.push(html! {
                li data-missing="blocking_gaps" data-count=(count) {
                    a href={ (readiness) "#gaps" } {
                        (count) " open blocking readiness gap" @if *count != 1 { "s" }
                    }
                    " at the facilities this site uses"
                }
            }),
        }
    }
    let missing_deliverables: Vec<&str> = view
        .missing
        .iter()
        .filter_map(|m| match &m.missing {
            Missing::Deliverable { deliverable } => Some(deliverable.as_str()),
            _ => None,
        })
        .collect();
    let considered: Vec<&Agreement> = view
        .agreements
        .iter()
        .filter(|a| {
            a.scope == Scope::HealthSystem || a.site_id.as_deref() == Some(site.id.as_str())
        })
        .collect();
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::partnership(&p.id)) "#sites" } { (p.name) } }
            h1 { "Is " (site.name) " an authorized treatment center for " (program.name) "?" }
            p.subtitle { (names.name(&p.manufacturer_id)) " × " (names.name(&p.health_system_id)) " · as of " (view.today) }
        }
        (deliverables::notice(notice_code))
        (deliverables::orphaned(&returned, &missing_deliverables))
        section.panel.gate-verdict #verdict data-authorized=(view.authorized) {
            @if view.authorized {
                p.verdict.verdict-yes {
                    "Authorized"
                    @if let Some(since) = authorized_since(&view) { " since " time datetime=(since) { (since) } }
                }
                p.hint { "Every agreement is in force for this site, every deliverable is done and no blocking readiness gap is open." }
            } @else {
                p.verdict.verdict-no { "Not authorized" }
                p.hint {
                    (view.missing.len()) " item" @if view.missing.len() != 1 { "s" } " missing, listed below."
                    @if let Some(r) = view.recorded.as_ref().filter(|r| r.status == AuthorizationStatus::Suspended) {
                        " Suspended since " (r.since) "."
                    }
                }
            }
            p.section-links {
                a href=(readiness) { "Readiness of this site" }
                @match &newest_map {
                    Some(v) => a href={ (paths::site_map(&v.id)) } { "Site map (version " (v.number) ")" },
                    None => span.muted { "No site map started yet" },
                }
                a href={ (paths::site(&site.id)) } { "Site page" }
                @if !view.authorized {
                    a href=(paths::plan(&p.id, &program.id)) { "When will it be authorized?" }
                }
            }
        }
        @if !view.authorized {
            section.panel #missing {
                h2 { "What is missing" }
                @if !standing.is_empty() {
                    h3 { "Partnership" }
                    ul.gate-missing { @for li in &standing { (li) } }
                }
                @if !agreements.is_empty() {
                    h3 { "Agreements" }
                    ul.gate-missing { @for li in &agreements { (li) } }
                }
                @if !deliverables.is_empty() {
                    h3 { "Deliverables" }
                    ul.gate-missing { @for li in &deliverables { (li) } }
                }
                @if !gaps.is_empty() {
                    h3 { "Readiness" }
                    ul.gate-missing { @for li in &gaps { (li) } }
                }
            }
        }
        section.panel #consent-item {
            h2 { "Informed consent" }
            @match (&view.consent.version_number, &view.consent.active_since, &view.consent.by_hand_on) {
                (Some(n), Some(since), _) => p.consent-satisfied {
                    "Satisfied by "
                    @if consent_open { a href={ (paths::site_consent(&site.id)) } { "Consent version " (n) } }
                    @else { "Consent version " (n) }
                    ", active since " (since) "."
                },
                (_, _, Some(on)) => p.consent-by-hand {
                    "Recorded by hand on " (on) ", before consent documents; it counts until this site's first consent version is made active. "
                    @if consent_open { a href={ (paths::site_consent(&site.id)) } { "Consent documents" } }
                },
                _ => p.consent-missing {
                    "No active consent version for this program. "
                    @if consent_open { a href={ (paths::site_consent(&site.id)) } { "Consent documents" } }
                },
            }
        }
        (base.done_panel(&view.deliverables, may_revoke, &returned))
        section.panel #agreements-considered {
            h2 { "Agreements considered" }
            p.hint { "The health system's central agreements and this site's own; an agreement counts once executed, in effect and covering this site." }
            (agreements_table(ctx, &p, &considered, &sites, view.today.as_str(), false).await)
        }
    };
    Ok(ctx.render_status(
        status,
        &format!("Authorization · {} · {}", site.name, program.name),
        content,
    ))
}

fn site_name<'a>(sites: &'a [Site], id: &'a str) -> &'a str {
    sites
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

pub(crate) fn scope_cell(a: &Agreement, sites: &[Site]) -> Markup {
    let coverage: Option<Coverage> = serde_json::from_value(a.coverage.clone()).ok();
    html! {
        @if a.scope == Scope::Site {
            "Site: " @if let Some(id) = &a.site_id { (site_name(sites, id)) }
        } @else {
            "Health system" br;
            span.muted {
                @match &coverage {
                    Some(Coverage::Named(ids)) => {
                        "covers "
                        @for (i, id) in ids.iter().enumerate() {
                            @if i > 0 { ", " }
                            (site_name(sites, id))
                        }
                    }
                    _ => "all current and future sites",
                }
            }
        }
    }
}

fn count(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// A user's name when the caller may read it, else the side's organization.
pub(crate) async fn owner(ctx: &Ctx, user_id: Option<&str>, org_name: &str) -> Markup {
    let Some(user_id) = user_id else {
        return html! { span.muted { "—" } };
    };
    match ctx.app.user(ctx.caller(), user_id).await {
        Ok(u) => html! { (u.name) },
        Err(_) => html! { (org_name) },
    }
}

/// The agreements as a table; `with_owners` adds the owners, documents and redline rounds.
pub(crate) async fn agreements_table(
    ctx: &Ctx,
    p: &Partnership,
    agreements: &[&Agreement],
    sites: &[Site],
    today: &str,
    with_owners: bool,
) -> Markup {
    let names = super::OrgNames::load(ctx).await.ok();
    let org = |id: &str| {
        names
            .as_ref()
            .map_or(id.to_string(), |n| n.name(id).to_string())
    };
    let mut owners = Vec::new();
    if with_owners {
        for a in agreements {
            owners.push((
                owner(
                    ctx,
                    a.owner_manufacturer.as_deref(),
                    &org(&p.manufacturer_id),
                )
                .await,
                owner(
                    ctx,
                    a.owner_health_system.as_deref(),
                    &org(&p.health_system_id),
                )
                .await,
            ));
        }
    }
    html! {
        @if agreements.is_empty() {
            p.empty { "No agreements tracked yet." }
        } @else {
            div.table-scroll {
                table.list.agreements {
                    thead { tr {
                        th { "Agreement" } th { "Scope" } th { "Status" }
                        @if with_owners { th { "Owners" } }
                        th { "In effect" }
                        @if with_owners { th { "History" } }
                    } }
                    tbody {
                        @for (i, a) in agreements.iter().enumerate() {
                            tr data-agreement=(a.id) data-kind=(a.kind) data-status=(a.status) {
                                td.kind { a href={ (paths::agreement(&a.id)) } { (labels::agreement_kind(a.kind)) } }
                                td.scope { (scope_cell(a, sites)) }
                                td { (labels::agreement_status_badge(a.status)) }
                                @if let Some((m, h)) = owners.get(i) {
                                    td.owners { (m) br; span.muted { (h) } }
                                }
                                td.dates {
                                    @if a.effective_on.is_none() && a.expires_on.is_none() {
                                        span.muted { "Not set" }
                                    } @else {
                                        (a.effective_on.as_ref().map_or("…", |d| d.as_str()))
                                        " →" br;
                                        (a.expires_on.as_ref().map_or("no expiry", |d| d.as_str()))
                                        @if a.expires_on.as_ref().is_some_and(|d| d.as_str() <= today) {
                                            " " (badge("Expired", Tone::Quiet))
                                        }
                                    }
                                }
                                @if with_owners {
                                    td.history {
                                        span data-documents=(count(&a.documents)) {
                                            (count(&a.documents)) " document" @if count(&a.documents) != 1 { "s" }
                                        }
                                        br;
                                        span.muted data-redlines=(a.redline_rounds) {
                                            (a.redline_rounds) " redline round" @if a.redline_rounds != 1 { "s" }
                                        }
                                        @let amendments = count(&a.amendments);
                                        @if amendments > 0 {
                                            br; span.muted { (amendments) " amendment" @if amendments != 1 { "s" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
