//! `cellpath program booking-bench`: booking requests per second over the API with several
//! clients at once (issue 12's benchmark), in a throwaway database (SQLite, and PostgreSQL
//! when asked). The build: the demo, Vantacel's capacity (100 slots of each kind a day), and
//! one new case per client at LUH-MAIN. Each client then loops on its own case through the
//! server started here: the site asks for an apheresis day (`POST /api/v1/cases/{id}/bookings`,
//! the measured request), patient operations confirm the whole chain (`…/confirmation`), and
//! the site cancels it (`…/cancellation`, freeing both slots) — every client asks for the same
//! day, so the confirmations contend for the same slots.

use super::bench::percentile;
use super::onboarding_bench::LocalServer;
use super::print_json;
use anyhow::Context;
use cellpath_app::access::Via;
use cellpath_app::bench::ScratchDb;
use cellpath_app::cases::{NewCase, NewPatient};
use cellpath_app::views::Page;
use cellpath_app::{App, Caller, SystemClock};
use cellpath_domain::capacity::Capacity;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BookingBenchArgs {
    /// Clients asking at once, each on its own case.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    clients: u32,
    /// Booking requests each client sends (each confirmed and cancelled after it).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    requests: u32,
    /// A PostgreSQL server to measure too (a throwaway database is created on it and dropped).
    #[arg(long, env = "CELLPATH_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

#[derive(Serialize)]
struct Report {
    database: &'static str,
    clients: u32,
    requests: usize,
    seconds: f64,
    /// Booking requests answered 201 per second, while the same clients also confirm and
    /// cancel (three writes a cycle).
    requests_per_second: f64,
    request_p50_ms: f64,
    request_p99_ms: f64,
    confirm_p50_ms: f64,
    confirm_p99_ms: f64,
    /// Confirmations answered 409 (every try lost the day's slots to another) and sent again.
    confirm_retries: usize,
}

async fn caller(app: &App, org_id: &str, email: &str) -> anyhow::Result<Caller> {
    let user = app
        .users(&Caller::system("bench"), org_id, Page::all())
        .await?
        .into_iter()
        .find(|u| u.email == email)
        .with_context(|| format!("the demo's {email}"))?;
    Ok(app.caller_for_user(&user.id, Via::Session).await?)
}

async fn token(app: &App, who: &Caller) -> anyhow::Result<String> {
    Ok(app
        .create_api_token(who, "booking bench", None)
        .await?
        .fresh()?
        .token)
}

async fn measure(
    database: &'static str,
    db: &ScratchDb,
    args: &BookingBenchArgs,
) -> anyhow::Result<Report> {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    cellpath_app::demo::seed(&app).await?;
    let system = Caller::system("bench");
    let helixa = super::find_org(&app, "Helixa Therapeutics").await?.id;
    let lakeshore = super::find_org(&app, "Lakeshore University Health")
        .await?
        .id;
    let program = super::find_program_id(&app, &helixa, "Vantacel").await?;
    let main = super::find_site_id(&app, &lakeshore, "LUH-MAIN").await?;
    let coordinator = caller(&app, &lakeshore, "coordinator@lakeshore.example").await?;
    let ops = caller(&app, &helixa, "patient.ops@helixa.example").await?;
    let capacity: Capacity = serde_json::from_value(json!({
        "apheresis_slots_per_day": 100, "manufacturing_slots_per_day": 100,
        "lead": { "to_start_min_days": 3, "to_start_max_days": 5, "manufacturing_days": 14,
                  "transit_days": 2, "arrival_to_infusion_days": 3 }
    }))?;
    app.set_program_capacity(&system, &program, capacity, None, None)
        .await?;
    let partnership = app
        .partnerships(&system, &helixa, Page::all())
        .await?
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .context("the Helixa × Lakeshore partnership")?
        .id;
    let mut cases = Vec::new();
    for i in 0..args.clients {
        let patient = app
            .register_patient(
                &coordinator,
                NewPatient {
                    site_id: main.clone(),
                    name: format!("Bench Patient {i}"),
                    date_of_birth: "1961-04-12".into(),
                    mrn: format!("BENCH-{i:06}"),
                },
                None,
            )
            .await?
            .fresh()?;
        let case = app
            .open_case(
                &coordinator,
                NewCase {
                    partnership_id: partnership.clone(),
                    site_id: main.clone(),
                    program_id: program.clone(),
                    patient_id: patient.patient_id,
                },
                None,
            )
            .await?
            .fresh()?;
        cases.push(case.id);
    }
    let site_token = token(&app, &coordinator).await?;
    let ops_token = token(&app, &ops).await?;
    let day = cellpath_domain::Date::of_micros(app.now()).plus_days(30);
    let server = LocalServer::start(&app).await?;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for case in cases {
        let (http, base, site_token, ops_token, day) = (
            http.clone(),
            server.base.clone(),
            site_token.clone(),
            ops_token.clone(),
            day.clone(),
        );
        let n = args.requests;
        clients.spawn(async move {
            let mut asked = Vec::new();
            let mut confirmed = Vec::new();
            let mut retries = 0usize;
            for _ in 0..n {
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/api/v1/cases/{case}/bookings"))
                    .bearer_auth(&site_token)
                    .json(&json!({ "asked_on": day.as_str() }))
                    .send()
                    .await?;
                anyhow::ensure!(
                    res.status().as_u16() == 201,
                    "a request answered {}: {}",
                    res.status(),
                    res.text().await?
                );
                asked.push(t.elapsed());
                let booking: serde_json::Value = res.json().await?;
                let id = booking["id"]
                    .as_str()
                    .context("the booking's id")?
                    .to_string();
                // A confirmation that lost every race for the day's slots (409) is sent again,
                // as a client would; its time counts from the first try.
                let t = Instant::now();
                loop {
                    let res = http
                        .post(format!("{base}/api/v1/bookings/{id}/confirmation"))
                        .bearer_auth(&ops_token)
                        .send()
                        .await?;
                    if res.status().as_u16() == 409 {
                        retries += 1;
                        continue;
                    }
                    anyhow::ensure!(
                        res.status().is_success(),
                        "a confirmation answered {}: {}",
                        res.status(),
                        res.text().await?
                    );
                    break;
                }
                confirmed.push(t.elapsed());
                let res = http
                    .post(format!("{base}/api/v1/bookings/{id}/cancellation"))
                    .bearer_auth(&site_token)
                    .json(&json!({ "reason": "benchmark" }))
                    .send()
                    .await?;
                anyhow::ensure!(
                    res.status().is_success(),
                    "a cancellation answered {}",
                    res.status()
                );
            }
            Ok::<_, anyhow::Error>((asked, confirmed, retries))
        });
    }
    let mut asked: Vec<Duration> = Vec::new();
    let mut confirmed: Vec<Duration> = Vec::new();
    let mut retries = 0;
    for r in clients.join_all().await {
        let (a, c, n) = r?;
        asked.extend(a);
        confirmed.extend(c);
        retries += n;
    }
    let seconds = started.elapsed().as_secs_f64();
    server.stop().await?;
    app.close().await;
    asked.sort();
    confirmed.sort();
    Ok(Report {
        database,
        clients: args.clients,
        requests: asked.len(),
        seconds,
        requests_per_second: asked.len() as f64 / seconds,
        request_p50_ms: percentile(&asked, 0.50),
        request_p99_ms: percentile(&asked, 0.99),
        confirm_p50_ms: percentile(&confirmed, 0.50),
        confirm_p99_ms: percentile(&confirmed, 0.99),
        confirm_retries: retries,
    })
}

pub async fn run(json: bool, args: BookingBenchArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    let sqlite = ScratchDb::sqlite().await;
    reports.push(measure("sqlite", &sqlite, &args).await?);
    drop(sqlite);
    if let Some(server) = &args.postgres_url {
        let pg = ScratchDb::postgres_at(server).await;
        reports.push(measure("postgres", &pg, &args).await?);
    }
    if json {
        print_json(&reports)?;
        return Ok(ExitCode::SUCCESS);
    }
    super::print_table(
        &[
            "database",
            "clients",
            "requests",
            "requests/s",
            "request p50 ms",
            "request p99 ms",
            "confirm p50 ms",
            "confirm p99 ms",
            "confirm retries",
        ],
        reports
            .iter()
            .map(|r| {
                vec![
                    r.database.to_string(),
                    r.clients.to_string(),
                    r.requests.to_string(),
                    format!("{:.0}", r.requests_per_second),
                    format!("{:.2}", r.request_p50_ms),
                    format!("{:.2}", r.request_p99_ms),
                    format!("{:.2}", r.confirm_p50_ms),
                    format!("{:.2}", r.confirm_p99_ms),
                    r.confirm_retries.to_string(),
                ]
            })
            .collect(),
    );
    println!(
        "(each client also confirms and cancels every booking it asks for: three writes a cycle)"
    );
    Ok(ExitCode::SUCCESS)
}
