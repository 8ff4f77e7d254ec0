//! Planning from a plan file (issue 4, point 4): both contracting strategies side by side, for
//! the web page and anyone else who holds the file's text. Pure: no store, no clock; planning
//! from a live partnership's state is `onboarding.rs`.

use crate::{App, AppError, Caller, FieldError};
use cellpath_planning::contracting::{Entry, PlanError, Scope, compare};

pub use cellpath_planning::contracting::{
    CriticalStep, DaysSaved, Distribution, MonteCarlo, Plan, Report, Schedule, ScheduledInstance,
    SetBy, SiteDay, Strategy, whole_day,
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
    let invalid = |e: PlanError| AppError::invalid("plan", e);
    let plan = Plan::from_toml(toml_text).map_err(invalid)?;
    report_of(plan, threads, invalid)
}

/// The plan the form's rows describe, under both strategies; a problem is refused beside the
/// row (or the field) it is about, with the planner's words.
pub fn plan_rows(form: &PlanForm, threads: usize) -> Result<PlanReport, AppError> {
    let plan = form.to_plan()?;
    report_of(plan, threads, |e| form.refusal(e))
}

fn report_of(
    plan: Plan,
    threads: usize,
    invalid: impl Fn(PlanError) -> AppError,
) -> Result<PlanReport, AppError> {
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

/// One item of the planner's form as typed: its id, scope (`health_system` or `site`), the
/// ids it comes after (separated by commas or spaces) and its three-point estimate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanRow {
    pub id: String,
    pub scope: String,
    pub after: String,
    pub min: String,
    pub likely: String,
    pub max: String,
}

/// The planner's form: a plan as fields and one row per item, as typed. Field names (for the
/// messages beside them) are `sites`, `seed`, `iterations`, `capacity` and `item-N-id`,
/// `item-N-scope`, `item-N-after`, `item-N-min`, `item-N-likely`, `item-N-max` (N from 0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanForm {
    pub sites: String,
    pub seed: String,
    pub iterations: String,
    pub capacity: String,
    pub rows: Vec<PlanRow>,
}

