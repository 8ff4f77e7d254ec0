//! The directory over the API: users and their roles.

use super::problem;
use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::json;

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
