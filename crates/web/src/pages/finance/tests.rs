//! The finance pages as each role meets them: the manufacturer's money roles propose terms
//! (bad values beside their fields), both sides' money roles read them and the invoices, the
//! health system records a payment and the manufacturer a credit; other roles get 403, another
//! tenant and a proposal 404. The what-if starts from the health system's history and answers a
//! forecast with its charts and the recommended terms.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;
use cellpath_app::finance::terms::NewTerms;
use cellpath_app::finance::what_if::scenario_fields;
use cellpath_domain::finance::TermsInput;

const HELIXA: &str = "Helixa Therapeutics";
const LAKESHORE: &str = "Lakeshore University Health";

fn terms_input(program_id: &str) -> NewTerms {
    NewTerms {
        program_id: program_id.into(),
        terms: TermsInput {
            effective_on: "2020-01-01".into(),
            price_cents: 47_500_000,
            basis: "infusion".into(),
            backstop_days: None,
            net_days: 30,
            denial_protection_percent: 50,
            not_infused_credit_percent: 100,
            refund: None,
        },
    }
}

#[tokio::test]
async fn the_manufacturer_proposes_terms_both_money_roles_read_them_and_others_do_not() {
    let demo = seeded().await;
    let p = demo.partnership(HELIXA, LAKESHORE).await;
    let vantacel = demo.program(HELIXA, "Vantacel").await;
    let page = crate::paths::payment_terms(&p.id);

    let mut maker = Browser::signed_in(&demo, "finance@helixa.example").await;
    let empty = maker.get(&page).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    empty.assert_has("No payment terms yet.");
    empty.assert_has(r#"id="nav-finance""#);

    // A price that is no amount and net days out of range: each beside its field, nothing made.
    let refused = maker
        .submit(
            &page,
            "terms-form",
            &page,
            &[
                ("program_id", &vantacel.id),
                ("effective_on", "2020-01-01"),
                ("price", "a lot"),
                ("basis", "infusion"),
                ("net_days", "30"),
            ],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = refused.error_beside("price").expect("beside the price");
    assert!(beside.contains("not an amount in dollars"), "{beside}");
    let refused = maker
        .submit(
            &page,
            "terms-form",
            &page,
            &[
                ("program_id", &vantacel.id),
                ("effective_on", "2020-01-01"),
                ("price", "475,000"),
                ("basis", "reimbursement"),
                ("net_days", "400"),
            ],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_beside("net_days")
            .expect("beside net days")
            .contains("0 to 365")
    );
    assert!(refused.error_beside("backstop_days").is_some());
    refused.assert_has("No payment terms yet.");

    let made = maker
        .submit(
            &page,
            "terms-form",
            &page,
            &[
                ("program_id", &vantacel.id),
                ("effective_on", "2020-01-01"),
                ("price", "$475,000.00"),
                ("basis", "reimbursement"),
                ("backstop_days", "180"),
                ("net_days", "30"),
                ("denial_protection_percent", "50"),
                ("not_infused_credit_percent", "100"),
                ("refund_percent", "80"),
                ("refund_window_days", "365"),
            ],
            None,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);

    // The health system's finance reads them in words, and proposes nothing.
    let mut hospital = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let seen = hospital.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    for words in [
        "$475,000.00",
        "1 January 2020",
        "In force",
        "After the payer pays (invoiced at infusion); at the latest 180 days after the infusion",
        "30 days after the basis event",
        "50 % of the price credited when the claim is finally unpaid",
        "100 % of the price credited for a product shipped but never infused",
        "80 % of the price refunded when the patient does not respond within 365 days",
    ] {
        seen.assert_has(words);
    }
    assert!(!seen.body.contains(r#"id="terms-form""#));
    let partnership_page = hospital.get(&crate::paths::partnership(&p.id)).await;
    partnership_page.assert_has(r#"id="payment-terms-link""#);
    let hub = hospital.get(&crate::paths::finance()).await;
    assert_eq!(hub.status, StatusCode::OK);
    hub.assert_has(&crate::paths::payment_terms(&p.id));
    hub.assert_has(r#"id="what-if-link""#);
    // The health system may not propose, even by posting.
    let csrf = seen.field("csrf");
    let posted = hospital
        .post(
            &page,
            &[
                ("csrf", &csrf),
                ("program_id", &vantacel.id),
                ("effective_on", "2021-01-01"),
                ("price", "1"),
                ("basis", "infusion"),
                ("net_days", "30"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.body);

    // A nurse reads no money (403, and no link); another tenant and a proposal: 404.
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert_eq!(nurse.get(&page).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        nurse.get(&crate::paths::finance()).await.status,
        StatusCode::FORBIDDEN
    );
    let home = nurse.get(&crate::paths::partnership(&p.id)).await;
    assert!(!home.body.contains(r#"id="nav-finance""#));
    assert!(!home.body.contains(r#"id="payment-terms-link""#));
    let mut other = Browser::signed_in(&demo, "finance@piedmont.example").await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
    let proposal = demo.partnership(HELIXA, "Cascade Regional Medical").await;
    assert_eq!(
        maker
            .get(&crate::paths::payment_terms(&proposal.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_invoice_is_paid_by_the_hospital_and_credited_by_the_manufacturer_on_the_page() {
    let demo = seeded().await;
    let p = demo.partnership(HELIXA, LAKESHORE).await;
    let vantacel = demo.program(HELIXA, "Vantacel").await;
    let maker_finance = demo.caller("finance@helixa.example").await;
    demo.app
        .propose_payment_terms(&maker_finance, &p.id, terms_input(&vantacel.id), None)
        .await
        .expect("terms");
    let site = demo.site("LUH-MAIN").await;
    let case = demo
        .app
        .stored_case(&site.id)
        .await
        .expect("query")
        .expect("the demo's stored case");
    cellpath_app::testing::infuse_stored_demo_case(&demo.app, &case)
        .await
        .expect("infused");
    demo.app.run_due_jobs().await.expect("jobs");
    let invoice = demo
        .app
        .invoices(&maker_finance, &p.id)
        .await
        .expect("invoices")
        .into_iter()
        .find(|i| i.case_id == case)
        .expect("the case's invoice");
    let page = crate::paths::invoices(&p.id, None);

    let mut hospital = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let listed = hospital.get(&page).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.assert_has(&invoice.pseudonym);
    listed.assert_has("Vantacel");
    listed.assert_has(&format!("Infusion, {}", invoice.basis_on.words()));
    listed.assert_has(&invoice.due_on.words());
    listed.assert_has(r#"data-status="open""#);
    listed.assert_has("Record payment");
    let form = format!("settle-{}", invoice.id);
    let action = crate::paths::invoice_settlements(&p.id, &invoice.id);

    // More than is open, and no day: each beside its field; nothing recorded.
    let refused = hospital
        .submit(
            &page,
            &form,
            &action,
            &[("kind", "payment"), ("amount", "475,000.01"), ("on", "")],
            None,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .error_beside("amount")
            .expect("beside the amount")
            .contains("at most the amount still open")
    );
    assert!(refused.error_beside("on").is_some(), "{}", refused.body);
    let today = cellpath_domain::Date::of_micros(demo.app.now()).to_string();
    let paid = hospital
        .submit(
            &page,
            &form,
            &action,
            &[("kind", "payment"), ("amount", "400,000"), ("on", &today)],
            None,
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let after = hospital.get(&page).await;
    after.assert_has("Payment of $400,000.00");
    after.assert_has("$75,000.00");

    // The manufacturer credits the rest; the invoice is settled.
    let mut maker = Browser::signed_in(&demo, "finance@helixa.example").await;
    let shown = maker.get(&page).await;
    shown.assert_has("Record credit");
    let credited = maker
        .submit(
            &page,
            &form,
            &action,
            &[("kind", "credit"), ("amount", "75000"), ("on", &today)],
            None,
        )
        .await;
    assert_eq!(credited.status, StatusCode::SEE_OTHER, "{}", credited.body);
    let settled = maker
        .get(&crate::paths::invoices(&p.id, Some("settled")))
        .await;
    settled.assert_has(&invoice.pseudonym);
    settled.assert_has("Settled (1)");
    let open = maker
        .get(&crate::paths::invoices(&p.id, Some("open")))
        .await;
    assert!(!open.body.contains(&invoice.pseudonym));
    open.assert_has("No invoices stand this way.");
    assert_eq!(
        maker
            .get(&crate::paths::invoices(&p.id, Some("lost")))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert_eq!(nurse.get(&page).await.status, StatusCode::FORBIDDEN);
    let mut ops = Browser::signed_in(&demo, "patient.ops@helixa.example").await;
    assert_eq!(ops.get(&page).await.status, StatusCode::FORBIDDEN);
    let mut other = Browser::signed_in(&demo, "finance@piedmont.example").await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_what_if_starts_from_the_hospital_history_and_answers_a_forecast() {
    let demo = seeded().await;
    let page = crate::paths::what_if();
    let mut hospital = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let shown = hospital.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    shown.assert_has("What your history shows");
    shown.assert_has("Vantacel");
    shown.assert_has(r#"name="program[0].price""#);
    shown.assert_has("None proposed: net 30 days at infusion assumed");
    assert!(!shown.body.contains(r#"id="results""#));

    let start = demo
        .app
        .what_if_start(&demo.caller("finance@lakeshore.example").await)
        .await
        .expect("a start");
    let scenario = start.scenario.expect("Lakeshore gives two programs");
    let fields = scenario_fields(&scenario.with_runs(300));
    let with = |key: &str, value: &str| -> Vec<(String, String)> {
        let mut f = fields.clone();
        f.retain(|(k, _)| k != key);
        f.push((key.to_string(), value.to_string()));
        f
    };
    async fn post(
        b: &mut Browser<'_>,
        page: &str,
        fields: &[(String, String)],
    ) -> crate::testing::Answer {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        b.submit(page, "what-if-form", page, &refs, None).await
    }

    let ran = post(&mut hospital, &page, &fields).await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.body);
    ran.assert_has("This is a forecast, not a record: 300 simulated runs");
    ran.assert_has(r#"id="cashflow-fan""#);
    ran.assert_has(r#"id="cashflow-peaks""#);
    ran.assert_has(r#"id="aligned-terms""#);
    ran.assert_has(r#"id="p-over-cap""#);
    ran.assert_has("net 30 days at infusion");
    ran.assert_has(r#"id="margins""#);

    // Bad values come back beside their fields, named as the scenario names them.
    let bad = post(&mut hospital, &page, &with("program[0].price", "-5")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.error_beside("program[0].price")
            .expect("beside the price")
            .contains("≥ 0")
    );
    assert!(!bad.body.contains(r#"id="results""#));
    let bad = post(&mut hospital, &page, &with("payer[0].lag_p90_days", "1")).await;
    assert!(
        bad.error_beside("payer[0].lag_p90_days")
            .expect("beside the payer's P90")
            .contains("below the median")
    );
    let bad = post(&mut hospital, &page, &with("runs", "50000")).await;
    assert!(
        bad.error_beside("runs")
            .expect("beside the runs")
            .contains("at most 20000")
    );

    // A nurse: 403; a manufacturer's finance: 404 (the model is a health system's exposure).
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert_eq!(nurse.get(&page).await.status, StatusCode::FORBIDDEN);
    let mut maker = Browser::signed_in(&demo, "finance@helixa.example").await;
    assert_eq!(maker.get(&page).await.status, StatusCode::NOT_FOUND);
    let hub = maker.get(&crate::paths::finance()).await;
    assert!(!hub.body.contains(r#"id="what-if-link""#));
}
