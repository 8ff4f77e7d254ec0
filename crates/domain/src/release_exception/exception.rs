//! One release exception as the protocol drives it: which tiers were told, who acknowledged,
//! when the next tier is due (a pure function of the exception, its protocol and now), who told
//! the patient, the decision among the options offered for its kind, and the close with a
//! signature from each side. The app folds its events into an [`Exception`] and asks these
//! rules before it writes anything.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::protocol::{DecisionOption, ExceptionKind, Prerequisite, Protocol};
use crate::org::{OrgKind, Role};

pub type Micros = i64;

pub const HOUR: Micros = 3_600_000_000;
pub const MINUTE: Micros = 60_000_000;

/// A tier told (0-based tier) and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notified {
    pub tier: usize,
    pub at: Micros,
}

/// An acknowledgement by a recipient of a tier told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acknowledged {
    pub tier: usize,
    pub side: OrgKind,
    pub role: Role,
    pub at: Micros,
}

/// The exception as its events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub kind: ExceptionKind,
    pub opened_at: Micros,
    pub notified: Vec<Notified>,
    pub acknowledged: Vec<Acknowledged>,
    pub patient_told_at: Option<Micros>,
    pub decided: Option<(DecisionOption, Micros)>,
    pub signed: Vec<(OrgKind, Micros)>,
    /// Expanded access's prerequisites recorded so far.
    pub prerequisites: Vec<Prerequisite>,
}

/// Where an exception stands, in the order it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Told, nobody has acknowledged yet.
    Notified,
    Acknowledged,
    Decided,
    Closed,
}

/// Why a command on an exception is refused, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionRefusal {
    Closed,
    NotRecipient {
        side: OrgKind,
        role: Role,
    },
    AlreadyAcknowledged {
        tier: usize,
    },
    NotPatientTeller {
        role: Role,
    },
    PatientAlreadyTold,
    NotOffered {
        option: DecisionOption,
        kind: ExceptionKind,
        offered: Vec<DecisionOption>,
    },
    AlreadyDecided {
        option: DecisionOption,
    },
    NotDecider,
    NotSigner,
    NotDecided,
    PatientNotTold,
    AlreadySigned {
        side: OrgKind,
    },
    NoEscalationDue,
    NotExpandedAccess,
    PrerequisitesMissing {
        missing: Vec<Prerequisite>,
    },
    PrerequisiteRecorded {
        prerequisite: Prerequisite,
    },
    NotPrerequisiteRecorder {
        prerequisite: Prerequisite,
    },
}

