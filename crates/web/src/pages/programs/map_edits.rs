//! The editor's changes to a draft map, each building the whole new `ProcessMap` (the app
//! validates and stores whole maps): replace one step, insert a step between others, remove a
//! step and reconnect around it. Pure; the validator decides whether the result is a map.

use cellpath_domain::process_map::{ProcessMap, Step};

/// The map with the step `key` replaced (its key stays: other steps name it).
pub fn replace_step(map: &ProcessMap, key: &str, step: Step) -> ProcessMap {
    let mut next = map.clone();
    for s in &mut next.steps {
        if s.key == key {
            *s = step.clone();
        }
    }
    next
}

/// The map with a new step appended. Each step in `before` will wait for the new one; a step
/// both before the new one and after one of its `after` steps is connected through it (A → B
/// becomes A → new → B), so inserting between two steps does not leave a shortcut arrow.
pub fn insert_step(map: &ProcessMap, step: Step, before: &[String]) -> ProcessMap {
    let mut next = map.clone();
    for s in &mut next.steps {
        if before.contains(&s.key) {
            s.after.retain(|a| !step.after.contains(a));
            if !s.after.contains(&step.key) {
                s.after.push(step.key.clone());
            }
        }
    }
    next.steps.push(step);
    next
}

/// The map without the step `key`: every step that came after it comes after what it came
/// after instead, so the graph stays connected. A hold on the removed step is left for the
/// validator to name (which step the hold should wait for is a person's decision).
pub fn remove_step(map: &ProcessMap, key: &str) -> ProcessMap {
    let Some(removed) = map.step(key).cloned() else {
        return map.clone();
    };
    let mut next = map.clone();
    next.steps.retain(|s| s.key != key);
    for s in &mut next.steps {
        if let Some(at) = s.after.iter().position(|a| a == key) {
            s.after.remove(at);
            let mut insert = at;
            for a in &removed.after {
                if !s.after.contains(a) {
                    s.after.insert(insert, a.clone());
                    insert += 1;
                }
            }
        }
    }
    next
}

/// The steps that come directly after `key`.
pub fn followers<'m>(map: &'m ProcessMap, key: &str) -> Vec<&'m Step> {
    map.steps
        .iter()
        .filter(|s| s.after.iter().any(|a| a == key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_domain::Role;
    use cellpath_domain::process_map::{Stage, StepKind, StepParams, seeds, validate};

    fn step(key: &str, after: &[&str]) -> Step {
        Step {
            key: key.into(),
            name: key.into(),
            stage: Stage::Storage,
            kind: StepKind::Record,
            role: Role::Pharmacy,
            after: after.iter().map(|a| a.to_string()).collect(),
            controlled: false,
            recorded_in: Default::default(),
            optional: false,
            params: StepParams::default(),
        }
    }

    fn afters(map: &ProcessMap) -> Vec<(String, Vec<String>)> {
        map.steps
            .iter()
            .map(|s| (s.key.clone(), s.after.clone()))
            .collect()
    }

    #[test]
    fn removing_a_step_connects_what_came_after_it_to_what_it_came_after() {
        let map = ProcessMap {
            steps: vec![
                step("a", &[]),
                step("b", &["a"]),
                step("c", &["a"]),
                step("d", &["b", "c"]),
            ],
        };
        let without_b = remove_step(&map, "b");
        assert_eq!(
            afters(&without_b),
            [
                ("a".into(), vec![]),
                ("c".into(), vec!["a".to_string()]),
                ("d".into(), vec!["a".to_string(), "c".into()]),
            ]
        );
        assert_eq!(remove_step(&map, "nope"), map);
    }

    #[test]
    fn inserting_between_two_steps_goes_through_the_new_one() {
        let map = ProcessMap {
            steps: vec![step("a", &[]), step("b", &["a"])],
        };
        let map = insert_step(&map, step("check", &["a"]), &["b".into()]);
        assert_eq!(
            afters(&map),
            [
                ("a".into(), vec![]),
                ("b".into(), vec!["check".to_string()]),
                ("check".into(), vec!["a".to_string()]),
            ]
        );
    }

    #[test]
    fn any_middle_step_of_the_car_t_map_can_be_removed_without_disconnecting_it() {
        let (map, ctx) = seeds::autologous_car_t();
        let valid = validate(&map, &ctx).expect("the seed is valid");
        let (start, end) = (valid.start().key.clone(), valid.end().key.clone());
        // Steps others name in a hold or a unit rule are kept; every other step goes cleanly.
        let held: Vec<String> = map
            .steps
            .iter()
            .filter_map(|s| s.params.hold_until.clone())
            .collect();
        for s in &map.steps {
            let unit_step = s.params.unit.is_some()
                || matches!(s.kind, StepKind::DualVerification | StepKind::HoldPoint);
            if s.key == start || s.key == end || held.contains(&s.key) || unit_step {
                continue;
            }
            let without = remove_step(&map, &s.key);
            assert!(
                validate(&without, &ctx).is_ok(),
                "removing {} broke the map: {:?}",
                s.key,
                validate(&without, &ctx).err()
            );
        }
    }
}
