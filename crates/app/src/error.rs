//! How errors flow: the app speaks in these variants, each with a message a person can act
//! on; the server maps them to HTTP statuses and problem+json, the web puts field errors
//! beside their fields, the CLI prints one line and exits non-zero.

use cellpath_store::{AppendError, StoreError};
use serde::Serialize;

/// One field's problem: the field, and what is wrong with it in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// An API token past its last day: the message says when it expired. HTTP 401.
    #[error("{0}")]
    TokenExpired(String),
    /// A write through a read-only API token. HTTP 403.
    #[error(
        "this token is read-only: it may read (GET) but not change anything; use a token with read and write access, made on the API tokens page"
    )]
    ReadOnlyToken,
    #[error("{0}")]
    LoginFailed(String),
    #[error(
        "{what} was changed by someone else (now at version {current}); reload it and try again"
    )]
    Conflict { what: String, current: i64 },
    /// The record as it stands now refuses the command, and could take it later or already
    /// took someone else's (a case step done a moment ago by another person, a case on hold):
    /// the message says what happened. HTTP 409.
    #[error("{0}")]
    State(String),
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

    /// A "not found" of what a record hangs on (its partnership, its case) said of the record
    /// itself: who may not read the parent does not learn the record exists, nor what it
    /// hangs on. Every other error stays as it is.
    pub(crate) fn not_found_as(self, what: &str) -> AppError {
        match self {
            AppError::NotFound(_) => AppError::not_found(what),
            other => other,
        }
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

/// Every unique key of the schema (`crates/store/migrations`), by its table: the field a
/// person typed (empty when nobody types it: two requests raced) and what they read. A test
/// checks that every `UNIQUE` of the migrations is here.
const DUPLICATES: &[(&str, &str, &str)] = &[
    (
        "events",
        "",
        "this change was recorded at the same moment by another request; try again",
    ),
    (
        "organizations",
        "name",
        "an organization with this name already exists",
    ),
    (
        "sites",
        "code",
        "another site of this health system already has this code",
    ),
    (
        "facilities",
        "name",
        "this health system already has a facility with this name",
    ),
    (
        "users",
        "email",
        "a user with this e-mail address already exists",
    ),
    (
        "partnerships",
        "name",
        "these two organizations already have a partnership with this name",
    ),
    (
        "api_tokens",
        "",
        "the new token matched an existing one; create the token again",
    ),
    (
        "programs",
        "name",
        "this manufacturer already has a program with this name",
    ),
    (
        "map_versions",
        "",
        "another version was started at the same moment; reload and try again",
    ),
    (
        "site_map_versions",
        "",
        "another version of this site's map was started at the same moment; reload and try again",
    ),
    (
        "gaps",
        "",
        "an open gap for this requirement already exists (another gap analysis ran at the same time); reload",
    ),
    (
        "deliverable_records",
        "deliverable",
        "this deliverable is already recorded for this site and program; reload the gate page",
    ),
    (
        "site_authorizations",
        "",
        "this site's authorization was recorded at the same moment by another change; reload",
    ),
    (
        "track_templates",
        "",
        "this program's track template was saved at the same moment by someone else; reload and try again",
    ),
    (
        "expiry_reminders",
        "",
        "this expiry reminder was already recorded",
    ),
    (
        "patients",
        "mrn",
        "a patient with this medical record number is already registered at this health system",
    ),
    (
        "cases",
        "",
        "another case was opened at this site for this program at the same moment; try again",
    ),
    (
        "consent_versions",
        "",
        "another consent version for this program was added or made active at the same moment; reload and try again",
    ),
    (
        "bookings",
        "",
        "this case already has a booking in play; cancel it before asking for another day",
    ),
    (
        "slot_reservations",
        "",
        "that slot was taken at the same moment by another booking; choose the chain again",
    ),
    (
        "safety_reports",
        "",
        "this adverse event's safety report was written at the same moment by another change; reload",
    ),
    (
        "exception_protocols",
        "",
        "another version of this program's release-exception protocol was drafted or agreed at the same moment; reload and try again",
    ),
    (
        "invoices",
        "",
        "this case's invoice was made at the same moment by another run; it is made once",
    ),
    (
        "payer_profiles",
        "name",
        "this health system already has a payer profile with this name",
    ),
    (
        "claims",
        "",
        "this case's claim was submitted at the same moment by another request; reload the case",
    ),
    // Enqueueing does nothing on this conflict; the message is for a change to that.
    (
        "jobs",
        "",
        "the same work is already queued; it runs shortly",
    ),
];

/// The table a unique-key violation names: SQLite says "UNIQUE constraint failed:
/// sites.org_id, sites.code"; PostgreSQL names the constraint or index ("sites_org_id_code_key",
/// "gaps_one_open"), which starts with the table's name.
fn duplicate_table(constraint: &str) -> Option<&'static str> {
    let c = constraint.to_ascii_lowercase();
    if let Some(cols) = c.split("constraint failed:").nth(1) {
        let table = cols.trim().split('.').next().unwrap_or("");
        return DUPLICATES.iter().map(|(t, _, _)| *t).find(|t| *t == table);
    }
    // The longest table name that starts it ("site_map_versions" before "sites").
    DUPLICATES
        .iter()
        .map(|(t, _, _)| *t)
        .filter(|t| c.starts_with(&format!("{t}_")))
        .max_by_key(|t| t.len())
}

