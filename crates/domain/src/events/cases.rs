//! Cases' events, on the partnership's ledger: what the journey engine's `decide` returns and
//! its `evolve` folds (DESIGN.md §3, §4.1, §4.4). A case is opened (`case.opened`, a
//! [`Created`] record); every later event names it by `case_id`. Steps are keyed by (step,
//! attempt). Times are microseconds UTC, as the ledger's `recorded_at`; the patient appears
//! only as the case's pseudonym.
//!
//! These types are listed by [`each`] but not yet by `events::each`: the store's record test
//! demands that every type there meets an event of the earlier release's record, which has no
//! cases. `events::each_not_yet_recorded` visits them.

use super::{Created, events};
use crate::journey::{CaseIdentifier, Disposition, Item, Micros, Temperature};
use crate::process_map::{FollowUpTrack, SignatureMeaning};
use crate::program::IdentifierKind;
use crate::toxicity::{
    CrsObservations, Graded, IcansObservations, ObservationProblem, grade_crs, grade_icans,
};
use crate::{Date, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who did it: the user, the printed name (21 CFR 11.50) and the role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActedBy {
    pub user_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// A step charted in the hospital's EHR: cellpath keeps who attests it (the event's `by`),
/// when it was charted, and the EHR's reference, instead of charting it twice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EhrAttestation {
    pub reference: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::micros))]
    pub charted_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFields {
    pub key: String,
    pub name: String,
    pub thaw_window_minutes: u32,
}

/// The patient as the partnership's ledger knows them (DESIGN.md §3): initials, birth year,
/// the salted SHA-256 of the identity kept on the health system's ledger, and the hash of the
/// event that registered it there (the reference across ledgers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePatient {
    pub initials: String,
    pub birth_year: u32,
    pub identity_sha256: String,
    pub registration: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// The site map version the case runs on (until a migration moves it).
    pub map_version_id: String,
    /// E.g. `VAN-LUH-0042`; the patient's identity stays on the health system's ledger.
    pub pseudonym: String,
    pub patient: CasePatient,
    /// The program's identifier scheme: the kinds of identifier its labels carry.
    pub identifier_kinds: Vec<IdentifierKind>,
    pub units: Vec<UnitFields>,
    pub opened_by: ActedBy,
    pub opened_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifierAdded {
    pub case_id: String,
    pub identifier: CaseIdentifier,
    pub by: ActedBy,
    pub at: Micros,
}

vocabulary!(
    /// The manufacturer's release decision, made in its own quality system.
    ReleaseDecision, "release decision" {
        Released => "released",
        OutOfSpecification => "out_of_specification",
        ManufacturingFailure => "manufacturing_failure",
    }
);

/// One registry form due on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDue {
    pub form: String,
    pub due_on: Date,
}

/// What a step's kind recorded (a custody handoff records a [`CustodyRecorded`] instead, a
/// signature step its signatures, a dual verification its verifications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// `record`: the listed fields (in the event's `fields`).
    Recorded,
    Released {
        decision: ReleaseDecision,
        certificate_reference: String,
        /// SHA-256 of the certificate document, 64 lower-case hex digits.
        certificate_sha256: String,
    },
    Scheduled {
        on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slot: Option<String>,
    },
    /// `hold_point`: the held work started, its condition met.
    HoldPassed,
    Thawed {
        unit: String,
        window_ends_at: Micros,
    },
    Administered {
        unit: String,
        disposition: Disposition,
    },
    MonitoringOpened {
        from: Date,
        until: Date,
    },
    FollowUpScheduled {
        /// The day counting starts from: the first infusion.
        infused_on: Date,
        forms: Vec<FormDue>,
        visits: Vec<Date>,
    },
    Checked {
        items: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecorded {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub by: ActedBy,
    pub at: Micros,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<EhrAttestation>,
    pub outcome: Outcome,
}

/// One signature a step asks for. The password was re-entered (checked by the app before the
/// command); the ledger's own signature event names this one by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSigned {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub by: ActedBy,
    pub meaning: SignatureMeaning,
    pub at: Micros,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<EhrAttestation>,
}

/// One of the two people of a dual verification, with the identifier they scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepVerified {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub by: ActedBy,
    pub at: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned: Option<CaseIdentifier>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<EhrAttestation>,
}

/// A handoff of material between custodians, witnessed at a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyRecorded {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub items: Vec<Item>,
    pub from: String,
    pub to: String,
    pub location: String,
    pub by: ActedBy,
    pub at: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned: Option<CaseIdentifier>,
    pub temperature: Temperature,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<EhrAttestation>,
}

