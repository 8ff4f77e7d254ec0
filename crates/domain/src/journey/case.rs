//! A case's state and `evolve`, the pure fold of its events: `state = events.fold(Case::default(),
//! evolve)`. Nothing here checks a rule — `decide` did, before the events existed — so a
//! replay of the ledger always rebuilds the same case.

use super::adverse::AdverseEvent;
use super::identity::CaseIdentifier;
use super::units::{Item, Micros, Thaw, Unit};
use crate::events::cases::{
    AdverseEventObserved, AdverseEventOutcomeRecorded, AdverseEventTreated, CaseEvent, CasePatient,
    CustodyRecorded, DeviationRecorded, Outcome, RegistryFormSubmitted, RegistryScheduled,
    ReleaseDecision, StepRecorded, StepSigned, StepVerified,
};
use crate::process_map::{Step, StepKind, ValidMap};
use crate::program::IdentifierKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where a case stands as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CaseStatus {
    /// No `case.opened` yet.
    #[default]
    NotOpened,
    Active,
    /// Paused (e.g. a patient complication) until resumed.
    OnHold {
        reason: String,
        since: Micros,
    },
    /// The release decision was out of specification or a manufacturing failure: the case
    /// waits at that step (what follows is the release-exception process).
    Stopped {
        step: String,
        decision: ReleaseDecision,
    },
    /// Ended, with where the patient's care goes from here; it never moves again.
    Cancelled {
        care_transition_note: String,
        at: Micros,
    },
}

impl CaseStatus {
    /// The status without its details, as lists show it; `None` before the case is opened.
    pub fn state(&self) -> Option<crate::events::cases::CaseState> {
        use crate::events::cases::CaseState;
        match self {
            CaseStatus::NotOpened => None,
            CaseStatus::Active => Some(CaseState::Active),
            CaseStatus::OnHold { .. } => Some(CaseState::OnHold),
            CaseStatus::Stopped { .. } => Some(CaseState::Stopped),
            CaseStatus::Cancelled { .. } => Some(CaseState::Cancelled),
        }
    }
}

/// One attempt at a step: what was recorded for it so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub recorded: Option<StepRecorded>,
    pub custody: Option<CustodyRecorded>,
    pub signatures: Vec<StepSigned>,
    pub verifications: Vec<StepVerified>,
    pub skipped: Option<String>,
    pub completed_at: Option<Micros>,
}

impl Attempt {
    pub fn is_done(&self) -> bool {
        self.completed_at.is_some() || self.skipped.is_some()
    }

    /// Something is on the record for this attempt (the first entry has been made).
    pub fn is_begun(&self) -> bool {
        self.recorded.is_some()
            || self.custody.is_some()
            || !self.signatures.is_empty()
            || !self.verifications.is_empty()
            || self.is_done()
    }
}

/// A step's attempts; the current one is the highest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepState {
    pub attempt: u32,
    pub attempts: BTreeMap<u32, Attempt>,
}

impl Default for StepState {
    fn default() -> Self {
        StepState {
            attempt: 1,
            attempts: BTreeMap::new(),
        }
    }
}

/// One patient's therapy episode at one site for one program, as its events made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Case {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub map_version_id: String,
    pub pseudonym: String,
    pub patient: CasePatient,
    pub identifier_kinds: Vec<IdentifierKind>,
    pub status: CaseStatus,
    pub opened_at: Micros,
    pub identifiers: Vec<CaseIdentifier>,
    /// By step key; a step with nothing recorded has no entry.
    pub steps: BTreeMap<String, StepState>,
    pub units: BTreeMap<String, Unit>,
    /// Who holds each item now (one holder each, by construction).
    pub holders: BTreeMap<Item, String>,
    /// Every handoff, in order.
    pub custody: Vec<CustodyRecorded>,
    pub deviations: Vec<DeviationRecorded>,
    /// The registry follow-up the first infusion scheduled.
    pub registry: Option<RegistryScheduled>,
    /// Registry forms submitted, by the scheduled form's key.
    pub submitted: BTreeMap<String, RegistryFormSubmitted>,
    /// The benefits last verified.
    pub benefits: Option<crate::events::cases::BenefitsVerified>,
    /// Adverse events by their number on the case.
    pub adverse_events: BTreeMap<u32, AdverseEvent>,
    /// The patient's consent last recorded.
    pub consent: Option<crate::events::cases::ConsentRecorded>,
    /// The release step whose out-of-specification product may be used under expanded
    /// access (its release exception's four prerequisites recorded).
    pub expanded_access: Option<String>,
}

