//! The cash-flow forecast's charts, inline SVG: the fan chart of a health system's exposure by
//! day (the P5–P95 band, the P50 line, the cap as a line; dates along the bottom, dollars up
//! the side) and the distribution of each run's peak (a histogram with P50 and P95 marked, and
//! the cap). Each has its title and a description in words.

use super::text::text_width;
use cellpath_domain::Date;
use cellpath_domain::figures::Month;
use maud::{Markup, html};

const W: f64 = 760.0;
const H: f64 = 300.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 48.0;
const RIGHT: f64 = 18.0;
const FONT: f64 = 11.0;
/// The most points a line is drawn with (a point every few days on a long horizon).
const MAX_POINTS: usize = 240;

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// Dollars as people read them on an axis or in a sentence: "$475,000", "−$1,250,000".
pub fn dollars(v: f64) -> String {
    let whole = v.abs().round() as i64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if v.round() < 0.0 {
        format!("−${grouped}")
    } else {
        format!("${grouped}")
    }
}

/// Short dollars for ticks: "$0", "$500k", "$1.5M".
pub fn short_dollars(v: f64) -> String {
    let sign = if v < 0.0 { "−" } else { "" };
    let a = v.abs();
    let body = if a >= 1e6 {
        let m = a / 1e6;
        if (m - m.round()).abs() < 1e-9 {
            format!("{}M", m.round())
        } else {
            format!("{m:.1}M")
        }
    } else if a >= 1e3 {
        format!("{}k", (a / 1e3).round())
    } else {
        format!("{}", a.round())
    };
    format!("{sign}${body}")
}

/// Round ticks covering `lo..=hi` (1, 2, 5 × a power of ten; about five steps), 0 among them.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.min(0.0), hi.max(lo + 1.0).max(1.0));
    let raw = (hi - lo) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(power * 10.0);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn frame(id: &str, title: &str, desc: &str, body: Markup) -> Markup {
    html! {
        div.gantt-scroll.figure-chart tabindex="0" role="region" aria-label={ (title) " (chart)" } {
            svg.figure-svg id=(id) role="img" aria-labelledby={ (id) "-title" } aria-describedby={ (id) "-desc" }
                width=(px(W)) height=(px(H)) viewBox={ "0 0 " (px(W)) " " (px(H)) }
                preserveAspectRatio="xMinYMin meet" {
                title id={ (id) "-title" } { (title) }
                desc id={ (id) "-desc" } { (desc) }
                (body)
            }
        }
    }
}

/// The plot's area and its dollar axis.
struct Plot {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    lo: f64,
    hi: f64,
}

impl Plot {
    fn new(y_ticks: &[f64]) -> Plot {
        let label = y_ticks
            .iter()
            .map(|t| text_width(&short_dollars(*t), FONT, false))
            .fold(0.0, f64::max);
        Plot {
            x0: label + 40.0,
            x1: W - RIGHT,
            y0: H - BOTTOM,
            y1: TOP,
            lo: y_ticks.first().copied().unwrap_or(0.0),
            hi: y_ticks.last().copied().unwrap_or(1.0),
        }
    }
    fn y(&self, v: f64) -> f64 {
        self.y0 - (self.y0 - self.y1) * (v - self.lo) / (self.hi - self.lo).max(1.0)
    }
    fn grid(&self, y_ticks: &[f64], y_label: &str) -> Markup {
        html! {
            g.figure-grid {
                @for t in y_ticks {
                    line.gantt-tick x1=(px(self.x0)) x2=(px(self.x1)) y1=(px(self.y(*t))) y2=(px(self.y(*t))) {}
                    text.gantt-tick-label x=(px(self.x0 - 6.0)) y=(px(self.y(*t) + 4.0)) text-anchor="end" font-size=(FONT) { (short_dollars(*t)) }
                }
                line.gantt-axis x1=(px(self.x0)) x2=(px(self.x1)) y1=(px(self.y(0.0))) y2=(px(self.y(0.0))) {}
                text.gantt-axis-label x=(px(12.0)) y=(px((self.y0 + self.y1) / 2.0)) text-anchor="middle" font-size=(FONT)
                    transform={ "rotate(-90 12 " (px((self.y0 + self.y1) / 2.0)) ")" } { (y_label) }
            }
        }
    }
    /// A horizontal line across the plot with its label at the right end.
    fn level(&self, class: &str, v: f64, label: &str) -> Markup {
        let y = self.y(v);
        html! {
            g class=(class) {
                line x1=(px(self.x0)) x2=(px(self.x1)) y1=(px(y)) y2=(px(y)) {}
                text x=(px(self.x1 - 4.0)) y=(px(y - 5.0)) text-anchor="end" font-size=(FONT) { (label) }
            }
        }
    }
}

