//! The validator: turns an authored `ProcessMap` into a `ValidMap` or a list of every problem,
//! each naming its step(s) and what to do. A `ValidMap` can only come from here, so the journey
//! engine, the swimlane and the comparison never re-check a map ("parse, don't validate").
//!
//! Rules and the decisions behind them:
//! - Keys are unique, `a-z0-9_`, 1–40 characters; names are 1–200 characters on one line.
//! - Every `after` names an existing step; there is no cycle; exactly one step has no `after`
//!   (the start) and exactly one step has nothing after it (the end). In a graph without
//!   cycles this already makes every step reachable from the start and able to reach the end,
//!   so the only way to have an unreachable step is to leave a second step without `after`: it
//!   is reported as unreachable from the start, taken to be the step-without-`after` from which
//!   most steps can be reached (ties: the first written).
//! - `hold_point` needs `hold_until`, an existing step that is not the hold point itself nor one
//!   of its descendants. A hold is an ordering edge too (the held step starts only after its
//!   `hold_until` is done), so holds must not wait on each other in a circle, and the
//!   topological order of a `ValidMap` respects them.
//! - `thaw` needs a `unit` and a later (descendant) `administer` of that unit. Its window is
//!   `window_minutes` when given (more than 0, and no longer than the unit's labelled
//!   `thaw_window_minutes`: a site may shorten the label's window, never lengthen it), else the
//!   unit's window.
//! - `administer` needs a `unit`; when the program requires dual verification, an earlier
//!   (ancestor) `dual_verification` of the same unit, or one with no unit, which covers every
//!   unit (one bedside check of both bags). Every unit of the program must be given by some
//!   `administer` step.
//! - `monitor` needs `monitoring_days` > 0; `follow_up` at least one named form or one visit;
//!   `signature` at least one signature; `checklist` at least one item. Parameters that belong to
//!   another kind (`window_minutes` on a `monitor`…) are refused rather than silently ignored.
//! - Any `unit` must be one of the program's units.
//! - One mistake gives one message: checks that depend on something already reported are
//!   skipped rather than piled on. While an `after` names an unknown step, the count of starts
//!   and ends waits (the step the typo orphans would show up as a second end); while the graph
//!   has a cycle or a missing edge, the rules about what comes before what wait; a step with an
//!   unknown or missing unit might be the one meant to satisfy a unit rule, so that rule waits.
//!
//! Role validity is enforced by the type: an unknown role fails when the map is parsed, with
//! serde's message listing the allowed roles.

use super::graph::Graph;
use super::model::{KEY_MAX, MapContext, ProcessMap, Step, StepKind, StepParams, is_valid_key};
use crate::values::{Name, ValueError};
use std::collections::{BTreeMap, BTreeSet};

/// A map larger than this is refused: real maps have tens of steps, and the validator's
/// reachability matrix grows with the square of the step count.
pub const MAX_STEPS: usize = 500;

