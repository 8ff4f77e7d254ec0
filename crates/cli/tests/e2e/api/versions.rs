//! Optimistic concurrency: an update names the version it last read (`If-Match`) and a stale
//! one is refused.

use super::problem;
use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn updates_need_the_version_last_read() {
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
    let res = s.http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");
    let patch = |if_match: Option<&'static str>, body: Value| {
        let mut req = s.http.patch(&url).bearer_auth(&token).json(&body);
        if let Some(v) = if_match {
            req = req.header("if-match", v);
        }
        req.send()
    };
    problem(
        patch(None, json!({ "city": "Beaverton" })).await.unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let ok = patch(Some("\"1\""), json!({ "city": "Beaverton" }))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers().get("etag").unwrap(), "\"2\"");
    let stale = problem(
        patch(Some("\"1\""), json!({ "city": "Salem" }))
            .await
            .unwrap(),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(stale["type"], "/problems/precondition-failed");
    assert!(
        stale["detail"].as_str().unwrap().contains("version 2"),
        "{stale}"
    );
    problem(
        patch(Some("latest"), json!({ "city": "Salem" }))
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Helixa has only proposed a partnership to Cascade: the site stays closed (404). Once
    // Cascade accepts, Helixa reads the site (200) but may not change it (403); a stranger
    // still gets 404.
    let helixa = s.token("onboarding@helixa.example").await;
    let northbridge = s.token("onboarding@northbridge.example").await;
    problem(
        s.http.get(&url).bearer_auth(&helixa).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let proposal = s
        .app
        .store()
        .partnerships_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .remove(0);
    let contracts = s
        .app
        .store()
        .user_by_email("contracts@cascade.example")
        .await
        .unwrap()
        .unwrap();
    let accepter = s
        .app
        .caller_for_user(&contracts.id, cellpath_app::access::Via::Session)
        .await
        .unwrap();
    s.app
        .update_partnership(
            &accepter,
            &proposal.id,
            proposal.version,
            cellpath_app::records::partnerships::PartnershipPatch {
                status: Some("active".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth(&helixa)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let res = s
        .http
        .patch(&url)
        .bearer_auth(&helixa)
        .header("if-match", "\"2\"")
        .json(&json!({ "city": "X" }))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
    problem(
        s.http
            .get(&url)
            .bearer_auth(&northbridge)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    s.shutdown().await;
}
