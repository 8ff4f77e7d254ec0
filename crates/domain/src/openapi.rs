//! With the `openapi` feature only: the schemas of checked values a derive cannot infer from a
//! Rust type (a key's characters, a day's form, an integer the ledger records), named on the
//! domain's request types with `#[schema(schema_with = …)]`. Builders only: no IO.

use crate::LedgerInt;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

/// A day as a request gives it: `YYYY-MM-DD`, a real date from 1900 to 2200.
pub const DAY: &str = "^(?:(?:(?:19|20|21)[0-9]{2}|2200)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:19|20|21)(?:0[48]|[2468][048]|[13579][26])-02-29|2000-02-29)$";

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A step or unit key: 1–40 of `a-z`, `0-9`, `_`.
pub fn key() -> RefOr<Schema> {
    text().pattern(Some("^[a-z0-9_]{1,40}$")).into()
}

/// A day a request gives: `YYYY-MM-DD`.
pub fn day() -> RefOr<Schema> {
    text()
        .pattern(Some(DAY))
        .description(Some("YYYY-MM-DD, from 1900 to 2200"))
        .into()
}

/// An integer the ledger records: within ±(2^53 − 1).
pub fn ledger_int() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(-LedgerInt::MAX))
        .maximum(Some(LedgerInt::MAX))
        .into()
}

/// A price in US cents: more than 0, within the ledger's range.
pub fn cents() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(LedgerInt::MAX))
        .description(Some("US cents"))
        .into()
}

/// A track item's three-point estimate: minimum, most likely, maximum days (0–3650 each).
pub fn three_days() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(crate::contracting::template::MAX_DAYS)),
        )
        .min_items(Some(3))
        .max_items(Some(3))
        .description(Some("min, most likely, max"))
        .into()
}

/// An identifier read from a label (`identifiers::Identifier`, serialized by hand from its
/// parts): a DIN or a chain of identity identifier, with its facility, year and sequence.
pub fn identifier() -> RefOr<Schema> {
    let words = |w: &[&'static str]| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .enum_values(Some(w.to_vec()))
    };
    ObjectBuilder::new()
        .property("kind", words(&["isbt128_din", "isbt128_coi"]))
        .required("kind")
        .property("facility", text())
        .required("facility")
        .property("year", text())
        .required("year")
        .property("sequence", text())
        .required("sequence")
        .property(
            "flags",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
        )
        .property("check", text())
        .into()
}

/// What is wrong with an identifier that does not read.
pub fn identifier_problem() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some(["unreadable", "structure", "check_character"]))
        .into()
}

/// A moment the ledger records: microseconds since the Unix epoch, UTC.
pub fn micros() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(-LedgerInt::MAX))
        .maximum(Some(LedgerInt::MAX))
        .description(Some("microseconds since the Unix epoch, UTC"))
        .into()
}