/// One problem with a map; the message says which step(s) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("the map has no steps: add a start step (a step with no after)")]
    Empty,
    #[error("the map has {count} steps; at most {max} are allowed")]
    TooManySteps { count: usize, max: usize },
    #[error(
        "unit key {key:?} is not valid: use 1–{KEY_MAX} characters of a-z, 0-9 and _ (e.g. cd4)"
    )]
    BadUnitKey { key: String },
    #[error("duplicate unit key {key}")]
    DuplicateUnit { key: String },
    #[error("unit {unit}: name {problem}")]
    BadUnitName { unit: String, problem: ValueError },
    #[error("unit {unit}: thaw_window_minutes must be more than 0")]
    ZeroUnitWindow { unit: String },
    #[error(
        "step key {key:?} is not valid: use 1–{KEY_MAX} characters of a-z, 0-9 and _ (e.g. receipt_and_storage)"
    )]
    BadKey { key: String },
    #[error("duplicate step key {key}")]
    DuplicateKey { key: String },
    #[error("step {step}: name {problem}")]
    BadName { step: String, problem: ValueError },
    #[error("step {step} comes after unknown step {after}")]
    UnknownAfter { step: String, after: String },
    #[error("step {step} lists {after} twice in after")]
    RepeatedAfter { step: String, after: String },
    #[error("step {step} names unknown unit {unit} ({})", units_hint(.known))]
    UnknownUnit {
        step: String,
        unit: String,
        known: Vec<String>,
    },
    #[error("step {step} {} a product unit but names none: set unit ({})", verb(*.kind), units_hint(.known))]
    MissingUnit {
        step: String,
        kind: StepKind,
        known: Vec<String>,
    },
    #[error("{step}: {param} applies only to a {applies_to} step (this is a {kind} step)")]
    ParamNotForKind {
        step: String,
        param: &'static str,
        applies_to: StepKind,
        kind: StepKind,
    },
    #[error("{step}: window_minutes must be more than 0")]
    ZeroWindow { step: String },
    #[error(
        "{step}: window_minutes {minutes} is longer than the {allowed} minutes unit {unit}'s label allows"
    )]
    WindowLongerThanLabel {
        step: String,
        unit: String,
        minutes: u32,
        allowed: u32,
    },
    #[error("{step}: monitoring_days must be more than 0 (e.g. 14)")]
    NoMonitoringDays { step: String },
    #[error(
        "step {step} schedules no follow-up: add a registry form (e.g. CIBMTR 4006, due_days 100) or a visit"
    )]
    EmptyFollowUp { step: String },
    #[error("step {step}: a follow-up form needs a name (e.g. CIBMTR 4006)")]
    UnnamedForm { step: String },
    #[error(
        "step {step}: {form} at day {due} opens on day {opens} and closes on day {closes}: a window opens on or before its due day and closes on or after it"
    )]
    BadFormWindow {
        step: String,
        form: String,
        opens: u32,
        due: u32,
        closes: u32,
    },
    #[error("step {step} lists {form} at day {due} twice")]
    DuplicateForm {
        step: String,
        form: String,
        due: u32,
    },
    #[error(
        "step {step} is on the {track} track but lacks {}: list each with its window (or leave the track out)",
        .missing.join(", ")
    )]
    MissingTrackForms {
        step: String,
        track: super::model::FollowUpTrack,
        missing: Vec<String>,
    },
    #[error(
        "step {step} is a signature step but lists no signatures: add one with a role and a meaning (e.g. physician, approved)"
    )]
    NoSignatures { step: String },
    #[error("step {step} is a checklist with no items: add the items to tick")]
    EmptyChecklist { step: String },
    #[error(
        "step {step} is a hold_point but names no hold_until (the step whose completion releases it, e.g. release_decision)"
    )]
    HoldWithoutCondition { step: String },
    #[error("step {step} is held until unknown step {until}")]
    HoldUntilUnknown { step: String, until: String },
    #[error("step {step} is held until itself, so it could never start")]
    HoldUntilItself { step: String },
    #[error("step {step} is held until {until}, which comes after it, so it could never start")]
    HoldUntilLater { step: String, until: String },
    #[error("no start: every step comes after another (exactly one step must have no after)")]
    NoStart,
    #[error(
        "step {step} cannot be reached from the start {start}: it has no after, and only the start may have none"
    )]
    Unreachable { step: String, start: String },
    #[error("no end: every step has a step after it (exactly one step must have nothing after it)")]
    NoEnd,
    #[error("{} ends: {} (every path must finish at one end step)", count_word(.ends.len()), and_list(.ends))]
    SeveralEnds { ends: Vec<String> },
    #[error("cycle: {}", .path.join(" → "))]
    Cycle { path: Vec<String> },
    #[error(
        "hold points wait on each other: {} (each step held until another must be able to start without it)",
        .path.join(" → ")
    )]
    HoldCycle { path: Vec<String> },
    #[error("step {step} thaws unit {unit} but no later administer step gives {unit}")]
    ThawWithoutAdminister { step: String, unit: String },
    #[error(
        "{step} is not preceded by a dual_verification of unit {unit} (the program requires one)"
    )]
    AdministerWithoutDualVerification { step: String, unit: String },
    #[error("unit {unit} is never given: add an administer step with unit {unit}")]
    UnitNeverGiven { unit: String },
}

