//! A site refines its map, proposes a change to a controlled step, the manufacturer accepts,
//! both sides sign, and the swimlane shows the change; then the pharmacist records formulary
//! approval on the site's gate page with her password.

use super::*;

/// Sign this version for the signed-in person's side, with the password re-entered.
async fn sign_site_map(c: &Client) {
    c.find(Locator::Css("#sign-form select[name=meaning]"))
        .await
        .unwrap()
        .select_by_value("approved")
        .await
        .unwrap();
    type_into(
        c,
        "#sign-form input[name=password]",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    click(c, "#sign-form button[type=submit]").await;
}

#[tokio::test]
async fn a_site_refines_its_map_the_manufacturer_accepts_and_both_sign() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let store = s.app.store();
    let pship = helixa_lakeshore(&s.app).await;
    let cancer = site_id(&s.app, "Lakeshore University Health", "LUH-CANCER").await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;
    let vantacel = vantacel(&s.app).await;
    let draft = store
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let page = format!("/site-maps/{}", draft.id);

    // The coordinator opens the Cancer Pavilion's draft from the partnership page.
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&format!("/partnerships/{pship}")))
        .await
        .unwrap();
    click(c, "tr[data-site='LUH-CANCER'] a[href^='/site-maps/']").await;
    assert!(
        c.current_url().await.unwrap().path().ends_with(&page),
        "on the draft's page"
    );

    // Refines a step: who receives the product at the Pavilion, where, in which system.
    click(c, "tr#step-receipt_and_storage a.button").await;
    c.find(Locator::Css("#details-form select[name=owner_role]"))
        .await
        .unwrap()
        .select_by_value("cell_lab")
        .await
        .unwrap();
    type_into(
        c,
        "#details-form input[name=location]",
        "Pavilion cell lab annex, room 2.14",
    )
    .await;
    type_into(c, "#details-form input[name=system]", "Cell lab LIMS").await;
    click(c, "#details-form button[type=submit]").await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("local details are saved")
    );

    // Proposes a change to a controlled step, with the site's reason.
    c.goto(&s.url(&format!("{page}/steps/enrollment")))
        .await
        .unwrap();
    type_into(
        c,
        "#propose-form input[name=name]",
        "Enrollment in the Helixa portal at intake",
    )
    .await;
    type_into(
        c,
        "#propose-form textarea[name=reason]",
        "Our coordinators enroll at intake, the same day as consent.",
    )
    .await;
    click(c, "#propose-form button[type=submit]").await;
    assert!(text_of(c, "#notice").await.contains("proposal is sent"));
    click(c, "#sign-out").await;

    // Helixa's quality lead accepts it with a reason (and decides the seeded one too).
    sign_in(c, &s, "quality@helixa.example").await;
    c.goto(&s.url(&page)).await.unwrap();
    type_into(
        c,
        "article[data-step='enrollment'] textarea[name=reason]",
        "Accepted: enrollment at intake is within the program manual.",
    )
    .await;
    click(c, "article[data-step='enrollment'] button[value=accept]").await;
    assert!(text_of(c, "#notice").await.contains("accepted"));
    type_into(
        c,
        "article[data-step='thaw_cd4'] textarea[name=reason]",
        "Rejected: the satellite pharmacy has no validated thaw device yet.",
    )
    .await;
    click(c, "article[data-step='thaw_cd4'] button[value=reject]").await;
    sign_site_map(c).await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("signature is recorded")
    );
    click(c, "#sign-out").await;

    // The site signs too: the version is signed by both sides.
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&page)).await.unwrap();
    sign_site_map(c).await;
    let status = c
        .find(Locator::Css("h1 .site-map-status"))
        .await
        .unwrap()
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(status.as_deref(), Some("signed"));
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    std::fs::write(
        screenshot_dir().join("site-map-signed-top.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    // The new version's swimlane shows the change.
    let changed = c
        .find(Locator::Css("g.step.changed[data-step='enrollment']"))
        .await
        .expect("the accepted change is marked on the swimlane");
    let inside = changed.prop("innerHTML").await.unwrap().unwrap_or_default();
    assert!(
        inside.contains("Enrollment in the Helixa portal at intake"),
        "the box carries the new name: {inside}"
    );
    assert!(
        text_of(c, "tr#step-enrollment")
            .await
            .contains("Enrollment in the Helixa portal at intake")
    );
    c.execute(
        "document.querySelector(\"g.step.changed[data-step='enrollment']\").scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("site-map-signed.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    let view = s
        .app
        .site_map(&cellpath_app::Caller::system("test"), &draft.id)
        .await
        .unwrap();
    assert_eq!(view.status.as_str(), "signed");

    // A readiness page: Lakeshore North, with its open blocking gap.
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/sites/{north}/readiness?program={vantacel}"
    )))
    .await
    .unwrap();
    assert!(text_of(c, "#score").await.contains("1 open blocking gap"));
    std::fs::write(
        screenshot_dir().join("readiness.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    // The onboarding pipeline and the live plan: the site map just signed counts as done.
    c.goto(&s.url("/onboarding")).await.unwrap();
    assert!(text_of(c, "#pipeline-summary").await.contains("authorized"));
    std::fs::write(
        screenshot_dir().join("onboarding.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&s.url(&format!("/partnerships/{pship}/plan?program={vantacel}")))
        .await
        .unwrap();
    assert!(text_of(c, "#done").await.contains("Site map signed"));
    assert!(text_of(c, "#days-saved").await.contains("Dual-track saves"));
    std::fs::write(
        screenshot_dir().join("live-plan.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/plan?program={vantacel}#charts"
    )))
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("live-plan-charts.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Back to the top of a page, so the sign-out button is not under the sticky header.
    c.goto(&s.url("/")).await.unwrap();

    // Lakeshore's pharmacist records formulary approval on Lakeshore North's gate page, with
    // her password; the page then lists it as done.
    click(c, "#sign-out").await;
    sign_in(c, &s, "pharmacy@lakeshore.example").await;
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/sites/{north}/gate?program={vantacel}"
    )))
    .await
    .unwrap();
    let item = "li#deliverable-pharmacy_and_therapeutics";
    c.find(Locator::Css(&format!("{item} details summary")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The day it was done is the pharmacist's to give (never filled in with today), with the
    // browser's date picker.
    let picker = c
        .find(Locator::Css(&format!("{item} input[name=done_on]")))
        .await
        .unwrap();
    assert_eq!(picker.attr("type").await.unwrap().as_deref(), Some("date"));
    assert_eq!(picker.prop("value").await.unwrap().as_deref(), Some(""));
    c.execute(
        "document.querySelector('li#deliverable-pharmacy_and_therapeutics input[name=done_on]').value = '2025-11-20';",
        vec![],
    )
    .await
    .unwrap();
    type_into(
        c,
        &format!("{item} textarea[name=evidence]"),
        "Vantacel added to the formulary at the P&T meeting (minutes PT-2025-11).",
    )
    .await;
    type_into(
        c,
        &format!("{item} input[name=password]"),
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    c.execute(
        "document.querySelector('li#deliverable-pharmacy_and_therapeutics').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("gate-record-deliverable.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    click(c, &format!("{item} button[type=submit]")).await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("recorded with your signature")
    );
    assert!(
        text_of(c, "tr[data-done='pharmacy_and_therapeutics']")
            .await
            .contains("PT-2025-11")
    );
    c.execute(
        "document.querySelector('#deliverables-done').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("gate-deliverable-recorded.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Its signature is shown with it (21 CFR 11.50): her printed name, the meaning, the time.
    let row = text_of(c, "tr[data-done='pharmacy_and_therapeutics'] li.signature").await;
    assert!(
        row.contains("Signed by Caleb Novak · verified · ")
            && row.contains(" UTC · via web session"),
        "{row}"
    );
    // The audit trail the page points to opens for her, in names, the raw event one click away.
    click(c, "#deliverables-done a.audit-trail-link").await;
    let recorded = "li.event[data-type='deliverable_record.created']";
    let event = text_of(c, recorded).await;
    assert!(event.contains("Deliverable record created"), "{event}");
    assert!(
        event.contains("Lakeshore North"),
        "the site by name: {event}"
    );
    assert!(event.contains("by Caleb Novak"), "{event}");
    assert!(
        event.contains("Signed by Caleb Novak · verified"),
        "{event}"
    );
    c.find(Locator::Css(&format!(
        "{recorded} details.raw-event summary"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert!(
        text_of(c, &format!("{recorded} details.raw-event pre"))
            .await
            .contains(r#""type":"deliverable_record.created""#)
    );
    c.execute(
        "document.querySelector(\"li.event[data-type='deliverable_record.created']\").scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("audit-trail-signed-deliverable.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
