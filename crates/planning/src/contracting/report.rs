//! What a planning run answers: the deterministic schedule and the Monte Carlo, for one
//! strategy or both side by side, and the one rounding every surface uses to show a day.

use super::{MonteCarlo, Plan, PlanError, Planner, Schedule, Strategy};

/// A day as people and machines see it: rounded up to a whole day ("authorized by day N").
/// Rounding up keeps a P90 on the safe side; whole-day inputs give whole-day deterministic
/// days exactly (the tolerance absorbs float noise of 1e-9 day).
pub fn whole_day(day: f64) -> i64 {
    (day - 1e-9).ceil().max(0.0) as i64
}

#[derive(Clone, Debug)]
pub struct Report {
    pub strategy: Strategy,
    pub deterministic: Schedule,
    pub monte_carlo: MonteCarlo,
}

impl Planner {
    /// The deterministic schedule and the Monte Carlo on `threads` threads.
    pub fn report(&self, threads: usize) -> Report {
        Report {
            strategy: self.plan.strategy,
            deterministic: self.deterministic(),
            monte_carlo: self.monte_carlo(threads),
        }
    }
}

/// Both strategies on the same plan.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub dual_track: Report,
    pub sequential: Report,
}

/// How many days earlier the last site is authorized under dual-track than under sequential
/// contracting, as the difference of the shown whole days (so the numbers add up on screen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaysSaved {
    pub deterministic: i64,
    pub p50: i64,
    pub p90: i64,
}

impl Comparison {
    pub fn report(&self, strategy: Strategy) -> &Report {
        match strategy {
            Strategy::DualTrack => &self.dual_track,
            Strategy::Sequential => &self.sequential,
        }
    }

    pub fn days_saved(&self) -> DaysSaved {
        let (d, s) = (&self.dual_track, &self.sequential);
        let saved = |dual: f64, seq: f64| whole_day(seq) - whole_day(dual);
        DaysSaved {
            deterministic: saved(d.deterministic.last_site.day, s.deterministic.last_site.day),
            p50: saved(d.monte_carlo.last_site.p50, s.monte_carlo.last_site.p50),
            p90: saved(d.monte_carlo.last_site.p90, s.monte_carlo.last_site.p90),
        }
    }
}

/// Runs `plan` under both strategies (its own `strategy` is ignored).
pub fn compare(plan: &Plan, threads: usize) -> Result<Comparison, PlanError> {
    let dual = Planner::new(&plan.with_strategy(Strategy::DualTrack))?;
    let sequential = Planner::new(&plan.with_strategy(Strategy::Sequential))?;
    Ok(Comparison {
        dual_track: dual.report(threads),
        sequential: sequential.report(threads),
    })
}
