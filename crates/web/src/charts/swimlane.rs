//! A process map as a swimlane diagram (inline SVG) that a pharmacy director reads at a glance:
//! one lane per stage, one box per step, arrows from each step to the steps that come after it.
//! Each step gets a column one right of the steps it waits for; a column only moves a whole box
//! right of the lane's previous column, so a process that runs down the stages reads as a
//! staircase instead of a wide, mostly empty grid. Arrows are routed around boxes (`route`).
//! The geometry is computed first ([`Layout`]: pure, and tested for what a reader relies on —
//! every arrow points right, no box overlaps another, no arrow crosses a box), then drawn.
//! SVG text does not wrap, so names are wrapped here with an estimate of glyph widths taken from
//! DejaVu Sans, the widest of the fonts `system-ui` falls back to, so text fits everywhere.

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

// ---------- geometry (px; the SVG is drawn at its natural size) ----------

/// The lane label column on the left.
const LABEL_W: i32 = 144;
/// Where the first column of boxes starts.
const LEFT: i32 = LABEL_W + 28;
const RIGHT_PAD: i32 = 28;
const BOX_W: i32 = 168;
/// Between two boxes of one lane, so arrows can run and turn between them.
const COL_GAP: i32 = 48;
const PITCH: i32 = BOX_W + COL_GAP;
/// A column whose steps are in other lanes than the column before only moves this far right:
/// the map reads as a staircase down the stages, not as a mostly empty grid.
const SHIFT: i32 = BOX_W / 2;
/// Room above and below the boxes of a lane: tags sit on a box's top border, and arrows that
/// pass a lane run along its edges.
const LANE_PAD: i32 = 24;
const STACK_GAP: i32 = 30;
const PAD_X: i32 = 13;
const PAD_TOP: i32 = 11;
const TEXT_W: i32 = BOX_W - 2 * PAD_X;
const NAME_SIZE: f64 = 13.0;
const NAME_LH: i32 = 16;
const MAX_NAME_LINES: usize = 4;
const DETAIL_SIZE: f64 = 12.0;
const DETAIL_LH: i32 = 16;
const MAX_DETAIL_LINES: usize = 2;
const SMALL_SIZE: f64 = 11.0;
const FOOTER_H: i32 = 32;
const CORNER: i32 = 7;
/// Lane bands run on past the diagram, so they fill a wrapper wider than the diagram (the SVG
/// is at least as wide as its wrapper and shows what lies right of its view box).
const BAND_OVERHANG: i32 = 4000;
/// Where the tags on a box's top edge sit, from its left edge.
const CHANGED_TAG: (i32, i32) = (12, 12 + 66);
const SCAN_TAG: (i32, i32) = (BOX_W - 66, BOX_W - 10);

/// Everything the drawing needs, computed from the map.
struct Layout<'m> {
    width: i32,
    height: i32,
    lanes: Vec<Lane>,
    /// In `ValidMap::steps()` order.
    boxes: Vec<StepBox<'m>>,
    arrows: Vec<Arrow>,
}

struct Lane {
    stage: Stage,
    y: i32,
    height: i32,
    steps: usize,
}

struct StepBox<'m> {
    step: &'m Step,
    overlay: Option<&'m StepOverlay>,
    column: usize,
    x: i32,
    y: i32,
    height: i32,
    name: Vec<String>,
    details: Vec<Line>,
}

impl StepBox<'_> {
    fn right(&self) -> i32 {
        self.x + BOX_W
    }
    fn bottom(&self) -> i32 {
        self.y + self.height
    }
    /// Arrows that enter or leave by a side do so at the height of the name, so arrows between
    /// boxes of one row are straight.
    fn port_y(&self) -> i32 {
        self.y + PAD_TOP + NAME_LH / 2 + 2
    }
    fn changed(&self) -> bool {
        self.overlay.is_some_and(|o| o.changed)
    }
    /// The stretch of the top edge an arrow may use: clear of the "Changed" tag on the left
    /// and the "Scan" tag on the right.
    fn top_free(&self) -> (i32, i32) {
        let from = if self.changed() {
            CHANGED_TAG.1 + 8
        } else {
            26
        };
        let to = if self.step.params.scan {
            SCAN_TAG.0 - 8
        } else {
            BOX_W - 26
        };
        (self.x + from, self.x + to)
    }
    fn rect(&self) -> route::Rect {
        route::Rect {
            x0: self.x,
            y0: self.y,
            x1: self.right(),
            y1: self.bottom(),
        }
    }
}

struct Line {
    text: String,
    class: &'static str,
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

        // A step's column is one right of the rightmost step it waits for. `steps()` is a
        // topological order that counts holds, so those columns are already known.
        let mut column = vec![0usize; steps.len()];
        for (i, s) in steps.iter().enumerate() {
            column[i] = preds(s)
                .filter_map(|k| index.get(k))
                .map(|&p| column[p] + 1)
                .max()
                .unwrap_or(0);
        }
        let columns = column.iter().max().map_or(0, |c| c + 1);

