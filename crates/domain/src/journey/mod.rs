//! The journey engine (DESIGN.md §4.1, §4.4): a patient's case run step by step on the site map
//! version it started on. Three pure functions — `available(map, case)`, `decide(map, case,
//! command, actor, now)` → events or a refusal, `evolve(case, event)` — with each step kind's
//! rule, the chain of identity (every scan matched against the case's identifiers), and the
//! product units with their thaw windows, custody and dispositions. No IO, no clock.
//!
//! **API Boundary:** `CaseMap`, `Command` (with `Actor`, `Entry`, `Action`), `decide`,
//! `available`, `evolve`, `Case`, `Refusal` (its `recorded()` deviation is written even though
//! the command is refused), `check_scan`; the events are `crate::events::cases`.

mod adverse;
mod case;
mod command;
mod engine;
mod identity;
mod lifecycle;
mod refusal;
mod registry;
mod steps;
mod units;

#[cfg(test)]
mod tests;

pub use adverse::{
    ADVERSE_EVENT_ROLES, AdverseEvent, NewObservation, Observed, ae_name, outcome_words,
};
pub use case::{Attempt, Case, CaseStatus, StepState, evolve};
pub use command::{
    Action, Actor, Command, Consent, Entry, ExceptionOutcome, Handoff, LateAdministration,
    Migration, OpenCase, Scan, minutes,
};
pub use engine::{Available, CaseMap, available, decide};
pub use identity::{CaseIdentifier, ScanError, ScanMismatch, check_scan, check_scan_for, noun};
pub use lifecycle::{LABEL_ROLES, UNIT_ROLES};
pub use refusal::{FieldProblem, Refusal};
pub use units::{Disposition, Item, Micros, Temperature, Thaw, Unit, UnitState, celsius, clock};
