//! The release-exception protocol a partnership agrees for a program before its first patient
//! (DESIGN.md §4.5): who is told in each tier and how fast, when an unacknowledged tier
//! escalates, who tells the patient and by when, the decision deadline, and the options offered
//! for each kind of exception. `validate` names every problem by field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::org::{OrgKind, Role};

vocabulary!(
    /// The three kinds of release exception (DESIGN.md §4.5).
    ExceptionKind, "exception kind" {
        /// A product exists but misses its release specification.
        OutOfSpecification => "out_of_specification",
        /// No product: manufacturing failed.
        ManufacturingFailure => "manufacturing_failure",
        /// Released, then a late finding (e.g. a sterility result after shipment).
        PostReleaseNotice => "post_release_notice",
    }
);

vocabulary!(
    /// How a tier's recipients are told. Delivery itself belongs to the outbox; the protocol
    /// records what was agreed.
    Channel, "notification channel" {
        InApp => "in_app",
        Email => "email",
        Webhook => "webhook",
        Phone => "phone",
    }
);

vocabulary!(
    /// What may be decided about an exception; which ones a kind allows is
    /// [`DecisionOption::fits`], which ones a program offers is the protocol's.
    DecisionOption, "decision option" {
        /// Make the product again from retained cells: the case returns to manufacturing.
        Remanufacture => "remanufacture",
        /// Collect cells again: the case returns to apheresis.
        ReCollection => "re_collection",
        /// Infuse the out-of-specification product under expanded access.
        ExpandedAccess => "expanded_access",
        /// Treat the patient with another therapy; the case ends.
        OtherTherapy => "other_therapy",
        /// Go on as planned, with closer monitoring (a post-release notice).
        EnhancedMonitoring => "enhanced_monitoring",
        /// Cancel the case, with a plan for the patient's care.
        Cancel => "cancel",
    }
);

vocabulary!(
    /// How the patient was told.
    TellMethod, "way of telling the patient" {
        InPerson => "in_person",
        Phone => "phone",
        Video => "video",
        Letter => "letter",
    }
);

impl TellMethod {
    pub fn words(self) -> &'static str {
        match self {
            TellMethod::InPerson => "in person",
            TellMethod::Phone => "by phone",
            TellMethod::Video => "by video call",
            TellMethod::Letter => "by letter",
        }
    }
}

vocabulary!(
    /// What must be on the record before an out-of-specification product is infused under
    /// expanded access (DOMAIN.md): each recorded once, by its side and role.
    Prerequisite, "expanded-access prerequisite" {
        /// The treating physician's request.
        PhysicianRequest => "physician_request",
        /// The IRB's approval, by its reference.
        IrbApproval => "irb_approval",
        /// The patient's expanded-access consent (its own consent document type).
        ExpandedAccessConsent => "expanded_access_consent",
        /// The manufacturer's release of the product for that use.
        ManufacturerRelease => "manufacturer_release",
    }
);

impl Prerequisite {
    pub fn words(self) -> &'static str {
        match self {
            Prerequisite::PhysicianRequest => "the physician's request",
            Prerequisite::IrbApproval => "the IRB's approval",
            Prerequisite::ExpandedAccessConsent => "the patient's expanded-access consent",
            Prerequisite::ManufacturerRelease => "the manufacturer's release for expanded access",
        }
    }

    /// Who records it: the side and the roles on that side.
    pub fn recorded_by(self) -> (OrgKind, &'static [Role]) {
        match self {
            Prerequisite::PhysicianRequest => (OrgKind::HealthSystem, &[Role::Physician]),
            Prerequisite::IrbApproval => {
                (OrgKind::HealthSystem, &[Role::Physician, Role::Coordinator])
            }
            Prerequisite::ExpandedAccessConsent => (
                OrgKind::HealthSystem,
                &[Role::Coordinator, Role::Physician, Role::Nurse],
            ),
            Prerequisite::ManufacturerRelease => (OrgKind::Manufacturer, &[Role::Quality]),
        }
    }
}

impl DecisionOption {
    /// Whether an option can answer a kind at all: expanded access needs a product that exists
    /// out of specification; remaking needs no shipped product; monitoring needs one infused.
    pub fn fits(self, kind: ExceptionKind) -> bool {
        use DecisionOption::*;
        use ExceptionKind::*;
        match self {
            Remanufacture | ReCollection => kind != PostReleaseNotice,
            ExpandedAccess => kind == OutOfSpecification,
            EnhancedMonitoring => kind == PostReleaseNotice,
            OtherTherapy | Cancel => true,
        }
    }

    /// The option in people's words.
    pub fn words(self) -> &'static str {
        match self {
            DecisionOption::Remanufacture => "remanufacture from retained cells",
            DecisionOption::ReCollection => "collect cells again",
            DecisionOption::ExpandedAccess => "infuse under expanded access",
            DecisionOption::OtherTherapy => "another therapy",
            DecisionOption::EnhancedMonitoring => "go on with closer monitoring",
            DecisionOption::Cancel => "cancel, with a care-transition plan",
        }
    }
}

