//! Consent documents (DESIGN.md §4.3, §4.4): a site's informed-consent form for a program,
//! versioned — the document by SHA-256, an effective date, its sections — moving draft →
//! active → retired. A version is made active only when it states what the patient is told if
//! the product cannot be manufactured or released (a section with that text, never a flag
//! alone); a case's consent names the active version. The gate reads the active version
//! (`contracting/gate.rs`); the app writes what these rules allow.

use crate::Date;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// Where a consent version stands: written (draft), in use (active), no longer in use
    /// (retired). One active version per site and program at a time.
    ConsentStatus, "consent version status" {
        Draft => "draft",
        Active => "active",
        Retired => "retired",
    }
);

impl ConsentStatus {
    /// For people: "draft", "active", "retired".
    pub fn label(self) -> &'static str {
        self.as_str()
    }
}

vocabulary!(
    /// Which consent a document records: the program's treatment consent (the versions a
    /// site keeps per program), or the patient's consent to infusion of an
    /// out-of-specification product under expanded access, a document of its own.
    ConsentDocumentType, "consent document type" {
        Treatment => "treatment",
        ExpandedAccess => "expanded_access",
    }
);

vocabulary!(
    /// What a section of a consent form is about: the one the gate asks for, or any other.
    SectionKind, "consent section kind" {
        ManufacturingFailure => "manufacturing_failure",
        Other => "other",
    }
);

/// One section of a consent form: its heading and its text as the form states it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSection {
    pub kind: SectionKind,
    pub heading: String,
    pub text: String,
}

/// The fewest characters of a manufacturing-failure section: enough for a sentence saying what
/// happens (a heading or "see above" is not a statement).
pub const FAILURE_TEXT_MIN_CHARS: usize = 40;

/// Why a consent version may not move, or a consent may not be recorded against it — said so
/// the person knows what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentRefusal {
    #[error(
        "consent version {number} has no manufacturing-failure section: add a section stating what the patient is told if the product cannot be manufactured or released, then make it active"
    )]
    NoFailureSection { number: i64 },
    #[error(
        "the manufacturing-failure section of consent version {number} says too little ({chars} characters): state what the patient is told if manufacturing fails, in at least {FAILURE_TEXT_MIN_CHARS} characters"
    )]
    FailureSectionTooShort { number: i64, chars: usize },
    #[error("consent version {number} has {count} manufacturing-failure sections: keep one")]
    SeveralFailureSections { number: i64, count: usize },
    #[error(
        "consent version {number} takes effect on {effective_on}: make it active on or after that day"
    )]
    NotYetEffective { number: i64, effective_on: Date },
    #[error("consent version {number} is {status}: only a draft is made active")]
    NotADraft { number: i64, status: ConsentStatus },
    #[error("consent version {number} is {status}: only the active version is retired")]
    NotActive { number: i64, status: ConsentStatus },
    #[error(
        "consent version {number} is a draft, not yet in use: record the patient's consent against the active version"
    )]
    ConsentOnDraft { number: i64 },
    #[error(
        "consent version {number} was retired on {retired_on}: record the patient's consent against the active version"
    )]
    ConsentOnRetired { number: i64, retired_on: Date },
}

/// A consent version as these rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentVersionFacts {
    pub number: i64,
    pub status: ConsentStatus,
    pub effective_on: Date,
    pub sections: Vec<ConsentSection>,
    /// The day it was retired, once it is.
    pub retired_on: Option<Date>,
}

/// The section stating the manufacturing-failure language: exactly one, with enough words.
pub fn failure_section(
    number: i64,
    sections: &[ConsentSection],
) -> Result<&ConsentSection, ConsentRefusal> {
    let found: Vec<&ConsentSection> = sections
        .iter()
        .filter(|s| s.kind == SectionKind::ManufacturingFailure)
        .collect();
    match found.as_slice() {
        [] => Err(ConsentRefusal::NoFailureSection { number }),
        [one] => {
            let chars = one.text.trim().chars().count();
            if chars < FAILURE_TEXT_MIN_CHARS {
                Err(ConsentRefusal::FailureSectionTooShort { number, chars })
            } else {
                Ok(one)
            }
        }
        many => Err(ConsentRefusal::SeveralFailureSections {
            number,
            count: many.len(),
        }),
    }
}

impl ConsentVersionFacts {
    /// Whether the version may be made active on `today`: a draft, in effect, stating the
    /// manufacturing-failure language.
    pub fn may_activate(&self, today: &Date) -> Result<(), ConsentRefusal> {
        if self.status != ConsentStatus::Draft {
            return Err(ConsentRefusal::NotADraft {
                number: self.number,
                status: self.status,
            });
        }
        if self.effective_on > *today {
            return Err(ConsentRefusal::NotYetEffective {
                number: self.number,
                effective_on: self.effective_on.clone(),
            });
        }
        failure_section(self.number, &self.sections).map(|_| ())
    }

    /// Whether the version may be retired: only the active one.
    pub fn may_retire(&self) -> Result<(), ConsentRefusal> {
        if self.status == ConsentStatus::Active {
            Ok(())
        } else {
            Err(ConsentRefusal::NotActive {
                number: self.number,
                status: self.status,
            })
        }
    }

