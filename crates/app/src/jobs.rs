//! Jobs and timers (DESIGN.md §3): what must follow a command is a `Job` enqueued in the
//! command's own transaction (`Write::enqueue`), never in-process code after the commit, so a
//! crash in between loses nothing. `run_due_jobs` claims due jobs with a lease and runs each;
//! a job's effect is an ordinary command on one ledger that re-reads the record and writes
//! only what changed (a racing run loses with a conflict or duplicate and is retried), so
//! running a job twice records its effect once.

use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_store::{Backoff, ClaimedJob, JobStatus, NewJob};
use serde::{Deserialize, Serialize};

/// How long a claim holds: a worker that vanishes (a crash, `kill -9`) gives its job to
/// another worker after this. A review takes milliseconds; a lease far longer than any run
/// keeps a slow run from being taken over while it is still working (and if it were, the
/// effect would still be recorded once).
pub const LEASE_MICROS: i64 = 60 * 1_000_000;

/// The work a job does. Stored as its kind (the variant, snake case) and its fields as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Bring a partnership's recorded authorizations up to date with its gate
    /// (`review_authorizations` as the system, on the day it runs). Enqueued by every command
    /// that may move the gate, and as a timer for the day an executed agreement lapses.
    ReviewGate { partnership_id: String },
    /// Record the expiry reminders due on `day` in every active partnership.
    SendExpiryReminders { day: Date },
    /// Enqueue a `ReviewGate` for every active partnership (the hourly catch-up: an agreement
    /// that lapsed overnight suspends what rested on it). A fan-out rather than one long run,
    /// so each partnership's review is its own job — retried, listed and counted on its own,
    /// one partnership's trouble never holding back another's, and merged with a review a
    /// command queued already.
    ReviewAllPartnerships { day: Date },
    /// Purge the uploads no record has named for `ORPHAN_UPLOAD_HOURS` (hourly).
    PurgeOrphanUploads { hour: String },
    /// Record the case's apheresis schedule step from a confirmed chain (enqueued with the
    /// confirmation or the offer's acceptance).
    RecordBookedChain { booking_id: String },
    /// Offer a program's free slots to its waitlist (enqueued with whatever frees slots: a
    /// cancellation, a declined or lapsed offer).
    OfferFreedSlots { program_id: String },
    /// An offer's deadline: lapse it if still unanswered at that version.
    ExpireOffer { booking_id: String, version: i64 },
    /// Deliver one outbox message (a webhook post or an e-mail), recording the attempt; a
    /// failed attempt is retried with the backoff (`outbox.rs`).
    Deliver { message_id: String },
    /// A release exception's escalation timer: tell `tier` (0-based) if, as the exception
    /// stands when it runs, nobody has acknowledged and that tier is due and not yet told.
    EscalateException { exception_id: String, tier: i64 },
    /// Make a case's invoice under its payment terms (enqueued with a case step that is a
    /// basis event: a product unit's shipment, the infusion).
    MakeInvoice { case_id: String },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::ReviewGate { .. } => "review_gate",
            Job::SendExpiryReminders { .. } => "send_expiry_reminders",
            Job::ReviewAllPartnerships { .. } => "review_all_partnerships",
            Job::PurgeOrphanUploads { .. } => "purge_orphan_uploads",
            Job::RecordBookedChain { .. } => "record_booked_chain",
            Job::OfferFreedSlots { .. } => "offer_freed_slots",
            Job::ExpireOffer { .. } => "expire_offer",
            Job::Deliver { .. } => "deliver",
            Job::EscalateException { .. } => "escalate_exception",
            Job::MakeInvoice { .. } => "make_invoice",
        }
    }

    /// The same work has the same key: one untried job per key is queued.
    fn dedupe_key(&self) -> String {
        match self {
            Job::ReviewGate { partnership_id } => format!("review_gate:{partnership_id}"),
            Job::SendExpiryReminders { day } => format!("send_expiry_reminders:{day}"),
            Job::ReviewAllPartnerships { day } => format!("review_all_partnerships:{day}"),
            Job::PurgeOrphanUploads { hour } => format!("purge_orphan_uploads:{hour}"),
            Job::RecordBookedChain { booking_id } => format!("record_booked_chain:{booking_id}"),
            Job::OfferFreedSlots { program_id } => format!("offer_freed_slots:{program_id}"),
            Job::ExpireOffer {
                booking_id,
                version,
            } => format!("expire_offer:{booking_id}:{version}"),
            Job::Deliver { message_id } => format!("deliver:{message_id}"),
            Job::EscalateException { exception_id, tier } => {
                format!("escalate_exception:{exception_id}:{tier}")
            }
            Job::MakeInvoice { case_id } => format!("make_invoice:{case_id}"),
        }
    }

    /// The job as a row to enqueue, due at `due_at`.
    pub(crate) fn due(&self, due_at: i64) -> NewJob {
        let mut payload = serde_json::to_value(self).expect("a job serializes");
        if let Some(obj) = payload.as_object_mut() {
            obj.remove("kind");
        }
        NewJob {
            id: crate::ids::new_id("job"),
            kind: self.kind().to_string(),
            dedupe_key: self.dedupe_key(),
            payload,
            due_at,
            once: false,
        }
    }

    /// A timer: this job, due at the first moment of `day` (UTC), keyed by that day so it
    /// neither merges with nor holds back the same work due now.
    pub(crate) fn on_day(&self, day: &Date) -> NewJob {
        let mut job = self.due(day.days_since_epoch() * 86_400 * 1_000_000);
        job.dedupe_key = format!("{}@{day}", job.dedupe_key);
        job
    }

    fn parse(kind: &str, payload: &serde_json::Value) -> Result<Job, String> {
        let mut tagged = payload.clone();
        let Some(obj) = tagged.as_object_mut() else {
            return Err(format!("the payload of a {kind} job is not an object"));
        };
        obj.insert("kind".into(), serde_json::Value::String(kind.to_string()));
        serde_json::from_value(tagged).map_err(|e| format!("cannot read a {kind} job: {e}"))
    }
}

