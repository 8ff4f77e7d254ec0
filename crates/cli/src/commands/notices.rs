//! `cellpath notices`: what an organization is told across its partnerships — expiry
//! reminders and site authorizations, suspensions and reinstatements — newest first.
//! `--send` first records the reminders due (the server's hourly job, for a deployment
//! that runs it from cron instead).

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_domain::Date;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct NoticesArgs {
    /// The organization, by id or exact name.
    #[arg(long)]
    org: String,
    /// First record the expiry reminders due in every active partnership.
    #[arg(long)]
    send: bool,
    /// The day reminders are sent for (YYYY-MM-DD), to catch up a missed day; today when
    /// left out. Never a later day: a reminder is on the ledger for good.
    #[arg(long, requires = "send")]
    on: Option<String>,
    /// Show at most this many notices.
    #[arg(long, default_value_t = 50)]
    limit: i64,
}

pub async fn run(url: &str, json: bool, args: NoticesArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let org = find_org(&app, &args.org).await?;
    if args.send {
        let today = Date::of_micros(app.now());
        let day = match &args.on {
            Some(on) => Date::parse(on).map_err(|e| anyhow::anyhow!("--on: {e}"))?,
            None => today.clone(),
        };
        if day > today {
            anyhow::bail!(
                "--on: {} is after today ({}); reminders go on the shared record for good, so only today or a missed day can be sent",
                day.as_str(),
                today.as_str()
            );
        }
        let n = app.send_expiry_reminders(day.clone()).await?;
        eprintln!("recorded {n} expiry reminder(s) due on {day}");
    }
    let page = cellpath_app::records::page(Some(args.limit), Some(0))?;
    let notices = app.notices(&Caller::system("cli"), &org.id, page).await?;
    if json {
        print_json(&notices)?;
    } else if notices.is_empty() {
        println!("no notices for {}", org.name);
    } else {
        print_table(
            &["on", "partnership", "notice"],
            notices
                .into_iter()
                .map(|n| vec![n.on, n.partnership_name, n.text])
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
