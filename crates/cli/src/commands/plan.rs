//! `cellpath plan contracting`: when each site of a health system becomes an authorized
//! treatment center, from a plan file (deterministic days, P50/P90, the critical path, and
//! with --compare what dual-track saves); `cellpath plan bench`: the planner's speed on a
//! manufacturer's network. Needs no database: the planner is pure.

use super::{print_json, print_table};
use anyhow::Context;
use cellpath_planning::contracting::{
    Comparison, Entry, Plan, Planner, Report, SetBy, Strategy, compare, whole_day,
};
use clap::Subcommand;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// When is each site authorized? The deterministic schedule on most-likely durations with
    /// its critical path, and the Monte Carlo P50/P90 of each site's authorization day.
    #[command(
        after_help = "An example plan with the central agreements (master service agreement, terms and conditions, data protection) and the local ones (quality, supply, informed consent, operational workflows) is docs/examples/plan.toml:\n\n  cellpath plan contracting --file docs/examples/plan.toml --compare\n\nDays count from day 0 and are shown rounded up to whole days (\"authorized by day N\"). P50 and P90 are nearest-rank percentiles over the plan's iterations. The numbers depend only on the file (its seed), never on --threads."
    )]
    Contracting(ContractingArgs),
    /// Time the planner on a manufacturer's network: one plan per health system (5 sites,
    /// 10 entries each), both strategies, capacity 0 and 2. Use a release build.
    Bench(PlanBenchArgs),
}

#[derive(clap::Args)]
pub struct ContractingArgs {
    /// The plan file (TOML), e.g. docs/examples/plan.toml.
    #[arg(long)]
    file: PathBuf,
    /// Run both strategies on the file and show what dual-track saves over sequential.
    #[arg(long)]
    compare: bool,
    /// Monte Carlo threads (default: every core). The results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
}

#[derive(clap::Args)]
pub struct PlanBenchArgs {
    /// Health systems in the network (one plan each).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    plans: u32,
    /// Monte Carlo iterations per plan.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    iterations: u32,
    /// Threads (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn run(json: bool, command: PlanCommand) -> anyhow::Result<ExitCode> {
    match command {
        PlanCommand::Contracting(args) => contracting(json, args),
        PlanCommand::Bench(args) => bench(json, args),
    }
}