impl MapError {
    /// The step a person should look at first, when the problem belongs to one step (a form
    /// shows the message next to it).
    pub fn step(&self) -> Option<&str> {
        use MapError::*;
        match self {
            BadKey { key } | DuplicateKey { key } => Some(key),
            BadName { step, .. }
            | UnknownAfter { step, .. }
            | RepeatedAfter { step, .. }
            | UnknownUnit { step, .. }
            | MissingUnit { step, .. }
            | ParamNotForKind { step, .. }
            | ZeroWindow { step }
            | WindowLongerThanLabel { step, .. }
            | NoMonitoringDays { step }
            | EmptyFollowUp { step }
            | UnnamedForm { step }
            | BadFormWindow { step, .. }
            | DuplicateForm { step, .. }
            | MissingTrackForms { step, .. }
            | NoSignatures { step }
            | EmptyChecklist { step }
            | HoldWithoutCondition { step }
            | HoldUntilUnknown { step, .. }
            | HoldUntilItself { step }
            | HoldUntilLater { step, .. }
            | Unreachable { step, .. }
            | ThawWithoutAdminister { step, .. }
            | AdministerWithoutDualVerification { step, .. } => Some(step),
            Cycle { path } | HoldCycle { path } => path.first().map(String::as_str),
            SeveralEnds { ends } => ends.first().map(String::as_str),
            Empty
            | TooManySteps { .. }
            | BadUnitKey { .. }
            | DuplicateUnit { .. }
            | BadUnitName { .. }
            | ZeroUnitWindow { .. }
            | NoStart
            | NoEnd
            | UnitNeverGiven { .. } => None,
        }
    }
}

/// Each form's window holds its due day; a form is listed once per day; a track's forms are
/// all there, with their windows (checked once the forms themselves are right: one mistake,
/// one message).
fn check_forms(step: &Step, errors: &mut Vec<MapError>) {
    let p = &step.params;
    let before = errors.len();
    let empty = p.follow_up.is_empty() && p.visits.is_empty(); // reported as EmptyFollowUp
    if empty || p.follow_up.iter().any(|f| f.form.trim().is_empty()) {
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    for f in &p.follow_up {
        if f.opens() > f.due_days || f.closes() < f.due_days {
            errors.push(MapError::BadFormWindow {
                step: step.key.clone(),
                form: f.form.clone(),
                opens: f.opens(),
                due: f.due_days,
                closes: f.closes(),
            });
        }
        if !seen.insert((f.form.trim(), f.due_days)) {
            errors.push(MapError::DuplicateForm {
                step: step.key.clone(),
                form: f.form.clone(),
                due: f.due_days,
            });
        }
    }
    if errors.len() > before {
        return;
    }
    if let Some(track) = p.track.filter(|_| step.kind == StepKind::FollowUp) {
        let missing: Vec<String> = crate::registry::track_forms(track)
            .into_iter()
            .filter(|t| !p.follow_up.contains(t))
            .map(|t| {
                format!(
                    "{} {} (days {}–{})",
                    t.form,
                    crate::registry::when_words(t.due_days),
                    t.opens(),
                    t.closes()
                )
            })
            .collect();
        if !missing.is_empty() {
            errors.push(MapError::MissingTrackForms {
                step: step.key.clone(),
                track,
                missing,
            });
        }
    }
}

fn verb(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Thaw => "thaws",
        StepKind::Administer => "gives",
        _ => "concerns",
    }
}

fn units_hint(known: &[String]) -> String {
    if known.is_empty() {
        "the program has no units".to_string()
    } else {
        format!("units: {}", known.join(", "))
    }
}

