//! The ledgers as stored: heads, events with their exact bytes, e-signatures.

use crate::decode::word;
use crate::read::*;
use crate::{LedgerKind, Store, StoreError};
use cellpath_ledger::Meaning;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerHead {
    pub ledger_id: String,
    pub kind: LedgerKind,
    pub seq: i64,
    pub head_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEventRow {
    pub ledger_id: String,
    pub seq: i64,
    pub hash: String,
    pub kind: String,
    pub actor: String,
    pub recorded_at: i64,
    /// The exact canonical bytes that were hashed.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureRow {
    pub event_hash: String,
    pub ledger_id: String,
    pub seq: i64,
    pub target: String,
    pub signer_user_id: String,
    pub printed_name: String,
    pub meaning: Meaning,
    pub signed_at: i64,
    /// Through what the signature came; `None` when it was recorded before the channel was.
    pub channel: Option<cellpath_ledger::Channel>,
}

impl FromRow<'_, AnyRow> for LedgerHead {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(LedgerHead {
            ledger_id: r.try_get("ledger_id")?,
            kind: word(r, "kind")?,
            seq: r.try_get("seq")?,
            head_hash: r.try_get("head_hash")?,
        })
    }
}

impl FromRow<'_, AnyRow> for StoredEventRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(StoredEventRow {
            ledger_id: r.try_get("ledger_id")?,
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
            kind: r.try_get("kind")?,
            actor: r.try_get("actor")?,
            recorded_at: r.try_get("recorded_at")?,
            body: r.try_get("body")?,
        })
    }
}

impl FromRow<'_, AnyRow> for SignatureRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SignatureRow {
            event_hash: r.try_get("event_hash")?,
            ledger_id: r.try_get("ledger_id")?,
            seq: r.try_get("seq")?,
            target: r.try_get("target")?,
            signer_user_id: r.try_get("signer_user_id")?,
            printed_name: r.try_get("printed_name")?,
            meaning: word(r, "meaning")?,
            signed_at: r.try_get("signed_at")?,
            channel: {
                let text: String = r.try_get("channel")?;
                if text.is_empty() {
                    None
                } else {
                    Some(
                        serde_json::from_str(&text)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    )
                }
            },
        })
    }
}

const EVENT_COLS: &str = "ledger_id, seq, hash, kind, actor, recorded_at, body";

impl Store {
    pub async fn ledger_head(&self, ledger_id: &str) -> Result<Option<LedgerHead>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT ledger_id, kind, seq, head_hash FROM ledger_heads WHERE ledger_id = $1",
        )
        .bind(ledger_id)
        .fetch_optional(&self.reader)
        .await?)
    }

    pub async fn ledgers(&self) -> Result<Vec<LedgerHead>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT ledger_id, kind, seq, head_hash FROM ledger_heads ORDER BY ledger_id",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// Events of a ledger with `seq > after`, oldest first.
    pub async fn events(
        &self,
        ledger_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        )))
        .bind(ledger_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Events of a ledger newest first, for people reading the audit trail.
    /// A ledger's events whose type starts with `prefix` (e.g. `site_authorization.`), oldest
    /// first.
    pub async fn events_of_type(
        &self,
        ledger_id: &str,
        prefix: &str,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 AND kind LIKE $2 ORDER BY seq"
        )))
        .bind(ledger_id)
        // `_` in a prefix matches itself too (LIKE's one-character wildcard); the prefixes
        // come from the code, never from a person.
        .bind(format!("{prefix}%"))
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn events_newest_first(
        &self,
        ledger_id: &str,
        page: Page,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
        )))
        .bind(ledger_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn event_by_hash(&self, hash: &str) -> Result<Option<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Signatures on an event or record hash.
    pub async fn signatures_on(&self, target: &str) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM signatures WHERE target = $1 ORDER BY signed_at")
                .bind(target)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// Signatures on an event or record hash recorded on one ledger.
    pub async fn signatures_on_in(
        &self,
        ledger_id: &str,
        target: &str,
    ) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM signatures WHERE ledger_id = $1 AND target = $2 ORDER BY signed_at",
        )
        .bind(ledger_id)
        .bind(target)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn signatures_in(&self, ledger_id: &str) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM signatures WHERE ledger_id = $1 ORDER BY seq")
                .bind(ledger_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }
}
