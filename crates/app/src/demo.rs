//! Seeded, realistic demo data: two manufacturers, three health systems with their sites and
//! facilities, one user for every role, and partnerships in several states. Every row is made
//! through the same commands a person would use, so the demo's ledgers verify like real ones.
//! All names are fictional.

use crate::access::Via;
use crate::contracting::{AgreementInput, DeliverableInput, DocumentInput};
use crate::readiness::VisitInput;
use crate::records::facilities::FacilityInput;
use crate::records::organizations::OrganizationInput;
use crate::records::partnerships::{PartnershipInput, PartnershipPatch};
use crate::records::sites::SiteInput;
use crate::records::users::UserInput;
use crate::{App, AppError, Caller};
use cellpath_domain::contracting::{AgreementKind, Deliverable, Scope};
use cellpath_domain::process_map::{
    MapContext, ProcessMap, RecordedIn, Step, StepKind, StepParams, seeds,
};
use cellpath_domain::program::{IdentifierKind, IdentifierSpec, Issuer, ListPrice, ProgramFacts};
use cellpath_domain::readiness::{Observation, Observed, Requirement, car_t_requirements};
use cellpath_domain::refinement::{LocalDetail, LocalStep, SiteRefinement};
use cellpath_domain::{LedgerInt, OrgKind, Role};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use serde::Serialize;
use std::collections::BTreeMap;

/// The password every demo user starts with.
pub const DEMO_PASSWORD: &str = "cellpath-demo-2026";

/// How long ago the demo's record starts when seeded for people ([`seed_with_history`]): the
/// partnerships, the recorded authorization and every seeded change are dated then, so the
/// onboarding pipeline has days in onboarding and an "authorized since" to show.
pub const HISTORY_DAYS: i64 = 120;

/// Seed `store` as of [`HISTORY_DAYS`] before `now` (microseconds), for the `demo` command;
/// the server then runs on the real clock from now.
pub async fn seed_with_history(
    store: cellpath_store::Store,
    now: i64,
) -> Result<Vec<DemoLogin>, AppError> {
    let then = now - HISTORY_DAYS * 86_400 * 1_000_000;
    let history = App::new(
        store,
        std::sync::Arc::new(crate::ManualClock::starting_at(then)),
    );
    seed(&history).await
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub organization: String,
    pub role: String,
    pub name: String,
    pub email: String,
}

struct SiteSeed {
    name: &'static str,
    code: &'static str,
    city: &'static str,
    region: &'static str,
}

struct HealthSystemSeed {
    name: &'static str,
    domain: &'static str,
    sites: &'static [SiteSeed],
}

const MANUFACTURERS: &[(&str, &str)] = &[
    ("Helixa Therapeutics", "helixa.example"),
    ("Northbridge Gene Medicines", "northbridge.example"),
];

const HEALTH_SYSTEMS: &[HealthSystemSeed] = &[
    HealthSystemSeed {
        name: "Lakeshore University Health",
        domain: "lakeshore.example",
        sites: &[
            SiteSeed {
                name: "Lakeshore University Hospital",
                code: "LUH-MAIN",
                city: "Chicago",
                region: "IL",
            },
            SiteSeed {
                name: "Lakeshore Cancer Pavilion",
                code: "LUH-CANCER",
                city: "Chicago",
                region: "IL",
            },
            SiteSeed {
                name: "Lakeshore North Medical Center",
                code: "LUH-NORTH",
                city: "Evanston",
                region: "IL",
            },
        ],
    },
    HealthSystemSeed {
        name: "Cascade Regional Medical",
        domain: "cascade.example",
        sites: &[
            SiteSeed {
                name: "Cascade Medical Center",
                code: "CRM-PDX",
                city: "Portland",
                region: "OR",
            },
            SiteSeed {
                name: "Cascade Children's Hospital",
                code: "CRM-KIDS",
                city: "Portland",
                region: "OR",
            },
        ],
    },
    HealthSystemSeed {
        name: "Piedmont Valley Health",
        domain: "piedmont.example",
        sites: &[
            SiteSeed {
                name: "Piedmont Valley Hospital",
                code: "PVH-MAIN",
                city: "Charlotte",
                region: "NC",
            },
            SiteSeed {
                name: "Piedmont Oncology Institute",
                code: "PVH-ONC",
                city: "Charlotte",
                region: "NC",
            },
            SiteSeed {
                name: "Riverside Campus",
                code: "PVH-RIVER",
                city: "Gastonia",
                region: "NC",
            },
            SiteSeed {
                name: "Eastgate Hospital",
                code: "PVH-EAST",
                city: "Concord",
                region: "NC",
            },
        ],
    },
];

