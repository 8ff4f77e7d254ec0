//! Identifiers that travel on labels and are scanned at each handoff (DESIGN.md §4.4,
//! DOMAIN.md "Standards"): the ISBT 128 donation identification number (`din.rs`), the ISBT 128
//! Chain of Identity Identifier (`coi.rs`) and the ISO 7064 mod 37-2 check character that guards
//! a DIN (`mod37_2.rs`). `read` takes whatever a scanner or a person gives and says what it is,
//! what is wrong with it, or that it cannot be read at all.

mod coi;
mod din;
mod mod37_2;

pub use coi::ChainOfIdentity;
pub use din::{Din, FlagMeaning};
pub use mod37_2::{check_character, check_value};

use serde::Serialize;

/// A facility identification number: α (A–N, P–Z or 1–9) then four digits, e.g. `W1234`.
/// ISBT 128 code tables are licensed: tests and demos use example codes only (A9999, G1234,
/// W1234).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct FacilityCode(String);

impl FacilityCode {
    pub fn parse(text: &str) -> Result<FacilityCode, String> {
        let b = text.as_bytes();
        if b.len() != 5 {
            return Err(format!(
                "a facility identification number has 5 characters (a letter or digit, then 4 digits), not {:?}",
                text
            ));
        }
        if !is_alpha_position(b[0]) {
            return Err(format!(
                "a facility identification number starts with A–N, P–Z or 1–9, not {:?}",
                b[0] as char
            ));
        }
        if !b[1..].iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "a facility identification number ends in 4 digits, not {:?}",
                &text[1..]
            ));
        }
        Ok(FacilityCode(text.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FacilityCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first character of a facility identification number: A–N, P–Z or 1–9 (no O, no 0,
/// which read alike).
fn is_alpha_position(c: u8) -> bool {
    matches!(c, b'A'..=b'N' | b'P'..=b'Z' | b'1'..=b'9')
}

/// A scanned or typed identifier, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identifier {
    Isbt128Din(Din),
    Isbt128Coi(ChainOfIdentity),
}

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identifier::Isbt128Din(d) => d.fmt(f),
            Identifier::Isbt128Coi(c) => c.fmt(f),
        }
    }
}

/// Why a text is not a good identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// Not recognisable as any identifier cellpath reads.
    #[error("{reason}")]
    Unreadable { reason: String },
    /// Recognisable as a kind of identifier, but a part of it is wrong.
    #[error("{kind}: {reason}")]
    Structure { kind: &'static str, reason: String },
    /// A donation identification number whose check character does not match.
    #[error(
        "the check character of {din} is {given}, but its 13 characters give {expected}: a character was misread or mistyped"
    )]
    CheckCharacter {
        din: String,
        given: char,
        expected: char,
    },
}

/// Read a scanned or typed identifier: a DIN with or without its leading `=`, flag characters
/// and check character (spaces allowed, as printed), or a `&/` Chain of Identity Identifier.
pub fn read(text: &str) -> Result<Identifier, IdentifierError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(IdentifierError::Unreadable {
            reason: "nothing to read: the value is empty".into(),
        });
    }
    if let Some(bad) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_graphic() || *c == ' '))
    {
        return Err(IdentifierError::Unreadable {
            reason: format!(
                "{bad:?} is not a character of an ISBT 128 identifier (letters, digits, = & / * and spaces)"
            ),
        });
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if let Some(rest) = compact.strip_prefix("&/") {
        return ChainOfIdentity::parse(rest).map(Identifier::Isbt128Coi);
    }
    if let Some(rest) = compact.strip_prefix('=') {
        return Din::parse_barcode(rest).map(Identifier::Isbt128Din);
    }
    if compact.len() == 15 && compact.starts_with("CH") {
        return ChainOfIdentity::parse(&compact).map(Identifier::Isbt128Coi);
    }
    if matches!(compact.len(), 13..=16) {
        return Din::parse_printed(&compact).map(Identifier::Isbt128Din);
    }
    Err(IdentifierError::Unreadable {
        reason: format!(
            "{trimmed:?} is neither a donation identification number (13 characters such as W1234 25 000012, with or without `=`, flags and check character) nor a chain of identity identifier (`&/CH` and 13 more)"
        ),
    })
}

