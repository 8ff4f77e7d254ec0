//! Rebuilding current state from the events alone, for the replay test and for recovery:
//! every event of every ledger is projected again into an empty database.

use crate::project::{RECORD_STATE, project};
use crate::{Store, StoreError};
use cellpath_ledger::{hash_bytes, parse_event};
use sqlx::Row;
use std::collections::BTreeMap;

/// One way the current-state tables differ from what their events make (`audit verify
/// --state`): a row edited, added or deleted behind the application's back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StateDifference {
    pub table: &'static str,
    /// The row's key: its id (both ids for a link table, the event hash for a signature).
    pub key: String,
    #[serde(flatten)]
    pub kind: DifferenceKind,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "difference", rename_all = "snake_case")]
pub enum DifferenceKind {
    /// The row is in the table, but no event made it.
    NotMadeByAnyEvent { row: Vec<(String, String)> },
    /// The events make this row, but it is not in the table.
    Missing { row: Vec<(String, String)> },
    /// A column holds another value than its events give.
    Changed {
        column: String,
        live: String,
        from_events: String,
    },
}

/// Where a replayed event was stored: its ledger and place in it, and when it was recorded.
#[derive(Clone, Copy)]
struct Position<'a> {
    ledger_id: &'a str,
    seq: i64,
    recorded_at: i64,
}

/// A database the record was replayed into: a temporary SQLite file, gone with the value.
struct Replayed {
    store: Store,
    _dir: tempfile::TempDir,
}

/// How many leading columns of a record table name its row.
fn key_columns(table: &str) -> usize {
    match table {
        "site_facilities" => 2,
        _ => 1,
    }
}

