//! The ledgers as stored: heads, events with their exact bytes, e-signatures.

use crate::decode::word;
use crate::read::*;
use crate::{LedgerKind, Store, StoreError};
use cellpath_domain::contracting::AgreementKind;
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

/// An e-signature with the event it signs (that event's type and stored bytes), for a page
/// that shows each record's signatures beside the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEventRow {
    pub signature: SignatureRow,
    pub event_kind: String,
    pub event_body: String,
}

impl FromRow<'_, AnyRow> for SignedEventRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SignedEventRow {
            signature: SignatureRow::from_row(r)?,
            event_kind: r.try_get("event_kind")?,
            event_body: r.try_get("event_body")?,
        })
    }
}

/// What the audit trail calls things it names by id: people, sites, facilities, programs,
/// organizations and partnerships by their names, cases by their pseudonyms (what every party
/// reads of a patient); agreements by their kind and site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamesOf {
    pub names: std::collections::HashMap<String, String>,
    pub agreements: std::collections::HashMap<String, (AgreementKind, Option<String>)>,
}

struct AgreementName {
    id: String,
    kind: AgreementKind,
    site_id: String,
}

impl FromRow<'_, AnyRow> for AgreementName {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AgreementName {
            id: r.try_get("id")?,
            kind: word(r, "kind")?,
            site_id: r.try_get("site_id")?,
        })
    }
}

/// The tables whose rows the audit trail names, by the prefix of their ids, and the column
/// that names them.
const NAMED: [(&str, &str, &str); 7] = [
    ("usr_", "users", "name"),
    ("site_", "sites", "name"),
    ("fac_", "facilities", "name"),
    ("prog_", "programs", "name"),
    ("org_", "organizations", "name"),
    ("pship_", "partnerships", "name"),
    ("case_", "cases", "pseudonym"),
];

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

    /// The signatures recorded on a ledger on its events whose type starts with `prefix`
    /// (e.g. `deliverable_record.`), each with the event it signs, oldest first: one query
    /// for all the records of a page.
    pub async fn signatures_on_events_of_type(
        &self,
        ledger_id: &str,
        prefix: &str,
    ) -> Result<Vec<SignedEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.event_hash, s.ledger_id, s.seq, s.target, s.signer_user_id, s.printed_name, \
             s.meaning, s.signed_at, s.channel, e.kind AS event_kind, e.body AS event_body \
             FROM signatures s JOIN events e ON e.hash = s.target \
             WHERE s.ledger_id = $1 AND e.ledger_id = $1 AND e.kind LIKE $2 ORDER BY s.seq",
        )
        .bind(ledger_id)
        // The prefixes come from the code (`_` matches itself too).
        .bind(format!("{prefix}%"))
        .fetch_all(&self.reader)
        .await?)
    }

    /// The signatures on a case's events (its steps signed, verified, recorded), oldest first,
    /// with the event each signs: one query from the case's index.
    pub async fn signatures_on_case_events(
        &self,
        case_id: &str,
    ) -> Result<Vec<SignedEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.event_hash, s.ledger_id, s.seq, s.target, s.signer_user_id, s.printed_name, \
             s.meaning, s.signed_at, s.channel, e.kind AS event_kind, e.body AS event_body \
             FROM case_events c JOIN events e ON e.ledger_id = c.ledger_id AND e.seq = c.seq \
             JOIN signatures s ON s.ledger_id = e.ledger_id AND s.target = e.hash \
             WHERE c.case_id = $1 ORDER BY s.seq",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The signatures on any of `targets` (event or record hashes) recorded on one ledger,
    /// in the order they were recorded: one query for a page of events.
    pub async fn signatures_on_any(
        &self,
        ledger_id: &str,
        targets: &[String],
    ) -> Result<Vec<SignatureRow>, StoreError> {
        if targets.is_empty() {
            return Ok(vec![]);
        }
        // Only placeholders go into the text; the hashes are bound.
        let list = (2..targets.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT * FROM signatures WHERE ledger_id = $1 AND target IN ({list}) ORDER BY seq"
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(ledger_id);
        for t in targets {
            q = q.bind(t.as_str());
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// The names of the things `ids` name (ids of other kinds are left out): one query per
    /// kind present, however many ids.
    pub async fn names_of(&self, ids: &[String]) -> Result<NamesOf, StoreError> {
        let mut out = NamesOf::default();
        for (prefix, table, name) in NAMED {
            let of_kind: Vec<String> = ids
                .iter()
                .filter(|id| id.starts_with(prefix))
                .cloned()
                .collect();
            let rows: Vec<(String, String)> = self
                .rows_in(
                    &format!("SELECT id, {name} AS name FROM {table} WHERE id IN ({{in}})"),
                    &of_kind,
                )
                .await?;
            out.names.extend(rows);
        }
        let agreements: Vec<String> = ids
            .iter()
            .filter(|id| id.starts_with("agr_"))
            .cloned()
            .collect();
        let rows: Vec<AgreementName> = self
            .rows_in(
                "SELECT id, kind, site_id FROM agreements WHERE id IN ({in})",
                &agreements,
            )
            .await?;
        for r in rows {
            let site = (!r.site_id.is_empty()).then_some(r.site_id);
            out.agreements.insert(r.id, (r.kind, site));
        }
        Ok(out)
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
