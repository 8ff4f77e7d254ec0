//! The planner's results: when each site is authorized under each strategy, as Gantt charts
//! on one day scale with their critical paths, and the table of P50/P90 and days saved.

use crate::charts::gantt::{furthest_day, gantt_scaled, legend};
use cellpath_app::plans::{PlanReport, Strategy, whole_day};
use maud::{Markup, html};

pub(super) fn results(report: &PlanReport) -> Markup {
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

pub(super) fn strategy_title(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::DualTrack => "Dual-track",
        Strategy::Sequential => "Sequential",
    }
}

pub(super) fn days(n: i64) -> String {
    if n.abs() == 1 {
        format!("{n} day")
    } else {
        format!("{n} days")
    }
}

pub(super) fn summary_table(report: &PlanReport) -> Markup {
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
