//! Patients' cases: a case opens only where the gate authorizes the site today; the identity
//! stays on the health system's ledger; two people doing the same step at once: one is
//! written, the other hears what happened; a signed step needs the password; each reader sees
//! the patient as the policy's view allows, and nothing more.

use super::support::*;
use cellpath_app::cases::{CaseInput, NewCase, NewPatient};
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::events::cases::{CaseState, EhrAttestation};
use cellpath_domain::policy::PatientView;
use cellpath_domain::program::IdentifierKind;
use cellpath_store::testing::TestDb;
use std::collections::BTreeMap;

const NAME: &str = "Marisol Quintero-Hale";
const MRN: &str = "LUH-88213407";

async fn register(app: &App, coordinator: &Caller, site: &str) -> String {
    app.register_patient(
        coordinator,
        NewPatient {
            site_id: site.into(),
            name: NAME.into(),
            date_of_birth: "1958-03-14".into(),
            mrn: MRN.into(),
        },
        None,
    )
    .await
    .unwrap()
    .fresh()
    .unwrap()
    .patient_id
}

async fn open(app: &App, ids: &GateIds, site: &str) -> Result<String, AppError> {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let patient_id = register(app, &coordinator, site).await;
    let opened = app
        .open_case(
            &coordinator,
            NewCase {
                partnership_id: ids.partnership.clone(),
                site_id: site.into(),
                program_id: ids.vantacel.clone(),
                patient_id,
            },
            None,
        )
        .await?
        .fresh()?;
    Ok(opened.id)
}

fn record(step: &str, fields: &[&str]) -> CaseInput {
    CaseInput::Record {
        step: step.into(),
        fields: fields
            .iter()
            .map(|f| (f.to_string(), format!("{f} as typed")))
            .collect::<BTreeMap<_, _>>(),
        attestation: None,
    }
}

fn referral() -> CaseInput {
    record(
        "referral",
        &["referring physician", "diagnosis", "prior lines of therapy"],
    )
}

#[tokio::test]
async fn a_case_opens_only_where_the_site_is_authorized_and_names_what_is_missing() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let refused = open(&app, &ids, &ids.north).await.unwrap_err();
        let AppError::State(message) = &refused else {
            panic!("{}: {refused:?}", db.label)
        };
        assert!(
            message.contains("is not authorized for Vantacel"),
            "{message}"
        );
        let (_, missing) = verdict(&app, &ids, &ids.north).await;
        assert!(message.contains(&missing[0]), "{message} / {missing:?}");

        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let view = app.case(&coordinator, &case_id).await.unwrap();
        assert_eq!(
            (
                view.pseudonym.as_str(),
                view.initials.as_str(),
                view.birth_year
            ),
            ("VAN-LUH-MAIN-0013", "MQ", 1958),
            "{}",
            db.label
        );
        assert_eq!(view.status, CaseState::Active);
        assert_eq!(view.yours, vec!["referral".to_string()]);
        // The partnership's ledger holds no name, birth date or record number (the demo's
        // patients' neither).
        let ledger = app
            .store()
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        assert!(
            ledger.iter().all(|e| !e.body.contains("Quintero")
                && !e.body.contains("1958-03-14")
                && !e.body.contains(MRN)
                && !e.body.contains("Whitfield")
                && !e.body.contains("LUH-1000000")),
            "{}",
            db.label
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn two_people_doing_the_same_step_at_once_one_is_written_the_other_hears_what_happened() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        let (phone, _) = device_of(&app, "coordinator@lakeshore.example", "ward tablet").await;
        let desk = as_user(&app, "coordinator@lakeshore.example").await;
        let (a, b) = tokio::join!(
            app.act_on_case(&desk, &case_id, referral(), "", None, None),
            app.act_on_case(&phone, &case_id, referral(), "", None, None),
        );
        let (ok, refused) = match (a, b) {
            (Ok(ok), Err(e)) | (Err(e), Ok(ok)) => (ok.fresh().unwrap(), e),
            other => panic!("{}: exactly one must be written: {other:?}", db.label),
        };
        assert_eq!(ok.version, 3, "opened (1), recorded and completed (2)");
        let AppError::State(message) = &refused else {
            panic!("{}: {refused:?}", db.label)
        };
        assert!(
            message.contains("Referral received is already done"),
            "{}: {message}",
            db.label
        );
        let view = app.case(&desk, &case_id).await.unwrap();
        assert_eq!(view.version, 3, "{}", db.label);
        // An If-Match older than the case is refused before anything is decided.
        let stale = app
            .act_on_case(
                &desk,
                &case_id,
                CaseInput::Hold {
                    reason: "fever".into(),
                },
                "",
                Some(1),
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(stale, AppError::Conflict { current: 3, .. }),
            "{stale:?}"
        );
    }
}

