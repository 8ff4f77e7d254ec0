//! Organizations and people: two manufacturers, three health systems with their sites and
//! facilities, one user for every role, and the partnerships between them.

use super::{DEMO_PASSWORD, DemoLogin};
use crate::access::Via;
use crate::records::facilities::FacilityInput;
use crate::records::organizations::OrganizationInput;
use crate::records::partnerships::{PartnershipInput, PartnershipPatch};
use crate::records::sites::SiteInput;
use crate::records::users::UserInput;
use crate::{App, AppError, Caller};
use cellpath_domain::{OrgKind, Role};
use cellpath_ledger::{Meaning, Signed};

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

pub(super) const MANUFACTURERS: &[(&str, &str)] = &[
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

/// Every organization, as the operator, with its sites, facilities and one user per role: the
/// logins, and the ids of the manufacturers and of the health systems in seeding order.
pub(super) async fn organizations_and_people(
    app: &App,
) -> Result<(Vec<DemoLogin>, Vec<String>, Vec<String>), AppError> {
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
            logins.push(login(app, &op, &org, *role, user_name, email).await?);
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
            logins.push(login(app, &op, &org, *role, user_name, email).await?);
        }
        // Lakeshore's inpatient unit has a second nurse: the bedside's dual verification and
        // custody handoff need two different people.
        if hs.domain == "lakeshore.example" {
            let (name, email) = ("Dana Whitcombe".into(), super::drive::SECOND_NURSE.into());
            logins.push(login(app, &op, &org, Role::Nurse, name, email).await?);
        }
        hs_ids.push(org.id);
    }
    Ok((logins, mfr_ids, hs_ids))
}

/// A user of `org` with the demo's password, made by the operator, and their login.
async fn login(
    app: &App,
    op: &Caller,
    org: &crate::views::Organization,
    role: Role,
    name: String,
    email: String,
) -> Result<DemoLogin, AppError> {
    app.create_user(
        op,
        &org.id,
        UserInput {
            email: email.clone(),
            name: name.clone(),
            role: role.as_str().into(),
            password: DEMO_PASSWORD.into(),
        },
        None,
    )
    .await?
    .fresh()?;
    Ok(DemoLogin {
        organization: org.name.clone(),
        role: role.as_str().into(),
        name,
        email,
    })
}

/// The partnerships between them.
pub(super) async fn partnerships(app: &App, hs_ids: &[String]) -> Result<(), AppError> {
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
    Ok(())
}
