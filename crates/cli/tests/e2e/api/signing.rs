//! Signing over the API: a token alone cannot sign, the password is asked again, and wrong
//! passwords pause signing without locking the person out of the web.

use super::{post, problem};
use crate::support::{TestServer, spawn_demo};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The web sign-in form as a browser posts it: its nonce cookie and its signed token.
async fn web_sign_in(s: &TestServer, email: &str, password: &str) -> StatusCode {
    let form = s.http.get(s.url("/login")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("cellpath_login_csrf="))
        .expect("the sign-in cookie");
    let page = form.text().await.unwrap();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_string();
    s.http
        .post(s.url("/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn signing_over_the_api_needs_the_password_too() {
    let s = spawn_demo().await;
    let token = s.token("quality@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let head: Value = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/ledgers/{org}/signatures");
    let body = |password: &str| {
        json!({ "signs": { "target": "event", "event_hash": head["head_hash"] }, "meaning": "reviewed", "password": password }).to_string()
    };
    problem(post(&s, &token, &path, &json!({ "signs": { "target": "event", "event_hash": head["head_hash"] }, "meaning": "reviewed" }).to_string()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let p = problem(
        post(&s, &token, &path, &body("guess-guess-guess")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "password");
    let res = post(&s, &token, &path, &body(cellpath_app::demo::DEMO_PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let sig: Value = res.json().await.unwrap();
    assert_eq!(sig["meaning"], "reviewed");
    // The signature names the token it came through (`s.token` names its tokens "test").
    let quality = s
        .app
        .store()
        .user_by_email("quality@lakeshore.example")
        .await
        .unwrap()
        .unwrap();
    let token_id = s.app.store().api_tokens_of(&quality.id).await.unwrap()[0]
        .id
        .clone();
    let channel = json!({ "via": "api_token", "token_id": token_id, "token_name": "test" });
    assert_eq!(sig["channel"], channel);
    let verify: Value = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}/verify")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["result"], "intact");
    let export = s
        .http
        .get(s.url(&format!("/api/v1/ledgers/{org}/export")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let report =
        cellpath_app::audit::verify_export(&export, Some(sig["event_hash"].as_str().unwrap()));
    assert!(report.is_intact(), "{report:?}");
    let line: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
    assert_eq!(line["payload"]["channel"], channel, "the export carries it");
    s.shutdown().await;
}

#[tokio::test]
async fn wrong_signing_passwords_through_a_token_pause_signing_but_not_the_web_sign_in() {
    let s = spawn_demo().await;
    let token = s.token("nurse@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let head = s
        .app
        .store()
        .ledger_head(&org)
        .await
        .unwrap()
        .unwrap()
        .head_hash;
    let path = format!("/api/v1/ledgers/{org}/signatures");
    let body = |password: &str| {
        json!({ "signs": { "target": "event", "event_hash": head }, "meaning": "performed", "password": password }).to_string()
    };
    for _ in 0..5 {
        problem(
            post(&s, &token, &path, &body("guess-guess-guess")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let paused = problem(
        post(&s, &token, &path, &body(cellpath_app::demo::DEMO_PASSWORD)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(paused["errors"][0]["field"], "password");
    assert_eq!(
        paused["errors"][0]["message"],
        "too many wrong passwords re-entered to sign: signing is paused for 15 more minute(s) (signing in is not affected); an admin can reset your password"
    );
    // The same person signs in on the web, and the token still reads.
    assert_eq!(
        web_sign_in(
            &s,
            "nurse@lakeshore.example",
            cellpath_app::demo::DEMO_PASSWORD
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let me = s
        .http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    s.shutdown().await;
}
