//! Registry follow-up in the demo: the forms of an infused case marked submitted as the
//! site's data manager would after entering them in the registry's own system — each on the
//! day it fell due (or today, when that is later than the day its window opened), under a
//! FormsNet-style reference — leaving the pre-infusion form (CIBMTR 4000) and the latest form
//! whose window opened (when an earlier one opened before it) unsubmitted, so the site's list shows forms due and overdue.

use super::user;
use crate::cases::FormSubmission;
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::registry::{FormStatus, PRE_INFUSION};

/// Mark some of an infused case's forms submitted (none before its first infusion).
pub(crate) async fn registry_forms(app: &App, case_id: &str) -> Result<(), AppError> {
    let data_manager = user(app, "data.manager@lakeshore.example").await?;
    let case = app.case(&data_manager, case_id).await?;
    let Some(registry) = case.registry else {
        return Ok(());
    };
    let today = Date::of_micros(app.now());
    let opened: Vec<_> = registry
        .forms
        .iter()
        .filter(|f| f.status != FormStatus::Upcoming && f.status != FormStatus::Submitted)
        .collect();
    // The latest window to open is left for later only when an earlier one opened before it
    // (right after an infusion every form opens that day).
    let earliest = opened.iter().map(|f| &f.scheduled.opens_on).min().cloned();
    let latest = opened
        .iter()
        .map(|f| &f.scheduled.opens_on)
        .max()
        .cloned()
        .filter(|l| Some(l) != earliest.as_ref());
    for form in opened {
        if form.scheduled.form == PRE_INFUSION || Some(&form.scheduled.opens_on) == latest.as_ref()
        {
            continue;
        }
        let form = &form.scheduled;
        let on = if form.due_on <= today {
            form.due_on.clone()
        } else {
            today.clone()
        };
        let number = &crate::ids::sha256_hex(&format!("{case_id} {}", form.key))[..7];
        let reference = format!(
            "FN-{}-{}",
            form.form.rsplit(' ').next().unwrap_or("form"),
            number.to_uppercase()
        );
        app.submit_registry_form(
            &data_manager,
            case_id,
            &form.key,
            FormSubmission {
                submitted_on: on,
                reference,
            },
            None,
            None,
        )
        .await?
        .fresh()?;
    }
    Ok(())
}
