//! The vein-to-vein charts, inline SVG: the distribution of collection → infusion days (a
//! histogram a week to a bar, the median and P90 marked) and its trend (the median per month,
//! a month without an infusion left as a gap). Labels are measured with `text.rs`, so the left
//! margin fits the widest of them; every chart has its title and a description in words.

use super::text::text_width;
use cellpath_domain::figures::{Bin, MonthPoint, Summary};
use maud::{Markup, html};

const W: f64 = 720.0;
const H: f64 = 260.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 44.0;
const RIGHT: f64 = 16.0;
const FONT: f64 = 11.0;

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// "1 day", "33 days".
pub fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// "1 case", "12 cases".
pub fn cases(n: usize) -> String {
    if n == 1 {
        "1 case".into()
    } else {
        format!("{n} cases")
    }
}

/// Round ticks from 0 to at least `max`: 1, 2, 5 × a power of ten, about five of them.
fn ticks(max: f64) -> Vec<f64> {
    let max = max.max(1.0);
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(power * 10.0)
        .max(1.0);
    let top = (max / step).ceil() * step;
    (0..=((top / step) as usize))
        .map(|i| i as f64 * step)
        .collect()
}

/// The chart's frame: an SVG with its title and its description in words.
fn frame(id: &str, title: &str, desc: &str, body: Markup) -> Markup {
    html! {
        div.gantt-scroll.figure-chart tabindex="0" role="region" aria-label={ (title) " (chart)" } {
            svg.figure-svg role="img" aria-labelledby={ (id) "-title" } aria-describedby={ (id) "-desc" }
                width=(px(W)) height=(px(H)) viewBox={ "0 0 " (px(W)) " " (px(H)) }
                preserveAspectRatio="xMinYMin meet" {
                title id={ (id) "-title" } { (title) }
                desc id={ (id) "-desc" } { (desc) }
                (body)
            }
        }
    }
}

/// The plot's area, from the y labels' width.
struct Plot {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    top: f64,
}

impl Plot {
    fn new(y_ticks: &[f64]) -> Plot {
        let label = y_ticks
            .iter()
            .map(|t| text_width(&format!("{t}"), FONT, false))
            .fold(0.0, f64::max);
        Plot {
            x0: label + 40.0,
            x1: W - RIGHT,
            y0: H - BOTTOM,
            y1: TOP,
            top: y_ticks.last().copied().unwrap_or(1.0).max(1.0),
        }
    }

    fn y(&self, v: f64) -> f64 {
        self.y0 - (self.y0 - self.y1) * v / self.top
    }

    fn grid(&self, y_ticks: &[f64], y_label: &str) -> Markup {
        html! {
            g.figure-grid {
                @for t in y_ticks {
                    line.gantt-tick x1=(px(self.x0)) x2=(px(self.x1)) y1=(px(self.y(*t))) y2=(px(self.y(*t))) {}
                    text.gantt-tick-label x=(px(self.x0 - 6.0)) y=(px(self.y(*t) + 4.0)) text-anchor="end" font-size=(FONT) { (t) }
                }
                line.gantt-axis x1=(px(self.x0)) x2=(px(self.x1)) y1=(px(self.y0)) y2=(px(self.y0)) {}
                text.gantt-axis-label x=(px(12.0)) y=(px((self.y0 + self.y1) / 2.0)) text-anchor="middle" font-size=(FONT)
                    transform={ "rotate(-90 12 " (px((self.y0 + self.y1) / 2.0)) ")" } { (y_label) }
            }
        }
    }
}

/// The distribution of collection → infusion days: a bar per week, the median and P90 marked.
pub fn histogram(bins: &[Bin], summary: &Summary, title: &str) -> Markup {
    let most = bins.iter().map(|b| b.cases).max().unwrap_or(0);
    let y_ticks = ticks(most as f64);
    let p = Plot::new(&y_ticks);
    let (lo, hi) = (
        bins.first().map_or(0, |b| b.from),
        bins.last().map_or(7, |b| b.to),
    );
    let x = |d: f64| p.x0 + (p.x1 - p.x0) * (d - lo as f64) / ((hi - lo).max(1) as f64);
    let desc = format!(
        "{} from collection to infusion: median {}, P90 {}, from {} to {}.",
        cases(summary.cases),
        days(summary.median),
        days(summary.p90),
        days(summary.min),
        days(summary.max)
    );
    // A marker at the middle of its day.
    let marker = |class: &str, label: String, d: i64, row: f64| {
        let at = x(d as f64 + 0.5);
        let anchor = if at > p.x1 - 90.0 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        html! {
            g class={ "gantt-marker " (class) } {
                line x1=(px(at)) x2=(px(at)) y1=(px(p.y1 - 4.0)) y2=(px(p.y0)) {}
                text x=(px(at + dx)) y=(px(p.y1 + 10.0 + row)) text-anchor=(anchor) font-size=(FONT) { (label) }
            }
        }
    };
    let body = html! {
        (p.grid(&y_ticks, "cases"))
        g.figure-bars {
            @for b in bins {
                @let (bx0, bx1) = (x(b.from as f64) + 1.0, x(b.to as f64) - 1.0);
                @let top = p.y(b.cases as f64);
                rect.figure-bar x=(px(bx0)) y=(px(top)) width=(px((bx1 - bx0).max(1.0))) height=(px(p.y0 - top)) {
                    title { (cases(b.cases)) " took " (b.from) "–" (b.to - 1) " days" }
                }
                text.gantt-tick-label x=(px(bx0)) y=(px(p.y0 + 15.0)) text-anchor="middle" font-size=(FONT) { (b.from) }
            }
            text.gantt-tick-label x=(px(x(hi as f64))) y=(px(p.y0 + 15.0)) text-anchor="middle" font-size=(FONT) { (hi) }
            text.gantt-axis-label x=(px(p.x1)) y=(px(p.y0 + 32.0)) text-anchor="end" font-size=(FONT) { "days from collection to infusion" }
        }
        (marker("p50", format!("median {}", days(summary.median)), summary.median, 0.0))
        (marker("p90", format!("P90 {}", days(summary.p90)), summary.p90, 14.0))
    };
    frame("figure-histogram", title, &desc, body)
}

