//! A partnership page through the router on the demo: a proposal shows both sides the other
//! party and the programs by name, the health system declines it with a reason the
//! manufacturer then reads, and the actions that change the partnership come after what they
//! act on.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

/// Where `marker` first appears on the page (it must).
#[track_caller]
fn at(body: &str, marker: &str) -> usize {
    body.find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} on the page: {body}"))
}

#[tokio::test]
async fn both_sides_read_a_proposal_by_name_and_the_health_system_declines_it_with_a_reason() {
    let demo = seeded().await;
    let proposal = demo
        .partnership("Helixa Therapeutics", "Cascade Regional Medical")
        .await;
    let page = format!("/partnerships/{}", proposal.id);

    // Both sides: the other party and the program by name (not its id), before accepting.
    let mut lead = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let mut cascade = Browser::signed_in(&demo, "contracts@cascade.example").await;
    for (who, b) in [("Helixa", &mut lead), ("Cascade", &mut cascade)] {
        let shown = b.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK, "{who}: {}", shown.body);
        shown.assert_has("<li>Vantacel</li>");
        shown.assert_has("Cascade Regional Medical");
        shown.assert_has("Helixa Therapeutics");
        for id in &proposal.programs {
            assert!(!shown.body.contains(id.as_str()), "{who} sees a program id");
        }
        let list = b.get("/partnerships").await;
        let row = list.row(&proposal.name);
        assert!(row.contains("Vantacel"), "{who}: {row}");
    }
    // The manufacturer waits and may withdraw; it neither accepts nor declines.
    let shown = lead.get(&page).await;
    assert!(!shown.body.contains(r#"id="decline-form""#));
    assert!(!shown.body.contains(r#"id="accept-form""#));
    shown.assert_has("Withdraw proposal");
    // The health system accepts or declines; it does not "end" a proposal.
    let shown = cascade.get(&page).await;
    shown.assert_has(r#"id="accept-form""#);
    shown.assert_has(r#"id="decline-form""#);
    assert!(!shown.body.contains(r#"id="end-form""#));

    let reason = "Our formulary committee reviews Vantacel in March";
    let declined = cascade
        .submit(
            &page,
            "decline-form",
            &format!("{page}/decline"),
            &[("reason", reason)],
            Some("partnership-declined"),
        )
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.body);

    // The manufacturer reads that it was declined, by whom and why; nothing is offered.
    let person = demo
        .app
        .store()
        .user_by_email("contracts@cascade.example")
        .await
        .expect("query")
        .expect("a demo user");
    let shown = lead
        .get_saved(&page, Some("partnership-declined-mfr"))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    shown.assert_has(r#"data-status="declined""#);
    shown.assert_has(&format!("by {} of Cascade Regional Medical", person.name));
    shown.assert_has(reason);
    assert!(!shown.body.contains(r#"id="partnership-actions""#));
    let list = lead.get("/partnerships").await;
    assert!(list.row(&proposal.name).contains("Declined"));
    // Declining again is refused: the form is gone, and a stale post is told the partnership
    // has ended.
    let csrf = cascade.get(&page).await.field("csrf");
    let version = proposal.version.to_string();
    let again = cascade
        .post(
            &format!("{page}/decline"),
            &[("csrf", &csrf), ("version", &version)],
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
}

#[tokio::test]
async fn ending_a_partnership_or_withdrawing_an_agreement_comes_below_what_it_acts_on() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let page = format!("/partnerships/{}", pship.id);
    for email in ["contracts@helixa.example", "admin@lakeshore.example"] {
        let mut b = Browser::signed_in(&demo, email).await;
        let shown = b.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK, "{email}: {}", shown.body);
        let end = at(&shown.body, r#"id="end-form""#);
        for content in [r#"id="sites""#, r#"id="agreements""#, "<dl"] {
            assert!(
                at(&shown.body, content) < end,
                "{email}: {content} comes after the end form"
            );
        }
    }
    // An agreement: moving it (withdrawing it among the moves) after its documents and
    // amendments.
    let agreement = demo
        .app
        .store()
        .agreements_of(&pship.id)
        .await
        .expect("query")
        .into_iter()
        .next()
        .expect("the demo's agreements");
    let mut b = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let shown = b.get(&crate::paths::agreement(&agreement.id)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let change = at(&shown.body, r#"id="change""#);
    for content in [r#"id="documents""#, r#"id="amendments""#, "<dl"] {
        assert!(
            at(&shown.body, content) < change,
            "{content} comes after the moves"
        );
    }
}

#[tokio::test]
async fn a_site_added_after_acceptance_is_said_to_have_joined_on_the_partnership_page() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let mut admin = Browser::signed_in(&demo, "admin@lakeshore.example").await;
    let org = demo.org("Lakeshore University Health").await.id;
    let sites = format!("/orgs/{org}/sites");
    let added = admin
        .submit(
            &sites,
            "site-form",
            &sites,
            &[
                ("name", "Lakeshore West"),
                ("code", "LUH-WEST"),
                ("city", "Oak Park"),
                ("region", "IL"),
            ],
            None,
        )
        .await;
    assert!(added.status.is_redirection(), "{}", added.body);
    let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;
    let page = lead
        .get_saved(
            &format!("/partnerships/{}", pship.id),
            Some("partnership-site-joined"),
        )
        .await;
    let from = at(&page.body, r#"<li data-site="LUH-WEST""#);
    let note = &page.body[from..from + at(&page.body[from..], "</li>")];
    assert!(note.contains(r#"data-joined="true""#), "{note}");
    assert!(note.contains("joined the onboarding"), "{note}");
    let notices = lead.get("/notices").await;
    notices.assert_has(r#"data-kind="site_joined""#);
}