impl ExceptionKind {
    pub fn words(self) -> &'static str {
        match self {
            ExceptionKind::OutOfSpecification => "out of specification",
            ExceptionKind::ManufacturingFailure => "manufacturing failure",
            ExceptionKind::PostReleaseNotice => "post-release notice",
        }
    }
}

/// One person to tell, by role, on one side of the partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub side: OrgKind,
    pub role: Role,
}

/// One notification tier: who is told, how, how fast, and when it escalates to the next tier
/// if nobody has acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub recipients: Vec<Recipient>,
    pub channels: Vec<Channel>,
    /// Minutes from the exception (or the escalation) within which the tier must be told.
    pub notify_within_minutes: i64,
    /// Hours without an acknowledgement after which the next tier is told; none on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_hours: Option<i64>,
}

/// Who tells the patient (a health system role) and within how many hours of the exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientCommunication {
    pub role: Role,
    pub within_hours: i64,
}

/// The options a program offers for one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KindOptions {
    pub kind: ExceptionKind,
    pub options: Vec<DecisionOption>,
}

/// The content both sides sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub tiers: Vec<Tier>,
    pub patient_communication: PatientCommunication,
    /// Hours from the exception within which the decision is due.
    pub decision_within_hours: i64,
    pub options: Vec<KindOptions>,
}

/// What is wrong with a protocol: the field and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolProblem {
    pub field: String,
    pub message: String,
}

/// The roles held by someone active on each side: a tier naming a role nobody holds would
/// notify nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolesHeld {
    pub manufacturer: BTreeSet<Role>,
    pub health_system: BTreeSet<Role>,
}

impl RolesHeld {
    pub fn holds(&self, side: OrgKind, role: Role) -> bool {
        match side {
            OrgKind::Manufacturer => self.manufacturer.contains(&role),
            OrgKind::HealthSystem => self.health_system.contains(&role),
        }
    }
}

/// The longest any figure of a protocol may be: a quarter of a year.
pub const MAX_HOURS: i64 = 24 * 92;

fn side_words(side: OrgKind) -> &'static str {
    match side {
        OrgKind::Manufacturer => "the manufacturer",
        OrgKind::HealthSystem => "the health system",
    }
}