    /// Whether a patient's consent may be recorded against this version: only the active one.
    pub fn may_consent_to(&self) -> Result<(), ConsentRefusal> {
        match self.status {
            ConsentStatus::Active => Ok(()),
            ConsentStatus::Draft => Err(ConsentRefusal::ConsentOnDraft {
                number: self.number,
            }),
            ConsentStatus::Retired => Err(ConsentRefusal::ConsentOnRetired {
                number: self.number,
                retired_on: self
                    .retired_on
                    .clone()
                    .expect("a retired version has its day"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    const FAILURE: &str = "If your cells cannot be made into the product, or the product does not meet its release specification, your doctor will discuss other treatment with you.";

    fn section(kind: SectionKind, text: &str) -> ConsentSection {
        ConsentSection {
            kind,
            heading: "Section".into(),
            text: text.into(),
        }
    }

    fn draft(sections: Vec<ConsentSection>) -> ConsentVersionFacts {
        ConsentVersionFacts {
            number: 2,
            status: ConsentStatus::Draft,
            effective_on: d("2026-12-01"),
            sections,
            retired_on: None,
        }
    }

    #[test]
    fn activation_needs_a_draft_in_effect_stating_the_failure_language() {
        let today = d("2026-12-06");
        let with = |sections| draft(sections).may_activate(&today);
        let cases: Vec<(&str, Result<(), ConsentRefusal>)> = vec![
            (
                "a failure section with its text",
                with(vec![
                    section(SectionKind::Other, "Risks"),
                    section(SectionKind::ManufacturingFailure, FAILURE),
                ]),
            ),
            (
                "no failure section, only others",
                with(vec![section(SectionKind::Other, FAILURE)]),
            ),
            (
                "a failure section that is a heading, a checkbox's worth",
                with(vec![section(SectionKind::ManufacturingFailure, "  Yes  ")]),
            ),
            (
                "two failure sections",
                with(vec![
                    section(SectionKind::ManufacturingFailure, FAILURE),
                    section(SectionKind::ManufacturingFailure, FAILURE),
                ]),
            ),
        ];
        let said: Vec<(&str, String)> = cases
            .into_iter()
            .map(|(what, r)| (what, r.map_or_else(|e| e.to_string(), |()| "ok".into())))
            .collect();
        assert_eq!(said[0].1, "ok");
        assert!(
            said[1].1.contains("has no manufacturing-failure section"),
            "{said:?}"
        );
        assert!(
            said[2].1.contains("says too little (3 characters)"),
            "{said:?}"
        );
        assert!(
            said[3].1.contains("2 manufacturing-failure sections"),
            "{said:?}"
        );
    }

    #[test]
    fn the_text_must_reach_the_minimum_exactly() {
        let at = "x".repeat(FAILURE_TEXT_MIN_CHARS);
        let below = "x".repeat(FAILURE_TEXT_MIN_CHARS - 1);
        assert!(failure_section(1, &[section(SectionKind::ManufacturingFailure, &at)]).is_ok());
        assert_eq!(
            failure_section(1, &[section(SectionKind::ManufacturingFailure, &below)]),
            Err(ConsentRefusal::FailureSectionTooShort {
                number: 1,
                chars: FAILURE_TEXT_MIN_CHARS - 1
            })
        );
    }

    #[test]
    fn a_version_is_made_active_on_or_after_its_effective_day_only() {
        let v = draft(vec![section(SectionKind::ManufacturingFailure, FAILURE)]);
        assert_eq!(
            v.may_activate(&d("2026-11-30")),
            Err(ConsentRefusal::NotYetEffective {
                number: 2,
                effective_on: d("2026-12-01")
            })
        );
        assert_eq!(v.may_activate(&d("2026-12-01")), Ok(()));
    }

    #[test]
    fn status_moves_draft_active_retired_and_only_the_active_takes_consent() {
        use ConsentStatus::*;
        let today = d("2026-12-06");
        for (status, activate, retire, consent) in [
            (Draft, true, false, false),
            (Active, false, true, true),
            (Retired, false, false, false),
        ] {
            let v = ConsentVersionFacts {
                status,
                retired_on: (status == Retired).then(|| d("2026-12-05")),
                ..draft(vec![section(SectionKind::ManufacturingFailure, FAILURE)])
            };
            assert_eq!(v.may_activate(&today).is_ok(), activate, "{status}");
            assert_eq!(v.may_retire().is_ok(), retire, "{status}");
            assert_eq!(v.may_consent_to().is_ok(), consent, "{status}");
        }
    }

    #[test]
    fn a_consent_against_a_retired_version_says_when_and_what_to_do() {
        let v = ConsentVersionFacts {
            status: ConsentStatus::Retired,
            retired_on: Some(d("2026-12-05")),
            ..draft(vec![])
        };
        assert_eq!(
            v.may_consent_to().unwrap_err().to_string(),
            "consent version 2 was retired on 2026-12-05: record the patient's consent against the active version"
        );
    }
}
