//! The waitlist as people meet it (issue 12, points 3 and 8), seeded at the end of the demo's
//! history so its offers stand open when the server starts: four more Vantacel patients at
//! LUH-MAIN asked for apheresis days that Helixa's patient operations waitlisted, then
//! scored by the published criteria — one passed over until the committee looks again; the
//! offering job gives each scored request a whole chain; one site declines its offer, saying
//! why, and waits on the list again. All through the same commands and jobs a person and the
//! server's worker use. Fictional people.

use super::bookings::at_scheduling;
use super::drive::People;
use super::{find, launch, user};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::waitlist::Priority;

/// The criteria version the committee scores by.
const CRITERIA: &str = "VAN-WL-2026-02";

/// A committee's score and its reason; none: passed over.
type Scored = Option<(u32, &'static str)>;

/// The waiting patients: name, date of birth, and their priority.
const WAITING: &[(&str, &str, Scored)] = &[
    (
        "Gwendolyn Aspinall",
        "1961-09-12",
        Some((
            82,
            "Relapsed after four prior lines; bridging therapy failing; ECOG 1",
        )),
    ),
    (
        "Hiroshi Tanabe",
        "1968-04-27",
        Some((
            74,
            "Progressing on third line; renal function adequate; ECOG 1",
        )),
    ),
    (
        "Ingrid Solberg",
        "1955-01-05",
        Some((
            61,
            "Stable on bridging therapy; can wait a month without harm",
        )),
    ),
    ("Jamal Whitfield", "1972-11-19", None),
];

/// A patient whose apheresis day was asked for this week and waits for the manufacturer.
const FRESH: (&str, &str) = ("Kalani Akana", "1969-07-14");

pub(super) async fn waitlist(app: &App) -> Result<(), AppError> {
    let launch = launch(app).await?;
    let site = find(launch.sites.clone(), "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let people = People::of_demo(app).await?;
    let patient_ops = user(app, "patient.ops@helixa.example").await?;
    let today = Date::of_micros(app.now());

    // A request the seeding left waiting months ago was answered long since: patient
    // operations confirm it with the earliest whole chain from today.
    for row in app
        .cases_of_site(&people.coordinator, &site.id, cellpath_store::Page::all())
        .await?
    {
        for b in app.case_bookings(&people.coordinator, &row.id).await? {
            if b.status == BookingStatus::Requested && b.asked_on < today {
                app.confirm_booking(&patient_ops, &b.id, Some(b.version), None)
                    .await?
                    .fresh()?;
            }
        }
    }

    let mut bookings = Vec::new();
    for (n, (name, dob, priority)) in WAITING.iter().enumerate() {
        let case = at_scheduling(app, &people, &launch, &site.id, (name, dob), 505 + n).await?;
        let asked = app
            .request_booking(
                &people.coordinator,
                &case.id,
                today.plus_days(3).as_str(),
                None,
            )
            .await?
            .fresh()?;
        let waiting = app
            .waitlist_booking(
                &patient_ops,
                &asked.id,
                "more requests than manufacturing slots this month: on the waitlist for the committee's order",
                Some(asked.version),
                None,
            )
            .await?
            .fresh()?;
        bookings.push((waiting, priority));
    }

    // The committee's order: three scored, one passed over until it looks again.
    let mut declined = None;
    for (booking, priority) in &bookings {
        match priority {
            Some((score, reason)) => {
                let scored = app
                    .score_booking(
                        &patient_ops,
                        &booking.id,
                        Priority {
                            score: *score,
                            reason: (*reason).into(),
                            criteria_version: CRITERIA.into(),
                        },
                        Some(booking.version),
                        None,
                    )
                    .await?
                    .fresh()?;
                if *score == 74 {
                    declined = Some(scored.id);
                }
            }
            None => {
                app.skip_booking(
                    &patient_ops,
                    &booking.id,
                    "awaiting the restaging scan; the committee scores it when it is read",
                    Some(booking.version),
                    None,
                )
                .await?
                .fresh()?;
            }
        }
    }
    // The server's worker runs the offering job the scores enqueued.
    app.run_due_jobs().await?;

    // And this week's request, waiting for Helixa's patient operations to answer.
    let (name, dob) = FRESH;
    let case = at_scheduling(
        app,
        &people,
        &launch,
        &site.id,
        (name, dob),
        505 + WAITING.len(),
    )
    .await?;
    app.request_booking(
        &people.coordinator,
        &case.id,
        today.plus_days(4).as_str(),
        None,
    )
    .await?
    .fresh()?;

    // One site declines the chain offered, saying why: it waits on the list again.
    if let Some(id) = declined
        && let Some(offered) = app
            .case_bookings(&people.coordinator, &booking_case(app, &id).await?)
            .await?
            .into_iter()
            .find(|b| {
                b.id == id && b.status == cellpath_domain::events::bookings::BookingStatus::Offered
            })
    {
        app.decline_offer(
            &people.coordinator,
            &offered.id,
            "the patient was admitted with an infection and cannot be collected that week",
            Some(offered.version),
            None,
        )
        .await?
        .fresh()?;
        app.run_due_jobs().await?;
    }
    Ok(())
}

/// The case a booking is for.
async fn booking_case(app: &App, booking_id: &str) -> Result<String, AppError> {
    app.store
        .booking(booking_id)
        .await?
        .map(|b| b.case_id)
        .ok_or_else(|| AppError::Internal(format!("demo: booking {booking_id}")))
}
