//! Safety reports' events (DESIGN.md §2, §4.4; issue 12, point 5). A safety report is the
//! manufacturer's copy of an adverse event of a case — projected from the case's own
//! `case.adverse_event_*` events, so it has no event of its own until the manufacturer's
//! `safety` role acknowledges it: `safety_report.acknowledged`, on the partnership's ledger,
//! naming the report's version it acknowledged (an adverse event updated afterwards needs a new
//! acknowledgement) and who acknowledged it (the envelope says when).
//!
//! Listed by `events::each_not_yet_recorded`: no record of an earlier release holds them.

use super::cases::ActedBy;
use super::events;
use serde::{Deserialize, Serialize};

/// The manufacturer's safety role acknowledges a safety report at a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyReportAcknowledged {
    /// The report (`{case id}-ae{number}`).
    pub id: String,
    pub case_id: String,
    pub adverse_event: u32,
    /// The report's version acknowledged: one more than the adverse event's events before it.
    pub version: i64,
    pub by: ActedBy,
}

/// A safety report's id: one per adverse event of a case.
pub fn report_id(case_id: &str, adverse_event: u32) -> String {
    format!("{case_id}-ae{adverse_event}")
}

events! {
    SafetyReportAcknowledged => "safety_report.acknowledged",
}
