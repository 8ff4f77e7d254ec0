use super::draw::*;
use super::layout::*;
use super::*;
use crate::charts::route;
use crate::charts::text::{text_width, wrap, wrap_lines};
use cellpath_domain::process_map::{ProcessMap, scan_burden, seeds, validate};
use cellpath_domain::process_map::{Stage, Step, StepKind, ValidMap};
use std::collections::{BTreeMap, BTreeSet};

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
