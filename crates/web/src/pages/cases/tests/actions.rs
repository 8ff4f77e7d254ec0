//! The actions beside the steps and below the timeline: hold and cancel, a step repeated, a
//! unit ended, a deviation signed, an optional step left out.

use super::*;

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
