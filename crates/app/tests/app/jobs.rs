//! Durable jobs: a command that moves the gate enqueues the gate's review in its own
//! transaction; the review is recorded when the job runs, once however often it runs; a
//! failing job is retried with growing delays and its attempts are kept; the hourly tick and
//! an agreement's expiry are jobs too.

use crate::support::{AgreementKind, PartnershipStatus};
use cellpath_app::access::Via;
use cellpath_app::{App, AppError, Caller, Job, ManualClock};
use cellpath_store::testing::TestDb;
use cellpath_store::{AttemptOutcome, Backoff, JobStatus, NewJob, Page};
use std::sync::Arc;

const START: i64 = 1_764_000_000_000_000; // 2025-11-24
const SECOND: i64 = 1_000_000;

struct Demo {
    app: App,
    clock: ManualClock,
    contracts: Caller,
    partnership: String,
    main: String,
}

async fn demo(db: &TestDb) -> Demo {
    let clock = ManualClock::starting_at(START);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.expect("seed the demo");
    let user = app
        .store()
        .user_by_email("contracts@helixa.example")
        .await
        .unwrap()
        .unwrap();
    let contracts = app.caller_for_user(&user.id, Via::Session).await.unwrap();
    let org = |name: &'static str| {
        let app = app.clone();
        async move {
            app.store()
                .organization_by_name(name)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (helixa, lakeshore) = (
        org("Helixa Therapeutics").await,
        org("Lakeshore University Health").await,
    );
    let partnership = app
        .store()
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id;
    let main = app
        .store()
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap()
        .id;
    Demo {
        app,
        clock,
        contracts,
        partnership,
        main,
    }
}

impl Demo {
    /// LUH-MAIN's recorded verdict (for Vantacel, the demo's one program there) and its
    /// missing items.
    async fn recorded(&self) -> (String, serde_json::Value) {
        let r = self
            .app
            .store()
            .site_authorizations_of(&self.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.site_id == self.main)
            .expect("the demo authorized LUH-MAIN");
        (r.status.as_str().to_string(), r.missing)
    }

    /// `site_authorization.*` events on the partnership's ledger.
    async fn verdict_events(&self) -> usize {
        self.app
            .store()
            .events(&self.partnership, 0, 100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind.starts_with("site_authorization."))
            .count()
    }

    async fn msa(&self) -> cellpath_app::views::Agreement {
        self.app
            .agreements(&self.contracts, &self.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap()
    }

    async fn withdraw_msa(&self) {
        let msa = self.msa().await;
        self.app
            .move_agreement(&self.contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
    }

    fn review_key(&self) -> String {
        format!("review_gate:{}", self.partnership)
    }
}

#[tokio::test]
async fn a_withdrawn_msa_suspends_the_site_when_the_enqueued_review_runs_and_only_then() {
    for db in TestDb::all().await {
        let d = demo(&db).await;
        assert_eq!(d.recorded().await.0, "authorized", "{}", db.label);
        let before = d.verdict_events().await;
        d.withdraw_msa().await;

        // Committed with the withdrawal: its review, queued. Nothing recorded yet.
        let queued: Vec<_> = d
            .app
            .store()
            .jobs_with_key(&d.review_key())
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.status == JobStatus::Queued)
            .collect();
        assert_eq!(queued.len(), 1, "{}: {queued:?}", db.label);
        assert_eq!(d.recorded().await.0, "authorized", "{}", db.label);
        assert_eq!(d.verdict_events().await, before);

        let run = d.app.run_due_jobs().await.unwrap();
        assert_eq!((run.done, run.failed), (1, 0), "{}", db.label);
        let (status, missing) = d.recorded().await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(
            missing,
            serde_json::json!(["Master service agreement: withdrawn"])
        );
        assert_eq!(d.verdict_events().await, before + 1, "{}", db.label);
        let job = d.app.store().job(&queued[0].id).await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Done, 1));
        let events = d
            .app
            .store()
            .events(&d.partnership, 0, 100_000)
            .await
            .unwrap();
        let suspension = events
            .iter()
            .rfind(|e| e.kind == "site_authorization.updated")
            .unwrap();
        assert_eq!(suspension.actor, "system:authorization-review");

        // Nothing is due any more, and nothing more is recorded.
        assert_eq!(d.app.run_due_jobs().await.unwrap().done, 0);
        assert_eq!(d.verdict_events().await, before + 1, "{}", db.label);
    }
}

