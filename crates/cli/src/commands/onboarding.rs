//! `cellpath onboarding pipeline`: every site of every partnership of an organization on its
//! way to authorization (status, days in onboarding, predicted P50/P90 date, blockers);
//! `cellpath onboarding plan`: one partnership's live plan for a program — done items at
//! their real dates, open ones estimated from today, both strategies.

use super::{day_or_today, find_org, find_program_id, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::onboarding::{LivePlan, Pipeline, SiteOutlook};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum OnboardingCommand {
    /// Every site of every partnership of the organization, for every program: status, days
    /// in onboarding, the predicted authorization date (P50/P90) and what blocks it.
    Pipeline {
        /// The organization, by id or by name.
        #[arg(long)]
        org: String,
        /// The day to judge and plan from (YYYY-MM-DD); today when left out.
        #[arg(long)]
        on: Option<String>,
    },
    /// When each site of a partnership will be authorized for a program, planned from the
    /// partnership's record: done items at their real dates, open ones from today.
    Plan {
        /// The partnership's id.
        #[arg(long)]
        partnership: String,
        /// The program, by id or by name (e.g. Vantacel).
        #[arg(long)]
        program: String,
        /// The day to plan from (YYYY-MM-DD); today when left out.
        #[arg(long)]
        on: Option<String>,
    },
    /// Time the pages people open all day on two networks, in throwaway databases (SQLite,
    /// and PostgreSQL with --postgres-url): a manufacturer's — the demo plus N health systems
    /// of S sites each in partnership with Helixa, half with the central agreements executed —
    /// for the pipeline (app, API, page); and one health system of H sites for one site's
    /// gate, a contracting write with its review, and the home page. Use a release build.
    Bench(super::onboarding_bench::BenchArgs),
}

/// "2026-12-01 / 2027-01-15" for a site still onboarding; the day since for one authorized.
fn when(s: &SiteOutlook) -> [String; 2] {
    match &s.prediction {
        Some(p) => [p.p50.clone(), p.p90.clone()],
        None => [String::from("—"), String::from("—")],
    }
}

fn status(s: &SiteOutlook) -> String {
    match &s.since {
        Some(since) => format!("{} since {since}", s.status),
        None => s.status.to_string(),
    }
}

/// The gate's first missing item (and how many more), then every warning: agreements that
/// lapse too soon and gaps past their due date.
fn blockers(s: &SiteOutlook) -> String {
    let first = match s.blockers.len() {
        0 => String::new(),
        1 => s.blockers[0].text.clone(),
        n => format!("{} (+{} more)", s.blockers[0].text, n - 1),
    };
    std::iter::once(first)
        .filter(|f| !f.is_empty())
        .chain(s.lapsing.iter().map(|l| format!("LAPSES: {}", l.text)))
        .chain(s.overdue.iter().map(|g| format!("OVERDUE: {}", g.text)))
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn run(url: &str, json: bool, cmd: OnboardingCommand) -> anyhow::Result<ExitCode> {
    if let OnboardingCommand::Bench(args) = cmd {
        return super::onboarding_bench::run(json, args).await;
    }
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        OnboardingCommand::Pipeline { org, on } => {
            let org_id = find_org(&app, &org).await?.id;
            let today = day_or_today(&app, on.as_deref())?;
            let pipeline = app
                .onboarding_pipeline(&op, &org_id, today, cellpath_app::views::Page::all())
                .await?;
            if json {
                print_json(&pipeline)?;
            } else {
                print_pipeline(&pipeline);
            }
        }
        OnboardingCommand::Plan {
            partnership,
            program,
            on,
        } => {
            let p = app.partnership(&op, &partnership).await?;
            let program = find_program_id(&app, &p.manufacturer_id, &program).await?;
            let today = day_or_today(&app, on.as_deref())?;
            let plan = app.live_plan(&op, &p.id, &program, today).await?;
            if json {
                print_json(&plan)?;
            } else {
                print_plan(&plan);
            }
        }
        OnboardingCommand::Bench { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_pipeline(pipeline: &Pipeline) {
    println!("onboarding on {}\n", pipeline.today);
    if pipeline.rows.is_empty() {
        println!("no partnership with sites yet");
        return;
    }
    print_table(
        &[
            "partnership",
            "program",
            "site",
            "status",
            "days",
            "done",
            "P50",
            "P90",
            "blocked by",
        ],
        pipeline
            .rows
            .iter()
            .map(|r| {
                let [p50, p90] = when(&r.site);
                vec![
                    r.partnership_name.clone(),
                    r.program_name.clone(),
                    r.site.site_code.clone(),
                    status(&r.site),
                    r.site.days_in_onboarding.to_string(),
                    format!("{}/{}", r.site.done, r.site.items),
                    p50,
                    p90,
                    blockers(&r.site),
                ]
            })
            .collect(),
    );
    println!(
        "\ndays: in onboarding until authorized; P50/P90: predicted authorization dates (dual-track, from today)"
    );
}

fn print_plan(plan: &LivePlan) {
    println!(
        "{} · {} · planned on {} from day 0 = {} · {} iterations\n",
        plan.partnership_name, plan.program_name, plan.today, plan.start, plan.iterations
    );
    print_table(
        &["site", "status", "done", "planned", "P50", "P90"],
        plan.sites
            .iter()
            .map(|s| {
                let planned = s
                    .prediction
                    .as_ref()
                    .map_or(String::from("—"), |p| p.planned.clone());
                let [p50, p90] = when(s);
                vec![
                    s.site_code.clone(),
                    status(s),
                    format!("{}/{}", s.done, s.items),
                    planned,
                    p50,
                    p90,
                ]
            })
            .collect(),
    );
    for o in [&plan.dual_track, &plan.sequential] {
        println!(
            "\n{}: last site planned {} (P50 {}, P90 {})\n  critical path: {}",
            o.strategy,
            o.last_site.planned,
            o.last_site.p50,
            o.last_site.p90,
            o.critical_path.join(" → ")
        );
    }
    let [det, p50, p90] = plan.days_saved;
    println!("\ndual-track saves {det} days on most-likely durations ({p50} at P50, {p90} at P90)");
    if !plan.done.is_empty() {
        println!("\ndone:");
        for d in &plan.done {
            println!("  {} on {}", d.instance, d.on);
        }
    }
}
