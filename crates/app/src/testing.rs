//! Test support, compiled only with the `testing` feature (a dev-dependency feature of the
//! crates whose tests use it, never of a build that ships): fresh databases, and the app's
//! store for tests that look at or tamper with rows behind the app's back.

pub use cellpath_store::testing::TestDb;
pub use cellpath_store::{Append, Store};

use crate::App;

impl App {
    /// The store under the app, for tests only: reading rows the app has no query for, or
    /// writing behind its back to show that a check sees it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