const FIRST: &[&str] = &[
    "Dana", "Marcus", "Priya", "Elena", "Samuel", "Grace", "Tomas", "Aisha", "Jonah", "Mei",
    "Rafael", "Nora", "Victor", "Leah", "Omar", "Hannah", "Caleb", "Ingrid", "Theo", "Rosa",
    "Ibrahim", "Julia", "Declan", "Yuki",
];
const LAST: &[&str] = &[
    "Whitfield",
    "Okafor",
    "Raman",
    "Castillo",
    "Brennan",
    "Lindqvist",
    "Haddad",
    "Moreau",
    "Nakamura",
    "Ferreira",
    "Kowalski",
    "Adeyemi",
    "Sorensen",
    "Patel",
    "Gallagher",
    "Novak",
    "Mbeki",
    "Duarte",
    "Holt",
    "Vasquez",
];

fn person(n: usize) -> String {
    format!(
        "{} {}",
        FIRST[n % FIRST.len()],
        LAST[(n * 7 + 3) % LAST.len()]
    )
}

/// (manufacturer index, name, modality, map, identifiers, dated prices in cents)
type ProgramSeed = (
    usize,
    &'static str,
    &'static str,
    fn() -> (ProcessMap, MapContext),
    &'static [IdentifierSpec],
    &'static [(&'static str, i64)],
);