fn count_word(n: usize) -> String {
    const WORDS: [&str; 9] = [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    n.checked_sub(2)
        .and_then(|i| WORDS.get(i))
        .map_or_else(|| n.to_string(), |w| w.to_string())
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A map that passed every rule, with its steps in a topological order. Only `validate` builds
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMap {
    map: ProcessMap,
    context: MapContext,
    /// Step indices (into `map.steps`) in topological order, holds included.
    order: Vec<usize>,
    /// `rank[i]`: position of step i in `order`.
    rank: Vec<usize>,
    /// `reach[a][b]`: step b can only happen after step a (through `after` and holds).
    reach: Vec<Vec<bool>>,
    index: BTreeMap<String, usize>,
}

impl ValidMap {
    /// The steps in a topological order: every step after the steps it comes `after` and after
    /// its `hold_until`; ties keep the order the steps were written in.
    pub fn steps(&self) -> impl ExactSizeIterator<Item = &Step> + DoubleEndedIterator + '_ {
        self.order.iter().map(|&i| &self.map.steps[i])
    }

    pub fn step(&self, key: &str) -> Option<&Step> {
        self.index.get(key).map(|&i| &self.map.steps[i])
    }

    /// The one step with no `after`; always first in `steps()`.
    pub fn start(&self) -> &Step {
        &self.map.steps[self.order[0]]
    }

    /// The one step nothing comes after; always last in `steps()`.
    pub fn end(&self) -> &Step {
        &self.map.steps[*self.order.last().expect("a valid map has steps")]
    }

    /// Position of a step in `steps()`.
    pub fn rank(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&i| self.rank[i])
    }

    /// Whether `later` can only happen after `earlier` (an ancestor through `after` or a hold).
    pub fn comes_before(&self, earlier: &str, later: &str) -> bool {
        match (self.index.get(earlier), self.index.get(later)) {
            (Some(&a), Some(&b)) => self.reach[a][b],
            _ => false,
        }
    }

    /// The administration window a `thaw` step opens: its own `window_minutes`, else its
    /// unit's labelled window. `None` for other kinds.
    pub fn thaw_window_minutes(&self, key: &str) -> Option<u32> {
        let step = self.step(key)?;
        if step.kind != StepKind::Thaw {
            return None;
        }
        step.params.window_minutes.or_else(|| {
            let unit = step.params.unit.as_deref()?;
            self.context.unit(unit).map(|u| u.thaw_window_minutes)
        })
    }

    pub fn context(&self) -> &MapContext {
        &self.context
    }

    /// The map as authored (steps in the written order), e.g. to export it.
    pub fn as_map(&self) -> &ProcessMap {
        &self.map
    }

    pub fn into_parts(self) -> (ProcessMap, MapContext) {
        (self.map, self.context)
    }
}