/// The field of row `i`'s column `column`.
pub fn row_field(i: usize, column: &str) -> String {
    format!("item-{i}-{column}")
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl PlanForm {
    /// A plan as the form shows it.
    pub fn of_plan(plan: &Plan) -> PlanForm {
        let day = |d: f64| {
            if d.fract() == 0.0 {
                format!("{}", d as i64)
            } else {
                d.to_string()
            }
        };
        PlanForm {
            sites: plan.sites.join(", "),
            seed: plan.seed.to_string(),
            iterations: plan.iterations.to_string(),
            capacity: plan.capacity.to_string(),
            rows: plan
                .entries
                .iter()
                .map(|e| PlanRow {
                    id: e.id.clone(),
                    scope: e.scope.as_str().to_string(),
                    after: e.after.join(", "),
                    min: day(e.days[0]),
                    likely: day(e.days[1]),
                    max: day(e.days[2]),
                })
                .collect(),
        }
    }

    /// The plan the form describes (dual-track; the planner plans both), or every field that
    /// cannot be read, each with what to type. The planner's own checks come after.
    pub fn to_plan(&self) -> Result<Plan, AppError> {
        let mut problems: Vec<FieldError> = Vec::new();
        let mut problem =
            |field: String, message: String| problems.push(FieldError { field, message });
        let whole = |field: &str, text: &str, problem: &mut dyn FnMut(String, String)| {
            let t = text.trim();
            match t.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problem(
                        field.to_string(),
                        if t.is_empty() {
                            "enter a whole number".to_string()
                        } else {
                            format!("{t:?} is not a whole number ≥ 0")
                        },
                    );
                    None
                }
            }
        };
        let seed = whole("seed", &self.seed, &mut problem);
        let iterations = whole("iterations", &self.iterations, &mut problem).and_then(|n| {
            u32::try_from(n).ok().or_else(|| {
                problem(
                    "iterations".into(),
                    format!("{n} is too many; 10000 is a good default"),
                );
                None
            })
        });
        let capacity = whole("capacity", &self.capacity, &mut problem).and_then(|n| {
            u32::try_from(n).ok().or_else(|| {
                problem(
                    "capacity".into(),
                    format!("{n} is too large; 0 means unlimited"),
                );
                None
            })
        });
        let mut entries = Vec::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            let scope = Scope::parse(row.scope.trim());
            if scope.is_none() {
                problem(
                    row_field(i, "scope"),
                    "choose the health system (once for every site) or each site".into(),
                );
            }
            let mut days = [0.0; 3];
            for (d, (column, text)) in days.iter_mut().zip([
                ("min", &row.min),
                ("likely", &row.likely),
                ("max", &row.max),
            ]) {
                match text.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => *d = n,
                    _ => problem(
                        row_field(i, column),
                        if text.trim().is_empty() {
                            "enter a number of days".to_string()
                        } else {
                            format!("{:?} is not a number of days", text.trim())
                        },
                    ),
                }
            }
            if let Some(scope) = scope {
                entries.push(Entry {
                    id: row.id.trim().to_string(),
                    scope,
                    days,
                    after: words(&row.after),
                });
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let sites: Vec<String> = words(&self.sites);
        let sites: Vec<&str> = sites.iter().map(String::as_str).collect();
        let mut plan = Plan::new(
            cellpath_planning::contracting::Strategy::DualTrack,
            &sites,
            entries,
        );
        plan.seed = seed.unwrap_or_default();
        plan.iterations = iterations.unwrap_or_default();
        plan.capacity = capacity.unwrap_or_default();
        Ok(plan)
    }

    /// A planner's refusal beside the field it is about: the row of the item it names, else
    /// the plan-wide field.
    fn refusal(&self, e: PlanError) -> AppError {
        let row = e
            .entry()
            .and_then(|id| self.rows.iter().position(|r| r.id.trim() == id));
        let field = match (&e, row) {
            (PlanError::BadEstimate { .. }, Some(i)) => row_field(i, "likely"),
            (
                PlanError::UnknownAfter { .. }
                | PlanError::AfterOtherSite { .. }
                | PlanError::HealthSystemAfterSite { .. }
                | PlanError::ForwardReference { .. }
                | PlanError::Cycle(_),
                Some(i),
            ) => row_field(i, "after"),
            (_, Some(i)) => row_field(i, "id"),
            (PlanError::NoSites | PlanError::DuplicateSite(_) | PlanError::BadId { .. }, None) => {
                "sites".into()
            }
            (
                PlanError::NoIterations
                | PlanError::TooManyIterations(_)
                | PlanError::TooManySamples { .. },
                None,
            ) => "iterations".into(),
            _ => "items".into(),
        };
        AppError::invalid(&field, e)
    }
}

/// Sites a plan started from a template is made for, until the person names theirs.
pub const EXAMPLE_SITES: [&str; 3] = ["site-1", "site-2", "site-3"];

/// A plan the planner starts from, and what it was made from in people's words.
#[derive(Clone, Debug)]
pub struct PlanStart {
    pub plan: Plan,
    pub from: String,
}

impl App {
    /// A plan from a program's track template (its own, or the standard one), for three
    /// example sites: where a launch team starts before it has a partnership.
    pub async fn plan_of_program(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<PlanStart, AppError> {
        let program = self.program(caller, program_id).await?;
        let view = self.track_template(caller, &program.id).await?;
        let plan = crate::contracting::plan_of_template(
            &view.template,
            &EXAMPLE_SITES,
            cellpath_planning::contracting::Strategy::DualTrack,
        )?;
        Ok(PlanStart {
            plan,
            from: format!(
                "the track template of {} for three example sites (name yours)",
                program.name
            ),
        })
    }
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
