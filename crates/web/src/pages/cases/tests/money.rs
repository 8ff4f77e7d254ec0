//! A case's invoice and claim on its page (issue 14, point 2): its health system's admins and
//! finance people see the section and submit the claim and the payer's answers; a refusal is
//! shown beside its field with nothing written; nobody else sees the section or may post it.

use super::*;
use cellpath_domain::finance::ClaimStatus;

#[tokio::test]
async fn the_health_systems_money_people_submit_a_claim_and_record_the_payers_answers_on_the_case_page()
 {
    let demo = seeded().await;
    let (case, page) = stored_case_page(&demo).await;
    let action = format!("{page}/claims");
    let claim_of = || async {
        demo.app
            .claims_of_case(&demo.caller("finance@lakeshore.example").await, &case)
            .await
            .unwrap()
    };
    // The clinical roles and the manufacturer see no money on the case, and a forged post
    // records nothing.
    for who in [
        "coordinator@lakeshore.example",
        "nurse@lakeshore.example",
        "patient.ops@helixa.example",
    ] {
        let mut b = Browser::signed_in(&demo, who).await;
        let shown = b.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK, "{who}");
        assert!(!shown.body.contains("Invoice and claim"), "{who}");
        let forged = b
            .post(
                &action,
                &[("csrf", &shown.field("csrf")), ("do", "start_payers")],
            )
            .await;
        assert!(
            matches!(forged.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            forged.status
        );
    }
    let finance_caller = demo.caller("finance@lakeshore.example").await;
    assert!(
        demo.app
            .payer_profiles(&finance_caller)
            .await
            .unwrap()
            .profiles
            .is_empty(),
        "nothing written"
    );

    let mut finance = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let shown = finance.get(&page).await;
    shown.assert_has("Invoice and claim");
    shown.assert_has("No invoice from the manufacturer yet");
    shown.assert_has("No claim submitted to a payer yet.");
    let started = finance
        .post(
            &action,
            &[("csrf", &shown.field("csrf")), ("do", "start_payers")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let medicare = demo
        .app
        .payer_profiles(&finance_caller)
        .await
        .unwrap()
        .profiles
        .into_iter()
        .find(|p| p.name == "Medicare")
        .expect("Medicare started from the defaults");
    let shown = finance.get(&page).await;
    shown.assert_has(r#"id="claim-submit""#);
    shown.assert_has(">Medicare<");

    // An amount that is no amount, then a day in the future: beside their fields, nothing
    // written.
    let today = cellpath_domain::Date::of_micros(demo.app.now());
    let bad = finance
        .submit(
            &page,
            "claim-submit",
            &action,
            &[
                ("do", "submit"),
                ("payer_profile_id", &medicare.id),
                ("submitted_on", today.as_str()),
                ("claimed_cents", "a lot"),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.error_beside("claimed_cents").is_some(), "{}", bad.body);
    let future = today.plus_days(3);
    let bad = finance
        .submit(
            &page,
            "claim-submit",
            &action,
            &[
                ("do", "submit"),
                ("payer_profile_id", &medicare.id),
                ("submitted_on", future.as_str()),
                ("claimed_cents", ""),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.error_beside("submitted_on").is_some(), "{}", bad.body);
    assert!(claim_of().await.is_empty(), "nothing written");

    // Submitted for the payer's expected amount (Medicare's fixed MS-DRG 018 payment).
    let sent = finance
        .submit(
            &page,
            "claim-submit",
            &action,
            &[
                ("do", "submit"),
                ("payer_profile_id", &medicare.id),
                ("submitted_on", today.as_str()),
                ("claimed_cents", ""),
            ],
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let shown = finance.get(&page).await;
    shown.assert_has("$314,231.00 to Medicare");
    shown.assert_has("submitted, waiting for the payer");
    shown.assert_has(r#"id="claim-step""#);
    assert!(
        !shown.body.contains(r#"id="claim-submit""#),
        "one claim per case"
    );
    // The answers that may follow a submission, in words.
    shown.assert_has("Paid by the payer");
    shown.assert_has("Denied by the payer");
    assert!(
        !shown.body.contains(">Appealed<"),
        "no appeal before a denial"
    );

    // The claim and the version the page read travel with each answer.
    let at = || async {
        let c = claim_of().await.remove(0);
        (c.id, c.version.to_string())
    };
    // A payment above the amount claimed: refused beside the amount.
    let (claim_id, version) = at().await;
    let over = finance
        .submit(
            &page,
            "claim-step",
            &action,
            &[
                ("do", "step"),
                ("claim", &claim_id),
                ("version", &version),
                ("step", "paid"),
                ("on", today.as_str()),
                ("amount_cents", "400000"),
                ("reason", ""),
            ],
            None,
        )
        .await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        over.body
    );
    assert!(over.error_beside("amount_cents").is_some(), "{}", over.body);
    assert_eq!(claim_of().await[0].status, ClaimStatus::Submitted);

    // Denied with the payer's reason, then appealed.
    for (step, reason) in [
        (
            "denied",
            "the prior authorization ended before the infusion",
        ),
        ("appealed", ""),
    ] {
        let (claim_id, version) = at().await;
        let done = finance
            .submit(
                &page,
                "claim-step",
                &action,
                &[
                    ("do", "step"),
                    ("claim", &claim_id),
                    ("version", &version),
                    ("step", step),
                    ("on", today.as_str()),
                    ("amount_cents", ""),
                    ("reason", reason),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{step}: {}", done.body);
    }
    let shown = finance.get(&page).await;
    shown.assert_has("appealed, waiting for the outcome");
    shown.assert_has("the prior authorization ended before the infusion");
    let claim = claim_of().await.remove(0);
    assert_eq!(claim.status, ClaimStatus::Appealed);
    assert_eq!(claim.denied_on.as_ref(), Some(&today));
}
