//! The contracting planner page (issue 4, point 4): paste a plan file, see when each site is
//! authorized under dual-track and under sequential contracting, each as a Gantt chart with
//! its critical path and Monte Carlo P50/P90, and how many days dual-track saves. From a file;
//! a live partnership's plan is `onboarding.rs`.

use crate::charts::gantt::{furthest_day, gantt_scaled, legend};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field};
use crate::session::{Ctx, Posted};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::plans::{PlanReport, Strategy, plan_contracting, whole_day};
use maud::{Markup, html};

/// The example plan the form starts with (the same file `cellpath plan contracting` documents).
pub const EXAMPLE_PLAN: &str = include_str!("../../../../docs/examples/plan.toml");

/// A web request shares the machine with everyone else's: a few threads are plenty for a plan
/// (the numbers do not depend on how many).
const MAX_THREADS: usize = 4;

pub async fn form(ctx: Ctx) -> Result<Response, WebError> {
    let values = FormData::from_pairs([("plan", EXAMPLE_PLAN)]);
    Ok(render(
        &ctx,
        &values,
        &FormErrors::default(),
        None,
        StatusCode::OK,
    ))
}

pub async fn run(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let text = form.get("plan").to_string();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS);
    // The Monte Carlo is CPU work (bounded by the planner's caps): off the async workers.
    let result = tokio::task::spawn_blocking(move || plan_contracting(&text, threads))
        .await
        .map_err(|e| AppError::Internal(format!("the planner stopped: {e}")))?;
    match result {
        Ok(report) => Ok(render(
            &ctx,
            &form,
            &FormErrors::default(),
            Some(&report),
            StatusCode::OK,
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            Ok(render(&ctx, &form, &errors, None, errors.status()))
        }
    }
}

fn render(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    report: Option<&PlanReport>,
    status: StatusCode,
) -> Response {
    let view = FormView::new(values, errors, "plan");
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
            // The form posts to `#results`; when the file comes back refused, that is here.
            @if report.is_none() && !errors.is_empty() {
                div #results { (view.summary(&["plan"])) }
            }
            div.plan-layout {
                form #plan-form method="post" action="/plans#results" novalidate {
                    (csrf_field(ctx.csrf()))
                    div.field.has-error[errors.has_field("plan")] {
                        label for="plan-plan" { "Plan file (TOML)" }
                        // Above the text, not under 30 lines of it, so the message is seen.
                        (view.field_errors("plan"))
                        textarea #plan-plan.plan-text name="plan" rows="30" spellcheck="false"
                            aria-invalid=[errors.has_field("plan").then_some("true")]
                            aria-describedby=[errors.has_field("plan").then_some("plan-plan-error")] {
                            (values.get("plan"))
                        }
                    }
                    button.primary type="submit" { "Plan both strategies" }
                }
                (explanation())
            }
        }
    };
    ctx.render_status(status, "Contracting planner", content)
}

fn explanation() -> Markup {
    html! {
        aside.plan-help aria-label="The plan file's fields" {
            h3 { "What the file says" }
            dl {
                dt { code { "sites" } } dd { "The health system's treatment sites, e.g. " code { "[\"north\", \"south\"]" } "." }
                dt { code { "[[agreement]]" } } dd { "One agreement or gate deliverable; the file order must be a valid order." }
                dt { code { "id" } } dd { "Its short name: letters, digits, " code { "_" } " and " code { "-" } "." }
                dt { code { "scope" } } dd { code { "health_system" } ": executed once for every site (the central track); " code { "site" } ": one per site." }
                dt { code { "days" } } dd { "Three-point estimate " code { "[min, most likely, max]" } " in days." }
                dt { code { "after" } } dd { "Ids of earlier entries it waits for; a site entry naming a site entry means the same site's." }
                dt { code { "capacity" } } dd { code { "0" } ": unlimited; " code { "K" } ": at most K items in negotiation at once (one legal team)." }
                dt { code { "seed" } ", " code { "iterations" } } dd { "The Monte Carlo: the same seed always gives the same numbers." }
                dt { code { "strategy" } } dd { "Ignored here: this page plans both and shows them side by side." }
            }
            p.hint { "Days count from day 0, the start of contracting, and are shown rounded up to whole days." }
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

    #[tokio::test]
    async fn a_post_without_the_form_token_is_refused() {
        let demo = seeded().await;
        let mut lead = Browser::signed_in(&demo, "quality@helixa.example").await;
        let refused = lead.post("/plans", &[("plan", CYCLIC)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
}
