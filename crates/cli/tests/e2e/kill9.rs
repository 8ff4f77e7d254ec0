//! Durability: `kill -9` the server in the middle of a burst of concurrent writes; after a
//! restart every write that was answered 2xx is there, and every ledger verifies.

use crate::support::{cellpath_on, stdout};
use cellpath_app::records::organizations::OrganizationInput;
use cellpath_app::records::users::UserInput;
use cellpath_app::{App, Caller, SystemClock};
use cellpath_store::testing::TestDb;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cellpath"))
        .args([
            "serve",
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cellpath serve")
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    for db in TestDb::all().await {
        // Prepare an organization, its admin and a token, then let go of the database.
        let (org, token) = {
            let app = App::new(db.store().await, Arc::new(SystemClock));
            let op = Caller::system("test");
            let org = app
                .create_organization(
                    &op,
                    OrganizationInput {
                        kind: "health_system".into(),
                        name: "Durable Health".into(),
                    },
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            let user = app
                .create_user(
                    &op,
                    &org.id,
                    UserInput {
                        email: "admin@durable.example".into(),
                        name: "Ada Admin".into(),
                        role: "admin".into(),
                        password: "durable-password-1".into(),
                    },
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            let caller = app
                .caller_for_user(&user.id, cellpath_app::access::Via::Session)
                .await
                .unwrap();
            let token = app
                .create_api_token(&caller, "burst", None)
                .await
                .unwrap()
                .fresh()
                .unwrap()
                .token;
            app.store.close().await;
            (org.id, token)
        };
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut child = start(&db.url, port);
        wait_ready(&http, &base).await;

        let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut writers = Vec::new();
        for w in 0..8 {
            let (http, base, token, org, acked) = (
                http.clone(),
                base.clone(),
                token.clone(),
                org.clone(),
                acknowledged.clone(),
            );
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let body = json!({ "name": format!("Burst {w}-{i}"), "code": format!("B{w}-{i}"), "city": "Chicago", "region": "IL" });
                    match http.post(format!("{base}/api/v1/organizations/{org}/sites")).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<Value>().await {
                                acked.lock().unwrap().push(v["id"].as_str().unwrap_or_default().to_string());
                            }
                        }
                        _ => break, // the server is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        child.kill().expect("kill -9"); // SIGKILL on unix: no shutdown, no flush
        child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let acked = acknowledged.lock().unwrap().clone();
        assert!(
            acked.len() > 10,
            "{}: only {} writes before the kill",
            db.label,
            acked.len()
        );

        let mut child = start(&db.url, port);
        wait_ready(&http, &base).await;
        for id in &acked {
            let r = http
                .get(format!("{base}/api/v1/sites/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                200,
                "{}: acknowledged site {id} is missing after kill -9",
                db.label
            );
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let out = cellpath_on(&db.url, &["audit", "verify"], None);
        assert!(out.status.success(), "{}: {}", db.label, stdout(&out));
    }
}
