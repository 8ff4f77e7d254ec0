//! Consent documents: versions added, made active only with manufacturing-failure language,
//! retired; the gate's consent item follows the active version (retiring the last one
//! suspends the site through the review job, a new active one reinstates it); a case's
//! consent names the active version, and one against a retired version writes nothing.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_app::cases::CaseInput;
use cellpath_app::consent::{NewConsentVersion, SectionInput};
use cellpath_domain::consent::ConsentStatus;
use cellpath_domain::events::cases::{CaseState, ConsentGiver};
use cellpath_store::testing::TestDb;

const PW: &str = cellpath_app::demo::DEMO_PASSWORD;

const FAILURE: &str = "If your cells cannot be made into the product, or it fails its release testing, your team will tell you and discuss a second collection or other treatment.";

fn version(program_id: &str, sections: &[(&str, &str)]) -> NewConsentVersion {
    NewConsentVersion {
        program_id: program_id.into(),
        document_sha256: "c0".repeat(32),
        document_name: "Consent v2.pdf".into(),
        effective_on: "2025-11-01".into(),
        sections: sections
            .iter()
            .map(|(kind, text)| SectionInput {
                kind: (*kind).into(),
                heading: "A heading".into(),
                text: (*text).into(),
            })
            .collect(),
    }
}

/// A draft with the failure section added at `site` by `caller`.
async fn add_version(
    app: &cellpath_app::App,
    caller: &cellpath_app::Caller,
    site: &str,
    program: &str,
) -> cellpath_store::ConsentVersion {
    app.create_consent_version(
        caller,
        site,
        version(program, &[("manufacturing_failure", FAILURE)]),
        None,
    )
    .await
    .unwrap()
    .fresh()
    .unwrap()
}

const CONSENT_MISSING: &str = "Informed consent with manufacturing-failure language: not done";

#[tokio::test]
async fn the_demo_site_rests_on_its_active_consent_version() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let docs = app.consent_documents(&contracts, &ids.main).await.unwrap();
        let vantacel = docs
            .programs
            .iter()
            .find(|p| p.program_id == ids.vantacel)
            .unwrap();
        assert_eq!(vantacel.versions.len(), 1);
        assert_eq!(vantacel.versions[0].status, ConsentStatus::Active);
        assert!(docs.may_change);
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((recorded.as_str(), missing.len()), ("authorized", 0));
    }
}

#[tokio::test]
async fn a_version_without_the_failure_section_is_not_made_active_and_nothing_is_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let draft = app
            .create_consent_version(
                &contracts,
                &ids.north,
                version(
                    &ids.vantacel,
                    &[("other", "Risks of the treatment are explained here.")],
                ),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!((draft.number, draft.status), (1, ConsentStatus::Draft));
        let head = app
            .store()
            .ledger_head(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        let err = app
            .activate_consent_version(&contracts, &draft.id, Some(draft.version), PW, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].message.contains("has no manufacturing-failure section")),
            "{err}"
        );
        // A section that only ticks the box is not enough either.
        let tick = app
            .create_consent_version(
                &contracts,
                &ids.north,
                version(&ids.vantacel, &[("manufacturing_failure", "Yes")]),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(tick.number, 2);
        let err = app
            .activate_consent_version(&contracts, &tick.id, None, PW, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("says too little"), "{err}");
        assert_eq!(
            app.store()
                .ledger_head(&ids.partnership)
                .await
                .unwrap()
                .unwrap()
                .seq,
            head.seq + 1,
            "only the second draft"
        );
        // Bad input is named beside its field.
        let mut bad = version(&ids.vantacel, &[("checkbox", FAILURE)]);
        bad.effective_on = "next week".into();
        bad.document_sha256 = "abc".into();
        let err = app
            .create_consent_version(&contracts, &ids.north, bad, None)
            .await
            .unwrap_err();
        let AppError::Invalid(fields) = err else {
            panic!("{err}")
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            named,
            ["document_sha256", "effective_on", "sections[0].kind"]
        );
    }
}

