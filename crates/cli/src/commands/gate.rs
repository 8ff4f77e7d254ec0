//! `cellpath gate`: whether a site is an authorized treatment center for a program today, or
//! each item still missing (DESIGN.md §2). Exits 0 when authorized, 1 when not, so scripts
//! can test it (and 2 on an error, like every command).

use super::{day_or_today, find_program_id, find_site_id, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_domain::contracting::gate::AuthorizationStatus;
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
    /// It records today's verdicts only: not with `--on` another day.
    #[arg(long)]
    review: bool,
}

pub async fn run(url: &str, json: bool, args: GateArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    let p = app.partnership(&op, &args.partnership).await?;
    let site = find_site_id(&app, &p.health_system_id, &args.site).await?;
    let program = find_program_id(&app, &p.manufacturer_id, &args.program).await?;
    let day = day_or_today(&app, args.on.as_deref())?;
    if args.review {
        let today = cellpath_domain::Date::of_micros(app.now());
        if day != today {
            anyhow::bail!(
                "--review records today's verdicts on the shared record for good; leave out --on {} (today is {})",
                day.as_str(),
                today.as_str()
            );
        }
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
            .filter(|r| r.status == AuthorizationStatus::Authorized)
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
