//! Every page's path, in one place: the pages link, redirect and post to these (a form's action
//! is a page's path with the action's own segment and fragment after it), so a route that
//! moves changes here and in `lib.rs`'s router only. Query values are percent-encoded.

use crate::session::encode_component;

pub fn org(id: &str) -> String {
    format!("/orgs/{id}")
}

pub fn org_sites(org_id: &str) -> String {
    format!("/orgs/{org_id}/sites")
}

pub fn org_facilities(org_id: &str) -> String {
    format!("/orgs/{org_id}/facilities")
}

pub fn org_users(org_id: &str) -> String {
    format!("/orgs/{org_id}/users")
}

/// The signed-in person's inbox.
pub fn inbox() -> String {
    "/inbox".into()
}

pub fn onboarding() -> String {
    "/onboarding".into()
}

pub fn site(id: &str) -> String {
    format!("/sites/{id}")
}

pub fn facility(id: &str) -> String {
    format!("/facilities/{id}")
}

pub fn user(id: &str) -> String {
    format!("/users/{id}")
}

pub fn token(id: &str) -> String {
    format!("/tokens/{id}")
}

pub fn program(id: &str) -> String {
    format!("/programs/{id}")
}

/// A program's track template.
pub fn track(program_id: &str) -> String {
    format!("/programs/{program_id}/track")
}

/// A version of a program's process map.
pub fn map(id: &str) -> String {
    format!("/maps/{id}")
}

pub fn map_step(map_id: &str, key: &str) -> String {
    format!("/maps/{map_id}/steps/{key}")
}

pub fn partnership(id: &str) -> String {
    format!("/partnerships/{id}")
}

/// A site as one partnership works with it (its gate, readiness and deliverables are under it).
pub fn partnership_site(partnership_id: &str, site_id: &str) -> String {
    format!("/partnerships/{partnership_id}/sites/{site_id}")
}

/// A partnership's live plan for a program.
pub fn plan(partnership_id: &str, program_id: &str) -> String {
    format!(
        "/partnerships/{partnership_id}/plan?program={}",
        encode_component(program_id)
    )
}

/// The contracting planner, started from a partnership's record for a program.
pub fn planner_of_partnership(partnership_id: &str, program_id: &str) -> String {
    format!(
        "/plans?partnership={}&program={}",
        encode_component(partnership_id),
        encode_component(program_id)
    )
}

/// The contracting planner, started from a program's track template.
pub fn planner_of_program(program_id: &str) -> String {
    format!("/plans?program={}", encode_component(program_id))
}

/// A site's authorization gate for a program in a partnership.
pub fn gate(partnership_id: &str, site_id: &str, program_id: &str) -> String {
    format!(
        "{}/gate?program={}",
        partnership_site(partnership_id, site_id),
        encode_component(program_id)
    )
}

/// A site's readiness for a program in a partnership.
pub fn readiness(partnership_id: &str, site_id: &str, program_id: &str) -> String {
    format!(
        "{}/readiness?program={}",
        partnership_site(partnership_id, site_id),
        encode_component(program_id)
    )
}

/// A site's version of a process map.
pub fn site_map(id: &str) -> String {
    format!("/site-maps/{id}")
}

pub fn agreement(id: &str) -> String {
    format!("/agreements/{id}")
}

/// A release exception's page (where it is acknowledged).
pub fn release_exception(id: &str) -> String {
    format!("/release-exceptions/{}", encode_component(id))
}

/// An invoice, in the finance list of its partnership's invoices.
pub fn invoice(partnership_id: &str, invoice_id: &str) -> String {
    format!(
        "/finance/invoices?partnership={}#invoice-{}",
        encode_component(partnership_id),
        encode_component(invoice_id)
    )
}

/// A document's bytes, served to who may read a record naming it.
pub fn document(sha256: &str) -> String {
    format!("/documents/{sha256}")
}

/// A ledger's audit trail (an organization's or a partnership's).
pub fn ledger(id: &str) -> String {
    format!("/ledgers/{id}")
}

/// A site's consent documents (its consent versions per program).
pub fn site_consent(site_id: &str) -> String {
    format!("/sites/{site_id}/consent-documents")
}

pub fn site_cases(site_id: &str) -> String {
    format!("/sites/{site_id}/cases")
}

pub fn case(id: &str) -> String {
    format!("/cases/{id}")
}

pub fn case_labels(id: &str) -> String {
    format!("/cases/{id}/labels")
}

/// A site's due and overdue registry forms.
pub fn site_registry_forms(site_id: &str) -> String {
    format!("/sites/{site_id}/registry-forms")
}

/// The vein-to-vein figures of the caller's network.
pub fn figures() -> String {
    "/figures".into()
}

