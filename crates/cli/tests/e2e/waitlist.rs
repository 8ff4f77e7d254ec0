//! Bookings and the waitlist end to end. A chain is never half booked, even when the server
//! dies between its two reservations (a debug-only failpoint aborts the process there, inside
//! the transaction): after a restart no slot is held without its pair and the booking is
//! still asked for. And the waitlist over the API and `cellpath program waitlist` (a table
//! and `--json`).

use crate::support::{cellpath_on, seed_demo, site_id, stderr, stdout, vantacel};
use cellpath_app::testing::TestDb;
use cellpath_app::{App, Caller};
use cellpath_domain::capacity::Capacity;
use cellpath_domain::events::bookings::BookingStatus;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(url: &str, port: u16, failpoint: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cellpath"));
    cmd.args([
        "serve",
        "--database-url",
        url,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--no-jobs",
    ])
    .env_remove("CELLPATH_FAILPOINT")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(f) = failpoint {
        cmd.env("CELLPATH_FAILPOINT", f);
    }
    cmd.spawn().expect("start cellpath serve")
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

fn one_a_day() -> Capacity {
    serde_json::from_value(json!({
        "apheresis_slots_per_day": 1,
        "manufacturing_slots_per_day": 1,
        "lead": {
            "to_start_min_days": 3, "to_start_max_days": 5, "manufacturing_days": 14,
            "transit_days": 2, "arrival_to_infusion_days": 3
        }
    }))
    .unwrap()
}

async fn caller(app: &App, email: &str) -> Caller {
    let user = app.store().user_by_email(email).await.unwrap().unwrap();
    app.caller_for_user(&user.id, cellpath_app::access::Via::Session)
        .await
        .unwrap()
}

/// The demo with Vantacel's capacity stated, and `n` of LUH-MAIN's open Vantacel cases each
/// asking for a day three weeks ahead: the bookings' ids.
async fn asked(app: &App, n: usize) -> Vec<String> {
    let program = vantacel(app).await;
    app.set_program_capacity(&Caller::system("test"), &program, one_a_day(), None, None)
        .await
        .unwrap();
    let coordinator = caller(app, "coordinator@lakeshore.example").await;
    let main = site_id(app, "Lakeshore University Health", "LUH-MAIN").await;
    let day = cellpath_domain::Date::of_micros(app.now()).plus_days(21);
    // One booking in play per case: cases the demo booked nothing for first, then those whose
    // request still waits for the manufacturer (cancelled here, and the job that cancelling
    // enqueues run now, while nothing waits on the list); confirmed chains are left alone.
    let mut free = Vec::new();
    let mut waiting = Vec::new();
    for case in app
        .cases_of_site(&coordinator, &main, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.status == cellpath_domain::events::cases::CaseState::Active)
        .filter(|c| c.program_id == program)
    {
        let bookings = app.case_bookings(&coordinator, &case.id).await.unwrap();
        let open: Vec<_> = bookings.iter().filter(|b| b.status.is_open()).collect();
        match open.as_slice() {
            [] => free.push(case.id),
            [b] if b.status == cellpath_domain::events::bookings::BookingStatus::Requested => {
                waiting.push((case.id, b.id.clone()))
            }
            _ => {}
        }
    }
    for (case, booking) in waiting {
        if free.len() >= n {
            break;
        }
        app.cancel_booking(&coordinator, &booking, "the test asks afresh", None, None)
            .await
            .unwrap();
        free.push(case);
    }
    app.run_due_jobs().await.unwrap();
    let mut out = Vec::new();
    for case in free.into_iter().take(n) {
        out.push(
            app.request_booking(&coordinator, &case, day.as_str(), None)
                .await
                .unwrap()
                .fresh()
                .unwrap()
                .id,
        );
    }
    assert_eq!(out.len(), n, "{n} cases free to ask for a day");
    out
}

async fn token(app: &App, email: &str) -> String {
    let who = caller(app, email).await;
    app.create_api_token(&who, "waitlist e2e", None)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .token
}

#[tokio::test]
async fn a_chain_is_never_half_booked_when_the_server_dies_between_its_two_reservations() {
    for db in TestDb::all().await {
        let app = seed_demo(&db).await;
        let booking = asked(&app, 1).await.remove(0);
        let ops = token(&app, "patient.ops@helixa.example").await;
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();

        // The server dies inside the confirmation's transaction, after the apheresis slot's row
        // and before the manufacturing slot's.
        let mut child = serve(&db.url, port, Some("between_reservations"));
        wait_ready(&http, &base).await;
        let answer = http
            .post(format!("{base}/api/v1/bookings/{booking}/confirmation"))
            .bearer_auth(&ops)
            .send()
            .await;
        assert!(
            answer.is_err(),
            "{}: no answer from a server that died",
            db.label
        );
        let status = child.wait().unwrap();
        assert!(!status.success(), "{}: the process aborted", db.label);

        // Restarted: no slot row without its pair, the booking still asked for.
        let mut child = serve(&db.url, port, None);
        wait_ready(&http, &base).await;
        assert!(
            app.store().stray_reservations().await.unwrap().is_empty(),
            "{}: a slot held without its pair",
            db.label
        );
        let row = app.store().booking(&booking).await.unwrap().unwrap();
        assert_eq!(row.status, BookingStatus::Requested, "{}", db.label);
        assert!(row.chain.is_none());
        // And it is confirmed whole now.
        let res = http
            .post(format!("{base}/api/v1/bookings/{booking}/confirmation"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{}", db.label);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "confirmed");
        assert!(app.store().stray_reservations().await.unwrap().is_empty());
        child.kill().unwrap();
        child.wait().unwrap();
        app.close().await;
        let out = cellpath_on(&db.url, &["audit", "verify"], None);
        assert!(out.status.success(), "{}: {}", db.label, stdout(&out));
    }
}

#[tokio::test]
async fn the_waitlist_over_the_api_and_the_command_line() {
    let db = TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let program = vantacel(&app).await;
    let bookings = asked(&app, 3).await;
    let ops_caller = caller(&app, "patient.ops@helixa.example").await;
    for b in &bookings {
        app.waitlist_booking(&ops_caller, b, "no slot that week", None, None)
            .await
            .unwrap();
    }
    let ops = token(&app, "patient.ops@helixa.example").await;
    let coordinator = token(&app, "coordinator@lakeshore.example").await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut child = serve(&db.url, port, None);
    wait_ready(&http, &base).await;

    // A bad score: 422 naming each field; the site may not score (403).
    let bad = http
        .post(format!("{base}/api/v1/bookings/{}/score", bookings[1]))
        .bearer_auth(&ops)
        .json(&json!({ "score": 101, "reason": "x", "criteria_version": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let problem = bad.text().await.unwrap();
    for field in ["score", "reason", "criteria_version"] {
        assert!(problem.contains(field), "{problem}");
    }
    let theirs = http
        .post(format!("{base}/api/v1/bookings/{}/score", bookings[1]))
        .bearer_auth(&coordinator)
        .json(&json!({ "score": 70, "reason": "rapid progression after two lines", "criteria_version": "BCMA-2026-03" }))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status().as_u16(), 403);
    let scored = http
        .post(format!("{base}/api/v1/bookings/{}/score", bookings[1]))
        .bearer_auth(&ops)
        .json(&json!({ "score": 70, "reason": "rapid progression after two lines", "criteria_version": "BCMA-2026-03" }))
        .send()
        .await
        .unwrap();
    assert_eq!(scored.status().as_u16(), 200);
    let skipped = http
        .post(format!("{base}/api/v1/bookings/{}/skip", bookings[2]))
        .bearer_auth(&ops)
        .json(&json!({ "reason": "bridging therapy not finished yet" }))
        .send()
        .await
        .unwrap();
    assert_eq!(skipped.status().as_u16(), 200);

    // The list: the scored one first, with its reason; the site does not read it (404).
    let list: Value = http
        .get(format!("{base}/api/v1/programs/{program}/waitlist"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&bookings[1], &bookings[0], &bookings[2]], "{list}");
    assert_eq!(list[0]["priority"]["score"], 70);
    let ops_name = app
        .store()
        .user_by_email("patient.ops@helixa.example")
        .await
        .unwrap()
        .unwrap()
        .name;
    assert_eq!(list[0]["scored_by"], ops_name.as_str());
    assert!(
        list[0]["case_pseudonym"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
    assert_eq!(list[2]["skipped"], "bridging therapy not finished yet");
    let hidden = http
        .get(format!("{base}/api/v1/programs/{program}/waitlist"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status().as_u16(), 404);
    // No offer to answer yet: 409.
    let early = http
        .post(format!("{base}/api/v1/bookings/{}/acceptance", bookings[1]))
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(early.status().as_u16(), 409);
    child.kill().unwrap();
    child.wait().unwrap();
    app.close().await;

    let table = cellpath_on(
        &db.url,
        &["program", "waitlist", "Helixa Therapeutics/Vantacel"],
        None,
    );
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    for words in [
        "score",
        "BCMA-2026-03",
        "rapid progression after two lines",
        "not scored",
        "passed over",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let json_out = cellpath_on(
        &db.url,
        &[
            "program",
            "waitlist",
            "Helixa Therapeutics/Vantacel",
            "--json",
        ],
        None,
    );
    assert!(json_out.status.success(), "{}", stderr(&json_out));
    let listed: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["priority"]["criteria_version"], "BCMA-2026-03");
    let unknown = cellpath_on(
        &db.url,
        &["program", "waitlist", "Helixa Therapeutics/Nothing"],
        None,
    );
    assert!(!unknown.status.success());
    assert_eq!(
        stderr(&unknown).trim().lines().count(),
        1,
        "{}",
        stderr(&unknown)
    );
}
