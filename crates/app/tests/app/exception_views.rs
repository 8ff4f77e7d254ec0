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

#[tokio::test]
async fn once_expanded_access_is_decided_each_prerequisite_is_offered_to_its_side_and_role() {
    use cellpath_app::release_exceptions::{ExceptionDecision, ExceptionPrerequisite};
    use cellpath_domain::release_exception::{DecisionOption, Prerequisite};
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception_view(
                &quality,
                &case,
                OpenReleaseException {
                    kind: ExceptionKind::OutOfSpecification,
                    certificate_reference: "QA-2026-0312 viability 61 %".into(),
                    certificate_sha256: "d2".repeat(32),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The options the protocol offers for the kind, to who decides; none to anyone else.
        assert_eq!(
            opened.decision_options,
            [
                DecisionOption::Remanufacture,
                DecisionOption::ReCollection,
                DecisionOption::ExpandedAccess,
                DecisionOption::OtherTherapy,
                DecisionOption::Cancel,
            ]
        );
        assert!(!opened.may_record_prerequisite && opened.recordable_prerequisites.is_empty());
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let v = app
            .release_exception_view(&nurse, &opened.id)
            .await
            .unwrap();
        assert!(v.decision_options.is_empty());

        let physician = as_user(&app, "physician@lakeshore.example").await;
        app.decide_release_exception(
            &physician,
            &opened.id,
            ExceptionDecision {
                option: DecisionOption::ExpandedAccess,
                note: String::new(),
                care_transition_plan: None,
            },
            None,
        )
        .await
        .unwrap();
        let offered = |email: &'static str| {
            let app = app.clone();
            let id = opened.id.clone();
            async move {
                let who = as_user(&app, email).await;
                app.release_exception_view(&who, &id).await.unwrap()
            }
        };
        let by_physician = offered("physician@lakeshore.example").await;
        assert_eq!(by_physician.decision, Some(DecisionOption::ExpandedAccess));
        assert!(
            by_physician
                .decided_by
                .is_some_and(|n| !n.starts_with("usr_"))
        );
        assert!(by_physician.decision_options.is_empty(), "decided once");
        assert!(by_physician.may_record_prerequisite);
        assert_eq!(
            by_physician.recordable_prerequisites,
            [
                Prerequisite::PhysicianRequest,
                Prerequisite::IrbApproval,
                Prerequisite::ExpandedAccessConsent,
            ]
        );
        assert_eq!(by_physician.prerequisites_missing.len(), 4);
        assert_eq!(
            offered("nurse@lakeshore.example")
                .await
                .recordable_prerequisites,
            [Prerequisite::ExpandedAccessConsent]
        );
        assert_eq!(
            offered("quality@helixa.example")
                .await
                .recordable_prerequisites,
            [Prerequisite::ManufacturerRelease]
        );
        let ops = offered("patient.ops@helixa.example").await;
        assert!(!ops.may_record_prerequisite && ops.recordable_prerequisites.is_empty());

        // Recorded once: no longer offered, and the close's hash names it.
        app.record_exception_prerequisite(
            &physician,
            &opened.id,
            ExceptionPrerequisite {
                prerequisite: Prerequisite::PhysicianRequest,
                reference: "REQ-2026-12".into(),
                document_sha256: None,
                note: String::new(),
            },
            None,
        )
        .await
        .unwrap();
        let after = offered("physician@lakeshore.example").await;
        assert_eq!(after.prerequisites, [Prerequisite::PhysicianRequest]);
        assert_eq!(after.prerequisites_missing.len(), 3);
        assert!(
            !after
                .recordable_prerequisites
                .contains(&Prerequisite::PhysicianRequest)
        );
        assert_ne!(after.close_sha256, by_physician.close_sha256);
        assert!(!after.may_sign, "the patient is not told yet");
    }
}
