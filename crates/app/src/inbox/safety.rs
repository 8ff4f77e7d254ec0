//! Safety reports waiting for the manufacturer's safety role to acknowledge them.

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind, InboxTarget};
use crate::{App, AppError};
use cellpath_store::Page;

impl App {
    /// A manufacturer's safety reports not acknowledged at their current version (never, or
    /// updated since), under the partnerships whose patients the reader sees, latest change
    /// first.
    pub(super) async fn safety_reports_in(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let (rows, _) = self
            .store
            .safety_reports_of_manufacturer(
                &r.principal.org_id,
                &r.with_patients,
                cellpath_store::ReportsShown::Pending,
                upto,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|report| {
                let detail = format!(
                    "{}{}",
                    crate::safety::grade_words(report.kind, report.grade),
                    if report.acknowledged.is_some() {
                        ", updated since it was acknowledged"
                    } else {
                        ""
                    }
                );
                let mut item = case_item(
                    names,
                    InboxKind::SafetyReport,
                    (&report.case_id, &report.pseudonym),
                    (&report.partnership_id, &report.site_id, &report.program_id),
                    "Acknowledge the safety report".to_string(),
                    detail,
                );
                item.since = Some(report.updated_at);
                item.target = InboxTarget::SafetyReport {
                    report_id: report.id,
                };
                item
            })
            .collect())
    }
}
