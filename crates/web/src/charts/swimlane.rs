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

use super::route::{Rect, Router};
use super::text::{text_width, wrap, wrap_lines};
use super::{kind_label, recorded_label, recorded_sentence, stage_label};
use crate::labels;
use cellpath_domain::process_map::{RecordedIn, ScanBurden, Stage, Step, StepKind, ValidMap};
use maud::{Markup, html};
use std::collections::{BTreeMap, BTreeSet};

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

// ---------- geometry (px, at the natural size; CSS scales it down to fit if need be) ----------

/// A lane: a box and the channel beside it, where arrows run down past other boxes. Eight
/// lanes and the margins make 1,014 px, the content column on a laptop.
const LANE_W: i32 = 126;
const BOX_W: i32 = 116;
/// Left and right of the lanes, so the outer lanes have a channel outside them too.
const SIDE: i32 = 3;
/// The lane names across the top.
const HEADER_H: i32 = 46;
/// Between the header and the first row.
const TOP_GAP: i32 = 20;
/// Between two rows: room for arrows to run across (three tracks, 5 px apart).
const ROW_GAP: i32 = 30;
const BOTTOM_PAD: i32 = 18;
/// The controlled bar along a box's left edge.
const BAR_W: i32 = 5;
const PAD_LEFT: i32 = 9;
const PAD_RIGHT: i32 = 5;
const TEXT_W: i32 = BOX_W - PAD_LEFT - PAD_RIGHT;
/// The padlock in a controlled box's top right corner: the name's first line stops short of it.
const LOCK_W: i32 = 14;
const PAD_TOP: i32 = 7;
const NAME_SIZE: f64 = 12.0;
const NAME_LH: i32 = 15;
const MAX_NAME_LINES: usize = 4;
/// Between the name and the lines under it, and between those and the chips.
const NAME_GAP: i32 = 3;
const CHIPS_GAP: i32 = 5;
const DETAIL_SIZE: f64 = 12.0;
const DETAIL_LH: i32 = 14;
const SMALL_SIZE: f64 = 11.0;
/// The chips along a box's bottom: where it is recorded, "Scan", "Changed".
const CHIP_H: i32 = 18;
const CHIP_GAP: i32 = 4;
const PAD_BOTTOM: i32 = 6;
const CORNER: i32 = 7;

/// Everything the drawing needs, computed from the map.
struct Layout<'m> {
    width: i32,
    height: i32,
    /// In process order, left to right.
    lanes: Vec<Lane>,
    /// In `ValidMap::steps()` order.
    boxes: Vec<StepBox<'m>>,
    arrows: Vec<Arrow>,
}

struct Lane {
    stage: Stage,
    /// The lane's left edge; it is [`LANE_W`] wide.
    x: i32,
    steps: usize,
}

struct StepBox<'m> {
    step: &'m Step,
    overlay: Option<&'m StepOverlay>,
    lane: usize,
    row: usize,
    x: i32,
    y: i32,
    /// The height of its row, so a row reads evenly.
    height: i32,
    name: Vec<String>,
    details: Vec<Line>,
    chips: Vec<Chip>,
}

impl StepBox<'_> {
    fn right(&self) -> i32 {
        self.x + BOX_W
    }
    fn bottom(&self) -> i32 {
        self.y + self.height
    }
    fn changed(&self) -> bool {
        self.overlay.is_some_and(|o| o.changed)
    }
    fn rect(&self) -> Rect {
        Rect {
            x0: self.x,
            y0: self.y,
            x1: self.right(),
            y1: self.bottom(),
        }
    }
    fn chip_lines(&self) -> i32 {
        self.chips.iter().map(|c| c.line + 1).max().unwrap_or(0)
    }
    /// What the box needs: name, details, then the chips.
    fn content_height(&self) -> i32 {
        let lines = self.chip_lines();
        PAD_TOP
            + NAME_LH * self.name.len() as i32
            + NAME_GAP
            + DETAIL_LH * self.details.len() as i32
            + CHIPS_GAP
            + lines * CHIP_H
            + (lines - 1).max(0) * CHIP_GAP
            + PAD_BOTTOM
    }
    /// The top of the chips, which sit at the bottom of the box.
    fn chips_top(&self) -> i32 {
        let lines = self.chip_lines();
        self.height - PAD_BOTTOM - lines * CHIP_H - (lines - 1).max(0) * CHIP_GAP
    }
}

