//! The audit trail: verifying a ledger's chain in the database or in an export, exporting it
//! as JSON Lines, and reading it as people do (who, when, what changed, signatures).

use crate::{App, AppError, Caller};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_ledger::{ChainBreak, StoredEvent, Verified, Verifier, parse_event};
use cellpath_store::{Page, SignatureRow, StoredEventRow};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

pub use cellpath_store::{DifferenceKind, NamesOf, StateDifference};

const BATCH: i64 = 1000;

/// What `verify` found: the chain holds, or the first broken link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VerifyReport {
    Intact {
        ledger_id: String,
        events: i64,
        head_hash: String,
    },
    Broken {
        ledger_id: String,
        seq: i64,
        reason: String,
    },
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        matches!(self, VerifyReport::Intact { .. })
    }
}

impl From<Result<Verified, ChainBreak>> for VerifyReport {
    fn from(r: Result<Verified, ChainBreak>) -> Self {
        match r {
            Ok(v) => VerifyReport::Intact {
                ledger_id: v.ledger_id,
                events: v.events,
                head_hash: v.head_hash,
            },
            Err(b) => VerifyReport::Broken {
                ledger_id: b.ledger_id.clone().unwrap_or_default(),
                seq: b.seq,
                reason: b.reason.to_string(),
            },
        }
    }
}

/// One event as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: i64,
    pub hash: String,
    pub kind: String,
    pub actor: String,
    /// The actor's name, when the actor is a user this caller can see.
    pub actor_name: Option<String>,
    pub recorded_at: i64,
    pub payload: serde_json::Value,
    pub signatures: Vec<SignatureRow>,
    /// The exact stored bytes, for an auditor who wants the event as recorded.
    #[serde(skip)]
    pub body: String,
}

