//! The JSON API as a client sees it: problem+json errors a person can act on, idempotent
//! retries, optimistic concurrency, pagination, tenancy, the OpenAPI snapshot, operations.

use crate::support::{TestServer, helixa_lakeshore, site_id, spawn_demo, spawn_each, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn problem(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16());
    body
}

async fn post(s: &TestServer, token: &str, path: &str, body: &str) -> reqwest::Response {
    s.http
        .post(s.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_never_a_500() {
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let sites = format!("/api/v1/organizations/{org}/sites");

    let res = s.http.get(s.url("/api/v1/me")).send().await.unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;
    let res = s
        .http
        .get(s.url("/api/v1/me"))
        .bearer_auth("cpt_forged")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    let p = problem(
        post(&s, &token, &sites, "{\"name\": ").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["type"], "/problems/malformed-json");
    let p = problem(
        post(
            &s,
            &token,
            &sites,
            r#"{"name": 42, "code": "A", "city": "B", "region": "C"}"#,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("invalid type"),
        "{p}"
    );
    let p = problem(
        post(
            &s,
            &token,
            &sites,
            r#"{"name": "A", "code": "A", "city": "B", "region": "C", "beds": 10}"#,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `beds`"),
        "{p}"
    );
    let p = problem(
        post(&s, &token, &sites, r#"{"name": "A"}"#).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("missing field"),
        "{p}"
    );
    let res = s
        .http
        .post(s.url(&sites))
        .bearer_auth(&token)
        .body("name=A")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let long = "x".repeat(5000);
    let p = problem(
        post(
            &s,
            &token,
            &sites,
            &json!({ "name": long, "code": "LONG", "city": "B", "region": "C" }).to_string(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "name");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 200"),
        "{p}"
    );

    // Bodies past the limit are refused before parsing.
    let huge =
        json!({ "name": "x".repeat(400_000), "code": "A", "city": "B", "region": "C" }).to_string();
    let res = post(&s, &token, &sites, &huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // SQL- and HTML-looking text is just text: stored as typed, returned as JSON data.
    let odd = "<script>alert(1)</script>'; DROP TABLE sites;--";
    let res = post(
        &s,
        &token,
        &sites,
        &json!({ "name": odd, "code": "ODD", "city": "Robert'); --", "region": "IL" }).to_string(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let site: Value = res.json().await.unwrap();
    assert_eq!(site["name"], odd);
    let res = s
        .http
        .get(s.url(&sites))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let p = problem(
        s.http
            .get(s.url("/api/v1/sites/site_nope"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("site_nope"));
    problem(
        s.http
            .get(s.url("/api/v1/no/such/route"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let p = problem(
        s.http
            .get(s.url(&format!("{sites}?limit=0")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "limit");
    problem(
        s.http
            .get(s.url(&format!("{sites}?limit=ten")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    s.shutdown().await;
}

#[tokio::test]
async fn a_retried_post_with_the_same_key_writes_once() {
    for s in spawn_each().await {
        let token = s.token("admin@piedmont.example").await;
        let org = s.org_id("Piedmont Valley Health").await;
        let path = format!("/api/v1/organizations/{org}/sites");
        let body = json!({ "name": "Mooresville Clinic", "code": "PVH-MOORE", "city": "Mooresville", "region": "NC" }).to_string();
        let send = |key: &'static str, body: String| {
            let (http, url, token) = (s.http.clone(), s.url(&path), token.clone());
            async move {
                http.post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .header("idempotency-key", key)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let first = send("retry-1", body.clone()).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first_body = first.text().await.unwrap();
        let second = send("retry-1", body.clone()).await;
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(second.text().await.unwrap(), first_body);
        let other = send("retry-1", body.replace("Mooresville Clinic", "Other")).await;
        problem(other, StatusCode::UNPROCESSABLE_ENTITY).await;

        // Eight copies of one request at the same moment: one site, one answer.
        let body2 = json!({ "name": "Huntersville Clinic", "code": "PVH-HUNT", "city": "Huntersville", "region": "NC" }).to_string();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            tasks.push(tokio::spawn(send("burst-1", body2.clone())));
        }
        let mut bodies = Vec::new();
        for t in tasks {
            let res = t.await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            bodies.push(res.text().await.unwrap());
        }
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "{}: {bodies:?}",
            s.db.label
        );
        let all = s
            .app
            .store()
            .sites_of(&org, cellpath_app::views::Page::all())
            .await
            .unwrap();
        assert_eq!(
            all.iter().filter(|x| x.code == "PVH-HUNT").count(),
            1,
            "{}",
            s.db.label
        );
        assert_eq!(all.iter().filter(|x| x.code == "PVH-MOORE").count(), 1);
        s.shutdown().await;
    }
}

#[tokio::test]
async fn updates_need_the_version_last_read() {
    let s = spawn_demo().await;
    let token = s.token("admin@cascade.example").await;
    let org = s.org_id("Cascade Regional Medical").await;
    let site = s
        .app
        .store()
        .sites_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .remove(0);
    let url = s.url(&format!("/api/v1/sites/{}", site.id));
    let res = s.http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");
    let patch = |if_match: Option<&'static str>, body: Value| {
        let mut req = s.http.patch(&url).bearer_auth(&token).json(&body);
        if let Some(v) = if_match {
            req = req.header("if-match", v);
        }
        req.send()
    };
    problem(
        patch(None, json!({ "city": "Beaverton" })).await.unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let ok = patch(Some("\"1\""), json!({ "city": "Beaverton" }))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers().get("etag").unwrap(), "\"2\"");
    let stale = problem(
        patch(Some("\"1\""), json!({ "city": "Salem" }))
            .await
            .unwrap(),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(stale["type"], "/problems/precondition-failed");
    assert!(
        stale["detail"].as_str().unwrap().contains("version 2"),
        "{stale}"
    );
    problem(
        patch(Some("latest"), json!({ "city": "Salem" }))
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Helixa has only proposed a partnership to Cascade: the site stays closed (404). Once
    // Cascade accepts, Helixa reads the site (200) but may not change it (403); a stranger
    // still gets 404.
    let helixa = s.token("onboarding@helixa.example").await;
    let northbridge = s.token("onboarding@northbridge.example").await;
    problem(
        s.http.get(&url).bearer_auth(&helixa).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let proposal = s
        .app
        .store()
        .partnerships_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .remove(0);
    let contracts = s
        .app
        .store()
        .user_by_email("contracts@cascade.example")
        .await
        .unwrap()
        .unwrap();
    let accepter = s
        .app
        .caller_for_user(&contracts.id, cellpath_app::access::Via::Session)
        .await
        .unwrap();
    s.app
        .update_partnership(
            &accepter,
            &proposal.id,
            proposal.version,
            cellpath_app::records::partnerships::PartnershipPatch {
                status: Some("active".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth(&helixa)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let res = s
        .http
        .patch(&url)
        .bearer_auth(&helixa)
        .header("if-match", "\"2\"")
        .json(&json!({ "city": "X" }))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
    problem(
        s.http
            .get(&url)
            .bearer_auth(&northbridge)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    s.shutdown().await;
}

#[tokio::test]
async fn lists_are_paginated() {
    let s = spawn_demo().await;
    let token = s.token("admin@piedmont.example").await;
    let org = s.org_id("Piedmont Valley Health").await;
    let page: Value = s
        .http
        .get(s.url(&format!("/api/v1/organizations/{org}/sites?limit=3")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_offset"], 3);
    let rest: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/organizations/{org}/sites?limit=3&offset=3"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_offset"], Value::Null);
    s.shutdown().await;
}

#[tokio::test]
async fn signing_over_the_api_needs_the_password_too() {
    let s = spawn_demo().await;
    let token = s.token("quality@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let head: Value = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/ledgers/{org}/signatures");
    let body = |password: &str| {
        json!({ "signs": { "target": "event", "event_hash": head["head_hash"] }, "meaning": "reviewed", "password": password }).to_string()
    };
    problem(post(&s, &token, &path, &json!({ "signs": { "target": "event", "event_hash": head["head_hash"] }, "meaning": "reviewed" }).to_string()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let p = problem(
        post(&s, &token, &path, &body("guess-guess-guess")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "password");
    let res = post(&s, &token, &path, &body(cellpath_app::demo::DEMO_PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let sig: Value = res.json().await.unwrap();
    assert_eq!(sig["meaning"], "reviewed");
    // The signature names the token it came through (`s.token` names its tokens "test").
    let quality = s
        .app
        .store()
        .user_by_email("quality@lakeshore.example")
        .await
        .unwrap()
        .unwrap();
    let token_id = s.app.store().api_tokens_of(&quality.id).await.unwrap()[0]
        .id
        .clone();
    let channel = json!({ "via": "api_token", "token_id": token_id, "token_name": "test" });
    assert_eq!(sig["channel"], channel);
    let verify: Value = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}/verify")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["result"], "intact");
    let export = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}/export")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let report =
        cellpath_app::audit::verify_export(&export, Some(sig["event_hash"].as_str().unwrap()));
    assert!(report.is_intact(), "{report:?}");
    let line: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
    assert_eq!(line["payload"]["channel"], channel, "the export carries it");
    s.shutdown().await;
}

/// The web sign-in form as a browser posts it: its nonce cookie and its signed token.
async fn web_sign_in(s: &TestServer, email: &str, password: &str) -> StatusCode {
    let form = s.http.get(s.url("/login")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("cellpath_login_csrf="))
        .expect("the sign-in cookie");
    let page = form.text().await.unwrap();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_string();
    s.http
        .post(s.url("/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn wrong_signing_passwords_through_a_token_pause_signing_but_not_the_web_sign_in() {
    let s = spawn_demo().await;
    let token = s.token("nurse@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let head = s
        .app
        .store()
        .ledger_head(&org)
        .await
        .unwrap()
        .unwrap()
        .head_hash;
    let path = format!("/api/v1/ledgers/{org}/signatures");
    let body = |password: &str| {
        json!({ "signs": { "target": "event", "event_hash": head }, "meaning": "performed", "password": password }).to_string()
    };
    for _ in 0..5 {
        problem(
            post(&s, &token, &path, &body("guess-guess-guess")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let paused = problem(
        post(&s, &token, &path, &body(cellpath_app::demo::DEMO_PASSWORD)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(paused["errors"][0]["field"], "password");
    assert_eq!(
        paused["errors"][0]["message"],
        "too many wrong passwords re-entered to sign: signing is paused for 15 more minute(s) (signing in is not affected); an admin can reset your password"
    );
    // The same person signs in on the web, and the token still reads.
    assert_eq!(
        web_sign_in(
            &s,
            "nurse@lakeshore.example",
            cellpath_app::demo::DEMO_PASSWORD
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let me = s
        .http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated_over_the_api() {
    let s = spawn_demo().await;
    let token = s.token("admin@cascade.example").await;
    let admin = s
        .app
        .store()
        .user_by_email("admin@cascade.example")
        .await
        .unwrap()
        .unwrap();
    let url = s.url(&format!("/api/v1/users/{}", admin.id));
    let expected = format!(
        "{} is the last active admin of Cascade Regional Medical: make another user admin first",
        admin.name
    );
    for (body, field) in [
        (json!({ "role": "nurse" }), "role"),
        (json!({ "active": false }), "active"),
    ] {
        let refused = problem(
            s.http
                .patch(&url)
                .bearer_auth(&token)
                .header("if-match", format!("\"{}\"", admin.version))
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], field, "{refused}");
        assert_eq!(refused["errors"][0]["message"], expected.as_str());
    }
    s.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot_and_every_operation_is_routed() {
    let s = spawn_demo().await;
    let doc: Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/openapi.json");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(path, &pretty).unwrap();
    }
    let snapshot = std::fs::read_to_string(path)
        .expect("crates/server/openapi.json exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert!(
        snapshot == pretty,
        "the API changed: review it, then run with UPDATE_SNAPSHOTS=1 to update crates/server/openapi.json"
    );
    let token = s.token("admin@lakeshore.example").await;
    for (method, path, ..) in cellpath_server::openapi::OPERATIONS {
        let url = s.url(
            &path
                .replace("{id}", "nope")
                .replace("{site}", "nope")
                .replace("{program}", "nope"),
        );
        let req = match *method {
            "get" => s.http.get(url),
            "post" => s.http.post(url),
            "put" => s.http.put(url),
            "patch" => s.http.patch(url),
            other => panic!("{other}"),
        };
        let res = req.bearer_auth(&token).send().await.unwrap();
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("no API route"),
            "{method} {path} is documented but not routed"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = spawn_demo().await;
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        s.http.get(s.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let token = s.token("admin@lakeshore.example").await;
    s.http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"cellpath_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("cellpath_http_request_duration_seconds_bucket"));
    let appends: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cellpath_ledger_appends_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(appends > 60, "the demo's appends are counted: {appends}");
    // Jobs by status and attempts by outcome, from the database: the demo's gate reviews ran.
    let gauge = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
            .parse()
            .unwrap()
    };
    assert!(gauge(r#"cellpath_jobs{status="done"}"#) >= 1, "{metrics}");
    assert_eq!(gauge(r#"cellpath_jobs{status="failed"}"#), 0, "{metrics}");
    let _ = gauge(r#"cellpath_jobs{status="queued"}"#);
    let _ = gauge(r#"cellpath_jobs{status="running"}"#);
    assert!(gauge(r#"cellpath_job_attempts{outcome="done"}"#) >= 1);
    assert_eq!(gauge(r#"cellpath_job_attempts{outcome="failed"}"#), 0);
    let _ = gauge(r#"cellpath_job_attempts{outcome="lease_expired"}"#);
    s.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = spawn_demo().await;
    let token = s.token("admin@cascade.example").await;
    let org = s.org_id("Cascade Regional Medical").await;
    let body = json!({ "name": "Cascade Gresham Clinic", "code": "CRM-GRESHAM", "city": "Gresham", "region": "OR" }).to_string();
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/organizations/{org}/sites HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Shut down while the request is half sent; it must still be served.
    let app = s.app.clone();
    let stopping = tokio::spawn(s.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    conn.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    stopping.await.unwrap();
    let sites = app
        .store()
        .sites_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap();
    assert!(sites.iter().any(|x| x.code == "CRM-GRESHAM"));
}

#[tokio::test]
async fn process_maps_over_the_api_are_validated_versioned_and_visible_to_partners() {
    let s = spawn_demo().await;
    let author = s.token("onboarding@helixa.example").await;
    let programs: Value = s
        .http
        .get(s.url("/api/v1/programs"))
        .bearer_auth(&author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vantacel = programs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Vantacel")
        .unwrap()
        .clone();
    let maps: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/programs/{}/maps",
            vantacel["id"].as_str().unwrap()
        )))
        .bearer_auth(&author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v1 = maps[0].clone();
    let mut map = v1["map"].clone();
    // Remove the dual verification of cd8: the program requires one before administration.
    let steps = map["steps"].as_array_mut().unwrap();
    let dv = steps
        .iter()
        .position(|st| st["kind"] == "dual_verification" && st["params"]["unit"] == "cd8")
        .expect("a dual verification of cd8");
    let dv_key = steps[dv]["key"].clone();
    let dv_after = steps[dv]["after"].clone();
    steps.remove(dv);
    for st in steps.iter_mut() {
        if let Some(after) = st.get_mut("after").and_then(Value::as_array_mut)
            && let Some(i) = after.iter().position(|a| *a == dv_key)
        {
            after.remove(i);
            after.extend(dv_after.as_array().unwrap().iter().cloned());
        }
    }
    let path = format!("/api/v1/programs/{}/maps", vantacel["id"].as_str().unwrap());
    let p = problem(
        post(&s, &author, &path, &map.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let errors = p["errors"].as_array().unwrap_or_else(|| panic!("{p}"));
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("dual_verification")),
        "{p}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["field"].as_str().unwrap().starts_with("steps.") || e["field"] == "map"),
        "{p}"
    );

    // A valid draft, then publish with If-Match.
    let res = post(&s, &author, &path, &v1["map"].to_string()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["number"], 2);
    let publish = s.url(&format!(
        "/api/v1/maps/{}/publish",
        v2["id"].as_str().unwrap()
    ));
    problem(
        s.http
            .post(&publish)
            .bearer_auth(&author)
            .send()
            .await
            .unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let res = s
        .http
        .post(&publish)
        .bearer_auth(&author)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/maps/{}", v2["id"].as_str().unwrap())))
        .bearer_auth(&author)
        .header("if-match", "\"2\"")
        .json(&v1["map"])
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["detail"].as_str().unwrap().contains("never changes"),
        "{p}"
    );

    // The partner health system reads it; a health system that is not a partner does not.
    let lakeshore = s.token("pharmacy@lakeshore.example").await;
    let piedmont = s.token("pharmacy@piedmont.example").await;
    let url = s.url(&format!(
        "/api/v1/programs/{}",
        vantacel["id"].as_str().unwrap()
    ));
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth(&lakeshore)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    problem(
        s.http
            .get(&url)
            .bearer_auth(&piedmont)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    s.shutdown().await;
}

#[tokio::test]
async fn site_maps_visits_and_gaps_over_the_api() {
    let s = spawn_demo().await;
    let hs = s.token("pharmacy@lakeshore.example").await;
    let mfr = s.token("onboarding@helixa.example").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;

    let maps: Value = s
        .http
        .get(s.url(&format!("/api/v1/partnerships/{pship}/site-maps")))
        .bearer_auth(&mfr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signed = maps
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 1 && m["site_id"] == main.as_str())
        .unwrap();
    let view: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/site-maps/{}",
            signed["id"].as_str().unwrap()
        )))
        .bearer_auth(&mfr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "signed");

    // The manufacturer may not start a site's map; the health system may.
    let start = json!({ "site_id": north, "program_id": vantacel }).to_string();
    problem(
        post(
            &s,
            &mfr,
            &format!("/api/v1/partnerships/{pship}/site-maps"),
            &start,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        post(
            &s,
            &hs,
            &format!("/api/v1/partnerships/{pship}/site-maps"),
            &start
        )
        .await
        .status(),
        StatusCode::CREATED
    );

    // A visit with an observation of an unknown capability is refused, field by field.
    let visit = json!({ "site_id": north, "visited_on": "2026-11-20", "visitors": ["Marcus Kowalski"], "facility_ids": [],
        "observations": [{ "facility_id": "fac_x", "capability": "helipad", "value": true }] });
    let p = problem(
        post(
            &s,
            &mfr,
            &format!("/api/v1/partnerships/{pship}/visits"),
            &visit.to_string(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"].as_array().unwrap().iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("unknown capability")),
        "{p}"
    );

    let readiness: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/partnerships/{pship}/readiness/{north}/{vantacel}"
        )))
        .bearer_auth(&hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readiness["open_blocking"], 1);
    let gap = readiness["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["severity"] == "blocking")
        .unwrap()
        .clone();
    let close = s.url(&format!(
        "/api/v1/gaps/{}/close",
        gap["id"].as_str().unwrap()
    ));
    let body = |pw: &str| json!({ "evidence": "Two doses stocked on 5 North since 2026-11-21.", "password": pw });
    problem(
        s.http
            .post(&close)
            .bearer_auth(&hs)
            .json(&body(cellpath_app::demo::DEMO_PASSWORD))
            .send()
            .await
            .unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    problem(
        s.http
            .post(&close)
            .bearer_auth(&hs)
            .header("if-match", "\"1\"")
            .json(&body("not-it-at-all"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = s
        .http
        .post(&close)
        .bearer_auth(&hs)
        .header("if-match", "\"1\"")
        .json(&body(cellpath_app::demo::DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let readiness: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/partnerships/{pship}/readiness/{north}/{vantacel}"
        )))
        .bearer_auth(&hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readiness["open_blocking"], 0);
    s.shutdown().await;
}

#[tokio::test]
async fn a_retry_after_a_lost_answer_gets_the_first_answer_and_secrets_are_not_kept() {
    let s = spawn_demo().await;
    let token = s.token("admin@cascade.example").await;
    let org = s.org_id("Cascade Regional Medical").await;
    let site = s
        .app
        .store()
        .sites_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .remove(0);
    let url = s.url(&format!("/api/v1/sites/{}", site.id));
    let patch = || {
        s.http
            .patch(&url)
            .bearer_auth(&token)
            .header("if-match", "\"1\"")
            .header("idempotency-key", "rename-1")
            .json(&json!({ "city": "Tigard" }))
            .send()
    };
    let first = patch().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first_body = first.text().await.unwrap();
    // The version moved on; the retry still gets the stored 200, not a 412.
    let retry = patch().await.unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(retry.text().await.unwrap(), first_body);

    // A new token is shown once; its repeat does not carry the secret.
    let create = || {
        s.http
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(&token)
            .header("idempotency-key", "tok-1")
            .json(&json!({ "name": "ci" }))
            .send()
    };
    let fresh: Value = create().await.unwrap().json().await.unwrap();
    assert!(fresh["token"].as_str().unwrap().starts_with("cpt_"));
    let again: Value = create().await.unwrap().json().await.unwrap();
    assert_eq!(again["id"], fresh["id"]);
    assert!(
        !again["token"].as_str().unwrap().starts_with("cpt_"),
        "{again}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn the_gate_over_the_api_says_authorized_or_what_is_missing() {
    let s = spawn_demo().await;
    let nurse = s.token("nurse@lakeshore.example").await;
    let contracts = s.token("contracts@lakeshore.example").await;
    let stranger = s.token("admin@piedmont.example").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;
    let gate = |token: String, site: String| {
        let url = s.url(&format!(
            "/api/v1/partnerships/{pship}/gate/{site}/{vantacel}"
        ));
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };

    let view: Value = gate(nurse.clone(), main.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["authorized"], true, "{view}");
    let view: Value = gate(nurse.clone(), north.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["authorized"], false);
    let texts: Vec<&str> = view["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Quality agreement: not executed (negotiating)"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"1 open blocking readiness gap"),
        "{texts:?}"
    );
    // Another tenant does not learn the partnership exists.
    problem(gate(stranger, main.clone()).await, StatusCode::NOT_FOUND).await;
    // A bad query parameter is a problem+json 400 that names it, as every other bad input.
    for query in [
        format!("/api/v1/partnerships/{pship}/agreements/expiring?within=soon"),
        format!("/api/v1/partnerships/{pship}/gate/{main}/{vantacel}?day=2026-01-01"),
        "/api/v1/onboarding?on=tomorrow&x=1".to_string(),
    ] {
        let res = s
            .http
            .get(s.url(&query))
            .bearer_auth(&contracts)
            .send()
            .await
            .unwrap();
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(p["title"], "Bad query parameters", "{query}: {p}");
    }

    // Withdrawing the master service agreement takes LUH-MAIN out of authorization.
    let agreements: Value = s
        .http
        .get(s.url(&format!("/api/v1/partnerships/{pship}/agreements")))
        .bearer_auth(&contracts)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msa = agreements
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "master_service_agreement")
        .unwrap()
        .clone();
    let moves = format!("/api/v1/agreements/{}/moves", msa["id"].as_str().unwrap());
    problem(
        post(&s, &contracts, &moves, r#"{"status":"withdrawn"}"#).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let res = s
        .http
        .post(s.url(&moves))
        .bearer_auth(&contracts)
        .header("content-type", "application/json")
        .header("if-match", format!("\"{}\"", msa["version"]))
        .body(r#"{"status":"withdrawn"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = gate(nurse.clone(), main.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["authorized"], false);
    assert_eq!(
        view["missing"][0]["text"],
        "Master service agreement: withdrawn"
    );
    // The withdrawal enqueued the gate's review; the server's worker records the suspension
    // on the partnership's ledger, for both sides, moments later; then a review finds
    // nothing left to record.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let view = loop {
        let view: Value = gate(nurse.clone(), main.clone())
            .await
            .json()
            .await
            .unwrap();
        if view["recorded"]["status"] == "suspended" {
            break view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not record the suspension: {view}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(
        view["recorded"]["missing"][0],
        "Master service agreement: withdrawn"
    );
    let res = post(
        &s,
        &contracts,
        &format!("/api/v1/partnerships/{pship}/authorizations/review"),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let changes: Value = res.json().await.unwrap();
    assert_eq!(changes.as_array().unwrap().len(), 0, "{changes}");

    // Training that lapsed is revoked, e-signed by the cell lab, with If-Match.
    let cell_lab = s.token("cell.lab@lakeshore.example").await;
    let view: Value = gate(cell_lab.clone(), main.clone())
        .await
        .json()
        .await
        .unwrap();
    let training = view["deliverables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["deliverable"] == "staff_training")
        .unwrap()
        .clone();
    assert_eq!(training["revoked_on"], "");
    let revoke = format!(
        "/api/v1/deliverables/{}/revoke",
        training["id"].as_str().unwrap()
    );
    let send = |token: String, body: &'static str, version: Option<String>| {
        let mut req = s
            .http
            .post(s.url(&revoke))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(v) = version {
            req = req.header("if-match", format!("\"{v}\""));
        }
        req.send()
    };
    let version = Some(training["version"].to_string());
    problem(
        send(
            cell_lab.clone(),
            r#"{"reason":"lapsed","password":"cellpath-demo-2026"}"#,
            None,
        )
        .await
        .unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let p = problem(
        send(
            cell_lab.clone(),
            r#"{"reason":"lapsed","password":"wrong"}"#,
            version.clone(),
        )
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "password", "{p}");
    let res = send(
        cell_lab.clone(),
        r#"{"reason":"Two trained nurses left; roster not current.","password":"cellpath-demo-2026"}"#,
        version,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(
        revoked["revoked_reason"],
        "Two trained nurses left; roster not current."
    );
    let view: Value = gate(cell_lab, main).await.json().await.unwrap();
    assert!(
        view["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "Staff training: not done"),
        "{view}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_program_track_template_is_read_and_replaced_with_if_match() {
    let s = spawn_demo().await;
    let onboarding = s.token("onboarding@helixa.example").await;
    let vantacel = vantacel(&s.app).await;
    let url = s.url(&format!("/api/v1/programs/{vantacel}/track-template"));
    let res = s
        .http
        .get(&url)
        .bearer_auth(&onboarding)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["standard"], true);
    let mut template = view["template"].clone();
    template["items"][0]["days"] = json!([45, 90, 180]);
    let put = |body: Value, version: &str| {
        s.http
            .put(&url)
            .bearer_auth(&onboarding)
            .header("content-type", "application/json")
            .header("if-match", format!("\"{version}\""))
            .body(body.to_string())
            .send()
    };
    let res = put(template.clone(), "1").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_eq!(
        (view["standard"].clone(), view["version"].clone()),
        (json!(false), json!(2))
    );
    template["items"][0]["days"] = json!([90, 45, 180]);
    let p = problem(
        put(template, "2").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("min ≤ most likely ≤ max"),
        "{p}"
    );
    s.shutdown().await;
}

/// Whether `value` fits `schema` of the served OpenAPI document: closed objects (no field
/// the schema lacks, every required one present), arrays, `oneOf`, enums, `$ref`s and the
/// JSON types; enough to catch a schema that refuses real answers, or answers that drift.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        return if options.iter().any(|o| conforms(doc, o, value, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: {value} fits none of {schema}"))
        };
    }
    if let Some(values) = schema["enum"].as_array() {
        return if values.contains(value) {
            Ok(())
        } else {
            Err(format!("{at}: {value} is not one of {schema}"))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let fits = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        return Err(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(object) = value.as_object() {
        let props = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: lacks the required {name}"));
            }
        }
        for (k, v) in object {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: {k} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_live_plan_and_the_onboarding_pipeline_over_the_api() {
    let s = spawn_demo().await;
    let lead = s.token("onboarding@helixa.example").await;
    let stranger = s.token("admin@piedmont.example").await;
    let helixa = s.org_id("Helixa Therapeutics").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let get = |token: String, path: String| {
        let url = s.url(&path);
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };

    let res = get(
        lead.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let plan: Value = res.json().await.unwrap();
    assert_eq!(plan["start"], "2025-06-01", "{plan}");
    assert_eq!(plan["iterations"], 10_000);
    let north = plan["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site_code"] == "LUH-NORTH")
        .unwrap();
    assert_eq!(north["status"], "onboarding");
    assert!(
        north["prediction"]["p90"].as_str().unwrap()
            >= north["prediction"]["p50"].as_str().unwrap()
    );
    assert!(plan["days_saved"][0].as_i64().unwrap() > 0, "{plan}");
    let doc: Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    conforms(&doc, &schema("LivePlan"), &plan, "LivePlan").unwrap();
    assert!(
        !plan["dual_track"]["critical_path"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A bad day is a 422 naming the parameter; a stranger gets 404.
    let res = get(
        lead.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}?on=2026-02-30"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "on", "{problem}");
    let res = get(
        stranger.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = get(lead, "/api/v1/onboarding".into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pipeline: Value = res.json().await.unwrap();
    assert_eq!(pipeline["org_id"], helixa.as_str());
    conforms(
        &doc,
        &schema("OnboardingPipeline"),
        &pipeline,
        "OnboardingPipeline",
    )
    .unwrap();
    // The check itself refuses what does not fit.
    assert!(conforms(&doc, &schema("LivePlan"), &pipeline, "wrong").is_err());
    let rows = pipeline["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["site_code"] == "LUH-MAIN" && r["status"] == "authorized"),
        "{pipeline}"
    );
    assert!(
        rows.iter()
            .filter(|r| r["status"] != "authorized")
            .all(|r| r["prediction"]["p50"].is_string()
                && !r["blockers"].as_array().unwrap().is_empty()),
        "{pipeline}"
    );
    // Piedmont's pipeline holds Northbridge's partnership only.
    let theirs: Value = get(stranger, "/api/v1/onboarding".into())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        theirs["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["program_name"] == "Corvigen"),
        "{theirs}"
    );

    // Paged by partnership: Lakeshore's second partnership (by name) on a page of one, with
    // the counts of both.
    let nurse = s.token("nurse@lakeshore.example").await;
    let whole: Value = get(nurse.clone(), "/api/v1/onboarding".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(whole["partnerships"], 2, "{whole}");
    assert_eq!(whole["next_offset"], Value::Null);
    let res = get(nurse.clone(), "/api/v1/onboarding?limit=1&offset=1".into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    conforms(
        &doc,
        &schema("OnboardingPipeline"),
        &second,
        "OnboardingPipeline",
    )
    .unwrap();
    assert_eq!(
        (&second["limit"], &second["offset"], &second["next_offset"]),
        (&json!(1), &json!(1), &Value::Null),
        "{second}"
    );
    let rows = second["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{second}");
    assert!(
        rows.iter()
            .all(|r| r["partnership_name"] == "Northbridge × Lakeshore: Corvigen"),
        "{second}"
    );
    assert_eq!(
        second["counts"], whole["counts"],
        "the counts are every page's"
    );
    let first: Value = get(nurse.clone(), "/api/v1/onboarding?limit=1".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["next_offset"], 1, "{first}");
    // A page of none is a 422 naming the parameter.
    let res = get(nurse, "/api/v1/onboarding?limit=0".into()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "limit", "{problem}");
    s.shutdown().await;
}

#[tokio::test]
async fn notices_over_the_api_tell_both_sides_of_a_partnership_and_no_one_else() {
    let s = spawn_demo().await;
    let date = |d: &str| cellpath_domain::Date::parse(d).unwrap();
    // The scheduled job's work, 90 days before the demo's agreements lapse.
    assert_eq!(
        s.app
            .send_expiry_reminders(date("2030-03-02"))
            .await
            .unwrap(),
        5
    );
    let get = |token: String, query: &'static str| {
        let url = s.url(&format!("/api/v1/notices{query}"));
        let http = s.http.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let texts = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap().to_string())
            .collect()
    };
    let helixa = get(s.token("contracts@helixa.example").await, "").await;
    let lakeshore = get(s.token("nurse@lakeshore.example").await, "").await;
    assert_eq!(helixa["items"].as_array().unwrap().len(), 6, "{helixa}");
    assert!(
        texts(&helixa).contains(
            &"Master service agreement with Lakeshore University Health expires on 2030-05-31 — 90 days left".to_string()
        ),
        "{helixa}"
    );
    assert!(
        texts(&lakeshore).contains(
            &"Quality agreement for Lakeshore University Hospital with Helixa Therapeutics expires on 2030-05-31 — 90 days left"
                .to_string()
        ),
        "{lakeshore}"
    );
    assert_eq!(helixa["items"][0]["kind"], "expiry_reminder");
    assert_eq!(helixa["items"][5]["kind"], "site_authorized");
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect()
    };
    assert_eq!(
        ids(&helixa),
        ids(&lakeshore),
        "the same notices for both sides"
    );

    // Paged like every list.
    let first = get(s.token("nurse@lakeshore.example").await, "?limit=4").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert_eq!(first["next_offset"], 4);

    // A health system that is not this partnership's party hears nothing of it.
    let stranger = get(s.token("admin@piedmont.example").await, "").await;
    assert_eq!(stranger["items"], json!([]), "{stranger}");
    let res = s.http.get(s.url("/api/v1/notices")).send().await.unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    // After the agreements lapse, the day's review suspends LUH-MAIN: newest for both.
    assert!(
        s.app
            .review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap()
            >= 1
    );
    for email in ["contracts@helixa.example", "nurse@lakeshore.example"] {
        let page = get(s.token(email).await, "?limit=1").await;
        assert_eq!(
            page["items"][0]["kind"], "site_suspended",
            "{email}: {page}"
        );
        assert_eq!(page["items"][0]["on"], "2030-06-01");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn the_servers_hourly_job_records_the_expiry_reminders_due_when_it_starts() {
    use cellpath_app::notices::NoticeKind;
    let db = cellpath_app::testing::TestDb::sqlite().await;
    let clock = cellpath_app::ManualClock::starting_at(crate::support::START);
    let app = cellpath_app::App::new(db.store().await, std::sync::Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.unwrap();
    // Noon on 2030-03-02: 90 days before the demo's agreements lapse.
    let day = cellpath_domain::Date::parse("2030-03-02").unwrap();
    let noon = day.days_since_epoch() * 86_400_000_000 + 43_200_000_000;
    clock.advance_secs((noon - app.now()) / 1_000_000);
    let helixa = crate::support::org_id(&app, "Helixa Therapeutics").await;
    let reminders = || async {
        app.notices(
            &cellpath_app::Caller::system("test"),
            &helixa,
            cellpath_app::views::Page::all(),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == NoticeKind::ExpiryReminder)
        .count()
    };
    assert_eq!(reminders().await, 0);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cellpath_server::serve(app.clone(), listener, async move {
        let _ = stopped.await;
    }));
    // The job runs as the server starts, then hourly.
    let mut seen = 0;
    for _ in 0..100 {
        seen = reminders().await;
        if seen >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 5, "one reminder per executed agreement");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    assert_eq!(reminders().await, 5, "and no more");
}

#[tokio::test]
async fn a_scanner_asks_whether_a_label_reads_and_is_told_what_is_wrong() {
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let ask = |value: &str| {
        s.http
            .get(s.url("/api/v1/identifiers/check"))
            .query(&[("value", value)])
            .bearer_auth(&token)
            .send()
    };
    let good: Value = ask("=W12342500001294").await.unwrap().json().await.unwrap();
    assert_eq!(good["valid"], true);
    assert_eq!(good["printed"], "W1234 25 000012 Y");
    assert_eq!(good["identifier"]["kind"], "isbt128_din");
    let wrong: Value = ask("W1234 25 000012 K")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wrong["valid"], false);
    assert_eq!(wrong["problem"], "check_character");
    assert_eq!(wrong["expected_check"], "Y");
    let unreadable: Value = ask("hello").await.unwrap().json().await.unwrap();
    assert_eq!(unreadable["problem"], "unreadable");
    let missing = s
        .http
        .get(s.url("/api/v1/identifiers/check"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let anonymous = s
        .http
        .get(s.url("/api/v1/identifiers/check?value=W123425000012"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn documents_upload_once_and_are_served_only_to_who_may_read_the_agreement_naming_them() {
    let s = spawn_demo().await;
    let helixa = s.token("contracts@helixa.example").await;
    let pdf = b"%PDF-1.4\n% P&T minutes, Vantacel formulary approval\n%%EOF\n".to_vec();

    // Raw bytes with the name in Content-Disposition.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            "attachment; filename=\"pt-minutes.pdf\"",
        )
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let up: Value = res.json().await.unwrap();
    assert_eq!(up["name"], "pt-minutes.pdf");
    assert_eq!(up["media_type"], "application/pdf");
    assert_eq!(up["size"], pdf.len());
    let sha = up["sha256"].as_str().unwrap().to_string();

    // The same file as multipart: the same document.
    let mut form = b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"again.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".to_vec();
    form.extend_from_slice(&pdf);
    form.extend_from_slice(b"\r\n--b0undary--\r\n");
    let again: Value = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["sha256"], sha.as_str());
    assert_eq!(again["name"], "again.pdf");

    // Another type is refused beside the field, as a problem.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "application/pdf")
        .body(b"GIF89a\x01\x00\x01\x00".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "file", "{p}");

    // Over the limit: refused as a problem before it is read whole.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "text/plain")
        .body(vec![b'a'; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Just under it: kept (the API's own limit is the documents', not the 256 KiB of JSON).
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Attached to an agreement by hash, the API's own way.
    let pship = helixa_lakeshore(&s.app).await;
    let agreements: Value = s
        .http
        .get(s.url(&format!("/api/v1/partnerships/{pship}/agreements")))
        .bearer_auth(&helixa)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agreement = agreements
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "master_service_agreement")
        .unwrap();
    let res = s
        .http
        .post(s.url(&format!(
            "/api/v1/agreements/{}/documents",
            agreement["id"].as_str().unwrap()
        )))
        .bearer_auth(&helixa)
        .header("if-match", format!("\"{}\"", agreement["version"]))
        .json(&json!({ "name": up["name"], "sha256": sha, "bytes": up["size"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    let get = |token: String| {
        let req = s
            .http
            .get(s.url(&format!("/api/v1/documents/{sha}")))
            .bearer_auth(token);
        async move { req.send().await.unwrap() }
    };
    // Both sides' contracts people read it, in its type.
    for email in ["contracts@helixa.example", "contracts@lakeshore.example"] {
        let res = get(s.token(email).await).await;
        assert_eq!(res.status(), StatusCode::OK, "{email}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
    }
    // Another tenant: a problem 404, as for a hash nobody uploaded.
    for (token, what) in [
        (
            s.token("contracts@northbridge.example").await,
            "another tenant",
        ),
        (helixa.clone(), "unknown hash"),
    ] {
        let url = if what == "unknown hash" {
            format!("/api/v1/documents/{}", "f".repeat(64))
        } else {
            format!("/api/v1/documents/{sha}")
        };
        let res = s
            .http
            .get(s.url(&url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{what}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn consent_documents_over_the_api_activate_only_with_the_failure_section_and_move_the_gate() {
    let s = spawn_demo().await;
    let contracts = s.token("contracts@lakeshore.example").await;
    let helixa = s.token("admin@helixa.example").await;
    let vantacel = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let list = s.url(&format!("/api/v1/sites/{main}/consent-documents"));

    // The manufacturer reads the site's versions through the active partnership.
    let docs: Value = s
        .http
        .get(&list)
        .bearer_auth(&helixa)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions = docs["programs"][0]["versions"].as_array().unwrap();
    assert_eq!(versions[0]["status"], "active", "{docs}");
    assert_eq!(docs["may_change"], false);
    // …and does not write them.
    let draft = json!({
        "program_id": vantacel, "document_sha256": "c0".repeat(64 / 2),
        "document_name": "Consent v2.pdf", "effective_on": "2025-11-01",
        "sections": [{ "kind": "other", "heading": "Risks", "text": "Cytokine release syndrome can occur." }],
    });
    let res = s
        .http
        .post(&list)
        .bearer_auth(&helixa)
        .json(&draft)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;

    let res = s
        .http
        .post(&list)
        .bearer_auth(&contracts)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["number"].as_i64(), v["status"].as_str()),
        (Some(2), Some("draft"))
    );
    let activation = s.url(&format!(
        "/api/v1/consent-documents/{}/activation",
        v["id"].as_str().unwrap()
    ));
    let res = s
        .http
        .post(&activation)
        .bearer_auth(&contracts)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_REQUIRED).await;
    let res = s
        .http
        .post(&activation)
        .bearer_auth(&contracts)
        .header("If-Match", "\"1\"")
        .json(&json!({ "password": cellpath_app::demo::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("has no manufacturing-failure section"),
        "{p}"
    );

    // Retiring the active version: the gate's review follows as a job, and the site is
    // suspended for want of an active consent version.
    // It is e-signed: an empty password is asked for beside its field.
    let active = versions[0]["id"].as_str().unwrap();
    let retire = |password: &str| {
        s.http
            .post(s.url(&format!("/api/v1/consent-documents/{active}/retirement")))
            .bearer_auth(&contracts)
            .header("If-Match", format!("\"{}\"", versions[0]["version"]))
            .json(&json!({ "reason": "The IRB withdrew its approval.", "password": password }))
            .send()
    };
    let p = problem(retire("").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "password", "{p}");
    let res = retire(cellpath_app::demo::DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // The review is a job: the server's own worker may hold it while this test runs the due
    // ones, so the gate is read until the review has been recorded (or a generous wait ends).
    let pship = helixa_lakeshore(&s.app).await;
    let mut gate = Value::Null;
    for _ in 0..200 {
        s.app.run_due_jobs().await.unwrap();
        gate = s
            .http
            .get(s.url(&format!(
                "/api/v1/partnerships/{pship}/gate/{main}/{vantacel}"
            )))
            .bearer_auth(&contracts)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if gate["recorded"]["status"] != "authorized" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(gate["authorized"], false, "{gate}");
    assert_eq!(gate["recorded"]["status"], "suspended", "{gate}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_booking_over_the_api_is_asked_for_by_the_site_and_confirmed_as_a_whole_chain() {
    let s = spawn_demo().await;
    let onboarding = s.token("onboarding@helixa.example").await;
    let ops = s.token("patient.ops@helixa.example").await;
    let coordinator = s.token("coordinator@lakeshore.example").await;
    let program = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = s
        .app
        .stored_case(&main)
        .await
        .unwrap()
        .expect("the demo's stored case");
    let capacity_url = s.url(&format!("/api/v1/programs/{program}/capacity"));
    let get = |url: String, token: String| {
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let post = |url: String, token: String, body: Value| {
        let http = s.http.clone();
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // No capacity yet: 404; a bad one names its field; the health system never reads it.
    problem(
        get(capacity_url.clone(), onboarding.clone()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let capacity = json!({
        "apheresis_slots_per_day": 1,
        "manufacturing_slots_per_day": 1,
        "closed": [],
        "lead": {
            "to_start_min_days": 2, "to_start_max_days": 4, "manufacturing_days": 16,
            "transit_days": 2, "arrival_to_infusion_days": 3
        },
        "allocations": []
    });
    let mut bad = capacity.clone();
    bad["manufacturing_slots_per_day"] = json!(0);
    let res = s
        .http
        .put(&capacity_url)
        .bearer_auth(&onboarding)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        p["errors"][0]["field"], "manufacturing_slots_per_day",
        "{p}"
    );
    let res = s
        .http
        .put(&capacity_url)
        .bearer_auth(&onboarding)
        .json(&capacity)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        get(capacity_url.clone(), coordinator.clone()).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The site asks for a day a week on; patient ops read the offer and confirm it.
    let today = cellpath_domain::Date::of_micros(s.app.now());
    let asked = today.plus_days(7);
    let res = post(
        s.url(&format!("/api/v1/cases/{case}/bookings")),
        coordinator.clone(),
        json!({ "asked_on": asked.as_str() }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let booking: Value = res.json().await.unwrap();
    assert_eq!(booking["status"], "requested");
    let id = booking["id"].as_str().unwrap().to_string();
    let offer: Value = get(s.url(&format!("/api/v1/bookings/{id}/offer")), ops.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offer["chain"]["apheresis_on"], asked.as_str(), "{offer}");
    // The site neither reads the offer nor confirms.
    problem(
        post(
            s.url(&format!("/api/v1/bookings/{id}/confirmation")),
            coordinator.clone(),
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = post(
        s.url(&format!("/api/v1/bookings/{id}/confirmation")),
        ops.clone(),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirmed: Value = res.json().await.unwrap();
    assert_eq!(confirmed["chain"], offer["chain"]);
    assert_eq!(
        confirmed["chain"]["expected_infusion_on"],
        asked.plus_days(2 + 16 + 2 + 3).as_str()
    );
    let listed: Value = get(
        s.url(&format!("/api/v1/cases/{case}/bookings")),
        coordinator.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(listed[0]["status"], "confirmed");

    // Cancelling needs a reason; with one, the site cancels and the slots are free again.
    let cancel = s.url(&format!("/api/v1/bookings/{id}/cancellation"));
    let p = problem(
        post(
            cancel.clone(),
            coordinator.clone(),
            json!({ "reason": " " }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "reason", "{p}");
    let res = post(
        cancel,
        coordinator.clone(),
        json!({ "reason": "The patient's counts are too low." }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["chain"].is_null());
    s.shutdown().await;
}
