//! The case as a whole: opening it, its labels (the chain of identity), hold and resume,
//! cancellation, deviations, a new attempt of a done step, and the signed migration to a newer
//! map version. Part of `decide`.

use super::case::{Attempt, CaseStatus};
use super::command::{Consent, ExceptionOutcome, Migration, OpenCase};
use super::engine::{Decider, text};
use super::identity::{CaseIdentifier, ScanError, noun};
use super::refusal::Refusal;
use super::steps::unit_state_words;
use super::units::{Disposition, UnitState};
use crate::Date;
use crate::Role;
use crate::events::Created;
use crate::events::cases::{
    AttemptStarted, BenefitsVerified, CaseCancelled, CaseEvent, CaseFields, CaseHeld, CaseMigrated,
    CaseResumed, ConsentRecorded, DeviationKind, DeviationRecorded, IdentifierAdded,
    PriorAuthorization, PriorAuthorizationStatus, ReleaseDecision, UnitEnded, UnitFields,
};
use crate::org::OrgKind;
use crate::program::IdentifierKind;
use crate::values::{Code, Name, Notes};
use std::collections::BTreeMap;

/// Roles that end a unit outside its administration (they hold the product at the site).
pub const UNIT_ROLES: &[Role] = &[Role::CellLab, Role::Pharmacy, Role::Nurse];

/// Roles that verify a patient's benefits and prior authorization.
const BENEFITS_ROLES: &[Role] = &[Role::Finance, Role::Coordinator];

/// Roles that record a patient's informed consent (they take it at the site).
const CONSENT_ROLES: &[Role] = &[Role::Coordinator, Role::Physician, Role::Nurse];

/// Roles that put identifiers from labels on a case.
pub const LABEL_ROLES: &[Role] = &[
    Role::Coordinator,
    Role::Apheresis,
    Role::CellLab,
    Role::Pharmacy,
    Role::PatientOps,
    Role::Quality,
];

