//! Notices through the router on the demo: 90 days before Helixa × Lakeshore's agreements
//! lapse, both sides' home pages show the reminders (linking to each agreement)
//! and `/notices` lists them with LUH-MAIN's authorization (linking to its gate); an unrelated
//! health system sees none.

use crate::paths;
use crate::testing::{Browser, seeded};
use axum::http::StatusCode;
use cellpath_domain::contracting::AgreementKind;

fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("a section #{id}: {body}"));
    let end = body[at..].find("</section>").expect("the section ends") + at;
    &body[at..end]
}

#[tokio::test]
async fn both_sides_see_the_expiry_reminders_on_their_home_page_and_others_do_not() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let day = cellpath_domain::Date::parse("2030-03-02").expect("a date");
    assert_eq!(demo.app.send_expiry_reminders(day).await.expect("sent"), 5);

    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let home = pharmacy.get_saved("/", Some("notices-home")).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    let notices = section(&home.body, "notices");
    assert!(notices.contains("<h2>Notices</h2>"), "{notices}");
    assert_eq!(
        notices.matches(r#"data-kind="expiry_reminder""#).count(),
        super::ON_HOME as usize,
        "the newest few: {notices}"
    );
    assert!(
        notices.contains("with Helixa Therapeutics expires on"),
        "{notices}"
    );
    assert!(notices.contains("90 days left"), "{notices}");
    assert!(
        notices.contains(r#"<time datetime="2030-05-31">31 May 2030</time> — 90 days left"#),
        "the day in words, not its key: {notices}"
    );
    let msa = demo
        .app
        .store()
        .agreements_of(&pship.id)
        .await
        .expect("query")
        .into_iter()
        .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
        .expect("the demo's master service agreement");
    assert!(
        notices.contains(&format!(r#"href="/agreements/{}""#, msa.id)),
        "links to the agreement: {notices}"
    );
    assert!(notices.contains(r#"href="/notices""#), "{notices}");

    let all = pharmacy.get_saved("/notices", Some("notices")).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let list = section(&all.body, "notices");
    // Helixa's five reminders and its authorization, and the Corvigen authorization of
    // Lakeshore's partnership with Northbridge.
    assert_eq!(
        list.matches("<li class=\"notice-item\"").count(),
        7,
        "{list}"
    );
    assert!(
        list.contains("Master service agreement with Helixa Therapeutics expires on"),
        "{list}"
    );
    let luh_main = demo.site("LUH-MAIN").await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let gate = paths::gate(&pship.id, &luh_main.id, &vantacel.id);
    assert!(
        list.contains(&format!(r#"href="{}""#, gate.replace('&', "&amp;"))),
        "links to the gate: {list}"
    );
    assert!(
        list.contains("is an authorized treatment center for Vantacel"),
        "{list}"
    );

    // The manufacturer's side reads the same reminders, naming the health system.
    let mut helixa = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let home = helixa.get("/").await;
    let notices = section(&home.body, "notices");
    assert_eq!(
        notices
            .matches("with Lakeshore University Health expires on")
            .count(),
        super::ON_HOME as usize,
        "{notices}"
    );

    // A health system that is no party to it sees none.
    let mut piedmont = Browser::signed_in(&demo, "admin@piedmont.example").await;
    let home = piedmont.get("/").await;
    let notices = section(&home.body, "notices");
    assert!(!notices.contains("notice-item"), "{notices}");
    assert!(notices.contains("No notices yet"), "{notices}");

    // The agreements lapse and the day's review suspends LUH-MAIN: the newest notice, with
    // what is missing, for both sides.
    let day = cellpath_domain::Date::parse("2030-06-01").expect("a date");
    assert!(
        demo.app
            .review_all_authorizations(day)
            .await
            .expect("reviewed")
            >= 1
    );
    for browser in [&mut pharmacy, &mut helixa] {
        let all = browser.get("/notices").await;
        let list = section(&all.body, "notices");
        let first = list.find("<li class=\"notice-item\"").expect("a notice");
        let first = &list[first..];
        assert!(
            first.starts_with(r#"<li class="notice-item" data-kind="site_suspended""#),
            "{list}"
        );
        assert!(
            first.contains("Lakeshore University Hospital is suspended for Vantacel since"),
            "{first}"
        );
        assert!(
            first.contains("<li>Master service agreement: expired on 2030-05-31</li>"),
            "{first}"
        );
    }
}
