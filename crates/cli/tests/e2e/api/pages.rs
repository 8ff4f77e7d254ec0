//! Lists over the API come in pages.

use crate::support::spawn_demo;
use serde_json::Value;

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
