//! Helpers every story uses: the demo on a manual clock, callers by e-mail, signatures, ids.

mod builders;
mod cascade;
pub mod tls;

pub use builders::*;
pub use cascade::*;
use cellpath_app::access::Via;
use cellpath_app::{App, AppError, Caller, ManualClock};
/// The vocabularies rows carry, for stories that compare with them.
pub use cellpath_domain::contracting::gate::AuthorizationStatus;
pub use cellpath_domain::contracting::{AgreementKind, Deliverable};
pub use cellpath_domain::events::programs::MapVersionStatus;
pub use cellpath_domain::events::readiness::GapStatus;
pub use cellpath_domain::events::site_maps::ProposalStatus;
pub use cellpath_domain::readiness::Severity;
pub use cellpath_domain::refinement::SiteMapStatus;
pub use cellpath_domain::{OrgKind, PartnershipStatus, Role};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;
use std::sync::Arc;

pub const START: i64 = 1_764_000_000_000_000; // 2025-11-24

pub async fn demo_app(db: &TestDb) -> (App, ManualClock) {
    let clock = ManualClock::starting_at(START);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.expect("seed the demo");
    (app, clock)
}

pub async fn demo_user(app: &App, email: &str) -> cellpath_store::User {
    app.store()
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no demo user {email}"))
}

pub async fn as_user(app: &App, email: &str) -> Caller {
    let user = demo_user(app, email).await;
    app.caller_for_user(&user.id, Via::Session).await.unwrap()
}

