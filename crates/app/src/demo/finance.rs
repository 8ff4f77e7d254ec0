//! Money in the demo's history (issue 14), through the same commands people use: Helixa's
//! payment terms for Vantacel at Lakeshore proposed before the history's first patient
//! ([`terms`]: $475,000 invoiced at the first infusion, net 30, half the loss of a denied
//! claim carried by Helixa, a full credit for a product never infused), so each infused case
//! is invoiced by the invoicing job on its infusion day; then, at the end of the history
//! ([`money`]), Lakeshore's finance people start their payer profiles from DOMAIN.md's defaults
//! and record what happened since, each on its day: invoices paid a few days before they fell
//! due (one paid late, the newest still open, one overdue), and a claim per infused case —
//! paid after each payer's lag, one denied then paid on appeal, one denied with its appeal
//! waiting, the newest still waiting.

use super::user;
use crate::finance::claims::{NewClaim, NewClaimStep};
use crate::finance::invoices::NewSettlement;
use crate::finance::terms::NewTerms;
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::finance::TermsInput;

/// Helixa's finance lead proposes Vantacel's terms at Lakeshore, in force from today.
pub(super) async fn terms(app: &App) -> Result<(), AppError> {
    let super::Launch {
        pship, vantacel, ..
    } = super::launch(app).await?;
    let finance = user(app, "finance@helixa.example").await?;
    app.propose_payment_terms(
        &finance,
        &pship.id,
        NewTerms {
            program_id: vantacel.id.clone(),
            terms: TermsInput {
                effective_on: Date::of_micros(app.now()).as_str().to_string(),
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
    .await?
    .fresh()?;
    Ok(())
}

/// What Lakeshore's finance people recorded over the history, each on its day (none after
/// today): payments against Helixa's invoices and claims to the payers.
pub(super) async fn money(app: &App) -> Result<(), AppError> {
    // The invoices the infusions' jobs make (dated by the infusion, whenever the job runs).
    app.run_due_jobs().await?;
    let super::Launch { pship, .. } = super::launch(app).await?;
    let finance = user(app, "finance@lakeshore.example").await?;
    let today = Date::of_micros(app.now());
    let profiles = app
        .start_payer_profiles_from_defaults(&finance, None)
        .await?
        .fresh()?;
    if profiles.is_empty() {
        return Err(AppError::Internal("demo: no payer profile".into()));
    }
    let mut invoices = app.invoices(&finance, &pship.id).await?;
    invoices.sort_by(|a, b| a.basis_on.cmp(&b.basis_on));
    for (i, invoice) in invoices.iter().enumerate() {
        // Paid three days before it falls due; every seventh a fortnight late; the eleventh
        // not at all (overdue by now, or still open when it is the newest).
        let pay_on = match i % 11 {
            10 => None,
            _ if i % 7 == 3 => Some(invoice.due_on.plus_days(14)),
            _ => Some(invoice.due_on.plus_days(-3)),
        };
        if let Some(on) = pay_on.filter(|on| *on < today) {
            app.settle_invoice(
                &finance,
                &invoice.id,
                NewSettlement {
                    kind: "payment".into(),
                    amount_cents: invoice.open_cents,
                    on: on.as_str().to_string(),
                },
                None,
            )
            .await?
            .fresh()?;
        }
        // The claim, a week after the infusion, to the payers in turn.
        let submitted = invoice.basis_on.plus_days(7);
        if submitted >= today {
            continue;
        }
        let profile = &profiles[i % profiles.len()];
        let claim = app
            .submit_claim(
                &finance,
                &invoice.case_id,
                NewClaim {
                    payer_profile_id: profile.id.clone(),
                    submitted_on: submitted.as_str().to_string(),
                    claimed_cents: None,
                },
                None,
            )
            .await?
            .fresh()?;
        let step =
            |step: &str, on: &Date, amount: Option<i64>, reason: Option<&str>| NewClaimStep {
                step: step.into(),
                on: on.as_str().to_string(),
                amount_cents: amount,
                reason: reason.map(str::to_string),
            };
        let mut steps = Vec::new();
        match i % 9 {
            // Denied for the prior authorization's dates, then paid on appeal.
            4 => {
                let denied = submitted.plus_days(30);
                let appealed = denied.plus_days(9);
                steps.push(step(
                    "denied",
                    &denied,
                    None,
                    Some("the prior authorization on file ended before the infusion day"),
                ));
                steps.push(step("appealed", &appealed, None, None));
                steps.push(step(
                    "paid",
                    &appealed.plus_days(40),
                    Some(claim.claimed_cents),
                    None,
                ));
            }
            // Denied as not medically necessary; the appeal waits.
            7 => {
                let denied = submitted.plus_days(25);
                steps.push(step(
                    "denied",
                    &denied,
                    None,
                    Some("not medically necessary: a second line of therapy was not documented"),
                ));
                steps.push(step("appealed", &denied.plus_days(12), None, None));
            }
            // Paid after the payer's usual lag, a little over for some.
            _ => steps.push(step(
                "paid",
                &submitted.plus_days(profile.lag_median_days + (i as i64 % 4) * 6),
                Some(claim.claimed_cents),
                None,
            )),
        }
        let mut version = claim.version;
        for s in steps {
            if Date::parse(&s.on).map_or(true, |on| on >= today) {
                break;
            }
            version = app
                .record_claim_step(&finance, &claim.id, Some(version), s, None)
                .await?
                .fresh()?
                .version;
        }
    }
    Ok(())
}
