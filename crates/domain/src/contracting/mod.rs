//! Dual-track contracting and the authorization gate (DESIGN.md §2, §4.3): the agreements a
//! partnership negotiates, how their status may move, and the one definition of when a site
//! is an authorized treatment center for a program. Pure: the app supplies today's date and
//! the facts; this module says authorized, or exactly what is missing.

pub mod reminders;
pub mod template;

use crate::org::{OrgKind, PartnershipStatus};
use crate::values::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "covers", content = "site_ids")]
pub enum Coverage {
    AllSites,
    Named(Vec<String>),
}

/// An agreement as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementFacts {
    pub kind: AgreementKind,
    pub scope: Scope,
    /// For a site-scope agreement, its site.
    pub site_id: Option<String>,
    pub status: AgreementStatus,
    pub effective_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub coverage: Coverage,
}

impl AgreementFacts {
    /// Whether it binds this site: its own site, or a health-system agreement's coverage.
    pub fn covers(&self, site_id: &str) -> bool {
        match self.scope {
            Scope::Site => self.site_id.as_deref() == Some(site_id),
            Scope::HealthSystem => match &self.coverage {
                Coverage::AllSites => true,
                Coverage::Named(ids) => ids.iter().any(|i| i == site_id),
            },
        }
    }

    /// Executed, in effect and not expired on `today` (an agreement lapses on its expiry day).
    pub fn in_force(&self, today: &Date) -> bool {
        self.status == AgreementStatus::Executed
            && self.effective_on.as_ref().is_none_or(|d| d <= today)
            && self.expires_on.as_ref().is_none_or(|d| today < d)
    }
}

/// Everything the gate looks at for one program at one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateFacts {
    pub today: Date,
    pub site_id: String,
    /// The partnership's status: only an active partnership carries an authorization.
    pub partnership: PartnershipStatus,
    /// Whether the partnership still names the program (a program taken off a partnership
    /// takes its sites' authorizations with it).
    pub program_named: bool,
    pub agreements: Vec<AgreementFacts>,
    pub deliverables_done: BTreeSet<Deliverable>,
    pub open_blocking_gaps: usize,
}

/// One thing that keeps a site from authorization, said so a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "missing", rename_all = "snake_case")]
pub enum Missing {
    /// The partnership itself does not carry the authorization (proposed, ended, or no longer
    /// for this program).
    Partnership {
        reason: String,
    },
    Agreement {
        kind: AgreementKind,
        reason: String,
    },
    Deliverable {
        deliverable: Deliverable,
    },
    BlockingGaps {
        count: usize,
    },
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Partnership { reason } => write!(f, "Partnership: {reason}"),
            Missing::Agreement { kind, reason } => write!(f, "{}: {reason}", kind.title()),
            Missing::Deliverable { deliverable } => write!(f, "{}: not done", deliverable.label()),
            Missing::BlockingGaps { count: 1 } => write!(f, "1 open blocking readiness gap"),
            Missing::BlockingGaps { count } => write!(f, "{count} open blocking readiness gaps"),
        }
    }
}

/// The scopes at which an agreement of `kind` counts for the gate: the central kinds at the
/// health system's only; a quality or supply agreement at either — negotiated once centrally
/// for the sites it covers, or at the site itself — so a partnership may mix both, and
/// starting one at a site never takes away what a central one already gives the others.
pub fn counts_at(kind: AgreementKind, scope: Scope) -> bool {
    !kind.is_central() || scope == Scope::HealthSystem
}

impl AgreementFacts {
    /// Whether this agreement satisfies the gate's `kind` item for `site_id` on `today`: the
    /// kind, at a scope that counts for it, covering the site, in force. The gate and the
    /// live plan both ask this, so a plan never counts as done what the gate does not.
    pub fn satisfies(&self, kind: AgreementKind, site_id: &str, today: &Date) -> bool {
        self.kind == kind
            && counts_at(kind, self.scope)
            && self.covers(site_id)
            && self.in_force(today)
    }
}

/// How far along an agreement is, to explain the one that covers a site best.
fn progress(status: AgreementStatus) -> u8 {
    match status {
        AgreementStatus::Withdrawn => 0,
        AgreementStatus::NotStarted => 1,
        AgreementStatus::Drafting => 2,
        AgreementStatus::Negotiating => 3,
        AgreementStatus::LegalReview => 4,
        AgreementStatus::Executed => 5,
    }
}

