//! Where everything goes: lanes, rows, boxes with their wrapped names, details and chips, and
//! the arrows routed between them — pure geometry, tested for what a reader relies on.

use super::super::recorded_label;
use super::super::route::{Rect, Router};
use super::super::text::{text_width, wrap, wrap_lines};
use super::{SiteOverlay, StepOverlay};
use crate::labels;
use cellpath_domain::process_map::{RecordedIn, Stage, Step, ValidMap};
use std::collections::{BTreeMap, BTreeSet};

// ---------- geometry (px, at the natural size; CSS scales it down to fit if need be) ----------

/// A lane: a box and the channel beside it, where arrows run down past other boxes. Eight
/// lanes and the margins make 1,014 px, the content column on a laptop.
pub(super) const LANE_W: i32 = 126;
pub(super) const BOX_W: i32 = 116;
/// Left and right of the lanes, so the outer lanes have a channel outside them too.
pub(super) const SIDE: i32 = 3;
/// The lane names across the top.
pub(super) const HEADER_H: i32 = 46;
/// Between the header and the first row.
pub(super) const TOP_GAP: i32 = 20;
/// Between two rows: room for arrows to run across (three tracks, 5 px apart).
pub(super) const ROW_GAP: i32 = 30;
pub(super) const BOTTOM_PAD: i32 = 18;
/// The controlled bar along a box's left edge.
pub(super) const BAR_W: i32 = 5;
pub(super) const PAD_LEFT: i32 = 9;
pub(super) const PAD_RIGHT: i32 = 5;
pub(super) const TEXT_W: i32 = BOX_W - PAD_LEFT - PAD_RIGHT;
/// The padlock in a controlled box's top right corner: the name's first line stops short of it.
pub(super) const LOCK_W: i32 = 14;
pub(super) const PAD_TOP: i32 = 7;
pub(super) const NAME_SIZE: f64 = 12.0;
pub(super) const NAME_LH: i32 = 15;
pub(super) const MAX_NAME_LINES: usize = 4;
/// Between the name and the lines under it, and between those and the chips.
pub(super) const NAME_GAP: i32 = 3;
pub(super) const CHIPS_GAP: i32 = 5;
pub(super) const DETAIL_SIZE: f64 = 12.0;
pub(super) const DETAIL_LH: i32 = 14;
pub(super) const SMALL_SIZE: f64 = 11.0;
/// The chips along a box's bottom: where it is recorded, "Scan", "Changed".
pub(super) const CHIP_H: i32 = 18;
pub(super) const CHIP_GAP: i32 = 4;
pub(super) const PAD_BOTTOM: i32 = 6;
pub(super) const CORNER: i32 = 7;

/// Everything the drawing needs, computed from the map.
pub(super) struct Layout<'m> {
    pub(super) width: i32,
    pub(super) height: i32,
    /// In process order, left to right.
    pub(super) lanes: Vec<Lane>,
    /// In `ValidMap::steps()` order.
    pub(super) boxes: Vec<StepBox<'m>>,
    pub(super) arrows: Vec<Arrow>,
}

pub(super) struct Lane {
    pub(super) stage: Stage,
    /// The lane's left edge; it is [`LANE_W`] wide.
    pub(super) x: i32,
    pub(super) steps: usize,
}

pub(super) struct StepBox<'m> {
    pub(super) step: &'m Step,
    pub(super) overlay: Option<&'m StepOverlay>,
    pub(super) lane: usize,
    pub(super) row: usize,
    pub(super) x: i32,
    pub(super) y: i32,
    /// The height of its row, so a row reads evenly.
    pub(super) height: i32,
    pub(super) name: Vec<String>,
    pub(super) details: Vec<Line>,
    pub(super) chips: Vec<Chip>,
}

impl StepBox<'_> {
    pub(super) fn right(&self) -> i32 {
        self.x + BOX_W
    }
    pub(super) fn bottom(&self) -> i32 {
        self.y + self.height
    }
    pub(super) fn changed(&self) -> bool {
        self.overlay.is_some_and(|o| o.changed)
    }
    pub(super) fn rect(&self) -> Rect {
        Rect {
            x0: self.x,
            y0: self.y,
            x1: self.right(),
            y1: self.bottom(),
        }
    }
    pub(super) fn chip_lines(&self) -> i32 {
        self.chips.iter().map(|c| c.line + 1).max().unwrap_or(0)
    }
    /// What the box needs: name, details, then the chips.
    pub(super) fn content_height(&self) -> i32 {
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
    pub(super) fn chips_top(&self) -> i32 {
        let lines = self.chip_lines();
        self.height - PAD_BOTTOM - lines * CHIP_H - (lines - 1).max(0) * CHIP_GAP
    }
}

pub(super) struct Line {
    pub(super) text: String,
    pub(super) class: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChipKind {
    Recorded,
    Scan,
    Changed,
}

/// A chip, placed from the box's left edge on a line of chips (0 = the first).
pub(super) struct Chip {
    pub(super) kind: ChipKind,
    pub(super) x: i32,
    pub(super) line: i32,
    pub(super) width: i32,
}

pub(super) struct Arrow {
    pub(super) from: usize,
    pub(super) to: usize,
    /// A hold point's release: from its `hold_until` step, drawn dashed.
    pub(super) hold: bool,
    pub(super) points: Vec<(i32, i32)>,
}

impl<'m> Layout<'m> {
    pub(super) fn new(map: &'m ValidMap, overlay: Option<&'m SiteOverlay>) -> Layout<'m> {
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
pub(super) fn details(
    step: &Step,
    overlay: Option<&StepOverlay>,
    hold_until: Option<&str>,
) -> Vec<Line> {
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
pub(super) fn chips(step: &Step, changed: bool) -> Vec<Chip> {
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
pub(super) const CHIP_PAD: i32 = 6;
pub(super) const BARCODE_W: i32 = 13;

pub(super) fn chip_width(kind: ChipKind, recorded: RecordedIn) -> i32 {
    let words = |text: &str| text_width(text, SMALL_SIZE, true).ceil() as i32;
    match kind {
        ChipKind::Recorded => words(recorded_label(recorded)) + 2 * CHIP_PAD,
        ChipKind::Scan => CHIP_PAD + BARCODE_W + 3 + words("Scan") + CHIP_PAD,
        ChipKind::Changed => words("Changed") + 2 * CHIP_PAD,
    }
}
