//! A health system's payers, claims and exposure over the API (issue 14, points 2 and 3): its
//! finance people start from the default payer profiles, a bad profile is a 422 naming each
//! field, its exposure answers as the document says; the manufacturer finds none of it.

use super::{conforms, post, problem};
use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn finance_starts_from_default_payers_reads_its_exposure_and_bad_input_names_its_fields() {
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
    let token = s.token("finance@lakeshore.example").await;
    let res = post(&s, &token, "/api/v1/payer-profiles/defaults", "").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made.as_array().map(Vec::len), Some(2), "{made}");
    conforms(
        &doc,
        &json!({ "$ref": "#/components/schemas/PayerProfileList" }),
        &made,
        "defaults",
    )
    .unwrap();

    let bad = json!({
        "name": "Medicaid", "fixed_cents": 0, "price_share": 1.0,
        "lag_median_days": 60, "lag_p90_days": 30,
        "denial_rate": 1.5, "appeal_success_rate": 0.5,
        "appeal_median_days": 100, "appeal_p90_days": 120
    });
    let p = problem(
        post(&s, &token, "/api/v1/payer-profiles", &bad.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["lag_p90_days", "denial_rate"], "{p}");

    problem(
        post(
            &s,
            &token,
            "/api/v1/claims/nope/steps",
            r#"{"step": "paid", "on": "2026-01-01", "amount_cents": 1}"#,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let res = s
        .http
        .get(s.url("/api/v1/exposure"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let exposure: Value = res.json().await.unwrap();
    conforms(
        &doc,
        &json!({ "$ref": "#/components/schemas/ExposureView" }),
        &exposure,
        "exposure",
    )
    .unwrap();

    let helixa = s.token("finance@helixa.example").await;
    let res = s
        .http
        .get(s.url("/api/v1/exposure"))
        .bearer_auth(&helixa)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::NOT_FOUND).await;
    s.shutdown().await;
}
