//! Fresh databases for tests: a temporary SQLite file always, and a PostgreSQL database
//! cloned from a migrated template when `CELLPATH_TEST_POSTGRES_URL` is set (DESIGN.md §6).
//! Every store test runs on each database `TestDb::all()` returns.

use crate::Store;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyPoolOptions;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::OnceCell;

pub const POSTGRES_ENV: &str = "CELLPATH_TEST_POSTGRES_URL";

/// A database that lives as long as the value: a temporary directory for SQLite, a cloned
/// database for PostgreSQL (dropped when the value is).
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static CLONE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// `postgres://u@h:p/db` → the same server with another database.
fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a postgres URL has a path");
    let query = url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{db}{query}")
}

impl TestDb {
    /// A new, migrated SQLite database in a temporary file.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::open(&url)
            .await
            .expect("migrate a new SQLite database");
        store.close().await;
        TestDb {
            url,
            label: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// A new, migrated PostgreSQL database, if the environment names a server.
    pub async fn postgres() -> Option<TestDb> {
        let server = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())?;
        Some(TestDb::postgres_at(&server).await)
    }

    /// A new, migrated database on the PostgreSQL server at `server` (a URL of any database
    /// on it), dropped when the value is.
    pub async fn postgres_at(server: &str) -> TestDb {
        let server = server.to_string();
        sqlx::any::install_default_drivers();
        let template = TEMPLATE
            .get_or_init(|| async {
                // One template per schema version, kept between runs (cloning is ~70 ms;
                // migrating each time would be slower).
                let name = format!("cellpath_tmpl_{}", crate::migrate::fingerprint());
                let admin = AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&server)
                    .await
                    .expect("connect to CELLPATH_TEST_POSTGRES_URL");
                let exists: Option<(i64,)> =
                    sqlx::query_as("SELECT CAST(1 AS BIGINT) FROM pg_database WHERE datname = $1")
                        .bind(&name)
                        .fetch_optional(&admin)
                        .await
                        .expect("look for the template database");
                if exists.is_none() {
                    let building = format!("{name}_{}", unique_suffix());
                    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {building}")))
                        .execute(&admin)
                        .await
                        .expect("create the template database");
                    let store = Store::open(&with_database(&server, &building))
                        .await
                        .expect("migrate the template database");
                    store.close().await;
                    // Renamed only once complete, so a half-built template is never used.
                    let renamed = sqlx::query(AssertSqlSafe(format!(
                        "ALTER DATABASE {building} RENAME TO {name}"
                    )))
                    .execute(&admin)
                    .await;
                    if renamed.is_err() {
                        let _ = sqlx::query(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {building}"
                        )))
                        .execute(&admin)
                        .await;
                    }
                }
                admin.close().await;
                name
            })
            .await;
        let name = format!("cellpath_test_{}", unique_suffix());
        {
            // CREATE DATABASE … TEMPLATE refuses while another copy of the template is made.
            let _guard = CLONE_LOCK.lock().await;
            let admin = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&server)
                .await
                .expect("connect to the test server");
            sqlx::query(AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE {template}"
            )))
            .execute(&admin)
            .await
            .expect("clone the template database");
            admin.close().await;
        }
        TestDb {
            url: with_database(&server, &name),
            label: "postgres",
            _dir: None,
            pg_drop: Some((server, name)),
        }
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    /// Run SQL on the database behind the application's back (tests of what `audit verify
    /// --state` finds: a row edited, added or deleted without an event).
    pub async fn execute_behind_the_apps_back(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .expect("connect to the test database");
        sqlx::query(AssertSqlSafe(sql.to_string()))
            .execute(&pool)
            .await
            .expect("run the tampering SQL");
        pool.close().await;
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.pg_drop.take() else {
            return;
        };
        // Drop runs outside async; a small runtime on its own thread drops the database.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(admin) = AnyPoolOptions::new()
                        .max_connections(1)
                        .connect(&server)
                        .await
                    {
                        let _ = sqlx::query(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&admin)
                        .await;
                        admin.close().await;
                    }
                });
            }
        })
        .join();
    }
}
