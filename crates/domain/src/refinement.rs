//! A site's refinement of a published process map (DESIGN.md §4.1). For each step the site
//! records its local owner, location, system and notes; it changes its own (site-owned) steps
//! and adds `checklist` steps freely; a change to a `controlled` step is only a proposal until
//! the manufacturer accepts it. The effective map — base, site changes, accepted proposals,
//! local steps — must still validate against the program.

use crate::Role;
use crate::process_map::{
    MapContext, ProcessMap, Step, StepKind, ValidMap, is_valid_key, validate,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

vocabulary!(
    /// Where a site map version stands: nobody has signed its content, one side has, or both
    /// have (then it never changes again).
    SiteMapStatus, "site map status" {
        Draft => "draft",
        AwaitingSignature => "awaiting_signature",
        Signed => "signed",
    }
);

impl SiteMapStatus {
    /// The status given which sides signed the version's current content.
    pub fn of_signatures(health_system: bool, manufacturer: bool) -> SiteMapStatus {
        match (health_system, manufacturer) {
            (true, true) => SiteMapStatus::Signed,
            (false, false) => SiteMapStatus::Draft,
            _ => SiteMapStatus::AwaitingSignature,
        }
    }
}

/// What the site says about one step of the map.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalDetail {
    /// The role that does the step at this site (may differ from the map's responsible role).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Where it is recorded at the site (e.g. "Epic Beacon", "cell lab LIMS").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The site's own content of a site map version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteRefinement {
    /// Step key → local detail.
    pub details: BTreeMap<String, LocalDetail>,
    /// Site-owned steps the site changed, by key (the whole changed step).
    pub overrides: BTreeMap<String, Step>,
    /// `checklist` steps the site added.
    pub local_steps: Vec<LocalStep>,
}

/// A checklist step the site adds, and the steps it must come before: those steps gain it in
/// their `after` (a local precondition, even on a controlled step, changes nothing of that step).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalStep {
    pub step: Step,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
}

const TEXT_MAX: usize = 500;

