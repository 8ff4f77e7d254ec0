//! Manufacturing capacity and chained booking: the manufacturer states a program's capacity
//! (its own business: a partner does not read it); the site asks for an apheresis day from a
//! case; the manufacturer's patient operations confirm the earliest whole chain or waitlist
//! the request; either side cancels, freeing both slots. Many confirmations at once never
//! oversell a day, on both databases.

use super::support::*;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::capacity::{Capacity, LeadTimes};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_store::testing::TestDb;
use std::collections::{BTreeMap, BTreeSet};

/// One collection and one start a day, start 3–5 days after apheresis, 14 days to make,
/// 2 in transit, 3 from arrival to infusion.
fn one_a_day() -> Capacity {
    Capacity {
        apheresis_slots_per_day: 1,
        manufacturing_slots_per_day: 1,
        closed: BTreeSet::new(),
        lead: LeadTimes {
            to_start_min_days: 3,
            to_start_max_days: 5,
            manufacturing_days: 14,
            transit_days: 2,
            transit_days_by_site: BTreeMap::new(),
            arrival_to_infusion_days: 3,
        },
        allocations: Vec::new(),
        offer_hours: 48,
    }
}

/// Active Vantacel cases at the main site (the demo's site is authorized), those the demo
/// booked nothing for first; a booking the demo left in play on one is cancelled by the
/// coordinator, so each case is free to ask for a day.
pub(super) async fn open_cases(app: &App, ids: &GateIds, n: usize) -> Vec<String> {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let mut cases = Vec::new();
    for c in app
        .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.status == cellpath_domain::events::cases::CaseState::Active)
        .filter(|c| c.program_id == ids.vantacel)
    {
        let bookings = app.case_bookings(&coordinator, &c.id).await.unwrap();
        cases.push((!bookings.is_empty(), c.id, bookings));
    }
    cases.sort_by_key(|(booked, ..)| *booked);
    let mut picked = Vec::new();
    for (_, id, bookings) in cases.into_iter().take(n) {
        for b in bookings.into_iter().filter(|b| b.status.is_open()) {
            app.cancel_booking(&coordinator, &b.id, "the test asks afresh", None, None)
                .await
                .unwrap();
        }
        picked.push(id);
    }
    picked
}

fn status(r: Result<cellpath_app::Outcome<cellpath_store::Booking>, AppError>) -> BookingStatus {
    r.unwrap().fresh().unwrap().status
}

