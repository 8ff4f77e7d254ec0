//! The write path (DESIGN.md §3, §6). One transaction per command:
//! 1. lock the ledger: `UPDATE ledger_heads SET seq = seq + 1 … RETURNING` is the first
//!    statement, so appends to one ledger queue behind each other and never fork;
//! 2. answer a repeated `Idempotency-Key` with the stored answer, and stop;
//! 3. seal the event (canonical bytes, SHA-256 over the previous hash) and insert it;
//! 4. project it onto the current-state tables;
//! 5. write the command's operational rows (the jobs that must follow it, among them);
//! 6. store the idempotent answer, then commit.

use crate::project::project;
use crate::{Store, StoreError};
use cellpath_ledger::{Event, GENESIS_PREV_HASH};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// Idempotency records are kept this long (DESIGN.md §5).
pub const IDEMPOTENCY_TTL_MICROS: i64 = 24 * 3600 * 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Manufacturer,
    HealthSystem,
    Partnership,
}

impl std::fmt::Display for LedgerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LedgerKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<LedgerKind, StoreError> {
        [
            LedgerKind::Manufacturer,
            LedgerKind::HealthSystem,
            LedgerKind::Partnership,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::Invalid(format!("unknown ledger kind {s:?}")))
    }
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Manufacturer => "manufacturer",
            LedgerKind::HealthSystem => "health_system",
            LedgerKind::Partnership => "partnership",
        }
    }
}

/// Open a new ledger with this event (its first).
#[derive(Debug, Clone, Copy)]
pub struct NewLedger {
    pub kind: LedgerKind,
}

/// The answer stored for an `Idempotency-Key` and returned to every repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

type AnswerFn = Box<dyn FnOnce(&Appended) -> StoredAnswer + Send + Sync>;

pub struct IdempotencyWrite {
    /// Whose key it is: a user id (keys are scoped to the user or token).
    pub scope: String,
    pub key: String,
    /// SHA-256 of the request (method, path, body): the same key with another body is refused.
    pub request_hash: String,
    /// Builds the answer from the appended event, inside the transaction.
    pub answer: AnswerFn,
}

/// Operational rows written in the same transaction as the event (not part of the record).
#[derive(Debug, Clone)]
pub enum Operational {
    SetPassword {
        user_id: String,
        password_hash: String,
    },
    /// A check, not a row: once the command's events are projected, the organization still
    /// has an active admin, or the whole command is refused with `message` on `field`. Inside
    /// the transaction, after the ledger's lock, so two admins demoting each other at once
    /// cannot both pass.
    KeepsAnActiveAdmin {
        org_id: String,
        field: String,
        message: String,
    },
    /// A check, not a row: the command was decided on the case at version `decided_on`, and
    /// adds `events` of its events. Once they are projected, under the ledger's lock, the case
    /// must stand at `decided_on + events`; otherwise someone else's events came in between
    /// and the whole command is refused as a conflict (two people acting on the same step at
    /// once: exactly one is written).
    CaseDecidedOn {
        case_id: String,
        decided_on: i64,
        events: i64,
    },
    /// The consent version a case's consent names is still at the version the command was
    /// decided on (not retired meanwhile): checked under the ledger's lock, which the versions
    /// share with the case (both on the partnership's ledger).
    ConsentVersionAt { id: String, version: i64 },
    /// The journey steps open on a case once the command's events are folded (the journey
    /// engine's `available`, which the app computes with the map): the case's inbox rows
    /// (migration 0026) are replaced by these, in the command's transaction.
    CaseOpenSteps {
        case_id: String,
        steps: Vec<OpenStep>,
    },
    /// A job that must follow the command (e.g. the gate's review), written with its cause so
    /// neither exists without the other; nothing is added when the same work is queued
    /// already (`jobs::NewJob::dedupe_key`).
    Enqueue(crate::jobs::NewJob),
    /// A message for the outbox (migration 0030), left by the command that caused it.
    Outbox(crate::outbox::OutboxMessage),
    /// The secret a webhook endpoint's deliveries are signed with (never on the ledger).
    SetWebhookSecret { endpoint_id: String, secret: String },
    /// A webhook endpoint enabled again: its failures start over, what it missed is pending.
    ReopenWebhookEndpoint { endpoint_id: String },
}

