//! The demo as people meet it: the record begun [`HISTORY_DAYS`] ago.

use super::{DemoLogin, seed};
use crate::{App, AppError};

/// How long ago the demo's record starts when seeded for people ([`seed_with_history`]): the
/// partnerships, the recorded authorization and every seeded change are dated then, so the
/// onboarding pipeline has days in onboarding and an "authorized since" to show.
pub const HISTORY_DAYS: i64 = 120;

/// Seed `store` as of [`HISTORY_DAYS`] before `now` (microseconds), for the `demo` command;
/// the server then runs on the real clock from now.
pub async fn seed_with_history(
    store: cellpath_store::Store,
    now: i64,
) -> Result<Vec<DemoLogin>, AppError> {
    let then = now - HISTORY_DAYS * 86_400 * 1_000_000;
    let history = App::new(
        store,
        std::sync::Arc::new(crate::ManualClock::starting_at(then)),
    );
    seed(&history).await
}
