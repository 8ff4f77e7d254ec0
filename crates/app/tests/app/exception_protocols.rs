//! Release-exception protocols (issue 13, point 1): drafted by either side, refused by field
//! with nothing written when a tier is missing or names a role nobody holds, signed by both,
//! and the gate's protocol item derived from the agreed version — a site whose hand-recorded
//! protocol deliverable is revoked is suspended, and agreeing a version reinstates it.

use crate::support::*;
use cellpath_app::release_exceptions::NewExceptionProtocol;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::Role;
use cellpath_domain::events::release_exceptions::ProtocolStatus;
use cellpath_domain::release_exception::Protocol;
use cellpath_store::ExceptionProtocolRow;
use cellpath_store::testing::TestDb;

const PW: &str = cellpath_app::demo::DEMO_PASSWORD;
const PROTOCOL_MISSING: &str = "Release-exception protocol: not done";

/// A draft of the usual protocol for Vantacel, by `by`.
pub async fn draft(app: &App, ids: &GateIds, by: &Caller) -> ExceptionProtocolRow {
    app.draft_exception_protocol(
        by,
        &ids.partnership,
        NewExceptionProtocol {
            program_id: ids.vantacel.clone(),
            protocol: Protocol::usual(),
        },
        None,
    )
    .await
    .unwrap()
    .fresh()
    .unwrap()
}

/// The usual protocol for Vantacel, drafted by the health system and signed by both sides.
pub async fn agree_protocol(app: &App, ids: &GateIds) {
    let hs = as_user(app, "contracts@lakeshore.example").await;
    let mfr = as_user(app, "contracts@helixa.example").await;
    let v = draft(app, ids, &hs).await;
    app.sign_exception_protocol(&hs, &v.id, PW, None)
        .await
        .unwrap();
    app.sign_exception_protocol(&mfr, &v.id, PW, None)
        .await
        .unwrap();
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Invalid(found) => found.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a refusal by field, got {other:?}"),
    }
}

#[tokio::test]
async fn a_protocol_missing_a_tier_or_naming_a_role_nobody_holds_is_refused_and_nothing_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let mut no_tiers = Protocol::usual();
        no_tiers.tiers.clear();
        let refused = app
            .draft_exception_protocol(
                &contracts,
                &ids.partnership,
                NewExceptionProtocol {
                    program_id: ids.vantacel.clone(),
                    protocol: no_tiers,
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(fields(refused), ["protocol.tiers"]);
        // The manufacturer has no data manager role at all; a health system role is named
        // for the wrong side.
        let mut wrong = Protocol::usual();
        wrong.tiers[0].recipients[0].role = Role::DataManager;
        let refused = app
            .draft_exception_protocol(
                &contracts,
                &ids.partnership,
                NewExceptionProtocol {
                    program_id: "prg_nope".into(),
                    protocol: wrong,
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            fields(refused),
            ["program_id", "protocol.tiers[0].recipients[0].role"]
        );
        assert!(
            app.exception_protocols(&contracts, &ids.partnership)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_gate_item_follows_the_version_both_sides_signed() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let hs = as_user(&app, "contracts@lakeshore.example").await;
        let mfr = as_user(&app, "contracts@helixa.example").await;
        // Take away the protocol recorded by hand: the site is suspended for it.
        let by_hand = app
            .store()
            .deliverable_records_of(&ids.partnership, &ids.main, &ids.vantacel)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.deliverable.as_str() == "release_exception_protocol")
            .expect("the demo recorded the protocol by hand");
        app.revoke_deliverable(
            &hs,
            &by_hand.id,
            by_hand.version,
            "superseded by the signed protocol",
            PW,
            None,
        )
        .await
        .unwrap();
        app.run_due_jobs().await.unwrap();
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(recorded, "suspended");
        assert!(missing.iter().any(|m| m == PROTOCOL_MISSING), "{missing:?}");

        let v1 = draft(&app, &ids, &hs).await;
        assert_eq!((v1.number, v1.status), (1, ProtocolStatus::Draft));
        app.sign_exception_protocol(&hs, &v1.id, PW, None)
            .await
            .unwrap();
        let again = app
            .sign_exception_protocol(&hs, &v1.id, PW, None)
            .await
            .unwrap_err();
        assert_eq!(fields(again), ["status"]);
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            verdict(&app, &ids, &ids.main).await.0,
            "suspended",
            "one side's signature agrees nothing"
        );
        app.sign_exception_protocol(&mfr, &v1.id, PW, None)
            .await
            .unwrap();
        let agreed = app
            .store()
            .exception_protocol(&v1.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(agreed.status, ProtocolStatus::Agreed);
        assert!(agreed.agreed_on.is_some() && agreed.manufacturer_signer.is_some());
        app.run_due_jobs().await.unwrap();
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((recorded.as_str(), missing), ("authorized", vec![]));

        // A second version agreed supersedes the first; the item stays done.
        let v2 = draft(&app, &ids, &mfr).await;
        app.sign_exception_protocol(&mfr, &v2.id, PW, None)
            .await
            .unwrap();
        app.sign_exception_protocol(&hs, &v2.id, PW, None)
            .await
            .unwrap();
        let versions = app
            .exception_protocols(&hs, &ids.partnership)
            .await
            .unwrap();
        let statuses: Vec<_> = versions.iter().map(|v| (v.number, v.status)).collect();
        assert_eq!(
            statuses,
            [(1, ProtocolStatus::Superseded), (2, ProtocolStatus::Agreed)]
        );
        app.run_due_jobs().await.unwrap();
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");
    }
}
