//! Planning from a plan file (issue 4, point 4): both contracting strategies side by side, for
//! the web page and anyone else who holds the file's text. Pure: no store, no clock; planning
//! from a live partnership's state is `onboarding.rs`.

use crate::AppError;
use cellpath_planning::contracting::{Plan, compare};

pub use cellpath_planning::contracting::{
    CriticalStep, DaysSaved, Distribution, MonteCarlo, Report, Schedule, ScheduledInstance, SetBy,
    SiteDay, Strategy, whole_day,
};

/// Both strategies on one plan file, and what dual-track saves over sequential contracting.
#[derive(Clone, Debug)]
pub struct PlanReport {
    pub dual_track: Report,
    pub sequential: Report,
    pub days_saved: DaysSaved,
    /// The file's Monte Carlo iterations (the planner caps them) and capacity (0: unlimited).
    pub iterations: u32,
    pub capacity: u32,
    pub sites: Vec<String>,
}

impl PlanReport {
    pub fn report(&self, strategy: Strategy) -> &Report {
        match strategy {
            Strategy::DualTrack => &self.dual_track,
            Strategy::Sequential => &self.sequential,
        }
    }
}

/// Reads and checks `toml_text` and runs it under both strategies (the file's own `strategy`
/// only says which one its author meant; both are shown). Any problem with the file is
/// `AppError::Invalid` on the field `plan` with the planner's message, which names the line,
/// the entry or the cycle.
pub fn plan_contracting(toml_text: &str, threads: usize) -> Result<PlanReport, AppError> {
    let invalid = |e: cellpath_planning::contracting::PlanError| AppError::invalid("plan", e);
    let plan = Plan::from_toml(toml_text).map_err(invalid)?;
    let comparison = compare(&plan, threads).map_err(invalid)?;
    let days_saved = comparison.days_saved();
    Ok(PlanReport {
        dual_track: comparison.dual_track,
        sequential: comparison.sequential,
        days_saved,
        iterations: plan.iterations,
        capacity: plan.capacity,
        sites: plan.sites,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../docs/examples/plan.toml");

    #[test]
    fn the_example_plan_shows_dual_track_saving_days() {
        let report = plan_contracting(EXAMPLE, 2).expect("the example plan is valid");
        assert_eq!(report.sites, ["north", "south", "east"]);
        assert!(report.days_saved.p50 > 0, "{:?}", report.days_saved);
        assert!(report.days_saved.p90 > 0, "{:?}", report.days_saved);
        for strategy in Strategy::ALL {
            let r = report.report(strategy);
            assert!(r.monte_carlo.last_site.p50 <= r.monte_carlo.last_site.p90);
            assert!(!r.deterministic.critical_path.is_empty());
        }
    }

    #[test]
    fn a_cycle_is_refused_on_the_plan_field_with_the_planners_words() {
        let cyclic = r#"
strategy = "dual_track"
seed = 1
sites = ["north"]

[[agreement]]
id = "a"
scope = "site"
days = [1, 2, 3]
after = ["b"]

[[agreement]]
id = "b"
scope = "site"
days = [1, 2, 3]
after = ["a"]
"#;
        match plan_contracting(cyclic, 1) {
            Err(AppError::Invalid(fields)) => {
                assert_eq!(fields.len(), 1);
                assert_eq!(fields[0].field, "plan");
                assert!(fields[0].message.contains("cycle"), "{}", fields[0].message);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_toml_names_its_line() {
        match plan_contracting("strategy = \"dual_track\"\nseed = \n", 1) {
            Err(AppError::Invalid(fields)) => {
                assert!(
                    fields[0].message.starts_with("line 2"),
                    "{}",
                    fields[0].message
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