#[tokio::test]
async fn only_the_health_systems_consent_roles_write_and_the_manufacturer_reads_while_active() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let input = || version(&ids.vantacel, &[("manufacturing_failure", FAILURE)]);
        let helixa = as_user(&app, "contracts@helixa.example").await;
        let err = app
            .create_consent_version(&helixa, &ids.north, input(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("written by the health system")),
            "{err}"
        );
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let err = app
            .create_consent_version(&nurse, &ids.north, input(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
        // The manufacturer reads the site's versions through the active partnership…
        let docs = app.consent_documents(&helixa, &ids.main).await.unwrap();
        assert!(!docs.may_change);
        assert_eq!(docs.programs[0].versions.len(), 1);
        // …and not once it has ended; the hospital still does.
        let lakeshore = as_user(&app, "contracts@lakeshore.example").await;
        set_status(&app, &lakeshore, &ids.partnership, "ended").await;
        let err = app.consent_documents(&helixa, &ids.main).await.unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err}");
        let docs = app.consent_documents(&lakeshore, &ids.main).await.unwrap();
        assert_eq!(docs.programs[0].versions.len(), 1);
        // Another manufacturer sees nothing of Helixa's program at the site.
        let other = as_user(&app, "contracts@northbridge.example").await;
        if let Ok(docs) = app.consent_documents(&other, &ids.main).await {
            assert!(docs.programs.iter().all(|p| p.program_id != ids.vantacel));
        }
    }
}

