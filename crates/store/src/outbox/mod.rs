//! The outbox (migration 0030): webhook endpoints (a record table) with their secrets and
//! failure counts (operational), the messages a command left for delivery, and every attempt
//! at delivering them. Messages are written in the command's transaction
//! (`Operational::Outbox`); the delivery job reads one, records its attempt here.

pub(crate) mod project;

use crate::decode::word;
use crate::{Store, StoreError};
use cellpath_domain::outbox::{DeliveryChannel, EndpointStatus, MessageStatus};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};

/// A webhook endpoint as recorded (its secret is read apart, by the signer only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// The notification kinds it receives; empty: all.
    pub kinds: Vec<String>,
    pub status: EndpointStatus,
    pub consecutive_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookEndpoint {
    /// Whether a notification of `kind` goes to this endpoint (whatever its status).
    pub fn wants(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

impl FromRow<'_, AnyRow> for WebhookEndpoint {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let kinds: String = r.try_get("kinds")?;
        Ok(WebhookEndpoint {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            url: r.try_get("url")?,
            kinds: serde_json::from_str(&kinds).map_err(|e| sqlx::Error::ColumnDecode {
                index: "kinds".into(),
                source: Box::new(e),
            })?,
            status: word(r, "status")?,
            consecutive_failures: r.try_get("consecutive_failures")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

const ENDPOINT: &str = "SELECT e.id, e.org_id, e.url, e.kinds, e.status, COALESCE(s.consecutive_failures, 0) AS consecutive_failures, e.created_at, e.updated_at FROM webhook_endpoints e LEFT JOIN webhook_endpoint_state s ON s.endpoint_id = e.id";

/// One message to one recipient on one channel, as a command leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// The stable event id every attempt carries.
    pub id: String,
    pub org_id: String,
    pub channel: DeliveryChannel,
    /// The endpoint's id (webhook) or the address (e-mail).
    pub target: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// The page it is about, a path under the site (`/partnerships/…`).
    pub link: String,
    /// The event that caused it (`ledger:seq`, or the record's id).
    pub source_event: String,
    pub status: MessageStatus,
    pub attempts: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for OutboxMessage {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(OutboxMessage {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            channel: word(r, "channel")?,
            target: r.try_get("target")?,
            kind: r.try_get("kind")?,
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
            link: r.try_get("link")?,
            source_event: r.try_get("source_event")?,
            status: word(r, "status")?,
            attempts: r.try_get("attempts")?,
            created_at: r.try_get("created_at")?,
            delivered_at: r.try_get("delivered_at")?,
        })
    }
}

/// One attempt at delivering a message, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub outbox_id: String,
    pub attempt: i64,
    pub org_id: String,
    pub target: String,
    pub at: i64,
    pub duration_ms: i64,
    /// The receiver's HTTP status (webhooks that got an answer).
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub ok: bool,
}

impl FromRow<'_, AnyRow> for DeliveryAttempt {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let ok: i64 = r.try_get("ok")?;
        Ok(DeliveryAttempt {
            outbox_id: r.try_get("outbox_id")?,
            attempt: r.try_get("attempt")?,
            org_id: r.try_get("org_id")?,
            target: r.try_get("target")?,
            at: r.try_get("at")?,
            duration_ms: r.try_get("duration_ms")?,
            status_code: r.try_get("status_code")?,
            error: r.try_get("error")?,
            ok: ok != 0,
        })
    }
}

/// What an attempt did to the endpoint's run of failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRecorded {
    /// Failures in a row after this attempt (0 after a success, and for e-mail).
    pub consecutive_failures: i64,
}

pub(crate) async fn insert_message(
    tx: &mut Transaction<'static, Any>,
    m: &OutboxMessage,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (id, org_id, channel, target, kind, subject, body, link, source_event, status, attempts, created_at, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)")
        .bind(&m.id)
        .bind(&m.org_id)
        .bind(m.channel.as_str())
        .bind(&m.target)
        .bind(&m.kind)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.link)
        .bind(&m.source_event)
        .bind(m.status.as_str())
        .bind(m.attempts)
        .bind(m.created_at)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from_write)?;
    Ok(())
}

pub(crate) async fn set_secret(
    tx: &mut Transaction<'static, Any>,
    endpoint_id: &str,
    secret: &str,
    now: i64,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE webhook_endpoint_state SET secret = $2, updated_at = $3 WHERE endpoint_id = $1",
    )
    .bind(endpoint_id)
    .bind(secret)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO webhook_endpoint_state (endpoint_id, secret, consecutive_failures, updated_at) VALUES ($1, $2, 0, $3)")
            .bind(endpoint_id)
            .bind(secret)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(())
}

