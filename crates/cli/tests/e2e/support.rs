//! `spawn_demo()`: the real app and server on 127.0.0.1:0 with a fresh database and the demo
//! data, plus an HTTP client and tokens for demo users.

use cellpath_app::access::Via;
use cellpath_app::{App, ManualClock};
use cellpath_store::testing::TestDb;
use std::sync::Arc;

pub const START: i64 = 1_764_000_000_000_000;

pub struct TestServer {
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fresh API token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        let user = self
            .app
            .store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no demo user {email}"));
        let caller = self
            .app
            .caller_for_user(&user.id, Via::Session)
            .await
            .unwrap();
        self.app
            .create_api_token(&caller, "test", None)
            .await
            .unwrap()
            .fresh()
            .unwrap()
            .token
    }

    pub async fn org_id(&self, name: &str) -> String {
        self.app
            .store
            .organization_by_name(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no org {name}"))
            .id
    }

    /// Stop accepting, let in-flight requests finish, and wait for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }
}

pub async fn spawn_on(db: TestDb) -> TestServer {
    let app = App::new(db.store().await, Arc::new(ManualClock::starting_at(START)));
    cellpath_app::demo::seed(&app).await.expect("seed the demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(cellpath_server::serve(app.clone(), listener, async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestServer {
        base,
        app,
        http,
        db,
        stop: Some(tx),
        handle: Some(handle),
    }
}

pub async fn spawn_demo() -> TestServer {
    spawn_on(TestDb::sqlite().await).await
}

/// The demo on every configured database.
pub async fn spawn_each() -> Vec<TestServer> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        out.push(spawn_on(db).await);
    }
    out
}
