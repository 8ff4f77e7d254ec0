//! Documents through the operator's replay and audit (issue 10, point 1): `audit replay
//! --into` copies the record with the documents its events name, and `audit verify --state`
//! reads every kept document and reports one whose bytes no longer match its SHA-256.

use crate::support::{as_user, cellpath_on, helixa_lakeshore, seed_demo, stderr, stdout};
use cellpath_app::App;
use cellpath_app::testing::TestDb;
use cellpath_domain::contracting::AgreementKind;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Upload `bytes` as Helixa's contracts manager and attach them to the demo partnership's
/// quality agreement; answers the hash.
async fn attach_a_version(app: &App, bytes: &[u8]) -> String {
    let contracts = as_user(app, "contracts@helixa.example").await;
    let up = app.upload(&contracts, "qa-v3.pdf", bytes).await.unwrap();
    let pship = helixa_lakeshore(app).await;
    let agreement = app
        .store()
        .agreements_of(&pship)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == AgreementKind::QualityAgreement)
        .unwrap();
    app.add_document(
        &contracts,
        &agreement.id,
        agreement.version,
        cellpath_app::contracting::DocumentInput {
            name: up.name.clone(),
            sha256: up.sha256.clone(),
            bytes: cellpath_domain::LedgerInt::new(up.size).unwrap(),
        },
        None,
    )
    .await
    .unwrap();
    up.sha256
}

#[tokio::test]
async fn audit_replay_carries_the_documents_and_verify_state_sees_a_document_edited_behind_the_apps_back()
 {
    let db = TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let sha256 = attach_a_version(&app, PDF).await;
    app.close().await;
    let url = db.url.as_str();

    // Replayed into an empty database: the same record, and the document with it.
    let copy = TestDb::sqlite().await;
    let out = cellpath_on(url, &["audit", "replay", "--into", copy.url.as_str()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("events, with their documents"),
        "{}",
        stdout(&out)
    );
    let (from, to) = (db.store().await, copy.store().await);
    assert_eq!(
        from.record_state().await.unwrap(),
        to.record_state().await.unwrap()
    );
    use cellpath_app::testing::DocumentStore;
    let (_, bytes) = cellpath_app::testing::InDatabase(to.clone())
        .get(&sha256)
        .await
        .unwrap()
        .expect("the document moved with the record");
    assert_eq!(bytes, PDF);
    to.close().await;
    let out = cellpath_on(copy.url.as_str(), &["audit", "verify", "--state"], None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    // A database that already holds a record is refused, in one line.
    let out = cellpath_on(url, &["audit", "replay", "--into", copy.url.as_str()], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("already holds a record"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // The document's bytes edited behind the application's back: the chains cannot see it,
    // --state names the document.
    let out = cellpath_on(url, &["audit", "verify", "--state"], None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let forged: String = b"%PDF-1.7 forged\n"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    db.execute_behind_the_apps_back(&format!(
        "UPDATE document_contents SET content_hex = '{forged}' WHERE sha256 = '{sha256}'"
    ))
    .await;
    let out = cellpath_on(url, &["audit", "verify"], None);
    assert!(out.status.success(), "the chains cannot see it");
    let out = cellpath_on(url, &["audit", "verify", "--state"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("documents") && said.contains(&sha256) && said.contains("bytes is"),
        "{said}"
    );
    let out = cellpath_on(url, &["--json", "audit", "verify", "--state"], None);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json[0]["table"], "documents");
    assert_eq!(json[0]["key"], sha256.as_str());
    assert_eq!(json[0]["difference"], "changed");
}

/// Kept in a directory: `--state` reads them there (with the same flag as `serve`), and a
/// file replaced or removed is reported.
#[tokio::test]
async fn verify_state_reads_documents_from_the_documents_directory() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let app = seed_demo(&db)
        .await
        .with_documents_dir(dir.path().to_path_buf());
    let sha256 = attach_a_version(&app, PDF).await;
    app.close().await;
    let url = db.url.as_str();
    let kept_in = dir.path().to_str().unwrap();
    let state = ["audit", "verify", "--state", "--documents-dir", kept_in];

    // (The demo seeded its own documents before the directory was configured: their bytes
    // are in the database, and --state rightly says the directory lacks them. Ours is read.)
    let out = cellpath_on(url, &state, None);
    assert!(!stdout(&out).contains(&sha256), "{}", stdout(&out));
    // Without the directory its bytes are not where the database would keep them.
    let out = cellpath_on(url, &["audit", "verify", "--state"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&sha256), "{}", stdout(&out));

    std::fs::write(dir.path().join(&sha256), b"%PDF-1.7 forged\n").unwrap();
    let out = cellpath_on(url, &state, None);
    assert_eq!(out.status.code(), Some(1));
    let said = stdout(&out);
    assert!(
        said.contains(&sha256) && said.contains("bytes is"),
        "{said}"
    );

    std::fs::remove_file(dir.path().join(&sha256)).unwrap();
    let out = cellpath_on(url, &state, None);
    assert_eq!(out.status.code(), Some(1));
    let said = stdout(&out);
    assert!(
        said.contains(&sha256) && said.contains("unreadable"),
        "{said}"
    );
}
