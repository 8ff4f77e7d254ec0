//! A contracting plan as a Gantt chart (inline SVG): one row per agreement instance, grouped by
//! track — the central (health-system) track first, then each site — with bars from start to
//! finish on a day axis, the critical path in a strong colour, and the Monte Carlo P50 and P90
//! of each site's authorization day (and of the last site's) as vertical lines.
//! The geometry is computed first ([`Layout`]: pure and tested), then drawn. Two charts on one
//! page share a day scale ([`gantt_scaled`]) so their bars compare by length.

use super::text::text_width;
use cellpath_app::plans::{MonteCarlo, Schedule, whole_day};
use maud::{Markup, html};
use std::collections::BTreeMap;

/// The natural width: the content column of a laptop beside the sidebar.
const WIDTH: f64 = 980.0;
/// The names of the rows, left of the plot.
const LABEL_W: f64 = 150.0;
/// Room right of the plot for the last bar's duration and a marker's label.
const RIGHT_PAD: f64 = 84.0;
/// The top band carries the last site's P50 and P90 labels, one above the other.
const TOP_H: f64 = 40.0;
const GROUP_H: f64 = 26.0;
const ROW_H: f64 = 22.0;
const BAR_H: f64 = 14.0;
/// The day axis with its tick labels, under the rows.
const AXIS_H: f64 = 30.0;
/// The P50 and P90 lines' labels, in px.
const MARKER_LABEL_SIZE: f64 = 11.0;

/// What a vertical marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentile {
    P50,
    P90,
}

impl Percentile {
    fn label(self) -> &'static str {
        match self {
            Percentile::P50 => "P50",
            Percentile::P90 => "P90",
        }
    }
    fn class(self) -> &'static str {
        match self {
            Percentile::P50 => "p50",
            Percentile::P90 => "p90",
        }
    }
}

#[derive(Debug, Clone)]
struct Bar {
    name: String,
    entry: String,
    x0: f64,
    x1: f64,
    y: f64,
    start: i64,
    finish: i64,
    critical: bool,
    /// Done at a known day (a live plan): drawn apart from the estimates.
    done: bool,
}

#[derive(Debug, Clone)]
struct Group {
    /// `None`: the central track.
    site: Option<String>,
    y: f64,
    /// The bottom of its last row.
    rows_y1: f64,
    /// The site's deterministic authorization day, written beside its name.
    authorized: Option<i64>,
    /// The site's P50 authorization day (a live chart writes it as the expected date).
    p50: Option<i64>,
}

#[derive(Debug, Clone)]
struct Marker {
    /// `None`: the last site's.
    site: Option<String>,
    percentile: Percentile,
    x: f64,
    day: i64,
    y0: f64,
    y1: f64,
    /// Where the label sits (its baseline).
    label_y: f64,
}

#[derive(Debug, Clone)]
struct Layout {
    width: f64,
    height: f64,
    plot_x0: f64,
    plot_x1: f64,
    max_day: f64,
    groups: Vec<Group>,
    bars: Vec<Bar>,
    markers: Vec<Marker>,
    ticks: Vec<(f64, i64)>,
    axis_y: f64,
    /// A live plan's today: its x and day.
    today: Option<(f64, i64)>,
}

/// What a chart of a live partnership adds: today's line, and dates for days.
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    /// Today as a plan day.
    pub today: f64,
    /// Day 0 as a date (`YYYY-MM-DD`).
    pub start: &'a str,
    /// Each entry's few words for people (the row names), by entry id.
    pub labels: &'a BTreeMap<String, String>,
    /// The sites really authorized (by plan site name), with the day: shown as facts; every
    /// other site's day is expected.
    pub authorized: &'a BTreeMap<String, String>,
}

impl Live<'_> {
    fn date(&self, day: i64) -> String {
        cellpath_domain::Date::parse(self.start)
            .map(|d| d.plus_days(day).as_str().to_string())
            .unwrap_or_else(|_| format!("day {day}"))
    }
}