/// A further event of the same command, built from the first one (e.g. the e-signature that
/// names the event it signs). Appended to the same ledger in the same transaction.
pub type FollowUp = Box<dyn FnOnce(&Appended) -> (String, serde_json::Value) + Send + Sync>;

pub struct Append {
    pub ledger_id: String,
    pub open: Option<NewLedger>,
    pub actor: String,
    pub kind: String,
    pub payload: serde_json::Value,
    /// The clock's reading; the event gets `max(now, last recorded_at)` so time never runs
    /// backwards within a ledger.
    pub now: i64,
    pub idempotency: Option<IdempotencyWrite>,
    pub operational: Vec<Operational>,
    /// More events of the same command, appended after this one.
    pub then: Vec<FollowUp>,
    /// The command's last event, made from the one appended just before it rather than the
    /// first (the e-signature of an event that follows others, e.g. an activation after the
    /// retirement it supersedes).
    pub closing: Option<FollowUp>,
}

impl Append {
    pub fn new(
        ledger_id: impl Into<String>,
        actor: impl Into<String>,
        kind: impl Into<String>,
        payload: serde_json::Value,
        now: i64,
    ) -> Append {
        Append {
            ledger_id: ledger_id.into(),
            open: None,
            actor: actor.into(),
            kind: kind.into(),
            payload,
            now,
            idempotency: None,
            operational: Vec::new(),
            then: Vec::new(),
            closing: None,
        }
    }
    pub fn then(mut self, follow_up: FollowUp) -> Append {
        self.then.push(follow_up);
        self
    }
    pub fn closing(mut self, follow_up: FollowUp) -> Append {
        self.closing = Some(follow_up);
        self
    }
    pub fn opening(mut self, kind: LedgerKind) -> Append {
        self.open = Some(NewLedger { kind });
        self
    }
    pub fn with_operational(mut self, op: Operational) -> Append {
        self.operational.push(op);
        self
    }
    pub fn with_idempotency(mut self, idem: Option<IdempotencyWrite>) -> Append {
        self.idempotency = idem;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appended {
    pub ledger_id: String,
    pub seq: i64,
    pub hash: String,
    pub recorded_at: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

#[derive(Debug)]
pub enum AppendOutcome {
    Appended {
        event: Appended,
        answer: Option<StoredAnswer>,
    },
    /// The same key and request were seen before: the first answer, nothing written.
    Replayed(StoredAnswer),
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        AppendError::Store(StoreError::from_write(e))
    }
}

impl Store {
    /// Append one event to its ledger and project it, in one transaction.
    pub async fn append(&self, append: Append) -> Result<AppendOutcome, AppendError> {
        let scope_key = append
            .idempotency
            .as_ref()
            .map(|i| (i.scope.clone(), i.key.clone(), i.request_hash.clone()));
        match self.append_tx(append).await {
            // Two requests with one key on different ledgers (or both opening one) can race
            // past the lookup; the primary key on `idempotency` stops the second, which then
            // answers like any repeat.
            Err(AppendError::Store(StoreError::Duplicate { constraint }))
                if scope_key.is_some() && is_idempotency_constraint(&constraint) =>
            {
                let (scope, key, request_hash) = scope_key.expect("checked above");
                match self.stored_answer(&scope, &key).await? {
                    Some((hash, answer)) if hash == request_hash => {
                        Ok(AppendOutcome::Replayed(answer))
                    }
                    Some(_) => Err(AppendError::IdempotencyKeyReused),
                    None => Err(StoreError::Duplicate { constraint }.into()),
                }
            }
            other => other,
        }
    }

    async fn append_tx(&self, append: Append) -> Result<AppendOutcome, AppendError> {
        let mut tx = self.writer.begin().await?;
        if let Some(open) = append.open {
            sqlx::query(
                "INSERT INTO ledger_heads (ledger_id, kind, seq, head_hash, last_recorded_at) VALUES ($1, $2, 0, $3, 0)",
            )
            .bind(&append.ledger_id)
            .bind(open.kind.as_str())
            .bind(GENESIS_PREV_HASH)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_write)?;
        }
        let head: Option<(i64, String, i64)> = sqlx::query_as(
            "UPDATE ledger_heads SET seq = seq + 1 WHERE ledger_id = $1 RETURNING seq, head_hash, last_recorded_at",
        )
        .bind(&append.ledger_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((seq, prev_hash, last_recorded_at)) = head else {
            return Err(StoreError::NoLedger(append.ledger_id).into());
        };

        if let Some(idem) = &append.idempotency
            && let Some((hash, answer)) =
                lookup_answer(&mut tx, &idem.scope, &idem.key, append.now).await?
        {
            tx.rollback().await?;
            return if hash == idem.request_hash {
                Ok(AppendOutcome::Replayed(answer))
            } else {
                Err(AppendError::IdempotencyKeyReused)
            };
        }

        let appended = seal_and_project(
            &mut tx,
            &append.ledger_id,
            (seq, prev_hash, append.now.max(last_recorded_at)),
            append.actor.clone(),
            append.kind,
            append.payload,
        )
        .await?;
        let mut last_appended: Option<Appended> = None;
        let mut last_kinds: Vec<String> = Vec::new();
        let closing = append.closing.map(|c| (c, true));
        for (follow_up, closing) in append.then.into_iter().map(|f| (f, false)).chain(closing) {
            let (kind, payload) = match (&last_appended, closing) {
                (Some(last), true) => follow_up(last),
                _ => follow_up(&appended),
            };
            let (seq, prev_hash, last): (i64, String, i64) = sqlx::query_as(
                "UPDATE ledger_heads SET seq = seq + 1 WHERE ledger_id = $1 RETURNING seq, head_hash, last_recorded_at",
            )
            .bind(&append.ledger_id)
            .fetch_one(&mut *tx)
            .await?;
            last_kinds.push(kind.clone());
            last_appended = Some(
                seal_and_project(
                    &mut tx,
                    &append.ledger_id,
                    (seq, prev_hash, append.now.max(last)),
                    append.actor.clone(),
                    kind,
                    payload,
                )
                .await?,
            );
        }
        // The records moved unless the command is about a patient's path alone (with the
        // signatures that sign it): the head's `records_seq` follows (migration 0038).
        let kinds =
            std::iter::once(appended.kind.as_str()).chain(last_kinds.iter().map(String::as_str));
        if cellpath_domain::events::moves_records(kinds) {
            sqlx::query("UPDATE ledger_heads SET records_seq = seq WHERE ledger_id = $1")
                .bind(&append.ledger_id)
                .execute(&mut *tx)
                .await?;
        }
        for op in &append.operational {
            apply_operational(&mut tx, op, append.now, appended.recorded_at).await?;
        }

        let answer = match append.idempotency {
            Some(idem) => {
                let answer = (idem.answer)(&appended);
                sqlx::query(
                    "INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&idem.scope)
                .bind(&idem.key)
                .bind(&idem.request_hash)
                .bind(i64::from(answer.status))
                .bind(&answer.body)
                .bind(append.now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
                Some(answer)
            }
            None => None,
        };
        tx.commit().await?;
        Ok(AppendOutcome::Appended {
            event: appended,
            answer,
        })
    }

    /// The stored answer for a key, if any, with the hash of the request it answered
    /// (whatever its age; callers compare hashes).
    pub async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<(String, StoredAnswer)>, StoreError> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT request_hash, status, response FROM idempotency WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|(h, s, b)| {
            (
                h,
                StoredAnswer {
                    status: s as u16,
                    body: b,
                },
            )
        }))
    }

    /// Forget idempotency records older than 24 hours.
    pub async fn purge_idempotency(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_TTL_MICROS)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

fn is_idempotency_constraint(constraint: &str) -> bool {
    constraint.contains("idempotency")
}

/// Seal one event onto the ledger's head (seq, previous hash, time), store its exact bytes,
/// move the head, and project it.
async fn seal_and_project(
    tx: &mut Transaction<'static, Any>,
    ledger_id: &str,
    (seq, prev_hash, recorded_at): (i64, String, i64),
    actor: String,
    kind: String,
    payload: serde_json::Value,
) -> Result<Appended, AppendError> {
    let event = Event {
        ledger_id: ledger_id.to_string(),
        seq,
        prev_hash,
        recorded_at,
        actor,
        kind,
        schema_version: 1,
        payload,
    };
    let sealed = event.seal().map_err(|e| StoreError::Seal(e.to_string()))?;
    let body = String::from_utf8(sealed.bytes).map_err(|e| StoreError::Seal(e.to_string()))?;
    sqlx::query("INSERT INTO events (ledger_id, seq, hash, kind, actor, recorded_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&event.ledger_id)
        .bind(seq)
        .bind(&sealed.hash)
        .bind(&event.kind)
        .bind(&event.actor)
        .bind(event.recorded_at)
        .bind(&body)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from_write)?;
    sqlx::query(
        "UPDATE ledger_heads SET head_hash = $2, last_recorded_at = $3 WHERE ledger_id = $1",
    )
    .bind(&event.ledger_id)
    .bind(&sealed.hash)
    .bind(event.recorded_at)
    .execute(&mut **tx)
    .await?;
    project(tx, &event, &sealed.hash).await?;
    Ok(Appended {
        ledger_id: event.ledger_id,
        seq,
        hash: sealed.hash,
        recorded_at: event.recorded_at,
        kind: event.kind,
        payload: event.payload,
    })
}

async fn lookup_answer(
    tx: &mut Transaction<'static, Any>,
    scope: &str,
    key: &str,
    now: i64,
) -> Result<Option<(String, StoredAnswer)>, StoreError> {
    let row: Option<(String, i64, String, i64)> = sqlx::query_as(
        "SELECT request_hash, status, response, created_at FROM idempotency WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some((_, _, _, created_at)) if created_at < now - IDEMPOTENCY_TTL_MICROS => {
            sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND key = $2")
                .bind(scope)
                .bind(key)
                .execute(&mut **tx)
                .await?;
            Ok(None)
        }
        Some((h, s, b, _)) => Ok(Some((
            h,
            StoredAnswer {
                status: s as u16,
                body: b,
            },
        ))),
        None => Ok(None),
    }
}

async fn apply_operational(
    tx: &mut Transaction<'static, Any>,
    op: &Operational,
    now: i64,
    recorded_at: i64,
) -> Result<(), StoreError> {
    match op {
        Operational::Enqueue(job) => {
            crate::jobs::insert(tx, job, now).await?;
        }
        Operational::Outbox(message) => {
            crate::outbox::insert_message(tx, message).await?;
        }
        Operational::SetWebhookSecret {
            endpoint_id,
            secret,
        } => {
            crate::outbox::set_secret(tx, endpoint_id, secret, now).await?;
        }
        Operational::ReopenWebhookEndpoint { endpoint_id } => {
            crate::outbox::reopen_endpoint(tx, endpoint_id, now).await?;
        }
        Operational::CaseDecidedOn {
            case_id,
            decided_on,
            events,
        } => {
            let (version,): (i64,) = sqlx::query_as("SELECT version FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_one(&mut **tx)
                .await?;
            if version != decided_on + events {
                return Err(StoreError::Conflict {
                    kind: "case",
                    id: case_id.clone(),
                    current: version - events,
                });
            }
        }
        // A step opens when the command's events were recorded (not the clock read before
        // the ledger's lock), so the index made again from the events is the same.
        Operational::CaseOpenSteps { case_id, steps } => {
            write_open_steps(tx, case_id, steps, recorded_at).await?;
        }
        Operational::ConsentVersionAt { id, version } => {
            let (current,): (i64,) =
                sqlx::query_as("SELECT version FROM consent_versions WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await?;
            if current != *version {
                return Err(StoreError::Conflict {
                    kind: "consent_version",
                    id: id.clone(),
                    current,
                });
            }
        }
        Operational::KeepsAnActiveAdmin {
            org_id,
            field,
            message,
        } => {
            let (admins,): (i64,) = sqlx::query_as(crate::directory::ACTIVE_ADMINS)
                .bind(org_id)
                .fetch_one(&mut **tx)
                .await?;
            if admins == 0 {
                return Err(StoreError::Refused {
                    field: field.clone(),
                    message: message.clone(),
                });
            }
        }
        Operational::SetPassword {
            user_id,
            password_hash,
        } => {
            let updated = sqlx::query("UPDATE credentials SET password_hash = $2, failed_attempts = 0, locked_until = 0, signing_failed_attempts = 0, signing_locked_until = 0 WHERE user_id = $1")
                .bind(user_id)
                .bind(password_hash)
                .execute(&mut **tx)
                .await?;
            if updated.rows_affected() == 0 {
                sqlx::query("INSERT INTO credentials (user_id, password_hash, failed_attempts, locked_until) VALUES ($1, $2, 0, 0)")
                    .bind(user_id)
                    .bind(password_hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::from_write)?;
            }
        }
    }
    Ok(())
}

/// A journey step open on a case, for one role that may act on it (the inbox's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStep {
    pub step: String,
    pub role: cellpath_domain::Role,
    pub name: String,
    /// Where in the process it sits (`None`: a step the map no longer names a stage for).
    pub stage: Option<cellpath_domain::process_map::Stage>,
    pub attempt: i64,
    /// The steps it still waits for, by name (empty: none — it is open).
    pub waiting: Vec<String>,
}

/// Replace a case's open steps with `steps`, each with when it opened (made again from the
/// case's events).
pub(crate) async fn write_open_steps_since(
    tx: &mut Transaction<'static, Any>,
    case_id: &str,
    steps: &[(OpenStep, i64)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM case_open_steps WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    for (s, since) in steps {
        insert_open_step(tx, case_id, s, *since).await?;
    }
    Ok(())
}

async fn insert_open_step(
    tx: &mut Transaction<'static, Any>,
    case_id: &str,
    s: &OpenStep,
    since: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO case_open_steps (case_id, step, role, partnership_id, site_id, program_id, pseudonym, name, stage, attempt, waiting, since) SELECT id, $2, $3, partnership_id, site_id, program_id, pseudonym, $4, $5, $6, $7, $8 FROM cases WHERE id = $1",
    )
    .bind(case_id)
    .bind(s.step.as_str())
    .bind(s.role.as_str())
    .bind(s.name.as_str())
    .bind(s.stage.map_or("", |st| st.as_str()))
    .bind(s.attempt)
    .bind(s.waiting.join(crate::decode::WAITING_SEPARATOR))
    .bind(since)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replace a case's open steps with `steps`, keeping when each one (step, role, attempt)
/// first opened; the case's row gives its partnership, site, program and pseudonym.
pub(crate) async fn write_open_steps(
    tx: &mut Transaction<'static, Any>,
    case_id: &str,
    steps: &[OpenStep],
    now: i64,
) -> Result<(), StoreError> {
    let before: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT step, role, attempt, since FROM case_open_steps WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM case_open_steps WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    for s in steps {
        let since = before
            .iter()
            .find(|(step, role, attempt, _)| {
                *step == s.step && role == s.role.as_str() && *attempt == s.attempt
            })
            .map_or(now, |b| b.3);
        insert_open_step(tx, case_id, s, since).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_domain_names_the_ledgers_signature_type() {
        assert_eq!(
            cellpath_domain::events::SIGNATURE_KIND,
            cellpath_ledger::signature::SIGNATURE_EVENT_TYPE
        );
    }
}