#[tokio::test]
async fn a_step_goes_to_its_role_and_a_refusal_says_what_to_do() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let wrong = app
            .act_on_case(&nurse, &case_id, referral(), "", None, None)
            .await
            .unwrap_err();
        assert!(
            wrong.to_string().contains("done by coordinator"),
            "{}: {wrong}",
            db.label
        );
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        app.act_on_case(&coordinator, &case_id, referral(), "", None, None)
            .await
            .unwrap();
        let early = app
            .act_on_case(
                &as_user(&app, "physician@lakeshore.example").await,
                &case_id,
                CaseInput::Record {
                    step: "consent".into(),
                    fields: BTreeMap::new(),
                    attestation: Some(EhrAttestation {
                        reference: "EPIC-CONSENT-1".into(),
                        charted_at: app.now(),
                    }),
                },
                "",
                None,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&early, AppError::State(m) if m.contains("waits for Benefits check")),
            "{}: {early}",
            db.label
        );
        // A deviation is signed: without the password nothing is written.
        let deviation = CaseInput::Deviation {
            step: None,
            reason: "referral letter arrived by fax".into(),
        };
        let unsigned = app
            .act_on_case(&coordinator, &case_id, deviation.clone(), "", None, None)
            .await
            .unwrap_err();
        assert_eq!(outcome::<()>(Err(unsigned)), "invalid: password");
        let signed = app
            .act_on_case(&coordinator, &case_id, deviation, DEMO_PASSWORD, None, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(signed.recorded, vec!["case.deviation_recorded"]);
        let ledger = app
            .store()
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        let last = ledger.last().unwrap();
        assert_eq!(
            last.kind,
            cellpath_ledger::SIGNATURE_EVENT_TYPE,
            "{}",
            db.label
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn each_reader_sees_the_patient_as_the_policy_allows() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        for (email, expected) in [
            ("coordinator@lakeshore.example", Some(PatientView::Full)),
            ("finance@lakeshore.example", Some(PatientView::Full)),
            ("contracts@lakeshore.example", Some(PatientView::Pseudonym)),
            (
                "patient.ops@helixa.example",
                Some(PatientView::ChainOfIdentity),
            ),
            ("quality@helixa.example", Some(PatientView::Pseudonym)),
            ("patient.ops@northbridge.example", None),
            ("coordinator@cascade.example", None),
        ] {
            let reader = as_user(&app, email).await;
            let got = app.case(&reader, &case_id).await;
            match expected {
                None => assert!(
                    matches!(got, Err(AppError::NotFound(_))),
                    "{email}: {got:?}"
                ),
                Some(view) => {
                    let got = got.unwrap();
                    assert_eq!(got.view, view, "{email}");
                    let json = serde_json::to_string(&got).unwrap();
                    assert_eq!(
                        json.contains(NAME),
                        view >= PatientView::ChainOfIdentity,
                        "{email}"
                    );
                    assert_eq!(
                        json.contains("1958-03-14"),
                        view >= PatientView::ChainOfIdentity,
                        "{email}"
                    );
                    assert_eq!(json.contains(MRN), view == PatientView::Full, "{email}");
                }
            }
            let listed = app
                .cases_of_site(&reader, &ids.main, cellpath_store::Page::all())
                .await
                .unwrap();
            let vantacel = listed
                .iter()
                .filter(|c| c.program_id == ids.vantacel)
                .count();
            // The demo's Vantacel cases (seven at several stages, five booked for the full
            // week) and this one, or none.
            assert_eq!(vantacel, if expected.is_some() { 13 } else { 0 }, "{email}");
        }
    }
}

