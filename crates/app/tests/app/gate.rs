//! The gate: which sites are authorized, what suspends them and what reinstates them.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_seeded_main_hospital_is_authorized_and_the_north_campus_lists_what_is_missing() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let me = as_user(&app, "nurse@lakeshore.example").await;
        let main = app
            .gate(&me, &ids.partnership, &ids.main, &ids.vantacel, today(&app))
            .await
            .unwrap();
        assert!(main.authorized, "{}: {:?}", db.label, texts(&main));
        let north = app
            .gate(
                &me,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!north.authorized);
        assert_eq!(
            texts(&north),
            [
                "Quality agreement: not executed (negotiating)",
                "Supply agreement: none for this site yet",
                "Site map signed by both sides: not done",
                "Informed consent with manufacturing-failure language: not done",
                "Site qualification audit: not done",
                "Staff training: not done",
                "Mock shipment: not done",
                "Pharmacy and therapeutics approval: not done",
                "1 open blocking readiness gap",
            ],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn withdrawing_the_master_service_agreement_suspends_the_main_hospital() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let main = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!main.authorized);
        assert_eq!(
            texts(&main),
            ["Master service agreement: withdrawn"],
            "{}",
            db.label
        );
        // A withdrawn agreement takes no more moves, and says so.
        let msa = app.store().agreement(&msa.id).await.unwrap().unwrap();
        let err = app
            .move_agreement(&contracts, &msa.id, msa.version, "executed", None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no more moves"), "{err}");
    }
}

