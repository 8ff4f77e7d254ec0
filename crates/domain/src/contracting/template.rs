//! Track templates (issue 4, point 1): the items a partnership works through to authorize a
//! site for a program — legal agreements and gate deliverables — with the items each comes
//! after and a three-point estimate in days. The planner schedules them; the gate judges
//! them once done.

use super::{AgreementKind, Deliverable, Scope};
use serde::{Deserialize, Serialize};

/// What a track item is: one of the gate's agreements, or one of its deliverables.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "name")]
pub enum TrackKind {
    Agreement(AgreementKind),
    Deliverable(Deliverable),
}

impl TrackKind {
    /// A few words for a chart's row (at most 19 characters), as contracts people say them.
    pub fn short_label(self) -> &'static str {
        use AgreementKind as A;
        use Deliverable as D;
        match self {
            TrackKind::Agreement(A::MasterServiceAgreement) => "MSA",
            TrackKind::Agreement(A::TermsAndConditions) => "Terms & conditions",
            TrackKind::Agreement(A::DataProtection) => "Data protection",
            TrackKind::Agreement(A::QualityAgreement) => "Quality agreement",
            TrackKind::Agreement(A::SupplyAgreement) => "Supply agreement",
            TrackKind::Deliverable(D::SiteMapSigned) => "Site map signed",
            TrackKind::Deliverable(D::ConsentWithFailureLanguage) => "Consent language",
            TrackKind::Deliverable(D::ReleaseExceptionProtocol) => "Release protocol",
            TrackKind::Deliverable(D::SiteQualificationAudit) => "Qualification audit",
            TrackKind::Deliverable(D::StaffTraining) => "Staff training",
            TrackKind::Deliverable(D::MockShipment) => "Mock shipment",
            TrackKind::Deliverable(D::PharmacyAndTherapeutics) => "P&T approval",
        }
    }

    /// A chart's few words (at most 19 characters) for extending this central item to a site
    /// it does not cover yet: "MSA joinder".
    pub fn joinder_label(self) -> &'static str {
        use AgreementKind as A;
        match self {
            TrackKind::Agreement(A::MasterServiceAgreement) => "MSA joinder",
            TrackKind::Agreement(A::TermsAndConditions) => "T&Cs joinder",
            TrackKind::Agreement(A::DataProtection) => "DPA joinder",
            TrackKind::Agreement(A::QualityAgreement) => "Quality joinder",
            TrackKind::Agreement(A::SupplyAgreement) => "Supply joinder",
            // A deliverable a template puts on the central track, still due at other sites.
            TrackKind::Deliverable(_) => "At other sites",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackItem {
    /// Short id, unique in the template (letters, digits, `_`, `-`): the planner's entry id.
    pub key: String,
    pub item: TrackKind,
    pub scope: Scope,
    /// Keys of items listed earlier in the template.
    #[serde(default)]
    pub after: Vec<String>,
    /// Minimum, most likely and maximum days.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::three_days))]
    pub days: [u32; 3],
}

/// A program's track template, in an order where every item comes after those it names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackTemplate {
    pub items: Vec<TrackItem>,
}

/// The longest estimate a track item may carry: ten years. Past it the plan's dates are
/// meaningless (and would leave the calendar).
pub const MAX_DAYS: u32 = 3650;

fn item(key: &str, kind: TrackKind, scope: Scope, after: &[&str], days: [u32; 3]) -> TrackItem {
    TrackItem {
        key: key.into(),
        item: kind,
        scope,
        after: after.iter().map(|a| a.to_string()).collect(),
        days,
    }
}

impl TrackTemplate {
    /// The article's list: central agreements once for the health system (master service
    /// agreement, terms and conditions, data protection); per site the quality and supply
    /// agreements, informed consent documentation and operational workflows (the site's map,
    /// signed by both sides); and the other deliverables of the gate. Estimates are starting
    /// points a manufacturer tunes from its own history.
    pub fn standard() -> TrackTemplate {
        use AgreementKind as A;
        use Deliverable as D;
        use Scope::{HealthSystem as Hs, Site};
        use TrackKind::{Agreement as Ag, Deliverable as Dl};
        TrackTemplate {
            items: vec![
                item("msa", Ag(A::MasterServiceAgreement), Hs, &[], [30, 60, 120]),
                item(
                    "terms",
                    Ag(A::TermsAndConditions),
                    Hs,
                    &["msa"],
                    [15, 30, 75],
                ),
                item(
                    "data_protection",
                    Ag(A::DataProtection),
                    Hs,
                    &[],
                    [20, 45, 100],
                ),
                item(
                    "quality",
                    Ag(A::QualityAgreement),
                    Site,
                    &["msa"],
                    [20, 45, 90],
                ),
                item(
                    "supply",
                    Ag(A::SupplyAgreement),
                    Site,
                    &["msa", "terms"],
                    [15, 30, 75],
                ),
                item(
                    "consent",
                    Dl(D::ConsentWithFailureLanguage),
                    Site,
                    &["data_protection"],
                    [10, 25, 60],
                ),
                item(
                    "workflows",
                    Dl(D::SiteMapSigned),
                    Site,
                    &["quality"],
                    [20, 40, 80],
                ),
                item(
                    "qualification_audit",
                    Dl(D::SiteQualificationAudit),
                    Site,
                    &["quality"],
                    [10, 20, 45],
                ),
                item(
                    "release_protocol",
                    Dl(D::ReleaseExceptionProtocol),
                    Site,
                    &["quality"],
                    [10, 20, 40],
                ),
                item(
                    "pharmacy_and_therapeutics",
                    Dl(D::PharmacyAndTherapeutics),
                    Site,
                    &[],
                    [20, 35, 70],
                ),
                item(
                    "staff_training",
                    Dl(D::StaffTraining),
                    Site,
                    &["workflows"],
                    [7, 14, 30],
                ),
                item(
                    "mock_shipment",
                    Dl(D::MockShipment),
                    Site,
                    &["staff_training", "supply"],
                    [5, 10, 21],
                ),
            ],
        }
    }

