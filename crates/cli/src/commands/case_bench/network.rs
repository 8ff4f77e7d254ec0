//! The bench's network, built through the app's commands: the health system, its sites and
//! people with their API tokens, each partnership authorized the way a real one is, and the
//! patients' cases opened over the sites and taken some steps forward (see the module above).

use super::*;
use cellpath_app::release_exceptions::NewExceptionProtocol;
/// A small deterministic generator (splitmix64): the same seed picks the same cases.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(super) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// A person of the bench: how the app knows them, their API token and e-mail.
pub(super) struct Person {
    pub(super) caller: Caller,
    pub(super) token: String,
    pub(super) email: String,
}

/// One manufacturer's program at the bench's health system: its partnership and the people
/// who take its cases forward (the health system's staff with the manufacturer's own).
#[derive(Clone)]
pub(super) struct Track {
    pub(super) program_name: &'static str,
    pub(super) partnership: String,
    pub(super) program: String,
    pub(super) people: Arc<People>,
}

impl Track {
    /// The labels of the bench's case `i` (numbered past the demo's), as its program has them.
    pub(super) fn labels(&self, i: usize) -> Labels {
        if self.program_name == "Corvigen" {
            Labels::corvigen(1_000 + i)
        } else {
            Labels::numbered(1_000 + i)
        }
    }
}

/// The network the cases run in.
pub(super) struct Network {
    /// Helixa's Vantacel and Northbridge's Corvigen, both at every site: the cases go round
    /// the sites, one program a round ([`Network::track_of`]).
    pub(super) tracks: Vec<Track>,
    pub(super) sites: Vec<String>,
    /// The health system's first coordinator, who loads the pages measured.
    pub(super) coordinator: Caller,
    /// API tokens by user id.
    pub(super) tokens: BTreeMap<String, String>,
    /// The coordinator's web session.
    pub(super) session: String,
    /// Sites the gate authorized for every program.
    pub(super) authorized: usize,
}

impl Network {
    pub(super) fn track_of(&self, case: usize) -> &Track {
        &self.tracks[track_index(case, self.sites.len(), self.tracks.len())]
    }
}

/// Case `i` is at site `i % sites`, of the program of track `(i / sites) % tracks`: every
/// site has cases of both programs.
fn track_index(i: usize, sites: usize, tracks: usize) -> usize {
    (i / sites.max(1)) % tracks.max(1)
}

/// The manufacturers of the bench (the demo's two), each with its program, the local part of
/// its people's e-mails and its consent form's manufacturing-failure section.
const MANUFACTURERS: &[(&str, &str, &str, &str)] = &[
    (
        "Helixa Therapeutics",
        "Vantacel",
        "helixa",
        "If your cells cannot be made into Vantacel, or the product does not meet its release specification, your care team will tell you and discuss a second collection or other treatment.",
    ),
    (
        "Northbridge Gene Medicines",
        "Corvigen",
        "northbridge",
        "If your Corvigen kit cannot be made or released, your care team will tell you and discuss another kit or other treatment.",
    ),
];

