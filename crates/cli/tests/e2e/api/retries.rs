//! Idempotent retries: a POST retried with its `Idempotency-Key` writes once and answers as
//! the first time, and what a retry replays keeps no secrets.

use super::problem;
use crate::support::{spawn_demo, spawn_each};
use reqwest::StatusCode;
use serde_json::{Value, json};

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
