//! `cellpath onboarding bench`: the pages people open all day, timed on two networks built
//! through the app's own commands in a throwaway database (SQLite, and PostgreSQL when asked):
//!
//! - a manufacturer's network — the demo plus N health systems of S sites in partnership with
//!   Helixa, half with their central agreements executed — for the onboarding pipeline, asked
//!   of the app, of the API (`GET /api/v1/onboarding`) and as the web page (`/onboarding`);
//! - one health system of H sites in partnership with Helixa, each site with its Vantacel site
//!   map signed by both sides, for one site's gate, a contracting write with the gate review
//!   it enqueues (and with that job run, as the worker runs it), and the home page of its
//!   admin.
//!
//! Each figure is the median of `runs` after one warm-up (the first look at the pipeline is
//! reported apart: it computes every plan, later looks find them kept).

use super::print_json;
use cellpath_app::bench::ScratchDb as TestDb;
use cellpath_app::contracting::AgreementInput;
use cellpath_app::records::organizations::OrganizationInput;
use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
use cellpath_app::records::sites::SiteInput;
use cellpath_app::records::users::UserInput;
use cellpath_app::{App, Caller, SystemClock};
use cellpath_domain::Date;
use serde::Serialize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Health systems in partnership with Helixa in the manufacturer's network.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=2_000))]
    partnerships: u32,
    /// Sites of each of those health systems.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    sites: u32,
    /// Sites of the one large health system.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=2_000))]
    health_system_sites: u32,
    /// Timed runs after one warm-up run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// A PostgreSQL server to measure too (a throwaway database is created on it).
    #[arg(long, env = "CELLPATH_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

#[derive(Serialize)]
struct Figure {
    database: &'static str,
    what: &'static str,
    /// What it is measured on, in words.
    on: String,
    median_ms: f64,
    min_ms: f64,
    max_ms: f64,
    /// The target for it, when there is one.
    target_ms: Option<f64>,
}

const PASSWORD: &str = "bench-password-1234";

async fn health_system(app: &App, name: &str, sites: u32, code: &str) -> anyhow::Result<String> {
    let op = Caller::system("bench");
    let hs = app
        .create_organization(
            &op,
            OrganizationInput {
                kind: "health_system".into(),
                name: name.into(),
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
                name: format!("{name} site {k}"),
                code: format!("{code}-S{k}"),
                city: "Springfield".into(),
                region: "IL".into(),
            },
            None,
        )
        .await?
        .fresh()?;
    }
    Ok(hs.id)
}

/// An active partnership of Helixa with the health system for Vantacel; with its central
/// agreements executed when `execute`. Returns the partnership and the MSA's id.
async fn partnership(
    app: &App,
    helixa: &str,
    hs: &str,
    name: &str,
    execute: bool,
) -> anyhow::Result<(String, Option<String>)> {
    let op = Caller::system("bench");
    let p = app
        .create_partnership(
            &op,
            PartnershipInput {
                health_system_id: hs.into(),
                name: name.into(),
                programs: vec!["Vantacel".into()],
                manufacturer_id: Some(helixa.into()),
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
    let mut msa = None;
    if execute {
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
            if kind == "master_service_agreement" {
                msa = Some(a.id);
            }
        }
    }
    Ok((p.id, msa))
}

/// The median, smallest and largest of `runs` timings (milliseconds) of `f`, after one
/// warm-up call.
async fn time<F, Fut>(runs: u32, mut f: F) -> anyhow::Result<(f64, f64, f64)>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f(0).await?;
    let mut times = Vec::new();
    for i in 1..=runs {
        let t = Instant::now();
        f(i).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[0], times[times.len() - 1]))
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    auth: (&str, &str),
) -> anyhow::Result<reqwest::Response> {
    let req = match auth {
        ("token", t) => http.get(url).bearer_auth(t),
        (_, cookie) => http
            .get(url)
            .header("cookie", format!("cellpath_session={cookie}")),
    };
    let res = req.send().await?;
    anyhow::ensure!(res.status().is_success(), "{url}: HTTP {}", res.status());
    Ok(res)
}

