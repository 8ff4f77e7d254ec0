//! RFC 8785 JSON Canonicalization Scheme (JCS) for the subset of JSON the ledger allows.
//!
//! Allowed: `null`, booleans, integers, strings, arrays and objects. Refused: any number that is
//! not an integer (amounts are integer cents, times integer microseconds), and integers outside
//! the I-JSON safe range ±(2^53 − 1). RFC 8785 is defined over I-JSON (RFC 7493), where a number
//! is an IEEE 754 double: a conforming JCS library in a partner's hands would print
//! 9007199254740993 as 9007199254740992, so admitting such integers would make our bytes
//! unreproducible by an independent verifier.
//!
//! Within that subset the output is byte-for-byte what RFC 8785 produces: no whitespace, object
//! members sorted by their keys compared as UTF-16 code-unit sequences (§3.2.3), strings escaped
//! as ECMAScript `JSON.stringify` does (§3.2.2.2), integers in their shortest decimal form.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The largest integer magnitude that an IEEE 754 double represents exactly, and the bound of
/// I-JSON (RFC 7493 §2.2).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Why a value has no canonical form in the ledger's subset of RFC 8785.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A non-integer number (`1.5`, `1.0`, `1e3`): the ledger stores amounts as integer cents.
    #[error("floating-point number {0} is not allowed in ledger JSON: use an integer (e.g. cents)")]
    Float(String),
    /// An integer an IEEE 754 double cannot hold exactly, so other JCS implementations would
    /// canonicalize it differently.
    #[error(
        "integer {0} is outside ±(2^53 − 1) and cannot be canonicalized interoperably: store it as a string"
    )]
    IntegerOutOfRange(String),
}

/// Serializes `value` in RFC 8785 canonical form.
///
/// Does not depend on the iteration order of `serde_json::Map` (which is UTF-8 byte order by
/// default and insertion order when some crate in the build enables `preserve_order`): members
/// are always re-sorted here by UTF-16 code units.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write_value(&mut out, value)?;
    Ok(out)
}

/// True when `bytes` are JSON in the ledger's subset and exactly their own canonical form.
///
/// Parses and re-canonicalizes, then compares: this also rejects duplicate object keys (the
/// parser keeps one of them, so the re-serialization is shorter) and anything that is not UTF-8.
pub fn is_canonical(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => canonicalize(&value).is_ok_and(|canonical| canonical == bytes),
        Err(_) => false,
    }
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(out, members)?,
    }
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), CanonicalError> {
    // Ask for the integer views rather than matching on the representation: this stays correct
    // if feature unification turns on serde_json's `arbitrary_precision`, where "1.0" or "1e2"
    // are kept as text and only fail to convert to an integer.
    if let Some(i) = n.as_i64() {
        if !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) {
            return Err(CanonicalError::IntegerOutOfRange(i.to_string()));
        }
        out.extend_from_slice(i.to_string().as_bytes());
        Ok(())
    } else if n.as_u64().is_some() {
        // Only integers above i64::MAX get here, all far beyond the safe range.
        Err(CanonicalError::IntegerOutOfRange(n.to_string()))
    } else {
        Err(CanonicalError::Float(n.to_string()))
    }
}

fn write_object(out: &mut Vec<u8>, members: &Map<String, Value>) -> Result<(), CanonicalError> {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| cmp_utf16(a, b));
    out.push(b'{');
    for (i, (key, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, key);
        out.push(b':');
        write_value(out, value)?;
    }
    out.push(b'}');
    Ok(())
}