/// A device acting for a demo user through a new API token of theirs, and the token.
pub async fn device_of(
    app: &App,
    email: &str,
    token_name: &str,
) -> (Caller, cellpath_app::auth::CreatedToken) {
    let person = as_user(app, email).await;
    let created = app
        .create_api_token(&person, token_name, None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    (
        app.authenticate_token(&created.token).await.unwrap(),
        created,
    )
}

/// Sign the newest event of a ledger, as `by`, with this password.
pub async fn sign_head(
    app: &App,
    by: &Caller,
    ledger_id: &str,
    meaning: Meaning,
    password: &str,
) -> Result<cellpath_app::views::audit::Signature, AppError> {
    let head = app.store().ledger_head(ledger_id).await?.unwrap().head_hash;
    app.sign(
        by,
        ledger_id,
        Signed::Event { event_hash: head },
        meaning,
        password,
        None,
    )
    .await?
    .fresh()
}

/// Change a user, as `by`, at the version they have now.
pub async fn patch_user(
    app: &App,
    by: &Caller,
    email: &str,
    patch: cellpath_app::records::users::UserPatch,
) -> Result<cellpath_app::views::User, AppError> {
    let user = demo_user(app, email).await;
    app.update_user(by, &user.id, user.version, patch, None)
        .await?
        .fresh()
}

pub async fn org_id(app: &App, name: &str) -> String {
    app.store()
        .organization_by_name(name)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Replaying every event into an empty database gives the same records.
pub async fn assert_replays(app: &App, label: &str) {
    let fresh = TestDb::sqlite().await;
    let target = fresh.store().await;
    app.store().replay_into(&target).await.unwrap();
    assert_eq!(
        app.store().record_state().await.unwrap(),
        target.record_state().await.unwrap(),
        "{label}: replay differs"
    );
}

/// Move a partnership to `status` (accept or end it) as `caller`.
pub async fn set_status(app: &App, caller: &Caller, partnership_id: &str, status: &str) {
    let p = app
        .store()
        .partnership(partnership_id)
        .await
        .unwrap()
        .unwrap();
    app.update_partnership(
        caller,
        &p.id,
        p.version,
        cellpath_app::records::partnerships::PartnershipPatch {
            status: Some(status.into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
}

/// Helixa × Lakeshore, LUH-MAIN and LUH-NORTH, Vantacel: the ids the contracting stories use.
pub struct GateIds {
    pub partnership: String,
    pub main: String,
    pub north: String,
    pub vantacel: String,
}

pub async fn gate_ids(app: &App) -> GateIds {
    let helixa = org_id(app, "Helixa Therapeutics").await;
    let lakeshore = org_id(app, "Lakeshore University Health").await;
    GateIds {
        partnership: partnership_between(app, &helixa, &lakeshore).await,
        main: site_coded(app, &lakeshore, "LUH-MAIN").await,
        north: site_coded(app, &lakeshore, "LUH-NORTH").await,
        vantacel: program_named(app, &helixa, "Vantacel").await,
    }
}

/// The partnership of a manufacturer and a health system (by their ids).
pub async fn partnership_between(app: &App, manufacturer: &str, health_system: &str) -> String {
    app.store()
        .partnerships_of(manufacturer, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == health_system)
        .unwrap_or_else(|| panic!("no partnership of {manufacturer} with {health_system}"))
        .id
}

/// An organization's site, by its code.
pub async fn site_coded(app: &App, org_id: &str, code: &str) -> String {
    app.store()
        .sites_of(org_id, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == code)
        .unwrap_or_else(|| panic!("no site {code}"))
        .id
}

/// A manufacturer's program, by its name.
pub async fn program_named(app: &App, manufacturer: &str, name: &str) -> String {
    app.store()
        .programs_of(manufacturer, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no program {name}"))
        .id
}

/// The demo's case stored in the cell lab (released, CD4 and CD8 in the freezer).
pub async fn stored_case(app: &App, ids: &GateIds) -> String {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    app.cases_of_site(&coordinator, &ids.main, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.pseudonym == "VAN-LUH-MAIN-0007")
        .expect("the demo's stored case")
        .id
}

pub fn today(app: &App) -> cellpath_domain::Date {
    cellpath_domain::Date::of_micros(app.now())
}

pub fn texts(view: &cellpath_app::contracting::GateView) -> Vec<String> {
    view.missing.iter().map(|m| m.text.clone()).collect()
}

/// A site's outlook in a live plan, by code.
pub fn site_of<'a>(
    plan: &'a cellpath_app::onboarding::LivePlan,
    code: &str,
) -> &'a cellpath_app::onboarding::SiteOutlook {
    plan.sites.iter().find(|s| s.site_code == code).unwrap()
}

/// The recorded verdict of a site for Vantacel in the demo's Helixa × Lakeshore partnership.
pub async fn verdict(app: &App, ids: &GateIds, site: &str) -> (String, Vec<String>) {
    verdict_of(app, &ids.partnership, site, &ids.vantacel).await
}

/// The recorded verdict of a site for a program in one of Helixa's partnerships, and what the
/// gate finds missing today, as Helixa's contracts lead reads them.
pub async fn verdict_of(
    app: &App,
    partnership: &str,
    site: &str,
    program: &str,
) -> (String, Vec<String>) {
    let viewer = as_user(app, "contracts@helixa.example").await;
    let view = app
        .gate(&viewer, partnership, site, program, today(app))
        .await
        .unwrap();
    let recorded = view
        .recorded
        .map(|r| r.status.as_str().to_string())
        .unwrap_or_default();
    (recorded, view.missing.into_iter().map(|m| m.text).collect())
}

/// The demo as the `demo` command seeds it, 340 days after `START` (its record begun
/// `HISTORY_DAYS` before: on the day the seeded contracting's last fixed day, 15 October 2025,
/// is done; North's blocking gap, due 19 November 2026, not yet overdue), on a clock at that
/// moment.
pub async fn history_app(db: &TestDb) -> (App, ManualClock, i64) {
    let now = START + 340 * 86_400 * 1_000_000;
    let clock = ManualClock::starting_at(now);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
    cellpath_app::demo::seed_with_history(&app).await.unwrap();
    (app, clock, now)
}

/// The error's kind, for asserting outcomes: "ok", "not found", "forbidden", "invalid: FIELD".
pub fn outcome<T>(r: Result<T, AppError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(AppError::NotFound(_)) => "not found".into(),
        Err(AppError::Forbidden(_)) => "forbidden".into(),
        Err(AppError::Invalid(f)) => format!("invalid: {}", f[0].field),
        Err(e) => format!("{e}"),
    }
}