struct Line {
    text: String,
    class: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChipKind {
    Recorded,
    Scan,
    Changed,
}

/// A chip, placed from the box's left edge on a line of chips (0 = the first).
struct Chip {
    kind: ChipKind,
    x: i32,
    line: i32,
    width: i32,
}

struct Arrow {
    from: usize,
    to: usize,
    /// A hold point's release: from its `hold_until` step, drawn dashed.
    hold: bool,
    points: Vec<(i32, i32)>,
}

impl<'m> Layout<'m> {
    fn new(map: &'m ValidMap, overlay: Option<&'m SiteOverlay>) -> Layout<'m> {
        let steps: Vec<&Step> = map.steps().collect();
        let index: BTreeMap<&str, usize> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i))
            .collect();
        let preds = |s: &'m Step| {
            s.after
                .iter()
                .map(String::as_str)
                .chain(s.params.hold_until.as_deref())
        };

        // A lane per stage that has steps, in process order.
        let stages: BTreeSet<Stage> = steps.iter().map(|s| s.stage).collect();
        let lanes: Vec<Lane> = stages
            .iter()
            .enumerate()
            .map(|(i, &stage)| Lane {
                stage,
                x: SIDE + LANE_W * i as i32,
                steps: steps.iter().filter(|s| s.stage == stage).count(),
            })
            .collect();
        let lane_of: BTreeMap<Stage, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.stage, i))
            .collect();

        // A step's row is the first below every step it waits for, or the first free one
        // below that in its lane. Steps are placed one by one, each time the one that can go
        // highest; of two that want one row of a lane, the one with the longer way still to go
        // takes it, so the other's shorter way does not have to run past it (the CAR-T map
        // thaws CD4 and CD8 together and gives CD4 first: CD4 goes on top).
        let preds_of: Vec<Vec<usize>> = steps
            .iter()
            .map(|s| preds(s).filter_map(|k| index.get(k).copied()).collect())
            .collect();
        // `steps()` is a topological order that counts holds: going backwards, every step's
        // successors are done before it.
        let mut to_go = vec![0usize; steps.len()];
        for i in (0..steps.len()).rev() {
            for &p in &preds_of[i] {
                to_go[p] = to_go[p].max(to_go[i] + 1);
            }
        }
        let mut row = vec![usize::MAX; steps.len()];
        let mut taken: BTreeSet<(usize, usize)> = BTreeSet::new();
        for _ in 0..steps.len() {
            let wanted = |i: usize| {
                preds_of[i]
                    .iter()
                    .map(|&p| row[p].checked_add(1))
                    .try_fold(0, |most, r| r.map(|r| most.max(r)))
            };
            let free = |i: usize, mut r: usize| {
                let lane = lane_of[&steps[i].stage];
                while taken.contains(&(lane, r)) {
                    r += 1;
                }
                r
            };
            let (r, i) = (0..steps.len())
                .filter(|&i| row[i] == usize::MAX)
                .filter_map(|i| wanted(i).map(|r| (free(i, r), i)))
                .min_by_key(|&(r, i)| (r, std::cmp::Reverse(to_go[i]), i))
                .expect("a topological order always has a step ready");
            taken.insert((lane_of[&steps[i].stage], r));
            row[i] = r;
        }
        let rows = row.iter().max().map_or(0, |r| r + 1);

        let mut boxes: Vec<StepBox<'m>> = steps
            .iter()
            .zip(&row)
            .map(|(&step, &row)| {
                let overlay = overlay.and_then(|o| o.steps.get(&step.key));
                let hold_name = step
                    .params
                    .hold_until
                    .as_deref()
                    .map(|k| map.step(k).map_or(k, |s| s.name.as_str()));
                let lane = lane_of[&step.stage];
                let first_line = if step.controlled {
                    TEXT_W - LOCK_W
                } else {
                    TEXT_W
                };
                StepBox {
                    step,
                    overlay,
                    lane,
                    row,
                    x: lanes[lane].x + (LANE_W - BOX_W) / 2,
                    y: 0,
                    height: 0,
                    name: wrap_lines(
                        &step.name,
                        &|i| if i == 0 { first_line } else { TEXT_W },
                        NAME_SIZE,
                        true,
                        MAX_NAME_LINES,
                    ),
                    details: details(step, overlay, hold_name),
                    chips: chips(step, overlay.is_some_and(|o| o.changed)),
                }
            })
            .collect();

        // Each row as tall as its fullest box; the boxes of a row share its top and bottom, so
        // the gaps between rows are clear across the whole diagram.
        let mut row_height = vec![0; rows];
        for b in &boxes {
            row_height[b.row] = row_height[b.row].max(b.content_height());
        }
        let mut row_y = Vec::with_capacity(rows);
        let mut y = HEADER_H + TOP_GAP;
        for &h in &row_height {
            row_y.push(y);
            y += h + ROW_GAP;
        }
        let height = y - ROW_GAP + BOTTOM_PAD;
        for b in &mut boxes {
            b.y = row_y[b.row];
            b.height = row_height[b.row];
        }
        let width = 2 * SIDE + LANE_W * lanes.len() as i32;

        let mut edges = Vec::new();
        for (to, s) in steps.iter().enumerate() {
            let after = s.after.iter().map(|k| (k, false));
            let hold = s.params.hold_until.iter().map(|k| (k, true));
            for (key, hold) in after.chain(hold) {
                if let Some(&from) = index.get(key.as_str()) {
                    edges.push((from, to, hold));
                }
            }
        }
        // Short arrows first, so a step's arrow to the step right below it runs straight and
        // longer ones go around.
        let mut order: Vec<usize> = (0..edges.len()).collect();
        order.sort_by_key(|&e| {
            let (f, t, _) = edges[e];
            let (f, t) = (&boxes[f], &boxes[t]);
            (t.row - f.row, f.lane.abs_diff(t.lane), e)
        });
        let rects: Vec<Rect> = boxes.iter().map(StepBox::rect).collect();
        let channels: Vec<i32> = (0..=lanes.len())
            .map(|i| SIDE + LANE_W * i as i32)
            .collect();
        let gaps: Vec<i32> = (1..rows)
            .map(|r| (row_y[r - 1] + row_height[r - 1] + row_y[r]) / 2)
            .collect();
        let router = Router::new(&rects, &channels, &gaps);
        let pairs: Vec<(usize, usize)> = order.iter().map(|&e| (edges[e].0, edges[e].1)).collect();
        let mut paths: Vec<Vec<(i32, i32)>> = vec![Vec::new(); edges.len()];
        for (&e, path) in order.iter().zip(router.route_all(&pairs)) {
            paths[e] = path;
        }
        let arrows = edges
            .into_iter()
            .zip(paths)
            .map(|((from, to, hold), points)| Arrow {
                from,
                to,
                hold,
                points,
            })
            .collect();
        Layout {
            width,
            height,
            lanes,
            boxes,
            arrows,
        }
    }
}

/// The lines under a step's name: role, then what the site says, then the hold. A line too long
/// for the box wraps, at most once (twice for the hold), then ends with "…" (the tooltip has
/// everything).
fn details(step: &Step, overlay: Option<&StepOverlay>, hold_until: Option<&str>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |text: String, class: &'static str| {
        let bold = class == "step-role" || class == "step-hold";
        // What a hold waits for matters more than a long location: it may take a third line.
        let max = if class == "step-hold" { 3 } else { 2 };
        for text in wrap(&text, TEXT_W, DETAIL_SIZE, bold, max) {
            lines.push(Line { text, class });
        }
    };
    let role = labels::role(step.role.as_str());
    if step.optional {
        push(format!("{role} · optional"), "step-role");
    } else {
        push(role.to_string(), "step-role");
    }
    if let Some(owner) = overlay.and_then(|o| StepOverlay::text(&o.owner_role)) {
        push(format!("Owner: {owner}"), "step-owner");
    }
    let location = overlay
        .and_then(|o| StepOverlay::text(&o.location))
        .or_else(|| {
            step.params
                .location
                .as_deref()
                .filter(|l| !l.trim().is_empty())
        });
    if let Some(location) = location {
        push(format!("At {location}"), "step-location");
    }
    if let Some(system) = overlay.and_then(|o| StepOverlay::text(&o.system)) {
        push(format!("System: {system}"), "step-system");
    }
    if let Some(hold) = hold_until {
        push(format!("Held until {hold}"), "step-hold");
    }
    lines
}

/// The chips along the bottom of a box, on as many lines as they need: where the step is
/// recorded, whether someone scans there, whether this site version changed it.
fn chips(step: &Step, changed: bool) -> Vec<Chip> {
    let mut kinds = vec![ChipKind::Recorded];
    if step.params.scan {
        kinds.push(ChipKind::Scan);
    }
    if changed {
        kinds.push(ChipKind::Changed);
    }
    let mut out = Vec::new();
    let (mut x, mut line) = (PAD_LEFT, 0);
    for kind in kinds {
        let width = chip_width(kind, step.recorded_in);
        if x > PAD_LEFT && x + width > BOX_W - PAD_RIGHT {
            x = PAD_LEFT;
            line += 1;
        }
        out.push(Chip {
            kind,
            x,
            line,
            width,
        });
        x += width + CHIP_GAP;
    }
    out
}

/// Where a chip's words start: after the barcode on a "Scan" chip.
const CHIP_PAD: i32 = 6;
const BARCODE_W: i32 = 13;

fn chip_width(kind: ChipKind, recorded: RecordedIn) -> i32 {
    let words = |text: &str| text_width(text, SMALL_SIZE, true).ceil() as i32;
    match kind {
        ChipKind::Recorded => words(recorded_label(recorded)) + 2 * CHIP_PAD,
        ChipKind::Scan => CHIP_PAD + BARCODE_W + 3 + words("Scan") + CHIP_PAD,
        ChipKind::Changed => words("Changed") + 2 * CHIP_PAD,
    }
}

// ---------- drawing ----------