/// Check a map against its program's facts. Every independent problem is reported (see the
/// module comment for what waits on what), in a stable order: the program's units, then each
/// step as written, then the shape of the graph, then the rules that need the graph.
pub fn validate(map: &ProcessMap, ctx: &MapContext) -> Result<ValidMap, Vec<MapError>> {
    let mut errors = Vec::new();
    check_units(ctx, &mut errors);
    let steps = &map.steps;
    if steps.is_empty() {
        errors.push(MapError::Empty);
        return Err(errors);
    }
    if steps.len() > MAX_STEPS {
        errors.push(MapError::TooManySteps {
            count: steps.len(),
            max: MAX_STEPS,
        });
        return Err(errors);
    }

    // A repeated key is reported once and its later copies are left out of the graph, so they
    // do not also show up as extra ends or starts.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut in_graph = vec![false; steps.len()];
    for (i, step) in steps.iter().enumerate() {
        if index.contains_key(step.key.as_str()) {
            errors.push(MapError::DuplicateKey {
                key: step.key.clone(),
            });
        } else {
            index.insert(&step.key, i);
            in_graph[i] = true;
        }
    }

    let known_units: Vec<String> = ctx.units.iter().map(|u| u.key.clone()).collect();
    let mut after_graph = Graph::new(steps.len());
    let mut graph_complete = true;
    for (i, step) in steps.iter().enumerate().filter(|(i, _)| in_graph[*i]) {
        if !is_valid_key(&step.key) {
            errors.push(MapError::BadKey {
                key: step.key.clone(),
            });
        }
        if let Err(problem) = Name::parse(&step.name) {
            errors.push(MapError::BadName {
                step: step.key.clone(),
                problem,
            });
        }
        let mut seen = BTreeSet::new();
        for after in &step.after {
            if !seen.insert(after.as_str()) {
                errors.push(MapError::RepeatedAfter {
                    step: step.key.clone(),
                    after: after.clone(),
                });
            } else if let Some(&p) = index.get(after.as_str()) {
                after_graph.add_edge(p, i);
            } else {
                graph_complete = false;
                errors.push(MapError::UnknownAfter {
                    step: step.key.clone(),
                    after: after.clone(),
                });
            }
        }
        check_params(step, ctx, &known_units, &index, &mut errors);
    }

    check_every_unit_given(steps, &in_graph, ctx, &mut errors);

    // The shape: cycles, starts, ends. A cycle among known edges is real whatever else is
    // wrong; the count of starts and ends is not while an `after` names an unknown step (the
    // step it orphans would show up as a second end), so those wait for the name to be fixed.
    let reach = after_graph.reachability();
    let cycles = after_graph.cycles(&reach);
    let acyclic = cycles.is_empty();
    if graph_complete {
        check_starts_and_ends(steps, &in_graph, &after_graph, &reach, &mut errors);
    }
    for cycle in cycles {
        errors.push(MapError::Cycle {
            path: keys(steps, &cycle),
        });
    }

    // Holds order steps too, so they join the graph the remaining rules look at. Those rules
    // ask what comes after what, which has no answer in a graph with a cycle or a missing edge.
    if !acyclic || !graph_complete {
        return Err(errors);
    }
    let mut full_graph = after_graph.clone();
    for (i, step) in steps.iter().enumerate().filter(|(i, _)| in_graph[*i]) {
        if step.kind != StepKind::HoldPoint {
            continue;
        }
        let Some(&h) = step.params.hold_until.as_deref().and_then(|u| index.get(u)) else {
            continue; // missing or unknown: reported with the step
        };
        if h == i {
            continue; // held until itself: reported with the step
        }
        if reach[i][h] {
            errors.push(MapError::HoldUntilLater {
                step: step.key.clone(),
                until: steps[h].key.clone(),
            });
        } else {
            full_graph.add_edge(h, i);
        }
    }
    let full_reach = full_graph.reachability();
    let hold_cycles = full_graph.cycles(&full_reach);
    if !hold_cycles.is_empty() {
        for cycle in hold_cycles {
            errors.push(MapError::HoldCycle {
                path: keys(steps, &cycle),
            });
        }
        return Err(errors);
    }

    check_units_in_order(steps, &in_graph, ctx, &full_reach, &mut errors);

    if !errors.is_empty() {
        return Err(errors);
    }
    let order = full_graph
        .topological_order(&in_graph)
        .expect("the graph with holds was just found to have no cycle");
    let mut rank = vec![0; steps.len()];
    for (position, &i) in order.iter().enumerate() {
        rank[i] = position;
    }
    Ok(ValidMap {
        map: map.clone(),
        context: ctx.clone(),
        order,
        rank,
        reach: full_reach,
        index: index.into_iter().map(|(k, i)| (k.to_string(), i)).collect(),
    })
}

fn check_starts_and_ends(
    steps: &[Step],
    in_graph: &[bool],
    after_graph: &Graph,
    reach: &[Vec<bool>],
    errors: &mut Vec<MapError>,
) {
    let starts: Vec<usize> = (0..steps.len())
        .filter(|&i| in_graph[i] && steps[i].after.is_empty())
        .collect();
    match starts.as_slice() {
        [] => errors.push(MapError::NoStart),
        [_] => {}
        several => {
            // The start is the one most steps follow (ties: the first written); the others are
            // steps someone forgot to connect.
            let reached = |s: usize| reach[s].iter().filter(|&&r| r).count();
            let main = several
                .iter()
                .copied()
                .max_by(|&a, &b| reached(a).cmp(&reached(b)).then(b.cmp(&a)))
                .expect("several starts");
            for &other in several.iter().filter(|&&s| s != main) {
                errors.push(MapError::Unreachable {
                    step: steps[other].key.clone(),
                    start: steps[main].key.clone(),
                });
            }
        }
    }
    let ends: Vec<String> = (0..steps.len())
        .filter(|&i| in_graph[i] && !after_graph.has_successor(i))
        .map(|i| steps[i].key.clone())
        .collect();
    match ends.len() {
        0 => errors.push(MapError::NoEnd),
        1 => {}
        _ => errors.push(MapError::SeveralEnds { ends }),
    }
}

