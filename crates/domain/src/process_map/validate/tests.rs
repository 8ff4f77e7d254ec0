use super::*;
use crate::Role;
use crate::process_map::model::{RecordedIn, Stage};
use crate::process_map::seeds;

/// The CAR-T seed with one change made by `edit`; the seed itself is valid, so whatever is
/// reported comes from the change.
fn car_t_with(edit: impl FnOnce(&mut ProcessMap, &mut MapContext)) -> Vec<String> {
    let (mut map, mut ctx) = seeds::autologous_car_t();
    edit(&mut map, &mut ctx);
    messages(&map, &ctx)
}

fn messages(map: &ProcessMap, ctx: &MapContext) -> Vec<String> {
    match validate(map, ctx) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn step_mut<'a>(map: &'a mut ProcessMap, key: &str) -> &'a mut Step {
    map.steps
        .iter_mut()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("the seed has a step {key}"))
}

fn record(key: &str, after: &[&str]) -> Step {
    Step {
        key: key.into(),
        name: key.replace('_', " "),
        stage: Stage::Administration,
        kind: StepKind::Record,
        role: Role::Nurse,
        after: after.iter().map(|a| (*a).into()).collect(),
        controlled: false,
        recorded_in: RecordedIn::Cellpath,
        optional: false,
        params: StepParams::default(),
    }
}

fn no_units() -> MapContext {
    MapContext {
        units: vec![],
        requires_dual_verification: false,
    }
}

#[test]
fn the_seed_itself_is_clean() {
    assert_eq!(car_t_with(|_, _| {}), Vec::<String>::new());
}

#[test]
fn a_cycle_is_named_step_by_step() {
    let map = ProcessMap {
        steps: vec![
            record("order", &[]),
            record("infusion", &["order", "monitor"]),
            record("monitor", &["infusion"]),
            record("follow_up", &["monitor"]),
        ],
    };
    assert_eq!(
        messages(&map, &no_units()),
        ["cycle: infusion → monitor → infusion"]
    );
    // and in a real map, nothing else is reported
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "administer_cd8")
            .after
            .push("monitoring".into())),
        ["cycle: administer_cd8 → monitoring → administer_cd8"]
    );
}

#[test]
fn a_map_where_every_step_comes_after_another_has_no_start() {
    // with no start and no end there must be a cycle, so all three are said
    let map = ProcessMap {
        steps: vec![
            record("a", &["c"]),
            record("b", &["a"]),
            record("c", &["b"]),
        ],
    };
    assert_eq!(
        messages(&map, &no_units()),
        [
            "no start: every step comes after another (exactly one step must have no after)",
            "no end: every step has a step after it (exactly one step must have nothing after it)",
            "cycle: a → b → c → a",
        ]
    );
}

#[test]
fn two_ends_are_named() {
    assert_eq!(
        car_t_with(|m, _| m.steps.push(record("discharge", &["monitoring"]))),
        ["two ends: follow_up and discharge (every path must finish at one end step)"]
    );
}

#[test]
fn a_step_nobody_connected_is_unreachable() {
    assert_eq!(
        car_t_with(|m, _| {
            m.steps.push(record("site_huddle", &[]));
            step_mut(m, "follow_up").after.push("site_huddle".into());
        }),
        [
            "step site_huddle cannot be reached from the start referral: it has no after, and only the start may have none"
        ]
    );
}

#[test]
fn the_start_is_the_step_most_steps_follow_even_when_written_later() {
    let (mut map, ctx) = seeds::autologous_car_t();
    let mut huddle = record("site_huddle", &[]);
    huddle.kind = StepKind::Record;
    map.steps.insert(0, huddle);
    step_mut(&mut map, "follow_up")
        .after
        .push("site_huddle".into());
    assert_eq!(
        messages(&map, &ctx),
        [
            "step site_huddle cannot be reached from the start referral: it has no after, and only the start may have none"
        ]
    );
}

#[test]
fn a_thaw_needs_a_later_administer_of_its_unit() {
    // thaw cd8 only after cd8 has been given
    assert_eq!(
        car_t_with(|m, _| {
            step_mut(m, "dual_verification_cd8").after = vec!["administer_cd4".into()];
            step_mut(m, "thaw_cd8").after = vec!["administer_cd8".into()];
            step_mut(m, "monitoring").after.push("thaw_cd8".into());
        }),
        ["step thaw_cd8 thaws unit cd8 but no later administer step gives cd8"]
    );
}

#[test]
fn an_administer_needs_a_dual_verification_when_the_program_requires_one() {
    let without_cd4_check = |m: &mut ProcessMap| {
        step_mut(m, "dual_verification_cd4").kind = StepKind::Record;
    };
    assert_eq!(
        car_t_with(|m, _| without_cd4_check(m)),
        [
            "administer_cd4 is not preceded by a dual_verification of unit cd4 (the program requires one)"
        ]
    );
    assert_eq!(
        car_t_with(|m, ctx| {
            without_cd4_check(m);
            ctx.requires_dual_verification = false;
        }),
        Vec::<String>::new()
    );
}