/// The swimlane of a map; with an overlay, what the site says about each step is drawn on it
/// and the steps it changed in this version are outlined.
pub fn swimlane(map: &ValidMap, overlay: Option<&SiteOverlay>) -> Markup {
    let layout = Layout::new(map, overlay);
    let id = diagram_id(map, overlay);
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let arrow_id = format!("{id}-arrowhead");
    let hold_arrow_id = format!("{id}-hold-arrowhead");
    let title = match overlay {
        Some(o) => format!(
            "Process map as refined at {}: {} steps from {} to {}",
            o.site_name,
            layout.boxes.len(),
            map.start().name,
            map.end().name
        ),
        None => format!(
            "Process map: {} steps from {} to {}",
            layout.boxes.len(),
            map.start().name,
            map.end().name
        ),
    };
    let present = Present::of(&layout, overlay.is_some());
    let (w, h) = (layout.width, layout.height);
    html! {
        div.swimlane data-steps=(layout.boxes.len()) data-lanes=(layout.lanes.len()) {
            (summary(&layout))
            div.swimlane-scroll tabindex="0" role="region" aria-label="Process map diagram" {
                svg.swimlane-svg role="img" aria-labelledby=(title_id) aria-describedby=(desc_id)
                    width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) }
                    preserveAspectRatio="xMinYMin meet" {
                    title id=(title_id) { (title) }
                    desc id=(desc_id) { (describe(&layout, map, overlay)) }
                    defs {
                        (arrowhead(&arrow_id, "arrowhead"))
                        (arrowhead(&hold_arrow_id, "arrowhead hold-arrowhead"))
                    }
                    g.lanes {
                        @for (i, lane) in layout.lanes.iter().enumerate() {
                            @let (x0, x1) = lane_band(&layout, i);
                            g.lane data-stage=(lane.stage.as_str()) {
                                rect class={ "lane-bg " (if i % 2 == 0 { "lane-even" } else { "lane-odd" }) }
                                    x=(x0) y="0" width=(x1 - x0) height=(h) {}
                                (lane_header(&layout, i))
                                @if i > 0 {
                                    line.lane-rule x1=(lane.x) x2=(lane.x) y1="0" y2=(h) {}
                                }
                            }
                        }
                        line.header-rule x1="0" x2=(w) y1=(HEADER_H) y2=(HEADER_H) {}
                    }
                    // Under the arrows, so an arrow's head shows on top of the outline.
                    g.rings {
                        @for b in layout.boxes.iter().filter(|b| b.changed()) {
                            rect.changed-ring x=(b.x - 4) y=(b.y - 4) width=(BOX_W + 8)
                                height=(b.height + 8) rx="9" {}
                        }
                    }
                    g.arrows {
                        @for a in &layout.arrows {
                            @let from = &layout.boxes[a.from].step.key;
                            @let to = &layout.boxes[a.to].step.key;
                            @if a.hold {
                                path.hold-arrow data-from=(from) data-to=(to) d=(path_d(&a.points))
                                    marker-end={ "url(#" (hold_arrow_id) ")" } {}
                            } @else {
                                path.arrow data-from=(from) data-to=(to) d=(path_d(&a.points))
                                    marker-end={ "url(#" (arrow_id) ")" } {}
                            }
                        }
                    }
                    g.boxes {
                        @for b in &layout.boxes {
                            (step_box(b, map, overlay))
                        }
                    }
                }
                (pinned_header(&layout))
            }
            (legend(&present))
        }
    }
}

/// The stretch a lane's background covers: the outer lanes take the margins too.
fn lane_band(layout: &Layout, i: usize) -> (i32, i32) {
    let lane = &layout.lanes[i];
    let x0 = if i == 0 { 0 } else { lane.x };
    let x1 = if i + 1 == layout.lanes.len() {
        layout.width
    } else {
        lane.x + LANE_W
    };
    (x0, x1)
}

/// The map in one line of counts, above the diagram: what a reader takes in before scrolling.
fn summary(layout: &Layout) -> Markup {
    let count = |f: &dyn Fn(&StepBox) -> bool| layout.boxes.iter().filter(|b| f(b)).count() as u64;
    let steps = layout.boxes.len() as u64;
    let stages = layout.lanes.len() as u64;
    let facts = [
        (
            "summary-controlled",
            count(&|b| b.step.controlled),
            "controlled by the manufacturer",
            "controlled by the manufacturer",
        ),
        (
            "summary-scan",
            count(&|b| b.step.params.scan),
            "scan checkpoint",
            "scan checkpoints",
        ),
        (
            "summary-hold",
            count(&|b| b.step.params.hold_until.is_some()),
            "hold point",
            "hold points",
        ),
        (
            "summary-ehr",
            count(&|b| b.step.recorded_in == RecordedIn::Ehr),
            "charted in the EHR",
            "charted in the EHR",
        ),
        (
            "summary-optional",
            count(&|b| b.step.optional),
            "optional",
            "optional",
        ),
        (
            "summary-changed",
            count(&|b| b.changed()),
            "changed in this version",
            "changed in this version",
        ),
    ];
    html! {
        p.swimlane-summary {
            span {
                strong { (steps) } " " (plural(steps, "step", "steps")) " in "
                strong { (stages) } " " (plural(stages, "stage", "stages"))
            }
            @for (class, n, one, many) in facts {
                @if n > 0 {
                    span class=(class) { strong { (n) } " " (plural(n, one, many)) }
                }
            }
        }
    }
}

/// Which marks a diagram uses, so its legend explains those and no others.
struct Present {
    controlled: bool,
    scan: bool,
    hold: bool,
    optional: bool,
    ehr: bool,
    overlay: bool,
    changed: bool,
}

impl Present {
    fn of(layout: &Layout, overlay: bool) -> Present {
        let any = |f: &dyn Fn(&StepBox) -> bool| layout.boxes.iter().any(f);
        Present {
            controlled: any(&|b| b.step.controlled),
            scan: any(&|b| b.step.params.scan),
            hold: any(&|b| b.step.params.hold_until.is_some()),
            optional: any(&|b| b.step.optional),
            ehr: any(&|b| b.step.recorded_in == RecordedIn::Ehr),
            overlay,
            changed: any(&|b| b.changed()),
        }
    }
}

/// Ids must be unique on a page that shows several diagrams, and stable so that a page renders
/// the same way twice: a hash of what is drawn.
fn diagram_id(map: &ValidMap, overlay: Option<&SiteOverlay>) -> String {
    let map_json = serde_json::to_string(map.as_map()).unwrap_or_default();
    let text = format!("{map_json}{overlay:?}");
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("swimlane-{:08x}", hash >> 32)
}

fn arrowhead(id: &str, class: &str) -> Markup {
    html! {
        marker id=(id) class=(class) viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
            markerHeight="7" markerUnits="userSpaceOnUse" orient="auto" {
            path d="M0 0.5 L10 5 L0 9.5 Z" {}
        }
    }
}

/// A lane's name and step count, at the top of its column.
fn lane_header(layout: &Layout, i: usize) -> Markup {
    let lane = &layout.lanes[i];
    let (x0, x1) = lane_band(layout, i);
    let middle = lane.x + LANE_W / 2;
    let count = match lane.steps {
        1 => "1 step".to_string(),
        n => format!("{n} steps"),
    };
    html! {
        rect.lane-label-bg x=(x0) y="0" width=(x1 - x0) height=(HEADER_H) {}
        text.lane-label x=(middle) y="20" text-anchor="middle" font-size="13" { (stage_label(lane.stage)) }
        text.lane-count x=(middle) y="37" text-anchor="middle" font-size="12" { (count) }
    }
}