        // Where each column starts: a box's width and a gap right of the lane's previous
        // column, and at least a half box right of the column before, whatever its lane.
        let mut column_x = vec![LEFT; columns];
        let mut last_in_lane: BTreeMap<Stage, usize> = BTreeMap::new();
        for c in 0..columns {
            let lanes: BTreeSet<Stage> = steps
                .iter()
                .zip(&column)
                .filter(|&(_, &col)| col == c)
                .map(|(s, _)| s.stage)
                .collect();
            let mut x = if c == 0 {
                LEFT
            } else {
                column_x[c - 1] + SHIFT
            };
            for stage in &lanes {
                if let Some(&before) = last_in_lane.get(stage) {
                    x = x.max(column_x[before] + PITCH);
                }
            }
            column_x[c] = x;
            for stage in lanes {
                last_in_lane.insert(stage, c);
            }
        }

        let mut boxes: Vec<StepBox<'m>> = steps
            .iter()
            .zip(&column)
            .map(|(&step, &column)| {
                let overlay = overlay.and_then(|o| o.steps.get(&step.key));
                let hold_name = step
                    .params
                    .hold_until
                    .as_deref()
                    .map(|k| map.step(k).map_or(k, |s| s.name.as_str()));
                StepBox {
                    step,
                    overlay,
                    column,
                    x: column_x[column],
                    y: 0,
                    height: 0,
                    name: wrap(&step.name, TEXT_W, NAME_SIZE, true, MAX_NAME_LINES),
                    details: details(step, overlay, hold_name),
                }
            })
            .collect();
        let content_height = |b: &StepBox| {
            PAD_TOP
                + NAME_LH * b.name.len() as i32
                + 6
                + DETAIL_LH * b.details.len() as i32
                + FOOTER_H
        };

        // Lanes in process order. Steps of a lane that share a column stack, the one whose next
        // step comes later on top: the process runs down the lanes, so their arrows then fan
        // out without crossing (the CAR-T map thaws CD4 and CD8 together and gives CD4 first).
        let mut next_column = vec![usize::MAX; boxes.len()];
        for (i, s) in steps.iter().enumerate() {
            for p in preds(s).filter_map(|k| index.get(k)) {
                next_column[*p] = next_column[*p].min(column[i]);
            }
        }
        let mut by_stage: BTreeMap<Stage, Vec<usize>> = BTreeMap::new();
        for (i, b) in boxes.iter().enumerate() {
            by_stage.entry(b.step.stage).or_default().push(i);
        }
        for members in by_stage.values_mut() {
            members.sort_by_key(|&i| (boxes[i].column, std::cmp::Reverse(next_column[i]), i));
        }
        let mut lanes = Vec::new();
        let mut y = 0;
        for (stage, members) in by_stage {
            // The boxes of a lane are as tall as its fullest box, so a row reads evenly.
            let box_height = members
                .iter()
                .map(|&i| content_height(&boxes[i]))
                .max()
                .unwrap_or(0);
            let mut rows_in_column: BTreeMap<usize, i32> = BTreeMap::new();
            for &i in &members {
                let row = rows_in_column.entry(boxes[i].column).or_insert(0);
                boxes[i].y = y + LANE_PAD + *row * (box_height + STACK_GAP);
                boxes[i].height = box_height;
                *row += 1;
            }
            let rows = rows_in_column.values().copied().max().unwrap_or(1);
            let height = 2 * LANE_PAD + rows * box_height + (rows - 1) * STACK_GAP;
            lanes.push(Lane {
                stage,
                y,
                height,
                steps: members.len(),
            });
            y += height;
        }
        let width = boxes.iter().map(StepBox::right).max().unwrap_or(LEFT) + RIGHT_PAD;

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
        let rects: Vec<route::Rect> = boxes.iter().map(StepBox::rect).collect();
        let ports: Vec<i32> = boxes.iter().map(StepBox::port_y).collect();
        let lane_edges: Vec<i32> = lanes.iter().map(|l| l.y).chain([y]).collect();
        let pairs: Vec<(usize, usize)> = edges.iter().map(|&(f, t, _)| (f, t)).collect();
        let top_free: Vec<(i32, i32)> = boxes.iter().map(StepBox::top_free).collect();
        let router = route::Router::new(&rects, &ports, &top_free, &lane_edges, LABEL_W + 8, width);
        let paths = router.route_all(&pairs);
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
            height: y,
            lanes,
            boxes,
            arrows,
        }
    }
}

