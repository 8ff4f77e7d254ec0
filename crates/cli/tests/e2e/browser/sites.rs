//! An admin creates a site, sees it listed, and a bad value explained beside its field.

use super::*;

#[tokio::test]
async fn an_admin_creates_a_site_and_sees_a_bad_value_explained() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let org = s.org_id("Lakeshore University Health").await;

    c.goto(&s.url("/login")).await.unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("admin@lakeshore.example")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(cellpath_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    click(c, "form:has(input[name=password]) button[type=submit]").await;
    let body = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Lakeshore University Health"),
        "home page after login: {body}"
    );
    std::fs::write(
        screenshot_dir().join("home.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    c.goto(&s.url(&format!("/orgs/{org}/sites"))).await.unwrap();
    fill(c, "name", "Lakeshore West Clinic").await;
    fill(c, "code", "LUH-WEST").await;
    fill(c, "city", "Oak Park").await;
    fill(c, "region", "IL").await;
    click(c, "form:has(input[name=code]) button[type=submit]").await;
    c.goto(&s.url(&format!("/orgs/{org}/sites"))).await.unwrap();
    let list = c
        .find(Locator::Css("table.list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Lakeshore West Clinic") && list.contains("LUH-WEST"),
        "{list}"
    );

    // A bad code: the message stands beside the field, and what was typed is kept.
    fill(c, "name", "Lakeshore South").await;
    fill(c, "code", "9 south").await;
    fill(c, "city", "Blue Island").await;
    fill(c, "region", "IL").await;
    click(c, "form:has(input[name=code]) button[type=submit]").await;
    let error = c
        .find(Locator::Css("p.field-error[data-field=code]"))
        .await
        .expect("an error beside the code field")
        .text()
        .await
        .unwrap();
    assert!(error.contains("capital letters"), "{error}");
    let kept = c
        .find(Locator::Css("form:has(input[name=code]) [name=name]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Lakeshore South"));
    std::fs::write(
        screenshot_dir().join("site-error.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    assert!(
        s.app
            .store()
            .sites_of(&org, cellpath_app::views::Page::all())
            .await
            .unwrap()
            .iter()
            .all(|x| x.name != "Lakeshore South"),
        "nothing stored"
    );

    // The audit trail shows who did what.
    c.goto(&s.url(&format!("/ledgers/{org}"))).await.unwrap();
    let trail = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        trail.contains("LUH-WEST"),
        "the new site's event is on the ledger page"
    );
    std::fs::write(
        screenshot_dir().join("ledger.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
