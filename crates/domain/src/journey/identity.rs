//! The chain of identity on a case (DESIGN.md §4.4): the typed set of identifiers its labels
//! carry, of the kinds the program's identifier scheme names, and the one check every scan or
//! typed value goes through — it matches an identifier of the expected kind on this case, or
//! it is refused and explained in words.

use super::case::Case;
use crate::identifiers::{self, Identifier};
use crate::program::IdentifierKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest manufacturer order id or lot number accepted.
const FREE_ID_MAX: usize = 60;

/// One identifier of a case, kept in one canonical form so two readings of the same label
/// compare equal: a DIN as its 13 characters, a chain of identity identifier as its 15
/// (`CH…`), a manufacturer's order id or lot as typed (trimmed, upper case, no spaces).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseIdentifier {
    pub kind: IdentifierKind,
    pub value: String,
    /// The product unit whose label carries it; none for an identifier of the whole case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl CaseIdentifier {
    /// Read `text` as an identifier of `kind`. An ISBT 128 value must read as that kind (with a
    /// right check character); another kind is a code of 1–60 letters, digits and `-./`.
    pub fn read(
        kind: IdentifierKind,
        text: &str,
        unit: Option<String>,
    ) -> Result<CaseIdentifier, String> {
        let value = canonical(kind, text)?;
        Ok(CaseIdentifier { kind, value, unit })
    }

    /// As printed on the label for people: a DIN with its check character (`W1234 25 000012
    /// K`), a chain of identity identifier as `&/CH W1234 25 A1B2C3`, other kinds as kept.
    pub fn printed(&self) -> String {
        printed(self.kind, &self.value)
    }

    /// What a barcode of it carries, so a scan reads back as this identifier: a DIN as `=`,
    /// its 13 characters and the flags (`00`: none set), a chain of identity identifier as
    /// `&/CH…`, other kinds as kept.
    pub fn barcode(&self) -> String {
        match identifiers::read(&self.value) {
            Ok(Identifier::Isbt128Din(d)) if self.kind == IdentifierKind::Isbt128Din => d.barcode(),
            Ok(Identifier::Isbt128Coi(c)) if self.kind == IdentifierKind::Isbt128Coi => c.barcode(),
            _ => self.value.clone(),
        }
    }
}

fn canonical(kind: IdentifierKind, text: &str) -> Result<String, String> {
    match kind {
        IdentifierKind::Isbt128Din | IdentifierKind::Isbt128Coi => {
            match (kind, identifiers::read(text).map_err(|e| e.to_string())?) {
                (IdentifierKind::Isbt128Din, Identifier::Isbt128Din(d)) => Ok(d.key()),
                (IdentifierKind::Isbt128Coi, Identifier::Isbt128Coi(c)) => Ok(c.key()),
                (_, other) => Err(format!(
                    "{other} is a {}, not a {}",
                    noun(kind_of(&other)),
                    noun(kind)
                )),
            }
        }
        IdentifierKind::ManufacturerOrderId | IdentifierKind::LotNumber => {
            let value: String = text
                .trim()
                .chars()
                .filter(|c| *c != ' ')
                .map(|c| c.to_ascii_uppercase())
                .collect();
            if value.is_empty() {
                return Err(format!("the {} is empty", noun(kind)));
            }
            if value.chars().count() > FREE_ID_MAX {
                return Err(format!(
                    "a {} has at most {FREE_ID_MAX} characters",
                    noun(kind)
                ));
            }
            if let Some(bad) = value
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/')))
            {
                return Err(format!(
                    "{bad:?} cannot be part of a {} (letters, digits, - . / only)",
                    noun(kind)
                ));
            }
            Ok(value)
        }
    }
}

fn kind_of(id: &Identifier) -> IdentifierKind {
    match id {
        Identifier::Isbt128Din(_) => IdentifierKind::Isbt128Din,
        Identifier::Isbt128Coi(_) => IdentifierKind::Isbt128Coi,
    }
}

fn printed(kind: IdentifierKind, value: &str) -> String {
    match kind {
        IdentifierKind::Isbt128Din | IdentifierKind::Isbt128Coi => identifiers::read(value)
            .map(|id| id.to_string())
            .unwrap_or_else(|_| value.to_string()),
        IdentifierKind::ManufacturerOrderId | IdentifierKind::LotNumber => value.to_string(),
    }
}

