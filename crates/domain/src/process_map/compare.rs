//! Two maps side by side (two programs, or two versions of one), step by step: matched by key,
//! grouped by stage and, within a stage, in the order the steps happen — so a site sees where
//! manufacturers differ and a reviewer sees what a new version changes.
//!
//! Order: the steps of `a` in its topological order, with each step only in `b` placed right
//! after the step that precedes it in `b`'s order; then grouped by stage (stable), where a step
//! in both maps sits under its stage in `a` (the reference column) and a change of stage shows as
//! a changed field.

use super::model::{Stage, Step};
use super::validate::ValidMap;
use serde::Serialize;

/// One field that differs, rendered as text for people ("—" for nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's name as written in a map, e.g. `role` or `params.window_minutes`.
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "diff", rename_all = "snake_case")]
pub enum StepDiff<'m> {
    Same {
        a: &'m Step,
        b: &'m Step,
    },
    Changed {
        a: &'m Step,
        b: &'m Step,
        fields: Vec<FieldChange>,
    },
    OnlyInA {
        a: &'m Step,
    },
    OnlyInB {
        b: &'m Step,
    },
}

impl<'m> StepDiff<'m> {
    pub fn key(&self) -> &'m str {
        match self {
            StepDiff::Same { a, .. } | StepDiff::Changed { a, .. } | StepDiff::OnlyInA { a } => {
                &a.key
            }
            StepDiff::OnlyInB { b } => &b.key,
        }
    }

    /// The stage the row is shown under (a's, when the step is in a).
    pub fn stage(&self) -> Stage {
        match self {
            StepDiff::Same { a, .. } | StepDiff::Changed { a, .. } | StepDiff::OnlyInA { a } => {
                a.stage
            }
            StepDiff::OnlyInB { b } => b.stage,
        }
    }
}

pub fn compare<'m>(a: &'m ValidMap, b: &'m ValidMap) -> Vec<StepDiff<'m>> {
    // Merge the two orders: a's steps in order, b-only steps after their predecessor in b.
    let mut rows: Vec<StepDiff<'m>> = a
        .steps()
        .map(|sa| match b.step(&sa.key) {
            None => StepDiff::OnlyInA { a: sa },
            Some(sb) => {
                let fields = changes(sa, sb);
                if fields.is_empty() {
                    StepDiff::Same { a: sa, b: sb }
                } else {
                    StepDiff::Changed {
                        a: sa,
                        b: sb,
                        fields,
                    }
                }
            }
        })
        .collect();
    let mut previous_in_b: Option<&str> = None;
    for sb in b.steps() {
        if a.step(&sb.key).is_none() {
            let at = previous_in_b
                .and_then(|p| rows.iter().position(|r| r.key() == p))
                .map_or(0, |i| i + 1);
            rows.insert(at, StepDiff::OnlyInB { b: sb });
        }
        previous_in_b = Some(&sb.key);
    }
    rows.sort_by_key(StepDiff::stage);
    rows
}

fn changes(a: &Step, b: &Step) -> Vec<FieldChange> {
    describe(a)
        .into_iter()
        .zip(describe(b))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| FieldChange { field, old, new })
        .collect()
}

/// Every compared field of a step, as text. `after` is a set, so it is shown sorted.
fn describe(s: &Step) -> Vec<(&'static str, String)> {
    let p = &s.params;
    let list = |items: &[String]| join(items.iter().map(String::as_str));
    let opt = |v: Option<String>| v.unwrap_or_else(|| NONE.to_string());
    let mut after: Vec<&str> = s.after.iter().map(String::as_str).collect();
    after.sort_unstable();
    vec![
        ("name", s.name.clone()),
        ("stage", s.stage.to_string()),
        ("kind", s.kind.to_string()),
        ("role", s.role.to_string()),
        ("after", join(after.into_iter())),
        ("controlled", yes_no(s.controlled)),
        ("recorded_in", s.recorded_in.to_string()),
        ("optional", yes_no(s.optional)),
        ("params.fields", list(&p.fields)),
        (
            "params.signatures",
            join(
                p.signatures
                    .iter()
                    .map(|sig| format!("{} {}", sig.role, sig.meaning)),
            ),
        ),
        ("params.unit", opt(p.unit.clone())),
        (
            "params.window_minutes",
            opt(p.window_minutes.map(|m| m.to_string())),
        ),
        (
            "params.monitoring_days",
            opt(p.monitoring_days.map(|d| d.to_string())),
        ),
        (
            "params.follow_up",
            join(
                p.follow_up
                    .iter()
                    .map(|f| match (f.opens_days, f.closes_days) {
                        (None, None) => format!("{} day {}", f.form, f.due_days),
                        _ => format!(
                            "{} day {} (days {}–{})",
                            f.form,
                            f.due_days,
                            f.opens(),
                            f.closes()
                        ),
                    }),
            ),
        ),
        (
            "params.track",
            opt(p.track.map(|t| t.as_str().replace('_', "-"))),
        ),
        (
            "params.visits",
            join(p.visits.iter().map(|d| format!("day {d}"))),
        ),
        ("params.scan", yes_no(p.scan)),
        ("params.hold_until", opt(p.hold_until.clone())),
        ("params.items", list(&p.items)),
        ("params.location", opt(p.location.clone())),
    ]
}

