//! The figures page and its CSV, as each side reads them: both sides of the partnership see
//! the infused case counted, with its charts and a download by pseudonym; another manufacturer
//! sees none of it; a site or program that is not the caller's to see is not found.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

#[tokio::test]
async fn both_sides_read_the_figures_and_download_the_cases_by_pseudonym_and_no_one_else_does() {
    let demo = seeded().await;
    let main = demo.site("LUH-MAIN").await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let coordinator = demo
        .app
        .caller_for_user(
            &demo
                .app
                .store()
                .user_by_email("coordinator@lakeshore.example")
                .await
                .unwrap()
                .unwrap()
                .id,
            cellpath_app::access::Via::Session,
        )
        .await
        .unwrap();
    let case = demo
        .app
        .cases_of_site(&coordinator, &main.id, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.pseudonym == "VAN-LUH-MAIN-0007")
        .unwrap();
    cellpath_app::testing::infuse_stored_demo_case(&demo.app, &case.id)
        .await
        .unwrap();

    for email in ["patient.ops@helixa.example", "contracts@lakeshore.example"] {
        let mut b = Browser::signed_in(&demo, email).await;
        let home = b.get("/").await;
        home.assert_has(r#"href="/figures""#);
        let page = b.get("/figures").await;
        assert_eq!(page.status, StatusCode::OK, "{email}");
        page.assert_has("Vein-to-vein figures");
        page.assert_has(r#"class="figure-svg""#);
        page.assert_has("Median by month of infusion");
        page.assert_has("Lakeshore University Hospital");
        page.assert_has("1 case");
        let one = b
            .get(&crate::paths::figures_of(
                Some(&vantacel.id),
                Some(&main.id),
            ))
            .await;
        assert_eq!(one.status, StatusCode::OK);
        one.assert_has("Vantacel at Lakeshore University Hospital");
        let csv = b.get("/figures/cases.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(
            csv.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/csv; charset=utf-8")
        );
        let line = csv
            .body
            .lines()
            .find(|l| l.starts_with("VAN-LUH-MAIN-0007,"))
            .unwrap_or_else(|| panic!("the infused case's line: {}", csv.body));
        assert!(
            line.contains(",Lakeshore University Hospital,Vantacel,infused,"),
            "{line}"
        );
        // No identity in any reader's download: initials and birth years stay on the case page.
        assert_eq!(
            csv.body.lines().next().map(|h| h.split(',').count()),
            Some(9)
        );
    }

    // Northbridge partners with Lakeshore for another program: none of Helixa's cases.
    let mut other = Browser::signed_in(&demo, "patient.ops@northbridge.example").await;
    let page = other.get("/figures").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_has("No case was infused since");
    let csv = other.get("/figures/cases.csv").await;
    assert!(!csv.body.contains("VAN-LUH-MAIN"), "{}", csv.body);
    let refused = other
        .get(&crate::paths::figures_of(Some(&vantacel.id), None))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // Cascade holds only a proposal from Helixa: Lakeshore's site is not found.
    let mut cascade = Browser::signed_in(&demo, "coordinator@cascade.example").await;
    let refused = cascade
        .get(&crate::paths::figures_of(None, Some(&main.id)))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let csv = cascade
        .get(&crate::paths::figures_csv(None, Some(&main.id)))
        .await;
    assert_eq!(csv.status, StatusCode::NOT_FOUND);
}
