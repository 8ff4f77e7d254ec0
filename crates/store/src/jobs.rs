//! Durable jobs and timers (migration 0009, DESIGN.md §3): operational rows that say what must
//! follow a command. A job is enqueued by the command's own transaction
//! (`Operational::Enqueue`, so it exists exactly when its cause does) or on its own (the
//! hourly ticks); a worker claims a due job with a lease, runs it, and completes it or fails
//! it with a growing delay; every claim is an attempt with its own row. What a job does is the
//! app's business: here it is a kind, a key and a JSON payload.

use crate::{Dialect, Store, StoreError};
use serde::Serialize;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its `due_at` (new, or waiting out the delay before a retry).
    Queued,
    /// Claimed by a worker until `lease_until`.
    Running,
    Done,
    /// Gave up after its last attempt, or could never run (an unknown kind or payload).
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<JobStatus, StoreError> {
        JobStatus::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| StoreError::Invalid(format!("unknown job status {s:?}")))
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Running,
    Done,
    Failed,
    /// Its worker vanished (a crash, `kill -9`) and the job was claimed again.
    LeaseExpired,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 4] = [
        AttemptOutcome::Running,
        AttemptOutcome::Done,
        AttemptOutcome::Failed,
        AttemptOutcome::LeaseExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Running => "running",
            AttemptOutcome::Done => "done",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::LeaseExpired => "lease_expired",
        }
    }

    fn parse(s: &str) -> Result<AttemptOutcome, StoreError> {
        AttemptOutcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| StoreError::Invalid(format!("unknown attempt outcome {s:?}")))
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub id: String,
    pub kind: String,
    /// The same work has the same key: while an untried job with this key waits, another is
    /// not enqueued.
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    /// When it may run: now, or later for a timer.
    pub due_at: i64,
    /// Never enqueue this key again while any job with it is kept, whatever its status (the
    /// hourly tick, keyed by its hour, so several servers enqueue it once).
    pub once: bool,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub due_at: i64,
    pub status: JobStatus,
    pub attempts: i64,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One attempt at a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobAttempt {
    pub job_id: String,
    pub attempt: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
}

/// A job a worker holds: run it, then `complete` or `fail` it with this attempt number before
/// `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub attempt: i64,
    pub lease_until: i64,
}

/// Jobs and attempts by status and outcome, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub jobs: Vec<(JobStatus, i64)>,
    pub attempts: Vec<(AttemptOutcome, i64)>,
}

/// How failures are retried: after attempt n, wait `first_delay · 2^(n−1)`, at most
/// `max_delay`; after `max_attempts` attempts the job has failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first_delay_micros: i64,
    pub max_delay_micros: i64,
    pub max_attempts: i64,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first_delay_micros: 2_000_000,
            max_delay_micros: 3_600 * 1_000_000,
            max_attempts: 10,
        }
    }
}

impl Backoff {
    /// The wait before the attempt after attempt `attempt` (1 for the first).
    pub fn delay_after(&self, attempt: i64) -> i64 {
        let doublings = (attempt - 1).clamp(0, 40) as u32;
        self.first_delay_micros
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_micros)
    }
}

/// Done jobs (and their attempts) are kept this long, for `cellpath jobs` and the dedupe of
/// once-only keys.
pub const DONE_JOBS_TTL_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

const JOB_COLUMNS: &str = "id, kind, dedupe_key, payload, due_at, status, attempts, lease_until, last_error, created_at, updated_at";

