//! Programs (DESIGN.md §2) and their process maps (§4.1): the list of the caller's programs
//! with the "New program" form, a program's page (facts, the current map as a swimlane, its
//! map versions, the edit-facts form), and starting a new draft from a version. The map
//! version pages, the step editor and the comparison live in the files under `programs/`.

mod compare;
pub(crate) mod facts_form;
mod labels;
mod map_edits;
mod map_page;
mod step_form;
mod step_page;
#[cfg(test)]
mod tests;
mod track;
mod waitlist;

pub use compare::show as compare;
pub use map_page::{add_step, publish, show as show_map};
pub use step_page::{remove as remove_step, save as save_step, show as show_step};
pub use track::{save as save_track, show as show_track};
pub use waitlist::{act as waitlist_act, show as show_waitlist};

use super::{NoticeQuery, OrgNames, facts, list_cut, list_page, notice_redirect, saved_notice};
use crate::charts::swimlane::{scan_burden_badge, swimlane};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::{rfc3339, time_el};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::programs::valid_map;
use cellpath_app::views::{MapVersion, Program};
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::process_map::{ProcessMap, scan_burden};
use labels::{identifier_kind_label, issuer_label, map_status_badge, modality_label, short_hash};
use maud::{Markup, html};

/// Confirmations after the program and map forms, on top of the shared ones (fixed texts,
/// so nothing from the URL reaches the page).
fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("draft_started") => "A new draft is started. Edit its steps below, then publish it.",
        Some("published") => "Published. This version never changes from now on.",
        Some("step_saved") => "The step is saved in the draft.",
        Some("step_added") => "The step is added to the draft.",
        Some("step_removed") => {
            "The step is removed; the steps after it now follow what it came after."
        }
        _ => return crate::layout::notice(code),
    };
    html! { div.notice #notice role="status" { (text) } }
}

/// Whether the caller may change the programs (and maps) of `org_id`.
async fn may_change(ctx: &Ctx, org_id: &str) -> Result<bool, WebError> {
    let rel = ctx.relation_to_org(org_id).await?;
    Ok(rel == Relation::OwnOrg && ctx.may(Action::Update, ResourceKind::Program, rel))
}

/// A map version's map as stored (it was valid when stored).
fn stored_map(version: &MapVersion) -> Result<ProcessMap, WebError> {
    serde_json::from_value(version.map.clone()).map_err(|e| {
        WebError::from(AppError::Internal(format!(
            "map version {} does not parse: {e}",
            version.id
        )))
    })
}

fn step_count(version: &MapVersion) -> usize {
    version.map["steps"].as_array().map_or(0, Vec::len)
}

/// "version 2 (draft)" as a link to the version's page.
fn version_link(v: &MapVersion) -> Markup {
    html! { a href={ (paths::map(&v.id)) } { "Version " (v.number) } }
}

/// "−150 °C", with a real minus sign.
fn celsius(t: i32) -> String {
    format!("{t} °C").replace('-', "\u{2212}")
}

/// `YYYY-MM-DD` of today (UTC), to mark the list price in force.
fn today(ctx: &Ctx) -> String {
    rfc3339(ctx.app.now())[..10].to_string()
}

// ---------- the list ----------

