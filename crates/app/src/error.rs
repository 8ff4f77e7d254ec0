//! How errors flow: the app speaks in these variants, each with a message a person can act
//! on; the server maps them to HTTP statuses and problem+json, the web puts field errors
//! beside their fields, the CLI prints one line and exits non-zero.

use cellpath_store::{AppendError, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects every field's error before refusing, so a person fixes a form in one pass.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError {
                    field: field.to_string(),
                    message: e.to_string(),
                });
                None
            }
        }
    }
    pub fn fail(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.to_string(),
        });
    }
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input, field by field, so a form can show each message beside its field.
    #[error("{}", .0.iter().map(|f| if f.field.is_empty() { f.message.clone() } else { format!("{}: {}", f.field, f.message) }).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    LoginFailed(String),
    #[error(
        "{what} was changed by someone else (now at version {current}); reload it and try again"
    )]
    Conflict { what: String, current: i64 },
    #[error("send If-Match with the version you last read")]
    PreconditionRequired,
    #[error("{}", if .field.is_empty() { .message.clone() } else { format!("{}: {}", .field, .message) })]
    Duplicate { field: String, message: String },
    #[error("this Idempotency-Key was already used for a different request; use a new key")]
    IdempotencyKeyReused,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> AppError {
        AppError::Invalid(vec![FieldError {
            field: field.to_string(),
            message: message.to_string(),
        }])
    }
    pub fn not_found(what: impl Into<String>) -> AppError {
        AppError::NotFound(what.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { kind, id, current } => AppError::Conflict {
                what: format!("{kind} {id}"),
                current,
            },
            StoreError::NotFound { kind, id } => AppError::NotFound(format!("{kind} {id}")),
            StoreError::Duplicate { constraint } => duplicate(&constraint),
            StoreError::Invalid(m) => AppError::Internal(m),
            StoreError::Refused { field, message } => AppError::invalid(&field, message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<AppendError> for AppError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Store(s) => s.into(),
            AppendError::IdempotencyKeyReused => AppError::IdempotencyKeyReused,
        }
    }
}

/// Unique-key violations, named for the person who typed the value.
fn duplicate(constraint: &str) -> AppError {
    let c = constraint.to_ascii_lowercase();
    let (field, message) = if c.contains("email") {
        ("email", "a user with this e-mail address already exists")
    } else if c.contains("code") {
        (
            "code",
            "another site of this health system already has this code",
        )
    } else if c.contains("organizations") || c.contains("organizations_name") {
        ("name", "an organization with this name already exists")
    } else if c.contains("facilities") {
        (
            "name",
            "this health system already has a facility with this name",
        )
    } else if c.contains("map_versions") {
        (
            "",
            "another version was started at the same moment; reload and try again",
        )
    } else if c.contains("gaps") {
        (
            "",
            "an open gap for this requirement already exists (another gap analysis ran at the same time); reload",
        )
    } else if c.contains("partnerships") {
        (
            "name",
            "these two organizations already have a partnership with this name",
        )
    } else {
        ("", "this already exists")
    };
    AppError::Duplicate {
        field: field.to_string(),
        message: format!("{message} ({constraint})"),
    }
}
