//! Schemas the derives cannot infer from a Rust type: a domain vocabulary (its words), and the
//! shapes of checked text (names, codes, e-mail addresses, passwords). Named in a view's field
//! with `#[schema(schema_with = …)]`; the hand-written part of the OpenAPI document uses the
//! same patterns.

use cellpath_domain::{Role, Vocabulary};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{KnownFormat, Ref, RefOr, Schema};

/// A day as the app reads it: `YYYY-MM-DD`, a real date from 1900 to 2200.
pub const DAY: &str = cellpath_domain::openapi::DAY;
/// Text of one line: at least one visible character, no control characters.
pub const ONE_LINE: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// Text of lines: at least one visible character; tabs and line breaks allowed.
pub const LINES: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
/// A code: capital letters, digits and '-', starting with a letter.
pub const CODE: &str = "^[A-Za-z][A-Za-z0-9-]{0,19}$";
/// An e-mail address as the app accepts it.
pub const EMAIL: &str = "^[^@\\s<>\"',;\\u0000-\\u001f\\u007f-\\u009f]+@[^@\\s<>\"',;.\\u0000-\\u001f\\u007f-\\u009f][^@\\s<>\"',;\\u0000-\\u001f\\u007f-\\u009f]*\\.[^@\\s<>\"',;\\u0000-\\u001f\\u007f-\\u009f]*[^@\\s<>\"',;.\\u0000-\\u001f\\u007f-\\u009f]$";

/// Every word of a domain vocabulary, as the domain spells it: the document cannot drift from
/// what the API accepts and answers.
pub fn vocabulary<V: Vocabulary>() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some(V::words()))
        .into()
}

/// A role, of the organization's kind.
pub fn role() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some(Role::words()))
        .description(Some("a role of the organization's kind"))
        .into()
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A display name: 1–200 characters on one line (trimmed).
pub fn name() -> RefOr<Schema> {
    text()
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some(ONE_LINE))
        .into()
}

/// A code, stored upper-cased.
pub fn code() -> RefOr<Schema> {
    text()
        .pattern(Some(CODE))
        .description(Some(
            "capital letters, digits and '-', starting with a letter (stored upper-cased)",
        ))
        .into()
}

pub fn email() -> RefOr<Schema> {
    text().max_length(Some(254)).pattern(Some(EMAIL)).into()
}

pub fn password() -> RefOr<Schema> {
    text().min_length(Some(12)).max_length(Some(200)).into()
}

/// A time zone of the tz database by its IANA name.
pub fn time_zone() -> RefOr<Schema> {
    text()
        .min_length(Some(1))
        .max_length(Some(64))
        .description(Some(
            "an IANA time zone name of the tz database, e.g. America/Chicago or UTC",
        ))
        .into()
}

/// A moment: microseconds since the Unix epoch, UTC.
pub fn micros() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("microseconds since the Unix epoch, UTC"))
        .into()
}

/// The manufacturer's programs a partnership is for, by id or exact name.
pub fn program_refs() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(text())
        .max_items(Some(50))
        .description(Some(
            "ids or exact names of the manufacturer's programs; kept as ids",
        ))
        .into()
}

/// Through what a signature came (`cellpath_ledger::Channel`), or null for signatures recorded
/// before the channel was.
pub fn channel() -> RefOr<Schema> {
    let via = |words: &[&'static str]| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .enum_values(Some(words.to_vec()))
    };
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            closed()
                .property("via", via(&["web_session", "system"]))
                .required("via"),
        )
        .item(
            closed()
                .property("via", via(&["api_token"]))
                .required("via")
                .property("token_id", text())
                .required("token_id")
                .property("token_name", text())
                .required("token_name"),
        )
        .description(Some(
            "through what the signature came; null for signatures recorded before the channel was",
        ))
        .into()
}

/// What a signature made on a ledger's own endpoint signs: an event of that ledger
/// (`cellpath_ledger::Signed::Event`).
pub fn signed_event() -> RefOr<Schema> {
    closed()
        .property(
            "target",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .enum_values(Some(["event"])),
        )
        .required("target")
        .property(
            "event_hash",
            text().description(Some(
                "the hash of an event on this ledger (a record such as a site map version is signed on its own endpoint)",
            )),
        )
        .required("event_hash")
        .into()
}

/// An object that takes no other properties.
fn closed() -> ObjectBuilder {
    ObjectBuilder::new().additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// A day: `YYYY-MM-DD`.
pub fn date() -> RefOr<Schema> {
    text()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .into()
}

/// A day, or null.
pub fn maybe_date() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(date())
        .into()
}

/// A day as text, `YYYY-MM-DD`, or `''` for none (as these fields have always answered).
pub fn day_or_empty() -> RefOr<Schema> {
    text()
        .description(Some("YYYY-MM-DD, or '' for none"))
        .into()
}

/// Text, or `''` for none.
pub fn text_or_empty() -> RefOr<Schema> {
    text().description(Some("'' for none")).into()
}

/// A list of the schema named `name` (one of the document's components).
pub fn list_of(name: &str) -> ArrayBuilder {
    ArrayBuilder::new().items(Ref::from_schema_name(name))
}

/// A JSON array whose items the app reads (`description` says what they are).
pub fn array(description: &str) -> RefOr<Schema> {
    ArrayBuilder::new()
        .description(Some(description.to_string()))
        .into()
}

/// A reference to `T`'s schema among the document's components, by the name `T` gives it
/// (for a builder; a field names it with `#[schema(value_type = T)]`).
pub fn named<T: utoipa::ToSchema>() -> RefOr<Schema> {
    Ref::from_schema_name(T::name()).into()
}

/// A list of texts.
pub fn texts() -> RefOr<Schema> {
    ArrayBuilder::new().items(text()).into()
}

/// A day a request gives: `YYYY-MM-DD`, a real date from 1900 to 2200.
pub fn day() -> RefOr<Schema> {
    cellpath_domain::openapi::day()
}

/// Free text: up to 4,000 characters, lines allowed (trimmed, not empty).
pub fn notes() -> RefOr<Schema> {
    text()
        .min_length(Some(1))
        .max_length(Some(4000))
        .pattern(Some(LINES))
        .into()
}

/// A reason a committee would sign: at least 10 characters once trimmed, lines allowed, up to
/// 4,000 characters.
pub fn sentence() -> RefOr<Schema> {
    text()
        .min_length(Some(10))
        .max_length(Some(4000))
        .pattern(Some(SENTENCE))
        .into()
}

/// Text of at least ten characters between its first and last visible one.
pub const SENTENCE: &str = "^\\s*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]{8,3998}[^\\s\\u0000-\\u001f\\u007f-\\u009f]\\s*$";

/// A SHA-256 as 64 lower-case hex digits.
pub fn sha256() -> RefOr<Schema> {
    text().pattern(Some("^[0-9a-f]{64}$")).into()
}

/// A count the ledger records: from 0 to 2^53 − 1.
pub fn count() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(cellpath_domain::LedgerInt::MAX))
        .into()
}

/// A password re-entered to sign, sent as typed.
pub fn signing_password() -> RefOr<Schema> {
    text().into()
}

/// A time typed in UTC: `YYYY-MM-DDTHH:MM` (seconds and a final `Z` allowed).
pub fn time() -> RefOr<Schema> {
    text()
        .pattern(Some(
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?$",
        ))
        .description(Some(
            "a time in UTC: YYYY-MM-DDTHH:MM (seconds and a final Z allowed)",
        ))
        .into()
}
