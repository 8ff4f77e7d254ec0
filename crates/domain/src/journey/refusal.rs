//! Why the engine says no, in the words of the person at the bench or the bedside: which step
//! (by name), what it waits for, and what to do. Only a scan mismatch also leaves something on
//! the record — the deviation, which the app writes even though the command is refused.

use super::identity::ScanError;
use crate::Role;
use crate::events::cases::{CaseEvent, ReleaseDecision};
use crate::org::OrgKind;
use crate::process_map::{SignatureMeaning, StepKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the case is not open yet")]
    NotOpened,
    /// A consent against a version that is not the active one, or not this case's.
    #[error("{0}")]
    Consent(String),
    #[error("case {pseudonym} is already open")]
    AlreadyOpened { pseudonym: String },
    #[error(
        "case {pseudonym} was cancelled ({note}): a cancelled case does not move again; open a new case if treatment resumes"
    )]
    Cancelled { pseudonym: String, note: String },
    #[error("case {pseudonym} is on hold ({reason}): resume it first")]
    OnHold { pseudonym: String, reason: String },
    #[error("case {pseudonym} is not on hold")]
    NotOnHold { pseudonym: String },
    #[error(
        "case {pseudonym} stopped at {step}: the product was {}; what follows is the release-exception process",
        decision_words(*.decision)
    )]
    Stopped {
        pseudonym: String,
        step: String,
        decision: ReleaseDecision,
    },
    #[error("the map of this case has no step {step}")]
    UnknownStep { step: String },
    #[error("{step} is already done (attempt {attempt}); to do it again, repeat it with a reason")]
    AlreadyDone { step: String, attempt: u32 },
    #[error("{step} waits for {}", .waiting.join(", "))]
    Waiting { step: String, waiting: Vec<String> },
    #[error("{step} is held until {until} is done{}", if *.needs_release { " and the product released" } else { "" })]
    HeldUntil {
        step: String,
        until: String,
        needs_release: bool,
    },
    #[error("{step} is a {kind} step: {what}")]
    WrongCommand {
        step: String,
        kind: StepKind,
        what: &'static str,
    },
    #[error("{step} is done by {}; {name} acts as {}", role_list(.roles), role_list(.holds))]
    WrongRole {
        step: String,
        roles: Vec<Role>,
        name: String,
        holds: Vec<Role>,
    },
    #[error("{step} is recorded by the {}, not the {}", org_words(*.expected), org_words(*.actual))]
    WrongSide {
        step: String,
        expected: OrgKind,
        actual: OrgKind,
    },
    #[error("{step} is already recorded for attempt {attempt}; it waits for {}", .waiting.join(", "))]
    AlreadyRecorded {
        step: String,
        attempt: u32,
        waiting: Vec<String>,
    },
    #[error("{step}: fill in {}", .fields.join(", "))]
    MissingFields { step: String, fields: Vec<String> },
    #[error("{step} does not record {}: it lists {}", .fields.join(", "), if .listed.is_empty() { "no fields".to_string() } else { .listed.join(", ") })]
    UnknownFields {
        step: String,
        fields: Vec<String>,
        listed: Vec<String>,
    },
    #[error(
        "{step} is charted in the EHR: attest it with the EHR reference instead of charting it again"
    )]
    AttestationNeeded { step: String },
    #[error("{step} is recorded in cellpath, not attested from the EHR")]
    AttestationNotExpected { step: String },
    #[error("{step}: what was recorded with its first entry stays; this entry adds no fields")]
    EntryAlreadyMade { step: String },
    #[error("{what}: {problem}")]
    BadValue { what: String, problem: String },
    #[error("{step} asks for a scan of the label")]
    ScanNeeded { step: String },
    #[error("{0}")]
    Scan(ScanError),
    /// The scan read well but belongs to another case (or none of this one's): refused, and the
    /// deviation is written on the record.
    #[error("chain-of-identity mismatch: {message}")]
    ScanMismatch {
        message: String,
        deviation: Box<CaseEvent>,
    },
    #[error("the case already has {what}")]
    DuplicateIdentifier { what: String },
    #[error("{name} already verified {step}: the second verification must be by another person")]
    SameVerifier { step: String, name: String },
    #[error("{step} asks for no signature")]
    NoSignatureAsked { step: String },
    #[error("record {step} before signing it")]
    NothingToSign { step: String },
    #[error("{step} asks for no {meaning} signature by {}{}", role_list(.holds), if .remaining.is_empty() { String::new() } else { format!("; it still needs: {}", .remaining.join(", ")) })]
    SignatureNotAsked {
        step: String,
        meaning: SignatureMeaning,
        holds: Vec<Role>,
        remaining: Vec<String>,
    },
    #[error("{name} already signed {step}: each signature is by another person")]
    AlreadySigned { step: String, name: String },
    #[error("a signature needs the password re-entered")]
    PasswordNeeded,
    #[error("{unit} is {state}")]
    UnitState { unit: String, state: String },
    #[error("{unit} has not been thawed: thaw it before it is given")]
    NotThawed { unit: String },
    #[error(
        "the thaw window of {unit} closed {minutes} minutes ago: record a signed deviation with the reason to give it anyway, or end the unit as not infused"
    )]
    WindowClosed { unit: String, minutes: i64 },
    #[error("{unit} is inside its thaw window: no deviation is needed")]
    DeviationNotNeeded { unit: String },
    #[error("the product has not been released: {what} waits for the release decision")]
    NotReleased { what: String },
    #[error("{item} is held by {holder}, not {from}: the handoff must come from its holder")]
    NotHolder {
        item: String,
        holder: String,
        from: String,
    },
    #[error("{step} is not optional: it cannot be skipped")]
    NotOptional { step: String },
    #[error(
        "case {pseudonym} is not stopped at a release decision of {decision}: a release exception's decision cannot take it back"
    )]
    NotStoppedAtRelease { pseudonym: String, decision: String },
    #[error(
        "{step} does not come before {release}: a release exception's decision takes the case back to a done step on the way to the release"
    )]
    NotBeforeRelease { step: String, release: String },
    #[error("{step} has not been done yet: there is nothing to repeat")]
    NothingToRepeat { step: String },
    #[error("{unit} is {state}: the product in use cannot be collected or made again")]
    ProductInUse { unit: String, state: String },
    #[error("follow-up counts from the infusion, and no unit has been infused")]
    NotInfused,
    #[error("{key} is not a registry form on the schedule of case {pseudonym}")]
    NotScheduled { key: String, pseudonym: String },
    #[error("{form} was already submitted on {on} (reference {reference})")]
    FormSubmitted {
        form: String,
        on: crate::Date,
        reference: String,
    },
    #[error("the migration cannot be made: {}", .problems.join("; "))]
    Migration { problems: Vec<String> },
    /// Entries refused field by field (an adverse event's onset, an observation's findings).
    #[error("{}", .problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Fields { problems: Vec<FieldProblem> },
    #[error(
        "no unit of case {pseudonym} has been infused yet: an adverse event (CRS, ICANS) is recorded from the first infusion on"
    )]
    NotYetInfused { pseudonym: String },
    #[error("case {pseudonym} has no adverse event #{number}")]
    UnknownAdverseEvent { pseudonym: String, number: u32 },
    #[error(
        "{what} is {outcome}: nothing more is recorded on it (record a new adverse event if it comes back)"
    )]
    AdverseEventClosed { what: String, outcome: String },
}