/// What one `run_due_jobs` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobsRun {
    pub done: usize,
    /// Failed attempts (queued again for later, or failed for good).
    pub failed: usize,
}

/// A job as the operator sees it (`cellpath jobs`): the job and its attempts.
#[derive(Debug, Clone, Serialize)]
pub struct ListedJob {
    #[serde(flatten)]
    pub job: crate::views::JobView,
    pub attempts: Vec<crate::views::JobAttempt>,
}

/// The hourly tick's key: once per hour whichever server enqueues it.
fn hour_of(now: i64) -> String {
    let hour = now.div_euclid(3_600_000_000).rem_euclid(24);
    format!("{}T{hour:02}", Date::of_micros(now))
}

impl App {
    /// How failed jobs are retried (tests shorten it).
    pub fn backoff(&self) -> Backoff {
        self.jobs.backoff
    }

    /// The worker's wake-up: poked after every commit that enqueued a job. A hint only — the
    /// worker also looks at the clock, for timers and retries.
    pub fn jobs_enqueued(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.jobs.wake.clone()
    }

    /// The hourly tick (the server calls it every hour): enqueue the day's expiry reminders
    /// and the review of every active partnership, keyed by the hour so several servers
    /// enqueue them once. Only enqueues; the worker runs them.
    pub async fn enqueue_hourly(&self) -> Result<usize, AppError> {
        let now = self.now();
        let day = Date::of_micros(now);
        let hour = hour_of(now);
        let jobs: Vec<NewJob> = [
            Job::SendExpiryReminders { day: day.clone() },
            Job::ReviewAllPartnerships { day },
            Job::PurgeOrphanUploads { hour: hour.clone() },
        ]
        .iter()
        .map(|j| {
            let mut job = j.due(now);
            job.dedupe_key = format!("{}@{hour}", j.kind());
            job.once = true;
            job
        })
        .collect();
        let added = self.store.enqueue(&jobs, now).await?;
        if added > 0 {
            self.jobs.wake.notify_one();
        }
        Ok(added)
    }

    /// Run one job's effect. Each is an ordinary command (or several, one per ledger) that
    /// re-reads the record and records only what changed, so a second run — after a worker
    /// vanished mid-run, or racing another — records nothing more.
    pub async fn run_job(&self, job: &Job) -> Result<(), AppError> {
        match job {
            Job::ReviewGate { partnership_id } => {
                let system = Caller::system("authorization-review");
                let today = Date::of_micros(self.now());
                self.review_authorizations(&system, partnership_id, today)
                    .await?;
            }
            Job::SendExpiryReminders { day } => {
                self.send_expiry_reminders(day.clone()).await?;
            }
            Job::ReviewAllPartnerships { .. } => {
                let now = self.now();
                let reviews: Vec<NewJob> = self
                    .active_partnerships()
                    .await?
                    .into_iter()
                    .map(|p| Job::ReviewGate {
                        partnership_id: p.id,
                    })
                    .map(|j| j.due(now))
                    .collect();
                self.store.enqueue(&reviews, now).await?;
            }
            Job::PurgeOrphanUploads { .. } => {
                self.purge_orphan_uploads().await?;
            }
            Job::RecordBookedChain { booking_id } => {
                self.record_booked_chain(booking_id).await?;
            }
            Job::OfferFreedSlots { program_id } => {
                self.offer_freed_slots(program_id).await?;
            }
            Job::ExpireOffer {
                booking_id,
                version,
            } => self.expire_offer(booking_id, *version).await?,
            Job::Deliver { message_id } => self.deliver(message_id).await?,
            Job::EscalateException { exception_id, .. } => {
                self.escalate_release_exception(exception_id).await?;
            }
            Job::MakeInvoice { case_id } => self.make_invoice(case_id).await?,
        }
        Ok(())
    }

