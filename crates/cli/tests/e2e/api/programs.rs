//! Programs over the API: the track template, read and replaced under `If-Match`.

use super::problem;
use crate::support::{spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

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