fn contracting(json: bool, args: ContractingArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let name = args.file.display();
    let plan = Plan::from_toml(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let threads = args.threads.map_or_else(cores, |t| t as usize);
    let planner = Planner::new(&plan).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let comparison = if args.compare {
        Some(compare(&plan, threads).map_err(|e| anyhow::anyhow!("{name}: {e}"))?)
    } else {
        None
    };
    let report = match &comparison {
        Some(both) => both.report(plan.strategy).clone(),
        None => planner.report(threads),
    };

    if json {
        let mut out = report_json(&plan, &report);
        out["threads"] = json!(threads);
        if let Some(both) = &comparison {
            out["compare"] = comparison_json(&plan, both);
        }
        print_json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "{} sites · {} agreements · capacity {} · {} iterations · seed {} · {threads} thread{}",
        plan.sites.len(),
        plan.entries.len(),
        match plan.capacity {
            0 => "unlimited".to_string(),
            k => format!("{k} at once"),
        },
        plan.iterations,
        plan.seed,
        if threads == 1 { "" } else { "s" },
    );
    println!();
    match &comparison {
        None => print_report(&plan, &report),
        Some(both) => print_comparison(&plan, both),
    }
    println!(
        "\ndays from day 0, rounded up to whole days; P50/P90: nearest rank over {} iterations",
        plan.iterations
    );
    Ok(ExitCode::SUCCESS)
}

fn print_report(plan: &Plan, report: &Report) {
    println!("{}", report.strategy.as_str());
    let mut rows: Vec<Vec<String>> = plan
        .sites
        .iter()
        .enumerate()
        .map(|(s, site)| {
            let mc = report.monte_carlo.sites[s].1;
            vec![
                site.clone(),
                whole_day(report.deterministic.sites[s].day).to_string(),
                whole_day(mc.p50).to_string(),
                whole_day(mc.p90).to_string(),
            ]
        })
        .collect();
    let last = &report.monte_carlo.last_site;
    rows.push(vec![
        format!("last site ({})", report.deterministic.last_site.site),
        whole_day(report.deterministic.last_site.day).to_string(),
        whole_day(last.p50).to_string(),
        whole_day(last.p90).to_string(),
    ]);
    print_table(&["site", "deterministic", "P50", "P90"], rows);
    println!("\ncritical path: {}", critical_path_line(report));
}

fn print_comparison(plan: &Plan, both: &Comparison) {
    let (d, s) = (&both.dual_track, &both.sequential);
    let cells = |r: &Report, site: Option<usize>| -> [i64; 3] {
        let (det, mc) = match site {
            Some(i) => (r.deterministic.sites[i].day, r.monte_carlo.sites[i].1),
            None => (r.deterministic.last_site.day, r.monte_carlo.last_site),
        };
        [whole_day(det), whole_day(mc.p50), whole_day(mc.p90)]
    };
    let row = |label: String, site: Option<usize>| {
        let (dual, seq) = (cells(d, site), cells(s, site));
        let mut row = vec![label];
        row.extend(dual.iter().map(i64::to_string));
        row.extend(seq.iter().map(i64::to_string));
        row.extend((0..3).map(|k| (seq[k] - dual[k]).to_string()));
        row
    };
    let mut rows: Vec<Vec<String>> = plan
        .sites
        .iter()
        .enumerate()
        .map(|(i, site)| row(site.clone(), Some(i)))
        .collect();
    rows.push(row("last site".into(), None));
    print_table(
        &[
            "site",
            "dual det",
            "dual P50",
            "dual P90",
            "seq det",
            "seq P50",
            "seq P90",
            "saved det",
            "saved P50",
            "saved P90",
        ],
        rows,
    );
    let saved = both.days_saved();
    println!(
        "\ndual-track authorizes the last site {} days sooner on most-likely durations ({} at P50, {} at P90)",
        saved.deterministic, saved.p50, saved.p90
    );
    println!("\ncritical path, dual_track: {}", critical_path_line(d));
    println!("critical path, sequential: {}", critical_path_line(s));
}

/// `msa 0–60 → north:quality 60–105`; `⇢` where a step waited for a place in the legal team.
fn critical_path_line(report: &Report) -> String {
    let mut line = String::new();
    let mut waited = false;
    for step in &report.deterministic.critical_path {
        match step.set_by {
            SetBy::After => line.push_str(" → "),
            SetBy::CapacityRelease => {
                line.push_str(" ⇢ ");
                waited = true;
            }
            SetBy::Done => line.push_str("(done) "),
            SetBy::Today => line.push_str("(from today) "),
            SetBy::PlanStart => {}
        }
        line.push_str(&format!(
            "{} {}–{}",
            step.name,
            whole_day(step.start),
            whole_day(step.finish)
        ));
    }
    if waited {
        line.push_str("\n  (⇢ waits for a place in the legal team: capacity)");
    }
    line
}

fn report_json(plan: &Plan, report: &Report) -> Value {
    let det = &report.deterministic;
    let mc = &report.monte_carlo;
    let sites: Map<String, Value> = det
        .sites
        .iter()
        .map(|s| (s.site.clone(), json!(whole_day(s.day))))
        .collect();
    let mc_sites: Map<String, Value> = mc
        .sites
        .iter()
        .map(|(site, d)| {
            (
                site.clone(),
                json!({ "p50": whole_day(d.p50), "p90": whole_day(d.p90) }),
            )
        })
        .collect();
    json!({
        "strategy": report.strategy.as_str(),
        "seed": plan.seed,
        "iterations": plan.iterations,
        "capacity": plan.capacity,
        "deterministic": {
            "sites": sites,
            "last_site": whole_day(det.last_site.day),
            "last_site_id": det.last_site.site,
            "critical_path": det.critical_path_names(),
            "critical_steps": det.critical_path.iter().map(|s| json!({
                "instance": s.name,
                "start": whole_day(s.start),
                "finish": whole_day(s.finish),
                "set_by": s.set_by.as_str(),
            })).collect::<Vec<_>>(),
            "instances": det.instances.iter().map(|i| json!({
                "name": i.name,
                "entry": i.entry,
                "site": i.site,
                "start": whole_day(i.start),
                "finish": whole_day(i.finish),
                "critical": i.critical,
            })).collect::<Vec<_>>(),
        },
        "monte_carlo": {
            "iterations": mc.iterations,
            "sites": mc_sites,
            "last_site": { "p50": whole_day(mc.last_site.p50), "p90": whole_day(mc.last_site.p90) },
        },
    })
}

fn comparison_json(plan: &Plan, both: &Comparison) -> Value {
    let saved = both.days_saved();
    let per_site: Map<String, Value> = plan
        .sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let diff = |f: &dyn Fn(&Report) -> f64| {
                whole_day(f(&both.sequential)) - whole_day(f(&both.dual_track))
            };
            (
                site.clone(),
                json!({
                    "deterministic": diff(&|r| r.deterministic.sites[i].day),
                    "p50": diff(&|r| r.monte_carlo.sites[i].1.p50),
                    "p90": diff(&|r| r.monte_carlo.sites[i].1.p90),
                }),
            )
        })
        .collect();
    json!({
        "dual_track": report_json(&plan.with_strategy(Strategy::DualTrack), &both.dual_track),
        "sequential": report_json(&plan.with_strategy(Strategy::Sequential), &both.sequential),
        "days_saved": {
            "last_site": {
                "deterministic": saved.deterministic,
                "p50": saved.p50,
                "p90": saved.p90,
            },
            "sites": per_site,
        },
    })
}