#[tokio::test]
async fn retiring_the_last_active_version_suspends_the_site_and_a_new_active_one_reinstates_it() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let active = app
            .store()
            .consent_versions_of(&ids.partnership, &ids.main, &ids.vantacel)
            .await
            .unwrap()
            .remove(0);
        clock.advance_secs(86_400);
        // Recording the consent by hand is refused: it is the versions' now.
        let err = DeliverableBuilder::new(
            &ids.partnership,
            &ids.main,
            &ids.vantacel,
            "consent_with_failure_language",
        )
        .with_evidence("Consent version 4 approved by the IRB.")
        .try_record(&app, &contracts)
        .await
        .unwrap_err();
        assert!(err.to_string().contains("consent documents"), "{err}");
        let err = app
            .retire_consent_version(&contracts, &active.id, None, " ", PW, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "reason"),
            "{err}"
        );
        let err = app
            .retire_consent_version(
                &contracts,
                &active.id,
                None,
                "The IRB withdrew it.",
                "",
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "password"),
            "{err}"
        );
        let retired = app
            .retire_consent_version(
                &contracts,
                &active.id,
                Some(active.version),
                "The IRB withdrew approval of this form.",
                PW,
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(retired.status, ConsentStatus::Retired);
        let (signed, meaning) = last_signed(&app, &ids.partnership, 2).await;
        assert_eq!(meaning, "reviewed", "{}", db.label);
        assert!(signed.contains("The IRB withdrew approval"), "{signed}");
        // The review is a job written with the retirement: the verdict moves when it runs.
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");
        app.run_due_jobs().await.unwrap();
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(recorded, "suspended");
        assert_eq!(missing, [CONSENT_MISSING]);
        // A retired version is not retired again, nor made active again.
        let err = app
            .activate_consent_version(&contracts, &active.id, None, PW, None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("only a draft is made active"),
            "{err}"
        );

        clock.advance_secs(86_400);
        let next = add_version(&app, &contracts, &ids.main, &ids.vantacel).await;
        assert_eq!(next.number, 2);
        // Activation is e-signed: an empty password is asked for, a wrong one refused, and
        // neither writes anything.
        let head = app.store().ledger_head(&ids.partnership).await.unwrap();
        for (typed, says) in [
            ("", "enter your password"),
            ("not my password", "does not match your password"),
        ] {
            let err = app
                .activate_consent_version(&contracts, &next.id, Some(next.version), typed, None)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, AppError::Invalid(f) if f[0].field == "password" && f[0].message.contains(says)),
                "{err}"
            );
        }
        assert_eq!(
            app.store().ledger_head(&ids.partnership).await.unwrap(),
            head,
            "{}",
            db.label
        );
        app.activate_consent_version(&contracts, &next.id, Some(next.version), PW, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let (signed, meaning) = last_signed(&app, &ids.partnership, 2).await;
        assert_eq!(meaning, "approved", "{}", db.label);
        assert!(signed.contains(&next.id), "{signed}");
        app.run_due_jobs().await.unwrap();
        let (recorded, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((recorded.as_str(), missing.len()), ("authorized", 0));
        // A third version made active supersedes the second in the same command.
        let third = add_version(&app, &contracts, &ids.main, &ids.vantacel).await;
        app.activate_consent_version(&contracts, &third.id, None, PW, None)
            .await
            .unwrap();
        // The signature names the activation, not the retirement before it in the command.
        let (signed, meaning) = last_signed(&app, &ids.partnership, 2).await;
        assert_eq!(meaning, "approved", "{}", db.label);
        assert!(signed.contains(&third.id), "{signed}");
        assert!(signed.contains("\"active\""), "{signed}");
        let all = app
            .store()
            .consent_versions_of(&ids.partnership, &ids.main, &ids.vantacel)
            .await
            .unwrap();
        let states: Vec<(i64, ConsentStatus, Option<&str>)> = all
            .iter()
            .map(|v| (v.number, v.status, v.retired_reason.as_deref()))
            .collect();
        assert_eq!(
            states,
            [
                (
                    1,
                    ConsentStatus::Retired,
                    Some("The IRB withdrew approval of this form.")
                ),
                (
                    2,
                    ConsentStatus::Retired,
                    Some("superseded by consent version 3")
                ),
                (3, ConsentStatus::Active, None),
            ]
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_case_records_consent_against_the_active_version_and_not_a_retired_one() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let cases = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap();
        // The demo's cases past the consent step recorded it against version 1.
        let mut consented = 0;
        for c in &cases {
            let view = app.case(&coordinator, &c.id).await.unwrap();
            if let Some(consent) = &view.consent {
                assert_eq!(consent.version_number, 1);
                consented += 1;
            }
        }
        assert!(consented >= 4, "{consented} of {}", cases.len());
        let mut case = None;
        for c in &cases {
            let view = app.case(&coordinator, &c.id).await.unwrap();
            if view.status == CaseState::Active {
                case = Some(view);
                break;
            }
        }
        let case = case.expect("an active case");
        let active = app
            .store()
            .consent_versions_of(&ids.partnership, &ids.main, &ids.vantacel)
            .await
            .unwrap()
            .remove(0);
        let consent = |id: &str| CaseInput::RecordConsent {
            consent_version_id: id.to_string(),
            consented_by: ConsentGiver::LegallyAuthorizedRepresentative,
            signed_on: today(&app).as_str().into(),
            witness: "Marta Keel, RN".into(),
        };
        app.retire_consent_version(
            &contracts,
            &active.id,
            None,
            "Replaced after the IRB's review.",
            PW,
            None,
        )
        .await
        .unwrap();
        let before = app.case(&coordinator, &case.id).await.unwrap();
        let err = app
            .act_on_case(&coordinator, &case.id, consent(&active.id), "", None, None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!(
                "consent version 1 was retired on {}: record the patient's consent against the active version",
                today(&app)
            )),
            "{err}"
        );
        let after = app.case(&coordinator, &case.id).await.unwrap();
        assert_eq!(after.version, before.version, "nothing written");
        // An unknown version is not found; a bad day is named.
        let err = app
            .act_on_case(&coordinator, &case.id, consent("cns_nope"), "", None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err}");

        let next = add_version(&app, &contracts, &ids.main, &ids.vantacel).await;
        let err = app
            .act_on_case(&coordinator, &case.id, consent(&next.id), "", None, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is a draft"), "{err}");
        app.activate_consent_version(&contracts, &next.id, None, PW, None)
            .await
            .unwrap();
        let mut bad_day = consent(&next.id);
        if let CaseInput::RecordConsent { signed_on, .. } = &mut bad_day {
            *signed_on = "yesterday".into();
        }
        let err = app
            .act_on_case(&coordinator, &case.id, bad_day, "", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "signed_on"),
            "{err}"
        );
        app.act_on_case(&coordinator, &case.id, consent(&next.id), "", None, None)
            .await
            .unwrap();
        let view = app.case(&coordinator, &case.id).await.unwrap();
        let recorded = view.consent.expect("recorded");
        assert_eq!(
            (
                recorded.version_number,
                recorded.consented_by,
                recorded.witness.as_deref()
            ),
            (
                2,
                ConsentGiver::LegallyAuthorizedRepresentative,
                Some("Marta Keel, RN")
            )
        );
        // A manufacturer's role with the pseudonym view sees the version, not the witness.
        let helixa = as_user(&app, "contracts@helixa.example").await;
        if let Ok(v) = app.case(&helixa, &case.id).await {
            let c = v.consent.expect("the version is shown");
            assert_eq!(c.version_number, 2);
            assert_eq!(c.witness, None);
        }
        assert!(
            view.timeline.iter().any(|t| t.text.contains(
                "recorded the consent of a legally authorized representative on consent version 2"
            )),
            "{:?}",
            view.timeline
        );
    }
}

/// The event the ledger's last event signs (its body) and the signature's meaning; `back`
/// is how far from the end the signed event is.
async fn last_signed(app: &cellpath_app::App, ledger: &str, back: usize) -> (String, String) {
    let events = app.store().events(ledger, 0, 1_000_000).await.unwrap();
    let signature = events.last().unwrap();
    assert_eq!(signature.kind, cellpath_ledger::SIGNATURE_EVENT_TYPE);
    let body: serde_json::Value = serde_json::from_str(&signature.body).unwrap();
    let signed = &events[events.len() - back];
    assert_eq!(
        body["payload"]["signs"]["event_hash"].as_str(),
        Some(signed.hash.as_str())
    );
    (
        signed.body.clone(),
        body["payload"]["meaning"].as_str().unwrap().to_string(),
    )
}