/// Orders strings by their UTF-16 code units, as RFC 8785 §3.2.3 requires. This differs from
/// UTF-8 byte order (and from `str`'s `Ord`) when one string has a character in
/// U+E000..=U+FFFF where the other has a supplementary character (U+10000 and up): the latter's
/// leading surrogate (0xD800..=0xDBFF) sorts first in UTF-16 but its UTF-8 lead byte 0xF0..
/// sorts last.
fn cmp_utf16(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    // Copy runs of characters that need no escape in one go; everything that needs one is ASCII,
    // so scanning bytes never splits a multi-byte character.
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x00..=0x1f => None, // \u00xx below
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0x0f)]);
            }
        }
        run_start = i + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(canonicalize(v).expect("canonicalizable")).expect("UTF-8")
    }

    fn canon_text(text: &str) -> Result<String, CanonicalError> {
        let v: Value = serde_json::from_str(text).expect("test JSON parses");
        canonicalize(&v).map(|b| String::from_utf8(b).expect("UTF-8"))
    }

    #[test]
    fn literals_and_integers() {
        assert_eq!(canon(&json!(null)), "null");
        assert_eq!(canon(&json!(true)), "true");
        assert_eq!(canon(&json!(false)), "false");
        assert_eq!(canon(&json!(0)), "0");
        assert_eq!(canon(&json!(-42)), "-42");
        assert_eq!(canon(&json!(MAX_SAFE_INTEGER)), "9007199254740991");
        assert_eq!(canon(&json!(-MAX_SAFE_INTEGER)), "-9007199254740991");
        // serde_json reads "-0" as the float -0.0, indistinguishable from "-0.0": refused like
        // every float rather than silently turned into 0.
        assert!(matches!(canon_text("-0"), Err(CanonicalError::Float(_))));
    }

    #[test]
    fn no_whitespace_and_nesting() {
        let text = " { \"b\" : [ 1 , { \"d\" : null , \"c\" : true } ] , \"a\" : \"x\" } ";
        assert_eq!(
            canon_text(text).as_deref(),
            Ok(r#"{"a":"x","b":[1,{"c":true,"d":null}]}"#)
        );
        assert_eq!(canon(&json!([])), "[]");
        assert_eq!(canon(&json!({})), "{}");
    }

    #[test]
    fn floats_are_refused() {
        for text in [
            "1.5",
            "1.0",
            "1e3",
            "-0.0",
            "[1, 2.5]",
            r#"{"a":{"b":0.1}}"#,
        ] {
            assert!(
                matches!(canon_text(text), Err(CanonicalError::Float(_))),
                "{text} must be refused as a float"
            );
        }
        assert!(!is_canonical(b"1.5"));
    }

    #[test]
    fn unsafe_integers_are_refused() {
        for text in [
            "9007199254740992",
            "-9007199254740992",
            "9223372036854775807",
            "18446744073709551615",
        ] {
            assert!(
                matches!(canon_text(text), Err(CanonicalError::IntegerOutOfRange(_))),
                "{text} must be refused"
            );
        }
    }

    /// RFC 8785 §3.2.3 sorting example: keys that order differently by UTF-16 than by UTF-8.
    #[test]
    fn keys_sort_by_utf16_code_units_not_utf8_bytes() {
        // U+E000 is 0xE000 in UTF-16 but U+1F600 is 0xD83D 0xDE00, so U+1F600 sorts first;
        // in UTF-8 it is EE 80 80 vs F0 9F 98 80, the other way round.
        assert!("\u{e000}" < "\u{1f600}", "Rust's str order is UTF-8 order");
        let mut obj = Map::new();
        obj.insert("\u{e000}".into(), json!(1));
        obj.insert("\u{1f600}".into(), json!(2));
        assert_eq!(
            canon(&Value::Object(obj)),
            "{\"\u{1f600}\":2,\"\u{e000}\":1}"
        );

        // The key set of the RFC's own sorting example (§3.2.3), with its numeric values
        // replaced by integers; the expected order is the RFC's.
        let text = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let out = canon_text(text).expect("canonical");
        let order: Vec<&str> = [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh",
        ]
        .to_vec();
        let positions: Vec<usize> = order
            .iter()
            .map(|name| out.find(name).expect("value present"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        assert!(out.starts_with("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":"));
    }

    #[test]
    fn string_escaping_follows_json_stringify() {
        let s = "\"\\\u{8}\u{c}\n\r\t\u{0}\u{1}\u{1f}\u{7f}/\u{2028}\u{2029}é😀";
        assert_eq!(
            canon(&json!(s)),
            "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\u{7f}/\u{2028}\u{2029}é😀\""
        );
        // Escaped input that needs no escape comes out literal (RFC 8785 §3.2.2.2 example).
        assert_eq!(
            canon_text(r#""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#).as_deref(),
            Ok("\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"")
        );
    }

    #[test]
    fn is_canonical_rejects_near_misses() {
        assert!(is_canonical(br#"{"a":1,"b":[true,null,"x"]}"#));
        assert!(!is_canonical(br#"{"b":1,"a":2}"#), "unsorted");
        assert!(!is_canonical(br#"{"a": 1}"#), "whitespace");
        assert!(!is_canonical(b"{\"a\":1}\n"), "trailing newline");
        assert!(!is_canonical(br#"{"a":1,"a":1}"#), "duplicate key");
        assert!(!is_canonical(br#""\u0041""#), "needless escape");
        assert!(!is_canonical(br#""\u001F""#), "uppercase hex escape");
        assert!(!is_canonical(br#""\/""#), "escaped solidus");
        assert!(!is_canonical(b"-0"), "negative zero");
        assert!(!is_canonical(b"1E2"), "exponent");
        assert!(!is_canonical(b"\"\xff\""), "not UTF-8");
        assert!(!is_canonical(b""), "empty");
    }

    /// Non-float JSON values with awkward strings and keys (controls, quotes, surrogate-pair
    /// characters next to U+E000..U+FFFF ones).
    fn arb_string() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            any::<char>(),
            prop::char::range('\0', '\u{1f}'),
            prop::sample::select(vec!['"', '\\', '/', 'a', 'z', '\u{7f}', '\u{2028}']),
            prop::char::range('\u{e000}', '\u{ffff}'),
            prop::char::range('\u{10000}', '\u{10ffff}'),
        ];
        prop::collection::vec(chars, 0..6).prop_map(|cs| cs.into_iter().collect())
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).prop_map(|i| json!(i)),
            arb_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((arb_string(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point(v in arb_json()) {
            let once = canonicalize(&v).expect("non-float values canonicalize");
            let reparsed: Value = serde_json::from_slice(&once).expect("canonical output parses");
            prop_assert_eq!(&reparsed, &v);
            let twice = canonicalize(&reparsed).expect("still canonicalizable");
            prop_assert_eq!(&twice, &once);
            prop_assert!(is_canonical(&once));
        }

        #[test]
        fn is_canonical_accepts_exactly_the_canonical_form(v in arb_json()) {
            let pretty = serde_json::to_vec_pretty(&v).expect("serializes");
            let canonical = canonicalize(&v).expect("canonicalizes");
            prop_assert_eq!(is_canonical(&pretty), pretty == canonical);
        }
    }
}
