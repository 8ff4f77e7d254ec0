//! The contracting planner page (issue 4, point 4): paste a plan file, see when each site is
//! authorized under dual-track and under sequential contracting, each as a Gantt chart with
//! its critical path and Monte Carlo P50/P90, and how many days dual-track saves. From a file;
//! a live partnership's plan is `onboarding.rs`.

use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::plans::{Plan, PlanForm, PlanReport, PlanRow, plan_contracting, plan_rows};
use cellpath_app::views::Program;
use maud::{Markup, html};
use serde::Deserialize;

mod form;
mod results;
#[cfg(test)]
mod tests;

use form::{explanation, posted_rows, rows_form, rows_summary};
use results::results;

/// The example plan the form starts with (the same file `cellpath plan contracting` documents).
pub const EXAMPLE_PLAN: &str = include_str!("../../../../../docs/examples/plan.toml");

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
