//! Registry forms due or overdue, for the data manager.

use super::{Names, Reader, case_item};
use crate::views::inbox::{InboxItem, InboxKind};
use crate::{App, AppError};
use cellpath_domain::events::cases::ScheduledForm;
use cellpath_store::Page;

/// A form's window in words ("window 3 June 2026 – 3 July 2026"); where it stands is the
/// item's due day and overdue mark.
fn window_words(form: &ScheduledForm) -> String {
    format!(
        "window {} – {}",
        form.opens_on.words(),
        form.closes_on.words()
    )
}

impl App {
    /// Registry forms due or overdue, for the data manager (the follow-up step's role on the
    /// seeded maps; a site that gives its follow-up step to another role still finds its
    /// forms on the site's "Registry forms" page), the window closing first first.
    pub(super) async fn registry_forms(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_registry_forms(&r.with_patients, &r.today, upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|f| {
                let scheduled = ScheduledForm {
                    key: f.form_key.clone(),
                    form: f.form.clone(),
                    occurrence: u32::try_from(f.occurrence).unwrap_or(u32::MAX),
                    when: f.due_when.clone(),
                    opens_on: f.opens_on.clone(),
                    due_on: f.due_on.clone(),
                    closes_on: f.closes_on.clone(),
                };
                let mut item = case_item(
                    names,
                    InboxKind::RegistryForm,
                    (&f.case_id, &f.pseudonym),
                    (&f.partnership_id, &f.site_id, &f.program_id),
                    format!("{} ({})", f.form, f.due_when),
                    window_words(&scheduled),
                );
                item.overdue = f.closes_on < r.today;
                item.due_on = Some(f.closes_on);
                item
            })
            .collect())
    }
}
