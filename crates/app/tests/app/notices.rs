//! Notices: expiry reminders and verdict changes, to both sides and no one else.

use crate::support::*;
use cellpath_app::{App, AppError, Caller, ManualClock};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn an_agreement_about_to_lapse_is_a_reminder_for_both_sides() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(
            app.expiring_agreements(&nurse, &ids.partnership, today(&app), 60)
                .await
                .unwrap()
                .is_empty()
        );
        let quality = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| {
                a.kind == AgreementKind::QualityAgreement && a.site_id.as_ref() == Some(&ids.main)
            })
            .unwrap();
        let lapses = today(&app).plus_days(30);
        app.set_agreement_dates(
            &contracts,
            &quality.id,
            quality.version,
            "2025-01-01",
            lapses.as_str(),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let reminders = app
            .expiring_agreements(&nurse, &ids.partnership, today(&app), 60)
            .await
            .unwrap();
        assert_eq!(reminders.len(), 1, "{}", db.label);
        assert_eq!(reminders[0].days_left, 30);
        assert_eq!(reminders[0].agreement.id, quality.id);
        // Still in force today: the gate holds until the day it lapses.
        assert!(
            app.gate(
                &nurse,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app)
            )
            .await
            .unwrap()
            .authorized
        );
    }
}

/// Move the clock to noon UTC of `day` (forward only) and return that day.
fn move_to(app: &App, clock: &ManualClock, day: &str) -> cellpath_domain::Date {
    let d = cellpath_domain::Date::parse(day).unwrap();
    let target = d.days_since_epoch() * 86_400_000_000 + 43_200_000_000;
    clock.advance_secs((target - app.now()) / 1_000_000);
    assert_eq!(today(app), d);
    d
}

/// (agreement kind, expires_on, days_before, days_left, sent_on) of every recorded reminder.
async fn reminders(app: &App, partnership: &str) -> Vec<(String, String, i64, i64, String)> {
    let mut out: Vec<_> = app
        .store()
        .expiry_reminders_of(partnership)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.agreement_kind.as_str().to_string(),
                r.expires_on.into(),
                r.days_before,
                r.days_left,
                r.sent_on.into(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn expiry_reminders_are_recorded_once_per_threshold_before_the_demo_agreements_lapse() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let executed = [
            "data_protection",
            "master_service_agreement",
            "quality_agreement",
            "supply_agreement",
            "terms_and_conditions",
        ];
        let expect =
            |before: i64, left: i64, on: &str| -> Vec<(String, String, i64, i64, String)> {
                executed
                    .iter()
                    .map(|k| (k.to_string(), "2030-05-31".into(), before, left, on.into()))
                    .collect()
            };
        // Nothing is due a month on (Northbridge's master service agreement lapses 45 days
        // after the demo's history ends, later than 90 days ahead).
        let day = move_to(&app, &clock, "2025-12-24");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        // 90 days before 2030-05-31: one reminder for each executed agreement, and only once.
        let day = move_to(&app, &clock, "2030-03-02");
        assert_eq!(
            app.send_expiry_reminders(day.clone()).await.unwrap(),
            5,
            "{}",
            db.label
        );
        assert_eq!(
            app.send_expiry_reminders(day).await.unwrap(),
            0,
            "{}",
            db.label
        );
        assert_eq!(
            reminders(&app, &ids.partnership).await,
            expect(90, 90, "2030-03-02")
        );
        let day = move_to(&app, &clock, "2030-04-15");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day.clone()).await.unwrap(), 5);
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        // The server was down over the 7-day mark: on 2030-05-30 the 7-day reminder only.
        let day = move_to(&app, &clock, "2030-05-30");
        assert_eq!(app.send_expiry_reminders(day.clone()).await.unwrap(), 5);
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);
        let all = reminders(&app, &ids.partnership).await;
        assert_eq!(all.len(), 15, "{all:?}");
        let last: Vec<_> = all
            .iter()
            .filter(|r| r.4 == "2030-05-30")
            .cloned()
            .collect();
        assert_eq!(last, expect(7, 1, "2030-05-30"));
        // On and after the expiry day: nothing (the gate speaks then).
        for d in ["2030-05-31", "2030-06-01"] {
            let day = move_to(&app, &clock, d);
            assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0, "{d}");
        }

        // Each reminder is an event on the partnership's ledger, and replays to the same rows.
        let events = app
            .store()
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == "expiry_reminder.created")
                .count(),
            15
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_renewed_agreement_gets_fresh_reminders_and_a_withdrawn_one_none() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 5);

        let agreements = app.agreements(&contracts, &ids.partnership).await.unwrap();
        let of = |kind: AgreementKind| agreements.iter().find(|a| a.kind == kind).unwrap().clone();
        let msa = of(AgreementKind::MasterServiceAgreement);
        app.set_agreement_dates(
            &contracts,
            &msa.id,
            msa.version,
            "2025-06-01",
            "2032-05-31",
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let tc = of(AgreementKind::TermsAndConditions);
        app.move_agreement(&contracts, &tc.id, tc.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();

        // The 7-day mark: the three still lapsing on 2030-05-31, not the renewed one, not the
        // withdrawn one.
        let day = move_to(&app, &clock, "2030-05-24");
        assert_eq!(
            app.send_expiry_reminders(day).await.unwrap(),
            3,
            "{}",
            db.label
        );
        // The renewed date gets its own reminders from the start.
        let day = move_to(&app, &clock, "2032-03-02");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 1);
        let msa_reminders: Vec<(String, i64)> = app
            .store()
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.agreement_id == msa.id)
            .map(|r| (r.expires_on.into(), r.days_before))
            .collect();
        assert_eq!(
            msa_reminders,
            [
                ("2032-05-31".to_string(), 90),
                ("2030-05-31".to_string(), 30)
            ],
            "newest first"
        );
        let tc_reminders = app
            .store()
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.agreement_id == tc.id)
            .count();
        assert_eq!(
            tc_reminders, 1,
            "only the one given before it was withdrawn"
        );
    }
}

