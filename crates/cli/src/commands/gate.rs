//! `cellpath gate`: whether a site is an authorized treatment center for a program today, or
//! each item still missing (DESIGN.md §2). Exits 0 when authorized, 1 when not, so scripts
//! can test it.

use super::{open_app, print_json, print_table};
use cellpath_app::{App, Caller};
use cellpath_domain::Date;
use cellpath_store::Page;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct GateArgs {
    /// The partnership's id.
    #[arg(long)]
    partnership: String,
    /// The site, by id or by code (e.g. LUH-MAIN).
    #[arg(long)]
    site: String,
    /// The program, by id or by name (e.g. Vantacel).
    #[arg(long)]
    program: String,
    /// The day to judge (YYYY-MM-DD); today when left out.
    #[arg(long)]
    on: Option<String>,
    /// First record, on the partnership's ledger, every site's authorization, suspension or
    /// reinstatement since the last review (run it daily: agreements expire with no command).
    #[arg(long)]
    review: bool,
}

async fn site_id(app: &App, health_system_id: &str, site: &str) -> anyhow::Result<String> {
    if app.store.site(site).await?.is_some() {
        return Ok(site.to_string());
    }
    app.store
        .sites_of(health_system_id, Page::all())
        .await?
        .into_iter()
        .find(|s| s.code == site)
        .map(|s| s.id)
        .ok_or_else(|| {
            anyhow::anyhow!("no site with id or code {site:?} in this partnership's health system")
        })
}

pub(super) async fn program_id(
    app: &App,
    manufacturer_id: &str,
    program: &str,
) -> anyhow::Result<String> {
    if app.store.program(program).await?.is_some() {
        return Ok(program.to_string());
    }
    app.store
        .programs_of(manufacturer_id, Page::all())
        .await?
        .into_iter()
        .find(|p| p.name == program)
        .map(|p| p.id)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no program with id or name {program:?} of this partnership's manufacturer"
            )
        })
}

pub async fn run(url: &str, json: bool, args: GateArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    let p = app.partnership(&op, &args.partnership).await?;
    let site = site_id(&app, &p.health_system_id, &args.site).await?;
    let program = program_id(&app, &p.manufacturer_id, &args.program).await?;
    let day = match &args.on {
        Some(on) => Date::parse(on).map_err(|e| anyhow::anyhow!("--on: {e}"))?,
        None => Date::of_micros(app.now()),
    };
    if args.review {
        for change in app.review_authorizations(&op, &p.id, day.clone()).await? {
            eprintln!(
                "recorded: {} {} for {} since {}",
                change.site_id, change.status, change.program_id, change.since
            );
        }
    }
    let view = app.gate(&op, &p.id, &site, &program, day).await?;
    if json {
        print_json(&view)?;
    } else if view.authorized {
        let since = view
            .recorded
            .as_ref()
            .filter(|r| r.status == "authorized")
            .map(|r| format!(" (since {})", r.since))
            .unwrap_or_default();
        println!(
            "authorized: {} is an authorized treatment center for {} on {}{since}",
            args.site, args.program, view.today
        );
    } else {
        println!(
            "not authorized: {} for {} on {} — {} item(s) missing\n",
            args.site,
            args.program,
            view.today,
            view.missing.len()
        );
        print_table(
            &["missing"],
            view.missing.iter().map(|m| vec![m.text.clone()]).collect(),
        );
    }
    Ok(if view.authorized {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
