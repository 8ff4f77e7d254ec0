//! Opening a case from the site's list, a first step recorded, and what each reader sees of it.

use super::*;

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
