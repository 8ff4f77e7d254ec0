//! Payment alignment (DESIGN.md §4.6; issue 14), pure: the payment terms a manufacturer
//! proposes per partnership and program (`terms.rs`) and the invoice they make at a case's
//! basis event (`invoice.rs`). Amounts are US cents; days are whole days.

pub mod invoice;
pub mod terms;

pub use invoice::{BasisEvent, Settlement, basis_event, due_on};
pub use terms::{OutcomesRefund, PaymentBasis, PaymentTerms, TermsInput};
