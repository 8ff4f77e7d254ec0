//! `cellpath case bench`: patients' cases at scale, in a throwaway database (SQLite, and
//! PostgreSQL when asked), built and measured through the app's own commands and the API.
//!
//! The build: the demo (for its two manufacturers: Helixa with Vantacel, Northbridge with
//! Corvigen), then one health system of S sites in partnership with each for its program,
//! every site authorized for both the way a real one is — the central, quality and supply
//! agreements executed (covering all sites), a two-tier release-exception protocol signed by
//! both sides, each site's consent version made active, its four recorded deliverables
//! e-signed, its site map signed by both sides, and the gate's review job run — then N
//! patients registered and their cases opened round the sites (one program a round, so every
//! site has cases of both), each taken 0–5 steps forward (varied) by the people of each
//! step's role. The cases are built by several tasks at once; a program's cases are events
//! of its partnership's ledger (and the patients of the health system's): the writes take
//! turns on those locks, only the reads around them overlap.
//!
//! The measures, after a warm-up: journey actions per second — the next step of random cases
//! by the right person — called on the app and sent to the API (`POST
//! /api/v1/cases/{id}/actions` with the person's API token, on a server started here on a
//! local port), with one client and with several (each client its own cases); and p50/p99 of
//! a random case's page (the app's `case` query, `GET /api/v1/cases/{id}`, the web page
//! `/cases/{id}`) and of a random site's case list (`cases_of_site`,
//! `GET /api/v1/sites/{id}/cases`, `/sites/{id}/cases`), and of the inbox (`inbox`,
//! `GET /api/v1/inbox`, `/inbox`: every step open to coordinators across all the sites and
//! both programs, a page of 50) and its count in the navigation, all as the health system's
//! coordinator; and the inbox page again while the cases move (a case's next step taken,
//! untimed, before each load).

use super::bench::percentile;
use super::onboarding_bench::{
    LocalServer, PASSWORD, add_sites, execute_agreement, health_system, partnership_for,
    sign_site_map,
};
use super::print_json;
use anyhow::Context;
use cellpath_app::access::Via;
use cellpath_app::bench::ScratchDb;
use cellpath_app::cases::{NewCase, NewPatient};
use cellpath_app::contracting::DeliverableInput;
use cellpath_app::demo::drive::{Labels, People, Planned, plan_next};
use cellpath_app::records::users::UserInput;
use cellpath_app::views::Page;
use cellpath_app::{App, Caller, SystemClock};
use cellpath_domain::Role;
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod network;
use network::{Network, Rng, build_cases, network, user_id};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Sites of the health system, each authorized for Vantacel.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=2_000))]
    sites: u32,
    /// Cases opened over the sites, each taken 0–5 steps forward.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
    cases: u32,
    /// Tasks building the network and the cases at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    builders: u32,
    /// Journey actions timed in each configuration (app or API, one client or several).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    actions: u32,
    /// Clients acting at once in the configuration with several.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(2..=256))]
    clients: u32,
    /// Timed loads of each page (a random case, a random site's list) after one warm-up.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    runs: u32,
    /// Seed of the random choices (steps taken at build, cases acted on, pages loaded).
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// A PostgreSQL server to measure too (a throwaway database is created on it and dropped).
    #[arg(long, env = "CELLPATH_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Keep the PostgreSQL database after the run, and print its URL (to read its plans).
    #[arg(long)]
    keep: bool,
}

/// Everything measured on one database.
#[derive(Serialize)]
struct Report {
    database: &'static str,
    sites: u32,
    cases: u32,
    build: Build,
    /// Journey actions: app and API, one client and several.
    actions: Vec<Throughput>,
    /// Page loads: the case and the site's case list, through app, API and web page.
    pages: Vec<Latency>,
}

