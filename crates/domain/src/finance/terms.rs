//! Payment terms per partnership and program (issue 14, point 1): a dated price, the basis
//! event the invoice is made at (shipment, infusion, or the payer's payment with a backstop),
//! net days, denial protection, the credit for a product shipped but never infused, and an
//! optional outcomes-based refund. `TermsInput::check` is the only way to `PaymentTerms`: every
//! field is checked and every problem named by its field.

use crate::Date;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// The event whose day the net days run from.
    PaymentBasis, "payment basis" {
        /// The product's handoff to the courier at the manufacturer.
        Shipment => "shipment",
        /// The first administration that put product into the patient.
        Infusion => "infusion",
        /// The payer's payment of the case's claim, or the backstop day after the infusion,
        /// whichever comes first.
        Reimbursement => "reimbursement",
    }
);

/// The longest net days and backstop the terms may name.
pub const MAX_NET_DAYS: i64 = 365;
pub const MAX_BACKSTOP_DAYS: i64 = 730;
/// The longest window of an outcomes-based refund (Zynteglo's is two years, Roctavian's four).
pub const MAX_REFUND_WINDOW_DAYS: i64 = 3_650;
/// The largest price in cents the ledger's integers hold exactly.
const MAX_CENTS: i64 = (1 << 53) - 1;

/// An outcomes-based refund to the health system when the patient does not respond.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesRefund {
    /// Share of the price refunded, in percent (1–100).
    pub percent: i64,
    /// Days after the infusion within which a non-response is refunded.
    pub window_days: i64,
}

/// Checked payment terms, as the ledger records them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTerms {
    /// The first day these terms apply (to cases whose basis event falls on or after it).
    pub effective_on: Date,
    /// The price of one patient's product, US cents.
    pub price_cents: i64,
    pub basis: PaymentBasis,
    /// Basis `reimbursement`: the latest day after the infusion from which the net days run
    /// when the payer has not paid; none for the other bases.
    pub backstop_days: Option<i64>,
    /// Days from the basis event to the invoice's due date (0–365).
    pub net_days: i64,
    /// Share of the price credited when the claim is finally unpaid, in percent (0–100).
    pub denial_protection_percent: i64,
    /// Share of the price credited for a product shipped but never infused, in percent.
    pub not_infused_credit_percent: i64,
    pub refund: Option<OutcomesRefund>,
}

/// Terms as a form or an API call sends them: raw, to be checked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// `YYYY-MM-DD`.
    pub effective_on: String,
    pub price_cents: i64,
    /// `shipment`, `infusion` or `reimbursement`.
    pub basis: String,
    #[serde(default)]
    pub backstop_days: Option<i64>,
    pub net_days: i64,
    #[serde(default)]
    pub denial_protection_percent: i64,
    #[serde(default)]
    pub not_infused_credit_percent: i64,
    #[serde(default)]
    pub refund: Option<OutcomesRefund>,
}

