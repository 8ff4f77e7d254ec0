//! Release exceptions decided and closed (issue 13, points 2-3): the manufacturer's release
//! decision that is not "released" opens its exception in the same command; the patient told
//! by the protocol's teller; a decision only among the options the protocol offers for the
//! kind (the refusal names them, nothing written); remanufacture and re-collection take the
//! case back to those steps as new attempts; expanded access keeps the case — and its
//! infusion — closed until all four prerequisites are recorded; cancellation needs its
//! care-transition plan; the close takes a signature from each side; the timeline tells it
//! all; and nobody outside the partnership reaches any of it.

use crate::support::*;
use cellpath_app::cases::{CaseInput, ScanInput};
use cellpath_app::release_exceptions::{
    ExceptionDecision, ExceptionPrerequisite, NewExceptionProtocol, PatientTold,
};
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::events::cases::{CaseState, ReleaseDecision};
use cellpath_domain::events::release_exceptions::ExceptionStatus;
use cellpath_domain::journey::Temperature;
use cellpath_domain::program::IdentifierKind;
use cellpath_domain::release_exception::{
    DecisionOption, ExceptionKind, Prerequisite, Protocol, TellMethod,
};
use cellpath_store::ReleaseExceptionRow;
use cellpath_store::testing::TestDb;

const PW: &str = cellpath_app::demo::DEMO_PASSWORD;
const DIN: &str = "W1234 26 000104";

