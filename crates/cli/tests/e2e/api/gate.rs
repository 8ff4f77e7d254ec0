//! The release gate over the API: authorized, or what is missing.

use super::{post, problem};
use crate::support::{helixa_lakeshore, site_id, spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::Value;

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
