//! An adverse event followed from the case page: observation, treatment, outcome.

use super::*;

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
