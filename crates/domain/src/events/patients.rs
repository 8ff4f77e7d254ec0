//! Patients' identities, on the health system's ledger (DESIGN.md §3): the name, date of birth
//! and medical record number stay with the hospital. The partnership's ledger names a patient
//! only through a case's pseudonym, initials, birth year and the salted SHA-256 of this
//! identity (`cases::CasePatient`), with the hash of this event as the reference across ledgers.

use super::{Created, events};
use crate::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientFields {
    /// The site whose staff registered the patient.
    pub site_id: String,
    pub name: String,
    pub date_of_birth: Date,
    /// Medical record number at the health system.
    pub mrn: String,
    /// Random, 32 lower-case hex digits: what makes the identity's hash on the partnership's
    /// ledger impossible to find by trying names and birthdays.
    pub salt: String,
}

pub type PatientRegistered = Created<PatientFields>;

events! {
    PatientRegistered => "patient.registered",
}

impl PatientFields {
    /// The initials the partnership's ledger shows, upper case, at most four.
    pub fn initials(&self) -> String {
        self.name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .flat_map(char::to_uppercase)
            .take(4)
            .collect()
    }

    pub fn birth_year(&self) -> u32 {
        self.date_of_birth.as_str()[..4]
            .parse()
            .expect("a Date starts with its four-digit year")
    }
}