/// The gate (DESIGN.md §2): empty when the site is authorized for the program.
pub fn missing_for_authorization(facts: &GateFacts) -> Vec<Missing> {
    let mut out = Vec::new();
    let standing = match facts.partnership {
        PartnershipStatus::Proposed => Some("proposed, not yet accepted by the health system"),
        PartnershipStatus::Ended => Some("ended"),
        PartnershipStatus::Active if !facts.program_named => Some("no longer for this program"),
        PartnershipStatus::Active => None,
    };
    if let Some(reason) = standing {
        out.push(Missing::Partnership {
            reason: reason.to_string(),
        });
    }
    for kind in AgreementKind::ALL {
        let candidates: Vec<&AgreementFacts> = facts
            .agreements
            .iter()
            .filter(|a| a.kind == *kind && counts_at(*kind, a.scope))
            .collect();
        if candidates
            .iter()
            .any(|a| a.satisfies(*kind, &facts.site_id, &facts.today))
        {
            continue;
        }
        // The most advanced one covering the site explains best (a withdrawn one beside an
        // executed one that has lapsed says "expired", not "withdrawn") — unless all that
        // covers it was withdrawn while a live central one leaves it out: then the fix is a
        // joinder.
        let covering = candidates
            .iter()
            .filter(|a| a.covers(&facts.site_id))
            .max_by_key(|a| progress(a.status));
        let joinable = candidates.iter().any(|a| {
            a.scope == Scope::HealthSystem
                && a.status != AgreementStatus::Withdrawn
                && !a.covers(&facts.site_id)
        });
        let reason = match covering {
            Some(a) if a.status != AgreementStatus::Withdrawn || !joinable => match a.status {
                AgreementStatus::Executed
                    if a.expires_on.as_ref().is_some_and(|d| d <= &facts.today) =>
                {
                    format!("expired on {}", a.expires_on.as_ref().expect("checked"))
                }
                AgreementStatus::Executed => format!(
                    "not in effect until {}",
                    a.effective_on.as_ref().map(|d| d.as_str()).unwrap_or("?")
                ),
                AgreementStatus::Withdrawn => "withdrawn".into(),
                other => format!("not executed ({})", other.label()),
            },
            // A site-scope agreement is never extended by joinder; a central one is.
            _ if joinable => "does not cover this site (add it by joinder)".into(),
            _ if kind.is_central() => "none for the health system yet".to_string(),
            _ => "none for this site yet".to_string(),
        };
        out.push(Missing::Agreement {
            kind: *kind,
            reason,
        });
    }
    for d in Deliverable::ALL {
        if !facts.deliverables_done.contains(d) {
            out.push(Missing::Deliverable { deliverable: *d });
        }
    }
    if facts.open_blocking_gaps > 0 {
        out.push(Missing::BlockingGaps {
            count: facts.open_blocking_gaps,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn executed(kind: AgreementKind, scope: Scope, site: Option<&str>) -> AgreementFacts {
        AgreementFacts {
            kind,
            scope,
            site_id: site.map(str::to_string),
            status: AgreementStatus::Executed,
            effective_on: Some(d("2026-01-01")),
            expires_on: Some(d("2028-01-01")),
            coverage: Coverage::AllSites,
        }
    }

    /// What the gate says is missing, in words.
    fn said(f: &GateFacts) -> Vec<String> {
        missing_for_authorization(f)
            .iter()
            .map(|m| m.to_string())
            .collect()
    }

    fn complete(site: &str) -> GateFacts {
        let mut agreements: Vec<AgreementFacts> = [
            AgreementKind::MasterServiceAgreement,
            AgreementKind::TermsAndConditions,
            AgreementKind::DataProtection,
        ]
        .into_iter()
        .map(|k| executed(k, Scope::HealthSystem, None))
        .collect();
        agreements.push(executed(
            AgreementKind::QualityAgreement,
            Scope::Site,
            Some(site),
        ));
        agreements.push(executed(
            AgreementKind::SupplyAgreement,
            Scope::Site,
            Some(site),
        ));
        GateFacts {
            today: d("2026-11-25"),
            site_id: site.into(),
            partnership: PartnershipStatus::Active,
            program_named: true,
            agreements,
            deliverables_done: Deliverable::ALL.iter().copied().collect(),
            open_blocking_gaps: 0,
        }
    }

    #[test]
    fn a_site_with_everything_in_force_is_authorized() {
        assert!(missing_for_authorization(&complete("north")).is_empty());
    }

    #[test]
    fn the_gate_names_exactly_what_is_missing() {
        let mut f = complete("north");
        f.agreements[0].expires_on = Some(d("2026-11-01"));
        f.agreements[2].coverage = Coverage::Named(vec!["south".into()]);
        f.agreements[3].status = AgreementStatus::LegalReview;
        f.agreements
            .retain(|a| a.kind != AgreementKind::SupplyAgreement);
        f.deliverables_done.remove(&Deliverable::MockShipment);
        f.open_blocking_gaps = 2;
        let missing = said(&f);
        assert_eq!(
            missing,
            [
                "Master service agreement: expired on 2026-11-01",
                "Data protection agreement: does not cover this site (add it by joinder)",
                "Quality agreement: not executed (legal review)",
                "Supply agreement: none for this site yet",
                "Mock shipment: not done",
                "2 open blocking readiness gaps",
            ]
        );
    }

    #[test]
    fn the_most_advanced_covering_agreement_explains_what_is_missing() {
        let mut f = complete("north");
        let mut withdrawn = f.agreements[0].clone();
        withdrawn.status = AgreementStatus::Withdrawn;
        f.agreements[0].effective_on = Some(d("2027-01-01"));
        f.agreements.insert(0, withdrawn);
        let missing = said(&f);
        assert_eq!(
            missing,
            ["Master service agreement: not in effect until 2027-01-01"]
        );
    }

    #[test]
    fn a_site_left_out_of_a_new_central_agreement_is_told_to_join_it() {
        let mut f = complete("north");
        // The old MSA (all sites) withdrawn; the new one names south only.
        let mut new = f.agreements[0].clone();
        new.coverage = Coverage::Named(vec!["south".into()]);
        f.agreements[0].status = AgreementStatus::Withdrawn;
        f.agreements.push(new.clone());
        assert_eq!(
            said(&f),
            ["Master service agreement: does not cover this site (add it by joinder)"]
        );
        // With the new one withdrawn too, there is nothing to join.
        f.agreements.last_mut().expect("pushed").status = AgreementStatus::Withdrawn;
        assert_eq!(said(&f), ["Master service agreement: withdrawn"]);
    }

    #[test]
    fn another_sites_local_agreement_does_not_count() {
        let mut f = complete("north");
        f.site_id = "east".into();
        let missing = missing_for_authorization(&f);
        assert_eq!(missing.len(), 2, "{missing:?}");
    }

    #[test]
    fn a_central_quality_agreement_keeps_counting_when_a_site_starts_its_own() {
        let mut f = complete("north");
        f.agreements
            .retain(|a| a.kind != AgreementKind::QualityAgreement);
        f.agreements.push(executed(
            AgreementKind::QualityAgreement,
            Scope::HealthSystem,
            None,
        ));
        assert!(missing_for_authorization(&f).is_empty());
        // Another site starts its own quality agreement: north still rests on the central one.
        let mut east = executed(AgreementKind::QualityAgreement, Scope::Site, Some("east"));
        east.status = AgreementStatus::NotStarted;
        f.agreements.push(east);
        assert!(missing_for_authorization(&f).is_empty());
        // A central agreement covering named sites only: the others need a joinder.
        f.agreements
            .iter_mut()
            .filter(|a| a.kind == AgreementKind::QualityAgreement && a.scope == Scope::HealthSystem)
            .for_each(|a| a.coverage = Coverage::Named(vec!["south".into()]));
        let missing = said(&f);
        assert_eq!(
            missing,
            ["Quality agreement: does not cover this site (add it by joinder)"]
        );
        // But a central kind at site scope never counts.
        let mut f = complete("north");
        f.agreements[0].scope = Scope::Site;
        f.agreements[0].site_id = Some("north".into());
        let missing = said(&f);
        assert_eq!(
            missing,
            ["Master service agreement: none for the health system yet"]
        );
    }

    #[test]
    fn only_an_active_partnership_that_names_the_program_carries_an_authorization() {
        let mut f = complete("north");
        f.partnership = PartnershipStatus::Ended;
        assert_eq!(said(&f), ["Partnership: ended"]);
        f.partnership = PartnershipStatus::Proposed;
        assert_eq!(
            said(&f),
            ["Partnership: proposed, not yet accepted by the health system"]
        );
        f.partnership = PartnershipStatus::Active;
        f.program_named = false;
        assert_eq!(said(&f), ["Partnership: no longer for this program"]);
    }

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
