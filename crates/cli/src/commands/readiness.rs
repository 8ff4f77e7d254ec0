//! `cellpath readiness …` and `cellpath site-map …`: site work of a partnership from the
//! command line — visits from a file, gap analysis, readiness, a site map version's status.

use super::{open_app, print_json, print_table, read_file};
use cellpath_app::Caller;
use cellpath_app::readiness::VisitInput;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReadinessCommand {
    /// Requirements judged at a site for a program, the score and the gaps.
    Show {
        #[arg(long)]
        partnership: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        program: String,
    },
    /// Record a site visit from a JSON or TOML file (site_id, visited_on, visitors,
    /// facility_ids, observations, findings, attachments).
    RecordVisit {
        #[arg(long)]
        partnership: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Open a gap for every unmet requirement that has none yet.
    Analyze {
        #[arg(long)]
        partnership: String,
        #[arg(long)]
        site: String,
        #[arg(long)]
        program: String,
    },
}

#[derive(Subcommand)]
pub enum SiteMapCommand {
    /// A partnership's site map versions with their status and scan burden.
    List {
        #[arg(long)]
        partnership: String,
    },
}

pub async fn run_readiness(
    url: &str,
    json: bool,
    cmd: ReadinessCommand,
) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        ReadinessCommand::Show {
            partnership,
            site,
            program,
        } => {
            let view = app.readiness(&op, &partnership, &site, &program).await?;
            if json {
                print_json(&view)?;
            } else {
                println!(
                    "readiness {}% · {} open blocking gap(s) · {} visit(s)\n",
                    view.percent, view.open_blocking, view.visits
                );
                print_table(
                    &["requirement", "severity", "facility", "expected", "verdict"],
                    view.findings
                        .iter()
                        .map(|f| {
                            let verdict = serde_json::to_value(&f.status)
                                .ok()
                                .and_then(|v| v["status"].as_str().map(str::to_string))
                                .unwrap_or_default();
                            vec![
                                f.requirement.clone(),
                                f.severity.to_string(),
                                f.facility_id.clone().unwrap_or_default(),
                                f.expected.clone(),
                                verdict,
                            ]
                        })
                        .collect(),
                );
                println!();
                print_table(
                    &["gap", "severity", "status", "owner", "due", "observed"],
                    view.gaps
                        .iter()
                        .map(|g| {
                            vec![
                                g.requirement_key.clone(),
                                g.severity.to_string(),
                                g.status.to_string(),
                                g.owner_role.to_string(),
                                g.due_on.to_string(),
                                g.observed.clone(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        ReadinessCommand::RecordVisit { partnership, file } => {
            let input: VisitInput = read_file(&file)?;
            let visit = app
                .record_visit(&op, &partnership, input, None)
                .await?
                .fresh()?;
            if json {
                print_json(&visit)?;
            } else {
                println!(
                    "recorded the visit of {} on {} ({})",
                    visit.site_id, visit.visited_on, visit.id
                );
            }
        }
        ReadinessCommand::Analyze {
            partnership,
            site,
            program,
        } => {
            let gaps = app.analyze_gaps(&op, &partnership, &site, &program).await?;
            if json {
                print_json(&gaps)?;
            } else if gaps.is_empty() {
                println!("no new gaps");
            } else {
                print_table(
                    &["gap", "severity", "owner", "due", "id"],
                    gaps.into_iter()
                        .map(|g| {
                            vec![
                                g.requirement_key,
                                g.severity.to_string(),
                                g.owner_role.to_string(),
                                g.due_on.to_string(),
                                g.id,
                            ]
                        })
                        .collect(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_site_map(url: &str, json: bool, cmd: SiteMapCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        SiteMapCommand::List { partnership } => {
            let mut rows = Vec::new();
            let mut views = Vec::new();
            for v in app.site_maps(&op, &partnership).await? {
                let view = app.site_map(&op, &v.id).await?;
                rows.push(vec![
                    v.site_id.clone(),
                    v.program_id.clone(),
                    v.number.to_string(),
                    view.status.to_string(),
                    format!(
                        "{} scans at {} locations",
                        view.scan_burden.scans_per_case, view.scan_burden.distinct_locations
                    ),
                    v.id.clone(),
                ]);
                views.push(view);
            }
            if json {
                print_json(&views)?;
            } else {
                print_table(
                    &["site", "program", "version", "status", "scan burden", "id"],
                    rows,
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
