//! Store errors: the ones a caller acts on are their own variants; the rest is `Database`.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the row; `constraint` names it as well as the database can.
    #[error("already exists: {constraint}")]
    Duplicate { constraint: String },
    /// The record's version was not the one the caller read (optimistic concurrency).
    #[error("{kind} {id} was changed by someone else (now at version {current})")]
    Conflict {
        kind: &'static str,
        id: String,
        current: i64,
    },
    #[error("{kind} {id} does not exist")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    /// A check of the command inside its transaction refused it (e.g.
    /// `Operational::KeepsAnActiveAdmin`); nothing was written.
    #[error("{field}: {message}")]
    Refused { field: String, message: String },
    #[error("the ledger {0} does not exist")]
    NoLedger(String),
    #[error("the event could not be sealed: {0}")]
    Seal(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn from_write(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let constraint = db
                .constraint()
                .map(str::to_string)
                .unwrap_or_else(|| db.message().to_string());
            return StoreError::Duplicate { constraint };
        }
        StoreError::Database(e)
    }
}
