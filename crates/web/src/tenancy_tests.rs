//! Every page and form of the router that reaches into a partnership or a health system's
//! records, walked by a partner manufacturer through a partnership in each status (DESIGN.md
//! §2): a proposal shows the health system's name and the programs proposed (the partnership
//! page in its proposal-only view; 404 for the rest), an active partnership opens it all, an
//! ended one shows what existed when it ended (404 for what came later) and takes no change
//! (403). The routes are read from the router's own source (`lib.rs`), so a route added later
//! is walked too, and fails here until it is classified.

use crate::testing::{Browser, Demo, seeded};
use axum::http::StatusCode;
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_app::records::sites::SiteInput;
use cellpath_app::views::Page;
use cellpath_domain::PartnershipStatus;

/// How a route stands to a partnership between a manufacturer and a health system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Nobody's partner data: sign-in, the caller's own programs, maps, plans, tokens.
    Own,
    /// `{id}` is the health system itself (its name is always readable).
    HealthSystem,
    /// `{id}` is the health system: its sites, facilities or people.
    HealthSystemRecords,
    /// `{id}` is one site, facility or user of the health system.
    HealthSystemRecord(&'static str),
    /// `{id}` is the partnership: its page, and accepting or ending it.
    Partnership,
    /// `{id}` is the partnership (or its ledger): the work at its sites.
    Work,
    /// `{id}` is a record on the partnership's ledger, of this kind.
    Record(&'static str),
    /// What the caller's organization is told across its partnerships.
    Across,
    /// Patients' cases (and their registry forms, and the safety reports of their adverse
    /// events): cut to each reader's view of the patient, walked over the demo's roles by
    /// `pages::cases`'s, `pages::registry`'s and `pages::safety`'s tests.
    Patient,
    /// A site's consent documents: written by the health system only, read by a manufacturer
    /// through an active partnership only (not an ended one), walked by `pages::consent`'s
    /// tests and the app's `consent` stories.
    Consent,
}

fn scope(path: &str) -> Scope {
    use Scope::*;
    match path {
        "/login" | "/logout" | "/partnerships" | "/programs" | "/maps/compare" | "/plans"
        | "/tokens" => Own,
        p if p.starts_with("/static/")
            || p.starts_with("/programs/")
            || p.starts_with("/maps/")
            || p.starts_with("/tokens/")
            // The organization's own webhook endpoints: its admins' only, another's 404
            // (`pages::webhooks`'s tests and the app's `webhooks` stories).
            || p == "/webhooks"
            || p.starts_with("/webhooks/") =>
        {
            Own
        }
        "/" | "/notices" | "/inbox" | "/onboarding" | "/figures" | "/figures/cases.csv"
        | "/finance" => Across,
        // The health system's own forecast from its own history (a manufacturer gets 404:
        // `pages::finance`'s tests).
        "/finance/what-if" => Own,
        // The health system's own payer profiles (its admins' and finance people's; a
        // manufacturer and another health system get 404: `pages::finance`'s tests and the
        // app's `claims` stories).
        "/finance/payers" | "/finance/payers/{id}" => Own,
        // The health system's own exposure (its admins' and finance people's; a manufacturer
        // gets 404: `pages::exposure`'s tests and the app's `claims` stories).
        "/exposure" => Own,
        "/sites/{id}/cases"
        | "/cases/{id}"
        | "/cases/{id}/actions"
        | "/cases/{id}/bookings"
        // The case's claim: its health system's money people only (`pages::cases`'s
        // `money` tests and the app's `claims` stories).
        | "/cases/{id}/claims"
        | "/cases/{id}/labels"
        | "/cases/{id}/release"
        | "/cases/{id}/adverse-events"
        | "/cases/{id}/adverse-events/{number}/{what}"
        | "/sites/{id}/registry-forms"
        | "/cases/{id}/registry-forms"
        | "/safety-reports"
        | "/safety-reports/{id}"
        | "/safety-reports/{id}/acknowledgement"
        // A release exception is seen through its case's patient (`pages::exceptions`'s
        // tests walk every role, another tenant, and the app's `exception_views` stories).
        | "/release-exceptions/{id}"
        | "/release-exceptions/{id}/acknowledgement"
        | "/release-exceptions/{id}/patient-told"
        | "/release-exceptions/{id}/decision"
        | "/release-exceptions/{id}/prerequisites"
        | "/release-exceptions/{id}/signatures" => Patient,
        // The exceptions and the SLA record of the caller's partnerships, cut by the app.
        "/release-exceptions" | "/release-exceptions/sla" => Across,
        // Grades findings typed in a form; reads and writes no record.
        "/grading" => Own,
        "/sites/{id}/consent-documents"
        | "/consent-documents/{id}/activation"
        | "/consent-documents/{id}/retirement" => Consent,
        // A document is served through the records naming it (the agreement and readiness
        // tests walk who gets it); its hash is no partnership's id.
        "/documents/{sha256}" => Own,
        "/orgs/{id}" => HealthSystem,
        "/orgs/{id}/sites" | "/orgs/{id}/facilities" | "/orgs/{id}/users" => HealthSystemRecords,
        "/sites/{id}" => HealthSystemRecord("site"),
        "/facilities/{id}" => HealthSystemRecord("facility"),
        "/users/{id}" | "/users/{id}/password" => HealthSystemRecord("user"),
        "/partnerships/{id}" | "/partnerships/{id}/status" | "/partnerships/{id}/decline" => {
            Partnership
        }
        p if p.starts_with("/partnerships/{id}/") || p.starts_with("/ledgers/{id}") => Work,
        p if p.starts_with("/agreements/{id}") => Record("agreement"),
        p if p.starts_with("/site-maps/{id}") => Record("site_map"),
        p if p.starts_with("/exception-protocols/{id}") => Record("exception_protocol"),
        other => panic!(
            "classify {other} in crates/web/src/tenancy_tests.rs: does it reach into a partnership or a health system's records?"
        ),
    }
}

/// Whether the route's form is `multipart/form-data` (it takes files), read from `lib.rs`.
fn uploads_files(path: &str) -> bool {
    let src = include_str!("lib.rs");
    let at = src
        .find(&format!("\"{path}\""))
        .expect("the route is in lib.rs");
    let rest = &src[at..];
    let end = rest.find(".route(").unwrap_or(rest.len());
    rest[..end].contains("uploads::with_files(")
}

/// Every (method, path) the router serves, read from its source.
fn routes() -> Vec<(&'static str, String)> {
    let src = include_str!("lib.rs");
    let body = &src[src.find("Router::new()").expect("the router")..];
    let body = &body[..body.find(".layer(").expect("the router's end")];
    let mut out = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let path = chunk
            .split('"')
            .nth(1)
            .filter(|p| p.starts_with('/'))
            .map(str::to_string)
            // A route named by a constant (the stylesheet): the app's own, not a tenant's.
            .unwrap_or_else(|| "/static/stylesheet".into());
        if chunk.contains("get(") {
            out.push(("GET", path.clone()));
        }
        if chunk.contains("post(") {
            out.push(("POST", path));
        }
    }
    assert!(out.len() > 60, "only {} routes read", out.len());
    out
}