/// The furthest day a chart has to show: the last finish and every P90.
pub fn furthest_day(schedule: &Schedule, mc: &MonteCarlo) -> f64 {
    schedule
        .instances
        .iter()
        .map(|i| i.finish)
        .chain(mc.sites.iter().map(|(_, d)| d.p90))
        .chain([mc.last_site.p90, schedule.last_site.day])
        .fold(0.0, f64::max)
}

/// A tick every `step` days, with `step` from a list people count in (a week, a month…),
/// so there are at most about ten ticks.
fn tick_step(max_day: f64) -> i64 {
    const STEPS: [i64; 10] = [5, 7, 10, 14, 15, 30, 60, 90, 180, 365];
    STEPS
        .into_iter()
        .find(|s| max_day / *s as f64 <= 10.0)
        .unwrap_or_else(|| (max_day / 10.0).ceil().max(1.0) as i64)
}

impl Layout {
    fn of(schedule: &Schedule, mc: &MonteCarlo, at_least: f64, live: Option<Live<'_>>) -> Layout {
        let today = live.map(|l| l.today);
        // A live plan names its rows in people's words; a plan file by its entries' ids.
        let row_name = |entry: &str| {
            live.and_then(|l| l.labels.get(entry))
                .cloned()
                .unwrap_or_else(|| entry.to_string())
        };
        let raw = furthest_day(schedule, mc)
            .max(at_least)
            .max(today.unwrap_or(0.0))
            .max(1.0);
        let step = tick_step(raw);
        let max_day = ((raw / step as f64).ceil() * step as f64).max(step as f64);
        let plot_x0 = LABEL_W;
        let plot_x1 = WIDTH - RIGHT_PAD;
        let x_of = |day: f64| plot_x0 + (day.clamp(0.0, max_day) / max_day) * (plot_x1 - plot_x0);

        // Tracks in order: central first, then the sites in the schedule's site order.
        let mut tracks: Vec<Option<String>> = Vec::new();
        if schedule.instances.iter().any(|i| i.site.is_none()) {
            tracks.push(None);
        }
        tracks.extend(schedule.sites.iter().map(|s| Some(s.site.clone())));

        let mut y = TOP_H;
        let mut groups = Vec::new();
        let mut bars = Vec::new();
        let mut markers = Vec::new();
        for site in tracks {
            let group_y = y;
            y += GROUP_H;
            for i in schedule.instances.iter().filter(|i| i.site == site) {
                bars.push(Bar {
                    name: i.name.clone(),
                    entry: row_name(&i.entry),
                    x0: x_of(i.start),
                    x1: x_of(i.finish).max(x_of(i.start)),
                    y: y + (ROW_H - BAR_H) / 2.0,
                    start: whole_day(i.start),
                    finish: whole_day(i.finish),
                    critical: i.critical,
                    done: i.fixed,
                });
                y += ROW_H;
            }
            let authorized = site
                .as_deref()
                .and_then(|s| schedule.site(s))
                .map(whole_day);
            // A site really authorized has a day, not a forecast: no P50/P90 lines.
            let known = site
                .as_ref()
                .is_some_and(|s| live.is_some_and(|l| l.authorized.contains_key(s)));
            if let Some(id) = &site
                && let Some(d) = mc.site(id)
                && !known
            {
                for (percentile, day) in [(Percentile::P50, d.p50), (Percentile::P90, d.p90)] {
                    markers.push(Marker {
                        site: Some(id.clone()),
                        percentile,
                        x: x_of(day),
                        day: whole_day(day),
                        y0: group_y + 4.0,
                        y1: y,
                        label_y: group_y + GROUP_H - 8.0,
                    });
                }
            }
            let p50 = site
                .as_deref()
                .and_then(|s| mc.site(s))
                .map(|d| whole_day(d.p50));
            groups.push(Group {
                site,
                y: group_y,
                rows_y1: y,
                authorized,
                p50,
            });
        }
        let axis_y = y;
        for (percentile, day) in [
            (Percentile::P50, mc.last_site.p50),
            (Percentile::P90, mc.last_site.p90),
        ] {
            markers.push(Marker {
                site: None,
                percentile,
                x: x_of(day),
                day: whole_day(day),
                // P90 on the top line, P50 under it: neither line then crosses the other's
                // label, even when the P90 label has to sit left of its line at the edge.
                y0: match percentile {
                    Percentile::P90 => 4.0,
                    Percentile::P50 => TOP_H - 16.0,
                },
                y1: axis_y,
                label_y: match percentile {
                    Percentile::P90 => 15.0,
                    Percentile::P50 => TOP_H - 5.0,
                },
            });
        }
        let ticks = (0..)
            .map(|k| k * step)
            .take_while(|d| *d as f64 <= max_day + 1e-9)
            .map(|d| (x_of(d as f64), d))
            .collect();
        Layout {
            width: WIDTH,
            // A live chart says under the axis which day is today.
            height: axis_y + AXIS_H + if today.is_some() { 16.0 } else { 0.0 },
            plot_x0,
            plot_x1,
            max_day,
            groups,
            bars,
            markers,
            ticks,
            axis_y,
            today: today.map(|d| (x_of(d), whole_day(d))),
        }
    }
}

