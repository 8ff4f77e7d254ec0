//! Manufacturing capacity and booked chains (issue 12): each manufacturer's program with its
//! capacity stated by its quality lead, and Vantacel's apheresis days asked for by Lakeshore's
//! coordinator and confirmed by Helixa's patient operations as whole chains — on the cases
//! that reached apheresis scheduling — with the week after seeding's manufacturing starts all
//! taken, and one request still waiting for Helixa. All through the same commands a person
//! uses. (Corvigen's in-vivo map has no apheresis: its kits are ordered, not booked, so its
//! capacity is stated and no chain is booked on it.)

use super::drive::{Labels, People, next};
use super::{find, launch, user};
use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::capacity::{Capacity, LeadTimes};
use cellpath_domain::journey::{CaseStatus, available};
use cellpath_store::Page;

/// Apheresis days asked for today and on the following days (the week's patients).
const ASKED_FROM_TODAY: &[i64] = &[1, 1, 2, 3, 3];

/// The week's patients: referred earlier, consented and enrolled, their apheresis and
/// manufacturing slots confirmed for the days after seeding. Fictional people.
const WEEK: &[(&str, &str)] = &[
    ("Beatriz Ocampo", "1966-02-17"),
    ("Conrad Lindgren", "1959-10-04"),
    ("Deborah Achterberg", "1971-06-23"),
    ("Emeka Obi", "1963-12-30"),
    ("Francesca Rinaldi", "1957-03-08"),
];

/// Both programs' capacity, then Vantacel's chains at LUH-MAIN (after the cases).
pub(super) async fn seed(app: &App) -> Result<(), AppError> {
    capacity(app).await?;
    let launch = launch(app).await?;
    let site = find(launch.sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let people = People::of_demo(app).await?;
    let patient_ops = user(app, "patient.ops@helixa.example").await?;
    let today = Date::of_micros(app.now());

    // The cases that reached apheresis scheduling: those past it have their chain confirmed
    // for today (collected today), the one standing at it asks for a day and waits.
    let mut waiting = Vec::new();
    for row in app
        .cases_of_site(&people.coordinator, &site.id, Page::all())
        .await?
    {
        let (loaded, _) = app.load_case(&people.coordinator, &row.id).await?;
        if loaded.row.program_id != launch.vantacel.id || loaded.case.status != CaseStatus::Active {
            continue;
        }
        if loaded
            .case
            .has_passed(loaded.map.map(), "apheresis_scheduling")
        {
            book(app, &people.coordinator, &patient_ops, &row.id, &today).await?;
        } else if available(&loaded.map, &loaded.case)
            .first()
            .is_some_and(|a| a.step == "apheresis_scheduling")
        {
            waiting.push(row.id);
        }
    }

    // The week's patients, taken to apheresis scheduling and booked: every manufacturing start
    // of the week after seeding is then taken, so a day asked for in it is answered with the
    // first day after the week that has room for the whole chain.
    for (n, ((name, dob), days)) in WEEK.iter().zip(ASKED_FROM_TODAY).enumerate() {
        let case = at_scheduling(app, &people, &launch, &site.id, (name, dob), 500 + n).await?;
        book(
            app,
            &people.coordinator,
            &patient_ops,
            &case.id,
            &today.plus_days(*days),
        )
        .await?;
    }

    // Asked for two days from now, waiting for Helixa's patient operations to answer.
    for id in waiting {
        app.request_booking(&people.coordinator, &id, today.plus_days(2).as_str(), None)
            .await?
            .fresh()?;
    }
    Ok(())
}

/// A new Vantacel patient at the site, referred, consented and enrolled: the case taken to its
/// apheresis scheduling step (the `n`th demo patient: its record number and labels).
pub(super) async fn at_scheduling(
    app: &App,
    people: &People,
    launch: &super::Launch,
    site_id: &str,
    (name, dob): (&str, &str),
    n: usize,
) -> Result<crate::cases::CaseOpenedView, AppError> {
    let case = super::cases::open_case(
        app,
        &people.coordinator,
        (&launch.pship.id, site_id, &launch.vantacel.id),
        (name, dob, &format!("LUH-1{n:07}")),
    )
    .await?;
    let labels = Labels::numbered(n - 410);
    while next(
        app,
        people,
        &case.id,
        &labels,
        &[],
        Some("apheresis_scheduling"),
    )
    .await?
    .is_some()
    {}
    Ok(case)
}

/// The site asks for `asked_on`; the manufacturer confirms the earliest whole chain from it.
pub(super) async fn book(
    app: &App,
    site: &Caller,
    manufacturer: &Caller,
    case_id: &str,
    asked_on: &Date,
) -> Result<cellpath_store::Booking, AppError> {
    let asked = app
        .request_booking(site, case_id, asked_on.as_str(), None)
        .await?
        .fresh()?;
    app.confirm_booking(manufacturer, &asked.id, Some(asked.version), None)
        .await?
        .fresh()
}

/// Each program's capacity, stated by its manufacturer's quality lead: Vantacel two
/// collections received and one manufacturing run started a day, closed over the year-end
/// holidays; Corvigen two kits started a day, each made in ten days.
async fn capacity(app: &App) -> Result<(), AppError> {
    let year: i64 = Date::of_micros(app.now()).as_str()[..4]
        .parse()
        .map_err(|_| AppError::Internal("demo: the year of today".into()))?;
    let holidays = (year..=year + 1)
        .flat_map(|y| {
            [
                format!("{y}-12-24"),
                format!("{y}-12-25"),
                format!("{y}-12-31"),
                format!("{}-01-01", y + 1),
            ]
        })
        .map(|d| Date::parse(&d).map_err(|e| AppError::Internal(format!("demo: {e}"))))
        .collect::<Result<_, _>>()?;
    let programs: [(&str, &str, Capacity); 2] = [
        (
            "quality@helixa.example",
            "Vantacel",
            Capacity {
                apheresis_slots_per_day: 2,
                manufacturing_slots_per_day: 1,
                closed: holidays,
                lead: LeadTimes {
                    to_start_min_days: 2,
                    to_start_max_days: 5,
                    manufacturing_days: 17,
                    transit_days: 2,
                    transit_days_by_site: Default::default(),
                    arrival_to_infusion_days: 3,
                },
                allocations: Vec::new(),
                offer_hours: 48,
            },
        ),
        (
            "quality@northbridge.example",
            "Corvigen",
            Capacity {
                apheresis_slots_per_day: 4,
                manufacturing_slots_per_day: 2,
                closed: Default::default(),
                lead: LeadTimes {
                    to_start_min_days: 1,
                    to_start_max_days: 3,
                    manufacturing_days: 10,
                    transit_days: 1,
                    transit_days_by_site: Default::default(),
                    arrival_to_infusion_days: 4,
                },
                allocations: Vec::new(),
                offer_hours: 48,
            },
        ),
    ];
    for (email, name, capacity) in programs {
        let quality = user(app, email).await?;
        let org = quality
            .principal
            .as_ref()
            .map(|p| p.org_id.clone())
            .ok_or_else(|| AppError::Internal("demo: quality lead's organization".into()))?;
        let program = find(app.store.programs_of(&org, Page::all()).await?, name, |p| {
            p.name == name
        })
        .await?;
        app.set_program_capacity(&quality, &program.id, capacity, None, None)
            .await?
            .fresh()?;
    }
    Ok(())
}
