//! The contracting planner page (issue 4, point 4): paste a plan file, see when each site is
//! authorized under dual-track and under sequential contracting, each as a Gantt chart with
//! its critical path and Monte Carlo P50/P90, and how many days dual-track saves. From a file;
//! a live partnership's plan is `onboarding.rs`.

use crate::charts::gantt::{furthest_day, gantt_scaled, legend};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::plans::{
    Plan, PlanForm, PlanReport, PlanRow, Strategy, plan_contracting, plan_rows, row_field,
    whole_day,
};
use cellpath_app::views::Program;
use maud::{Markup, html};
use serde::Deserialize;

/// The example plan the form starts with (the same file `cellpath plan contracting` documents).
pub const EXAMPLE_PLAN: &str = include_str!("../../../../docs/examples/plan.toml");

/// The small file the help shows: every key the file accepts, each as the help describes it.
pub const HELP_EXAMPLE: &str = r#"strategy = "dual_track"
seed = 1
sites = ["north", "south"]

[[agreement]]
id = "msa"
scope = "health_system"
days = [30, 60, 120]

[[agreement]]
id = "quality"
scope = "site"
days = [20, 45, 90]
after = ["msa"]
"#;

/// A web request shares the machine with everyone else's: a few threads are plenty for a plan
/// (the numbers do not depend on how many).
const MAX_THREADS: usize = 4;

/// More rows than this is not a plan a person types in a form (the TOML box takes any size).
const MAX_ROWS: usize = 200;

/// Where the planner starts: a partnership's record for one of its programs, a program's
/// track template, or (neither) the example plan.
#[derive(Debug, Default, Deserialize)]
pub struct Start {
    #[serde(default)]
    partnership: Option<String>,
    #[serde(default)]
    program: Option<String>,
}

/// Which of the page's two forms a message belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Rows,
    Toml,
}

/// What the page shows: the items as rows, the same plan as TOML, the messages of the form
/// that was sent, and the results of a run.
struct State<'a> {
    rows: PlanForm,
    toml: String,
    errors: FormErrors,
    which: Which,
    report: Option<&'a PlanReport>,
    from: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn example() -> Plan {
    Plan::from_toml(EXAMPLE_PLAN).expect("the example plan is valid")
}

pub async fn form(ctx: Ctx, Query(start): Query<Start>) -> Result<Response, WebError> {
    let caller = ctx.caller();
    let started = match (nonempty(&start.partnership), nonempty(&start.program)) {
        (Some(pid), Some(program)) => {
            Some(ctx.app.plan_of_partnership(caller, pid, program).await?)
        }
        (None, Some(program)) => Some(ctx.app.plan_of_program(caller, program).await?),
        (Some(_), None) => {
            return Err(AppError::invalid(
                "program",
                "name the program of the partnership to plan (?program=…)",
            )
            .into());
        }
        (None, None) => None,
    };
    let (plan, from, toml) = match started {
        Some(s) => {
            let toml = s.plan.to_toml();
            (s.plan, Some(s.from), toml)
        }
        None => (example(), None, EXAMPLE_PLAN.to_string()),
    };
    let state = State {
        rows: PlanForm::of_plan(&plan),
        toml,
        errors: FormErrors::default(),
        which: Which::Rows,
        report: None,
        from,
    };
    render(&ctx, state, StatusCode::OK).await
}

/// The rows as posted: `rows` of them, numbered from 0.
fn posted_rows(form: &FormData) -> PlanForm {
    let count: usize = form.get("rows").trim().parse().unwrap_or(0).min(MAX_ROWS);
    let cell = |i: usize, column: &str| form.get(&row_field(i, column)).to_string();
    PlanForm {
        sites: form.get("sites").to_string(),
        seed: form.get("seed").to_string(),
        iterations: form.get("iterations").to_string(),
        capacity: form.get("capacity").to_string(),
        rows: (0..count)
            .filter(|&i| form.has(&row_field(i, "id")))
            .map(|i| PlanRow {
                id: cell(i, "id"),
                scope: cell(i, "scope"),
                after: cell(i, "after"),
                min: cell(i, "min"),
                likely: cell(i, "likely"),
                max: cell(i, "max"),
            })
            .collect(),
    }
}

fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
}

/// The Monte Carlo is CPU work (bounded by the planner's caps): off the async workers.
async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<Result<T, AppError>, WebError> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("the planner stopped: {e}")))?)
}

pub async fn run(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    if form.get("mode") == "rows" {
        return run_rows(ctx, form).await;
    }
    let text = form.get("plan").to_string();
    let toml = text.clone();
    let result = off_workers(move || plan_contracting(&text, threads())).await?;
    // The rows follow the file when it can be read; else they stay the example's.
    let rows = PlanForm::of_plan(&Plan::from_toml(&toml).unwrap_or_else(|_| example()));
    match result {
        Ok(report) => {
            let state = State {
                rows,
                toml,
                errors: FormErrors::default(),
                which: Which::Toml,
                report: Some(&report),
                from: None,
            };
            render(&ctx, state, StatusCode::OK).await
        }
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let status = errors.status();
            let state = State {
                rows,
                toml,
                errors,
                which: Which::Toml,
                report: None,
                from: None,
            };
            render(&ctx, state, status).await
        }
    }
}

/// The rows form: add a row, remove one, copy the rows into the TOML box, or plan them.
async fn run_rows(ctx: Ctx, form: FormData) -> Result<Response, WebError> {
    let mut rows = posted_rows(&form);
    let op = form.get("op").to_string();
    let mut state = State {
        toml: form.get("plan").to_string(),
        rows: PlanForm::default(),
        errors: FormErrors::default(),
        which: Which::Rows,
        report: None,
        from: None,
    };
    if op == "add" {
        rows.rows.push(PlanRow {
            scope: "site".into(),
            ..PlanRow::default()
        });
        state.rows = rows;
        return render(&ctx, state, StatusCode::OK).await;
    }
    if let Some(i) = op.strip_prefix("remove-") {
        if let Ok(i) = i.parse::<usize>()
            && i < rows.rows.len()
        {
            rows.rows.remove(i);
        }
        state.rows = rows;
        return render(&ctx, state, StatusCode::OK).await;
    }
    let copy_only = op == "toml";
    let form_rows = rows.clone();
    let result = off_workers(move || {
        let plan = form_rows.to_plan()?;
        let report = if copy_only {
            None
        } else {
            Some(plan_rows(&form_rows, threads())?)
        };
        Ok((plan, report))
    })
    .await?;
    state.rows = rows;
    match result {
        Ok((plan, report)) => {
            state.toml = plan.to_toml();
            state.report = report.as_ref();
            render(&ctx, state, StatusCode::OK).await
        }
        Err(e) => {
            state.errors = FormErrors::from_app(e)?;
            let status = state.errors.status();
            render(&ctx, state, status).await
        }
    }
}

