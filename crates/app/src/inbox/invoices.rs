//! Invoices to pay: a health system's invoices with money still open, due within
//! [`INVOICE_DAYS`] or overdue, for its finance people (who record payments; the
//! manufacturer's side credits, and is not asked).

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind, InboxTarget};
use crate::{App, AppError};
use cellpath_domain::finance::dollars;
use cellpath_store::Page;

/// An invoice is in the inbox from this many days before its due day.
pub(super) const INVOICE_DAYS: i64 = 14;

impl App {
    /// Open invoices due within the window or overdue, the earliest due first.
    pub(super) async fn invoices_due(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let last = r.today.plus_days(INVOICE_DAYS);
        let rows = self.store.invoices_due(&r.all, &last, upto).await?;
        let pseudonyms = self
            .store
            .case_pseudonyms(&rows.iter().map(|i| i.case_id.clone()).collect::<Vec<_>>())
            .await?;
        Ok(rows
            .into_iter()
            .map(|invoice| {
                let pseudonym = pseudonyms
                    .get(&invoice.case_id)
                    .cloned()
                    .unwrap_or_default();
                let mut item = case_item(
                    names,
                    InboxKind::InvoiceDue,
                    (&invoice.case_id, &pseudonym),
                    (
                        &invoice.partnership_id,
                        &invoice.site_id,
                        &invoice.program_id,
                    ),
                    "Pay the invoice".to_string(),
                    format!(
                        "{} open of {}, invoiced on {}",
                        dollars(invoice.open_cents()),
                        dollars(invoice.price_cents),
                        invoice.basis_on.words()
                    ),
                );
                item.since = Some(invoice.created_at);
                item.overdue = invoice.due_on < r.today;
                item.due_on = Some(invoice.due_on.clone());
                item.target = InboxTarget::Invoice {
                    partnership_id: invoice.partnership_id.clone(),
                    invoice_id: invoice.id.clone(),
                };
                item
            })
            .collect())
    }
}