/// The lane names again, in a strip that sticks to the top of the window while the reader
/// scrolls down a long map, so a step far down still shows its stage. Hidden from assistive
/// technology: the diagram's own title and description already name every stage.
fn pinned_header(layout: &Layout) -> Markup {
    let w = layout.width;
    html! {
        svg.swimlane-pin aria-hidden="true" focusable="false" width=(w) height=(HEADER_H)
            viewBox={ "0 0 " (w) " " (HEADER_H) } preserveAspectRatio="xMinYMin meet" {
            @for (i, lane) in layout.lanes.iter().enumerate() {
                (lane_header(layout, i))
                @if i > 0 {
                    line.lane-rule x1=(lane.x) x2=(lane.x) y1="0" y2=(HEADER_H) {}
                }
            }
            line.header-rule x1="0" x2=(w) y1=(HEADER_H - 1) y2=(HEADER_H - 1) {}
        }
    }
}

fn step_box(b: &StepBox, map: &ValidMap, overlay: Option<&SiteOverlay>) -> Markup {
    let s = b.step;
    let mut class = String::from("step");
    for (on, name) in [
        (s.controlled, " controlled"),
        (s.params.scan, " scan"),
        (
            s.kind == StepKind::HoldPoint || s.params.hold_until.is_some(),
            " hold",
        ),
        (s.optional, " optional"),
        (b.changed(), " changed"),
    ] {
        if on {
            class.push_str(name);
        }
    }
    let progress = overlay.and_then(|o| o.progress.get(&s.key)).copied();
    if let Some(p) = progress {
        class.push(' ');
        class.push_str(p.as_str());
    }
    let h = b.height;
    let details_top = PAD_TOP + NAME_LH * b.name.len() as i32 + NAME_GAP;
    let chips_top = b.chips_top();
    html! {
        g class=(class) data-step=(s.key) data-progress=[progress.map(Progress::as_str)] transform={ "translate(" (b.x) " " (b.y) ")" } {
            title { (tooltip(s, b.overlay, map, overlay)) }
            rect.step-box width=(BOX_W) height=(h) rx="6" {}
            @if s.controlled {
                path.controlled-bar d={
                    "M" (BAR_W) " 0 V" (h) " H6 Q0 " (h) " 0 " (h - 6) " V6 Q0 0 6 0 Z"
                } {}
                g.controlled-mark { (lock(BOX_W - PAD_RIGHT - 12, PAD_TOP - 1)) }
            }
            @for (i, line) in b.name.iter().enumerate() {
                text.step-name x=(PAD_LEFT) y=(PAD_TOP + NAME_LH * (i as i32 + 1) - 4)
                    font-size=(NAME_SIZE) { (line) }
            }
            @for (i, line) in b.details.iter().enumerate() {
                text class=(line.class) x=(PAD_LEFT) y=(details_top + DETAIL_LH * (i as i32 + 1) - 3)
                    font-size=(DETAIL_SIZE) { (line.text) }
            }
            @for chip in &b.chips {
                @let y = chips_top + chip.line * (CHIP_H + CHIP_GAP);
                (chip_mark(chip, s.recorded_in, chip.x, y))
            }
        }
    }
}

/// A chip at (x, y): where the step is recorded, "Scan" with a barcode, or "Changed".
fn chip_mark(chip: &Chip, recorded: RecordedIn, x: i32, y: i32) -> Markup {
    let w = chip.width;
    let at = format!("translate({x} {y})");
    html! {
        @match chip.kind {
            ChipKind::Recorded => {
                g class={ "recorded recorded-" (recorded.as_str()) } transform=(at) {
                    rect width=(w) height=(CHIP_H) rx="9" {}
                    text x=(w / 2) y="13" text-anchor="middle" font-size=(SMALL_SIZE) { (recorded_label(recorded)) }
                }
            }
            ChipKind::Scan => {
                g.scan-badge transform=(at) {
                    rect width=(w) height=(CHIP_H) rx="9" {}
                    (barcode(CHIP_PAD, 5, 8))
                    text x=(CHIP_PAD + BARCODE_W + 3) y="13" font-size=(SMALL_SIZE) { "Scan" }
                }
            }
            ChipKind::Changed => {
                g.changed-tag transform=(at) {
                    rect width=(w) height=(CHIP_H) rx="9" {}
                    text x=(w / 2) y="13" text-anchor="middle" font-size=(SMALL_SIZE) { "Changed" }
                }
            }
        }
    }
}

/// A padlock: the manufacturer's label or quality agreement governs the step.
pub(super) fn lock(x: i32, y: i32) -> Markup {
    html! {
        g.lock transform={ "translate(" (x) " " (y) ")" } {
            path.lock-shackle d="M2.5 6 V4 A3.5 3.5 0 0 1 9.5 4 V6" {}
            rect.lock-body x="0.5" y="5.5" width="11" height="8" rx="1.5" {}
        }
    }
}

/// A barcode: someone scans a label here.
fn barcode(x: i32, y: i32, height: i32) -> Markup {
    let bars = [(0, 1), (2, 2), (5, 1), (7, 1), (9, 2), (12, 1)];
    html! {
        g.barcode transform={ "translate(" (x) " " (y) ")" } {
            @for (bx, w) in bars {
                rect x=(bx) y="0" width=(w) height=(height) {}
            }
        }
    }
}

/// An SVG path through the points, with rounded corners.
fn path_d(points: &[(i32, i32)]) -> String {
    // Drop repeated and collinear points so corners are only where the path turns.
    let mut pts: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for &p in points {
        if pts.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = pts[..]
            && ((a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1))
        {
            pts.pop();
        }
        pts.push(p);
    }
    let Some(&(x0, y0)) = pts.first() else {
        return String::new();
    };
    let mut d = format!("M{x0} {y0}");
    for w in pts.windows(3) {
        let (a, c, b) = (w[0], w[1], w[2]);
        let r = CORNER.min(dist(a, c) / 2).min(dist(c, b) / 2);
        let toward = |p: (i32, i32), q: (i32, i32), r: i32| {
            (
                p.0 + (q.0 - p.0).signum() * r,
                p.1 + (q.1 - p.1).signum() * r,
            )
        };
        let (s, e) = (toward(c, a, r), toward(c, b, r));
        d.push_str(&format!(
            " L{} {} Q{} {} {} {}",
            s.0, s.1, c.0, c.1, e.0, e.1
        ));
    }
    if let Some(&(x, y)) = pts.last().filter(|_| pts.len() > 1) {
        d.push_str(&format!(" L{x} {y}"));
    }
    d
}

fn dist(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs() + (a.1 - b.1).abs()
}

