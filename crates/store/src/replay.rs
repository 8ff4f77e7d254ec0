//! Rebuilding current state from the events alone, for the replay test and for recovery:
//! every event of every ledger is projected again into an empty database.

use crate::project::{RECORD_STATE, project};
use crate::{Store, StoreError};
use cellpath_ledger::parse_event;
use std::collections::BTreeMap;

impl Store {
    /// Project all events of `self` into `target` (a freshly migrated, empty database), in the
    /// order they were recorded. Events and heads are copied too, so `target` verifies.
    pub async fn replay_into(&self, target: &Store) -> Result<u64, StoreError> {
        let rows: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT e.ledger_id, h.kind, e.seq, e.hash, e.recorded_at FROM events e JOIN ledger_heads h ON h.ledger_id = e.ledger_id ORDER BY e.recorded_at, e.ledger_id, e.seq",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut count = 0;
        for (ledger_id, kind, seq, hash, recorded_at) in rows {
            let body: (String,) =
                sqlx::query_as("SELECT body FROM events WHERE ledger_id = $1 AND seq = $2")
                    .bind(&ledger_id)
                    .bind(seq)
                    .fetch_one(&self.reader)
                    .await?;
            let event =
                parse_event(body.0.as_bytes()).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let mut tx = target.writer.begin().await?;
            if seq == 1 {
                sqlx::query("INSERT INTO ledger_heads (ledger_id, kind, seq, head_hash, last_recorded_at) VALUES ($1, $2, 0, '', 0)")
                    .bind(&ledger_id)
                    .bind(&kind)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE ledger_heads SET seq = $2, head_hash = $3, last_recorded_at = $4 WHERE ledger_id = $1")
                .bind(&ledger_id)
                .bind(seq)
                .bind(&hash)
                .bind(recorded_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO events (ledger_id, seq, hash, kind, actor, recorded_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&ledger_id)
            .bind(seq)
            .bind(&hash)
            .bind(&event.kind)
            .bind(&event.actor)
            .bind(event.recorded_at)
            .bind(&body.0)
            .execute(&mut *tx)
            .await?;
            project(&mut tx, &event, &hash).await?;
            tx.commit().await?;
            count += 1;
        }
        Ok(count)
    }

    /// The record's current state as sorted lines per table, for comparing two databases.
    pub async fn record_state(&self) -> Result<BTreeMap<&'static str, Vec<String>>, StoreError> {
        let mut out = BTreeMap::new();
        for (table, columns) in RECORD_STATE {
            let casts: Vec<String> = columns
                .split(", ")
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '∅')"))
                .collect();
            let sql = format!("SELECT {} FROM {table}", casts.join(" || '|' || "));
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.reader)
                .await?;
            let mut lines: Vec<String> = rows.into_iter().map(|(l,)| l).collect();
            lines.sort();
            out.insert(*table, lines);
        }
        Ok(out)
    }

    /// Rewrite a stored event's bytes behind the application's back (tests of tamper detection).
    pub async fn tamper_with_event_body(
        &self,
        ledger_id: &str,
        seq: i64,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE events SET body = $3 WHERE ledger_id = $1 AND seq = $2")
            .bind(ledger_id)
            .bind(seq)
            .bind(body)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
