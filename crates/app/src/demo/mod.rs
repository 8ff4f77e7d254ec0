//! Seeded, realistic demo data: two manufacturers, three health systems with their sites and
//! facilities, one user for every role, and partnerships in several states. Every row is made
//! through the same commands a person would use, so the demo's ledgers verify like real ones.
//! All names are fictional.
//!
//! By section, in seeding order: `organizations` (organizations, sites, facilities, people and
//! the partnerships between them), `programs` (each manufacturer's program and its published
//! process map), `exceptions::protocols` (each active partnership's release-exception protocol
//! agreed by both sides), `site_work` (site maps refined, proposed and signed; readiness visits and
//! gaps), `contracting` (agreements, deliverables and the gate's verdicts), `in_vivo`
//! (LUH-MAIN authorized for Northbridge's in-vivo Corvigen, and its cases), `cases` (patients'
//! cases at the authorized site, to several stages, on both programs' maps), `bookings` (both
//! programs' manufacturing capacity, and Vantacel's chains booked on the cases that reached
//! apheresis scheduling: a full week, one request waiting), `registry` (an infused case's registry
//! forms marked submitted, some left overdue) and `history` (the
//! same seeding dated [`HISTORY_DAYS`] back, for the `demo` command).

mod adverse_events;
mod bookings;
mod cases;
mod contracting;
pub mod drive;
mod exceptions;
mod finance;
mod history;
mod in_vivo;
mod organizations;
mod programs;
pub(crate) mod registry;
mod safety;
mod site_work;
mod waitlist;
mod year;

pub use history::{HISTORY_DAYS, seed_with_history};

use crate::access::Via;
use crate::{App, AppError, Caller};
use contracting::contracting_work;
use serde::Serialize;
use site_work::site_work;

/// The password every demo user starts with.
pub const DEMO_PASSWORD: &str = "cellpath-demo-2026";

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub organization: String,
    pub role: String,
    pub name: String,
    pub email: String,
}

/// Seed the demo through the app's commands, dated by the app's clock; the demo users' logins.
pub async fn seed(app: &App) -> Result<Vec<DemoLogin>, AppError> {
    let (logins, mfr_ids, hs_ids) = organizations::organizations_and_people(app).await?;
    programs::programs_and_maps(app, &mfr_ids).await?;
    organizations::partnerships(app, &hs_ids).await?;
    // Each active partnership's release-exception protocol, agreed by both sides: the gate's
    // protocol item for every site of the partnership rests on it (it is not recorded by hand).
    exceptions::protocols(app).await?;
    site_work(app).await?;
    contracting_work(app).await?;
    in_vivo::authorize(app).await?;
    // What the seeded commands enqueued (the gate's reviews) runs now, as the server's worker
    // would run it; LUH-MAIN's authorization is already recorded by Helixa's contracts lead.
    app.run_due_jobs().await?;
    cases::cases(app).await?;
    in_vivo::cases(app).await?;
    bookings::seed(app).await?;
    // And what the bookings enqueued: each confirmed chain records its case's apheresis
    // scheduling step.
    app.run_due_jobs().await?;
    Ok(logins)
}

/// Graded adverse events (a CRS to grade 3 treated and resolved, an ICANS on steroids) on a
/// case that has had its first infusion, recorded by its site's nurse and physician.
pub async fn record_adverse_events(app: &App, case_id: &str) -> Result<(), AppError> {
    adverse_events::adverse_events(app, case_id).await
}

async fn user(app: &App, email: &str) -> Result<Caller, AppError> {
    let u = app
        .store
        .user_by_email(email)
        .await?
        .ok_or_else(|| AppError::Internal(format!("demo user {email}")))?;
    app.caller_for_user(&u.id, Via::System).await
}

/// The demo's launch: Helixa × Lakeshore for Vantacel, and Lakeshore's sites.
struct Launch {
    lakeshore: cellpath_store::Organization,
    pship: cellpath_store::Partnership,
    vantacel: cellpath_store::Program,
    sites: Vec<cellpath_store::Site>,
}

async fn launch(app: &App) -> Result<Launch, AppError> {
    let orgs = app.store.organizations(cellpath_store::Page::all()).await?;
    let lakeshore = find(orgs.clone(), "Lakeshore", |o| {
        o.name == "Lakeshore University Health"
    })
    .await?;
    let helixa = find(orgs, "Helixa", |o| o.name == "Helixa Therapeutics").await?;
    let pship = find(
        app.store
            .partnerships_of(&lakeshore.id, cellpath_store::Page::all())
            .await?,
        "partnership",
        |p| p.manufacturer_id == helixa.id,
    )
    .await?;
    let vantacel = find(
        app.store
            .programs_of(&helixa.id, cellpath_store::Page::all())
            .await?,
        "Vantacel",
        |p| p.name == "Vantacel",
    )
    .await?;
    let sites = app
        .store
        .sites_of(&lakeshore.id, cellpath_store::Page::all())
        .await?;
    Ok(Launch {
        lakeshore,
        pship,
        vantacel,
        sites,
    })
}

async fn find<T>(items: Vec<T>, what: &str, pick: impl Fn(&T) -> bool) -> Result<T, AppError> {
    items
        .into_iter()
        .find(|x| pick(x))
        .ok_or_else(|| AppError::Internal(format!("demo: no {what}")))
}