/// One entry refused, by the field it was typed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Refusal {
    /// What must be written on the record even though the command is refused: the
    /// scan-mismatch deviation.
    pub fn recorded(&self) -> Option<&CaseEvent> {
        match self {
            Refusal::ScanMismatch { deviation, .. } => Some(deviation),
            _ => None,
        }
    }

    /// Whether retrying the same command later could succeed without anyone changing it (the
    /// case is waiting on something else) — the HTTP layer's 409 rather than 422.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Refusal::AlreadyOpened { .. }
                | Refusal::Cancelled { .. }
                | Refusal::OnHold { .. }
                | Refusal::NotOnHold { .. }
                | Refusal::Stopped { .. }
                | Refusal::NotStoppedAtRelease { .. }
                | Refusal::AlreadyDone { .. }
                | Refusal::Waiting { .. }
                | Refusal::HeldUntil { .. }
                | Refusal::AlreadyRecorded { .. }
                | Refusal::AlreadySigned { .. }
                | Refusal::SameVerifier { .. }
                | Refusal::NotReleased { .. }
                | Refusal::AdverseEventClosed { .. }
                | Refusal::NotYetInfused { .. }
                | Refusal::FormSubmitted { .. }
        )
    }
}

fn decision_words(d: ReleaseDecision) -> &'static str {
    match d {
        ReleaseDecision::Released => "released",
        ReleaseDecision::OutOfSpecification => "out of specification",
        ReleaseDecision::ManufacturingFailure => "a manufacturing failure",
    }
}

fn org_words(k: OrgKind) -> &'static str {
    match k {
        OrgKind::Manufacturer => "manufacturer",
        OrgKind::HealthSystem => "health system",
    }
}

fn role_list(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "no role".into();
    }
    roles
        .iter()
        .map(|r| r.as_str().replace('_', " "))
        .collect::<Vec<_>>()
        .join(" or ")
}
