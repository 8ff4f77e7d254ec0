//! Deliverables: recorded with a signature, revoked and recorded again.

use crate::support::*;
use cellpath_app::audit::VerifyReport;
use cellpath_app::signatures::SignedRecords;
use cellpath_app::views::Page;
use cellpath_app::{AppError, Caller};
use cellpath_ledger::Meaning;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn a_deliverable_is_recorded_with_a_signature_but_a_site_map_only_by_signing_it() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let input = |d: &str| {
            DeliverableBuilder::new(&ids.partnership, &ids.north, &ids.vantacel, d)
                .with_evidence("Mock shipment received and thawed within the window.")
        };
        let err = input("mock_shipment")
            .with_password("wrong")
            .try_record(&app, &onboarding)
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("password:"), "{err}");
        let err = input("site_map_signed")
            .try_record(&app, &onboarding)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("sign the site map"), "{err}");
        let before = app
            .store()
            .ledger_head(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        input("mock_shipment").record(&app, &onboarding).await;
        let after = app
            .store()
            .ledger_head(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.seq, before.seq + 2, "the record and its signature");
        let north = app
            .gate(
                &onboarding,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!texts(&north).contains(&"Mock shipment: not done".to_string()));
    }
}

#[tokio::test]
async fn a_pharmacist_records_formulary_approval_and_the_app_reviews_the_gate() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let input = |d: &str| {
            DeliverableBuilder::new(&ids.partnership, &ids.north, &ids.vantacel, d)
                .with_evidence("Vantacel added to the formulary at the P&T meeting of 2025-11-20.")
        };
        let formulary = "pharmacy_and_therapeutics";
        let err = input(formulary).try_record(&app, &nurse).await.unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
        let err = app
            .review_authorizations(&nurse, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");

        // Each side attests its own work: the manufacturer does not approve the hospital's
        // formulary, and the hospital does not qualify its own site.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let err = input(formulary)
            .try_record(&app, &onboarding)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("recorded by the health system")),
            "{err}"
        );
        let err = input("site_qualification_audit")
            .try_record(&app, &pharmacist)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("recorded by the manufacturer")),
            "{err}"
        );

        input(formulary).record(&app, &pharmacist).await;
        let north = app
            .gate(
                &pharmacist,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(
            !texts(&north).contains(&"Pharmacy and therapeutics approval: not done".to_string())
        );
        // The verdicts are the app's to record after her command; asking for a review is
        // the contracts roles' (the policy's `contract update`).
        let err = app
            .review_authorizations(&pharmacist, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    }
}