/// `?program=…&site=…` for those given.
fn figures_query(program: Option<&str>, site: Option<&str>) -> String {
    let parts: Vec<String> = [("program", program), ("site", site)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode_component(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The figures of one program, one site, or both.
pub fn figures_of(program: Option<&str>, site: Option<&str>) -> String {
    format!("{}{}", figures(), figures_query(program, site))
}

/// The cases behind those figures, as CSV.
pub fn figures_csv(program: Option<&str>, site: Option<&str>) -> String {
    format!("{}/cases.csv{}", figures(), figures_query(program, site))
}

/// Money: the partnerships whose terms and invoices the person reads.
pub fn finance() -> String {
    "/finance".into()
}

/// A health system's payer profiles.
pub fn payers() -> String {
    "/finance/payers".into()
}

/// One payer profile, to edit.
pub fn payer(id: &str) -> String {
    format!("/finance/payers/{id}")
}

/// The what-if of payment terms (a health system's forecast exposure).
pub fn what_if() -> String {
    "/finance/what-if".into()
}

/// A partnership's payment terms, every program's.
pub fn payment_terms(partnership_id: &str) -> String {
    format!("/partnerships/{partnership_id}/payment-terms")
}

/// A partnership's invoices, all or those standing one way (`open`, `overdue`, `settled`).
pub fn invoices(partnership_id: &str, status: Option<&str>) -> String {
    match status {
        None => format!("/partnerships/{partnership_id}/invoices"),
        Some(s) => format!(
            "/partnerships/{partnership_id}/invoices?status={}",
            encode_component(s)
        ),
    }
}

/// Where a payment or a credit against one of a partnership's invoices is posted.
pub fn invoice_settlements(partnership_id: &str, invoice_id: &str) -> String {
    format!("/partnerships/{partnership_id}/invoices/{invoice_id}/settlements")
}

#[cfg(test)]
mod tests {
    /// The paths are the router's (`lib.rs`): each one a route, with the ids in their places.
    #[test]
    fn each_path_is_a_route_of_the_router() {
        let lib = include_str!("lib.rs");
        for (path, route) in [
            (super::org("o"), "\"/orgs/{id}\""),
            (super::org_sites("o"), "\"/orgs/{id}/sites\""),
            (super::org_facilities("o"), "\"/orgs/{id}/facilities\""),
            (super::org_users("o"), "\"/orgs/{id}/users\""),
            (super::site("s"), "\"/sites/{id}\""),
            (super::site_cases("s"), "\"/sites/{id}/cases\""),
            (super::case("c"), "\"/cases/{id}\""),
            (super::case_labels("c"), "\"/cases/{id}/labels\""),
            (
                super::site_registry_forms("s"),
                "\"/sites/{id}/registry-forms\"",
            ),
            (super::facility("f"), "\"/facilities/{id}\""),
            (super::user("u"), "\"/users/{id}\""),
            (super::program("p"), "\"/programs/{id}\""),
            (super::track("p"), "\"/programs/{id}/track\""),
            (super::map("m"), "\"/maps/{id}\""),
            (super::map_step("m", "k"), "\"/maps/{id}/steps/{key}\""),
            (super::partnership("p"), "\"/partnerships/{id}\""),
            (super::site_map("v"), "\"/site-maps/{id}\""),
            (super::agreement("a"), "\"/agreements/{id}\""),
            (super::ledger("l"), "\"/ledgers/{id}\""),
            (
                super::payment_terms("p"),
                "\"/partnerships/{id}/payment-terms\"",
            ),
            (
                super::invoices("p", None),
                "\"/partnerships/{id}/invoices\"",
            ),
        ] {
            assert!(lib.contains(route), "{path}: no route {route} in lib.rs");
            let filled = route
                .trim_matches('"')
                .replace("{id}", path.split('/').nth(2).unwrap())
                .replace("{key}", "k");
            assert_eq!(path, filled);
        }
        assert!(lib.contains("\"/documents/{sha256}\""));
        assert!(lib.contains(&format!("\"{}\"", super::inbox())));
        assert!(lib.contains(&format!("\"{}\"", super::finance())));
        assert!(lib.contains(&format!("\"{}\"", super::what_if())));
        assert!(lib.contains("\"/partnerships/{id}/invoices/{record}/settlements\""));
        assert_eq!(
            super::invoice_settlements("p", "i"),
            "/partnerships/p/invoices/i/settlements"
        );
        assert_eq!(
            super::invoices("p", Some("overdue")),
            "/partnerships/p/invoices?status=overdue"
        );
        assert_eq!(super::document("ab"), "/documents/ab");
        assert_eq!(
            super::plan("p", "g h"),
            "/partnerships/p/plan?program=g%20h"
        );
        assert_eq!(
            super::gate("p", "s", "g"),
            "/partnerships/p/sites/s/gate?program=g"
        );
        assert_eq!(
            super::readiness("p", "s", "g"),
            "/partnerships/p/sites/s/readiness?program=g"
        );
    }
}
