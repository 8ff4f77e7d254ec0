//! Durability: `kill -9` the server in the middle of a burst of concurrent writes; after a
//! restart every write that was answered 2xx is there, and every ledger verifies. And a
//! command's reaction survives the kill: the gate's review, enqueued with the command, runs
//! after the restart and records the suspension exactly once.

use crate::support::{cellpath_on, helixa_lakeshore, seed_demo, site_id, stdout};
use cellpath_app::Clock;
use cellpath_app::records::organizations::OrganizationInput;
use cellpath_app::records::users::UserInput;
use cellpath_app::testing::TestDb;
use cellpath_app::views::JobStatus;
use cellpath_app::{App, Caller, SystemClock};
use cellpath_domain::contracting::AgreementKind;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, port: u16) -> Child {
    start_with(url, port, &[])
}

fn start_with(url: &str, port: u16, flags: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cellpath"))
        .args([
            "serve",
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cellpath serve")
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    for db in TestDb::all().await {
        // Prepare an organization, its admin and a token, then let go of the database.
        let (org, token) = {
            let app = App::new(db.store().await, Arc::new(SystemClock));
            let op = Caller::system("test");
            let org = app
                .create_organization(
                    &op,
                    OrganizationInput {
                        kind: "health_system".into(),
                        name: "Durable Health".into(),
                    },
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            let user = app
                .create_user(
                    &op,
                    &org.id,
                    UserInput {
                        email: "admin@durable.example".into(),
                        name: "Ada Admin".into(),
                        role: "admin".into(),
                        password: "durable-password-1".into(),
                    },
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            let caller = app
                .caller_for_user(&user.id, cellpath_app::access::Via::Session)
                .await
                .unwrap();
            let token = app
                .create_api_token(&caller, "burst", None)
                .await
                .unwrap()
                .fresh()
                .unwrap()
                .token;
            app.close().await;
            (org.id, token)
        };
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut child = start(&db.url, port);
        wait_ready(&http, &base).await;

        let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut writers = Vec::new();
        for w in 0..8 {
            let (http, base, token, org, acked) = (
                http.clone(),
                base.clone(),
                token.clone(),
                org.clone(),
                acknowledged.clone(),
            );
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let body = json!({ "name": format!("Burst {w}-{i}"), "code": format!("B{w}-{i}"), "city": "Chicago", "region": "IL" });
                    match http.post(format!("{base}/api/v1/organizations/{org}/sites")).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<Value>().await {
                                acked.lock().unwrap().push(v["id"].as_str().unwrap_or_default().to_string());
                            }
                        }
                        _ => break, // the server is gone
                    }
                }
            }));
        }
        // Kill once writes are flowing (however loaded the machine is), not after a fixed time.
        let flowing = std::time::Instant::now();
        while acknowledged.lock().unwrap().len() < 20 && flowing.elapsed() < Duration::from_secs(60)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.kill().expect("kill -9"); // SIGKILL on unix: no shutdown, no flush
        child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let acked = acknowledged.lock().unwrap().clone();
        assert!(
            acked.len() > 10,
            "{}: only {} writes before the kill",
            db.label,
            acked.len()
        );

        let mut child = start(&db.url, port);
        wait_ready(&http, &base).await;
        for id in &acked {
            let r = http
                .get(format!("{base}/api/v1/sites/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                200,
                "{}: acknowledged site {id} is missing after kill -9",
                db.label
            );
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let out = cellpath_on(&db.url, &["audit", "verify"], None);
        assert!(out.status.success(), "{}: {}", db.label, stdout(&out));
    }
}

/// LUH-MAIN's recorded verdict for Vantacel, and how many `site_authorization.updated`
/// events the partnership's ledger holds after `after_seq`.
async fn verdict_and_updates(
    app: &App,
    pship: &str,
    main: &str,
    after_seq: i64,
) -> (String, usize) {
    let status = app
        .store()
        .site_authorizations_of(pship)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.site_id == main)
        .expect("LUH-MAIN was authorized by the demo")
        .status;
    let updates = app
        .store()
        .events(pship, after_seq, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "site_authorization.updated")
        .count();
    (status.to_string(), updates)
}

