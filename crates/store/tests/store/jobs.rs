//! Durable jobs: written with their cause or not at all, one untried job per key, one claimer
//! per job, a vanished worker's lease taken over, failures retried with growing delays and
//! every attempt on record.

use super::{org_created, site_created};
use cellpath_store::testing::TestDb;
use cellpath_store::{
    AppendError, AttemptOutcome, Backoff, JobStatus, NewJob, Operational, Store, StoreError,
};
use serde_json::json;

const SECOND: i64 = 1_000_000;
const LEASE: i64 = 30 * SECOND;

fn review(id: &str, partnership: &str, due_at: i64) -> NewJob {
    NewJob {
        id: id.into(),
        kind: "review_gate".into(),
        dedupe_key: format!("review_gate:{partnership}"),
        payload: json!({ "partnership_id": partnership }),
        due_at,
        once: false,
    }
}

async fn ids_with_key(store: &Store, key: &str) -> Vec<(String, JobStatus)> {
    store
        .jobs_with_key(key)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.id, j.status))
        .collect()
}

#[tokio::test]
async fn a_job_enqueued_by_a_command_is_rolled_back_with_it() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        // The command is refused after its job was written (Lakeshore has no admin yet): the
        // job goes with it.
        let refused = site_created("org_a", "site_1", "MAIN", 2)
            .with_operational(Operational::Enqueue(review("job_1", "p1", 2)))
            .with_operational(Operational::KeepsAnActiveAdmin {
                org_id: "org_a".into(),
                field: "role".into(),
                message: "no admin".into(),
            });
        let err = store.append(refused).await.unwrap_err();
        assert!(
            matches!(err, AppendError::Store(StoreError::Refused { .. })),
            "{}: {err:?}",
            db.label
        );
        assert_eq!(store.job("job_1").await.unwrap(), None, "{}", db.label);
        assert_eq!(
            store
                .claim_job(10, LEASE, Backoff::default())
                .await
                .unwrap(),
            None
        );

        // Committed with its cause, it is there, due when it said.
        store
            .append(
                site_created("org_a", "site_1", "MAIN", 3)
                    .with_operational(Operational::Enqueue(review("job_2", "p1", 3))),
            )
            .await
            .unwrap();
        let job = store.job("job_2").await.unwrap().expect("enqueued");
        assert_eq!(
            (job.status, job.attempts, job.due_at),
            (JobStatus::Queued, 0, 3)
        );
        assert_eq!(job.payload, json!({ "partnership_id": "p1" }));
    }
}

