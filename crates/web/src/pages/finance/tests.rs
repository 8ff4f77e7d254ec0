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

#[tokio::test]
async fn the_hospitals_finance_starts_adds_and_edits_payer_profiles_and_others_do_not() {
    let demo = seeded().await;
    let list = crate::paths::payers();
    let mut finance = Browser::signed_in(&demo, "finance@lakeshore.example").await;
    let hub = finance.get(&crate::paths::finance()).await;
    hub.assert_has(r#"id="payers-link""#);
    let empty = finance.get(&list).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    empty.assert_has("No payer profile yet.");
    empty.assert_has(r#"id="payer-defaults-form""#);

    // Started from the usual payers: Medicare's fixed payment, in dollars and percentages.
    let started = finance
        .submit(
            &list,
            "payer-defaults-form",
            &list,
            &[("do", "defaults")],
            None,
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let seen = finance.get(&list).await;
    seen.assert_has("Medicare");
    seen.assert_has("$314,231.00");
    seen.assert_has("8.4 %");
    assert!(
        !seen.body.contains(r#"id="payer-defaults-form""#),
        "nothing left to start from"
    );

    // What cannot be read is refused beside its field, and nothing is added.
    let bad = finance
        .submit(
            &list,
            "payer-form",
            &list,
            &[
                ("name", "Blue Lakes Health Plan"),
                ("fixed", "a lot"),
                ("price_share", ""),
                ("lag_median_days", "45"),
                ("lag_p90_days", "soon"),
                ("denial_rate", "120"),
                ("appeal_success_rate", "50"),
                ("appeal_median_days", "60"),
                ("appeal_p90_days", "120"),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.error_beside("fixed")
            .unwrap()
            .contains("not an amount in dollars")
    );
    assert!(
        bad.error_beside("lag_p90_days")
            .unwrap()
            .contains("whole number of days")
    );
    assert!(
        bad.error_beside("denial_rate")
            .unwrap()
            .contains("from 0 to 100")
    );
    // The domain's own rules come back beside the fields too: a payer that pays nothing, a
    // 90th percentile under the median.
    let unpaid = finance
        .submit(
            &list,
            "payer-form",
            &list,
            &[
                ("name", "Blue Lakes Health Plan"),
                ("fixed", ""),
                ("price_share", "0"),
                ("lag_median_days", "45"),
                ("lag_p90_days", "30"),
                ("denial_rate", "10"),
                ("appeal_success_rate", "50"),
                ("appeal_median_days", "60"),
                ("appeal_p90_days", "120"),
            ],
            None,
        )
        .await;
    assert_eq!(unpaid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unpaid
            .error_beside("fixed")
            .unwrap()
            .contains("fixed amount, a share of the price")
    );
    assert!(
        unpaid
            .error_beside("lag_p90_days")
            .unwrap()
            .contains("cannot be less than the median")
    );
    assert!(
        !finance
            .get(&list)
            .await
            .body
            .contains("Blue Lakes Health Plan")
    );

    let added = finance
        .submit(
            &list,
            "payer-form",
            &list,
            &[
                ("name", "Blue Lakes Health Plan"),
                ("fixed", ""),
                ("price_share", "95"),
                ("lag_median_days", "45"),
                ("lag_p90_days", "90"),
                ("denial_rate", "12.5"),
                ("appeal_success_rate", "50"),
                ("appeal_median_days", "60"),
                ("appeal_p90_days", "120"),
            ],
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let finance_caller = demo.caller("finance@lakeshore.example").await;
    let profiles = demo.app.payer_profiles(&finance_caller).await.unwrap();
    let blue = profiles
        .profiles
        .iter()
        .find(|p| p.name == "Blue Lakes Health Plan")
        .expect("added");
    assert_eq!((blue.price_share, blue.denial_rate), (0.95, 0.125));
    let seen = finance.get(&list).await;
    seen.assert_has("95 % of the price");
    seen.assert_has("12.5 %");

    // Edited at the version read: the page shows the figures as typed, the change is a new
    // version; a form read before it is refused as stale, nothing written.
    let page = crate::paths::payer(&blue.id);
    let edit = finance.get(&page).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    edit.assert_has(r#"name="price_share" type="text" value="95""#);
    edit.assert_has(r#"name="denial_rate" type="text" value="12.5""#);
    let mut fields = vec![
        ("name", "Blue Lakes Health Plan"),
        ("fixed", "1,000"),
        ("price_share", "95"),
        ("lag_median_days", "40"),
        ("lag_p90_days", "80"),
        ("denial_rate", "9"),
        ("appeal_success_rate", "50"),
        ("appeal_median_days", "60"),
        ("appeal_p90_days", "120"),
    ];
    let saved = finance
        .submit(&page, "payer-edit-form", &page, &fields, None)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let now = demo
        .app
        .payer_profile(&finance_caller, &blue.id)
        .await
        .unwrap();
    assert_eq!(
        (
            now.version,
            now.fixed_cents,
            now.lag_median_days,
            now.denial_rate
        ),
        (2, 100_000, 40, 0.09)
    );
    fields.push(("version", "1"));
    fields[5] = ("denial_rate", "30");
    let csrf = edit.field("csrf");
    fields.push(("csrf", &csrf));
    let stale = finance.post(&page, &fields).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let after = demo
        .app
        .payer_profile(&finance_caller, &blue.id)
        .await
        .unwrap();
    assert_eq!((after.version, after.denial_rate), (2, 0.09));

    // A nurse may not read them; to the manufacturer and another health system they do not
    // exist (the app answers 404 where the policy hides the kind).
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert_eq!(nurse.get(&list).await.status, StatusCode::FORBIDDEN);
    assert_eq!(nurse.get(&page).await.status, StatusCode::FORBIDDEN);
    let mut maker = Browser::signed_in(&demo, "finance@helixa.example").await;
    assert_eq!(maker.get(&list).await.status, StatusCode::NOT_FOUND);
    assert_eq!(maker.get(&page).await.status, StatusCode::NOT_FOUND);
    assert!(
        !maker
            .get(&crate::paths::finance())
            .await
            .body
            .contains(r#"id="payers-link""#)
    );
    let mut other = Browser::signed_in(&demo, "finance@piedmont.example").await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
    let posted = other.get(&list).await;
    assert_eq!(posted.status, StatusCode::OK, "its own, empty list");
    posted.assert_has("No payer profile yet.");
}