impl Case {
    /// The current attempt number of a step (1 until it is repeated).
    pub fn attempt_of(&self, step: &str) -> u32 {
        self.steps.get(step).map_or(1, |s| s.attempt)
    }

    /// The current attempt of a step, if anything is recorded for it.
    pub fn current(&self, step: &str) -> Option<&Attempt> {
        let s = self.steps.get(step)?;
        s.attempts.get(&s.attempt)
    }

    pub fn is_done(&self, step: &str) -> bool {
        self.current(step).is_some_and(Attempt::is_done)
    }

    /// Keys of the steps whose current attempt is done (or skipped).
    pub fn done(&self) -> BTreeSet<String> {
        self.steps
            .keys()
            .filter(|k| self.is_done(k))
            .cloned()
            .collect()
    }

    /// The ended unit whose own path this step is (its thaw, bedside verification or
    /// administration), if that unit has ended.
    pub fn ended_unit_of(&self, step: &Step) -> Option<&Unit> {
        if !matches!(
            step.kind,
            StepKind::Thaw | StepKind::DualVerification | StepKind::Administer
        ) {
            return None;
        }
        let unit = self.units.get(step.params.unit.as_deref()?)?;
        unit.disposition.is_some().then_some(unit)
    }

    /// Keys of the steps that no longer hold the case back: done or skipped, or — once the
    /// steps before it have passed — settled because its unit ended before its turn. (A
    /// settled step keeps the order it stood in: ending the CD8 bag does not let monitoring
    /// start before the CD4 bag is in.)
    pub fn passed(&self, map: &ValidMap) -> BTreeSet<String> {
        let mut passed = BTreeSet::new();
        for step in map.steps() {
            let settled =
                self.ended_unit_of(step).is_some() && step.after.iter().all(|a| passed.contains(a));
            if self.is_done(&step.key) || settled {
                passed.insert(step.key.clone());
            }
        }
        passed
    }

    /// Whether a step no longer holds the case back (see [`Case::passed`]).
    pub fn has_passed(&self, map: &ValidMap, key: &str) -> bool {
        self.is_done(key) || self.passed(map).contains(key)
    }

    /// Whether the product of a release step may be used: released, or out of specification
    /// and cleared for expanded access at that step's current attempt.
    pub fn usable_release(&self, step: &str) -> bool {
        match self.release_decision(step) {
            Some(ReleaseDecision::Released) => true,
            Some(ReleaseDecision::OutOfSpecification) => {
                self.expanded_access.as_deref() == Some(step)
            }
            _ => false,
        }
    }

    /// The release decision recorded at a step's current attempt.
    pub fn release_decision(&self, step: &str) -> Option<ReleaseDecision> {
        match self.current(step)?.recorded.as_ref()?.outcome {
            Outcome::Released { decision, .. } => Some(decision),
            _ => None,
        }
    }

    /// Time of the first infusion of any unit (follow-up counts from it).
    pub fn first_infusion(&self) -> Option<Micros> {
        self.steps
            .values()
            .filter_map(|s| s.attempts.get(&s.attempt))
            .filter_map(|a| a.recorded.as_ref())
            .filter(|r| {
                matches!(&r.outcome, Outcome::Administered { disposition, .. } if disposition.infused())
            })
            .map(|r| r.at)
            .min()
    }

    fn attempt_mut(&mut self, step: &str, attempt: u32) -> &mut Attempt {
        self.steps
            .entry(step.to_string())
            .or_default()
            .attempts
            .entry(attempt)
            .or_default()
    }
}

