//! Adverse events without a final outcome, for the site's nurses and physicians.

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_store::Page;

impl App {
    /// Adverse events without a final outcome, for the site's nurses and physicians, the
    /// earliest onset first.
    pub(super) async fn adverse_events(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_adverse_events(&r.with_patients, upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| {
                let mut item = case_item(
                    names,
                    InboxKind::AdverseEvent,
                    (&a.case_id, &a.pseudonym),
                    (&a.partnership_id, &a.site_id, &a.program_id),
                    format!("{} #{}", a.kind.label(), a.adverse_event),
                    format!(
                        "ongoing since {}: observe, treat, record its outcome",
                        Date::of_micros(a.onset_at).words()
                    ),
                );
                item.since = Some(a.onset_at);
                item
            })
            .collect())
    }
}