fn track_label(site: &Option<String>) -> String {
    match site {
        None => "Central (health system)".to_string(),
        Some(s) => format!("Site {s}"),
    }
}

fn px(v: f64) -> String {
    format!("{:.1}", v)
}

/// The chart on its own day scale.
pub fn gantt(schedule: &Schedule, mc: &MonteCarlo, title: &str) -> Markup {
    gantt_scaled(schedule, mc, title, 0.0)
}

/// The chart with its day axis reaching at least `at_least` (to share one scale with another
/// chart on the page).
pub fn gantt_scaled(schedule: &Schedule, mc: &MonteCarlo, title: &str, at_least: f64) -> Markup {
    chart(schedule, mc, title, at_least, None)
}

/// The chart of a live partnership: done items apart, today's line, dates in the titles.
pub fn gantt_live(
    schedule: &Schedule,
    mc: &MonteCarlo,
    title: &str,
    at_least: f64,
    live: Live<'_>,
) -> Markup {
    chart(schedule, mc, title, at_least, Some(live))
}

fn chart(
    schedule: &Schedule,
    mc: &MonteCarlo,
    title: &str,
    at_least: f64,
    live: Option<Live<'_>>,
) -> Markup {
    let layout = Layout::of(schedule, mc, at_least, live);
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let (title_id, desc_id) = (format!("gantt-{slug}-title"), format!("gantt-{slug}-desc"));
    let (w, h) = (layout.width, layout.height);
    html! {
        figure.gantt data-bars=(layout.bars.len()) data-max-day=(layout.max_day) {
            div.gantt-scroll tabindex="0" role="region" aria-label={ (title) " (chart)" } {
                svg.gantt-svg role="img" aria-labelledby=(title_id) aria-describedby=(desc_id)
                    width=(w) height=(px(h)) viewBox={ "0 0 " (w) " " (px(h)) }
                    preserveAspectRatio="xMinYMin meet" {
                    title id=(title_id) { (title) }
                    desc id=(desc_id) { (describe(schedule, mc)) }
                    (draw_grid(&layout, live))
                    (draw_groups(&layout, live))
                    (draw_bars(&layout, live))
                    (draw_today(&layout, live))
                    (draw_markers(&layout, live))
                }
            }
            (critical_list(schedule, live))
        }
    }
}