#[test]
fn a_dual_verification_without_a_unit_covers_every_unit() {
    assert_eq!(
        car_t_with(|m, _| {
            step_mut(m, "dual_verification_cd4").params.unit = None;
            step_mut(m, "dual_verification_cd8").kind = StepKind::Record;
        }),
        Vec::<String>::new()
    );
}

#[test]
fn a_thaw_window_must_be_positive_and_within_the_label() {
    let window = |minutes| {
        car_t_with(move |m, _| step_mut(m, "thaw_cd4").params.window_minutes = Some(minutes))
    };
    assert_eq!(window(0), ["thaw_cd4: window_minutes must be more than 0"]);
    assert_eq!(
        window(180),
        ["thaw_cd4: window_minutes 180 is longer than the 120 minutes unit cd4's label allows"]
    );
    assert_eq!(window(90), Vec::<String>::new());
}

#[test]
fn a_thaw_without_a_window_takes_its_units_and_a_shorter_one_is_kept() {
    let (mut map, ctx) = seeds::autologous_car_t();
    step_mut(&mut map, "thaw_cd8").params.window_minutes = Some(90);
    let valid = validate(&map, &ctx).expect("valid");
    assert_eq!(valid.thaw_window_minutes("thaw_cd4"), Some(120));
    assert_eq!(valid.thaw_window_minutes("thaw_cd8"), Some(90));
    assert_eq!(valid.thaw_window_minutes("monitoring"), None);
}

#[test]
fn a_program_unit_with_a_zero_window_is_refused() {
    assert_eq!(
        car_t_with(|_, ctx| ctx.units[0].thaw_window_minutes = 0),
        ["unit cd4: thaw_window_minutes must be more than 0"]
    );
}

#[test]
fn an_unknown_unit_is_named_with_the_known_ones_and_nothing_piles_on() {
    for key in ["thaw_cd8", "dual_verification_cd8", "administer_cd8"] {
        assert_eq!(
            car_t_with(|m, _| step_mut(m, key).params.unit = Some("cd9".into())),
            [format!(
                "step {key} names unknown unit cd9 (units: cd4, cd8)"
            )],
            "on {key}"
        );
    }
}

#[test]
fn thaw_and_administer_must_name_their_unit() {
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "administer_cd8").params.unit = None),
        ["step administer_cd8 gives a product unit but names none: set unit (units: cd4, cd8)"]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "thaw_cd4").params.unit = None),
        ["step thaw_cd4 thaws a product unit but names none: set unit (units: cd4, cd8)"]
    );
}

#[test]
fn every_unit_of_the_program_must_be_given() {
    assert_eq!(
        car_t_with(|_, ctx| {
            let mut booster = ctx.units[0].clone();
            booster.key = "booster".into();
            ctx.units.push(booster);
        }),
        ["unit booster is never given: add an administer step with unit booster"]
    );
}

#[test]
fn duplicate_keys_are_named_once() {
    assert_eq!(
        car_t_with(|m, _| {
            let copy = step_mut(m, "receipt_and_storage").clone();
            m.steps.push(copy);
        }),
        ["duplicate step key receipt_and_storage"]
    );
}

#[test]
fn an_after_naming_no_step_is_named_without_the_ends_it_orphans() {
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "physician_order").after[0] = "receipt".into()),
        ["step physician_order comes after unknown step receipt"]
    );
}

#[test]
fn keys_and_names_are_checked() {
    assert_eq!(
        car_t_with(|m, _| {
            step_mut(m, "referral").key = "Referral!".into();
            step_mut(m, "benefits_check").after = vec!["Referral!".into()];
            step_mut(m, "consent").name = "  ".into();
        }),
        [
            "step key \"Referral!\" is not valid: use 1–40 characters of a-z, 0-9 and _ (e.g. receipt_and_storage)",
            "step consent: name must not be empty",
        ]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "consent").after.push("benefits_check".into())),
        ["step consent lists benefits_check twice in after"]
    );
}

#[test]
fn a_hold_point_needs_a_release_that_can_happen_before_it() {
    let hold = |until: Option<&str>| {
        let until = until.map(String::from);
        car_t_with(move |m, _| step_mut(m, "lymphodepletion").params.hold_until = until)
    };
    assert_eq!(
        hold(None),
        [
            "step lymphodepletion is a hold_point but names no hold_until (the step whose completion releases it, e.g. release_decision)"
        ]
    );
    assert_eq!(
        hold(Some("release")),
        ["step lymphodepletion is held until unknown step release"]
    );
    assert_eq!(
        hold(Some("lymphodepletion")),
        ["step lymphodepletion is held until itself, so it could never start"]
    );
    assert_eq!(
        hold(Some("administer_cd4")),
        [
            "step lymphodepletion is held until administer_cd4, which comes after it, so it could never start"
        ]
    );
    // an ancestor is a pointless hold but not a wrong one
    assert_eq!(hold(Some("collection")), Vec::<String>::new());
}