/// An endpoint enabled again: its run of failures starts over and what it missed is pending.
pub(crate) async fn reopen_endpoint(
    tx: &mut Transaction<'static, Any>,
    endpoint_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE webhook_endpoint_state SET consecutive_failures = 0, updated_at = $2 WHERE endpoint_id = $1")
        .bind(endpoint_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE outbox SET status = 'pending' WHERE target = $1 AND channel = 'webhook' AND status = 'held'")
        .bind(endpoint_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// An organization's webhook endpoints, oldest first.
    pub async fn webhook_endpoints_of(
        &self,
        org_id: &str,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ENDPOINT} WHERE e.org_id = $1 ORDER BY e.created_at, e.id"
        )))
        .bind(org_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ENDPOINT} WHERE e.id = $1")))
                .bind(id)
                .fetch_optional(&self.writer)
                .await?,
        )
    }

    /// The secret an endpoint's deliveries are signed with.
    pub async fn webhook_secret(&self, endpoint_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT secret FROM webhook_endpoint_state WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .fetch_optional(&self.writer)
                .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn outbox_message(&self, id: &str) -> Result<Option<OutboxMessage>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.writer)
            .await?)
    }

    /// The messages held for an endpoint (to deliver once it is enabled again).
    pub async fn held_messages_of(
        &self,
        endpoint_id: &str,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM outbox WHERE target = $1 AND channel = 'webhook' AND status = 'held' ORDER BY created_at, id",
        )
        .bind(endpoint_id)
        .fetch_all(&self.writer)
        .await?)
    }

    /// An organization's messages, newest first, at most `limit`.
    pub async fn outbox_of(
        &self,
        org_id: &str,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM outbox WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The attempts at delivering to `target` (an endpoint's id or an address), newest first,
    /// at most `limit`.
    pub async fn delivery_attempts_to(
        &self,
        target: &str,
        limit: i64,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM delivery_attempts WHERE target = $1 ORDER BY at DESC, attempt DESC LIMIT $2",
        )
        .bind(target)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The attempts at delivering one message, first first.
    pub async fn delivery_attempts_of(
        &self,
        outbox_id: &str,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM delivery_attempts WHERE outbox_id = $1 ORDER BY attempt")
                .bind(outbox_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// Record an attempt at delivering `message` and move the message (delivered; or pending,
    /// held or failed as `status_after_failure` says) and, for a webhook, the endpoint's run of
    /// failures — in one transaction.
    pub async fn record_delivery_attempt(
        &self,
        message: &OutboxMessage,
        attempt: &DeliveryAttempt,
        status_after_failure: MessageStatus,
    ) -> Result<AttemptRecorded, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (number,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(attempt), 0) + 1 FROM delivery_attempts WHERE outbox_id = $1",
        )
        .bind(&message.id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO delivery_attempts (outbox_id, attempt, org_id, target, at, duration_ms, status_code, error, ok) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&message.id)
            .bind(number)
            .bind(&message.org_id)
            .bind(&message.target)
            .bind(attempt.at)
            .bind(attempt.duration_ms)
            .bind(attempt.status_code)
            .bind(attempt.error.as_deref())
            .bind(i64::from(attempt.ok))
            .execute(&mut *tx)
            .await?;
        if attempt.ok {
            sqlx::query("UPDATE outbox SET status = 'delivered', attempts = $2, delivered_at = $3 WHERE id = $1")
                .bind(&message.id)
                .bind(number)
                .bind(attempt.at)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE outbox SET status = $2, attempts = $3 WHERE id = $1")
                .bind(&message.id)
                .bind(status_after_failure.as_str())
                .bind(number)
                .execute(&mut *tx)
                .await?;
        }
        let mut consecutive_failures = 0;
        if message.channel == DeliveryChannel::Webhook {
            let change = if attempt.ok {
                "consecutive_failures = 0"
            } else {
                "consecutive_failures = consecutive_failures + 1"
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE webhook_endpoint_state SET {change}, updated_at = $2 WHERE endpoint_id = $1"
            )))
            .bind(&message.target)
            .bind(attempt.at)
            .execute(&mut *tx)
            .await?;
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT consecutive_failures FROM webhook_endpoint_state WHERE endpoint_id = $1",
            )
            .bind(&message.target)
            .fetch_optional(&mut *tx)
            .await?;
            consecutive_failures = row.map_or(0, |r| r.0);
        }
        tx.commit().await?;
        Ok(AttemptRecorded {
            consecutive_failures,
        })
    }

    /// Put a message aside (its endpoint is not taking deliveries now).
    pub async fn hold_message(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET status = 'held' WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
