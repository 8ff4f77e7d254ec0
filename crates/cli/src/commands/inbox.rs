//! `cellpath inbox --user EMAIL`: a person's inbox as they see it on the page and through
//! `GET /api/v1/inbox` — every due action of their role across their organization's
//! partnerships, most urgent first — read by the operator against the database.

use super::{open_app, print_json, print_table};
use cellpath_app::views::inbox::{InboxItem, InboxTarget};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct InboxArgs {
    /// The person, by e-mail address.
    #[arg(long, required_unless_present = "reindex")]
    user: Option<String>,
    /// Write every case's open steps again from its events (the inbox's index, which a
    /// replay does not rebuild, and which a database from before migration 0026 lacks).
    #[arg(long, conflicts_with = "user")]
    reindex: bool,
    /// Show at most this many items (1–200).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Skip this many of the most urgent items.
    #[arg(long, default_value_t = 0)]
    offset: i64,
}

/// When it is due, in words.
fn when(item: &InboxItem) -> String {
    match (&item.due_on, item.overdue) {
        (Some(d), true) => format!("overdue since {}", d.words()),
        (Some(d), false) => format!("due {}", d.words()),
        (None, _) => String::new(),
    }
}

/// Where it is done, in words.
fn place(item: &InboxItem) -> String {
    match &item.target {
        InboxTarget::Case { case_id } => format!("case {case_id}"),
        InboxTarget::Gate { .. } => "the site's gate".into(),
        InboxTarget::Agreement { agreement_id } => format!("agreement {agreement_id}"),
        InboxTarget::SafetyReport { report_id } => format!("safety report {report_id}"),
        InboxTarget::ReleaseException { exception_id } => {
            format!("release exception {exception_id}")
        }
        InboxTarget::Invoice { invoice_id, .. } => format!("invoice {invoice_id}"),
    }
}

pub async fn run(url: &str, json: bool, args: InboxArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let Some(user) = args.user else {
        let n = app.reindex_open_steps().await?;
        println!("the open steps of {n} case(s) written again from their events");
        return Ok(ExitCode::SUCCESS);
    };
    let page = cellpath_app::records::page(Some(args.limit), Some(args.offset))?;
    let inbox = app.inbox_of_user(&user, page).await?;
    if json {
        print_json(&inbox)?;
        return Ok(ExitCode::SUCCESS);
    }
    if inbox.items.is_empty() && inbox.total == 0 {
        println!("nothing is waiting for {}", user);
    } else {
        println!(
            "{} item(s) waiting for {} on {}, most urgent first",
            inbox.total,
            user,
            inbox.today.words()
        );
        print_table(
            &["when", "what", "case", "site", "program", "to do", "where"],
            inbox
                .items
                .iter()
                .map(|i| {
                    vec![
                        when(i),
                        i.kind.heading().to_string(),
                        i.pseudonym.clone().unwrap_or_default(),
                        i.site_name.clone().unwrap_or_default(),
                        i.program_name.clone().unwrap_or_default(),
                        format!("{}: {}", i.title, i.detail),
                        place(i),
                    ]
                })
                .collect(),
        );
    }
    if !inbox.cases_by_stage.is_empty() {
        println!();
        print_table(
            &["partnership", "stage", "active cases"],
            inbox
                .cases_by_stage
                .iter()
                .map(|s| {
                    vec![
                        s.partnership_name.clone(),
                        s.stage.as_str().to_string(),
                        s.cases.to_string(),
                    ]
                })
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
