//! The case page shows each signed step with its signatures beside it (issue 10, point 2).

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

#[tokio::test]
async fn a_signed_step_shows_its_signature_on_the_case_page() {
    let demo = seeded().await;
    let (_, page) = super::stored_case_page(&demo).await;
    let action = format!("{page}/actions");
    let mut physician = Browser::signed_in(&demo, "physician@lakeshore.example").await;
    let before = physician.get(&page).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        !before.body.contains(r#"data-step="physician_order""#)
            || !before.body.contains("id=\"signed-steps\""),
        "nothing signed yet"
    );
    // The physician's steps up to the order, each as its form asks.
    for key in ["bridging_therapy", "lymphodepletion", "physician_order"] {
        let shown = physician.get(&page).await;
        if !shown
            .body
            .contains(&format!(r#"data-step="{key}" data-progress="current""#))
        {
            continue;
        }
        let form = format!("step-{key}");
        let mut fields = vec![("form", form.as_str()), ("step", key)];
        match key {
            "bridging_therapy" => {
                fields.extend([("command", "record"), ("ehr_reference", "EHR-1")])
            }
            "lymphodepletion" => {
                fields.extend([("command", "pass_hold"), ("ehr_reference", "EHR-2")])
            }
            _ => fields.extend([
                ("command", "sign"),
                ("meaning", "approved"),
                ("password", cellpath_app::demo::DEMO_PASSWORD),
            ]),
        }
        let done = physician.submit(&page, &form, &action, &fields, None).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{key}: {}", done.body);
    }
    let signature = demo
        .last_signature(
            &demo
                .partnership("Helixa Therapeutics", "Lakeshore University Health")
                .await
                .id,
        )
        .await;
    for email in ["physician@lakeshore.example", "onboarding@helixa.example"] {
        let mut reader = Browser::signed_in(&demo, email).await;
        let shown = reader.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK, "{email}");
        let at = shown
            .body
            .find("id=\"signed-steps\"")
            .unwrap_or_else(|| panic!("{email}: no signed steps: {}", shown.body));
        let section = &shown.body[at..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(
            section.contains(r#"data-step="physician_order""#),
            "{section}"
        );
        assert!(
            section.contains(&crate::testing::signature_shown(
                &signature.printed_name,
                "approved",
                signature.signed_at
            )),
            "{email}: {section}"
        );
    }
    // Who may not see the case learns nothing of it or its signatures.
    let mut stranger = Browser::signed_in(&demo, "admin@piedmont.example").await;
    assert_eq!(stranger.get(&page).await.status, StatusCode::NOT_FOUND);
}
