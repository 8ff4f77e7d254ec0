//! Signed records answer with their signatures (issue 10, point 2; 21 CFR 11.50): a gate's
//! deliverables, a revoked deliverable, a closed gap and the readiness view's gaps each carry
//! the printed name, the time and the meaning of every signature on them — on every database.

use crate::support::{TestServer, helixa_lakeshore, site_id, spawn_each, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(s: &TestServer, token: &str, path: &str) -> Value {
    let res = s
        .http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// The meanings of a record's signatures, oldest first, each checked for a printed name and
/// a time.
fn meanings(record: &Value) -> Vec<String> {
    record["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("no signatures on {record}"))
        .iter()
        .map(|sig| {
            assert!(
                sig["printed_name"].as_str().is_some_and(|n| !n.is_empty()),
                "{sig}"
            );
            assert!(sig["signed_at"].as_i64().is_some_and(|t| t > 0), "{sig}");
            sig["meaning"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn deliverables_and_gaps_answer_with_their_signatures() {
    for s in spawn_each().await {
        let cell_lab = s.token("cell.lab@lakeshore.example").await;
        let pharmacy = s.token("pharmacy@lakeshore.example").await;
        let pship = helixa_lakeshore(&s.app).await;
        let vantacel = vantacel(&s.app).await;
        let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
        let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;

        // The gate's deliverables, each recorded with an e-signature (meaning verified).
        let gate_path = format!("/api/v1/partnerships/{pship}/gate/{main}/{vantacel}");
        let gate = get(&s, &cell_lab, &gate_path).await;
        let deliverables = gate["deliverables"].as_array().unwrap();
        assert!(!deliverables.is_empty(), "{gate}");
        for d in deliverables {
            assert_eq!(meanings(d), ["verified"], "{d}");
        }

        // Revoking one answers with both signatures: recorded, then revoked (reviewed).
        let training = deliverables
            .iter()
            .find(|r| r["deliverable"] == "staff_training")
            .unwrap()
            .clone();
        let res = s
            .http
            .post(s.url(&format!(
                "/api/v1/deliverables/{}/revoke",
                training["id"].as_str().unwrap()
            )))
            .bearer_auth(&cell_lab)
            .header("if-match", format!("\"{}\"", training["version"]))
            .json(&json!({ "reason": "Roster not current.", "password": cellpath_app::demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let revoked: Value = res.json().await.unwrap();
        assert_eq!(meanings(&revoked), ["verified", "reviewed"], "{revoked}");
        let gate = get(&s, &cell_lab, &gate_path).await;
        let again = gate["deliverables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == training["id"])
            .unwrap();
        assert_eq!(again["signatures"], revoked["signatures"]);

        // A gap: none while open; closing it answers with its signature, and so does the
        // readiness view afterwards.
        let readiness_path = format!("/api/v1/partnerships/{pship}/readiness/{north}/{vantacel}");
        let readiness = get(&s, &pharmacy, &readiness_path).await;
        let gap = readiness["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["status"] == "open")
            .unwrap()
            .clone();
        assert!(meanings(&gap).is_empty(), "{gap}");
        let res = s
            .http
            .post(s.url(&format!("/api/v1/gaps/{}/close", gap["id"].as_str().unwrap())))
            .bearer_auth(&pharmacy)
            .header("if-match", format!("\"{}\"", gap["version"]))
            .json(&json!({ "evidence": "Stocked since 2026-11-21.", "password": cellpath_app::demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let closed: Value = res.json().await.unwrap();
        assert_eq!(meanings(&closed), ["verified"], "{closed}");
        let readiness = get(&s, &pharmacy, &readiness_path).await;
        let listed = readiness["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == gap["id"])
            .unwrap();
        assert_eq!(listed["signatures"], closed["signatures"]);
        s.shutdown().await;
    }
}
