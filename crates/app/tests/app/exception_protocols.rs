//! Release-exception protocols (issue 13, point 1): drafted by either side, refused by field
//! with nothing written when a tier is missing or names a role nobody holds, signed by both,
//! and the gate's protocol item derived from the agreed version only — recording it by hand is
//! refused; the demo's sites rest on the protocol each partnership agreed; a site whose
//! protocol was recorded by hand before is suspended once that record is revoked, and agreeing
//! a version reinstates it; once a version is agreed the hand record no longer counts.

use crate::support::*;
use cellpath_app::release_exceptions::NewExceptionProtocol;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::Role;
use cellpath_domain::events::release_exceptions::ProtocolStatus;
use cellpath_domain::release_exception::Protocol;
use cellpath_store::ExceptionProtocolRow;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

const PW: &str = cellpath_app::demo::DEMO_PASSWORD;
const PROTOCOL_MISSING: &str = "Release-exception protocol: not done";

/// A draft of the usual protocol for a program of a partnership, by `by`.
pub async fn draft(
    app: &App,
    partnership: &str,
    program: &str,
    by: &Caller,
) -> ExceptionProtocolRow {
    app.draft_exception_protocol(
        by,
        partnership,
        NewExceptionProtocol {
            program_id: program.into(),
            protocol: Protocol::usual(),
        },
        None,
    )
    .await
    .unwrap()
    .fresh()
    .unwrap()
}

/// The usual protocol for a program, drafted by the health system (its contracts lead,
/// `hs_email`) and signed by both sides (Helixa's contracts lead for the manufacturer).
pub async fn agree_protocol_on(app: &App, partnership: &str, program: &str, hs_email: &str) {
    let hs = as_user(app, hs_email).await;
    let mfr = as_user(app, "contracts@helixa.example").await;
    let v = draft(app, partnership, program, &hs).await;
    app.sign_exception_protocol(&hs, &v.id, PW, None)
        .await
        .unwrap();
    app.sign_exception_protocol(&mfr, &v.id, PW, None)
        .await
        .unwrap();
}

