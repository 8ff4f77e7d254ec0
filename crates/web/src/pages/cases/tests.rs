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
        "VAN-LUH-MAIN-0008",
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
        page.assert_has("VAN-LUH-MAIN-0008");
        let listed = reader.get(&list).await;
        assert!(!listed.body.contains(NAME), "{email}");
    }
    let mut stranger = Browser::signed_in(&demo, "coordinator@cascade.example").await;
    assert_eq!(stranger.get(&case_page).await.status, StatusCode::NOT_FOUND);
}
