//! `cellpath onboarding bench`: the pages people open all day, timed on two networks built
//! through the app's own commands in a throwaway database (SQLite, and PostgreSQL when asked):
//!
//! - a manufacturer's network — the demo plus N health systems of S sites in partnership with
//!   Helixa, half with their central agreements executed — for the onboarding pipeline (its
//!   first page of 25 partnerships and a page from the middle), asked of the app, of the API
//!   (`GET /api/v1/onboarding`) and as the web page (`/onboarding`);
//! - one health system of H sites in partnership with Helixa, each site with its Vantacel site
//!   map signed by both sides, for one site's gate, a contracting write with the gate review
//!   it enqueues (and with that job run, as the worker runs it), and the home page of its
//!   admin.
//!
//! Each figure is the median of `runs` after one warm-up (the first look at the pipeline is
//! reported apart: it computes the page's plans, later looks find them kept). Both networks
//! are built in two halves and measured after each: the difference, divided by the
//! partnerships or sites added, is each figure's growth per partnership or per site.

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

pub(super) const PASSWORD: &str = "bench-password-1234";

pub(super) async fn health_system(app: &App, name: &str) -> anyhow::Result<String> {
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
    Ok(hs.id)
}

/// Sites `range` of a health system, coded `{code}-S{k}`.
pub(super) async fn add_sites(
    app: &App,
    hs: &str,
    name: &str,
    code: &str,
    range: std::ops::Range<u32>,
) -> anyhow::Result<()> {
    let op = Caller::system("bench");
    for k in range {
        app.create_site(
            &op,
            hs,
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
    Ok(())
}

/// An active partnership of Helixa with the health system for Vantacel; with its central
/// agreements executed when `execute`. Returns the partnership and the MSA's id.
pub(super) async fn partnership(
    app: &App,
    helixa: &str,
    hs: &str,
    name: &str,
    execute: bool,
) -> anyhow::Result<(String, Option<String>)> {
    partnership_for(app, helixa, hs, name, "Vantacel", execute).await
}

/// An active partnership of the manufacturer with the health system for its `program`; with
/// its central agreements executed when `execute`. Returns the partnership and the MSA's id.
pub(super) async fn partnership_for(
    app: &App,
    manufacturer: &str,
    hs: &str,
    name: &str,
    program: &str,
    execute: bool,
) -> anyhow::Result<(String, Option<String>)> {
    let op = Caller::system("bench");
    let p = app
        .create_partnership(
            &op,
            PartnershipInput {
                health_system_id: hs.into(),
                name: name.into(),
                programs: vec![program.into()],
                manufacturer_id: Some(manufacturer.into()),
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
            let a = execute_agreement(app, &p.id, kind).await?;
            if kind == "master_service_agreement" {
                msa = Some(a);
            }
        }
    }
    Ok((p.id, msa))
}

/// An agreement of the kind at health-system scope (covering all sites), in effect from
/// 2026-01-15 with no end, executed; its id.
pub(super) async fn execute_agreement(
    app: &App,
    partnership: &str,
    kind: &str,
) -> anyhow::Result<String> {
    let op = Caller::system("bench");
    let a = app
        .create_agreement(
            &op,
            partnership,
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
    Ok(a.id)
}

/// The site's map for the program started by the health system's `sides[0]` and signed by
/// both sides (`PASSWORD`), as a site on its way to authorization has it.
pub(super) async fn sign_site_map(
    app: &App,
    sides: [&Caller; 2],
    partnership: &str,
    site: &str,
    program: &str,
) -> anyhow::Result<()> {
    let v = app
        .start_site_map(sides[0], partnership, site, program, None, None)
        .await?
        .fresh()?;
    for who in sides {
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
    Ok(())
}

/// The server started in-process on a local port, without the jobs worker: the measured
/// requests share the machine with nothing else.
pub(super) struct LocalServer {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    pub(super) async fn start(app: &App) -> anyhow::Result<LocalServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(cellpath_server::serve_with(
            app.clone(),
            listener,
            async move {
                let _ = stopped.await;
            },
            cellpath_server::Worker::Off,
        ));
        Ok(LocalServer { base, stop, handle })
    }

    /// Stop accepting, let the requests in flight finish, and wait for the server to end.
    pub(super) async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.handle.await??;
        Ok(())
    }
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

/// The people the pages are timed for: (caller, API token, session cookie).
type Person = (Caller, String, String);

/// What one stage of the build is timed on.
struct Stage<'a> {
    database: &'static str,
    /// Partnerships in the manufacturer's pipeline, and sites of the large health system.
    partnerships: usize,
    sites: u32,
    helixa: &'a str,
    big: &'a str,
    big_p: &'a str,
    msa: &'a str,
    program: &'a str,
    people: &'a [Person],
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
        "{database}: building a network of {} partnerships × {} sites and a health system of {} sites, in two halves …",
        args.partnerships, args.sites, args.health_system_sites
    );
    let seeding = Instant::now();
    cellpath_app::demo::seed(&app).await?;
    let helixa = super::find_org(&app, "Helixa Therapeutics").await?.id;
    let big = health_system(&app, "Bench Regional Health").await?;
    let (big_p, msa) =
        partnership(&app, &helixa, &big, "Helixa × Bench Regional Health", true).await?;
    let msa = msa.ok_or_else(|| anyhow::anyhow!("the MSA was executed"))?;
    let mut people: Vec<Person> = Vec::new();
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
    let program = app.partnership(&op, &big_p).await?.programs[0].clone();

    // Without the worker: the contracting write below runs its review job itself.
    let server = LocalServer::start(&app).await?;
    let base = server.base.clone();

    // Two stages: half of each network, then all of it; the difference is the growth.
    let halves = [
        (args.partnerships / 2, args.health_system_sites / 2),
        (args.partnerships, args.health_system_sites),
    ];
    let (mut built_p, mut built_s) = (0, 0);
    let mut stages: Vec<Vec<Figure>> = Vec::new();
    for (partnerships, sites) in halves {
        for i in built_p..partnerships {
            let name = format!("Bench Health {i:04}");
            let hs = health_system(&app, &name).await?;
            add_sites(&app, &hs, &name, &format!("B{i:04}"), 0..args.sites).await?;
            partnership(&app, &helixa, &hs, &format!("Helixa × {name}"), i % 2 == 0).await?;
        }
        add_sites(&app, &big, "Bench Regional Health", "REG", built_s..sites).await?;
        // The reviews the building enqueued, run now: the record the pages read is what a
        // server with its worker would hold.
        app.run_due_jobs().await?;
        // Every new site of the large health system has its Vantacel site map signed by both
        // sides, as a site on its way to authorization would: the gate reads them all.
        let (pharmacy, quality) = (&people[2].0, &people[3].0);
        let all_sites = app
            .sites(pharmacy, &big, cellpath_app::views::Page::all())
            .await?;
        let new_codes: Vec<String> = (built_s..sites).map(|k| format!("REG-S{k}")).collect();
        for site in all_sites.iter().filter(|s| new_codes.contains(&s.code)) {
            sign_site_map(&app, [pharmacy, quality], &big_p, &site.id, &program).await?;
        }
        app.run_due_jobs().await?;
        (built_p, built_s) = (partnerships, sites);
        let total = app
            .onboarding_pipeline(
                &people[0].0,
                &helixa,
                Date::of_micros(app.now()),
                cellpath_app::views::Page::first(1),
            )
            .await?
            .partnerships;
        eprintln!(
            "{database}: {total} partnerships and {sites} sites built after {:.1} s; measuring …",
            seeding.elapsed().as_secs_f64()
        );
        let stage = Stage {
            database,
            partnerships: total,
            sites,
            helixa: &helixa,
            big: &big,
            big_p: &big_p,
            msa: &msa,
            program: &program,
            people: &people,
        };
        stages.push(measure_stage(&app, &base, &stage, args.sites, args.runs).await?);
    }
    // The growth from the first stage to the second: per partnership for the pipeline, per
    // site of the health system for the rest.
    let (first, second) = (&stages[0], &stages[1]);
    let dp = (halves[1].0 - halves[0].0).max(1) as f64;
    let ds = (halves[1].1 - halves[0].1).max(1) as f64;
    let mut growth = Vec::new();
    // (Not of the first look: page 1 holds the same partnerships in both stages, so the
    // second stage finds their plans kept.)
    for (a, b) in first
        .iter()
        .zip(second)
        .filter(|(a, _)| !a.what.contains("first look"))
    {
        let (per, unit) = if a.what.starts_with("pipeline") {
            (dp, "per partnership")
        } else {
            (ds, "per site")
        };
        let each = |x: f64, y: f64| (y - x) / per;
        growth.push(Figure {
            database,
            what: a.what,
            on: format!(
                "growth {unit} ({} → {} partnerships, {} → {} sites)",
                halves[0].0, halves[1].0, halves[0].1, halves[1].1
            ),
            median_ms: each(a.median_ms, b.median_ms),
            min_ms: each(a.min_ms, b.min_ms),
            max_ms: each(a.max_ms, b.max_ms),
            target_ms: None,
        });
    }
    out.extend(stages.into_iter().flatten());
    out.extend(growth);

    server.stop().await?;
    app.close().await;
    Ok(())
}

/// Partnerships on a page of the pipeline, as the web page shows them.
const PAGE: i64 = 25;

/// Every figure on the network as built so far.
async fn measure_stage(
    app: &App,
    base: &str,
    stage: &Stage<'_>,
    sites_each: u32,
    runs: u32,
) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    let op = Caller::system("bench");
    let http = reqwest::Client::new();
    let today = Date::of_micros(app.now());
    let network = format!("{} partnerships × {} sites", stage.partnerships, sites_each);
    let regional = format!("a health system of {} sites", stage.sites);
    let mut figure = |what: &'static str, on: &str, (median, min, max), target: Option<f64>| {
        out.push(Figure {
            database: stage.database,
            what,
            on: on.to_string(),
            median_ms: median,
            min_ms: min,
            max_ms: max,
            target_ms: target,
        })
    };

    // The pipeline: page 1 and a page from the middle; the first look at a page computes its
    // plans (the counts of every partnership's sites are on each page).
    let (mfr, mfr_token, mfr_session) = &stage.people[0];
    let middle = (stage.partnerships as i64 / 2) / PAGE * PAGE;
    let page = |offset| cellpath_app::views::Page {
        limit: PAGE,
        offset,
    };
    let cold = Instant::now();
    let pipeline = app
        .onboarding_pipeline(mfr, stage.helixa, today.clone(), page(0))
        .await?;
    let cold = cold.elapsed().as_secs_f64() * 1000.0;
    figure(
        "pipeline page 1, first look (app)",
        &format!("{network}, {} rows on the page", pipeline.rows.len()),
        (cold, cold, cold),
        None,
    );
    for (what, offset) in [
        ("pipeline page 1 (app)", 0),
        ("pipeline middle page (app)", middle),
    ] {
        let t = time(runs, |_| async {
            app.onboarding_pipeline(mfr, stage.helixa, today.clone(), page(offset))
                .await?;
            Ok(())
        })
        .await?;
        figure(what, &network, t, Some(100.0));
    }
    for (what, path, auth) in [
        (
            "pipeline page 1 (API)",
            format!("/api/v1/onboarding?limit={PAGE}"),
            ("token", mfr_token.as_str()),
        ),
        (
            "pipeline middle page (API)",
            format!("/api/v1/onboarding?limit={PAGE}&offset={middle}"),
            ("token", mfr_token.as_str()),
        ),
        (
            "pipeline page 1 (page)",
            "/onboarding".to_string(),
            ("session", mfr_session.as_str()),
        ),
        (
            "pipeline middle page (page)",
            format!("/onboarding?offset={middle}"),
            ("session", mfr_session.as_str()),
        ),
    ] {
        let url = format!("{base}{path}");
        let t = time(runs, |_| async {
            get(&http, &url, auth).await?.bytes().await?;
            Ok(())
        })
        .await?;
        figure(what, &network, t, Some(100.0));
    }

    // One site's gate at the large health system.
    let (hs_admin, _, hs_session) = &stage.people[1];
    let sites = app
        .sites(hs_admin, stage.big, cellpath_app::views::Page::all())
        .await?;
    let site = sites
        .first()
        .ok_or_else(|| anyhow::anyhow!("the health system has sites"))?
        .id
        .clone();
    let t = time(runs, |_| async {
        app.gate(&op, stage.big_p, &site, stage.program, today.clone())
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
        let t = time(runs, |i| {
            let (app, op, msa) = (app.clone(), op.clone(), stage.msa.to_string());
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
    let t = time(runs, |_| async {
        get(&http, &url, ("session", hs_session))
            .await?
            .bytes()
            .await?;
        Ok(())
    })
    .await?;
    figure("home page of its admin (page)", &regional, t, Some(20.0));
    Ok(out)
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
                        format!("{:.2}", f.median_ms),
                        format!("{:.2}", f.min_ms),
                        format!("{:.2}", f.max_ms),
                        f.target_ms.map_or("—".into(), |t| format!("under {t:.0}")),
                    ]
                })
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
