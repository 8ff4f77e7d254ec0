//! One map version's page: its status, number and content hash, the swimlane, every step in
//! the order of the process; for a draft and a person who may change it, the "Add step" form
//! and the "Publish" button. A published version shows how to start a new draft instead.

use super::labels::{map_status_badge, short_hash};
use super::map_edits::insert_step;
use super::step_form::{self, split_errors};
use super::{may_change, notice, start_draft_button, stored_map};
use crate::charts::swimlane::{scan_burden_badge, swimlane};
use crate::charts::{kind_label, recorded_label, recorded_sentence, stage_label};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::pages::{NoticeQuery, facts, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::programs::valid_map;
use cellpath_app::views::{MapVersion, Program};
use cellpath_domain::Role;
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::process_map::{
    ProcessMap, RecordedIn, Stage, Step, StepKind, StepParams, ValidMap, scan_burden,
};
use maud::{Markup, html};

/// The fields of the "Add step" form.
const ADD_FIELDS: &[&str] = &[
    "key", "name", "stage", "kind", "role", "after", "before", "items",
];

/// What a form on this page sent back with errors: which form, its values and messages.
enum Returned<'a> {
    AddStep(&'a FormData, &'a FormErrors),
    Publish(&'a FormErrors),
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &id, None, q.notice.as_deref(), StatusCode::OK).await
}

pub async fn publish(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    match ctx
        .app
        .publish_map_version(ctx.caller(), &id, version, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => Ok(notice_redirect(&paths::map(&v.id), "published")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let status = errors.status();
            render(&ctx, &id, Some(Returned::Publish(&errors)), None, status).await
        }
    }
}

/// `POST /maps/{id}/steps`: a new step, connected after and before the ticked steps.
pub async fn add_step(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let errors = match try_add(&ctx, &id, &form).await? {
        Ok(v) => return Ok(notice_redirect(&paths::map(&v.id), "step_added")),
        Err(errors) => errors,
    };
    let status = errors.status();
    render(
        &ctx,
        &id,
        Some(Returned::AddStep(&form, &errors)),
        None,
        status,
    )
    .await
}

async fn try_add(
    ctx: &Ctx,
    id: &str,
    form: &FormData,
) -> Result<Result<MapVersion, FormErrors>, WebError> {
    let version = form.version()?;
    let key = form.get("key").trim().to_string();
    let mut step = match step_form::read(form, &key) {
        Ok(step) => step,
        Err(errors) => return Ok(Err(errors)),
    };
    // Only what this form shows: a new step starts plain, its details come in its own form.
    step.params = StepParams {
        items: step.params.items,
        ..StepParams::default()
    };
    let (current, _) = ctx.app.map_version(ctx.caller(), id).await?;
    let next = insert_step(&stored_map(&current)?, step, &form.all("before"));
    match ctx
        .app
        .update_map_version(ctx.caller(), id, version, next, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => Ok(Ok(v)),
        Err(e) => {
            // The map was valid before, so everything wrong comes from the step being added:
            // every message stays with this form.
            let (mut errors, others) = split_errors(e, &key)?;
            for m in others {
                errors.form(m);
            }
            Ok(Err(errors))
        }
    }
}

/// A map version with its program and its map, validated when it still fits the program.
pub(super) struct Loaded {
    pub version: MapVersion,
    pub program: Program,
    pub map: ProcessMap,
    pub valid: Result<ValidMap, String>,
    pub may_edit: bool,
}

impl Loaded {
    pub async fn load(ctx: &Ctx, id: &str) -> Result<Loaded, WebError> {
        let (version, program) = ctx.app.map_version(ctx.caller(), id).await?;
        let map = stored_map(&version)?;
        let valid = valid_map(&program, &version).map_err(|e| e.to_string());
        let may_edit =
            version.status == MapVersionStatus::Draft && may_change(ctx, &program.org_id).await?;
        Ok(Loaded {
            version,
            program,
            map,
            valid,
            may_edit,
        })
    }

