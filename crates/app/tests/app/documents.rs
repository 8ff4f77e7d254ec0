//! Documents: uploaded once, kept by hash, served only to who may read a record naming them.

use crate::support::*;
use cellpath_app::contracting::DocumentInput;
use cellpath_app::readiness::{Attachment, VisitInput};
use cellpath_domain::policy::{Action, Decision, Relation, Resource, ResourceKind, decide};
use cellpath_domain::{LedgerInt, OrgKind, Role};
use cellpath_store::testing::TestDb;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Every demo role of Helixa and Lakeshore, with the caller.
async fn parties(app: &cellpath_app::App) -> Vec<(String, cellpath_app::Caller)> {
    let mut all = Vec::new();
    for (kind, domain) in [
        (OrgKind::Manufacturer, "helixa.example"),
        (OrgKind::HealthSystem, "lakeshore.example"),
    ] {
        for role in Role::for_kind(kind) {
            let email = format!("{}@{domain}", role.as_str().replace('_', "."));
            all.push((email.clone(), as_user(app, &email).await));
        }
    }
    all
}

/// Add the uploaded document as a version of the demo partnership's quality agreement.
pub(crate) async fn attach_to_quality_agreement(
    app: &cellpath_app::App,
    contracts: &cellpath_app::Caller,
    ids: &GateIds,
    up: &cellpath_app::documents::UploadedDocument,
) {
    let agreement = app
        .agreements(contracts, &ids.partnership)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == AgreementKind::QualityAgreement)
        .unwrap();
    app.add_document(
        contracts,
        &agreement.id,
        agreement.version,
        DocumentInput {
            name: up.name.clone(),
            sha256: up.sha256.clone(),
            bytes: LedgerInt::new(up.size).unwrap(),
        },
        None,
    )
    .await
    .unwrap()
    .fresh()
    .unwrap();
}

/// What the policy says of reading `kind` through the partnership in `status`, as a download's
/// outcome ("ok" or "not found": a document one may not read does not exist for one).
fn expected(caller: &cellpath_app::Caller, kind: ResourceKind, relation: Relation) -> &'static str {
    match decide(
        caller.principal.as_ref().unwrap(),
        Action::Read,
        Resource { kind, relation },
    ) {
        Decision::Allow => "ok",
        _ => "not found",
    }
}

#[tokio::test]
async fn an_agreement_document_is_served_to_who_may_read_the_agreement_and_no_one_else() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let up = app
            .upload(&contracts, "C:\\Legal\\quality-agreement-v2.pdf", PDF)
            .await
            .unwrap();
        assert_eq!(up.name, "quality-agreement-v2.pdf");
        assert_eq!(up.media_type, "application/pdf");
        assert_eq!(up.size, PDF.len() as i64);
        assert_eq!(up.sha256, cellpath_ledger::hash_bytes(PDF));

        // Uploaded but named by no record: nobody is served it, not even the uploader.
        assert_eq!(
            outcome(app.download(&contracts, &up.sha256).await),
            "not found"
        );

        attach_to_quality_agreement(&app, &contracts, &ids, &up).await;

        let mut served = 0;
        for status in [PartnershipStatus::Active, PartnershipStatus::Ended] {
            if status == PartnershipStatus::Ended {
                let hs_contracts = as_user(&app, "contracts@lakeshore.example").await;
                set_status(&app, &hs_contracts, &ids.partnership, "ended").await;
            }
            for (email, caller) in parties(&app).await {
                let got = app.download(&caller, &up.sha256).await;
                let want = expected(&caller, ResourceKind::Contract, Relation::Party(status));
                if want == "ok" {
                    let doc = got.unwrap_or_else(|e| panic!("{email} {status:?}: {e}"));
                    assert_eq!(doc.bytes, PDF, "{email}");
                    assert_eq!(doc.media_type, "application/pdf");
                    served += 1;
                } else {
                    assert_eq!(outcome(got), want, "{} {email} {status:?}", db.label);
                }
            }
        }
        // The contracts people of both sides read their agreements, active or ended.
        assert!(served >= 4, "{}: served {served}", db.label);

        // Another tenant (a manufacturer with no partnership, another health system) never.
        for email in [
            "contracts@northbridge.example",
            "admin@northbridge.example",
            "contracts@cascade.example",
            "contracts@piedmont.example",
        ] {
            let other = as_user(&app, email).await;
            assert_eq!(
                outcome(app.download(&other, &up.sha256).await),
                "not found",
                "{email}"
            );
        }
        // An unknown hash, and something that is not a hash, answer the same.
        assert_eq!(
            outcome(app.download(&contracts, &"0".repeat(64)).await),
            "not found"
        );
        assert_eq!(
            outcome(app.download(&contracts, "../etc/passwd").await),
            "not found"
        );
    }
}