#[tokio::test]
async fn training_that_lapsed_is_revoked_with_a_signature_suspends_the_site_and_is_recorded_again()
{
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let cell_lab = as_user(&app, "cell.lab@lakeshore.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let training = || async {
            app.store()
                .deliverable_records_of(&ids.partnership, &ids.main, &ids.vantacel)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.deliverable == Deliverable::StaffTraining)
                .unwrap()
        };
        let t = training().await;
        clock.advance_secs(86_400);
        let reason =
            "Two infusion nurses trained in 2025 have left; the roster is no longer current.";

        // Not the nurse's to revoke; a wrong password writes nothing; no reason, no revocation.
        let err = app
            .revoke_deliverable(&nurse, &t.id, t.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, "wrong", None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "password"),
            "{err}"
        );
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, " ", pw, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "reason"),
            "{err}"
        );
        assert_eq!(training().await, t, "{}: nothing changed", db.label);

        // Revoked: signed (reviewed), and LUH-MAIN is suspended by the review the same command
        // enqueued.
        let revoked = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, pw, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.run_due_jobs().await.unwrap();
        assert_eq!(revoked.revoked_on, Some(today(&app)));
        assert_eq!(revoked.revoked_reason.as_deref(), Some(reason));
        let events = app
            .store()
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        let at = events
            .iter()
            .rposition(|e| e.kind == "deliverable_record.updated")
            .unwrap();
        let signature = app.store().signatures_on(&events[at].hash).await.unwrap();
        assert_eq!(signature.len(), 1, "{}", db.label);
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(missing, ["Staff training: not done"], "{}", db.label);
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, revoked.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already revoked"), "{err}");
        // A stale version is a conflict.
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict { .. }), "{err}");

        // The new staff trained: recorded done again on the same row; reinstated.
        clock.advance_secs(86_400);
        let again =
            DeliverableBuilder::new(&ids.partnership, &ids.main, &ids.vantacel, "staff_training")
                .with_done_on(today(&app).as_str())
                .with_evidence("New infusion nurses trained; roster TR-2026-02.")
                .record(&app, &cell_lab)
                .await;
        assert_eq!(again.id, t.id);
        assert!(again.counts() && again.evidence.contains("TR-2026-02"));
        app.run_due_jobs().await.unwrap();
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");
        // The old versions stay on the ledger, which still verifies; replay rebuilds the row.
        let reports = app.verify_all(&Caller::system("test")).await.unwrap();
        assert!(reports.iter().all(VerifyReport::is_intact), "{}", db.label);
        assert_replays(&app, db.label).await;

        // Each act's signature beside the record, oldest first, for whoever of either side
        // reads the deliverables (the nurse too); another tenant finds none of it.
        let signed = app
            .record_signatures(&nurse, &ids.partnership, SignedRecords::Deliverables)
            .await
            .unwrap();
        let acts: Vec<(&str, Meaning)> = signed
            .of(&t.id)
            .iter()
            .map(|s| (s.printed_name.as_str(), s.meaning))
            .collect();
        assert_eq!(acts.len(), 3, "{}: {acts:?}", db.label);
        assert_eq!(acts[0].1, Meaning::Verified, "{}", db.label);
        assert_eq!(
            acts[1..],
            [
                ("Ingrid Raman", Meaning::Reviewed),
                ("Ingrid Raman", Meaning::Verified)
            ],
            "{}",
            db.label
        );
        let stranger = as_user(&app, "contracts@northbridge.example").await;
        let err = app
            .record_signatures(&stranger, &ids.partnership, SignedRecords::Deliverables)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err}");
        // The trail the records point to: the cell lab lead who signed reads it, in names.
        let events = app
            .ledger_events(
                &cell_lab,
                &ids.partnership,
                Page {
                    limit: 1_000,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        let recorded_again = events
            .iter()
            .find(|e| e.kind == "deliverable_record.updated")
            .expect("recorded again, newest first");
        let signers: Vec<&str> = recorded_again
            .signatures
            .iter()
            .map(|s| s.printed_name.as_str())
            .collect();
        assert_eq!(signers, ["Ingrid Raman"], "{}", db.label);
        assert_eq!(recorded_again.actor_name.as_deref(), Some("Ingrid Raman"));
        let names = app
            .ledger_names(&cell_lab, &ids.partnership, &events)
            .await
            .unwrap();
        let main = app.store().site(&ids.main).await.unwrap().unwrap();
        assert_eq!(names.names.get(&ids.main), Some(&main.name), "{}", db.label);
        assert_eq!(
            names.names.get(&ids.vantacel).map(String::as_str),
            Some("Vantacel")
        );
        assert!(!names.agreements.is_empty(), "{}", db.label);
        let err = app
            .ledger_events(&stranger, &ids.partnership, Page::first(5))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err}");

        // The payloads as the ledger has always held them: the revocation's fields, then the
        // whole record again with the revocation cleared to "".
        let updates: Vec<serde_json::Value> = app
            .store()
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "deliverable_record.updated")
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.body).unwrap()["payload"].clone())
            .filter(|p| p["id"] == t.id.as_str())
            .collect();
        assert_eq!(
            updates,
            [
                serde_json::json!({ "id": t.id, "version": t.version + 1,
                    "old": { "revoked_on": "", "revoked_reason": "" },
                    "new": { "revoked_on": revoked.revoked_on, "revoked_reason": reason } }),
                serde_json::json!({ "id": t.id, "version": t.version + 2,
                    "old": { "done_on": t.done_on, "evidence": t.evidence,
                             "revoked_on": revoked.revoked_on, "revoked_reason": reason },
                    "new": { "done_on": again.done_on, "evidence": again.evidence,
                             "revoked_on": "", "revoked_reason": "" } }),
            ],
            "{}",
            db.label
        );
    }
}