    /// The steps in the order of the process (as written, if the map no longer validates).
    pub fn ordered(&self) -> Vec<&Step> {
        match &self.valid {
            Ok(v) => v.steps().collect(),
            Err(_) => self.map.steps.iter().collect(),
        }
    }

    pub fn title(&self) -> String {
        format!(
            "{} · map version {}",
            self.program.name, self.version.number
        )
    }
}

/// Days after administration as people say them: "day 100, day 182, yearly for 15 years".
fn days_phrase(days: &[u32]) -> String {
    let is_year = |d: u32| d > 0 && d.is_multiple_of(365);
    let years: Vec<u32> = days.iter().copied().filter(|d| is_year(*d)).collect();
    let yearly = years.len() >= 3 && years.iter().zip(1..).all(|(d, n)| *d == 365 * n);
    let mut parts: Vec<String> = days
        .iter()
        .filter(|d| !(yearly && is_year(**d)))
        .map(|d| format!("day {d}"))
        .collect();
    if yearly {
        parts.push(format!("yearly for {} years", years.len()));
    }
    parts.join(", ")
}

/// Registry forms by name, each with when it is due: "CIBMTR 4006 at day 100, day 182, …".
fn follow_up_lines(step: &Step) -> Vec<String> {
    let mut forms: Vec<(&str, Vec<u32>)> = Vec::new();
    for f in &step.params.follow_up {
        match forms.iter_mut().find(|(name, _)| *name == f.form) {
            Some((_, days)) => days.push(f.due_days),
            None => forms.push((&f.form, vec![f.due_days])),
        }
    }
    let mut lines: Vec<String> = forms
        .into_iter()
        .map(|(name, days)| format!("{name} at {}", days_phrase(&days)))
        .collect();
    match step.params.track {
        Some(cellpath_domain::process_map::FollowUpTrack::Standard) => {
            lines.insert(0, "CIBMTR standard track".into())
        }
        Some(cellpath_domain::process_map::FollowUpTrack::FifteenYear) => {
            lines.insert(0, "CIBMTR 15-year track".into())
        }
        None => {}
    }
    lines
}