#[test]
fn holds_that_wait_on_each_other_are_refused() {
    let held = |key: &str, until: &str| {
        let mut s = record(key, &["start"]);
        s.kind = StepKind::HoldPoint;
        s.params.hold_until = Some(until.into());
        s
    };
    let map = ProcessMap {
        steps: vec![
            record("start", &[]),
            held("p1", "x2"),
            record("x1", &["p1"]),
            held("p2", "x1"),
            record("x2", &["p2"]),
            record("end", &["x1", "x2"]),
        ],
    };
    assert_eq!(
        messages(&map, &no_units()),
        [
            "hold points wait on each other: p1 → x1 → p2 → x2 → p1 (each step held until another must be able to start without it)"
        ]
    );
}

#[test]
fn kind_parameters_are_required() {
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "monitoring").params.monitoring_days = Some(0)),
        ["monitoring: monitoring_days must be more than 0 (e.g. 14)"]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "monitoring").params.monitoring_days = None),
        ["monitoring: monitoring_days must be more than 0 (e.g. 14)"]
    );
    assert_eq!(
        car_t_with(|m, _| {
            let p = &mut step_mut(m, "follow_up").params;
            p.follow_up.clear();
            p.visits.clear();
        }),
        [
            "step follow_up schedules no follow-up: add a registry form (e.g. CIBMTR 4006, due_days 100) or a visit"
        ]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "follow_up").params.follow_up[0].form = " ".into()),
        ["step follow_up: a follow-up form needs a name (e.g. CIBMTR 4006)"]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "follow_up").params.follow_up[3].closes_days = Some(90)),
        [
            "step follow_up: CIBMTR 4100 at day 100 opens on day 85 and closes on day 90: a window opens on or before its due day and closes on or after it"
        ]
    );
    assert_eq!(
        car_t_with(|m, _| {
            let p = &mut step_mut(m, "follow_up").params;
            let again = p.follow_up[0].clone();
            p.follow_up.push(again);
        }),
        ["step follow_up lists CIBMTR 4006 at day 0 twice"]
    );
    assert_eq!(
        car_t_with(|m, _| {
            let p = &mut step_mut(m, "follow_up").params;
            p.follow_up.retain(|f| f.due_days < 3000);
            p.follow_up[4].opens_days = Some(160);
        }),
        [
            "step follow_up is on the standard track but lacks CIBMTR 4100 6 months (days 152–212), CIBMTR 4100 10 years (days 3620–3680), CIBMTR 4100 12 years (days 4350–4410), CIBMTR 4100 14 years (days 5080–5140): list each with its window (or leave the track out)"
        ]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "monitoring").params.track =
            Some(crate::process_map::FollowUpTrack::FifteenYear)),
        ["monitoring: track applies only to a follow_up step (this is a monitor step)"]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "physician_order").params.signatures.clear()),
        [
            "step physician_order is a signature step but lists no signatures: add one with a role and a meaning (e.g. physician, approved)"
        ]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "consent").kind = StepKind::Checklist),
        ["step consent is a checklist with no items: add the items to tick"]
    );
}

#[test]
fn a_parameter_of_another_kind_is_refused_not_ignored() {
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "receipt_and_storage").params.window_minutes = Some(30)),
        [
            "receipt_and_storage: window_minutes applies only to a thaw step (this is a custody_handoff step)"
        ]
    );
    assert_eq!(
        car_t_with(|m, _| step_mut(m, "monitoring").params.visits = vec![30]),
        ["monitoring: visits applies only to a follow_up step (this is a monitor step)"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = {
        let (mut map, ctx) = seeds::autologous_car_t();
        step_mut(&mut map, "thaw_cd4").params.window_minutes = Some(0);
        step_mut(&mut map, "monitoring").params.monitoring_days = None;
        map.steps.push(record("discharge", &["monitoring"]));
        validate(&map, &ctx).expect_err("three problems")
    };
    let steps: Vec<Option<&str>> = errors.iter().map(MapError::step).collect();
    assert_eq!(
        steps,
        [Some("thaw_cd4"), Some("monitoring"), Some("follow_up")]
    );
}

#[test]
fn an_empty_map_is_refused() {
    assert_eq!(
        messages(&ProcessMap::default(), &no_units()),
        ["the map has no steps: add a start step (a step with no after)"]
    );
}

#[test]
fn steps_come_in_topological_order_with_ties_in_written_order() {
    // written: end first, then two branches; the order puts each after its after-steps and
    // keeps b_1 before a_1 because b_1 was written first
    let map = ProcessMap {
        steps: vec![
            record("end", &["a_1", "b_1"]),
            record("b_1", &["start"]),
            record("start", &[]),
            record("a_1", &["start"]),
        ],
    };
    let valid = validate(&map, &no_units()).expect("valid");
    let keys: Vec<&str> = valid.steps().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["start", "b_1", "a_1", "end"]);
    assert_eq!(
        (valid.start().key.as_str(), valid.end().key.as_str()),
        ("start", "end")
    );
    assert_eq!(
        valid.as_map(),
        &map,
        "the authored order is kept for export"
    );
}