#[tokio::test]
async fn a_job_enqueued_before_kill_9_runs_after_the_restart_once() {
    for db in TestDb::all().await {
        // The demo (LUH-MAIN authorized for Vantacel), and a token for Helixa's contracts lead.
        let app = seed_demo(&db).await;
        let pship = helixa_lakeshore(&app).await;
        let main = site_id(&app, "Lakeshore University Health", "LUH-MAIN").await;
        let user = app
            .store()
            .user_by_email("contracts@helixa.example")
            .await
            .unwrap()
            .unwrap();
        let caller = app
            .caller_for_user(&user.id, cellpath_app::access::Via::Session)
            .await
            .unwrap();
        let token = app
            .create_api_token(&caller, "kill-9", None)
            .await
            .unwrap()
            .fresh()
            .unwrap()
            .token;
        let msa = app
            .agreements(&caller, &pship)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        assert_eq!(
            verdict_and_updates(&app, &pship, &main, 0).await.0,
            "authorized",
            "{}",
            db.label
        );

        // A server without the worker takes the withdrawal of the MSA, and dies.
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut child = start_with(&db.url, port, &["--no-jobs"]);
        wait_ready(&http, &base).await;
        let res = http
            .post(format!("{base}/api/v1/agreements/{}/moves", msa.id))
            .bearer_auth(&token)
            .header("if-match", format!("\"{}\"", msa.version))
            .json(&json!({ "status": "withdrawn" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{}", db.label);
        child.kill().expect("kill -9"); // SIGKILL: no shutdown, nothing runs after it
        child.wait().unwrap();
        let withdrawn_at = app
            .store()
            .events(&pship, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .rfind(|e| e.kind == "agreement.updated")
            .expect("the withdrawal is on the ledger")
            .seq;

        // The reaction did not happen, but it is in the database, queued with its cause.
        assert_eq!(
            verdict_and_updates(&app, &pship, &main, withdrawn_at).await,
            ("authorized".to_string(), 0),
            "{}: nothing reviewed before the restart",
            db.label
        );
        let listed = cellpath_on(&db.url, &["jobs", "--json"], None);
        assert!(listed.status.success(), "{}", stdout(&listed));
        let jobs: Value = serde_json::from_slice(&listed.stdout).unwrap();
        let key = format!("review_gate:{pship}");
        let queued: Vec<&Value> = jobs
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["dedupe_key"] == key.as_str() && j["status"] == "queued")
            .collect();
        assert_eq!(queued.len(), 1, "{}: {jobs}", db.label);
        let job_id = queued[0]["id"].as_str().unwrap().to_string();

        // Restarted with the worker: the review runs and records the suspension.
        let mut child = start(&db.url, port);
        wait_ready(&http, &base).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let job = app.store().job(&job_id).await.unwrap().unwrap();
            if job.status == JobStatus::Done {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: the job did not run after the restart: {job:?}",
                db.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // And until the restarted server's hourly tick has run with the reviews it fanned out
        // (one of this partnership among them) and nothing is due: the effect is recorded
        // once, whatever ran after it.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = SystemClock.now();
            let jobs = app.store().jobs_listed(1_000).await.unwrap();
            let ticked = jobs
                .iter()
                .any(|j| j.kind == "review_all_partnerships" && j.status == JobStatus::Done);
            let due = jobs.iter().any(|j| {
                j.status == JobStatus::Running || (j.status == JobStatus::Queued && j.due_at <= now)
            });
            if ticked && !due {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{}: jobs left: {jobs:?}",
                db.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            verdict_and_updates(&app, &pship, &main, withdrawn_at).await,
            ("suspended".to_string(), 1),
            "{}: the suspension is recorded exactly once",
            db.label
        );
        let attempts = app.store().job_attempts(&job_id).await.unwrap();
        assert_eq!(attempts.len(), 1, "{}: {attempts:?}", db.label);
        assert_eq!(
            attempts[0].outcome,
            cellpath_app::views::AttemptOutcome::Done
        );
        child.kill().unwrap();
        child.wait().unwrap();
        app.close().await;
        let out = cellpath_on(&db.url, &["audit", "verify"], None);
        assert!(out.status.success(), "{}: {}", db.label, stdout(&out));
    }
}
