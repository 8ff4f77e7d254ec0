//! Release exceptions through the API and the CLI (issue 13, point 6): a protocol drafted with
//! a role the manufacturer does not have is a 422 naming the field
//! (`protocol.tiers[0].recipients[0].role`); a good one is drafted by the health system and
//! e-signed by both sides, superseding the one the demo agreed; the manufacturer's quality opens an exception (a bad hash: 422 on
//! its field), a tier-1 recipient acknowledges it once (again: 422), another tenant finds
//! nothing; the SLA record counts it; `cellpath exceptions` lists and shows it, and records the
//! patient told and the decision by a person named by e-mail (refused in one line otherwise).

use crate::support::{cellpath_on, helixa_lakeshore, site_id, spawn_each, stderr, stdout};
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_domain::release_exception::Protocol;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_protocol_agreed_by_both_sides_then_an_exception_opened_acknowledged_and_measured() {
    for s in spawn_each().await {
        let partnership = helixa_lakeshore(&s.app).await;
        let hs = s.token("contracts@lakeshore.example").await;
        let mfr = s.token("contracts@helixa.example").await;
        let post = |path: String, token: String, body: Value| {
            s.http
                .post(s.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let protocols_path = format!("/api/v1/partnerships/{partnership}/exception-protocols");
        let listed = s.get_json(&protocols_path, &hs).await;
        assert_eq!(listed["may_draft"], true, "{listed}");
        // The demo agreed the usual protocol when the partnership was accepted.
        let seeded = listed["versions"].clone();
        let statuses = |versions: &Value| -> Vec<(i64, String)> {
            versions
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["number"].as_i64().unwrap(),
                        v["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(statuses(&seeded), [(1, "agreed".to_string())], "{listed}");
        let program = listed["programs"][0]["id"].as_str().unwrap().to_string();

        // The manufacturer has no data manager: refused by field, nothing drafted.
        let mut bad = serde_json::to_value(Protocol::usual()).unwrap();
        bad["tiers"][0]["recipients"][0] =
            json!({ "side": "manufacturer", "role": "data_manager" });
        let res = post(
            protocols_path.clone(),
            hs.clone(),
            json!({ "program_id": program, "protocol": bad }),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = res.json().await.unwrap();
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "protocol.tiers[0].recipients[0].role"),
            "{problem}"
        );
        assert_eq!(s.get_json(&protocols_path, &hs).await["versions"], seeded);

        let res = post(
            protocols_path.clone(),
            hs.clone(),
            json!({ "program_id": program, "protocol": Protocol::usual() }),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let draft: Value = res.json().await.unwrap();
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["program_name"], "Vantacel");
        let version = draft["id"].as_str().unwrap().to_string();
        for token in [&hs, &mfr] {
            let res = post(
                format!("/api/v1/exception-protocols/{version}/signatures"),
                token.clone(),
                json!({ "password": DEMO_PASSWORD }),
            )
            .await
            .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        let agreed = s
            .get_json(&format!("/api/v1/exception-protocols/{version}"), &hs)
            .await;
        assert_eq!(agreed["status"], "agreed", "{agreed}");
        assert_eq!(agreed["number"], 2, "{agreed}");
        assert!(agreed["manufacturer_signer"].is_string(), "{agreed}");
        assert_eq!(
            statuses(&s.get_json(&protocols_path, &hs).await["versions"]),
            [(1, "superseded".to_string()), (2, "agreed".to_string())],
            "the new version supersedes the demo's"
        );

        // The manufacturer's quality opens an exception on the stored case.
        let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
        let case = s.app.stored_case(&site).await.unwrap().unwrap();
        let quality = s.token("quality@helixa.example").await;
        let open_path = format!("/api/v1/cases/{case}/release-exceptions");
        let opening = |sha: &str| {
            json!({
                "kind": "out_of_specification",
                "certificate_reference": "QA-2026-0204 viability 61 %",
                "certificate_sha256": sha,
            })
        };
        let res = post(open_path.clone(), quality.clone(), opening("not a hash"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = res.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["field"], "certificate_sha256",
            "{problem}"
        );
        let res = post(open_path, quality.clone(), opening(&"c0".repeat(32)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let opened: Value = res.json().await.unwrap();
        assert_eq!(opened["lymphodepletion_started"], false);
        assert_eq!(opened["tiers"][0]["told"], true);
        assert_eq!(opened["tiers"][1]["told"], false);
        let id = opened["id"].as_str().unwrap().to_string();

        // A tier-1 recipient (the coordinator) acknowledges, once.
        let coordinator = s.token("coordinator@lakeshore.example").await;
        let mine = s.get_json("/api/v1/release-exceptions", &coordinator).await;
        assert_eq!(mine[0]["id"], id.as_str(), "{mine}");
        assert_eq!(mine[0]["may_acknowledge"], true);
        let ack = format!("/api/v1/release-exceptions/{id}/acknowledgement");
        let res = post(ack.clone(), coordinator.clone(), json!({}))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let acked: Value = res.json().await.unwrap();
        assert!(acked["acknowledged_by"].is_string(), "{acked}");
        assert_eq!(acked["next_escalation_at"], Value::Null);
        let again = post(ack, coordinator.clone(), json!({})).await.unwrap();
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Another manufacturer finds nothing.
        let other = s.token("quality@northbridge.example").await;
        let res = s
            .http
            .get(s.url(&format!("/api/v1/release-exceptions/{id}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            s.get_json("/api/v1/release-exceptions", &other).await,
            json!([])
        );
        let res = s
            .http
            .get(s.url(&format!("/api/v1/exception-protocols/{version}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // The SLA record: one exception, notified at once, acknowledged.
        let sla = s
            .get_json("/api/v1/release-exceptions/sla", &coordinator)
            .await;
        let row = sla["partnerships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["partnership_id"] == partnership.as_str())
            .expect("the partnership's record")
            .clone();
        assert_eq!(row["summary"]["exceptions"], 1, "{row}");
        assert_eq!(row["summary"]["acknowledge"]["done"], 1, "{row}");
        assert_eq!(row["summary"]["notify"]["breached"], 0, "{row}");

        let out = cellpath_on(
            &s.db.url,
            &["exceptions", "list", "--org", "Helixa Therapeutics"],
            None,
        );
        assert!(out.status.success());
        assert!(stdout(&out).contains(&id), "{}", stdout(&out));
        let out = cellpath_on(&s.db.url, &["exceptions", "show", &id], None);
        assert!(out.status.success());
        assert!(
            stdout(&out).starts_with("lymphodepletion started: no"),
            "{}",
            stdout(&out)
        );
        let out = cellpath_on(&s.db.url, &["exceptions", "protocols", &partnership], None);
        assert!(stdout(&out).contains("agreed"), "{}", stdout(&out));
        let out = cellpath_on(&s.db.url, &["exceptions", "show", "rex_nope"], None);
        assert!(!out.status.success());

        // What follows, by a person named by e-mail: acknowledged already (one line, a
        // non-zero exit), the patient told, a decision that is no option and one by a nurse
        // refused, then the physician's, with its care-transition plan.
        let run = |args: &[&str]| cellpath_on(&s.db.url, args, None);
        let again = run(&[
            "exceptions",
            "acknowledge",
            &id,
            "--by",
            "cell.lab@lakeshore.example",
        ]);
        assert!(!again.status.success());
        assert!(
            stderr(&again).contains("already acknowledged"),
            "{}",
            stderr(&again)
        );
        assert_eq!(
            stderr(&again).trim().lines().count(),
            1,
            "{}",
            stderr(&again)
        );
        let told = run(&[
            "exceptions",
            "tell",
            &id,
            "--method",
            "phone",
            "--by",
            "coordinator@lakeshore.example",
        ]);
        assert!(told.status.success(), "{}", stderr(&told));
        assert!(
            stdout(&told).starts_with("the patient told by phone by"),
            "{}",
            stdout(&told)
        );
        let bad = run(&[
            "exceptions",
            "decide",
            &id,
            "--option",
            "wait_and_see",
            "--by",
            "physician@lakeshore.example",
        ]);
        assert!(!bad.status.success());
        assert!(
            stderr(&bad).contains("--option") && stderr(&bad).contains("other_therapy"),
            "{}",
            stderr(&bad)
        );
        let nurse = run(&[
            "exceptions",
            "decide",
            &id,
            "--option",
            "other_therapy",
            "--plan",
            "back to Dr. Marsh",
            "--by",
            "nurse@lakeshore.example",
        ]);
        assert!(!nurse.status.success());
        let decided = run(&[
            "exceptions",
            "decide",
            &id,
            "--option",
            "other_therapy",
            "--plan",
            "referred back to Dr. Marsh for a clinical trial screening",
            "--by",
            "physician@lakeshore.example",
        ]);
        assert!(decided.status.success(), "{}", stderr(&decided));
        assert!(
            stdout(&decided).contains("another therapy") && stdout(&decided).contains("decided"),
            "{}",
            stdout(&decided)
        );
        let row = s.app.store().release_exception(&id).await.unwrap().unwrap();
        assert_eq!(
            row.decision,
            Some(cellpath_domain::release_exception::DecisionOption::OtherTherapy)
        );
        assert!(row.patient_told_at.is_some());

        // Expanded access's prerequisites belong to that decision only: refused in one line.
        let prerequisite = run(&[
            "exceptions",
            "prerequisite",
            &id,
            "--what",
            "irb_approval",
            "--reference",
            "IRB-2026-114",
            "--by",
            "physician@lakeshore.example",
        ]);
        assert!(!prerequisite.status.success());
        assert_eq!(stderr(&prerequisite).trim().lines().count(), 1);
        assert!(
            stderr(&prerequisite).contains("expanded access"),
            "{}",
            stderr(&prerequisite)
        );
        // The close, signed with the password on standard input: a wrong one is refused and
        // nothing is signed; each side once; the second signature closes it.
        let sign = |by: &str, password: &str| {
            cellpath_on(
                &s.db.url,
                &["exceptions", "sign", &id, "--by", by],
                Some(&format!("{password}\n")),
            )
        };
        let wrong = sign("physician@lakeshore.example", "not-the-password");
        assert!(!wrong.status.success());
        assert_eq!(
            stderr(&wrong).trim().lines().count(),
            1,
            "{}",
            stderr(&wrong)
        );
        let row = s.app.store().release_exception(&id).await.unwrap().unwrap();
        assert!(row.health_system_signed_at.is_none());
        // The health system signs by its physician: its coordinator may not.
        let coordinator = sign("coordinator@lakeshore.example", DEMO_PASSWORD);
        assert!(!coordinator.status.success());
        assert_eq!(stderr(&coordinator).trim().lines().count(), 1);
        assert!(
            stderr(&coordinator).contains("physician"),
            "{}",
            stderr(&coordinator)
        );
        let first = sign("physician@lakeshore.example", DEMO_PASSWORD);
        assert!(first.status.success(), "{}", stderr(&first));
        assert!(
            stdout(&first).contains("for the health system"),
            "{}",
            stdout(&first)
        );
        let twice = sign("physician@lakeshore.example", DEMO_PASSWORD);
        assert!(!twice.status.success(), "one signature per side");
        let closed = sign("quality@helixa.example", DEMO_PASSWORD);
        assert!(closed.status.success(), "{}", stderr(&closed));
        assert!(stdout(&closed).contains("closed"), "{}", stdout(&closed));
        let row = s.app.store().release_exception(&id).await.unwrap().unwrap();
        assert!(row.health_system_signed_at.is_some() && row.manufacturer_signed_at.is_some());
        assert_eq!(
            row.status,
            cellpath_domain::events::release_exceptions::ExceptionStatus::Closed
        );
    }
}

/// Protocols at the command line: the usual protocol printed as TOML, edited and drafted as a
/// new version by the health system's contracts lead, signed by both sides (the password on
/// standard input) and agreed; a file that is not a protocol, or a protocol naming a role the
/// manufacturer does not have, refused in one line with nothing drafted.
#[tokio::test]
async fn a_protocol_drafted_from_a_toml_file_and_signed_by_both_sides_at_the_command_line() {
    let db = crate::support::demo_db().await;
    let app = cellpath_app::App::new(
        db.store().await,
        std::sync::Arc::new(cellpath_app::SystemClock),
    );
    let partnership = helixa_lakeshore(&app).await;
    app.close().await;
    let run = |args: &[&str], stdin: Option<&str>| cellpath_on(&db.url, args, stdin);
    let dir = tempfile::tempdir().unwrap();

    let usual = run(&["exceptions", "usual-protocol"], None);
    assert!(usual.status.success(), "{}", stderr(&usual));
    let text = stdout(&usual);
    assert!(text.contains("decision_within_hours"), "{text}");
    let parsed: Protocol = toml::from_str(&text).expect("the usual protocol reads back");
    assert_eq!(parsed, Protocol::usual());

    // A decision within two days instead of the usual.
    let edited = text.replace(
        &format!(
            "decision_within_hours = {}",
            Protocol::usual().decision_within_hours
        ),
        "decision_within_hours = 48",
    );
    assert_ne!(edited, text);
    let file = dir.path().join("protocol.toml");
    std::fs::write(&file, &edited).unwrap();
    let draft = |file: &std::path::Path| {
        run(
            &[
                "exceptions",
                "draft",
                &partnership,
                "--program",
                "Vantacel",
                "--file",
                file.to_str().unwrap(),
                "--by",
                "contracts@lakeshore.example",
            ],
            None,
        )
    };

    // Refused in one line, nothing drafted: not TOML, an unknown field, a role the
    // manufacturer does not have.
    let not_toml = dir.path().join("not.toml");
    std::fs::write(&not_toml, "tiers = [\n  {").unwrap();
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, format!("{edited}\nescalate_to_ceo = true\n")).unwrap();
    let no_role = dir.path().join("no-role.toml");
    let mut bad = Protocol::usual();
    bad.tiers[0].recipients[0].side = cellpath_domain::OrgKind::Manufacturer;
    bad.tiers[0].recipients[0].role = cellpath_domain::Role::DataManager;
    std::fs::write(&no_role, toml::to_string(&bad).unwrap()).unwrap();
    for (file, says) in [
        (&not_toml, "line 2"),
        (&unknown, "escalate_to_ceo"),
        (&no_role, "data_manager"),
    ] {
        let out = draft(file);
        assert!(!out.status.success(), "{}", stdout(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.to_lowercase().contains(says), "{says}: {err}");
    }
    let listed = run(&["exceptions", "protocols", &partnership, "--json"], None);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(listed["versions"].as_array().unwrap().len(), 1, "{listed}");

    let drafted = draft(&file);
    assert!(drafted.status.success(), "{}", stderr(&drafted));
    let said = stdout(&drafted);
    assert!(
        said.contains("version 2 of Vantacel's release-exception protocol drafted"),
        "{said}"
    );
    let id = said
        .trim()
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_string();

    let sign = |by: &str, password: &str| {
        run(
            &["exceptions", "sign-protocol", &id, "--by", by],
            Some(&format!("{password}\n")),
        )
    };
    let wrong = sign("contracts@lakeshore.example", "not-the-password");
    assert!(!wrong.status.success());
    assert_eq!(stderr(&wrong).trim().lines().count(), 1);
    let first = sign("contracts@lakeshore.example", DEMO_PASSWORD);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("awaiting the other side"),
        "{}",
        stdout(&first)
    );
    let second = sign("quality@helixa.example", DEMO_PASSWORD);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stdout(&second).contains("agreed on"), "{}", stdout(&second));
    let listed = run(&["exceptions", "protocols", &partnership, "--json"], None);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let v2 = &listed["versions"][1];
    assert_eq!(v2["status"], "agreed", "{listed}");
    assert_eq!(v2["protocol"]["decision_within_hours"], 48, "{listed}");
}