async fn render(ctx: &Ctx, state: State<'_>, status: StatusCode) -> Result<Response, WebError> {
    let programs = ctx
        .app
        .programs(ctx.caller(), crate::pages::list_page())
        .await
        .unwrap_or_default();
    let none = FormErrors::default();
    let (row_errors, toml_errors) = match state.which {
        Which::Rows => (&state.errors, &none),
        Which::Toml => (&none, &state.errors),
    };
    let toml_values = FormData::from_pairs([("plan", state.toml.as_str())]);
    let toml_view = FormView::new(&toml_values, toml_errors, "plan");
    let report = state.report;
    let refused = report.is_none() && !state.errors.is_empty();
    let content = html! {
        header.page-head {
            h1 { "Contracting planner" }
            p.subtitle {
                "When is each site an authorized treatment center? Dual-track contracting executes the "
                "health-system agreements once for every site while each site's own items move in "
                "parallel; the baseline is sequential contracting, where each site negotiates everything "
                "itself, one item after another."
            }
        }
        @if let Some(report) = report { (results(report)) }
        section.panel #plan-panel {
            h2 { @if report.is_some() { "Change the plan" } @else { "The plan" } }
            @if let Some(from) = &state.from {
                p.started-from #started-from { "Started from " (from) ". Change anything below; nothing here changes the record." }
            }
            (start_from(&programs))
            // The forms post to `#results`; when a plan comes back refused, that is here.
            @if refused && state.which == Which::Rows {
                div #results { (rows_summary(&state.rows, row_errors)) }
            }
            (rows_form(ctx, &state.rows, row_errors, &state.toml))
            details.plan-expert #plan-expert open[state.which == Which::Toml] {
                summary { "For experts: the same plan as a file (TOML)" }
                @if refused && state.which == Which::Toml {
                    div #results { (toml_view.summary(&["plan"])) }
                }
                div.plan-layout {
                    form #plan-form method="post" action="/plans#results" novalidate {
                        (csrf_field(ctx.csrf()))
                        div.field.has-error[toml_errors.has_field("plan")] {
                            label for="plan-plan" { "Plan file (TOML)" }
                            // Above the text, not under 30 lines of it, so the message is seen.
                            (toml_view.field_errors("plan"))
                            textarea #plan-plan.plan-text name="plan" rows="30" spellcheck="false"
                                aria-invalid=[toml_errors.has_field("plan").then_some("true")]
                                aria-describedby=[toml_errors.has_field("plan").then_some("plan-plan-error")] {
                                (state.toml)
                            }
                        }
                        button.primary type="submit" { "Plan both strategies from the file" }
                    }
                    (explanation())
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Contracting planner", content))
}

/// Links that start the planner over from a program's track template.
fn start_from(programs: &[Program]) -> Markup {
    html! {
        @if !programs.is_empty() {
            nav.plan-start #plan-start aria-label="Start from a program's track template" {
                "Start from the track template of "
                @for (i, program) in programs.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href=(paths::planner_of_program(&program.id)) { (program.name) }
                }
                " (a partnership's live plan offers its own sites)."
            }
        }
    }
}

/// The messages of the rows form that sit beside no field shown (e.g. "no agreements").
fn rows_summary(rows: &PlanForm, errors: &FormErrors) -> Markup {
    let values = FormData::default();
    let view = FormView::new(&values, errors, "rows");
    let mut shown: Vec<String> = ["sites", "seed", "iterations", "capacity"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in 0..rows.rows.len() {
        for column in ["id", "scope", "after", "min", "likely", "max"] {
            shown.push(row_field(i, column));
        }
    }
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    view.summary(&shown)
}

fn rows_values(rows: &PlanForm) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![
        ("sites".into(), rows.sites.clone()),
        ("seed".into(), rows.seed.clone()),
        ("iterations".into(), rows.iterations.clone()),
        ("capacity".into(), rows.capacity.clone()),
    ];
    for (i, row) in rows.rows.iter().enumerate() {
        for (column, value) in [
            ("id", &row.id),
            ("scope", &row.scope),
            ("after", &row.after),
            ("min", &row.min),
            ("likely", &row.likely),
            ("max", &row.max),
        ] {
            pairs.push((row_field(i, column), value.clone()));
        }
    }
    FormData::from_pairs(pairs)
}

/// One input of a row, with its message under it.
fn cell(
    view: &FormView,
    values: &FormData,
    errors: &FormErrors,
    name: &str,
    label: String,
    days: bool,
) -> Markup {
    let invalid = errors.has_field(name);
    let id = format!("rows-{name}");
    html! {
        td.has-error[invalid] {
            input id=(id) name=(name) type="text" value=(values.get(name)) aria-label=(label)
                inputmode=[days.then_some("decimal")]
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[invalid.then(|| format!("{id}-error"))];
            (view.field_errors(name))
        }
    }
}