/// The step's attempt is done: everything it asks for is on the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepCompleted {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub at: Micros,
}

/// An optional step left out for this case (it counts as done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSkipped {
    pub case_id: String,
    pub step: String,
    pub attempt: u32,
    pub reason: String,
    pub by: ActedBy,
    pub at: Micros,
}

/// A step is done again (a new collection, a remanufacture): it and every step after it that
/// had begun start a new attempt, numbered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptStarted {
    pub case_id: String,
    pub step: String,
    pub reason: String,
    pub attempts: BTreeMap<String, u32>,
    pub by: ActedBy,
    pub at: Micros,
    /// The release exception whose decision (remanufacture, re-collection) takes a case
    /// stopped at its release decision back to these steps: the case goes on again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_exception: Option<String>,
}

vocabulary!(
    /// What a deviation departs from.
    DeviationKind, "deviation kind" {
        /// A scan named material of another case (or none of this one's).
        ScanMismatch => "scan_mismatch",
        /// A unit given after its thaw window closed.
        ThawWindow => "thaw_window",
        /// A handoff reported a temperature outside the label's range.
        TemperatureExcursion => "temperature_excursion",
        /// Any other departure from the map, with its reason.
        Other => "other",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationRecorded {
    pub case_id: String,
    pub kind: DeviationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub reason: String,
    /// Signed with the password re-entered (the ledger's signature event names this one).
    pub signed: bool,
    pub by: ActedBy,
    pub at: Micros,
}

/// A unit ends before its administration step (returned, discarded, not infused): its thaw,
/// bedside verification and administration steps are settled with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEnded {
    pub case_id: String,
    pub unit: String,
    pub disposition: Disposition,
    pub by: ActedBy,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseHeld {
    pub case_id: String,
    pub reason: String,
    pub by: ActedBy,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseResumed {
    pub case_id: String,
    pub note: String,
    pub by: ActedBy,
    pub at: Micros,
    /// The release exception under whose expanded access an out-of-specification product
    /// may be used, once its four prerequisites are recorded: the case stopped at the
    /// release decision goes on, and the product counts as usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expanded_access: Option<String>,
}

/// The case ends here; the note tells the care team where the patient goes from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseCancelled {
    pub case_id: String,
    pub care_transition_note: String,
    pub by: ActedBy,
    pub at: Micros,
}

/// The case moves to a newer signed site map version; each done step of the old version maps
/// to the step of the new one that it counts as (signed: the ledger's signature event names
/// this one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMigrated {
    pub case_id: String,
    pub from_version_id: String,
    pub to_version_id: String,
    /// Old step key → new step key, for every done step.
    pub mapping: BTreeMap<String, String>,
    pub by: ActedBy,
    pub at: Micros,
}

vocabulary!(
    /// Where the payer's prior authorization stands.
    PriorAuthorizationStatus, "prior authorization status" {
        Pending => "pending",
        Approved => "approved",
        Denied => "denied",
    }
);

/// The payer's prior authorization: requested on a day, decided (approved or denied) on a
/// later one, under the payer's reference.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorAuthorization {
    pub status: PriorAuthorizationStatus,
    pub requested_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<Date>,
    pub reference: String,
}

/// Benefits verified for the case (the latest replaces the one before): the payer, the plan
/// and where the prior authorization stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitsVerified {
    pub case_id: String,
    pub payer: String,
    pub plan: String,
    pub prior_authorization: PriorAuthorization,
    pub by: ActedBy,
    pub at: Micros,
}

vocabulary!(
    /// The kinds of adverse event cellpath grades (ASTCT consensus, DOMAIN.md).
    AdverseEventKind, "adverse event kind" {
        /// Cytokine release syndrome.
        Crs => "crs",
        /// Immune effector cell-associated neurotoxicity syndrome.
        Icans => "icans",
    }
);

impl AdverseEventKind {
    /// The short name clinicians use.
    pub fn label(self) -> &'static str {
        match self {
            AdverseEventKind::Crs => "CRS",
            AdverseEventKind::Icans => "ICANS",
        }
    }
}

vocabulary!(
    /// Who signed a consent form: the patient, or their legally authorized representative
    /// (never by name: the partnership's ledger knows the patient only by pseudonym).
    ConsentGiver, "who consented" {
        Patient => "patient",
        LegallyAuthorizedRepresentative => "legally_authorized_representative",
    }
);

