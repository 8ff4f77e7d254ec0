//! What differs between SQLite and PostgreSQL, kept in one place: URLs, pool shapes and
//! connection settings. The SQL itself is the same for both.

use crate::StoreError;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> Result<Dialect, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(StoreError::Invalid(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB",
                url.chars().take(40).collect::<String>()
            )))
        }
    }

    pub(crate) async fn open_pools(self, url: &str) -> Result<(AnyPool, AnyPool), StoreError> {
        sqlx::any::install_default_drivers();
        match self {
            Dialect::Sqlite => {
                let url = sqlite_url(url);
                let writer = sqlite_options(1).connect(&url).await?;
                let reader = sqlite_options(4).connect(&url).await?;
                Ok((writer, reader))
            }
            Dialect::Postgres => {
                let pool = ping_when_idle(AnyPoolOptions::new())
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok((pool.clone(), pool))
            }
        }
    }
}

/// A connection that waited idle this long is pinged before it is handed out: a database
/// restarted or a TCP connection dropped while it waited shows there, and a dead one is closed
/// and another taken. One in steady use is not pinged: sqlx's own test before every acquire
/// was one more round trip per query (a thread hand-off on SQLite, a network one on
/// PostgreSQL).
const PING_IDLE_AFTER: Duration = Duration::from_secs(10);

fn ping_when_idle(options: AnyPoolOptions) -> AnyPoolOptions {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// `sqlite://path` creates the file when missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Pragmas go in `after_connect`, not the URL (DESIGN.md §6). `synchronous=FULL` makes every
/// commit durable in WAL mode; a test asserts it.
fn sqlite_options(max: u32) -> AnyPoolOptions {
    ping_when_idle(AnyPoolOptions::new())
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA foreign_keys = ON",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}
