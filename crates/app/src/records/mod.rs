//! The directory records of the network: organizations, sites, facilities, users and
//! partnerships. Each file holds one record's commands and queries.

pub mod facilities;
pub mod organizations;
pub mod partnerships;
pub mod sites;
pub mod users;

use serde_json::{Map, Value, json};

/// Old and new values of the fields an update changes; unchanged fields are left out.
#[derive(Default)]
pub(crate) struct Diff {
    old: Map<String, Value>,
    new: Map<String, Value>,
}

impl Diff {
    pub fn field(&mut self, name: &str, old: impl Into<Value>, new: Option<impl Into<Value>>) {
        if let Some(new) = new {
            let (old, new) = (old.into(), new.into());
            if old != new {
                self.old.insert(name.into(), old);
                self.new.insert(name.into(), new);
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.new.get(name)
    }
    /// The payload of a `<kind>.updated` event.
    pub fn payload(&self, id: &str, version: i64) -> Value {
        json!({ "id": id, "version": version, "old": self.old, "new": self.new })
    }
}

/// Pagination asked for by a client, bounded.
pub fn page(
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<cellpath_store::Page, crate::AppError> {
    let limit = limit.unwrap_or(50);
    let offset = offset.unwrap_or(0);
    if !(1..=cellpath_store::Page::MAX_LIMIT).contains(&limit) {
        return Err(crate::AppError::invalid(
            "limit",
            format!("must be between 1 and {}", cellpath_store::Page::MAX_LIMIT),
        ));
    }
    if offset < 0 {
        return Err(crate::AppError::invalid("offset", "must not be negative"));
    }
    Ok(cellpath_store::Page { limit, offset })
}

/// The version a client says it last read, checked before the write (the projection checks
/// again inside the transaction).
pub fn expect_version(what: &str, current: i64, expected: i64) -> Result<(), crate::AppError> {
    if current != expected {
        return Err(crate::AppError::Conflict {
            what: what.to_string(),
            current,
        });
    }
    Ok(())
}
