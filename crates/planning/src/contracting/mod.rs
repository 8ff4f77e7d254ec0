//! The contracting planner (DESIGN.md §4.3, issue 4): how long until each site of a health
//! system is an authorized treatment center, under `dual_track` or `sequential` contracting,
//! with or without a legal team's capacity limit.
//!
//! **API Boundary:** build a [`Plan`] in code (or [`Plan::from_toml`] from a file), turn it into
//! a [`Planner`] (every check happens there, with an error a person can act on), then ask for
//! the [`Planner::deterministic`] schedule, the [`Planner::monte_carlo`] distribution, or both
//! strategies side by side with [`compare`]. A live partnership passes its done items as
//! [`Plan::fixed`] finish days and [`Plan::today`] as the earliest start of the open ones.
//!
//! Days are real numbers (`f64`) from day 0: the triangular draws are continuous. Surfaces
//! that show a day to people or machines round it with [`whole_day`], so the CLI, the API
//! and the web page agree.

mod error;
mod file;
mod monte_carlo;
mod plan;
mod planner;
mod report;
mod schedule;

pub use error::PlanError;
pub use monte_carlo::{Distribution, MonteCarlo, iteration_stream, triangular};
pub use plan::{Entry, MAX_ITERATIONS, MAX_SAMPLES, Plan, Scope, Strategy};
pub use planner::{Instance, Planner};
pub use report::{Comparison, DaysSaved, Report, compare, whole_day};
pub use schedule::{CriticalStep, Schedule, ScheduledInstance, SetBy, SiteDay};