const NONE: &str = "—";

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let text = items
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if text.is_empty() {
        NONE.to_string()
    } else {
        text
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::process_map::seeds;
    use crate::process_map::validate::validate;

    fn car_t() -> ValidMap {
        let (map, ctx) = seeds::autologous_car_t();
        validate(&map, &ctx).expect("the seed is valid")
    }

    #[test]
    fn a_map_compared_with_itself_is_all_same_in_stage_order() {
        let a = car_t();
        let diffs = compare(&a, &a);
        assert_eq!(diffs.len(), a.steps().len());
        assert!(diffs.iter().all(|d| matches!(d, StepDiff::Same { .. })));
        let stages: Vec<Stage> = diffs.iter().map(StepDiff::stage).collect();
        assert!(stages.is_sorted(), "{stages:?}");
    }

    #[test]
    fn a_site_version_shows_its_changes_and_its_own_checklist() {
        let a = car_t();
        let (mut map, ctx) = a.clone().into_parts();
        // the site moves monitoring to the nurse and adds a checklist before the infusion
        let monitoring = map
            .steps
            .iter_mut()
            .find(|s| s.key == "monitoring")
            .expect("seed has monitoring");
        monitoring.role = Role::Nurse;
        let mut checklist = monitoring.clone();
        checklist.key = "bedside_checklist".into();
        checklist.name = "Bedside readiness checklist".into();
        checklist.kind = crate::process_map::StepKind::Checklist;
        checklist.stage = Stage::Administration;
        checklist.after = vec!["pharmacist_verification".into()];
        checklist.recorded_in = Default::default();
        checklist.controlled = false;
        checklist.params = crate::process_map::StepParams {
            items: vec!["tocilizumab on the unit".into(), "ICE baseline done".into()],
            ..Default::default()
        };
        let thaw = map
            .steps
            .iter_mut()
            .find(|s| s.key == "thaw_cd4")
            .expect("seed thaws cd4");
        thaw.after.push("bedside_checklist".into());
        map.steps.push(checklist);
        map.steps.retain(|s| s.key != "bridging_therapy");
        for s in &mut map.steps {
            s.after.retain(|k| k != "bridging_therapy");
            if s.key == "lymphodepletion" {
                s.after = vec!["collection".into()];
            }
        }
        let b = validate(&map, &ctx).expect("the site version is valid");

        let diffs = compare(&a, &b);
        let find = |key: &str| {
            diffs
                .iter()
                .find(|d| d.key() == key)
                .unwrap_or_else(|| panic!("{key} compared"))
        };
        match find("monitoring") {
            StepDiff::Changed { fields, .. } => assert_eq!(
                fields,
                &vec![FieldChange {
                    field: "role",
                    old: "physician".into(),
                    new: "nurse".into()
                }]
            ),
            other => panic!("monitoring: {other:?}"),
        }
        match find("thaw_cd4") {
            StepDiff::Changed { fields, .. } => {
                assert_eq!(fields[0].field, "after");
                assert_eq!(fields[0].new, "bedside_checklist, pharmacist_verification");
            }
            other => panic!("thaw_cd4: {other:?}"),
        }
        assert!(matches!(find("bridging_therapy"), StepDiff::OnlyInA { .. }));
        assert!(matches!(
            find("bedside_checklist"),
            StepDiff::OnlyInB { .. }
        ));
        assert!(matches!(find("collection"), StepDiff::Same { .. }));
        // the site's checklist sits in the administration stage, in the order it happens: after
        // lymphodepletion, right before the first bedside verification
        let position = |key: &str| diffs.iter().position(|d| d.key() == key).expect("row");
        assert!(position("bedside_checklist") > position("lymphodepletion"));
        assert_eq!(
            position("bedside_checklist") + 1,
            position("dual_verification_cd4")
        );
        let stages: Vec<Stage> = diffs.iter().map(StepDiff::stage).collect();
        assert!(stages.is_sorted(), "{stages:?}");
    }
}