/// Unique-key violations, named for the person who typed the value, in their words (never
/// the database's: the constraint goes to the log).
fn duplicate(constraint: &str) -> AppError {
    let found = duplicate_table(constraint)
        .and_then(|t| DUPLICATES.iter().find(|(table, _, _)| *table == t));
    let (field, message) = match found {
        Some((_, field, message)) => (*field, *message),
        None => {
            tracing::warn!(constraint, "a unique key without a message of its own");
            (
                "",
                "this already exists; reload and check before trying again",
            )
        }
    };
    AppError::Duplicate {
        field: field.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unique key of the schema as (table, columns, index name if it has one).
    fn unique_keys() -> Vec<(String, Vec<String>, Option<String>)> {
        let mut out = Vec::new();
        for sql in cellpath_store::migrate::texts() {
            let mut table = String::new();
            for line in sql.lines().map(str::trim) {
                let words: Vec<&str> = line
                    .split(|c: char| c.is_whitespace() || "(),;".contains(c))
                    .filter(|w| !w.is_empty())
                    .collect();
                if line.starts_with("CREATE TABLE") {
                    table = words[2].to_string();
                } else if line.starts_with("CREATE UNIQUE INDEX") {
                    let on = words.iter().position(|w| *w == "ON").expect("ON");
                    let cols = words[on + 2..]
                        .iter()
                        .take_while(|w| **w != "WHERE")
                        .map(|w| w.to_string())
                        .collect();
                    out.push((words[on + 1].to_string(), cols, Some(words[3].to_string())));
                } else if line.starts_with("UNIQUE") {
                    out.push((
                        table.clone(),
                        words[1..].iter().map(|w| w.to_string()).collect(),
                        None,
                    ));
                } else if words.contains(&"UNIQUE") {
                    out.push((table.clone(), vec![words[0].to_string()], None));
                }
            }
        }
        out
    }

    #[test]
    fn every_unique_key_of_the_schema_has_a_message_in_people_s_words() {
        let keys = unique_keys();
        assert!(keys.len() >= 15, "{keys:?}");
        for (table, cols, index) in keys {
            let sqlite = format!(
                "UNIQUE constraint failed: {}",
                cols.iter()
                    .map(|c| format!("{table}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            // PostgreSQL's default name for a table's unique constraint, or the index's.
            let postgres = index
                .clone()
                .unwrap_or_else(|| format!("{table}_{}_key", cols.join("_")));
            for constraint in [sqlite, postgres] {
                let AppError::Duplicate { field, message } = duplicate(&constraint) else {
                    unreachable!()
                };
                assert!(
                    DUPLICATES
                        .iter()
                        .any(|(t, _, m)| *t == table && *m == message),
                    "{constraint}: {message}"
                );
                for word in ["constraint", "unique", "_key", &table, "(", "sqlite"] {
                    assert!(
                        !message.to_ascii_lowercase().contains(word)
                            || table == "gaps" && word == "(",
                        "{constraint}: database wording {word:?} in {message:?}"
                    );
                }
                let typed = ["name", "code", "email", "deliverable", "mrn"];
                assert!(
                    field.is_empty() || typed.contains(&field.as_str()),
                    "{field}"
                );
            }
        }
    }

    #[test]
    fn an_unknown_unique_key_still_says_nothing_of_the_database() {
        let e = duplicate("UNIQUE constraint failed: widgets.serial");
        assert_eq!(
            e.to_string(),
            "this already exists; reload and check before trying again"
        );
    }
}
