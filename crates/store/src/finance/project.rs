//! Payment alignment's projector (migration 0032): `payment_terms.created` writes a program's
//! dated terms, `invoice.created` a case's invoice (one per case: the unique index refuses a
//! second), `invoice.settled` a payment or credit and the invoice's sums. Each event is read
//! into its type first.

use crate::StoreError;
use crate::project::{Bind, execute, invalid, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::finance::{InvoiceCreated, InvoiceSettled, PaymentTermsCreated};
use cellpath_domain::finance::Settlement;
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

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
    } else {
        return Ok(false);
    }
    Ok(true)
}
