//! The apheresis day asked for by the site and the whole chain confirmed by patient ops.

use super::*;

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