#[tokio::test]
async fn the_same_review_run_twice_even_at_once_records_one_suspension() {
    for db in TestDb::all().await {
        let d = demo(&db).await;
        let before = d.verdict_events().await;
        d.withdraw_msa().await;
        let review = Job::ReviewGate {
            partnership_id: d.partnership.clone(),
        };
        // Two workers with the same job (a lease that ran out while the first still worked):
        // one records the suspension; the other finds it recorded, or loses the race on the
        // ledger and is refused — never a second suspension.
        let (a, b) = tokio::join!(d.app.run_job(&review), d.app.run_job(&review));
        for result in [a, b] {
            match result {
                Ok(()) | Err(AppError::Conflict { .. } | AppError::Duplicate { .. }) => {}
                Err(e) => panic!("{}: {e:?}", db.label),
            }
        }
        d.app.run_job(&review).await.unwrap();
        // The queued job (the withdrawal's own) runs as well, and changes nothing.
        assert_eq!(d.app.run_due_jobs().await.unwrap().done, 1);
        assert_eq!(d.recorded().await.0, "suspended", "{}", db.label);
        assert_eq!(d.verdict_events().await, before + 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_with_growing_delays_and_its_attempts_are_kept() {
    for db in TestDb::all().await {
        let d = demo(&db).await;
        let app = d.app.clone().with_backoff(Backoff {
            first_delay_micros: 2 * SECOND,
            max_delay_micros: 60 * SECOND,
            max_attempts: 4,
        });
        // A review of a partnership that is not there fails on every attempt.
        let job = NewJob {
            id: "job_lost".into(),
            kind: "review_gate".into(),
            dedupe_key: "review_gate:pship_lost".into(),
            payload: serde_json::json!({ "partnership_id": "pship_lost" }),
            due_at: app.now(),
            once: false,
        };
        app.store().enqueue(&[job], app.now()).await.unwrap();
        let mut delays = Vec::new();
        for attempt in 1..=4 {
            let run = app.run_due_jobs().await.unwrap();
            assert_eq!(
                (run.done, run.failed),
                (0, 1),
                "{} attempt {attempt}",
                db.label
            );
            // Not again before its delay is up.
            assert_eq!(app.run_due_jobs().await.unwrap().failed, 0);
            let job = app.store().job("job_lost").await.unwrap().unwrap();
            if attempt < 4 {
                assert_eq!(job.status, JobStatus::Queued);
                let delay = job.due_at - app.now();
                delays.push((delay + SECOND / 2) / SECOND);
                d.clock.advance_secs((delay + SECOND - 1) / SECOND);
            } else {
                assert_eq!(job.status, JobStatus::Failed, "{}", db.label);
            }
        }
        assert_eq!(delays, vec![2, 4, 8], "{}", db.label);
        // `cellpath jobs` shows it failed with every attempt and its error.
        let listed = app.jobs_listed(0).await.unwrap();
        let lost = listed.iter().find(|l| l.job.id == "job_lost").unwrap();
        assert_eq!(lost.job.attempts, 4);
        assert_eq!(lost.attempts.len(), 4);
        assert!(
            lost.attempts
                .iter()
                .all(|a| a.outcome == AttemptOutcome::Failed
                    && a.error.as_deref().is_some_and(|e| e.contains("pship_lost"))),
            "{}: {:?}",
            db.label,
            lost.attempts
        );
        let counts = app.job_counts().await.unwrap();
        assert!(counts.jobs.contains(&(JobStatus::Failed, 1)), "{counts:?}");
    }
}

#[tokio::test]
async fn an_executed_agreement_s_expiry_is_a_timer_that_suspends_the_site_that_day() {
    for db in TestDb::all().await {
        let d = demo(&db).await;
        let msa = d.msa().await;
        // Today is 2025-11-24: the MSA now lapses on the 26th.
        d.app
            .set_agreement_dates(
                &d.contracts,
                &msa.id,
                msa.version,
                msa.effective_on.as_ref().expect("executed").as_str(),
                "2025-11-26",
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        d.app.run_due_jobs().await.unwrap();
        assert_eq!(d.recorded().await.0, "authorized", "{}", db.label);
        let timer = d
            .app
            .store()
            .jobs_with_key(&format!("{}@2025-11-26", d.review_key()))
            .await
            .unwrap();
        assert_eq!(timer.len(), 1, "{}: {timer:?}", db.label);
        assert_eq!(timer[0].status, JobStatus::Queued);
        d.clock.advance_secs(86_400);
        assert_eq!(d.app.run_due_jobs().await.unwrap().done, 0, "not yet due");
        d.clock.advance_secs(86_400);
        assert_eq!(d.app.run_due_jobs().await.unwrap().done, 1, "{}", db.label);
        let (status, missing) = d.recorded().await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(
            missing,
            serde_json::json!(["Master service agreement: expired on 2025-11-26"])
        );
    }
}

#[tokio::test]
async fn the_hourly_tick_is_enqueued_once_an_hour_and_reviews_every_active_partnership() {
    for db in TestDb::all().await {
        let d = demo(&db).await;
        let mut active = std::collections::BTreeSet::new();
        for org in d.app.store().organizations(Page::all()).await.unwrap() {
            for p in d
                .app
                .store()
                .partnerships_of(&org.id, Page::all())
                .await
                .unwrap()
            {
                if p.status == PartnershipStatus::Active {
                    active.insert(p.id);
                }
            }
        }
        assert!(active.len() >= 2, "{}: {active:?}", db.label);
        let ticked_at = d.app.now();
        // The reminders, the reviews' fan-out and the orphan-upload purge.
        assert_eq!(d.app.enqueue_hourly().await.unwrap(), 3, "{}", db.label);
        // A second server in the same hour adds nothing, even once the first ran its jobs.
        assert_eq!(d.app.enqueue_hourly().await.unwrap(), 0);
        let run = d.app.run_due_jobs().await.unwrap();
        assert_eq!(d.app.enqueue_hourly().await.unwrap(), 0);
        let reviewed: std::collections::BTreeSet<String> = d
            .app
            .store()
            .jobs_listed(1_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == "review_gate" && j.created_at >= ticked_at)
            .map(|j| {
                assert_eq!(j.status, JobStatus::Done);
                j.payload["partnership_id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            reviewed, active,
            "{}: one review per active partnership",
            db.label
        );
        assert_eq!(run.done, 3 + active.len(), "{}", db.label);
        assert_eq!(run.failed, 0);
        // The next hour is another tick.
        d.clock.advance_secs(3_600);
        assert_eq!(d.app.enqueue_hourly().await.unwrap(), 3, "{}", db.label);
    }
}