fn keys(steps: &[Step], path: &[usize]) -> Vec<String> {
    path.iter().map(|&i| steps[i].key.clone()).collect()
}

fn check_units(ctx: &MapContext, errors: &mut Vec<MapError>) {
    let mut seen = BTreeSet::new();
    for unit in &ctx.units {
        if !is_valid_key(&unit.key) {
            errors.push(MapError::BadUnitKey {
                key: unit.key.clone(),
            });
        }
        if !seen.insert(unit.key.as_str()) {
            errors.push(MapError::DuplicateUnit {
                key: unit.key.clone(),
            });
        }
        if let Err(problem) = Name::parse(&unit.name) {
            errors.push(MapError::BadUnitName {
                unit: unit.key.clone(),
                problem,
            });
        }
        if unit.thaw_window_minutes == 0 {
            errors.push(MapError::ZeroUnitWindow {
                unit: unit.key.clone(),
            });
        }
    }
}

/// The rules of one step on its own: the parameters its kind needs, and only those.
fn check_params(
    step: &Step,
    ctx: &MapContext,
    known_units: &[String],
    index: &BTreeMap<&str, usize>,
    errors: &mut Vec<MapError>,
) {
    let p = &step.params;
    let key = || step.key.clone();
    let mut misplaced = |param: &'static str, present: bool, applies_to: StepKind| {
        if present && step.kind != applies_to {
            errors.push(MapError::ParamNotForKind {
                step: key(),
                param,
                applies_to,
                kind: step.kind,
            });
        }
    };
    misplaced("window_minutes", p.window_minutes.is_some(), StepKind::Thaw);
    misplaced(
        "monitoring_days",
        p.monitoring_days.is_some(),
        StepKind::Monitor,
    );
    misplaced("hold_until", p.hold_until.is_some(), StepKind::HoldPoint);
    misplaced("follow_up", !p.follow_up.is_empty(), StepKind::FollowUp);
    misplaced("visits", !p.visits.is_empty(), StepKind::FollowUp);
    misplaced("track", p.track.is_some(), StepKind::FollowUp);
    misplaced("items", !p.items.is_empty(), StepKind::Checklist);

    match &p.unit {
        Some(unit) if ctx.unit(unit).is_none() => errors.push(MapError::UnknownUnit {
            step: key(),
            unit: unit.clone(),
            known: known_units.to_vec(),
        }),
        None if matches!(step.kind, StepKind::Thaw | StepKind::Administer) => {
            errors.push(MapError::MissingUnit {
                step: key(),
                kind: step.kind,
                known: known_units.to_vec(),
            })
        }
        _ => {}
    }

    match step.kind {
        StepKind::Thaw => check_window(step, p, ctx, errors),
        StepKind::Monitor if p.monitoring_days.unwrap_or(0) == 0 => {
            errors.push(MapError::NoMonitoringDays { step: key() })
        }
        StepKind::FollowUp if p.follow_up.is_empty() && p.visits.is_empty() => {
            errors.push(MapError::EmptyFollowUp { step: key() })
        }
        StepKind::Signature if p.signatures.is_empty() => {
            errors.push(MapError::NoSignatures { step: key() })
        }
        StepKind::Checklist if p.items.iter().all(|i| i.trim().is_empty()) => {
            errors.push(MapError::EmptyChecklist { step: key() })
        }
        StepKind::HoldPoint => match p.hold_until.as_deref() {
            None => errors.push(MapError::HoldWithoutCondition { step: key() }),
            Some(until) if until == step.key => {
                errors.push(MapError::HoldUntilItself { step: key() })
            }
            Some(until) if !index.contains_key(until) => errors.push(MapError::HoldUntilUnknown {
                step: key(),
                until: until.to_string(),
            }),
            Some(_) => {}
        },
        _ => {}
    }
    if p.follow_up.iter().any(|f| f.form.trim().is_empty()) {
        errors.push(MapError::UnnamedForm { step: key() });
    }
    check_forms(step, errors);
}

