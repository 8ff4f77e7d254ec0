//! A release exception handled in its page's forms: the coordinator records that the patient
//! was told, the physician's cancellation without a plan is refused beside the plan, then
//! another therapy is recorded; screenshots of the page with its forms.

use super::*;
use crate::support::as_user;
use cellpath_app::release_exceptions::{NewExceptionProtocol, OpenReleaseException};
use cellpath_domain::release_exception::{ExceptionKind, Protocol};

/// Set a `datetime-local` field of a form (its typing is the browser's locale).
async fn set_time(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap();
}

/// A screenshot with `css` scrolled to the top of the window.
async fn shot(c: &Client, css: &str, name: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![json!(css)],
    )
    .await
    .unwrap();
    std::fs::write(screenshot_dir().join(name), c.screenshot().await.unwrap()).unwrap();
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_coordinator_and_the_physician_handle_an_exception_in_its_forms() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    // The usual protocol agreed by both sides; an out-of-specification exception opened on
    // the demo's stored case at the demo's 16:00 UTC; half an hour passes.
    let partnership = helixa_lakeshore(&s.app).await;
    let hs = as_user(&s.app, "contracts@lakeshore.example").await;
    let mfr = as_user(&s.app, "contracts@helixa.example").await;
    let v = s
        .app
        .draft_exception_protocol(
            &hs,
            &partnership,
            NewExceptionProtocol {
                program_id: vantacel(&s.app).await,
                protocol: Protocol::usual(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    for who in [&hs, &mfr] {
        s.app
            .sign_exception_protocol(who, &v.id, cellpath_app::demo::DEMO_PASSWORD, None)
            .await
            .unwrap();
    }
    let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = s.app.stored_case(&site).await.unwrap().unwrap();
    let quality = as_user(&s.app, "quality@helixa.example").await;
    let id = s
        .app
        .open_release_exception(
            &quality,
            &case,
            OpenReleaseException {
                kind: ExceptionKind::OutOfSpecification,
                certificate_reference: "QA-2025-1124 viability 61 %".into(),
                certificate_sha256: "c0".repeat(32),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id;
    s.clock.advance_secs(1_800);
    let page = s.url(&format!("/release-exceptions/{id}"));

    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&page).await.unwrap();
    assert!(
        text_of(c, "#next-steps")
            .await
            .contains("Record that the patient was told")
    );
    select(c, "#patient-told-form select[name=method]", "in_person").await;
    set_time(c, "#patient-told-form [name=told_at]", "2025-11-24T16:20").await;
    type_into(
        c,
        "#patient-told-form [name=note]",
        "with her daughter present",
    )
    .await;
    shot(c, "#handling", "exception-patient-told-form.png").await;
    click(c, "#patient-told-form button[type=submit]").await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("That the patient was told is recorded")
    );
    assert!(c.find(Locator::Css("#patient-told-form")).await.is_err());

    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "physician@lakeshore.example").await;
    c.goto(&page).await.unwrap();
    select(c, "#decision-form select[name=option]", "cancel").await;
    click(c, "#decision-form button[type=submit]").await;
    let beside = text_of(
        c,
        "#decision-form p.field-error[data-field=care_transition_plan]",
    )
    .await;
    assert!(
        beside.contains("care-transition plan is required"),
        "{beside}"
    );
    shot(c, "#decision", "exception-decision-refused.png").await;
    select(c, "#decision-form select[name=option]", "other_therapy").await;
    type_into(
        c,
        "#decision-form [name=care_transition_plan]",
        "referred to the lymphoma clinic",
    )
    .await;
    click(c, "#decision-form button[type=submit]").await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("The decision is recorded")
    );
    assert!(text_of(c, "#handling").await.contains("Another therapy"));
    // Decided and the patient told: the close is the physician's to sign now, beside what
    // is signed.
    let sign = text_of(c, "#signatures").await;
    assert!(
        sign.contains("meaning approved") && sign.contains("Another therapy"),
        "{sign}"
    );
    shot(c, "#handling", "exception-sign-form.png").await;
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