/// The days drawn: every day on a short horizon, else about [`MAX_POINTS`] of them, the last
/// day always among them.
fn sample(days: usize) -> Vec<usize> {
    if days == 0 {
        return Vec::new();
    }
    let step = days.div_ceil(MAX_POINTS).max(1);
    let mut out: Vec<usize> = (0..days).step_by(step).collect();
    if out.last() != Some(&(days - 1)) {
        out.push(days - 1);
    }
    out
}

/// The fan chart: exposure by day from `today` (day 0), the P5–P95 band, the P50 line and the
/// cap. `p5`, `p50` and `p95` are as long as the horizon.
pub fn fan(today: &Date, p5: &[f64], p50: &[f64], p95: &[f64], cap: f64) -> Markup {
    let days = p50.len().min(p5.len()).min(p95.len());
    let lo = p5[..days].iter().copied().fold(0.0, f64::min);
    let hi = p95[..days].iter().copied().fold(cap, f64::max);
    // A dip below zero too small to see (a credit before the first payment) adds no tick.
    let lo = if lo > -0.02 * hi { 0.0 } else { lo };
    let y_ticks = ticks(lo, hi * 1.05);
    let p = Plot::new(&y_ticks);
    let x = |d: f64| p.x0 + (p.x1 - p.x0) * d / (days.max(1) as f64);
    let at = sample(days);
    let band: Vec<String> = at
        .iter()
        .map(|d| format!("{},{}", px(x(*d as f64)), px(p.y(p95[*d]))))
        .chain(
            at.iter()
                .rev()
                .map(|d| format!("{},{}", px(x(*d as f64)), px(p.y(p5[*d])))),
        )
        .collect();
    let median: Vec<String> = at
        .iter()
        .map(|d| format!("{},{}", px(x(*d as f64)), px(p.y(p50[*d]))))
        .collect();
    // A tick at the first day of every third month (every month on a short horizon).
    let last = today.plus_days(days as i64);
    let every = if days > 400 { 3 } else { 1 };
    let mut months = Vec::new();
    let mut m = Month::of(today).plus(1);
    while m.first_day() < last {
        if (m.month - 1).is_multiple_of(every) {
            let d = m.first_day().days_since_epoch() - today.days_since_epoch();
            months.push((d as f64, m));
        }
        m = m.plus(1);
    }
    let (peak_day, peak) = p50[..days]
        .iter()
        .copied()
        .enumerate()
        .fold((0, f64::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
    let desc = format!(
        "A forecast of exposure over {days} days from {}: nine runs in ten lie in the band from P5 to P95; the median run (P50) is highest on {} at {}; the P95 reaches {} at most; the cap is {}.",
        today.words(),
        today.plus_days(peak_day as i64).words(),
        dollars(peak.max(0.0)),
        dollars(p95[..days].iter().copied().fold(f64::MIN, f64::max)),
        dollars(cap)
    );
    let body = html! {
        (p.grid(&y_ticks, "exposure (US dollars)"))
        g.fan-months {
            @for (d, m) in &months {
                line.gantt-tick x1=(px(x(*d))) x2=(px(x(*d))) y1=(px(p.y0)) y2=(px(p.y0 + 4.0)) {}
                text.gantt-tick-label x=(px(x(*d))) y=(px(p.y0 + 16.0)) text-anchor="middle" font-size=(FONT) { (m.short()) }
                @if m.month <= every {
                    text.gantt-axis-label x=(px(x(*d))) y=(px(p.y0 + 30.0)) text-anchor="middle" font-size=(FONT) { (m.year) }
                }
            }
        }
        polygon.fan-band points=(band.join(" ")) {
            title { "P5 to P95 of the runs" }
        }
        polyline.fan-p50 points=(median.join(" ")) {
            title { "P50 (the median run)" }
        }
        (p.level("cap-line", cap, &format!("cap {}", short_dollars(cap))))
        g.fan-legend {
            rect.fan-band x=(px(p.x0 + 8.0)) y=(px(6.0)) width="14" height="10" {}
            text x=(px(p.x0 + 26.0)) y=(px(15.0)) font-size=(FONT) { "P5–P95" }
            line.fan-p50 x1=(px(p.x0 + 90.0)) x2=(px(p.x0 + 110.0)) y1=(px(11.0)) y2=(px(11.0)) {}
            text x=(px(p.x0 + 114.0)) y=(px(15.0)) font-size=(FONT) { "P50" }
        }
    };
    frame("cashflow-fan", "Exposure by day (forecast)", &desc, body)
}

/// How many runs' peaks fall in each of `n` equal bins from `lo` to `hi`.
fn bins(peaks: &[f64], lo: f64, hi: f64, n: usize) -> Vec<usize> {
    let mut out = vec![0; n];
    let width = (hi - lo) / n as f64;
    for v in peaks {
        let i = if width <= 0.0 {
            0
        } else {
            (((v - lo) / width).floor() as usize).min(n - 1)
        };
        out[i] += 1;
    }
    out
}

/// The distribution of the runs' peaks: a histogram, P50 and P95 marked, the cap as a line.
pub fn peaks(peaks: &[f64], p50: f64, p95: f64, cap: f64) -> Markup {
    const N: usize = 30;
    let lo = peaks.iter().copied().fold(f64::MAX, f64::min).min(cap);
    let hi = peaks.iter().copied().fold(f64::MIN, f64::max).max(cap);
    let (lo, hi) = if peaks.is_empty() {
        (0.0, cap.max(1.0))
    } else if hi - lo < 1.0 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let counts = bins(peaks, lo, hi, N);
    let most = counts.iter().copied().max().unwrap_or(0);
    // A count axis: reuse the dollar plot's geometry with plain numbers.
    let raw = (most.max(1) as f64) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(power * 10.0)
        .max(1.0);
    let top = ((most.max(1) as f64) / step).ceil() * step;
    let y_ticks: Vec<f64> = (0..=((top / step) as usize))
        .map(|i| i as f64 * step)
        .collect();
    let label = y_ticks
        .iter()
        .map(|t| text_width(&format!("{t}"), FONT, false))
        .fold(0.0, f64::max);
    let (x0, x1, y0, y1) = (label + 40.0, W - RIGHT, H - BOTTOM, TOP + 14.0);
    let y = |v: f64| y0 - (y0 - y1) * v / top;
    let x = |v: f64| x0 + (x1 - x0) * (v - lo) / (hi - lo);
    let width = (hi - lo) / N as f64;
    let x_ticks = ticks(lo.max(0.0), hi)
        .into_iter()
        .filter(|t| *t >= lo && *t <= hi)
        .collect::<Vec<_>>();
    let over = peaks.iter().filter(|p| **p > cap).count();
    let desc = format!(
        "The highest exposure of each of {} runs: median (P50) {}, P95 {}; {} of the runs peak above the cap of {}.",
        peaks.len(),
        dollars(p50),
        dollars(p95),
        over,
        dollars(cap)
    );
    let marker = |class: &str, text: String, v: f64, row: f64| {
        let at = x(v);
        let anchor = if at > x1 - 120.0 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        html! {
            g class={ "gantt-marker " (class) } {
                line x1=(px(at)) x2=(px(at)) y1=(px(y1 - 12.0)) y2=(px(y0)) {}
                text x=(px(at + dx)) y=(px(y1 - 2.0 + row)) text-anchor=(anchor) font-size=(FONT) { (text) }
            }
        }
    };
    let body = html! {
        g.figure-grid {
            @for t in &y_ticks {
                line.gantt-tick x1=(px(x0)) x2=(px(x1)) y1=(px(y(*t))) y2=(px(y(*t))) {}
                text.gantt-tick-label x=(px(x0 - 6.0)) y=(px(y(*t) + 4.0)) text-anchor="end" font-size=(FONT) { (t) }
            }
            line.gantt-axis x1=(px(x0)) x2=(px(x1)) y1=(px(y0)) y2=(px(y0)) {}
            text.gantt-axis-label x=(px(12.0)) y=(px((y0 + y1) / 2.0)) text-anchor="middle" font-size=(FONT)
                transform={ "rotate(-90 12 " (px((y0 + y1) / 2.0)) ")" } { "runs" }
            @for t in &x_ticks {
                text.gantt-tick-label x=(px(x(*t))) y=(px(y0 + 16.0)) text-anchor="middle" font-size=(FONT) { (short_dollars(*t)) }
            }
            text.gantt-axis-label x=(px(x1)) y=(px(y0 + 34.0)) text-anchor="end" font-size=(FONT) { "the run's peak exposure (US dollars)" }
        }
        g.figure-bars {
            @for (i, n) in counts.iter().enumerate() {
                @let from = lo + width * i as f64;
                @let (bx0, bx1) = (x(from) + 0.5, x(from + width) - 0.5);
                @if *n > 0 {
                    rect.figure-bar x=(px(bx0)) y=(px(y(*n as f64))) width=(px((bx1 - bx0).max(1.0))) height=(px(y0 - y(*n as f64))) {
                        title { (n) " runs peak between " (dollars(from)) " and " (dollars(from + width)) }
                    }
                }
            }
        }
        (marker("p50", format!("P50 {}", short_dollars(p50)), p50, 0.0))
        (marker("p90", format!("P95 {}", short_dollars(p95)), p95, 14.0))
        g.cap-line {
            line x1=(px(x(cap))) x2=(px(x(cap))) y1=(px(y1 - 12.0)) y2=(px(y0)) {}
            text x=(px(x(cap) + if x(cap) > x1 - 120.0 { -4.0 } else { 4.0 })) y=(px(y1 + 26.0))
                text-anchor=(if x(cap) > x1 - 120.0 { "end" } else { "start" }) font-size=(FONT) { "cap " (short_dollars(cap)) }
        }
    };
    frame("cashflow-peaks", "Peak exposure across runs", &desc, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_read_as_people_write_them() {
        assert_eq!(dollars(475_000.0), "$475,000");
        assert_eq!(dollars(-1_250_000.4), "−$1,250,000");
        assert_eq!(dollars(0.2), "$0");
        assert_eq!(short_dollars(1_500_000.0), "$1.5M");
        assert_eq!(short_dollars(2_000_000.0), "$2M");
        assert_eq!(short_dollars(-500_000.0), "−$500k");
    }

    #[test]
    fn ticks_cover_the_range_and_hold_zero() {
        let t = ticks(-120_000.0, 6_300_000.0);
        assert!(t.contains(&0.0));
        assert!(
            t[0] <= -120_000.0 && *t.last().unwrap() >= 6_300_000.0,
            "{t:?}"
        );
        assert!(t.len() <= 9, "{t:?}");
    }

    #[test]
    fn the_fan_has_its_band_median_cap_and_dates() {
        let today = Date::parse("2026-12-07").unwrap();
        let n = 730;
        let p50: Vec<f64> = (0..n).map(|d| d as f64 * 5_000.0).collect();
        let p5: Vec<f64> = p50.iter().map(|v| v * 0.5).collect();
        let p95: Vec<f64> = p50.iter().map(|v| v * 1.5).collect();
        let svg = fan(&today, &p5, &p50, &p95, 4_000_000.0).into_string();
        assert_eq!(svg.matches("<polygon").count(), 1, "{svg}");
        assert!(svg.contains("class=\"fan-p50\""), "{svg}");
        assert!(svg.contains("cap $4M"), "{svg}");
        // Dates along the bottom, not day numbers: every third month, the year under January.
        assert!(
            svg.contains(">Jan<") && svg.contains(">2027<") && svg.contains(">2028<"),
            "{svg}"
        );
        assert!(svg.contains("A forecast of exposure over 730 days from 7 December 2026"));
        // The median's highest day, in words.
        assert!(
            svg.contains("highest on 5 December 2028 at $3,645,000"),
            "{svg}"
        );
    }

    #[test]
    fn the_peaks_histogram_counts_every_run_and_marks_p50_p95_and_the_cap() {
        let peaks_: Vec<f64> = (0..100)
            .map(|i| 1_000_000.0 + i as f64 * 10_000.0)
            .collect();
        let svg = peaks(&peaks_, 1_495_000.0, 1_940_000.0, 1_900_000.0).into_string();
        let counted: usize = svg
            .match_indices("<title>")
            .filter_map(|(i, _)| {
                svg[i + 7..]
                    .split(" runs peak")
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert_eq!(counted, 100, "{svg}");
        assert!(
            svg.contains("P50 $1.5M") && svg.contains("P95 $1.9M"),
            "{svg}"
        );
        assert!(
            svg.contains("9 of the runs peak above the cap of $1,900,000"),
            "{svg}"
        );
    }
}
