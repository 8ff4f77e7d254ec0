//! Payment alignment (issue 14): the manufacturer proposes a program's payment terms, checked
//! field by field with nothing written when one is wrong; the health system's money roles read
//! them and its clinical roles see no money; a proposal or another tenant sees none. The
//! infusion (the terms' basis) enqueues the case's invoice in its own transaction; the job run
//! twice makes one invoice; the health system records payments, the manufacturer credits.

use super::support::*;
use cellpath_app::finance::invoices::NewSettlement;
use cellpath_app::finance::terms::NewTerms;
use cellpath_app::jobs::Job;
use cellpath_app::testing::infuse_stored_demo_case;
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::finance::{BasisEvent, TermsInput};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

fn terms(program_id: &str) -> NewTerms {
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

async fn propose(
    app: &App,
    who: &Caller,
    partnership: &str,
    input: NewTerms,
) -> Result<(), AppError> {
    app.propose_payment_terms(who, partnership, input, None)
        .await
        .map(|_| ())
}

async fn terms_count(app: &App, partnership: &str) -> usize {
    app.store()
        .payment_terms_of(partnership)
        .await
        .unwrap()
        .len()
}

/// The partnership between two demo organizations, by their names.
async fn partnership_of(app: &App, manufacturer: &str, health_system: &str) -> String {
    let m = org_id(app, manufacturer).await;
    let h = org_id(app, health_system).await;
    app.store()
        .partnerships_of(&m, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == h)
        .unwrap()
        .id
}

#[tokio::test]
async fn bad_terms_are_refused_by_field_and_nothing_is_written() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let finance = as_user(&app, "finance@helixa.example").await;
        let bad = |change: fn(&mut TermsInput)| {
            let mut t = terms(&ids.vantacel);
            change(&mut t.terms);
            t
        };
        for (input, field) in [
            (bad(|t| t.basis = "delivery".into()), "invalid: terms.basis"),
            (bad(|t| t.price_cents = -1), "invalid: terms.price_cents"),
            (bad(|t| t.net_days = 400), "invalid: terms.net_days"),
            (
                bad(|t| t.basis = "reimbursement".into()),
                "invalid: terms.backstop_days",
            ),
        ] {
            let r = propose(&app, &finance, &ids.partnership, input).await;
            assert_eq!(outcome(r), field, "{}", db.label);
        }
        let mut other = terms(&ids.vantacel);
        other.program_id = "prg_nothing".into();
        assert_eq!(
            outcome(propose(&app, &finance, &ids.partnership, other).await),
            "invalid: program_id"
        );
        assert_eq!(terms_count(&app, &ids.partnership).await, 0, "{}", db.label);

        propose(&app, &finance, &ids.partnership, terms(&ids.vantacel))
            .await
            .unwrap();
        let seen = app.payment_terms(&finance, &ids.partnership).await.unwrap();
        assert_eq!(seen.terms.len(), 1);
        assert!(seen.terms[0].in_force && seen.may_propose);
        assert_eq!(seen.terms[0].program_name, "Vantacel");
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn money_is_for_the_money_roles_of_the_parties_and_a_proposal_opens_none() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        propose(
            &app,
            &helixa_finance,
            &ids.partnership,
            terms(&ids.vantacel),
        )
        .await
        .unwrap();
        let read = |email: &'static str| {
            let app = &app;
            let partnership = ids.partnership.clone();
            async move {
                let who = as_user(app, email).await;
                outcome(app.payment_terms(&who, &partnership).await)
            }
        };
        assert_eq!(read("finance@lakeshore.example").await, "ok");
        assert_eq!(read("contracts@lakeshore.example").await, "ok");
        assert_eq!(read("nurse@lakeshore.example").await, "forbidden");
        assert_eq!(read("physician@lakeshore.example").await, "forbidden");
        assert_eq!(read("patient.ops@helixa.example").await, "forbidden");
        assert_eq!(read("finance@piedmont.example").await, "not found");

        // The health system sees the terms but does not propose them.
        let lakeshore_finance = as_user(&app, "finance@lakeshore.example").await;
        assert_eq!(
            outcome(
                propose(
                    &app,
                    &lakeshore_finance,
                    &ids.partnership,
                    terms(&ids.vantacel)
                )
                .await
            ),
            "forbidden"
        );
        assert!(
            !app.payment_terms(&lakeshore_finance, &ids.partnership)
                .await
                .unwrap()
                .may_propose
        );

        // Helixa × Cascade is a proposal: no money in it, to read or to write.
        let proposal =
            partnership_of(&app, "Helixa Therapeutics", "Cascade Regional Medical").await;
        assert_eq!(
            outcome(propose(&app, &helixa_finance, &proposal, terms(&ids.vantacel)).await),
            "not found"
        );
        assert_eq!(
            outcome(app.payment_terms(&helixa_finance, &proposal).await),
            "not found"
        );
        assert_eq!(terms_count(&app, &proposal).await, 0);
    }
}

