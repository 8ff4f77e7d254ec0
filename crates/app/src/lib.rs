//! Commands and queries of cellpath. Every write is a command that checks the access policy,
//! builds one event with old and new values, and appends it through the store in the same
//! transaction as its projection. The API, the web pages, the CLI and the demo all call this
//! crate; none of them talks to the store directly.

pub mod access;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod bookings;
pub mod cases;
pub mod clock;
pub mod consent;
pub mod contracting;
pub mod demo;
pub mod documents;
pub mod error;
pub mod figures;
pub mod finance;
pub mod ids;
pub mod inbox;
pub mod jobs;
pub mod notices;
pub mod onboarding;
pub mod outbox;
mod plan_cache;
pub mod plans;
pub mod programs;
pub mod readiness;
pub mod records;
pub mod release_exceptions;
pub mod safety;
pub mod signatures;
pub mod sitemaps;
mod step_index;
#[cfg(feature = "testing")]
pub mod testing;
pub mod views;
pub mod waitlist;
mod write;
pub mod zone;

pub use access::Caller;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, FieldError, Fields};
pub use jobs::{Job, JobsRun, ListedJob};
pub use write::{Idem, Outcome};

use cellpath_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Limits of authentication; defaults suit a hospital: a nurse locked out mid-infusion is a
/// safety problem, so lock-outs are short.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_idle_micros: i64,
    pub session_absolute_micros: i64,
    pub lockout_threshold: i64,
    pub lockout_micros: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        const MINUTE: i64 = 60 * 1_000_000;
        AuthSettings {
            session_idle_micros: 30 * MINUTE,
            session_absolute_micros: 12 * 60 * MINUTE,
            lockout_threshold: 5,
            lockout_micros: 15 * MINUTE,
        }
    }
}

#[derive(Clone)]
pub struct App {
    /// Private: the API, the web and the CLI read and write only through the app's commands
    /// and queries (the `testing` feature lends it to tests).
    store: Store,
    clock: Arc<dyn Clock>,
    pub auth: AuthSettings,
    appends: Arc<AtomicU64>,
    password_checks: Arc<AtomicU64>,
    session_touches: Arc<AtomicU64>,
    plans: Arc<plan_cache::PlanCache>,
    /// The maps cases run on, by site map version (a version cases run on is signed by both
    /// sides and never changes again).
    case_maps: Arc<
        std::sync::RwLock<
            std::collections::HashMap<String, Arc<cellpath_domain::journey::CaseMap>>,
        >,
    >,
    jobs: jobs::Jobs,
    /// The gate deliverables a health system's sites miss, kept per organization while the
    /// ledgers they are judged from stand still (the inbox and its count in the navigation).
    gate_gaps: inbox::GateGapsKept,
    /// Where uploaded documents' bytes are kept: the database unless a directory is set.
    documents: Arc<dyn cellpath_store::DocumentStore>,
    /// One chain chosen at a time per program in this process (`bookings::SlotTurns`).
    slot_turns: bookings::SlotTurns,
    /// How the outbox's messages leave: the HTTP client, the SMTP server, the links' site.
    outbox: outbox::Delivery,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> App {
        App {
            clock,
            auth: AuthSettings::default(),
            appends: Arc::new(AtomicU64::new(0)),
            password_checks: Arc::new(AtomicU64::new(0)),
            session_touches: Arc::new(AtomicU64::new(0)),
            plans: Arc::new(plan_cache::PlanCache::default()),
            case_maps: Arc::default(),
            jobs: jobs::Jobs::default(),
            gate_gaps: inbox::GateGapsKept::default(),
            documents: Arc::new(cellpath_store::InDatabase(store.clone())),
            slot_turns: bookings::SlotTurns::default(),
            outbox: outbox::Delivery::default(),
            store,
        }
    }

    /// The app on the database at `url` (SQLite or PostgreSQL), its schema migrated.
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        Ok(App::new(Store::open(url).await?, clock))
    }

    /// Apply the migrations the database at `url` lacks; answers their names.
    pub async fn migrate(url: &str) -> Result<Vec<String>, AppError> {
        let store = Store::connect(url).await?;
        let applied = store.migrate().await?;
        store.close().await;
        Ok(applied)
    }

    /// Close the database's connections (the end of a command or a test).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Whether the database answers (`/readyz`).
    pub async fn ping(&self) -> Result<(), AppError> {
        Ok(self.store.ping().await?)
    }

    /// The same app with another retry policy for failed jobs (tests use short ones).
    pub fn with_backoff(mut self, backoff: cellpath_store::Backoff) -> App {
        self.jobs.backoff = backoff;
        self
    }

    /// The same app keeping uploaded documents as files in `dir` (`CELLPATH_DOCUMENTS_DIR`)
    /// instead of in the database.
    pub fn with_documents_dir(mut self, dir: std::path::PathBuf) -> App {
        self.documents = Arc::new(cellpath_store::InDirectory {
            store: self.store.clone(),
            dir,
        });
        self
    }

    /// The same app keeping uploaded documents as objects of an S3-compatible bucket
    /// (`--documents-s3-*`), once the bucket has answered with these credentials: a wrong
    /// setting is refused here, in words, rather than at the first upload.
    pub async fn with_documents_bucket(
        mut self,
        config: &crate::documents::BucketConfig,
    ) -> Result<App, AppError> {
        let bucket = cellpath_store::InBucket::new(self.store.clone(), config)?;
        bucket.check().await?;
        self.documents = Arc::new(bucket);
        Ok(self)
    }

    /// Microseconds since the Unix epoch, from the injected clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Events this process has appended (for `/metrics`).
    pub fn appends_total(&self) -> u64 {
        self.appends.load(Ordering::Relaxed)
    }

    /// Argon2 password checks this process has run, the dummy ones for unknown addresses and
    /// locked accounts included (so a failed sign-in costs the same whatever its cause).
    pub fn password_checks_total(&self) -> u64 {
        self.password_checks.load(Ordering::Relaxed)
    }

    /// Sessions marked seen by this process: a write, so at most one a minute per session
    /// (`cellpath_store::SESSION_STAMP_MICROS`); reading pages writes nothing in between.
    pub fn session_touches_total(&self) -> u64 {
        self.session_touches.load(Ordering::Relaxed)
    }

    /// Live plans handed out again from the cache, and plans the planner computed (for
    /// `/metrics` and the benchmark): (hits, misses).
    pub fn plan_cache_counts(&self) -> (u64, u64) {
        self.plans.counts()
    }

    /// Forget what has expired: idempotency records older than 24 hours, ended sessions, jobs
    /// done more than a week ago. Operational rows only; the record is never purged.
    pub async fn purge_expired(&self) -> Result<(u64, u64, u64), AppError> {
        let now = self.now();
        Ok((
            self.store.purge_idempotency(now).await?,
            self.store.purge_sessions(now).await?,
            self.store.purge_done_jobs(now).await?,
        ))
    }

    pub(crate) fn count_append(&self) {
        self.appends.fetch_add(1, Ordering::Relaxed);
    }
}
