//! Payment alignment (DESIGN.md §4.6; issue 14), pure: the payment terms a manufacturer
//! proposes per partnership and program (`terms.rs`) and the invoice they make at a case's
//! basis event (`invoice.rs`); on the health system's side, its payers' profiles (`payer.rs`)
//! and each case's claim (`claim.rs`), and how much it has out (`exposure.rs`). Amounts are US
//! cents; days are whole days.

pub mod claim;
pub mod exposure;
pub mod invoice;
pub mod payer;
pub mod terms;

pub use claim::{Claim, ClaimRefusal, ClaimStatus, ClaimStep};
pub use invoice::{BasisEvent, Settlement, basis_event, due_on};
pub use payer::{PayerProfile, ProfileInput, default_profiles};
pub use terms::{OutcomesRefund, PaymentBasis, PaymentTerms, TermsInput};

/// US cents as people write dollars: `41030000` → `$410,300.00`, `-50` → `-$0.50` — the one
/// formatting the inbox, the pages and the command line share.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod dollars_tests {
    #[test]
    fn cents_read_as_dollars_grouped_by_thousands() {
        assert_eq!(super::dollars(47_500_000), "$475,000.00");
        assert_eq!(super::dollars(7_500_001), "$75,000.01");
        assert_eq!(super::dollars(99), "$0.99");
        assert_eq!(super::dollars(-50), "-$0.50");
        assert_eq!(super::dollars(100_000_000_000), "$1,000,000,000.00");
    }
}