/// The lines under a step's name: role, then what the site says, then the hold. A line too long
/// for the box wraps once, then ends with "…" (the tooltip has everything).
fn details(step: &Step, overlay: Option<&StepOverlay>, hold_until: Option<&str>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |text: String, class: &'static str| {
        let bold = class == "step-role" || class == "step-hold";
        for text in wrap(&text, TEXT_W, DETAIL_SIZE, bold, MAX_DETAIL_LINES) {
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

/// Arrows as orthogonal paths that go around boxes: a shortest path, counting each turn as a
/// detour, on a grid of the lines just outside every box and along every lane edge. An arrow
/// leaves its step by the right side or straight down or up, and enters the next by the left
/// side or from above or below, whichever reads best (fewest turns, then shortest). Paths for
/// different pairs avoid sharing a stretch, so each arrow can be followed.
mod route {
    use std::cmp::Reverse;
    use std::collections::{BTreeSet, BinaryHeap};

    /// Arrows run this far from boxes; their first and last stretch cross it.
    pub const CLEARANCE: i32 = 10;
    /// A turn costs as much as this many px of length.
    const TURN: i64 = 60;
    /// Sharing a stretch with an arrow of another pair costs this much per px.
    const SHARED: i64 = 4;
    /// Crossing an arrow of another pair costs as much as this many px of length.
    const CROSSING: i64 = 240;
    /// Vertical ports stay this far from a box's corners.
    const PORT_INSET: i32 = 26;
    /// Search steps for all the arrows of one map. The seeded maps need a few thousand; a map
    /// built to be slow (hundreds of steps after one) gets the rest of its arrows drawn the
    /// simple way instead of holding up the page.
    const BUDGET: usize = 1_500_000;

    #[derive(Debug, Clone, Copy)]
    pub struct Rect {
        pub x0: i32,
        pub y0: i32,
        pub x1: i32,
        pub y1: i32,
    }

    impl Rect {
        fn grown(&self, by: i32) -> Rect {
            Rect {
                x0: self.x0 - by,
                y0: self.y0 - by,
                x1: self.x1 + by,
                y1: self.y1 + by,
            }
        }
    }

    /// Whether the segment a–b (horizontal or vertical) enters the inside of `r`; running along
    /// its edge does not count.
    pub fn crosses(a: (i32, i32), b: (i32, i32), r: &Rect) -> bool {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        let overlaps = |lo: i32, hi: i32, from: i32, to: i32| {
            if lo == hi {
                lo > from && lo < to
            } else {
                hi > from && lo < to
            }
        };
        overlaps(x0, x1, r.x0, r.x1) && overlaps(y0, y1, r.y0, r.y1)
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Dir {
        Right,
        Left,
        Down,
        Up,
    }

    impl Dir {
        const ALL: [Dir; 4] = [Dir::Right, Dir::Left, Dir::Down, Dir::Up];
        fn index(self) -> usize {
            self as usize
        }
        fn step(self) -> (i32, i32) {
            match self {
                Dir::Right => (1, 0),
                Dir::Left => (-1, 0),
                Dir::Down => (0, 1),
                Dir::Up => (0, -1),
            }
        }
        fn opposite(self) -> Dir {
            match self {
                Dir::Right => Dir::Left,
                Dir::Left => Dir::Right,
                Dir::Down => Dir::Up,
                Dir::Up => Dir::Down,
            }
        }
        fn vertical(self) -> bool {
            matches!(self, Dir::Down | Dir::Up)
        }
    }

    /// A way into or out of a box: the point on its edge, the grid point just outside (the
    /// search starts or ends there) and the direction an arrow runs through it.
    struct Port {
        edge: (i32, i32),
        grid: (i32, i32),
        dir: Dir,
    }

    impl Port {
        /// Leaving a box at `edge`, running `dir`: the grid point lies ahead.
        fn out(edge: (i32, i32), dir: Dir) -> Port {
            let (dx, dy) = dir.step();
            let grid = (edge.0 + dx * CLEARANCE, edge.1 + dy * CLEARANCE);
            Port { edge, grid, dir }
        }
        /// Entering a box at `edge`, running `dir`: the grid point lies behind.
        fn into(edge: (i32, i32), dir: Dir) -> Port {
            let (dx, dy) = dir.step();
            let grid = (edge.0 - dx * CLEARANCE, edge.1 - dy * CLEARANCE);
            Port { edge, grid, dir }
        }
    }

    pub struct Router<'a> {
        boxes: &'a [Rect],
        ports: &'a [i32],
        top_free: &'a [(i32, i32)],
        xs: Vec<i32>,
        ys: Vec<i32>,
        /// `open[node]`, one bit per direction: the step to the next grid line that way stays
        /// clear of every box.
        open: Vec<u8>,
    }

    impl<'a> Router<'a> {
        /// `ports[i]`: the height at which arrows enter or leave box i by a side; `top_free[i]`:
        /// the stretch of its top edge free of tags; `lanes`: the lane edges; arrows stay
        /// between `left` and `right`.
        pub fn new(
            boxes: &'a [Rect],
            ports: &'a [i32],
            top_free: &'a [(i32, i32)],
            lanes: &[i32],
            left: i32,
            right: i32,
        ) -> Router<'a> {
            let mut xs = BTreeSet::new();
            let mut ys: BTreeSet<i32> = lanes.iter().copied().collect();
            for (b, &port) in boxes.iter().zip(ports) {
                let g = b.grown(CLEARANCE);
                xs.extend([g.x0, g.x1, b.x0 + PORT_INSET, b.x1 - PORT_INSET]);
                xs.insert((b.x0 + b.x1) / 2);
                ys.extend([g.y0, g.y1, port]);
            }
            // Where a box sits partly below another, an arrow can drop straight between them.
            let columns: BTreeSet<(i32, i32)> = boxes.iter().map(|b| (b.x0, b.x1)).collect();
            for &(a0, a1) in &columns {
                for &(b0, b1) in columns.range((a0, i32::MIN)..) {
                    if b0 >= a1 {
                        break;
                    }
                    let (lo, hi) = (a0.max(b0), a1.min(b1));
                    if hi - lo >= 2 * PORT_INSET {
                        xs.insert((lo + hi) / 2);
                    }
                }
            }
            let xs: Vec<i32> = xs
                .into_iter()
                .filter(|&x| x >= left && x <= right)
                .collect();
            let ys: Vec<i32> = ys.into_iter().collect();
            let grown: Vec<Rect> = boxes.iter().map(|b| b.grown(CLEARANCE)).collect();
            let (w, h) = (xs.len(), ys.len());
            let mut open = vec![0u8; w * h];
            // Along each grid line only the boxes that straddle it can block a step.
            for (j, &y) in ys.iter().enumerate() {
                let across: Vec<&Rect> = grown.iter().filter(|r| r.y0 < y && y < r.y1).collect();
                for i in 0..w.saturating_sub(1) {
                    let (a, b) = ((xs[i], y), (xs[i + 1], y));
                    if !across.iter().any(|r| crosses(a, b, r)) {
                        open[j * w + i] |= 1 << Dir::Right.index();
                        open[j * w + i + 1] |= 1 << Dir::Left.index();
                    }
                }
            }
            for (i, &x) in xs.iter().enumerate() {
                let across: Vec<&Rect> = grown.iter().filter(|r| r.x0 < x && x < r.x1).collect();
                for j in 0..h.saturating_sub(1) {
                    let (a, b) = ((x, ys[j]), (x, ys[j + 1]));
                    if !across.iter().any(|r| crosses(a, b, r)) {
                        open[j * w + i] |= 1 << Dir::Down.index();
                        open[(j + 1) * w + i] |= 1 << Dir::Up.index();
                    }
                }
            }
            Router {
                boxes,
                ports,
                top_free,
                xs,
                ys,
                open,
            }
        }

        fn point(&self, node: usize) -> (i32, i32) {
            (self.xs[node % self.xs.len()], self.ys[node / self.xs.len()])
        }

        fn node(&self, p: (i32, i32)) -> Option<usize> {
            let i = self.xs.binary_search(&p.0).ok()?;
            let j = self.ys.binary_search(&p.1).ok()?;
            Some(j * self.xs.len() + i)
        }

        /// The neighbouring node in `dir`, when the step there is clear.
        fn step(&self, node: usize, dir: Dir) -> Option<usize> {
            if self.open[node] & (1 << dir.index()) == 0 {
                return None;
            }
            let w = self.xs.len();
            Some(match dir {
                Dir::Right => node + 1,
                Dir::Left => node - 1,
                Dir::Down => node + w,
                Dir::Up => node - w,
            })
        }

        /// The grid stretch from `node` one step `dir`, the same whichever way it is run.
        fn stretch(&self, node: usize, dir: Dir) -> usize {
            let w = self.xs.len();
            match dir {
                Dir::Right => node * 2,
                Dir::Left => (node - 1) * 2,
                Dir::Down => node * 2 + 1,
                Dir::Up => (node - w) * 2 + 1,
            }
        }

        /// Every edge, routed in order; each path starts on its source's edge and ends on its
        /// target's.
        pub fn route_all(&self, edges: &[(usize, usize)]) -> Vec<Vec<(i32, i32)>> {
            let nodes = self.xs.len() * self.ys.len();
            let mut search = Search {
                best: vec![i64::MAX; nodes * 4],
                back: vec![usize::MAX; nodes * 4],
                touched: Vec::new(),
                budget: BUDGET,
            };
            let mut traffic = Traffic {
                stretches: vec![Vec::new(); nodes * 2],
                through: vec![Vec::new(); nodes],
            };
            let mut paths = Vec::new();
            for &(from, to) in edges {
                let routed = self.route(from, to, &traffic, &mut search);
                search.reset();
                let points = match routed {
                    Some(Routed { start, nodes, end }) => {
                        traffic.add(self, &nodes, (from, to));
                        let mut points = vec![start];
                        points.extend(nodes.iter().map(|&n| self.point(n)));
                        points.push(end);
                        points
                    }
                    None => self.fallback(from, to),
                };
                paths.push(simplify(points));
            }
            paths
        }

        /// Ways out of a box.
        fn exits(&self, i: usize) -> Vec<Port> {
            let b = &self.boxes[i];
            let mut out = vec![Port::out((b.x1, self.ports[i]), Dir::Right)];
            for x in self.vertical_ports(i, false) {
                out.push(Port::out((x, b.y1), Dir::Down));
            }
            for x in self.vertical_ports(i, true) {
                out.push(Port::out((x, b.y0), Dir::Up));
            }
            out
        }

        /// Ways into a box.
        fn entries(&self, i: usize) -> Vec<Port> {
            let b = &self.boxes[i];
            let mut out = vec![Port::into((b.x0, self.ports[i]), Dir::Right)];
            for x in self.vertical_ports(i, true) {
                out.push(Port::into((x, b.y0), Dir::Down));
            }
            for x in self.vertical_ports(i, false) {
                out.push(Port::into((x, b.y1), Dir::Up));
            }
            out
        }

        /// Where a vertical arrow may leave or enter box `i`: any grid line across its bottom
        /// edge away from the corners; on its top edge, only between the tags drawn there.
        fn vertical_ports(&self, i: usize, top: bool) -> Vec<i32> {
            let b = &self.boxes[i];
            let (from, to) = if top {
                self.top_free[i]
            } else {
                (b.x0 + PORT_INSET, b.x1 - PORT_INSET)
            };
            let start = self.xs.partition_point(|&x| x < from);
            self.xs[start..]
                .iter()
                .copied()
                .take_while(|&x| x <= to)
                .collect()
        }

        /// Dijkstra over (grid point, heading): length, plus [`TURN`] for each turn,
        /// [`CROSSING`] for each arrow of another pair crossed, and [`SHARED`] times the length
        /// run along one.
        fn route(
            &self,
            from: usize,
            to: usize,
            traffic: &Traffic,
            search: &mut Search,
        ) -> Option<Routed> {
            let state = |node: usize, dir: Dir| node * 4 + dir.index();
            let mut heap = BinaryHeap::new();
            let mut starts = Vec::new();
            for port in self.exits(from) {
                if let Some(node) = self.node(port.grid) {
                    let st = state(node, port.dir);
                    if search.improve(st, 0, usize::MAX) {
                        starts.push((st, port.edge));
                        heap.push(Reverse((0i64, st)));
                    }
                }
            }
            let goals: Vec<(usize, Port)> = self
                .entries(to)
                .into_iter()
                .filter_map(|port| self.node(port.grid).map(|node| (node, port)))
                .collect();
            let other = |&(f, t): &(usize, usize)| f != from && t != to;
            let mut found: Option<(i64, usize, (i32, i32))> = None;
            while let Some(Reverse((cost, st))) = heap.pop() {
                if search.best[st] < cost {
                    continue;
                }
                if found.is_some_and(|(c, _, _)| c <= cost) {
                    break;
                }
                search.budget = search.budget.checked_sub(1)?;
                let (node, heading) = (st / 4, Dir::ALL[st % 4]);
                for (_, port) in goals.iter().filter(|(n, _)| *n == node) {
                    // Entering against the heading would double back over the path.
                    if port.dir == heading.opposite() {
                        continue;
                    }
                    let total = cost + if port.dir == heading { 0 } else { TURN };
                    if found.is_none_or(|(c, _, _)| total < c) {
                        found = Some((total, st, port.edge));
                    }
                }
                for dir in Dir::ALL {
                    if dir == heading.opposite() {
                        continue;
                    }
                    let Some(next) = self.step(node, dir) else {
                        continue;
                    };
                    let (a, b) = (self.point(node), self.point(next));
                    let length = i64::from((a.0 - b.0).abs() + (a.1 - b.1).abs());
                    let shared = traffic.stretches[self.stretch(node, dir)].iter().any(other);
                    let crossing = traffic.through[next]
                        .iter()
                        .any(|&(v, f, t)| v != dir.vertical() && other(&(f, t)));
                    let c2 = cost
                        + length * if shared { SHARED } else { 1 }
                        + if dir == heading { 0 } else { TURN }
                        + if crossing { CROSSING } else { 0 };
                    let st2 = state(next, dir);
                    if search.improve(st2, c2, st) {
                        heap.push(Reverse((c2, st2)));
                    }
                }
            }
            let (_, mut st, end) = found?;
            let mut nodes = vec![st / 4];
            while search.back[st] != usize::MAX {
                st = search.back[st];
                nodes.push(st / 4);
            }
            nodes.reverse();
            let start = starts.iter().find(|(s, _)| *s == st)?.1;
            Some(Routed { start, nodes, end })
        }

        /// Right from the source, down or up just before the target, right into it. Only for
        /// arrows left over when a map has spent the search budget; it may cross boxes.
        fn fallback(&self, from: usize, to: usize) -> Vec<(i32, i32)> {
            let (s, t) = (&self.boxes[from], &self.boxes[to]);
            let x = t.x0 - CLEARANCE;
            vec![
                (s.x1, self.ports[from]),
                (x, self.ports[from]),
                (x, self.ports[to]),
                (t.x0, self.ports[to]),
            ]
        }
    }

    /// The search's working memory, kept between arrows; only what an arrow touched is reset.
    struct Search {
        best: Vec<i64>,
        back: Vec<usize>,
        touched: Vec<usize>,
        budget: usize,
    }

    impl Search {
        fn improve(&mut self, state: usize, cost: i64, from: usize) -> bool {
            if cost >= self.best[state] {
                return false;
            }
            if self.best[state] == i64::MAX {
                self.touched.push(state);
            }
            self.best[state] = cost;
            self.back[state] = from;
            true
        }

        fn reset(&mut self) {
            for st in self.touched.drain(..) {
                self.best[st] = i64::MAX;
                self.back[st] = usize::MAX;
            }
        }
    }

    /// A path found: from `start` on the source's edge through grid `nodes` to `end` on the
    /// target's edge.
    struct Routed {
        start: (i32, i32),
        nodes: Vec<usize>,
        end: (i32, i32),
    }

    /// What the arrows routed so far occupy.
    struct Traffic {
        /// By grid stretch: the (source, target) pairs that run along it.
        stretches: Vec<Vec<(usize, usize)>>,
        /// By grid node: (vertical?, source, target) for each way an arrow passes it.
        through: Vec<Vec<(bool, usize, usize)>>,
    }

    impl Traffic {
        fn add(&mut self, router: &Router, nodes: &[usize], pair: (usize, usize)) {
            for w in nodes.windows(2) {
                let dir = Dir::ALL
                    .into_iter()
                    .find(|&d| router.step(w[0], d) == Some(w[1]))
                    .expect("consecutive nodes of a path are neighbours");
                self.stretches[router.stretch(w[0], dir)].push(pair);
                for &n in w {
                    self.through[n].push((dir.vertical(), pair.0, pair.1));
                }
            }
        }
    }

    /// Drop repeated points and points in the middle of a straight run.
    fn simplify(points: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
        let mut out: Vec<(i32, i32)> = Vec::with_capacity(points.len());
        for p in points {
            if out.last() == Some(&p) {
                continue;
            }
            if let [.., a, b] = out[..]
                && ((a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1))
            {
                out.pop();
            }
            out.push(p);
        }
        out
    }
}

// ---------- text that fits ----------

/// Estimated width in px, from DejaVu Sans's advance widths (in em) grouped by shape.
fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '\'' | '.' | ',' | ':' | ';' | '|' | '!' => 0.28,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '-' | '/' | 'I' => 0.4,
            'm' => 0.98,
            'w' => 0.82,
            'M' | 'W' | '—' => 1.0,
            'A'..='Z' => 0.72,
            '0'..='9' => 0.64,
            c if c.is_ascii() => 0.62,
            _ => 0.8,
        })
        .sum();
    em * size * if bold { 1.1 } else { 1.0 }
}

