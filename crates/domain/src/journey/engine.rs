//! The journey engine (DESIGN.md §4.1): `available(map, case)` — what may be done now and by
//! whom — and `decide(map, case, command, actor, now)` — the events a command records, or why
//! it is refused — with what every step command shares: the case must be active, the step open
//! (its `after` steps done, its hold released), the actor in the step's role on the right side,
//! the first entry complete, the scan matched. Each kind's own rule is in `steps.rs`, what
//! concerns the case as a whole in `lifecycle.rs`; `evolve` (in `case.rs`) folds the events.
//! Pure: the time is `now`, the map is the validated site map version the case runs on.

use super::case::{Attempt, Case, CaseStatus, evolve};
use super::command::{Actor, Command, Entry, Scan};
use super::identity::{CaseIdentifier, ScanError, check_scan_for};
use super::refusal::Refusal;
use super::units::Micros;
use crate::Role;
use crate::events::cases::{CaseEvent, DeviationKind, DeviationRecorded, StepCompleted};
use crate::org::OrgKind;
use crate::process_map::{RecordedIn, SignatureSpec, Step, StepKind, ValidMap};
use crate::refinement::SiteRefinement;
use crate::values::{Name, Notes};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Roles that open, hold, resume, cancel and migrate a case at the site.
const CASE_ROLES: &[Role] = &[Role::Coordinator, Role::Physician];

/// The map a case runs on: the validated site map version, and the role that does each step
/// at the site (the refinement's local owner, else the map's responsible role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMap {
    map: ValidMap,
    owners: BTreeMap<String, Role>,
}

impl CaseMap {
    pub fn new(map: ValidMap) -> CaseMap {
        CaseMap {
            map,
            owners: BTreeMap::new(),
        }
    }

    /// The effective map of a site's refinement, with its local owners.
    pub fn refined(map: ValidMap, refinement: &SiteRefinement) -> CaseMap {
        let owners = refinement
            .details
            .iter()
            .filter_map(|(k, d)| d.owner_role.map(|r| (k.clone(), r)))
            .collect();
        CaseMap { map, owners }
    }

    pub fn map(&self) -> &ValidMap {
        &self.map
    }

    /// Who does the step here.
    pub fn role_of(&self, step: &Step) -> Role {
        self.owners.get(&step.key).copied().unwrap_or(step.role)
    }
}

/// A step that may be done now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Available {
    pub step: String,
    pub name: String,
    pub kind: StepKind,
    pub attempt: u32,
    /// Who may act on it now: for a signature, the roles still to sign.
    pub roles: Vec<Role>,
    /// What it still needs when it is partly done, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<String>,
}

/// The steps that may be done now, in the map's order; none unless the case is active.
pub fn available(map: &CaseMap, case: &Case) -> Vec<Available> {
    if case.status != CaseStatus::Active {
        return Vec::new();
    }
    let passed = case.passed(map.map());
    crate::process_map::available(map.map(), &passed)
        .into_iter()
        .filter(|step| hold_released(map.map(), case, step))
        .map(|step| {
            let attempt = case.current(&step.key);
            let waiting = attempt
                .map(|a| still_needed(map, step, a))
                .unwrap_or_default();
            let roles = match step.kind {
                StepKind::Signature => remaining_signatures(step, attempt)
                    .iter()
                    .map(|s| s.role)
                    .collect(),
                _ if attempt.is_some_and(|a| kind_part_done(step, a)) => {
                    remaining_signatures(step, attempt)
                        .iter()
                        .map(|s| s.role)
                        .collect()
                }
                _ => vec![map.role_of(step)],
            };
            Available {
                step: step.key.clone(),
                name: step.name.clone(),
                kind: step.kind,
                attempt: case.attempt_of(&step.key),
                roles,
                waiting,
            }
        })
        .collect()
}

/// A hold point passes only once its `hold_until` step is done — and when that step is a
/// release decision, only if the product was released.
fn hold_released(map: &ValidMap, case: &Case, step: &Step) -> bool {
    match (&step.kind, &step.params.hold_until) {
        (StepKind::HoldPoint, Some(until)) => {
            case.has_passed(map, until) && released_if_release(map, case, until)
        }
        _ => true,
    }
}

fn released_if_release(map: &ValidMap, case: &Case, step: &str) -> bool {
    map.step(step)
        .is_none_or(|s| s.kind != StepKind::ReleaseDecision)
        || case.usable_release(step)
}

/// Whether the product exists to be moved, thawed or given: every release decision the map
/// has is done and released (a map without one — an off-the-shelf product — always is).
pub(super) fn product_released(map: &ValidMap, case: &Case) -> bool {
    map.steps()
        .filter(|s| s.kind == StepKind::ReleaseDecision)
        .all(|s| case.usable_release(&s.key))
}