/// Compare two databases' record tables, row by row and column by column.
fn compare_state(
    live: &BTreeMap<&'static str, Vec<Vec<String>>>,
    from_events: &BTreeMap<&'static str, Vec<Vec<String>>>,
) -> Vec<StateDifference> {
    let mut out = Vec::new();
    for (table, columns) in RECORD_STATE {
        let names: Vec<&str> = columns.split(", ").collect();
        let keyed = |rows: Option<&Vec<Vec<String>>>| -> BTreeMap<String, Vec<Vec<String>>> {
            let mut m: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
            for row in rows.into_iter().flatten() {
                m.entry(row[..key_columns(table)].join(" / "))
                    .or_default()
                    .push(row.clone());
            }
            m
        };
        let named = |row: &[String]| -> Vec<(String, String)> {
            names
                .iter()
                .zip(row)
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect()
        };
        let (a, b) = (keyed(live.get(table)), keyed(from_events.get(table)));
        for key in a
            .keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (mut la, mut lb) = (
                a.get(key).cloned().unwrap_or_default(),
                b.get(key).cloned().unwrap_or_default(),
            );
            la.sort();
            lb.sort();
            if la == lb {
                continue;
            }
            if let ([x], [y]) = (la.as_slice(), lb.as_slice()) {
                for ((name, l), r) in names.iter().zip(x).zip(y) {
                    if l != r {
                        out.push(StateDifference {
                            table,
                            key: key.clone(),
                            kind: DifferenceKind::Changed {
                                column: name.to_string(),
                                live: l.clone(),
                                from_events: r.clone(),
                            },
                        });
                    }
                }
                continue;
            }
            for row in la.iter().filter(|r| !lb.contains(r)) {
                out.push(StateDifference {
                    table,
                    key: key.clone(),
                    kind: DifferenceKind::NotMadeByAnyEvent { row: named(row) },
                });
            }
            for row in lb.iter().filter(|r| !la.contains(r)) {
                out.push(StateDifference {
                    table,
                    key: key.clone(),
                    kind: DifferenceKind::Missing { row: named(row) },
                });
            }
        }
    }
    out
}

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
            let at = Position {
                ledger_id: &ledger_id,
                seq,
                recorded_at,
            };
            target.replay_one(at, &kind, &hash, &body.0).await?;
            count += 1;
        }
        Ok(count)
    }

    /// [`Store::replay_into`], and the uploaded documents with it: not events, but what the
    /// events name by hash (an agreement's versions, evidence), so a record moved to another
    /// database keeps serving them. Their rows, and their bytes where the database keeps them
    /// (a documents directory stays where it is configured).
    pub async fn replay_with_documents_into(&self, target: &Store) -> Result<u64, StoreError> {
        let count = self.replay_into(target).await?;
        let metas: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT sha256, media_type, size, created_at FROM documents ORDER BY sha256",
        )
        .fetch_all(&self.reader)
        .await?;
        for (sha256, media_type, size, created_at) in metas {
            let content: Option<(String,)> =
                sqlx::query_as("SELECT content_hex FROM document_contents WHERE sha256 = $1")
                    .bind(&sha256)
                    .fetch_optional(&self.reader)
                    .await?;
            let mut tx = target.writer.begin().await?;
            sqlx::query(
                "INSERT INTO documents (sha256, media_type, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&sha256)
            .bind(&media_type)
            .bind(size)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            if let Some((hex,)) = content {
                sqlx::query(
                    "INSERT INTO document_contents (sha256, content_hex) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&sha256)
                .bind(hex)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        Ok(count)
    }

    /// Load ledgers exported as JSON Lines (`audit export`: each line an event's stored bytes)
    /// into this freshly migrated, empty database, each with its kind (`manufacturer`,
    /// `health_system`, `partnership`), projecting every event in the order `replay_into`
    /// uses. What a database written by an earlier release replays to.
    pub async fn load_exports(&self, ledgers: &[(&str, &str)]) -> Result<u64, StoreError> {
        let mut events = Vec::new();
        for (kind, jsonl) in ledgers {
            for line in jsonl.lines().filter(|l| !l.is_empty()) {
                let event = parse_event(line.as_bytes())
                    .map_err(|e| StoreError::Invalid(format!("an exported event: {e}")))?;
                events.push((event.recorded_at, event.ledger_id, event.seq, *kind, line));
            }
        }
        events.sort();
        let mut count = 0;
        for (recorded_at, ledger_id, seq, kind, body) in events {
            let at = Position {
                ledger_id: &ledger_id,
                seq,
                recorded_at,
            };
            self.replay_one(at, kind, &hash_bytes(body.as_bytes()), body)
                .await?;
            count += 1;
        }
        Ok(count)
    }

    /// Store one event as recorded (its bytes, its hash, its ledger's head) and project it,
    /// in one transaction; the ledger's head is opened with its first event.
    async fn replay_one(
        &self,
        at: Position<'_>,
        ledger_kind: &str,
        hash: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let event = parse_event(body.as_bytes()).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.writer.begin().await?;
        if at.seq == 1 {
            sqlx::query("INSERT INTO ledger_heads (ledger_id, kind, seq, head_hash, last_recorded_at) VALUES ($1, $2, 0, '', 0)")
                .bind(at.ledger_id)
                .bind(ledger_kind)
                .execute(&mut *tx)
                .await?;
        }
        // Replayed event by event, every event counts as moving the records (what is kept by
        // `records_seq` is judged again once, after the replay).
        sqlx::query("UPDATE ledger_heads SET seq = $2, head_hash = $3, last_recorded_at = $4, records_seq = $2 WHERE ledger_id = $1")
            .bind(at.ledger_id)
            .bind(at.seq)
            .bind(hash)
            .bind(at.recorded_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO events (ledger_id, seq, hash, kind, actor, recorded_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(at.ledger_id)
        .bind(at.seq)
        .bind(hash)
        .bind(&event.kind)
        .bind(&event.actor)
        .bind(event.recorded_at)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        project(&mut tx, &event, hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replay every event into a new temporary SQLite database (whatever this one is): the
    /// state the events alone give.
    async fn replayed(&self) -> Result<Replayed, StoreError> {
        let dir = tempfile::tempdir().map_err(|e| {
            StoreError::Invalid(format!("a temporary directory for the replay: {e}"))
        })?;
        let url = format!("sqlite://{}", dir.path().join("replay.db").display());
        let store = Store::open(&url).await?;
        self.replay_into(&store).await?;
        Ok(Replayed { store, _dir: dir })
    }

    /// Each record table's rows as text columns (`∅` for null), sorted.
    pub async fn record_rows(
        &self,
    ) -> Result<BTreeMap<&'static str, Vec<Vec<String>>>, StoreError> {
        let mut out = BTreeMap::new();
        for (table, columns) in RECORD_STATE {
            let casts: Vec<String> = columns
                .split(", ")
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '∅')"))
                .collect();
            let sql = format!("SELECT {} FROM {table}", casts.join(", "));
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.reader)
                .await?;
            let mut values = rows
                .iter()
                .map(|r| {
                    (0..casts.len())
                        .map(|i| r.try_get::<String, _>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            values.sort();
            out.insert(*table, values);
        }
        Ok(out)
    }

    /// Replay the events and name every row of the current-state tables that differs from
    /// what they make: what `verify` of the hash chains cannot see.
    pub async fn state_differences(&self) -> Result<Vec<StateDifference>, StoreError> {
        let replayed = self.replayed().await?;
        let from_events = replayed.store.record_rows().await?;
        let live = self.record_rows().await?;
        replayed.store.close().await;
        Ok(compare_state(&live, &from_events))
    }

    /// The record's current state as sorted lines per table, for comparing two databases.
    pub async fn record_state(&self) -> Result<BTreeMap<&'static str, Vec<String>>, StoreError> {
        Ok(self
            .record_rows()
            .await?
            .into_iter()
            .map(|(table, rows)| (table, rows.into_iter().map(|r| r.join("|")).collect()))
            .collect())
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