/// The ids a walk fills paths with.
#[derive(Clone)]
struct Ids {
    health_system: String,
    partnership: String,
    site: String,
    program: String,
    site_record: String,
    facility: String,
    user: String,
    agreement: String,
    site_map: String,
    exception_protocol: String,
    /// A step of the site map, a deliverable recorded, a gap and a map proposal.
    key: String,
    record: String,
    gap: String,
    proposal: String,
}

impl Ids {
    fn fill(&self, path: &str) -> String {
        let id = match scope(path) {
            Scope::HealthSystem | Scope::HealthSystemRecords => &self.health_system,
            Scope::HealthSystemRecord("site") => &self.site_record,
            Scope::HealthSystemRecord("facility") => &self.facility,
            Scope::HealthSystemRecord(_) => &self.user,
            Scope::Record("agreement") => &self.agreement,
            Scope::Record("exception_protocol") => &self.exception_protocol,
            Scope::Record(_) => &self.site_map,
            _ => &self.partnership,
        };
        path.replace("{id}", id)
            .replace("{site}", &self.site)
            .replace("{key}", &self.key)
            .replace("{record}", &self.record)
            .replace("{gap}", &self.gap)
            .replace("{proposal}", &self.proposal)
    }
}

/// Walk every route for `ids` as the signed-in manufacturer; `expect` says what each (scope,
/// method, path) must answer (`None`: not walked here), and no page shown may contain any of
/// `hidden`. Returns how many were walked.
async fn walk(
    browser: &mut Browser<'_>,
    ids: &Ids,
    hidden: &[&str],
    expect: impl Fn(Scope, &str, &str) -> Option<StatusCode>,
) -> usize {
    let csrf = browser.get("/").await.field("csrf");
    let zeros = "0".repeat(64);
    let mut walked = 0;
    for (method, path) in routes() {
        let scope = scope(&path);
        if scope == Scope::Own || scope == Scope::Patient || scope == Scope::Consent {
            continue;
        }
        let Some(status) = expect(scope, method, &path) else {
            continue;
        };
        let url = ids.fill(&path);
        let answer = if method == "GET" {
            browser.get(&format!("{url}?program={}", ids.program)).await
        } else {
            // Every field any of these forms reads, filled plausibly: the answer is the
            // policy's, not the form's.
            let fields = [
                ("csrf", csrf.as_str()),
                ("version", "1"),
                ("site_id", ids.site.as_str()),
                ("program_id", ids.program.as_str()),
                ("program", ids.program.as_str()),
                ("kind", "supply_agreement"),
                ("scope", "site"),
                ("status", "negotiating"),
                ("name", "Walked"),
                ("code", "WALK-1"),
                ("city", "Here"),
                ("region", "NC"),
                ("deliverable", "staff_training"),
                ("done_on", "2025-12-01"),
                ("visited_on", "2025-12-01"),
                ("visitors", "Walker"),
                ("evidence", "walk"),
                ("reason", "walk"),
                ("password", DEMO_PASSWORD),
                ("meaning", "reviewed"),
                ("confirm", "on"),
                ("bytes", "1"),
                ("sha256", &zeros),
                ("title", "walk"),
                ("effective_on", "2025-12-01"),
                ("site_ids", ids.site.as_str()),
                ("accept", "false"),
            ];
            if uploads_files(&path) {
                // A form that carries files gets one, so the answer is the policy's.
                let file: &[(&str, &str, &[u8])] = &[
                    ("file", "walk.txt", b"walk"),
                    ("attachments", "walk.txt", b"walk"),
                ];
                browser.post_files(&url, &fields, file, None).await
            } else {
                browser.post(&url, &fields).await
            }
        };
        assert_eq!(answer.status, status, "{method} {url}: {}", answer.body);
        if answer.status.is_success() {
            for h in hidden {
                assert!(!answer.body.contains(h), "{method} {url} shows {h}");
            }
        }
        walked += 1;
    }
    walked
}

