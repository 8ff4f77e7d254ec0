//! Bad requests over the API: a clear 4xx in problem+json that names what to fix, never a 500.

use super::{post, problem};
use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

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
