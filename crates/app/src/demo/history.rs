//! The demo as people meet it: the record begun [`HISTORY_DAYS`] ago.

use super::{DemoLogin, seed};
use crate::{App, AppError};

/// How long ago the demo's record starts when seeded for people ([`seed_with_history`]): the
/// partnerships, the recorded authorization and every seeded change are dated then, so the
/// onboarding pipeline has days in onboarding and an "authorized since" to show.
pub const HISTORY_DAYS: i64 = 120 + super::year::DAYS;

/// Seed the app's database as of [`HISTORY_DAYS`] before its clock's now, for the `demo`
/// command; the server then runs on the real clock from now.
pub async fn seed_with_history(app: &App) -> Result<Vec<DemoLogin>, AppError> {
    let then = app.now() - HISTORY_DAYS * 86_400 * 1_000_000;
    let clock = crate::ManualClock::starting_at(then);
    let history = App::new(app.store.clone(), std::sync::Arc::new(clock.clone()));
    let logins = seed(&history).await?;
    // Before the first patient of the history: Helixa's payment terms for Vantacel.
    super::finance::terms(&history).await?;
    super::year::year(&history, &clock).await?;
    super::cases::over_time(&history, &clock, HISTORY_DAYS - super::year::DAYS).await?;
    super::safety::safety_reports(&history).await?;
    super::waitlist::waitlist(&history).await?;
    super::finance::money(&history).await?;
    Ok(logins)
}
