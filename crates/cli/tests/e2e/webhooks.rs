//! Webhook endpoints through the API and the CLI: an admin creates one and reads its secret in
//! that answer only (an idempotent repeat answers it redacted), another organization's admin
//! gets 404 for it, a bad URL is a 422 naming the field, and `cellpath webhooks list` shows it.

use crate::support::{cellpath_on, spawn_each, stdout};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn an_admin_creates_an_endpoint_its_secret_shown_once_and_another_tenant_finds_nothing() {
    for s in spawn_each().await {
        let admin = s.token("admin@helixa.example").await;
        let post = |body: Value, key: &'static str| {
            s.http
                .post(s.url("/api/v1/webhook-endpoints"))
                .bearer_auth(&admin)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };
        let bad = post(json!({ "url": "ftp://x.example/y" }), "k-bad")
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = bad.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "url", "{problem}");

        let body = json!({ "url": "http://127.0.0.1:9/hook", "kinds": ["site_suspended"] });
        let res = post(body.clone(), "k-1").await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{created}");
        let id = created["endpoint"]["id"].as_str().unwrap().to_string();
        assert_eq!(created["endpoint"]["status"], "active");
        // The same request again: the same endpoint, the secret not shown again.
        let again: Value = post(body, "k-1").await.unwrap().json().await.unwrap();
        assert_eq!(again["endpoint"]["id"], id.as_str());
        assert!(!again["secret"].as_str().unwrap().starts_with("whsec_"));

        let listed = s.get_json("/api/v1/webhook-endpoints", &admin).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let attempts = s
            .get_json(&format!("/api/v1/webhook-endpoints/{id}/attempts"), &admin)
            .await;
        assert_eq!(attempts, json!([]));

        let other = s.token("admin@lakeshore.example").await;
        for (method, path) in [
            ("get", format!("/api/v1/webhook-endpoints/{id}")),
            ("get", format!("/api/v1/webhook-endpoints/{id}/attempts")),
            (
                "post",
                format!("/api/v1/webhook-endpoints/{id}/rotate-secret"),
            ),
            ("post", format!("/api/v1/webhook-endpoints/{id}/disable")),
        ] {
            let req = if method == "get" {
                s.http.get(s.url(&path))
            } else {
                s.http.post(s.url(&path))
            };
            let res = req.bearer_auth(&other).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
        let theirs = s.get_json("/api/v1/webhook-endpoints", &other).await;
        assert_eq!(theirs, json!([]));

        let out = cellpath_on(
            &s.db.url,
            &["webhooks", "list", "--org", "Helixa Therapeutics"],
            None,
        );
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("http://127.0.0.1:9/hook"),
            "{}",
            stdout(&out)
        );
        let out = cellpath_on(&s.db.url, &["webhooks", "attempts", "whk_nope"], None);
        assert!(!out.status.success());
    }
}