/// Fold one event into the case.
pub fn evolve(mut case: Case, event: &CaseEvent) -> Case {
    match event {
        CaseEvent::Opened(e) => {
            let f = &e.new;
            case = Case {
                id: e.id.clone(),
                partnership_id: f.partnership_id.clone(),
                site_id: f.site_id.clone(),
                program_id: f.program_id.clone(),
                map_version_id: f.map_version_id.clone(),
                pseudonym: f.pseudonym.clone(),
                patient: f.patient.clone(),
                identifier_kinds: f.identifier_kinds.clone(),
                status: CaseStatus::Active,
                opened_at: f.opened_at,
                units: f
                    .units
                    .iter()
                    .map(|u| {
                        let unit = Unit {
                            key: u.key.clone(),
                            name: u.name.clone(),
                            thaw_window_minutes: u.thaw_window_minutes,
                            thaw: None,
                            disposition: None,
                        };
                        (u.key.clone(), unit)
                    })
                    .collect(),
                ..Case::default()
            };
        }
        CaseEvent::IdentifierAdded(e) => case.identifiers.push(e.identifier.clone()),
        CaseEvent::StepRecorded(e) => {
            match &e.outcome {
                Outcome::Thawed {
                    unit,
                    window_ends_at,
                } => {
                    if let Some(u) = case.units.get_mut(unit) {
                        u.thaw = Some(Thaw {
                            at: e.at,
                            window_ends_at: *window_ends_at,
                        });
                    }
                }
                Outcome::Administered { unit, disposition } => {
                    if let Some(u) = case.units.get_mut(unit) {
                        u.disposition = Some(disposition.clone());
                    }
                }
                Outcome::Released { decision, .. } if *decision != ReleaseDecision::Released => {
                    case.status = CaseStatus::Stopped {
                        step: e.step.clone(),
                        decision: *decision,
                    };
                }
                _ => {}
            }
            case.attempt_mut(&e.step, e.attempt).recorded = Some(e.clone());
        }
        CaseEvent::StepSigned(e) => case
            .attempt_mut(&e.step, e.attempt)
            .signatures
            .push(e.clone()),
        CaseEvent::StepVerified(e) => {
            case.attempt_mut(&e.step, e.attempt)
                .verifications
                .push(e.clone());
        }
        CaseEvent::CustodyRecorded(e) => {
            for item in &e.items {
                case.holders.insert(item.clone(), e.to.clone());
            }
            case.custody.push(e.clone());
            case.attempt_mut(&e.step, e.attempt).custody = Some(e.clone());
        }
        CaseEvent::StepCompleted(e) => {
            case.attempt_mut(&e.step, e.attempt).completed_at = Some(e.at)
        }
        CaseEvent::StepSkipped(e) => {
            case.attempt_mut(&e.step, e.attempt).skipped = Some(e.reason.clone());
        }
        CaseEvent::AttemptStarted(e) => {
            if e.release_exception.is_some() {
                case.status = CaseStatus::Active;
            }
            for (step, n) in &e.attempts {
                if case.expanded_access.as_deref() == Some(step.as_str()) {
                    case.expanded_access = None;
                }
                let s = case.steps.entry(step.clone()).or_default();
                s.attempt = *n;
                // custody witnessed at a step done again starts over with the new material
                for c in s.attempts.values().filter_map(|a| a.custody.as_ref()) {
                    for item in &c.items {
                        case.holders.remove(item);
                    }
                }
            }
        }
        CaseEvent::DeviationRecorded(e) => case.deviations.push(e.clone()),
        CaseEvent::UnitEnded(e) => {
            if let Some(u) = case.units.get_mut(&e.unit) {
                u.disposition = Some(e.disposition.clone());
            }
        }
        CaseEvent::Held(e) => {
            case.status = CaseStatus::OnHold {
                reason: e.reason.clone(),
                since: e.at,
            };
        }
        CaseEvent::Resumed(e) => {
            if let (Some(_), CaseStatus::Stopped { step, .. }) = (&e.expanded_access, &case.status)
            {
                case.expanded_access = Some(step.clone());
            }
            case.status = CaseStatus::Active;
        }
        CaseEvent::Cancelled(e) => {
            case.status = CaseStatus::Cancelled {
                care_transition_note: e.care_transition_note.clone(),
                at: e.at,
            };
        }
        CaseEvent::BenefitsVerified(e) => case.benefits = Some(e.clone()),
        CaseEvent::AdverseEventRecorded(e) => {
            case.adverse_events
                .insert(e.adverse_event, AdverseEvent::opened(e));
        }
        CaseEvent::AdverseEventObserved(AdverseEventObserved { adverse_event, .. })
        | CaseEvent::AdverseEventTreated(AdverseEventTreated { adverse_event, .. })
        | CaseEvent::AdverseEventOutcome(AdverseEventOutcomeRecorded { adverse_event, .. }) => {
            if let Some(ae) = case.adverse_events.get_mut(adverse_event) {
                ae.apply(event);
            }
        }
        CaseEvent::ConsentRecorded(e) => case.consent = Some(e.clone()),
        CaseEvent::RegistryScheduled(e) => case.registry = Some(e.clone()),
        CaseEvent::RegistryFormSubmitted(e) => {
            case.submitted.insert(e.key.clone(), e.clone());
        }
        CaseEvent::Migrated(e) => {
            let old = std::mem::take(&mut case.steps);
            case.steps = e
                .mapping
                .iter()
                .filter_map(|(from, to)| old.get(from).map(|s| (to.clone(), s.clone())))
                .collect();
            case.map_version_id = e.to_version_id.clone();
        }
    }
    case
}