/// A scan of another bag at a handoff: refused, and the scan-mismatch deviation — only it — is
/// on the record, in the words of the person at the bench.
#[tokio::test]
async fn a_scan_of_another_bag_is_refused_and_only_its_deviation_is_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        // The demo's fourth case has been collected: the handoff to the courier is next.
        let listed = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap();
        let collected = listed
            .iter()
            .find(|c| c.pseudonym == "VAN-LUH-MAIN-0004")
            .unwrap();
        let apheresis = as_user(&app, "apheresis@lakeshore.example").await;
        app.act_on_case(
            &apheresis,
            &collected.id,
            CaseInput::AddIdentifier {
                kind: cellpath_domain::program::IdentifierKind::Isbt128Din,
                text: "W1234 26 000012".into(),
                unit: None,
            },
            "",
            None,
            None,
        )
        .await
        .unwrap();
        let before = app.case(&coordinator, &collected.id).await.unwrap();
        let handoff: CaseInput = serde_json::from_value(serde_json::json!({
            "command": "handoff", "step": "courier_handoff",
            "from": "apheresis unit", "to": "Polar Courier",
            "scan": { "expected": "isbt128_din", "text": "W1234 26 000017" },
            "temperature": { "status": "in_range" },
        }))
        .unwrap();
        let refused = app
            .act_on_case(&apheresis, &collected.id, handoff, "", None, None)
            .await
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("does not belong to case VAN-LUH-MAIN-0004"),
            "{}: {refused}",
            db.label
        );
        let after = app.case(&coordinator, &collected.id).await.unwrap();
        assert_eq!(after.version, before.version + 1, "{}", db.label);
        assert_eq!(after.deviations, 1);
        assert!(
            after
                .timeline
                .last()
                .unwrap()
                .text
                .contains("scan mismatch deviation"),
            "{:?}",
            after.timeline.last()
        );
        assert!(
            after
                .steps
                .iter()
                .any(|s| s.key == "courier_handoff" && s.state == "current")
        );
    }
}

/// Finance verifies benefits: every reader sees where the prior authorization stands; only
/// the chain-of-identity and full views see the payer, the plan and the reference.
#[tokio::test]
async fn benefits_are_verified_by_finance_and_shown_within_each_view() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let today = today(&app);
        let verify: CaseInput = serde_json::from_value(serde_json::json!({
            "command": "verify_benefits", "payer": "Great Lakes Health Plan", "plan": "PPO Gold",
            "prior_authorization": { "status": "approved", "requested_on": today.plus_days(-5),
                "decided_on": today, "reference": "PA-2026-118204" },
        }))
        .unwrap();
        app.act_on_case(&finance, &case_id, verify, "", None, None)
            .await
            .unwrap();
        for (email, payer) in [
            ("finance@lakeshore.example", true),
            ("patient.ops@helixa.example", true),
            ("quality@helixa.example", false),
        ] {
            let view = app
                .case(&as_user(&app, email).await, &case_id)
                .await
                .unwrap();
            let b = view.benefits.expect("verified");
            assert_eq!(b.status.as_str(), "approved", "{email}");
            let json = serde_json::to_string(&view.timeline).unwrap();
            assert_eq!(b.payer.is_some(), payer, "{email}");
            assert_eq!(json.contains("PA-2026-118204"), payer, "{email}");
        }
    }
}

#[tokio::test]
async fn a_date_of_birth_after_today_is_refused_beside_its_field_and_nothing_is_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let tomorrow = cellpath_domain::Date::of_micros(app.now() + 86_400_000_000);
        let refused = app
            .register_patient(
                &coordinator,
                NewPatient {
                    site_id: ids.main.clone(),
                    name: NAME.into(),
                    date_of_birth: tomorrow.as_str().into(),
                    mrn: MRN.into(),
                },
                None,
            )
            .await
            .unwrap_err();
        let AppError::Invalid(fields) = &refused else {
            panic!("{}: {refused:?}", db.label)
        };
        assert_eq!(fields[0].field, "date_of_birth", "{}", db.label);
        assert!(fields[0].message.contains("is after today"), "{fields:?}");
        // Nothing was registered: the same patient registers afterwards as new.
        register(&app, &coordinator, &ids.main).await;
    }
}

