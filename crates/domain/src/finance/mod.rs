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
