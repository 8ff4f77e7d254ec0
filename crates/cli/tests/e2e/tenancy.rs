//! Every API operation that reaches into a partnership or a health system's records, walked
//! by a partner manufacturer through a partnership in each status (DESIGN.md §2): a proposal
//! shows the health system's name and the programs proposed (404 for everything else, no
//! writes), an active partnership opens it all, an ended one reads what existed when it ended
//! (404 for what came later) and takes no writes (403). The operations come from
//! `openapi::OPERATIONS`, so one added later must be classified here before this passes.

use crate::support::{TestServer, helixa_lakeshore, site_id, spawn_demo, vantacel};
use cellpath_domain::PartnershipStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How an operation stands to a partnership between a manufacturer and a health system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The caller's own records (itself, its tokens, its programs, its partnership list).
    Own,
    /// `{id}` is the health system: the organization itself (its name, always readable).
    HealthSystem,
    /// `{id}` is the health system: its sites, facilities or people.
    HealthSystemRecords,
    /// `{id}` is one site, facility or user of the health system.
    HealthSystemRecord(&'static str),
    /// `{id}` is the partnership: the record itself (its status is changed by accepting or
    /// ending it, which other tests cover).
    Partnership,
    /// `{id}` is the partnership (or its ledger): the work at its sites, `{site}` and `{program}`.
    Work,
    /// `{id}` is a record on the partnership's ledger, of this kind.
    Record(&'static str),
    /// What an organization is told across its partnerships (`/onboarding`, `/notices`,
    /// `/organizations`).
    Across,
    /// Patients and their cases: cut to each reader's view of the patient, walked over every
    /// demo role by `e2e/cases.rs` (and their safety reports by `e2e/safety.rs`).
    Patient,
    /// A site's consent documents: written by the health system only, read by a manufacturer
    /// through an active partnership only (not an ended one) — walked in the app's `consent`
    /// stories and `api::documents::consent_documents_*`.
    Consent,
    /// An invoice's payments (the health system's) and credits (the manufacturer's): walked
    /// by both sides' roles, through a proposal and another tenant, in the app's `finance`
    /// stories.
    Money,
}

/// Every operation's scope; an operation not listed fails the walk.
pub fn scope(method: &str, path: &str) -> Scope {
    use Scope::*;
    let rest = path.trim_start_matches("/api/v1");
    match (method, rest) {
        ("get", "/me")
        | (_, "/partnerships")
        | (_, "/tokens")
        | ("post", "/tokens/{id}/revoke") => Own,
        // The organization's own webhook endpoints (its admins' only; another organization's
        // answer 404: `e2e/webhooks.rs` and the app's `webhooks` stories).
        (_, p) if p.starts_with("/webhook-endpoints") => Own,
        // A manufacturer's own programs and maps; a label read is nobody's record.
        (_, p) if p.starts_with("/programs") || p.starts_with("/maps/") => Own,
        ("get", "/identifiers/check") => Own,
        // Grading typed observations reads and writes no record.
        ("post", "/grading/crs") | ("post", "/grading/icans") => Own,
        // An upload is the caller's own; a download is served through the records naming the
        // document, walked role by role in the app's `documents` stories and `api::documents::*`.
        ("post", "/documents") | ("get", "/documents/{sha256}") => Own,
        ("get", "/organizations")
        | ("get", "/onboarding")
        | ("get", "/notices")
        | ("get", "/figures/vein-to-vein") => Across,
        ("get", "/inbox") => Across,
        // Release exceptions across the caller's partnerships, and their SLA record: each cut
        // to what the caller's view allows (the app's `exception_views` stories).
        ("get", "/release-exceptions") | ("get", "/release-exceptions/sla") => Across,
        // A health system's own payer profiles and its exposure: its admins' and finance
        // people's only (a manufacturer gets 404: the app's `claims` stories).
        (_, p) if p.starts_with("/payer-profiles") || p == "/exposure" => Own,
        // A case's claim is the health system's: the app's `claims` stories walk each role.
        (_, p) if p.starts_with("/claims/{id}") => Patient,
        ("post", "/patients") | ("post", "/cases") => Patient,
        (_, p) if p == "/sites/{id}/consent-documents" || p.starts_with("/consent-documents/") => {
            Consent
        }
        (_, p)
            if p.starts_with("/cases/{id}")
                || p.starts_with("/bookings/{id}")
                || p.starts_with("/safety-reports")
                // A release exception is its case's: another tenant gets 404, an ended
                // partnership 403 on each command (the app's `exception_decisions` stories).
                || p.starts_with("/release-exceptions/{id}")
                || p == "/sites/{id}/cases"
                || p == "/sites/{id}/registry-forms"
                || p == "/partnerships/{id}/cases" =>
        {
            Patient
        }
        (_, "/organizations/{id}") => HealthSystem,
        (_, "/organizations/{id}/sites")
        | (_, "/organizations/{id}/facilities")
        | (_, "/organizations/{id}/users") => HealthSystemRecords,
        (_, "/sites/{id}") => HealthSystemRecord("site"),
        (_, "/facilities/{id}") => HealthSystemRecord("facility"),
        (_, "/users/{id}") => HealthSystemRecord("user"),
        (_, "/partnerships/{id}") | (_, "/partnerships/{id}/decline") => Partnership,
        (_, p) if p.starts_with("/partnerships/{id}/") || p.starts_with("/ledgers/{id}") => Work,
        (_, p) if p.starts_with("/site-maps/{id}") => Record("site_map"),
        (_, p) if p.starts_with("/proposals/{id}") => Record("proposal"),
        (_, p) if p.starts_with("/gaps/{id}") => Record("gap"),
        (_, p) if p.starts_with("/agreements/{id}") => Record("agreement"),
        (_, p) if p.starts_with("/deliverables/{id}") => Record("deliverable"),
        // A release-exception protocol version, on the partnership's ledger.
        (_, p) if p.starts_with("/exception-protocols/{id}") => Record("exception_protocol"),
        // An invoice's payments and credits: walked role by role, through each status, in the
        // app's `finance` stories (money is its parties' money roles' only).
        ("post", "/invoices/{id}/settlements") => Money,
        _ => panic!(
            "classify {method} {path} in crates/cli/tests/e2e/tenancy.rs: does it reach into a partnership or a health system's records?"
        ),
    }
}

/// A body the operation's request schema accepts, so the answer is the policy's, not the
/// parser's.
fn body(schema: &str, site: &str, program: &str, head: &str, step: &Value) -> Value {
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    match schema {
        "OrganizationPatch" | "SitePatch" | "FacilityPatch" | "UserPatch" | "SiteRefinement" => {
            json!({})
        }
        "PartnershipPatch" => json!({ "name": "Walked" }),
        "PartnershipDecline" => json!({ "reason": "walk" }),
        "SiteInput" => {
            json!({ "name": "Walk Site", "code": "WALK-1", "city": "Here", "region": "NC" })
        }
        "FacilityInput" => json!({ "name": "Walk Unit", "kind": "clinical" }),
        "UserInput" => {
            json!({ "email": "walk@walk.example", "name": "Walker", "role": "admin", "password": "walk-password-1" })
        }
        "StartSiteMap" => json!({ "site_id": site, "program_id": program }),
        "Proposal" => json!({ "step": step, "reason": "walk" }),
        "SignSiteMap" => json!({ "meaning": "reviewed", "password": pw }),
        "Decision" => json!({ "accept": false, "reason": "walk" }),
        "VisitInput" => {
            json!({ "site_id": site, "visited_on": "2025-12-01", "visitors": ["Walker"], "facility_ids": [] })
        }
        "CloseGap" => json!({ "evidence": "walk", "password": pw }),
        "AgreementInput" => json!({ "kind": "supply_agreement", "scope": "site", "site_id": site }),
        "AgreementMove" => json!({ "status": "negotiating" }),
        "AgreementDates" => json!({ "effective_on": "2025-12-01" }),
        "AgreementDocument" => json!({ "name": "walk.pdf", "sha256": "0".repeat(64), "bytes": 1 }),
        "AgreementAmendment" => json!({ "title": "walk", "effective_on": "2025-12-01" }),
        "Joinder" => json!({ "site_ids": [site] }),
        "DeliverableInput" => {
            json!({ "site_id": site, "program_id": program, "deliverable": "staff_training", "done_on": "2025-12-01", "evidence": "walk", "password": pw })
        }
        "NewTerms" => {
            json!({ "program_id": program, "terms": { "effective_on": "2025-12-01", "price_cents": 100, "basis": "infusion", "net_days": 30 } })
        }
        "DeliverableRevocation" => json!({ "reason": "walk", "password": pw }),
        "SignRequest" => {
            json!({ "signs": { "target": "event", "event_hash": head }, "meaning": "reviewed", "password": pw })
        }
        "NewExceptionProtocol" => json!({
            "program_id": program,
            "protocol": cellpath_domain::release_exception::Protocol::usual(),
        }),
        other => panic!("give the partnership walk a body for {other}"),
    }
}

/// The ids one walk fills paths with.
struct Ids {
    health_system: String,
    partnership: String,
    site: String,
    program: String,
    /// A site, facility and user of the health system.
    records: [(&'static str, String); 3],
    /// Records on the partnership's ledger, by kind (none on a proposal).
    ledger_records: Vec<(&'static str, String)>,
}

async fn send(
    s: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let url = s.url(path);
    let req = match method {
        "get" => s.http.get(url),
        "post" => s.http.post(url),
        "put" => s.http.put(url),
        "patch" => s.http.patch(url),
        other => panic!("{other}"),
    };
    let req = req.bearer_auth(token).header("If-Match", "\"1\"");
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Walk every operation for `ids` as the manufacturer's admin; `expect` says what each one
/// (scope, method, path) must answer (`None`: not walked here), and no answer may show any of
/// `hidden`. Returns how many calls were made.
async fn walk(
    s: &TestServer,
    token: &str,
    ids: &Ids,
    hidden: &[&str],
    expect: impl Fn(Scope, &str, &str) -> Option<StatusCode>,
) -> usize {
    let head = s
        .app
        .store()
        .ledger_head(&ids.partnership)
        .await
        .unwrap()
        .unwrap()
        .head_hash;
    // A step of the demo's, for a proposal's body.
    let step = match ids.ledger_records.iter().find(|(k, _)| *k == "proposal") {
        Some((_, id)) => {
            s.app
                .store()
                .map_proposal(id)
                .await
                .unwrap()
                .unwrap()
                .proposed
        }
        None => json!({}),
    };
    let mut walked = 0;
    for (method, path, _, _, request, ..) in cellpath_server::openapi::OPERATIONS {
        let scope = scope(method, path);
        let Some(status) = expect(scope, method, path) else {
            continue;
        };
        let targets: Vec<String> = match scope {
            Scope::Own | Scope::Patient | Scope::Consent | Scope::Money => continue,
            Scope::HealthSystem | Scope::HealthSystemRecords => vec![ids.health_system.clone()],
            Scope::HealthSystemRecord(kind) => ids
                .records
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| id.clone())
                .collect(),
            Scope::Partnership | Scope::Work => vec![ids.partnership.clone()],
            Scope::Record(kind) => ids
                .ledger_records
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| id.clone())
                .collect(),
            Scope::Across => vec![String::new()],
        };
        for id in targets {
            let url = path
                .replace("{id}", &id)
                .replace("{site}", &ids.site)
                .replace("{program}", &ids.program);
            let b = request.map(|r| body(r, &ids.site, &ids.program, &head, &step));
            let (got, text) = send(s, token, method, &url, b).await;
            assert_eq!(got, status, "{method} {url}: {text}");
            // An answer shows none of it (a refusal repeats only the id asked about).
            for h in hidden.iter().filter(|_| got.is_success()) {
                assert!(!text.contains(h), "{method} {url} shows {h}: {text}");
            }
            walked += 1;
        }
    }
    walked
}

/// The demo's records at a site of the partnership, by kind, for the record routes.
async fn ledger_records(s: &TestServer, pship: &str, site: &str) -> Vec<(&'static str, String)> {
    let store = s.app.store();
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let versions = store.site_map_versions_of_partnership(pship).await.unwrap();
    out.push(("site_map", versions[0].id.clone()));
    for v in &versions {
        if let Some(p) = store.map_proposals_of(&v.id).await.unwrap().first() {
            out.push(("proposal", p.id.clone()));
            break;
        }
    }
    out.push(("gap", store.gaps_of_site(site).await.unwrap().remove(0).id));
    out.push((
        "agreement",
        store.agreements_of(pship).await.unwrap().remove(0).id,
    ));
    let d = store
        .deliverable_records_of_partnership(pship)
        .await
        .unwrap()
        .remove(0);
    out.push(("deliverable", d.id));
    assert_eq!(
        out.len(),
        5,
        "the demo has one record of each kind: {out:?}"
    );
    out
}

/// A site, a facility and a user of the organization.
async fn records_of(s: &TestServer, org: &str) -> [(&'static str, String); 3] {
    let (store, page) = (s.app.store(), cellpath_app::views::Page::all());
    [
        (
            "site",
            store.sites_of(org, page).await.unwrap().remove(0).id,
        ),
        (
            "facility",
            store.facilities_of(org, page).await.unwrap().remove(0).id,
        ),
        (
            "user",
            store.users_of(org, page).await.unwrap().remove(0).id,
        ),
    ]
}

#[tokio::test]
async fn a_partner_manufacturer_walks_every_partnership_route_in_each_status() {
    let s = spawn_demo().await;
    let app = &s.app;
    let token = s.token("admin@helixa.example").await;
    let helixa = s.org_id("Helixa Therapeutics").await;
    let cascade = s.org_id("Cascade Regional Medical").await;
    let lakeshore = s.org_id("Lakeshore University Health").await;
    let program = vantacel(app).await;
    let (ok, not_found, forbidden) = (StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::FORBIDDEN);
    let is_ledger = |path: &str| path.starts_with("/api/v1/ledgers/");

    // Proposed: the demo's Helixa × Cascade shows Cascade's name and the partnership record;
    // its ledger holds the proposal alone, and nothing is signed on it.
    let proposal = app
        .store()
        .partnerships_of(&helixa, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == cascade)
        .unwrap();
    assert_eq!(proposal.status, PartnershipStatus::Proposed);
    let records = records_of(&s, &cascade).await;
    let ids = Ids {
        health_system: cascade.clone(),
        partnership: proposal.id.clone(),
        site: records[0].1.clone(),
        program: program.clone(),
        records: records.clone(),
        ledger_records: vec![],
    };
    let hidden: Vec<&str> = records.iter().map(|(_, id)| id.as_str()).collect();
    let walked = walk(&s, &token, &ids, &hidden, |scope, method, path| {
        Some(match (scope, method) {
            (Scope::HealthSystem | Scope::Partnership | Scope::Across, "get") => ok,
            // The partner's name is not the manufacturer's to change.
            (Scope::HealthSystem, _) => forbidden,
            // Accepting, declining or ending: the one change of a proposal, tested elsewhere.
            (Scope::Partnership, _) => return None,
            (Scope::Work, "get") if is_ledger(path) => ok,
            (Scope::Work, _) if is_ledger(path) => forbidden,
            _ => not_found,
        })
    })
    .await;
    assert!(walked >= 25, "only {walked} operations walked");

    // Active: Helixa × Lakeshore opens Lakeshore's records and the work at its sites.
    let pship = helixa_lakeshore(app).await;
    let main = site_id(app, "Lakeshore University Health", "LUH-MAIN").await;
    let north = site_id(app, "Lakeshore University Health", "LUH-NORTH").await;
    let ids = Ids {
        health_system: lakeshore.clone(),
        partnership: pship.clone(),
        site: main.clone(),
        program: program.clone(),
        records: records_of(&s, &lakeshore).await,
        ledger_records: ledger_records(&s, &pship, &north).await,
    };
    let walked = walk(&s, &token, &ids, &[], |_, method, _| {
        (method == "get").then_some(ok)
    })
    .await;
    assert!(walked >= 15, "only {walked} reads walked");

    // Ended, then Lakeshore adds a site: what existed is read as it stood, nothing is
    // written, and the later site is not seen through the ended partnership.
    let p = app.store().partnership(&pship).await.unwrap().unwrap();
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/partnerships/{pship}")))
        .bearer_auth(&token)
        .header("If-Match", format!("\"{}\"", p.version))
        .json(&json!({ "status": "ended" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), ok, "{}", res.text().await.unwrap());
    let hs_admin = s.token("admin@lakeshore.example").await;
    let (status, text) = send(
        &s,
        &hs_admin,
        "post",
        &format!("/api/v1/organizations/{lakeshore}/sites"),
        Some(json!({ "name": "Lakeshore Later Clinic", "code": "LUH-LATER", "city": "Chicago", "region": "IL" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let later: Value = serde_json::from_str(&text).unwrap();
    let later = later["id"].as_str().unwrap().to_string();
    let walked = walk(&s, &token, &ids, &[&later], |scope, method, _| {
        Some(match (scope, method) {
            (_, "get") => ok,
            _ => forbidden,
        })
    })
    .await;
    assert!(walked >= 40, "only {walked} operations walked");
    // The later site, and the work at it through the ended partnership: not found.
    let ids = Ids {
        site: later.clone(),
        records: [
            ("site", later.clone()),
            ("facility", String::new()),
            ("user", String::new()),
        ],
        ledger_records: vec![],
        ..ids
    };
    let walked = walk(&s, &token, &ids, &[], |scope, method, path| {
        let reaches_site = path.contains("{site}") || scope == Scope::HealthSystemRecord("site");
        (method == "get" && reaches_site).then_some(not_found)
    })
    .await;
    assert!(walked >= 3, "only {walked} operations walked");
    s.shutdown().await;
}