/// The answer to "does this label read?", as the CLI's `--json` and the API give it: the value,
/// and either what it is (`printed`, `identifier`) or what is wrong with it (`problem`,
/// `message`, and a DIN's correct check character).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = IdentifierCheck))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub value: String,
    pub valid: bool,
    /// As printed for people, e.g. W1234 25 000012 Y.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printed: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::identifier))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::identifier_problem))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<&'static str>,
    /// What is wrong, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A DIN's correct check character, when the one given is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_check: Option<String>,
}

/// Read `text` and say so as a [`Check`], with the [`read`] result for callers that need the
/// parts or the kind of error.
pub fn check(text: &str) -> (Check, Result<Identifier, IdentifierError>) {
    let read = read(text);
    let mut c = Check {
        value: text.to_string(),
        valid: read.is_ok(),
        printed: None,
        identifier: None,
        problem: None,
        message: None,
        expected_check: None,
    };
    match &read {
        Ok(id) => {
            c.printed = Some(id.to_string());
            c.identifier = Some(id.clone());
        }
        Err(e) => {
            c.problem = Some(match e {
                IdentifierError::Unreadable { .. } => "unreadable",
                IdentifierError::Structure { .. } => "structure",
                IdentifierError::CheckCharacter { .. } => "check_character",
            });
            c.message = Some(e.to_string());
            if let IdentifierError::CheckCharacter { expected, .. } = e {
                c.expected_check = Some(expected.to_string());
            }
        }
    }
    (c, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_and_scanned_form_of_a_din_reads_the_same() {
        let expected = Din::issue(&FacilityCode::parse("W1234").unwrap(), 25, 12).unwrap();
        assert_eq!(expected.to_string(), "W1234 25 000012 Y");
        for form in [
            "W123425000012",
            "W1234 25 000012",
            "W123425000012Y",
            "W1234 25 000012 Y",
            "=W12342500001200",
            "W12342500001200",
            "W1234 25 000012 00 Y",
            " =W12342500001200 ",
        ] {
            match read(form) {
                Ok(Identifier::Isbt128Din(d)) => assert_eq!(d.key(), expected.key(), "{form}"),
                other => panic!("{form}: {other:?}"),
            }
        }
    }

    #[test]
    fn what_cannot_be_read_is_said_apart_from_what_is_wrong() {
        assert!(matches!(read(""), Err(IdentifierError::Unreadable { .. })));
        assert!(matches!(
            read("hello"),
            Err(IdentifierError::Unreadable { .. })
        ));
        assert!(matches!(
            read("W1234\u{7}25"),
            Err(IdentifierError::Unreadable { .. })
        ));
        assert!(matches!(
            read("O123425000012"),
            Err(IdentifierError::Structure { .. })
        ));
        assert!(matches!(
            read("W1234 25 000012 K"),
            Err(IdentifierError::CheckCharacter {
                given: 'K',
                expected: 'Y',
                ..
            })
        ));
        let said = read("W1234 25 000012 K").unwrap_err().to_string();
        assert!(
            said.contains("W1234 25 000012") && said.contains("give Y"),
            "{said}"
        );
    }

    #[test]
    fn a_chain_of_identity_identifier_reads_with_or_without_its_data_identifier() {
        for form in [
            "&/CHW123425A1B2C3",
            "CHW123425A1B2C3",
            "&/CH W1234 25 A1B2C3",
        ] {
            match read(form) {
                Ok(Identifier::Isbt128Coi(c)) => {
                    assert_eq!(c.facility.as_str(), "W1234");
                    assert_eq!(c.year, "25");
                    assert_eq!(c.sequence, "A1B2C3");
                    assert_eq!(c.barcode(), "&/CHW123425A1B2C3");
                }
                other => panic!("{form}: {other:?}"),
            }
        }
        assert!(matches!(
            read("&/CHW12342"),
            Err(IdentifierError::Structure { .. })
        ));
    }
}
