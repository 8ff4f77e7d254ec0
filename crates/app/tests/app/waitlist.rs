//! The scored waitlist, wired: patient operations score and skip waiting requests; a freed
//! chain is offered to exactly one request (the first eligible in the order), holding its
//! slots; the site accepts or declines; an unanswered offer lapses on its timer. Also when two
//! chains free at once and the jobs run concurrently, on both databases. And a confirmed
//! chain records the case's apheresis schedule step through its job, once.

use super::bookings::open_cases;
use super::support::*;
use cellpath_app::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::capacity::{Capacity, LeadTimes};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::waitlist::Priority;
use cellpath_store::Booking;
use cellpath_store::testing::TestDb;
use std::collections::{BTreeMap, BTreeSet};

/// `per_day` slots of each kind, open only on `x` (apheresis) and `x + 3` (manufacturing
/// start) within the horizon: exactly `per_day` whole chains exist.
pub(super) fn only_day(today: &Date, x: &Date, per_day: u32) -> Capacity {
    let closed = (0..450)
        .map(|d| today.plus_days(d))
        .filter(|d| d != x && *d != x.plus_days(3))
        .collect();
    Capacity {
        apheresis_slots_per_day: per_day,
        manufacturing_slots_per_day: per_day,
        closed,
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

/// A demo case whose apheresis scheduling step is open now.
pub(super) async fn waiting_for_its_apheresis_day(
    app: &App,
    ids: &GateIds,
    coordinator: &cellpath_app::Caller,
) -> String {
    for id in open_cases(app, ids, 50).await {
        let view = app.case(coordinator, &id).await.unwrap();
        if view
            .steps
            .iter()
            .any(|s| s.key == "apheresis_scheduling" && s.state == "current")
        {
            return id;
        }
    }
    panic!("the demo has a case waiting for its apheresis slot")
}

pub(super) fn fresh(r: Result<cellpath_app::Outcome<Booking>, AppError>) -> Booking {
    r.unwrap().fresh().unwrap()
}

fn priority(score: u32, reason: &str) -> Priority {
    Priority {
        score,
        reason: reason.into(),
        criteria_version: "BCMA-2026-03".into(),
    }
}

async fn booking(app: &App, id: &str) -> Booking {
    app.store().booking(id).await.unwrap().unwrap()
}

/// Each waiting case asks for `x` and is put on the waitlist.
async fn waitlisted(app: &App, cases: &[String], x: &Date) -> Vec<String> {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let ops = as_user(app, "patient.ops@helixa.example").await;
    let mut out = Vec::new();
    for case in cases {
        let b = fresh(
            app.request_booking(&coordinator, case, x.as_str(), None)
                .await,
        );
        fresh(
            app.waitlist_booking(&ops, &b.id, "no slot left that week", None, None)
                .await,
        );
        out.push(b.id);
    }
    out
}

#[tokio::test]
async fn a_freed_chain_is_offered_to_exactly_one_request_in_the_order_and_answered_on_the_record() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let x = today.plus_days(20);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        app.set_program_capacity(
            &onboarding,
            &ids.vantacel,
            only_day(&today, &x, 1),
            None,
            None,
        )
        .await
        .unwrap();
        let cases = open_cases(&app, &ids, 4).await;
        assert_eq!(cases.len(), 4, "{}", db.label);
        let a = fresh(
            app.request_booking(&coordinator, &cases[0], x.as_str(), None)
                .await,
        );
        let a = fresh(app.confirm_booking(&ops, &a.id, None, None).await);
        assert_eq!(a.chain.as_ref().unwrap().apheresis_on, x);
        let w = waitlisted(&app, &cases[1..], &x).await;
        let (b, c, d) = (&w[0], &w[1], &w[2]);

        // Scores: by patient ops only, every problem by its field; the site may not score.
        let bad = app
            .score_booking(&ops, b, priority(140, "short"), None, None)
            .await
            .unwrap_err();
        let AppError::Invalid(fields) = &bad else {
            panic!("{bad:?}")
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["score", "reason"], "{}", db.label);
        assert!(matches!(
            app.score_booking(
                &coordinator,
                b,
                priority(50, "relapse after two lines"),
                None,
                None
            )
            .await
            .unwrap_err(),
            AppError::Forbidden(_)
        ));
        let onboarding_scores = app
            .score_booking(
                &onboarding,
                b,
                priority(50, "relapse after two lines"),
                None,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(onboarding_scores, AppError::Forbidden(_)),
            "{onboarding_scores:?}"
        );
        fresh(
            app.score_booking(
                &ops,
                b,
                priority(50, "relapse after two lines of therapy"),
                None,
                None,
            )
            .await,
        );
        fresh(
            app.score_booking(
                &ops,
                c,
                priority(80, "rapid progression, fit for collection now"),
                None,
                None,
            )
            .await,
        );
        // The order: scored by score, then unscored; the site does not read the list.
        let order: Vec<String> = app
            .program_waitlist(&ops, &ids.vantacel)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.booking.id)
            .collect();
        assert_eq!(order, [c.clone(), b.clone(), d.clone()], "{}", db.label);
        assert!(matches!(
            app.program_waitlist(&coordinator, &ids.vantacel)
                .await
                .unwrap_err(),
            AppError::NotFound(_)
        ));

        // C is passed over (who and why on its row); the site cancels A: its chain is offered
        // to B alone, holding A's two slots.
        assert!(matches!(
            app.skip_booking(&ops, c, "", None, None).await.unwrap_err(),
            AppError::Invalid(_)
        ));
        let skipped = fresh(
            app.skip_booking(
                &ops,
                c,
                "bridging therapy not finished before that day",
                None,
                None,
            )
            .await,
        );
        assert_eq!(
            skipped.skipped.map(|s| (s.reason, s.by)),
            Some((
                "bridging therapy not finished before that day".to_string(),
                ops.actor()
            ))
        );
        fresh(
            app.cancel_booking(
                &coordinator,
                &a.id,
                "the patient moved to another center",
                None,
                None,
            )
            .await,
        );
        app.run_due_jobs().await.unwrap();
        let offered = booking(&app, b).await;
        assert_eq!(offered.status, BookingStatus::Offered, "{}", db.label);
        assert_eq!(offered.chain, a.chain, "{}: A's chain", db.label);
        let deadline = offered.offer_expires_at.expect("a deadline") - app.now();
        assert!(
            (47 * 3_600 * 1_000_000..=48 * 3_600 * 1_000_000).contains(&deadline),
            "{}: 48 hours to accept, {deadline}",
            db.label
        );
        for other in [c, d] {
            assert_eq!(booking(&app, other).await.status, BookingStatus::Waitlisted);
        }
        // The offer's slots are held: nobody else is confirmed into them.
        assert!(app.store().stray_reservations().await.unwrap().is_empty());
        let err = app.confirm_booking(&ops, d, None, None).await.unwrap_err();
        assert!(matches!(err, AppError::State(_)), "{err:?}");

        // Only the site answers; B declines with a reason: D is next (C is passed over).
        assert!(matches!(
            app.accept_offer(&ops, b, None, None).await.unwrap_err(),
            AppError::Forbidden(_)
        ));
        assert!(matches!(
            app.decline_offer(&coordinator, b, " ", None, None)
                .await
                .unwrap_err(),
            AppError::Invalid(_)
        ));
        let declined = fresh(
            app.decline_offer(
                &coordinator,
                b,
                "the patient has an infection that week",
                None,
                None,
            )
            .await,
        );
        assert_eq!(declined.status, BookingStatus::Waitlisted);
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            booking(&app, d).await.status,
            BookingStatus::Offered,
            "{}",
            db.label
        );
        assert_eq!(booking(&app, b).await.status, BookingStatus::Waitlisted);
        assert_eq!(booking(&app, c).await.status, BookingStatus::Waitlisted);

        // D does not answer: at its deadline the offer lapses; B declined and C is passed
        // over, so nobody is offered the chain until patient ops score one of them again.
        clock.advance_secs(47 * 3_600);
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            booking(&app, d).await.status,
            BookingStatus::Offered,
            "not yet"
        );
        clock.advance_secs(2 * 3_600);
        app.run_due_jobs().await.unwrap();
        let lapsed = booking(&app, d).await;
        assert_eq!(lapsed.status, BookingStatus::Waitlisted, "{}", db.label);
        assert_eq!(
            lapsed.reason.as_deref(),
            Some("the offer lapsed unanswered")
        );
        assert_eq!(
            lapsed.skipped.map(|s| (s.reason, s.by)),
            Some((
                "the offer lapsed unanswered".to_string(),
                "system:waitlist".to_string()
            ))
        );
        for other in [b, c] {
            assert_eq!(booking(&app, other).await.status, BookingStatus::Waitlisted);
        }
        fresh(
            app.score_booking(
                &ops,
                b,
                priority(60, "infection cleared, fit for collection"),
                None,
                None,
            )
            .await,
        );
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            booking(&app, b).await.status,
            BookingStatus::Offered,
            "{}",
            db.label
        );
        assert_eq!(booking(&app, c).await.status, BookingStatus::Waitlisted);

        // B accepts: confirmed with the slots the offer held, both of them.
        let accepted = fresh(app.accept_offer(&coordinator, b, None, None).await);
        assert_eq!(accepted.status, BookingStatus::Confirmed);
        assert_eq!(accepted.chain, a.chain);
        app.run_due_jobs().await.unwrap();
        let held = app
            .store()
            .chains_starting_between(&ids.vantacel, &x, &x.plus_days(400))
            .await
            .unwrap();
        // (The demo's own chains start in the week after seeding, before `x`.)
        assert_eq!(held.len(), 1, "{}: one chain holds the slots", db.label);
        assert!(app.store().stray_reservations().await.unwrap().is_empty());

        // Every offer, acceptance, decline and skip is on the record, with who.
        let kinds = booking_event_kinds(&app).await;
        for kind in [
            "booking.scored",
            "booking.skipped",
            "booking.offered",
            "booking.offer_declined",
            "booking.offer_expired",
            "booking.offer_accepted",
        ] {
            assert!(kinds.iter().any(|(k, _)| k == kind), "{}: {kind}", db.label);
        }
        assert!(
            kinds
                .iter()
                .any(|(k, a)| k == "booking.skipped" && *a == ops.actor())
        );
        assert!(
            kinds
                .iter()
                .any(|(k, a)| k == "booking.offer_declined" && *a == coordinator.actor())
        );
        assert!(
            kinds
                .iter()
                .any(|(k, a)| k == "booking.offered" && a == "system:waitlist")
        );
        assert_replays(&app, db.label).await;
    }
}

