//! `cellpath case bench`: patients' cases at scale, in a throwaway database (SQLite, and
//! PostgreSQL when asked), built and measured through the app's own commands and the API.
//!
//! The build: the demo (for Helixa and its Vantacel program), then one health system of S
//! sites in partnership with Helixa for Vantacel, every site authorized the way a real one is
//! — the central, quality and supply agreements executed (covering all sites), each site's
//! five recorded deliverables e-signed, its Vantacel site map signed by both sides, and the
//! gate's review job run — then N patients registered and their cases opened over the sites,
//! each taken 0–5 steps forward (varied) by the people of each step's role. The cases are
//! built by several tasks at once; all of them are cases of the one partnership, so their
//! events go to one ledger (and the patients to the health system's): the writes take turns
//! on its lock, only the reads around them overlap.
//!
//! The measures, after a warm-up: journey actions per second — the next step of random cases
//! by the right person — called on the app and sent to the API (`POST
//! /api/v1/cases/{id}/actions` with the person's API token, on a server started here on a
//! local port), with one client and with several (each client its own cases); and p50/p99 of
//! a random case's page (the app's `case` query, `GET /api/v1/cases/{id}`, the web page
//! `/cases/{id}`) and of a random site's case list (`cases_of_site`,
//! `GET /api/v1/sites/{id}/cases`, `/sites/{id}/cases`), and of the inbox (`inbox`,
//! `GET /api/v1/inbox`, `/inbox`: every step open to coordinators across all the sites, a
//! page of 50) and its count in the navigation, all as the health system's coordinator.

