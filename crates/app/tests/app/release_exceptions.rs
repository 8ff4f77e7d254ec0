//! Release exceptions (issue 13, points 2-3): opened by the manufacturer's quality under the
//! program's agreed protocol — refused, nothing written, without one; tier 1 told at once;
//! only a recipient of a tier told acknowledges; the escalation timer tells the next tier
//! once however often its job runs; an acknowledgement racing the escalation never leaves
//! neither, nor both written from the same state.

use crate::exception_protocols::{agree_protocol, agree_protocol_on};
use crate::support::*;
use cellpath_app::release_exceptions::{ExceptionDecision, OpenReleaseException};
use cellpath_app::{AppError, Job};
use cellpath_domain::release_exception::{DecisionOption, ExceptionKind, HOUR};
use cellpath_store::testing::TestDb;

fn notice() -> OpenReleaseException {
    OpenReleaseException {
        kind: ExceptionKind::PostReleaseNotice,
        certificate_reference: "QA-2026-0117 late sterility result".into(),
        certificate_sha256: "ab".repeat(32),
    }
}

/// A site authorized on a protocol recorded by hand before the gate derived the item (as
/// partnerships of an earlier release are) has cases but no agreed protocol to open an
/// exception under.
#[tokio::test]
async fn without_an_agreed_protocol_nothing_is_opened() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let cascade = CascadeBuilder::accepted()
            .onboarded()
            .with_protocol_by_hand()
            .build(&app)
            .await;
        let case = cascade.open_case(&app).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let err = app
            .open_release_exception(&quality, &case, notice(), None)
            .await
            .unwrap_err();
        match err {
            AppError::Invalid(f) => assert_eq!(f[0].field, "kind", "{f:?}"),
            other => panic!("{other:?}"),
        }
        agree_protocol_on(
            &app,
            &cascade.partnership,
            &cascade.vantacel,
            "contracts@cascade.example",
        )
        .await;
        let mut bad = notice();
        bad.certificate_sha256 = "nope".into();
        assert!(
            app.open_release_exception(&quality, &case, bad, None)
                .await
                .is_err()
        );
        // Only the manufacturer's quality opens one.
        let coordinator = as_user(&app, "coordinator@cascade.example").await;
        assert!(matches!(
            app.open_release_exception(&coordinator, &case, notice(), None)
                .await,
            Err(AppError::Forbidden(_))
        ));
        assert!(
            app.store()
                .release_exceptions_of_case(&case)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_unacknowledged_exception_escalates_once_however_often_its_job_runs() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        app.run_due_jobs().await.unwrap();
        let quality = as_user(&app, "quality@helixa.example").await;
        let opened = app
            .open_release_exception(&quality, &case, notice(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(opened.tier_reached, 0);
        assert!(
            !opened.lymphodepletion_started,
            "the stored case waits in the freezer: lymphodepletion has not begun"
        );
        // A nurse is no recipient of tier 1.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(matches!(
            app.acknowledge_release_exception(&nurse, &opened.id, None)
                .await,
            Err(AppError::Forbidden(_))
        ));
        // Not yet due: the timer's job does nothing.
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            app.store()
                .release_exception(&opened.id)
                .await
                .unwrap()
                .unwrap()
                .tier_reached,
            0
        );
        clock.advance_secs(8 * HOUR / 1_000_000);
        app.run_due_jobs().await.unwrap();
        let once = app
            .store()
            .release_exception(&opened.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(once.tier_reached, 1);
        // The same job again (a worker that vanished mid-run, a restart): nothing more.
        let job = Job::EscalateException {
            exception_id: opened.id.clone(),
            tier: 1,
        };
        app.run_job(&job).await.unwrap();
        app.run_job(&job).await.unwrap();
        let after = app
            .store()
            .release_exception(&opened.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((after.tier_reached, after.version), (1, once.version));
        // Tier 2's physician acknowledges: tier 3 never comes.
        let physician = as_user(&app, "physician@lakeshore.example").await;
        app.acknowledge_release_exception(&physician, &opened.id, None)
            .await
            .unwrap();
        clock.advance_secs(48 * HOUR / 1_000_000);
        app.run_due_jobs().await.unwrap();
        let last = app
            .store()
            .release_exception(&opened.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last.tier_reached, 1);
        assert!(last.acknowledged_at.is_some());
    }
}

#[tokio::test]
async fn an_acknowledgement_racing_the_escalation_leaves_one_outcome() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let cell_lab = as_user(&app, "cell.lab@lakeshore.example").await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        for _ in 0..3 {
            let opened = app
                .open_release_exception(&quality, &case, notice(), None)
                .await
                .unwrap()
                .fresh()
                .unwrap();
            clock.advance_secs(8 * HOUR / 1_000_000);
            let (ack, esc) = tokio::join!(
                app.acknowledge_release_exception(&cell_lab, &opened.id, None),
                app.escalate_release_exception(&opened.id),
            );
            let row = app
                .store()
                .release_exception(&opened.id)
                .await
                .unwrap()
                .unwrap();
            let acked = row.acknowledged_at.is_some();
            let escalated = row.tier_reached == 1;
            assert_eq!(acked, ack.is_ok(), "{ack:?}");
            assert_eq!(escalated, matches!(esc, Ok(true)), "{esc:?}");
            // Never neither. When the two overlap, exactly one is written: acknowledged
            // before tier 2 was told, or tier 2 told and the acknowledgement refused on the
            // version it read. Both only one after the other — the acknowledgement read tier
            // 2's state and was written on its version (two versions on, nothing lost), which
            // the runtime may schedule when the escalation finishes before the
            // acknowledgement reads.
            assert!(
                acked || escalated,
                "ack {ack:?} escalation {esc:?} row {row:?}"
            );
            if acked && escalated {
                assert_eq!(row.version, opened.version + 2, "{row:?}");
                assert!(
                    row.acknowledged_at.unwrap() >= row.tier_notified_at,
                    "a stale acknowledgement written over the escalation: {row:?}"
                );
            }
            // Whatever won, the job finds nothing more due.
            assert!(!app.escalate_release_exception(&opened.id).await.unwrap());
            // Decided, so the case may have its next exception for the next race.
            app.decide_release_exception(
                &physician,
                &opened.id,
                ExceptionDecision {
                    option: DecisionOption::EnhancedMonitoring,
                    note: String::new(),
                    care_transition_plan: None,
                },
                None,
            )
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn a_case_holds_one_exception_waiting_for_its_decision_at_a_time() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = stored_case(&app, &ids).await;
        agree_protocol(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let first = app
            .open_release_exception(&quality, &case, notice(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        match app
            .open_release_exception(&quality, &case, notice(), None)
            .await
        {
            Err(AppError::Invalid(f)) => {
                assert_eq!(f[0].field, "case_id", "{f:?}");
                assert!(
                    f[0].message.contains("post-release notice")
                        && f[0].message.contains("waiting for its decision"),
                    "{}",
                    f[0].message
                );
            }
            other => panic!("{}: {other:?}", db.label),
        }
        let all = app.store().release_exceptions_of_case(&case).await.unwrap();
        assert_eq!(all.len(), 1, "{}: nothing written", db.label);
        assert_eq!(all[0].id, first.id);
    }
}
