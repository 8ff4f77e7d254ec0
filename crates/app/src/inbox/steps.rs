//! The journey steps a role may do now: the rows of the step index every case command
//! writes (`case_open_steps`), read per partnership longest waiting first; and a
//! manufacturer's active cases by the stage of the steps open on them.

use super::{Names, Reader, case_item};
use crate::views::inbox::{CasesAtStage, InboxItem, InboxKind};
use crate::{App, AppError};
use cellpath_domain::Role;
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::journey::{Case, CaseMap, available, evolve};
use cellpath_domain::process_map::Stage;
use cellpath_store::{OpenStep, Page};

/// The journey steps open on a case once `events` are folded onto `before`: the rows of the
/// inbox's step index, one per step and role that may act (written by every case command).
pub(crate) fn case_open_steps(map: &CaseMap, before: &Case, events: &[CaseEvent]) -> Vec<OpenStep> {
    let after = events.iter().fold(before.clone(), evolve);
    available(map, &after)
        .into_iter()
        .flat_map(|a| {
            let stage = map.map().step(&a.step).map(|s| s.stage);
            let waiting = a.waiting;
            a.roles.into_iter().map(move |role| OpenStep {
                step: a.step.clone(),
                role,
                name: a.name.clone(),
                stage,
                attempt: i64::from(a.attempt),
                waiting: waiting.clone(),
            })
        })
        .collect()
}

fn role_words(role: Role) -> String {
    role.as_str().replace('_', " ")
}

impl App {
    /// Journey steps the reader's role may do now (the journey's `available`, indexed per
    /// case by every case command), longest waiting first.
    pub(super) async fn journey_steps(
        &self,
        r: &Reader<'_>,
        names: &Names,
        upto: Page,
    ) -> Result<Vec<InboxItem>, AppError> {
        let rows = self
            .store
            .open_steps_for_role(&r.scope(&r.with_patients), upto)
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| {
                let detail = if s.waiting.is_empty() {
                    format!("open to the {}", role_words(s.role))
                } else {
                    format!("waiting for {}", s.waiting.join("; "))
                };
                let title = if s.attempt > 1 {
                    format!("{} (attempt {})", s.name, s.attempt)
                } else {
                    s.name.clone()
                };
                let mut item = case_item(
                    names,
                    InboxKind::JourneyStep,
                    (&s.case_id, &s.pseudonym),
                    (&s.partnership_id, &s.site_id, &s.program_id),
                    title,
                    detail,
                );
                item.since = Some(s.since);
                item
            })
            .collect())
    }

    /// A manufacturer's active cases by the stage of the steps open on them.
    pub(super) async fn cases_by_stage(
        &self,
        r: &Reader<'_>,
        names: &Names,
    ) -> Result<Vec<CasesAtStage>, AppError> {
        let mut out: Vec<CasesAtStage> = self
            .store
            .cases_by_stage(&r.with_patients)
            .await?
            .into_iter()
            .filter_map(|c| {
                Some(CasesAtStage {
                    partnership_name: names.partnership(&c.partnership_id),
                    stage: c.stage.parse::<Stage>().ok()?,
                    partnership_id: c.partnership_id,
                    cases: c.cases,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.partnership_name, a.stage).cmp(&(&b.partnership_name, b.stage)));
        Ok(out)
    }
}