#[derive(Serialize)]
struct Build {
    /// The demo, the health system, its sites, people, partnership, agreements, protocol,
    /// consent versions, deliverables and signed site maps, and the gate's review run.
    network_seconds: f64,
    /// The patients registered, their cases opened and taken forward.
    cases_seconds: f64,
    total_seconds: f64,
    /// Tasks building at once.
    builders: u32,
    /// Journey actions taken while building (the steps forward and the actions before them).
    actions: u64,
    /// Writes while building the cases (registrations, openings, actions) per second.
    writes_per_second: f64,
    /// Sites the gate authorized for every program (Vantacel and Corvigen).
    authorized_sites: usize,
    /// One case opened (`open_case`, the gate judged for its site), while building.
    open_p50_ms: f64,
    open_p99_ms: f64,
}

#[derive(Serialize)]
struct Throughput {
    /// `app` (the command called on the app) or `api` (sent over HTTP).
    path: &'static str,
    clients: u32,
    actions: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Serialize)]
struct Latency {
    /// `case`, `site case list`, `inbox`, `inbox count` or `inbox, cases moving`.
    what: &'static str,
    /// `app`, `api` or `page`.
    path: &'static str,
    runs: u32,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Latency {
    /// The percentiles of the timings `lat`.
    fn of(what: &'static str, path: &'static str, mut lat: Vec<Duration>) -> Latency {
        lat.sort();
        Latency {
            what,
            path,
            runs: lat.len() as u32,
            p50_ms: percentile(&lat, 0.5),
            p99_ms: percentile(&lat, 0.99),
            max_ms: lat.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// One case's next step, planned: the case and the actions in order.
struct Job {
    case: String,
    actions: Vec<Planned>,
}

/// Random cases of `pool` (indices into `ids`), each with its next step planned, until `want`
/// actions are planned; a case with nothing left to do leaves the pool.
async fn plan_jobs(
    app: &App,
    net: &Network,
    ids: &[String],
    pool: &mut Vec<usize>,
    rng: &mut Rng,
    want: usize,
) -> anyhow::Result<Vec<Job>> {
    rng.shuffle(pool);
    let (mut jobs, mut planned, mut i) = (Vec::new(), 0, 0);
    while planned < want && i < pool.len() {
        let k = pool[i];
        let track = net.track_of(k);
        match plan_next(app, &track.people, &ids[k], &track.labels(k), &[], None).await? {
            Some(step) => {
                planned += step.actions.len();
                jobs.push(Job {
                    case: ids[k].clone(),
                    actions: step.actions,
                });
                i += 1;
            }
            None => {
                pool.swap_remove(i);
            }
        }
    }
    Ok(jobs)
}

/// The jobs dealt to `clients` clients, each doing its own in turn with `act`: the actions
/// done, the wall time and each action's latency, sorted.
async fn run_jobs<F, Fut>(
    clients: u32,
    jobs: Vec<Job>,
    act: F,
) -> anyhow::Result<(u64, f64, Vec<Duration>)>
where
    F: Fn(String, Planned) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let mut dealt: Vec<Vec<Job>> = (0..clients).map(|_| Vec::new()).collect();
    for (i, job) in jobs.into_iter().enumerate() {
        dealt[i % clients as usize].push(job);
    }
    let started = Instant::now();
    let mut handles = Vec::new();
    for mine in dealt {
        let act = act.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for job in mine {
                for a in job.actions {
                    let t = Instant::now();
                    act(job.case.clone(), a).await?;
                    lat.push(t.elapsed());
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort();
    Ok((all.len() as u64, seconds, all))
}

/// Where the API is and who calls it.
struct Client {
    http: reqwest::Client,
    base: String,
    tokens: Arc<BTreeMap<String, String>>,
    coordinator_token: String,
    session: String,
}

/// Journey actions per second: on the app and through the API, one client and several.
async fn measure_actions(
    app: &App,
    net: &Network,
    client: &Client,
    ids: &[String],
    args: &BenchArgs,
    rng: &mut Rng,
) -> anyhow::Result<Vec<Throughput>> {
    let mut pool: Vec<usize> = (0..ids.len()).collect();
    let mut out = Vec::new();
    let password: Arc<str> = PASSWORD.into();
    for path in ["app", "api"] {
        let act = {
            let (app, http, base, tokens, password) = (
                app.clone(),
                client.http.clone(),
                client.base.clone(),
                client.tokens.clone(),
                password.clone(),
            );
            move |case: String, a: Planned| {
                let (app, http, base, tokens, password) = (
                    app.clone(),
                    http.clone(),
                    base.clone(),
                    tokens.clone(),
                    password.clone(),
                );
                async move {
                    if path == "app" {
                        app.act_on_case(&a.by, &case, a.input, &password, None, None)
                            .await?;
                        return Ok(());
                    }
                    let token = tokens
                        .get(&user_id(&a.by)?)
                        .ok_or_else(|| anyhow::anyhow!("no API token for {}", a.by.name))?;
                    let res = http
                        .post(format!("{base}/api/v1/cases/{case}/actions"))
                        .bearer_auth(token)
                        .json(&serde_json::json!({ "action": a.input, "password": &*password }))
                        .send()
                        .await?;
                    anyhow::ensure!(
                        res.status().as_u16() == 200,
                        "POST /api/v1/cases/{case}/actions: HTTP {}: {}",
                        res.status(),
                        res.text().await.unwrap_or_default()
                    );
                    Ok(())
                }
            }
        };
        // The warm-up: connections opened, maps and plans cached, pages of the database read.
        let warm = (args.actions as usize / 10).max(args.clients as usize);
        let jobs = plan_jobs(app, net, ids, &mut pool, rng, warm).await?;
        run_jobs(args.clients, jobs, act.clone()).await?;
        for clients in [1, args.clients] {
            let jobs = plan_jobs(app, net, ids, &mut pool, rng, args.actions as usize).await?;
            let (n, seconds, lat) = run_jobs(clients, jobs, act.clone()).await?;
            out.push(Throughput {
                path,
                clients,
                actions: n,
                seconds,
                per_second: n as f64 / seconds.max(1e-9),
                p50_ms: percentile(&lat, 0.5),
                p99_ms: percentile(&lat, 0.99),
            });
        }
    }
    Ok(out)
}

/// p50, p99 and the slowest of `runs` calls of `f` on random items of `0..items`, after one
/// warm-up call.
async fn latency<F, Fut>(
    what: &'static str,
    path: &'static str,
    runs: u32,
    items: usize,
    rng: &mut Rng,
    f: F,
) -> anyhow::Result<Latency>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f(rng.below(items)).await?;
    let mut lat = Vec::new();
    for _ in 0..runs {
        let k = rng.below(items);
        let t = Instant::now();
        f(k).await?;
        lat.push(t.elapsed());
    }
    Ok(Latency::of(what, path, lat))
}

async fn get(client: &Client, path: &str, token: bool) -> anyhow::Result<()> {
    let req = client.http.get(format!("{}{path}", client.base));
    let req = if token {
        req.bearer_auth(&client.coordinator_token)
    } else {
        req.header("cookie", format!("cellpath_session={}", client.session))
    };
    let res = req.send().await?;
    anyhow::ensure!(
        res.status().is_success(),
        "GET {path}: HTTP {}",
        res.status()
    );
    res.bytes().await?;
    Ok(())
}

/// The case page and the site's case list, as the coordinator loads them.
async fn measure_pages(
    app: &App,
    net: &Network,
    client: &Client,
    ids: &[String],
    runs: u32,
    rng: &mut Rng,
) -> anyhow::Result<Vec<Latency>> {
    let me = &net.coordinator;
    let sites = &net.sites;
    let mut out = vec![
        latency("case", "app", runs, ids.len(), rng, |k| async move {
            app.case(me, &ids[k]).await?;
            Ok(())
        })
        .await?,
    ];
    for (path, token, prefix) in [("api", true, "/api/v1/cases/"), ("page", false, "/cases/")] {
        out.push(
            latency("case", path, runs, ids.len(), rng, |k| async move {
                get(client, &format!("{prefix}{}", ids[k]), token).await
            })
            .await?,
        );
    }
    out.push(
        latency(
            "site case list",
            "app",
            runs,
            sites.len(),
            rng,
            |k| async move {
                app.cases_of_site(me, &sites[k], cellpath_app::views::Page::first(50))
                    .await?;
                Ok(())
            },
        )
        .await?,
    );
    for (path, token, prefix, suffix) in [
        ("api", true, "/api/v1/sites/", "/cases"),
        ("page", false, "/sites/", "/cases"),
    ] {
        out.push(
            latency("site case list", path, runs, sites.len(), rng, |k| async move {
                get(client, &format!("{prefix}{}{suffix}", sites[k]), token).await
            })
            .await?,
        );
    }
    // The coordinator's inbox — every step open to coordinators on the cases of all the
    // sites, most urgent first, a page of 50 — and the count every page's navigation shows.
    out.push(
        latency("inbox", "app", runs, 1, rng, |_| async move {
            app.inbox(me, cellpath_app::views::Page::first(50)).await?;
            Ok(())
        })
        .await?,
    );
    for (path, token, at) in [("api", true, "/api/v1/inbox"), ("page", false, "/inbox")] {
        out.push(
            latency("inbox", path, runs, 1, rng, |_| async move {
                get(client, at, token).await
            })
            .await?,
        );
    }
    out.push(
        latency("inbox count", "app", runs, 1, rng, |_| async move {
            app.inbox_count(me).await?;
            Ok(())
        })
        .await?,
    );
    // The same inbox while the cases move, as on a working day: before each load (untimed)
    // another case takes its next step, so the partnerships' ledgers have moved since the
    // last load (what is judged from their records alone, the gate, still holds).
    out.push(inbox_while_cases_move(app, net, client, ids, runs, rng).await?);
    Ok(out)
}

/// p50/p99 of the coordinator's inbox page (`/inbox`) loaded right after a case action.
async fn inbox_while_cases_move(
    app: &App,
    net: &Network,
    client: &Client,
    ids: &[String],
    runs: u32,
    rng: &mut Rng,
) -> anyhow::Result<Latency> {
    // One step of a different case before each load (the first load is the warm-up; a step
    // is planned on the case as it stands then, so one at a time).
    let mut pool: Vec<usize> = (0..ids.len()).collect();
    let mut lat = Vec::new();
    for run in 0..=runs {
        for job in plan_jobs(app, net, ids, &mut pool, rng, 1).await? {
            for a in job.actions {
                app.act_on_case(&a.by, &job.case, a.input, PASSWORD, None, None)
                    .await?;
            }
        }
        let t = Instant::now();
        get(client, "/inbox", false).await?;
        if run > 0 {
            lat.push(t.elapsed());
        }
    }
    Ok(Latency::of("inbox, cases moving", "page", lat))
}

async fn measure(
    database: &'static str,
    db: &ScratchDb,
    args: &BenchArgs,
) -> anyhow::Result<Report> {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    let mut rng = Rng(args.seed);
    eprintln!(
        "{database}: building a health system of {} sites authorized for Vantacel and Corvigen …",
        args.sites
    );
    let started = Instant::now();
    let net = network(&app, args, database).await?;
    let network_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{database}: network built in {network_seconds:.1} s; {} cases on {} tasks …",
        args.cases, args.builders
    );
    let cases_started = Instant::now();
    let (ids, actions, opening) = build_cases(&app, &net, args, &mut rng, database).await?;
    let cases_seconds = cases_started.elapsed().as_secs_f64();
    let build = Build {
        network_seconds,
        cases_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
        builders: args.builders,
        actions,
        writes_per_second: (2 * ids.len() as u64 + actions) as f64 / cases_seconds.max(1e-9),
        authorized_sites: net.authorized,
        open_p50_ms: percentile(&opening, 0.50),
        open_p99_ms: percentile(&opening, 0.99),
    };
    eprintln!(
        "{database}: {} cases built in {cases_seconds:.1} s ({actions} journey actions); measuring …",
        ids.len()
    );

    let server = LocalServer::start(&app).await?;
    let coordinator_token = net
        .tokens
        .get(&user_id(&net.coordinator)?)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the coordinator has an API token"))?;
    let client = Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.clients as usize)
            .build()?,
        base: server.base.clone(),
        tokens: Arc::new(net.tokens.clone()),
        coordinator_token,
        session: net.session.clone(),
    };
    let throughput = measure_actions(&app, &net, &client, &ids, args, &mut rng).await?;
    let pages = measure_pages(&app, &net, &client, &ids, args.runs, &mut rng).await?;
    server.stop().await?;
    let verified = app.verify_all(&Caller::system("bench")).await?;
    anyhow::ensure!(
        verified.iter().all(|r| r.is_intact()),
        "a ledger failed to verify after the benchmark"
    );
    app.close().await;
    Ok(Report {
        database,
        sites: args.sites,
        cases: args.cases,
        build,
        actions: throughput,
        pages,
    })
}

pub async fn run(json: bool, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    let sqlite = ScratchDb::sqlite().await;
    reports.push(measure("sqlite", &sqlite, &args).await?);
    drop(sqlite);
    if let Some(server) = &args.postgres_url {
        let pg = ScratchDb::postgres_at(server).await;
        reports.push(measure("postgres", &pg, &args).await?);
        if args.keep {
            eprintln!("postgres: the database is kept: {}", pg.url);
            // Not dropped: its drop would drop the database.
            std::mem::forget(pg);
        }
    }
    if json {
        print_json(&reports)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        let b = &r.build;
        println!(
            "{}: {} sites and {} cases built in {:.1} s — the network in {:.1} s, the cases in {:.1} s on {} tasks ({} journey actions; {:.0} writes/s, a partnership's ledger per program; a case opened in {:.2} ms p50, {:.2} ms p99)",
            r.database,
            r.sites,
            r.cases,
            b.total_seconds,
            b.network_seconds,
            b.cases_seconds,
            b.builders,
            b.actions,
            b.writes_per_second,
            b.open_p50_ms,
            b.open_p99_ms
        );
    }
    println!();
    super::print_table(
        &[
            "database",
            "journey actions",
            "clients",
            "actions",
            "per second",
            "p50 ms",
            "p99 ms",
        ],
        reports
            .iter()
            .flat_map(|r| {
                r.actions.iter().map(|t| {
                    vec![
                        r.database.to_string(),
                        if t.path == "app" {
                            "on the app"
                        } else {
                            "through the API"
                        }
                        .to_string(),
                        t.clients.to_string(),
                        t.actions.to_string(),
                        format!("{:.0}", t.per_second),
                        format!("{:.2}", t.p50_ms),
                        format!("{:.2}", t.p99_ms),
                    ]
                })
            })
            .collect(),
    );
    println!();
    super::print_table(
        &[
            "database", "page", "through", "runs", "p50 ms", "p99 ms", "max ms",
        ],
        reports
            .iter()
            .flat_map(|r| {
                r.pages.iter().map(|l| {
                    vec![
                        r.database.to_string(),
                        l.what.to_string(),
                        match l.path {
                            "app" => "the app",
                            "api" => "the API",
                            _ => "the web page",
                        }
                        .to_string(),
                        l.runs.to_string(),
                        format!("{:.2}", l.p50_ms),
                        format!("{:.2}", l.p99_ms),
                        format!("{:.2}", l.max_ms),
                    ]
                })
            })
            .collect(),
    );
    Ok(ExitCode::SUCCESS)
}
