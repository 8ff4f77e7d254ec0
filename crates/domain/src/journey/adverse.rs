//! Adverse events on a case (DESIGN.md §4.4, DOMAIN.md "Toxicity grading"): CRS and ICANS
//! recorded from the first infusion on, each opened with its first observations, observed
//! again over time, treated (tocilizumab, steroids) and given an outcome. Every observation is
//! graded by `toxicity` from what was observed — never a grade typed by hand — and an event's
//! grade is the worst of its observations, 5 when it was fatal. Part of `decide`; the fold is
//! in `case.rs`.
//!
//! The rule on when: CRS and ICANS are reactions to the infused cells, so an adverse event is
//! recorded once a unit of the case has been infused (whether or not the monitoring step has
//! been opened yet — the first fever often comes before anyone charts it), with an onset not
//! before that infusion. It may be recorded while the case is on hold (a complication is the
//! usual reason for the hold), never on a cancelled case. The health system's nurses and
//! physicians record them.

use super::engine::{Decider, text};
use super::refusal::{FieldProblem, Refusal};
use super::units::Micros;
use crate::Date;
use crate::Role;
use crate::events::cases::{
    ActedBy, AdverseEventKind, AdverseEventObserved, AdverseEventOutcome,
    AdverseEventOutcomeRecorded, AdverseEventRecorded, AdverseEventTreated, CaseEvent, Findings,
    Observation, Treatment,
};
use crate::org::OrgKind;
use crate::values::Notes;
use serde::{Deserialize, Serialize};

/// Roles that record, observe, treat and close adverse events: the site's clinicians.
pub const ADVERSE_EVENT_ROLES: &[Role] = &[Role::Nurse, Role::Physician];

/// One observation on the record and who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub observation: Observation,
    pub by: ActedBy,
}

/// An adverse event as its events made it (kept whole as a safety report's body: the store
/// folds each of its events into it with [`AdverseEvent::opened`] and [`AdverseEvent::apply`],
/// as the case's fold does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdverseEvent {
    pub number: u32,
    pub kind: AdverseEventKind,
    pub onset_at: Micros,
    pub recorded_by: ActedBy,
    pub observations: Vec<Observed>,
    pub treatments: Vec<AdverseEventTreated>,
    /// The outcome last recorded; none yet is ongoing.
    pub outcome: Option<AdverseEventOutcomeRecorded>,
}

impl AdverseEvent {
    /// The adverse event as its recording opens it.
    pub fn opened(e: &AdverseEventRecorded) -> AdverseEvent {
        AdverseEvent {
            number: e.adverse_event,
            kind: e.kind,
            onset_at: e.onset_at,
            recorded_by: e.by.clone(),
            observations: e
                .observations
                .iter()
                .map(|o| Observed {
                    observation: o.clone(),
                    by: e.by.clone(),
                })
                .collect(),
            treatments: Vec::new(),
            outcome: None,
        }
    }

    /// A later event of this adverse event (an observation, a treatment, an outcome) applied;
    /// any other event leaves it as it is.
    pub fn apply(&mut self, event: &CaseEvent) {
        match event {
            CaseEvent::AdverseEventObserved(e) if e.adverse_event == self.number => {
                self.observations.push(Observed {
                    observation: e.observation.clone(),
                    by: e.by.clone(),
                });
            }
            CaseEvent::AdverseEventTreated(e) if e.adverse_event == self.number => {
                self.treatments.push(e.clone());
            }
            CaseEvent::AdverseEventOutcome(e) if e.adverse_event == self.number => {
                self.outcome = Some(e.clone());
            }
            _ => {}
        }
    }

    /// The worst grade of its observations; 5 when it was fatal.
    pub fn grade(&self) -> u8 {
        if matches!(
            self.outcome.as_ref().map(|o| &o.outcome),
            Some(AdverseEventOutcome::Fatal { .. })
        ) {
            return 5;
        }
        self.observations
            .iter()
            .map(|o| o.observation.grade())
            .max()
            .unwrap_or(0)
    }

    /// The observation that set the grade (the first of the worst).
    pub fn worst(&self) -> Option<&Observed> {
        let grade = self
            .observations
            .iter()
            .map(|o| o.observation.grade())
            .max()?;
        self.observations
            .iter()
            .find(|o| o.observation.grade() == grade)
    }