/// Whatever in a payload may be an id the audit trail can name: short strings without spaces
/// (the store names those whose prefix it knows and leaves out the rest).
fn ids_in(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::String(s)
            if s.len() <= 64 && s.contains('_') && !s.contains(char::is_whitespace) =>
        {
            out.insert(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| ids_in(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| ids_in(i, out)),
        _ => {}
    }
}

impl App {
    async fn check_ledger_read(&self, caller: &Caller, ledger_id: &str) -> Result<(), AppError> {
        let what = format!("ledger {ledger_id}");
        if self.store.ledger_head(ledger_id).await?.is_none() {
            return Err(AppError::not_found(&what));
        }
        let rel = self.ledger_relation(caller, ledger_id).await?;
        self.check(caller, Action::Read, ResourceKind::Ledger, rel, &what)
    }

    /// Verify a ledger in the database: hash the stored bytes, follow the chain, compare the
    /// head. Names the first broken link.
    pub async fn verify_ledger(
        &self,
        caller: &Caller,
        ledger_id: &str,
    ) -> Result<VerifyReport, AppError> {
        self.check_ledger_read(caller, ledger_id).await?;
        let head = self
            .store
            .ledger_head(ledger_id)
            .await?
            .ok_or_else(|| AppError::not_found(ledger_id))?;
        let mut verifier = Verifier::for_ledger(ledger_id);
        let mut after = 0;
        loop {
            let rows = self.store.events(ledger_id, after, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Err(b) = verifier.push(StoredEvent {
                    seq: row.seq,
                    bytes: row.body.as_bytes(),
                    stored_hash: Some(&row.hash),
                }) {
                    return Ok(Err(b).into());
                }
                after = row.seq;
            }
        }
        let verified = verifier.finish();
        if verified.events != head.seq || verified.head_hash != head.head_hash {
            return Ok(VerifyReport::Broken {
                ledger_id: ledger_id.to_string(),
                seq: verified.events + 1,
                reason: format!(
                    "the ledger head says {} events ending in {}, but the stored events give {} ending in {}",
                    head.seq, head.head_hash, verified.events, verified.head_hash
                ),
            });
        }
        Ok(Ok(verified).into())
    }

    /// Verify a ledger and check that it still contains a head the caller kept from an
    /// earlier export or verification: a tail rewritten and re-chained since then verifies on
    /// its own, but no longer holds the head that was seen.
    pub async fn verify_ledger_keeping(
        &self,
        caller: &Caller,
        ledger_id: &str,
        kept_head: &str,
    ) -> Result<VerifyReport, AppError> {
        let report = self.verify_ledger(caller, ledger_id).await?;
        if !report.is_intact() {
            return Ok(report);
        }
        let kept = self.store.event_by_hash(kept_head).await?;
        if kept.is_some_and(|e| e.ledger_id == ledger_id) {
            return Ok(report);
        }
        Ok(VerifyReport::Broken {
            ledger_id: ledger_id.to_string(),
            seq: 0,
            reason: format!(
                "the head you kept ({kept_head}) is not in this ledger: events up to it were rewritten since you saw it, or it belongs to another ledger"
            ),
        })
    }

    /// Replay every ledger's events and name each row of the current-state tables that
    /// differs from what they make (a row edited, added or deleted behind the application's
    /// back, which the hash chains cannot show). The operator's alone: it reads every tenant.
    pub async fn verify_state(&self, caller: &Caller) -> Result<Vec<StateDifference>, AppError> {
        if caller.principal.is_some() {
            return Err(AppError::Forbidden(
                "comparing the whole database with its events is the operator's (cellpath audit verify --state)".into(),
            ));
        }
        let mut differences = self.store.state_differences().await?;
        // The inbox's step index is made by the app from the cases' events, not projected.
        differences.extend(self.step_index_differences().await?);
        differences.extend(self.document_differences().await?);
        Ok(differences)
    }

    /// Each kept document whose bytes, read through the configured backend, are not what its
    /// SHA-256 says (edited or replaced behind the application's back), or cannot be read at
    /// all: the events name documents by hash, so this is the documents' side of `--state`.
    async fn document_differences(&self) -> Result<Vec<StateDifference>, AppError> {
        let mut out = Vec::new();
        for sha256 in self.store.documents_kept_before(i64::MAX, i64::MAX).await? {
            let kind = match self.documents.get(&sha256).await {
                Ok(None) => continue,
                Ok(Some((meta, bytes))) => {
                    let found = cellpath_ledger::hash_bytes(&bytes);
                    if found == sha256 && meta.size == bytes.len() as i64 {
                        continue;
                    }
                    DifferenceKind::Changed {
                        column: "bytes".into(),
                        live: format!("{} bytes with SHA-256 {found}", bytes.len()),
                        from_events: format!("{} bytes with SHA-256 {sha256}", meta.size),
                    }
                }
                Err(e) => DifferenceKind::Missing {
                    row: vec![
                        ("sha256".into(), sha256.clone()),
                        ("bytes".into(), format!("unreadable: {e}")),
                    ],
                },
            };
            out.push(StateDifference {
                table: "documents",
                key: sha256,
                kind,
            });
        }
        Ok(out)
    }

    /// Copy the whole record into the empty database at `target_url` by replaying every
    /// ledger's events there, with the uploaded documents the events name (their rows, and
    /// their bytes where the database keeps them; a documents directory or bucket stays where
    /// it is, to be configured for the new database too). Answers how many events. The
    /// operator's alone; a target that already holds events is refused.
    pub async fn replay_into(&self, caller: &Caller, target_url: &str) -> Result<u64, AppError> {
        if caller.principal.is_some() {
            return Err(AppError::Forbidden(
                "copying the whole record is the operator's (cellpath audit replay)".into(),
            ));
        }
        let target = cellpath_store::Store::open(target_url).await?;
        let result = async {
            if !target.ledgers().await?.is_empty() {
                return Err(AppError::invalid(
                    "into",
                    "that database already holds a record: replay only into an empty one",
                ));
            }
            let events = self.store.replay_with_documents_into(&target).await?;
            // The inbox's step index is the app's, made from the replayed cases' events.
            App::new(target.clone(), self.clock.clone())
                .reindex_open_steps()
                .await?;
            Ok(events)
        }
        .await;
        target.close().await;
        result
    }

    /// Every ledger the caller may read, verified.
    pub async fn verify_all(&self, caller: &Caller) -> Result<Vec<VerifyReport>, AppError> {
        let mut out = Vec::new();
        for head in self.store.ledgers().await? {
            if self
                .check_ledger_read(caller, &head.ledger_id)
                .await
                .is_ok()
            {
                out.push(self.verify_ledger(caller, &head.ledger_id).await?);
            }
        }
        Ok(out)
    }

    /// The ledger as JSON Lines: each line the exact stored bytes (docs/ledger-format.md).
    pub async fn export_ledger(
        &self,
        caller: &Caller,
        ledger_id: &str,
        out: &mut impl std::io::Write,
    ) -> Result<i64, AppError> {
        self.check_ledger_read(caller, ledger_id).await?;
        let mut after = 0;
        let mut n = 0;
        loop {
            let rows = self.store.events(ledger_id, after, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                out.write_all(row.body.as_bytes())
                    .and_then(|_| out.write_all(b"\n"))
                    .map_err(|e| AppError::Internal(format!("writing the export: {e}")))?;
                after = row.seq;
                n += 1;
            }
        }
        Ok(n)
    }

    pub async fn ledger_head(
        &self,
        caller: &Caller,
        ledger_id: &str,
    ) -> Result<cellpath_store::LedgerHead, AppError> {
        self.check_ledger_read(caller, ledger_id).await?;
        self.store
            .ledger_head(ledger_id)
            .await?
            .ok_or_else(|| AppError::not_found(ledger_id))
    }

    /// Events newest first, with their signatures and the actor's name: three queries for a
    /// page (events, their signatures, the actors' names), however many events it holds.
    pub async fn ledger_events(
        &self,
        caller: &Caller,
        ledger_id: &str,
        page: Page,
    ) -> Result<Vec<EventView>, AppError> {
        self.check_ledger_read(caller, ledger_id).await?;
        let rows: Vec<StoredEventRow> = self.store.events_newest_first(ledger_id, page).await?;
        let hashes: Vec<String> = rows.iter().map(|r| r.hash.clone()).collect();
        let mut signatures: HashMap<String, Vec<SignatureRow>> = HashMap::new();
        for s in self.store.signatures_on_any(ledger_id, &hashes).await? {
            signatures.entry(s.target.clone()).or_default().push(s);
        }
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let event = parse_event(row.body.as_bytes())
                .map_err(|e| AppError::Internal(format!("stored event {}: {e}", row.seq)))?;
            events.push((row, event));
        }
        let actors: Vec<String> = events
            .iter()
            .filter_map(|(_, e)| e.actor.strip_prefix("user:").map(str::to_string))
            .collect();
        let names = self.store.names_of(&actors).await?.names;
        Ok(events
            .into_iter()
            .map(|(row, event)| EventView {
                seq: row.seq,
                signatures: signatures.remove(&row.hash).unwrap_or_default(),
                actor_name: event
                    .actor
                    .strip_prefix("user:")
                    .and_then(|id| names.get(id).cloned()),
                hash: row.hash,
                kind: row.kind,
                actor: row.actor,
                recorded_at: row.recorded_at,
                payload: event.payload,
                body: row.body,
            })
            .collect())
    }

    /// What the ids in a page of a ledger's events name — people, sites, facilities,
    /// programs, organizations, partnerships, agreements (with the sites they bind) — so the
    /// audit trail reads in names: a fixed number of queries for the page.
    pub async fn ledger_names(
        &self,
        caller: &Caller,
        ledger_id: &str,
        events: &[EventView],
    ) -> Result<NamesOf, AppError> {
        self.check_ledger_read(caller, ledger_id).await?;
        let mut ids = BTreeSet::new();
        for e in events {
            ids_in(&e.payload, &mut ids);
            if let Some(user) = e.actor.strip_prefix("user:") {
                ids.insert(user.to_string());
            }
        }
        let ids: Vec<String> = ids.into_iter().collect();
        let mut names = self.store.names_of(&ids).await?;
        let sites: Vec<String> = names
            .agreements
            .values()
            .filter_map(|(_, site)| site.clone())
            .filter(|site| !names.names.contains_key(site))
            .collect();
        if !sites.is_empty() {
            let more = self.store.names_of(&sites).await?;
            names.names.extend(more.names);
        }
        Ok(names)
    }
}

/// Verify an exported JSON Lines file (no database needed).
pub fn verify_export(text: &str, expected_head: Option<&str>) -> VerifyReport {
    cellpath_ledger::verify_jsonl(text, expected_head).into()
}

/// Verify an export, and check that it still holds a head kept from an earlier look at the
/// same ledger (the export may have grown since; events up to that head must be unchanged).
pub fn verify_export_keeping(
    text: &str,
    expected_head: Option<&str>,
    kept_head: Option<&str>,
) -> VerifyReport {
    let report = verify_export(text, expected_head);
    let Some(kept) = kept_head else {
        return report;
    };
    let VerifyReport::Intact { ledger_id, .. } = &report else {
        return report;
    };
    let holds = text
        .lines()
        .any(|line| cellpath_ledger::hash_bytes(line.as_bytes()) == kept);
    if holds {
        return report;
    }
    VerifyReport::Broken {
        ledger_id: ledger_id.clone(),
        seq: 0,
        reason: format!(
            "the head you kept ({kept}) is not in this export: events up to it were rewritten since you saw it, or it belongs to another ledger"
        ),
    }
}