impl ConsentGiver {
    /// For people: "the patient", "a legally authorized representative".
    pub fn label(self) -> &'static str {
        match self {
            ConsentGiver::Patient => "the patient",
            ConsentGiver::LegallyAuthorizedRepresentative => "a legally authorized representative",
        }
    }
}

/// What was observed at one time: CRS or ICANS findings (`{"crs": {…}}` or `{"icans": {…}}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Findings {
    Crs(CrsObservations),
    Icans(IcansObservations),
}

impl Findings {
    pub fn kind(&self) -> AdverseEventKind {
        match self {
            Findings::Crs(_) => AdverseEventKind::Crs,
            Findings::Icans(_) => AdverseEventKind::Icans,
        }
    }

    /// The ASTCT grade of these findings, with the reasons in words, or the entries that
    /// cannot be graded, by field.
    pub fn grade(&self) -> Result<Graded, Vec<ObservationProblem>> {
        match self {
            Findings::Crs(o) => grade_crs(o),
            Findings::Icans(o) => grade_icans(o),
        }
    }

    /// The patient died of it (grade 5).
    pub fn died(&self) -> bool {
        match self {
            Findings::Crs(o) => o.died,
            Findings::Icans(o) => o.died,
        }
    }
}

/// One observation: when, the findings, and the grade `toxicity` computed from them. It is
/// built only by [`Observation::graded`], and a payload whose grade is not the grade of its
/// findings is refused when read: a grade is never typed by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ObservationPayload")]
pub struct Observation {
    at: Micros,
    findings: Findings,
    grade: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationPayload {
    at: Micros,
    findings: Findings,
    grade: u8,
}

impl TryFrom<ObservationPayload> for Observation {
    type Error = String;
    fn try_from(p: ObservationPayload) -> Result<Observation, String> {
        let (o, _) = Observation::graded(p.at, p.findings).map_err(|problems| {
            format!(
                "the observation cannot be graded: {}",
                problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        if o.grade != p.grade {
            return Err(format!(
                "the observation records grade {} but its findings are grade {}",
                p.grade, o.grade
            ));
        }
        Ok(o)
    }
}

impl Observation {
    /// Grade the findings observed at `at`.
    pub fn graded(
        at: Micros,
        findings: Findings,
    ) -> Result<(Observation, Graded), Vec<ObservationProblem>> {
        let graded = findings.grade()?;
        Ok((
            Observation {
                at,
                findings,
                grade: graded.grade,
            },
            graded,
        ))
    }

    pub fn at(&self) -> Micros {
        self.at
    }

    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    pub fn grade(&self) -> u8 {
        self.grade
    }

    /// The grade with its reasons in words (computed again from the findings, which were
    /// graded when the observation was made).
    pub fn graded_again(&self) -> Graded {
        self.findings.grade().unwrap_or_else(|_| Graded {
            grade: self.grade,
            because: Vec::new(),
        })
    }
}

/// An adverse event opened on a case with its first observations (in the order made). It is
/// numbered on its case from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AdverseEventPayload")]
pub struct AdverseEventRecorded {
    pub case_id: String,
    pub adverse_event: u32,
    pub kind: AdverseEventKind,
    pub onset_at: Micros,
    pub observations: Vec<Observation>,
    pub by: ActedBy,
    pub at: Micros,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdverseEventPayload {
    case_id: String,
    adverse_event: u32,
    kind: AdverseEventKind,
    onset_at: Micros,
    observations: Vec<Observation>,
    by: ActedBy,
    at: Micros,
}

impl TryFrom<AdverseEventPayload> for AdverseEventRecorded {
    type Error = String;
    fn try_from(p: AdverseEventPayload) -> Result<AdverseEventRecorded, String> {
        if p.observations.is_empty() {
            return Err("an adverse event is recorded with its first observation".into());
        }
        if let Some(o) = p.observations.iter().find(|o| o.findings.kind() != p.kind) {
            return Err(format!(
                "a {} adverse event holds an observation of {}",
                p.kind.label(),
                o.findings.kind().label()
            ));
        }
        Ok(AdverseEventRecorded {
            case_id: p.case_id,
            adverse_event: p.adverse_event,
            kind: p.kind,
            onset_at: p.onset_at,
            observations: p.observations,
            by: p.by,
            at: p.at,
        })
    }
}

/// A later observation of an adverse event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventObserved {
    pub case_id: String,
    pub adverse_event: u32,
    pub observation: Observation,
    pub by: ActedBy,
    pub at: Micros,
}

vocabulary!(
    /// What an adverse event was treated with.
    Treatment, "treatment" {
        Tocilizumab => "tocilizumab",
        /// Corticosteroids, e.g. dexamethasone or methylprednisolone.
        Steroids => "steroids",
    }
);

/// A treatment given for an adverse event, at a time, with its dose and route in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventTreated {
    pub case_id: String,
    pub adverse_event: u32,
    pub treatment: Treatment,
    pub given_at: Micros,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub by: ActedBy,
    pub at: Micros,
}

/// How an adverse event stands: still ongoing, resolved on a day, or fatal (grade 5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdverseEventOutcome {
    Ongoing,
    Resolved { on: Date },
    Fatal { on: Date },
}

impl AdverseEventOutcome {
    /// Resolved or fatal: nothing more is observed, treated or decided on it.
    pub fn is_final(&self) -> bool {
        !matches!(self, AdverseEventOutcome::Ongoing)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventOutcomeRecorded {
    pub case_id: String,
    pub adverse_event: u32,
    pub outcome: AdverseEventOutcome,
    pub by: ActedBy,
    pub at: Micros,
}

/// The patient's informed consent, against the site's active consent version for the
/// program (the latest replaces the one before: a re-consent on a newer version): who
/// consented (the patient or a representative), the day the form was signed, the witness (by
/// name: a member of staff or another adult, not the patient), and the version by id, number
/// and document hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecorded {
    pub case_id: String,
    pub consent_version_id: String,
    pub version_number: i64,
    pub document_sha256: String,
    pub consented_by: ConsentGiver,
    pub signed_on: Date,
    pub witness: String,
    pub by: ActedBy,
    pub at: Micros,
}

/// One registry form on a case's schedule, with its window (`registry::schedule`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledForm {
    /// E.g. `cibmtr-4100-day-365`: what a submission names.
    pub key: String,
    pub form: String,
    /// 1 for the form's first time on the schedule, 2 for its second…
    pub occurrence: u32,
    /// When it falls due, in words ("day 100", "6 months", "1 year").
    pub when: String,
    pub opens_on: Date,
    pub due_on: Date,
    /// The last day before it is overdue.
    pub closes_on: Date,
}

/// The first infusion scheduled the case's registry follow-up: the forms and visits of the
/// map's `follow_up` step, counted from the infusion day (derived, never entered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryScheduled {
    pub case_id: String,
    /// The map's `follow_up` step the schedule comes from.
    pub step: String,
    pub infused_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<FollowUpTrack>,
    pub forms: Vec<ScheduledForm>,
    pub visits: Vec<Date>,
    pub at: Micros,
}

/// A scheduled registry form was submitted to the registry (on a day, under the registry's
/// reference), as the health system's data manager records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFormSubmitted {
    pub case_id: String,
    /// The scheduled form's key.
    pub key: String,
    pub form: String,
    pub submitted_on: Date,
    pub reference: String,
    pub by: ActedBy,
    pub at: Micros,
}

