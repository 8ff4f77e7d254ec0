//! Corvigen, Northbridge's in-vivo gene therapy, at Lakeshore University Hospital (LUH-MAIN):
//! authorized through the same commands as Vantacel there — the site's map refined and signed
//! by both sides, a readiness visit with its gaps analyzed, the agreements executed beside the
//! master service agreement, the consent form made active, the deliverables recorded (the
//! release-exception protocol was agreed when the partnership was accepted) and the gate's
//! review — then patients' cases on the in-vivo map (order, the kit's receipt, its
//! preparation, the bedside's dual verification, the infusion, monitoring, long-term
//! follow-up), each step by the role it belongs to. All names are fictional.

use super::cases::Until;
use super::contracting::{consent_version, execute_agreement, record_deliverables};
use super::drive::{Labels, People, Twist, next};
use super::site_work::{detail, gene_therapy_observations, lab_and_unit};
use super::{DEMO_PASSWORD, find, user};
use crate::cases::CaseInput;
use crate::readiness::VisitInput;
use crate::{App, AppError};
use cellpath_domain::contracting::{AgreementKind, Deliverable, Scope};
use cellpath_domain::events::cases::{PriorAuthorization, PriorAuthorizationStatus};
use cellpath_domain::refinement::SiteRefinement;
use cellpath_domain::{Date, Role};
use cellpath_ledger::Meaning;
use cellpath_store::Page;
use std::collections::BTreeMap;

/// Northbridge × Lakeshore, Corvigen and LUH-MAIN.
pub(super) struct Corvigen {
    pub pship: cellpath_store::Partnership,
    pub program: cellpath_store::Program,
    pub site: cellpath_store::Site,
}

pub(super) async fn corvigen(app: &App) -> Result<Corvigen, AppError> {
    let orgs = app.store.organizations(Page::all()).await?;
    let lakeshore = find(orgs.clone(), "Lakeshore", |o| {
        o.name == "Lakeshore University Health"
    })
    .await?;
    let northbridge = find(orgs, "Northbridge", |o| {
        o.name == "Northbridge Gene Medicines"
    })
    .await?;
    let pship = find(
        app.store
            .partnerships_of(&lakeshore.id, Page::all())
            .await?,
        "Northbridge × Lakeshore",
        |p| p.manufacturer_id == northbridge.id,
    )
    .await?;
    let program = find(
        app.store.programs_of(&northbridge.id, Page::all()).await?,
        "Corvigen",
        |p| p.name == "Corvigen",
    )
    .await?;
    let site = find(
        app.store.sites_of(&lakeshore.id, Page::all()).await?,
        "LUH-MAIN",
        |s| s.code == "LUH-MAIN",
    )
    .await?;
    Ok(Corvigen {
        pship,
        program,
        site,
    })
}

