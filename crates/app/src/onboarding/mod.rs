//! Onboarding (issue 4, points 4 and 5): when each site of a partnership will be an authorized
//! treatment center, planned from the partnership's live state — the program's track template
//! with the items already done fixed at their real dates and the open ones estimated from
//! today — and the pipeline of every site of every partnership of an organization with its
//! status, days in onboarding, predicted day (P50/P90) and what blocks it (the gate's words).
//!
//! One idea per file: `live_plan` (a partnership's plan for a program and where each site
//! stands), `lapses` (executed agreements that lapse before the sites they hold are expected
//! through), `pipeline` (an organization's sites in onboarding, a page of partnerships at a
//! time).

mod lapses;
mod live_plan;
mod pipeline;

use cellpath_domain::contracting::gate::AuthorizationStatus;

pub use crate::views::onboarding::{
    DoneItem, Lapse, LapseAt, LivePlan, OverdueGap, Pipeline, PipelineCounts, PipelineRow,
    Prediction, SiteOutlook, StrategyOutlook,
};
pub use live_plan::{LIVE_ITERATIONS, LIVE_SEED};

/// "1 day", "12 days".
pub fn days_text(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// A site's status in the pipeline — `authorized` (the gate holds), `suspended` (it held once:
/// a verdict is recorded, and the gate no longer holds) or `onboarding` — with the day recorded
/// for it (the verdict last recorded: its status and since when).
fn status_of(
    authorized: bool,
    recorded: Option<(AuthorizationStatus, &cellpath_domain::Date)>,
) -> (&'static str, Option<String>) {
    if authorized {
        (
            "authorized",
            recorded
                .filter(|(status, _)| *status == AuthorizationStatus::Authorized)
                .map(|(_, since)| since.as_str().to_string()),
        )
    } else if let Some((status, since)) = recorded {
        (
            "suspended",
            (status == AuthorizationStatus::Suspended).then(|| since.as_str().to_string()),
        )
    } else {
        ("onboarding", None)
    }
}