/// A site, facility and user of the organization, the gap, deliverable, site map and agreement
/// of the demo's partnership.
async fn ids_of(demo: &Demo, partnership: &str, health_system: &str, program: &str) -> Ids {
    let store = demo.app.store();
    let site = store
        .sites_of(health_system, Page::all())
        .await
        .unwrap()
        .remove(0);
    let facility = store
        .facilities_of(health_system, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let user = store
        .users_of(health_system, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let nope = || "nope".to_string();
    let mut ids = Ids {
        health_system: health_system.into(),
        partnership: partnership.into(),
        site: site.id.clone(),
        program: program.into(),
        site_record: site.id,
        facility,
        user,
        agreement: nope(),
        site_map: nope(),
        exception_protocol: nope(),
        key: nope(),
        record: nope(),
        gap: nope(),
        proposal: nope(),
    };
    let versions = store
        .site_map_versions_of_partnership(partnership)
        .await
        .unwrap();
    for v in &versions {
        if let Some(p) = store.map_proposals_of(&v.id).await.unwrap().first() {
            ids.site_map = v.id.clone();
            ids.key = p.step_key.clone();
            ids.proposal = p.id.clone();
        }
    }
    if let Some(a) = store.agreements_of(partnership).await.unwrap().first() {
        ids.agreement = a.id.clone();
    }
    if let Some(v) = store
        .exception_protocols_of_partnerships(&[partnership.to_string()])
        .await
        .unwrap()
        .first()
    {
        ids.exception_protocol = v.id.clone();
    }
    // The site with a deliverable recorded, and a gap of the partnership's at any site.
    if let Some(d) = store
        .deliverable_records_of_partnership(partnership)
        .await
        .unwrap()
        .first()
    {
        ids.record = d.id.clone();
        ids.site = d.site_id.clone();
    }
    for s in store.sites_of(health_system, Page::all()).await.unwrap() {
        if let Some(g) = store
            .gaps_of_site(&s.id)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.partnership_id == partnership)
        {
            ids.gap = g.id;
        }
    }
    ids
}

#[tokio::test]
async fn a_partner_manufacturer_walks_every_partnership_page_and_form_in_each_status() {
    let demo = seeded().await;
    let (ok, not_found, forbidden) = (StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::FORBIDDEN);
    let program = demo.program("Helixa Therapeutics", "Vantacel").await.id;
    let mut browser = Browser::signed_in(&demo, "admin@helixa.example").await;
    let is_ledger = |path: &str| path.starts_with("/ledgers/");

    // Proposed: Helixa × Cascade shows Cascade's name and the programs proposed.
    let proposal = demo
        .partnership("Helixa Therapeutics", "Cascade Regional Medical")
        .await;
    assert_eq!(proposal.status, PartnershipStatus::Proposed);
    let cascade = demo.org("Cascade Regional Medical").await.id;
    let ids = ids_of(&demo, &proposal.id, &cascade, &program).await;
    let hidden = [
        ids.site.as_str(),
        "Cascade Medical Center",
        "CRM-PDX",
        ids.facility.as_str(),
        ids.user.as_str(),
    ];
    let walked = walk(&mut browser, &ids, &hidden, |scope, method, path| {
        Some(match (scope, method) {
            (Scope::HealthSystem | Scope::Partnership | Scope::Across, "GET") => ok,
            (Scope::HealthSystem, _) => forbidden,
            // Accepting, declining or ending: the one change of a proposal, tested elsewhere.
            (Scope::Partnership, _) => return None,
            (Scope::Work, "GET") if is_ledger(path) => ok,
            (Scope::Work, _) if is_ledger(path) => forbidden,
            // A proposal has no records of its own to walk.
            (Scope::Record(_), _) => return None,
            _ => not_found,
        })
    })
    .await;
    assert!(walked >= 20, "only {walked} routes walked");
    let page = browser.get(&format!("/partnerships/{}", proposal.id)).await;
    assert!(page.body.contains("proposal-only"), "{}", page.body);
    assert!(page.body.contains("Vantacel"), "the program proposed");
    // The partner's page names it, and links to none of its records.
    let page = browser.get(&format!("/orgs/{cascade}")).await;
    assert!(page.body.contains("Cascade Regional Medical"));
    for records in ["/sites\"", "/facilities\"", "/users\""] {
        assert!(
            !page.body.contains(&format!("/orgs/{cascade}{records}")),
            "{records}"
        );
    }

    // Active: Helixa × Lakeshore opens Lakeshore's records and the work at its sites.
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let lakeshore = demo.org("Lakeshore University Health").await.id;
    let drafted = demo
        .app
        .store()
        .exception_protocols_of_partnerships(std::slice::from_ref(&pship.id))
        .await
        .unwrap();
    if drafted.is_empty() {
        // A release-exception protocol version on the partnership's ledger to walk.
        let contracts = demo.caller("contracts@lakeshore.example").await;
        demo.app
            .draft_exception_protocol(
                &contracts,
                &pship.id,
                cellpath_app::release_exceptions::NewExceptionProtocol {
                    program_id: program.clone(),
                    protocol: cellpath_domain::release_exception::Protocol::usual(),
                },
                None,
            )
            .await
            .unwrap();
    }
    let ids = ids_of(&demo, &pship.id, &lakeshore, &program).await;
    for id in [
        &ids.agreement,
        &ids.site_map,
        &ids.record,
        &ids.gap,
        &ids.exception_protocol,
    ] {
        assert_ne!(id, "nope", "the demo has each record");
    }
    let walked = walk(&mut browser, &ids, &[], |_, method, _| {
        (method == "GET").then_some(ok)
    })
    .await;
    assert!(walked >= 15, "only {walked} pages walked");

    // Ended, then Lakeshore adds a site: what existed is shown as it stood, nothing changes,
    // and the later site is not seen through the ended partnership.
    let end = browser
        .submit(
            &format!("/partnerships/{}", pship.id),
            "end-form",
            &format!("/partnerships/{}/status", pship.id),
            &[("status", "ended"), ("confirm", "on")],
            None,
        )
        .await;
    assert_eq!(end.status, StatusCode::SEE_OTHER, "{}", end.body);
    let hs_admin = demo
        .app
        .caller_for_user(
            &demo
                .app
                .store()
                .user_by_email("admin@lakeshore.example")
                .await
                .unwrap()
                .unwrap()
                .id,
            cellpath_app::access::Via::Session,
        )
        .await
        .unwrap();
    let later = demo
        .app
        .create_site(
            &hs_admin,
            &lakeshore,
            SiteInput {
                name: "Lakeshore Later Clinic".into(),
                code: "LUH-LATER".into(),
                city: "Chicago".into(),
                region: "IL".into(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let hidden = [later.id.as_str(), "Lakeshore Later Clinic"];
    let walked = walk(&mut browser, &ids, &hidden, |_, method, _| {
        Some(if method == "GET" { ok } else { forbidden })
    })
    .await;
    assert!(walked >= 40, "only {walked} routes walked");
    let later_ids = Ids {
        site: later.id.clone(),
        site_record: later.id.clone(),
        ..ids
    };
    let walked = walk(&mut browser, &later_ids, &[], |scope, method, path| {
        let at_site = path.contains("{site}") || scope == Scope::HealthSystemRecord("site");
        (method == "GET" && at_site).then_some(not_found)
    })
    .await;
    assert!(walked >= 3, "only {walked} pages walked");
}