type JobTuple = (
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

type AttemptTuple = (String, i64, i64, Option<i64>, String, Option<String>);

fn job_of(r: JobTuple) -> Result<Job, StoreError> {
    Ok(Job {
        payload: serde_json::from_str(&r.3)
            .map_err(|e| StoreError::Invalid(format!("job {}: payload: {e}", r.0)))?,
        status: JobStatus::parse(&r.5)?,
        id: r.0,
        kind: r.1,
        dedupe_key: r.2,
        due_at: r.4,
        attempts: r.6,
        lease_until: r.7,
        last_error: r.8,
        created_at: r.9,
        updated_at: r.10,
    })
}

/// Insert a job unless its key says it is there already; whether it was inserted. Used inside
/// a command's transaction (`Operational::Enqueue`) and by `Store::enqueue`.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Any>,
    job: &NewJob,
    now: i64,
) -> Result<bool, StoreError> {
    // The partial unique index decides between two enqueuers racing; NOT EXISTS answers the
    // common case and the once-only keys (which the index alone cannot, once a job ran).
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, dedupe_key, payload, due_at, status, attempts, lease_until, last_error, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, 'queued', 0, NULL, NULL, $6, $6 \
         WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE dedupe_key = $3 AND ((status = 'queued' AND attempts = 0) OR $7 = 1)) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&job.id)
    .bind(&job.kind)
    .bind(&job.dedupe_key)
    .bind(job.payload.to_string())
    .bind(job.due_at)
    .bind(now)
    .bind(i64::from(job.once))
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_write)?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// Enqueue jobs on their own (not caused by an event: a tick of the clock, or a job that
    /// fans out into others), in one transaction; how many were new.
    pub async fn enqueue(&self, jobs: &[NewJob], now: i64) -> Result<usize, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut added = 0;
        for job in jobs {
            if insert(&mut tx, job, now).await? {
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Claim the job due soonest, for `lease_micros`: a queued job whose time has come, or a
    /// running one whose worker let its lease run out (that attempt is marked
    /// `lease_expired`). Exactly one claimer gets a job: on PostgreSQL the row is locked with
    /// `FOR UPDATE SKIP LOCKED` (a second claimer takes the next one), on SQLite the one
    /// writer runs claims one after another; both re-check the row's state in the UPDATE.
    /// A job whose lease ran out on its last allowed attempt fails instead of running again.
    pub async fn claim_job(
        &self,
        now: i64,
        lease_micros: i64,
        backoff: Backoff,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let mut tx = self.job_tx().await?;
        // A job that keeps taking its worker down is not claimed for ever.
        let worn: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE jobs SET status = 'failed', lease_until = NULL, last_error = 'its worker stopped during every attempt (the lease ran out)', updated_at = $1 \
             WHERE status = 'running' AND lease_until <= $1 AND attempts >= $2 RETURNING id, attempts",
        )
        .bind(now)
        .bind(backoff.max_attempts)
        .fetch_all(&mut *tx)
        .await?;
        for (id, attempt) in &worn {
            finish_attempt(
                &mut tx,
                id,
                *attempt,
                AttemptOutcome::LeaseExpired,
                None,
                now,
            )
            .await?;
        }
        let due =
            "((status = 'queued' AND due_at <= $1) OR (status = 'running' AND lease_until <= $1))";
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let claimed: Option<(String, String, String, String, i64, Option<i64>)> =
            sqlx::query_as(AssertSqlSafe(format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1 \
                 WHERE id = (SELECT id FROM jobs WHERE {due} ORDER BY due_at, id LIMIT 1{lock}) AND {due} \
                 RETURNING id, kind, dedupe_key, payload, attempts, lease_until"
            )))
            .bind(now)
            .bind(now + lease_micros)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id, kind, dedupe_key, payload, attempt, _)) = claimed else {
            tx.commit().await?;
            return Ok(None);
        };
        // The attempt before this one, if its worker never finished it (a first attempt has
        // none: one statement less on the common path).
        if attempt > 1 {
            finish_attempt(
                &mut tx,
                &id,
                attempt - 1,
                AttemptOutcome::LeaseExpired,
                None,
                now,
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, error) VALUES ($1, $2, $3, NULL, 'running', NULL)",
        )
        .bind(&id)
        .bind(attempt)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        tx.commit().await?;
        let payload = serde_json::from_str(&payload)
            .map_err(|e| StoreError::Invalid(format!("job {id}: payload: {e}")))?;
        Ok(Some(ClaimedJob {
            id,
            kind,
            dedupe_key,
            payload,
            attempt,
            lease_until: now + lease_micros,
        }))
    }

    /// The job ran: done. False when this claim was no longer the job's (its lease ran out
    /// and another worker claimed it again, which marked this attempt `lease_expired`).
    pub async fn complete_job(&self, job: &ClaimedJob, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.job_tx().await?;
        let ours = sqlx::query(
            "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, updated_at = $3 WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(&job.id)
        .bind(job.attempt)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        finish_attempt(
            &mut tx,
            &job.id,
            job.attempt,
            AttemptOutcome::Done,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ours)
    }

    /// The attempt failed with `error`: the job waits `backoff.delay_after(attempt)` and is
    /// queued again, or fails for good after its last attempt (or at once when `permanent`:
    /// trying again cannot help). Returns the job's status after it, `None` when this claim
    /// was no longer the job's.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        permanent: bool,
        backoff: Backoff,
        now: i64,
    ) -> Result<Option<JobStatus>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let give_up = permanent || job.attempt >= backoff.max_attempts;
        let (status, due_at) = if give_up {
            (JobStatus::Failed, now)
        } else {
            (JobStatus::Queued, now + backoff.delay_after(job.attempt))
        };
        let ours = sqlx::query(
            "UPDATE jobs SET status = $3, due_at = CASE WHEN $3 = 'queued' THEN $4 ELSE due_at END, lease_until = NULL, last_error = $5, updated_at = $6 WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(&job.id)
        .bind(job.attempt)
        .bind(status.as_str())
        .bind(due_at)
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        finish_attempt(
            &mut tx,
            &job.id,
            job.attempt,
            AttemptOutcome::Failed,
            Some(error),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ours.then_some(status))
    }

    /// One job, if it exists.
    pub async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let row: Option<JobTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(job_of).transpose()
    }

    /// What `cellpath jobs` shows: every job not done (queued, running, failed), due soonest
    /// first, then the `recent` done ones, newest first.
    pub async fn jobs_listed(&self, recent: i64) -> Result<Vec<Job>, StoreError> {
        let open: Vec<JobTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE status <> 'done' ORDER BY due_at, id"
        )))
        .fetch_all(&self.reader)
        .await?;
        let done: Vec<JobTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'done' ORDER BY updated_at DESC, id LIMIT $1"
        )))
        .bind(recent.max(0))
        .fetch_all(&self.reader)
        .await?;
        open.into_iter().chain(done).map(job_of).collect()
    }

    /// Jobs of a kind with this key, oldest first (tests and `cellpath jobs`).
    pub async fn jobs_with_key(&self, dedupe_key: &str) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE dedupe_key = $1 ORDER BY created_at, id"
        )))
        .bind(dedupe_key)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(job_of).collect()
    }

    /// A job's attempts, first first.
    pub async fn job_attempts(&self, job_id: &str) -> Result<Vec<JobAttempt>, StoreError> {
        let rows: Vec<AttemptTuple> = sqlx::query_as(
            "SELECT job_id, attempt, started_at, finished_at, outcome, error FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
        )
        .bind(job_id)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(JobAttempt {
                    outcome: AttemptOutcome::parse(&r.4)?,
                    job_id: r.0,
                    attempt: r.1,
                    started_at: r.2,
                    finished_at: r.3,
                    error: r.5,
                })
            })
            .collect()
    }

    /// Jobs by status and attempts by outcome (every status and outcome, zeros included).
    pub async fn job_counts(&self) -> Result<JobCounts, StoreError> {
        let jobs: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
                .fetch_all(&self.reader)
                .await?;
        let attempts: Vec<(String, i64)> =
            sqlx::query_as("SELECT outcome, COUNT(*) FROM job_attempts GROUP BY outcome")
                .fetch_all(&self.reader)
                .await?;
        let count = |rows: &[(String, i64)], key: &str| {
            rows.iter()
                .find(|(k, _)| k == key)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        Ok(JobCounts {
            jobs: JobStatus::ALL
                .into_iter()
                .map(|s| (s, count(&jobs, s.as_str())))
                .collect(),
            attempts: AttemptOutcome::ALL
                .into_iter()
                .map(|o| (o, count(&attempts, o.as_str())))
                .collect(),
        })
    }

    /// The earliest `due_at` of a queued job, if any (how long a worker may sleep).
    pub async fn next_job_due(&self) -> Result<Option<i64>, StoreError> {
        let (due,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(due_at) FROM jobs WHERE status = 'queued'")
                .fetch_one(&self.reader)
                .await?;
        Ok(due)
    }

    /// Forget jobs done more than a week ago, with their attempts. Failed jobs stay until an
    /// operator has seen them.
    pub async fn purge_done_jobs(&self, now: i64) -> Result<u64, StoreError> {
        let before = now - DONE_JOBS_TTL_MICROS;
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE status = 'done' AND updated_at < $1)",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// Close an attempt still marked running (a later outcome never overwrites an earlier one).
async fn finish_attempt(
    tx: &mut Transaction<'static, Any>,
    job_id: &str,
    attempt: i64,
    outcome: AttemptOutcome,
    error: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE job_attempts SET outcome = $3, finished_at = $4, error = $5 WHERE job_id = $1 AND attempt = $2 AND outcome = 'running'",
    )
    .bind(job_id)
    .bind(attempt)
    .bind(outcome.as_str())
    .bind(now)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// A transaction that claims or completes a job. On PostgreSQL its commit does not wait
    /// for the disk (`synchronous_commit` off for it alone): a claim or completion lost to a
    /// crash of the database server itself (not of cellpath) only lets the job run again —
    /// its lease runs out and its effect is a command that re-checks state, recorded once
    /// (see "Jobs and timers" in ARCHITECTURE.md) — and each wait was a disk flush, the
    /// larger part of a job's time. What a command enqueues is written in the command's own,
    /// durable transaction.
    async fn job_tx(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.writer.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}