/// What a kind of identifier is called where a person reads it.
pub fn noun(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::ManufacturerOrderId => "manufacturer order id",
        IdentifierKind::LotNumber => "lot number",
        IdentifierKind::Isbt128Din => "donation identification number",
        IdentifierKind::Isbt128Coi => "chain of identity identifier",
    }
}

/// What the scanned thing is, in the words of the mismatch message ("bag W1234 …").
fn thing(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::ManufacturerOrderId => "order",
        IdentifierKind::LotNumber => "lot",
        IdentifierKind::Isbt128Din => "bag",
        IdentifierKind::Isbt128Coi => "chain of identity identifier",
    }
}

/// A scan that read well but names another patient's material (or none of this case's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanMismatch {
    /// The case's pseudonym.
    pub case: String,
    pub kind: IdentifierKind,
    /// What was scanned, as printed.
    pub scanned: String,
    /// This case's identifiers of that kind, as printed (empty when it has none yet).
    pub expected: Vec<String>,
}

impl fmt::Display for ScanMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} does not belong to case {}: ",
            thing(self.kind),
            self.scanned,
            self.case
        )?;
        if self.expected.is_empty() {
            write!(f, "the case has no {} on record", noun(self.kind))
        } else {
            write!(f, "expected {}", self.expected.join(" or "))
        }
    }
}

/// Why a scan was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error(
        "this program's labels carry no {}: scan one of {}",
        noun(*.kind),
        .scheme.iter().map(|k| noun(*k)).collect::<Vec<_>>().join(", ")
    )]
    NotInScheme {
        kind: IdentifierKind,
        scheme: Vec<IdentifierKind>,
    },
    /// The label could not be read as that kind: scan again or type it (nothing is recorded).
    #[error("the scan did not read as a {}: {reason}; scan again or type the value", noun(*.kind))]
    Unreadable {
        kind: IdentifierKind,
        reason: String,
    },
    #[error("{0}")]
    Mismatch(ScanMismatch),
}

/// Match a scanned or typed value against the case's identifiers of the expected kind.
pub fn check_scan<'c>(
    case: &'c Case,
    expected: IdentifierKind,
    text: &str,
) -> Result<&'c CaseIdentifier, ScanError> {
    check_scan_for(case, expected, text, None)
}

/// As [`check_scan`], for a step about one product unit: an identifier of the whole case, or
/// of that unit, matches; another unit's does not (the CD8 bag at the CD4 bedside check).
pub fn check_scan_for<'c>(
    case: &'c Case,
    expected: IdentifierKind,
    text: &str,
    unit: Option<&str>,
) -> Result<&'c CaseIdentifier, ScanError> {
    if !case.identifier_kinds.contains(&expected) {
        return Err(ScanError::NotInScheme {
            kind: expected,
            scheme: case.identifier_kinds.clone(),
        });
    }
    let value = canonical(expected, text).map_err(|reason| ScanError::Unreadable {
        kind: expected,
        reason,
    })?;
    let candidates: Vec<&CaseIdentifier> = case
        .identifiers
        .iter()
        .filter(|i| i.kind == expected)
        .filter(|i| match (unit, &i.unit) {
            (Some(u), Some(own)) => u == own,
            _ => true,
        })
        .collect();
    candidates
        .iter()
        .find(|i| i.value == value)
        .copied()
        .ok_or_else(|| {
            ScanError::Mismatch(ScanMismatch {
                case: case.pseudonym.clone(),
                kind: expected,
                scanned: printed(expected, &value),
                expected: candidates.iter().map(|i| i.printed()).collect(),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_barcode_reads_back_as_the_identifier_it_was_made_from() {
        for (kind, typed, barcode) in [
            (
                IdentifierKind::Isbt128Din,
                "W1234 25 000012 Y",
                "=W12342500001200",
            ),
            (
                IdentifierKind::Isbt128Coi,
                "&/CH W1234 26 A1B2C3",
                "&/CHW123426A1B2C3",
            ),
            (IdentifierKind::LotNumber, "lot-hx 24017", "LOT-HX24017"),
        ] {
            let id = CaseIdentifier::read(kind, typed, None).expect("a good identifier");
            assert_eq!(id.barcode(), barcode);
            assert_eq!(
                CaseIdentifier::read(kind, &id.barcode(), None).expect("its barcode reads"),
                id
            );
        }
    }
}