fn draw_grid(l: &Layout, live: Option<Live<'_>>) -> Markup {
    html! {
        g.gantt-grid {
            @for (x, day) in &l.ticks {
                line.gantt-tick x1=(px(*x)) x2=(px(*x)) y1=(px(TOP_H)) y2=(px(l.axis_y + 4.0)) {}
                text.gantt-tick-label x=(px(*x)) y=(px(l.axis_y + 17.0)) text-anchor="middle" font-size="11" {
                    (day)
                }
            }
            line.gantt-axis x1=(px(l.plot_x0)) x2=(px(l.plot_x1)) y1=(px(l.axis_y)) y2=(px(l.axis_y)) {}
            text.gantt-axis-label x=(px(l.plot_x1)) y=(px(l.axis_y + 28.0)) text-anchor="end" font-size="11" {
                @match live {
                    Some(live) => { "days from " (live.start) " (day 0)" }
                    None => "days from the start of contracting",
                }
            }
        }
    }
}

fn draw_groups(l: &Layout, live: Option<Live<'_>>) -> Markup {
    html! {
        g.gantt-groups {
            @for (i, g) in l.groups.iter().enumerate() {
                g.gantt-group data-track=(g.site.as_deref().unwrap_or("central")) {
                    rect class={ "gantt-band " (if i % 2 == 0 { "band-even" } else { "band-odd" }) }
                        x="0" y=(px(g.y)) width=(l.width) height=(px(g.rows_y1 - g.y)) {}
                    text.gantt-track x="8" y=(px(g.y + GROUP_H - 8.0)) font-size="13" {
                        (track_label(&g.site))
                        @if let Some(day) = g.authorized {
                            @match live {
                                Some(live) => {
                                    @match g.site.as_ref().and_then(|s| live.authorized.get(s)) {
                                        Some(on) => {
                                            tspan.gantt-authorized font-size="11" { " · authorized " (on) }
                                            title { (track_label(&g.site)) " was authorized on " (on) }
                                        }
                                        None => {
                                            @let p50 = g.p50.unwrap_or(day);
                                            tspan.gantt-expected font-size="11" { " · expected " (live.date(p50)) " (P50)" }
                                            title { (track_label(&g.site)) " is expected to be authorized on " (live.date(p50)) " (P50; " (live.date(day)) " on most-likely durations)" }
                                        }
                                    }
                                }
                                None => {
                                    tspan.gantt-authorized font-size="11" { " · authorized day " (day) }
                                    title { (track_label(&g.site)) " is authorized on day " (day) " on most-likely durations" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn draw_bars(l: &Layout, live: Option<Live<'_>>) -> Markup {
    let on = |day: i64| match live {
        Some(live) => live.date(day),
        None => format!("day {day}"),
    };
    // A live chart names a bar in the words of its row, with its site.
    let title = |b: &Bar| match live {
        Some(_) => match b.name.split_once(':') {
            Some((site, _)) => format!("{site}: {}", b.entry),
            None => b.entry.clone(),
        },
        None => b.name.clone(),
    };
    html! {
        g.gantt-bars {
            @for b in &l.bars {
                g class={ "gantt-row" @if b.critical { " critical" } @if b.done { " done" } } data-instance=(b.name) data-done=(b.done) {
                    text.gantt-entry x="20" y=(px(b.y + BAR_H - 3.0)) font-size="12" { (b.entry) }
                    rect class={ "gantt-bar" @if b.critical { " critical" } @if b.done { " done" } }
                        x=(px(b.x0)) y=(px(b.y)) width=(px((b.x1 - b.x0).max(if b.done { 4.0 } else { 1.0 }))) height=(BAR_H) rx="3" {
                        title {
                            @if b.done {
                                (title(b)) ": done on " (on(b.finish))
                            } @else {
                                (title(b)) ": " @if live.is_some() { "expected " } (on(b.start)) " to " (on(b.finish)) " (" (b.finish - b.start) " days)"
                                @if b.critical { ", on the critical path" }
                            }
                        }
                    }
                    text.gantt-duration x=(px(b.x1.max(b.x0 + 4.0) + 4.0)) y=(px(b.y + BAR_H - 3.0)) font-size="10" {
                        @if b.done { "done" } @else { (b.finish - b.start) " d" }
                    }
                }
            }
        }
    }
}

fn draw_today(l: &Layout, live: Option<Live<'_>>) -> Markup {
    html! {
        @if let (Some((x, day)), Some(live)) = (l.today, live) {
            g.gantt-today data-day=(day) {
                line x1=(px(x)) x2=(px(x)) y1=(px(TOP_H - 4.0)) y2=(px(l.axis_y)) {}
                text x=(px(x)) y=(px(l.axis_y + 42.0)) text-anchor=(if x < l.plot_x0 + 60.0 { "start" } else if x > l.plot_x1 - 60.0 { "end" } else { "middle" }) font-size="11" {
                    "today " (live.date(day))
                }
            }
        }
    }
}

fn draw_markers(l: &Layout, live: Option<Live<'_>>) -> Markup {
    let class = |m: &Marker| {
        let scope = if m.site.is_some() { "site" } else { "last" };
        format!("gantt-marker {} {scope}", m.percentile.class())
    };
    // Every line first, then every label (with a halo), so no line runs through a label.
    html! {
        g.gantt-markers {
            @for m in &l.markers {
                g class=(class(m)) {
                    line x1=(px(m.x)) x2=(px(m.x)) y1=(px(m.y0)) y2=(px(m.y1)) {}
                }
            }
            @for m in &l.markers {
                @let label = marker_label(m, live);
                @let (anchor, x) = label_x(l, m, &label);
                g class=(class(m)) {
                    text x=(px(x)) y=(px(m.label_y)) text-anchor=(anchor) font-size=(MARKER_LABEL_SIZE) { (label) }
                }
            }
        }
    }
}

fn marker_label(m: &Marker, live: Option<Live<'_>>) -> String {
    let when = match live {
        Some(live) => live.date(m.day),
        None => format!("day {}", m.day),
    };
    match &m.site {
        Some(_) => format!("{} {when}", m.percentile.label()),
        None => format!("all sites {} {when}", m.percentile.label()),
    }
}

/// Where a marker's label goes: P50 left of its line and P90 right of it, so two close lines
/// keep readable labels; pushed back inside the chart near its edges (its width measured as
/// the swimlane measures its text: 11 px at weight 600, drawn bold).
fn label_x(l: &Layout, m: &Marker, label: &str) -> (&'static str, f64) {
    let w = text_width(label, MARKER_LABEL_SIZE, true);
    match m.percentile {
        Percentile::P50 => ("end", (m.x - 3.0).max(l.plot_x0 + w)),
        Percentile::P90 if m.x + 3.0 + w > l.width - 2.0 => ("end", (m.x - 3.0).max(l.plot_x0 + w)),
        Percentile::P90 => ("start", m.x + 3.0),
    }
}

fn describe(schedule: &Schedule, mc: &MonteCarlo) -> String {
    let mut text = format!(
        "{} instances. On most-likely durations the last site, {}, is authorized on day {}; \
         over {} Monte Carlo iterations its P50 is day {} and its P90 day {}.",
        schedule.instances.len(),
        schedule.last_site.site,
        whole_day(schedule.last_site.day),
        mc.iterations,
        whole_day(mc.last_site.p50),
        whole_day(mc.last_site.p90),
    );
    for s in &schedule.sites {
        if let Some(d) = mc.site(&s.site) {
            text.push_str(&format!(
                " Site {}: day {} (P50 {}, P90 {}).",
                s.site,
                whole_day(s.day),
                whole_day(d.p50),
                whole_day(d.p90)
            ));
        }
    }
    text
}

/// The critical path in words, for readers who cannot see the colours.
fn critical_list(schedule: &Schedule, live: Option<Live<'_>>) -> Markup {
    let labels = live.map(|l| l.labels);
    // A live plan names the step in words, with its site: "LUH-NORTH: Quality agreement".
    let name = |step: &cellpath_app::plans::CriticalStep| -> String {
        let named = schedule
            .instances
            .iter()
            .find(|i| i.name == step.name)
            .and_then(|i| Some((i.site.as_deref(), labels?.get(&i.entry)?)));
        match named {
            Some((Some(site), label)) => format!("{site}: {label}"),
            Some((None, label)) => label.clone(),
            None => step.name.clone(),
        }
    };
    html! {
        figcaption.gantt-critical {
            strong { "Critical path" }
            " (what sets the last site's day; a delay on any of these delays it): "
            ol.critical-path {
                @for step in &schedule.critical_path {
                    li data-instance=(step.name) {
                        code { (name(step)) }
                        @match live {
                            // A live plan in calendar dates; what is not done yet is expected.
                            Some(live) => {
                                @let done = schedule.instances.iter().any(|i| i.name == step.name && i.fixed);
                                @if done { " done " (live.date(whole_day(step.finish))) }
                                @else { " expected " (live.date(whole_day(step.start))) " to " (live.date(whole_day(step.finish))) }
                            }
                            None => { " day " (whole_day(step.start)) "–" (whole_day(step.finish)) }
                        }
                    }
                }
            }
        }
    }
}

/// The legend shared by the charts of a page.
pub fn legend() -> Markup {
    legend_with(false)
}

/// The legend of live charts: also done items and today's line.
pub fn legend_live() -> Markup {
    legend_with(true)
}

fn legend_with(live: bool) -> Markup {
    html! {
        ul.gantt-legend aria-label="Legend" {
            @if live {
                li {
                    svg width="34" height="14" viewBox="0 0 34 14" aria-hidden="true" { rect.gantt-bar.done x="1" y="1" width="32" height="12" rx="3" {} }
                    " Done, ending on the day it was done (executed, recorded or signed)"
                }
                li.gantt-today {
                    svg width="14" height="18" viewBox="0 0 14 18" aria-hidden="true" { line x1="7" x2="7" y1="0" y2="18" {} }
                    " Today: open items start no earlier"
                }
            }
            li {
                svg width="34" height="14" viewBox="0 0 34 14" aria-hidden="true" { rect.gantt-bar x="1" y="1" width="32" height="12" rx="3" {} }
                " An agreement or deliverable, from its start to its finish (most-likely days)"
            }
            li {
                svg width="34" height="14" viewBox="0 0 34 14" aria-hidden="true" { rect.gantt-bar.critical x="1" y="1" width="32" height="12" rx="3" {} }
                " On the critical path"
            }
            li.gantt-marker.p50.site {
                svg width="14" height="18" viewBox="0 0 14 18" aria-hidden="true" { line x1="7" x2="7" y1="0" y2="18" {} }
                " P50: half of the simulated runs are done by this day"
            }
            li.gantt-marker.p90.site {
                svg width="14" height="18" viewBox="0 0 14 18" aria-hidden="true" { line x1="7" x2="7" y1="0" y2="18" {} }
                " P90: nine runs in ten are done by this day (a safe date to promise)"
            }
            li.gantt-marker.p90.last {
                svg width="14" height="18" viewBox="0 0 14 18" aria-hidden="true" { line x1="7" x2="7" y1="0" y2="18" {} }
                " Lines across the whole chart: the P50 and P90 of the day all sites are authorized"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_app::plans::plan_contracting;

    const EXAMPLE: &str = include_str!("../../../../docs/examples/plan.toml");

    fn layouts() -> Vec<(Layout, Schedule)> {
        let report = plan_contracting(EXAMPLE, 2).expect("the example plan is valid");
        [&report.dual_track, &report.sequential]
            .into_iter()
            .map(|r| {
                (
                    Layout::of(&r.deterministic, &r.monte_carlo, 0.0, None),
                    r.deterministic.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn every_bar_runs_forward_inside_the_plot() {
        for (l, schedule) in layouts() {
            assert_eq!(l.bars.len(), schedule.instances.len());
            for b in &l.bars {
                assert!(b.x1 >= b.x0, "{b:?}");
                assert!(b.x0 >= l.plot_x0 && b.x1 <= l.plot_x1, "{b:?}");
                assert!(b.y + BAR_H <= l.axis_y, "{b:?}");
            }
            assert!(
                l.bars.iter().any(|b| b.critical),
                "the critical path is drawn"
            );
            assert!(l.max_day >= schedule.last_site.day);
        }
    }

    #[test]
    fn central_track_comes_first_then_each_site() {
        let (l, _) = &layouts()[0];
        let tracks: Vec<_> = l.groups.iter().map(|g| g.site.clone()).collect();
        assert_eq!(
            tracks,
            [
                None,
                Some("north".into()),
                Some("south".into()),
                Some("east".into())
            ]
        );
        let (seq, _) = &layouts()[1];
        assert!(
            seq.groups.iter().all(|g| g.site.is_some()),
            "under sequential every site negotiates everything itself: no central track"
        );
    }

    /// Every marker's label, measured as drawn, stays inside the chart: right of the row names
    /// and left of the chart's right edge, also for a line at either end of the plot.
    #[test]
    fn marker_labels_measured_as_drawn_stay_inside_the_chart() {
        for (l, _) in layouts() {
            for m in &l.markers {
                for x in [m.x, l.plot_x0, l.plot_x1] {
                    let m = Marker { x, ..m.clone() };
                    let label = marker_label(&m, None);
                    let (anchor, at) = label_x(&l, &m, &label);
                    let w = text_width(&label, MARKER_LABEL_SIZE, true);
                    let (left, right) = if anchor == "end" {
                        (at - w, at)
                    } else {
                        (at, at + w)
                    };
                    assert!(left >= l.plot_x0 - 0.01, "{label} at {at} ({anchor})");
                    assert!(right <= l.width - 2.0 + 0.01, "{label} at {at} ({anchor})");
                }
            }
        }
    }

    #[test]
    fn p50_markers_sit_left_of_or_on_p90_markers() {
        for (l, _) in layouts() {
            let find = |site: &Option<String>, p: Percentile| {
                l.markers
                    .iter()
                    .find(|m| &m.site == site && m.percentile == p)
                    .expect("a marker")
                    .x
            };
            let mut scopes: Vec<Option<String>> = l
                .groups
                .iter()
                .filter_map(|g| g.site.clone())
                .map(Some)
                .collect();
            scopes.push(None);
            for s in &scopes {
                assert!(
                    find(s, Percentile::P50) <= find(s, Percentile::P90),
                    "{s:?}"
                );
            }
            assert_eq!(l.markers.len(), scopes.len() * 2);
        }
    }

    #[test]
    fn a_shared_scale_makes_equal_days_equal_lengths() {
        let report = plan_contracting(EXAMPLE, 2).expect("valid");
        let far = furthest_day(
            &report.sequential.deterministic,
            &report.sequential.monte_carlo,
        );
        let a = Layout::of(
            &report.dual_track.deterministic,
            &report.dual_track.monte_carlo,
            far,
            None,
        );
        let b = Layout::of(
            &report.sequential.deterministic,
            &report.sequential.monte_carlo,
            far,
            None,
        );
        assert_eq!(a.max_day, b.max_day);
        assert!(a.ticks.len() <= 11 && a.ticks.len() >= 3, "{:?}", a.ticks);
    }

    #[test]
    fn the_chart_is_an_accessible_image_with_escaped_text() {
        let report = plan_contracting(EXAMPLE, 2).expect("valid");
        let html = gantt(
            &report.dual_track.deterministic,
            &report.dual_track.monte_carlo,
            "Dual-track <b>",
        )
        .into_string();
        assert!(
            html.contains(r#"<svg class="gantt-svg" role="img""#),
            "{html}"
        );
        assert!(html.contains("<title id="), "{html}");
        assert!(html.contains("<desc id="), "{html}");
        assert!(html.contains("Dual-track &lt;b&gt;"), "{html}");
        assert!(!html.contains("style="), "no inline styles (CSP)");
        assert!(html.contains(r#"class="gantt-bar critical""#));
    }
}
