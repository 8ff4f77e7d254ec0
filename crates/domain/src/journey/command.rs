//! What a person asks the engine to do on a case, and who they are. The app builds these from
//! a form or an API call; checking the password of a signer is the app's (it passes on that it
//! was re-entered), everything else is checked by `decide`.

use super::adverse::NewObservation;
use super::units::{Disposition, Item, Micros, Temperature};
use crate::events::cases::{
    ActedBy, AdverseEventKind, AdverseEventOutcome, CasePatient, EhrAttestation,
    PriorAuthorization, ReleaseDecision, Treatment,
};
use crate::org::OrgKind;
use crate::process_map::{SignatureMeaning, ValidMap};
use crate::program::IdentifierKind;
use crate::{Date, Role};
use std::collections::BTreeMap;

/// The person acting: their organization's kind and the roles they hold in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    /// Printed name, as signatures show it.
    pub name: String,
    pub org: OrgKind,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn holds(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub(crate) fn acting_as(&self, role: Option<Role>) -> ActedBy {
        ActedBy {
            user_id: self.user_id.clone(),
            name: self.name.clone(),
            role,
        }
    }
}

/// What the first entry on a step carries: the fields the step lists (for a step recorded in
/// cellpath) or the EHR attestation (for a step charted in the EHR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub fields: BTreeMap<String, String>,
    pub attestation: Option<EhrAttestation>,
}

/// A scanned or typed identifier and the kind of label field it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub expected: IdentifierKind,
    pub text: String,
}

/// Opening a case: the app has checked the site's authorization for the program today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub case_id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub map_version_id: String,
    pub pseudonym: String,
    pub patient: CasePatient,
    /// The program's identifier scheme.
    pub identifier_kinds: Vec<IdentifierKind>,
}

/// The kind-specific part of doing a step; it must match the step's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `record`.
    Record,
    /// `custody_handoff`.
    Handoff(Handoff),
    /// `release_decision` (made by the manufacturer's quality in its own system).
    Release {
        decision: ReleaseDecision,
        certificate_reference: String,
        certificate_sha256: String,
    },
    /// `schedule`.
    Schedule { on: Date, slot: Option<String> },
    /// `hold_point`: the held work starts.
    PassHold,
    /// `thaw`: the step's unit.
    Thaw,
    /// `administer`: the step's unit and how it ended. A unit given after its window closed
    /// needs a signed deviation with its reason.
    Administer {
        disposition: Disposition,
        late: Option<LateAdministration>,
    },
    /// `monitor`: the period starts on a day.
    Monitor { from: Date },
    /// `follow_up`: forms and visits are counted from the first infusion.
    FollowUp,
    /// `checklist`: the items ticked (all of the step's).
    Checklist { ticked: Vec<String> },
}

/// What a release exception's decision does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionOutcome {
    /// Remanufacture or re-collection: the case, stopped at its release decision, returns to
    /// a done step on the way to it — that step and every later one begun get a new attempt.
    Restart { step: String, reason: String },
    /// The out-of-specification product is cleared for use under expanded access (its
    /// prerequisites all recorded): the stopped case goes on.
    ExpandedAccess { note: String },
    /// Cancel the case with the care-transition plan.
    Cancel { care_transition_note: String },
}

/// A handoff of material between custodians.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    /// Empty: the starting material before release, every unit not yet ended after it.
    pub items: Vec<Item>,
    pub from: String,
    pub to: String,
    /// Where it happens; the map's location of the step when none is given.
    pub location: Option<String>,
    pub scan: Option<Scan>,
    pub temperature: Temperature,
}

/// The signed deviation that lets a unit be given outside its thaw window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateAdministration {
    pub reason: String,
    pub password_reentered: bool,
}

/// A move to a newer signed map version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub to: ValidMap,
    pub to_version_id: String,
    /// Old step key → new step key, for every done step.
    pub mapping: BTreeMap<String, String>,
    pub password_reentered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Open(OpenCase),
    /// Put an identifier of the program's scheme on the case (e.g. the DIN at collection).
    AddIdentifier {
        kind: IdentifierKind,
        text: String,
        unit: Option<String>,
    },
    /// Do a step (record, handoff, release, schedule, hold point, thaw, administer, monitor,
    /// follow-up, checklist).
    Act {
        step: String,
        entry: Entry,
        action: Action,
    },
    /// Sign a step with a stated meaning.
    Sign {
        step: String,
        meaning: SignatureMeaning,
        password_reentered: bool,
        entry: Entry,
    },
    /// One of the two people of a dual verification.
    Verify {
        step: String,
        scan: Option<Scan>,
        entry: Entry,
    },
    /// End a unit before its administration step: returned, discarded or not infused, with
    /// the reason (an infusion is recorded at the administration step).
    EndUnit {
        unit: String,
        disposition: Disposition,
    },
    /// Leave out an optional step.
    Skip {
        step: String,
        reason: String,
    },
    /// Do a done step again (a new collection, a remanufacture): a new attempt.
    Repeat {
        step: String,
        reason: String,
    },
    /// A departure from the map, with its reason.
    Deviation {
        step: Option<String>,
        reason: String,
        password_reentered: bool,
    },
    Hold {
        reason: String,
    },
    Resume {
        note: String,
    },
    Cancel {
        care_transition_note: String,
    },
    /// What a release exception's decision does to its case (the exception's own rules have
    /// decided who may decide it and when).
    AfterException {
        exception_id: String,
        outcome: ExceptionOutcome,
    },
    Migrate(Box<Migration>),
    /// Mark a scheduled registry form submitted, on a day, under the registry's reference.
    SubmitRegistryForm {
        key: String,
        submitted_on: Date,
        reference: String,
    },
    /// Record the benefits verified: payer, plan, prior authorization.
    VerifyBenefits {
        payer: String,
        plan: String,
        prior_authorization: PriorAuthorization,
    },
    /// Open an adverse event (CRS or ICANS) with its onset and first observations.
    RecordAdverseEvent {
        kind: AdverseEventKind,
        onset_at: Micros,
        observations: Vec<NewObservation>,
    },
    /// A later observation of adverse event `adverse_event`.
    ObserveAdverseEvent {
        adverse_event: u32,
        observation: NewObservation,
    },
    TreatAdverseEvent {
        adverse_event: u32,
        treatment: Treatment,
        given_at: Micros,
        /// Dose and route, in words (may be empty).
        detail: String,
    },
    AdverseEventOutcome {
        adverse_event: u32,
        outcome: AdverseEventOutcome,
    },
    /// Record the patient's consent against a consent version.
    RecordConsent(Box<Consent>),
}

/// A patient's consent as a person records it, with the consent version it names as the app
/// loaded it (the engine checks the version is the site's and program's, and active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub version_id: String,
    pub version_site_id: String,
    pub version_program_id: String,
    pub version: crate::consent::ConsentVersionFacts,
    pub document_sha256: String,
    pub consented_by: crate::events::cases::ConsentGiver,
    pub signed_on: Date,
    pub witness: String,
}

/// Minutes as microseconds, for building times in tests and callers.
pub const fn minutes(n: i64) -> Micros {
    n * 60_000_000
}
