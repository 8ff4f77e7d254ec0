//! `cellpath safety list|show`: a manufacturer's safety reports as the operator sees them —
//! each adverse event of its partnerships' cases under the case's pseudonym, the pending first
//! (never acknowledged, or updated since), with the grade in words and where its
//! acknowledgement stands; one report with each observation and why. Following `cellpath case`:
//! a table for people, `--json` for scripts.

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::safety::ReportsFilter;
use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum Status {
    /// Never acknowledged, or updated since.
    Pending,
    Acknowledged,
}

#[derive(Subcommand)]
pub enum SafetyCommand {
    /// A manufacturer's safety reports, the pending first, then the latest change.
    List {
        /// The manufacturer, by id or by name.
        #[arg(long)]
        org: String,
        /// Only the pending or only the acknowledged.
        #[arg(long, value_enum)]
        status: Option<Status>,
    },
    /// One safety report: its adverse event's observations, treatments and outcome, and its
    /// acknowledgement.
    Show {
        /// The report's id (`CASE-aeN`).
        id: String,
    },
}

pub async fn run(url: &str, json: bool, command: SafetyCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let operator = Caller::system("cli");
    match command {
        SafetyCommand::List { org, status } => {
            let org = find_org(&app, &org).await?;
            let filter = status.map(|s| match s {
                Status::Pending => ReportsFilter::Pending,
                Status::Acknowledged => ReportsFilter::Acknowledged,
            });
            let (reports, total) = app
                .safety_reports(
                    &operator,
                    Some(&org.id),
                    filter,
                    cellpath_app::views::Page::all(),
                )
                .await?;
            if json {
                print_json(&reports)?;
            } else if reports.is_empty() {
                println!("no safety reports of {}", org.name);
            } else {
                println!("{total} safety reports of {}", org.name);
                print_table(
                    &["event", "case", "site", "outcome", "acknowledgement", "id"],
                    reports
                        .into_iter()
                        .map(|r| {
                            vec![
                                r.grade_text,
                                r.pseudonym,
                                r.site_name,
                                r.outcome_text,
                                r.state.text,
                                r.id,
                            ]
                        })
                        .collect(),
                );
            }
        }
        SafetyCommand::Show { id } => {
            let r = app.safety_report(&operator, &id).await?;
            if json {
                print_json(&r)?;
            } else {
                let item = &r.item;
                println!(
                    "{} — case {} at {} ({}), adverse event #{}",
                    item.grade_text,
                    item.pseudonym,
                    item.site_name,
                    item.program_name,
                    item.adverse_event
                );
                println!("why: {}", item.because.join("; "));
                println!("outcome: {}", item.outcome_text);
                println!("{}", item.state.text);
                println!("observations:");
                for o in &r.adverse_event_detail.observations {
                    println!(
                        "  {} · grade {} · {} — {}",
                        cellpath_domain::journey::clock(o.at),
                        o.grade,
                        o.by,
                        o.because.join("; ")
                    );
                }
                for t in &r.adverse_event_detail.treatments {
                    println!(
                        "treated: {} {} · {}",
                        t.treatment.as_str(),
                        cellpath_domain::journey::clock(t.given_at),
                        t.by
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
