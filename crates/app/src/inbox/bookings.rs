//! Bookings: a manufacturer's requests to confirm and waitlist to decide, and the chains it
//! offered to a health system's waitlisted requests.

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_store::Page;

impl App {
    /// A manufacturer's bookings to decide: requests to confirm (due by the apheresis day
    /// asked for) or waitlisted requests, oldest first.
    pub(super) async fn bookings_in(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
        kind: InboxKind,
    ) -> Result<Vec<InboxItem>, AppError> {
        let status = match kind {
            InboxKind::BookingToConfirm => "requested",
            InboxKind::OfferToAnswer => "offered",
            _ => "waitlisted",
        };
        let rows = self
            .store
            .bookings_in_status(&r.with_patients, status, upto)
            .await?;
        let pseudonyms = self
            .store
            .case_pseudonyms(&rows.iter().map(|b| b.case_id.clone()).collect::<Vec<_>>())
            .await?;
        Ok(rows
            .into_iter()
            .map(|b| {
                let pseudonym = pseudonyms.get(&b.case_id).cloned().unwrap_or_default();
                let (title, detail) = match kind {
                    InboxKind::BookingToConfirm => (
                        "Confirm or waitlist an apheresis request".to_string(),
                        format!("apheresis asked for {}", b.asked_on.words()),
                    ),
                    InboxKind::OfferToAnswer => (
                        "Accept or decline the manufacturing slot offered".to_string(),
                        match &b.chain {
                            Some(chain) => format!(
                                "apheresis {} offered (asked for {})",
                                chain.apheresis_on.words(),
                                b.asked_on.words()
                            ),
                            None => format!("apheresis asked for {}", b.asked_on.words()),
                        },
                    ),
                    _ => (
                        "Decide on a waitlisted request".to_string(),
                        format!(
                            "apheresis asked for {}; waitlisted: {}",
                            b.asked_on.words(),
                            b.reason.clone().unwrap_or_default()
                        ),
                    ),
                };
                let mut item = case_item(
                    names,
                    kind,
                    (&b.case_id, &pseudonym),
                    (&b.partnership_id, &b.site_id, &b.program_id),
                    title,
                    detail,
                );
                item.since = Some(b.created_at);
                if kind == InboxKind::BookingToConfirm {
                    item.overdue = b.asked_on < r.today;
                    item.due_on = Some(b.asked_on);
                }
                if kind == InboxKind::OfferToAnswer {
                    // Due by the offer's deadline: the day it lapses on.
                    item.due_on = b.offer_expires_at.map(Date::of_micros);
                }
                item
            })
            .collect())
    }
}