pub type CaseOpened = Created<CaseFields>;

vocabulary!(
    /// Where a case stands as a whole, as lists show it (the fold's `CaseStatus` without its
    /// details).
    CaseState, "case state" {
        Active => "active",
        OnHold => "on_hold",
        Stopped => "stopped",
        Cancelled => "cancelled",
    }
);

/// Declares each type's `KIND` (and `each`), and [`CaseEvent`] with one variant per type.
macro_rules! case_events {
    ($($variant:ident($ty:ty) => $kind:literal),+ $(,)?) => {
        events! { $($ty => $kind),+ }

        /// Any event of a case, as `decide` returns them and `evolve` folds them. It serializes
        /// to the payload of the event inside (the ledger's `type` is [`CaseEvent::kind`]);
        /// [`CaseEvent::read`] reads a payload back given its type.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(untagged)]
        pub enum CaseEvent {
            $($variant($ty)),+
        }

        impl CaseEvent {
            /// The ledger's `type` of this event, e.g. `case.step_recorded`.
            pub fn kind(&self) -> &'static str {
                match self { $(CaseEvent::$variant(_) => $kind),+ }
            }

            /// Read a payload of type `kind`; `None` when the kind is not a case's.
            pub fn read<'de, D: serde::Deserializer<'de>>(
                kind: &str,
                payload: D,
            ) -> Option<Result<CaseEvent, D::Error>> {
                match kind {
                    $($kind => Some(<$ty as Deserialize>::deserialize(payload).map(CaseEvent::$variant)),)+
                    _ => None,
                }
            }
        }

        $(impl From<$ty> for CaseEvent {
            fn from(e: $ty) -> CaseEvent {
                CaseEvent::$variant(e)
            }
        })+
    };
}