    /// Everything wrong with the template, each said so a person can fix it; empty when it
    /// is sound. The gate needs every agreement and deliverable, so a template missing one
    /// would plan an authorization day the gate never grants.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen: Vec<&TrackItem> = Vec::new();
        for it in &self.items {
            let ok_key = !it.key.is_empty()
                && it
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok_key {
                out.push(format!(
                    "{:?}: a key is letters, digits, '_' and '-'",
                    it.key
                ));
            }
            if seen.iter().any(|s| s.key == it.key) {
                out.push(format!("{}: the key is used twice", it.key));
            }
            if let TrackKind::Agreement(k) = it.item
                && k.is_central()
                && it.scope == Scope::Site
            {
                out.push(format!(
                    "{}: a {} is executed once for the health system, not per site",
                    it.key,
                    k.label()
                ));
            }
            let [min, likely, max] = it.days;
            if !(min <= likely && likely <= max) {
                out.push(format!(
                    "{}: days must be min ≤ most likely ≤ max, got [{min}, {likely}, {max}]",
                    it.key
                ));
            } else if max > MAX_DAYS {
                out.push(format!(
                    "{}: max {max} days is over {MAX_DAYS} (ten years); estimate in days",
                    it.key
                ));
            }
            for a in &it.after {
                match seen.iter().find(|s| s.key == *a) {
                    None => out.push(format!(
                        "{}: comes after {a}, which is not an earlier item",
                        it.key
                    )),
                    Some(s) if it.scope == Scope::HealthSystem && s.scope == Scope::Site => out
                        .push(format!(
                            "{}: a health-system item cannot wait for a site item ({a})",
                            it.key
                        )),
                    Some(_) => {}
                }
            }
            seen.push(it);
        }
        for k in AgreementKind::ALL {
            if !self
                .items
                .iter()
                .any(|i| i.item == TrackKind::Agreement(*k))
            {
                out.push(format!("the gate needs a {}; add it", k.label()));
            }
        }
        for d in Deliverable::ALL {
            if !self
                .items
                .iter()
                .any(|i| i.item == TrackKind::Deliverable(*d))
            {
                out.push(format!("the gate needs {d}; add it"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_template_covers_the_whole_gate_in_a_valid_order() {
        let t = TrackTemplate::standard();
        assert_eq!(t.problems(), Vec::<String>::new());
    }

    #[test]
    fn a_broken_template_says_what_to_fix() {
        let mut t = TrackTemplate::standard();
        t.items.retain(|i| i.key != "mock_shipment");
        t.items[0].scope = Scope::Site;
        t.items[1].days = [40, 30, 75];
        t.items[2].after = vec!["quality".into()];
        t.items[4].days = [15, 30, 4_000_000_000];
        assert_eq!(
            t.problems(),
            [
                "msa: a master service agreement is executed once for the health system, not per site",
                "terms: days must be min ≤ most likely ≤ max, got [40, 30, 75]",
                "terms: a health-system item cannot wait for a site item (msa)",
                "data_protection: comes after quality, which is not an earlier item",
                "supply: max 4000000000 days is over 3650 (ten years); estimate in days",
                "the gate needs mock_shipment; add it",
            ]
        );
    }

    #[test]
    fn every_short_label_fits_a_charts_row() {
        for item in TrackTemplate::standard().items {
            for label in [item.item.short_label(), item.item.joinder_label()] {
                assert!(!label.is_empty() && label.chars().count() <= 19, "{label}");
            }
        }
    }

    #[test]
    fn a_template_reads_from_json() {
        let t: TrackTemplate = serde_json::from_value(serde_json::json!({ "items": [
            { "key": "msa", "item": { "type": "agreement", "name": "master_service_agreement" },
              "scope": "health_system", "days": [30, 60, 120] }
        ]}))
        .unwrap();
        assert_eq!(t.items[0], TrackTemplate::standard().items[0]);
    }
}
