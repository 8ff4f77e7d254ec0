//! A case's invoice and claim on its page, in the browser: the health system's finance person
//! starts the payer profiles, submits the claim, and sees it beside the manufacturer's invoice.

use super::*;

#[tokio::test]
async fn finance_submits_a_cases_claim_beside_its_invoice_on_the_case_page() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    // Helixa's terms invoice at the infusion: the demo's stored case is infused, its invoice
    // made by the job the infusion enqueued.
    let helixa = crate::support::as_user(&s.app, "finance@helixa.example").await;
    s.app
        .propose_payment_terms(
            &helixa,
            &helixa_lakeshore(&s.app).await,
            cellpath_app::finance::terms::NewTerms {
                program_id: vantacel(&s.app).await,
                terms: cellpath_domain::finance::TermsInput {
                    effective_on: "2020-01-01".into(),
                    price_cents: 47_500_000,
                    basis: "infusion".into(),
                    backstop_days: None,
                    net_days: 30,
                    denial_protection_percent: 50,
                    not_infused_credit_percent: 100,
                    refund: None,
                },
            },
            None,
        )
        .await
        .unwrap();
    let case = s.infused_case().await;
    crate::support::invoice_made(&s.app, &case).await;
    c.set_window_size(1280, 1600).await.unwrap();
    sign_in(c, &s, "finance@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    let money = text_of(c, "#money").await;
    assert!(
        money.contains("$475,000.00 at the infusion") && money.contains("No claim submitted"),
        "{money}"
    );
    click(c, "#money form.inline-action button[type=submit]").await;
    // The first payer offered (a commercial plan paying the price); dates are typed in the
    // browser's locale, so the value is set as the form sends it.
    let today = cellpath_domain::Date::of_micros(s.app.now());
    c.execute(
        "document.querySelector('#claim-submit [name=submitted_on]').value = arguments[0];",
        vec![json!(today.as_str())],
    )
    .await
    .unwrap();
    click(c, "#claim-submit button[type=submit]").await;
    let claim = text_of(c, "#claim").await;
    assert!(
        claim.contains("$475,000.00 to Commercial") && claim.contains("waiting for the payer"),
        "{claim}"
    );
    assert!(c.find(Locator::Css("#claim-step")).await.is_ok());
    c.execute("document.querySelector('#money').scrollIntoView();", vec![])
        .await
        .unwrap();
    std::fs::write(
        screenshot_dir().join("case-claim.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