#[tokio::test]
async fn a_visit_attachment_is_served_to_who_may_read_the_readiness_work() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let quality = as_user(&app, "quality@helixa.example").await;
        let text = "LN2 room: two dewars, oxygen monitor at the door.\n".as_bytes();
        let up = app.upload(&quality, "ln2-room.txt", text).await.unwrap();
        assert_eq!(up.media_type, "text/plain; charset=utf-8");
        app.record_visit(
            &quality,
            &ids.partnership,
            VisitInput {
                site_id: ids.main.clone(),
                visited_on: "2025-11-20".into(),
                visitors: vec!["Dana Quality".into()],
                facility_ids: vec![],
                observations: vec![],
                findings: Default::default(),
                attachments: vec![Attachment {
                    name: up.name.clone(),
                    media_type: up.media_type.clone(),
                    bytes: LedgerInt::new(up.size).unwrap(),
                    sha256: up.sha256.clone(),
                }],
            },
            None,
        )
        .await
        .unwrap();
        for (email, caller) in parties(&app).await {
            let got = app.download(&caller, &up.sha256).await;
            let want = expected(
                &caller,
                ResourceKind::Readiness,
                Relation::Party(PartnershipStatus::Active),
            );
            assert_eq!(outcome(got), want, "{} {email}", db.label);
        }
        let other = as_user(&app, "quality@northbridge.example").await;
        assert_eq!(outcome(app.download(&other, &up.sha256).await), "not found");
    }
}

#[tokio::test]
async fn uploads_refuse_other_types_and_large_files_and_keep_one_copy_of_the_same_bytes() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let err = app
            .upload(&contracts, "setup.exe", b"MZ\x90\0\x03\0\0\0\x04\0")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("file: this kind of file is not kept"),
            "{err}"
        );
        let big = vec![b'a'; cellpath_domain::documents::MAX_DOCUMENT_BYTES + 1];
        let err = app.upload(&contracts, "big.txt", &big).await.unwrap_err();
        assert!(err.to_string().contains("at most 10 MiB"), "{err}");
        // A refused upload leaves nothing behind.
        let refused = cellpath_ledger::hash_bytes(&big);
        assert!(app.store().document(&refused).await.unwrap().is_none());

        let a = app.upload(&contracts, "a.pdf", PDF).await.unwrap();
        let b = app.upload(&contracts, "b.pdf", PDF).await.unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(b.name, "b.pdf");
        let kept = app.store().document(&a.sha256).await.unwrap().unwrap();
        assert_eq!(kept.size, PDF.len() as i64);
    }
}

#[tokio::test]
async fn a_documents_directory_keeps_the_bytes_as_files_named_by_their_hash() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app.with_documents_dir(dir.path().to_path_buf());
    let ids = gate_ids(&app).await;
    let contracts = as_user(&app, "contracts@helixa.example").await;
    let up = app.upload(&contracts, "msa.pdf", PDF).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join(&up.sha256)).unwrap(), PDF);
    attach_to_quality_agreement(&app, &contracts, &ids, &up).await;
    assert_eq!(
        app.download(&contracts, &up.sha256).await.unwrap().bytes,
        PDF
    );
    // The other side reads it from the same file.
    let hs = as_user(&app, "contracts@lakeshore.example").await;
    assert_eq!(app.download(&hs, &up.sha256).await.unwrap().bytes, PDF);
}