#[tokio::test]
async fn a_reminder_is_recorded_once_even_when_two_jobs_race() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let day = move_to(&app, &clock, "2030-03-02");
        let (a, b) = tokio::join!(
            app.send_expiry_reminders(day.clone()),
            app.send_expiry_reminders(day.clone())
        );
        assert_eq!(a.unwrap() + b.unwrap(), 5, "{}", db.label);
        assert_eq!(reminders(&app, &ids.partnership).await.len(), 5);
        // The unique index itself refuses a second record of the same reminder.
        let r = app
            .store()
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .remove(0);
        let again = cellpath_store::Append::new(
            ids.partnership.clone(),
            "system:test",
            "expiry_reminder.created",
            serde_json::json!({ "id": "rem_again", "new": {
                "partnership_id": r.partnership_id, "agreement_id": r.agreement_id,
                "agreement_kind": r.agreement_kind, "expires_on": r.expires_on,
                "days_before": r.days_before, "days_left": r.days_left, "sent_on": r.sent_on,
            }}),
            app.now(),
        );
        let err = app.store().append(again).await.unwrap_err();
        assert!(
            matches!(AppError::from(err), AppError::Duplicate { .. }),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn both_sides_of_a_partnership_see_its_notices_and_no_one_else_does() {
    use cellpath_app::notices::NoticeKind;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let mfr = as_user(&app, "quality@helixa.example").await;
        let hs = as_user(&app, "nurse@lakeshore.example").await;
        let stranger = as_user(&app, "admin@piedmont.example").await;

        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 5);
        let seen_by_mfr = app.notices(&mfr, &helixa, Page::all()).await.unwrap();
        let seen_by_hs = of_helixa(
            &ids.partnership,
            app.notices(&hs, &lakeshore, Page::all()).await.unwrap(),
        );
        let ids_of = |n: &[cellpath_app::notices::Notice]| {
            n.iter().map(|x| x.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            seen_by_mfr.len(),
            6,
            "{}: five reminders and LUH-MAIN's authorization",
            db.label
        );
        assert_eq!(
            ids_of(&seen_by_mfr),
            ids_of(&seen_by_hs),
            "the same notices, in the same order"
        );
        // Newest first: the reminders, then the authorization the demo recorded.
        assert!(
            seen_by_mfr[..5]
                .iter()
                .all(|n| n.kind == NoticeKind::ExpiryReminder)
        );
        assert_eq!(seen_by_mfr[5].kind, NoticeKind::SiteAuthorized);
        assert!(
            seen_by_mfr[5]
                .text
                .contains("is an authorized treatment center for Vantacel since"),
            "{}",
            seen_by_mfr[5].text
        );
        let msa = |list: &[cellpath_app::notices::Notice]| {
            list.iter()
                .find(|n| n.agreement_kind == Some(AgreementKind::MasterServiceAgreement))
                .unwrap()
                .text
                .clone()
        };
        assert_eq!(
            msa(&seen_by_mfr),
            "Master service agreement with Lakeshore University Health expires on 2030-05-31 — 30 days left"
        );
        assert_eq!(
            msa(&seen_by_hs),
            "Master service agreement with Helixa Therapeutics expires on 2030-05-31 — 30 days left"
        );
        // A site's own agreement names the site.
        let quality = seen_by_hs
            .iter()
            .find(|n| n.agreement_kind == Some(AgreementKind::QualityAgreement))
            .unwrap();
        assert_eq!(quality.site_id.as_deref(), Some(ids.main.as_str()));
        assert_eq!(
            quality.text,
            "Quality agreement for Lakeshore University Hospital with Helixa Therapeutics expires on 2030-05-31 — 30 days left"
        );
        // Another tenant: nothing of theirs, and not another organization's notices.
        assert!(
            app.notices(&stranger, &piedmont, Page::all())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            app.notices(&stranger, &lakeshore, Page::all()).await,
            Err(AppError::NotFound(_))
        ));

        // Paged: two pages of four are the whole list (with Northbridge's authorization).
        let first = app
            .notices(
                &hs,
                &lakeshore,
                Page {
                    limit: 4,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        let second = app
            .notices(
                &hs,
                &lakeshore,
                Page {
                    limit: 4,
                    offset: 4,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            ids_of(&of_helixa(&ids.partnership, [first, second].concat())),
            ids_of(&seen_by_hs)
        );

        // The agreements lapse; the next day's job suspends LUH-MAIN, and both sides are told.
        let day = move_to(&app, &clock, "2030-06-01");
        assert!(app.review_all_authorizations(day).await.unwrap() >= 1);
        // (The same review suspends LUH-MAIN for Corvigen, whose agreement lapsed long before:
        // Lakeshore's newest notice of its partnership with Helixa is the one told here.)
        for (caller, org) in [(&mfr, &helixa), (&hs, &lakeshore)] {
            let list = app.notices(caller, org, Page::all()).await.unwrap();
            let n = list
                .iter()
                .find(|n| n.partnership_id == ids.partnership)
                .unwrap();
            assert_eq!(n.kind, NoticeKind::SiteSuspended, "{}: {n:?}", db.label);
            assert_eq!(n.site_id.as_deref(), Some(ids.main.as_str()));
            assert_eq!(n.program_id.as_deref(), Some(ids.vantacel.as_str()));
            assert_eq!(n.on, "2030-06-01");
            assert!(
                n.missing
                    .iter()
                    .any(|m| m == "Master service agreement: expired on 2030-05-31"),
                "{:?}",
                n.missing
            );
            assert!(n.text.contains("Lakeshore University Hospital is suspended for Vantacel since 2030-06-01. Missing: Master service agreement: expired on 2030-05-31"), "{}", n.text);
        }
        assert!(
            app.notices(&stranger, &piedmont, Page::all())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_withdrawal_and_a_new_agreement_show_as_suspension_then_reinstatement_to_both_sides() {
    use cellpath_app::notices::NoticeKind;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let mfr = as_user(&app, "contracts@helixa.example").await;
        let hs = as_user(&app, "contracts@lakeshore.example").await;
        let newest = |caller: Caller, org: String| {
            let app = app.clone();
            async move {
                app.notices(&caller, &org, Page::first(1))
                    .await
                    .unwrap()
                    .remove(0)
            }
        };

        let msa = app
            .agreements(&hs, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        app.move_agreement(&hs, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The review the withdrawal enqueued records the suspension: nothing is left for
        // another.
        app.run_due_jobs().await.unwrap();
        let changes = app
            .review_authorizations(&mfr, &ids.partnership, today(&app))
            .await
            .unwrap();
        assert!(changes.is_empty(), "{}: {changes:?}", db.label);
        for (caller, org) in [(&mfr, &helixa), (&hs, &lakeshore)] {
            let n = newest(caller.clone(), org.clone()).await;
            assert_eq!(n.kind, NoticeKind::SiteSuspended, "{}: {n:?}", db.label);
            assert_eq!(n.missing, ["Master service agreement: withdrawn"]);
            assert_eq!(
                n.text,
                format!(
                    "Lakeshore University Hospital is suspended for Vantacel since {}. Missing: Master service agreement: withdrawn",
                    today(&app)
                )
            );
        }

        // A new master service agreement, executed: the next review reinstates the site.
        AgreementBuilder::new(&ids.partnership, "master_service_agreement")
            .with_effective_on("2025-11-01")
            .with_expires_on("2031-10-31")
            .with_executed_by(&hs)
            .executed(&app, &mfr)
            .await;
        // Executing it reinstates the site at once.
        let seen_by_mfr = app.notices(&mfr, &helixa, Page::all()).await.unwrap();
        let seen_by_hs = of_helixa(
            &ids.partnership,
            app.notices(&hs, &lakeshore, Page::all()).await.unwrap(),
        );
        // Authorization notices name no side: both read the very same ones.
        let plain = |list: &[cellpath_app::notices::Notice]| {
            list.iter()
                .map(|n| (n.id.clone(), n.kind, n.on.clone(), n.text.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(plain(&seen_by_mfr), plain(&seen_by_hs));
        let n = &seen_by_hs[0];
        assert_eq!(n.kind, NoticeKind::SiteReinstated, "{}: {n:?}", db.label);
        assert!(n.missing.is_empty());
        assert_eq!(
            n.text,
            format!(
                "Lakeshore University Hospital is reinstated for Vantacel since {}",
                today(&app)
            )
        );
        // Each verdict the ledger recorded stays a notice: the suspension is not lost once
        // reinstated, and each has its own id (the event that recorded it).
        let kinds: Vec<NoticeKind> = seen_by_hs.iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            [
                NoticeKind::SiteReinstated,
                NoticeKind::SiteSuspended,
                NoticeKind::SiteAuthorized
            ],
            "{}: {seen_by_hs:?}",
            db.label
        );
        assert_eq!(
            seen_by_hs[1].missing,
            ["Master service agreement: withdrawn"],
            "{}",
            db.label
        );
        let ids: std::collections::BTreeSet<&str> =
            seen_by_hs.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.len(), 3);
    }
}

/// Lakeshore's notices of its partnership with Helixa: it also reads those of its partnership
/// with Northbridge (LUH-MAIN authorized for Corvigen), which Helixa never sees.
fn of_helixa(
    partnership_id: &str,
    notices: Vec<cellpath_app::notices::Notice>,
) -> Vec<cellpath_app::notices::Notice> {
    let (helixa, northbridge): (Vec<_>, Vec<_>) = notices
        .into_iter()
        .partition(|n| n.partnership_id == partnership_id);
    assert!(
        northbridge
            .iter()
            .any(|n| n.text.contains("authorized treatment center for Corvigen")),
        "{northbridge:?}"
    );
    helixa
}