/// LUH-MAIN authorized for Corvigen under Northbridge × Lakeshore (whose master service
/// agreement the contracting section executed): the site's map refined by Lakeshore's
/// pharmacy and signed by both sides, Northbridge's readiness visit (every requirement met),
/// the other agreements executed, the consent form active, the deliverables recorded, and the
/// gate's review by Northbridge's contracts lead.
pub(super) async fn authorize(app: &App) -> Result<(), AppError> {
    let Corvigen {
        pship,
        program,
        site,
    } = corvigen(app).await?;
    let pharmacy = user(app, "pharmacy@lakeshore.example").await?;
    let lakeshore_contracts = user(app, "contracts@lakeshore.example").await?;
    let quality = user(app, "quality@northbridge.example").await?;
    let onboarding = user(app, "onboarding@northbridge.example").await?;
    let contracts = user(app, "contracts@northbridge.example").await?;
    let today = Date::of_micros(app.now());

    // The site's map: the investigational drug service receives, stores and prepares the kit;
    // the infusion center gives it.
    let v = app
        .start_site_map(&pharmacy, &pship.id, &site.id, &program.id, None, None)
        .await?
        .fresh()?;
    let mut r = SiteRefinement::default();
    let ids = "Investigational drug service, B1";
    let infusion = "Infusion Center, 2 East";
    for (step, owner, location, system) in [
        (
            "receipt_and_storage",
            Role::Pharmacy,
            ids,
            "IDS inventory (Vestigo)",
        ),
        (
            "preparation",
            Role::Pharmacy,
            "IDS clean room, B1",
            "Epic Beacon",
        ),
        (
            "dual_verification",
            Role::Nurse,
            infusion,
            "Epic (barcode scan)",
        ),
        ("administration", Role::Nurse, infusion, "Epic MAR"),
    ] {
        r.details
            .insert(step.into(), detail(Some(owner), location, system));
    }
    let v = app
        .refine_site_map(&pharmacy, &v.id, v.version, r, None)
        .await?
        .fresh()?;
    app.sign_site_map(&pharmacy, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;
    app.sign_site_map(&quality, &v.id, Meaning::Approved, DEMO_PASSWORD, None)
        .await?
        .fresh()?;

    // Northbridge's readiness visit: receiving hours, transport to the chair, two signatures.
    let (lab, unit) = lab_and_unit(app, &site.id).await?;
    let mut findings = BTreeMap::new();
    findings.insert(
        "storage".to_string(),
        "Kits go to the investigational drug service's −80 °C freezer with remote alarms; thawed in the B1 clean room, 12 minutes from the infusion chairs.".to_string(),
    );
    app.record_visit(
        &onboarding,
        &pship.id,
        VisitInput {
            site_id: site.id.clone(),
            visited_on: today.plus_days(-30).as_str().into(),
            visitors: vec!["Jonah Vasquez (Northbridge onboarding)".into()],
            facility_ids: vec![lab.clone(), unit.clone()],
            observations: gene_therapy_observations(
                (&lab, "07:00-19:00"),
                (&unit, 12, &["pharmacist", "nurse"]),
            ),
            findings,
            attachments: vec![],
        },
        None,
    )
    .await?
    .fresh()?;
    for gap in app
        .analyze_gaps(&onboarding, &pship.id, &site.id, &program.id)
        .await?
    {
        app.close_gap(
            &pharmacy,
            &gap.id,
            gap.version,
            "Closed before the first Corvigen order (IDS procedure IDS-114 revised).",
            DEMO_PASSWORD,
            None,
        )
        .await?
        .fresh()?;
    }

    // The agreements beside the master service agreement (which lapses first: its expiry
    // reminders are the demo's), for six years from September 2025.
    for (kind, scope, at) in [
        (AgreementKind::TermsAndConditions, Scope::HealthSystem, None),
        (AgreementKind::DataProtection, Scope::HealthSystem, None),
        (
            AgreementKind::QualityAgreement,
            Scope::Site,
            Some(site.id.clone()),
        ),
        (
            AgreementKind::SupplyAgreement,
            Scope::Site,
            Some(site.id.clone()),
        ),
    ] {
        execute_agreement(
            app,
            &contracts,
            &lakeshore_contracts,
            &pship.id,
            kind,
            scope,
            at,
            ("2025-09-01", "2031-08-31"),
        )
        .await?;
    }
    consent_version(
        app,
        &lakeshore_contracts,
        &site.id,
        &program.id,
        "LUH-MAIN Corvigen",
        CONSENT_SECTIONS,
    )
    .await?;
    let day = |n: i64| today.plus_days(n).as_str().to_string();
    let (d2, d3, d4, d5) = (day(-45), day(-40), day(-35), day(-28));
    record_deliverables(
        app,
        &pship.id,
        &site.id,
        &program.id,
        &[
            (
                &onboarding,
                Deliverable::SiteQualificationAudit,
                &d2,
                "Site qualification audit of the investigational drug service passed (report NQA-2026-012).",
            ),
            (
                &onboarding,
                Deliverable::StaffTraining,
                &d3,
                "IDS pharmacists and infusion center nurses trained on Corvigen preparation and the 4-hour window.",
            ),
            (
                &onboarding,
                Deliverable::MockShipment,
                &d4,
                "Mock kit received, stored at −80 °C and thawed within the window.",
            ),
            (
                &lakeshore_contracts,
                Deliverable::PharmacyAndTherapeutics,
                &d5,
                "Corvigen added to the formulary (restricted to hepatology) at the P&T meeting.",
            ),
        ],
    )
    .await?;
    app.review_authorizations(&contracts, &pship.id, today)
        .await?;
    Ok(())
}

/// The Corvigen consent form's sections: (kind, heading, text).
const CONSENT_SECTIONS: &[(&str, &str, &str)] = &[
    (
        "other",
        "What the treatment is",
        "Corvigen is a gene therapy given once by infusion; a kit is made for you at Northbridge's manufacturing site from the dose your weight calls for.",
    ),
    (
        "manufacturing_failure",
        "If your kit cannot be made or released",
        "Sometimes a kit cannot be manufactured, or does not meet its release specification. If that happens your care team will tell you, a new kit may be ordered, and you will not be charged for a kit that was not given.",
    ),
    (
        "other",
        "Risks",
        "Infusion reactions and a rise in liver enzymes can occur; your liver function is checked weekly for three months after the infusion.",
    ),
];

/// A Corvigen patient: registered, the case opened at LUH-MAIN by the coordinator, the
/// benefits verified by finance and the consent recorded against the active form.
pub(super) async fn open(
    app: &App,
    people: &People,
    c: &Corvigen,
    (name, dob, mrn): (&str, &str, &str),
) -> Result<String, AppError> {
    let case = super::cases::open_case(
        app,
        &people.coordinator,
        (&c.pship.id, &c.site.id, &c.program.id),
        (name, dob, mrn),
    )
    .await?;
    let finance = user(app, "finance@lakeshore.example").await?;
    let today = Date::of_micros(app.now());
    let benefits = CaseInput::VerifyBenefits {
        payer: "Great Lakes Health Plan".into(),
        plan: "PPO Gold".into(),
        prior_authorization: PriorAuthorization {
            status: PriorAuthorizationStatus::Approved,
            requested_on: today.plus_days(-6),
            decided_on: Some(today),
            reference: format!("PA-GT-{}", &mrn[mrn.len().saturating_sub(4)..]),
        },
    };
    app.act_on_case(&finance, &case.id, benefits, "", None, None)
        .await?
        .fresh()?;
    let (consent, _) =
        super::drive::consent_input(app, &c.pship.id, &c.site.id, &c.program.id).await?;
    app.act_on_case(&people.coordinator, &case.id, consent, "", None, None)
        .await?
        .fresh()?;
    Ok(case.id)
}

/// Take the case forward as far as `until` lets it (at the app's clock), then hold or cancel
/// it as `until` says.
async fn forward(
    app: &App,
    people: &People,
    case_id: &str,
    labels: &Labels,
    twists: &[Twist],
    until: Until,
) -> Result<(), AppError> {
    for _ in 0..40 {
        if next(app, people, case_id, labels, twists, until.stop())
            .await?
            .is_none()
        {
            break;
        }
    }
    finish(app, people, case_id, until).await
}

/// Hold or cancel the case as `until` says, once it has gone as far as it goes.
async fn finish(app: &App, people: &People, case_id: &str, until: Until) -> Result<(), AppError> {
    if let Some(input) = until.last() {
        app.act_on_case(&people.coordinator, case_id, input, "", None, None)
            .await?
            .fresh()?;
    }
    Ok(())
}

/// (name, date of birth, how far the case goes). Fictional people.
const PLAIN: &[(&str, &str, Until)] = &[
    ("Theodore Lindahl", "1988-03-14", Until::Wait("order")),
    (
        "Amara Nwosu",
        "1995-07-30",
        Until::Wait("receipt_and_storage"),
    ),
    ("Elias Brandt", "1979-11-05", Until::Wait("preparation")),
    (
        "Sofia Marquez",
        "1991-01-22",
        Until::Hold(
            "preparation",
            "ALT four times the upper limit of normal on the pre-infusion labs; infusion postponed, labs repeated in one week",
        ),
    ),
    (
        "Henrik Dahl",
        "1983-06-09",
        Until::Cancel(
            "receipt_and_storage",
            "the patient chose to enroll in a clinical trial at another center; care returns to Dr. Iyer at Lakeshore Hepatology, records sent with the referral",
        ),
    ),
    ("Noor Rahimi", "1986-09-17", Until::Wait("follow_up")),
];

/// The plain seed's Corvigen cases at LUH-MAIN, all at the seeding's moment: one waiting for
/// its order, one for its kit, one with the kit in the freezer, one on hold before the
/// infusion, one cancelled with its care-transition note, one infused and monitored.
pub(super) async fn cases(app: &App) -> Result<(), AppError> {
    let c = corvigen(app).await?;
    let people = People::of_demo_with(app, "northbridge.example").await?;
    for (n, (name, dob, until)) in PLAIN.iter().enumerate() {
        let id = open(
            app,
            &people,
            &c,
            (name, dob, &format!("LUH-3{:07}", 100 + n)),
        )
        .await?;
        forward(app, &people, &id, &Labels::corvigen(n), &[], *until).await?;
    }
    Ok(())
}

/// (name, date of birth, the day of the demo's history the patient is referred, how far the
/// case goes). Fictional people. The two waiting at the preparation are taken to the bedside
/// at the end of the history.
pub(super) const NETWORK: &[(&str, &str, i64, Until)] = &[
    ("Adaeze Okonkwo", "1990-04-12", 1, Until::AsFarAsTime),
    ("Björn Halvorsen", "1984-10-30", 3, Until::AsFarAsTime),
    ("Camila Reyes", "1993-02-08", 5, Until::AsFarAsTime),
    ("Dev Malhotra", "1979-07-21", 12, Until::AsFarAsTime),
    ("Esther Goldberg", "1987-12-03", 17, Until::AsFarAsTime),
    ("Farid Nazari", "1982-05-16", 21, Until::AsFarAsTime),
    ("Greta Lindholm", "1996-09-27", 25, Until::AsFarAsTime),
    ("Hiro Sato", "1985-01-14", 29, Until::AsFarAsTime),
    (
        "Ines Carvalho",
        "1991-06-05",
        33,
        Until::Hold(
            "preparation",
            "ALT three times the upper limit of normal on the pre-infusion labs; infusion postponed until liver function settles",
        ),
    ),
    ("Jamal Wright", "1978-03-29", 37, Until::AsFarAsTime),
    ("Katarina Horvat", "1989-08-18", 41, Until::AsFarAsTime),
    (
        "Liam O'Sullivan",
        "1994-11-11",
        45,
        Until::Cancel(
            "receipt_and_storage",
            "neutralizing antibodies to the vector found on repeat testing; not eligible — care returns to Dr. Iyer at Lakeshore Hepatology, the kit order withdrawn with Northbridge",
        ),
    ),
    ("Mariam Yusuf", "1983-02-24", 49, Until::AsFarAsTime),
    ("Nikolai Petrov", "1980-07-07", 53, Until::AsFarAsTime),
    ("Olivia Bennett", "1992-12-19", 58, Until::AsFarAsTime),
    ("Pedro Alves", "1986-04-01", 63, Until::AsFarAsTime),
    ("Rania Khoury", "1990-09-09", 68, Until::AsFarAsTime),
    ("Stefan Novak", "1977-05-25", 73, Until::Wait("preparation")),
    (
        "Tamsin Clarke",
        "1995-03-03",
        78,
        Until::Wait("preparation"),
    ),
    ("Uchenna Eze", "1988-06-28", 84, Until::AsFarAsTime),
    ("Vera Sokolova", "1981-10-15", 90, Until::AsFarAsTime),
    ("Wen Li", "1993-01-31", 96, Until::AsFarAsTime),
    ("Xavier Dupont", "1985-08-08", 102, Until::AsFarAsTime),
    ("Yara Haddad", "1990-12-12", 108, Until::AsFarAsTime),
    ("Zain Chaudhry", "1987-04-04", 113, Until::AsFarAsTime),
];

/// The turns the n-th network case takes: a kit scanned for another patient at its receipt,
/// a kit received after a temperature excursion, a kit given after its thaw window closed.
pub(super) fn twists(n: usize) -> Vec<Twist> {
    match n % 7 {
        2 => vec![Twist::ScanMismatch],
        4 => vec![Twist::Excursion],
        5 => vec![Twist::LateInfusion],
        _ => Vec::new(),
    }
}

const MINUTE: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// How long after a step (the `nth` time it was done: a signature step is done once per
/// signature, a dual verification once per nurse) the next comes, as Corvigen runs at LUH-MAIN.
pub(super) fn gap_after(step: &str, nth: usize, twists: &[Twist]) -> i64 {
    match (step, nth) {
        // The physician signs the order, the pharmacist verifies it that afternoon.
        ("order", 1) => 3 * HOUR,
        // Northbridge makes and ships the patient's kit (its capacity's lead times).
        ("order", _) => 14 * DAY,
        // The infusion day is set once the kit is in the freezer.
        ("receipt_and_storage", _) => 4 * DAY,
        ("preparation", _) => 25 * MINUTE,
        ("dual_verification", 1) => 3 * MINUTE,
        ("dual_verification", _) if twists.contains(&Twist::LateInfusion) => 225 * MINUTE,
        ("dual_verification", _) => 10 * MINUTE,
        ("administration", _) => 2 * HOUR,
        // The 90 days of monitoring, then the registry's long-term follow-up.
        ("monitoring", _) => 90 * DAY,
        _ => HOUR,
    }
}

/// The end of the history: of the two cases waiting at the preparation, the first is
/// prepared, verified and given, its monitoring period about to be opened, the second thawed minutes ago with one nurse's
/// verification done, waiting for the second at the bedside.
pub(super) async fn to_the_bedside(
    app: &App,
    people: &People,
    waiting: &[(String, Labels)],
) -> Result<(), AppError> {
    if let Some((id, labels)) = waiting.first() {
        forward(app, people, id, labels, &[], Until::Wait("monitoring")).await?;
    }
    if let Some((id, labels)) = waiting.get(1) {
        for _ in 0..2 {
            next(app, people, id, labels, &[], None).await?;
        }
    }
    Ok(())
}

/// The People who act on Corvigen's cases: Lakeshore's staff and Northbridge's.
pub(super) async fn people(app: &App) -> Result<People, AppError> {
    People::of_demo_with(app, "northbridge.example").await
}
