//! Dual-track contracting (DESIGN.md §2, §4.3): the agreements a partnership negotiates and
//! how their status may move, the gate's deliverables and who records each. The gate itself —
//! when a site is an authorized treatment center for a program, and how the recorded verdict
//! moves — is `gate.rs`; the track templates `template.rs`; expiry reminders `reminders.rs`.

pub mod gate;
pub mod joining;
pub mod reminders;
pub mod template;

pub use gate::{AgreementFacts, GateFacts, Missing, counts_at, missing_for_authorization};

use crate::org::OrgKind;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// The legal agreements of the gate.
    AgreementKind, "agreement kind" {
        MasterServiceAgreement => "master_service_agreement",
        TermsAndConditions => "terms_and_conditions",
        DataProtection => "data_protection",
        QualityAgreement => "quality_agreement",
        SupplyAgreement => "supply_agreement",
    }
);

impl AgreementKind {
    /// Executed once for the health system and the affiliates it covers (the central track).
    /// For people: "master service agreement", "terms and conditions", …
    pub fn label(self) -> &'static str {
        match self {
            AgreementKind::MasterServiceAgreement => "master service agreement",
            AgreementKind::TermsAndConditions => "terms and conditions",
            AgreementKind::DataProtection => "data protection agreement",
            AgreementKind::QualityAgreement => "quality agreement",
            AgreementKind::SupplyAgreement => "supply agreement",
        }
    }

    /// The label as a heading or the start of a sentence: "Master service agreement".
    pub fn title(self) -> String {
        let mut chars = self.label().chars();
        chars
            .next()
            .into_iter()
            .flat_map(char::to_uppercase)
            .chain(chars)
            .collect()
    }

    pub fn is_central(self) -> bool {
        matches!(
            self,
            AgreementKind::MasterServiceAgreement
                | AgreementKind::TermsAndConditions
                | AgreementKind::DataProtection
        )
    }
}

vocabulary!(
    /// Whom an agreement binds: the whole health system, or one site.
    Scope, "scope" {
        HealthSystem => "health_system",
        Site => "site",
    }
);

vocabulary!(
    AgreementStatus, "agreement status" {
        NotStarted => "not_started",
        Drafting => "drafting",
        Negotiating => "negotiating",
        LegalReview => "legal_review",
        Executed => "executed",
        Withdrawn => "withdrawn",
    }
);

impl AgreementStatus {
    /// For people: "legal review".
    pub fn label(self) -> &'static str {
        match self {
            AgreementStatus::NotStarted => "not started",
            AgreementStatus::Drafting => "drafting",
            AgreementStatus::Negotiating => "negotiating",
            AgreementStatus::LegalReview => "legal review",
            AgreementStatus::Executed => "executed",
            AgreementStatus::Withdrawn => "withdrawn",
        }
    }

    /// Forward one or more steps along not_started → drafting → negotiating → legal_review →
    /// executed; legal review may send a draft back to negotiation (another redline round);
    /// anything not yet withdrawn may be withdrawn (an executed one is terminated).
    pub fn may_move_to(self, to: AgreementStatus) -> bool {
        use AgreementStatus::*;
        let rank = |s: AgreementStatus| match s {
            NotStarted => 0,
            Drafting => 1,
            Negotiating => 2,
            LegalReview => 3,
            Executed => 4,
            Withdrawn => 5,
        };
        match (self, to) {
            (Withdrawn, _) => false,
            (_, Withdrawn) => true,
            (LegalReview, Negotiating) => true,
            (Executed, _) => false,
            (from, to) => rank(to) > rank(from),
        }
    }
}

vocabulary!(
    /// The gate's deliverables besides agreements (DESIGN.md §2).
    Deliverable, "deliverable" {
        SiteMapSigned => "site_map_signed",
        ConsentWithFailureLanguage => "consent_with_failure_language",
        ReleaseExceptionProtocol => "release_exception_protocol",
        SiteQualificationAudit => "site_qualification_audit",
        StaffTraining => "staff_training",
        MockShipment => "mock_shipment",
        PharmacyAndTherapeutics => "pharmacy_and_therapeutics",
    }
);

impl Deliverable {
    /// For people: "Pharmacy and therapeutics approval".
    pub fn label(self) -> &'static str {
        match self {
            Deliverable::SiteMapSigned => "Site map signed by both sides",
            Deliverable::ConsentWithFailureLanguage => {
                "Informed consent with manufacturing-failure language"
            }
            Deliverable::ReleaseExceptionProtocol => "Release-exception protocol",
            Deliverable::SiteQualificationAudit => "Site qualification audit",
            Deliverable::StaffTraining => "Staff training",
            Deliverable::MockShipment => "Mock shipment",
            Deliverable::PharmacyAndTherapeutics => "Pharmacy and therapeutics approval",
        }
    }
}

/// Which side of a partnership records a deliverable done: the side that does the work it
/// attests. A health system does not qualify its own site (the manufacturer audits it), and a
/// manufacturer does not approve a therapy for the hospital's formulary or write its consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedBy {
    Manufacturer,
    HealthSystem,
    EitherSide,
}

impl RecordedBy {
    /// Who that is and why, for a person told it is not theirs to record: "the manufacturer,
    /// who qualifies the site".
    pub fn who(self) -> &'static str {
        match self {
            RecordedBy::Manufacturer => "the manufacturer, who qualifies the site",
            RecordedBy::HealthSystem => {
                "the health system: it is the hospital's own decision and document"
            }
            RecordedBy::EitherSide => "either side",
        }
    }

    pub fn allows(self, kind: OrgKind) -> bool {
        match self {
            RecordedBy::EitherSide => true,
            RecordedBy::Manufacturer => kind == OrgKind::Manufacturer,
            RecordedBy::HealthSystem => kind == OrgKind::HealthSystem,
        }
    }
}

impl Deliverable {
    /// Who records it (a signed site map is not recorded: both sides sign the map itself).
    pub fn recorded_by(self) -> RecordedBy {
        match self {
            Deliverable::SiteQualificationAudit => RecordedBy::Manufacturer,
            Deliverable::ConsentWithFailureLanguage | Deliverable::PharmacyAndTherapeutics => {
                RecordedBy::HealthSystem
            }
            // Agreed, shipped and received, trained and attended: work of both sides.
            Deliverable::SiteMapSigned
            | Deliverable::ReleaseExceptionProtocol
            | Deliverable::StaffTraining
            | Deliverable::MockShipment => RecordedBy::EitherSide,
        }
    }
}

/// Which sites an agreement covers: all current and future sites, or a named list (extended
/// by joinders).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "covers", content = "site_ids")]
pub enum Coverage {
    AllSites,
    Named(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_moves_forward_back_to_negotiation_or_to_withdrawal() {
        use AgreementStatus::*;
        assert!(NotStarted.may_move_to(Drafting));
        assert!(Drafting.may_move_to(Executed));
        assert!(LegalReview.may_move_to(Negotiating));
        assert!(!Negotiating.may_move_to(Drafting));
        assert!(Executed.may_move_to(Withdrawn));
        assert!(!Executed.may_move_to(Negotiating));
        assert!(!Withdrawn.may_move_to(Drafting));
    }
}
