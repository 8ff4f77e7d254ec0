//! Documents over the API: uploaded once, served only to who may read the agreement naming
//! them; consent documents and the gate.

use super::problem;
use crate::support::{helixa_lakeshore, site_id, spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn documents_upload_once_and_are_served_only_to_who_may_read_the_agreement_naming_them() {
    let s = spawn_demo().await;
    let helixa = s.token("contracts@helixa.example").await;
    let pdf = b"%PDF-1.4\n% P&T minutes, Vantacel formulary approval\n%%EOF\n".to_vec();

    // Raw bytes with the name in Content-Disposition.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            "attachment; filename=\"pt-minutes.pdf\"",
        )
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let up: Value = res.json().await.unwrap();
    assert_eq!(up["name"], "pt-minutes.pdf");
    assert_eq!(up["media_type"], "application/pdf");
    assert_eq!(up["size"], pdf.len());
    let sha = up["sha256"].as_str().unwrap().to_string();

    // The same file as multipart: the same document.
    let mut form = b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"again.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".to_vec();
    form.extend_from_slice(&pdf);
    form.extend_from_slice(b"\r\n--b0undary--\r\n");
    let again: Value = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "multipart/form-data; boundary=b0undary")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["sha256"], sha.as_str());
    assert_eq!(again["name"], "again.pdf");

    // Another type is refused beside the field, as a problem.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "application/pdf")
        .body(b"GIF89a\x01\x00\x01\x00".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "file", "{p}");

    // Over the limit: refused as a problem before it is read whole.
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .header("content-type", "text/plain")
        .body(vec![b'a'; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Just under it: kept (the API's own limit is the documents', not the 256 KiB of JSON).
    let res = s
        .http
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&helixa)
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Attached to an agreement by hash, the API's own way.
    let pship = helixa_lakeshore(&s.app).await;
    let agreements: Value = s
        .http
        .get(s.url(&format!("/api/v1/partnerships/{pship}/agreements")))
        .bearer_auth(&helixa)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agreement = agreements
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "master_service_agreement")
        .unwrap();
    let res = s
        .http
        .post(s.url(&format!(
            "/api/v1/agreements/{}/documents",
            agreement["id"].as_str().unwrap()
        )))
        .bearer_auth(&helixa)
        .header("if-match", format!("\"{}\"", agreement["version"]))
        .json(&json!({ "name": up["name"], "sha256": sha, "bytes": up["size"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    let get = |token: String| {
        let req = s
            .http
            .get(s.url(&format!("/api/v1/documents/{sha}")))
            .bearer_auth(token);
        async move { req.send().await.unwrap() }
    };
    // Both sides' contracts people read it, in its type.
    for email in ["contracts@helixa.example", "contracts@lakeshore.example"] {
        let res = get(s.token(email).await).await;
        assert_eq!(res.status(), StatusCode::OK, "{email}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
    }
    // Another tenant: a problem 404, as for a hash nobody uploaded.
    for (token, what) in [
        (
            s.token("contracts@northbridge.example").await,
            "another tenant",
        ),
        (helixa.clone(), "unknown hash"),
    ] {
        let url = if what == "unknown hash" {
            format!("/api/v1/documents/{}", "f".repeat(64))
        } else {
            format!("/api/v1/documents/{sha}")
        };
        let res = s
            .http
            .get(s.url(&url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{what}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn consent_documents_over_the_api_activate_only_with_the_failure_section_and_move_the_gate() {
    let s = spawn_demo().await;
    let contracts = s.token("contracts@lakeshore.example").await;
    let helixa = s.token("admin@helixa.example").await;
    let vantacel = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let list = s.url(&format!("/api/v1/sites/{main}/consent-documents"));

    // The manufacturer reads the site's versions through the active partnership.
    let docs: Value = s
        .http
        .get(&list)
        .bearer_auth(&helixa)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions = docs["programs"][0]["versions"].as_array().unwrap();
    assert_eq!(versions[0]["status"], "active", "{docs}");
    assert_eq!(docs["may_change"], false);
    // …and does not write them.
    let draft = json!({
        "program_id": vantacel, "document_sha256": "c0".repeat(64 / 2),
        "document_name": "Consent v2.pdf", "effective_on": "2025-11-01",
        "sections": [{ "kind": "other", "heading": "Risks", "text": "Cytokine release syndrome can occur." }],
    });
    let res = s
        .http
        .post(&list)
        .bearer_auth(&helixa)
        .json(&draft)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;

    let res = s
        .http
        .post(&list)
        .bearer_auth(&contracts)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["number"].as_i64(), v["status"].as_str()),
        (Some(2), Some("draft"))
    );
    let activation = s.url(&format!(
        "/api/v1/consent-documents/{}/activation",
        v["id"].as_str().unwrap()
    ));
    let res = s
        .http
        .post(&activation)
        .bearer_auth(&contracts)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_REQUIRED).await;
    let res = s
        .http
        .post(&activation)
        .bearer_auth(&contracts)
        .header("If-Match", "\"1\"")
        .json(&json!({ "password": cellpath_app::demo::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("has no manufacturing-failure section"),
        "{p}"
    );

    // Retiring the active version: the gate's review follows as a job, and the site is
    // suspended for want of an active consent version.
    // It is e-signed: an empty password is asked for beside its field.
    let active = versions[0]["id"].as_str().unwrap();
    let retire = |password: &str| {
        s.http
            .post(s.url(&format!("/api/v1/consent-documents/{active}/retirement")))
            .bearer_auth(&contracts)
            .header("If-Match", format!("\"{}\"", versions[0]["version"]))
            .json(&json!({ "reason": "The IRB withdrew its approval.", "password": password }))
            .send()
    };
    let p = problem(retire("").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "password", "{p}");
    let res = retire(cellpath_app::demo::DEMO_PASSWORD).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // The review is a job: the server's own worker may hold it while this test runs the due
    // ones, so the gate is read until the review has been recorded (or a generous wait ends).
    let pship = helixa_lakeshore(&s.app).await;
    let mut gate = Value::Null;
    for _ in 0..200 {
        s.app.run_due_jobs().await.unwrap();
        gate = s
            .http
            .get(s.url(&format!(
                "/api/v1/partnerships/{pship}/gate/{main}/{vantacel}"
            )))
            .bearer_auth(&contracts)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if gate["recorded"]["status"] != "authorized" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(gate["authorized"], false, "{gate}");
    assert_eq!(gate["recorded"]["status"], "suspended", "{gate}");
    s.shutdown().await;
}