/// The step kind's own part is on the record (signatures may still be missing).
pub(super) fn kind_part_done(step: &Step, a: &Attempt) -> bool {
    match step.kind {
        StepKind::Signature => true,
        StepKind::DualVerification => distinct_verifiers(a) >= 2,
        StepKind::CustodyHandoff => a.custody.is_some(),
        _ => a.recorded.is_some(),
    }
}

fn distinct_verifiers(a: &Attempt) -> usize {
    a.verifications
        .iter()
        .map(|v| &v.by.user_id)
        .collect::<BTreeSet<_>>()
        .len()
}

/// The signatures a step asks for that its attempt does not have yet (each spec once).
pub(super) fn remaining_signatures(step: &Step, a: Option<&Attempt>) -> Vec<SignatureSpec> {
    let mut signed: Vec<(Option<Role>, _)> = a
        .map(|a| {
            a.signatures
                .iter()
                .map(|s| (s.by.role, s.meaning))
                .collect()
        })
        .unwrap_or_default();
    step.params
        .signatures
        .iter()
        .filter(|spec| {
            match signed
                .iter()
                .position(|(r, m)| *r == Some(spec.role) && *m == spec.meaning)
            {
                Some(i) => {
                    signed.remove(i);
                    false
                }
                None => true,
            }
        })
        .copied()
        .collect()
}

fn complete(step: &Step, a: &Attempt) -> bool {
    kind_part_done(step, a) && remaining_signatures(step, Some(a)).is_empty()
}

pub(super) fn still_needed(map: &CaseMap, step: &Step, a: &Attempt) -> Vec<String> {
    let mut waiting = Vec::new();
    if step.kind == StepKind::DualVerification && distinct_verifiers(a) < 2 {
        waiting.push(format!(
            "a second verification by another {}",
            map.role_of(step).as_str().replace('_', " ")
        ));
    }
    for spec in remaining_signatures(step, Some(a)) {
        waiting.push(format!(
            "the {} signature of the {}",
            spec.meaning,
            spec.role.as_str().replace('_', " ")
        ));
    }
    waiting
}

/// Decide what a command records on the case, or refuse it. Nothing changes until the app
/// writes the events and folds them with `evolve`.
pub fn decide(
    map: &CaseMap,
    case: &Case,
    command: &Command,
    actor: &Actor,
    now: Micros,
) -> Result<Vec<CaseEvent>, Refusal> {
    let d = Decider {
        map,
        case,
        actor,
        now,
    };
    if let Command::Open(open) = command {
        return d.open(open);
    }
    match &case.status {
        CaseStatus::NotOpened => return Err(Refusal::NotOpened),
        CaseStatus::Cancelled {
            care_transition_note,
            ..
        } => {
            return Err(Refusal::Cancelled {
                pseudonym: case.pseudonym.clone(),
                note: care_transition_note.clone(),
            });
        }
        _ => {}
    }
    match command {
        Command::Open(open) => d.open(open),
        Command::Cancel {
            care_transition_note,
        } => d.cancel(care_transition_note),
        Command::Hold { reason } => d.hold(reason),
        Command::Resume { note } => d.resume(note),
        Command::Deviation {
            step,
            reason,
            password_reentered,
        } => d.deviation(step.as_deref(), reason, *password_reentered),
        Command::AddIdentifier { kind, text, unit } => d.add_identifier(*kind, text, unit),
        Command::Migrate(m) => d.migrate(m),
        Command::Act {
            step,
            entry,
            action,
        } => d.act(step, entry, action),
        Command::Sign {
            step,
            meaning,
            password_reentered,
            entry,
        } => d.sign(step, *meaning, *password_reentered, entry),
        Command::Verify { step, scan, entry } => d.verify(step, scan.as_ref(), entry),
        Command::Skip { step, reason } => d.skip(step, reason),
        Command::EndUnit { unit, disposition } => d.end_unit(unit, disposition),
        Command::Repeat { step, reason } => d.repeat(step, reason),
        Command::AfterException {
            exception_id,
            outcome,
        } => d.after_exception(exception_id, outcome),
        Command::VerifyBenefits {
            payer,
            plan,
            prior_authorization,
        } => d.verify_benefits(payer, plan, prior_authorization),
        Command::RecordAdverseEvent {
            kind,
            onset_at,
            observations,
        } => d.record_adverse_event(*kind, *onset_at, observations),
        Command::ObserveAdverseEvent {
            adverse_event,
            observation,
        } => d.observe_adverse_event(*adverse_event, observation),
        Command::TreatAdverseEvent {
            adverse_event,
            treatment,
            given_at,
            detail,
        } => d.treat_adverse_event(*adverse_event, *treatment, *given_at, detail),
        Command::AdverseEventOutcome {
            adverse_event,
            outcome,
        } => d.adverse_event_outcome(*adverse_event, outcome),
        Command::RecordConsent(consent) => d.record_consent(consent),
        Command::SubmitRegistryForm {
            key,
            submitted_on,
            reference,
        } => d.submit_form(key, submitted_on, reference),
    }
}