/// Every booking event's (kind, actor), across ledgers.
pub(super) async fn booking_event_kinds(app: &App) -> Vec<(String, String)> {
    let ids = gate_ids(app).await;
    let helixa = org_id(app, "Helixa Therapeutics").await;
    let mut out = Vec::new();
    for ledger in [helixa, ids.partnership] {
        for e in app
            .store()
            .events_of_type(&ledger, "booking.")
            .await
            .unwrap()
        {
            out.push((e.kind, e.actor));
        }
    }
    out
}

#[tokio::test]
async fn two_chains_freed_at_once_go_to_two_requests_one_each_whatever_runs_the_jobs() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let x = today.plus_days(20);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        app.set_program_capacity(
            &onboarding,
            &ids.vantacel,
            only_day(&today, &x, 2),
            None,
            None,
        )
        .await
        .unwrap();
        let cases = open_cases(&app, &ids, 5).await;
        assert_eq!(cases.len(), 5, "{}", db.label);
        let mut held = Vec::new();
        for case in &cases[..2] {
            let b = fresh(
                app.request_booking(&coordinator, case, x.as_str(), None)
                    .await,
            );
            held.push(fresh(app.confirm_booking(&ops, &b.id, None, None).await));
        }
        let waiting = waitlisted(&app, &cases[2..], &x).await;
        // Both chains freed at once, each with its own job; then many runs at once.
        let mut cancels = tokio::task::JoinSet::new();
        for b in &held {
            let (app, who, id) = (app.clone(), coordinator.clone(), b.id.clone());
            cancels.spawn(async move {
                app.cancel_booking(&who, &id, "the patient chose another treatment", None, None)
                    .await
            });
        }
        for c in cancels.join_all().await {
            c.unwrap();
        }
        let mut runs = tokio::task::JoinSet::new();
        for i in 0..6 {
            let (app, program) = (app.clone(), ids.vantacel.clone());
            runs.spawn(async move {
                if i % 2 == 0 {
                    app.run_due_jobs().await.map(|_| ())
                } else {
                    app.offer_freed_slots(&program).await.map(|_| ())
                }
            });
        }
        for r in runs.join_all().await {
            r.unwrap();
        }
        app.run_due_jobs().await.unwrap();
        let mut offered = Vec::new();
        for id in &waiting {
            let b = booking(&app, id).await;
            if b.status == BookingStatus::Offered {
                offered.push(b);
            } else {
                assert_eq!(b.status, BookingStatus::Waitlisted, "{}", db.label);
            }
        }
        assert_eq!(offered.len(), 2, "{}: two chains, two offers", db.label);
        // The two oldest (none is scored), each with its own slots.
        assert_eq!(
            offered
                .iter()
                .map(|b| b.id.clone())
                .collect::<BTreeSet<_>>(),
            waiting[..2].iter().cloned().collect::<BTreeSet<_>>(),
            "{}",
            db.label
        );
        let slots: BTreeSet<(u32, u32)> = offered
            .iter()
            .map(|b| {
                let c = b.chain.as_ref().unwrap();
                (c.apheresis_slot, c.manufacturing_slot)
            })
            .collect();
        assert_eq!(slots.len(), 2, "{}: {slots:?}", db.label);
        assert!(app.store().stray_reservations().await.unwrap().is_empty());
        let offers = booking_event_kinds(&app)
            .await
            .into_iter()
            .filter(|(k, _)| k == "booking.offered")
            .count();
        assert_eq!(offers, 2, "{}: each offer recorded once", db.label);
    }
}