#[tokio::test]
async fn the_infusion_makes_one_invoice_paid_by_the_health_system_and_credited_by_the_manufacturer()
{
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        let lakeshore_finance = as_user(&app, "finance@lakeshore.example").await;
        propose(
            &app,
            &helixa_finance,
            &ids.partnership,
            terms(&ids.vantacel),
        )
        .await
        .unwrap();
        let case_id = stored_case(&app, &ids).await;
        assert!(
            app.store()
                .invoice_of_case(&case_id)
                .await
                .unwrap()
                .is_none()
        );

        // The infusion's step enqueues the job in its transaction; the worker makes it.
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        app.run_due_jobs().await.unwrap();
        let invoice = app
            .store()
            .invoice_of_case(&case_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(invoice.basis_event, BasisEvent::Infusion, "{}", db.label);
        assert_eq!(invoice.price_cents, 47_500_000);
        assert_eq!(invoice.due_on, invoice.basis_on.plus_days(30));

        // Run again (a worker that vanished, a second enqueue): still one invoice.
        let job = Job::MakeInvoice {
            case_id: case_id.clone(),
        };
        app.run_job(&job).await.unwrap();
        app.run_job(&job).await.unwrap();
        let listed = app
            .invoices(&lakeshore_finance, &ids.partnership)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{}", db.label);
        assert_eq!(listed[0].id, invoice.id);
        assert_eq!(listed[0].pseudonym, "VAN-LUH-MAIN-0007");

        let today = today(&app).to_string();
        let settle = |kind: &str, cents: i64| NewSettlement {
            kind: kind.into(),
            amount_cents: cents,
            on: today.clone(),
        };
        // Payments are the health system's, credits the manufacturer's.
        assert_eq!(
            outcome(
                app.settle_invoice(&helixa_finance, &invoice.id, settle("payment", 100), None)
                    .await
            ),
            "forbidden"
        );
        let paid = app
            .settle_invoice(
                &lakeshore_finance,
                &invoice.id,
                settle("payment", 40_000_000),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(paid.open_cents, 7_500_000);
        assert_eq!(
            outcome(
                app.settle_invoice(
                    &helixa_finance,
                    &invoice.id,
                    settle("credit", 7_500_001),
                    None
                )
                .await
            ),
            "invalid: amount_cents"
        );
        assert_eq!(
            outcome(
                app.settle_invoice(&lakeshore_finance, &invoice.id, settle("refund", 1), None)
                    .await
            ),
            "invalid: kind"
        );
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert_eq!(
            outcome(app.invoices(&nurse, &ids.partnership).await),
            "forbidden"
        );
        let credited = app
            .settle_invoice(
                &helixa_finance,
                &invoice.id,
                settle("credit", 7_500_000),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!((credited.open_cents, credited.settlements.len()), (0, 2));
        let stored = app.store().invoice(&invoice.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.paid_cents, stored.credited_cents),
            (40_000_000, 7_500_000)
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn no_terms_no_invoice() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        app.run_due_jobs().await.unwrap();
        assert!(
            app.store()
                .invoice_of_case(&case_id)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn the_what_if_starts_from_the_health_systems_history_for_its_money_roles_only() {
    use cellpath_app::finance::what_if::{WEB_MAX_RUNS, scenario_fields, scenario_from_fields};
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa_finance = as_user(&app, "finance@helixa.example").await;
        propose(
            &app,
            &helixa_finance,
            &ids.partnership,
            terms(&ids.vantacel),
        )
        .await
        .unwrap();
        let finance = as_user(&app, "finance@lakeshore.example").await;
        let start = app.what_if_start(&finance).await.unwrap();
        let vantacel = start
            .programs
            .iter()
            .find(|p| p.name == "Vantacel")
            .expect("Vantacel observed");
        assert!(vantacel.cases > 0, "{}: the demo's cases", db.label);
        assert_eq!(vantacel.price_cents, Some(47_500_000));
        let scenario = start.scenario.clone().expect("a scenario");
        let program = scenario
            .programs
            .iter()
            .find(|p| p.id == "Vantacel")
            .unwrap();
        // The terms in force: net 30 at infusion, half the price back on a final denial.
        assert_eq!(program.terms.net_days, 30);
        assert_eq!(program.terms.denial_protection_fraction, 0.5);
        assert_eq!(program.price, 475_000.0);
        let expected = f64::from(vantacel.cases) / (start.window_days as f64 / 30.0).max(1.0);
        assert!((program.patients_per_month - expected).abs() < 1e-9);
        // The form's fields (rates to four places) read back to the scenario, and it runs.
        let back = scenario_from_fields(&scenario_fields(&scenario)).unwrap();
        assert_eq!(back.programs.len(), scenario.programs.len());
        for (a, b) in back.programs.iter().zip(&scenario.programs) {
            assert_eq!((&a.id, a.price, &a.terms), (&b.id, b.price, &b.terms));
            assert!((a.patients_per_month - b.patients_per_month).abs() < 1e-4);
        }
        assert_eq!(back.payers, scenario.payers);
        let report = app
            .run_what_if(&finance, scenario.with_runs(200))
            .await
            .unwrap();
        assert_eq!(report.runs, 200);
        assert_eq!(
            report.exposure_by_day.p50.len(),
            scenario.horizon_days as usize
        );
        assert_eq!(
            outcome(
                app.run_what_if(&finance, scenario.with_runs(WEB_MAX_RUNS + 1))
                    .await
            ),
            "invalid: runs"
        );

        // Not the clinical roles (403), not a manufacturer (404: a health system's exposure).
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert_eq!(outcome(app.what_if_start(&nurse).await), "forbidden");
        assert_eq!(
            outcome(app.run_what_if(&nurse, scenario.clone()).await),
            "forbidden"
        );
        assert_eq!(
            outcome(app.what_if_start(&helixa_finance).await),
            "not found"
        );
    }
}
