//! A program's contracting track template (on the manufacturer's ledger; the standard one
//! until it sets its own) and a template as the planner's `Plan`.

use super::*;
use cellpath_domain::contracting::template::TrackItem;
use cellpath_domain::events::Diff;
use cellpath_domain::events::contracting::{
    TrackTemplateChanges, TrackTemplateCreated, TrackTemplateFields,
};

/// A program's track template: its own, or the standard one until it sets its own.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackTemplateView {
    pub program_id: String,
    pub template: TrackTemplate,
    /// True while the program uses the standard template.
    pub standard: bool,
    /// The version to send with the next change: 1 for the standard template, which every
    /// program starts from; each change adds one.
    pub version: i64,
}

impl App {
    /// The template a program's partnerships are planned with: its own, or the standard one.
    pub(crate) async fn template_for(&self, program_id: &str) -> Result<TrackTemplate, AppError> {
        let mut templates = self.templates_of(&[program_id.to_string()]).await?;
        Ok(templates.pop().expect("one template per program"))
    }

    /// [`App::template_for`] each of the programs, in their order, in one query.
    pub(crate) async fn templates_for(
        &self,
        programs: &[Program],
    ) -> Result<Vec<TrackTemplate>, AppError> {
        let ids: Vec<String> = programs.iter().map(|p| p.id.clone()).collect();
        self.templates_of(&ids).await
    }

    async fn templates_of(&self, program_ids: &[String]) -> Result<Vec<TrackTemplate>, AppError> {
        let mut own: BTreeMap<String, Value> = self
            .store
            .track_templates_of(program_ids)
            .await?
            .into_iter()
            .map(|row| (row.program_id, row.items))
            .collect();
        program_ids
            .iter()
            .map(|id| {
                Ok(match own.remove(id) {
                    Some(items) => TrackTemplate {
                        items: serde_json::from_value(items).map_err(internal)?,
                    },
                    None => TrackTemplate::standard(),
                })
            })
            .collect()
    }

    pub async fn track_template(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<TrackTemplateView, AppError> {
        let program = self.program(caller, program_id).await?;
        Ok(match self.store.track_template_of(&program.id).await? {
            Some(row) => TrackTemplateView {
                program_id: program.id,
                template: TrackTemplate {
                    items: serde_json::from_value(row.items).map_err(internal)?,
                },
                standard: false,
                version: row.version + 1,
            },
            None => TrackTemplateView {
                program_id: program.id,
                template: TrackTemplate::standard(),
                standard: true,
                version: 1,
            },
        })
    }

    /// Replace a program's track template (on the manufacturer's ledger), refused with every
    /// problem when it is unsound. `expected_version` is the view's version (1 while the
    /// program uses the standard template).
    pub async fn set_track_template(
        &self,
        caller: &Caller,
        program_id: &str,
        expected_version: i64,
        template: TrackTemplate,
        idem: Option<Idem>,
    ) -> Result<Outcome<TrackTemplateView>, AppError> {
        let program = self.program(caller, program_id).await?;
        let rel = self.org_relation(caller, &program.org_id).await?;
        let what = format!("the track template of {}", program.name);
        self.check(caller, Action::Update, ResourceKind::Program, rel, &what)?;
        let problems = template.problems();
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems
                    .into_iter()
                    .map(|message| crate::FieldError {
                        field: "items".into(),
                        message,
                    })
                    .collect(),
            ));
        }
        let stored = self.store.track_template_of(&program.id).await?;
        expect_version(
            &what,
            stored.as_ref().map_or(1, |r| r.version + 1),
            expected_version,
        )?;
        let items = template.items.clone();
        let view = TrackTemplateView {
            program_id: program.id.clone(),
            template,
            standard: false,
            version: expected_version + 1,
        };
        let write = match &stored {
            None => Write::event(
                &program.org_id,
                &TrackTemplateCreated {
                    id: crate::ids::new_id("tpl"),
                    new: TrackTemplateFields {
                        org_id: program.org_id.clone(),
                        program_id: program.id.clone(),
                        items,
                    },
                },
                move |_| view.clone(),
            ),
            Some(row) => {
                let before: Vec<TrackItem> =
                    serde_json::from_value(row.items.clone()).map_err(internal)?;
                if before == items {
                    return Ok(Outcome::Fresh(TrackTemplateView {
                        version: row.version + 1,
                        ..view
                    }));
                }
                let mut changes = Diff::<TrackTemplateChanges>::default();
                changes.set(|c| &mut c.items, before, items);
                Write::event(
                    &program.org_id,
                    &changes.updated(&row.id, row.version + 1),
                    move |_| view.clone(),
                )
            }
        };
        self.write(caller, idem, write).await
    }
}

/// A track template as the planner's plan for these sites (health-system items once, site
/// items per site under dual-track), refused with every problem when the template is unsound.
pub fn plan_of_template(
    template: &TrackTemplate,
    sites: &[&str],
    strategy: cellpath_planning::contracting::Strategy,
) -> Result<cellpath_planning::contracting::Plan, AppError> {
    use cellpath_planning::contracting::{Entry, Plan};
    let problems = template.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(
            problems
                .into_iter()
                .map(|message| crate::FieldError {
                    field: "template".into(),
                    message,
                })
                .collect(),
        ));
    }
    let entries = template
        .items
        .iter()
        .map(|it| {
            let days = it.days.map(f64::from);
            let after: Vec<&str> = it.after.iter().map(String::as_str).collect();
            match it.scope {
                Scope::HealthSystem => Entry::health_system(&it.key, days, &after),
                Scope::Site => Entry::site(&it.key, days, &after),
            }
        })
        .collect();
    Ok(Plan::new(strategy, sites, entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_planning::contracting::{Strategy, compare};

    #[test]
    fn the_standard_template_plans_and_dual_track_saves_days() {
        let mut plan = plan_of_template(
            &TrackTemplate::standard(),
            &["north", "south", "east"],
            Strategy::DualTrack,
        )
        .expect("the standard template is sound");
        plan.iterations = 500;
        let saved = compare(&plan, 1).expect("plans").days_saved();
        assert!(saved.deterministic > 0, "{saved:?}");
        assert!(saved.p90 > 0, "{saved:?}");
    }

    #[test]
    fn an_unsound_template_is_refused_with_what_to_fix() {
        let mut t = TrackTemplate::standard();
        t.items.retain(|i| i.key != "consent");
        let err = plan_of_template(&t, &["north"], Strategy::DualTrack).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template: the gate needs consent_with_failure_language; add it"
        );
    }
}
