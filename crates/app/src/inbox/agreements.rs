//! Executed agreements about to lapse, for those who renew them.

use super::{Names, Reader};
use crate::views::inbox::{InboxItem, InboxKind, InboxTarget};
use crate::{App, AppError};
use cellpath_domain::contracting::reminders::REMINDER_DAYS;
use cellpath_store::Page;

/// An agreement is in the inbox from its first reminder threshold (90 days) before it lapses.
pub(super) fn expiry_window() -> i64 {
    REMINDER_DAYS.iter().copied().max().unwrap_or(90)
}

impl App {
    /// Executed agreements lapsing within the first reminder threshold, soonest first; due
    /// the day before their expiry (on that day they are no longer in force).
    pub(super) async fn agreements_near_expiry(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .agreements_expiring(&r.all, &r.today, expiry_window(), upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| {
                let kind = a
                    .kind
                    .parse::<cellpath_domain::contracting::AgreementKind>()
                    .map_or_else(|_| a.kind.replace('_', " "), |k| k.title());
                let days_left =
                    cellpath_domain::contracting::reminders::days_left(&r.today, &a.expires_on);
                InboxItem {
                    kind: InboxKind::AgreementExpiry,
                    title: format!("Renew the {}", kind.to_lowercase()),
                    detail: format!(
                        "lapses on {} ({} day{} left)",
                        a.expires_on.words(),
                        days_left,
                        if days_left == 1 { "" } else { "s" }
                    ),
                    case_id: None,
                    pseudonym: None,
                    partnership_name: names.partnership(&a.partnership_id),
                    partnership_id: a.partnership_id,
                    site_name: a.site_id.as_deref().and_then(|s| names.site(s)),
                    site_id: a.site_id,
                    program_id: None,
                    program_name: None,
                    due_on: Some(a.expires_on.plus_days(-1)),
                    overdue: false,
                    since: None,
                    target: InboxTarget::Agreement { agreement_id: a.id },
                }
            })
            .collect())
    }
}