pub(super) async fn person(
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
pub(super) async fn in_tasks<F, Fut>(tasks: u32, n: usize, work: F) -> anyhow::Result<()>
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

/// The demo, then the health system of `sites` sites authorized for Vantacel (Helixa) and for
/// Corvigen (Northbridge), and its people.
pub(super) async fn network(
    app: &App,
    args: &BenchArgs,
    database: &str,
) -> anyhow::Result<Network> {
    let op = Caller::system("bench");
    cellpath_app::demo::seed(app)
        .await
        .context("seeding the demo")?;
    let hs = health_system(app, "Bench Regional Health").await?;
    add_sites(app, &hs, "Bench Regional", "BRH", 0..args.sites).await?;
    let sites: Vec<String> = app
        .sites(&op, &hs, Page::all())
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();

    // The people: every role a case needs at the health system (two nurses, for the
    // bedside's four eyes), and each manufacturer's patient operations, quality and
    // onboarding.
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
    let coordinator = health_system[&Coordinator][0].clone();
    let contracts = health_system[&Contracts][0].clone();
    let pharmacy = health_system[&Pharmacy][0].clone();
    let today = cellpath_domain::Date::of_micros(app.now());

    let mut tracks = Vec::new();
    for &(org_name, program_name, domain, failure_text) in MANUFACTURERS {
        let org = super::super::find_org(app, org_name).await?.id;
        let program = super::super::find_program_id(app, &org, program_name).await?;
        let mut manufacturer = BTreeMap::new();
        for (role, local) in [
            (PatientOps, "patient.ops"),
            (Quality, "quality"),
            (Onboarding, "onboarding"),
        ] {
            let p = person(
                app,
                &org,
                &format!("bench-{local}@{domain}.example"),
                &format!("Bench {program_name} {}", local.replace('.', " ")),
                role,
            )
            .await?;
            tokens.insert(user_id(&p.caller)?, p.token);
            manufacturer.insert(role, p.caller);
        }
        let quality = manufacturer[&Quality].clone();
        let onboarding = manufacturer[&Onboarding].clone();

        // The central agreements executed, and the quality and supply agreements too, at
        // health-system scope covering all sites (they count at either scope).
        let short = org_name.split(' ').next().unwrap_or(org_name);
        let (partnership, _) = partnership_for(
            app,
            &org,
            &hs,
            &format!("{short} × Bench Regional Health"),
            program_name,
            true,
        )
        .await?;
        for kind in ["quality_agreement", "supply_agreement"] {
            execute_agreement(app, &partnership, kind).await?;
        }
        // The release-exception protocol, drafted by the health system's contracts lead and
        // signed by both sides: the gate's protocol item for every site rests on it. Two tiers
        // (the usual protocol's third tells the admins, and this health system has none).
        let mut protocol = cellpath_domain::release_exception::Protocol::usual();
        protocol.tiers.truncate(2);
        if let Some(last) = protocol.tiers.last_mut() {
            last.escalate_after_hours = None;
        }
        let version = app
            .draft_exception_protocol(
                &contracts,
                &partnership,
                NewExceptionProtocol {
                    program_id: program.clone(),
                    protocol,
                },
                None,
            )
            .await?
            .fresh()?;
        for side in [&contracts, &quality] {
            app.sign_exception_protocol(side, &version.id, PASSWORD, None)
                .await?
                .fresh()?;
        }

        // Each site's deliverables, e-signed by the side that records them, and its site map
        // started by the pharmacy and signed by both sides: a site at a time on each task.
        eprintln!(
            "{database}: {} sites, {program_name}: recording their deliverables and signing their site maps …",
            sites.len()
        );
        let shared = Arc::new((
            app.clone(),
            partnership.clone(),
            program.clone(),
            sites.clone(),
            [contracts.clone(), onboarding, pharmacy.clone(), quality],
            (program_name, failure_text),
        ));
        in_tasks(args.builders, sites.len(), move |k| {
            let shared = shared.clone();
            async move {
                let (
                    app,
                    partnership,
                    program,
                    sites,
                    [contracts, onboarding, pharmacy, quality],
                    (program_name, text),
                ) = &*shared;
                let site = &sites[k];
                // The consent item rests on the site's active consent version (a form with its
                // manufacturing-failure section), not on a record by hand.
                let uploaded = app
                    .upload(
                        contracts,
                        &format!("{program_name} informed consent.txt"),
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
                                heading: format!("If your {program_name} cannot be made"),
                                text: (*text).into(),
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
                        onboarding,
                        "site_qualification_audit",
                        "Site qualification audit passed.",
                    ),
                    (
                        contracts,
                        "staff_training",
                        "Cell lab, unit, pharmacy and apheresis staff trained; roster on file.",
                    ),
                    (
                        contracts,
                        "mock_shipment",
                        "Mock shipment received, stored and thawed within the window.",
                    ),
                    (
                        contracts,
                        "pharmacy_and_therapeutics",
                        "Added to the formulary.",
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
        // The gate's review the deliverables and signatures enqueued, as the server's worker
        // runs it.
        app.run_due_jobs().await?;
        let mut here = 0;
        for site in &sites {
            if app
                .gate(&op, &partnership, site, &program, today.clone())
                .await?
                .authorized
            {
                here += 1;
            }
        }
        anyhow::ensure!(
            here == sites.len(),
            "only {here} of {} sites are authorized for {program_name} after the gate's review",
            sites.len()
        );
        tracks.push(Track {
            program_name,
            partnership,
            program,
            people: Arc::new(People::new(health_system.clone(), manufacturer, PASSWORD)?),
        });
    }
    let session = app
        .login(&coordinator_email, PASSWORD, None)
        .await?
        .cookie_value;
    // Every site was found authorized for each program above.
    let authorized = sites.len();
    Ok(Network {
        tracks,
        sites,
        coordinator,
        tokens,
        session,
        authorized,
    })
}

pub(super) fn user_id(c: &Caller) -> anyhow::Result<String> {
    c.principal
        .as_ref()
        .map(|p| p.user_id.clone())
        .ok_or_else(|| anyhow::anyhow!("a bench person is a user"))
}

pub(super) const FIRST: &[&str] = &[
    "Ada", "Bram", "Celia", "Dario", "Elin", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira",
    "Lars", "Mira", "Nils", "Olga", "Pavel", "Rhea", "Soren", "Tess", "Umberto", "Vera", "Wim",
    "Yara", "Zeno",
];
pub(super) const LAST: &[&str] = &[
    "Abbot", "Brandt", "Castell", "Dunmore", "Eriksen", "Falk", "Greaves", "Holm", "Ivers",
    "Jansen", "Kowal", "Lund", "Marlow", "Norberg", "Ostrom", "Pryce", "Quist", "Rowe", "Strand",
    "Thorne", "Ulrich", "Voss", "Wendt", "Yates",
];

/// The patients registered and their cases opened over the sites, each taken `steps[i]` steps
/// forward; the cases' ids and the journey actions taken.
pub(super) async fn build_cases(
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
    let ctx = Arc::new((app.clone(), net.tracks.clone(), net.sites.clone()));
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
                let (app, tracks, sites) = &*ctx;
                let site = &sites[i % sites.len()];
                let track = &tracks[track_index(i, sites.len(), tracks.len())];
                let people = &track.people;
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
                            partnership_id: track.partnership.clone(),
                            site_id: site.clone(),
                            program_id: track.program.clone(),
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
                let labels = track.labels(i);
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