fn rows_form(ctx: &Ctx, rows: &PlanForm, errors: &FormErrors, toml: &str) -> Markup {
    let values = rows_values(rows);
    let view = FormView::new(&values, errors, "rows");
    html! {
        form #rows-form method="post" action="/plans#results" novalidate {
            (csrf_field(ctx.csrf()))
            (hidden("mode", "rows"))
            (hidden("rows", rows.rows.len()))
            // The TOML box's text rides along, so adding a row does not lose it.
            (hidden("plan", toml))
            // The first submit button is the one Enter presses.
            button.visually-hidden type="submit" name="op" value="plan" tabindex="-1" aria-hidden="true" { "Plan" }
            div.plan-settings {
                (view.input("Sites", "sites", Input::Text, Some("The health system's sites, separated by commas, e.g. north, south.")))
                (view.input("Seed", "seed", Input::Number, Some("The same seed always gives the same numbers.")))
                (view.input("Simulated runs", "iterations", Input::Number, Some("10000 is a good default.")))
                (view.input("Items in negotiation at once", "capacity", Input::Number, Some("0: unlimited; K: one legal team handles at most K.")))
            }
            div.table-scroll { table.list.plan-rows #plan-rows {
                thead {
                    tr {
                        th scope="col" { "Item" }
                        th scope="col" { "Executed" }
                        th scope="col" { "Comes after" }
                        th.num scope="col" { "Min days" }
                        th.num scope="col" { "Most likely" }
                        th.num scope="col" { "Max days" }
                        th scope="col" { span.visually-hidden { "Remove" } }
                    }
                }
                tbody {
                    @for (i, row) in rows.rows.iter().enumerate() {
                        @let item = if row.id.trim().is_empty() { format!("item {}", i + 1) } else { row.id.trim().to_string() };
                        tr data-row=(i) {
                            (cell(&view, &values, errors, &row_field(i, "id"), format!("Item {} id", i + 1), false))
                            @let scope = row_field(i, "scope");
                            td.has-error[errors.has_field(&scope)] {
                                select id={ "rows-" (scope) } name=(scope) aria-label={ "How " (item) " is executed" }
                                    aria-invalid=[errors.has_field(&scope).then_some("true")] {
                                    option value="health_system" selected[row.scope == "health_system"] { "Once for the health system" }
                                    option value="site" selected[row.scope == "site"] { "At each site" }
                                }
                                (view.field_errors(&scope))
                            }
                            (cell(&view, &values, errors, &row_field(i, "after"), format!("What {item} comes after"), false))
                            (cell(&view, &values, errors, &row_field(i, "min"), format!("Minimum days of {item}"), true))
                            (cell(&view, &values, errors, &row_field(i, "likely"), format!("Most likely days of {item}"), true))
                            (cell(&view, &values, errors, &row_field(i, "max"), format!("Maximum days of {item}"), true))
                            td {
                                button.secondary.small type="submit" name="op" value={ "remove-" (i) } aria-label={ "Remove " (item) } { "Remove" }
                            }
                        }
                    }
                }
            } }
            p.hint { "“Comes after” names earlier items by id, separated by commas; at a site, it means the same site's item." }
            div.actions {
                button.primary type="submit" name="op" value="plan" { "Plan both strategies" }
                " "
                button.secondary type="submit" name="op" value="add" { "Add an item" }
                " "
                button.secondary type="submit" name="op" value="toml" { "Copy into the TOML box" }
            }
        }
    }
}

fn explanation() -> Markup {
    html! {
        aside.plan-help aria-label="The plan file's fields" {
            h3 { "What the file says" }
            p { "Exactly these keys; any other is refused." }
            dl {
                dt { code { "strategy" } " (required)" } dd { code { "\"dual_track\"" } " or " code { "\"sequential\"" } ". This page plans both and shows them side by side." }
                dt { code { "seed" } " (required)" } dd { "A whole number ≥ 0 for the Monte Carlo: the same seed always gives the same numbers." }
                dt { code { "iterations" } } dd { "Simulated runs, 1 to 1,000,000; 10000 when left out." }
                dt { code { "capacity" } } dd { code { "0" } " (when left out): unlimited; " code { "K" } ": at most K items in negotiation at once (one legal team)." }
                dt { code { "sites" } " (required)" } dd { "The health system's sites, at least one, e.g. " code { "[\"north\", \"south\"]" } "." }
                dt { code { "[[agreement]]" } } dd { "One agreement or gate deliverable, at least one; the file order must be a valid order. Each has:" }
                dt { code { "id" } } dd { "Its short name, unique: letters, digits, " code { "_" } " and " code { "-" } "." }
                dt { code { "scope" } } dd { code { "\"health_system\"" } ": executed once for every site (the central track); " code { "\"site\"" } ": one per site." }
                dt { code { "days" } } dd { "Three-point estimate " code { "[min, most likely, max]" } " in days, from 0 to 3650, min ≤ most likely ≤ max." }
                dt { code { "after" } } dd { "Ids of earlier entries it waits for (none when left out); a site entry naming a site entry means the same site's; a health-system entry waits only for health-system entries." }
            }
            p.hint { "Days count from day 0, the start of contracting, and are shown rounded up to whole days." }
            h3 { "A small file" }
            pre.plan-example #plan-example { code { (HELP_EXAMPLE) } }
        }
    }
}

