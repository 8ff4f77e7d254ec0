//! The case pages as people use them: opening a case, each step's form by the role that does
//! it (a valid post recorded, a bad one answered beside its field, a role that may not do it
//! sees no form and a forged post is refused), the actions beside the steps and hold/cancel.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

const NAME: &str = "Ines Abernathy-Kowalczyk";
const MRN: &str = "LUH-40021877";

/// The option of the open-case form for Vantacel.
fn vantacel_option(page: &str) -> String {
    let at = page.find("Vantacel (").expect("Vantacel is offered");
    let start = page[..at].rfind("value=\"").expect("its value") + 7;
    let end = start + page[start..].find('"').expect("the value ends");
    page[start..end].to_string()
}

#[tokio::test]
async fn a_coordinator_opens_a_case_records_a_step_and_each_reader_sees_their_view() {
    let demo = seeded().await;
    let site = demo.site("LUH-MAIN").await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let list = crate::paths::site_cases(&site.id);
    // The site's page leads to its cases.
    coordinator
        .get(&crate::paths::site(&site.id))
        .await
        .assert_has(&format!(r#"href="{list}""#));
    let page = coordinator.get(&list).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let program = vantacel_option(&page.body);
    let opened = coordinator
        .submit(
            &list,
            "case-form",
            &list,
            &[
                ("name", NAME),
                ("date_of_birth", "1966-07-21"),
                ("mrn", MRN),
                ("program", &program),
            ],
            None,
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let case_page = opened.target();
    let case = coordinator.get(&case_page).await;
    for text in [
        NAME,
        MRN,
        "VAN-LUH-MAIN-0013",
        "Referral received",
        "What you can do next",
    ] {
        case.assert_has(text);
    }
    assert!(
        case.body
            .contains(r#"data-step="referral" data-progress="current""#)
    );

    let action = format!("{case_page}/actions");
    let recorded = coordinator
        .post(
            &action,
            &[
                ("csrf", &case.field("csrf")),
                ("command", "record"),
                ("step", "referral"),
                ("version", &case.field("version")),
                ("field:referring physician", "Dr. Sato"),
                ("field:diagnosis", "DLBCL"),
                ("field:prior lines of therapy", "2"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let after = coordinator.get(&case_page).await;
    assert!(
        after
            .body
            .contains(r#"data-step="referral" data-progress="done""#)
    );
    after.assert_has("recorded Referral received");
    // The same form again: the step is done; the page says so, nothing is written.
    let again = coordinator
        .post(
            &action,
            &[
                ("csrf", &case.field("csrf")),
                ("command", "record"),
                ("step", "referral"),
                ("field:referring physician", "Dr. Sato"),
                ("field:diagnosis", "DLBCL"),
                ("field:prior lines of therapy", "2"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    again.assert_has("already done");

    let mut finance = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let verified = finance
        .submit(
            &case_page,
            "benefits-form",
            &action,
            &[
                ("command", "verify_benefits"),
                ("payer", "Great Lakes Health Plan"),
                ("plan", "PPO Gold"),
                ("pa_status", "pending"),
                (
                    "requested_on",
                    cellpath_domain::Date::of_micros(demo.app.now()).as_str(),
                ),
                ("reference", "PA-2026-551"),
            ],
            None,
        )
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.body);
    coordinator.get(&case_page).await.assert_has("PA-2026-551");

    for (email, name, mrn) in [
        ("patient.ops@helixa.example", true, false),
        ("quality@helixa.example", false, false),
        ("contracts@lakeshore.example", false, false),
        ("nurse@lakeshore.example", true, true),
    ] {
        let mut reader = Browser::signed_in(&demo, email).await;
        let page = reader.get(&case_page).await;
        assert_eq!(page.status, StatusCode::OK, "{email}");
        assert_eq!(page.body.contains(NAME), name, "{email}");
        assert_eq!(page.body.contains(MRN), mrn, "{email}");
        page.assert_has("VAN-LUH-MAIN-0013");
        let listed = reader.get(&list).await;
        assert!(!listed.body.contains(NAME), "{email}");
    }
    let mut stranger = Browser::signed_in(&demo, "coordinator@cascade.example").await;
    assert_eq!(stranger.get(&case_page).await.status, StatusCode::NOT_FOUND);
}

/// The site's cases whose step `key` may be done now, as the coordinator's list and pages show.
async fn cases_at(browser: &mut Browser<'_>, site_id: &str, key: &str) -> Vec<String> {
    let list = browser.get(&crate::paths::site_cases(site_id)).await;
    let mut found = Vec::new();
    for part in list.body.split(r#"href="/cases/"#).skip(1) {
        let id = part.split('"').next().expect("a link").to_string();
        let page = crate::paths::case(&id);
        let shown = browser.get(&page).await;
        if shown
            .body
            .contains(&format!(r#"data-step="{key}" data-progress="current""#))
        {
            found.push(page);
        }
    }
    found
}

/// The demo's case stored in the cell lab: its id and its page.
pub(super) async fn stored_case_page(demo: &crate::testing::Demo) -> (String, String) {
    let site = demo.site("LUH-MAIN").await;
    let case = demo
        .app
        .stored_case(&site.id)
        .await
        .unwrap()
        .expect("the demo's stored case");
    let page = crate::paths::case(&case);
    (case, page)
}

/// The bag's lot number scanned at the CD4 bedside check.
async fn scan(nurse: &mut Browser<'_>, page: &str, text: &str) -> crate::testing::Answer {
    let fields = [
        ("form", "step-dual_verification_cd4"),
        ("command", "verify"),
        ("step", "dual_verification_cd4"),
        ("scan_kind", "lot_number"),
        ("scan", text),
    ];
    let action = format!("{page}/actions");
    nurse
        .submit(page, "step-dual_verification_cd4", &action, &fields, None)
        .await
}

/// A form of the page posted twice: `bad` refused with a message beside `field` (422), then
/// `good` recorded (303); the message.
async fn refused_then_recorded(
    browser: &mut Browser<'_>,
    page: &str,
    form: &str,
    bad: &[(&str, &str)],
    field: &str,
    good: &[(&str, &str)],
) -> String {
    let action = format!("{page}/actions");
    let refused = browser.submit(page, form, &action, bad, None).await;
    assert_refused(&refused);
    let beside = refused
        .error_beside(field)
        .unwrap_or_else(|| panic!("no message beside {field}: {}", refused.body));
    let done = browser.submit(page, form, &action, good, None).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{form}: {}", done.body);
    beside
}

/// A form refused for a bad value (422), the page shown again.
#[track_caller]
fn assert_refused(answer: &crate::testing::Answer) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
}

/// A certificate of analysis as the quality lead uploads it.
const CERTIFICATE: &[u8] = b"%PDF-1.7\n% Certificate of analysis COA-77, released\n%%EOF\n";

/// A form's fields as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// The values of the checkboxes named `name` on a page.
fn values_of(body: &str, name: &str) -> Vec<String> {
    let marker = format!(r#"type="checkbox" name="{name}" value=""#);
    body.split(&marker)
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .expect("a value")
                .replace("&#39;", "'")
        })
        .collect()
}

fn has_form(page: &crate::testing::Answer, id: &str) -> bool {
    page.body.contains(&format!(r#"id="{id}""#))
}

fn is_done(page: &crate::testing::Answer, key: &str) -> bool {
    page.body
        .contains(&format!(r#"data-step="{key}" data-progress="done""#))
}

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

/// The follow-up forms of an adverse event, each posted from the case's page by the site's
/// nurse: a later observation (a temperature that is not one refused beside it; 7 L/min raises
/// the grade to 3), a treatment (a time that is not one refused beside it; tocilizumab shown),
/// the outcome (resolved without its day refused beside it; then resolved, and the event takes
/// no more) — issue 11's adverse events, tested on their own.
#[tokio::test]
async fn an_adverse_event_is_followed_from_the_page_observation_treatment_outcome() {
    let demo = seeded().await;
    let (case, page) = stored_case_page(&demo).await;
    demo.app.through_first_infusion(&case).await.unwrap();
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;

    let now = demo.app.now();
    let at = crate::pages::adverse_events::tests::typed(now);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let recorded = nurse
        .submit(
            &page,
            "adverse-event-form",
            &format!("{page}/adverse-events"),
            &[
                ("form", "adverse-event-form"),
                ("kind", "crs"),
                ("temperature", "38.6"),
                ("oxygen", "none"),
                ("onset", &at),
                ("at", &at),
            ],
            None,
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let shown = nurse.get(&page).await;
    assert!(has_form(&shown, "ae-1-observations"));
    assert!(!has_form(
        &coordinator.get(&page).await,
        "ae-1-observations"
    ));
    let ae = format!("{page}/adverse-events/1");
    let bad = nurse
        .submit(
            &page,
            "ae-1-observations",
            &format!("{ae}/observations"),
            &[
                ("form", "ae-1-observations"),
                ("kind", "crs"),
                ("at", &at),
                ("temperature", "hot"),
            ],
            None,
        )
        .await;
    assert_refused(&bad);
    assert!(bad.error_beside("temperature").is_some(), "{}", bad.body);
    let observed = nurse
        .submit(
            &page,
            "ae-1-observations",
            &format!("{ae}/observations"),
            &[
                ("form", "ae-1-observations"),
                ("kind", "crs"),
                ("at", &at),
                ("temperature", "39.1"),
                ("oxygen", "nasal_cannula"),
                ("litres_per_minute", "7"),
            ],
            None,
        )
        .await;
    assert_eq!(observed.status, StatusCode::SEE_OTHER, "{}", observed.body);
    let row = nurse.get(&page).await;
    assert!(
        row.row(r#"data-adverse-event="1" data-grade"#)
            .contains("Grade 3")
    );
    let refused = nurse
        .submit(
            &page,
            "ae-1-treatments",
            &format!("{ae}/treatments"),
            &[
                ("form", "ae-1-treatments"),
                ("treatment", "tocilizumab"),
                ("given_at", "yesterday"),
            ],
            None,
        )
        .await;
    assert_refused(&refused);
    assert!(
        refused.error_beside("given_at").is_some(),
        "{}",
        refused.body
    );
    let treated = nurse
        .submit(
            &page,
            "ae-1-treatments",
            &format!("{ae}/treatments"),
            &[
                ("form", "ae-1-treatments"),
                ("treatment", "tocilizumab"),
                ("given_at", &at),
                ("detail", "8 mg/kg IV"),
            ],
            None,
        )
        .await;
    assert_eq!(treated.status, StatusCode::SEE_OTHER, "{}", treated.body);
    let refused = nurse
        .submit(
            &page,
            "ae-1-outcome",
            &format!("{ae}/outcome"),
            &[("form", "ae-1-outcome"), ("status", "resolved"), ("on", "")],
            None,
        )
        .await;
    assert!(refused.error_beside("on").is_some(), "{}", refused.body);
    let closed = nurse
        .submit(
            &page,
            "ae-1-outcome",
            &format!("{ae}/outcome"),
            &[
                ("form", "ae-1-outcome"),
                ("status", "resolved"),
                ("on", today_of(&demo).as_str()),
            ],
            None,
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let after = nurse.get(&page).await;
    assert!(
        after
            .row(r#"data-adverse-event="1" data-grade"#)
            .contains("tocilizumab")
    );
    assert!(
        !has_form(&after, "ae-1-observations"),
        "a resolved event takes no more"
    );
}

fn today_of(demo: &crate::testing::Demo) -> cellpath_domain::Date {
    cellpath_domain::Date::of_micros(demo.app.now())
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

#[tokio::test]
async fn hold_and_cancel_sit_below_the_timeline_and_ask_for_their_words() {
    let demo = seeded().await;
    let (_, page) = stored_case_page(&demo).await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let shown = coordinator.get(&page).await;
    let timeline = shown.body.find(r#"id="timeline""#).expect("the timeline");
    let stop = shown
        .body
        .find(r#"id="stop-case""#)
        .expect("hold and cancel");
    assert!(
        stop > timeline,
        "hold and cancel come after the content they affect"
    );
    assert!(shown.body.find(r#"id="next""#).expect("next steps") < timeline);
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert!(!has_form(&nurse.get(&page).await, "case-cancel"));
    let action = format!("{page}/actions");
    let refused = coordinator
        .submit(
            &page,
            "case-hold",
            &action,
            &[("form", "case-hold"), ("command", "hold"), ("reason", "")],
            None,
        )
        .await;
    assert_refused(&refused);
    assert!(refused.error_beside("reason").is_some(), "{}", refused.body);
    let held = coordinator
        .submit(
            &page,
            "case-hold",
            &action,
            &[
                ("form", "case-hold"),
                ("command", "hold"),
                ("reason", "fever of unknown origin"),
            ],
            None,
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let on_hold = coordinator.get(&page).await;
    on_hold.assert_has("fever of unknown origin");
    assert!(has_form(&on_hold, "case-resume") && !has_form(&on_hold, "case-hold"));
    let cancelled = coordinator
        .submit(
            &page,
            "case-cancel",
            &action,
            &[
                ("form", "case-cancel"),
                ("command", "cancel"),
                (
                    "care_transition_note",
                    "care returns to Dr. Okoro at Lakeshore Oncology",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    let after = coordinator.get(&page).await;
    after.assert_has("care returns to Dr. Okoro");
    assert!(!has_form(&after, "case-cancel") && !has_form(&after, "more-actions"));
}

#[tokio::test]
async fn repeat_end_a_unit_and_a_deviation_are_taken_beside_the_steps_by_their_roles() {
    let demo = seeded().await;
    let (_, page) = stored_case_page(&demo).await;
    let mut cell_lab = Browser::signed_in(&demo, "cell.lab@lakeshore.example").await;
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    // The manufacturer's quality lead ends no unit at the site; the nurse has done no step
    // of this case yet, so she has none to repeat.
    assert!(!has_form(&quality.get(&page).await, "end-unit"));
    assert!(!has_form(&nurse.get(&page).await, "repeat"));
    // The cell lab receives the shipment again (a second attempt), with the reason.
    let shown = cell_lab.get(&page).await;
    assert!(has_form(&shown, "repeat") && has_form(&shown, "end-unit"));
    let repeat = |reason: &'static str| {
        vec![
            ("form", "repeat"),
            ("command", "repeat"),
            ("step", "receipt_and_storage"),
            ("reason", reason),
        ]
    };
    refused_then_recorded(
        &mut cell_lab,
        &page,
        "repeat",
        &repeat(""),
        "reason",
        &repeat("freezer alarm: the bags are checked in again"),
    )
    .await;
    cell_lab
        .get(&page)
        .await
        .assert_has("freezer alarm: the bags are checked in again");
    // A unit discarded: the reason is asked for beside it, then its state says so.
    let end = |reason: &'static str| {
        vec![
            ("form", "end-unit"),
            ("command", "end_unit"),
            ("unit", "cd8"),
            ("disposition", "discarded"),
            ("disposition_reason", reason),
        ]
    };
    refused_then_recorded(
        &mut cell_lab,
        &page,
        "end-unit",
        &end(""),
        "disposition_reason",
        &end("bag cracked on receipt"),
    )
    .await;
    cell_lab
        .get(&page)
        .await
        .assert_has("bag cracked on receipt");
    // A deviation is signed: no password, asked for beside it; with it, on the record.
    let deviation = |password: &'static str| {
        vec![
            ("form", "deviation"),
            ("command", "deviation"),
            ("step", "receipt_and_storage"),
            (
                "reason",
                "stored at -150 °C for 20 minutes during the alarm",
            ),
            ("password", password),
        ]
    };
    let asked = refused_then_recorded(
        &mut cell_lab,
        &page,
        "deviation",
        &deviation(""),
        "password",
        &deviation(cellpath_app::demo::DEMO_PASSWORD),
    )
    .await;
    assert!(asked.contains("enter your password"), "{asked}");
    cell_lab
        .get(&page)
        .await
        .assert_has("stored at -150 °C for 20 minutes during the alarm");
}

#[tokio::test]
async fn an_optional_step_is_left_out_with_its_reason_by_its_role_only() {
    let demo = seeded().await;
    let site = demo.site("LUH-MAIN").await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let page = cases_at(&mut coordinator, &site.id, "bridging_therapy")
        .await
        .into_iter()
        .next()
        .expect("a demo case waiting for its bridging therapy");
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert!(!has_form(&nurse.get(&page).await, "skip-bridging_therapy"));
    let mut physician = Browser::signed_in(&demo, "physician@lakeshore.example").await;
    let skip = |reason: &'static str| {
        vec![
            ("form", "skip-bridging_therapy"),
            ("command", "skip"),
            ("step", "bridging_therapy"),
            ("reason", reason),
        ]
    };
    refused_then_recorded(
        &mut physician,
        &page,
        "skip-bridging_therapy",
        &skip(""),
        "reason",
        &skip("disease stable after collection: no bridging needed"),
    )
    .await;
    let after = physician.get(&page).await;
    assert!(is_done(&after, "bridging_therapy"));
    after.assert_has("disease stable after collection: no bridging needed");
}

#[tokio::test]
async fn the_site_asks_for_an_apheresis_day_and_patient_ops_confirm_the_whole_chain_on_the_page() {
    let demo = seeded().await;
    let site = demo.site("LUH-MAIN").await;
    let program = demo.program("Helixa Therapeutics", "Vantacel").await;
    // An active Vantacel case the demo booked nothing for.
    let system = cellpath_app::Caller::system("test");
    let mut case = None;
    for c in demo
        .app
        .cases_of_site(&system, &site.id, cellpath_app::views::Page::all())
        .await
        .unwrap()
    {
        if c.program_id == program.id
            && c.status == cellpath_domain::events::cases::CaseState::Active
            && demo
                .app
                .case_bookings(&system, &c.id)
                .await
                .unwrap()
                .is_empty()
        {
            case = Some(c.id);
        }
    }
    let case = case.expect("a demo case with no booking");
    let page = crate::paths::case(&case);
    let action = format!("{page}/bookings");
    let capacity: cellpath_domain::capacity::Capacity = serde_json::from_value(serde_json::json!({
        "apheresis_slots_per_day": 1,
        "manufacturing_slots_per_day": 1,
        "lead": {
            "to_start_min_days": 2, "to_start_max_days": 5, "manufacturing_days": 16,
            "transit_days": 2, "arrival_to_infusion_days": 3
        }
    }))
    .unwrap();
    demo.app
        .set_program_capacity(
            &cellpath_app::Caller::system("test"),
            &program.id,
            capacity,
            None,
            None,
        )
        .await
        .unwrap();
    let today = cellpath_domain::Date::of_micros(demo.app.now());

    // A nurse reads the section but asks for nothing.
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let seen = nurse.get(&page).await;
    seen.assert_has("Manufacturing slot");
    assert!(
        !seen.body.contains("booking-request"),
        "no form for the nurse"
    );

    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    coordinator
        .get(&page)
        .await
        .assert_has("No apheresis day asked for yet.");
    // An in-vivo (Corvigen) case has no apheresis: no manufacturing slot to ask for.
    let in_vivo = demo
        .app
        .cases_of_site(&system, &site.id, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.program_id != program.id)
        .expect("a Corvigen case");
    let shown = coordinator.get(&crate::paths::case(&in_vivo.id)).await;
    shown.assert_has(&in_vivo.pseudonym);
    assert!(
        !shown.body.contains("Manufacturing slot") && !shown.body.contains("booking-request"),
        "no booking on an in-vivo case"
    );
    let past = today.plus_days(-1);
    let refused = coordinator
        .submit(
            &page,
            "booking-request",
            &action,
            &[("do", "request"), ("asked_on", past.as_str())],
            None,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    refused.assert_has("is in the past");
    // Beside the field, in words; not on top of the page under the field's key.
    refused.assert_has(&format!(
        r#"<p class="field-error" data-field="asked_on" id="booking-request-asked-on-error">{} is in the past</p>"#,
        past.words()
    ));
    assert!(!refused.body.contains("asked_on:"), "{}", refused.body);
    let bad = coordinator
        .submit(
            &page,
            "booking-request",
            &action,
            &[("do", "request"), ("asked_on", "2026-02-30")],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.assert_has(r#"data-field="asked_on""#);
    bad.assert_has("is not a date");
    assert!(!bad.body.contains("asked_on:"), "{}", bad.body);
    assert!(
        demo.app
            .case_bookings(&cellpath_app::Caller::system("test"), &case)
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    let asked = today.plus_days(40);
    let sent = coordinator
        .submit(
            &page,
            "booking-request",
            &action,
            &[("do", "request"), ("asked_on", asked.as_str())],
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let after = coordinator.get(&page).await;
    after.assert_has("asked for, waiting for the manufacturer");
    assert!(
        !after.body.contains("Confirm the earliest whole chain"),
        "the site does not confirm"
    );

    let mut ops = Browser::signed_in(&demo, "patient.ops@helixa.example").await;
    let theirs = ops.get(&page).await;
    theirs.assert_has("Confirm the earliest whole chain");
    let booking = theirs.field("booking");
    let confirmed = ops
        .post(
            &action,
            &[
                ("csrf", &theirs.field("csrf")),
                ("do", "confirm"),
                ("booking", &booking),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let shown = coordinator.get(&page).await;
    for text in [
        "confirmed",
        "Manufacturing starts",
        "Arrives",
        "(a forecast)",
    ] {
        shown.assert_has(text);
    }
    shown.assert_has(&format!(
        "Apheresis asked for <strong>{}</strong>",
        asked.words()
    ));
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