#[tokio::test]
async fn two_cases_opened_at_one_moment_at_one_site_get_the_next_two_names() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let mut patients = Vec::new();
        for (name, mrn) in [
            ("Ines Carvalho", "LUH-77000001"),
            ("Tomas Berg", "LUH-77000002"),
        ] {
            let registered = app
                .register_patient(
                    &coordinator,
                    NewPatient {
                        site_id: ids.main.clone(),
                        name: name.into(),
                        date_of_birth: "1966-01-20".into(),
                        mrn: mrn.into(),
                    },
                    None,
                )
                .await
                .unwrap()
                .fresh()
                .unwrap();
            patients.push(registered.patient_id);
        }
        let case_for = |patient_id: &str| NewCase {
            partnership_id: ids.partnership.clone(),
            site_id: ids.main.clone(),
            program_id: ids.vantacel.clone(),
            patient_id: patient_id.into(),
        };
        let before = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap()
            .iter()
            .filter(|c| c.program_id == ids.vantacel)
            .count();
        let (a, b) = tokio::join!(
            app.open_case(&coordinator, case_for(&patients[0]), None),
            app.open_case(&coordinator, case_for(&patients[1]), None),
        );
        let mut names = vec![
            a.unwrap().fresh().unwrap().pseudonym,
            b.unwrap().fresh().unwrap().pseudonym,
        ];
        names.sort();
        assert_eq!(
            names,
            vec![
                format!("VAN-LUH-MAIN-{:04}", before + 1),
                format!("VAN-LUH-MAIN-{:04}", before + 2)
            ],
            "{}",
            db.label
        );
    }
}

/// A case's labels: one per identifier, a DIN's check character apart and its barcode data
/// `=`, 13 characters and flags, a unit's identifier under the unit's name; for readers who
/// see the chain of identity (the site's clinical staff, the manufacturer's patient ops, also
/// once the partnership has ended), refused with the reason to a pseudonym reader, not
/// found by anyone else.
#[tokio::test]
async fn labels_go_only_to_readers_who_see_the_chain_of_identity() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = open(&app, &ids, &ids.main).await.unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let empty = app.case_labels(&coordinator, &case_id).await.unwrap();
        assert!(empty.labels.is_empty());
        let unit = app.case(&coordinator, &case_id).await.unwrap().units[0].clone();
        for (kind, text, unit) in [
            (IdentifierKind::Isbt128Din, "W1234 26 000012", None),
            (
                IdentifierKind::LotNumber,
                "lot-hx 24017",
                Some(unit.key.clone()),
            ),
        ] {
            app.act_on_case(
                &coordinator,
                &case_id,
                CaseInput::AddIdentifier {
                    kind,
                    text: text.into(),
                    unit,
                },
                "",
                None,
                None,
            )
            .await
            .unwrap();
        }
        let expected = |labels: &cellpath_app::cases::CaseLabels| {
            let got: Vec<_> = labels
                .labels
                .iter()
                .map(|l| {
                    (
                        l.text.as_str(),
                        l.check,
                        l.data.as_str(),
                        l.unit.as_deref(),
                        l.linear(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    ("W1234 26 000012", Some('H'), "=W12342600001200", None, true),
                    (
                        "LOT-HX24017",
                        None,
                        "LOT-HX24017",
                        Some(unit.name.as_str()),
                        false
                    ),
                ]
            );
            assert!(labels.pseudonym.starts_with("VAN-LUH-MAIN-"));
            assert_eq!(labels.program_name, "Vantacel");
        };
        let hs_contracts = as_user(&app, "contracts@lakeshore.example").await;
        for ended in [false, true] {
            if ended {
                set_status(&app, &hs_contracts, &ids.partnership, "ended").await;
            }
            for (email, shown) in [
                ("coordinator@lakeshore.example", Some(true)),
                ("nurse@lakeshore.example", Some(true)),
                ("patient.ops@helixa.example", Some(true)),
                ("contracts@lakeshore.example", Some(false)),
                ("quality@helixa.example", Some(false)),
                ("patient.ops@northbridge.example", None),
                ("coordinator@cascade.example", None),
            ] {
                let reader = as_user(&app, email).await;
                match (app.case_labels(&reader, &case_id).await, shown) {
                    (Ok(labels), Some(true)) => expected(&labels),
                    (Err(AppError::Forbidden(why)), Some(false)) => {
                        assert!(why.contains("pseudonym only"), "{email}: {why}");
                        assert!(!why.contains("W1234"), "{email}: {why}");
                    }
                    (Err(AppError::NotFound(_)), None) => {}
                    (got, _) => panic!("{} {email} (ended: {ended}): {got:?}", db.label),
                }
            }
        }
    }
}
