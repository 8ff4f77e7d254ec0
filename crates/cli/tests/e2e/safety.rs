//! Safety reports over the API (issue 12, point 5), on every configured database: a CRS the
//! site's nurse records reaches the manufacturer's safety officer as a report (pending first,
//! "CRS grade 3" with why); the report's ETag is its version and the acknowledgement needs it
//! (428 without, 412 once the adverse event changed, 409 a second time); quality reads but may
//! not acknowledge (403); the manufacturer's other roles, the other manufacturer and the health
//! system's people get 404 for the report (403 for a list they may not read); the site's case
//! shows the acknowledgement.

use crate::support::{TestServer, spawn_each};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn send(
    s: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = match method {
        "get" => s.http.get(s.url(path)),
        _ => s.http.post(s.url(path)),
    }
    .bearer_auth(token);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (status, etag, res.json().await.unwrap_or(Value::Null))
}

fn crs(litres: u16) -> Value {
    json!({ "temperature_tenths_c": 391,
        "oxygen": { "device": "nasal_cannula", "litres_per_minute": litres } })
}

#[tokio::test]
async fn a_safety_report_is_read_and_acknowledged_over_the_api_by_the_manufacturers_safety_officer()
{
    for s in spawn_each().await {
        let case = s.infused_case().await;
        let nurse = s.token("nurse@lakeshore.example").await;
        let safety = s.token("safety@helixa.example").await;
        let quality = s.token("quality@helixa.example").await;
        let (status, _, acted) = send(
            &s,
            &nurse,
            "post",
            &format!("/api/v1/cases/{case}/adverse-events"),
            None,
            Some(json!({ "kind": "crs", "onset": "2025-11-24T16:30",
                "observations": [{ "at": "2025-11-24T16:45", "crs": crs(7) }] })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{acted}");
        let id = format!("{case}-ae1");
        let path = format!("/api/v1/safety-reports/{id}");

        // The list: pending first, paged
        let (status, _, page) = send(
            &s,
            &safety,
            "get",
            "/api/v1/safety-reports?status=pending&limit=50",
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let item = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{page}"))
            .clone();
        assert_eq!(item["grade_text"], "CRS grade 3");
        assert_eq!(item["state"]["pending"], true);
        assert!(
            item["because"]
                .as_array()
                .unwrap()
                .contains(&json!("nasal cannula at 7 L/min: grade 3")),
            "{item}"
        );
        let (status, _, bad) = send(
            &s,
            &safety,
            "get",
            "/api/v1/safety-reports?status=someday",
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

        // One report: its version as the ETag; the pseudonym, never the patient
        let (status, etag, report) = send(&s, &safety, "get", &path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(etag.as_deref(), Some("\"1\""));
        assert_eq!(report["may_acknowledge"], true);
        assert!(report["pseudonym"].as_str().unwrap().starts_with("VAN-"));
        assert!(!report.to_string().contains("date_of_birth"));
        assert_eq!(
            report["adverse_event_detail"]["observations"][0]["findings"]["crs"]["oxygen"]["litres_per_minute"],
            7
        );

        // Who else: quality reads, may not acknowledge; the rest never learn it exists
        let (status, _, _) = send(&s, &quality, "get", &path, None, None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, p) = send(
            &s,
            &quality,
            "post",
            &format!("{path}/acknowledgement"),
            Some("\"1\""),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        for email in [
            "patient.ops@helixa.example",
            "admin@helixa.example",
            "safety@northbridge.example",
            "nurse@lakeshore.example",
            "quality@lakeshore.example",
            "coordinator@cascade.example",
        ] {
            let token = s.token(email).await;
            let (status, _, p) = send(&s, &token, "get", &path, None, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{email}: {p}");
            let (status, _, p) = send(
                &s,
                &token,
                "post",
                &format!("{path}/acknowledgement"),
                Some("\"1\""),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{email}: {p}");
            let (status, _, list) =
                send(&s, &token, "get", "/api/v1/safety-reports", None, None).await;
            match status {
                StatusCode::FORBIDDEN => {}
                StatusCode::OK => assert!(!list.to_string().contains(&id), "{email}: {list}"),
                other => panic!("{email}: {other} {list}"),
            }
        }

        // The acknowledgement: If-Match required, then recorded with who
        let ack = format!("{path}/acknowledgement");
        let (status, _, p) = send(&s, &safety, "post", &ack, None, None).await;
        assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{p}");
        let (status, etag, done) = send(&s, &safety, "post", &ack, Some("\"1\""), None).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(etag.as_deref(), Some("\"1\""));
        assert_eq!(done["state"]["pending"], false);
        assert_eq!(done["state"]["acknowledged"]["version"], 1);
        let (status, _, p) = send(&s, &safety, "post", &ack, Some("\"1\""), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{p}");

        // The site's case shows it
        let (_, _, read) = send(
            &s,
            &nurse,
            "get",
            &format!("/api/v1/cases/{case}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            read["adverse_events"][0]["safety_report"]["pending"], false,
            "{read}"
        );

        // A later observation: version 2, pending again; the old version is refused (412)
        let (status, _, p) = send(
            &s,
            &nurse,
            "post",
            &format!("/api/v1/cases/{case}/adverse-events/1/observations"),
            None,
            Some(json!({ "at": "2025-11-24T17:00", "crs": crs(4) })),
        )
        .await;
        assert!(status.is_success(), "{status} {p}");
        let (_, etag, report) = send(&s, &safety, "get", &path, None, None).await;
        assert_eq!(etag.as_deref(), Some("\"2\""));
        assert_eq!(report["state"]["updated_since_acknowledged"], true);
        let (status, _, p) = send(&s, &safety, "post", &ack, Some("\"1\""), None).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{p}");
        let (status, _, done) = send(&s, &safety, "post", &ack, Some("\"2\""), None).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["state"]["acknowledged"]["version"], 2);
        s.shutdown().await;
    }
}

/// `cellpath safety list|show`: the operator reads a manufacturer's reports by pseudonym, the
/// pending first; an unknown manufacturer or report is one line and a non-zero exit.
#[tokio::test]
async fn the_operator_lists_and_shows_safety_reports() {
    use crate::support::{cellpath_on, site_id, stderr, stdout};
    use cellpath_app::{App, ManualClock};
    let db = cellpath_app::testing::TestDb::sqlite().await;
    let clock = ManualClock::starting_at(1_764_000_000_000_000);
    let app = App::new(db.store().await, std::sync::Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.unwrap();
    let site = site_id(&app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = app.stored_case(&site).await.unwrap().unwrap();
    app.through_first_infusion(&case).await.unwrap();
    clock.advance_secs(2 * 86_400);
    cellpath_app::demo::record_adverse_events(&app, &case)
        .await
        .unwrap();
    let safety = {
        let u = app
            .store()
            .user_by_email("safety@helixa.example")
            .await
            .unwrap()
            .unwrap();
        app.caller_for_user(&u.id, cellpath_app::access::Via::Session)
            .await
            .unwrap()
    };
    let crs = format!("{case}-ae1");
    app.acknowledge_safety_report(&safety, &crs, Some(4), None)
        .await
        .unwrap();
    app.close().await;
    let url = db.url.as_str();

    let out = cellpath_on(
        url,
        &["safety", "list", "--org", "Helixa Therapeutics", "--json"],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        listed[0]["grade_text"], "ICANS grade 2",
        "the pending first"
    );
    assert_eq!(listed[1]["id"], crs.as_str());
    let out = cellpath_on(
        url,
        &[
            "safety",
            "list",
            "--org",
            "Helixa Therapeutics",
            "--status",
            "pending",
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("ICANS grade 2") && !text.contains("CRS grade 3"),
        "{text}"
    );
    assert!(
        text.contains("not acknowledged by the manufacturer yet"),
        "{text}"
    );
    let out = cellpath_on(url, &["safety", "show", &crs], None);
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    assert!(text.starts_with("CRS grade 3 — case VAN-"), "{text}");
    assert!(text.contains("nasal cannula at 8 L/min: grade 3"), "{text}");
    assert!(text.contains("acknowledged by "), "{text}");
    assert!(text.contains("treated: tocilizumab"), "{text}");
    for args in [
        &["safety", "list", "--org", "Nobody Inc"][..],
        &["safety", "list", "--org", "Lakeshore University Health"][..],
        &["safety", "show", "case_nothing-ae1"][..],
    ] {
        let out = cellpath_on(url, args, None);
        assert!(!out.status.success(), "{args:?}: {out:?}");
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{args:?}: {out:?}");
    }
}