use super::bench::percentile;
use super::onboarding_bench::{
    LocalServer, PASSWORD, add_sites, execute_agreement, health_system, partnership, sign_site_map,
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
    /// The demo, the health system, its sites, people, partnership, agreements, deliverables
    /// and signed site maps, and the gate's review run.
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
    /// Sites the gate authorized for Vantacel.
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
    /// `case`, `site case list`, `inbox` or `inbox count`.
    what: &'static str,
    /// `app`, `api` or `page`.
    path: &'static str,
    runs: u32,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// A small deterministic generator (splitmix64): the same seed picks the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// A person of the bench: how the app knows them, their API token and e-mail.
struct Person {
    caller: Caller,
    token: String,
    email: String,
}

/// The network the cases run in.
struct Network {
    partnership: String,
    program: String,
    sites: Vec<String>,
    people: Arc<People>,
    /// API tokens by user id.
    tokens: BTreeMap<String, String>,
    /// The coordinator's web session.
    session: String,
    authorized: usize,
}

async fn person(
    app: &App,
    org: &str,
    email: &str,
    name: &str,
    role: Role,
) -> anyhow::Result<Person> {
    let op = Caller::system("bench");
    let user = app
        .create_user(
            &op,
            org,
            UserInput {
                email: email.into(),
                name: name.into(),
                role: role.as_str().into(),
                password: PASSWORD.into(),
            },
            None,
        )
        .await?
        .fresh()?;
    let caller = app.caller_for_user(&user.id, Via::Session).await?;
    let token = app
        .create_api_token(&caller, "bench", None)
        .await?
        .fresh()?
        .token;
    Ok(Person {
        caller,
        token,
        email: email.into(),
    })
}

/// Run `work(k)` for every k in `0..n` on `tasks` tasks at once (task t takes k ≡ t).
async fn in_tasks<F, Fut>(tasks: u32, n: usize, work: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let tasks = (tasks as usize).max(1);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let work = work.clone();
        handles.push(tokio::spawn(async move {
            for k in (t..n).step_by(tasks) {
                work(k).await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok(())
}

/// The demo, then the health system of `sites` sites authorized for Vantacel, and its people.
async fn network(app: &App, args: &BenchArgs, database: &str) -> anyhow::Result<Network> {
    let op = Caller::system("bench");
    cellpath_app::demo::seed(app)
        .await
        .context("seeding the demo")?;
    let helixa = super::find_org(app, "Helixa Therapeutics").await?.id;
    let program = super::find_program_id(app, &helixa, "Vantacel").await?;
    let hs = health_system(app, "Bench Regional Health").await?;
    add_sites(app, &hs, "Bench Regional", "BRH", 0..args.sites).await?;
    let sites: Vec<String> = app
        .sites(&op, &hs, Page::all())
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();

    // The people: every role a Vantacel case needs at the health system (two nurses, for the
    // bedside's four eyes), Helixa's patient operations, quality and onboarding.
    use Role::*;
    let mut health_system: BTreeMap<Role, Vec<Caller>> = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    let mut coordinator_email = String::new();
    let staff = [
        (Coordinator, "coordinator"),
        (Physician, "physician"),
        (Nurse, "nurse"),
        (Nurse, "nurse.nights"),
        (CellLab, "cell.lab"),
        (Apheresis, "apheresis"),
        (Pharmacy, "pharmacy"),
        (DataManager, "data.manager"),
        (Finance, "finance"),
        (Contracts, "contracts"),
    ];
    for (role, local) in staff {
        let p = person(
            app,
            &hs,
            &format!("{local}@regional.example"),
            &format!("Bench {}", local.replace('.', " ")),
            role,
        )
        .await?;
        if role == Coordinator {
            coordinator_email = p.email.clone();
        }
        tokens.insert(user_id(&p.caller)?, p.token);
        health_system.entry(role).or_default().push(p.caller);
    }
    let mut manufacturer = BTreeMap::new();
    for (role, local) in [
        (PatientOps, "patient.ops"),
        (Quality, "quality"),
        (Onboarding, "onboarding"),
    ] {
        let p = person(
            app,
            &helixa,
            &format!("bench-{local}@helixa.example"),
            &format!("Bench Helixa {}", local.replace('.', " ")),
            role,
        )
        .await?;
        tokens.insert(user_id(&p.caller)?, p.token);
        manufacturer.insert(role, p.caller);
    }
    let contracts = health_system[&Contracts][0].clone();
    let pharmacy = health_system[&Pharmacy][0].clone();
    let quality = manufacturer[&Quality].clone();
    let onboarding = manufacturer[&Onboarding].clone();

    // The central agreements executed, and the quality and supply agreements too, at
    // health-system scope covering all sites (they count at either scope).
    let (partnership, _) =
        partnership(app, &helixa, &hs, "Helixa × Bench Regional Health", true).await?;
    for kind in ["quality_agreement", "supply_agreement"] {
        execute_agreement(app, &partnership, kind).await?;
    }

    // Each site's deliverables, e-signed by the side that records them, and its site map
    // started by the pharmacy and signed by both sides: a site at a time on each task.
    eprintln!(
        "{database}: {} sites: recording their deliverables and signing their site maps …",
        sites.len()
    );
    let shared = Arc::new((
        app.clone(),
        partnership.clone(),
        program.clone(),
        sites.clone(),
        [contracts, onboarding, pharmacy, quality],
    ));
    in_tasks(args.builders, sites.len(), move |k| {
        let shared = shared.clone();
        async move {
            let (app, partnership, program, sites, [contracts, onboarding, pharmacy, quality]) =
                &*shared;
            let site = &sites[k];
            // The consent item rests on the site's active consent version (a form with its
            // manufacturing-failure section), not on a record by hand.
            let text = "If your cells cannot be made into Vantacel, or the product does not meet its release specification, your care team will tell you and discuss a second collection or other treatment.";
            let uploaded = app
                .upload(
                    contracts,
                    "Vantacel informed consent.txt",
                    format!("Informed consent\n\n{text}\n{site}").as_bytes(),
                )
                .await?;
            let version = app
                .create_consent_version(
                    contracts,
                    site,
                    cellpath_app::consent::NewConsentVersion {
                        program_id: program.clone(),
                        document_sha256: uploaded.sha256,
                        document_name: uploaded.name,
                        effective_on: "2026-01-20".into(),
                        sections: vec![cellpath_app::consent::SectionInput {
                            kind: "manufacturing_failure".into(),
                            heading: "If your cells cannot be made into Vantacel".into(),
                            text: text.into(),
                        }],
                    },
                    None,
                )
                .await?
                .fresh()?;
            app.activate_consent_version(
                contracts,
                &version.id,
                Some(version.version),
                PASSWORD,
                None,
            )
                .await?
                .fresh()?;
            for (who, deliverable, evidence) in [
                (
                    contracts,
                    "release_exception_protocol",
                    "Out-of-specification release protocol agreed with Helixa quality.",
                ),
                (
                    onboarding,
                    "site_qualification_audit",
                    "Site qualification audit passed.",
                ),
                (
                    contracts,
                    "staff_training",
                    "Cell lab, unit and apheresis staff trained; roster on file.",
                ),
                (
                    contracts,
                    "mock_shipment",
                    "Mock shipment received, stored and thawed within the window.",
                ),
                (
                    contracts,
                    "pharmacy_and_therapeutics",
                    "Vantacel added to the formulary.",
                ),
            ] {
                app.record_deliverable(
                    who,
                    partnership,
                    DeliverableInput {
                        site_id: site.clone(),
                        program_id: program.clone(),
                        deliverable: deliverable.into(),
                        done_on: "2026-01-20".into(),
                        evidence: evidence.into(),
                    },
                    PASSWORD,
                    None,
                )
                .await?
                .fresh()?;
            }
            sign_site_map(app, [pharmacy, quality], partnership, site, program).await?;
            Ok(())
        }
    })
    .await?;
    // The gate's review the deliverables and signatures enqueued, as the server's worker runs it.
    app.run_due_jobs().await?;
    let today = cellpath_domain::Date::of_micros(app.now());
    let mut authorized = 0;
    for site in &sites {
        if app
            .gate(&op, &partnership, site, &program, today.clone())
            .await?
            .authorized
        {
            authorized += 1;
        }
    }
    anyhow::ensure!(
        authorized == sites.len(),
        "only {authorized} of {} sites are authorized for Vantacel after the gate's review",
        sites.len()
    );
    let people = Arc::new(People::new(health_system, manufacturer, PASSWORD)?);
    let session = app
        .login(&coordinator_email, PASSWORD, None)
        .await?
        .cookie_value;
    Ok(Network {
        partnership,
        program,
        sites,
        people,
        tokens,
        session,
        authorized,
    })
}

fn user_id(c: &Caller) -> anyhow::Result<String> {
    c.principal
        .as_ref()
        .map(|p| p.user_id.clone())
        .ok_or_else(|| anyhow::anyhow!("a bench person is a user"))
}

const FIRST: &[&str] = &[
    "Ada", "Bram", "Celia", "Dario", "Elin", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira",
    "Lars", "Mira", "Nils", "Olga", "Pavel", "Rhea", "Soren", "Tess", "Umberto", "Vera", "Wim",
    "Yara", "Zeno",
];
const LAST: &[&str] = &[
    "Abbot", "Brandt", "Castell", "Dunmore", "Eriksen", "Falk", "Greaves", "Holm", "Ivers",
    "Jansen", "Kowal", "Lund", "Marlow", "Norberg", "Ostrom", "Pryce", "Quist", "Rowe", "Strand",
    "Thorne", "Ulrich", "Voss", "Wendt", "Yates",
];

/// The labels of the bench's case `i` (numbered past the demo's).
fn labels(i: usize) -> Labels {
    Labels::numbered(1_000 + i)
}

/// The patients registered and their cases opened over the sites, each taken `steps[i]` steps
/// forward; the cases' ids and the journey actions taken.
async fn build_cases(
    app: &App,
    net: &Network,
    args: &BenchArgs,
    rng: &mut Rng,
    database: &'static str,
) -> anyhow::Result<(Vec<String>, u64, Vec<std::time::Duration>)> {
    let n = args.cases as usize;
    let opening = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let steps: Arc<Vec<usize>> = Arc::new((0..n).map(|_| rng.below(6)).collect());
    let ids = Arc::new(std::sync::Mutex::new(vec![String::new(); n]));
    let actions = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let ctx = Arc::new((
        app.clone(),
        net.people.clone(),
        net.partnership.clone(),
        net.program.clone(),
        net.sites.clone(),
    ));
    {
        let (ids, actions, done, steps, opening) = (
            ids.clone(),
            actions.clone(),
            done.clone(),
            steps,
            opening.clone(),
        );
        in_tasks(args.builders, n, move |i| {
            let (ctx, ids, actions, done, steps, opening) = (
                ctx.clone(),
                ids.clone(),
                actions.clone(),
                done.clone(),
                steps.clone(),
                opening.clone(),
            );
            async move {
                let (app, people, partnership, program, sites) = &*ctx;
                let site = &sites[i % sites.len()];
                let name = format!(
                    "{} {}",
                    FIRST[i % FIRST.len()],
                    LAST[(i / FIRST.len()) % LAST.len()]
                );
                let born = format!("{}-{:02}-{:02}", 1945 + i % 40, 1 + i % 12, 1 + i % 28);
                let patient = app
                    .register_patient(
                        &people.coordinator,
                        NewPatient {
                            site_id: site.clone(),
                            name,
                            date_of_birth: born,
                            mrn: format!("BRH-{i:08}"),
                        },
                        None,
                    )
                    .await?
                    .fresh()?;
                let opened = Instant::now();
                let case = app
                    .open_case(
                        &people.coordinator,
                        NewCase {
                            partnership_id: partnership.clone(),
                            site_id: site.clone(),
                            program_id: program.clone(),
                            patient_id: patient.patient_id,
                        },
                        None,
                    )
                    .await?
                    .fresh()?;
                opening
                    .lock()
                    .expect("no task panics holding the timings")
                    .push(opened.elapsed());
                let labels = labels(i);
                for _ in 0..steps[i] {
                    let Some(step) = plan_next(app, people, &case.id, &labels, &[], None).await?
                    else {
                        break;
                    };
                    for a in step.actions {
                        app.act_on_case(&a.by, &case.id, a.input, people.password(), None, None)
                            .await?;
                        actions.fetch_add(1, Ordering::Relaxed);
                    }
                }
                ids.lock().expect("no task panics holding the ids")[i] = case.id;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 1_000 == 0 || d == n {
                    eprintln!(
                        "{database}: {d} cases built after {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
                Ok(())
            }
        })
        .await?;
    }
    let ids = std::mem::take(&mut *ids.lock().expect("the build is over"));
    let mut opening = std::mem::take(&mut *opening.lock().expect("the build is over"));
    opening.sort();
    Ok((ids, actions.load(Ordering::Relaxed), opening))
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
    people: &People,
    ids: &[String],
    pool: &mut Vec<usize>,
    rng: &mut Rng,
    want: usize,
) -> anyhow::Result<Vec<Job>> {
    rng.shuffle(pool);
    let (mut jobs, mut planned, mut i) = (Vec::new(), 0, 0);
    while planned < want && i < pool.len() {
        let k = pool[i];
        match plan_next(app, people, &ids[k], &labels(k), &[], None).await? {
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
    let password: Arc<str> = net.people.password().into();
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
        let jobs = plan_jobs(app, &net.people, ids, &mut pool, rng, warm).await?;
        run_jobs(args.clients, jobs, act.clone()).await?;
        for clients in [1, args.clients] {
            let jobs =
                plan_jobs(app, &net.people, ids, &mut pool, rng, args.actions as usize).await?;
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
    lat.sort();
    Ok(Latency {
        what,
        path,
        runs,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    })
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
    let me = &net.people.coordinator;
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
    Ok(out)
}

async fn measure(
    database: &'static str,
    db: &ScratchDb,
    args: &BenchArgs,
) -> anyhow::Result<Report> {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    let mut rng = Rng(args.seed);
    eprintln!(
        "{database}: building a health system of {} sites authorized for Vantacel …",
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
        .get(&user_id(&net.people.coordinator)?)
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
    }
    if json {
        print_json(&reports)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        let b = &r.build;
        println!(
            "{}: {} sites and {} cases built in {:.1} s — the network in {:.1} s, the cases in {:.1} s on {} tasks ({} journey actions; {:.0} writes/s, one partnership's ledger; a case opened in {:.2} ms p50, {:.2} ms p99)",
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
