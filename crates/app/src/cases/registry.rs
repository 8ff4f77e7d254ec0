//! Registry follow-up forms (DESIGN.md §4.4, DOMAIN.md): a case's forms as its reader may see
//! them (from the case's own events), a site's due, overdue or submitted forms (from the
//! `registry_forms` projection, one indexed query) cut to the partnerships whose patients the
//! caller may see, and marking a form submitted — a case action like any other, decided by
//! the journey engine and written with the case's version checked.

use super::act::{CaseActed, CaseInput};
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::events::cases::ScheduledForm;
use cellpath_domain::journey::Case;
use cellpath_domain::policy::{PatientView, Relation};
use cellpath_domain::registry::{FormStatus, status_words};
use cellpath_store::{FormsAt, Page, RegistryFormRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One scheduled form of a case (its key, form, occurrence, when in words, and window), where
/// it stands today, and its submission. The registry's reference shows from the
/// chain-of-identity view up (as a prior authorization's does).
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct RegistryFormView {
    #[serde(flatten)]
    pub scheduled: ScheduledForm,
    pub status: FormStatus,
    /// Where it stands today, in words.
    pub status_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
}

impl RegistryFormView {
    fn of(
        scheduled: ScheduledForm,
        submitted_on: Option<Date>,
        reference: Option<String>,
        today: &Date,
    ) -> RegistryFormView {
        RegistryFormView {
            status: FormStatus::of(&scheduled, submitted_on.is_some(), today),
            status_text: status_words(&scheduled, submitted_on.as_ref(), today),
            scheduled,
            submitted_on,
            reference,
            submitted_by: None,
        }
    }
}

/// A case's registry follow-up: the day counting starts from, its forms and visits.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct RegistryView {
    pub infused_on: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<cellpath_domain::process_map::FollowUpTrack>,
    pub forms: Vec<RegistryFormView>,
    pub visits: Vec<Date>,
}

pub(crate) fn registry_view(case: &Case, view: PatientView, today: &Date) -> Option<RegistryView> {
    let r = case.registry.as_ref()?;
    let shown = view >= PatientView::ChainOfIdentity;
    let forms = r
        .forms
        .iter()
        .map(|f| {
            let done = case.submitted.get(&f.key);
            RegistryFormView {
                submitted_by: done.map(|d| d.by.name.clone()),
                ..RegistryFormView::of(
                    f.clone(),
                    done.map(|d| d.submitted_on.clone()),
                    done.filter(|_| shown).map(|d| d.reference.clone()),
                    today,
                )
            }
        })
        .collect();
    Some(RegistryView {
        infused_on: r.infused_on.clone(),
        track: r.track,
        forms,
        visits: r.visits.clone(),
    })
}

/// A form in a site's list: the case by its pseudonym, the program by name.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct RegistryFormItem {
    pub case_id: String,
    pub pseudonym: String,
    pub program_id: String,
    pub program_name: String,
    #[serde(flatten)]
    pub form: RegistryFormView,
}

/// Marking a form submitted: the day and the registry's reference.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSubmission {
    pub submitted_on: Date,
    pub reference: String,
}

/// Which forms a site's list shows: `due`, `overdue`, `submitted`, or (none) due and overdue
/// together, most urgent first.
#[derive(utoipa::ToSchema, Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormsShown {
    Due,
    Overdue,
    Submitted,
}