// ---------------------------------------------------------------------------------------
// The benchmark.

/// A manufacturer's network: health system `h` with 5 sites and 10 entries (the article's
/// central and local agreements and four gate deliverables), its estimates scaled by a factor
/// between 0.7 and 1.5 that depends on `h` only, seeded with `h`.
pub fn network_plan(h: u32, iterations: u32) -> Plan {
    let mix = {
        let mut z = u64::from(h).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let scale = 0.7 + 0.8 * (mix >> 11) as f64 / (1u64 << 53) as f64;
    let days = |min: f64, ml: f64, max: f64| [min * scale, ml * scale, max * scale];
    let mut plan = Plan::new(
        Strategy::DualTrack,
        &["s1", "s2", "s3", "s4", "s5"],
        vec![
            Entry::health_system("msa", days(30.0, 60.0, 120.0), &[]),
            Entry::health_system("terms", days(15.0, 30.0, 75.0), &["msa"]),
            Entry::health_system("data_protection", days(20.0, 45.0, 100.0), &[]),
            Entry::site("quality", days(20.0, 45.0, 90.0), &["msa"]),
            Entry::site("supply", days(15.0, 30.0, 75.0), &["msa", "terms"]),
            Entry::site("consent", days(10.0, 25.0, 60.0), &["data_protection"]),
            Entry::site("workflows", days(20.0, 40.0, 80.0), &["quality"]),
            Entry::site("audit", days(10.0, 20.0, 45.0), &["quality", "workflows"]),
            Entry::site("pt_approval", days(15.0, 30.0, 90.0), &["consent"]),
            Entry::site("mock_shipment", days(5.0, 10.0, 30.0), &["supply", "audit"]),
        ],
    );
    plan.seed = u64::from(h);
    plan.iterations = iterations;
    plan
}

fn bench(json: bool, args: PlanBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = args.threads.map_or_else(cores, |t| t as usize);
    let network: Vec<Plan> = (0..args.plans)
        .map(|h| network_plan(h, args.iterations))
        .collect();
    let mut rows = Vec::new();
    for capacity in [0, 2] {
        for strategy in Strategy::ALL {
            if !json {
                eprintln!("  {} · capacity {capacity} …", strategy.as_str());
            }
            let started = Instant::now();
            let mut p50 = 0.0;
            let mut p90 = 0.0;
            for plan in &network {
                let plan = Plan {
                    strategy,
                    capacity,
                    ..plan.clone()
                };
                let report = Planner::new(&plan)
                    .map_err(|e| anyhow::anyhow!("benchmark plan: {e}"))?
                    .report(threads);
                p50 += report.monte_carlo.last_site.p50;
                p90 += report.monte_carlo.last_site.p90;
            }
            let seconds = started.elapsed().as_secs_f64();
            let plans = f64::from(args.plans);
            rows.push(json!({
                "strategy": strategy.as_str(),
                "capacity": capacity,
                "plans": args.plans,
                "iterations_per_plan": args.iterations,
                "seconds": (seconds * 1000.0).round() / 1000.0,
                "iterations_per_second": (plans * f64::from(args.iterations) / seconds).round(),
                "mean_last_site_p50": whole_day(p50 / plans),
                "mean_last_site_p90": whole_day(p90 / plans),
            }));
        }
    }
    if json {
        print_json(&json!({ "threads": threads, "cores": cores(), "configurations": rows }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} plans (one per health system; 5 sites, 10 entries each) × {} iterations · {threads} thread{} on {} core{}{}\n",
        args.plans,
        args.iterations,
        if threads == 1 { "" } else { "s" },
        cores(),
        if cores() == 1 { "" } else { "s" },
        if cfg!(debug_assertions) {
            " · DEBUG BUILD: use `cargo build --release` for real numbers"
        } else {
            ""
        },
    );
    print_table(
        &[
            "strategy",
            "capacity",
            "wall s",
            "iterations/s",
            "mean last-site P50",
            "mean last-site P90",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r["strategy"].as_str().unwrap_or_default().to_string(),
                    match r["capacity"].as_u64() {
                        Some(0) => "unlimited".to_string(),
                        Some(k) => k.to_string(),
                        None => String::new(),
                    },
                    format!("{:.3}", r["seconds"].as_f64().unwrap_or_default()),
                    format!(
                        "{:.0}",
                        r["iterations_per_second"].as_f64().unwrap_or_default()
                    ),
                    r["mean_last_site_p50"].to_string(),
                    r["mean_last_site_p90"].to_string(),
                ]
            })
            .collect(),
    );
    Ok(ExitCode::SUCCESS)
}
