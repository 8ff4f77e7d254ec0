//! The journey engine (DESIGN.md §4.1): `available(map, case)` — what may be done now and by
//! whom — and `decide(map, case, command, actor, now)` — the events a command records, or why
//! it is refused. Each step kind's rule lives here; `evolve` (in `case.rs`) folds the events.
//! Pure: the time is `now`, the map is the validated site map version the case runs on.

use super::case::{Attempt, Case, CaseStatus, evolve};
use super::command::{
    Action, Actor, Command, Entry, LateAdministration, Migration, OpenCase, Scan,
};
use super::identity::{CaseIdentifier, ScanError, check_scan_for, noun};
use super::refusal::Refusal;
use super::units::{Disposition, Item, Micros, Temperature, Thaw, UnitState, celsius};
use crate::events::Created;
use crate::events::cases::{
    AttemptStarted, CaseCancelled, CaseEvent, CaseFields, CaseHeld, CaseMigrated, CaseResumed,
    CustodyRecorded, DeviationKind, DeviationRecorded, FormDue, IdentifierAdded, Outcome,
    ReleaseDecision, StepCompleted, StepRecorded, StepSigned, StepSkipped, StepVerified,
    UnitFields,
};
use crate::org::OrgKind;
use crate::process_map::{RecordedIn, SignatureSpec, Step, StepKind, ValidMap};
use crate::program::IdentifierKind;
use crate::refinement::SiteRefinement;
use crate::values::{Code, Name, Notes};
use crate::{Date, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Roles that open, hold, resume, cancel and migrate a case at the site.
const CASE_ROLES: &[Role] = &[Role::Coordinator, Role::Physician];
/// Roles that put identifiers from labels on a case.
const LABEL_ROLES: &[Role] = &[
    Role::Coordinator,
    Role::Apheresis,
    Role::CellLab,
    Role::Pharmacy,
    Role::PatientOps,
    Role::Quality,
];

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
    let done = case.done();
    crate::process_map::available(map.map(), &done)
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
            case.is_done(until) && released_if_release(map, case, until)
        }
        _ => true,
    }
}

fn released_if_release(map: &ValidMap, case: &Case, step: &str) -> bool {
    map.step(step)
        .is_none_or(|s| s.kind != StepKind::ReleaseDecision)
        || case.release_decision(step) == Some(ReleaseDecision::Released)
}

/// Whether the product exists to be moved, thawed or given: every release decision the map
/// has is done and released (a map without one — an off-the-shelf product — always is).
fn product_released(map: &ValidMap, case: &Case) -> bool {
    map.steps()
        .filter(|s| s.kind == StepKind::ReleaseDecision)
        .all(|s| case.release_decision(&s.key) == Some(ReleaseDecision::Released))
}