impl App {
    /// A site's registry forms that stand `shown` way today (due and overdue when `None`),
    /// of the cases whose patients the caller may see; not found when it may see none of
    /// the site's.
    pub async fn registry_forms_of_site(
        &self,
        caller: &Caller,
        site_id: &str,
        shown: Option<FormsShown>,
        page: Page,
    ) -> Result<Vec<RegistryFormItem>, AppError> {
        let what = format!("the registry forms of site {site_id}");
        let site = self
            .store
            .site(site_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        // The partnerships whose cases the caller may see here, with its view of each.
        let caller_org = caller.principal.as_ref().map(|p| p.org_id.clone());
        let own = caller_org.as_deref() == Some(site.org_id.as_str());
        let partnerships = match &caller_org {
            Some(org) if !own => self.store.partnerships_between(org, &site.org_id).await?,
            _ => Vec::new(),
        };
        let mut views: BTreeMap<String, PatientView> = BTreeMap::new();
        let own_view = if own {
            Some(self.patient_view(caller, Relation::OwnOrg, &what)?)
        } else {
            for p in &partnerships {
                let rel = self.case_relation(caller, p);
                if let Ok(v) = self.patient_view(caller, rel, &what) {
                    views.insert(p.id.clone(), v);
                }
            }
            if views.is_empty() {
                return Err(AppError::not_found(&what));
            }
            None
        };
        let which = match shown {
            None => FormsAt::Open,
            Some(FormsShown::Due) => FormsAt::Due,
            Some(FormsShown::Overdue) => FormsAt::Overdue,
            Some(FormsShown::Submitted) => FormsAt::Submitted,
        };
        let today = Date::of_micros(self.now());
        let only: Vec<String> = views.keys().cloned().collect();
        let rows = self
            .store
            .registry_forms_of_site(
                &site.id,
                which,
                &today,
                (!own).then_some(only.as_slice()),
                page,
            )
            .await?;
        let mut programs: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let view = own_view
                .or_else(|| views.get(&row.partnership_id).copied())
                .unwrap_or(PatientView::Pseudonym);
            if !programs.contains_key(&row.program_id) {
                let name = self
                    .store
                    .program(&row.program_id)
                    .await?
                    .map_or_else(|| row.program_id.clone(), |p| p.name);
                programs.insert(row.program_id.clone(), name);
            }
            let program_name = programs[&row.program_id].clone();
            out.push(item(row, program_name, view, &today));
        }
        Ok(out)
    }

    /// Mark a case's scheduled form submitted (the data manager, as the follow-up step's
    /// role at the site): a case action with its If-Match and Idempotency-Key.
    pub async fn submit_registry_form(
        &self,
        caller: &Caller,
        case_id: &str,
        form_key: &str,
        submission: FormSubmission,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let input = CaseInput::SubmitRegistryForm {
            form: form_key.to_string(),
            submitted_on: submission.submitted_on,
            reference: submission.reference,
        };
        self.act_on_case(caller, case_id, input, "", if_match, idem)
            .await
            .map_err(beside_its_field)
    }
}

/// The journey's refusal of a bad day or reference, put beside the field it is about (the
/// engine names it in its words: "the day … was submitted", "the registry's reference").
fn beside_its_field(e: AppError) -> AppError {
    match e {
        AppError::Invalid(mut fields) => {
            for f in fields.iter_mut().filter(|f| f.field.is_empty()) {
                if f.message.starts_with("the day ") {
                    f.field = "submitted_on".into();
                } else if f.message.starts_with("the registry's reference") {
                    f.field = "reference".into();
                }
            }
            AppError::Invalid(fields)
        }
        other => other,
    }
}

fn item(
    row: RegistryFormRow,
    program_name: String,
    view: PatientView,
    today: &Date,
) -> RegistryFormItem {
    let scheduled = ScheduledForm {
        key: row.form_key,
        form: row.form,
        occurrence: u32::try_from(row.occurrence).unwrap_or(u32::MAX),
        when: row.due_when,
        opens_on: row.opens_on,
        due_on: row.due_on,
        closes_on: row.closes_on,
    };
    let reference = row
        .reference
        .filter(|_| view >= PatientView::ChainOfIdentity);
    RegistryFormItem {
        case_id: row.case_id,
        pseudonym: row.pseudonym,
        program_id: row.program_id,
        program_name,
        form: RegistryFormView::of(scheduled, row.submitted_on, reference, today),
    }
}