async fn measure(
    database: &'static str,
    db: &TestDb,
    args: &BenchArgs,
    out: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    let op = Caller::system("bench");
    eprintln!(
        "{database}: building a network of {} partnerships × {} sites and a health system of {} sites …",
        args.partnerships, args.sites, args.health_system_sites
    );
    let seeding = Instant::now();
    cellpath_app::demo::seed(&app).await?;
    let helixa = super::find_org(&app, "Helixa Therapeutics").await?.id;
    for i in 0..args.partnerships {
        let name = format!("Bench Health {i:04}");
        let hs = health_system(&app, &name, args.sites, &format!("B{i:04}")).await?;
        partnership(&app, &helixa, &hs, &format!("Helixa × {name}"), i % 2 == 0).await?;
    }
    let big = health_system(
        &app,
        "Bench Regional Health",
        args.health_system_sites,
        "REG",
    )
    .await?;
    let (big_p, msa) =
        partnership(&app, &helixa, &big, "Helixa × Bench Regional Health", true).await?;
    let msa = msa.ok_or_else(|| anyhow::anyhow!("the MSA was executed"))?;
    let mut people = Vec::new();
    for (org, email, role) in [
        (&helixa, "bench-admin@helixa.example", "admin"),
        (&big, "admin@regional.example", "admin"),
        (&big, "pharmacy@regional.example", "pharmacy"),
        (&helixa, "bench-quality@helixa.example", "quality"),
    ] {
        let user = app
            .create_user(
                &op,
                org,
                UserInput {
                    email: email.into(),
                    name: "Bench User".into(),
                    role: role.into(),
                    password: PASSWORD.into(),
                },
                None,
            )
            .await?
            .fresh()?;
        let caller = app
            .caller_for_user(&user.id, cellpath_app::access::Via::Session)
            .await?;
        let token = app
            .create_api_token(&caller, "bench", None)
            .await?
            .fresh()?;
        let session = app.login(email, PASSWORD, None).await?;
        people.push((caller, token.token, session.cookie_value));
    }
    // The reviews the building enqueued, run now: the record the pages read is what a server
    // with its worker would hold.
    app.run_due_jobs().await?;
    // Every site of the large health system has its Vantacel site map signed by both sides,
    // as a site on its way to authorization would: the gate reads them all.
    let program = app.partnership(&op, &big_p).await?.programs[0].clone();
    let (pharmacy, quality) = (&people[2].0, &people[3].0);
    for site in app
        .sites(pharmacy, &big, cellpath_app::views::Page::all())
        .await?
    {
        let v = app
            .start_site_map(pharmacy, &big_p, &site.id, &program, None, None)
            .await?
            .fresh()?;
        for who in [pharmacy, quality] {
            app.sign_site_map(
                who,
                &v.id,
                cellpath_ledger::Meaning::Approved,
                PASSWORD,
                None,
            )
            .await?
            .fresh()?;
        }
    }
    app.run_due_jobs().await?;
    eprintln!(
        "{database}: built in {:.1} s; measuring …",
        seeding.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Without the worker: the measured requests share the machine with nothing else, and the
    // contracting write below runs its review job itself.
    let server = tokio::spawn(cellpath_server::serve_with(
        app.clone(),
        listener,
        async move {
            let _ = stop_rx.await;
        },
        cellpath_server::Worker::Off,
    ));
    let http = reqwest::Client::new();
    let today = Date::of_micros(app.now());
    let network = format!(
        "{} partnerships × {} sites",
        args.partnerships + 1,
        args.sites
    );
    let regional = format!("a health system of {} sites", args.health_system_sites);
    let mut figure = |what: &'static str, on: &str, (median, min, max), target: Option<f64>| {
        out.push(Figure {
            database,
            what,
            on: on.to_string(),
            median_ms: median,
            min_ms: min,
            max_ms: max,
            target_ms: target,
        })
    };

    // The pipeline: the first look computes every plan.
    let (mfr, mfr_token, mfr_session) = &people[0];
    let cold = Instant::now();
    let pipeline = app.onboarding_pipeline(mfr, &helixa, today.clone()).await?;
    let cold = cold.elapsed().as_secs_f64() * 1000.0;
    figure(
        "pipeline, first look (app)",
        &format!("{network}, {} rows", pipeline.rows.len()),
        (cold, cold, cold),
        None,
    );
    let t = time(args.runs, |_| async {
        app.onboarding_pipeline(mfr, &helixa, today.clone()).await?;
        Ok(())
    })
    .await?;
    figure("pipeline (app)", &network, t, Some(100.0));
    let url = format!("{base}/api/v1/onboarding");
    let t = time(args.runs, |_| async {
        get(&http, &url, ("token", mfr_token))
            .await?
            .bytes()
            .await?;
        Ok(())
    })
    .await?;
    figure("pipeline (API)", &network, t, Some(100.0));
    let url = format!("{base}/onboarding");
    let t = time(args.runs, |_| async {
        get(&http, &url, ("session", mfr_session))
            .await?
            .bytes()
            .await?;
        Ok(())
    })
    .await?;
    figure("pipeline (page)", &network, t, Some(100.0));

    // One site's gate at the large health system.
    let (hs_admin, _, hs_session) = &people[1];
    let sites = app
        .sites(hs_admin, &big, cellpath_app::views::Page::all())
        .await?;
    let site = sites
        .first()
        .ok_or_else(|| anyhow::anyhow!("the health system has sites"))?
        .id
        .clone();
    let t = time(args.runs, |_| async {
        app.gate(&op, &big_p, &site, &program, today.clone())
            .await?;
        Ok(())
    })
    .await?;
    figure("one site's gate (app)", &regional, t, Some(5.0));

    // A contracting write: the MSA's expiry moved, its gate review enqueued in the same
    // transaction; then the same with the review job run, as the worker runs it.
    for (label, run_job) in [
        ("contracting write, its review enqueued (app)", false),
        ("contracting write with its gate review job run (app)", true),
    ] {
        let t = time(args.runs, |i| {
            let (app, op, msa) = (app.clone(), op.clone(), msa.clone());
            async move {
                let a = app.agreement(&op, &msa).await?;
                let expires = format!("2030-0{}-{:02}", 1 + usize::from(run_job), 1 + i % 28);
                app.set_agreement_dates(&op, &msa, a.version, "2026-01-15", &expires, None)
                    .await?
                    .fresh()?;
                if run_job {
                    app.run_due_jobs().await?;
                }
                Ok(())
            }
        })
        .await?;
        figure(label, &regional, t, run_job.then_some(10.0));
    }
    // What the enqueue-only runs left queued.
    app.run_due_jobs().await?;

    let url = format!("{base}/");
    let t = time(args.runs, |_| async {
        get(&http, &url, ("session", hs_session))
            .await?
            .bytes()
            .await?;
        Ok(())
    })
    .await?;
    figure("home page of its admin (page)", &regional, t, Some(20.0));

    let _ = stop_tx.send(());
    server.await??;
    app.close().await;
    Ok(())
}

pub async fn run(json: bool, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    let sqlite = TestDb::sqlite().await;
    measure("sqlite", &sqlite, &args, &mut out).await?;
    if let Some(server) = &args.postgres_url {
        let pg = TestDb::postgres_at(server).await;
        measure("postgres", &pg, &args, &mut out).await?;
    }
    if json {
        print_json(&out)?;
    } else {
        super::print_table(
            &[
                "database",
                "what",
                "on",
                "median ms",
                "min ms",
                "max ms",
                "target ms",
            ],
            out.iter()
                .map(|f| {
                    vec![
                        f.database.to_string(),
                        f.what.to_string(),
                        f.on.clone(),
                        format!("{:.1}", f.median_ms),
                        format!("{:.1}", f.min_ms),
                        format!("{:.1}", f.max_ms),
                        f.target_ms.map_or("—".into(), |t| format!("under {t:.0}")),
                    ]
                })
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
