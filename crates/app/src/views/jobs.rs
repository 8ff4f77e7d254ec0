//! The job queue as the operator reads it (`cellpath jobs`, `/metrics`): a job, its attempts
//! and the counts, made from the store's rows. Statuses and outcomes are the store's
//! vocabularies (enums, never text).

use cellpath_store as rows;
use serde::Serialize;

pub use cellpath_store::{AttemptOutcome, JobStatus};

/// A job as stored: what it is, when it is due, where it is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
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

impl From<rows::Job> for JobView {
    fn from(r: rows::Job) -> Self {
        JobView {
            id: r.id,
            kind: r.kind,
            dedupe_key: r.dedupe_key,
            payload: r.payload,
            due_at: r.due_at,
            status: r.status,
            attempts: r.attempts,
            lease_until: r.lease_until,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
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

impl From<rows::JobAttempt> for JobAttempt {
    fn from(r: rows::JobAttempt) -> Self {
        JobAttempt {
            job_id: r.job_id,
            attempt: r.attempt,
            started_at: r.started_at,
            finished_at: r.finished_at,
            outcome: r.outcome,
            error: r.error,
        }
    }
}

/// Jobs by status and attempts by outcome, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub jobs: Vec<(JobStatus, i64)>,
    pub attempts: Vec<(AttemptOutcome, i64)>,
}

impl From<rows::JobCounts> for JobCounts {
    fn from(r: rows::JobCounts) -> Self {
        JobCounts {
            jobs: r.jobs,
            attempts: r.attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::same_json;

    /// `cellpath jobs --json` prints the same bytes as when it printed the rows.
    #[test]
    fn job_views_serialize_as_their_rows() {
        same_json::<_, JobView>(&rows::Job {
            id: "j1".into(),
            kind: "review_gate".into(),
            dedupe_key: "review_gate:p1".into(),
            payload: serde_json::json!({ "partnership_id": "p1" }),
            due_at: 5,
            status: JobStatus::Failed,
            attempts: 2,
            lease_until: Some(9),
            last_error: Some("no".into()),
            created_at: 1,
            updated_at: 2,
        });
        same_json::<_, JobAttempt>(&rows::JobAttempt {
            job_id: "j1".into(),
            attempt: 1,
            started_at: 3,
            finished_at: None,
            outcome: AttemptOutcome::LeaseExpired,
            error: None,
        });
        same_json::<_, JobCounts>(&rows::JobCounts {
            jobs: vec![(JobStatus::Queued, 3)],
            attempts: vec![(AttemptOutcome::Done, 4)],
        });
    }
}
