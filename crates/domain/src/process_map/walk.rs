//! Which steps of a valid map may be done next, given the ones already done. This is the seed
//! of the journey engine's `available(map, state)` (DESIGN.md §4.1); here a state is just the
//! set of done (or skipped) step keys.

use super::model::{Step, StepKind};
use super::validate::ValidMap;
use std::collections::BTreeSet;

/// Steps not yet done whose `after` steps are all done — and, for a `hold_point`, whose
/// `hold_until` step is done too (the hold is the whole point of the step). In topological
/// order. Keys in `done` that the map does not know are ignored.
pub fn available<'m>(map: &'m ValidMap, done: &BTreeSet<String>) -> Vec<&'m Step> {
    map.steps()
        .filter(|step| !done.contains(&step.key))
        .filter(|step| step.after.iter().all(|a| done.contains(a)))
        .filter(|step| match (&step.kind, &step.params.hold_until) {
            (StepKind::HoldPoint, Some(until)) => done.contains(until),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::process_map::model::{MapContext, ProcessMap, ProductUnit, Stage, StepParams};
    use crate::process_map::validate::{MapError, validate};
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn key(i: usize) -> String {
        format!("s{i}")
    }

    fn step(i: usize, kind: StepKind, after: Vec<String>) -> Step {
        Step {
            key: key(i),
            name: format!("Step {i}"),
            stage: Stage::ALL[i % Stage::ALL.len()],
            kind,
            role: Role::Coordinator,
            after,
            controlled: false,
            recorded_in: Default::default(),
            optional: false,
            params: StepParams::default(),
        }
    }

    /// The shape of a random map before it becomes steps: for each step, the earlier steps it
    /// comes after, and which steps are holds (and on which earlier step).
    #[derive(Debug, Clone)]
    struct Shape {
        afters: Vec<Vec<usize>>,
        holds: Vec<(usize, usize)>,
        unit_chain: Option<[usize; 3]>,
        requires_dual_verification: bool,
    }

    /// A DAG with one start (step 0: every later step comes after at least one earlier step)
    /// and one end (the last step comes after every step nothing else follows). Holds wait on
    /// an earlier-numbered step, which can never be one of their descendants. Optionally a
    /// dual_verification → thaw → administer chain of one unit.
    fn valid_shape() -> impl Strategy<Value = Shape> {
        (2usize..16)
            .prop_flat_map(|n| {
                (
                    Just(n),
                    prop::collection::vec(prop::collection::vec(any::<Index>(), 1..4), n),
                    prop::collection::vec((any::<Index>(), any::<Index>()), 0..3),
                    prop::option::of(prop::collection::vec(any::<Index>(), 3)),
                    any::<bool>(),
                )
            })
            .prop_map(
                |(n, picks, hold_picks, chain, requires_dual_verification)| {
                    let mut afters: Vec<Vec<usize>> = vec![Vec::new(); n];
                    for i in 1..n {
                        let mut a: Vec<usize> = picks[i].iter().map(|p| p.index(i)).collect();
                        a.sort_unstable();
                        a.dedup();
                        afters[i] = a;
                    }
                    let mut unit_chain = None;
                    if let Some(c) = chain.filter(|_| n >= 4) {
                        // three distinct middle steps, in order, each after the previous
                        let mut idx: Vec<usize> = c.iter().map(|p| 1 + p.index(n - 2)).collect();
                        idx.sort_unstable();
                        idx.dedup();
                        if let [d, t, a] = idx[..] {
                            for (from, to) in [(d, t), (t, a)] {
                                if !afters[to].contains(&from) {
                                    afters[to].push(from);
                                }
                            }
                            unit_chain = Some([d, t, a]);
                        }
                    }
                    let last = n - 1;
                    let followed: BTreeSet<usize> = afters.iter().flatten().copied().collect();
                    for i in 0..last {
                        if !followed.contains(&i) && !afters[last].contains(&i) {
                            afters[last].push(i);
                        }
                    }
                    let mut holds = Vec::new();
                    for (p, h) in hold_picks {
                        let held = 1 + p.index(n - 1);
                        let until = h.index(held);
                        let in_chain = unit_chain.is_some_and(|c| c.contains(&held));
                        if !in_chain && !holds.iter().any(|&(x, _)| x == held) {
                            holds.push((held, until));
                        }
                    }
                    Shape {
                        afters,
                        holds,
                        unit_chain,
                        requires_dual_verification,
                    }
                },
            )
    }

    fn build(shape: &Shape) -> (ProcessMap, MapContext) {
        let mut steps: Vec<Step> = shape
            .afters
            .iter()
            .enumerate()
            .map(|(i, a)| step(i, StepKind::Record, a.iter().map(|&p| key(p)).collect()))
            .collect();
        for &(held, until) in &shape.holds {
            steps[held].kind = StepKind::HoldPoint;
            steps[held].params.hold_until = Some(key(until));
        }
        let mut units = Vec::new();
        if let Some([d, t, a]) = shape.unit_chain {
            units.push(ProductUnit {
                key: "u1".into(),
                name: "Unit 1".into(),
                storage_max_celsius: -150,
                thaw_window_minutes: 120,
            });
            for (i, kind) in [
                (d, StepKind::DualVerification),
                (t, StepKind::Thaw),
                (a, StepKind::Administer),
            ] {
                steps[i].kind = kind;
                steps[i].params.unit = Some("u1".into());
            }
        }
        let ctx = MapContext {
            units,
            requires_dual_verification: shape.requires_dual_verification,
        };
        (ProcessMap { steps }, ctx)
    }

    /// Walk from the start by always taking one of the available steps (chosen by `choices`);
    /// return the order the steps were done in, or the done set at a dead end.
    fn walk(map: &ValidMap, choices: &[Index]) -> Result<Vec<String>, BTreeSet<String>> {
        let mut done = BTreeSet::new();
        let mut order = Vec::new();
        for turn in 0..map.steps().len() {
            let next = available(map, &done);
            if next.is_empty() {
                return Err(done);
            }
            let pick = choices[turn % choices.len()].get(&next);
            done.insert(pick.key.clone());
            order.push(pick.key.clone());
        }
        if available(map, &done).is_empty() {
            Ok(order)
        } else {
            Err(done)
        }
    }

    fn assert_walks(map: &ValidMap, choices: &[Index]) -> Result<(), TestCaseError> {
        let order = walk(map, choices).map_err(|done| {
            TestCaseError::fail(format!("dead end after {done:?} in {:?}", map.as_map()))
        })?;
        // every step done exactly once, the start first and the end last
        let unique: BTreeSet<&String> = order.iter().collect();
        prop_assert_eq!(unique.len(), map.steps().len());
        prop_assert_eq!(&order[0], &map.start().key);
        prop_assert_eq!(order.last(), Some(&map.end().key));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn every_accepted_map_walks_from_start_to_end(
            shape in valid_shape(),
            choices in prop::collection::vec(any::<Index>(), 1..32),
        ) {
            let (map, ctx) = build(&shape);
            let valid = validate(&map, &ctx)
                .map_err(|e| TestCaseError::fail(format!("refused a valid map: {e:?}\n{map:?}")))?;
            // the topological order puts every step after its after-steps and its hold
            for (rank, step) in valid.steps().enumerate() {
                for a in step.after.iter().chain(&step.params.hold_until) {
                    prop_assert!(valid.rank(a).expect("known") < rank, "{} before {}", a, step.key);
                }
            }
            assert_walks(&valid, &choices)?;
        }

        #[test]
        fn any_random_graph_the_validator_accepts_can_be_walked(
            afters in prop::collection::vec(
                prop::collection::vec((prop::bool::weighted(0.05), any::<Index>()), 0..3),
                1..10,
            ),
            holds in prop::collection::vec((any::<Index>(), any::<Index>()), 0..3),
            close_the_end in prop::bool::weighted(0.8),
            choices in prop::collection::vec(any::<Index>(), 1..32),
        ) {
            // No promise of a DAG here: mostly edges to earlier steps, now and then one to any
            // step (cycles, self-loops); steps with no after (several starts); holds on any
            // step; and usually a last step after every loose end. About one map in six comes
            // out valid.
            let n = afters.len();
            let mut keys: Vec<Vec<usize>> = afters
                .iter()
                .enumerate()
                .map(|(i, picks)| {
                    let mut a: Vec<usize> = picks
                        .iter()
                        .filter_map(|(wild, p)| match (wild, i) {
                            (true, _) => Some(p.index(n)),
                            (false, 0) => None,
                            (false, _) => Some(p.index(i)),
                        })
                        .collect();
                    a.sort_unstable();
                    a.dedup();
                    a
                })
                .collect();
            if close_the_end && n > 1 {
                for loose in 0..n - 1 {
                    if !keys.iter().flatten().any(|&k| k == loose) {
                        keys[n - 1].push(loose);
                    }
                }
            }
            let mut steps: Vec<Step> = keys
                .iter()
                .enumerate()
                .map(|(i, a)| step(i, StepKind::Record, a.iter().map(|&p| key(p)).collect()))
                .collect();
            for (p, h) in holds {
                let held = p.index(n);
                steps[held].kind = StepKind::HoldPoint;
                steps[held].params.hold_until = Some(key(h.index(n)));
            }
            let ctx = MapContext { units: vec![], requires_dual_verification: false };
            if let Ok(valid) = validate(&ProcessMap { steps }, &ctx) {
                assert_walks(&valid, &choices)?;
            }
        }

        #[test]
        fn a_map_with_an_injected_cycle_is_refused(
            shape in valid_shape(),
            from in any::<Index>(),
            to in any::<Index>(),
        ) {
            let (mut map, ctx) = build(&shape);
            // make a non-start step come after one of its descendants through `after` (or
            // itself); a descendant only through a hold is another error, tested elsewhere
            let n = map.steps.len();
            let s = 1 + from.index(n - 1);
            let mut descendants = vec![s];
            for later in s + 1..n {
                if shape.afters[later].iter().any(|p| descendants.contains(p)) {
                    descendants.push(later);
                }
            }
            let d = *to.get(&descendants);
            map.steps[s].after.push(key(d));
            let errors = validate(&map, &ctx).expect_err("a cycle must be refused");
            prop_assert!(
                errors.iter().any(|e| matches!(e, MapError::Cycle { path } if path.contains(&key(s)))),
                "{:?}", errors
            );
        }

        #[test]
        fn a_map_with_a_second_end_is_refused(shape in valid_shape(), at in any::<Index>()) {
            let (mut map, ctx) = build(&shape);
            let n = map.steps.len();
            // after any step but the end (after the end, it would just be the new end)
            let mut extra = step(n, StepKind::Record, vec![key(at.index(n - 1))]);
            extra.key = "discharge".into();
            map.steps.push(extra);
            let errors = validate(&map, &ctx).expect_err("two ends must be refused");
            let expected = MapError::SeveralEnds { ends: vec![key(n - 1), "discharge".into()] };
            prop_assert!(errors.contains(&expected), "{:?}", errors);
        }

        #[test]
        fn a_map_with_an_unreachable_step_is_refused(shape in valid_shape(), at in any::<Index>()) {
            // a step nobody reaches: no after, but something comes after it (so not an end)
            let (mut map, ctx) = build(&shape);
            let n = map.steps.len();
            let mut orphan = step(n, StepKind::Record, vec![]);
            orphan.key = "orphan".into();
            map.steps[1 + at.index(n - 1)].after.push("orphan".into());
            map.steps.push(orphan);
            let errors = validate(&map, &ctx).expect_err("an unreachable step must be refused");
            let expected = MapError::Unreachable { step: "orphan".into(), start: key(0) };
            prop_assert_eq!(errors, vec![expected]);
        }
    }

    #[test]
    fn a_hold_point_waits_for_its_release_even_off_its_branch() {
        // start → ship → end and start → chemo (held until ship) → end
        let mut chemo = step(2, StepKind::HoldPoint, vec![key(0)]);
        chemo.params.hold_until = Some(key(1));
        let steps = vec![
            step(0, StepKind::Record, vec![]),
            step(1, StepKind::Record, vec![key(0)]),
            chemo,
            step(3, StepKind::Record, vec![key(1), key(2)]),
        ];
        let ctx = MapContext {
            units: vec![],
            requires_dual_verification: false,
        };
        let valid = validate(&ProcessMap { steps }, &ctx).expect("valid");
        let done: BTreeSet<String> = [key(0)].into();
        let keys: Vec<&str> = available(&valid, &done)
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(keys, ["s1"], "the held step must wait for s1");
        let done: BTreeSet<String> = [key(0), key(1)].into();
        let keys: Vec<&str> = available(&valid, &done)
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(keys, ["s2"]);
    }
}