/// A protocol agreed by both sides, as given.
async fn agree(app: &App, ids: &GateIds, protocol: Protocol) {
    let hs = as_user(app, "contracts@lakeshore.example").await;
    let mfr = as_user(app, "contracts@helixa.example").await;
    let v = app
        .draft_exception_protocol(
            &hs,
            &ids.partnership,
            NewExceptionProtocol {
                program_id: ids.vantacel.clone(),
                protocol,
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    app.sign_exception_protocol(&hs, &v.id, PW, None)
        .await
        .unwrap();
    app.sign_exception_protocol(&mfr, &v.id, PW, None)
        .await
        .unwrap();
}

/// The demo's fourth case (collected) taken to the manufacturer: the bag handed to the
/// courier and received at manufacturing, waiting for the release decision.
async fn at_release(app: &App, ids: &GateIds) -> String {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let case = app
        .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.pseudonym == "VAN-LUH-MAIN-0004")
        .expect("the demo's collected case")
        .id;
    let apheresis = as_user(app, "apheresis@lakeshore.example").await;
    let patient_ops = as_user(app, "patient.ops@helixa.example").await;
    let handoff = |step: &str, from: &str, to: &str| CaseInput::Handoff {
        step: step.into(),
        fields: Default::default(),
        attestation: None,
        items: Vec::new(),
        from: from.into(),
        to: to.into(),
        location: None,
        scan: Some(ScanInput {
            expected: IdentifierKind::Isbt128Din,
            text: DIN.into(),
        }),
        temperature: Temperature::InRange,
    };
    let steps = [
        (
            &apheresis,
            CaseInput::AddIdentifier {
                kind: IdentifierKind::Isbt128Din,
                text: DIN.into(),
                unit: None,
            },
        ),
        (
            &apheresis,
            handoff("courier_handoff", "Apheresis unit", "Polar Courier"),
        ),
        (
            &patient_ops,
            handoff(
                "manufacturing_receipt",
                "Polar Courier",
                "Helixa manufacturing",
            ),
        ),
    ];
    for (by, input) in steps {
        app.act_on_case(by, &case, input, "", None, None)
            .await
            .unwrap();
    }
    case
}

fn release(decision: ReleaseDecision) -> CaseInput {
    CaseInput::Release {
        step: "release_decision".into(),
        decision,
        certificate_reference: "COA-HX-24104".into(),
        certificate_sha256: "cd".repeat(32),
    }
}

/// The case at its release, the quality's decision recorded, and the exception it opened.
async fn opened(
    app: &App,
    ids: &GateIds,
    decision: ReleaseDecision,
) -> (String, ReleaseExceptionRow) {
    let case = at_release(app, ids).await;
    let quality = as_user(app, "quality@helixa.example").await;
    app.act_on_case(&quality, &case, release(decision), "", None, None)
        .await
        .unwrap();
    let mut found = app.store().release_exceptions_of_case(&case).await.unwrap();
    assert_eq!(found.len(), 1, "one exception opened with the decision");
    (case, found.remove(0))
}

async fn row(app: &App, id: &str) -> ReleaseExceptionRow {
    app.store().release_exception(id).await.unwrap().unwrap()
}

async fn step_state(app: &App, case: &str, step: &str) -> (String, u32) {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let view = app.case(&coordinator, case).await.unwrap();
    let s = view.steps.iter().find(|s| s.key == step).unwrap();
    (s.state.to_string(), s.attempt)
}

fn decision(option: DecisionOption, plan: Option<&str>) -> ExceptionDecision {
    ExceptionDecision {
        option,
        note: String::new(),
        care_transition_plan: plan.map(str::to_string),
    }
}

async fn tell(app: &App, id: &str) {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    app.record_patient_told(
        &coordinator,
        id,
        PatientTold {
            method: TellMethod::InPerson,
            told_at: app.now(),
            note: "with her daughter present".into(),
        },
        None,
    )
    .await
    .unwrap();
}

fn prerequisite(p: Prerequisite) -> ExceptionPrerequisite {
    ExceptionPrerequisite {
        prerequisite: p,
        reference: format!("REF-{}", p.as_str()),
        document_sha256: Some("ef".repeat(32)),
        note: String::new(),
    }
}

#[tokio::test]
async fn a_release_decision_not_released_opens_its_exception_in_the_same_command() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case = at_release(&app, &ids).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let (state, _) = step_state(&app, &case, "release_decision").await;
        assert_eq!(state, "current");
        // A new version agreed: it supersedes the demo's, and the exception opens under it.
        agree(&app, &ids, Protocol::usual()).await;
        let agreed = app
            .store()
            .agreed_exception_protocol(&ids.partnership, &ids.vantacel)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(agreed.number, 2);
        app.act_on_case(
            &quality,
            &case,
            release(ReleaseDecision::OutOfSpecification),
            "",
            None,
            None,
        )
        .await
        .unwrap();
        let found = app.store().release_exceptions_of_case(&case).await.unwrap();
        assert_eq!(found.len(), 1);
        let ex = &found[0];
        assert_eq!(ex.kind, ExceptionKind::OutOfSpecification);
        assert_eq!(ex.protocol_id, agreed.id);
        assert_eq!(ex.certificate_reference, "COA-HX-24104");
        assert_eq!(ex.certificate_sha256, "cd".repeat(32));
        assert!(!ex.lymphodepletion_started);
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let timeline = app
            .release_exception_timeline(&coordinator, &ex.id)
            .await
            .unwrap();
        let what: Vec<&str> = timeline.entries.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(what, ["opened", "notified"], "tier 1 told at once");
        assert_replays(&app, "auto-opened exception").await;
    }
}

#[tokio::test]
async fn the_patient_is_told_by_the_protocols_teller_once_and_not_in_the_future() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        agree(&app, &ids, Protocol::usual()).await;
        let (_, ex) = opened(&app, &ids, ReleaseDecision::ManufacturingFailure).await;
        assert_eq!(ex.kind, ExceptionKind::ManufacturingFailure);
        let told = |at: i64| PatientTold {
            method: TellMethod::Phone,
            told_at: at,
            note: String::new(),
        };
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(matches!(
            app.record_patient_told(&nurse, &ex.id, told(app.now()), None)
                .await,
            Err(AppError::Forbidden(m)) if m.contains("coordinator")
        ));
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        match app
            .record_patient_told(&coordinator, &ex.id, told(app.now() + 3_600_000_000), None)
            .await
        {
            Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "told_at"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            row(&app, &ex.id).await.version,
            ex.version,
            "nothing written"
        );
        let at = app.now();
        let done = app
            .record_patient_told(&coordinator, &ex.id, told(at), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.patient_told_at, Some(at));
        assert!(matches!(
            app.record_patient_told(&coordinator, &ex.id, told(app.now()), None)
                .await,
            Err(AppError::State(_))
        ));
    }
}