/// The parameters of a step, as short phrases.
pub(super) fn details(step: &Step, valid: Option<&ValidMap>, map: &ProcessMap) -> Markup {
    let p = &step.params;
    let name_of = |key: &str| {
        map.step(key)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let window = valid.and_then(|v| v.thaw_window_minutes(&step.key));
    html! {
        ul.step-details {
            @if let Some(u) = &p.unit { li { "Unit " code { (u) } } }
            @if let Some(m) = window {
                li { (m) "-minute window"
                    @if p.window_minutes.is_none() { span.muted { " (as labelled)" } } }
            } @else if let Some(m) = p.window_minutes { li { (m) "-minute window" } }
            @if let Some(d) = p.monitoring_days { li { "Monitoring " (d) " days" } }
            @if let Some(h) = &p.hold_until { li.held { "Held until " (name_of(h)) " is done" } }
            @for line in follow_up_lines(step) { li { (line) } }
            @if !p.visits.is_empty() {
                li { "Visits: " (days_phrase(&p.visits)) }
            }
            @for s in &p.signatures { li { (labels::role(s.role.as_str())) " signs: " (s.meaning) } }
            @if !p.items.is_empty() {
                li { "Checklist: " (p.items.join("; ")) }
            }
            @if !p.fields.is_empty() { li { "Records " (p.fields.join(", ")) } }
        }
    }
}

/// Where and how a step is done: location, system of record, scan, controlled, optional.
fn how(s: &Step) -> Markup {
    html! {
        div.step-how {
            @if let Some(l) = &s.params.location { span.step-location { (l) } }
            span.step-marks {
                @if s.recorded_in == RecordedIn::Ehr {
                    span.badge.badge-quiet title=(recorded_sentence(s.recorded_in)) { "EHR" }
                } @else {
                    span.badge.badge-kind title=(recorded_sentence(s.recorded_in)) { (recorded_label(s.recorded_in)) }
                }
                @if s.params.scan { span.badge.badge-info title="Scan checkpoint: someone scans an identifier here" { "Scan" } }
                @if s.controlled { span.badge.badge-controlled title="The manufacturer's label or quality agreement governs this step" { "Controlled" } }
                @if s.optional { span.badge.badge-quiet title="May be skipped for a case" { "Optional" } }
            }
        }
    }
}

fn steps_table(loaded: &Loaded) -> Markup {
    let valid = loaded.valid.as_ref().ok();
    let name_of = |key: &str| {
        loaded
            .map
            .step(key)
            .map(|s| s.name.as_str())
            .unwrap_or(key)
            .to_string()
    };
    html! {
        div.table-scroll {
            table.list.steps {
                thead { tr {
                    th.num { "#" }
                    th { "Step" }
                    th { "Stage, kind, role" }
                    th { "Comes after" }
                    th { "Where and how" }
                    th { "Details" }
                } }
                tbody {
                    @for (i, s) in loaded.ordered().into_iter().enumerate() {
                        tr #{ "step-" (s.key) } data-step=(s.key) {
                            td.num { (i + 1) }
                            td {
                                strong { (s.name) } br; code.key { (s.key) }
                                @if loaded.may_edit {
                                    br;
                                    a.button.secondary.small.edit-step href={ (paths::map_step(&loaded.version.id, &s.key)) }
                                        aria-label={ "Edit " (s.name) } { "Edit" }
                                }
                            }
                            td {
                                (stage_label(s.stage)) br;
                                span.muted { (kind_label(s.kind)) } br;
                                (labels::role_badge(s.role.as_str()))
                            }
                            td {
                                @if s.after.is_empty() { span.muted { "Nothing: the start" } }
                                @for (j, a) in s.after.iter().enumerate() {
                                    @if j > 0 { br; }
                                    (name_of(a))
                                }
                            }
                            td { (how(s)) }
                            td.details { (details(s, valid, &loaded.map)) }
                        }
                    }
                }
            }
        }
    }
}

fn add_step_form(ctx: &Ctx, loaded: &Loaded, values: &FormData, errors: &FormErrors) -> Markup {
    let view = FormView::new(values, errors, "add-step");
    let steps = loaded.ordered();
    let options = step_form::step_options(steps.iter().copied(), "");
    html! {
        section.panel #add-step {
            h2 { "Add a step" }
            p.hint { "Connect it by ticking the steps it comes after and the steps that come after it. Its other details (location, unit, signatures…) are set in its own form once it is added." }
            (view.summary(ADD_FIELDS))
            form #add-step-form method="post" action={ (paths::map(&loaded.version.id)) "/steps#add-step" } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("version", loaded.version.version))
                div.field-grid {
                    (view.input("Key", "key", Input::Text, Some("a-z, 0-9 and _, unique in the map, e.g. pharmacy_checklist")))
                    (view.text("Name", "name"))
                    (view.select("Stage", "stage", &step_form::stage_options()))
                    (view.select("Kind", "kind", &step_form::kind_options()))
                    (view.select("Responsible role", "role", &step_form::role_options()))
                }
                div.step-checks {
                    (view.checkboxes("Comes after", "after", &options, "No steps yet."))
                    (view.checkboxes("Comes before (these steps will wait for it)", "before", &options, "No steps yet."))
                }
                (view.textarea("Checklist items (for a checklist step)", "items", Some("One item per line."), 3))
                button.primary type="submit" { "Add step" }
            }
        }
    }
}

/// The defaults of the "Add step" form: a site-style checklist, the most common addition.
fn add_defaults() -> FormData {
    FormData::from_pairs([
        ("stage", Stage::Preparation.as_str()),
        ("kind", StepKind::Checklist.as_str()),
        ("role", Role::Pharmacy.as_str()),
    ])
}

