//! Payment alignment's projector (migration 0032): `payment_terms.created` writes a program's
//! dated terms, `invoice.created` a case's invoice (one per case: the unique index refuses a
//! second), `invoice.settled` a payment or credit, the invoice's sums and the health system's
//! exposure flow (migration 0035); `payer_profile.*` a health system's payer profiles;
//! `claim.created` and `claim.stepped` a case's claim, a payment also an exposure flow. Each
//! event is read into its type first.

use crate::StoreError;
use crate::project::{Bind, execute, invalid, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::finance::{
    ClaimCreated, ClaimStepped, InvoiceCreated, InvoiceSettled, PayerProfileCreated,
    PayerProfileUpdated, PaymentTermsCreated,
};
use cellpath_domain::finance::{ClaimStep, Settlement};
use cellpath_ledger::Event;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// A versioned row the update did not find at the version before the event's: someone else's
/// change came first (a conflict at its current version), or it does not exist.
async fn stale(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    kind: &'static str,
    id: String,
) -> StoreError {
    let current: Result<Option<(i64,)>, _> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT version FROM {table} WHERE id = $1"
    )))
    .bind(&id)
    .fetch_optional(&mut **tx)
    .await;
    match current {
        Ok(Some((current,))) => StoreError::Conflict { kind, id, current },
        Ok(None) => StoreError::NotFound { kind, id },
        Err(e) => e.into(),
    }
}

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    let at = event.recorded_at;
    if event.kind == PaymentTermsCreated::KIND {
        let e: PaymentTermsCreated = typed(event)?;
        let terms = serde_json::to_string(&e.new.terms)
            .map_err(|err| invalid(event, format!("its terms: {err}")))?;
        execute(
            tx,
            "INSERT INTO payment_terms (id, partnership_id, program_id, effective_on, terms, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
            vec![
                Bind::Text(e.id),
                Bind::Text(e.new.partnership_id),
                Bind::Text(e.new.program_id),
                Bind::Text(e.new.terms.effective_on.into()),
                Bind::Text(terms),
                Bind::Int(at),
            ],
        )
        .await?;
    } else if event.kind == InvoiceCreated::KIND {
        let e: InvoiceCreated = typed(event)?;
        let n = e.new;
        execute(
            tx,
            "INSERT INTO invoices (id, partnership_id, case_id, site_id, program_id, terms_id, basis_event, basis_on, price_cents, due_on, paid_cents, credited_cents, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, 1, $11, $11)",
            vec![
                Bind::Text(e.id),
                Bind::Text(n.partnership_id),
                Bind::Text(n.case_id),
                Bind::Text(n.site_id),
                Bind::Text(n.program_id),
                Bind::Text(n.terms_id),
                Bind::Text(n.basis_event.as_str().into()),
                Bind::Text(n.basis_on.into()),
                Bind::Int(n.price_cents),
                Bind::Text(n.due_on.into()),
                Bind::Int(at),
            ],
        )
        .await?;
    } else if event.kind == InvoiceSettled::KIND {
        let e: InvoiceSettled = typed(event)?;
        execute(
            tx,
            "INSERT INTO invoice_settlements (id, invoice_id, kind, amount_cents, settled_on, by_user, by_name, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                Bind::Text(e.id.clone()),
                Bind::Text(e.invoice_id.clone()),
                Bind::Text(e.kind.as_str().into()),
                Bind::Int(e.amount_cents),
                Bind::Text(e.on.clone().into()),
                Bind::Text(e.by.user_id.clone()),
                Bind::Text(e.by.name.clone()),
                Bind::Int(at),
            ],
        )
        .await?;
        let column = match e.kind {
            Settlement::Payment => "paid_cents",
            Settlement::Credit => "credited_cents",
        };
        let changed = execute(
            tx,
            &format!(
                "UPDATE invoices SET {column} = {column} + $2, version = version + 1, updated_at = $3 WHERE id = $1"
            ),
            vec![
                Bind::Text(e.invoice_id.clone()),
                Bind::Int(e.amount_cents),
                Bind::Int(at),
            ],
        )
        .await?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                kind: "invoice",
                id: e.invoice_id,
            });
        }
        // The health system's exposure: its payment goes out, the manufacturer's credit in.
        let (out, inn) = match e.kind {
            Settlement::Payment => (e.amount_cents, 0),
            Settlement::Credit => (0, e.amount_cents),
        };
        execute(
            tx,
            "INSERT INTO exposure_flows (source_id, org_id, kind, day, out_cents, in_cents) SELECT $1, s.org_id, $2, $3, $4, $5 FROM invoices i JOIN sites s ON s.id = i.site_id WHERE i.id = $6",
            vec![
                Bind::Text(e.id),
                Bind::Text(e.kind.as_str().into()),
                Bind::Text(e.on.into()),
                Bind::Int(out),
                Bind::Int(inn),
                Bind::Text(e.invoice_id),
            ],
        )
        .await?;
    } else if event.kind == PayerProfileCreated::KIND {
        let e: PayerProfileCreated = typed(event)?;
        let profile = serde_json::to_string(&e.new.profile)
            .map_err(|err| invalid(event, format!("its profile: {err}")))?;
        execute(
            tx,
            "INSERT INTO payer_profiles (id, org_id, name, profile, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
            vec![
                Bind::Text(e.id),
                Bind::Text(e.new.org_id),
                Bind::Text(e.new.profile.name),
                Bind::Text(profile),
                Bind::Int(at),
            ],
        )
        .await?;
    } else if event.kind == PayerProfileUpdated::KIND {
        let e: PayerProfileUpdated = typed(event)?;
        let profile = serde_json::to_string(&e.profile)
            .map_err(|err| invalid(event, format!("its profile: {err}")))?;
        let changed = execute(
            tx,
            "UPDATE payer_profiles SET name = $2, profile = $3, version = $4, updated_at = $5 WHERE id = $1 AND version = $6",
            vec![
                Bind::Text(e.id.clone()),
                Bind::Text(e.profile.name),
                Bind::Text(profile),
                Bind::Int(e.version),
                Bind::Int(at),
                Bind::Int(e.version - 1),
            ],
        )
        .await?;
        if changed == 0 {
            return Err(stale(tx, "payer_profiles", "payer profile", e.id).await);
        }
    } else if event.kind == ClaimCreated::KIND {
        let e: ClaimCreated = typed(event)?;
        let n = e.new;
        execute(
            tx,
            "INSERT INTO claims (id, org_id, case_id, site_id, partnership_id, program_id, payer_profile_id, payer_name, submitted_on, claimed_cents, expanded_access, status, last_on, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'submitted', $9, 1, $12, $12)",
            vec![
                Bind::Text(e.id),
                Bind::Text(n.org_id),
                Bind::Text(n.case_id),
                Bind::Text(n.site_id),
                Bind::Text(n.partnership_id),
                Bind::Text(n.program_id),
                Bind::Text(n.payer_profile_id),
                Bind::Text(n.payer_name),
                Bind::Text(n.submitted_on.into()),
                Bind::Int(n.claimed_cents),
                Bind::Int(i64::from(n.expanded_access)),
                Bind::Int(at),
            ],
        )
        .await?;
    } else if event.kind == ClaimStepped::KIND {
        let e: ClaimStepped = typed(event)?;
        let on: String = e.step.on().clone().into();
        let (sql, binds) = match &e.step {
            ClaimStep::Paid { amount_cents, .. } => (
                "status = 'paid', paid_cents = $4, paid_on = $3",
                vec![Bind::Int(*amount_cents)],
            ),
            ClaimStep::Denied { reason, .. } => (
                "status = 'denied', denied_on = $3, denial_reason = $4",
                vec![Bind::Text(reason.clone())],
            ),
            ClaimStep::Appealed { .. } => ("status = 'appealed', appealed_on = $3", vec![]),
            ClaimStep::Unpaid { .. } => ("status = 'unpaid', unpaid_on = $3", vec![]),
        };
        let mut all = vec![
            Bind::Text(e.claim_id.clone()),
            Bind::Int(e.version),
            Bind::Text(on.clone()),
        ];
        all.extend(binds);
        all.push(Bind::Int(at));
        all.push(Bind::Int(e.version - 1));
        let (n, previous) = (all.len() - 1, all.len());
        let changed = execute(
            tx,
            &format!(
                "UPDATE claims SET {sql}, last_on = $3, version = $2, updated_at = ${n} WHERE id = $1 AND version = ${previous}"
            ),
            all,
        )
        .await?;
        if changed == 0 {
            return Err(stale(tx, "claims", "claim", e.claim_id).await);
        }
        if let ClaimStep::Paid { amount_cents, .. } = e.step {
            execute(
                tx,
                "INSERT INTO exposure_flows (source_id, org_id, kind, day, out_cents, in_cents) SELECT id, org_id, 'claim', $2, 0, $3 FROM claims WHERE id = $1",
                vec![
                    Bind::Text(e.claim_id),
                    Bind::Text(on),
                    Bind::Int(amount_cents),
                ],
            )
            .await?;
        }
    } else {
        return Ok(false);
    }
    Ok(true)
}