fn check_window(step: &Step, p: &StepParams, ctx: &MapContext, errors: &mut Vec<MapError>) {
    let Some(minutes) = p.window_minutes else {
        return; // the unit's labelled window applies
    };
    if minutes == 0 {
        errors.push(MapError::ZeroWindow {
            step: step.key.clone(),
        });
        return;
    }
    let Some(unit) = p.unit.as_deref().and_then(|u| ctx.unit(u)) else {
        return;
    };
    if unit.thaw_window_minutes > 0 && minutes > unit.thaw_window_minutes {
        errors.push(MapError::WindowLongerThanLabel {
            step: step.key.clone(),
            unit: unit.key.clone(),
            minutes,
            allowed: unit.thaw_window_minutes,
        });
    }
}

/// The rules that pair steps of one unit along the graph: a thaw is followed by an
/// administer of its unit, an administer is preceded by a dual verification, and every unit is
/// given. A step whose unit is missing or unknown could be the one meant to satisfy a rule, so
/// when one is in the way the rule stays quiet (the unit problem is already reported).
fn check_units_in_order(
    steps: &[Step],
    in_graph: &[bool],
    ctx: &MapContext,
    reach: &[Vec<bool>],
    errors: &mut Vec<MapError>,
) {
    #[derive(PartialEq)]
    enum UnitRef<'a> {
        Known(&'a str),
        Unknown,
        NotNamed,
    }
    let unit_of = |i: usize| match steps[i].params.unit.as_deref() {
        Some(u) if ctx.unit(u).is_some() => UnitRef::Known(u),
        Some(_) => UnitRef::Unknown,
        None => UnitRef::NotNamed,
    };
    let of_kind = |kind: StepKind| {
        (0..steps.len())
            .filter(move |&i| in_graph[i] && steps[i].kind == kind)
            .collect::<Vec<_>>()
    };
    let administers = of_kind(StepKind::Administer);
    let verifications = of_kind(StepKind::DualVerification);

    for t in of_kind(StepKind::Thaw) {
        let UnitRef::Known(unit) = unit_of(t) else {
            continue;
        };
        let later: Vec<usize> = administers
            .iter()
            .copied()
            .filter(|&a| reach[t][a])
            .collect();
        let given = later.iter().any(|&a| unit_of(a) == UnitRef::Known(unit));
        let maybe = later
            .iter()
            .any(|&a| matches!(unit_of(a), UnitRef::Unknown | UnitRef::NotNamed));
        if !given && !maybe {
            errors.push(MapError::ThawWithoutAdminister {
                step: steps[t].key.clone(),
                unit: unit.to_string(),
            });
        }
    }

    if ctx.requires_dual_verification {
        for &a in &administers {
            let UnitRef::Known(unit) = unit_of(a) else {
                continue;
            };
            let earlier = verifications.iter().copied().filter(|&v| reach[v][a]);
            let (mut verified, mut maybe) = (false, false);
            for v in earlier {
                match unit_of(v) {
                    UnitRef::Known(u) if u == unit => verified = true,
                    UnitRef::NotNamed => verified = true,
                    UnitRef::Unknown => maybe = true,
                    UnitRef::Known(_) => {}
                }
            }
            if !verified && !maybe {
                errors.push(MapError::AdministerWithoutDualVerification {
                    step: steps[a].key.clone(),
                    unit: unit.to_string(),
                });
            }
        }
    }
}

/// Every unit the program ships is given by some `administer` step — unless an administer step
/// names no unit or an unknown one, which may be the step meant for it (already reported).
fn check_every_unit_given(
    steps: &[Step],
    in_graph: &[bool],
    ctx: &MapContext,
    errors: &mut Vec<MapError>,
) {
    let administered: Vec<Option<&str>> = (0..steps.len())
        .filter(|&i| in_graph[i] && steps[i].kind == StepKind::Administer)
        .map(|i| {
            steps[i]
                .params
                .unit
                .as_deref()
                .filter(|u| ctx.unit(u).is_some())
        })
        .collect();
    if administered.iter().any(Option::is_none) {
        return;
    }
    for unit in &ctx.units {
        if !administered.contains(&Some(unit.key.as_str())) {
            errors.push(MapError::UnitNeverGiven {
                unit: unit.key.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
