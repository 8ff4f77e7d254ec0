//! The directory records of the network: organizations, sites, facilities, users and
//! partnerships. Each file holds one record's commands and queries.

pub mod facilities;
pub mod organizations;
pub mod partnerships;
pub mod sites;
pub mod users;

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