pub(super) struct Decider<'a> {
    pub(super) map: &'a CaseMap,
    pub(super) case: &'a Case,
    pub(super) actor: &'a Actor,
    pub(super) now: Micros,
}

pub(super) fn text<T>(
    what: &str,
    parsed: Result<T, crate::values::ValueError>,
) -> Result<T, Refusal> {
    parsed.map_err(|e| Refusal::BadValue {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

impl Decider<'_> {
    pub(super) fn by(&self, role: Option<Role>) -> crate::events::cases::ActedBy {
        self.actor.acting_as(role)
    }

    /// The first of `roles` the actor holds, or a refusal naming them.
    pub(super) fn role_among(&self, what: &str, roles: &[Role]) -> Result<Role, Refusal> {
        roles
            .iter()
            .copied()
            .find(|r| self.actor.holds(*r))
            .ok_or_else(|| Refusal::WrongRole {
                step: what.to_string(),
                roles: roles.to_vec(),
                name: self.actor.name.clone(),
                holds: self.actor.roles.clone(),
            })
    }

    pub(super) fn site_role(&self, what: &str) -> Result<Role, Refusal> {
        self.side(what, OrgKind::HealthSystem)?;
        self.role_among(what, CASE_ROLES)
    }

    pub(super) fn side(&self, what: &str, expected: OrgKind) -> Result<(), Refusal> {
        if self.actor.org == expected {
            Ok(())
        } else {
            Err(Refusal::WrongSide {
                step: what.to_string(),
                expected,
                actual: self.actor.org,
            })
        }
    }

    pub(super) fn active(&self) -> Result<(), Refusal> {
        match &self.case.status {
            CaseStatus::Active => Ok(()),
            CaseStatus::OnHold { reason, .. } => Err(Refusal::OnHold {
                pseudonym: self.case.pseudonym.clone(),
                reason: reason.clone(),
            }),
            CaseStatus::Stopped { step, decision } => Err(Refusal::Stopped {
                pseudonym: self.case.pseudonym.clone(),
                step: self.step_name(step),
                decision: *decision,
            }),
            CaseStatus::NotOpened => Err(Refusal::NotOpened),
            CaseStatus::Cancelled {
                care_transition_note,
                ..
            } => Err(Refusal::Cancelled {
                pseudonym: self.case.pseudonym.clone(),
                note: care_transition_note.clone(),
            }),
        }
    }

    pub(super) fn step_name(&self, key: &str) -> String {
        self.map
            .map()
            .step(key)
            .map_or_else(|| key.to_string(), |s| s.name.clone())
    }

    pub(super) fn step(&self, key: &str) -> Result<&Step, Refusal> {
        self.map
            .map()
            .step(key)
            .ok_or_else(|| Refusal::UnknownStep {
                step: key.to_string(),
            })
    }

    /// The step, if it may be done now: the case is active, the step not done, its `after`
    /// steps done, its hold released.
    pub(super) fn open_step(&self, key: &str) -> Result<&Step, Refusal> {
        self.active()?;
        let step = self.step(key)?;
        if let Some(unit) = self.case.ended_unit_of(step)
            && !self.case.is_done(key)
        {
            return Err(Refusal::UnitState {
                unit: unit.name.clone(),
                state: super::steps::unit_state_words(unit),
            });
        }
        if self.case.is_done(key) {
            return Err(Refusal::AlreadyDone {
                step: step.name.clone(),
                attempt: self.case.attempt_of(key),
            });
        }
        let waiting: Vec<String> = step
            .after
            .iter()
            .filter(|a| !self.case.has_passed(self.map.map(), a))
            .map(|a| self.step_name(a))
            .collect();
        if !waiting.is_empty() {
            return Err(Refusal::Waiting {
                step: step.name.clone(),
                waiting,
            });
        }
        if step.params.consent && self.case.consent.is_none() {
            return Err(Refusal::Consent(format!(
                "{} rests on the patient's consent: record the patient's consent against the active consent version first",
                step.name
            )));
        }
        if !hold_released(self.map.map(), self.case, step) {
            let until = step.params.hold_until.as_deref().unwrap_or_default();
            return Err(Refusal::HeldUntil {
                step: step.name.clone(),
                until: self.step_name(until),
                needs_release: self
                    .map
                    .map()
                    .step(until)
                    .is_some_and(|s| s.kind == StepKind::ReleaseDecision),
            });
        }
        Ok(step)
    }

    /// The step's role at this site, held by the actor, on the right side.
    pub(super) fn step_role(&self, step: &Step) -> Result<Role, Refusal> {
        let role = self.map.role_of(step);
        let side = if step.kind == StepKind::ReleaseDecision
            || (role.allowed_in(OrgKind::Manufacturer) && !role.allowed_in(OrgKind::HealthSystem))
        {
            OrgKind::Manufacturer
        } else {
            OrgKind::HealthSystem
        };
        self.side(&step.name, side)?;
        self.role_among(&step.name, &[role])
    }

    /// The first entry of an attempt carries the step's fields, or the EHR attestation for a
    /// step charted in the EHR; later entries carry neither.
    pub(super) fn entry(&self, step: &Step, first: bool, entry: &Entry) -> Result<(), Refusal> {
        if !first {
            return if *entry == Entry::default() {
                Ok(())
            } else {
                Err(Refusal::EntryAlreadyMade {
                    step: step.name.clone(),
                })
            };
        }
        let unknown: Vec<String> = entry
            .fields
            .keys()
            .filter(|f| !step.params.fields.contains(f))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(Refusal::UnknownFields {
                step: step.name.clone(),
                fields: unknown,
                listed: step.params.fields.clone(),
            });
        }
        for (field, value) in &entry.fields {
            text(&format!("{} of {}", field, step.name), Notes::parse(value))?;
        }
        match (step.recorded_in, &entry.attestation) {
            (RecordedIn::Ehr, None) => Err(Refusal::AttestationNeeded {
                step: step.name.clone(),
            }),
            (RecordedIn::Ehr, Some(a)) => {
                text("the EHR reference", Name::parse(&a.reference))?;
                if a.charted_at > self.now {
                    return Err(Refusal::BadValue {
                        what: format!("the EHR attestation of {}", step.name),
                        problem: "it is charted later than now: attest what the EHR already holds"
                            .into(),
                    });
                }
                Ok(())
            }
            (RecordedIn::Cellpath, Some(_)) => Err(Refusal::AttestationNotExpected {
                step: step.name.clone(),
            }),
            (RecordedIn::Cellpath, None) => {
                let missing: Vec<String> = step
                    .params
                    .fields
                    .iter()
                    .filter(|f| !entry.fields.contains_key(*f))
                    .cloned()
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(Refusal::MissingFields {
                        step: step.name.clone(),
                        fields: missing,
                    })
                }
            }
        }
    }

    /// Add `StepCompleted` when the events leave the step's attempt with all it asks for.
    pub(super) fn completing(&self, step: &Step, mut events: Vec<CaseEvent>) -> Vec<CaseEvent> {
        let after = events.iter().fold(self.case.clone(), evolve);
        if after.current(&step.key).is_some_and(|a| complete(step, a)) {
            events.push(
                StepCompleted {
                    case_id: self.case.id.clone(),
                    step: step.key.clone(),
                    attempt: self.case.attempt_of(&step.key),
                    at: self.now,
                }
                .into(),
            );
        }
        events
    }

    pub(super) fn scan(
        &self,
        step: &Step,
        scan: Option<&Scan>,
        unit: Option<&str>,
    ) -> Result<Option<CaseIdentifier>, Refusal> {
        let Some(scan) = scan else {
            return if step.params.scan {
                Err(Refusal::ScanNeeded {
                    step: step.name.clone(),
                })
            } else {
                Ok(None)
            };
        };
        match check_scan_for(self.case, scan.expected, &scan.text, unit) {
            Ok(id) => Ok(Some(id.clone())),
            Err(ScanError::Mismatch(m)) => {
                let message = m.to_string();
                let deviation = DeviationRecorded {
                    case_id: self.case.id.clone(),
                    kind: DeviationKind::ScanMismatch,
                    step: Some(step.key.clone()),
                    attempt: Some(self.case.attempt_of(&step.key)),
                    unit: unit.map(str::to_string),
                    reason: message.clone(),
                    signed: false,
                    by: self.by(self.actor.roles.first().copied()),
                    at: self.now,
                };
                Err(Refusal::ScanMismatch {
                    message,
                    deviation: Box::new(deviation.into()),
                })
            }
            Err(other) => Err(Refusal::Scan(other)),
        }
    }
}