#[tokio::test]
async fn a_decision_the_protocol_does_not_offer_is_refused_naming_those_it_does() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let mut protocol = Protocol::usual();
        for o in &mut protocol.options {
            if o.kind == ExceptionKind::ManufacturingFailure {
                o.options = vec![DecisionOption::Remanufacture, DecisionOption::Cancel];
            }
        }
        agree(&app, &ids, protocol).await;
        let (case, ex) = opened(&app, &ids, ReleaseDecision::ManufacturingFailure).await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        match app
            .decide_release_exception(
                &physician,
                &ex.id,
                decision(DecisionOption::ReCollection, None),
                None,
            )
            .await
        {
            Err(AppError::Invalid(f)) => {
                assert_eq!(f[0].field, "option");
                assert!(
                    f[0].message.contains(
                        "it offers: remanufacture from retained cells, cancel, with a care-transition plan"
                    ),
                    "{}",
                    f[0].message
                );
            }
            other => panic!("{other:?}"),
        }
        // Expanded access cannot answer a manufacturing failure at all.
        assert!(
            app.decide_release_exception(
                &physician,
                &ex.id,
                decision(DecisionOption::ExpandedAccess, None),
                None,
            )
            .await
            .is_err()
        );
        // A cancellation without its care-transition plan.
        match app
            .decide_release_exception(
                &physician,
                &ex.id,
                decision(DecisionOption::Cancel, None),
                None,
            )
            .await
        {
            Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "care_transition_plan"),
            other => panic!("{other:?}"),
        }
        // Only the health system's physician or the manufacturer's quality decides.
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        assert!(matches!(
            app.decide_release_exception(
                &coordinator,
                &ex.id,
                decision(DecisionOption::Remanufacture, None),
                None,
            )
            .await,
            Err(AppError::Forbidden(_))
        ));
        let after = row(&app, &ex.id).await;
        assert_eq!((after.version, after.decision), (ex.version, None));
        let coordinator_view = app.case(&coordinator, &case).await.unwrap();
        assert_eq!(
            coordinator_view.status,
            CaseState::Stopped,
            "nothing written"
        );
        // The cancellation with its plan cancels the case through the journey engine.
        let decided = app
            .decide_release_exception(
                &physician,
                &ex.id,
                decision(
                    DecisionOption::Cancel,
                    Some("referred back to Dr. Marsh for a clinical trial screening"),
                ),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(decided.decision, Some(DecisionOption::Cancel));
        assert_eq!(decided.status, ExceptionStatus::Decided);
        let view = app.case(&coordinator, &case).await.unwrap();
        assert_eq!(view.status, CaseState::Cancelled);
        assert_replays(&app, "cancelled by decision").await;
    }
}

#[tokio::test]
async fn remanufacture_and_re_collection_take_the_case_back_to_those_steps_as_new_attempts() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        agree(&app, &ids, Protocol::usual()).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let (case, ex) = opened(&app, &ids, ReleaseDecision::OutOfSpecification).await;
        app.decide_release_exception(
            &quality,
            &ex.id,
            decision(DecisionOption::Remanufacture, None),
            None,
        )
        .await
        .unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        assert_eq!(
            app.case(&coordinator, &case).await.unwrap().status,
            CaseState::Active
        );
        assert_eq!(
            step_state(&app, &case, "release_decision").await,
            ("current".to_string(), 2),
            "the release is made again from retained cells"
        );
        assert_eq!(step_state(&app, &case, "collection").await.1, 1);
        // The remade product is released this time.
        app.act_on_case(
            &quality,
            &case,
            release(ReleaseDecision::Released),
            "",
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(step_state(&app, &case, "release_decision").await.0, "done");

        assert_replays(&app, "remanufactured").await;
    }
}