pub async fn list(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    render_list(
        &ctx,
        &FormData::default(),
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let (facts, unread) = facts_form::read(&form);
    if !unread.is_empty() {
        let errors = facts_form::with_domain_check(&facts, unread);
        return render_list(&ctx, &form, &errors, None, errors.status()).await;
    }
    let org_id = ctx.org.id.clone();
    match ctx
        .app
        .create_program(ctx.caller(), &org_id, facts, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(p) => Ok(notice_redirect(&paths::program(&p.id), "created")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_list(&ctx, &form, &errors, None, errors.status()).await
        }
    }
}

/// A row of the list: the program, its newest published version and that version's burden.
struct Row {
    program: Program,
    published: Option<MapVersion>,
    drafts: usize,
}

async fn render_list(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let programs = ctx.app.programs(ctx.caller(), list_page()).await?;
    let mut rows = Vec::with_capacity(programs.len());
    for program in programs {
        let versions = ctx.app.map_versions(ctx.caller(), &program.id).await?;
        let drafts = versions
            .iter()
            .filter(|v| v.status == MapVersionStatus::Draft)
            .count();
        let published = versions
            .into_iter()
            .find(|v| v.status == MapVersionStatus::Published);
        rows.push(Row {
            program,
            published,
            drafts,
        });
    }
    let published: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.published.as_ref().map(|v| v.id.as_str()))
        .collect();
    let names = OrgNames::load(ctx).await?;
    let hs = ctx.is_health_system();
    let may_create = !hs && ctx.may(Action::Create, ResourceKind::Program, Relation::OwnOrg);
    let view = FormView::new(values, errors, "program");
    let content = html! {
        header.page-head {
            h1 { "Programs" }
            p.subtitle {
                @if hs { "The therapies of the manufacturers " (ctx.org.name) " works with" }
                @else { "The therapies of " (ctx.org.name) }
            }
        }
        (notice(notice_code))
        @if rows.is_empty() {
            p.empty {
                @if hs { "No programs yet: a manufacturer's programs appear here once a partnership with it is active." }
                @else { "No programs yet." }
            }
        } @else {
            table.list #programs {
                thead { tr {
                    th { "Program" }
                    @if hs { th { "Manufacturer" } }
                    th { "Modality" }
                    th { "Product units" }
                    th { "Current process map" }
                    th { "Scan burden" }
                } }
                tbody {
                    @for row in &rows {
                        @let p = &row.program;
                        @let units = facts_form::program_units(p);
                        tr {
                            td { a href={ (paths::program(&p.id)) } { (p.name) } }
                            @if hs { td { (names.name(&p.org_id)) } }
                            td { (modality_label(p.modality.as_str())) }
                            td {
                                @for (i, u) in units.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (u.name)
                                }
                            }
                            td {
                                @match &row.published {
                                    Some(v) => {
                                        (version_link(v))
                                        @if let Some(at) = v.published_at { span.muted { ", published " (date_el(at)) } }
                                    }
                                    None => span.muted { "None published yet" },
                                }
                                @if row.drafts > 0 && !hs {
                                    br;
                                    span.muted { (row.drafts) " draft" @if row.drafts > 1 { "s" } " in progress" }
                                }
                            }
                            td {
                                @match &row.published {
                                    Some(v) => {
                                        @match stored_map(v) {
                                            Ok(map) => (scan_burden_badge(&scan_burden(&map, &units))),
                                            Err(_) => span.muted { "—" },
                                        }
                                    }
                                    None => span.muted { "—" },
                                }
                            }
                        }
                    }
                }
            }
            (list_cut(rows.len()))
            @if let [first, second, ..] = published.as_slice() {
                p.compare-link {
                    a href={ "/maps/compare?a=" (first) "&b=" (second) } { "Compare two programs' maps side by side →" }
                }
            }
        }
        @if may_create {
            section.panel #new-program {
                h2 { "New program" }
                p.hint { "Its process map comes next: after creating the program, start its first draft map from its page." }
                (view.summary(facts_form::FIELDS))
                form #program-form method="post" action="/programs#new-program" novalidate {
                    (csrf_field(ctx.csrf()))
                    (facts_form::fields(&view))
                    button.primary type="submit" { "Create program" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Programs", content))
}

/// A date without the time of day (publication dates read better so).
fn date_el(micros: i64) -> Markup {
    let full = rfc3339(micros);
    html! { time datetime=(full) title=(crate::time::utc(micros)) { (full[..10]) } }
}

// ---------- one program ----------

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render_program(
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
    let (facts, unread) = facts_form::read(&form);
    if !unread.is_empty() {
        let errors = facts_form::with_domain_check(&facts, unread);
        return render_program(&ctx, &id, Some(form), &errors, None, errors.status()).await;
    }
    match ctx
        .app
        .update_program(ctx.caller(), &id, version, facts, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(p) => Ok(notice_redirect(
            &paths::program(&p.id),
            saved_notice(version, p.version),
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render_program(&ctx, &id, Some(form), &errors, None, errors.status()).await
        }
    }
}

/// `POST /programs/{id}/drafts` with `from` = a map version of this program: a new draft
/// holding that version's map.
pub async fn start_draft(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let from = form.get("from");
    let (source, program) = ctx.app.map_version(ctx.caller(), from).await?;
    if program.id != id {
        return Err(AppError::not_found(format!("map version {from} of program {id}")).into());
    }
    let map = stored_map(&source)?;
    let draft = ctx
        .app
        .create_map_version(ctx.caller(), &program.id, map, None)
        .await
        .and_then(|o| o.fresh())?;
    Ok(notice_redirect(&paths::map(&draft.id), "draft_started"))
}

/// The "Start a new draft from version N" button.
fn start_draft_button(ctx: &Ctx, program_id: &str, from: &MapVersion, class: &str) -> Markup {
    html! {
        form.inline.start-draft method="post" action={ (paths::program(program_id)) "/drafts" } {
            (csrf_field(ctx.csrf()))
            (hidden("from", &from.id))
            button class=(class) type="submit" { "Start a new draft from version " (from.number) }
        }
    }
}

/// The "Compare" form: two map versions, by default the newest two of this program.
fn compare_form(versions: &[MapVersion], a: Option<&str>, b: Option<&str>) -> Markup {
    let a = a.or(versions.get(1).map(|v| v.id.as_str()));
    let b = b.or(versions.first().map(|v| v.id.as_str()));
    let select = |name: &str, label: &str, chosen: Option<&str>| {
        html! {
            div.field {
                label for={ "compare-" (name) } { (label) }
                select id={ "compare-" (name) } name=(name) {
                    @for v in versions {
                        option value=(v.id) selected[Some(v.id.as_str()) == chosen] {
                            "Version " (v.number) " (" (v.status) ")"
                        }
                    }
                }
            }
        }
    };
    html! {
        form.compare-form method="get" action="/maps/compare" {
            (select("a", "Left", a))
            (select("b", "Right", b))
            button.secondary type="submit" { "Compare" }
        }
    }
}

async fn render_program(
    ctx: &Ctx,
    id: &str,
    typed: Option<FormData>,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let program = ctx.app.program(ctx.caller(), id).await?;
    let versions = ctx.app.map_versions(ctx.caller(), id).await?;
    let names = OrgNames::load(ctx).await?;
    let may_edit = may_change(ctx, &program.org_id).await?;
    let own = ctx.caller().org_id() == Some(program.org_id.as_str());
    let units = facts_form::program_units(&program);
    let identifiers = facts_form::identifiers_of(&program);
    let prices = facts_form::prices_of(&program);
    let today = today(ctx);
    let in_force = prices
        .iter()
        .rposition(|p| p.effective_on.as_str() <= today.as_str());
    let current = versions
        .iter()
        .find(|v| v.status == MapVersionStatus::Published);
    let current_map = current.map(|v| (v, valid_map(&program, v)));
    let mut values = typed.unwrap_or_else(|| facts_form::values_of(&program));
    values.set("version", program.version.to_string());
    let view = FormView::new(&values, errors, "program-edit");
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/programs" { "Programs" } }
            h1 { (program.name) }
            p.subtitle {
                span.badge.badge-kind data-modality=(program.modality) { (modality_label(program.modality.as_str())) }
                " by " a href={ (paths::org(&program.org_id)) } { (names.name(&program.org_id)) }
            }
        }
        (notice(notice_code))
        (facts(&[
            ("Modality", html! { (modality_label(program.modality.as_str())) }),
            ("Manufacturer", html! { (names.name(&program.org_id)) }),
            ("Dual verification", html! {
                @if program.requires_dual_verification { "Required before every administration" }
                @else { "Not required by the program" }
            }),
            ("List price today", html! {
                @match in_force {
                    Some(i) => { (facts_form::dollars(prices[i].cents.get())) span.muted { " since " (prices[i].effective_on) } }
                    None => span.muted { "None in force" },
                }
            }),
            ("Product units", html! { (units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ")) }),
            ("Facts last changed", time_el(program.updated_at)),
        ]))
        section.panel #current-map {
            h2 { "Process map" }
            @match &current_map {
                Some((v, Ok(valid))) => {
                    p.map-caption {
                        (version_link(v)) ", the newest published version"
                        @if let Some(at) = v.published_at { ", published " (date_el(at)) }
                        ". " (scan_burden_badge(&scan_burden(valid.as_map(), &units)))
                    }
                    (swimlane(valid, None))
                    p { a href={ (paths::map(&v.id)) "#steps" } { "Every step of version " (v.number) " in a table →" } }
                }
                Some((v, Err(e))) => {
                    div.callout.bad { p { "Version " (v.number) " no longer fits the program's facts: " (e.to_string()) } }
                }
                None => {
                    p.empty { "No map is published yet." }
                    @if let Some(v) = versions.first() {
                        p { "The newest draft is " (version_link(v)) "." }
                    }
                }
            }
        }
        section.panel #map-versions {
            h2 { "Map versions" }
            @if versions.is_empty() {
                p.empty { "No map yet." }
                @if may_edit {
                    p.hint { "Import a map with " code { "cellpath map import" } ", or through the API; then edit it here." }
                }
            } @else {
                table.list.versions {
                    thead { tr {
                        th { "Version" } th { "Status" } th.num { "Steps" } th { "Content hash" } th { "Published" }
                        @if may_edit { th { span.visually-hidden { "Actions" } } }
                    } }
                    tbody {
                        @for v in &versions {
                            tr data-version=(v.number) {
                                td { (version_link(v)) }
                                td { (map_status_badge(v.status.as_str())) }
                                td.num { (step_count(v)) }
                                td { code.hash title=(v.content_hash) { (short_hash(&v.content_hash)) "…" } }
                                td { @match v.published_at { Some(at) => (date_el(at)), None => span.muted { "not yet" } } }
                                @if may_edit { td { (start_draft_button(ctx, &program.id, v, "secondary small")) } }
                            }
                        }
                    }
                }
                @if versions.len() > 1 {
                    h3 { "Compare two versions" }
                    (compare_form(&versions, None, None))
                }
                p.hint { "To compare with another program's map, use " a href="/maps/compare" { "the comparison page" } "." }
            }
        }
        @if own { (waitlist::link(&program.id)) }
        section.panel #contracting-track {
            h2 { "Contracting track" }
            p {
                "The agreements and gate deliverables every partnership works through before a site is "
                "authorized, with what each comes after and how long it takes. Live plans and the onboarding "
                "pipeline estimate with it."
            }
            p { a href={ (paths::track(&program.id)) } {
                @if may_edit { "See and tune the track template →" } @else { "See the track template →" }
            } }
            p #plan-from-template { a href=(paths::planner_of_program(&program.id)) { "Plan with it in the contracting planner →" } }
        }
        div.program-facts {
            section.panel #units {
                h2 { "Product units" }
                table.list {
                    thead { tr {
                        th { "Unit" }
                        th.num { "Stored at or below" }
                        th.num { "Thaw window" }
                    } }
                    tbody {
                        @for u in &units {
                            tr {
                                td { (u.name) br; code.key { (u.key) } }
                                td.num { (celsius(u.storage_max_celsius)) }
                                td.num { (u.thaw_window_minutes) " min" }
                            }
                        }
                    }
                }
                p.hint { "Thaw window: from thaw to the end of administration, as labelled." }
            }
            section.panel #identifiers {
                h2 { "Identifiers on the labels" }
                @if identifiers.is_empty() {
                    p.empty { "No identifiers listed." }
                } @else {
                    ul.plain {
                        @for i in &identifiers {
                            li { (identifier_kind_label(i.kind.as_str())) span.muted { " — issued by " (issuer_label(i.issuer.as_str()).to_lowercase()) } }
                        }
                    }
                }
            }
            section.panel #list-prices {
                h2 { "List prices" }
                @if prices.is_empty() {
                    p.empty { "No list price yet." }
                } @else {
                    table.list {
                        thead { tr { th { "Effective from" } th.num { "List price" } th {} } }
                        tbody {
                            @for (i, p) in prices.iter().enumerate() {
                                tr {
                                    td { time datetime=(p.effective_on) { (p.effective_on) } }
                                    td.num { (facts_form::dollars(p.cents.get())) }
                                    td { @if Some(i) == in_force { (crate::labels::badge("In force today", crate::labels::Tone::Good)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_edit {
            section.panel #edit-program {
                h2 { "Edit the program's facts" }
                p.hint { "A change that would make one of its map versions invalid (for example removing a unit a map gives) is refused and names the version." }
                (view.summary(facts_form::FIELDS))
                form #program-edit-form method="post" action={ (paths::program(&program.id)) "#edit-program" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (facts_form::fields(&view))
                    button.primary type="submit" { "Save" }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &program.name, content))
}
