//! Reading typed values out of rows, once: a vocabulary word into its enum, a `YYYY-MM-DD`
//! into a `Date`, and the `''` the tables keep for "none" into `None`. A stored value that does
//! not fit is a decode error here, naming the column, never a re-parse further up.
//! `empty_if_none` writes `None` back as `""` where the API has always answered so.

use cellpath_domain::Date;
use serde::Serializer;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

fn bad(column: &str, e: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    }
}

/// A word of a closed vocabulary (or any value parsed from its text, such as a `Date`).
pub(crate) fn word<T>(r: &AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.try_get(column)?;
    text.parse().map_err(|e| bad(column, e))
}

/// A date column that always holds one.
pub(crate) fn date(r: &AnyRow, column: &str) -> Result<Date, sqlx::Error> {
    let text: String = r.try_get(column)?;
    Date::parse(&text).map_err(|e| bad(column, e))
}

/// A date column where `''` means none.
pub(crate) fn maybe_date(r: &AnyRow, column: &str) -> Result<Option<Date>, sqlx::Error> {
    let text: String = r.try_get(column)?;
    if text.is_empty() {
        return Ok(None);
    }
    Date::parse(&text).map(Some).map_err(|e| bad(column, e))
}

/// A vocabulary word where `''` means none.
pub(crate) fn maybe_word<T>(r: &AnyRow, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = r.try_get(column)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| bad(column, e))
}

/// What a partly done step still waits for: step names, kept as one text with
/// [`WAITING_SEPARATOR`] between them (`''`: nothing).
pub(crate) fn waiting_list(r: &AnyRow, column: &str) -> Result<Vec<String>, sqlx::Error> {
    let text: String = r.try_get(column)?;
    Ok(if text.is_empty() {
        Vec::new()
    } else {
        text.split(WAITING_SEPARATOR).map(str::to_string).collect()
    })
}

/// Between the step names of a waiting list in its column. A step's name is one line of
/// people's words; one holding this separator would read back as two names.
pub(crate) const WAITING_SEPARATOR: &str = "; ";

/// A text column (an id, a reason) where `''` means none.
pub(crate) fn maybe_text(r: &AnyRow, column: &str) -> Result<Option<String>, sqlx::Error> {
    let text: String = r.try_get(column)?;
    Ok(Some(text).filter(|t| !t.is_empty()))
}

/// `None` as `""`: the API's answer for "none" in these fields since before rows were typed.
pub fn empty_if_none<T: serde::Serialize, S: Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => v.serialize(s),
        None => s.serialize_str(""),
    }
}
