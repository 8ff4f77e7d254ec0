//! The `cellpath` binary as an operator uses it: clear one-line errors and non-zero exits for
//! bad input, `--json` for machines, audit verify/export that names a broken link.

use cellpath_store::testing::TestDb;
use std::process::{Command, Output};

fn cellpath(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cellpath"));
    cmd.args(args).env_remove("CELLPATH_DATABASE_URL");
    match stdin {
        Some(text) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
        None => cmd.output().unwrap(),
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[tokio::test]
async fn an_operator_sets_up_an_organization_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let url = db.url.as_str();
    let out = cellpath(&["migrate", "--database-url", url], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("up to date"));

    let out = cellpath(
        &[
            "org",
            "create",
            "--kind",
            "hospital",
            "--name",
            "X",
            "--database-url",
            url,
        ],
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

    let out = cellpath(
        &[
            "org",
            "create",
            "--kind",
            "health_system",
            "--name",
            "Mercy Ridge Health",
            "--database-url",
            url,
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let org: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(org["kind"], "health_system");
    let out = cellpath(
        &[
            "org",
            "create",
            "--kind",
            "health_system",
            "--name",
            "Mercy Ridge Health",
            "--database-url",
            url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    let out = cellpath(
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
            "--database-url",
            url,
        ],
        Some("a-long-enough-password\n"),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("patient_ops does not exist in a health_system"),
        "{}",
        stderr(&out)
    );
    let out = cellpath(
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
            "--database-url",
            url,
        ],
        Some("short\n"),
    );
    assert!(
        stderr(&out).contains("password: is 5 characters long; at least 12"),
        "{}",
        stderr(&out)
    );
    let out = cellpath(
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
            "--database-url",
            url,
        ],
        Some("a-long-enough-password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cellpath(
        &[
            "user",
            "list",
            "--org",
            "Mercy Ridge Health",
            "--database-url",
            url,
        ],
        None,
    );
    assert!(stdout(&out).contains("ann@mercy.example") && stdout(&out).contains("pharmacy"));
    let out = cellpath(&["org", "show", "No Such Org", "--database-url", url], None);
    assert!(!out.status.success() && stderr(&out).contains("cellpath org list"));

    // Verify, export, then catch an edit in the export.
    let out = cellpath(&["audit", "verify", "--database-url", url], None);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("intact"));
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let org_id = org["id"].as_str().unwrap();
    let out = cellpath(
        &[
            "audit",
            "export",
            "--ledger",
            org_id,
            "--out",
            path,
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let head = stderr(&out)
        .split("head ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
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
    let out = cellpath(&["serve", "--database-url", "mysql://x"], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("use sqlite://PATH or postgres://"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_process_map_round_trips_through_toml_and_json_and_bad_maps_are_refused() {
    let db = TestDb::sqlite().await;
    {
        let app = cellpath_app::App::new(
            db.store().await,
            std::sync::Arc::new(cellpath_app::SystemClock),
        );
        cellpath_app::demo::seed(&app).await.unwrap();
        app.store.close().await;
    }
    let url = db.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let toml_path = dir.path().join("vantacel.toml");
    let json_path = dir.path().join("vantacel.json");
    let program = "Helixa Therapeutics/Vantacel";
    let out = cellpath(
        &[
            "map",
            "export",
            "--program",
            program,
            "--out",
            toml_path.to_str().unwrap(),
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let toml_text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(
        toml_text.contains("[[steps]]") && toml_text.contains("kind = \"hold_point\""),
        "{toml_text}"
    );
    let out = cellpath(
        &[
            "map",
            "export",
            "--program",
            program,
            "--format",
            "json",
            "--out",
            json_path.to_str().unwrap(),
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Import the TOML as version 2 and publish it: the same map as version 1.
    let out = cellpath(
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            toml_path.to_str().unwrap(),
            "--publish",
            "--database-url",
            url,
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
    let out = cellpath(
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            bad.to_str().unwrap(),
            "--database-url",
            url,
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
    let out = cellpath(
        &[
            "map",
            "import",
            "--program",
            program,
            "--file",
            unknown_role.to_str().unwrap(),
            "--database-url",
            url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown variant `surgeon`"),
        "{}",
        stderr(&out)
    );
    let out = cellpath(&["program", "show", program, "--database-url", url], None);
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
    let (pship, north, vantacel) = {
        let app = cellpath_app::App::new(
            db.store().await,
            std::sync::Arc::new(cellpath_app::SystemClock),
        );
        cellpath_app::demo::seed(&app).await.unwrap();
        let lakeshore = app
            .store
            .organization_by_name("Lakeshore University Health")
            .await
            .unwrap()
            .unwrap()
            .id;
        let helixa = app
            .store
            .organization_by_name("Helixa Therapeutics")
            .await
            .unwrap()
            .unwrap()
            .id;
        let pship = app
            .store
            .partnerships_of(&helixa, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == lakeshore)
            .unwrap()
            .id;
        let north = app
            .store
            .sites_of(&lakeshore, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap()
            .id;
        let vantacel = app
            .store
            .programs_of(&helixa, cellpath_store::Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        app.store.close().await;
        (pship, north, vantacel)
    };
    let url = db.url.as_str();
    let out = cellpath(
        &[
            "readiness",
            "show",
            "--partnership",
            &pship,
            "--site",
            &north,
            "--program",
            &vantacel,
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 open blocking gap(s)") && stdout(&out).contains("tocilizumab"),
        "{}",
        stdout(&out)
    );
    let out = cellpath(
        &[
            "site-map",
            "list",
            "--partnership",
            &pship,
            "--database-url",
            url,
        ],
        None,
    );
    assert!(
        stdout(&out).contains("signed") && stdout(&out).contains("draft"),
        "{}",
        stdout(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("visit.json");
    std::fs::write(&file, serde_json::json!({ "site_id": north, "visited_on": "2026-02-30", "visitors": ["Ann Lee"], "facility_ids": [] }).to_string()).unwrap();
    let out = cellpath(
        &[
            "readiness",
            "record-visit",
            "--partnership",
            &pship,
            "--file",
            file.to_str().unwrap(),
            "--database-url",
            url,
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
    let db = TestDb::sqlite().await;
    {
        let app = cellpath_app::App::new(
            db.store().await,
            std::sync::Arc::new(cellpath_app::SystemClock),
        );
        cellpath_app::demo::seed(&app).await.unwrap();
        app.store.close().await;
    }
    let url = db.url.as_str();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/requirements.toml"
    );
    let out = cellpath(
        &[
            "program",
            "requirements",
            "Helixa Therapeutics/Vantacel",
            "--file",
            example,
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("4 requirement(s)"),
        "{}",
        stdout(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(example)
            .unwrap()
            .replace("validated_thaw_device", "helipad"),
    )
    .unwrap();
    let out = cellpath(
        &[
            "program",
            "requirements",
            "Helixa Therapeutics/Vantacel",
            "--file",
            bad.to_str().unwrap(),
            "--database-url",
            url,
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
async fn the_gate_from_the_command_line_exits_zero_only_when_authorized() {
    let db = TestDb::sqlite().await;
    let pship = {
        let app = cellpath_app::App::new(
            db.store().await,
            std::sync::Arc::new(cellpath_app::SystemClock),
        );
        cellpath_app::demo::seed(&app).await.unwrap();
        let lakeshore = app
            .store
            .organization_by_name("Lakeshore University Health")
            .await
            .unwrap()
            .unwrap()
            .id;
        let pship = app
            .store
            .partnerships_of(&lakeshore, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name.starts_with("Helixa"))
            .unwrap()
            .id;
        app.store.close().await;
        pship
    };
    let gate = |site: &str, json: bool| {
        let mut args = vec![
            "gate",
            "--partnership",
            &pship,
            "--site",
            site,
            "--program",
            "Vantacel",
            "--database-url",
            db.url.as_str(),
        ];
        if json {
            args.push("--json");
        }
        cellpath(&args, None)
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
    assert_eq!(view["missing"].as_array().unwrap().len(), 10);
    let out = gate("NOWHERE", false);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no site with id or code"),
        "{}",
        stderr(&out)
    );

    // The same record as an onboarding pipeline and as a live plan.
    let url = db.url.as_str();
    let out = cellpath(
        &[
            "onboarding",
            "pipeline",
            "--org",
            "Helixa Therapeutics",
            "--database-url",
            url,
        ],
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
    let out = cellpath(
        &[
            "onboarding",
            "plan",
            "--partnership",
            &pship,
            "--program",
            "Vantacel",
            "--json",
            "--database-url",
            url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["sites"].as_array().unwrap().len(), 3, "{plan}");
    assert!(plan["days_saved"][0].as_i64().unwrap() > 0, "{plan}");
    let out = cellpath(
        &[
            "onboarding",
            "plan",
            "--partnership",
            &pship,
            "--program",
            "Vantacel",
            "--on",
            "2026-13-01",
            "--database-url",
            url,
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
        let app = cellpath_app::App::new(
            db.store().await,
            std::sync::Arc::new(cellpath_app::SystemClock),
        );
        cellpath_app::demo::seed(&app).await.unwrap();
        // LUH-NORTH's supply agreement, executed, lapses in 30 days.
        let contracts = app
            .store
            .user_by_email("contracts@helixa.example")
            .await
            .unwrap()
            .unwrap();
        let contracts = app
            .caller_for_user(&contracts.id, cellpath_app::access::Via::Session)
            .await
            .unwrap();
        let helixa = app
            .store
            .organization_by_name("Helixa Therapeutics")
            .await
            .unwrap()
            .unwrap()
            .id;
        let pship = app
            .store
            .partnerships_of(&helixa, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name.contains("Lakeshore"))
            .unwrap();
        let north = app
            .store
            .sites_of(&pship.health_system_id, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap();
        let a = app
            .create_agreement(
                &contracts,
                &pship.id,
                cellpath_app::contracting::AgreementInput {
                    kind: "supply_agreement".into(),
                    scope: "site".into(),
                    site_id: Some(north.id),
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
        app.store.close().await;
    }
    let lapses =
        cellpath_domain::Date::of_micros(cellpath_app::Clock::now(&cellpath_app::SystemClock))
            .plus_days(30);
    let notices = |extra: &[&str]| {
        let mut args = vec![
            "notices",
            "--org",
            "Helixa Therapeutics",
            "--database-url",
            db.url.as_str(),
        ];
        args.extend_from_slice(extra);
        cellpath(&args, None)
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
    let out = cellpath(
        &[
            "notices",
            "--org",
            "Piedmont Valley Health",
            "--database-url",
            db.url.as_str(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "no notices for Piedmont Valley Health");
}
