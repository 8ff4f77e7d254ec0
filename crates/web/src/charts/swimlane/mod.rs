//! A process map as a swimlane diagram (inline SVG) that a pharmacy director reads at a glance:
//! one lane per stage, side by side as columns in process order and named at the top, one box
//! per step, and arrows from each step down to the steps that come after it. The process runs
//! down the page: a step sits in the first row below every step it comes after, steps of
//! different lanes share rows, and two steps of one lane that would share a row stack instead.
//! Eight lanes fit the width of a laptop's content column, so a reader sees every stage at once
//! and scrolls down the page, as on any web page; the lane names stick to the top meanwhile.
//! Arrows are routed around boxes, only ever down, left or right (`super::route`).
//! The geometry is computed first ([`Layout`]: pure, and tested for what a reader relies on —
//! every arrow points down, no box overlaps another, no arrow crosses a box), then drawn.
//! SVG text does not wrap, so names are wrapped here (`super::text`) with the advance widths of
//! DejaVu Sans, the widest of the fonts `system-ui` falls back to, so text fits everywhere.

use cellpath_domain::process_map::ScanBurden;
use draw::barcode;
use maud::{Markup, html};
use std::collections::BTreeMap;

mod draw;
mod layout;
#[cfg(test)]
pub(crate) mod tests;

pub(super) use draw::lock;
pub use draw::swimlane;

/// What a site has said about each step of a map (DESIGN.md §4.1, refinement), drawn on top of
/// the map: who owns the step locally, where it happens and in which system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteOverlay {
    pub site_name: String,
    /// By step key; keys the map does not have are ignored.
    pub steps: BTreeMap<String, StepOverlay>,
    /// Where a patient's case stands on each step (a case's page); empty for a map.
    pub progress: BTreeMap<String, Progress>,
}

/// Where a case stands on a step: done, open now, or waiting for steps before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Done,
    Current,
    Waiting,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::Done => "done",
            Progress::Current => "current",
            Progress::Waiting => "waiting",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOverlay {
    /// The local owner in the site's words, e.g. "BMT nurse coordinator".
    pub owner_role: Option<String>,
    /// Where the step happens at the site; shown instead of the map's location.
    pub location: Option<String>,
    /// The system the site records the step in, e.g. "Epic Beacon".
    pub system: Option<String>,
    pub notes: Option<String>,
    /// Changed in this site version against the one before, so a new version's changes show.
    pub changed: bool,
}

impl StepOverlay {
    fn text(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }
}

/// "6 scans per case at 4 locations": how much scanning a map asks of people (DESIGN.md §4.1).
pub fn scan_burden_badge(burden: &ScanBurden) -> Markup {
    let scans = burden.scans_per_case;
    let places = burden.distinct_locations;
    let text = match (scans, places) {
        (0, _) => "No scans per case".to_string(),
        (_, 0) => format!("{scans} {} per case", plural(scans, "scan", "scans")),
        _ => format!(
            "{scans} {} per case at {places} {}",
            plural(scans, "scan", "scans"),
            plural(places, "location", "locations")
        ),
    };
    html! {
        span.badge.badge-info.scan-burden data-scans=(scans) data-locations=(places) {
            svg.scan-burden-icon width="14" height="10" viewBox="0 0 14 10" aria-hidden="true" {
                (barcode(0, 0, 10))
            }
            " " (text)
        }
    }
}

fn plural(n: impl Into<u64>, one: &'static str, many: &'static str) -> &'static str {
    let n: u64 = n.into();
    if n == 1 { one } else { many }
}