#[tokio::test]
async fn a_site_asks_for_a_day_and_the_manufacturer_confirms_the_whole_chain_or_waitlists() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let cases = open_cases(&app, &ids, 2).await;
        assert_eq!(cases.len(), 2, "{}: the demo has open cases", db.label);
        for case in &cases {
            assert!(
                app.case_bookings(&coordinator, case)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }

        // (The demo states Vantacel's capacity; the manufacturer restates it here.) A capacity with a problem is refused by field; patient ops may not set it; the
        // health system does not even see it.
        let mut bad = one_a_day();
        bad.manufacturing_slots_per_day = 0;
        let err = app
            .set_program_capacity(&onboarding, &ids.vantacel, bad, None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "manufacturing_slots_per_day"),
            "{err:?}"
        );
        assert!(matches!(
            app.set_program_capacity(&ops, &ids.vantacel, one_a_day(), None, None)
                .await
                .unwrap_err(),
            AppError::Forbidden(_)
        ));
        app.set_program_capacity(&onboarding, &ids.vantacel, one_a_day(), None, None)
            .await
            .unwrap();
        assert!(matches!(
            app.program_capacity(&coordinator, &ids.vantacel)
                .await
                .unwrap_err(),
            AppError::NotFound(_)
        ));
        assert_eq!(
            app.program_capacity(&ops, &ids.vantacel)
                .await
                .unwrap()
                .unwrap()
                .capacity,
            one_a_day()
        );

        // A day in the past is refused; the manufacturer does not ask for days.
        let err = app
            .request_booking(&coordinator, &cases[0], today.plus_days(-1).as_str(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "asked_on"),
            "{err:?}"
        );
        assert!(matches!(
            app.request_booking(&ops, &cases[0], today.plus_days(7).as_str(), None)
                .await
                .unwrap_err(),
            AppError::Forbidden(_)
        ));

        let asked = today.plus_days(7);
        let first = app
            .request_booking(&coordinator, &cases[0], asked.as_str(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(first.status, BookingStatus::Requested);
        // One booking in play per case.
        let err = app
            .request_booking(&coordinator, &cases[0], asked.as_str(), None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already has a booking"), "{err}");
        // The site does not confirm its own request.
        assert!(matches!(
            app.confirm_booking(&coordinator, &first.id, None, None)
                .await
                .unwrap_err(),
            AppError::Forbidden(_)
        ));

        let confirmed = app
            .confirm_booking(&ops, &first.id, None, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let chain = confirmed.chain.clone().expect("a whole chain");
        assert_eq!(chain.apheresis_on, asked);
        assert_eq!(chain.manufacturing_on, asked.plus_days(3));
        assert_eq!(chain.expected_infusion_on, asked.plus_days(3 + 14 + 2 + 3));

        // The second case asks for the same day: the answer is the next day with room.
        let second = app
            .request_booking(&coordinator, &cases[1], asked.as_str(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let offer = app.booking_offer(&ops, &second.id).await.unwrap().unwrap();
        assert_eq!(offer.apheresis_on, asked.plus_days(1));
        // Waitlisted with a reason (an empty one is refused), then confirmed from the list.
        assert!(matches!(
            app.waitlist_booking(&ops, &second.id, " ", None, None)
                .await
                .unwrap_err(),
            AppError::Invalid(_)
        ));
        assert_eq!(
            status(
                app.waitlist_booking(&ops, &second.id, "committee review on Friday", None, None)
                    .await
            ),
            BookingStatus::Waitlisted
        );
        let later = app
            .confirm_booking(&ops, &second.id, None, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(later.chain.unwrap().apheresis_on, asked.plus_days(1));

        // The site cancels the first: both its slots are free again, and a new request for
        // that day gets it.
        assert_eq!(
            status(
                app.cancel_booking(&coordinator, &first.id, "patient unwell", None, None)
                    .await
            ),
            BookingStatus::Cancelled
        );
        let again = app
            .request_booking(&coordinator, &cases[0], asked.as_str(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let reconfirmed = app
            .confirm_booking(&ops, &again.id, None, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(reconfirmed.chain.unwrap(), chain, "{}", db.label);
        assert_eq!(
            app.case_bookings(&coordinator, &cases[0])
                .await
                .unwrap()
                .len(),
            2
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn confirmations_at_once_never_oversell_a_day() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        // A second server on the same database: within one, confirmations of a program take
        // turns choosing; across the two, only the reservation key keeps them apart.
        let other = App::new(app.store().clone(), std::sync::Arc::new(clock.clone()));
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let ops: Caller = as_user(&app, "patient.ops@helixa.example").await;
        let mut capacity = one_a_day();
        capacity.manufacturing_slots_per_day = 2;
        capacity.apheresis_slots_per_day = 2;
        app.set_program_capacity(&onboarding, &ids.vantacel, capacity, None, None)
            .await
            .unwrap();
        // Eight clients at once, each for its own case.
        let cases = open_cases(&app, &ids, 8).await;
        assert_eq!(cases.len(), 8, "{}", db.label);
        // The demo's chains left confirmed on other cases.
        let demo_chains = app
            .store()
            .chains_starting_between(&ids.vantacel, &today, &today.plus_days(400))
            .await
            .unwrap()
            .len();
        let asked = today.plus_days(10);
        // Many clients ask for the same day at once, then are confirmed at once.
        let mut asking = tokio::task::JoinSet::new();
        for case in cases.clone() {
            let (app, coordinator, asked) = (app.clone(), coordinator.clone(), asked.clone());
            asking.spawn(async move {
                app.request_booking(&coordinator, &case, asked.as_str(), None)
                    .await
                    .unwrap()
                    .fresh()
                    .unwrap()
                    .id
            });
        }
        let bookings = asking.join_all().await;
        let mut racing = tokio::task::JoinSet::new();
        for (n, id) in bookings.into_iter().enumerate() {
            let app = if n % 2 == 0 {
                app.clone()
            } else {
                other.clone()
            };
            let ops = ops.clone();
            racing.spawn(async move { app.confirm_booking(&ops, &id, None, None).await });
        }
        let confirmed = racing.join_all().await;
        let mut per_day: BTreeMap<(&str, String), usize> = BTreeMap::new();
        let mut slots_taken = BTreeSet::new();
        for c in confirmed {
            let chain = c.unwrap().fresh().unwrap().chain.unwrap();
            for (kind, day, slot) in [
                (
                    "apheresis",
                    chain.apheresis_on.to_string(),
                    chain.apheresis_slot,
                ),
                (
                    "manufacturing",
                    chain.manufacturing_on.to_string(),
                    chain.manufacturing_slot,
                ),
            ] {
                assert!(
                    slots_taken.insert((kind, day.clone(), slot)),
                    "{}: {kind} slot {slot} on {day} twice",
                    db.label
                );
                *per_day.entry((kind, day)).or_default() += 1;
            }
        }
        assert!(
            per_day.values().all(|n| *n <= 2),
            "{}: {per_day:?}",
            db.label
        );
        let slots: i64 = app
            .store()
            .chains_starting_between(&ids.vantacel, &today, &today.plus_days(400))
            .await
            .unwrap()
            .len() as i64;
        assert_eq!(slots as usize, demo_chains + cases.len());
        assert!(app.store().stray_reservations().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_in_vivo_case_has_no_apheresis_to_book() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let corvigen = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|c| {
                c.program_id != ids.vantacel
                    && c.status == cellpath_domain::events::cases::CaseState::Active
            })
            .expect("an active Corvigen case");
        let asked = today(&app).plus_days(10);
        let refused = app
            .request_booking(&coordinator, &corvigen.id, asked.as_str(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::State(m) if m.contains("no apheresis")),
            "{}: {refused:?}",
            db.label
        );
        assert!(
            app.case_bookings(&coordinator, &corvigen.id)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn only_the_roles_that_book_ask_confirm_waitlist_or_cancel_as_the_pages_show_them() {
    use cellpath_domain::capacity::{BookingAct, may_book};
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        app.set_program_capacity(&onboarding, &ids.vantacel, one_a_day(), None, None)
            .await
            .unwrap();
        let case = open_cases(&app, &ids, 1).await.remove(0);
        let day = today(&app).plus_days(30).to_string();
        // A nurse sees the case but does not ask for a day (the case page shows her no form).
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(!may_book(
            BookingAct::Request,
            cellpath_domain::OrgKind::HealthSystem,
            cellpath_domain::Role::Nurse
        ));
        match app.request_booking(&nurse, &case, &day, None).await {
            Err(AppError::Forbidden(m)) => {
                assert!(m.contains("coordinators and physicians"), "{m}")
            }
            other => panic!("{}: {other:?}", db.label),
        }
        assert!(app.case_bookings(&nurse, &case).await.unwrap().is_empty());
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let asked = app
            .request_booking(&coordinator, &case, &day, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // Helixa's quality sees the case but leaves the scheduling to patient operations.
        let quality = as_user(&app, "quality@helixa.example").await;
        for refused in [
            app.confirm_booking(&quality, &asked.id, None, None).await,
            app.waitlist_booking(&quality, &asked.id, "no room", None, None)
                .await,
            app.cancel_booking(&quality, &asked.id, "no room", None, None)
                .await,
        ] {
            match refused {
                Err(AppError::Forbidden(m)) => {
                    assert!(m.contains("patient operations"), "{}: {m}", db.label)
                }
                other => panic!("{}: {other:?}", db.label),
            }
        }
        let after = app.case_bookings(&coordinator, &case).await.unwrap();
        assert_eq!(
            (after.len(), after[0].status, after[0].version),
            (1, BookingStatus::Requested, asked.version),
            "{}: nothing written",
            db.label
        );
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        assert_eq!(
            status(app.confirm_booking(&ops, &asked.id, None, None).await),
            BookingStatus::Confirmed
        );
    }
}