impl Decider<'_> {
    pub(super) fn open(&self, o: &OpenCase) -> Result<Vec<CaseEvent>, Refusal> {
        if self.case.status != CaseStatus::NotOpened {
            return Err(Refusal::AlreadyOpened {
                pseudonym: self.case.pseudonym.clone(),
            });
        }
        let role = self.site_role("opening a case")?;
        let pseudonym = text("the case pseudonym", Code::parse(&o.pseudonym))?;
        let hex64 =
            |h: &str| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex64(&o.patient.identity_sha256) || !hex64(&o.patient.registration) {
            return Err(Refusal::BadValue {
                what: "the patient's identity hash".into(),
                problem: "the identity's SHA-256 and the registration's event hash are 64 lower-case hex digits each".into(),
            });
        }
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
                    patient: o.patient.clone(),
                    identifier_kinds: kinds,
                    units,
                    opened_by: self.by(Some(role)),
                    opened_at: self.now,
                },
            }
            .into(),
        ])
    }

    pub(super) fn cancel(&self, note: &str) -> Result<Vec<CaseEvent>, Refusal> {
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

    /// Benefits verification (the site's finance or coordinator): the payer and plan named,
    /// a prior authorization pending since its request, or approved or denied on a day not
    /// before it — and nothing dated after today.
    pub(super) fn verify_benefits(
        &self,
        payer: &str,
        plan: &str,
        pa: &PriorAuthorization,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        self.side("verifying benefits", OrgKind::HealthSystem)?;
        let role = self.role_among("verifying benefits", BENEFITS_ROLES)?;
        let payer = text("the payer", Name::parse(payer))?;
        let plan = text("the plan", Name::parse(plan))?;
        let reference = text(
            "the prior authorization's reference",
            Code::parse(&pa.reference),
        )?;
        let today = Date::of_micros(self.now);
        let bad = |problem: &str| Refusal::BadValue {
            what: "the prior authorization".into(),
            problem: problem.into(),
        };
        if pa.requested_on > today {
            return Err(bad("it cannot be requested after today"));
        }
        match (pa.status, &pa.decided_on) {
            (PriorAuthorizationStatus::Pending, Some(_)) => {
                return Err(bad("a pending one has no decision day"));
            }
            (PriorAuthorizationStatus::Approved | PriorAuthorizationStatus::Denied, None) => {
                return Err(bad("an approval or a denial needs the day it was decided"));
            }
            (_, Some(d)) if *d < pa.requested_on || *d > today => {
                return Err(bad(
                    "it is decided on or after the day it was requested, and not after today",
                ));
            }
            _ => {}
        }
        Ok(vec![
            BenefitsVerified {
                case_id: self.case.id.clone(),
                payer: payer.into_string(),
                plan: plan.into_string(),
                prior_authorization: PriorAuthorization {
                    reference: reference.into_string(),
                    ..pa.clone()
                },
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    /// The patient's consent (the site's coordinator, physician or nurse), against the
    /// site's consent version for the case's program that is active now; signed neither after
    /// today nor before the version took effect; the witness named.
    pub(super) fn record_consent(&self, c: &Consent) -> Result<Vec<CaseEvent>, Refusal> {
        self.side("recording consent", OrgKind::HealthSystem)?;
        let role = self.role_among("recording consent", CONSENT_ROLES)?;
        if c.version_site_id != self.case.site_id || c.version_program_id != self.case.program_id {
            return Err(Refusal::Consent(format!(
                "consent version {} is another site's or program's: record the consent against this site's version for the case's program",
                c.version.number
            )));
        }
        c.version
            .may_consent_to()
            .map_err(|e| Refusal::Consent(e.to_string()))?;
        let witness = text("the witness", Name::parse(&c.witness))?;
        let today = Date::of_micros(self.now);
        if c.signed_on > today || c.signed_on < c.version.effective_on {
            return Err(Refusal::BadValue {
                what: "the day the consent was signed".into(),
                problem: format!(
                    "{} is not between the day consent version {} took effect ({}) and today ({today})",
                    c.signed_on, c.version.number, c.version.effective_on
                ),
            });
        }
        Ok(vec![
            ConsentRecorded {
                case_id: self.case.id.clone(),
                consent_version_id: c.version_id.clone(),
                version_number: c.version.number,
                document_sha256: c.document_sha256.clone(),
                consented_by: c.consented_by,
                signed_on: c.signed_on.clone(),
                witness: witness.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    pub(super) fn hold(&self, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
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

    pub(super) fn resume(&self, note: &str) -> Result<Vec<CaseEvent>, Refusal> {
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
                expanded_access: None,
            }
            .into(),
        ])
    }

    pub(super) fn deviation(
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

    pub(super) fn add_identifier(
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
            return Err(self.unknown_unit(&format!("the {}", noun(kind)), u));
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

    pub(super) fn repeat(&self, key: &str, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
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
                release_exception: None,
            }
            .into(),
        ])
    }

    /// What a release exception's decision does to the case. Who may decide is the
    /// exception's rule (`release_exception::Exception::may_decide`), checked before this; here
    /// the case must be where the decision can act: stopped at a release decision that was not
    /// "released" (expanded access: out of specification), and a restart goes back to a done
    /// step on the way to that release with no product in use. A cancellation acts on any case
    /// not yet cancelled (a post-release notice comes after the release).
    pub(super) fn after_exception(
        &self,
        exception_id: &str,
        outcome: &ExceptionOutcome,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let role = self.actor.roles.first().copied();
        let stopped = match &self.case.status {
            CaseStatus::Stopped { step, decision } => Some((step.clone(), *decision)),
            _ => None,
        };
        let not_stopped = |decision: &str| Refusal::NotStoppedAtRelease {
            pseudonym: self.case.pseudonym.clone(),
            decision: decision.to_string(),
        };
        match outcome {
            ExceptionOutcome::Cancel {
                care_transition_note,
            } => {
                let note = text(
                    "the care-transition plan",
                    Notes::parse(care_transition_note),
                )?;
                Ok(vec![
                    CaseCancelled {
                        case_id: self.case.id.clone(),
                        care_transition_note: note.into_string(),
                        by: self.by(role),
                        at: self.now,
                    }
                    .into(),
                ])
            }
            ExceptionOutcome::ExpandedAccess { note } => {
                match stopped {
                    Some((_, ReleaseDecision::OutOfSpecification)) => {}
                    _ => return Err(not_stopped("out of specification")),
                }
                let note = text("the note on expanded access", Notes::parse(note))?;
                Ok(vec![
                    CaseResumed {
                        case_id: self.case.id.clone(),
                        note: note.into_string(),
                        by: self.by(role),
                        at: self.now,
                        expanded_access: Some(exception_id.to_string()),
                    }
                    .into(),
                ])
            }
            ExceptionOutcome::Restart { step: key, reason } => {
                let Some((release, _)) = stopped else {
                    return Err(not_stopped(
                        "out of specification or a manufacturing failure",
                    ));
                };
                let step = self.step(key)?;
                let map = self.map.map();
                if key != &release && !map.comes_before(key, &release) {
                    return Err(Refusal::NotBeforeRelease {
                        step: step.name.clone(),
                        release: self.step_name(&release),
                    });
                }
                if !self.case.is_done(key) {
                    return Err(Refusal::NothingToRepeat {
                        step: step.name.clone(),
                    });
                }
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
                let attempts = map
                    .steps()
                    .filter(|s| {
                        s.key == *key
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
                        by: self.by(role),
                        at: self.now,
                        release_exception: Some(exception_id.to_string()),
                    }
                    .into(),
                ])
            }
        }
    }

    pub(super) fn migrate(&self, m: &Migration) -> Result<Vec<CaseEvent>, Refusal> {
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
                    let settled =
                        m.to.step(before)
                            .is_some_and(|b| self.case.ended_unit_of(b).is_some());
                    if !targets.contains_key(before.as_str()) && !settled {
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

    pub(super) fn end_unit(
        &self,
        key: &str,
        disposition: &Disposition,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        // on hold or stopped too: a product not to be given is still returned or discarded
        self.side("ending a unit", OrgKind::HealthSystem)?;
        let role = self.role_among("ending a unit", UNIT_ROLES)?;
        let unit = self
            .case
            .units
            .get(key)
            .ok_or_else(|| self.unknown_unit("the unit", key))?;
        if unit.state() == UnitState::Ended {
            return Err(Refusal::UnitState {
                unit: unit.name.clone(),
                state: unit_state_words(unit),
            });
        }
        let Some(reason) = disposition.reason() else {
            return Err(Refusal::BadValue {
                what: format!("the end of {}", unit.name),
                problem: "an infusion is recorded at its administration step".into(),
            });
        };
        text("the reason", Notes::parse(reason))?;
        Ok(vec![
            UnitEnded {
                case_id: self.case.id.clone(),
                unit: key.to_string(),
                disposition: disposition.clone(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    fn unknown_unit(&self, what: &str, key: &str) -> Refusal {
        let units: Vec<&str> = self.case.units.keys().map(String::as_str).collect();
        Refusal::BadValue {
            what: what.to_string(),
            problem: format!(
                "unit {key} is not a unit of this product ({})",
                units.join(", ")
            ),
        }
    }
}