/// Everything about a step, for the tooltip a reader gets by pointing at its box.
fn tooltip(
    s: &Step,
    local: Option<&StepOverlay>,
    map: &ValidMap,
    overlay: Option<&SiteOverlay>,
) -> String {
    let name_of = |k: &str| {
        map.step(k)
            .map_or_else(|| k.to_string(), |s| s.name.clone())
    };
    let p = &s.params;
    let mut lines = vec![
        s.name.clone(),
        format!(
            "{} · {} · {}{}",
            stage_label(s.stage),
            kind_label(s.kind),
            labels::role(s.role.as_str()),
            if s.optional { " · optional" } else { "" }
        ),
        if s.controlled {
            "Controlled: the manufacturer's label or quality agreement governs it".to_string()
        } else {
            "Site-owned".to_string()
        },
        recorded_sentence(s.recorded_in).to_string(),
    ];
    if let Some(location) = &p.location {
        lines.push(format!("Location: {location}"));
    }
    if p.scan {
        lines.push("Scan checkpoint: someone scans the label here".to_string());
    }
    if let Some(hold) = &p.hold_until {
        lines.push(format!("Must not start before: {}", name_of(hold)));
    }
    if !s.after.is_empty() {
        let after: Vec<String> = s.after.iter().map(|k| name_of(k)).collect();
        lines.push(format!("Comes after: {}", after.join("; ")));
    }
    if let Some(unit) = &p.unit {
        let unit = map.context().unit(unit).map_or(unit.as_str(), |u| &u.name);
        lines.push(format!("Product unit: {unit}"));
    }
    if let Some(minutes) = map.thaw_window_minutes(&s.key) {
        lines.push(format!("Window: {minutes} minutes from thaw"));
    }
    if let Some(days) = p.monitoring_days {
        lines.push(format!("Monitoring: {days} days"));
    }
    if !p.fields.is_empty() {
        lines.push(format!("Records: {}", p.fields.join(", ")));
    }
    if !p.signatures.is_empty() {
        let sigs: Vec<String> = p
            .signatures
            .iter()
            .map(|g| format!("{} ({})", labels::role(g.role.as_str()), g.meaning))
            .collect();
        lines.push(format!("Signed by: {}", sigs.join(", ")));
    }
    if !p.follow_up.is_empty() {
        let first = &p.follow_up[0];
        lines.push(format!(
            "Follow-up: {} registry forms, the first ({}) at day {}",
            p.follow_up.len(),
            first.form,
            first.due_days
        ));
    }
    if !p.visits.is_empty() {
        lines.push(format!("Follow-up visits: {}", p.visits.len()));
    }
    if !p.items.is_empty() {
        lines.push(format!("Checklist: {}", p.items.join("; ")));
    }
    if let (Some(site), Some(local)) = (overlay, local) {
        let mut said = Vec::new();
        let fields = [
            ("owner", &local.owner_role),
            ("location", &local.location),
            ("system", &local.system),
            ("notes", &local.notes),
        ];
        for (what, value) in fields {
            if let Some(text) = StepOverlay::text(value) {
                said.push(format!("{what} {text}"));
            }
        }
        if !said.is_empty() {
            lines.push(format!("At {}: {}", site.site_name, said.join("; ")));
        }
        if local.changed {
            lines.push("Changed in this site version".to_string());
        }
    }
    lines.join("\n")
}

/// The diagram in words, for people who cannot see it: each stage's steps in order, then the
/// marks.
fn describe(layout: &Layout, map: &ValidMap, overlay: Option<&SiteOverlay>) -> String {
    let mut text = format!(
        "{} steps in {} stages. Each stage is a column, left to right in process order; \
         steps run from top to bottom in the order they happen.",
        layout.boxes.len(),
        layout.lanes.len()
    );
    for lane in &layout.lanes {
        let names: Vec<String> = layout
            .boxes
            .iter()
            .filter(|b| b.step.stage == lane.stage)
            .map(|b| {
                let role = labels::role(b.step.role.as_str());
                format!("{} ({role})", b.step.name)
            })
            .collect();
        text.push_str(&format!(
            " {}: {}.",
            stage_label(lane.stage),
            names.join(", ")
        ));
    }
    let names = |f: &dyn Fn(&Step) -> bool| -> Vec<&str> {
        layout
            .boxes
            .iter()
            .filter(|b| f(b.step))
            .map(|b| b.step.name.as_str())
            .collect()
    };
    let scans = names(&|s| s.params.scan);
    if !scans.is_empty() {
        text.push_str(&format!(" Scan checkpoints: {}.", scans.join(", ")));
    }
    let controlled = names(&|s| s.controlled).len();
    text.push_str(&format!(
        " {controlled} of {} steps are controlled by the manufacturer.",
        layout.boxes.len()
    ));
    for b in &layout.boxes {
        if let Some(hold) = b.step.params.hold_until.as_deref() {
            let until = map.step(hold).map_or(hold, |s| s.name.as_str());
            text.push_str(&format!(" {} is held until {until}.", b.step.name));
        }
    }
    if let Some(site) = overlay {
        let changed: Vec<&str> = layout
            .boxes
            .iter()
            .filter(|b| b.changed())
            .map(|b| b.step.name.as_str())
            .collect();
        if !changed.is_empty() {
            text.push_str(&format!(
                " Changed in this version at {}: {}.",
                site.site_name,
                changed.join(", ")
            ));
        }
    }
    text
}

