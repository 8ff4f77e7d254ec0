//! `cellpath bench`: audited writes per second and p50/p99 latency — through the HTTP API, the
//! same command called on the app directly (policy, validation, event: all but HTTP), and a bare
//! append through the store — on SQLite and (with --postgres-url) PostgreSQL, with 1 and 8
//! concurrent clients, over 1 ledger and over 8 ledgers. Each write is one command that
//! appends a hash-chained event and projects it (a new site on a health system's ledger),
//! committed durably (SQLite `synchronous=FULL`; PostgreSQL with the server's own settings).

use super::print_json;
use anyhow::Context;
use cellpath_app::bench::ScratchDb as TestDb;
use cellpath_app::records::organizations::OrganizationInput;
use cellpath_app::records::users::UserInput;
use cellpath_app::{App, Caller, SystemClock};
use serde::Serialize;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Seconds each configuration runs.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// A PostgreSQL server to measure too (a throwaway database is created on it and dropped).
    #[arg(long, env = "CELLPATH_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

#[derive(Serialize)]
struct Row {
    database: &'static str,
    path: &'static str,
    clients: usize,
    ledgers: usize,
    writes: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

struct Fixture {
    app: App,
    orgs: Vec<String>,
    tokens: Vec<String>,
    /// The admin of each organization, as the app's commands see them.
    callers: Vec<Caller>,
}

async fn fixture(url: &str) -> anyhow::Result<Fixture> {
    let app = App::open(url, Arc::new(SystemClock)).await?;
    let op = Caller::system("bench");
    let mut orgs = Vec::new();
    let mut tokens = Vec::new();
    let mut callers = Vec::new();
    for i in 0..8 {
        let org = app
            .create_organization(
                &op,
                OrganizationInput {
                    kind: "health_system".into(),
                    name: format!("Bench Health {i}"),
                },
                None,
            )
            .await?
            .fresh()?;
        let user = app
            .create_user(
                &op,
                &org.id,
                UserInput {
                    email: format!("admin{i}@bench.example"),
                    name: format!("Bench Admin {i}"),
                    role: "admin".into(),
                    password: "bench-password-1234".into(),
                },
                None,
            )
            .await?
            .fresh()?;
        let caller = app
            .caller_for_user(&user.id, cellpath_app::access::Via::Session)
            .await?;
        tokens.push(
            app.create_api_token(&caller, "bench", None)
                .await?
                .fresh()?
                .token,
        );
        orgs.push(org.id);
        callers.push(caller);
    }
    Ok(Fixture {
        app,
        orgs,
        tokens,
        callers,
    })
}

/// The `p` quantile of sorted latencies, in milliseconds (0 for none).
pub(super) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn site_body() -> serde_json::Value {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    serde_json::json!({ "name": format!("Bench Site {n}"), "code": format!("B{n}"), "city": "Springfield", "region": "IL" })
}

async fn run_clients<F, Fut>(
    clients: usize,
    seconds: f64,
    op: F,
) -> anyhow::Result<(u64, Vec<Duration>)>
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for c in 0..clients {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                op(c).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    all.sort();
    Ok((all.len() as u64, all))
}

async fn measure(
    database: &'static str,
    url: &str,
    seconds: f64,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let f = fixture(url)
        .await
        .with_context(|| format!("preparing the {database} fixture"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cellpath_server::serve(
        f.app.clone(),
        listener,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;

    for &clients in &[1usize, 8] {
        for &ledgers in &[1usize, 8] {
            // Direct: the same append and projection through the store, no HTTP.
            let app = f.app.clone();
            let orgs = f.orgs.clone();
            let (n, lat) = run_clients(clients, seconds, move |c| {
                let app = app.clone();
                let org = orgs[c % ledgers].clone();
                async move {
                    let mut body = site_body();
                    body["org_id"] = org.clone().into();
                    body["active"] = true.into();
                    let payload =
                        serde_json::json!({ "id": cellpath_app::ids::new_id("site"), "new": body });
                    app.bench_bare_append(&org, "site.created", payload).await?;
                    Ok(())
                }
            })
            .await?;
            rows.push(Row {
                database,
                path: "store",
                clients,
                ledgers,
                writes: n,
                per_second: n as f64 / seconds,
                p50_ms: percentile(&lat, 0.5),
                p99_ms: percentile(&lat, 0.99),
            });

            // The same command as the API's, called on the app: policy, validation, event.
            let (app, orgs, callers) = (f.app.clone(), f.orgs.clone(), f.callers.clone());
            let (n, lat) = run_clients(clients, seconds, move |c| {
                let (app, org, caller) = (
                    app.clone(),
                    orgs[c % ledgers].clone(),
                    callers[c % ledgers].clone(),
                );
                async move {
                    let input: cellpath_app::records::sites::SiteInput =
                        serde_json::from_value(site_body())?;
                    app.create_site(&caller, &org, input, None).await?.fresh()?;
                    Ok(())
                }
            })
            .await?;
            rows.push(Row {
                database,
                path: "app",
                clients,
                ledgers,
                writes: n,
                per_second: n as f64 / seconds,
                p50_ms: percentile(&lat, 0.5),
                p99_ms: percentile(&lat, 0.99),
            });

            // Through the HTTP API, with a token and the full command path.
            let (http2, base2, orgs, tokens) =
                (http.clone(), base.clone(), f.orgs.clone(), f.tokens.clone());
            let (n, lat) = run_clients(clients, seconds, move |c| {
                let (http, url, token) = (
                    http2.clone(),
                    format!("{base2}/api/v1/organizations/{}/sites", orgs[c % ledgers]),
                    tokens[c % ledgers].clone(),
                );
                async move {
                    let res = http
                        .post(url)
                        .bearer_auth(token)
                        .json(&site_body())
                        .send()
                        .await?;
                    anyhow::ensure!(
                        res.status().as_u16() == 201,
                        "HTTP {}: {}",
                        res.status(),
                        res.text().await.unwrap_or_default()
                    );
                    Ok(())
                }
            })
            .await?;
            rows.push(Row {
                database,
                path: "http",
                clients,
                ledgers,
                writes: n,
                per_second: n as f64 / seconds,
                p50_ms: percentile(&lat, 0.5),
                p99_ms: percentile(&lat, 0.99),
            });
        }
    }
    let _ = stop_tx.send(());
    server.await??;
    let verified = f.app.verify_all(&Caller::system("bench")).await?;
    anyhow::ensure!(
        verified.iter().all(|r| r.is_intact()),
        "a ledger failed to verify after the benchmark"
    );
    f.app.close().await;
    Ok(())
}

pub async fn run(_url: &str, json: bool, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    let sqlite = TestDb::sqlite().await;
    eprintln!("measuring SQLite ({} s per configuration) …", args.seconds);
    measure("sqlite", &sqlite.url, args.seconds, &mut rows).await?;
    if let Some(server) = &args.postgres_url {
        let pg = TestDb::postgres_at(server).await;
        eprintln!("measuring PostgreSQL …");
        measure("postgres", &pg.url, args.seconds, &mut rows).await?;
    }
    if json {
        print_json(&rows)?;
    } else {
        super::print_table(
            &[
                "database",
                "clients",
                "ledgers",
                "store/s",
                "app/s",
                "http/s",
                "http÷app",
                "http÷store",
                "http p50 ms",
                "http p99 ms",
                "app p50 ms",
                "store p50 ms",
            ],
            rows.chunks(3)
                .map(|trio| {
                    let (d, a, h) = (&trio[0], &trio[1], &trio[2]);
                    vec![
                        d.database.to_string(),
                        d.clients.to_string(),
                        d.ledgers.to_string(),
                        format!("{:.0}", d.per_second),
                        format!("{:.0}", a.per_second),
                        format!("{:.0}", h.per_second),
                        format!("{:.2}", h.per_second / a.per_second.max(1e-9)),
                        format!("{:.2}", h.per_second / d.per_second.max(1e-9)),
                        format!("{:.2}", h.p50_ms),
                        format!("{:.2}", h.p99_ms),
                        format!("{:.2}", a.p50_ms),
                        format!("{:.2}", d.p50_ms),
                    ]
                })
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
