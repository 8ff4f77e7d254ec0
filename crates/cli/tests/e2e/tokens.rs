//! API tokens as a script meets them: one with a last day stops at its end with a 401 that
//! says it expired; a read-only one reads and every write through it answers 403.

use crate::support::{TestServer, spawn_each};
use cellpath_domain::Date;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn problem(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    res.json().await.unwrap()
}

/// `GET /api/v1/tokens` with `token`: the tokens of its owner.
async fn list_with(s: &TestServer, token: &str) -> reqwest::Response {
    s.http
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_expired_token_is_refused_saying_so_and_a_read_only_token_cannot_write() {
    for s in spawn_each().await {
        let owner = s.token("quality@lakeshore.example").await;
        let today = Date::of_micros(s.app.now());
        let create = |body: Value| {
            s.http
                .post(s.url("/api/v1/tokens"))
                .bearer_auth(&owner)
                .json(&body)
                .send()
        };

        // A last day in the past is refused, naming the field.
        let past = create(json!({ "name": "old", "expires_on": today.plus_days(-1).as_str() }))
            .await
            .unwrap();
        let body = problem(past, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], "expires_on", "{body}");

        // A token with a last day, and one that may only read; both say so when listed.
        let res = create(json!({ "name": "nightly", "expires_on": today.as_str() }))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let expiring: Value = res.json().await.unwrap();
        assert_eq!(expiring["expires_on"], today.as_str());
        assert_eq!(expiring["read_only"], false);
        let res = create(json!({ "name": "dashboard", "read_only": true }))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let reader: Value = res.json().await.unwrap();
        assert_eq!(reader["read_only"], true);
        assert_eq!(reader["expires_on"], Value::Null);
        let reader_token = reader["token"].as_str().unwrap().to_string();

        // The read-only token reads …
        let listed = list_with(&s, &reader_token).await;
        assert_eq!(listed.status(), StatusCode::OK);
        let listed: Value = listed.json().await.unwrap();
        let by_name = |name: &str| {
            listed
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("no token {name} in {listed}"))
        };
        assert_eq!(by_name("dashboard")["read_only"], true);
        assert_eq!(by_name("nightly")["expires_on"], today.as_str());

        // … and every write through it answers 403, whatever its body: nothing is written.
        let revoke = format!("/api/v1/tokens/{}/revoke", reader["id"].as_str().unwrap());
        for (path, body) in [
            ("/api/v1/tokens", json!({ "name": "escalate" })),
            ("/api/v1/tokens", json!({ "not": "even valid" })),
            (revoke.as_str(), json!({})),
        ] {
            let res = s
                .http
                .post(s.url(path))
                .bearer_auth(&reader_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let body = problem(res, StatusCode::FORBIDDEN).await;
            assert_eq!(body["title"], "This token is read-only", "{body}");
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("this token is read-only"),
                "{body}"
            );
        }
        let after: Value = list_with(&s, &owner).await.json().await.unwrap();
        assert_eq!(after, listed, "the refused writes changed nothing");

        // The day after its last day, the expiring token is refused: 401, saying it expired.
        let expiring_token = expiring["token"].as_str().unwrap().to_string();
        let read = || list_with(&s, &expiring_token);
        assert_eq!(read().await.status(), StatusCode::OK);
        s.clock.advance_secs(86_400);
        let body = problem(read().await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["title"], "The token has expired", "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("expired") && detail.contains(&today.words()),
            "{detail}"
        );
        s.shutdown().await;
    }
}