impl Protocol {
    /// Every problem at once, so a form can show each beside its field.
    pub fn validate(&self, held: &RolesHeld) -> Result<(), Vec<ProtocolProblem>> {
        let mut problems = Vec::new();
        let mut problem =
            |field: String, message: String| problems.push(ProtocolProblem { field, message });
        if self.tiers.is_empty() {
            problem(
                "tiers".into(),
                "the protocol needs at least one notification tier (who is told first)".into(),
            );
        }
        let last = self.tiers.len().saturating_sub(1);
        for (i, tier) in self.tiers.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}].{f}");
            if tier.recipients.is_empty() {
                problem(
                    at("recipients"),
                    format!("tier {} names nobody to tell", i + 1),
                );
            }
            let sides: BTreeSet<OrgKind> = tier.recipients.iter().map(|r| r.side).collect();
            if i == 0 && !tier.recipients.is_empty() && sides.len() < 2 {
                problem(
                    at("recipients"),
                    "tier 1 must tell someone on each side (the manufacturer and the health system)"
                        .into(),
                );
            }
            for (j, r) in tier.recipients.iter().enumerate() {
                let field = format!("tiers[{i}].recipients[{j}].role");
                if !r.role.allowed_in(r.side) {
                    problem(
                        field,
                        format!("{} has no role {}", side_words(r.side), r.role.as_str()),
                    );
                } else if !held.holds(r.side, r.role) {
                    problem(
                        field,
                        format!(
                            "nobody active at {} holds the role {}: add someone with it or name another role",
                            side_words(r.side),
                            r.role.as_str()
                        ),
                    );
                }
            }
            if tier.recipients.iter().collect::<BTreeSet<_>>().len() != tier.recipients.len() {
                problem(
                    at("recipients"),
                    format!("tier {} names a recipient twice", i + 1),
                );
            }
            if tier.channels.is_empty() {
                problem(at("channels"), format!("tier {} names no channel", i + 1));
            }
            if !(1..=MAX_HOURS * 60).contains(&tier.notify_within_minutes) {
                problem(
                    at("notify_within_minutes"),
                    format!("between 1 and {} minutes", MAX_HOURS * 60),
                );
            }
            match tier.escalate_after_hours {
                Some(h) if i == last => problem(
                    at("escalate_after_hours"),
                    format!(
                        "tier {} is the last: there is no tier to escalate to after {h} hours (add a tier or leave it empty)",
                        i + 1
                    ),
                ),
                None if i < last => problem(
                    at("escalate_after_hours"),
                    format!(
                        "tier {} must say after how many hours without an acknowledgement tier {} is told",
                        i + 1,
                        i + 2
                    ),
                ),
                Some(h) if !(1..=MAX_HOURS).contains(&h) => problem(
                    at("escalate_after_hours"),
                    format!("between 1 and {MAX_HOURS} hours"),
                ),
                _ => {}
            }
        }
        let pc = self.patient_communication;
        if !pc.role.allowed_in(OrgKind::HealthSystem) {
            problem(
                "patient_communication.role".into(),
                format!(
                    "the patient is told by the health system, which has no role {}",
                    pc.role.as_str()
                ),
            );
        } else if !held.holds(OrgKind::HealthSystem, pc.role) {
            problem(
                "patient_communication.role".into(),
                format!(
                    "nobody active at the health system holds the role {}",
                    pc.role.as_str()
                ),
            );
        }
        if !(1..=MAX_HOURS).contains(&pc.within_hours) {
            problem(
                "patient_communication.within_hours".into(),
                format!("between 1 and {MAX_HOURS} hours"),
            );
        }
        if !(1..=MAX_HOURS).contains(&self.decision_within_hours) {
            problem(
                "decision_within_hours".into(),
                format!("between 1 and {MAX_HOURS} hours"),
            );
        }
        for kind in ExceptionKind::ALL {
            let entries: Vec<(usize, &KindOptions)> = self
                .options
                .iter()
                .enumerate()
                .filter(|(_, o)| o.kind == *kind)
                .collect();
            match entries.as_slice() {
                [] => problem(
                    "options".into(),
                    format!(
                        "no options for {}: name what the program offers",
                        kind.words()
                    ),
                ),
                [(i, o)] => {
                    if o.options.is_empty() {
                        problem(
                            format!("options[{i}].options"),
                            format!("no options for {}", kind.words()),
                        );
                    }
                    for (j, opt) in o.options.iter().enumerate() {
                        if !opt.fits(*kind) {
                            problem(
                                format!("options[{i}].options[{j}]"),
                                format!("{} cannot answer {}", opt.words(), kind.words()),
                            );
                        }
                    }
                    if o.options.iter().collect::<BTreeSet<_>>().len() != o.options.len() {
                        problem(
                            format!("options[{i}].options"),
                            "an option is listed twice".into(),
                        );
                    }
                }
                [_, (i, _), ..] => problem(
                    format!("options[{i}].kind"),
                    format!("{} is listed more than once", kind.words()),
                ),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The options offered for a kind, in the protocol's order.
    pub fn offered(&self, kind: ExceptionKind) -> &[DecisionOption] {
        self.options
            .iter()
            .find(|o| o.kind == kind)
            .map(|o| o.options.as_slice())
            .unwrap_or(&[])
    }

    /// The recipients of a tier (0-based); none past the last.
    pub fn recipients(&self, tier: usize) -> &[Recipient] {
        self.tiers
            .get(tier)
            .map(|t| t.recipients.as_slice())
            .unwrap_or(&[])
    }

    /// A usual protocol: quality on both sides at once, then the leads after 8 hours, the
    /// admins after 24; the coordinator tells the patient within 24 hours; decision in 72.
    pub fn usual() -> Protocol {
        use OrgKind::*;
        let r = |side, role| Recipient { side, role };
        Protocol {
            tiers: vec![
                Tier {
                    recipients: vec![
                        r(Manufacturer, Role::Quality),
                        r(HealthSystem, Role::CellLab),
                        r(HealthSystem, Role::Coordinator),
                    ],
                    channels: vec![Channel::InApp, Channel::Email],
                    notify_within_minutes: 60,
                    escalate_after_hours: Some(8),
                },
                Tier {
                    recipients: vec![
                        r(Manufacturer, Role::PatientOps),
                        r(HealthSystem, Role::Physician),
                    ],
                    channels: vec![Channel::InApp, Channel::Phone],
                    notify_within_minutes: 60,
                    escalate_after_hours: Some(16),
                },
                Tier {
                    recipients: vec![r(Manufacturer, Role::Admin), r(HealthSystem, Role::Admin)],
                    channels: vec![Channel::InApp, Channel::Phone],
                    notify_within_minutes: 60,
                    escalate_after_hours: None,
                },
            ],
            patient_communication: PatientCommunication {
                role: Role::Coordinator,
                within_hours: 24,
            },
            decision_within_hours: 72,
            options: ExceptionKind::ALL
                .iter()
                .map(|kind| KindOptions {
                    kind: *kind,
                    options: DecisionOption::ALL
                        .iter()
                        .copied()
                        .filter(|o| o.fits(*kind))
                        .collect(),
                })
                .collect(),
        }
    }
}