/// The usual protocol for Vantacel at Lakeshore, agreed again by both sides: it supersedes the
/// one the demo agreed.
pub async fn agree_protocol(app: &App, ids: &GateIds) {
    agree_protocol_on(
        app,
        &ids.partnership,
        &ids.vantacel,
        "contracts@lakeshore.example",
    )
    .await;
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
        // A partnership with no protocol yet: anything written would show in its list.
        let cascade = CascadeBuilder::accepted().build(&app).await;
        let contracts = as_user(&app, "contracts@cascade.example").await;
        let mut no_tiers = Protocol::usual();
        no_tiers.tiers.clear();
        let refused = app
            .draft_exception_protocol(
                &contracts,
                &cascade.partnership,
                NewExceptionProtocol {
                    program_id: cascade.vantacel.clone(),
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
                &cascade.partnership,
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
            app.exception_protocols(&contracts, &cascade.partnership)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// The demo's sites rest on the protocol both sides of each active partnership signed: no
/// protocol deliverable is recorded by hand anywhere, yet LUH-MAIN is authorized and no site of
/// Helixa × Lakeshore lists the protocol as missing; the live plan counts it done from the day
/// it was agreed.
#[tokio::test]
async fn in_the_demo_the_gate_item_rests_on_the_protocol_both_sides_signed() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let mut active = 0;
        for org in app.store().organizations(Page::all()).await.unwrap() {
            if org.kind != OrgKind::Manufacturer {
                continue;
            }
            for p in app
                .store()
                .partnerships_of(&org.id, Page::all())
                .await
                .unwrap()
            {
                let versions = app
                    .store()
                    .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
                    .await
                    .unwrap();
                if p.status != PartnershipStatus::Active {
                    assert!(versions.is_empty(), "{}: {}", db.label, p.name);
                    continue;
                }
                active += 1;
                let agreed: Vec<_> = versions
                    .iter()
                    .map(|v| (v.number, v.status, v.agreed_on.is_some()))
                    .collect();
                assert_eq!(agreed, [(1, ProtocolStatus::Agreed, true)], "{}", p.name);
                assert!(
                    !app.store()
                        .deliverable_records_of_partnership(&p.id)
                        .await
                        .unwrap()
                        .iter()
                        .any(|d| d.deliverable == Deliverable::ReleaseExceptionProtocol),
                    "{}: {} recorded the protocol by hand",
                    db.label,
                    p.name
                );
            }
        }
        assert_eq!(active, 3, "{}", db.label);
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((recorded.as_str(), missing), ("authorized", vec![]));
        let (_, north) = verdict(&app, &ids, &ids.north).await;
        assert!(!north.is_empty() && !north.iter().any(|m| m == PROTOCOL_MISSING));
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let agreed_on = app
            .store()
            .agreed_exception_protocol(&ids.partnership, &ids.vantacel)
            .await
            .unwrap()
            .unwrap()
            .agreed_on
            .unwrap();
        let plan = app
            .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
            .await
            .unwrap();
        for site in ["LUH-MAIN", "LUH-NORTH", "LUH-CANCER"] {
            let done = plan
                .done
                .iter()
                .find(|d| d.instance == format!("{site}:release_protocol"))
                .unwrap_or_else(|| panic!("{site}'s protocol in {:?}", plan.done));
            assert_eq!(done.on, agreed_on.as_str(), "{}: {site}", db.label);
        }
    }
}

/// Neither side records the protocol by hand any more: the refusal names the field and says
/// where the protocol is agreed; nothing reaches the ledger.
#[tokio::test]
async fn recording_the_protocol_by_hand_is_refused_and_nothing_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let cascade = CascadeBuilder::accepted().onboarded().build(&app).await;
        let head = app
            .store()
            .ledger_head(&cascade.partnership)
            .await
            .unwrap()
            .unwrap();
        for by in ["contracts@cascade.example", "onboarding@helixa.example"] {
            let err = DeliverableBuilder::new(
                &cascade.partnership,
                &cascade.site,
                &cascade.vantacel,
                "release_exception_protocol",
            )
            .with_evidence("Out-of-specification release protocol agreed with Helixa quality.")
            .try_record(&app, &as_user(&app, by).await)
            .await
            .unwrap_err();
            match &err {
                AppError::Invalid(f) => {
                    assert_eq!(f.len(), 1, "{by}: {f:?}");
                    assert_eq!(f[0].field, "deliverable", "{by}");
                    assert!(
                        f[0].message
                            .contains("fulfilled by the protocol version both sides sign"),
                        "{by}: {}",
                        f[0].message
                    );
                    assert!(
                        f[0].message.contains("partnership's page"),
                        "{}",
                        f[0].message
                    );
                }
                other => panic!("{by}: {other:?}"),
            }
        }
        assert_eq!(
            app.store()
                .ledger_head(&cascade.partnership)
                .await
                .unwrap()
                .unwrap()
                .seq,
            head.seq,
            "{}: nothing written",
            db.label
        );
        assert!(
            !app.store()
                .deliverable_records_of_partnership(&cascade.partnership)
                .await
                .unwrap()
                .iter()
                .any(|d| d.deliverable == Deliverable::ReleaseExceptionProtocol)
        );
        // CRM-PDX still waits for the protocol, and only for it; the inbox says how it is done.
        let (recorded, missing) = cascade.verdict(&app).await;
        assert_eq!(
            (recorded.as_str(), missing),
            ("", vec![PROTOCOL_MISSING.to_string()]),
            "{}",
            db.label
        );
        let inbox = app
            .inbox(
                &as_user(&app, "contracts@cascade.example").await,
                Page::all(),
            )
            .await
            .unwrap();
        let item = inbox
            .items
            .iter()
            .find(|i| {
                i.kind == cellpath_app::views::inbox::InboxKind::GateDeliverable
                    && i.site_id.as_deref() == Some(cascade.site.as_str())
            })
            .expect("the missing protocol in the inbox");
        assert_eq!(item.title, "Release-exception protocol");
        assert_eq!(
            item.detail,
            "missing at the gate: both sides sign a protocol version"
        );
    }
}