impl fmt::Display for ExceptionRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ExceptionRefusal::*;
        match self {
            Closed => write!(f, "the exception is closed"),
            NotRecipient { side, role } => write!(
                f,
                "the {} of the {} is not among the recipients told of this exception",
                role.as_str(),
                side.as_str().replace('_', " ")
            ),
            AlreadyAcknowledged { tier } => {
                write!(f, "tier {} was already acknowledged by this role", tier + 1)
            }
            NotPatientTeller { role } => write!(
                f,
                "the protocol has the health system's {} tell the patient",
                role.as_str()
            ),
            PatientAlreadyTold => write!(f, "the patient was already told"),
            NotOffered {
                option,
                kind,
                offered,
            } => write!(
                f,
                "the protocol does not offer \"{}\" for {}; it offers: {}",
                option.words(),
                kind.words(),
                offered
                    .iter()
                    .map(|o| o.words())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AlreadyDecided { option } => {
                write!(f, "the exception was already decided: {}", option.words())
            }
            NotDecider => write!(
                f,
                "a decision is recorded by the health system's physician or the manufacturer's quality"
            ),
            NotSigner => write!(
                f,
                "the close is signed by the health system's physician or the manufacturer's quality"
            ),
            NotDecided => write!(f, "the exception closes only once it is decided"),
            PatientNotTold => write!(
                f,
                "the exception closes only once the patient has been told"
            ),
            AlreadySigned { side } => write!(
                f,
                "the {} has already signed the close",
                side.as_str().replace('_', " ")
            ),
            NoEscalationDue => write!(f, "no escalation is due"),
            NotExpandedAccess => write!(
                f,
                "expanded access's prerequisites are recorded only once infusion under expanded access is decided"
            ),
            PrerequisitesMissing { missing } => write!(
                f,
                "infusion under expanded access closes only once its prerequisites are recorded; missing: {}",
                missing
                    .iter()
                    .map(|p| p.words())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PrerequisiteRecorded { prerequisite } => {
                write!(f, "{} is already recorded", prerequisite.words())
            }
            NotPrerequisiteRecorder { prerequisite } => {
                let (side, roles) = prerequisite.recorded_by();
                write!(
                    f,
                    "{} is recorded by the {}'s {}",
                    prerequisite.words(),
                    side.as_str().replace('_', " "),
                    roles
                        .iter()
                        .map(|r| r.as_str().replace('_', " "))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            }
        }
    }
}

impl Exception {
    /// An exception opened at `at`, tier 1 told at once.
    pub fn opened(kind: ExceptionKind, at: Micros) -> Exception {
        Exception {
            kind,
            opened_at: at,
            notified: vec![Notified { tier: 0, at }],
            acknowledged: vec![],
            patient_told_at: None,
            decided: None,
            signed: vec![],
            prerequisites: vec![],
        }
    }

    /// When the patient must have been told: the protocol's hours from the opening.
    pub fn patient_due_at(&self, protocol: &Protocol) -> Micros {
        self.opened_at + protocol.patient_communication.within_hours * HOUR
    }

    /// When the decision is due: the protocol's hours from the opening.
    pub fn decision_due_at(&self, protocol: &Protocol) -> Micros {
        self.opened_at + protocol.decision_within_hours * HOUR
    }

    /// One of expanded access's prerequisites, recorded once by its side and role, once
    /// infusion under expanded access is decided.
    pub fn may_record_prerequisite(
        &self,
        prerequisite: Prerequisite,
        side: OrgKind,
        role: Role,
    ) -> Result<(), ExceptionRefusal> {
        if self.is_closed() {
            return Err(ExceptionRefusal::Closed);
        }
        if !matches!(self.decided, Some((DecisionOption::ExpandedAccess, _))) {
            return Err(ExceptionRefusal::NotExpandedAccess);
        }
        let (by_side, roles) = prerequisite.recorded_by();
        if side != by_side || !roles.contains(&role) {
            return Err(ExceptionRefusal::NotPrerequisiteRecorder { prerequisite });
        }
        if self.prerequisites.contains(&prerequisite) {
            return Err(ExceptionRefusal::PrerequisiteRecorded { prerequisite });
        }
        Ok(())
    }

    /// Whether every prerequisite of expanded access is on the record.
    pub fn expanded_access_cleared(&self) -> bool {
        Prerequisite::ALL
            .iter()
            .all(|p| self.prerequisites.contains(p))
    }

    pub fn is_closed(&self) -> bool {
        self.signed.len() >= 2
    }

    pub fn stage(&self) -> Stage {
        if self.is_closed() {
            Stage::Closed
        } else if self.decided.is_some() {
            Stage::Decided
        } else if !self.acknowledged.is_empty() {
            Stage::Acknowledged
        } else {
            Stage::Notified
        }
    }

    /// The highest tier told so far (0-based).
    pub fn tier_reached(&self) -> usize {
        self.notified.iter().map(|n| n.tier).max().unwrap_or(0)
    }

    /// When the next tier is due to be told if nobody acknowledges: none once anyone has
    /// acknowledged, once decided or closed, or when the last tier is reached.
    pub fn next_escalation_at(&self, protocol: &Protocol) -> Option<(usize, Micros)> {
        if !self.acknowledged.is_empty() || self.decided.is_some() || self.is_closed() {
            return None;
        }
        let last = self.notified.iter().max_by_key(|n| n.tier)?;
        let hours = protocol.tiers.get(last.tier)?.escalate_after_hours?;
        let next = last.tier + 1;
        (next < protocol.tiers.len()).then_some((next, last.at + hours * HOUR))
    }

    /// The tier due to be told now, if any: what the escalation job asks under the lock, so
    /// a job run twice, or after an acknowledgement, finds nothing due.
    pub fn escalation_due(&self, protocol: &Protocol, now: Micros) -> Option<usize> {
        self.next_escalation_at(protocol)
            .and_then(|(tier, at)| (now >= at).then_some(tier))
    }

    /// The tier a recipient acknowledges: the lowest tier told that names its role on its side.
    pub fn may_acknowledge(
        &self,
        protocol: &Protocol,
        side: OrgKind,
        role: Role,
    ) -> Result<usize, ExceptionRefusal> {
        if self.is_closed() {
            return Err(ExceptionRefusal::Closed);
        }
        let mut told: Vec<usize> = self.notified.iter().map(|n| n.tier).collect();
        told.sort_unstable();
        let tier = told
            .into_iter()
            .find(|t| {
                protocol
                    .recipients(*t)
                    .iter()
                    .any(|r| r.side == side && r.role == role)
            })
            .ok_or(ExceptionRefusal::NotRecipient { side, role })?;
        if self
            .acknowledged
            .iter()
            .any(|a| a.tier == tier && a.side == side && a.role == role)
        {
            return Err(ExceptionRefusal::AlreadyAcknowledged { tier });
        }
        Ok(tier)
    }

    /// Who tells the patient: the protocol's role at the health system, once.
    pub fn may_tell_patient(
        &self,
        protocol: &Protocol,
        side: OrgKind,
        role: Role,
    ) -> Result<(), ExceptionRefusal> {
        if self.is_closed() {
            return Err(ExceptionRefusal::Closed);
        }
        let teller = protocol.patient_communication.role;
        if side != OrgKind::HealthSystem || role != teller {
            return Err(ExceptionRefusal::NotPatientTeller { role: teller });
        }
        if self.patient_told_at.is_some() {
            return Err(ExceptionRefusal::PatientAlreadyTold);
        }
        Ok(())
    }

    /// A decision among the options the protocol offers for the exception's kind, recorded
    /// once, by the health system's physician or the manufacturer's quality.
    pub fn may_decide(
        &self,
        protocol: &Protocol,
        option: DecisionOption,
        side: OrgKind,
        role: Role,
    ) -> Result<(), ExceptionRefusal> {
        if self.is_closed() {
            return Err(ExceptionRefusal::Closed);
        }
        if let Some((option, _)) = self.decided {
            return Err(ExceptionRefusal::AlreadyDecided { option });
        }
        if !decides_for(side, role) {
            return Err(ExceptionRefusal::NotDecider);
        }
        let offered = protocol.offered(self.kind);
        if !offered.contains(&option) || !option.fits(self.kind) {
            return Err(ExceptionRefusal::NotOffered {
                option,
                kind: self.kind,
                offered: offered.to_vec(),
            });
        }
        Ok(())
    }

    /// A side signs the close — by the role that decides for it (the health system's
    /// physician, the manufacturer's quality): once decided and the patient told, once per
    /// side; the second signature closes it.
    pub fn may_sign_close(&self, side: OrgKind, role: Role) -> Result<(), ExceptionRefusal> {
        if self.is_closed() {
            return Err(ExceptionRefusal::Closed);
        }
        if !decides_for(side, role) {
            return Err(ExceptionRefusal::NotSigner);
        }
        if self.decided.is_none() {
            return Err(ExceptionRefusal::NotDecided);
        }
        if matches!(self.decided, Some((DecisionOption::ExpandedAccess, _)))
            && !self.expanded_access_cleared()
        {
            return Err(ExceptionRefusal::PrerequisitesMissing {
                missing: Prerequisite::ALL
                    .iter()
                    .copied()
                    .filter(|p| !self.prerequisites.contains(p))
                    .collect(),
            });
        }
        if self.patient_told_at.is_none() {
            return Err(ExceptionRefusal::PatientNotTold);
        }
        if self.signed.iter().any(|(s, _)| *s == side) {
            return Err(ExceptionRefusal::AlreadySigned { side });
        }
        Ok(())
    }
}

/// The role that decides an exception for its side, and signs its close: the health system's
/// physician (with the patient), the manufacturer's quality (for the product).
fn decides_for(side: OrgKind, role: Role) -> bool {
    matches!(
        (side, role),
        (OrgKind::HealthSystem, Role::Physician) | (OrgKind::Manufacturer, Role::Quality)
    )
}