fn results(report: &PlanReport) -> Markup {
    let saved = report.days_saved;
    // One day scale for both charts, so a bar's length compares across them.
    let far = Strategy::ALL
        .into_iter()
        .map(|s| {
            let r = report.report(s);
            furthest_day(&r.deterministic, &r.monte_carlo)
        })
        .fold(0.0, f64::max);
    html! {
        section.panel #results {
            h2 { "When each site is authorized" }
            p.days-saved #days-saved {
                @if saved.p50 > 0 || saved.p90 > 0 {
                    "Dual-track saves " strong { (days(saved.p50)) } " at P50 / "
                    strong { (days(saved.p90)) } " at P90"
                } @else {
                    "Dual-track saves nothing here: " (days(saved.p50)) " at P50 / " (days(saved.p90)) " at P90"
                }
                " until the last site is authorized ("
                (days(saved.deterministic)) " on most-likely durations)."
            }
            (summary_table(report))
            p.hint {
                "Most likely: the schedule on every item's most-likely duration. P50 and P90 come from "
                (report.iterations) " simulated runs with durations drawn between min and max: half of the runs "
                "are done by the P50 day, nine in ten by the P90 day."
                @if report.capacity > 0 {
                    " At most " (report.capacity) " item" @if report.capacity > 1 { "s" } " in negotiation at once."
                }
            }
        }
        section.panel.gantt-panel #charts {
            h2 { "The schedules" }
            (legend())
            @for strategy in Strategy::ALL {
                @let r = report.report(strategy);
                @let title = strategy_title(strategy);
                h3.gantt-title #{ "chart-" (strategy.as_str()) } {
                    (title) ": last site authorized on day " (whole_day(r.deterministic.last_site.day))
                    span.muted { " (P50 " (whole_day(r.monte_carlo.last_site.p50)) ", P90 " (whole_day(r.monte_carlo.last_site.p90)) ")" }
                }
                (gantt_scaled(&r.deterministic, &r.monte_carlo, title, far))
            }
        }
    }
}

fn strategy_title(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::DualTrack => "Dual-track",
        Strategy::Sequential => "Sequential",
    }
}

fn days(n: i64) -> String {
    if n.abs() == 1 {
        format!("{n} day")
    } else {
        format!("{n} days")
    }
}

