//! The ISBT 128 Chain of Identity Identifier (ST-028, Data Structure 040): the data identifier
//! `&/`, then `CH`, the issuer's facility identification number (αpppp), a two-digit year and a
//! six-character sequence — 15 characters after `&/`. It links every collection of one
//! patient's therapy and is assigned at or before the first collection.

use super::{FacilityCode, IdentifierError};
use serde::Serialize;

const KIND: &str = "chain of identity identifier";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainOfIdentity {
    pub facility: FacilityCode,
    pub year: String,
    pub sequence: String,
}

impl ChainOfIdentity {
    /// A new identifier issued by `facility` in year `year` with its next `sequence`.
    pub fn issue(
        facility: &FacilityCode,
        year: u32,
        sequence: u32,
    ) -> Result<ChainOfIdentity, String> {
        if year > 99 || sequence > 999_999 {
            return Err(format!(
                "a chain of identity identifier has a two-digit year and a six-character sequence, not {year} and {sequence}"
            ));
        }
        Ok(ChainOfIdentity {
            facility: facility.clone(),
            year: format!("{year:02}"),
            sequence: format!("{sequence:06}"),
        })
    }

    /// The 15 characters after the data identifier, without spaces: `CHW123425A1B2C3`.
    pub fn key(&self) -> String {
        format!("CH{}{}{}", self.facility, self.year, self.sequence)
    }

    /// The barcode's data content: `&/` and the key.
    pub fn barcode(&self) -> String {
        format!("&/{}", self.key())
    }

    /// The 15 characters after `&/`.
    pub(super) fn parse(text: &str) -> Result<ChainOfIdentity, IdentifierError> {
        let structure = |reason: String| IdentifierError::Structure { kind: KIND, reason };
        if text.len() != 15 {
            return Err(structure(format!(
                "a chain of identity identifier is `&/` and 15 characters (CH, facility, year, sequence), not {} characters",
                text.len()
            )));
        }
        if &text[..2] != "CH" {
            return Err(structure(format!(
                "a chain of identity identifier starts with CH after `&/`, not {:?}",
                &text[..2]
            )));
        }
        let facility = FacilityCode::parse(&text[2..7]).map_err(structure)?;
        let year = &text[7..9];
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(structure(format!("the year is two digits, not {year:?}")));
        }
        let sequence = &text[9..];
        if !sequence
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(structure(format!(
                "the sequence is six letters (A–Z) or digits, not {sequence:?}"
            )));
        }
        Ok(ChainOfIdentity {
            facility,
            year: year.to_string(),
            sequence: sequence.to_string(),
        })
    }
}

/// As printed for people: `&/CH W1234 25 A1B2C3`.
impl std::fmt::Display for ChainOfIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "&/CH {} {} {}", self.facility, self.year, self.sequence)
    }
}
