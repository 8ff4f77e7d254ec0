//! `spawn_demo()`: the real app and server on 127.0.0.1:0 with a fresh database and the demo
//! data, plus an HTTP client and tokens for demo users; the demo's records the tests look up
//! (`helixa_lakeshore`, `vantacel`, `site_id`); `seed_demo` for a database the `cellpath`
//! binary opens, and `cellpath`/`cellpath_on` to run it.

use cellpath_app::access::Via;
use cellpath_app::testing::TestDb;
use cellpath_app::views::Page;
use cellpath_app::{App, ManualClock, SystemClock};
use std::process::Output;
use std::sync::Arc;

pub const START: i64 = 1_764_000_000_000_000;

pub struct TestServer {
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    pub db: TestDb,
    /// The server's clock, for a test that needs time to pass (e.g. after an infusion).
    pub clock: ManualClock,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` with a bearer token, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A case of the demo's launch whose product is in the site's freezer, taken through its
    /// first infusion; then an hour passes. Its id.
    pub async fn infused_case(&self) -> String {
        let site = site_id(&self.app, "Lakeshore University Health", "LUH-MAIN").await;
        let case = self
            .app
            .stored_case(&site)
            .await
            .unwrap()
            .expect("the demo has a stored case to infuse");
        self.app.through_first_infusion(&case).await.unwrap();
        self.clock.advance_secs(3_600);
        case
    }

    /// A fresh API token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        let user = self
            .app
            .store()
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
        org_id(&self.app, name).await
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
    let clock = ManualClock::starting_at(START);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
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
        clock,
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// The case's invoice, once the invoicing job has made it: the test runs the due jobs itself,
/// and the server's own worker may hold the job at that moment (its lease), so this waits for
/// the effect rather than for either runner (at most 20 s).
pub async fn invoice_made(app: &App, case: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        app.run_due_jobs().await.unwrap();
        if app.store().invoice_of_case(case).await.unwrap().is_some() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no invoice made for case {case}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
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

/// An organization's id by its exact name.
pub async fn org_id(app: &App, name: &str) -> String {
    app.store()
        .organization_by_name(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no org {name}"))
        .id
}

/// The demo's partnership of Helixa Therapeutics with Lakeshore University Health.
pub async fn helixa_lakeshore(app: &App) -> String {
    let helixa = org_id(app, "Helixa Therapeutics").await;
    let lakeshore = org_id(app, "Lakeshore University Health").await;
    app.store()
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .expect("the Helixa × Lakeshore partnership")
        .id
}

/// The demo's Vantacel program of Helixa Therapeutics.
pub async fn vantacel(app: &App) -> String {
    let helixa = org_id(app, "Helixa Therapeutics").await;
    app.store()
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Vantacel")
        .expect("Helixa's Vantacel")
        .id
}

/// The id of the organization's site with this code (e.g. LUH-NORTH).
pub async fn site_id(app: &App, org: &str, code: &str) -> String {
    let org = org_id(app, org).await;
    app.store()
        .sites_of(&org, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == code)
        .unwrap_or_else(|| panic!("no site {code}"))
        .id
}

/// The demo seeded into `db` on the system clock (as the `cellpath` binary will see it); close
/// the app's store before running the binary on `db`.
/// A demo user as the app sees them, signed in.
pub async fn as_user(app: &App, email: &str) -> cellpath_app::Caller {
    let user = app
        .store()
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no demo user {email}"));
    app.caller_for_user(&user.id, Via::Session).await.unwrap()
}

pub async fn seed_demo(db: &TestDb) -> App {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    cellpath_app::demo::seed(&app).await.unwrap();
    app
}

/// A fresh SQLite database with the demo in it, closed for the `cellpath` binary to open.
pub async fn demo_db() -> TestDb {
    let db = TestDb::sqlite().await;
    seed_demo(&db).await.close().await;
    db
}

/// Run the `cellpath` binary (never on a `CELLPATH_DATABASE_URL` of the environment), with
/// `stdin` as its standard input when given.
pub fn cellpath(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cellpath"));
    cmd.args(args).env_remove("CELLPATH_DATABASE_URL");
    match stdin {
        Some(text) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
        None => cmd.output().unwrap(),
    }
}

/// `cellpath ARGS… --database-url URL`.
pub fn cellpath_on(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    cellpath(&all, stdin)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}