    /// Resolved or fatal.
    pub fn is_closed(&self) -> bool {
        self.outcome.as_ref().is_some_and(|o| o.outcome.is_final())
    }
}

/// One observation as a person enters it: when, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObservation {
    pub at: Micros,
    pub findings: Findings,
}

impl Decider<'_> {
    /// The site's clinician, on a case that has had its first infusion (its time).
    fn clinician(&self, what: &str) -> Result<(Role, Micros), Refusal> {
        self.side(what, OrgKind::HealthSystem)?;
        let role = self.role_among(what, ADVERSE_EVENT_ROLES)?;
        let infused = self
            .case
            .first_infusion()
            .ok_or_else(|| Refusal::NotYetInfused {
                pseudonym: self.case.pseudonym.clone(),
            })?;
        Ok((role, infused))
    }

    fn adverse_event(&self, number: u32) -> Result<&AdverseEvent, Refusal> {
        self.case
            .adverse_events
            .get(&number)
            .ok_or_else(|| Refusal::UnknownAdverseEvent {
                pseudonym: self.case.pseudonym.clone(),
                number,
            })
    }

    fn open_adverse_event(&self, number: u32) -> Result<&AdverseEvent, Refusal> {
        let ae = self.adverse_event(number)?;
        match &ae.outcome {
            Some(o) if o.outcome.is_final() => Err(Refusal::AdverseEventClosed {
                what: ae_name(ae),
                outcome: outcome_words(&o.outcome),
            }),
            _ => Ok(ae),
        }
    }

    /// Grade each observation; a problem names its field (prefixed by `prefix(i)`).
    fn graded(
        &self,
        kind: AdverseEventKind,
        onset_at: Micros,
        observations: &[NewObservation],
        prefix: impl Fn(usize) -> String,
        problems: &mut Vec<FieldProblem>,
    ) -> Vec<Observation> {
        let mut out = Vec::new();
        for (i, o) in observations.iter().enumerate() {
            let p = prefix(i);
            if o.findings.kind() != kind {
                problems.push(FieldProblem::new(
                    format!("{p}{}", o.findings.kind()),
                    format!(
                        "this is a {} adverse event: enter {} findings",
                        kind.label(),
                        kind.label()
                    ),
                ));
                continue;
            }
            if o.at < onset_at {
                problems.push(FieldProblem::new(
                    format!("{p}at"),
                    "an observation is made at or after the onset",
                ));
            } else if o.at > self.now {
                problems.push(FieldProblem::new(
                    format!("{p}at"),
                    "an observation is made by now: it cannot be later than now",
                ));
            }
            match Observation::graded(o.at, o.findings.clone()) {
                Ok((observation, _)) => out.push(observation),
                Err(found) => problems.extend(
                    found
                        .into_iter()
                        .map(|f| FieldProblem::new(format!("{p}{}", f.field), f.message)),
                ),
            }
        }
        out
    }

    /// A death among the observations closes the event as fatal on that day.
    fn fatal_if_died(
        &self,
        number: u32,
        role: Role,
        observations: &[Observation],
    ) -> Vec<CaseEvent> {
        observations
            .iter()
            .find(|o| o.findings().died())
            .map(|o| {
                AdverseEventOutcomeRecorded {
                    case_id: self.case.id.clone(),
                    adverse_event: number,
                    outcome: AdverseEventOutcome::Fatal {
                        on: Date::of_micros(o.at()),
                    },
                    by: self.by(Some(role)),
                    at: self.now,
                }
                .into()
            })
            .into_iter()
            .collect()
    }

    pub(super) fn record_adverse_event(
        &self,
        kind: AdverseEventKind,
        onset_at: Micros,
        observations: &[NewObservation],
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let (role, infused) = self.clinician("recording an adverse event")?;
        let mut problems = Vec::new();
        if onset_at < infused {
            problems.push(FieldProblem::new(
                "onset",
                format!(
                    "the onset is at or after the first infusion ({}): CRS and ICANS follow the infused cells",
                    super::units::clock(infused)
                ),
            ));
        } else if onset_at > self.now {
            problems.push(FieldProblem::new(
                "onset",
                "the onset cannot be later than now",
            ));
        }
        if observations.is_empty() {
            problems.push(FieldProblem::new(
                "observations",
                "record the adverse event with its first observation",
            ));
        }
        let graded = self.graded(
            kind,
            onset_at,
            observations,
            |i| format!("observations[{i}]."),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(Refusal::Fields { problems });
        }
        let number = self.case.adverse_events.keys().max().map_or(1, |n| n + 1);
        let mut events: Vec<CaseEvent> = vec![
            AdverseEventRecorded {
                case_id: self.case.id.clone(),
                adverse_event: number,
                kind,
                onset_at,
                observations: graded.clone(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ];
        events.extend(self.fatal_if_died(number, role, &graded));
        Ok(events)
    }

    pub(super) fn observe_adverse_event(
        &self,
        number: u32,
        observation: &NewObservation,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let (role, _) = self.clinician("observing an adverse event")?;
        let ae = self.open_adverse_event(number)?;
        let mut problems = Vec::new();
        let graded = self.graded(
            ae.kind,
            ae.onset_at,
            std::slice::from_ref(observation),
            |_| String::new(),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(Refusal::Fields { problems });
        }
        let mut events: Vec<CaseEvent> = graded
            .iter()
            .map(|o| {
                AdverseEventObserved {
                    case_id: self.case.id.clone(),
                    adverse_event: number,
                    observation: o.clone(),
                    by: self.by(Some(role)),
                    at: self.now,
                }
                .into()
            })
            .collect();
        events.extend(self.fatal_if_died(number, role, &graded));
        Ok(events)
    }

    pub(super) fn treat_adverse_event(
        &self,
        number: u32,
        treatment: Treatment,
        given_at: Micros,
        detail: &str,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let (role, _) = self.clinician("treating an adverse event")?;
        let ae = self.open_adverse_event(number)?;
        if given_at < ae.onset_at || given_at > self.now {
            return Err(Refusal::Fields {
                problems: vec![FieldProblem::new(
                    "given_at",
                    format!(
                        "a treatment is given between the onset ({}) and now",
                        super::units::clock(ae.onset_at)
                    ),
                )],
            });
        }
        let detail = if detail.trim().is_empty() {
            String::new()
        } else {
            text("the dose and route", Notes::parse(detail))?.into_string()
        };
        Ok(vec![
            AdverseEventTreated {
                case_id: self.case.id.clone(),
                adverse_event: number,
                treatment,
                given_at,
                detail,
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }

    pub(super) fn adverse_event_outcome(
        &self,
        number: u32,
        outcome: &AdverseEventOutcome,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let (role, _) = self.clinician("recording an adverse event's outcome")?;
        let ae = self.open_adverse_event(number)?;
        if let AdverseEventOutcome::Resolved { on } | AdverseEventOutcome::Fatal { on } = outcome {
            let onset = Date::of_micros(ae.onset_at);
            let today = Date::of_micros(self.now);
            if *on < onset || *on > today {
                return Err(Refusal::Fields {
                    problems: vec![FieldProblem::new(
                        "on",
                        format!("the day is between the onset ({onset}) and today ({today})"),
                    )],
                });
            }
        }
        if *outcome == AdverseEventOutcome::Ongoing
            && ae.outcome.as_ref().map(|o| &o.outcome) == Some(&AdverseEventOutcome::Ongoing)
        {
            return Err(Refusal::Fields {
                problems: vec![FieldProblem::new(
                    "outcome",
                    format!("{} is already recorded as ongoing", ae_name(ae)),
                )],
            });
        }
        Ok(vec![
            AdverseEventOutcomeRecorded {
                case_id: self.case.id.clone(),
                adverse_event: number,
                outcome: outcome.clone(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }
}

/// E.g. "CRS #1".
pub fn ae_name(ae: &AdverseEvent) -> String {
    format!("{} #{}", ae.kind.label(), ae.number)
}

pub fn outcome_words(o: &AdverseEventOutcome) -> String {
    match o {
        AdverseEventOutcome::Ongoing => "ongoing".into(),
        AdverseEventOutcome::Resolved { on } => format!("resolved on {on}"),
        AdverseEventOutcome::Fatal { on } => format!("fatal on {on}"),
    }
}