#[tokio::test]
async fn a_confirmed_chain_records_the_cases_apheresis_schedule_step_once() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let x = today.plus_days(20);
        app.set_program_capacity(
            &onboarding,
            &ids.vantacel,
            only_day(&today, &x, 3),
            None,
            None,
        )
        .await
        .unwrap();
        let case = waiting_for_its_apheresis_day(&app, &ids, &coordinator).await;
        let b = fresh(
            app.request_booking(&coordinator, &case, x.as_str(), None)
                .await,
        );
        fresh(app.confirm_booking(&ops, &b.id, None, None).await);
        // Not in the confirmation's own code: in its job.
        let step = |v: &cellpath_app::cases::CaseView| {
            v.steps
                .iter()
                .find(|s| s.key == "apheresis_scheduling")
                .map(|s| s.state)
        };
        assert_eq!(
            step(&app.case(&coordinator, &case).await.unwrap()),
            Some("current")
        );
        app.run_due_jobs().await.unwrap();
        let after = app.case(&coordinator, &case).await.unwrap();
        assert_eq!(step(&after), Some("done"), "{}", db.label);
        assert!(
            after
                .timeline
                .iter()
                .any(|e| e.text.contains(&x.words()) || e.text.contains(x.as_str())),
            "{}: {:?}",
            db.label,
            after.timeline.iter().map(|e| &e.text).collect::<Vec<_>>()
        );
        // Run again: nothing more recorded.
        let version = app.store().case(&case).await.unwrap().unwrap().version;
        app.record_booked_chain(&b.id).await.unwrap();
        assert_eq!(
            app.store().case(&case).await.unwrap().unwrap().version,
            version
        );
    }
}