/// Check a refinement against the published base map and build the effective map.
/// `accepted` are the manufacturer-accepted changes to controlled steps (whole steps).
/// Every problem is returned, each naming its step.
pub fn effective_map(
    base: &ValidMap,
    refinement: &SiteRefinement,
    accepted: &[Step],
    ctx: &MapContext,
) -> Result<ValidMap, Vec<String>> {
    let base_map = base.as_map();
    let mut errors = Vec::new();
    for (key, step) in &refinement.overrides {
        match base_map.step(key) {
            None => errors.push(format!("step {key} is not in the map; add a checklist step instead")),
            Some(b) if b.controlled => errors.push(format!(
                "step {key} is controlled by the manufacturer's label or quality agreement: propose the change instead"
            )),
            Some(_) => {
                if step.key != *key {
                    errors.push(format!("step {key}: a site change keeps the step's key (found {})", step.key));
                }
                if step.controlled {
                    errors.push(format!("step {key}: a site cannot mark its own step as controlled"));
                }
            }
        }
    }
    for change in accepted {
        if !base_map.step(&change.key).is_some_and(|b| b.controlled) {
            errors.push(format!(
                "accepted change to {}: only controlled steps are changed by proposal",
                change.key
            ));
        }
    }
    for (
        i,
        LocalStep {
            step: local,
            before,
        },
    ) in refinement.local_steps.iter().enumerate()
    {
        for b in before {
            let known = base_map.step(b).is_some()
                || refinement.local_steps.iter().any(|o| o.step.key == *b);
            if !known {
                errors.push(format!(
                    "local step {} comes before unknown step {b}",
                    local.key
                ));
            }
        }
        if local.kind != StepKind::Checklist {
            errors.push(format!(
                "local step {}: a site adds checklist steps only (found {})",
                local.key, local.kind
            ));
        }
        if local.controlled {
            errors.push(format!(
                "local step {}: a site's own step cannot be controlled",
                local.key
            ));
        }
        if !is_valid_key(&local.key) {
            errors.push(format!(
                "local step key {:?}: use 1–40 characters of a-z, 0-9 and _",
                local.key
            ));
        }
        if base_map.step(&local.key).is_some()
            || refinement.local_steps[..i]
                .iter()
                .any(|o| o.step.key == local.key)
        {
            errors.push(format!("local step key {} is already used", local.key));
        }
    }
    for (key, d) in &refinement.details {
        let known = base_map.step(key).is_some()
            || refinement.local_steps.iter().any(|s| s.step.key == *key);
        if !known {
            errors.push(format!("details for unknown step {key}"));
        }
        for (what, text) in [
            ("location", &d.location),
            ("system", &d.system),
            ("notes", &d.notes),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > TEXT_MAX) {
                errors.push(format!(
                    "step {key}: {what} is longer than {TEXT_MAX} characters"
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut steps: Vec<Step> = base_map
        .steps
        .iter()
        .map(|s| {
            accepted
                .iter()
                .rev()
                .find(|c| c.key == s.key)
                .or_else(|| refinement.overrides.get(&s.key))
                .unwrap_or(s)
                .clone()
        })
        .collect();
    steps.extend(refinement.local_steps.iter().map(|l| l.step.clone()));
    for local in &refinement.local_steps {
        for b in &local.before {
            if let Some(step) = steps.iter_mut().find(|s| s.key == *b)
                && !step.after.contains(&local.step.key)
            {
                step.after.push(local.step.key.clone());
            }
        }
    }
    // The site's location is where the step happens here: it counts in the scan burden.
    for step in &mut steps {
        if let Some(loc) = refinement
            .details
            .get(&step.key)
            .and_then(|d| d.location.clone())
            .filter(|l| !l.trim().is_empty())
        {
            step.params.location = Some(loc);
        }
    }
    validate(&ProcessMap { steps }, ctx)
        .map_err(|errs| errs.iter().map(|e| e.to_string()).collect())
}

/// A proposed change to a controlled step: it must name a controlled step of the base map and
/// keep its key.
pub fn check_proposal(base: &ValidMap, proposed: &Step) -> Result<(), String> {
    match base.as_map().step(&proposed.key) {
        None => Err(format!("step {} is not in the map", proposed.key)),
        Some(b) if !b.controlled => Err(format!(
            "step {} is the site's own: change it directly, no proposal needed",
            proposed.key
        )),
        Some(b) if b == proposed => {
            Err(format!("the proposal for {} changes nothing", proposed.key))
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_map::seeds;

    fn base() -> (ValidMap, MapContext) {
        let (map, ctx) = seeds::autologous_car_t();
        (validate(&map, &ctx).expect("the seed is valid"), ctx)
    }

    fn first_where(base: &ValidMap, controlled: bool) -> Step {
        base.steps()
            .find(|s| s.controlled == controlled && s.kind != StepKind::Checklist)
            .expect("such a step")
            .clone()
    }

    fn checklist(key: &str, after: &str, before: &str) -> LocalStep {
        LocalStep {
            step: Step {
                key: key.into(),
                name: "Confirm ICU bed availability".into(),
                stage: crate::process_map::Stage::Administration,
                kind: StepKind::Checklist,
                role: Role::Coordinator,
                after: vec![after.into()],
                controlled: false,
                recorded_in: Default::default(),
                optional: false,
                params: crate::process_map::StepParams {
                    items: vec!["ICU bed held".into()],
                    ..Default::default()
                },
            },
            before: vec![before.into()],
        }
    }

    #[test]
    fn a_site_refines_its_own_steps_and_adds_checklists() {
        let (base, ctx) = base();
        let own = first_where(&base, false);
        let mut changed = own.clone();
        changed.name = format!("{} (local)", own.name);
        let next = base
            .steps()
            .find(|s| s.after.contains(&own.key))
            .expect("a successor")
            .clone();
        let mut r = SiteRefinement::default();
        r.overrides.insert(own.key.clone(), changed);
        r.local_steps
            .push(checklist("bed_ready", &own.key, &next.key));
        r.details.insert(
            own.key.clone(),
            LocalDetail {
                owner_role: Some(Role::Pharmacy),
                location: Some("Infusion Center 4B".into()),
                ..Default::default()
            },
        );
        let eff = effective_map(&base, &r, &[], &ctx).expect("valid");
        assert!(
            eff.step(&next.key)
                .unwrap()
                .after
                .contains(&"bed_ready".to_string())
        );
        assert!(eff.step(&own.key).unwrap().name.ends_with("(local)"));
        assert_eq!(eff.steps().count(), base.steps().count() + 1);
        // A local step that leads nowhere would be a second end: refused by the validator.
        let mut dangling = r.clone();
        dangling.local_steps[0].before.clear();
        let errors = effective_map(&base, &dangling, &[], &ctx).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("end")), "{errors:?}");
        let mut unknown = r.clone();
        unknown.local_steps[0].before = vec!["nowhere".into()];
        assert!(
            effective_map(&base, &unknown, &[], &ctx).unwrap_err()[0]
                .contains("unknown step nowhere")
        );
    }

    #[test]
    fn a_controlled_step_is_changed_only_by_an_accepted_proposal() {
        let (base, ctx) = base();
        let controlled = first_where(&base, true);
        let mut changed = controlled.clone();
        changed.name = "Renamed by the site".into();
        let mut r = SiteRefinement::default();
        r.overrides.insert(controlled.key.clone(), changed.clone());
        let errors = effective_map(&base, &r, &[], &ctx).unwrap_err();
        assert!(
            errors[0].contains("propose the change instead"),
            "{errors:?}"
        );
        assert!(check_proposal(&base, &changed).is_ok());
        let eff =
            effective_map(&base, &SiteRefinement::default(), &[changed.clone()], &ctx).unwrap();
        assert_eq!(
            eff.step(&controlled.key).unwrap().name,
            "Renamed by the site"
        );
        let own = first_where(&base, false);
        assert!(
            check_proposal(&base, &own)
                .unwrap_err()
                .contains("no proposal needed")
        );
    }

    #[test]
    fn local_steps_are_checklists_with_fresh_keys() {
        let (base, ctx) = base();
        let own = first_where(&base, false);
        let mut r = SiteRefinement::default();
        let mut dup = own.clone();
        dup.controlled = true;
        r.local_steps.push(LocalStep {
            step: dup,
            before: vec![],
        });
        let errors = effective_map(&base, &r, &[], &ctx).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("adds checklist steps only")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("cannot be controlled")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("already used")),
            "{errors:?}"
        );
    }

    #[test]
    fn site_locations_count_in_the_scan_burden() {
        let (base, ctx) = base();
        let scan = base.steps().find(|s| s.params.scan).unwrap().clone();
        let mut r = SiteRefinement::default();
        r.details.insert(
            scan.key.clone(),
            LocalDetail {
                location: Some("Loading dock B".into()),
                ..Default::default()
            },
        );
        let eff = effective_map(&base, &r, &[], &ctx).unwrap();
        assert_eq!(
            eff.step(&scan.key).unwrap().params.location.as_deref(),
            Some("Loading dock B")
        );
    }
}
