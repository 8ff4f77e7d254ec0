//! The only crate with SQL. It owns the schema and its migrations, the ledger write path
//! (lock the ledger head, append the hash-chained event, project it, store the idempotent
//! answer — one transaction), and the queries the app reads with. One implementation serves
//! SQLite and PostgreSQL through sqlx `Any`; what differs between them lives in `dialect`.

mod audit;
mod auth;
mod bookings;
mod bucket;
pub mod cases;
mod consent;
pub mod contracting;
mod decode;
mod dialect;
mod directory;
pub mod documents;
mod error;
mod finance;
mod inbox;
mod jobs;
pub mod migrate;
mod ops;
mod outbox;
mod programs;
mod project;
pub mod read;
mod readiness;
mod release_exceptions;
mod replay;
mod safety;
mod site_maps;
pub mod testing;
mod write;

pub use audit::*;
pub use auth::*;
pub use bookings::{Booking, ProgramCapacity, Skip, WaitlistEntry};
pub use bucket::{BucketConfig, InBucket};
pub use cases::{
    BookingFigureRow, CaseEventRow, CaseFigureRow, CaseRow, FigureScope, FormsAt, Patient,
    RegistryFormRow,
};
pub use consent::ConsentVersion;
pub use contracting::{
    Agreement, DeliverableRecord, ExpiryReminder, SiteAuthorization, SiteMapSignature,
    TrackTemplateRow,
};
pub use decode::empty_if_none;
pub use dialect::Dialect;
pub use directory::*;
pub use documents::{DocumentMeta, DocumentStore, InDatabase, InDirectory, NamedIn};
pub use error::StoreError;
pub use finance::claims::{ClaimRow, FlowRow, PayerProfileRow, WaitingRow};
pub use finance::{InvoiceRow, SettlementRow, TermsRow};
pub use inbox::{
    Counted, ExpiringAgreementRow, InboxScope, OpenAdverseEventRow, OpenStepRow, StageCount,
};
pub use jobs::{
    AttemptOutcome, Backoff, ClaimedJob, DONE_JOBS_TTL_MICROS, Job, JobAttempt, JobCounts,
    JobStatus, NewJob,
};
pub use ops::{Attempt, SESSION_STAMP_MICROS, TOKEN_STAMP_MICROS};
pub use outbox::{AttemptRecorded, DeliveryAttempt, OutboxMessage, WebhookEndpoint};
pub use programs::*;
pub use read::*;
pub use readiness::*;
pub use release_exceptions::{ExceptionProtocolRow, ReleaseExceptionRow};
pub use replay::{DifferenceKind, StateDifference};
pub use safety::{Acknowledged, ReportsShown, SafetyReport};
pub use site_maps::*;
pub use write::{
    Append, AppendError, AppendOutcome, Appended, FollowUp, IdempotencyWrite, LedgerKind,
    NewLedger, OpenStep, Operational, StoredAnswer,
};

use sqlx::AnyPool;

/// A handle on the database: a writer pool and a reader pool. On SQLite the writer is one
/// connection (DESIGN.md §6: one writer beside a read pool); on PostgreSQL both are one pool.
#[derive(Clone)]
pub struct Store {
    writer: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
}

impl Store {
    /// Connect to `sqlite://path` (created if missing) or `postgres://…`, without migrating.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let dialect = Dialect::from_url(url)?;
        let (writer, reader) = dialect.open_pools(url).await?;
        Ok(Store {
            writer,
            reader,
            dialect,
        })
    }

    /// Connect and bring the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Apply every migration not yet applied; returns the names of those applied now.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        migrate::run(&self.writer).await
    }

    /// Close both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// A value of a database setting the tests assert (e.g. SQLite `synchronous`).
    pub async fn sqlite_pragma(&self, name: &str) -> Result<i64, StoreError> {
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Invalid(format!("not a pragma name: {name}")));
        }
        let row: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&self.writer)
            .await?;
        Ok(row.0)
    }
}