fn percent(
    problems: &mut Vec<(&'static str, String)>,
    field: &'static str,
    value: i64,
    min: i64,
) -> i64 {
    if !(min..=100).contains(&value) {
        problems.push((
            field,
            format!("must be a percent from {min} to 100, not {value}"),
        ));
    }
    value
}

impl TermsInput {
    /// The terms, or every problem by field (`field`, what is wrong and what is allowed).
    pub fn check(&self) -> Result<PaymentTerms, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let effective_on = Date::parse(&self.effective_on)
            .map_err(|e| problems.push(("effective_on", e.to_string())))
            .ok();
        if !(1..=MAX_CENTS).contains(&self.price_cents) {
            problems.push((
                "price_cents",
                format!("must be more than 0 cents, not {}", self.price_cents),
            ));
        }
        let basis = match self.basis.trim().parse::<PaymentBasis>() {
            Ok(b) => Some(b),
            Err(_) => {
                problems.push((
                    "basis",
                    format!(
                        "'{}' is not a basis: shipment, infusion or reimbursement",
                        self.basis.trim().chars().take(30).collect::<String>()
                    ),
                ));
                None
            }
        };
        match (basis, self.backstop_days) {
            (Some(PaymentBasis::Reimbursement), None) => problems.push((
                "backstop_days",
                "basis reimbursement needs a backstop: the latest day after the infusion from which the net days run".into(),
            )),
            (Some(PaymentBasis::Reimbursement), Some(d)) if !(1..=MAX_BACKSTOP_DAYS).contains(&d) => {
                problems.push((
                    "backstop_days",
                    format!("must be from 1 to {MAX_BACKSTOP_DAYS} days, not {d}"),
                ))
            }
            (Some(PaymentBasis::Shipment | PaymentBasis::Infusion), Some(_)) => problems.push((
                "backstop_days",
                "only basis reimbursement has a backstop: leave it out".into(),
            )),
            _ => {}
        }
        if !(0..=MAX_NET_DAYS).contains(&self.net_days) {
            problems.push((
                "net_days",
                format!(
                    "must be from 0 to {MAX_NET_DAYS} days, not {}",
                    self.net_days
                ),
            ));
        }
        let denial = percent(
            &mut problems,
            "denial_protection_percent",
            self.denial_protection_percent,
            0,
        );
        let not_infused = percent(
            &mut problems,
            "not_infused_credit_percent",
            self.not_infused_credit_percent,
            0,
        );
        if let Some(r) = &self.refund {
            percent(&mut problems, "refund.percent", r.percent, 1);
            if !(1..=MAX_REFUND_WINDOW_DAYS).contains(&r.window_days) {
                problems.push((
                    "refund.window_days",
                    format!(
                        "must be from 1 to {MAX_REFUND_WINDOW_DAYS} days, not {}",
                        r.window_days
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(PaymentTerms {
            effective_on: effective_on.expect("checked"),
            price_cents: self.price_cents,
            basis: basis.expect("checked"),
            backstop_days: self.backstop_days,
            net_days: self.net_days,
            denial_protection_percent: denial,
            not_infused_credit_percent: not_infused,
            refund: self.refund.clone(),
        })
    }
}

impl PaymentTerms {
    /// The terms in force on `day` among a program's dated terms: the latest effective on or
    /// before it.
    pub fn in_force<'a>(terms: &'a [PaymentTerms], day: &Date) -> Option<&'a PaymentTerms> {
        terms
            .iter()
            .filter(|t| &t.effective_on <= day)
            .max_by(|a, b| a.effective_on.cmp(&b.effective_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TermsInput {
        TermsInput {
            effective_on: "2026-01-01".into(),
            price_cents: 47_500_000,
            basis: "infusion".into(),
            backstop_days: None,
            net_days: 30,
            denial_protection_percent: 0,
            not_infused_credit_percent: 100,
            refund: None,
        }
    }

    fn fields(i: TermsInput) -> Vec<&'static str> {
        i.check().unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn net_30_at_infusion_is_terms() {
        let t = input().check().unwrap();
        assert_eq!((t.basis, t.net_days), (PaymentBasis::Infusion, 30));
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            fields(TermsInput {
                basis: "delivery".into(),
                ..input()
            }),
            ["basis"]
        );
        assert_eq!(
            fields(TermsInput {
                price_cents: -5,
                ..input()
            }),
            ["price_cents"]
        );
        assert_eq!(
            fields(TermsInput {
                net_days: 366,
                ..input()
            }),
            ["net_days"]
        );
        assert_eq!(
            fields(TermsInput {
                net_days: -1,
                ..input()
            }),
            ["net_days"]
        );
        assert_eq!(
            fields(TermsInput {
                denial_protection_percent: 101,
                ..input()
            }),
            ["denial_protection_percent"]
        );
        assert_eq!(
            fields(TermsInput {
                refund: Some(OutcomesRefund {
                    percent: 0,
                    window_days: 0
                }),
                ..input()
            }),
            ["refund.percent", "refund.window_days"]
        );
        assert_eq!(
            fields(TermsInput {
                effective_on: "soon".into(),
                price_cents: 0,
                ..input()
            }),
            ["effective_on", "price_cents"]
        );
    }

    #[test]
    fn a_backstop_goes_with_reimbursement_only() {
        let r = TermsInput {
            basis: "reimbursement".into(),
            ..input()
        };
        assert_eq!(fields(r.clone()), ["backstop_days"]);
        assert!(
            TermsInput {
                backstop_days: Some(180),
                ..r
            }
            .check()
            .is_ok()
        );
        assert_eq!(
            fields(TermsInput {
                backstop_days: Some(180),
                ..input()
            }),
            ["backstop_days"]
        );
    }

    #[test]
    fn the_latest_terms_on_or_before_a_day_are_in_force() {
        let a = input().check().unwrap();
        let b = TermsInput {
            effective_on: "2026-07-01".into(),
            net_days: 60,
            ..input()
        }
        .check()
        .unwrap();
        let all = [b.clone(), a.clone()];
        let on =
            |d: &str| PaymentTerms::in_force(&all, &Date::parse(d).unwrap()).map(|t| t.net_days);
        assert_eq!(on("2025-12-31"), None);
        assert_eq!(on("2026-03-01"), Some(30));
        assert_eq!(on("2026-07-01"), Some(60));
    }
}