fn legend(present: &Present) -> Markup {
    html! {
        ul.swimlane-legend aria-label="Legend" {
            li {
                svg.legend-swatch width="44" height="26" viewBox="-2 -2 44 26" aria-hidden="true" {
                    rect.step-box width="40" height="22" rx="5" {}
                }
                span { "A step: its name, the responsible role, where it happens and where it is recorded" }
            }
            li {
                svg.legend-swatch width="44" height="26" viewBox="0 0 44 26" aria-hidden="true" {
                    path.arrow d="M22 1 V20" {}
                    path.legend-head d="M18.5 18 L22 25 L25.5 18 Z" {}
                }
                span { "Comes after: the process runs down the page; a step starts once every arrow into it is done" }
            }
            @if present.controlled {
                li.step.controlled {
                    svg.legend-swatch width="44" height="26" viewBox="-2 -2 44 26" aria-hidden="true" {
                        rect.step-box width="40" height="22" rx="5" {}
                        path.controlled-bar d="M7 0 V22 H6 Q0 22 0 16 V6 Q0 0 6 0 Z" {}
                        g.controlled-mark { (lock(25, 4)) }
                    }
                    span { "Controlled: the manufacturer's label or quality agreement governs it; the site proposes changes" }
                }
            }
            @if present.scan {
                li.step.scan {
                    svg.legend-swatch width="60" height="26" viewBox="0 -4 60 26" aria-hidden="true" {
                        g.scan-badge {
                            rect width="56" height="18" rx="9" {}
                            (barcode(9, 5, 8))
                            text x="25" y="13" font-size=(SMALL_SIZE) { "Scan" }
                        }
                    }
                    span { "Scan checkpoint: someone scans the label here" }
                }
            }
            @if present.hold {
                li.step.hold {
                    svg.legend-swatch width="44" height="26" viewBox="-2 -2 44 26" aria-hidden="true" {
                        rect.step-box width="40" height="22" rx="5" {}
                    }
                    svg.legend-swatch width="44" height="26" viewBox="0 0 44 26" aria-hidden="true" {
                        path.hold-arrow d="M22 1 V20" {}
                        path.legend-head.hold-head d="M18.5 18 L22 25 L25.5 18 Z" {}
                    }
                    span { "Hold point: must not start before the step its dashed arrow comes from" }
                }
            }
            @if present.optional {
                li.step.optional {
                    svg.legend-swatch width="44" height="26" viewBox="-2 -2 44 26" aria-hidden="true" {
                        rect.step-box width="40" height="22" rx="5" {}
                    }
                    span { "Optional: may be skipped for a case" }
                }
            }
            li {
                svg.legend-swatch width="66" height="26" viewBox="0 -4 66 26" aria-hidden="true" {
                    g.recorded.recorded-cellpath {
                        rect width="62" height="18" rx="9" {}
                        text x="31" y="13" text-anchor="middle" font-size=(SMALL_SIZE) { "cellpath" }
                    }
                }
                @if present.ehr {
                    svg.legend-swatch width="42" height="26" viewBox="0 -4 42 26" aria-hidden="true" {
                        g.recorded.recorded-ehr {
                            rect width="38" height="18" rx="9" {}
                            text x="19" y="13" text-anchor="middle" font-size=(SMALL_SIZE) { "EHR" }
                        }
                    }
                    span { "Where it is recorded: in cellpath, or charted in the EHR with an attestation in cellpath" }
                } @else {
                    span { "Recorded in cellpath" }
                }
            }
            @if present.overlay {
                li {
                    span.legend-words { "Owner · At · System" }
                    span { "What this site says: the local owner, the location and the system it is recorded in" }
                }
            }
            @if present.changed {
                li.step.changed {
                    svg.legend-swatch width="48" height="30" viewBox="-4 -4 48 30" aria-hidden="true" {
                        rect.changed-ring x="-2" y="-2" width="44" height="26" rx="7" {}
                        rect.step-box width="40" height="22" rx="5" {}
                    }
                    span { "Changed in this site version" }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::charts::route;
    use cellpath_domain::process_map::{ProcessMap, scan_burden, seeds, validate};

    fn car_t() -> ValidMap {
        let (map, ctx) = seeds::autologous_car_t();
        validate(&map, &ctx).expect("the CAR-T seed is valid")
    }

    fn in_vivo() -> ValidMap {
        let (map, ctx) = seeds::in_vivo_gene_therapy();
        validate(&map, &ctx).expect("the in vivo seed is valid")
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    /// The diagram alone, without the pinned labels and the legend (which repeat some marks).
    fn diagram(html: &str) -> &str {
        let start = html
            .find("<svg class=\"swimlane-svg\"")
            .expect("the diagram is drawn");
        let end = start + html[start..].find("</svg>").expect("the diagram closes");
        &html[start..end]
    }

    /// A site's refinement as the demo would have it: the cell lab and the inpatient unit
    /// named, two steps changed in the new version.
    pub(crate) fn demo_overlay() -> SiteOverlay {
        let mut steps = BTreeMap::new();
        let mut say = |key: &str, owner: &str, location: &str, system: &str, changed: bool| {
            steps.insert(
                key.to_string(),
                StepOverlay {
                    owner_role: Some(owner.into()),
                    location: Some(location.into()),
                    system: Some(system.into()),
                    notes: None,
                    changed,
                },
            );
        };
        say(
            "receipt_and_storage",
            "Cell therapy lab tech",
            "Cell lab, B2 freezer room",
            "cellpath",
            false,
        );
        say(
            "physician_order",
            "BMT attending",
            "BMT clinic",
            "Epic Beacon",
            false,
        );
        say(
            "pharmacist_verification",
            "CGT pharmacist",
            "Inpatient pharmacy",
            "Epic Willow",
            true,
        );
        say(
            "dual_verification_cd4",
            "BMT charge nurse",
            "7 West, BMT unit",
            "Epic Rover",
            true,
        );
        SiteOverlay {
            site_name: "Riverside Medical Center".into(),
            steps,
            progress: BTreeMap::new(),
        }
    }

    #[test]
    fn the_car_t_map_draws_a_lane_per_stage_a_box_per_step_and_an_arrow_per_edge() {
        let map = car_t();
        let html = swimlane(&map, None).into_string();
        assert!(
            html.contains("<svg class=\"swimlane-svg\" role=\"img\""),
            "{html}"
        );
        let svg = diagram(&html);

        let stages: BTreeSet<Stage> = map.steps().map(|s| s.stage).collect();
        assert_eq!(count(svg, "<g class=\"lane\""), stages.len());
        for stage in &stages {
            assert!(svg.contains(&format!("data-stage=\"{stage}\"")), "{stage}");
        }

        for s in map.steps() {
            let mark = format!("data-step=\"{}\"", s.key);
            assert_eq!(count(svg, &mark), 1, "one box for {}", s.key);
        }
        assert_eq!(count(svg, "<g class=\"step"), map.steps().len());

        let edges: usize = map.steps().map(|s| s.after.len()).sum();
        assert_eq!(count(svg, "<path class=\"arrow\""), edges);
        for s in map.steps() {
            for a in &s.after {
                let arrow = format!("data-from=\"{a}\" data-to=\"{}\"", s.key);
                assert!(svg.contains(&arrow), "arrow {a} → {}", s.key);
            }
        }
        // lymphodepletion waits for the release decision: one dashed arrow
        assert_eq!(count(svg, "<path class=\"hold-arrow\""), 1);
        assert!(svg.contains("data-from=\"release_decision\" data-to=\"lymphodepletion\""));
    }

    #[test]
    fn scan_checkpoints_and_controlled_steps_are_marked() {
        let map = car_t();
        let html = swimlane(&map, None).into_string();
        let svg = diagram(&html);
        let scans = map.steps().filter(|s| s.params.scan).count();
        assert_eq!(scans, 6, "the seed's six checkpoints");
        assert_eq!(count(svg, "<g class=\"scan-badge\""), scans);
        for s in map.steps() {
            let open = step_tag(svg, &s.key);
            assert_eq!(
                open.contains(" controlled"),
                s.controlled,
                "{}: {open}",
                s.key
            );
            assert_eq!(open.contains(" scan"), s.params.scan, "{}: {open}", s.key);
        }
        assert!(step_tag(svg, "lymphodepletion").contains(" hold"));
        assert!(step_tag(svg, "bridging_therapy").contains(" optional"));
        // the legend explains each mark that is used
        for words in [
            "Controlled:",
            "Scan checkpoint:",
            "Hold point:",
            "Optional:",
        ] {
            assert!(html.contains(words), "{words}");
        }
    }

    /// The opening tag of a step's group, e.g. `<g class="step controlled scan" data-step=…>`.
    fn step_tag<'s>(svg: &'s str, key: &str) -> &'s str {
        let at = svg
            .find(&format!("data-step=\"{key}\""))
            .unwrap_or_else(|| panic!("{key} drawn"));
        let start = svg[..at].rfind("<g ").expect("group opens");
        let end = at + svg[at..].find('>').expect("tag closes");
        &svg[start..end]
    }

    /// The words drawn in a step's box, lines joined by spaces.
    fn box_text(svg: &str, key: &str) -> String {
        let at = svg
            .find(&format!("data-step=\"{key}\""))
            .unwrap_or_else(|| panic!("{key} drawn"));
        let rest = &svg[at..];
        let end = rest[1..].find("data-step=").map_or(rest.len(), |e| e + 1);
        rest[..end]
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(&t[t.find('>')? + 1..t.find("</text>")?]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_site_overlay_shows_local_owners_and_outlines_what_changed() {
        let map = car_t();
        let overlay = demo_overlay();
        let svg = swimlane(&map, Some(&overlay)).into_string();
        assert!(step_tag(&svg, "pharmacist_verification").contains(" changed"));
        assert!(step_tag(&svg, "dual_verification_cd4").contains(" changed"));
        assert!(!step_tag(&svg, "physician_order").contains(" changed"));
        assert_eq!(count(&svg, "<g class=\"changed-tag\""), 2);
        let order = box_text(&svg, "physician_order");
        assert!(order.contains("Owner: BMT attending"), "{order}");
        assert!(order.contains("System: Epic Beacon"), "{order}");
        assert!(order.contains("At BMT clinic"), "{order}");
        assert!(svg.contains("Riverside Medical Center"));
        assert!(svg.contains("Changed in this site version"));
        // without the overlay nothing is outlined
        let plain = swimlane(&map, None).into_string();
        assert!(!plain.contains("changed-ring"));
        assert!(!plain.contains("Owner:"));
    }

    /// Every map the tests draw: the seeds, with and without a site's overlay.
    fn drawn() -> Vec<(&'static str, ValidMap, Option<SiteOverlay>)> {
        vec![
            ("car-t", car_t(), None),
            ("car-t at Riverside", car_t(), Some(demo_overlay())),
            ("in vivo", in_vivo(), None),
        ]
    }

    /// What a reader relies on: every arrow points down from its source's bottom edge into
    /// its target's top edge, runs straight or turns at right angles, never runs up and never
    /// crosses a box; boxes do not overlap and sit in their stage's lane, which come in process
    /// order; a box per step, a lane per stage.
    fn check_geometry(name: &str, map: &ValidMap, layout: &Layout) {
        assert_eq!(
            layout.boxes.len(),
            map.steps().len(),
            "{name}: a box per step"
        );
        for a in &layout.arrows {
            let (s, t) = (&layout.boxes[a.from], &layout.boxes[a.to]);
            let arrow = format!("{name}: arrow {} → {}", s.step.key, t.step.key);
            assert!(
                t.y > s.bottom(),
                "{arrow}: target at y {} is not below the source (bottom {})",
                t.y,
                s.bottom()
            );
            let (first, last) = (a.points[0], a.points[a.points.len() - 1]);
            assert!(
                first.1 == s.bottom() && first.0 > s.x && first.0 < s.right(),
                "{arrow} starts at {first:?}"
            );
            assert!(
                last.1 == t.y && last.0 > t.x && last.0 < t.right(),
                "{arrow} ends at {last:?}"
            );
            for seg in a.points.windows(2) {
                assert!(
                    seg[0].0 == seg[1].0 || seg[0].1 == seg[1].1,
                    "{arrow}: runs straight or turns at right angles"
                );
                assert!(seg[1].1 >= seg[0].1, "{arrow}: runs up at {seg:?}");
                assert!(
                    seg[0].0.min(seg[1].0) > 0 && seg[0].0.max(seg[1].0) < layout.width,
                    "{arrow}: inside the diagram"
                );
                for o in &layout.boxes {
                    assert!(
                        !route::crosses(seg[0], seg[1], &o.rect()),
                        "{arrow} crosses {} at {seg:?}",
                        o.step.key
                    );
                }
            }
        }
        for (i, a) in layout.boxes.iter().enumerate() {
            for b in &layout.boxes[i + 1..] {
                let apart =
                    a.right() <= b.x || b.right() <= a.x || a.bottom() <= b.y || b.bottom() <= a.y;
                assert!(apart, "{name}: {} overlaps {}", a.step.key, b.step.key);
            }
            let lane = layout
                .lanes
                .iter()
                .find(|l| l.stage == a.step.stage)
                .expect("a lane for every stage with steps");
            assert!(
                a.x >= lane.x && a.right() <= lane.x + LANE_W,
                "{name}: {} sits in its stage's lane",
                a.step.key
            );
            assert!(
                a.content_height() <= a.height,
                "{name}: {} fits",
                a.step.key
            );
            assert!(a.bottom() <= layout.height && a.right() <= layout.width);
        }
        let stages: Vec<Stage> = layout.lanes.iter().map(|l| l.stage).collect();
        let present: BTreeSet<Stage> = map.steps().map(|s| s.stage).collect();
        assert_eq!(stages, present.into_iter().collect::<Vec<_>>(), "{name}");
    }

    #[test]
    fn every_arrow_points_down_no_boxes_overlap_and_no_arrow_crosses_a_box() {
        for (name, map, overlay) in drawn() {
            check_geometry(name, &map, &Layout::new(&map, overlay.as_ref()));
        }
    }

    /// A valid map of `n` record steps: each after one to three earlier steps, so branches
    /// fork and join, and a last step after every step nothing else comes after.
    fn random_map(n: usize, seed: u64, stages: &[Stage]) -> ValidMap {
        use cellpath_domain::Role;
        use cellpath_domain::process_map::{MapContext, RecordedIn, StepParams};
        let mut state = seed;
        let mut next = move |below: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % below.max(1)
        };
        let mut steps: Vec<Step> = Vec::new();
        for i in 0..n {
            let mut after: Vec<String> = Vec::new();
            if i > 0 {
                for _ in 0..1 + next(3) {
                    let key = format!("s{}", i - 1 - next(i.min(6)));
                    if !after.contains(&key) {
                        after.push(key);
                    }
                }
            }
            steps.push(Step {
                key: format!("s{i}"),
                name: format!("Step {i} with a longer name"),
                stage: stages[next(stages.len())],
                kind: StepKind::Record,
                role: Role::Nurse,
                after,
                controlled: next(2) == 0,
                recorded_in: RecordedIn::Cellpath,
                optional: false,
                params: StepParams {
                    scan: next(4) == 0,
                    ..StepParams::default()
                },
            });
        }
        let sinks: Vec<String> = steps
            .iter()
            .filter(|s| !steps.iter().any(|o| o.after.contains(&s.key)))
            .map(|s| s.key.clone())
            .collect();
        steps.push(Step {
            key: "end".into(),
            name: "End".into(),
            stage: stages[0],
            kind: StepKind::Record,
            role: Role::Nurse,
            after: sinks,
            controlled: false,
            recorded_in: RecordedIn::Cellpath,
            optional: false,
            params: StepParams::default(),
        });
        let ctx = MapContext {
            units: Vec::new(),
            requires_dual_verification: false,
        };
        validate(&ProcessMap { steps }, &ctx).expect("a random map is valid")
    }

    #[test]
    fn maps_that_fork_and_join_keep_every_promise() {
        for seed in 0..40 {
            let map = random_map(10 + (seed as usize * 7) % 40, seed, Stage::ALL);
            check_geometry(&format!("seed {seed}"), &map, &Layout::new(&map, None));
        }
        // one lane only: arrows that skip a step go round it by the channels at the sides
        for seed in 0..10 {
            let map = random_map(15, seed, &[Stage::Administration]);
            let layout = Layout::new(&map, None);
            check_geometry(&format!("one lane, seed {seed}"), &map, &layout);
            assert_eq!(layout.width, 2 * SIDE + LANE_W);
        }
    }

    /// A map far larger than any site's lays out whole (how fast is for a benchmark, not a
    /// timed test).
    #[test]
    fn a_large_map_is_laid_out_whole() {
        let map = random_map(400, 7, Stage::ALL);
        let layout = Layout::new(&map, None);
        check_geometry("400 steps", &map, &layout);
    }

    #[test]
    fn the_car_t_map_fits_a_laptop_content_column_from_referral_at_the_top_to_follow_up_at_the_bottom()
     {
        for (name, map, overlay) in drawn() {
            let layout = Layout::new(&map, overlay.as_ref());
            assert!(layout.width <= 1_024, "{name}: {} px wide", layout.width);
            let top = layout.boxes.iter().map(|b| b.y).min();
            let bottom = layout.boxes.iter().map(StepBox::bottom).max();
            let at = |key: &str| layout.boxes.iter().find(|b| b.step.key == key);
            assert_eq!(at(map.start().key.as_str()).map(|b| b.y), top, "{name}");
            assert_eq!(
                at(map.end().key.as_str()).map(StepBox::bottom),
                bottom,
                "{name}"
            );
        }
        let map = car_t();
        assert_eq!(
            Layout::new(&map, None).lanes.len(),
            8,
            "every stage of the CAR-T map"
        );
    }

    #[test]
    fn text_is_at_least_11_px_and_styles_come_from_the_stylesheet() {
        for (name, map, overlay) in drawn() {
            let html = swimlane(&map, overlay.as_ref()).into_string();
            assert!(!html.contains("style="), "{name}: no inline styles (CSP)");
            assert!(!html.contains("<script"), "{name}");
            for size in html.split("font-size=\"").skip(1) {
                let size: f64 = size[..size.find('"').expect("closes")]
                    .parse()
                    .expect("a number");
                assert!(size >= 11.0, "{name}: text at {size} px");
            }
        }
    }

    #[test]
    fn the_two_car_t_components_thawed_together_stack_with_cd4_given_first_on_top() {
        let map = car_t();
        let layout = Layout::new(&map, None);
        let at = |key: &str| {
            layout
                .boxes
                .iter()
                .find(|b| b.step.key == key)
                .expect("drawn")
        };
        let (cd4, cd8) = (at("thaw_cd4"), at("thaw_cd8"));
        assert_eq!(cd4.x, cd8.x);
        assert_eq!(cd8.row, cd4.row + 1, "stacked in consecutive rows");
        // the bedside check of CD4 shares CD8's thaw row, in the next lane
        assert_eq!(at("dual_verification_cd4").row, cd8.row);
        for (name, map, overlay) in drawn() {
            let layout = Layout::new(&map, overlay.as_ref());
            let crossings = crossings(&layout);
            assert!(crossings.is_empty(), "{name}: {crossings:?}");
        }
    }

    /// Pairs of arrows (of different sources and targets) whose paths cross.
    fn crossings(layout: &Layout) -> Vec<(String, String)> {
        let name = |a: &Arrow| {
            let (s, t) = (&layout.boxes[a.from].step.key, &layout.boxes[a.to].step.key);
            format!("{s} → {t}")
        };
        let mut found = Vec::new();
        for (i, a) in layout.arrows.iter().enumerate() {
            for b in &layout.arrows[i + 1..] {
                if a.from == b.from || a.to == b.to {
                    continue;
                }
                let cross = a.points.windows(2).any(|p| {
                    b.points.windows(2).any(|q| {
                        let (h, v) = if p[0].1 == p[1].1 { (p, q) } else { (q, p) };
                        let (hx0, hx1) = (h[0].0.min(h[1].0), h[0].0.max(h[1].0));
                        let (vy0, vy1) = (v[0].1.min(v[1].1), v[0].1.max(v[1].1));
                        h[0].1 == h[1].1
                            && v[0].0 == v[1].0
                            && v[0].0 > hx0
                            && v[0].0 < hx1
                            && h[0].1 > vy0
                            && h[0].1 < vy1
                    })
                });
                if cross {
                    found.push((name(a), name(b)));
                }
            }
        }
        found
    }

    #[test]
    fn user_text_is_escaped() {
        let (mut map, ctx): (ProcessMap, _) = seeds::in_vivo_gene_therapy();
        map.steps[0].name = "<script>alert(1)</script> & order".into();
        let map = validate(&map, &ctx).expect("still valid");
        let overlay = SiteOverlay {
            site_name: "<b>Site</b>".into(),
            steps: BTreeMap::from([(
                "order".to_string(),
                StepOverlay {
                    owner_role: Some("<img src=x onerror=alert(1)>".into()),
                    notes: Some("</title><script>".into()),
                    ..StepOverlay::default()
                },
            )]),
            progress: BTreeMap::new(),
        };
        let svg = swimlane(&map, Some(&overlay)).into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn long_names_wrap_within_the_box_and_end_with_an_ellipsis_when_too_long() {
        let fits = |l: &str| text_width(l, NAME_SIZE, true) <= f64::from(TEXT_W);
        let lines = wrap(
            "Monitoring (infusion reactions, liver function)",
            TEXT_W,
            NAME_SIZE,
            true,
            3,
        );
        assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
        assert!(lines.iter().all(|l| fits(l)), "{lines:?}");
        let long = "word ".repeat(40);
        let lines = wrap(&long, TEXT_W, NAME_SIZE, true, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'), "{lines:?}");
        // a word longer than a line breaks with a hyphen
        let unbroken = wrap(&"x".repeat(40), TEXT_W, NAME_SIZE, true, 3);
        assert!(unbroken.len() > 1, "{unbroken:?}");
        assert!(unbroken.iter().all(|l| fits(l)), "{unbroken:?}");
        assert!(unbroken[0].ends_with('-'), "{unbroken:?}");
        let lines = wrap("Lymphodepleting chemotherapy", TEXT_W, NAME_SIZE, true, 3);
        assert!(lines.iter().all(|l| fits(l)), "{lines:?}");
        assert_eq!(lines.last().map(String::as_str), Some("chemotherapy"));
        // a line left very short by the next word takes the word's start
        let lines = wrap("At manufacturing facility", TEXT_W, DETAIL_SIZE, false, 2);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("At manufac") && lines[0].ends_with('-'),
            "{lines:?}"
        );
        assert!(lines[1].ends_with("facility"), "{lines:?}");
        // a controlled box's first line stops short of the padlock
        let first = TEXT_W - LOCK_W;
        let lines = wrap_lines(
            "Enrollment with the manufacturer",
            &|i| if i == 0 { first } else { TEXT_W },
            NAME_SIZE,
            true,
            3,
        );
        assert!(
            text_width(&lines[0], NAME_SIZE, true) <= f64::from(first),
            "{lines:?}"
        );
    }

    #[test]
    fn widths_are_dejavu_sans_advances() {
        // DejaVu Sans Bold: "m" is 1042/1000 em, "i" 343/1000
        assert!((text_width("mi", 10.0, true) - 13.85).abs() < 1e-9);
        assert!((text_width("mi", 10.0, false) - (9.74 + 2.78)).abs() < 1e-9);
    }

    #[test]
    fn the_scan_burden_reads_as_a_sentence() {
        let (map, ctx) = seeds::autologous_car_t();
        let badge = scan_burden_badge(&scan_burden(&map, &ctx.units)).into_string();
        assert!(badge.contains("6 scans per case at 4 locations"), "{badge}");
        let one = ScanBurden {
            scans_per_case: 1,
            distinct_locations: 1,
        };
        assert!(
            scan_burden_badge(&one)
                .into_string()
                .contains("1 scan per case at 1 location")
        );
        let none = ScanBurden {
            scans_per_case: 0,
            distinct_locations: 0,
        };
        assert!(
            scan_burden_badge(&none)
                .into_string()
                .contains("No scans per case")
        );
    }

    #[test]
    fn a_page_with_two_diagrams_has_distinct_ids() {
        let a = swimlane(&car_t(), None).into_string();
        let b = swimlane(&in_vivo(), None).into_string();
        let id = |svg: &str| {
            let at = svg.find("aria-labelledby=\"").expect("labelled") + 17;
            svg[at..at + svg[at..].find('"').expect("closes")].to_string()
        };
        assert_ne!(id(&a), id(&b));
        assert_eq!(id(&a), id(&swimlane(&car_t(), None).into_string()));
        assert!(a.contains(&format!("<title id=\"{}\"", id(&a))));
    }

    #[test]
    fn a_step_right_below_the_one_before_it_is_joined_by_a_straight_arrow() {
        let map = in_vivo();
        let layout = Layout::new(&map, None);
        assert_eq!(layout.lanes.len(), 6, "six stages have steps");
        let arrow = layout
            .arrows
            .iter()
            .find(|a| layout.boxes[a.to].step.key == "administration")
            .expect("verification → infusion");
        assert_eq!(arrow.points.len(), 2, "{:?}", arrow.points);
        assert_eq!(arrow.points[0].0, arrow.points[1].0, "straight down");
    }
}