case_events! {
    Opened(CaseOpened) => "case.opened",
    IdentifierAdded(IdentifierAdded) => "case.identifier_added",
    StepRecorded(StepRecorded) => "case.step_recorded",
    StepSigned(StepSigned) => "case.step_signed",
    StepVerified(StepVerified) => "case.step_verified",
    CustodyRecorded(CustodyRecorded) => "case.custody_recorded",
    StepCompleted(StepCompleted) => "case.step_completed",
    StepSkipped(StepSkipped) => "case.step_skipped",
    AttemptStarted(AttemptStarted) => "case.attempt_started",
    DeviationRecorded(DeviationRecorded) => "case.deviation_recorded",
    UnitEnded(UnitEnded) => "case.unit_ended",
    Held(CaseHeld) => "case.held",
    Resumed(CaseResumed) => "case.resumed",
    Cancelled(CaseCancelled) => "case.cancelled",
    Migrated(CaseMigrated) => "case.migrated",
    BenefitsVerified(BenefitsVerified) => "case.benefits_verified",
    AdverseEventRecorded(AdverseEventRecorded) => "case.adverse_event_recorded",
    AdverseEventObserved(AdverseEventObserved) => "case.adverse_event_observed",
    AdverseEventTreated(AdverseEventTreated) => "case.adverse_event_treated",
    AdverseEventOutcome(AdverseEventOutcomeRecorded) => "case.adverse_event_outcome",
    ConsentRecorded(ConsentRecorded) => "case.consent_recorded",
    RegistryScheduled(RegistryScheduled) => "case.registry_scheduled",
    RegistryFormSubmitted(RegistryFormSubmitted) => "case.registry_form_submitted",
}

impl CaseEvent {
    /// The case the event is about.
    pub fn case_id(&self) -> &str {
        match self {
            CaseEvent::Opened(e) => &e.id,
            CaseEvent::IdentifierAdded(e) => &e.case_id,
            CaseEvent::StepRecorded(e) => &e.case_id,
            CaseEvent::StepSigned(e) => &e.case_id,
            CaseEvent::StepVerified(e) => &e.case_id,
            CaseEvent::CustodyRecorded(e) => &e.case_id,
            CaseEvent::StepCompleted(e) => &e.case_id,
            CaseEvent::StepSkipped(e) => &e.case_id,
            CaseEvent::AttemptStarted(e) => &e.case_id,
            CaseEvent::DeviationRecorded(e) => &e.case_id,
            CaseEvent::UnitEnded(e) => &e.case_id,
            CaseEvent::Held(e) => &e.case_id,
            CaseEvent::Resumed(e) => &e.case_id,
            CaseEvent::Cancelled(e) => &e.case_id,
            CaseEvent::Migrated(e) => &e.case_id,
            CaseEvent::BenefitsVerified(e) => &e.case_id,
            CaseEvent::AdverseEventRecorded(e) => &e.case_id,
            CaseEvent::AdverseEventObserved(e) => &e.case_id,
            CaseEvent::AdverseEventTreated(e) => &e.case_id,
            CaseEvent::AdverseEventOutcome(e) => &e.case_id,
            CaseEvent::ConsentRecorded(e) => &e.case_id,
            CaseEvent::RegistryScheduled(e) => &e.case_id,
            CaseEvent::RegistryFormSubmitted(e) => &e.case_id,
        }
    }

    /// The state the event puts the case in, when it changes it (what `evolve` does to the
    /// status, for a projection that keeps only the state).
    pub fn moves_to(&self) -> Option<CaseState> {
        match self {
            CaseEvent::Opened(_) | CaseEvent::Resumed(_) => Some(CaseState::Active),
            CaseEvent::AttemptStarted(AttemptStarted {
                release_exception: Some(_),
                ..
            }) => Some(CaseState::Active),
            CaseEvent::Held(_) => Some(CaseState::OnHold),
            CaseEvent::Cancelled(_) => Some(CaseState::Cancelled),
            CaseEvent::StepRecorded(StepRecorded {
                outcome: Outcome::Released { decision, .. },
                ..
            }) if *decision != ReleaseDecision::Released => Some(CaseState::Stopped),
            _ => None,
        }
    }
}