/// The step kind's own part is on the record (signatures may still be missing).
fn kind_part_done(step: &Step, a: &Attempt) -> bool {
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
fn remaining_signatures(step: &Step, a: Option<&Attempt>) -> Vec<SignatureSpec> {
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

fn still_needed(map: &CaseMap, step: &Step, a: &Attempt) -> Vec<String> {
    let mut waiting = Vec::new();
    if step.kind == StepKind::DualVerification && distinct_verifiers(a) < 2 {
        waiting.push(format!(
            "a second verification by another {}",
            map.role_of(step).as_str().replace('_', " ")
        ));
    }
    if step.kind != StepKind::Signature && !kind_part_done(step, a) && a.is_begun() {
        waiting.push(format!("{} to be recorded", step.name));
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
        Command::Repeat { step, reason } => d.repeat(step, reason),
    }
}

struct Decider<'a> {
    map: &'a CaseMap,
    case: &'a Case,
    actor: &'a Actor,
    now: Micros,
}

fn text<T>(what: &str, parsed: Result<T, crate::values::ValueError>) -> Result<T, Refusal> {
    parsed.map_err(|e| Refusal::BadValue {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

impl Decider<'_> {
    fn by(&self, role: Option<Role>) -> crate::events::cases::ActedBy {
        self.actor.acting_as(role)
    }

    /// The first of `roles` the actor holds, or a refusal naming them.
    fn role_among(&self, what: &str, roles: &[Role]) -> Result<Role, Refusal> {
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

    fn site_role(&self, what: &str) -> Result<Role, Refusal> {
        self.side(what, OrgKind::HealthSystem)?;
        self.role_among(what, CASE_ROLES)
    }

    fn side(&self, what: &str, expected: OrgKind) -> Result<(), Refusal> {
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

    fn active(&self) -> Result<(), Refusal> {
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

    fn step_name(&self, key: &str) -> String {
        self.map
            .map()
            .step(key)
            .map_or_else(|| key.to_string(), |s| s.name.clone())
    }

    fn open(&self, o: &OpenCase) -> Result<Vec<CaseEvent>, Refusal> {
        if self.case.status != CaseStatus::NotOpened {
            return Err(Refusal::AlreadyOpened {
                pseudonym: self.case.pseudonym.clone(),
            });
        }
        let role = self.site_role("opening a case")?;
        let pseudonym = text("the case pseudonym", Code::parse(&o.pseudonym))?;
        if o.identifier_kinds.is_empty() {
            return Err(Refusal::BadValue {
                what: "the program's identifier scheme".into(),
                problem: "it names no identifier: the labels must carry at least one".into(),
            });
        }
        let mut kinds = o.identifier_kinds.clone();
        kinds.sort();
        kinds.dedup();
        let units = self
            .map
            .map()
            .context()
            .units
            .iter()
            .map(|u| UnitFields {
                key: u.key.clone(),
                name: u.name.clone(),
                thaw_window_minutes: u.thaw_window_minutes,
            })
            .collect();
        Ok(vec![
            Created {
                id: o.case_id.clone(),
                new: CaseFields {
                    partnership_id: o.partnership_id.clone(),
                    site_id: o.site_id.clone(),
                    program_id: o.program_id.clone(),
                    map_version_id: o.map_version_id.clone(),
                    pseudonym: pseudonym.into_string(),
                    identifier_kinds: kinds,
                    units,
                    opened_by: self.by(Some(role)),
                    opened_at: self.now,
                },
            }
            .into(),
        ])
    }

    fn cancel(&self, note: &str) -> Result<Vec<CaseEvent>, Refusal> {
        let role = self.site_role("cancelling a case")?;
        let note = text("the care-transition note", Notes::parse(note))?;
        Ok(vec![
            CaseCancelled {
                case_id: self.case.id.clone(),
                care_transition_note: note.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn hold(&self, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
        self.active()?;
        let role = self.site_role("putting a case on hold")?;
        let reason = text("the reason for the hold", Notes::parse(reason))?;
        Ok(vec![
            CaseHeld {
                case_id: self.case.id.clone(),
                reason: reason.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn resume(&self, note: &str) -> Result<Vec<CaseEvent>, Refusal> {
        if !matches!(self.case.status, CaseStatus::OnHold { .. }) {
            return Err(Refusal::NotOnHold {
                pseudonym: self.case.pseudonym.clone(),
            });
        }
        let role = self.site_role("resuming a case")?;
        let note = text("the note on resuming", Notes::parse(note))?;
        Ok(vec![
            CaseResumed {
                case_id: self.case.id.clone(),
                note: note.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn deviation(
        &self,
        step: Option<&str>,
        reason: &str,
        signed: bool,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = match step {
            Some(key) => Some(self.step(key)?),
            None => None,
        };
        let reason = text("the reason for the deviation", Notes::parse(reason))?;
        Ok(vec![
            DeviationRecorded {
                case_id: self.case.id.clone(),
                kind: DeviationKind::Other,
                step: step.map(|s| s.key.clone()),
                attempt: step.map(|s| self.case.attempt_of(&s.key)),
                unit: step.and_then(|s| s.params.unit.clone()),
                reason: reason.into_string(),
                signed,
                by: self.by(self.actor.roles.first().copied()),
                at: self.now,
            }
            .into(),
        ])
    }

    fn add_identifier(
        &self,
        kind: IdentifierKind,
        text: &str,
        unit: &Option<String>,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let role = self.role_among("putting a label's identifier on the case", LABEL_ROLES)?;
        if !self.case.identifier_kinds.contains(&kind) {
            return Err(Refusal::Scan(ScanError::NotInScheme {
                kind,
                scheme: self.case.identifier_kinds.clone(),
            }));
        }
        if let Some(u) = unit
            && !self.case.units.contains_key(u)
        {
            return Err(Refusal::BadValue {
                what: format!("the {}", noun(kind)),
                problem: format!(
                    "unit {u} is not a unit of this product ({})",
                    self.case
                        .units
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        let id = CaseIdentifier::read(kind, text, unit.clone()).map_err(|problem| {
            Refusal::BadValue {
                what: format!("the {}", noun(kind)),
                problem,
            }
        })?;
        if self
            .case
            .identifiers
            .iter()
            .any(|i| i.kind == kind && i.value == id.value)
        {
            return Err(Refusal::DuplicateIdentifier {
                what: format!("{} {}", noun(kind), id.printed()),
            });
        }
        if kind == IdentifierKind::Isbt128Coi
            && let Some(other) = self.case.identifiers.iter().find(|i| i.kind == kind)
        {
            return Err(Refusal::DuplicateIdentifier {
                what: format!(
                    "a chain of identity identifier ({}); one links the whole therapy",
                    other.printed()
                ),
            });
        }
        Ok(vec![
            IdentifierAdded {
                case_id: self.case.id.clone(),
                identifier: id,
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn step(&self, key: &str) -> Result<&Step, Refusal> {
        self.map
            .map()
            .step(key)
            .ok_or_else(|| Refusal::UnknownStep {
                step: key.to_string(),
            })
    }

    /// The step, if it may be done now: the case is active, the step not done, its `after`
    /// steps done, its hold released.
    fn open_step(&self, key: &str) -> Result<&Step, Refusal> {
        self.active()?;
        let step = self.step(key)?;
        if self.case.is_done(key) {
            return Err(Refusal::AlreadyDone {
                step: step.name.clone(),
                attempt: self.case.attempt_of(key),
            });
        }
        let waiting: Vec<String> = step
            .after
            .iter()
            .filter(|a| !self.case.is_done(a))
            .map(|a| self.step_name(a))
            .collect();
        if !waiting.is_empty() {
            return Err(Refusal::Waiting {
                step: step.name.clone(),
                waiting,
            });
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
    fn step_role(&self, step: &Step) -> Result<Role, Refusal> {
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
    fn entry(&self, step: &Step, first: bool, entry: &Entry) -> Result<(), Refusal> {
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
    fn completing(&self, step: &Step, mut events: Vec<CaseEvent>) -> Vec<CaseEvent> {
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

    fn scan(
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

    fn act(&self, key: &str, entry: &Entry, action: &Action) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        let expected = match action {
            Action::Record => StepKind::Record,
            Action::Handoff { .. } => StepKind::CustodyHandoff,
            Action::Release { .. } => StepKind::ReleaseDecision,
            Action::Schedule { .. } => StepKind::Schedule,
            Action::PassHold => StepKind::HoldPoint,
            Action::Thaw => StepKind::Thaw,
            Action::Administer { .. } => StepKind::Administer,
            Action::Monitor { .. } => StepKind::Monitor,
            Action::FollowUp => StepKind::FollowUp,
            Action::Checklist { .. } => StepKind::Checklist,
        };
        if step.kind != expected {
            return Err(Refusal::WrongCommand {
                step: step.name.clone(),
                kind: step.kind,
                what: what_to_do(step.kind),
            });
        }
        let role = self.step_role(step)?;
        let attempt = self.case.attempt_of(key);
        let current = self.case.current(key);
        if let Some(a) = current
            && kind_part_done(step, a)
        {
            return Err(Refusal::AlreadyRecorded {
                step: step.name.clone(),
                attempt,
                waiting: still_needed(self.map, step, a),
            });
        }
        self.entry(step, true, entry)?;
        let record = |outcome: Outcome| -> CaseEvent {
            StepRecorded {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt,
                by: self.by(Some(role)),
                at: self.now,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
                outcome,
            }
            .into()
        };
        let events = match action {
            Action::Record => vec![record(Outcome::Recorded)],
            Action::PassHold => vec![record(Outcome::HoldPassed)],
            Action::Handoff {
                items,
                from,
                to,
                scan,
                temperature,
            } => self.handoff(
                step,
                role,
                attempt,
                entry,
                items,
                from,
                to,
                scan.as_ref(),
                *temperature,
            )?,
            Action::Release {
                decision,
                certificate_reference,
                certificate_sha256,
            } => {
                let reference = text(
                    "the certificate reference",
                    Name::parse(certificate_reference),
                )?;
                let hash = certificate_sha256.trim().to_ascii_lowercase();
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Refusal::BadValue {
                        what: "the certificate's SHA-256".into(),
                        problem:
                            "it is 64 hexadecimal digits (the hash of the certificate document)"
                                .into(),
                    });
                }
                vec![record(Outcome::Released {
                    decision: *decision,
                    certificate_reference: reference.into_string(),
                    certificate_sha256: hash,
                })]
            }
            Action::Schedule { on, slot } => {
                let today = Date::of_micros(self.now);
                if *on < today {
                    return Err(Refusal::BadValue {
                        what: format!("the date of {}", step.name),
                        problem: format!("{on} is in the past (today is {today})"),
                    });
                }
                let slot = match slot {
                    Some(s) => Some(text("the slot", Name::parse(s))?.into_string()),
                    None => None,
                };
                vec![record(Outcome::Scheduled {
                    on: on.clone(),
                    slot,
                })]
            }
            Action::Thaw => {
                let unit = self.unit_of(step)?;
                if !product_released(self.map.map(), self.case) {
                    return Err(Refusal::NotReleased {
                        what: format!("thawing {}", unit.name),
                    });
                }
                if unit.state() != UnitState::Frozen {
                    return Err(Refusal::UnitState {
                        unit: unit.name.clone(),
                        state: unit_state_words(unit),
                    });
                }
                let minutes = self
                    .map
                    .map()
                    .thaw_window_minutes(key)
                    .expect("a valid map's thaw step has a window");
                let thaw = Thaw::new(self.now, minutes);
                vec![record(Outcome::Thawed {
                    unit: unit.key.clone(),
                    window_ends_at: thaw.window_ends_at,
                })]
            }
            Action::Administer { disposition, late } => {
                self.administer(step, disposition, late.as_ref(), record)?
            }
            Action::Monitor { from } => {
                let days = step
                    .params
                    .monitoring_days
                    .expect("a valid map's monitor step has its days");
                vec![record(Outcome::MonitoringOpened {
                    from: from.clone(),
                    until: from.plus_days(i64::from(days)),
                })]
            }
            Action::FollowUp => {
                let infused = self.case.first_infusion().ok_or(Refusal::NotInfused)?;
                let day = Date::of_micros(infused);
                vec![record(Outcome::FollowUpScheduled {
                    infused_on: day.clone(),
                    forms: step
                        .params
                        .follow_up
                        .iter()
                        .map(|f| FormDue {
                            form: f.form.clone(),
                            due_on: day.plus_days(i64::from(f.due_days)),
                        })
                        .collect(),
                    visits: step
                        .params
                        .visits
                        .iter()
                        .map(|d| day.plus_days(i64::from(*d)))
                        .collect(),
                })]
            }
            Action::Checklist { ticked } => {
                let unknown: Vec<String> = ticked
                    .iter()
                    .filter(|t| !step.params.items.contains(t))
                    .cloned()
                    .collect();
                if !unknown.is_empty() {
                    return Err(Refusal::BadValue {
                        what: format!("the checklist of {}", step.name),
                        problem: format!("it has no item {}", unknown.join(", ")),
                    });
                }
                let open: Vec<String> = step
                    .params
                    .items
                    .iter()
                    .filter(|i| !ticked.contains(i))
                    .cloned()
                    .collect();
                if !open.is_empty() {
                    return Err(Refusal::BadValue {
                        what: format!("the checklist of {}", step.name),
                        problem: format!("tick {} too", open.join(", ")),
                    });
                }
                vec![record(Outcome::Checked {
                    items: step.params.items.clone(),
                })]
            }
        };
        Ok(self.completing(step, events))
    }

    fn unit_of(&self, step: &Step) -> Result<&super::units::Unit, Refusal> {
        let key = step
            .params
            .unit
            .as_deref()
            .expect("a valid map's thaw and administer steps name a unit");
        self.case.units.get(key).ok_or_else(|| Refusal::BadValue {
            what: step.name.clone(),
            problem: format!("unit {key} is not a unit this case was opened with"),
        })
    }

    fn administer(
        &self,
        step: &Step,
        disposition: &Disposition,
        late: Option<&LateAdministration>,
        record: impl Fn(Outcome) -> CaseEvent,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let unit = self.unit_of(step)?;
        if unit.state() == UnitState::Ended {
            return Err(Refusal::UnitState {
                unit: unit.name.clone(),
                state: unit_state_words(unit),
            });
        }
        match disposition {
            Disposition::InfusedInPart { volume_ml: 0 } => {
                return Err(Refusal::BadValue {
                    what: format!("the volume of {} infused", unit.name),
                    problem: "more than 0 mL, or record it as not infused".into(),
                });
            }
            other => {
                if let Some(reason) = other.reason() {
                    text("the reason", Notes::parse(reason))?;
                }
            }
        }
        let outcome = Outcome::Administered {
            unit: unit.key.clone(),
            disposition: disposition.clone(),
        };
        if !disposition.infused() {
            if late.is_some() {
                return Err(Refusal::DeviationNotNeeded {
                    unit: unit.name.clone(),
                });
            }
            return Ok(vec![record(outcome)]);
        }
        let thaw = unit.thaw.ok_or_else(|| Refusal::NotThawed {
            unit: unit.name.clone(),
        })?;
        if thaw.is_open(self.now) {
            return match late {
                Some(_) => Err(Refusal::DeviationNotNeeded {
                    unit: unit.name.clone(),
                }),
                None => Ok(vec![record(outcome)]),
            };
        }
        let Some(late) = late else {
            return Err(Refusal::WindowClosed {
                unit: unit.name.clone(),
                minutes: thaw.minutes_late(self.now).max(0),
            });
        };
        if !late.password_reentered {
            return Err(Refusal::PasswordNeeded);
        }
        let reason = text("the reason for giving it late", Notes::parse(&late.reason))?;
        let deviation = DeviationRecorded {
            case_id: self.case.id.clone(),
            kind: DeviationKind::ThawWindow,
            step: Some(step.key.clone()),
            attempt: Some(self.case.attempt_of(&step.key)),
            unit: Some(unit.key.clone()),
            reason: format!(
                "{} given {} minutes after its thaw window closed: {reason}",
                unit.name,
                thaw.minutes_late(self.now)
            ),
            signed: true,
            by: self.by(Some(self.map.role_of(step))),
            at: self.now,
        };
        Ok(vec![deviation.into(), record(outcome)])
    }

    #[allow(clippy::too_many_arguments)]
    fn handoff(
        &self,
        step: &Step,
        role: Role,
        attempt: u32,
        entry: &Entry,
        items: &[Item],
        from: &str,
        to: &str,
        scan: Option<&Scan>,
        temperature: Temperature,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let from = text("who hands it over", Name::parse(from))?.into_string();
        let to = text("who takes it", Name::parse(to))?.into_string();
        if from == to {
            return Err(Refusal::BadValue {
                what: step.name.clone(),
                problem: format!("{from} hands it to itself: name who takes it"),
            });
        }
        let location = step
            .params
            .location
            .clone()
            .ok_or_else(|| Refusal::BadValue {
                what: step.name.clone(),
                problem:
                    "the map names no location for this handoff: the site's refinement sets one"
                        .into(),
            })?;
        let released = product_released(self.map.map(), self.case);
        let items: Vec<Item> = if items.is_empty() {
            if released {
                self.case
                    .units
                    .values()
                    .filter(|u| u.state() != UnitState::Ended)
                    .map(|u| Item::Unit(u.key.clone()))
                    .collect()
            } else {
                vec![Item::StartingMaterial]
            }
        } else {
            let mut i = items.to_vec();
            i.sort();
            i.dedup();
            i
        };
        for item in &items {
            if let Item::Unit(key) = item {
                let unit = self.case.units.get(key).ok_or_else(|| Refusal::BadValue {
                    what: step.name.clone(),
                    problem: format!("{key} is not a unit of this product"),
                })?;
                if !released {
                    return Err(Refusal::NotReleased {
                        what: format!("handing off {}", unit.name),
                    });
                }
                if unit.state() == UnitState::Ended {
                    return Err(Refusal::UnitState {
                        unit: unit.name.clone(),
                        state: unit_state_words(unit),
                    });
                }
            }
            if let Some(holder) = self.case.holders.get(item)
                && *holder != from
            {
                return Err(Refusal::NotHolder {
                    item: item.to_string(),
                    holder: holder.clone(),
                    from,
                });
            }
        }
        if items.is_empty() {
            return Err(Refusal::BadValue {
                what: step.name.clone(),
                problem: "every unit has ended: there is nothing to hand off".into(),
            });
        }
        let unit = match items.as_slice() {
            [Item::Unit(k)] => Some(k.clone()),
            _ => None,
        };
        let scanned = self.scan(step, scan, unit.as_deref())?;
        let by = self.by(Some(role));
        let mut events: Vec<CaseEvent> = vec![
            CustodyRecorded {
                case_id: self.case.id.clone(),
                step: step.key.clone(),
                attempt,
                items,
                from,
                to,
                location,
                by: by.clone(),
                at: self.now,
                scanned,
                temperature,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        if let Temperature::Excursion {
            reading_tenths_celsius,
        } = temperature
        {
            events.push(
                DeviationRecorded {
                    case_id: self.case.id.clone(),
                    kind: DeviationKind::TemperatureExcursion,
                    step: Some(step.key.clone()),
                    attempt: Some(attempt),
                    unit,
                    reason: format!(
                        "temperature excursion at {}: {} read",
                        step.name,
                        celsius(reading_tenths_celsius)
                    ),
                    signed: false,
                    by,
                    at: self.now,
                }
                .into(),
            );
        }
        Ok(events)
    }

    fn sign(
        &self,
        key: &str,
        meaning: crate::process_map::SignatureMeaning,
        password_reentered: bool,
        entry: &Entry,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if step.params.signatures.is_empty() {
            return Err(Refusal::NoSignatureAsked {
                step: step.name.clone(),
            });
        }
        let current = self.case.current(key);
        if step.kind != StepKind::Signature && !current.is_some_and(|a| kind_part_done(step, a)) {
            return Err(Refusal::NothingToSign {
                step: step.name.clone(),
            });
        }
        if let Some(a) = current
            && a.signatures
                .iter()
                .any(|s| s.by.user_id == self.actor.user_id)
        {
            return Err(Refusal::AlreadySigned {
                step: step.name.clone(),
                name: self.actor.name.clone(),
            });
        }
        let remaining = remaining_signatures(step, current);
        let Some(spec) = remaining
            .iter()
            .find(|s| s.meaning == meaning && self.actor.holds(s.role))
        else {
            return Err(Refusal::SignatureNotAsked {
                step: step.name.clone(),
                meaning,
                holds: self.actor.roles.clone(),
                remaining: remaining
                    .iter()
                    .map(|s| format!("{} by the {}", s.meaning, s.role.as_str().replace('_', " ")))
                    .collect(),
            });
        };
        let side = if spec.role.allowed_in(OrgKind::HealthSystem) {
            OrgKind::HealthSystem
        } else {
            OrgKind::Manufacturer
        };
        self.side(&step.name, side)?;
        if !password_reentered {
            return Err(Refusal::PasswordNeeded);
        }
        let first = step.kind == StepKind::Signature && !current.is_some_and(Attempt::is_begun);
        self.entry(step, first, entry)?;
        let events = vec![
            StepSigned {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                by: self.by(Some(spec.role)),
                meaning,
                at: self.now,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        Ok(self.completing(step, events))
    }

    fn verify(
        &self,
        key: &str,
        scan: Option<&Scan>,
        entry: &Entry,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if step.kind != StepKind::DualVerification {
            return Err(Refusal::WrongCommand {
                step: step.name.clone(),
                kind: step.kind,
                what: what_to_do(step.kind),
            });
        }
        let role = self.step_role(step)?;
        let current = self.case.current(key);
        if let Some(a) = current {
            if a.verifications
                .iter()
                .any(|v| v.by.user_id == self.actor.user_id)
            {
                return Err(Refusal::SameVerifier {
                    step: step.name.clone(),
                    name: self.actor.name.clone(),
                });
            }
            if kind_part_done(step, a) {
                return Err(Refusal::AlreadyRecorded {
                    step: step.name.clone(),
                    attempt: self.case.attempt_of(key),
                    waiting: still_needed(self.map, step, a),
                });
            }
        }
        self.entry(step, !current.is_some_and(Attempt::is_begun), entry)?;
        if let Some(u) = step.params.unit.as_deref() {
            let unit = self.unit_of(step)?;
            if unit.state() == UnitState::Ended {
                return Err(Refusal::UnitState {
                    unit: unit.name.clone(),
                    state: unit_state_words(unit),
                });
            }
            debug_assert_eq!(u, unit.key);
        }
        let scanned = self.scan(step, scan, step.params.unit.as_deref())?;
        let events = vec![
            StepVerified {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                by: self.by(Some(role)),
                at: self.now,
                scanned,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        Ok(self.completing(step, events))
    }

    fn skip(&self, key: &str, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if !step.optional {
            return Err(Refusal::NotOptional {
                step: step.name.clone(),
            });
        }
        let role = self.step_role(step)?;
        if self.case.current(key).is_some_and(Attempt::is_begun) {
            return Err(Refusal::AlreadyRecorded {
                step: step.name.clone(),
                attempt: self.case.attempt_of(key),
                waiting: self
                    .case
                    .current(key)
                    .map(|a| still_needed(self.map, step, a))
                    .unwrap_or_default(),
            });
        }
        let reason = text("the reason for leaving it out", Notes::parse(reason))?;
        Ok(vec![
            StepSkipped {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                reason: reason.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn repeat(&self, key: &str, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
        self.active()?;
        let step = self.step(key)?;
        if !self.case.is_done(key) {
            return Err(Refusal::NothingToRepeat {
                step: step.name.clone(),
            });
        }
        let role = self.step_role(step)?;
        if let Some(unit) = self
            .case
            .units
            .values()
            .find(|u| u.state() != UnitState::Frozen)
        {
            return Err(Refusal::ProductInUse {
                unit: unit.name.clone(),
                state: unit_state_words(unit),
            });
        }
        let reason = text("the reason for doing it again", Notes::parse(reason))?;
        let map = self.map.map();
        let attempts = map
            .steps()
            .filter(|s| {
                s.key == key
                    || (map.comes_before(key, &s.key)
                        && self.case.current(&s.key).is_some_and(Attempt::is_begun))
            })
            .map(|s| (s.key.clone(), self.case.attempt_of(&s.key) + 1))
            .collect();
        Ok(vec![
            AttemptStarted {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                reason: reason.into_string(),
                attempts,
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn migrate(&self, m: &Migration) -> Result<Vec<CaseEvent>, Refusal> {
        if matches!(self.case.status, CaseStatus::Stopped { .. }) {
            self.active()?;
        }
        let role = self.site_role("moving a case to a new map version")?;
        if !m.password_reentered {
            return Err(Refusal::PasswordNeeded);
        }
        let mut problems = Vec::new();
        if m.to_version_id == self.case.map_version_id {
            problems.push("the case already runs on that version".to_string());
        }
        let done = self.case.done();
        for (key, s) in &self.case.steps {
            if !done.contains(key) && s.attempts.get(&s.attempt).is_some_and(Attempt::is_begun) {
                problems.push(format!(
                    "{} is partly done: finish it before moving the case",
                    self.step_name(key)
                ));
            }
        }
        for key in &done {
            if !m.mapping.contains_key(key) {
                problems.push(format!(
                    "done step {} is not mapped to a step of the new version",
                    self.step_name(key)
                ));
            }
        }
        let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
        for (from, to) in &m.mapping {
            if !done.contains(from) {
                problems.push(format!("{from} is not a done step of this case"));
                continue;
            }
            let Some(new) = m.to.step(to) else {
                problems.push(format!("the new version has no step {to}"));
                continue;
            };
            if let Some(old) = self.map.map().step(from)
                && (old.kind != new.kind || old.params.unit != new.params.unit)
            {
                problems.push(format!(
                    "{} ({}) cannot count as {} ({}): a done step maps to a step of the same kind and unit",
                    old.name, old.kind, new.name, new.kind
                ));
            }
            if let Some(other) = targets.insert(to, from) {
                problems.push(format!("{other} and {from} both map to {to}"));
            }
        }
        for to in targets.keys() {
            if let Some(new) = m.to.step(to) {
                for before in new.after.iter().chain(&new.params.hold_until) {
                    if !targets.contains_key(before.as_str()) {
                        problems.push(format!(
                            "in the new version {} comes before {}, which would be done while it is not",
                            m.to.step(before).map_or(before.as_str(), |s| s.name.as_str()),
                            new.name
                        ));
                    }
                }
            }
        }
        for key in self.case.units.keys() {
            if m.to.context().unit(key).is_none() {
                problems.push(format!("the new version has no unit {key}"));
            }
        }
        if !problems.is_empty() {
            return Err(Refusal::Migration { problems });
        }
        Ok(vec![
            CaseMigrated {
                case_id: self.case.id.clone(),
                from_version_id: self.case.map_version_id.clone(),
                to_version_id: m.to_version_id.clone(),
                mapping: m.mapping.clone(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }
}

fn unit_state_words(unit: &super::units::Unit) -> String {
    match (&unit.thaw, &unit.disposition) {
        (_, Some(d)) => format!("ended ({d})"),
        (Some(_), None) => "already thawed".into(),
        (None, None) => "still frozen".into(),
    }
}

fn what_to_do(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Signature => "sign it",
        StepKind::DualVerification => "two different people verify it",
        StepKind::Record => "record its fields",
        StepKind::CustodyHandoff => "record the handoff",
        StepKind::ReleaseDecision => "record the release decision",
        StepKind::Schedule => "book its date",
        StepKind::HoldPoint => "start the held work once its condition is met",
        StepKind::Thaw => "record the thaw",
        StepKind::Administer => "record the administration",
        StepKind::Monitor => "open the monitoring period",
        StepKind::FollowUp => "schedule the follow-up",
        StepKind::Checklist => "tick its items",
    }
}
