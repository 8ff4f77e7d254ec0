//! `cellpath program …` and `cellpath map …`: the operator (or a manufacturer's scripts)
//! manages programs and moves process maps in and out as TOML or JSON.

use super::{find_org, find_program, open_app, print_json, print_table, read_file};
use anyhow::Context;
use cellpath_app::Caller;
use cellpath_app::programs::valid_map;
use cellpath_app::views::Page;
use cellpath_domain::capacity::Capacity;
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::process_map::{ProcessMap, scan_burden};
use cellpath_domain::program::ProgramFacts;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ProgramCommand {
    /// Create a program of a manufacturer from a TOML or JSON file of its facts (name,
    /// modality, units, identifiers, list_prices, requires_dual_verification).
    Create {
        /// Manufacturer id or exact name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// List a manufacturer's programs.
    List {
        #[arg(long)]
        org: String,
    },
    /// Replace a program's site requirements from a TOML or JSON file
    /// (`[[requirement]]` tables: key, capability, check, severity, description).
    Requirements {
        /// Program id, or MANUFACTURER/PROGRAM by names.
        program: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Show a program with its map versions.
    Show {
        /// Program id, or MANUFACTURER/PROGRAM by names.
        program: String,
    },
    /// Show a program's manufacturing capacity, or set it from a TOML or JSON file with
    /// --file (slots per day, closed days, lead times, monthly allocations; example:
    /// docs/examples/capacity.toml).
    Capacity {
        /// Program id, or MANUFACTURER/PROGRAM by names.
        program: String,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// A program's waitlist in the order offers follow: scored requests by score (highest
    /// first), then unscored ones, each by how long it has waited; with each score's reason
    /// and criteria version, skips, and offers held with their deadlines.
    Waitlist {
        /// Program id, or MANUFACTURER/PROGRAM by names.
        program: String,
    },
    /// Booking requests per second over the API with several clients at once, in a throwaway
    /// database (SQLite; PostgreSQL too with --postgres-url).
    BookingBench(super::booking_bench::BookingBenchArgs),
}

#[derive(Subcommand)]
pub enum MapCommand {
    /// Import a process map (TOML or JSON, by file extension) as a new draft version, or into
    /// an existing draft with --draft; --publish publishes it.
    Import {
        /// Program id, or MANUFACTURER/PROGRAM by names.
        #[arg(long)]
        program: String,
        #[arg(long)]
        file: PathBuf,
        /// Replace this draft version (its id) instead of starting a new one.
        #[arg(long)]
        draft: Option<String>,
        #[arg(long)]
        publish: bool,
    },
    /// Export a map version (the newest published one unless --number says) as TOML or JSON.
    Export {
        #[arg(long)]
        program: String,
        #[arg(long)]
        number: Option<i64>,
        /// toml or json
        #[arg(long, default_value = "toml")]
        format: String,
        /// Output file (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run_program(url: &str, json: bool, cmd: ProgramCommand) -> anyhow::Result<ExitCode> {
    if let ProgramCommand::BookingBench(args) = cmd {
        return super::booking_bench::run(json, args).await;
    }
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        ProgramCommand::Create { org, file } => {
            let org = find_org(&app, &org).await?;
            let facts: ProgramFacts = read_file(&file)?;
            let p = app
                .create_program(&op, &org.id, facts, None)
                .await?
                .fresh()?;
            if json {
                print_json(&p)?;
            } else {
                println!("created program {} of {} ({})", p.name, org.name, p.id);
            }
        }
        ProgramCommand::List { org } => {
            let org = find_org(&app, &org).await?;
            let programs = app.programs_of(&op, &org.id, Page::all()).await?;
            if json {
                print_json(&programs)?;
            } else {
                print_table(
                    &["program", "modality", "id"],
                    programs
                        .into_iter()
                        .map(|p| vec![p.name, p.modality.to_string(), p.id])
                        .collect(),
                );
            }
        }
        ProgramCommand::Requirements { program, file } => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct RequirementsFile {
                requirement: Vec<cellpath_domain::readiness::Requirement>,
            }
            let p = find_program(&app, &program).await?;
            let reqs: RequirementsFile = read_file(&file)?;
            let p = app
                .set_requirements(&op, &p.id, p.version, reqs.requirement, None)
                .await?
                .fresh()?;
            if json {
                print_json(&p)?;
            } else {
                println!(
                    "{} now has {} requirement(s)",
                    p.name,
                    p.requirements.as_array().map_or(0, Vec::len)
                );
            }
        }
        ProgramCommand::Show { program } => {
            let p = find_program(&app, &program).await?;
            let versions = app.map_versions(&op, &p.id).await?;
            if json {
                print_json(&serde_json::json!({ "program": p, "map_versions": versions }))?;
            } else {
                println!("{} — {} ({})\n", p.name, p.modality, p.id);
                let units: Vec<cellpath_domain::process_map::ProductUnit> =
                    serde_json::from_value(p.units.clone())?;
                let rows = versions
                    .iter()
                    .map(|v| {
                        let steps = v.map["steps"].as_array().map_or(0, Vec::len);
                        let burden = serde_json::from_value::<ProcessMap>(v.map.clone())
                            .map(|m| scan_burden(&m, &units));
                        let burden = burden
                            .map(|b| {
                                format!(
                                    "{} scans at {} locations",
                                    b.scans_per_case, b.distinct_locations
                                )
                            })
                            .unwrap_or_default();
                        vec![
                            v.number.to_string(),
                            v.status.to_string(),
                            steps.to_string(),
                            burden,
                            v.id.clone(),
                        ]
                    })
                    .collect();
                print_table(&["version", "status", "steps", "scan burden", "id"], rows);
            }
        }
        ProgramCommand::Capacity { program, file } => {
            let p = find_program(&app, &program).await?;
            let stated = match file {
                Some(file) => {
                    let capacity: Capacity = read_file(&file)?;
                    let current = app.program_capacity(&op, &p.id).await?;
                    Some(
                        app.set_program_capacity(
                            &op,
                            &p.id,
                            capacity,
                            current.map(|c| c.version),
                            None,
                        )
                        .await?
                        .fresh()?,
                    )
                }
                None => app.program_capacity(&op, &p.id).await?,
            };
            match stated {
                None if json => print_json(&serde_json::Value::Null)?,
                None => println!("{} has no stated capacity: nothing can be booked", p.name),
                Some(c) if json => print_json(&c)?,
                Some(c) => print_capacity(&p.name, &c.capacity),
            }
        }
        ProgramCommand::BookingBench(_) => unreachable!("handled above"),
        ProgramCommand::Waitlist { program } => {
            let p = find_program(&app, &program).await?;
            let list: Vec<cellpath_app::views::bookings::WaitlistEntryView> = app
                .program_waitlist(&op, &p.id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if json {
                print_json(&list)?;
            } else if list.is_empty() {
                println!("{}: nobody is waiting for a slot", p.name);
            } else {
                let rows = list
                    .iter()
                    .enumerate()
                    .map(|(i, e)| waitlist_row(i + 1, e))
                    .collect();
                print_table(
                    &[
                        "#",
                        "case",
                        "site",
                        "asked for",
                        "score",
                        "criteria",
                        "why",
                        "standing",
                    ],
                    rows,
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One request of the waitlist as the table shows it.
fn waitlist_row(rank: usize, e: &cellpath_app::views::bookings::WaitlistEntryView) -> Vec<String> {
    let b = &e.booking;
    let (score, criteria, why) = match &b.priority {
        Some(p) => (
            p.score.to_string(),
            p.criteria_version.clone(),
            format!("{} ({})", p.reason, e.scored_by.clone().unwrap_or_default()),
        ),
        None => ("not scored".into(), String::new(), String::new()),
    };
    let standing = match (&b.chain, b.offer_expires_at, &b.skipped) {
        (Some(c), Some(t), _) => format!(
            "offered apheresis {}, accept by {}",
            c.apheresis_on.words(),
            cellpath_domain::Date::of_micros(t).words()
        ),
        (_, _, Some(why)) => format!(
            "passed over by {}: {why}",
            e.skipped_by.clone().unwrap_or_default()
        ),
        _ => "waiting".into(),
    };
    vec![
        rank.to_string(),
        e.case_pseudonym.clone(),
        e.site_name.clone(),
        b.asked_on.words(),
        score,
        criteria,
        why,
        standing,
    ]
}

fn print_capacity(program: &str, c: &Capacity) {
    let l = &c.lead;
    println!(
        "{program}: {} apheresis and {} manufacturing slots a day",
        c.apheresis_slots_per_day, c.manufacturing_slots_per_day
    );
    println!(
        "manufacturing starts {}–{} days after apheresis, takes {} days; transit {} days; infusion {} days after arrival",
        l.to_start_min_days,
        l.to_start_max_days,
        l.manufacturing_days,
        l.transit_days,
        l.arrival_to_infusion_days
    );
    for (site, days) in &l.transit_days_by_site {
        println!("transit to site {site}: {days} days");
    }
    println!(
        "a site has {} hours to accept a chain offered from the waitlist",
        c.offer_hours
    );
    if !c.closed.is_empty() {
        let days: Vec<String> = c.closed.iter().map(|d| d.words()).collect();
        println!("closed: {}", days.join(", "));
    }
    for a in &c.allocations {
        println!("at most {} starts a month for {}", a.per_month, a.scope);
    }
}

pub async fn run_map(url: &str, json: bool, cmd: MapCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        MapCommand::Import {
            program,
            file,
            draft,
            publish,
        } => {
            let p = find_program(&app, &program).await?;
            let map: ProcessMap = read_file(&file)?;
            let mut v = match draft {
                Some(id) => {
                    let (current, _) = app.map_version(&op, &id).await?;
                    app.update_map_version(&op, &current.id, current.version, map, None)
                        .await?
                        .fresh()?
                }
                None => app
                    .create_map_version(&op, &p.id, map, None)
                    .await?
                    .fresh()?,
            };
            if publish {
                v = app
                    .publish_map_version(&op, &v.id, v.version, None)
                    .await?
                    .fresh()?;
            }
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "{} map version {} is {} ({}; content hash {})",
                    p.name, v.number, v.status, v.id, v.content_hash
                );
            }
        }
        MapCommand::Export {
            program,
            number,
            format,
            out,
        } => {
            let p = find_program(&app, &program).await?;
            let versions = app.map_versions(&op, &p.id).await?;
            let v = match number {
                Some(n) => versions
                    .into_iter()
                    .find(|v| v.number == n)
                    .ok_or_else(|| anyhow::anyhow!("{} has no map version {n}", p.name))?,
                None => versions
                    .into_iter()
                    .find(|v| v.status == MapVersionStatus::Published)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "{} has no published map; name a draft with --number",
                            p.name
                        )
                    })?,
            };
            let valid = valid_map(&p, &v)?;
            let text = match format.as_str() {
                "toml" => toml::to_string(valid.as_map())?,
                "json" => serde_json::to_string_pretty(valid.as_map())? + "\n",
                other => anyhow::bail!("unknown format {other:?}: use toml or json"),
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