fn summary_table(report: &PlanReport) -> Markup {
    let row = |site: Option<&str>| -> Vec<(i64, i64, i64)> {
        Strategy::ALL
            .into_iter()
            .map(|s| {
                let r = report.report(s);
                match site {
                    Some(id) => {
                        let det = r.deterministic.site(id).unwrap_or(f64::NAN);
                        let mc = r.monte_carlo.site(id);
                        (
                            whole_day(det),
                            mc.map_or(0, |d| whole_day(d.p50)),
                            mc.map_or(0, |d| whole_day(d.p90)),
                        )
                    }
                    None => (
                        whole_day(r.deterministic.last_site.day),
                        whole_day(r.monte_carlo.last_site.p50),
                        whole_day(r.monte_carlo.last_site.p90),
                    ),
                }
            })
            .collect()
    };
    html! {
        table.list.plan-summary {
            thead {
                tr {
                    th rowspan="2" { "Authorization day of" }
                    th.group colspan="3" scope="colgroup" { "Dual-track" }
                    th.group colspan="3" scope="colgroup" { "Sequential" }
                    th.num rowspan="2" { "Saved at P50" }
                }
                tr {
                    @for _ in Strategy::ALL {
                        th.num scope="col" { "Most likely" } th.num scope="col" { "P50" } th.num scope="col" { "P90" }
                    }
                }
            }
            tbody {
                @for site in &report.sites {
                    @let cells = row(Some(site));
                    tr data-site=(site) {
                        th scope="row" { "Site " (site) }
                        @for (det, p50, p90) in &cells { td.num { (det) } td.num { (p50) } td.num { (p90) } }
                        td.num { (cells[1].1 - cells[0].1) }
                    }
                }
                @let cells = row(None);
                tr.last-site {
                    th scope="row" { "All sites (the last one)" }
                    @for (det, p50, p90) in &cells { td.num { strong { (det) } } td.num { strong { (p50) } } td.num { strong { (p90) } } }
                    td.num { strong { (report.days_saved.p50) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;

    const CYCLIC: &str = r#"strategy = "dual_track"
seed = 7
sites = ["north"]

[[agreement]]
id = "quality"
scope = "site"
days = [20, 45, 90]
after = ["workflows"]

[[agreement]]
id = "workflows"
scope = "site"
days = [20, 40, 80]
after = ["quality"]
"#;

    #[tokio::test]
    async fn a_launch_team_plans_the_example_and_sees_what_dual_track_saves() {
        let demo = seeded().await;
        let mut lead = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;

        let page = lead.get_saved("/plans", Some("plans-form")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains(r#"id="nav-planner""#),
            "the navigation offers the planner"
        );
        assert!(page.body.contains("<textarea"), "{}", page.body);
        assert!(page.body.contains("id = &quot;msa&quot;") || page.body.contains("id = \"msa\""));
        assert!(
            !page.body.contains("<svg class=\"gantt-svg\""),
            "no chart before a run"
        );

        let plan = super::EXAMPLE_PLAN;
        let done = lead
            .submit(
                "/plans",
                "plan-form",
                "/plans",
                &[("plan", plan)],
                Some("plans"),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(done.body.matches("<svg class=\"gantt-svg\"").count(), 2);
        assert!(done.body.contains(r#"class="gantt-bar critical""#));
        assert!(done.body.contains("Dual-track saves"), "{}", done.body);
        assert!(done.body.contains(" at P50 / "), "{}", done.body);
        assert!(done.body.contains(" at P90"), "{}", done.body);
        assert!(done.body.contains("Critical path"));
        assert!(done.body.contains(r#"data-site="north""#));
        assert!(!done.body.contains("style="), "no inline styles (CSP)");
    }

    #[tokio::test]
    async fn a_cyclic_plan_comes_back_with_the_planners_message_beside_the_text() {
        let demo = seeded().await;
        let mut lead = Browser::signed_in(&demo, "quality@helixa.example").await;
        let back = lead
            .submit(
                "/plans",
                "plan-form",
                "/plans",
                &[("plan", CYCLIC)],
                Some("plans-cycle"),
            )
            .await;
        assert_eq!(
            back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            back.body
        );
        let message = back
            .error_beside("plan")
            .expect("a message beside the plan");
        assert!(message.contains("cycle"), "{message}");
        assert!(message.contains("quality"), "{message}");
        assert!(
            back.body.contains("after = [&quot;workflows&quot;]")
                || back.body.contains("after = [\"workflows\"]"),
            "the typed text is kept"
        );
        assert!(!back.body.contains("<svg class=\"gantt-svg\""));

        let swapped = super::EXAMPLE_PLAN.replace("days = [30, 60, 120]", "days = [90, 60, 120]");
        let back = lead
            .submit("/plans", "plan-form", "/plans", &[("plan", &swapped)], None)
            .await;
        assert_eq!(
            back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            back.body
        );
        let message = back
            .error_beside("plan")
            .expect("a message beside the plan");
        assert!(message.contains("msa"), "{message}");

        let broken = "strategy = \"dual_track\"\nseed = \n";
        let back = lead
            .submit("/plans", "plan-form", "/plans", &[("plan", broken)], None)
            .await;
        assert_eq!(
            back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            back.body
        );
        let message = back
            .error_beside("plan")
            .expect("a message beside the plan");
        assert!(message.starts_with("line 2"), "{message}");
    }

    #[test]
    fn the_helps_example_plans_and_the_help_says_what_the_file_accepts() {
        use cellpath_app::plans::Plan;
        let report = cellpath_app::plans::plan_contracting(super::HELP_EXAMPLE, 1)
            .expect("the help's example plans");
        assert_eq!(report.sites, ["north", "south"]);
        // What the help says is left out takes the defaults it names.
        let plan = Plan::from_toml(super::HELP_EXAMPLE).expect("reads");
        assert_eq!(plan.iterations, 10_000);
        assert_eq!(plan.capacity, 0);
        assert!(plan.entries[0].after.is_empty());
        // What it says is required is refused when missing; an unknown key is refused.
        for required in ["seed = 1\n", "strategy = \"dual_track\"\n"] {
            let without = super::HELP_EXAMPLE.replace(required, "");
            assert!(Plan::from_toml(&without).is_err(), "{without}");
        }
        let extra = format!("owner = \"legal\"\n{}", super::HELP_EXAMPLE);
        assert!(Plan::from_toml(&extra).is_err());
        // The page shows the very example that was checked.
        let help = super::explanation().into_string();
        assert!(help.contains("id=\"plan-example\""));
        assert!(help.contains("after = [&quot;msa&quot;]"), "{help}");
    }

    /// The value of the input named `name` (whatever its other attributes).
    fn value(page: &crate::testing::Answer, name: &str) -> String {
        let at = page
            .body
            .find(&format!(r#"name="{name}""#))
            .unwrap_or_else(|| panic!("no field {name}: {}", page.body));
        let rest = &page.body[at..];
        let tag_end = rest.find('>').expect("the tag ends");
        let start = rest[..tag_end].find(r#"value=""#).expect("a value") + 7;
        rest[start..].split('"').next().expect("quote").to_string()
    }

    /// The rows form's fields for `rows`, each `(id, scope, after, min, likely, max)`.
    fn row_fields(
        sites: &str,
        rows: &[(&str, &str, &str, &str, &str, &str)],
        op: &str,
    ) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = vec![
            ("mode".into(), "rows".into()),
            ("rows".into(), rows.len().to_string()),
            ("sites".into(), sites.into()),
            ("seed".into(), "3".into()),
            ("iterations".into(), "2000".into()),
            ("capacity".into(), "0".into()),
            ("op".into(), op.into()),
        ];
        for (i, (id, scope, after, min, likely, max)) in rows.iter().enumerate() {
            for (column, value) in [
                ("id", id),
                ("scope", scope),
                ("after", after),
                ("min", min),
                ("likely", likely),
                ("max", max),
            ] {
                out.push((format!("item-{i}-{column}"), value.to_string()));
            }
        }
        out
    }

    async fn post_rows(
        lead: &mut Browser<'_>,
        sites: &str,
        rows: &[(&str, &str, &str, &str, &str, &str)],
        op: &str,
        snapshot: Option<&str>,
    ) -> crate::testing::Answer {
        let fields = row_fields(sites, rows, op);
        lead.submit(
            "/plans",
            "rows-form",
            "/plans",
            &crate::testing::borrowed(&fields),
            snapshot,
        )
        .await
    }

    #[tokio::test]
    async fn a_launch_team_starts_from_its_programs_template_and_edits_the_items_in_rows() {
        let demo = seeded().await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;

        // The program page offers the planner with its template.
        let program = lead.get(&format!("/programs/{}", vantacel.id)).await;
        let link = crate::paths::planner_of_program(&vantacel.id);
        assert!(
            program.body.contains(&link.replace('&', "&amp;")),
            "{}",
            program.body
        );
        let page = lead.get_saved(&link, Some("plans-from-template")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("id=\"started-from\""), "{}", page.body);
        assert!(page.body.contains("the track template of Vantacel"));
        assert_eq!(value(&page, "sites"), "site-1, site-2, site-3");
        let first = value(&page, "item-0-id");
        assert!(!first.is_empty());
        assert!(value(&page, "item-0-likely").parse::<f64>().is_ok());
        // The same plan is in the TOML box.
        assert!(
            page.body.contains(&format!("id = &quot;{first}&quot;")),
            "{}",
            page.body
        );

        // Add a row: one more, empty, the others kept.
        let two = [
            ("msa", "health_system", "", "30", "60", "120"),
            ("quality", "site", "msa", "20", "45", "90"),
        ];
        let added = post_rows(&mut lead, "north, south", &two, "add", None).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        assert!(added.body.contains("data-row=\"2\""), "{}", added.body);
        assert_eq!(value(&added, "item-1-id"), "quality");
        assert_eq!(value(&added, "sites"), "north, south");

        // Remove the first: the second moves up.
        let removed = post_rows(&mut lead, "north, south", &two, "remove-0", None).await;
        assert_eq!(removed.status, StatusCode::OK);
        assert_eq!(value(&removed, "item-0-id"), "quality");
        assert!(!removed.body.contains("data-row=\"1\""));

        // Bad numbers and a bad link come back beside their cells, the typed text kept.
        let bad = [
            ("msa", "health_system", "", "30", "sixty", "120"),
            ("quality", "site", "msa", "20", "45", ""),
        ];
        let back = post_rows(&mut lead, "north", &bad, "plan", Some("plans-rows-refused")).await;
        assert_eq!(
            back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            back.body
        );
        assert!(
            back.error_beside("item-0-likely")
                .expect("beside")
                .contains("sixty")
        );
        assert!(
            back.error_beside("item-1-max")
                .expect("beside")
                .contains("number of days")
        );
        assert_eq!(value(&back, "item-0-likely"), "sixty");
        let wrong = [
            ("msa", "health_system", "", "30", "60", "120"),
            ("quality", "site", "legal", "20", "45", "90"),
        ];
        let back = post_rows(&mut lead, "north", &wrong, "plan", None).await;
        assert_eq!(
            back.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            back.body
        );
        let message = back.error_beside("item-1-after").expect("beside the link");
        assert!(message.contains("legal"), "{message}");
        assert!(back.error_beside("sites").is_none());
        let swapped = [("msa", "health_system", "", "70", "60", "120")];
        let back = post_rows(&mut lead, "north", &swapped, "plan", None).await;
        let message = back
            .error_beside("item-0-likely")
            .expect("beside the estimate");
        assert!(
            message.contains("msa") && message.contains("70"),
            "{message}"
        );
        let back = post_rows(&mut lead, "", &two, "plan", None).await;
        assert!(
            back.error_beside("sites")
                .expect("beside the sites")
                .contains("no sites")
        );

        // Plan the rows: both charts, and the TOML box holds the same plan.
        let done = post_rows(&mut lead, "north, south", &two, "plan", Some("plans-rows")).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(done.body.matches("<svg class=\"gantt-svg\"").count(), 2);
        assert!(done.body.contains(r#"data-site="south""#));
        assert!(
            done.body.contains("after = [&quot;msa&quot;]"),
            "{}",
            done.body
        );
    }

    #[tokio::test]
    async fn a_partnerships_live_plan_opens_the_planner_with_its_sites_and_others_are_refused() {
        let demo = seeded().await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let pship = demo
            .partnership("Helixa Therapeutics", "Lakeshore University Health")
            .await;
        let link = crate::paths::planner_of_partnership(&pship.id, &vantacel.id);
        for email in ["pharmacy@lakeshore.example", "onboarding@helixa.example"] {
            let mut who = Browser::signed_in(&demo, email).await;
            let live = who.get(&crate::paths::plan(&pship.id, &vantacel.id)).await;
            assert_eq!(live.status, StatusCode::OK, "{email}: {}", live.body);
            assert!(live.body.contains(&link.replace('&', "&amp;")), "{email}");
            let page = who.get(&link).await;
            assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
            assert!(page.body.contains(&pship.name), "{email}");
            let sites = value(&page, "sites");
            assert!(!sites.is_empty() && !sites.contains("site-1"), "{sites}");
            assert!(!value(&page, "item-0-id").is_empty());
        }
        // Another health system's people do not learn the partnership exists.
        let mut other = Browser::signed_in(&demo, "admin@piedmont.example").await;
        let refused = other.get(&link).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
        let mut other = Browser::signed_in(&demo, "quality@northbridge.example").await;
        let refused = other.get(&link).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
        // A partnership without its program is a message, not a 500.
        let lost = other.get(&format!("/plans?partnership={}", pship.id)).await;
        assert_eq!(
            lost.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            lost.body
        );
    }

    #[tokio::test]
    async fn a_post_without_the_form_token_is_refused() {
        let demo = seeded().await;
        let mut lead = Browser::signed_in(&demo, "quality@helixa.example").await;
        let refused = lead.post("/plans", &[("plan", CYCLIC)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
}