#[tokio::test]
async fn a_blocking_gap_holds_back_every_site_that_uses_its_facility() {
    use cellpath_app::records::facilities::FacilityPatch;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        // North's infusion unit lacks tocilizumab: a blocking gap found at North's visit.
        let unit = app
            .store()
            .facilities_of(&lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.name == "Lakeshore North Medical Center Infusion and Inpatient Unit")
            .unwrap();
        let gaps = |m: &[String]| m.iter().any(|t| t == "1 open blocking readiness gap");
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((status.as_str(), gaps(&missing)), ("authorized", false));
        assert!(gaps(&verdict(&app, &ids, &ids.north).await.1));

        // The main hospital starts using that unit too: the gap holds it back, and the review
        // the change enqueued records the suspension on the partnership's ledger.
        clock.advance_secs(86_400);
        let unit = app
            .update_facility(
                &admin,
                &unit.id,
                unit.version,
                FacilityPatch {
                    site_ids: Some(vec![ids.north.clone(), ids.main.clone()]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.run_due_jobs().await.unwrap();
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}: {missing:?}", db.label);
        assert_eq!(missing, ["1 open blocking readiness gap"], "{}", db.label);

        // North stops using it: the gap no longer holds North back (it still holds Main).
        app.update_facility(
            &admin,
            &unit.id,
            unit.version,
            FacilityPatch {
                site_ids: Some(vec![ids.main.clone()]),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        assert!(
            !gaps(&verdict(&app, &ids, &ids.north).await.1),
            "{}",
            db.label
        );
        assert!(
            gaps(&verdict(&app, &ids, &ids.main).await.1),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn ending_a_partnership_or_taking_the_program_off_it_suspends_its_sites() {
    use cellpath_app::records::partnerships::PartnershipPatch;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let admin = as_user(&app, "admin@helixa.example").await;
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");

        // Vantacel taken off the partnership: its sites are suspended by the review it enqueued.
        clock.advance_secs(86_400);
        let p = app.partnership(&admin, &ids.partnership).await.unwrap();
        let p = app
            .update_partnership(
                &admin,
                &p.id,
                p.version,
                PartnershipPatch {
                    programs: Some(vec![]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.run_due_jobs().await.unwrap();
        let recorded = app
            .store()
            .site_authorizations_of(&ids.partnership)
            .await
            .unwrap();
        let main = recorded.iter().find(|r| r.site_id == ids.main).unwrap();
        assert_eq!(main.status, AuthorizationStatus::Suspended, "{}", db.label);
        assert_eq!(
            main.missing,
            serde_json::json!(["Partnership: no longer for this program"])
        );
        // Back on it: reinstated.
        let p = app
            .update_partnership(
                &admin,
                &p.id,
                p.version,
                PartnershipPatch {
                    programs: Some(vec!["Vantacel".into()]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.run_due_jobs().await.unwrap();
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");

        // Ended: nothing it authorized stays authorized, and the gate says why first.
        app.update_partnership(
            &admin,
            &p.id,
            p.version,
            PartnershipPatch {
                status: Some("ended".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        app.run_due_jobs().await.unwrap();
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(missing, ["Partnership: ended"], "{}", db.label);
        // The hourly job leaves an ended partnership alone; a person may not ask for a
        // review of it either: an ended partnership takes no writes.
        assert_eq!(app.review_all_authorizations(today(&app)).await.unwrap(), 0);
        let err = app
            .review_authorizations(&contracts, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("has ended")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_agreement_suspends_an_authorization_and_a_new_one_reinstates_it() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .expect("the demo records LUH-MAIN's authorization");
        assert_eq!(
            (recorded.status, recorded.since.clone()),
            (AuthorizationStatus::Authorized, today(&app))
        );
        // Nothing changed: a review records nothing.
        assert!(
            app.review_authorizations(&contracts, &ids.partnership, today(&app))
                .await
                .unwrap()
                .is_empty()
        );

        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        clock.advance_secs(86_400);
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The review the withdrawal enqueued records the suspension, the same day, for both
        // sides.
        app.run_due_jobs().await.unwrap();
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .unwrap();
        assert_eq!(
            recorded.status,
            AuthorizationStatus::Suspended,
            "{}",
            db.label
        );
        assert_eq!(recorded.since, today(&app));
        assert_eq!(
            recorded.missing,
            serde_json::json!(["Master service agreement: withdrawn"])
        );
        assert!(
            app.review_authorizations(&contracts, &ids.partnership, today(&app))
                .await
                .unwrap()
                .is_empty(),
            "{}: nothing left for the review",
            db.label
        );

        // A new master service agreement, executed: reinstated.
        AgreementBuilder::new(&ids.partnership, "master_service_agreement")
            .executed(&app, &contracts)
            .await;
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .unwrap();
        assert_eq!(
            recorded.status,
            AuthorizationStatus::Authorized,
            "{}: reinstated by the review the execution enqueued",
            db.label
        );
        assert_eq!(recorded.missing, serde_json::json!([]));
        let events: Vec<String> = app
            .store()
            .events_newest_first(&ids.partnership, Page::first(200))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("site_authorization"))
            .collect();
        assert_eq!(
            events,
            [
                "site_authorization.updated",
                "site_authorization.updated",
                "site_authorization.updated",
                "site_authorization.created"
            ],
            "reinstated; still suspended, now waiting for the new agreement (not started) rather \
             than the withdrawn one; suspended; first authorized"
        );
    }
}

#[tokio::test]
async fn the_scheduled_review_suspends_a_site_when_its_agreements_expire() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let pship = app
        .store()
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id;
    let main = app
        .store()
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap()
        .id;
    let vantacel = app
        .store()
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let date = |d: &str| cellpath_domain::Date::parse(d).unwrap();
    // Nothing changed for Vantacel since the demo's own review; LUH-MAIN's Corvigen
    // authorization rests on Northbridge's master service agreement, which lapses 45 days after
    // the demo's history ends: the day after, the job records that one suspension.
    let msa_lapsed = cellpath_domain::Date::of_micros(START)
        .plus_days(cellpath_app::demo::HISTORY_DAYS + 46)
        .to_string();
    assert_eq!(
        app.review_all_authorizations(date(&msa_lapsed))
            .await
            .unwrap(),
        1
    );
    // The demo's agreements run until 2030-05-31: on 2030-06-01 the job suspends LUH-MAIN.
    assert!(
        app.review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap()
            >= 1
    );
    let viewer = as_user(&app, "pharmacy@lakeshore.example").await;
    let gate = app
        .gate(&viewer, &pship, &main, &vantacel, date("2030-06-01"))
        .await
        .unwrap();
    assert!(!gate.authorized);
    assert!(
        gate.missing.iter().any(|m| m.text.contains("expired")),
        "{:?}",
        gate.missing
            .iter()
            .map(|m| m.text.clone())
            .collect::<Vec<_>>()
    );
    let events = app.store().events(&pship, 0, 100_000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "site_authorization.updated" && e.body.contains("suspended"))
    );
    // A second run the same day records nothing new.
    assert_eq!(
        app.review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap(),
        0
    );
}

/// The payloads of the authorization events are shared with partners: the rule moved into the
/// domain (`domain/contracting/gate.rs`), the bytes must not.
#[tokio::test]
async fn authorization_events_keep_the_payloads_the_ledger_has_always_held() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let first_day = today(&app);
        let row = app
            .store()
            .site_authorizations_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.site_id == ids.main && r.program_id == ids.vantacel)
            .expect("the demo authorizes LUH-MAIN");
        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        clock.advance_secs(86_400);
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The suspension is recorded by the review the withdrawal enqueued.
        app.run_due_jobs().await.unwrap();
        let payloads: Vec<(String, serde_json::Value)> = app
            .store()
            .events_newest_first(&ids.partnership, Page::first(200))
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.starts_with("site_authorization"))
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
                (e.kind, body["payload"].clone())
            })
            .filter(|(_, p)| p["id"] == serde_json::json!(row.id))
            .collect();
        assert_eq!(
            payloads,
            [
                (
                    "site_authorization.updated".to_string(),
                    serde_json::json!({
                        "id": row.id,
                        "version": 2,
                        "old": { "status": "authorized", "since": first_day.as_str(), "missing": [] },
                        "new": {
                            "status": "suspended",
                            "since": today(&app).as_str(),
                            "missing": ["Master service agreement: withdrawn"],
                        },
                    })
                ),
                (
                    "site_authorization.created".to_string(),
                    serde_json::json!({
                        "id": row.id,
                        "new": {
                            "partnership_id": ids.partnership,
                            "site_id": ids.main,
                            "program_id": ids.vantacel,
                            "status": "authorized",
                            "since": first_day.as_str(),
                            "missing": [],
                        },
                    })
                ),
            ],
            "{}",
            db.label
        );
    }
}

/// Opening a case judges one site's gate from that site's rows alone: for every partnership,
/// site and program of the demo (authorized, missing deliverables, open gaps), on both
/// databases, the verdict and every item are exactly what the whole partnership's record says.
#[tokio::test]
async fn one_sites_gate_read_alone_is_the_gate_the_whole_partnership_reads() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let mut compared = 0;
        for org in ["Helixa Therapeutics", "Northbridge Gene Medicines"] {
            let Some(mfr) = app
                .store()
                .organizations(Page::all())
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.name == org)
            else {
                continue;
            };
            for p in app
                .store()
                .partnerships_of(&mfr.id, Page::all())
                .await
                .unwrap()
            {
                let me = as_user(&app, "contracts@lakeshore.example").await;
                let Ok(gates) = app.gates(&me, &p.id, today(&app)).await else {
                    continue;
                };
                for whole in gates {
                    let alone = app
                        .gate_of_site_alone(&p.id, &whole.site_id, &whole.program_id, today(&app))
                        .await
                        .unwrap();
                    assert_eq!(
                        serde_json::to_value(&alone).unwrap(),
                        serde_json::to_value(&whole).unwrap(),
                        "{}: {} {}",
                        db.label,
                        whole.site_id,
                        whole.program_id
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared >= 2, "{}: {compared} gates compared", db.label);
    }
}
