//! `cellpath onboarding pipeline`: every site of every partnership of an organization on its
//! way to authorization (status, days in onboarding, predicted P50/P90 date, blockers);
//! `cellpath onboarding plan`: one partnership's live plan for a program — done items at
//! their real dates, open ones estimated from today, both strategies.

use super::{day_or_today, find_org, find_program_id, open_app, print_json, print_table};
use cellpath_app::onboarding::{LivePlan, Pipeline, SiteOutlook};
use cellpath_app::{App, Caller};
use cellpath_domain::Date;
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
    /// Time the pipeline of a manufacturer's network: the demo plus N health systems of S
    /// sites each in partnership with Helixa (half with the central agreements executed), in a
    /// throwaway SQLite database; then the demo's Lakeshore grown to G sites, each with a
    /// Vantacel site map signed by both sides: one site's gate, and a contracting write with
    /// the review it causes. Use a release build.
    Bench {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=2_000))]
        partnerships: u32,
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
        sites: u32,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        runs: u32,
        /// Sites of the one health system whose gate is timed (0: skip that part).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(0..=2_000))]
        gate_sites: u32,
    },
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
    if let OnboardingCommand::Bench {
        partnerships,
        sites,
        runs,
        gate_sites,
    } = cmd
    {
        return bench(json, partnerships, sites, runs, gate_sites).await;
    }
    let app = open_app(url).await?;
    let op = Caller::system("cli");
    match cmd {
        OnboardingCommand::Pipeline { org, on } => {
            let org_id = find_org(&app, &org).await?.id;
            let today = day_or_today(&app, on.as_deref())?;
            let pipeline = app.onboarding_pipeline(&op, &org_id, today).await?;
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

/// The network for the benchmark: the demo, then `partnerships` health systems of `sites`
/// sites, each proposed by Helixa and accepted; every other one with its central agreements
/// executed, so the plans mix done and open items.
async fn bench_network(app: &App, partnerships: u32, sites: u32) -> anyhow::Result<String> {
    use cellpath_app::contracting::AgreementInput;
    use cellpath_app::records::organizations::OrganizationInput;
    use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
    use cellpath_app::records::sites::SiteInput;
    cellpath_app::demo::seed(app).await?;
    let op = Caller::system("bench");
    let helixa = app
        .store
        .organization_by_name("Helixa Therapeutics")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo has Helixa"))?
        .id;
    for i in 0..partnerships {
        let hs = app
            .create_organization(
                &op,
                OrganizationInput {
                    kind: "health_system".into(),
                    name: format!("Bench Health {i:04}"),
                },
                None,
            )
            .await?
            .fresh()?;
        for k in 0..sites {
            app.create_site(
                &op,
                &hs.id,
                SiteInput {
                    name: format!("Bench Health {i:04} site {k}"),
                    code: format!("B{i:04}-S{k}"),
                    city: "Springfield".into(),
                    region: "IL".into(),
                },
                None,
            )
            .await?
            .fresh()?;
        }
        let p = app
            .create_partnership(
                &op,
                PartnershipInput {
                    health_system_id: hs.id.clone(),
                    name: format!("Helixa × Bench Health {i:04}"),
                    programs: vec!["Vantacel".into()],
                    manufacturer_id: Some(helixa.clone()),
                },
                None,
            )
            .await?
            .fresh()?;
        app.update_partnership(
            &op,
            &p.id,
            p.version,
            PartnershipPatch {
                status: Some("active".into()),
                ..Default::default()
            },
            None,
        )
        .await?
        .fresh()?;
        if i % 2 == 0 {
            for kind in [
                "master_service_agreement",
                "terms_and_conditions",
                "data_protection",
            ] {
                let a = app
                    .create_agreement(
                        &op,
                        &p.id,
                        AgreementInput {
                            kind: kind.into(),
                            scope: "health_system".into(),
                            site_id: None,
                            coverage: None,
                            owner_manufacturer: None,
                            owner_health_system: None,
                        },
                        None,
                    )
                    .await?
                    .fresh()?;
                let a = app
                    .set_agreement_dates(&op, &a.id, a.version, "2026-01-15", "", None)
                    .await?
                    .fresh()?;
                app.move_agreement(&op, &a.id, a.version, "executed", None)
                    .await?
                    .fresh()?;
            }
        }
    }
    Ok(helixa)
}

/// The median of `runs` timed calls of `f`, in milliseconds.
async fn median_ms<F, Fut>(runs: u32, mut f: F) -> anyhow::Result<f64>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::new();
    for i in 0..runs {
        let t = std::time::Instant::now();
        f(i).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The gate at one site of a health system of `sites` sites, each with its Vantacel site map
/// signed by both sides (the demo's Lakeshore grown), and a contracting write there (a
/// document added to the master service agreement) with the gate review it causes:
/// (milliseconds per gate, per write), medians.
async fn gate_bench(app: &App, sites: u32, runs: u32) -> anyhow::Result<(f64, f64)> {
    use cellpath_app::access::Via;
    use cellpath_app::contracting::DocumentInput;
    use cellpath_app::demo::DEMO_PASSWORD;
    use cellpath_app::records::sites::SiteInput;
    use cellpath_ledger::Meaning;
    let op = Caller::system("bench");
    let user = |email: &'static str| async move {
        let u = app
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo has {email}"))?;
        anyhow::Ok(app.caller_for_user(&u.id, Via::System).await?)
    };
    let pharmacy = user("pharmacy@lakeshore.example").await?;
    let quality = user("quality@helixa.example").await?;
    let lakeshore = pharmacy
        .org_id()
        .ok_or_else(|| anyhow::anyhow!("a user's caller has an organization"))?
        .to_string();
    let helixa = quality
        .org_id()
        .ok_or_else(|| anyhow::anyhow!("a user's caller has an organization"))?
        .to_string();
    let p = app
        .store
        .partnerships_of(&helixa, cellpath_store::Page::all())
        .await?
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .ok_or_else(|| anyhow::anyhow!("the demo has Helixa × Lakeshore"))?;
    let vantacel = find_program_id(app, &helixa, "Vantacel").await?;
    let have = app.store.sites_of_partnership(&p.id).await?.len() as u32;
    for k in have..sites {
        let site = app
            .create_site(
                &op,
                &lakeshore,
                SiteInput {
                    name: format!("Lakeshore bench site {k}"),
                    code: format!("LUH-B{k:04}"),
                    city: "Chicago".into(),
                    region: "IL".into(),
                },
                None,
            )
            .await?
            .fresh()?;
        let v = app
            .start_site_map(&pharmacy, &p.id, &site.id, &vantacel, None, None)
            .await?
            .fresh()?;
        for who in [&pharmacy, &quality] {
            app.sign_site_map(who, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
                .await?
                .fresh()?;
        }
    }
    let main = app
        .store
        .sites_of_partnership(&p.id)
        .await?
        .into_iter()
        .find(|s| s.code == "LUH-MAIN")
        .ok_or_else(|| anyhow::anyhow!("the demo has LUH-MAIN"))?;
    let today = Date::of_micros(app.now());
    let runs = runs.max(11);
    app.gate(&op, &p.id, &main.id, &vantacel, today.clone())
        .await?;
    let gate_ms = median_ms(runs, |_| {
        let (op, p, main, vantacel, today) = (&op, &p, &main, &vantacel, today.clone());
        async move {
            app.gate(op, &p.id, &main.id, vantacel, today).await?;
            Ok(())
        }
    })
    .await?;
    let msa = app
        .agreements(&op, &p.id)
        .await?
        .into_iter()
        .find(|a| a.kind == "master_service_agreement")
        .ok_or_else(|| anyhow::anyhow!("the demo has an MSA with Lakeshore"))?;
    let version = std::cell::Cell::new(msa.version);
    let write_ms = median_ms(runs, |i| {
        let (op, msa_id, version) = (&op, &msa.id, &version);
        async move {
            let a = app
                .add_document(
                    op,
                    msa_id,
                    version.get(),
                    DocumentInput {
                        name: format!("msa-bench-{i}.pdf"),
                        sha256: format!("{:064x}", i + 1),
                        bytes: cellpath_domain::LedgerInt::new(1000)?,
                    },
                    None,
                )
                .await?
                .fresh()?;
            version.set(a.version);
            Ok(())
        }
    })
    .await?;
    Ok((gate_ms, write_ms))
}

async fn bench(
    json: bool,
    partnerships: u32,
    sites: u32,
    runs: u32,
    gate_sites: u32,
) -> anyhow::Result<ExitCode> {
    let db = cellpath_store::testing::TestDb::sqlite().await;
    let app = App::new(
        db.store().await,
        std::sync::Arc::new(cellpath_app::SystemClock),
    );
    let seeding = std::time::Instant::now();
    let helixa = bench_network(&app, partnerships, sites).await?;
    let seeded_in = seeding.elapsed().as_secs_f64();
    let op = Caller::system("bench");
    let today = Date::of_micros(app.now());
    let first = app.onboarding_pipeline(&op, &helixa, today.clone()).await?;
    let rows = first.rows.len();
    let partnerships = first
        .rows
        .iter()
        .map(|r| r.partnership_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = std::time::Instant::now();
        app.onboarding_pipeline(&op, &helixa, today.clone()).await?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let gate = if gate_sites > 0 {
        let seeding = std::time::Instant::now();
        let (gate_ms, write_ms) = gate_bench(&app, gate_sites, runs).await?;
        Some((gate_ms, write_ms, seeding.elapsed().as_secs_f64()))
    } else {
        None
    };
    let out = serde_json::json!({
        "partnerships": partnerships,
        "sites_per_health_system": sites,
        "rows": rows,
        "runs": runs,
        "median_seconds": median,
        "min_seconds": times[0],
        "max_seconds": times[times.len() - 1],
        "ms_per_row": median * 1000.0 / rows.max(1) as f64,
        "seeding_seconds": seeded_in,
        "gate_sites": gate_sites,
        "gate_ms": gate.map(|g| g.0),
        "contracting_write_ms": gate.map(|g| g.1),
    });
    if json {
        print_json(&out)?;
    } else {
        println!(
            "pipeline of {} partnerships, {rows} site rows: median {median:.3} s over {runs} runs ({:.2} ms a row; min {:.3} s, max {:.3} s); seeding took {seeded_in:.1} s",
            partnerships,
            median * 1000.0 / rows.max(1) as f64,
            times[0],
            times[times.len() - 1],
        );
        if let Some((gate_ms, write_ms, took)) = gate {
            println!(
                "one health system of {gate_sites} sites, each with a signed site map: one site's gate {gate_ms:.2} ms, a contracting write with its review {write_ms:.2} ms (medians; built and timed in {took:.1} s)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
