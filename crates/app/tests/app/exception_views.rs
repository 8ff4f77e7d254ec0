//! Release exceptions as the surfaces read them (issue 13, points 5 and 6): an exception's
//! view tells each person what they may do by the protocol's rules; the SLA record counts a
//! step as breached once its time has passed undone; each side sees the record of its own
//! partnerships only, another tenant none.

use crate::exception_protocols::agree_protocol;
use crate::support::*;
use cellpath_app::AppError;
use cellpath_app::release_exceptions::OpenReleaseException;
use cellpath_domain::release_exception::{ExceptionKind, HOUR};
use cellpath_store::testing::TestDb;

fn failure() -> OpenReleaseException {
    OpenReleaseException {
        kind: ExceptionKind::ManufacturingFailure,
        certificate_reference: "QA-2026-0311 expansion failed".into(),
        certificate_sha256: "d1".repeat(32),
    }
}

#[tokio::test]
async fn each_person_is_offered_what_the_protocol_lets_them_do() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception_view(&quality, &case, failure(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(opened.case_pseudonym, "VAN-LUH-MAIN-0007");
        assert_eq!(opened.program_name, "Vantacel");
        assert_eq!(opened.tiers.len(), 3);
        assert!(opened.tiers[0].told && !opened.tiers[1].told);
        assert_eq!(opened.next_escalation_at, Some(opened.opened_at + 8 * HOUR));
        assert_eq!(opened.decision_due_at, opened.opened_at + 72 * HOUR);
        assert!(opened.may_acknowledge && opened.may_decide && !opened.may_tell_patient);

        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let v = app
            .release_exception_view(&coordinator, &opened.id)
            .await
            .unwrap();
        assert!(v.may_acknowledge && v.may_tell_patient && !v.may_decide);
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let v = app
            .release_exception_view(&nurse, &opened.id)
            .await
            .unwrap();
        assert!(!v.may_acknowledge && !v.may_tell_patient && !v.may_decide && !v.may_sign);

        let cell_lab = as_user(&app, "cell.lab@lakeshore.example").await;
        let acked = app
            .acknowledge_release_exception_view(&cell_lab, &opened.id, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert!(
            acked
                .acknowledged_by
                .is_some_and(|n| !n.starts_with("usr_"))
        );
        assert_eq!(acked.next_escalation_at, None);
        let v = app
            .release_exception_view(&coordinator, &opened.id)
            .await
            .unwrap();
        assert!(!v.may_acknowledge, "acknowledged once for everyone");

        // Another manufacturer: nothing to see.
        let other = as_user(&app, "quality@northbridge.example").await;
        assert!(matches!(
            app.release_exception_view(&other, &opened.id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(app.release_exceptions(&other).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_step_left_undone_past_its_time_is_a_breach_in_the_sla_record() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        app.run_due_jobs().await.unwrap();
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception(&quality, &case, failure(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let now = app
            .release_exception_sla(&coordinator, &ids.partnership)
            .await
            .unwrap();
        assert_eq!(now.summary.exceptions, 1);
        assert_eq!(now.summary.notify.done, 1);
        assert_eq!(now.summary.notify.median, Some(0));
        assert_eq!(
            now.summary.acknowledge.breached + now.summary.tell_patient.breached,
            0
        );

        // Nine hours, nobody acknowledged: tier 2 told, the acknowledgement breached.
        clock.advance_secs(9 * HOUR / 1_000_000);
        app.run_due_jobs().await.unwrap();
        let v = app
            .release_exception_view(&coordinator, &opened.id)
            .await
            .unwrap();
        assert!(v.tiers[1].told && v.tiers[1].escalated && !v.tiers[2].told);
        let later = app
            .release_exception_sla(&coordinator, &ids.partnership)
            .await
            .unwrap();
        assert_eq!(later.summary.acknowledge.breached, 1);
        assert_eq!(later.summary.tell_patient.breached, 0, "24 hours allowed");
        assert!(later.exceptions[0].sla.acknowledge.took.is_none());

        // Each side's dashboard holds its own partnerships; another tenant's does not hold it.
        let mfr = app.release_exception_slas(&quality).await.unwrap();
        let row = mfr
            .partnerships
            .iter()
            .find(|p| p.partnership_id == ids.partnership)
            .expect("the manufacturer's record of the partnership");
        assert_eq!(row.summary.acknowledge.breached, 1);
        let other = as_user(&app, "quality@northbridge.example").await;
        let theirs = app.release_exception_slas(&other).await.unwrap();
        assert!(
            theirs
                .partnerships
                .iter()
                .all(|p| p.partnership_id != ids.partnership)
        );
        assert!(matches!(
            app.release_exception_sla(&other, &ids.partnership).await,
            Err(AppError::NotFound(_))
        ));
        // A health system with only a proposal: no record of it.
        let cascade = as_user(&app, "admin@cascade.example").await;
        assert!(
            app.release_exception_slas(&cascade)
                .await
                .unwrap()
                .partnerships
                .is_empty()
        );
    }
}
