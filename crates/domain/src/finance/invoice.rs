//! The invoice the terms make for a case (issue 14, point 1): at which of the case's events it
//! is made and when it falls due. Basis `reimbursement` makes it at the infusion, due the net
//! days after the payer's payment or after the backstop day, whichever comes first.

use super::terms::{PaymentBasis, PaymentTerms};
use crate::Date;
use crate::events::cases::CaseEvent;
use crate::figures::Milestone;
use crate::journey::Item;

vocabulary!(
    /// The case event an invoice is made at.
    BasisEvent, "basis event" {
        /// The product's handoff to the courier.
        Shipment => "shipment",
        /// The first administration that put product into the patient.
        Infusion => "infusion",
    }
);

vocabulary!(
    /// Money recorded against an invoice.
    Settlement, "settlement" {
        /// Paid by the health system to the manufacturer.
        Payment => "payment",
        /// Credited by the manufacturer: a product never infused, a claim finally denied
        /// under denial protection, an outcomes-based refund.
        Credit => "credit",
    }
);

impl PaymentTerms {
    /// The case event that makes the invoice under these terms; none when the product was
    /// infused under expanded access (out of specification, infused on the physician's request
    /// under an expanded-access protocol): the hospital gets no invoice (DOMAIN.md, operations
    /// table), and its claim is the reduced inpatient payment (`PayerProfile::expected_cents`).
    pub fn invoiced_at(&self, expanded_access: bool) -> Option<BasisEvent> {
        if expanded_access {
            return None;
        }
        Some(match self.basis {
            PaymentBasis::Shipment => BasisEvent::Shipment,
            PaymentBasis::Infusion | PaymentBasis::Reimbursement => BasisEvent::Infusion,
        })
    }
}

/// The basis event a case's event marks, and when (micros): the first handoff of a product
/// unit is its shipment, the first administration that put product into the patient its
/// infusion (the same reading as the vein-to-vein figures'). The app keeps the first of each.
pub fn basis_event(event: &CaseEvent) -> Option<(BasisEvent, i64)> {
    match event {
        CaseEvent::CustodyRecorded(c) if c.items.iter().any(|i| matches!(i, Item::Unit(_))) => {
            Some((BasisEvent::Shipment, c.at))
        }
        _ => match crate::figures::milestone(event) {
            Some((Milestone::Infused, at)) => Some((BasisEvent::Infusion, at)),
            _ => None,
        },
    }
}

/// The invoice's due date: `net_days` after the basis event's day; for basis reimbursement
/// after the payer's payment (`payer_paid_on`) or the backstop day, whichever is first.
pub fn due_on(terms: &PaymentTerms, basis_day: &Date, payer_paid_on: Option<&Date>) -> Date {
    let from = match (terms.basis, terms.backstop_days) {
        (PaymentBasis::Reimbursement, Some(backstop)) => {
            let backstop = basis_day.plus_days(backstop);
            match payer_paid_on {
                Some(paid) if paid < &backstop => paid.clone(),
                _ => backstop,
            }
        }
        _ => basis_day.clone(),
    };
    from.plus_days(terms.net_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::TermsInput;

    fn terms(basis: &str, backstop: Option<i64>) -> PaymentTerms {
        TermsInput {
            effective_on: "2026-01-01".into(),
            price_cents: 47_500_000,
            basis: basis.into(),
            backstop_days: backstop,
            net_days: 30,
            ..TermsInput::default()
        }
        .check()
        .unwrap()
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn net_days_run_from_the_basis_event() {
        let t = terms("shipment", None);
        assert_eq!(t.invoiced_at(false), Some(BasisEvent::Shipment));
        assert_eq!(t.invoiced_at(true), None);
        assert_eq!(due_on(&t, &d("2026-03-01"), None), d("2026-03-31"));
        let t = terms("infusion", None);
        assert_eq!(t.invoiced_at(false), Some(BasisEvent::Infusion));
        assert_eq!(
            due_on(&t, &d("2026-03-01"), Some(&d("2026-03-05"))),
            d("2026-03-31")
        );
    }

    #[test]
    fn reimbursement_runs_from_the_payment_or_the_backstop_whichever_is_first() {
        let t = terms("reimbursement", Some(180));
        assert_eq!(t.invoiced_at(false), Some(BasisEvent::Infusion));
        // No payment yet: the backstop (28 August) plus 30 days.
        assert_eq!(due_on(&t, &d("2026-03-01"), None), d("2026-09-27"));
        assert_eq!(
            due_on(&t, &d("2026-03-01"), Some(&d("2026-05-01"))),
            d("2026-05-31")
        );
        assert_eq!(
            due_on(&t, &d("2026-03-01"), Some(&d("2026-12-01"))),
            d("2026-09-27")
        );
    }
}
