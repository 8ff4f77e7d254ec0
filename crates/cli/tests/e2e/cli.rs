//! The `cellpath` binary as an operator uses it: clear one-line errors and non-zero exits for
//! bad input, `--json` for machines, audit verify/export that names a broken link.

use crate::support::{
    cellpath, cellpath_on, demo_db, helixa_lakeshore, seed_demo, site_id, stderr, stdout, vantacel,
};
use cellpath_app::testing::TestDb;

#[tokio::test]
async fn an_operator_sets_up_an_organization_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let url = db.url.as_str();
    let out = cellpath_on(url, &["migrate"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("up to date"));

    let out = cellpath_on(
        url,
        &["org", "create", "--kind", "hospital", "--name", "X"],
        None,
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("\"hospital\" is not a valid organization kind")
            && err.contains("health_system"),
        "{err}"
    );

    let out = cellpath_on(
        url,
        &[
            "org",
            "create",
            "--kind",
            "health_system",
            "--name",
            "Mercy Ridge Health",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let org: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(org["kind"], "health_system");
    let out = cellpath_on(
        url,
        &[
            "org",
            "create",
            "--kind",
            "health_system",
            "--name",
            "Mercy Ridge Health",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    let out = cellpath_on(
        url,
        &[
            "user",
            "create",
            "--org",
            "Mercy Ridge Health",
            "--email",
            "ann@mercy.example",
            "--name",
            "Ann Lee",
            "--role",
            "patient_ops",
        ],
        Some("a-long-enough-password\n"),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("patient_ops does not exist in a health_system"),
        "{}",
        stderr(&out)
    );
    let out = cellpath_on(
        url,
        &[
            "user",
            "create",
            "--org",
            "Mercy Ridge Health",
            "--email",
            "ann@mercy.example",
            "--name",
            "Ann Lee",
            "--role",
            "pharmacy",
        ],
        Some("short\n"),
    );
    assert!(
        stderr(&out).contains("password: is 5 characters long; at least 12"),
        "{}",
        stderr(&out)
    );
    let out = cellpath_on(
        url,
        &[
            "user",
            "create",
            "--org",
            "Mercy Ridge Health",
            "--email",
            "ann@mercy.example",
            "--name",
            "Ann Lee",
            "--role",
            "pharmacy",
        ],
        Some("a-long-enough-password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cellpath_on(url, &["user", "list", "--org", "Mercy Ridge Health"], None);
    assert!(stdout(&out).contains("ann@mercy.example") && stdout(&out).contains("pharmacy"));
    let out = cellpath_on(url, &["org", "show", "No Such Org"], None);
    assert!(!out.status.success() && stderr(&out).contains("cellpath org list"));

    // Verify, export, then catch an edit in the export.
    let out = cellpath_on(url, &["audit", "verify"], None);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("intact"));
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let org_id = org["id"].as_str().unwrap();
    let out = cellpath_on(
        url,
        &["audit", "export", "--ledger", org_id, "--out", path],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let head = kept_head(&out);
    let out = cellpath(
        &["audit", "verify", "--file", path, "--expect-head", &head],
        None,
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, text.replacen("Ann Lee", "Ann Lie", 1)).unwrap();
    let out = cellpath(
        &["audit", "verify", "--file", path, "--expect-head", &head],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("BROKEN") && stdout(&out).contains("event 2"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn help_explains_the_commands() {
    let out = cellpath(&["--help"], None);
    assert!(out.status.success());
    for word in [
        "serve",
        "demo",
        "migrate",
        "org",
        "user",
        "audit",
        "bench",
        "--database-url",
    ] {
        assert!(stdout(&out).contains(word), "--help lacks {word}");
    }
    let out = cellpath_on("mysql://x", &["serve"], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("use sqlite://PATH or postgres://"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn serve_refuses_to_start_with_a_malformed_sign_in_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cellpath"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .env("CELLPATH_LOGIN_KEY", "abcd")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("CELLPATH_LOGIN_KEY must be 64 hex digits"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_process_map_round_trips_through_toml_and_json_and_bad_maps_are_refused() {
    let db = demo_db().await;
    let url = db.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let toml_path = dir.path().join("vantacel.toml");
    let json_path = dir.path().join("vantacel.json");
    let program = "Helixa Therapeutics/Vantacel";
    let out = cellpath_on(
        url,
        &[
            "map",
            "export",
            "--program",
            program,
            "--out",
            toml_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let toml_text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(
        toml_text.contains("[[steps]]") && toml_text.contains("kind = \"hold_point\""),
        "{toml_text}"
    );
    let out = cellpath_on(
        url,
        &[
            "map",
            "export",
            "--program",
            program,
            "--format",
            "json",
            "--out",
            json_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Import the TOML as version 2 and publish it: the same map as version 1.
    let out = cellpath_on(
        url,
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            toml_path.to_str().unwrap(),
            "--publish",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v2: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v2["number"].as_i64(), v2["status"].as_str()),
        (Some(2), Some("published"))
    );
    let v1_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(v2["map"], v1_json, "TOML round trip changed the map");

    // A thaw with no administer of its unit afterwards: refused with the reason, nothing stored.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        toml_text.replace("kind = \"administer\"", "kind = \"record\""),
    )
    .unwrap();
    let out = cellpath_on(
        url,
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no later administer step"),
        "{}",
        stderr(&out)
    );
    let unknown_role = dir.path().join("role.toml");
    std::fs::write(
        &unknown_role,
        toml_text.replacen("role = \"coordinator\"", "role = \"surgeon\"", 1),
    )
    .unwrap();
    let out = cellpath_on(
        url,
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            unknown_role.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown variant `surgeon`"),
        "{}",
        stderr(&out)
    );
    let out = cellpath_on(url, &["program", "show", program], None);
    assert!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains("published"))
            .count()
            == 2,
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn readiness_and_site_maps_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let pship = helixa_lakeshore(&app).await;
    let north = site_id(&app, "Lakeshore University Health", "LUH-NORTH").await;
    let vantacel = vantacel(&app).await;
    app.close().await;
    let url = db.url.as_str();
    let out = cellpath_on(
        url,
        &[
            "readiness",
            "show",
            "--partnership",
            &pship,
            "--site",
            &north,
            "--program",
            &vantacel,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 open blocking gap(s)") && stdout(&out).contains("tocilizumab"),
        "{}",
        stdout(&out)
    );
    let out = cellpath_on(url, &["site-map", "list", "--partnership", &pship], None);
    assert!(
        stdout(&out).contains("signed") && stdout(&out).contains("draft"),
        "{}",
        stdout(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("visit.json");
    std::fs::write(&file, serde_json::json!({ "site_id": north, "visited_on": "2026-02-30", "visitors": ["Ann Lee"], "facility_ids": [] }).to_string()).unwrap();
    let out = cellpath_on(
        url,
        &[
            "readiness",
            "record-visit",
            "--partnership",
            &pship,
            "--file",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("visited_on: \"2026-02-30\" is not a date"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn requirements_come_from_a_file_and_unknown_capabilities_are_refused() {
    let db = demo_db().await;
    let url = db.url.as_str();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/requirements.toml"
    );
    let out = cellpath_on(
        url,
        &[
            "program",
            "requirements",
            "Helixa Therapeutics/Vantacel",
            "--file",
            example,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("4 requirement(s)"),
        "{}",
        stdout(&out)
    );
    let (_dir, bad) = altered_copy(example, "validated_thaw_device", "helipad");
    let out = cellpath_on(
        url,
        &[
            "program",
            "requirements",
            "Helixa Therapeutics/Vantacel",
            "--file",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown capability \"helipad\""),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_programs_capacity_is_set_from_a_file_shown_and_a_bad_one_refused_by_field() {
    let db = demo_db().await;
    let url = db.url.as_str();
    let program = "Helixa Therapeutics/Vantacel";
    // The demo's capacity, as Helixa's quality lead stated it.
    let out = cellpath_on(url, &["program", "capacity", program], None);
    assert!(out.status.success(), "{}", stderr(&out));
    for words in [
        "Vantacel: 2 apheresis and 1 manufacturing slots a day",
        "takes 17 days",
    ] {
        assert!(
            stdout(&out).contains(words),
            "{words:?} in {}",
            stdout(&out)
        );
    }

    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/capacity.toml"
    );
    let out = cellpath_on(
        url,
        &["program", "capacity", program, "--file", example],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    for words in [
        "Vantacel: 2 apheresis and 1 manufacturing slots a day",
        "manufacturing starts 2–5 days after apheresis, takes 16 days",
        "closed: 24 December 2026, 25 December 2026",
        "a site has 48 hours to accept a chain offered from the waitlist",
    ] {
        assert!(shown.contains(words), "{words:?} in {shown}");
    }
    let out = cellpath_on(url, &["--json", "program", "capacity", program], None);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(json["capacity"]["lead"]["manufacturing_days"], 16);

    let (_dir, bad) = altered_copy(example, "to_start_min_days = 2", "to_start_min_days = 9");
    let out = cellpath_on(
        url,
        &[
            "program",
            "capacity",
            program,
            "--file",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("lead.to_start_max_days: must be at least to_start_min_days (9), not 5"),
        "{}",
        stderr(&out)
    );
    // A program's deadline for offers is at most a week.
    let (_dir, long) = altered_copy(example, "offer_hours = 48", "offer_hours = 200");
    let out = cellpath_on(
        url,
        &[
            "program",
            "capacity",
            program,
            "--file",
            long.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "offer_hours: must be from 1 to 168 hours (a week) for a site to accept an offer, not 200"
        ),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_gate_from_the_command_line_exits_zero_only_when_authorized() {
    let db = TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let pship = helixa_lakeshore(&app).await;
    app.close().await;
    let gate = |site: &str, json: bool| {
        let mut args = vec![
            "gate",
            "--partnership",
            &pship,
            "--site",
            site,
            "--program",
            "Vantacel",
        ];
        if json {
            args.push("--json");
        }
        cellpath_on(&db.url, &args, None)
    };
    let out = gate("LUH-MAIN", false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("authorized: LUH-MAIN"),
        "{}",
        stdout(&out)
    );
    let out = gate("LUH-NORTH", false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Quality agreement: not executed (negotiating)"),
        "{}",
        stdout(&out)
    );
    let out = gate("LUH-NORTH", true);
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["authorized"], false);
    // Two agreements, six deliverables and a blocking gap: the release-exception protocol is
    // done, agreed by both sides for the whole partnership.
    assert_eq!(view["missing"].as_array().unwrap().len(), 9);
    let out = gate("NOWHERE", false);
    // An error is 2, never the 1 of "not authorized".
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no site with id or code"),
        "{}",
        stderr(&out)
    );
    // A review records today's verdicts only: another day would put made-up suspensions on
    // the shared record for good.
    let before = cellpath_on(&db.url, &["audit", "verify"], None);
    let out = cellpath_on(
        &db.url,
        &[
            "gate",
            "--partnership",
            &pship,
            "--site",
            "LUH-MAIN",
            "--program",
            "Vantacel",
            "--review",
            "--on",
            "2031-01-01",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--review records today's verdicts"),
        "{}",
        stderr(&out)
    );
    let after = cellpath_on(&db.url, &["audit", "verify"], None);
    assert_eq!(stdout(&before), stdout(&after), "nothing was recorded");

    // The same record as an onboarding pipeline and as a live plan.
    let url = db.url.as_str();
    let out = cellpath_on(
        url,
        &["onboarding", "pipeline", "--org", "Helixa Therapeutics"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = |code: &str| {
        text.lines()
            .find(|l| l.contains(code))
            .unwrap_or_else(|| panic!("a row for {code}: {text}"))
            .to_string()
    };
    assert!(line("LUH-MAIN").contains("authorized since"), "{text}");
    assert!(
        line("LUH-NORTH").contains("onboarding")
            && line("LUH-NORTH").contains("Quality agreement: not executed"),
        "{text}"
    );
    // The demo's blocking gap at North was due in November 2026 (its visit's date is fixed):
    // named as overdue.
    assert!(
        line("LUH-NORTH").contains("OVERDUE: Gap overdue by "),
        "{text}"
    );
    let out = cellpath_on(
        url,
        &[
            "onboarding",
            "plan",
            "--partnership",
            &pship,
            "--program",
            "Vantacel",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["sites"].as_array().unwrap().len(), 3, "{plan}");
    assert!(plan["days_saved"][0].as_i64().unwrap() > 0, "{plan}");
    let out = cellpath_on(
        url,
        &[
            "onboarding",
            "plan",
            "--partnership",
            &pship,
            "--program",
            "Vantacel",
            "--on",
            "2026-13-01",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).starts_with("error: --on:"), "{}", stderr(&out));
}

#[tokio::test]
async fn notices_from_the_command_line_send_the_reminders_due_and_list_them() {
    let db = TestDb::sqlite().await;
    {
        let app = seed_demo(&db).await;
        // LUH-NORTH's supply agreement, executed, lapses in 30 days.
        let contracts = app
            .store()
            .user_by_email("contracts@helixa.example")
            .await
            .unwrap()
            .unwrap();
        let contracts = app
            .caller_for_user(&contracts.id, cellpath_app::access::Via::Session)
            .await
            .unwrap();
        let pship = helixa_lakeshore(&app).await;
        let north = site_id(&app, "Lakeshore University Health", "LUH-NORTH").await;
        let a = app
            .create_agreement(
                &contracts,
                &pship,
                cellpath_app::contracting::AgreementInput {
                    kind: "supply_agreement".into(),
                    scope: "site".into(),
                    site_id: Some(north),
                    coverage: None,
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let lapses = cellpath_domain::Date::of_micros(app.now()).plus_days(30);
        let a = app
            .set_agreement_dates(
                &contracts,
                &a.id,
                a.version,
                "2025-01-01",
                lapses.as_str(),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.move_agreement(&contracts, &a.id, a.version, "executed", None)
            .await
            .unwrap();
        app.close().await;
    }
    let lapses =
        cellpath_domain::Date::of_micros(cellpath_app::Clock::now(&cellpath_app::SystemClock))
            .plus_days(30);
    let notices = |extra: &[&str]| {
        let mut args = vec!["notices", "--org", "Helixa Therapeutics"];
        args.extend_from_slice(extra);
        cellpath_on(&db.url, &args, None)
    };
    let out = notices(&["--send"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("recorded 1 expiry reminder(s) due on"),
        "{}",
        stderr(&out)
    );
    let expected = format!(
        "Supply agreement for Lakeshore North Medical Center with Lakeshore University Health expires on {} — 30 days left",
        lapses.as_str()
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));
    // Sent once: a second run records nothing and lists the same.
    let out = notices(&["--send", "--json"]);
    assert!(
        stderr(&out).contains("recorded 0 expiry reminder(s)"),
        "{}",
        stderr(&out)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|n| n["text"].as_str() == Some(expected.as_str())),
        "{list}"
    );
    // A later day is refused: a reminder sent early would stand on the record for good.
    let out = notices(&["--send", "--on", "2030-05-01"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).starts_with("error: --on: 2030-05-01 is after today"),
        "{}",
        stderr(&out)
    );
    let out = cellpath_on(
        db.url.as_str(),
        &["notices", "--org", "Piedmont Valley Health"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "no notices for Piedmont Valley Health");
}

/// What the hash chains cannot see, seen: a current-state row edited behind the application's
/// back (`--state`), and a ledger tail rewritten and re-chained after a partner kept its head
/// (`--kept-head`).
#[tokio::test]
async fn audit_verify_sees_edited_rows_and_rewritten_tails() {
    let db = TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let lakeshore = site_id(&app, "Lakeshore University Health", "LUH-MAIN").await;
    let partnership = helixa_lakeshore(&app).await;
    app.close().await;
    let url = db.url.as_str();

    let out = cellpath_on(url, &["audit", "verify", "--state"], None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("every row of the current-state tables is what the events make"));

    db.execute_behind_the_apps_back(&format!(
        "UPDATE sites SET name = 'Quietly Renamed' WHERE id = '{lakeshore}'"
    ))
    .await;
    let out = cellpath_on(url, &["audit", "verify"], None);
    assert!(
        out.status.success(),
        "the chains cannot see it: {}",
        stdout(&out)
    );
    let out = cellpath_on(url, &["audit", "verify", "--state"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("sites")
            && said.contains(&lakeshore)
            && said.contains("name is \"Quietly Renamed\" in the table")
            && said.contains("from the events"),
        "{said}"
    );
    let out = cellpath_on(url, &["--json", "audit", "verify", "--state"], None);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json[0]["table"], "sites");
    assert_eq!(json[0]["difference"], "changed");

    // A partner exports the partnership's ledger and keeps the head printed.
    let out = cellpath_on(url, &["audit", "export", "--ledger", &partnership], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let export = stdout(&out);
    let kept = kept_head(&out);
    let keeping = [
        "audit",
        "verify",
        "--ledger",
        &partnership,
        "--kept-head",
        &kept,
    ];
    let out = cellpath_on(url, &keeping, None);
    assert!(out.status.success(), "{}", stdout(&out));

    // Someone with the database rewrites the last event and re-chains it: the chain alone
    // verifies, the kept head shows the rewrite.
    let last = export.lines().last().unwrap();
    let mut event = cellpath_ledger::parse_event(last.as_bytes()).unwrap();
    event.actor = "system:someone-else".into();
    let sealed = event.seal().unwrap();
    let body = String::from_utf8(sealed.bytes).unwrap();
    db.execute_behind_the_apps_back(&format!(
        "UPDATE events SET body = '{}', hash = '{}', actor = 'system:someone-else' WHERE ledger_id = '{partnership}' AND seq = {}",
        body.replace('\'', "''"),
        sealed.hash,
        event.seq
    ))
    .await;
    db.execute_behind_the_apps_back(&format!(
        "UPDATE ledger_heads SET head_hash = '{}' WHERE ledger_id = '{partnership}'",
        sealed.hash
    ))
    .await;
    let out = cellpath_on(url, &["audit", "verify", "--ledger", &partnership], None);
    assert!(
        out.status.success(),
        "re-chained, it verifies alone: {}",
        stdout(&out)
    );
    let out = cellpath_on(url, &keeping, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("BROKEN") && stdout(&out).contains("is not in this ledger"),
        "{}",
        stdout(&out)
    );
    // The same from a new export, without the database.
    let out = cellpath_on(url, &["audit", "export", "--ledger", &partnership], None);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), stdout(&out)).unwrap();
    let path = file.path().to_str().unwrap();
    let out = cellpath(&["audit", "verify", "--file", path], None);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = cellpath(
        &["audit", "verify", "--file", path, "--kept-head", &kept],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("is not in this export"),
        "{}",
        stdout(&out)
    );

    let out = cellpath_on(url, &["audit", "verify", "--kept-head", &kept], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--kept-head needs the ledger"),
        "{}",
        stderr(&out)
    );
}

/// The head `audit export` prints for the partner to keep.
fn kept_head(out: &std::process::Output) -> String {
    stderr(out)
        .split("head ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no head in {}", stderr(out)))
        .to_string()
}

#[test]
fn identifiers_check_reads_a_scan_and_says_what_is_wrong() {
    let out = cellpath(&["identifiers", "check", "=W12342500001294"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("W1234 25 000012 Y") && said.contains("carry the check character Y"),
        "{said}"
    );

    let out = cellpath(&["identifiers", "check", "W1234 25 000012 K"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is K, but its 13 characters give Y"),
        "{}",
        stderr(&out)
    );

    let out = cellpath(&["identifiers", "check", "O123425000012"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("starts with A–N, P–Z or 1–9"),
        "{}",
        stderr(&out)
    );

    let out = cellpath(&["identifiers", "check", "not a label"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    let out = cellpath(
        &["--json", "identifiers", "check", "&/CHW123425A1B2C3"],
        None,
    );
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["identifier"]["kind"], "isbt128_coi");
    assert_eq!(json["identifier"]["sequence"], "A1B2C3");
}

#[test]
fn simulate_cashflow_prints_terms_for_people_and_json_for_machines() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/cashflow.toml"
    );
    let text = std::fs::read_to_string(example).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.toml");
    std::fs::write(&small, text.replace("runs = 10000", "runs = 200")).unwrap();
    let small = small.to_str().unwrap();

    let out = cellpath(&["simulate", "cashflow", "--file", small], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("Peak exposure: P50 $") && said.contains("Aligned terms for cart-a: net"),
        "{said}"
    );

    let out = cellpath(
        &[
            "--json",
            "simulate",
            "cashflow",
            "--file",
            small,
            "--threads",
            "1",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let one: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(one["exposure_by_day"]["p95"].as_array().unwrap().len(), 730);
    assert!(
        one["peak_exposure"]["p95"].as_f64().unwrap()
            >= one["peak_exposure"]["p50"].as_f64().unwrap()
    );
    assert!(one["aligned_terms"]["net_days"].is_u64());
    assert!(one["programs"]["cart-a"]["margin_per_patient"].is_f64());
    let out = cellpath(
        &[
            "--json",
            "simulate",
            "cashflow",
            "--file",
            small,
            "--threads",
            "2",
        ],
        None,
    );
    let two: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        one["exposure_by_day"], two["exposure_by_day"],
        "the same on any thread count"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        text.replace(
            "share = 0.5                        # shares sum to 1",
            "share = 0.6",
        ),
    )
    .unwrap();
    let out = cellpath(
        &["simulate", "cashflow", "--file", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("payer.share: the payers' shares sum to 1.1"),
        "{err}"
    );
}

/// A copy of an example file with one text replaced, in a directory kept while `_dir` lives.
fn altered_copy(example: &str, from: &str, to: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example).unwrap();
    assert!(text.contains(from), "{from:?} in {example}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    (dir, path)
}

#[test]
fn serve_refuses_delivery_settings_that_cannot_work_in_one_line_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    for (args, says) in [
        (
            vec!["--ca-file", "/nonexistent/ca.pem"],
            "--ca-file /nonexistent/ca.pem: cannot be read",
        ),
        (
            vec!["--ca-file", not_pem.to_str().unwrap()],
            "holds no certificate",
        ),
        (
            vec!["--smtp-url", "smtp://cellpath:hunter2@mail.example.org"],
            "only over TLS",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cellpath"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
