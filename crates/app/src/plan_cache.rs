//! Live plans computed once per plan. The planner is a pure function of its `Plan` (the
//! template's entries, the days done, today, the seed: identical on any number of threads), so
//! a report can be kept and handed out again for an equal plan — whatever changed on a ledger
//! changes the plan built from it, and a new day changes `today`. The pipeline and the
//! partnership pages ask for the same plans all day; only the first of a day, or the first
//! after a change, runs the Monte Carlo.

use cellpath_planning::contracting::{Plan, Report};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many reports are kept (the oldest goes first): a network of 200 partnerships
/// with a few programs each, under both strategies, fits.
const CAPACITY: usize = 2048;

#[derive(Default)]
pub(crate) struct PlanCache {
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// By the hash of the plan's debug form; the plan itself is compared on a hit.
    reports: HashMap<u64, Vec<(Plan, Report)>>,
    order: VecDeque<u64>,
}

/// The plan's fingerprint. `Debug` writes every field, the fixed days in key order and each
/// number exactly (Rust prints an `f64` so that it reads back to the same value).
fn fingerprint(plan: &Plan) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{plan:?}").hash(&mut h);
    h.finish()
}

impl PlanCache {
    /// The report of a plan equal to `plan`, if one was kept.
    pub(crate) fn get(&self, plan: &Plan) -> Option<Report> {
        let key = fingerprint(plan);
        let found = self.inner.lock().ok().and_then(|inner| {
            inner
                .reports
                .get(&key)
                .and_then(|v| v.iter().find(|(p, _)| p == plan).map(|(_, r)| r.clone()))
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub(crate) fn put(&self, plan: Plan, report: Report) {
        let key = fingerprint(&plan);
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let entry = inner.reports.entry(key).or_default();
        if entry.iter().any(|(p, _)| *p == plan) {
            return;
        }
        entry.push((plan, report));
        inner.order.push_back(key);
        while inner.order.len() > CAPACITY {
            if let Some(old) = inner.order.pop_front()
                && let Some(v) = inner.reports.get_mut(&old)
            {
                v.remove(0);
                if v.is_empty() {
                    inner.reports.remove(&old);
                }
            }
        }
    }

    /// (reports handed out again, plans computed).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_planning::contracting::{Entry, Planner, Strategy};

    fn plan(today: f64) -> Plan {
        let mut p = Plan::new(
            Strategy::DualTrack,
            &["north", "south"],
            vec![
                Entry::health_system("msa", [10.0, 20.0, 40.0], &[]),
                Entry::site("quality", [5.0, 10.0, 30.0], &["msa"]),
            ],
        );
        p.iterations = 200;
        p.today = today;
        p
    }

    #[test]
    fn an_equal_plan_gets_the_report_back_and_another_day_does_not() {
        let cache = PlanCache::default();
        let first = plan(3.0);
        assert!(cache.get(&first).is_none());
        let report = Planner::new(&first).unwrap().report(1);
        cache.put(first.clone(), report.clone());
        let again = cache.get(&plan(3.0)).expect("an equal plan hits");
        assert_eq!(
            format!("{:?}", again.monte_carlo.last_site),
            format!("{:?}", report.monte_carlo.last_site)
        );
        assert!(cache.get(&plan(4.0)).is_none(), "another today misses");
        let mut done = plan(3.0);
        done.fixed.insert("msa".into(), 2.0);
        assert!(cache.get(&done).is_none(), "an item done misses");
        assert_eq!(cache.counts(), (1, 3));
    }

    #[test]
    fn the_oldest_report_goes_first_when_full() {
        let cache = PlanCache::default();
        let report = Planner::new(&plan(0.0)).unwrap().report(1);
        for day in 0..=CAPACITY {
            cache.put(plan(day as f64), report.clone());
        }
        assert!(cache.get(&plan(0.0)).is_none(), "the first was evicted");
        assert!(cache.get(&plan(1.0)).is_some());
        assert!(cache.get(&plan(CAPACITY as f64)).is_some());
    }
}
