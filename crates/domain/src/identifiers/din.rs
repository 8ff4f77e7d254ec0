//! The ISBT 128 donation identification number (Data Structure 001): `=` α pppp yy nnnnnn ff —
//! facility identification number (αpppp), year (yy), sequence (nnnnnn), two flag characters —
//! guarded by an ISO 7064 mod 37-2 check character over the 13 characters αppppyynnnnnn,
//! printed in a box beside them. Flags 60–96 carry that check character in the barcode itself
//! (60 + its value), so a scan can be checked without the box.

use super::mod37_2::{character_of, check_character, value_of};
use super::{FacilityCode, IdentifierError};
use serde::Serialize;

const KIND: &str = "donation identification number";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Din {
    pub facility: FacilityCode,
    /// Two digits.
    pub year: String,
    /// Six digits.
    pub sequence: String,
    /// The two flag characters, when the value carried them (a scan does; the printed
    /// number often does not).
    pub flags: Option<String>,
    /// The check character: as given, or as computed when none was given.
    pub check: char,
}

/// What a DIN's flag characters say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "flags", rename_all = "snake_case")]
pub enum FlagMeaning {
    /// `00`: flags not used.
    NotUsed,
    /// `60`–`96`: the check character, carried in the barcode.
    CheckCharacter { check: char },
    /// Any other value: a meaning of the facility's own (container in a set, …).
    Other { code: u8 },
}

impl Din {
    /// A new number for a collection at `facility`, in year `year` (two digits), with the
    /// facility's next `sequence`.
    pub fn issue(facility: &FacilityCode, year: u32, sequence: u32) -> Result<Din, String> {
        if year > 99 {
            return Err(format!("the year of a DIN is two digits, not {year}"));
        }
        if sequence > 999_999 {
            return Err(format!(
                "the sequence of a DIN is six digits: {sequence} is too large (the facility needs a new year or number)"
            ));
        }
        let year = format!("{year:02}");
        let sequence = format!("{sequence:06}");
        let body = format!("{facility}{year}{sequence}");
        Ok(Din {
            facility: facility.clone(),
            year,
            sequence,
            flags: None,
            check: check_character(&body).expect("facility code, year and sequence are 0–9A–Z"),
        })
    }

    /// The 13 characters αppppyynnnnnn: what identifies the donation (a case keeps and
    /// compares this; FHIR's `biologicalSourceEvent` carries it).
    pub fn key(&self) -> String {
        format!("{}{}{}", self.facility, self.year, self.sequence)
    }

    /// The barcode's data content: `=`, the 13 characters and the flags (`00` if none were
    /// given).
    pub fn barcode(&self) -> String {
        format!("={}{}", self.key(), self.flags.as_deref().unwrap_or("00"))
    }

    pub fn flag_meaning(&self) -> Option<FlagMeaning> {
        let code: u8 = self.flags.as_deref()?.parse().ok()?;
        Some(match code {
            0 => FlagMeaning::NotUsed,
            60..=96 => FlagMeaning::CheckCharacter {
                check: character_of(u32::from(code - 60)),
            },
            _ => FlagMeaning::Other { code },
        })
    }

    /// The barcode's data content after its `=`: 13 characters and 2 flags.
    pub(super) fn parse_barcode(rest: &str) -> Result<Din, IdentifierError> {
        if rest.len() != 15 {
            return Err(structure(format!(
                "a scanned DIN is `=` and 15 characters (13 and 2 flag characters), not {} after the `=`",
                rest.len()
            )));
        }
        Din::parts(&rest[..13], Some(&rest[13..]), None)
    }

    /// As printed or typed (spaces removed): 13 characters, then optionally the 2 flag
    /// characters, then optionally the check character.
    pub(super) fn parse_printed(text: &str) -> Result<Din, IdentifierError> {
        let (body, rest) = text.split_at(13);
        let (flags, check) = match rest.len() {
            0 => (None, None),
            1 => (None, rest.chars().next()),
            2 => (Some(rest), None),
            _ => (Some(&rest[..2]), rest[2..].chars().next()),
        };
        Din::parts(body, flags, check)
    }

    fn parts(body: &str, flags: Option<&str>, given: Option<char>) -> Result<Din, IdentifierError> {
        let facility = FacilityCode::parse(&body[..5]).map_err(structure)?;
        let year = &body[5..7];
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(structure(format!(
                "the year (characters 6–7 of {body}) is two digits, not {year:?}"
            )));
        }
        let sequence = &body[7..13];
        if !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(structure(format!(
                "the sequence (characters 8–13 of {body}) is six digits, not {sequence:?}"
            )));
        }
        if let Some(f) = flags
            && !f.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(structure(format!(
                "the flag characters after {body} are two digits, not {f:?}"
            )));
        }
        let expected = check_character(body).expect("checked: letters and digits");
        let din = Din {
            facility,
            year: year.to_string(),
            sequence: sequence.to_string(),
            flags: flags.map(str::to_string),
            check: expected,
        };
        let mut carried = given.map(|c| c.to_ascii_uppercase());
        if let Some(c) = carried
            && value_of(c).is_none()
        {
            return Err(structure(format!(
                "the check character is one of 0–9, A–Z or *, not {c:?}"
            )));
        }
        if let Some(FlagMeaning::CheckCharacter { check }) = din.flag_meaning() {
            if let Some(c) = carried
                && c != check
            {
                return Err(structure(format!(
                    "the flags {} carry the check character {check}, but {c} is printed beside them",
                    din.flags.as_deref().unwrap_or_default()
                )));
            }
            carried = Some(check);
        }
        match carried {
            Some(c) if c != expected => Err(IdentifierError::CheckCharacter {
                din: format!("{} {} {}", din.facility, din.year, din.sequence),
                given: c,
                expected,
            }),
            _ => Ok(din),
        }
    }
}

fn structure(reason: String) -> IdentifierError {
    IdentifierError::Structure { kind: KIND, reason }
}

/// As printed for people: `W1234 25 000012 Y`.
impl std::fmt::Display for Din {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.facility, self.year, self.sequence, self.check
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::read;

    #[test]
    fn flags_that_carry_the_check_character_are_checked() {
        // Y is 34: flags 94.
        let din = match read("=W12342500001294").unwrap() {
            super::super::Identifier::Isbt128Din(d) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            din.flag_meaning(),
            Some(FlagMeaning::CheckCharacter { check: 'Y' })
        );
        assert!(matches!(
            read("=W12342500001293"),
            Err(IdentifierError::CheckCharacter {
                given: 'X',
                expected: 'Y',
                ..
            })
        ));
        assert!(matches!(
            read("W1234 25 000012 94 X"),
            Err(IdentifierError::Structure { .. })
        ));
    }

    #[test]
    fn issuing_refuses_what_does_not_fit() {
        let w = FacilityCode::parse("W1234").unwrap();
        assert!(Din::issue(&w, 100, 1).is_err());
        assert!(Din::issue(&w, 25, 1_000_000).is_err());
        let din = Din::issue(&w, 25, 1).unwrap();
        assert_eq!(din.to_string(), "W1234 25 000001 3");
        assert_eq!(din.barcode(), "=W12342500000100");
        assert!(FacilityCode::parse("O1234").is_err());
        assert!(FacilityCode::parse("01234").is_err());
        assert!(FacilityCode::parse("W12A4").is_err());
    }
}
