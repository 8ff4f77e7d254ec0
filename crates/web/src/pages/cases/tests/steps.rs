//! The journey's steps done from the case page by the roles that do them: schedule, handoff,
//! release, the stored case's signature, thaw, bedside scan and infusion, the monitor step.

use super::*;

#[tokio::test]
async fn schedule_handoff_and_release_are_done_from_the_page_by_their_roles_only() {
    let demo = seeded().await;
    let site = demo.site("LUH-MAIN").await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let today = cellpath_domain::Date::of_micros(demo.app.now());
    let in_three_days = today.plus_days(3);
    let cases = [
        ("apheresis_scheduling", "coordinator@lakeshore.example"),
        ("courier_handoff", "apheresis@lakeshore.example"),
        ("manufacturing_receipt", "patient.ops@helixa.example"),
        ("release_decision", "quality@helixa.example"),
        ("shipment", "patient.ops@helixa.example"),
        ("receipt_and_storage", "cell.lab@lakeshore.example"),
    ];
    let mut exercised = Vec::new();
    // From the courier handoff on, the same case is taken on step by step.
    let mut walking: Option<String> = None;
    for (key, email) in cases {
        let current = format!(r#"data-step="{key}" data-progress="current""#);
        let page = match &walking {
            Some(p) if coordinator.get(p).await.body.contains(&current) => Some(p.clone()),
            _ => cases_at(&mut coordinator, &site.id, key)
                .await
                .into_iter()
                .next(),
        };
        let Some(page) = page else {
            continue;
        };
        if key != "apheresis_scheduling" {
            walking = Some(page.clone());
        }
        exercised.push(key);
        let form = format!("step-{key}");
        let mut doer = Browser::signed_in(&demo, email).await;
        let shown = doer.get(&page).await;
        assert!(has_form(&shown, &form), "{email} has the form of {key}");
        let din = "W1234 26 000299".to_string();
        if key == "courier_handoff" {
            // The collection's label goes on the case first: a bad one is refused beside it.
            let add = format!("{page}/actions");
            let refused = doer
                .submit(
                    &page,
                    "add-identifier",
                    &add,
                    &[
                        ("form", "add-identifier"),
                        ("command", "add_identifier"),
                        ("kind", "isbt128_din"),
                        ("text", "not a DIN"),
                    ],
                    None,
                )
                .await;
            assert_refused(&refused);
            assert!(refused.error_beside("text").is_some(), "{}", refused.body);
            let added = doer
                .submit(
                    &page,
                    "add-identifier",
                    &add,
                    &[
                        ("form", "add-identifier"),
                        ("command", "add_identifier"),
                        ("kind", "isbt128_din"),
                        ("text", din.as_str()),
                    ],
                    None,
                )
                .await;
            assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        }
        // A role that may not do it: no form, and a forged post is refused.
        let seen = nurse.get(&page).await;
        assert!(!has_form(&seen, &form), "the nurse sees no form of {key}");
        let forged = nurse
            .post(
                &format!("{page}/actions"),
                &[
                    ("csrf", &seen.field("csrf")),
                    ("form", &form),
                    ("command", "record"),
                    ("step", key),
                ],
            )
            .await;
        assert_ne!(
            forged.status,
            StatusCode::SEE_OTHER,
            "{key}: {}",
            forged.body
        );
        assert!(!is_done(&nurse.get(&page).await, key));
        let action = if key == "release_decision" {
            format!("{page}/release")
        } else {
            format!("{page}/actions")
        };
        // Who holds the material before and after each handoff.
        let holders = match key {
            "courier_handoff" => ("Apheresis unit", "Polar Courier"),
            "manufacturing_receipt" => ("Polar Courier", "Helixa manufacturing"),
            _ => ("Helixa manufacturing", "Polar Courier"),
        };
        let (bad, bad_field, good): (Fields, &str, Fields) = match key {
            "apheresis_scheduling" => (
                vec![("command", "schedule"), ("on", "")],
                "on",
                vec![("on", in_three_days.as_str()), ("slot", "morning")],
            ),
            "courier_handoff" | "manufacturing_receipt" | "shipment" => (
                vec![
                    ("command", "handoff"),
                    ("from", ""),
                    ("to", "Polar Courier"),
                ],
                "from",
                vec![
                    ("from", holders.0),
                    ("to", holders.1),
                    ("temperature", "in_range"),
                    ("scan_kind", "isbt128_din"),
                    ("scan", din.as_str()),
                ],
            ),
            "release_decision" => (
                vec![
                    ("command", "release"),
                    ("decision", "released"),
                    ("certificate_reference", "COA-77"),
                ],
                "certificate_file",
                vec![
                    ("decision", "released"),
                    ("certificate_reference", "COA-77"),
                ],
            ),
            _ => (
                vec![
                    ("command", "handoff"),
                    ("from", "Polar Courier"),
                    ("to", "Cell lab"),
                    ("temperature", "excursion"),
                    ("reading", "very cold"),
                ],
                "reading",
                vec![
                    ("from", "Polar Courier"),
                    ("to", "Cell lab"),
                    ("temperature", "excursion"),
                    ("reading", "-58.5"),
                    ("scan_kind", "isbt128_din"),
                    ("scan", din.as_str()),
                    (
                        "field:shipper temperature log",
                        "logger 4411: -58.5 °C for 12 minutes",
                    ),
                    ("field:freezer position", "LN2-3 rack B"),
                ],
            ),
        };
        let command = bad[0].1;
        let mut fields = vec![("form", form.as_str()), ("step", key)];
        fields.extend(bad.iter().copied());
        let refused = doer.submit(&page, &form, &action, &fields, None).await;
        assert_refused(&refused);
        assert!(
            refused.error_beside(bad_field).is_some(),
            "{key}: beside {bad_field}: {}",
            refused.body
        );
        let mut fields = vec![("form", form.as_str()), ("step", key), ("command", command)];
        fields.extend(good.iter().copied());
        // The release comes with its certificate of analysis, uploaded.
        let certificate: &[(&str, &str, &[u8])] = if key == "release_decision" {
            &[("certificate_file", "COA-77.pdf", CERTIFICATE)]
        } else {
            &[]
        };
        let done = doer
            .submit_files(&page, &form, &action, &fields, certificate, None)
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{key}: {}", done.body);
        let after = doer.get(&page).await;
        assert!(is_done(&after, key), "{key} done");
        // The same form again on the page read before: the version is stale (409).
        let stale = doer
            .post(
                &action.replace("/release", "/actions"),
                &[
                    ("csrf", &shown.field("csrf")),
                    ("form", &form),
                    ("command", "record"),
                    ("step", key),
                    (
                        "version",
                        &shown.field_after("version", &format!(r#"id="{form}""#)),
                    ),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{key}: {}", stale.body);
    }
    assert_eq!(exercised, cases.map(|(key, _)| key));
}

#[tokio::test]
async fn the_stored_case_is_signed_thawed_scanned_and_infused_form_by_form() {
    let demo = seeded().await;
    let (case, page) = stored_case_page(&demo).await;
    let action = format!("{page}/actions");
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let people = [
        ("bridging_therapy", "physician@lakeshore.example"),
        ("lymphodepletion", "physician@lakeshore.example"),
        ("physician_order", "physician@lakeshore.example"),
        ("pharmacist_verification", "pharmacy@lakeshore.example"),
        ("icu_bed_hold", "coordinator@lakeshore.example"),
        ("thaw_cd4", "cell.lab@lakeshore.example"),
        ("thaw_cd8", "cell.lab@lakeshore.example"),
    ];
    let mut walked = Vec::new();
    for _ in 0..people.len() {
        let shown = coordinator.get(&page).await;
        let Some((key, email)) = people.iter().find(|(key, _)| {
            shown
                .body
                .contains(&format!(r#"data-step="{key}" data-progress="current""#))
        }) else {
            break;
        };
        walked.push(*key);
        let mut doer = Browser::signed_in(&demo, email).await;
        let form = format!("step-{key}");
        let mut fields = vec![("form", form.as_str()), ("step", *key)];
        let items;
        match *key {
            "bridging_therapy" | "lymphodepletion" => {
                let command = if *key == "lymphodepletion" {
                    "pass_hold"
                } else {
                    "record"
                };
                fields.extend([("command", command), ("ehr_reference", "EHR-4471")]);
            }
            "physician_order" | "pharmacist_verification" => {
                let meaning = if *key == "physician_order" {
                    "approved"
                } else {
                    "verified"
                };
                fields.extend([("command", "sign"), ("meaning", meaning)]);
                // A wrong password: beside the password, nothing signed.
                let mut wrong = fields.clone();
                wrong.push(("password", "not my password"));
                let refused = doer.submit(&page, &form, &action, &wrong, None).await;
                assert_refused(&refused);
                assert!(
                    refused
                        .error_beside("password")
                        .is_some_and(|m| m.contains("does not match")),
                    "{}",
                    refused.body
                );
                fields.push(("password", cellpath_app::demo::DEMO_PASSWORD));
            }
            "icu_bed_hold" => {
                items = values_of(&doer.get(&page).await.body, "ticked");
                assert!(
                    items.len() >= 2,
                    "the checklist's items are offered: {items:?}"
                );
                fields.push(("command", "checklist"));
                // One item ticked of several: the others are asked for beside the list.
                let mut partly = fields.clone();
                partly.push(("ticked", &items[0]));
                let refused = doer.submit(&page, &form, &action, &partly, None).await;
                assert_refused(&refused);
                assert!(
                    refused
                        .error_beside("ticked")
                        .is_some_and(|m| m.contains(&items[1]))
                );
                fields.extend(items.iter().map(|i| ("ticked", i.as_str())));
            }
            _ => fields.push(("command", "thaw")),
        }
        let done = doer.submit(&page, &form, &action, &fields, None).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{key}: {}", done.body);
    }
    assert!(walked.contains(&"thaw_cd4"), "walked {walked:?}");
    // The bedside check: the nurse's page has the scan field, focused for the scanner.
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let shown = nurse.get(&page).await;
    assert!(
        has_form(&shown, "step-dual_verification_cd4"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(r#"name="scan" type="text""#));
    assert!(shown.body.contains("autofocus"));
    assert!(!has_form(
        &coordinator.get(&page).await,
        "step-dual_verification_cd4"
    ));

    let wrong = scan(&mut nurse, &page, "LOT-HX-24018").await;
    assert_refused(&wrong);
    let beside = wrong
        .error_beside("scan")
        .expect("the mismatch beside the scan");
    assert!(beside.contains("does not belong"), "{beside}");
    assert!(beside.contains("LOT-HX-24017"), "{beside}");
    // The coordinator forging the nurse's scan is refused.
    let csrf = coordinator.get(&page).await.field("csrf");
    let forged = coordinator
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("form", "step-dual_verification_cd4"),
                ("command", "verify"),
                ("step", "dual_verification_cd4"),
                ("scan_kind", "lot_number"),
                ("scan", "LOT-HX-24017"),
            ],
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER, "{}", forged.body);
    let done = scan(&mut nurse, &page, "LOT-HX-24017").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // The same nurse again: a second person must verify.
    let again = scan(&mut nurse, &page, "LOT-HX-24017").await;
    assert_ne!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    // The rest of the way to the infusion (a second nurse, the infusion) through the app.
    demo.app.through_first_infusion(&case).await.unwrap();
    let after = nurse.get(&page).await;
    assert!(is_done(&after, "dual_verification_cd4"));
}

/// The monitor step's form, by the physician once both units are in: a day that is not one
/// refused beside "Monitoring from", then the monitoring started from today and the step done;
/// the nurse has no such form.
#[tokio::test]
async fn the_physician_starts_monitoring_from_the_page() {
    let demo = seeded().await;
    let (case, page) = stored_case_page(&demo).await;
    demo.app.forward_until(&case, "monitoring").await.unwrap();
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert!(!has_form(&nurse.get(&page).await, "step-monitoring"));
    let mut physician = Browser::signed_in(&demo, "physician@lakeshore.example").await;
    let shown = physician.get(&page).await;
    assert!(has_form(&shown, "step-monitoring"), "{}", shown.body);
    assert!(!is_done(&shown, "monitoring"));
    let today = today_of(&demo);
    let base = [
        ("form", "step-monitoring"),
        ("step", "monitoring"),
        ("command", "monitor"),
        ("ehr_reference", "EHR-5120"),
    ];
    let mut bad = base.to_vec();
    bad.push(("from", "next tuesday"));
    let mut good = base.to_vec();
    good.push(("from", today.as_str()));
    let beside = refused_then_recorded(
        &mut physician,
        &page,
        "step-monitoring",
        &bad,
        "from",
        &good,
    )
    .await;
    assert!(!beside.is_empty());
    let after = physician.get(&page).await;
    assert!(is_done(&after, "monitoring"), "{}", after.body);
    assert!(!has_form(&after, "step-monitoring"));
}

/// The thaw form (Vantacel's CD4, by the cell lab; the demo seeds no case of the map whose
/// thaw is the pharmacy's): posted from the page, the unit is thawed and its bedside check opens; the
/// same thaw posted again is refused with why (a unit is thawed once), nothing written; the
/// pharmacist has no such form.
#[tokio::test]
async fn the_cell_lab_thaws_a_unit_from_the_page_once() {
    let demo = seeded().await;
    let (case, page) = stored_case_page(&demo).await;
    demo.app.forward_until(&case, "thaw_cd4").await.unwrap();
    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    assert!(!has_form(&pharmacy.get(&page).await, "step-thaw_cd4"));
    let mut cell_lab = Browser::signed_in(&demo, "cell.lab@lakeshore.example").await;
    let shown = cell_lab.get(&page).await;
    assert!(has_form(&shown, "step-thaw_cd4"), "{}", shown.body);
    assert!(
        !shown
            .body
            .contains("Open now: Bedside dual verification CD4")
    );
    let fields = [
        ("form", "step-thaw_cd4"),
        ("step", "thaw_cd4"),
        ("command", "thaw"),
    ];
    let action = format!("{page}/actions");
    let done = cell_lab
        .submit(&page, "step-thaw_cd4", &action, &fields, None)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = cell_lab.get(&page).await;
    assert!(is_done(&after, "thaw_cd4"), "{}", after.body);
    // The bedside check of the thawed bag is open now.
    after.assert_has("Open now: Bedside dual verification CD4");
    let version = demo
        .app
        .case(&demo.caller("cell.lab@lakeshore.example").await, &case)
        .await
        .unwrap()
        .version;
    let csrf = after.field("csrf");
    let version_text = version.to_string();
    let mut again = fields.to_vec();
    again.extend([("csrf", csrf.as_str()), ("version", version_text.as_str())]);
    let refused = cell_lab.post(&action, &again).await;
    assert!(
        refused.status.is_client_error(),
        "{}: {}",
        refused.status,
        refused.body
    );
    let unchanged = demo
        .app
        .case(&demo.caller("cell.lab@lakeshore.example").await, &case)
        .await
        .unwrap()
        .version;
    assert_eq!(unchanged, version, "nothing written");
}