/// The median of collection → infusion days per month; a month without an infusion is a gap.
pub fn trend(points: &[MonthPoint], title: &str) -> Markup {
    let most = points.iter().filter_map(|m| m.median).max().unwrap_or(0);
    let y_ticks = ticks(most as f64);
    let p = Plot::new(&y_ticks);
    let n = points.len().max(1) as f64;
    let x = |i: usize| p.x0 + (p.x1 - p.x0) * (i as f64 + 0.5) / n;
    // Runs of months with a median, each drawn as its own line.
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    for (i, m) in points.iter().enumerate() {
        match m.median {
            Some(v) => run.push((x(i), p.y(v as f64))),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    let desc = points
        .iter()
        .map(|m| match m.median {
            Some(v) => format!(
                "{}: median {} ({})",
                m.month.words(),
                days(v),
                cases(m.cases)
            ),
            None => format!("{}: no infusion", m.month.words()),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let body = html! {
        (p.grid(&y_ticks, "days"))
        g.figure-months {
            @for (i, m) in points.iter().enumerate() {
                text.gantt-tick-label x=(px(x(i))) y=(px(p.y0 + 15.0)) text-anchor="middle" font-size=(FONT) { (m.month.short()) }
                @if i == 0 || m.month.month == 1 {
                    text.gantt-axis-label x=(px(x(i))) y=(px(p.y0 + 29.0)) text-anchor="middle" font-size=(FONT) { (m.month.year) }
                }
            }
        }
        @for r in &runs {
            polyline.figure-line points=(r.iter().map(|(a, b)| format!("{} {}", px(*a), px(*b))).collect::<Vec<_>>().join(" ")) {}
        }
        @for (i, m) in points.iter().enumerate() {
            @if let Some(v) = m.median {
                circle.figure-point cx=(px(x(i))) cy=(px(p.y(v as f64))) r="4" {
                    title { (m.month.words()) ": median " (days(v)) ", " (cases(m.cases)) }
                }
            }
        }
    };
    frame("figure-trend", title, &desc, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_domain::Date;
    use cellpath_domain::figures::{Month, by_month, histogram as bins, summary};

    #[test]
    fn ticks_are_round_and_reach_the_largest_value() {
        assert_eq!(ticks(0.0), vec![0.0, 1.0]);
        assert_eq!(ticks(4.0), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(ticks(37.0), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(ticks(12.0).last(), Some(&15.0));
    }

    #[test]
    fn the_histogram_marks_the_median_and_p90_and_says_them_in_words() {
        let values = [24, 28, 30, 31, 33, 35, 35, 38, 44, 61];
        let s = summary(&values).expect("values");
        let svg = histogram(&bins(&values, 7), &s, "Collection to infusion").into_string();
        assert!(svg.contains(r#"role="img""#), "{svg}");
        assert!(svg.contains("median 33 days"), "{svg}");
        assert!(svg.contains("P90 44 days"), "{svg}");
        assert!(
            svg.contains("10 cases from collection to infusion"),
            "{svg}"
        );
        assert_eq!(svg.matches(r#"class="figure-bar""#).count(), 6, "{svg}");
    }

    #[test]
    fn the_trend_leaves_a_month_without_infusions_as_a_gap() {
        let d = |s: &str| Date::parse(s).expect("date");
        let points = by_month(
            &[
                (d("2026-09-10"), 30),
                (d("2026-11-03"), 40),
                (d("2026-12-01"), 36),
            ],
            Month::of(&d("2026-12-07")),
            4,
        );
        let svg = trend(&points, "Median by month").into_string();
        assert!(svg.contains("October 2026: no infusion"), "{svg}");
        assert!(
            svg.contains("November 2026: median 40 days (1 case)"),
            "{svg}"
        );
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    }
}
