//! The CRS grade shown as the nurse types the findings, then recorded.

use super::*;

/// Set a `datetime-local` field (its typing is the browser's locale) and tell the form.
async fn set_time(c: &Client, name: &str, value: &str) {
    c.execute(
        "const f = document.querySelector('#adverse-event-form [name=' + arguments[0] + ']'); f.value = arguments[1]; f.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(name), json!(value)],
    )
    .await
    .unwrap();
}

/// Wait until the grade shown beside the form is `grade` ("" for none), and say its text.
async fn grade_shown(c: &Client, grade: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = c.find(Locator::Css("#ae-grade")).await.unwrap();
        let shown = out.attr("data-grade").await.unwrap().unwrap_or_default();
        let text = out.text().await.unwrap();
        if shown == grade && !text.contains("computed from the findings") {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the grade shown stays {shown:?} ({text}), not {grade:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_nurse_sees_the_crs_grade_change_as_she_types_and_records_it() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let case = s.infused_case().await;
    let page = s.url(&format!("/cases/{case}"));
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&page).await.unwrap();
    assert!(
        text_of(c, "#adverse-events")
            .await
            .contains("No adverse event recorded")
    );
    // The clock stands an hour after the infusion (16:00 UTC on the demo's day).
    set_time(c, "onset", "2025-11-24T16:30").await;
    set_time(c, "at", "2025-11-24T16:45").await;
    type_into(c, "#adverse-event-form [name=temperature]", "38.9").await;
    c.find(Locator::Css("#adverse-event-form select[name=oxygen]"))
        .await
        .unwrap()
        .select_by_value("nasal_cannula")
        .await
        .unwrap();
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "6").await;
    let two = grade_shown(c, "2").await;
    assert!(two.contains("nasal cannula at 6 L/min: grade 2"), "{two}");
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "7").await;
    let three = grade_shown(c, "3").await;
    assert!(
        three.contains("nasal cannula at 7 L/min: grade 3"),
        "{three}"
    );
    std::fs::write(
        screenshot_dir().join("adverse-event-grade.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // A flow that is no flow: said as it is typed, and beside the field when submitted.
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "0").await;
    let bad = grade_shown(c, "").await;
    assert!(bad.contains("litres per minute"), "{bad}");
    click(c, "#adverse-event-form button[type=submit]").await;
    let beside = text_of(
        c,
        "#adverse-event-form p.field-error[data-field=litres_per_minute]",
    )
    .await;
    assert!(beside.contains("litres per minute"), "{beside}");
    assert!(
        text_of(c, "#adverse-events")
            .await
            .contains("No adverse event recorded")
    );
    // Put right and recorded: the case lists it at grade 3.
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "7").await;
    grade_shown(c, "3").await;
    click(c, "#adverse-event-form button[type=submit]").await;
    let row = text_of(c, "#adverse-events tr[data-adverse-event='1']").await;
    assert!(
        row.contains("CRS #1") && row.contains("Grade 3") && row.contains("7 L/min"),
        "{row}"
    );
    std::fs::write(
        screenshot_dir().join("adverse-event-recorded.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