/// Greedy word wrap into at most `max_lines`; a word longer than a line is cut, and text that
/// does not fit ends with "…" (the full text is in the step's tooltip).
fn wrap(text: &str, width: i32, size: f64, bold: bool, max_lines: usize) -> Vec<String> {
    let width = f64::from(width);
    let fits = |s: &str| text_width(s, size, bold) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word wider than a line is cut where it stops fitting.
        for c in word.chars() {
            current.push(c);
            if !fits(&current) {
                current.pop();
                lines.push(std::mem::replace(&mut current, c.to_string()));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(ellipsize(&rest, width, size, bold));
    }
    lines
}

fn ellipsize(text: &str, width: f64, size: f64, bold: bool) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if text_width(&format!("{out}…"), size, bold) > width {
            out.pop();
            break;
        }
    }
    format!("{}…", out.trim_end())
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
    html! {
        div.swimlane data-steps=(layout.boxes.len()) {
            (summary(&layout))
            div.swimlane-scroll tabindex="0" role="region" aria-label="Process map diagram; scroll sideways to see every step" {
                (pinned_labels(&layout))
                svg.swimlane-svg role="img" aria-labelledby=(title_id) aria-describedby=(desc_id)
                    width=(layout.width) height=(layout.height)
                    viewBox={ "0 0 " (layout.width) " " (layout.height) }
                    preserveAspectRatio="xMinYMin meet" {
                    title id=(title_id) { (title) }
                    desc id=(desc_id) { (describe(&layout, map, overlay)) }
                    defs {
                        (arrowhead(&arrow_id, "arrowhead"))
                        (arrowhead(&hold_arrow_id, "arrowhead hold-arrowhead"))
                    }
                    g.lanes {
                        @for (i, lane) in layout.lanes.iter().enumerate() {
                            g.lane data-stage=(lane.stage.as_str()) {
                                rect class={ "lane-bg " (if i % 2 == 0 { "lane-even" } else { "lane-odd" }) }
                                    x="0" y=(lane.y) width=(layout.width + BAND_OVERHANG) height=(lane.height) {}
                                (lane_label(lane))
                                line.lane-rule x1="0" x2=(layout.width + BAND_OVERHANG) y1=(lane.y) y2=(lane.y) {}
                            }
                        }
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
            }
            (legend(&present))
        }
    }
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

fn lane_label(lane: &Lane) -> Markup {
    let y = lane.y + 30;
    let count = match lane.steps {
        1 => "1 step".to_string(),
        n => format!("{n} steps"),
    };
    html! {
        rect.lane-label-bg x="0" y=(lane.y) width=(LABEL_W) height=(lane.height) {}
        text.lane-label x="16" y=(y) font-size="14" { (stage_label(lane.stage)) }
        text.lane-count x="16" y=(y + 18) font-size="12" { (count) }
    }
}

/// The lane labels again, in a narrow SVG that sticks to the left edge of the scrolling
/// wrapper, so a reader far to the right still sees which lane is which. Hidden from assistive
/// technology: the diagram's own title and description already name every stage.
fn pinned_labels(layout: &Layout) -> Markup {
    html! {
        svg.swimlane-pin aria-hidden="true" focusable="false" width=(LABEL_W) height=(layout.height)
            viewBox={ "0 0 " (LABEL_W) " " (layout.height) } {
            @for lane in &layout.lanes {
                (lane_label(lane))
                line.lane-rule x1="0" x2=(LABEL_W) y1=(lane.y) y2=(lane.y) {}
            }
            line.pin-edge x1=(LABEL_W - 1) x2=(LABEL_W - 1) y1="0" y2=(layout.height) {}
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
    let h = b.height;
    let details_top = PAD_TOP + NAME_LH * b.name.len() as i32 + 6;
    let footer_y = h - FOOTER_H + 9;
    let recorded = recorded_label(s.recorded_in);
    let pill_w = text_width(recorded, SMALL_SIZE, true).ceil() as i32 + 14;
    html! {
        g class=(class) data-step=(s.key) transform={ "translate(" (b.x) " " (b.y) ")" } {
            title { (tooltip(s, b.overlay, map, overlay)) }
            rect.step-box width=(BOX_W) height=(h) rx="6" {}
            @if s.controlled {
                path.controlled-bar d={
                    "M7 0 V" (h) " H6 Q0 " (h) " 0 " (h - 6) " V6 Q0 0 6 0 Z"
                } {}
            }
            @for (i, line) in b.name.iter().enumerate() {
                text.step-name x=(PAD_X) y=(PAD_TOP + NAME_LH * (i as i32 + 1) - 4)
                    font-size=(NAME_SIZE) { (line) }
            }
            @for (i, line) in b.details.iter().enumerate() {
                text class=(line.class) x=(PAD_X) y=(details_top + DETAIL_LH * (i as i32 + 1) - 4)
                    font-size=(DETAIL_SIZE) { (line.text) }
            }
            g class={ "recorded recorded-" (s.recorded_in.as_str()) }
                transform={ "translate(" (PAD_X) " " (footer_y) ")" } {
                rect width=(pill_w) height="18" rx="9" {}
                text x=(pill_w / 2) y="13" text-anchor="middle" font-size=(SMALL_SIZE) { (recorded) }
            }
            @if s.controlled {
                g.controlled-mark transform={ "translate(" (BOX_W - PAD_X - 80) " " (footer_y + 2) ")" } {
                    (lock(0, 0))
                    text x="15" y="11" font-size=(SMALL_SIZE) { "Controlled" }
                }
            }
            @if s.params.scan {
                g.scan-badge transform={ "translate(" (SCAN_TAG.0) " -9)" } {
                    rect width=(SCAN_TAG.1 - SCAN_TAG.0) height="18" rx="9" {}
                    (barcode(9, 5, 8))
                    text x="25" y="13" font-size=(SMALL_SIZE) { "Scan" }
                }
            }
            @if b.changed() {
                g.changed-tag transform={ "translate(" (CHANGED_TAG.0) " -9)" } {
                    rect width=(CHANGED_TAG.1 - CHANGED_TAG.0) height="18" rx="9" {}
                    text x="33" y="13" text-anchor="middle" font-size=(SMALL_SIZE) { "Changed" }
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
        "{} steps in {} stages, left to right in the order they happen.",
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
                    path.arrow d="M2 13 H38" {}
                    path.legend-head d="M34 9.5 L41 13 L34 16.5 Z" {}
                }
                span { "Comes after: a step starts once every arrow into it is done" }
            }
            @if present.controlled {
                li.step.controlled {
                    svg.legend-swatch width="44" height="26" viewBox="-2 -2 44 26" aria-hidden="true" {
                        rect.step-box width="40" height="22" rx="5" {}
                        path.controlled-bar d="M7 0 V22 H6 Q0 22 0 16 V6 Q0 0 6 0 Z" {}
                        g.controlled-mark { (lock(18, 4)) }
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
                        path.hold-arrow d="M2 13 H38" {}
                        path.legend-head.hold-head d="M34 9.5 L41 13 L34 16.5 Z" {}
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

    #[test]
    fn a_site_overlay_shows_local_owners_and_outlines_what_changed() {
        let map = car_t();
        let overlay = demo_overlay();
        let svg = swimlane(&map, Some(&overlay)).into_string();
        assert!(step_tag(&svg, "pharmacist_verification").contains(" changed"));
        assert!(step_tag(&svg, "dual_verification_cd4").contains(" changed"));
        assert!(!step_tag(&svg, "physician_order").contains(" changed"));
        assert_eq!(count(&svg, "<g class=\"changed-tag\""), 2);
        assert!(svg.contains("Owner: BMT attending"));
        assert!(svg.contains("System: Epic Beacon"));
        assert!(svg.contains("At BMT clinic"));
        assert!(svg.contains("Riverside Medical Center"));
        assert!(svg.contains("Changed in this site version"));
        // without the overlay nothing is outlined
        let plain = swimlane(&map, None).into_string();
        assert!(!plain.contains("changed-ring"));
        assert!(!plain.contains("Owner:"));
    }

    #[test]
    fn every_arrow_points_right_no_boxes_overlap_and_no_arrow_crosses_a_box() {
        for (name, map) in [("car-t", car_t()), ("in vivo", in_vivo())] {
            let overlay = demo_overlay();
            let layout = Layout::new(&map, Some(&overlay));
            for a in &layout.arrows {
                let (s, t) = (&layout.boxes[a.from], &layout.boxes[a.to]);
                let arrow = format!("{name}: arrow {} → {}", s.step.key, t.step.key);
                assert!(t.x > s.x, "{arrow}: target x {} ≤ source x {}", t.x, s.x);
                let on_edge = |p: (i32, i32), b: &StepBox| {
                    let r = b.rect();
                    let inside = |v: i32, lo: i32, hi: i32| v >= lo && v <= hi;
                    inside(p.0, r.x0, r.x1)
                        && inside(p.1, r.y0, r.y1)
                        && (p.0 == r.x0 || p.0 == r.x1 || p.1 == r.y0 || p.1 == r.y1)
                };
                let (first, last) = (a.points[0], a.points[a.points.len() - 1]);
                assert!(on_edge(first, s), "{arrow} starts at {first:?}");
                assert!(on_edge(last, t), "{arrow} ends at {last:?}");
                for seg in a.points.windows(2) {
                    assert!(
                        seg[0].0 == seg[1].0 || seg[0].1 == seg[1].1,
                        "{arrow}: runs straight or turns at right angles"
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
                    let apart = a.right() <= b.x
                        || b.right() <= a.x
                        || a.bottom() <= b.y
                        || b.bottom() <= a.y;
                    assert!(apart, "{name}: {} overlaps {}", a.step.key, b.step.key);
                }
                let lane = layout
                    .lanes
                    .iter()
                    .find(|l| l.stage == a.step.stage)
                    .expect("a lane for every stage with steps");
                assert!(
                    a.y >= lane.y && a.bottom() <= lane.y + lane.height,
                    "{name}: {} sits in its stage's lane",
                    a.step.key
                );
            }
            // lanes follow the process order
            let stages: Vec<Stage> = layout.lanes.iter().map(|l| l.stage).collect();
            assert!(stages.is_sorted(), "{stages:?}");
        }
    }

    #[test]
    fn the_two_car_t_components_thawed_together_stack_with_the_one_given_later_on_top() {
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
        // CD4 is given first, so its arrow leaves the lower box and does not cross CD8's
        assert!(cd4.y >= cd8.bottom() + STACK_GAP);
        let crossings = crossings(&layout);
        assert!(crossings.is_empty(), "{crossings:?}");
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
        };
        let svg = swimlane(&map, Some(&overlay)).into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn long_names_wrap_within_the_box_and_end_with_an_ellipsis_when_too_long() {
        let lines = wrap(
            "Monitoring (infusion reactions, liver function)",
            TEXT_W,
            NAME_SIZE,
            true,
            3,
        );
        assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
        for l in &lines {
            assert!(text_width(l, NAME_SIZE, true) <= f64::from(TEXT_W), "{l}");
        }
        let long = "word ".repeat(40);
        let lines = wrap(&long, TEXT_W, NAME_SIZE, true, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'), "{lines:?}");
        let unbroken = wrap(&"x".repeat(80), TEXT_W, NAME_SIZE, true, 3);
        assert!(
            unbroken
                .iter()
                .all(|l| text_width(l, NAME_SIZE, true) <= f64::from(TEXT_W))
        );
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
    fn steps_in_one_row_are_joined_by_a_straight_arrow() {
        let map = in_vivo();
        let layout = Layout::new(&map, None);
        assert_eq!(layout.lanes.len(), 6, "six stages have steps");
        let arrow = layout
            .arrows
            .iter()
            .find(|a| layout.boxes[a.to].step.key == "administration")
            .expect("verification → infusion");
        assert_eq!(arrow.points.len(), 2, "{:?}", arrow.points);
    }
}
