//! Operational rows (DESIGN.md §3): credentials and lock-out counters, web sessions, the
//! throttled last-use stamp of API tokens. They are not part of the record and append no event.

use crate::auth::{Credentials, SessionRow};
use crate::{Store, StoreError};
use sqlx::AssertSqlSafe;

/// What a password was entered for: each has its own failure count and lock (migration 0008),
/// so wrong signing passwords never lock a person out of signing in, nor the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Signing in on the web.
    SignIn,
    /// Re-entering the password to sign (or to confirm a password change).
    Signing,
}

impl Attempt {
    /// The (count, lock) columns of `credentials` for this kind.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Attempt::SignIn => ("failed_attempts", "locked_until"),
            Attempt::Signing => ("signing_failed_attempts", "signing_locked_until"),
        }
    }
}

/// How often a token's `last_used_at` is written at most (one write a minute, not per request).
pub const TOKEN_STAMP_MICROS: i64 = 60 * 1_000_000;

/// How often a session's `last_seen_at` is written at most: reading a page writes nothing
/// most of the time.
pub const SESSION_STAMP_MICROS: i64 = 60 * 1_000_000;

impl Store {
    pub async fn credentials(&self, user_id: &str) -> Result<Option<Credentials>, StoreError> {
        let row: Option<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT user_id, password_hash, failed_attempts, locked_until, signing_failed_attempts, signing_locked_until FROM credentials WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|r| Credentials {
            user_id: r.0,
            password_hash: r.1,
            failed_attempts: r.2,
            locked_until: r.3,
            signing_failed_attempts: r.4,
            signing_locked_until: r.5,
        }))
    }

    /// Count one password attempt of `kind` unless that kind is locked; the count after it, or
    /// `None` when locked. Runs before the password is checked, so parallel attempts are all
    /// counted.
    pub async fn claim_attempt(
        &self,
        kind: Attempt,
        user_id: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let (count, lock) = kind.columns();
        let row: Option<(i64,)> = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE credentials SET {count} = {count} + 1 WHERE user_id = $1 AND {lock} <= $2 RETURNING {count}"
        )))
        .bind(user_id)
        .bind(now)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|(n,)| n))
    }

    /// Take back an attempt claimed but not checked (it waits for those in flight): the
    /// count goes down by one, never below zero (a success or a lock may have reset it).
    pub async fn unclaim_attempt(&self, kind: Attempt, user_id: &str) -> Result<(), StoreError> {
        let (count, _) = kind.columns();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE credentials SET {count} = {count} - 1 WHERE user_id = $1 AND {count} > 0"
        )))
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Lock attempts of `kind` until `until` and start counting again; returns the lock in
    /// force.
    pub async fn lock_attempts(
        &self,
        kind: Attempt,
        user_id: &str,
        until: i64,
    ) -> Result<i64, StoreError> {
        let (count, lock) = kind.columns();
        let row: (i64,) = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE credentials SET {count} = 0, {lock} = CASE WHEN {lock} > $2 THEN {lock} ELSE $2 END WHERE user_id = $1 RETURNING {lock}"
        )))
        .bind(user_id)
        .bind(until)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.0)
    }

    /// A right password of `kind`: its count starts again.
    pub async fn record_attempt_success(
        &self,
        kind: Attempt,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let (count, _) = kind.columns();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE credentials SET {count} = 0 WHERE user_id = $1"
        )))
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn create_session(&self, s: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(&self.writer)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let row: Option<(String, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(
            |(id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)| SessionRow {
                id_hash,
                user_id,
                csrf_token,
                created_at,
                last_seen_at,
                expires_at,
            },
        ))
    }

    /// Mark the session seen (at most once a minute, to spare the writer).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(now - SESSION_STAMP_MICROS)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// End every session of a user (password change, deactivation).
    pub async fn delete_sessions_of(&self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    pub async fn stamp_token_use(&self, token_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(token_id)
        .bind(now)
        .bind(now - TOKEN_STAMP_MICROS)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