#[tokio::test]
async fn the_same_work_is_queued_once_until_it_is_tried() {
    for db in TestDb::all().await {
        let store = db.store().await;
        assert_eq!(store.enqueue(&[review("a", "p1", 1)], 1).await.unwrap(), 1);
        // A second cause while the first job waits adds nothing; another partnership does.
        assert_eq!(store.enqueue(&[review("b", "p1", 2)], 2).await.unwrap(), 0);
        assert_eq!(store.enqueue(&[review("c", "p2", 2)], 2).await.unwrap(), 1);
        assert_eq!(
            ids_with_key(&store, "review_gate:p1").await,
            vec![("a".to_string(), JobStatus::Queued)],
            "{}",
            db.label
        );
        // Once the job runs, a new cause needs a new review: it may have read the old state.
        let claimed = store
            .claim_job(3, LEASE, Backoff::default())
            .await
            .unwrap()
            .expect("due");
        assert_eq!(claimed.id, "a");
        assert_eq!(store.enqueue(&[review("d", "p1", 4)], 4).await.unwrap(), 1);
        // A job waiting out its backoff does not hold back a new cause either.
        store
            .fail_job(&claimed, "boom", false, Backoff::default(), 5)
            .await
            .unwrap();
        assert_eq!(store.enqueue(&[review("e", "p1", 6)], 6).await.unwrap(), 0);
        assert_eq!(
            ids_with_key(&store, "review_gate:p1").await,
            vec![
                ("a".to_string(), JobStatus::Queued),
                ("d".to_string(), JobStatus::Queued)
            ],
            "{}",
            db.label
        );

        // A once-only key (the hourly tick) is never enqueued again while a job with it is
        // kept, done or not.
        let tick = |id: &str| NewJob {
            id: id.into(),
            kind: "expiry_check".into(),
            dedupe_key: "expiry_check:2030-01-01T10".into(),
            payload: json!({ "day": "2030-01-01" }),
            due_at: 10,
            once: true,
        };
        assert_eq!(store.enqueue(&[tick("t1")], 10).await.unwrap(), 1);
        let mut claimed = None;
        while let Some(c) = store
            .claim_job(11, LEASE, Backoff::default())
            .await
            .unwrap()
        {
            if c.id == "t1" {
                claimed = Some(c);
                break;
            }
        }
        let claimed = claimed.expect("the tick is due");
        assert!(store.complete_job(&claimed, 12).await.unwrap());
        assert_eq!(store.enqueue(&[tick("t2")], 13).await.unwrap(), 0);
        assert_eq!(
            ids_with_key(&store, "expiry_check:2030-01-01T10").await,
            vec![("t1".to_string(), JobStatus::Done)],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn two_workers_racing_for_one_job_one_gets_it() {
    for db in TestDb::all().await {
        let store = db.store().await;
        for round in 0..20_i64 {
            let now = 100 + round * 10;
            store
                .enqueue(
                    &[review(&format!("job_{round}"), &format!("p{round}"), now)],
                    now,
                )
                .await
                .unwrap();
            let (a, b) = tokio::join!(
                {
                    let s = store.clone();
                    tokio::spawn(
                        async move { s.claim_job(now + 1, LEASE, Backoff::default()).await },
                    )
                },
                {
                    let s = store.clone();
                    tokio::spawn(
                        async move { s.claim_job(now + 1, LEASE, Backoff::default()).await },
                    )
                },
            );
            let got: Vec<_> = [a.unwrap().unwrap(), b.unwrap().unwrap()]
                .into_iter()
                .flatten()
                .collect();
            assert_eq!(got.len(), 1, "{} round {round}: {got:?}", db.label);
            assert_eq!(got[0].id, format!("job_{round}"));
            assert_eq!(got[0].attempt, 1);
            assert!(store.complete_job(&got[0], now + 2).await.unwrap());
            let attempts = store.job_attempts(&got[0].id).await.unwrap();
            assert_eq!(attempts.len(), 1, "{}: {attempts:?}", db.label);
        }
    }
}

#[tokio::test]
async fn a_vanished_worker_s_lease_runs_out_and_the_job_is_claimed_again() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store.enqueue(&[review("j", "p1", 0)], 0).await.unwrap();
        let first = store
            .claim_job(SECOND, LEASE, Backoff::default())
            .await
            .unwrap()
            .expect("due");
        // The worker vanishes. Within its lease nobody else takes the job…
        assert_eq!(
            store
                .claim_job(SECOND + LEASE - 1, LEASE, Backoff::default())
                .await
                .unwrap(),
            None,
            "{}",
            db.label
        );
        // …after it, another worker does.
        let second = store
            .claim_job(SECOND + LEASE, LEASE, Backoff::default())
            .await
            .unwrap()
            .expect("the lease ran out");
        assert_eq!((second.id.as_str(), second.attempt), ("j", 2));
        // The first worker coming back cannot finish what is no longer its claim.
        assert!(
            !store
                .complete_job(&first, SECOND + LEASE + 1)
                .await
                .unwrap()
        );
        assert!(
            store
                .complete_job(&second, SECOND + LEASE + 2)
                .await
                .unwrap()
        );
        let job = store.job("j").await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
        let outcomes: Vec<AttemptOutcome> = store
            .job_attempts("j")
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.outcome)
            .collect();
        assert_eq!(
            outcomes,
            vec![AttemptOutcome::LeaseExpired, AttemptOutcome::Done],
            "{}",
            db.label
        );

        // A job whose worker vanishes on every attempt fails instead of running for ever.
        let backoff = Backoff {
            max_attempts: 2,
            ..Backoff::default()
        };
        store.enqueue(&[review("k", "p2", 0)], 0).await.unwrap();
        let t = 10 * LEASE;
        assert!(store.claim_job(t, LEASE, backoff).await.unwrap().is_some());
        assert!(
            store
                .claim_job(t + LEASE, LEASE, backoff)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store
                .claim_job(t + 2 * LEASE, LEASE, backoff)
                .await
                .unwrap(),
            None
        );
        let job = store.job("k").await.unwrap().unwrap();
        assert_eq!(
            (job.status, job.attempts),
            (JobStatus::Failed, 2),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_with_growing_delays_and_every_attempt_is_listed() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let backoff = Backoff {
            first_delay_micros: 2 * SECOND,
            max_delay_micros: 60 * SECOND,
            max_attempts: 4,
        };
        store.enqueue(&[review("j", "p1", 0)], 0).await.unwrap();
        let mut now = 0;
        let mut delays = Vec::new();
        for attempt in 1..=4 {
            let claimed = store
                .claim_job(now, LEASE, backoff)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{}: attempt {attempt} is due at {now}", db.label));
            assert_eq!(claimed.attempt, attempt);
            let status = store
                .fail_job(&claimed, &format!("failure {attempt}"), false, backoff, now)
                .await
                .unwrap();
            let job = store.job("j").await.unwrap().unwrap();
            if attempt < 4 {
                assert_eq!(status, Some(JobStatus::Queued));
                let delay = job.due_at - now;
                delays.push(delay);
                // Not a moment early.
                assert_eq!(
                    store
                        .claim_job(now + delay - 1, LEASE, backoff)
                        .await
                        .unwrap(),
                    None
                );
                now += delay;
            } else {
                assert_eq!(status, Some(JobStatus::Failed), "{}", db.label);
                assert_eq!(job.last_error.as_deref(), Some("failure 4"));
            }
        }
        assert_eq!(
            delays,
            vec![2 * SECOND, 4 * SECOND, 8 * SECOND],
            "{}",
            db.label
        );
        assert_eq!(
            store
                .claim_job(now + 3600 * SECOND, LEASE, backoff)
                .await
                .unwrap(),
            None
        );
        let attempts = store.job_attempts("j").await.unwrap();
        assert_eq!(
            attempts
                .iter()
                .map(|a| (a.attempt, a.outcome, a.error.clone().unwrap_or_default()))
                .collect::<Vec<_>>(),
            (1..=4)
                .map(|n| (n, AttemptOutcome::Failed, format!("failure {n}")))
                .collect::<Vec<_>>(),
            "{}",
            db.label
        );
        assert!(attempts.iter().all(|a| a.finished_at.is_some()));
        let listed = store.jobs_listed(10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].status, JobStatus::Failed);
        let counts = store.job_counts().await.unwrap();
        assert!(counts.jobs.contains(&(JobStatus::Failed, 1)), "{counts:?}");
        assert!(counts.jobs.contains(&(JobStatus::Queued, 0)), "{counts:?}");
        assert!(
            counts.attempts.contains(&(AttemptOutcome::Failed, 4)),
            "{counts:?}"
        );
        // A permanent failure gives up at once.
        store.enqueue(&[review("p", "p9", now)], now).await.unwrap();
        let claimed = store.claim_job(now, LEASE, backoff).await.unwrap().unwrap();
        assert_eq!(
            store
                .fail_job(&claimed, "no such kind", true, backoff, now)
                .await
                .unwrap(),
            Some(JobStatus::Failed)
        );
    }
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let b = Backoff::default();
    let secs: Vec<i64> = (1..=13).map(|n| b.delay_after(n) / SECOND).collect();
    assert_eq!(
        secs,
        vec![2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
    );
}
