//! `cellpath simulate cashflow --file scenario.toml`: the buy-and-bill cash-flow model of a
//! health system (issue 14): exposure percentiles by day, the peak against the cap, each
//! program's margin per patient, and the payment terms that keep the P95 peak under the cap.
//! Needs no database: the model is pure.

use super::{print_json, print_table};
use cellpath_planning::cashflow::{Report, Scenario};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum SimulateCommand {
    /// Simulate a health system's exposure (paid to manufacturers − received from payers and
    /// manufacturers) and search the payment terms that keep its P95 peak under the cap.
    #[command(
        after_help = "An example scenario is docs/examples/cashflow.toml:\n\n  cellpath simulate cashflow --file docs/examples/cashflow.toml\n\nAmounts are dollars. Exposure on day d counts every flow before the end of day d. Percentiles interpolate linearly between runs. The numbers depend only on the file (its seed), never on --threads."
    )]
    Cashflow(CashflowArgs),
}

#[derive(clap::Args)]
pub struct CashflowArgs {
    /// The scenario file (TOML), e.g. docs/examples/cashflow.toml.
    #[arg(long)]
    file: PathBuf,
    /// Threads (default: every core). The results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Print the exposure by day too (P5, P50, P95 every 30 days).
    #[arg(long)]
    by_month: bool,
}

fn dollars(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 {
        ("-", -cents)
    } else {
        ("", cents)
    };
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}")
}

pub fn run(json: bool, command: SimulateCommand) -> anyhow::Result<ExitCode> {
    let SimulateCommand::Cashflow(args) = command;
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let scenario =
        Scenario::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let bar = ProgressBar::with_draw_target(
        Some(u64::from(scenario.runs)),
        // Standard error, and only on a terminal: JSON and pipes stay clean.
        ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs")
            .expect("a fixed template")
            .progress_chars("=> "),
    );
    bar.set_message("simulating");
    let started = Instant::now();
    let report = scenario.simulate(threads, &|done| bar.set_position(done))?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    if json {
        print_json(&report)?;
    } else {
        print(&scenario, &report, args.by_month);
        eprintln!(
            "{} runs, {} patient-episodes on {} thread(s) in {:.2} s ({:.1} million episodes/s)",
            report.runs,
            report.patient_episodes,
            report.threads,
            elapsed.as_secs_f64(),
            report.patient_episodes as f64 / elapsed.as_secs_f64() / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print(scenario: &Scenario, r: &Report, by_month: bool) {
    println!(
        "Peak exposure: P50 {}, P95 {} (cap {}); the peak exceeds the cap in {:.1} % of runs.",
        dollars(r.peak_exposure.p50),
        dollars(r.peak_exposure.p95),
        dollars(r.cap),
        r.p_peak_over_cap * 100.0
    );
    println!();
    print_table(
        &[
            "program",
            "terms",
            "patients simulated",
            "margin per patient",
        ],
        scenario
            .programs
            .iter()
            .map(|p| {
                let res = &r.programs[&p.id];
                vec![
                    p.id.clone(),
                    format!("{} + {} days", res.basis, res.net_days),
                    res.patients_simulated.to_string(),
                    dollars(res.margin_per_patient),
                ]
            })
            .collect(),
    );
    println!();
    match (&r.aligned_terms.program, r.aligned_terms.net_days) {
        (Some(p), Some(n)) => println!(
            "Aligned terms for {p}: net {n} days (now {}) keeps the P95 peak at {}, within the cap.",
            r.aligned_terms.current_net_days.unwrap_or_default(),
            dollars(r.aligned_terms.peak_p95.unwrap_or_default())
        ),
        (Some(p), None) => println!(
            "Aligned terms for {p}: none — even net 365 days leaves the P95 peak above the cap; change another program's terms or the basis."
        ),
        (None, _) => println!("No program to align (add align = \"PROGRAM\" to search its terms)."),
    }
    if by_month {
        println!();
        print_table(
            &["day", "P5", "P50", "P95"],
            (0..r.horizon_days as usize)
                .step_by(30)
                .map(|d| {
                    vec![
                        d.to_string(),
                        dollars(r.exposure_by_day.p5[d]),
                        dollars(r.exposure_by_day.p50[d]),
                        dollars(r.exposure_by_day.p95[d]),
                    ]
                })
                .collect(),
        );
    }
}
