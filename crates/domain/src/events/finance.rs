//! Payment alignment's events (DESIGN.md §4.6; issue 14), on the partnership's ledger: the
//! payment terms the manufacturer proposes for a program (`payment_terms.created`, one record
//! per dated set of terms; the latest effective on a day is in force), and the invoices those
//! terms make for a case with what was paid and credited against them.
//!
//! On the health system's ledger (its own, never the manufacturer's): its payers' profiles
//! (`payer_profile.created`, `payer_profile.updated` with the whole profile as edited) and each
//! case's claim (`claim.created` at its submission, `claim.stepped` for each later step).
//!
//! Listed by `events::each_not_yet_recorded`: no record of an earlier release holds them.

use super::{Created, events};
use crate::Date;
use crate::finance::{BasisEvent, ClaimStep, PayerProfile, PaymentTerms, Settlement};
use serde::{Deserialize, Serialize};

/// A program's payment terms in a partnership, from a day on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTermsFields {
    pub partnership_id: String,
    pub program_id: String,
    pub terms: PaymentTerms,
}

pub type PaymentTermsCreated = Created<PaymentTermsFields>;

/// The invoice for a case, made by the job its basis event enqueued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceFields {
    pub partnership_id: String,
    pub case_id: String,
    pub site_id: String,
    pub program_id: String,
    /// The terms it was made under.
    pub terms_id: String,
    pub basis_event: BasisEvent,
    pub basis_on: Date,
    pub price_cents: i64,
    pub due_on: Date,
}

pub type InvoiceCreated = Created<InvoiceFields>;

/// Money recorded against an invoice: a payment by the health system, or a credit by the
/// manufacturer (a product never infused, a denied claim under denial protection, an
/// outcomes-based refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettled {
    pub id: String,
    pub invoice_id: String,
    pub kind: Settlement,
    pub amount_cents: i64,
    pub on: Date,
    pub by: super::cases::ActedBy,
}

/// A payer's profile of a health system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerProfileFields {
    pub org_id: String,
    pub profile: PayerProfile,
}

pub type PayerProfileCreated = Created<PayerProfileFields>;

/// A profile edited: the whole profile as it now stands, at its new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerProfileUpdated {
    pub id: String,
    pub version: i64,
    pub profile: PayerProfile,
    pub by: super::cases::ActedBy,
}

/// A case's claim as submitted to its payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimFields {
    pub org_id: String,
    pub case_id: String,
    pub site_id: String,
    pub partnership_id: String,
    pub program_id: String,
    pub payer_profile_id: String,
    /// The payer's name when the claim was submitted.
    pub payer_name: String,
    pub submitted_on: Date,
    pub claimed_cents: i64,
    /// The product was infused under expanded access (no invoice; the reduced payment).
    pub expanded_access: bool,
    pub by: super::cases::ActedBy,
}

pub type ClaimCreated = Created<ClaimFields>;

/// A later step of a claim: paid, denied, appealed, finally unpaid; `version` is the claim's
/// after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimStepped {
    pub claim_id: String,
    pub version: i64,
    pub step: ClaimStep,
    pub by: super::cases::ActedBy,
}

events! {
    PaymentTermsCreated => "payment_terms.created",
    InvoiceCreated => "invoice.created",
    InvoiceSettled => "invoice.settled",
    PayerProfileCreated => "payer_profile.created",
    PayerProfileUpdated => "payer_profile.updated",
    ClaimCreated => "claim.created",
    ClaimStepped => "claim.stepped",
}