#[tokio::test]
async fn a_programs_own_offer_hours_set_the_deadline_and_its_timer_and_a_week_is_the_most() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let x = today.plus_days(20);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        // More than a week, or none, is refused beside the field, and nothing is written.
        for hours in [0, 169] {
            let err = app
                .set_program_capacity(
                    &onboarding,
                    &ids.vantacel,
                    Capacity {
                        offer_hours: hours,
                        ..only_day(&today, &x, 1)
                    },
                    None,
                    None,
                )
                .await
                .unwrap_err();
            let AppError::Invalid(fields) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(fields.len(), 1, "{}: {fields:?}", db.label);
            assert_eq!(fields[0].field, "offer_hours");
            assert!(fields[0].message.contains("from 1 to 168 hours"));
        }
        // This program gives sites 6 hours.
        app.set_program_capacity(
            &onboarding,
            &ids.vantacel,
            Capacity {
                offer_hours: 6,
                ..only_day(&today, &x, 1)
            },
            None,
            None,
        )
        .await
        .unwrap();
        let cases = open_cases(&app, &ids, 2).await;
        let a = fresh(
            app.request_booking(&coordinator, &cases[0], x.as_str(), None)
                .await,
        );
        let a = fresh(app.confirm_booking(&ops, &a.id, None, None).await);
        let w = waitlisted(&app, &cases[1..], &x).await;
        fresh(
            app.score_booking(
                &ops,
                &w[0],
                priority(70, "relapsed, fit for collection"),
                None,
                None,
            )
            .await,
        );
        fresh(
            app.cancel_booking(
                &coordinator,
                &a.id,
                "the patient moved to another center",
                None,
                None,
            )
            .await,
        );
        app.run_due_jobs().await.unwrap();
        let offered = booking(&app, &w[0]).await;
        assert_eq!(offered.status, BookingStatus::Offered, "{}", db.label);
        let deadline = offered.offer_expires_at.expect("a deadline") - app.now();
        assert!(
            (6 * 3_600 * 1_000_000 - 60 * 1_000_000..=6 * 3_600 * 1_000_000).contains(&deadline),
            "{}: the program's 6 hours, not 48: {deadline}",
            db.label
        );
        // Its timer fires at the program's deadline, not two days later.
        clock.advance_secs(5 * 3_600);
        app.run_due_jobs().await.unwrap();
        assert_eq!(booking(&app, &w[0]).await.status, BookingStatus::Offered);
        clock.advance_secs(3_600 + 1);
        app.run_due_jobs().await.unwrap();
        let lapsed = booking(&app, &w[0]).await;
        assert_eq!(lapsed.status, BookingStatus::Waitlisted, "{}", db.label);
        assert_eq!(
            lapsed.reason.as_deref(),
            Some("the offer lapsed unanswered")
        );
    }
}
