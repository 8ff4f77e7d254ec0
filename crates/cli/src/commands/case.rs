//! `cellpath case list|show` (and `case bench`, in `case_bench.rs`): patients' cases as the operator sees them — the pseudonym view
//! (pseudonym, initials, birth year, where the case stands, its timeline), never a name.

use super::{open_app, print_json, print_table};
use cellpath_app::Caller;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CaseCommand {
    /// The cases of a site, newest first.
    List {
        /// The site's id.
        #[arg(long)]
        site: String,
    },
    /// One case: its status, the steps open now, the patient's consent, the registry forms
    /// (due, overdue, submitted) and its timeline.
    Show {
        /// The case's id.
        id: String,
    },
    /// Build a health system of many sites and thousands of cases in a throwaway database
    /// (SQLite; PostgreSQL too with --postgres-url), then time journey actions (app and API,
    /// one client and several) and the case page and case list (p50/p99).
    Bench(super::case_bench::BenchArgs),
}

pub async fn run(url: &str, json: bool, command: CaseCommand) -> anyhow::Result<ExitCode> {
    if let CaseCommand::Bench(args) = command {
        return super::case_bench::run(json, args).await;
    }
    let app = open_app(url).await?;
    let operator = Caller::system("cli");
    match command {
        CaseCommand::List { site } => {
            let cases = app
                .cases_of_site(&operator, &site, cellpath_app::views::Page::all())
                .await?;
            if json {
                print_json(&cases)?;
            } else if cases.is_empty() {
                println!("no cases at site {site}");
            } else {
                print_table(
                    &["case", "initials", "born", "status", "id"],
                    cases
                        .into_iter()
                        .map(|c| {
                            vec![
                                c.pseudonym,
                                c.initials,
                                c.birth_year.to_string(),
                                c.status.as_str().replace('_', " "),
                                c.id,
                            ]
                        })
                        .collect(),
                );
            }
        }
        CaseCommand::Show { id } => {
            let case = app.case(&operator, &id).await?;
            if json {
                print_json(&case)?;
            } else {
                println!(
                    "{} — {} at {} ({}, born {})",
                    case.pseudonym,
                    case.program_name,
                    case.site_name,
                    case.initials,
                    case.birth_year
                );
                println!("status: {}", case.status_text);
                if !case.available.is_empty() {
                    println!("open now:");
                    for a in &case.available {
                        let roles: Vec<String> = a
                            .roles
                            .iter()
                            .map(|r| r.as_str().replace('_', " "))
                            .collect();
                        println!("  {} ({})", a.name, roles.join(" or "));
                    }
                }
                // The consent and the registry forms as the operator's view shows them: the
                // version, who consented (patient or representative) and the day; no names.
                match &case.consent {
                    Some(c) => println!(
                        "consent: version {} ({}…), signed by {} on {}",
                        c.version_number,
                        c.document_sha256.get(..12).unwrap_or(""),
                        c.consented_by.label(),
                        c.signed_on
                    ),
                    None => println!("consent: not recorded"),
                }
                if let Some(r) = &case.registry {
                    println!("registry forms (infused on {}):", r.infused_on);
                    for f in &r.forms {
                        println!(
                            "  {} {}: {} — {}",
                            f.scheduled.form,
                            f.scheduled.when,
                            f.status.as_str(),
                            f.status_text
                        );
                    }
                }
                println!("timeline:");
                for e in &case.timeline {
                    println!("  {}", e.text);
                }
            }
        }
        CaseCommand::Bench(_) => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}
