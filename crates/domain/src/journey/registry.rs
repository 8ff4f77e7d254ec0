//! Registry follow-up on a case (DESIGN.md §4.4, DOMAIN.md): the first infusion schedules the
//! forms and visits of the map's `follow_up` step (`registry::schedule`), and the site's
//! follow-up role — the data manager on the seeded maps — marks each form submitted with the
//! day and the registry's reference. Part of `decide`.

use super::engine::{Decider, text};
use super::refusal::Refusal;
use crate::Date;
use crate::events::cases::{CaseEvent, RegistryFormSubmitted, RegistryScheduled};
use crate::org::OrgKind;
use crate::process_map::{Step, StepKind};
use crate::values::Name;

impl Decider<'_> {
    /// The map's `follow_up` step (a valid map has at most one path end, and the seeds one
    /// follow-up step; the first in map order counts).
    fn follow_up_step(&self) -> Option<&Step> {
        self.map
            .map()
            .steps()
            .find(|s| s.kind == StepKind::FollowUp)
    }

    /// `events` with the registry's schedule added when they record the case's first
    /// infusion (and the map has a follow-up step): the forms are derived from that day.
    pub(super) fn scheduling(&self, mut events: Vec<CaseEvent>) -> Vec<CaseEvent> {
        if self.case.registry.is_some() || self.case.first_infusion().is_some() {
            return events;
        }
        let Some(step) = self.follow_up_step() else {
            return events;
        };
        let after = events.iter().fold(self.case.clone(), super::evolve);
        let Some(infused) = after.first_infusion() else {
            return events;
        };
        let infused_on = Date::of_micros(infused);
        let (forms, visits) = crate::registry::schedule(&infused_on, &step.params);
        events.push(
            RegistryScheduled {
                case_id: self.case.id.clone(),
                step: step.key.clone(),
                infused_on,
                track: step.params.track,
                forms,
                visits,
                at: self.now,
            }
            .into(),
        );
        events
    }

    /// Mark a scheduled form submitted: by the follow-up step's role at the site, on a day
    /// inside or after its window and not after today, once.
    pub(super) fn submit_form(
        &self,
        key: &str,
        submitted_on: &Date,
        reference: &str,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let what = "marking a registry form submitted";
        self.side(what, OrgKind::HealthSystem)?;
        let role = match self.follow_up_step() {
            Some(step) => self.map.role_of(step),
            None => crate::Role::DataManager,
        };
        let role = self.role_among(what, &[role])?;
        let schedule = self.case.registry.as_ref().ok_or(Refusal::NotInfused)?;
        let form = schedule
            .forms
            .iter()
            .find(|f| f.key == key)
            .ok_or_else(|| Refusal::NotScheduled {
                key: key.to_string(),
                pseudonym: self.case.pseudonym.clone(),
            })?;
        let name = format!("{} ({})", form.form, form.when);
        if let Some(done) = self.case.submitted.get(key) {
            return Err(Refusal::FormSubmitted {
                form: name,
                on: done.submitted_on.clone(),
                reference: done.reference.clone(),
            });
        }
        let today = Date::of_micros(self.now);
        if *submitted_on > today {
            return Err(Refusal::BadValue {
                what: format!("the day {name} was submitted"),
                problem: format!("{submitted_on} is after today ({today})"),
            });
        }
        if *submitted_on < form.opens_on {
            return Err(Refusal::BadValue {
                what: format!("the day {name} was submitted"),
                problem: format!(
                    "its window opens on {}: a submission on {submitted_on} is before it",
                    form.opens_on
                ),
            });
        }
        let reference = text("the registry's reference", Name::parse(reference))?;
        Ok(vec![
            RegistryFormSubmitted {
                case_id: self.case.id.clone(),
                key: form.key.clone(),
                form: form.form.clone(),
                submitted_on: submitted_on.clone(),
                reference: reference.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }
}