async fn render(
    ctx: &Ctx,
    id: &str,
    returned: Option<Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let loaded = Loaded::load(ctx, id).await?;
    let (v, program) = (&loaded.version, &loaded.program);
    let may_start_draft = super::may_change(ctx, &program.org_id).await?;
    let units = super::facts_form::program_units(program);
    let burden = scan_burden(&loaded.map, &units);
    let empty = (FormData::default(), FormErrors::default());
    let defaults = add_defaults();
    let (add_values, add_errors) = match &returned {
        Some(Returned::AddStep(values, errors)) => (*values, *errors),
        _ => (&defaults, &empty.1),
    };
    let publish_errors = match &returned {
        Some(Returned::Publish(errors)) => *errors,
        _ => &empty.1,
    };
    let draft = v.status == MapVersionStatus::Draft;
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::program(&program.id)) } { (program.name) } }
            h1 { (program.name) ": process map version " (v.number) " " (map_status_badge(v.status.as_str())) }
        }
        (notice(notice_code))
        @if draft {
            @if loaded.may_edit {
                div.callout.warning #draft-note {
                    p { strong { "This is a draft" } ": no case runs on it. Edit, add or remove steps, then publish it." }
                    p.section-links {
                        a href="#steps" { "Edit the steps" }
                        a href="#add-step" { "Add a step" }
                        a href="#publish" { "Publish" }
                    }
                }
            } @else {
                div.callout #draft-note { p { "This is a draft that " (program.name) "'s team is still editing; no case runs on it." } }
            }
        } @else {
            div.callout.good #published-note {
                p {
                    strong { "Published" }
                    @if let Some(at) = v.published_at { " on " (time_el(at)) }
                    ". A published version never changes; to change the map, start a new draft from it."
                }
                @if may_start_draft { p { (start_draft_button(ctx, &program.id, v, "primary")) } }
            }
        }
        @if let Err(message) = &loaded.valid {
            div.callout.bad { p { "This version no longer fits the program's facts: " (message) } }
        }
        (facts(&[
            ("Steps", html! { (loaded.map.steps.len()) }),
            ("Scan burden", scan_burden_badge(&burden)),
            ("Content hash", html! { code.hash title=(v.content_hash) { (short_hash(&v.content_hash)) "…" } }),
            ("Last changed", time_el(v.updated_at)),
        ]))
        @if let Ok(valid) = &loaded.valid {
            section.panel #swimlane { h2 { "The map at a glance" } (swimlane(valid, None)) }
        }
        section.panel #steps {
            h2 { "Steps in the order of the process" }
            @if loaded.may_edit { p.hint { "Edit a step to change its details or what it comes after; that is how steps are connected." } }
            (steps_table(&loaded))
        }
        @if loaded.may_edit {
            (add_step_form(ctx, &loaded, add_values, add_errors))
            section.panel #publish {
                h2 { "Publish version " (v.number) }
                p { "Publishing makes version " (v.number) " the program's current map, the one its sites refine and its cases run on. "
                    strong { "A published version never changes" } ": later changes go into a new draft." }
                (FormView::new(&empty.0, publish_errors, "publish").summary(&[]))
                form #publish-form method="post" action={ (paths::map(&v.id)) "/publish#publish" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", v.version))
                    button.primary type="submit" { "Publish version " (v.number) }
                }
            }
        }
        p.compare-link { a href={ "/maps/compare?a=" (v.id) } { "Compare this version with another →" } }
    };
    Ok(ctx.render_status(status, &loaded.title(), content))
}

#[cfg(test)]
mod tests {
    use super::days_phrase;

    #[test]
    fn follow_up_days_read_as_people_say_them() {
        let car_t: Vec<u32> = [100, 182]
            .into_iter()
            .chain((1..=15).map(|y| 365 * y))
            .collect();
        assert_eq!(days_phrase(&car_t), "day 100, day 182, yearly for 15 years");
        assert_eq!(days_phrase(&[30, 365, 730]), "day 30, day 365, day 730");
        assert_eq!(days_phrase(&[365, 730, 1095]), "yearly for 3 years");
    }
}
