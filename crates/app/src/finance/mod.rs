//! Payment alignment (DESIGN.md §4.6; issue 14) on the partnership's ledger: the payment
//! terms the manufacturer proposes per program (`terms.rs`), and the invoice they make for a
//! case at its basis event — a job its case step enqueued in the same transaction — with the
//! payments and credits recorded against it (`invoices.rs`). Who reads and writes money is the
//! policy's `Payment` kind; which side writes what is checked here. On the health system's
//! own ledger: its payer profiles (`payers.rs`), each case's claim (`claims.rs`), and its
//! exposure now (`exposure.rs`), the policy's `Claim` kind.

pub mod claims;
pub mod exposure;
pub mod invoices;
pub mod payers;
pub mod terms;
pub mod what_if;

use crate::{App, AppError, Caller};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{OrgKind, events::cases::ActedBy};
use cellpath_store::Partnership;

impl App {
    /// The caller may write money of this kind in the partnership: the policy's `Payment`
    /// (active partnership, a money role), on the side that writes it.
    pub(crate) fn money_writer(
        &self,
        caller: &Caller,
        p: &Partnership,
        side: OrgKind,
        what: &str,
    ) -> Result<(), AppError> {
        let rel = self.partnership_relation(caller, p);
        self.check(caller, Action::Read, ResourceKind::Payment, rel, what)?;
        if let Some(principal) = &caller.principal
            && principal.org_kind != side
        {
            return Err(AppError::Forbidden(format!(
                "{what} {} recorded by the {}",
                if what.ends_with('s') { "are" } else { "is" },
                match side {
                    OrgKind::Manufacturer => "manufacturer",
                    OrgKind::HealthSystem => "health system",
                }
            )));
        }
        self.check(caller, Action::Create, ResourceKind::Payment, rel, what)?;
        crate::sitemaps::refuse_if_ended(p)
    }
}

/// Who acted, for an event's `by`.
pub(crate) fn acted_by(caller: &Caller) -> ActedBy {
    ActedBy {
        user_id: caller
            .principal
            .as_ref()
            .map(|p| p.user_id.clone())
            .unwrap_or_default(),
        name: caller.name.clone(),
        role: caller.principal.as_ref().map(|p| p.role),
    }
}
