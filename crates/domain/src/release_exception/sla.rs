//! The SLA record of release exceptions (issue 13, point 5): for each exception, how long it
//! took to notify tier 1, to acknowledge, to decide and to tell the patient, against what the
//! protocol allows; a step not yet done counts as breached once its time has passed.

use serde::{Deserialize, Serialize};

use super::exception::{Exception, HOUR, MINUTE, Micros};
use super::protocol::Protocol;

/// One figure of one exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measure {
    /// How long it took, if done (microseconds from the exception's opening).
    pub took: Option<Micros>,
    /// How long the protocol allows (microseconds).
    pub allowed: Micros,
    pub breached: bool,
}

impl Measure {
    fn of(opened: Micros, done: Option<Micros>, allowed: Micros, now: Micros) -> Measure {
        let took = done.map(|d| d - opened);
        let breached = match took {
            Some(t) => t > allowed,
            None => now - opened > allowed,
        };
        Measure {
            took,
            allowed,
            breached,
        }
    }
}

/// The four figures of one exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sla {
    pub notify: Measure,
    pub acknowledge: Measure,
    pub decide: Measure,
    pub tell_patient: Measure,
}

impl Sla {
    pub fn breaches(&self) -> usize {
        [
            self.notify,
            self.acknowledge,
            self.decide,
            self.tell_patient,
        ]
        .iter()
        .filter(|m| m.breached)
        .count()
    }
}

/// An exception's figures against its protocol at `now`. Acknowledging is allowed until
/// tier 1 would escalate (or, with one tier only, until the decision is due).
pub fn sla(exception: &Exception, protocol: &Protocol, now: Micros) -> Sla {
    let opened = exception.opened_at;
    let first = protocol.tiers.first();
    let notify_allowed = first.map(|t| t.notify_within_minutes * MINUTE).unwrap_or(0);
    let decide_allowed = protocol.decision_within_hours * HOUR;
    let ack_allowed = first
        .and_then(|t| t.escalate_after_hours)
        .map(|h| h * HOUR)
        .unwrap_or(decide_allowed);
    let tier1 = exception
        .notified
        .iter()
        .find(|n| n.tier == 0)
        .map(|n| n.at);
    let first_ack = exception.acknowledged.iter().map(|a| a.at).min();
    Sla {
        notify: Measure::of(opened, tier1, notify_allowed, now),
        acknowledge: Measure::of(opened, first_ack, ack_allowed, now),
        decide: Measure::of(
            opened,
            exception.decided.map(|(_, at)| at),
            decide_allowed,
            now,
        ),
        tell_patient: Measure::of(
            opened,
            exception.patient_told_at,
            protocol.patient_communication.within_hours * HOUR,
            now,
        ),
    }
}

/// One figure over many exceptions: how many were measured, the median of those done, and
/// how many breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureSummary {
    pub count: usize,
    pub done: usize,
    pub median: Option<Micros>,
    pub breached: usize,
}

/// The figures of a partnership's exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaSummary {
    pub exceptions: usize,
    pub notify: MeasureSummary,
    pub acknowledge: MeasureSummary,
    pub decide: MeasureSummary,
    pub tell_patient: MeasureSummary,
}

fn summarize(measures: impl Iterator<Item = Measure>) -> MeasureSummary {
    let all: Vec<Measure> = measures.collect();
    let mut done: Vec<Micros> = all.iter().filter_map(|m| m.took).collect();
    done.sort_unstable();
    MeasureSummary {
        count: all.len(),
        done: done.len(),
        // The lower middle: a median that is one of the figures, never an average of two.
        median: (!done.is_empty()).then(|| done[(done.len() - 1) / 2]),
        breached: all.iter().filter(|m| m.breached).count(),
    }
}

pub fn summary(slas: &[Sla]) -> SlaSummary {
    SlaSummary {
        exceptions: slas.len(),
        notify: summarize(slas.iter().map(|s| s.notify)),
        acknowledge: summarize(slas.iter().map(|s| s.acknowledge)),
        decide: summarize(slas.iter().map(|s| s.decide)),
        tell_patient: summarize(slas.iter().map(|s| s.tell_patient)),
    }
}
