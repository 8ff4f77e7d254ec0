//! Whether a site of a health system is part of a partnership's onboarding (issue 10,
//! point 9). Every site that existed when the health system accepted is; a site added later
//! joins only when the partnership covers it — each of its live central (health-system scope)
//! agreements covers all current and future sites, or names it (a joinder). A partnership
//! without a central agreement names no sites, so it covers them all.

use super::{AgreementKind, Coverage};

/// A live central agreement, as far as joining goes: its kind (to name it) and coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Central {
    pub kind: AgreementKind,
    pub coverage: Coverage,
}

/// How a site stands to a partnership's onboarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joining {
    /// It existed when the proposal was accepted.
    FromTheStart,
    /// Added later, and covered: it joined when it was added.
    Joined,
    /// Added later, and left out by these agreements, which name their sites: a joinder to
    /// each adds it.
    NotCovered(Vec<AgreementKind>),
}

/// How a site added at `site_added_at` stands to a partnership accepted at `accepted_at`
/// (both microseconds), given the partnership's live central agreements.
pub fn joining(
    site_id: &str,
    site_added_at: i64,
    accepted_at: i64,
    central: &[Central],
) -> Joining {
    if site_added_at <= accepted_at {
        return Joining::FromTheStart;
    }
    let naming: Vec<AgreementKind> = central
        .iter()
        .filter(|c| match &c.coverage {
            Coverage::AllSites => false,
            Coverage::Named(ids) => !ids.iter().any(|i| i == site_id),
        })
        .map(|c| c.kind)
        .collect();
    if naming.is_empty() {
        Joining::Joined
    } else {
        Joining::NotCovered(naming)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn central(coverage: Coverage) -> Central {
        Central {
            kind: AgreementKind::ALL[0],
            coverage,
        }
    }

    #[test]
    fn a_site_added_later_joins_only_when_every_central_agreement_covers_it() {
        let all = central(Coverage::AllSites);
        let named = central(Coverage::Named(vec!["north".into()]));
        // There when accepted: part of the onboarding whatever the coverage.
        assert_eq!(
            joining("west", 5, 10, std::slice::from_ref(&named)),
            Joining::FromTheStart
        );
        // Added later: all current and future sites, or nothing that names sites.
        assert_eq!(
            joining("west", 11, 10, std::slice::from_ref(&all)),
            Joining::Joined
        );
        assert_eq!(joining("west", 11, 10, &[]), Joining::Joined);
        // A named list leaves it out until a joinder names it.
        assert_eq!(
            joining("west", 11, 10, &[all.clone(), named.clone()]),
            Joining::NotCovered(vec![named.kind])
        );
        assert_eq!(joining("north", 11, 10, &[all, named]), Joining::Joined);
    }
}
