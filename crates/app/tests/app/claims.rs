//! Claims, payer profiles and exposure now (issue 14, points 2 and 3): the health system's
//! finance people start from DOMAIN.md's payer profiles and edit them in versions, refused by
//! field; submit a case's claim and record its steps, refused in words when out of order; read
//! their exposure — paid out minus received, days in accounts receivable, the cases waiting
//! longest. Their clinical colleagues get 403; the manufacturer and another tenant 404.

use super::support::*;
use cellpath_app::finance::claims::{NewClaim, NewClaimStep};
use cellpath_app::finance::invoices::NewSettlement;
use cellpath_app::finance::terms::NewTerms;
use cellpath_app::testing::infuse_stored_demo_case;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::finance::{ClaimStatus, ProfileInput, TermsInput};
use cellpath_store::testing::TestDb;

async fn start_profiles(app: &App, finance: &Caller) -> (String, String) {
    let made = app
        .start_payer_profiles_from_defaults(finance, None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let id = |name: &str| made.iter().find(|p| p.name == name).unwrap().id.clone();
    (id("Medicare"), id("Commercial"))
}

async fn propose_terms(app: &App, ids: &GateIds) {
    let helixa_finance = as_user(app, "finance@helixa.example").await;
    app.propose_payment_terms(
        &helixa_finance,
        &ids.partnership,
        NewTerms {
            program_id: ids.vantacel.clone(),
            terms: TermsInput {
                effective_on: "2020-01-01".into(),
                price_cents: 47_500_000,
                basis: "infusion".into(),
                backstop_days: None,
                net_days: 30,
                denial_protection_percent: 0,
                not_infused_credit_percent: 100,
                refund: None,
            },
        },
        None,
    )
    .await
    .unwrap();
}

fn step(step: &str, on: &str) -> NewClaimStep {
    NewClaimStep {
        step: step.into(),
        on: on.into(),
        amount_cents: None,
        reason: None,
    }
}

async fn take(
    app: &App,
    who: &Caller,
    claim: &str,
    s: NewClaimStep,
) -> Result<cellpath_app::finance::claims::ClaimView, AppError> {
    app.record_claim_step(who, claim, None, s, None)
        .await
        .map(|o| o.fresh().unwrap())
}

#[tokio::test]
async fn payer_profiles_start_from_the_defaults_and_are_edited_by_finance_in_versions() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let listed = app.payer_profiles(&finance).await.unwrap();
        assert!(listed.profiles.is_empty(), "{}", db.label);
        assert_eq!(listed.defaults.len(), 2);
        let (medicare, _) = start_profiles(&app, &finance).await;
        assert_eq!(
            outcome(app.start_payer_profiles_from_defaults(&finance, None).await),
            "this health system already has every default payer profile; edit them instead"
        );
        let listed = app.payer_profiles(&finance).await.unwrap();
        let m = listed.profiles.iter().find(|p| p.id == medicare).unwrap();
        assert_eq!(
            (m.fixed_cents, m.denial_rate, m.appeal_success_rate),
            (31_423_100, 0.084, 0.54)
        );

        // Every wrong field is named; nothing is written.
        let bad = ProfileInput {
            name: "Medicaid".into(),
            fixed_cents: -1,
            price_share: 0.5,
            lag_median_days: 60,
            lag_p90_days: 30,
            denial_rate: 0.167,
            appeal_success_rate: 1.2,
            appeal_median_days: 100,
            appeal_p90_days: 120,
        };
        match app.create_payer_profile(&finance, bad.clone(), None).await {
            Err(AppError::Invalid(fields)) => assert_eq!(
                fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                vec!["fixed_cents", "lag_p90_days", "appeal_success_rate"],
                "{}",
                db.label
            ),
            other => panic!("{}: {:?}", db.label, other.map(|_| ())),
        }
        assert_eq!(
            app.payer_profiles(&finance).await.unwrap().profiles.len(),
            2
        );
        let good = ProfileInput {
            fixed_cents: 0,
            lag_p90_days: 90,
            appeal_success_rate: 0.5,
            ..bad
        };
        app.create_payer_profile(&finance, good.clone(), None)
            .await
            .unwrap();
        assert_eq!(
            outcome(app.create_payer_profile(&finance, good, None).await),
            "name: this health system already has a payer profile with this name"
        );

        // A versioned edit: the version read, or a conflict.
        let mut edit = m.clone();
        edit.lag_median_days = 45;
        let input = ProfileInput {
            name: edit.name.clone(),
            fixed_cents: edit.fixed_cents,
            price_share: edit.price_share,
            lag_median_days: 45,
            lag_p90_days: edit.lag_p90_days,
            denial_rate: edit.denial_rate,
            appeal_success_rate: edit.appeal_success_rate,
            appeal_median_days: edit.appeal_median_days,
            appeal_p90_days: edit.appeal_p90_days,
        };
        let edited = app
            .update_payer_profile(&finance, &medicare, 1, input.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!((edited.version, edited.lag_median_days), (2, 45));
        assert!(matches!(
            app.update_payer_profile(&finance, &medicare, 1, input.clone(), None)
                .await,
            Err(AppError::Conflict { current: 2, .. })
        ));

        // Its clinical staff: 403; the manufacturer and another tenant: 404.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert_eq!(outcome(app.payer_profiles(&nurse).await), "forbidden");
        // Piedmont's contracts people ask about their own health system's: 403 there too.
        let piedmont = as_user(&app, "contracts@piedmont.example").await;
        assert_eq!(outcome(app.payer_profiles(&piedmont).await), "forbidden");
        for other in ["finance@helixa.example", "contracts@piedmont.example"] {
            let who = as_user(&app, other).await;
            if other.ends_with("helixa.example") {
                assert_eq!(
                    outcome(app.payer_profiles(&who).await),
                    "not found",
                    "{other}"
                );
            }
            assert_eq!(
                outcome(
                    app.update_payer_profile(&who, &medicare, 2, input.clone(), None)
                        .await
                ),
                "not found",
                "{other}"
            );
        }
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_claim_is_denied_appealed_and_paid_and_out_of_order_steps_are_refused_in_words() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let (medicare, _) = start_profiles(&app, &finance).await;
        let case_id = stored_case(&app, &ids).await;
        let today = today(&app);
        let submitted_on = today.plus_days(-60);
        let claim = app
            .submit_claim(
                &finance,
                &case_id,
                NewClaim {
                    payer_profile_id: medicare.clone(),
                    submitted_on: submitted_on.to_string(),
                    claimed_cents: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The profile's expectation: MS-DRG 018, not under expanded access.
        assert_eq!(claim.claimed_cents, 31_423_100, "{}", db.label);
        assert!(!claim.expanded_access);
        assert_eq!(claim.pseudonym, "VAN-LUH-MAIN-0007");
        assert_eq!(
            outcome(
                app.submit_claim(
                    &finance,
                    &case_id,
                    NewClaim {
                        payer_profile_id: medicare.clone(),
                        submitted_on: today.to_string(),
                        claimed_cents: Some(1),
                    },
                    None,
                )
                .await
            ),
            format!(
                "case VAN-LUH-MAIN-0007 already has its claim to Medicare (submitted on {submitted_on}, submitted, waiting for the payer): record its steps there"
            )
        );

        assert_eq!(
            outcome(
                take(
                    &app,
                    &finance,
                    &claim.id,
                    step("appealed", &today.to_string())
                )
                .await
            ),
            "an appeal needs a denial first: this claim is submitted, waiting for the payer"
        );
        let before = submitted_on.plus_days(-1).to_string();
        let mut paid_early = step("paid", &before);
        paid_early.amount_cents = Some(100);
        assert_eq!(
            outcome(take(&app, &finance, &claim.id, paid_early).await),
            "invalid: on"
        );
        assert_eq!(
            outcome(
                take(
                    &app,
                    &finance,
                    &claim.id,
                    step("denied", &today.to_string())
                )
                .await
            ),
            "invalid: reason"
        );
        let mut denied = step("denied", &submitted_on.plus_days(30).to_string());
        denied.reason = Some("medical necessity not shown".into());
        let c = take(&app, &finance, &claim.id, denied).await.unwrap();
        assert_eq!(c.status, ClaimStatus::Denied, "{}", db.label);
        let c = take(
            &app,
            &finance,
            &claim.id,
            step("appealed", &submitted_on.plus_days(35).to_string()),
        )
        .await
        .unwrap();
        assert_eq!((c.status, c.version), (ClaimStatus::Appealed, 3));
        let mut over = step("paid", &today.to_string());
        over.amount_cents = Some(31_423_101);
        assert_eq!(
            outcome(take(&app, &finance, &claim.id, over).await),
            "invalid: amount_cents"
        );
        // A stale version is a conflict.
        assert!(matches!(
            app.record_claim_step(
                &finance,
                &claim.id,
                Some(2),
                step("unpaid", &today.to_string()),
                None
            )
            .await,
            Err(AppError::Conflict { current: 3, .. })
        ));
        let mut paid = step("paid", &today.to_string());
        paid.amount_cents = Some(30_000_000);
        let c = take(&app, &finance, &claim.id, paid).await.unwrap();
        assert_eq!(
            (c.status, c.paid_cents, c.paid_on.clone()),
            (ClaimStatus::Paid, Some(30_000_000), Some(today.clone()))
        );
        assert_eq!(
            outcome(
                take(
                    &app,
                    &finance,
                    &claim.id,
                    step("unpaid", &today.to_string())
                )
                .await
            ),
            format!("this claim is paid since {today}: it takes no further step")
        );
        let stored = app.claim(&finance, &claim.id).await.unwrap();
        assert_eq!(stored.version, 4, "{}", db.label);
        assert_eq!(
            stored.denial_reason.as_deref(),
            Some("medical necessity not shown")
        );

        // The clinical staff: 403; the manufacturer (the claims are not theirs) and another
        // tenant: 404, the claim as well as the case's claims.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert_eq!(
            outcome(app.claims_of_case(&nurse, &case_id).await),
            "forbidden"
        );
        assert_eq!(
            outcome(take(&app, &nurse, &claim.id, step("unpaid", &today.to_string())).await),
            "forbidden"
        );
        for other in [
            "finance@helixa.example",
            "patient.ops@helixa.example",
            "contracts@piedmont.example",
        ] {
            let who = as_user(&app, other).await;
            assert_eq!(
                outcome(app.claims_of_case(&who, &case_id).await),
                "not found",
                "{other}"
            );
            assert_eq!(
                outcome(app.claim(&who, &claim.id).await),
                "not found",
                "{other}"
            );
            assert_eq!(
                outcome(take(&app, &who, &claim.id, step("unpaid", &today.to_string())).await),
                "not found",
                "{other}"
            );
        }
        assert_eq!(
            app.claims_of_case(&finance, &case_id).await.unwrap().len(),
            1
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn exposure_now_is_paid_out_minus_received_with_days_in_ar_and_the_longest_waiting() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        let (medicare, _) = start_profiles(&app, &finance).await;
        propose_terms(&app, &ids).await;
        let case_id = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        app.run_due_jobs().await.unwrap();
        let invoice = app
            .store()
            .invoice_of_case(&case_id)
            .await
            .unwrap()
            .unwrap();
        let today = today(&app);

        let before = app.exposure(&finance).await.unwrap();
        let waiting = before
            .waiting
            .iter()
            .find(|w| w.case_id == case_id)
            .expect("the infused case waits for its money");
        assert_eq!(waiting.pseudonym, "VAN-LUH-MAIN-0007", "{}", db.label);
        assert_eq!(waiting.claim_words, "no claim submitted yet");
        assert_eq!(waiting.invoice_price_cents, Some(47_500_000));

        let settle = |kind: &str, cents: i64| NewSettlement {
            kind: kind.into(),
            amount_cents: cents,
            on: today.to_string(),
        };
        app.settle_invoice(&finance, &invoice.id, settle("payment", 47_000_000), None)
            .await
            .unwrap();
        app.settle_invoice(
            &helixa_finance,
            &invoice.id,
            settle("credit", 500_000),
            None,
        )
        .await
        .unwrap();
        let claim = app
            .submit_claim(
                &finance,
                &case_id,
                NewClaim {
                    payer_profile_id: medicare.clone(),
                    submitted_on: today.to_string(),
                    claimed_cents: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let mid = app.exposure(&finance).await.unwrap();
        assert_eq!(
            (mid.paid_out_cents, mid.received_cents, mid.exposure_cents),
            (47_000_000, 500_000, 46_500_000),
            "{}",
            db.label
        );
        assert_eq!(mid.open_claims_cents, 31_423_100);
        // No claim paid in the last 90 days: days in A/R is not measurable.
        assert_eq!(mid.days_in_ar, None);
        let w = mid.waiting.iter().find(|w| w.case_id == case_id).unwrap();
        assert_eq!(w.claim_status, Some(ClaimStatus::Submitted));

        let mut paid = step("paid", &today.to_string());
        paid.amount_cents = Some(31_423_100);
        take(&app, &finance, &claim.id, paid).await.unwrap();
        let after = app.exposure(&finance).await.unwrap();
        assert_eq!(after.exposure_cents, 47_000_000 - 500_000 - 31_423_100);
        assert_eq!(after.by_day.last().unwrap().day, today);
        assert_eq!(after.claims_paid_90_days_cents, 31_423_100);
        assert_eq!((after.open_claims_cents, after.days_in_ar), (0, Some(0.0)));
        assert!(!after.waiting.iter().any(|w| w.case_id == case_id));

        // Only the health system's money people read it.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert_eq!(outcome(app.exposure(&nurse).await), "forbidden");
        assert_eq!(outcome(app.exposure(&helixa_finance).await), "not found");
        // Another health system's people read only their own (here, a role without money).
        let piedmont = as_user(&app, "contracts@piedmont.example").await;
        assert_eq!(outcome(app.exposure(&piedmont).await), "forbidden");
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn an_infusion_without_terms_enqueues_no_invoice_job() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        let key = format!("make_invoice:{case_id}");
        assert!(
            app.store().jobs_with_key(&key).await.unwrap().is_empty(),
            "{}",
            db.label
        );
    }
}