pub async fn seed(app: &App) -> Result<Vec<DemoLogin>, AppError> {
    let op = Caller::system("demo");
    let mut logins = Vec::new();
    let mut people = 0usize;

    let mut mfr_ids = Vec::new();
    for (name, domain) in MANUFACTURERS {
        let org = app
            .create_organization(
                &op,
                OrganizationInput {
                    kind: "manufacturer".into(),
                    name: (*name).into(),
                },
                None,
            )
            .await?
            .fresh()?;
        for role in Role::for_kind(OrgKind::Manufacturer) {
            let user_name = person(people);
            people += 1;
            let email = format!("{}@{domain}", role.as_str().replace('_', "."));
            app.create_user(
                &op,
                &org.id,
                UserInput {
                    email: email.clone(),
                    name: user_name.clone(),
                    role: role.as_str().into(),
                    password: DEMO_PASSWORD.into(),
                },
                None,
            )
            .await?
            .fresh()?;
            logins.push(DemoLogin {
                organization: org.name.clone(),
                role: role.as_str().into(),
                name: user_name,
                email,
            });
        }
        mfr_ids.push(org.id);
    }

    let mut hs_ids = Vec::new();
    for hs in HEALTH_SYSTEMS {
        let org = app
            .create_organization(
                &op,
                OrganizationInput {
                    kind: "health_system".into(),
                    name: hs.name.into(),
                },
                None,
            )
            .await?
            .fresh()?;
        let mut site_ids = Vec::new();
        for s in hs.sites {
            let site = app
                .create_site(
                    &op,
                    &org.id,
                    SiteInput {
                        name: s.name.into(),
                        code: s.code.into(),
                        city: s.city.into(),
                        region: s.region.into(),
                    },
                    None,
                )
                .await?
                .fresh()?;
            // Every site has its own infusion and inpatient unit.
            app.create_facility(
                &op,
                &org.id,
                FacilityInput {
                    name: format!("{} Infusion and Inpatient Unit", s.name),
                    kind: "clinical".into(),
                    site_ids: vec![site.id.clone()],
                },
                None,
            )
            .await?
            .fresh()?;
            site_ids.push(site.id);
        }
        // One cell lab serves every site; the apheresis unit serves the first two.
        let short = hs.name.split_whitespace().next().unwrap_or(hs.name);
        app.create_facility(
            &op,
            &org.id,
            FacilityInput {
                name: format!("{short} Cell Therapy Laboratory"),
                kind: "processing".into(),
                site_ids: site_ids.clone(),
            },
            None,
        )
        .await?
        .fresh()?;
        app.create_facility(
            &op,
            &org.id,
            FacilityInput {
                name: format!("{short} Apheresis Center"),
                kind: "collection".into(),
                site_ids: site_ids.iter().take(2).cloned().collect(),
            },
            None,
        )
        .await?
        .fresh()?;
        for role in Role::for_kind(OrgKind::HealthSystem) {
            let user_name = person(people);
            people += 1;
            let email = format!("{}@{}", role.as_str().replace('_', "."), hs.domain);
            app.create_user(
                &op,
                &org.id,
                UserInput {
                    email: email.clone(),
                    name: user_name.clone(),
                    role: role.as_str().into(),
                    password: DEMO_PASSWORD.into(),
                },
                None,
            )
            .await?
            .fresh()?;
            logins.push(DemoLogin {
                organization: org.name.clone(),
                role: role.as_str().into(),
                name: user_name,
                email,
            });
        }
        hs_ids.push(org.id);
    }

    // Each manufacturer's program, with its process map published as version 1.
    let programs: [ProgramSeed; 2] = [
        (
            0,
            "Vantacel",
            "autologous_cell",
            seeds::autologous_car_t,
            &[
                IdentifierSpec {
                    kind: IdentifierKind::ManufacturerOrderId,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::LotNumber,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::Isbt128Din,
                    issuer: Issuer::CollectionFacility,
                },
            ],
            &[("2025-01-01", 41_030_000), ("2026-01-01", 42_500_000)],
        ),
        (
            1,
            "Corvigen",
            "in_vivo_gene_therapy",
            seeds::in_vivo_gene_therapy,
            &[
                IdentifierSpec {
                    kind: IdentifierKind::ManufacturerOrderId,
                    issuer: Issuer::Manufacturer,
                },
                IdentifierSpec {
                    kind: IdentifierKind::LotNumber,
                    issuer: Issuer::Manufacturer,
                },
            ],
            &[("2025-07-01", 295_000_000)],
        ),
    ];
    for (m, name, modality, seed, identifiers, prices) in programs {
        let quality = app
            .store
            .user_by_email(&format!("quality@{}", MANUFACTURERS[m].1))
            .await?
            .ok_or_else(|| AppError::Internal("demo user".into()))?;
        let author = app.caller_for_user(&quality.id, Via::System).await?;
        let (map, ctx) = seed();
        let facts = ProgramFacts {
            name: name.into(),
            modality: modality.into(),
            units: ctx.units.clone(),
            requires_dual_verification: ctx.requires_dual_verification,
            identifiers: identifiers.to_vec(),
            list_prices: prices
                .iter()
                .map(|(d, c)| ListPrice {
                    effective_on: (*d).into(),
                    cents: LedgerInt::new(*c).expect("a demo price is a ledger integer"),
                })
                .collect(),
        };
        let program = app
            .create_program(&author, &mfr_ids[m], facts, None)
            .await?
            .fresh()?;
        let requirements = if m == 0 {
            car_t_requirements()
        } else {
            gene_therapy_requirements()
        };
        let program = app
            .set_requirements(&author, &program.id, program.version, requirements, None)
            .await?
            .fresh()?;
        let v1 = app
            .create_map_version(&author, &program.id, map, None)
            .await?
            .fresh()?;
        app.publish_map_version(&author, &v1.id, v1.version, None)
            .await?
            .fresh()?;
    }

    // Partnerships: proposed by a manufacturer's onboarding lead, accepted by the health
    // system's contracts lead, who signs the acceptance.
    let plan: &[(usize, usize, &str, &[&str], bool)] = &[
        (
            0,
            0,
            "Helixa × Lakeshore: Vantacel launch",
            &["Vantacel"],
            true,
        ),
        (0, 1, "Helixa × Cascade: Vantacel", &["Vantacel"], false),
        (
            1,
            0,
            "Northbridge × Lakeshore: Corvigen",
            &["Corvigen"],
            true,
        ),
        (1, 2, "Northbridge × Piedmont Valley", &["Corvigen"], true),
    ];
    for (m, h, name, programs, accept) in plan {
        let onboarding = app
            .store
            .user_by_email(&format!("onboarding@{}", MANUFACTURERS[*m].1))
            .await?
            .ok_or_else(|| AppError::Internal("demo user".into()))?;
        let proposer = app.caller_for_user(&onboarding.id, Via::System).await?;
        let p = app
            .create_partnership(
                &proposer,
                PartnershipInput {
                    health_system_id: hs_ids[*h].clone(),
                    name: (*name).into(),
                    programs: programs.iter().map(|s| s.to_string()).collect(),
                    manufacturer_id: None,
                },
                None,
            )
            .await?
            .fresh()?;
        if *accept {
            let contracts = app
                .store
                .user_by_email(&format!("contracts@{}", HEALTH_SYSTEMS[*h].domain))
                .await?
                .ok_or_else(|| AppError::Internal("demo user".into()))?;
            let accepter = app.caller_for_user(&contracts.id, Via::System).await?;
            app.update_partnership(
                &accepter,
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
            let head = app
                .store
                .ledger_head(&p.id)
                .await?
                .ok_or_else(|| AppError::Internal("partnership ledger".into()))?;
            app.sign(
                &accepter,
                &p.id,
                Signed::Event {
                    event_hash: head.head_hash,
                },
                Meaning::Approved,
                DEMO_PASSWORD,
                None,
            )
            .await?
            .fresh()?;
        }
    }
    site_work(app).await?;
    contracting_work(app).await?;
    // What the seeded commands enqueued (the gate's reviews: LUH-MAIN authorized) runs now,
    // as the server's worker would run it.
    app.run_due_jobs().await?;
    Ok(logins)
}

fn gene_therapy_requirements() -> Vec<Requirement> {
    car_t_requirements()
        .into_iter()
        .filter(|r| {
            matches!(
                r.key.as_str(),
                "receiving" | "transport_time" | "dual_signature"
            )
        })
        .collect()
}

async fn user(app: &App, email: &str) -> Result<Caller, AppError> {
    let u = app
        .store
        .user_by_email(email)
        .await?
        .ok_or_else(|| AppError::Internal(format!("demo user {email}")))?;
    app.caller_for_user(&u.id, Via::System).await
}

async fn find<T>(items: Vec<T>, what: &str, pick: impl Fn(&T) -> bool) -> Result<T, AppError> {
    items
        .into_iter()
        .find(|x| pick(x))
        .ok_or_else(|| AppError::Internal(format!("demo: no {what}")))
}

fn detail(owner: Option<Role>, location: &str, system: &str) -> LocalDetail {
    LocalDetail {
        owner_role: owner,
        location: Some(location.into()),
        system: (!system.is_empty()).then(|| system.into()),
        notes: None,
    }
}

fn observe(facility: &str, capability: &str, value: Observed) -> Observation {
    Observation {
        facility_id: facility.into(),
        capability: capability.into(),
        value,
        note: String::new(),
    }
}

/// Refined site maps, proposals, signatures, visits and gaps for the demo's partnerships.
async fn site_work(app: &App) -> Result<(), AppError> {
    let lakeshore = find(
        app.store.organizations(Page::all()).await?,
        "Lakeshore",
        |o| o.name == "Lakeshore University Health",
    )
    .await?;
    let helixa = find(app.store.organizations(Page::all()).await?, "Helixa", |o| {
        o.name == "Helixa Therapeutics"
    })
    .await?;
    let piedmont = find(
        app.store.organizations(Page::all()).await?,
        "Piedmont",
        |o| o.name == "Piedmont Valley Health",
    )
    .await?;
    let pship = find(
        app.store
            .partnerships_of(&lakeshore.id, Page::all())
            .await?,
        "partnership",
        |p| p.manufacturer_id == helixa.id,
    )
    .await?;
    let vantacel = find(
        app.store.programs_of(&helixa.id, Page::all()).await?,
        "Vantacel",
        |p| p.name == "Vantacel",
    )
    .await?;
    let sites = app.store.sites_of(&lakeshore.id, Page::all()).await?;
    let main = find(sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let cancer = find(sites.clone(), "LUH-CANCER", |s| s.code == "LUH-CANCER").await?;
    let north = find(sites, "LUH-NORTH", |s| s.code == "LUH-NORTH").await?;
    let pharmacy = user(app, "pharmacy@lakeshore.example").await?;
    let coordinator = user(app, "coordinator@lakeshore.example").await?;
    let quality = user(app, "quality@helixa.example").await?;
    let onboarding = user(app, "onboarding@helixa.example").await?;

    // Lakeshore University Hospital: refined, one proposal accepted and one rejected, signed.
    let v = app
        .start_site_map(&pharmacy, &pship.id, &main.id, &vantacel.id, None, None)
        .await?
        .fresh()?;
    let mut r = SiteRefinement::default();
    let lab = "Cell Therapy Laboratory, B2";
    let unit = "BMT Unit, 7 West";
    r.details.insert(
        "courier_handoff".into(),
        detail(
            Some(Role::Apheresis),
            "Apheresis Center, 3rd floor",
            "Helixa portal",
        ),
    );
    r.details.insert(
        "receipt_and_storage".into(),
        detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
    );
    for u in ["cd4", "cd8"] {
        r.details.insert(
            format!("thaw_{u}"),
            detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
        );
        r.details.insert(
            format!("dual_verification_{u}"),
            detail(Some(Role::Nurse), unit, "Epic (barcode scan)"),
        );
        r.details.insert(
            format!("administer_{u}"),
            detail(Some(Role::Nurse), unit, "Epic MAR"),
        );
    }
    r.details.insert(
        "pharmacist_verification".into(),
        detail(Some(Role::Pharmacy), "Oncology pharmacy", "Epic Beacon"),
    );
    let base = app.site_map(&pharmacy, &v.id).await?;
    let effective = base
        .effective
        .clone()
        .ok_or_else(|| AppError::Internal("effective map".into()))?;
    if let Some(step) = effective.step("pharmacist_verification") {
        let mut changed = step.clone();
        changed.name = "Pharmacist verification (BMT pharmacy)".into();
        r.overrides.insert(changed.key.clone(), changed);
    }
    // A local checklist before the first thaw: the ICU bed is held for the monitoring period.
    let thaw = effective
        .steps()
        .find(|s| s.key == "thaw_cd4")
        .cloned()
        .ok_or_else(|| AppError::Internal("thaw_cd4".into()))?;
    r.local_steps.push(LocalStep {
        step: Step {
            key: "icu_bed_hold".into(),
            name: "Confirm ICU bed held for 14 days".into(),
            stage: thaw.stage,
            kind: StepKind::Checklist,
            role: Role::Coordinator,
            after: thaw.after.clone(),
            controlled: false,
            recorded_in: RecordedIn::Cellpath,
            optional: false,
            params: StepParams {
                items: vec![
                    "ICU bed held".into(),
                    "Tocilizumab 2 doses on the unit".into(),
                ],
                ..Default::default()
            },
        },
        before: vec!["thaw_cd4".into()],
    });
    let v = app
        .refine_site_map(&pharmacy, &v.id, v.version, r, None)
        .await?
        .fresh()?;
    let monitoring = effective
        .step("monitoring")
        .cloned()
        .ok_or_else(|| AppError::Internal("monitoring".into()))?;
    let mut longer = monitoring.clone();
    longer.params.monitoring_days = Some(28);
    let accepted = app
        .propose_change(
            &pharmacy,
            &v.id,
            longer,
            "Our IEC program monitors the first ten commercial patients for 28 days.",
            None,
        )
        .await?
        .fresh()?;
    app.decide_proposal(
        &quality,
        &accepted.id,
        accepted.version,
        true,
        "Accepted: longer monitoring is within the label.",
        None,
    )
    .await?
    .fresh()?;
    let handoff = effective
        .step("courier_handoff")
        .cloned()
        .ok_or_else(|| AppError::Internal("courier_handoff".into()))?;
    let mut no_scan = handoff.clone();
    no_scan.params.scan = false;
    let rejected = app
        .propose_change(
            &pharmacy,
            &v.id,
            no_scan,
            "No scanner at the apheresis bay; we would rather record the bag number by hand.",
            None,
        )
        .await?
        .fresh()?;
    app.decide_proposal(
        &quality,
        &rejected.id,
        rejected.version,
        false,
        "Rejected: chain of identity needs the scan at handoff; we will provide a scanner.",
        None,
    )
    .await?
    .fresh()?;
    app.sign_site_map(&pharmacy, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;
    app.sign_site_map(&quality, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;

    // Lakeshore Cancer Pavilion: a draft with a proposal waiting for Helixa.
    let draft = app
        .start_site_map(
            &coordinator,
            &pship.id,
            &cancer.id,
            &vantacel.id,
            None,
            None,
        )
        .await?
        .fresh()?;
    let mut r = SiteRefinement::default();
    r.details.insert(
        "referral".into(),
        detail(
            Some(Role::Coordinator),
            "Cancer Pavilion intake",
            "Epic referral queue",
        ),
    );
    r.details.insert(
        "receipt_and_storage".into(),
        detail(Some(Role::CellLab), lab, "Cell lab LIMS"),
    );
    let draft = app
        .refine_site_map(&coordinator, &draft.id, draft.version, r, None)
        .await?
        .fresh()?;
    let mut thaw_here = thaw.clone();
    thaw_here.params.location = Some("Cancer Pavilion satellite pharmacy".into());
    app.propose_change(
        &coordinator,
        &draft.id,
        thaw_here,
        "Thaw in the Pavilion's satellite pharmacy, two floors from the infusion chairs.",
        None,
    )
    .await?
    .fresh()?;

    // Site visits and gaps.
    let facilities = app.store.facilities_of(&lakeshore.id, Page::all()).await?;
    let cell_lab = find(facilities.clone(), "cell lab", |f| f.kind == "processing")
        .await?
        .id;
    let main_unit = find(facilities.clone(), "main unit", |f| {
        f.kind == "clinical" && f.site_ids.contains(&main.id)
    })
    .await?
    .id;
    let north_unit = find(facilities, "north unit", |f| {
        f.kind == "clinical" && f.site_ids.contains(&north.id)
    })
    .await?
    .id;
    let lab_met = |id: &str| {
        vec![
            observe(
                id,
                "ln2_vapor_storage_max_celsius",
                Observed::Number(LedgerInt::from(-175)),
            ),
            observe(
                id,
                "ln2_storage_positions",
                Observed::Number(LedgerInt::from(6)),
            ),
            observe(id, "validated_thaw_device", Observed::YesNo(true)),
            observe(id, "receiving_hours", Observed::Text("07:00-19:00".into())),
            observe(id, "fact_accredited", Observed::YesNo(true)),
        ]
    };
    let mut obs = lab_met(&cell_lab);
    obs.extend([
        observe(
            &main_unit,
            "minutes_cell_lab_to_infusion",
            Observed::Number(LedgerInt::from(12)),
        ),
        observe(
            &main_unit,
            "required_signatures",
            Observed::List(vec!["pharmacist".into(), "nurse".into()]),
        ),
        observe(
            &main_unit,
            "tocilizumab_doses_on_hand",
            Observed::Number(LedgerInt::from(1)),
        ),
    ]);
    let visitors = vec![
        "Marcus Kowalski (Helixa onboarding)".to_string(),
        "Samuel Adeyemi (Helixa quality)".to_string(),
    ];
    let mut findings = BTreeMap::new();
    findings.insert(
        "cell_lab_layout".to_string(),
        "Separate receiving bench beside the LN2 room; thaw device validated in August."
            .to_string(),
    );
    findings.insert("storage".to_string(), "Two vapor-phase freezers with remote alarms; tocilizumab par level is one dose per patient.".to_string());
    app.record_visit(
        &onboarding,
        &pship.id,
        VisitInput {
            site_id: main.id.clone(),
            visited_on: "2026-09-15".into(),
            visitors: visitors.clone(),
            facility_ids: vec![cell_lab.clone(), main_unit.clone()],
            observations: obs,
            findings,
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    let opened = app
        .analyze_gaps(&onboarding, &pship.id, &main.id, &vantacel.id)
        .await?;
    for gap in opened {
        app.close_gap(&pharmacy, &gap.id, gap.version, "Par level raised to two doses per CAR-T patient on 2026-10-01 (Omnicell report attached to the P&T minutes).", DEMO_PASSWORD, None).await?.fresh()?;
    }
    let mut obs = lab_met(&cell_lab);
    obs.extend([
        observe(
            &north_unit,
            "minutes_cell_lab_to_infusion",
            Observed::Number(LedgerInt::from(45)),
        ),
        observe(
            &north_unit,
            "required_signatures",
            Observed::List(vec!["nurse".into()]),
        ),
        observe(
            &north_unit,
            "tocilizumab_doses_on_hand",
            Observed::Number(LedgerInt::from(0)),
        ),
    ]);
    let mut findings = BTreeMap::new();
    findings.insert(
        "internal_transport".to_string(),
        "Product crosses the campus by shuttle: 45 minutes door to door.".to_string(),
    );
    app.record_visit(
        &onboarding,
        &pship.id,
        VisitInput {
            site_id: north.id.clone(),
            visited_on: "2026-10-20".into(),
            visitors,
            facility_ids: vec![cell_lab.clone(), north_unit],
            observations: obs,
            findings,
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    app.analyze_gaps(&onboarding, &pship.id, &north.id, &vantacel.id)
        .await?;

    // Northbridge at Piedmont: receiving hours fall short of the courier window.
    let northbridge = find(
        app.store.organizations(Page::all()).await?,
        "Northbridge",
        |o| o.name == "Northbridge Gene Medicines",
    )
    .await?;
    let np = find(
        app.store.partnerships_of(&piedmont.id, Page::all()).await?,
        "partnership",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let corvigen = find(
        app.store.programs_of(&northbridge.id, Page::all()).await?,
        "Corvigen",
        |_| true,
    )
    .await?;
    let psites = app.store.sites_of(&piedmont.id, Page::all()).await?;
    let pmain = find(psites, "PVH-MAIN", |s| s.code == "PVH-MAIN").await?;
    let pfac = app.store.facilities_of_site(&pmain.id).await?;
    let plab = find(pfac.clone(), "Piedmont lab", |f| f.kind == "processing")
        .await?
        .id;
    let punit = find(pfac, "Piedmont unit", |f| f.kind == "clinical")
        .await?
        .id;
    let nb = user(app, "onboarding@northbridge.example").await?;
    app.record_visit(
        &nb,
        &np.id,
        VisitInput {
            site_id: pmain.id.clone(),
            visited_on: "2026-11-02".into(),
            visitors: vec!["Jonah Vasquez (Northbridge onboarding)".into()],
            facility_ids: vec![plab.clone(), punit.clone()],
            observations: vec![
                observe(
                    &plab,
                    "receiving_hours",
                    Observed::Text("09:00-17:00".into()),
                ),
                observe(
                    &punit,
                    "minutes_cell_lab_to_infusion",
                    Observed::Number(LedgerInt::from(15)),
                ),
                observe(
                    &punit,
                    "required_signatures",
                    Observed::List(vec!["pharmacist".into(), "physician".into()]),
                ),
            ],
            findings: BTreeMap::new(),
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    app.analyze_gaps(&nb, &np.id, &pmain.id, &corvigen.id)
        .await?;
    Ok(())
}

/// Agreements and gate deliverables: Helixa × Lakeshore has its central agreements executed
/// for all sites and LUH-MAIN's local ones, so LUH-MAIN is authorized for Vantacel while
/// LUH-NORTH is still negotiating; Northbridge × Piedmont is in legal review of its data
/// protection agreement after two redline rounds.
async fn contracting_work(app: &App) -> Result<(), AppError> {
    let helixa_contracts = user(app, "contracts@helixa.example").await?;
    let lakeshore_contracts = user(app, "contracts@lakeshore.example").await?;
    let helixa_onboarding = user(app, "onboarding@helixa.example").await?;
    let org = |c: &Caller| c.principal.as_ref().map(|p| p.user_id.clone());
    let lakeshore = find(
        app.store.organizations(Page::all()).await?,
        "Lakeshore",
        |o| o.name == "Lakeshore University Health",
    )
    .await?;
    let helixa = find(app.store.organizations(Page::all()).await?, "Helixa", |o| {
        o.name == "Helixa Therapeutics"
    })
    .await?;
    let pship = find(
        app.store
            .partnerships_of(&lakeshore.id, Page::all())
            .await?,
        "partnership",
        |p| p.manufacturer_id == helixa.id,
    )
    .await?;
    let vantacel = find(
        app.store.programs_of(&helixa.id, Page::all()).await?,
        "Vantacel",
        |p| p.name == "Vantacel",
    )
    .await?;
    let sites = app.store.sites_of(&lakeshore.id, Page::all()).await?;
    let main = find(sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let north = find(sites, "LUH-NORTH", |s| s.code == "LUH-NORTH").await?;

    let execute = |kind: AgreementKind, scope: Scope, site: Option<String>| {
        let (hc, lc) = (helixa_contracts.clone(), lakeshore_contracts.clone());
        let pid = pship.id.clone();
        let (om, oh) = (org(&hc), org(&lc));
        async move {
            let a = app
                .create_agreement(
                    &hc,
                    &pid,
                    AgreementInput {
                        kind: kind.as_str().into(),
                        scope: scope.as_str().into(),
                        site_id: site,
                        coverage: None,
                        owner_manufacturer: om,
                        owner_health_system: oh,
                    },
                    None,
                )
                .await?
                .fresh()?;
            let a = app
                .set_agreement_dates(&lc, &a.id, a.version, "2025-06-01", "2030-05-31", None)
                .await?
                .fresh()?;
            let a = app
                .add_document(
                    &hc,
                    &a.id,
                    a.version,
                    DocumentInput {
                        name: format!("{}-executed.pdf", kind.as_str().replace('_', "-")),
                        sha256: cellpath_ledger::content_hash(&serde_json::json!({
                            "demo": kind.as_str(), "site": a.site_id,
                        }))
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                        bytes: LedgerInt::from(482_113),
                    },
                    None,
                )
                .await?
                .fresh()?;
            app.move_agreement(&lc, &a.id, a.version, "executed", None)
                .await?
                .fresh()
        }
    };
    for kind in [
        AgreementKind::MasterServiceAgreement,
        AgreementKind::TermsAndConditions,
        AgreementKind::DataProtection,
    ] {
        execute(kind, Scope::HealthSystem, None).await?;
    }
    for kind in [
        AgreementKind::QualityAgreement,
        AgreementKind::SupplyAgreement,
    ] {
        execute(kind, Scope::Site, Some(main.id.clone())).await?;
    }
    // LUH-NORTH: its quality agreement is still being negotiated.
    let q = app
        .create_agreement(
            &helixa_contracts,
            &pship.id,
            AgreementInput {
                kind: AgreementKind::QualityAgreement.as_str().into(),
                scope: Scope::Site.as_str().into(),
                site_id: Some(north.id.clone()),
                coverage: None,
                owner_manufacturer: org(&helixa_contracts),
                owner_health_system: org(&lakeshore_contracts),
            },
            None,
        )
        .await?
        .fresh()?;
    app.move_agreement(&helixa_contracts, &q.id, q.version, "negotiating", None)
        .await?
        .fresh()?;

    let done: &[(&Caller, Deliverable, &str, &str)] = &[
        (
            &lakeshore_contracts,
            Deliverable::ConsentWithFailureLanguage,
            "2025-09-10",
            "Consent version 3 (IRB-approved 2025-09-10) states what happens if manufacturing fails.",
        ),
        (
            &lakeshore_contracts,
            Deliverable::ReleaseExceptionProtocol,
            "2025-09-30",
            "Out-of-specification release protocol agreed with Helixa quality, signed 2025-09-30.",
        ),
        (
            &helixa_onboarding,
            Deliverable::SiteQualificationAudit,
            "2025-09-15",
            "Site qualification audit passed on 2025-09-15 (report SQA-2025-041).",
        ),
        (
            &helixa_onboarding,
            Deliverable::StaffTraining,
            "2025-10-08",
            "Cell lab, BMT unit and apheresis staff trained on Vantacel handling; roster on file.",
        ),
        (
            &helixa_onboarding,
            Deliverable::MockShipment,
            "2025-10-15",
            "Mock shipment received, stored and thawed within the window.",
        ),
        (
            &lakeshore_contracts,
            Deliverable::PharmacyAndTherapeutics,
            "2025-10-01",
            "Vantacel added to the formulary at the P&T meeting of 2025-10-01.",
        ),
    ];
    for (who, deliverable, on, evidence) in done {
        app.record_deliverable(
            who,
            &pship.id,
            DeliverableInput {
                site_id: main.id.clone(),
                program_id: vantacel.id.clone(),
                deliverable: deliverable.as_str().into(),
                done_on: (*on).into(),
                evidence: (*evidence).into(),
            },
            DEMO_PASSWORD,
            None,
        )
        .await?
        .fresh()?;
    }

    // The gate's verdicts reach the ledger through the reviews these commands enqueued
    // (LUH-MAIN authorized), run at the end of the seeding.

    // Northbridge × Piedmont: data protection in legal review after two redline rounds.
    let piedmont = find(
        app.store.organizations(Page::all()).await?,
        "Piedmont",
        |o| o.name == "Piedmont Valley Health",
    )
    .await?;
    let northbridge = find(
        app.store.organizations(Page::all()).await?,
        "Northbridge",
        |o| o.name == "Northbridge Gene Medicines",
    )
    .await?;
    let np = find(
        app.store.partnerships_of(&piedmont.id, Page::all()).await?,
        "partnership",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let nb = user(app, "contracts@northbridge.example").await?;
    let pv = user(app, "contracts@piedmont.example").await?;
    let mut a = app
        .create_agreement(
            &nb,
            &np.id,
            AgreementInput {
                kind: AgreementKind::DataProtection.as_str().into(),
                scope: Scope::HealthSystem.as_str().into(),
                site_id: None,
                coverage: None,
                owner_manufacturer: org(&nb),
                owner_health_system: org(&pv),
            },
            None,
        )
        .await?
        .fresh()?;
    for to in [
        "legal_review",
        "negotiating",
        "legal_review",
        "negotiating",
        "legal_review",
    ] {
        a = app
            .move_agreement(&pv, &a.id, a.version, to, None)
            .await?
            .fresh()?;
    }

    // Northbridge × Lakeshore: the master service agreement signed for Corvigen's trials
    // lapses 45 days after the demo's today (HISTORY_DAYS after seeding), so both sides find
    // an expiry reminder among their notices once the server's job has run.
    let nl = find(
        app.store
            .partnerships_of(&lakeshore.id, Page::all())
            .await?,
        "partnership",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let lc = &lakeshore_contracts;
    let seeded = cellpath_domain::Date::of_micros(app.now());
    let effective = seeded.plus_days(-3 * 365);
    let expires = seeded.plus_days(HISTORY_DAYS + 45);
    let msa = app
        .create_agreement(
            &nb,
            &nl.id,
            AgreementInput {
                kind: AgreementKind::MasterServiceAgreement.as_str().into(),
                scope: Scope::HealthSystem.as_str().into(),
                site_id: None,
                coverage: None,
                owner_manufacturer: org(&nb),
                owner_health_system: org(lc),
            },
            None,
        )
        .await?
        .fresh()?;
    let msa = app
        .set_agreement_dates(
            lc,
            &msa.id,
            msa.version,
            effective.as_str(),
            expires.as_str(),
            None,
        )
        .await?
        .fresh()?;
    app.move_agreement(&nb, &msa.id, msa.version, "executed", None)
        .await?
        .fresh()?;
    Ok(())
}