#[tokio::test]
async fn re_collection_opens_the_scheduling_of_a_new_collection() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        agree(&app, &ids, Protocol::usual()).await;
        let (case, ex) = opened(&app, &ids, ReleaseDecision::ManufacturingFailure).await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        app.decide_release_exception(
            &physician,
            &ex.id,
            decision(DecisionOption::ReCollection, None),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            step_state(&app, &case, "apheresis_scheduling").await,
            ("current".to_string(), 2)
        );
        assert_eq!(step_state(&app, &case, "collection").await.1, 2);
        assert_eq!(step_state(&app, &case, "release_decision").await.1, 2);
        assert_eq!(
            step_state(&app, &case, "enrollment").await,
            ("done".to_string(), 1)
        );
    }
}

#[tokio::test]
async fn expanded_access_keeps_the_case_closed_until_all_four_prerequisites_then_both_sides_close_it()
 {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        agree(&app, &ids, Protocol::usual()).await;
        let (case, ex) = opened(&app, &ids, ReleaseDecision::OutOfSpecification).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        // The program invoices at shipment: a case infused under expanded access is not
        // invoiced (DESIGN.md §4.6), whatever the terms.
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        app.propose_payment_terms(
            &helixa_finance,
            &ids.partnership,
            cellpath_app::finance::terms::NewTerms {
                program_id: ids.vantacel.clone(),
                terms: cellpath_domain::finance::TermsInput {
                    effective_on: "2020-01-01".into(),
                    price_cents: 47_500_000,
                    basis: "shipment".into(),
                    backstop_days: None,
                    net_days: 30,
                    denial_protection_percent: 0,
                    not_infused_credit_percent: 100,
                    refund: None,
                },
            },
            None,
        )
        .await
        .unwrap();
        assert!(!app.case_is_expanded_access(&case).await.unwrap());
        // Not before it is decided.
        assert!(matches!(
            app.record_exception_prerequisite(
                &physician,
                &ex.id,
                prerequisite(Prerequisite::PhysicianRequest),
                None
            )
            .await,
            Err(AppError::State(_))
        ));
        app.decide_release_exception(
            &physician,
            &ex.id,
            decision(DecisionOption::ExpandedAccess, None),
            None,
        )
        .await
        .unwrap();
        // By its side and role only.
        assert!(matches!(
            app.record_exception_prerequisite(
                &nurse,
                &ex.id,
                prerequisite(Prerequisite::PhysicianRequest),
                None
            )
            .await,
            Err(AppError::Forbidden(m)) if m.contains("physician")
        ));
        assert!(matches!(
            app.record_exception_prerequisite(
                &physician,
                &ex.id,
                prerequisite(Prerequisite::ManufacturerRelease),
                None
            )
            .await,
            Err(AppError::Forbidden(_))
        ));
        let patient_ops = as_user(&app, "patient.ops@helixa.example").await;
        let ship = CaseInput::Handoff {
            step: "shipment".into(),
            fields: Default::default(),
            attestation: None,
            items: Vec::new(),
            from: "Helixa manufacturing".into(),
            to: "Polar Courier".into(),
            location: None,
            scan: None,
            temperature: Temperature::InRange,
        };
        for (by, p) in [
            (&physician, Prerequisite::PhysicianRequest),
            (&coordinator, Prerequisite::IrbApproval),
            (&nurse, Prerequisite::ExpandedAccessConsent),
        ] {
            app.record_exception_prerequisite(by, &ex.id, prerequisite(p), None)
                .await
                .unwrap();
            // Still closed: the case waits at its release decision, its infusion unreachable.
            let view = app.case(&coordinator, &case).await.unwrap();
            assert_eq!(view.status, CaseState::Stopped, "after {p}");
            assert!(
                view.steps.iter().all(|s| s.state != "current"),
                "nothing is open after {p}"
            );
            assert!(matches!(
                app.act_on_case(&patient_ops, &case, ship.clone(), "", None, None)
                    .await,
                Err(AppError::State(m)) if m.contains("release-exception process")
            ));
        }
        // Recorded once.
        assert!(matches!(
            app.record_exception_prerequisite(
                &physician,
                &ex.id,
                prerequisite(Prerequisite::PhysicianRequest),
                None
            )
            .await,
            Err(AppError::State(_))
        ));
        // The manufacturer's release for the use needs its certificate's hash.
        let mut no_hash = prerequisite(Prerequisite::ManufacturerRelease);
        no_hash.document_sha256 = None;
        match app
            .record_exception_prerequisite(&quality, &ex.id, no_hash, None)
            .await
        {
            Err(AppError::Invalid(f)) => assert_eq!(f[0].field, "document_sha256"),
            other => panic!("{other:?}"),
        }
        // Closing before the patient is told, or before the fourth prerequisite: refused.
        assert!(matches!(
            app.sign_release_exception(&quality, &ex.id, PW, None).await,
            Err(AppError::State(_))
        ));
        app.record_exception_prerequisite(
            &quality,
            &ex.id,
            prerequisite(Prerequisite::ManufacturerRelease),
            None,
        )
        .await
        .unwrap();
        let view = app.case(&coordinator, &case).await.unwrap();
        assert_eq!(
            view.status,
            CaseState::Active,
            "all four recorded: the case goes on"
        );
        assert_eq!(
            step_state(&app, &case, "shipment").await.0,
            "current",
            "the product may now be shipped for infusion under expanded access"
        );
        assert!(app.case_is_expanded_access(&case).await.unwrap());
        // Shipped (with its label scanned, as the demo's people do): no invoice follows.
        app.forward_until(&case, "receipt_and_storage")
            .await
            .unwrap();
        app.run_due_jobs().await.unwrap();
        assert!(
            app.store().invoice_of_case(&case).await.unwrap().is_none(),
            "shipped under expanded access: no invoice ({})",
            db.label
        );
        // Another case shipped under the same terms, released as usual, is invoiced.
        let usual = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.pseudonym == "VAN-LUH-MAIN-0003")
            .expect("the demo's third case")
            .id;
        app.forward_until(&usual, "receipt_and_storage")
            .await
            .unwrap();
        app.run_due_jobs().await.unwrap();
        assert!(
            app.store().invoice_of_case(&usual).await.unwrap().is_some(),
            "shipped as usual: invoiced ({})",
            db.label
        );
        assert!(matches!(
            app.sign_release_exception(&quality, &ex.id, PW, None).await,
            Err(AppError::State(m)) if m.contains("patient")
        ));
        tell(&app, &ex.id).await;
        // One signature from each side; the second closes it.
        app.sign_release_exception(&quality, &ex.id, PW, None)
            .await
            .unwrap();
        assert_eq!(row(&app, &ex.id).await.status, ExceptionStatus::Decided);
        // The manufacturer's side has signed: a second signature of that side is refused.
        let admin = as_user(&app, "admin@helixa.example").await;
        assert!(
            app.sign_release_exception(&admin, &ex.id, PW, None)
                .await
                .is_err()
        );
        assert!(matches!(
            app.sign_release_exception(&quality, &ex.id, PW, None).await,
            Err(AppError::State(m)) if m.contains("already signed")
        ));
        assert!(
            app.sign_release_exception(&physician, &ex.id, "wrong password", None)
                .await
                .is_err()
        );
        // The health system signs by its physician, who decides with the patient: its
        // coordinator may not, and nothing is written.
        let before = row(&app, &ex.id).await;
        assert!(matches!(
            app.sign_release_exception(&coordinator, &ex.id, PW, None).await,
            Err(AppError::Forbidden(m)) if m.contains("physician")
        ));
        assert_eq!(row(&app, &ex.id).await.version, before.version);
        app.sign_release_exception(&physician, &ex.id, PW, None)
            .await
            .unwrap();
        let closed = row(&app, &ex.id).await;
        assert_eq!(closed.status, ExceptionStatus::Closed);
        assert!(
            closed.manufacturer_signed_at.is_some() && closed.health_system_signed_at.is_some()
        );
        assert!(matches!(
            app.sign_release_exception(&coordinator, &ex.id, PW, None)
                .await,
            Err(AppError::State(_))
        ));
        let timeline = app
            .release_exception_timeline(&coordinator, &ex.id)
            .await
            .unwrap();
        let what: Vec<&str> = timeline.entries.iter().map(|e| e.what.as_str()).collect();
        for expected in [
            "opened",
            "notified",
            "decided",
            "prerequisite",
            "patient_told",
            "signed",
            "closed",
        ] {
            assert!(what.contains(&expected), "{expected} missing from {what:?}");
        }
        assert_eq!(what.iter().filter(|w| **w == "prerequisite").count(), 4);
        assert_eq!(what.iter().filter(|w| **w == "signed").count(), 2);
        let signed_by: Vec<_> = timeline
            .entries
            .iter()
            .filter(|e| e.what == "signed")
            .filter_map(|e| e.by.clone())
            .collect();
        assert!(
            signed_by.iter().all(|n| !n.starts_with("usr_")),
            "names, not ids: {signed_by:?}"
        );
        assert_replays(&app, "expanded access closed").await;
    }
}