#[tokio::test]
async fn the_gate_item_follows_the_version_both_sides_signed() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        // CRM-PDX authorized on a protocol recorded by hand before the item was derived.
        let cascade = CascadeBuilder::accepted()
            .onboarded()
            .with_protocol_by_hand()
            .build(&app)
            .await;
        let hs = as_user(&app, "contracts@cascade.example").await;
        let mfr = as_user(&app, "contracts@helixa.example").await;
        let (recorded, missing) = cascade.verdict(&app).await;
        assert_eq!((recorded.as_str(), missing), ("authorized", vec![]));
        // Take away the protocol recorded by hand: the site is suspended for it.
        cascade.revoke_protocol_by_hand(&app).await;
        let (recorded, missing) = cascade.verdict(&app).await;
        assert_eq!(
            (recorded.as_str(), missing),
            ("suspended", vec![PROTOCOL_MISSING.to_string()])
        );

        let v1 = draft(&app, &cascade.partnership, &cascade.vantacel, &hs).await;
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
            cascade.verdict(&app).await.0,
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
        let (recorded, missing) = cascade.verdict(&app).await;
        assert_eq!((recorded.as_str(), missing), ("authorized", vec![]));

        // A second version agreed supersedes the first; the item stays done.
        let v2 = draft(&app, &cascade.partnership, &cascade.vantacel, &mfr).await;
        app.sign_exception_protocol(&mfr, &v2.id, PW, None)
            .await
            .unwrap();
        app.sign_exception_protocol(&hs, &v2.id, PW, None)
            .await
            .unwrap();
        let versions = app
            .exception_protocols(&hs, &cascade.partnership)
            .await
            .unwrap();
        let statuses: Vec<_> = versions.iter().map(|v| (v.number, v.status)).collect();
        assert_eq!(
            statuses,
            [(1, ProtocolStatus::Superseded), (2, ProtocolStatus::Agreed)]
        );
        app.run_due_jobs().await.unwrap();
        assert_eq!(cascade.verdict(&app).await.0, "authorized");
    }
}

/// A protocol recorded by hand before stays on the record, readable and revocable; once a
/// version is agreed the item rests on that version alone — done from the day it was agreed,
/// not the day recorded by hand, and revoking the old record changes nothing.
#[tokio::test]
async fn a_protocol_recorded_by_hand_before_gives_way_to_the_agreed_version() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let cascade = CascadeBuilder::accepted()
            .onboarded()
            .with_protocol_by_hand()
            .build(&app)
            .await;
        let hs = as_user(&app, "contracts@cascade.example").await;
        let protocol_done_on = |plan: &cellpath_app::onboarding::LivePlan| {
            plan.done
                .iter()
                .find(|d| d.instance == "CRM-PDX:release_protocol")
                .map(|d| d.on.clone())
        };
        let plan = app
            .live_plan(&hs, &cascade.partnership, &cascade.vantacel, today(&app))
            .await
            .unwrap();
        assert_eq!(protocol_done_on(&plan).as_deref(), Some("2025-11-20"));

        agree_protocol_on(
            &app,
            &cascade.partnership,
            &cascade.vantacel,
            "contracts@cascade.example",
        )
        .await;
        app.run_due_jobs().await.unwrap();
        let gate = app
            .gate(
                &hs,
                &cascade.partnership,
                &cascade.site,
                &cascade.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(gate.authorized, "{}: {:?}", db.label, texts(&gate));
        let by_hand = gate
            .deliverables
            .iter()
            .find(|d| d.deliverable == Deliverable::ReleaseExceptionProtocol)
            .expect("the record by hand is still shown");
        assert_eq!(by_hand.done_on.as_str(), "2025-11-20");
        let plan = app
            .live_plan(&hs, &cascade.partnership, &cascade.vantacel, today(&app))
            .await
            .unwrap();
        assert_eq!(
            protocol_done_on(&plan),
            Some(today(&app).as_str().to_string()),
            "{}: the agreed version counts, from the day it was agreed",
            db.label
        );

        // Still revocable; the agreed version is what counts.
        cascade.revoke_protocol_by_hand(&app).await;
        let (recorded, missing) = cascade.verdict(&app).await;
        assert_eq!(
            (recorded.as_str(), missing),
            ("authorized", vec![]),
            "{}",
            db.label
        );
    }
}