#[tokio::test]
async fn minutes_named_in_a_deliverable_s_evidence_are_served_to_who_may_read_deliverables() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
        let minutes = b"%PDF-1.6\n% P&T minutes PT-2025-11\n%%EOF\n";
        let up = app.upload(&pharmacy, "minutes.pdf", minutes).await.unwrap();
        app.record_deliverable(
            &pharmacy,
            &ids.partnership,
            cellpath_app::contracting::DeliverableInput {
                site_id: ids.north.clone(),
                program_id: ids.vantacel.clone(),
                deliverable: "pharmacy_and_therapeutics".into(),
                done_on: "2025-11-20".into(),
                evidence: format!(
                    "Formulary approval.\nDocument: minutes.pdf (SHA-256 {})",
                    up.sha256
                ),
            },
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap();
        let mut served = 0;
        for (email, caller) in parties(&app).await {
            let want = expected(
                &caller,
                ResourceKind::Deliverable,
                Relation::Party(PartnershipStatus::Active),
            );
            served += usize::from(want == "ok");
            assert_eq!(
                outcome(app.download(&caller, &up.sha256).await),
                want,
                "{} {email}",
                db.label
            );
        }
        assert!(served > 0, "{}", db.label);
        let other = as_user(&app, "pharmacy@piedmont.example").await;
        assert_eq!(outcome(app.download(&other, &up.sha256).await), "not found");
    }
}

#[tokio::test]
async fn an_upload_no_record_names_is_purged_by_the_hourly_job_after_a_day_and_named_ones_stay() {
    use cellpath_app::documents::ORPHAN_UPLOAD_HOURS;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let orphan = app
            .upload(&contracts, "draft.txt", b"never attached")
            .await
            .unwrap();
        let named = app.upload(&contracts, "qa.pdf", PDF).await.unwrap();
        attach_to_quality_agreement(&app, &contracts, &ids, &named).await;
        let kept = |h: String| {
            let app = &app;
            async move { app.store().document(&h).await.unwrap().is_some() }
        };
        // Within the day nothing goes, orphan or not.
        clock.advance_secs(3_600);
        app.enqueue_hourly().await.unwrap();
        app.run_due_jobs().await.unwrap();
        assert!(kept(orphan.sha256.clone()).await, "{}", db.label);
        // A day later the hourly job purges the orphan, row and bytes; the named one stays.
        clock.advance_secs(ORPHAN_UPLOAD_HOURS * 3_600);
        app.enqueue_hourly().await.unwrap();
        let run = app.run_due_jobs().await.unwrap();
        assert_eq!(run.failed, 0, "{}", db.label);
        assert!(!kept(orphan.sha256.clone()).await, "{}", db.label);
        assert!(app.download(&contracts, &orphan.sha256).await.is_err());
        assert!(kept(named.sha256.clone()).await, "{}", db.label);
        assert_eq!(
            app.download(&contracts, &named.sha256).await.unwrap().bytes,
            PDF
        );
        // The same bytes uploaded again are kept again.
        let again = app
            .upload(&contracts, "draft.txt", b"never attached")
            .await
            .unwrap();
        assert_eq!(again.sha256, orphan.sha256);
        assert!(kept(orphan.sha256.clone()).await, "{}", db.label);
    }
}

#[tokio::test]
async fn a_documents_directory_purges_the_orphans_file_too() {
    use cellpath_app::documents::ORPHAN_UPLOAD_HOURS;
    let db = TestDb::sqlite().await;
    let (app, clock) = demo_app(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app.with_documents_dir(dir.path().to_path_buf());
    let contracts = as_user(&app, "contracts@helixa.example").await;
    let orphan = app
        .upload(&contracts, "draft.txt", b"never attached")
        .await
        .unwrap();
    assert!(dir.path().join(&orphan.sha256).exists());
    clock.advance_secs(ORPHAN_UPLOAD_HOURS * 3_600 + 1);
    assert_eq!(app.purge_orphan_uploads().await.unwrap(), 1);
    assert!(!dir.path().join(&orphan.sha256).exists());
    assert!(
        app.store()
            .document(&orphan.sha256)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn documents_move_with_the_record_when_it_is_replayed_into_another_database() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let up = app.upload(&contracts, "qa-v3.pdf", PDF).await.unwrap();
        attach_to_quality_agreement(&app, &contracts, &ids, &up).await;
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        app.store()
            .replay_with_documents_into(&target)
            .await
            .unwrap();
        assert_eq!(
            app.store().record_state().await.unwrap(),
            target.record_state().await.unwrap(),
            "{}",
            db.label
        );
        use cellpath_store::DocumentStore;
        let (meta, bytes) = cellpath_store::InDatabase(target.clone())
            .get(&up.sha256)
            .await
            .unwrap()
            .expect("the document moved with the record");
        assert_eq!(bytes, PDF, "{}", db.label);
        assert_eq!(meta.media_type, "application/pdf");
    }
}
