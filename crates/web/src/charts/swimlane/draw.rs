//! Drawing the laid-out map as SVG: lane bands and headers, step boxes with their chips, arrows,
//! tooltips, the text description for screen readers, and the legend of what is present.

use super::super::{kind_label, recorded_label, recorded_sentence, stage_label};
use super::layout::*;
use super::{Progress, SiteOverlay, StepOverlay, plural};
use crate::labels;
use cellpath_domain::process_map::{RecordedIn, Step, StepKind, ValidMap};
use maud::{Markup, html};
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
pub(super) fn lane_band(layout: &Layout, i: usize) -> (i32, i32) {
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
pub(super) fn summary(layout: &Layout) -> Markup {
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
pub(super) struct Present {
    pub(super) controlled: bool,
    pub(super) scan: bool,
    pub(super) hold: bool,
    pub(super) optional: bool,
    pub(super) ehr: bool,
    pub(super) overlay: bool,
    pub(super) changed: bool,
}

impl Present {
    pub(super) fn of(layout: &Layout, overlay: bool) -> Present {
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
pub(super) fn diagram_id(map: &ValidMap, overlay: Option<&SiteOverlay>) -> String {
    let map_json = serde_json::to_string(map.as_map()).unwrap_or_default();
    let text = format!("{map_json}{overlay:?}");
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("swimlane-{:08x}", hash >> 32)
}

pub(super) fn arrowhead(id: &str, class: &str) -> Markup {
    html! {
        marker id=(id) class=(class) viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
            markerHeight="7" markerUnits="userSpaceOnUse" orient="auto" {
            path d="M0 0.5 L10 5 L0 9.5 Z" {}
        }
    }
}

/// A lane's name and step count, at the top of its column.
pub(super) fn lane_header(layout: &Layout, i: usize) -> Markup {
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
pub(super) fn pinned_header(layout: &Layout) -> Markup {
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

pub(super) fn step_box(b: &StepBox, map: &ValidMap, overlay: Option<&SiteOverlay>) -> Markup {
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
pub(super) fn chip_mark(chip: &Chip, recorded: RecordedIn, x: i32, y: i32) -> Markup {
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
pub(in crate::charts) fn lock(x: i32, y: i32) -> Markup {
    html! {
        g.lock transform={ "translate(" (x) " " (y) ")" } {
            path.lock-shackle d="M2.5 6 V4 A3.5 3.5 0 0 1 9.5 4 V6" {}
            rect.lock-body x="0.5" y="5.5" width="11" height="8" rx="1.5" {}
        }
    }
}

/// A barcode: someone scans a label here.
pub(super) fn barcode(x: i32, y: i32, height: i32) -> Markup {
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
pub(super) fn path_d(points: &[(i32, i32)]) -> String {
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

pub(super) fn dist(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs() + (a.1 - b.1).abs()
}

/// Everything about a step, for the tooltip a reader gets by pointing at its box.
pub(super) fn tooltip(
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
pub(super) fn describe(layout: &Layout, map: &ValidMap, overlay: Option<&SiteOverlay>) -> String {
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

pub(super) fn legend(present: &Present) -> Markup {
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