#[tokio::test]
async fn nobody_outside_the_partnership_reaches_an_exceptions_commands() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        agree(&app, &ids, Protocol::usual()).await;
        let (_, ex) = opened(&app, &ids, ReleaseDecision::OutOfSpecification).await;
        let calls = |who: Caller, id: String| {
            let app = app.clone();
            async move {
                let now = app.now();
                [
                    app.record_patient_told(
                        &who,
                        &id,
                        PatientTold {
                            method: TellMethod::Letter,
                            told_at: now,
                            note: String::new(),
                        },
                        None,
                    )
                    .await
                    .map(|_| ()),
                    app.decide_release_exception(
                        &who,
                        &id,
                        decision(DecisionOption::Remanufacture, None),
                        None,
                    )
                    .await
                    .map(|_| ()),
                    app.record_exception_prerequisite(
                        &who,
                        &id,
                        prerequisite(Prerequisite::PhysicianRequest),
                        None,
                    )
                    .await
                    .map(|_| ()),
                    app.sign_release_exception(&who, &id, PW, None)
                        .await
                        .map(|_| ()),
                    app.release_exception_timeline(&who, &id).await.map(|_| ()),
                ]
            }
        };
        // Another tenant: another manufacturer, another health system.
        for email in ["quality@northbridge.example", "physician@cascade.example"] {
            let who = as_user(&app, email).await;
            for r in calls(who, ex.id.clone()).await {
                assert!(matches!(r, Err(AppError::NotFound(_))), "{email}: {r:?}");
            }
        }
        // The partnership ends: readable, nothing changes.
        let admin = as_user(&app, "admin@lakeshore.example").await;
        set_status(&app, &admin, &ids.partnership, "ended").await;
        for email in ["quality@helixa.example", "physician@lakeshore.example"] {
            let who = as_user(&app, email).await;
            let results = calls(who, ex.id.clone()).await;
            let (writes, read) = results.split_at(4);
            for r in writes {
                assert!(matches!(r, Err(AppError::Forbidden(_))), "{email}: {r:?}");
            }
            assert!(read[0].is_ok(), "{email}: the timeline stays readable");
        }
        assert_eq!(row(&app, &ex.id).await.version, ex.version);
    }
}
