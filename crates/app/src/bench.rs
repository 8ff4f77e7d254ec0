//! What `cellpath bench` needs beyond commands: a scratch database to measure on, and the
//! bare store append a command's cost is compared with. Neither is a way to change a real
//! record: the append skips the policy, validation and typed event on purpose, and only the
//! benchmark calls it.

pub use cellpath_store::testing::TestDb as ScratchDb;

use crate::{App, AppError};

impl App {
    /// Append one event and project it, nothing else: the floor under every command (the
    /// benchmark's "bare store append").
    pub async fn bench_bare_append(
        &self,
        ledger_id: &str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<(), AppError> {
        self.store
            .append(cellpath_store::Append::new(
                ledger_id,
                "system:bench",
                kind,
                payload,
                self.now(),
            ))
            .await?;
        Ok(())
    }
}
