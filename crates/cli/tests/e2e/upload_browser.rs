//! A document uploaded through a real form in headless Chromium (issue 10, point 1): the
//! browser sends `multipart/form-data`, the server keeps the bytes by their SHA-256 and the
//! agreement records the version; a file of another type is refused beside the field and
//! nothing of it is kept.

use crate::browser::{click, start_browser_with, text_of};
use crate::support::{helixa_lakeshore, spawn_demo};
use cellpath_domain::contracting::AgreementKind;
use fantoccini::Locator;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

#[tokio::test]
async fn a_contracts_manager_uploads_an_agreement_version_through_the_form() {
    let Some(driver) = start_browser_with(&["--window-size=1280,900"]).await else {
        return;
    };
    let c = &driver.client;
    let s = spawn_demo().await;
    let pship = helixa_lakeshore(&s.app).await;
    let agreement = s
        .app
        .store()
        .agreements_of(&pship)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == AgreementKind::QualityAgreement)
        .unwrap();
    crate::browser::sign_in(c, &s, "contracts@helixa.example").await;
    let dir = tempfile::tempdir().unwrap();
    let page = s.url(&format!("/agreements/{}", agreement.id));

    // Another type: refused beside the file, nothing kept.
    let exe = dir.path().join("setup.txt.exe");
    std::fs::write(&exe, b"MZ\x90\0\x03\0\0\0\x04\0").unwrap();
    c.goto(&page).await.unwrap();
    c.find(Locator::Css("#document-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(exe.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#document-form button[type=submit]").await;
    let message = text_of(c, "#document-form .field-error[data-field=file]").await;
    assert!(!message.is_empty(), "a message beside the file");
    let bad_hash = cellpath_ledger::hash_bytes(b"MZ\x90\0\x03\0\0\0\x04\0");
    assert!(s.app.store().document(&bad_hash).await.unwrap().is_none());

    // A PDF: kept by its hash, recorded as the agreement's version, served back.
    let pdf = dir.path().join("quality-agreement-v4.pdf");
    std::fs::write(&pdf, PDF).unwrap();
    c.goto(&page).await.unwrap();
    c.find(Locator::Css("#document-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#document-form button[type=submit]").await;
    let sha256 = cellpath_ledger::hash_bytes(PDF);
    let kept = s
        .app
        .store()
        .document(&sha256)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(kept.size, PDF.len() as i64);
    assert_eq!(kept.media_type, "application/pdf");
    let after = s
        .app
        .store()
        .agreements_of(&pship)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == agreement.id)
        .unwrap();
    let documents = after.documents.to_string();
    assert!(documents.contains(&sha256), "{documents}");
    assert!(
        documents.contains("quality-agreement-v4.pdf"),
        "{documents}"
    );
    let body = c.source().await.unwrap();
    assert!(
        body.contains("quality-agreement-v4.pdf"),
        "the page lists it"
    );
    s.shutdown().await;
}
