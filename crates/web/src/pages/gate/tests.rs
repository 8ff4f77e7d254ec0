//! The gate through the router on the demo: Lakeshore's LUH-MAIN is authorized for Vantacel
//! (its agreements executed, its deliverables recorded, its site map signed); LUH-NORTH is not,
//! and its gate page says what is missing; the partnership page lists the agreements; a health
//! system that is not Helixa's partner gets 404.

use crate::testing::{Answer, Browser, seeded};
use axum::http::StatusCode;

/// The `<tr>` of a site × program row.
fn row<'a>(page: &'a Answer, site: &str, program: &str) -> &'a str {
    let marker = format!(r#"data-site="{site}" data-program="{program}""#);
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("a row for {site} × {program}: {}", page.body));
    let end = page.body[at..].find("</tr>").expect("the row ends") + at;
    &page.body[at..end]
}

#[tokio::test]
async fn the_partnership_page_shows_each_sites_authorization_and_the_agreements() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let page = pharmacy
        .get_saved(
            &format!("/partnerships/{}", pship.id),
            Some("gate-partnership"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let main = row(&page, "LUH-MAIN", "Vantacel");
    assert!(main.contains(r#"data-authorized="true""#), "{main}");
    assert!(main.contains("Authorized"), "{main}");
    assert!(main.contains("since "), "the day it was recorded: {main}");
    let north = row(&page, "LUH-NORTH", "Vantacel");
    assert!(north.contains(r#"data-authorized="false""#), "{north}");
    assert!(north.contains("Not authorized"), "{north}");
    assert!(north.contains(" missing</span>"), "{north}");
    assert!(
        north.contains("/gate?program="),
        "links to its gate: {north}"
    );

    // The agreements: three central, LUH-MAIN's two, LUH-NORTH's quality agreement.
    let at = page
        .body
        .find(r#"id="agreements""#)
        .expect("an Agreements section");
    let section = &page.body[at..];
    assert_eq!(section.matches("data-agreement=").count(), 6, "{section}");
    for kind in [
        "Master service agreement",
        "Terms and conditions",
        "Data protection agreement",
        "Quality agreement",
        "Supply agreement",
    ] {
        assert!(section.contains(kind), "{kind}");
    }
    assert_eq!(
        section
            .matches(r#"class="badge agreement-status badge-good" data-status="executed""#)
            .count(),
        5
    );
    assert!(section.contains(r#"data-status="negotiating""#));
    assert!(section.contains("2025-06-01 →<br>2030-05-31"), "{section}");
    assert_eq!(section.matches(r#"data-documents="1""#).count(), 5);
    assert!(section.contains("all current and future sites"));
}

#[tokio::test]
async fn the_gate_page_says_authorized_or_what_is_missing() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let (main, north) = (demo.site("LUH-MAIN").await, demo.site("LUH-NORTH").await);
    let gate = |site: &str| {
        format!(
            "/partnerships/{}/sites/{site}/gate?program={}",
            pship.id, vantacel.id
        )
    };
    let mut onboarding = Browser::signed_in(&demo, "onboarding@helixa.example").await;

    let yes = onboarding
        .get_saved(&gate(&main.id), Some("gate-main"))
        .await;
    assert_eq!(yes.status, StatusCode::OK, "{}", yes.body);
    assert!(yes.body.contains(&format!(
        "Is {} an authorized treatment center for Vantacel?",
        main.name
    )));
    assert!(
        yes.body.contains(r#"class="verdict verdict-yes""#),
        "{}",
        yes.body
    );
    assert!(yes.body.contains("Authorized since"));
    assert!(!yes.body.contains(r#"id="missing""#));
    assert!(yes.body.contains("/readiness?program="));

    let no = onboarding
        .get_saved(&gate(&north.id), Some("gate-north"))
        .await;
    assert_eq!(no.status, StatusCode::OK, "{}", no.body);
    assert!(
        no.body.contains(r#"class="verdict verdict-no""#),
        "{}",
        no.body
    );
    let missing = |what: &str| no.body.contains(what);
    assert!(missing(
        r#"data-missing="agreement" data-kind="quality_agreement""#
    ));
    assert!(missing(
        r#"data-missing="agreement" data-kind="supply_agreement""#
    ));
    assert!(
        !missing(r#"data-kind="master_service_agreement"><strong>"#),
        "the central agreements cover every site"
    );
    assert!(missing("not executed (negotiating)"), "{}", no.body);
    for d in [
        "site_qualification_audit",
        "staff_training",
        "mock_shipment",
        "pharmacy_and_therapeutics",
    ] {
        assert!(
            missing(&format!(
                r#"data-missing="deliverable" data-deliverable="{d}""#
            )),
            "{d}"
        );
    }
    assert!(missing(r#"data-missing="blocking_gaps""#), "{}", no.body);
    // The agreements considered: the central ones and LUH-NORTH's own, not LUH-MAIN's.
    let at = no
        .body
        .find(r#"id="agreements-considered""#)
        .expect("a section");
    assert_eq!(no.body[at..].matches("data-agreement=").count(), 4);
}

#[tokio::test]
async fn a_health_system_that_is_not_a_partner_gets_404() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let main = demo.site("LUH-MAIN").await;
    let mut nurse = Browser::signed_in(&demo, "nurse@piedmont.example").await;
    let gate = nurse
        .get(&format!(
            "/partnerships/{}/sites/{}/gate?program={}",
            pship.id, main.id, vantacel.id
        ))
        .await;
    assert_eq!(gate.status, StatusCode::NOT_FOUND);
    let page = nurse.get(&format!("/partnerships/{}", pship.id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}