    /// Claim and run due jobs until none is due: what the server's worker does each time it
    /// wakes, and what tests call to let the reactions to their commands happen. A failed
    /// attempt is recorded and the job queued again after a growing delay (or failed for good
    /// after its last attempt, or at once when it cannot be read).
    pub async fn run_due_jobs(&self) -> Result<JobsRun, AppError> {
        let mut run = JobsRun::default();
        while let Some(done) = self.run_next_job().await? {
            if done {
                run.done += 1;
            } else {
                run.failed += 1;
            }
        }
        Ok(run)
    }

    /// Claim the job due soonest and run it: `None` when nothing is due, else whether it was
    /// done (false: the attempt failed and was recorded). The worker calls it job by job, so a
    /// shutdown waits for one job, not for the whole queue.
    pub async fn run_next_job(&self) -> Result<Option<bool>, AppError> {
        let Some(claimed) = self
            .store
            .claim_job(self.now(), LEASE_MICROS, self.jobs.backoff)
            .await?
        else {
            return Ok(None);
        };
        let outcome = match Job::parse(&claimed.kind, &claimed.payload) {
            Ok(job) => self.run_job(&job).await.map_err(|e| (e.to_string(), false)),
            Err(unreadable) => Err((unreadable, true)),
        };
        match outcome {
            Ok(()) => {
                self.store.complete_job(&claimed, self.now()).await?;
                Ok(Some(true))
            }
            Err((error, permanent)) => {
                let status = self.fail(&claimed, &error, permanent).await?;
                tracing::warn!(job = %claimed.id, kind = %claimed.kind, attempt = claimed.attempt, ?status, %error, "a job failed");
                Ok(Some(false))
            }
        }
    }

    /// Jobs by status and attempts by outcome (for `/metrics`).
    pub async fn job_counts(&self) -> Result<crate::views::JobCounts, AppError> {
        Ok(self.store.job_counts().await?.into())
    }

    /// Every job not done (queued, running, failed) and the `recent` last done, each with its
    /// attempts: what `cellpath jobs` shows the operator.
    pub async fn jobs_listed(&self, recent: i64) -> Result<Vec<ListedJob>, AppError> {
        let mut out = Vec::new();
        for job in self.store.jobs_listed(recent).await? {
            let attempts = self.store.job_attempts(&job.id).await?;
            out.push(ListedJob {
                job: job.into(),
                attempts: crate::views::all(attempts),
            });
        }
        Ok(out)
    }

    async fn fail(
        &self,
        claimed: &ClaimedJob,
        error: &str,
        permanent: bool,
    ) -> Result<Option<JobStatus>, AppError> {
        Ok(self
            .store
            .fail_job(claimed, error, permanent, self.jobs.backoff, self.now())
            .await?)
    }
}

/// The app's side of the jobs: the worker's wake-up and the retry policy.
#[derive(Clone, Default)]
pub(crate) struct Jobs {
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    pub backoff: Backoff,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_stored_as_its_kind_and_fields_and_read_back() {
        let job = Job::ReviewGate {
            partnership_id: "pship_1".into(),
        };
        let row = job.due(5);
        assert_eq!(row.kind, "review_gate");
        assert_eq!(row.dedupe_key, "review_gate:pship_1");
        assert_eq!(
            row.payload,
            serde_json::json!({ "partnership_id": "pship_1" })
        );
        assert_eq!(Job::parse(&row.kind, &row.payload), Ok(job));
        assert!(Job::parse("launch_rockets", &row.payload).is_err());
        let day = Date::parse("2030-01-02").unwrap();
        let timer = Job::SendExpiryReminders { day: day.clone() }.on_day(&day);
        assert_eq!(timer.due_at, day.days_since_epoch() * 86_400_000_000);
        assert_eq!(
            timer.dedupe_key,
            "send_expiry_reminders:2030-01-02@2030-01-02"
        );
    }

    #[test]
    fn the_hourly_key_names_the_day_and_hour() {
        let day = Date::parse("2030-01-02").unwrap().days_since_epoch() * 86_400_000_000;
        assert_eq!(hour_of(day + 13 * 3_600_000_000 + 5), "2030-01-02T13");
    }
}
