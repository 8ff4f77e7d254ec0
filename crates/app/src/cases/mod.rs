//! Patients' cases (DESIGN.md §2, §3, §4.4): the identity registered on the health system's
//! ledger (`open.rs`), the case opened on the partnership's ledger where the gate authorizes
//! the site for the program today, and each action decided by the journey engine on the case
//! folded from its events and written with the case's version checked under the ledger's lock
//! (`act.rs`); the registry follow-up forms the first infusion schedules (`registry.rs`).
//! Every answer is cut to the caller's patient view (`view.rs`), with the timeline
//! in people's words (`timeline.rs`); its labels for a label printer (`labels.rs`).

mod act;
mod adverse;
mod labels;
mod open;
mod registry;
mod timeline;
mod view;

pub(crate) use act::refused;
pub use act::{CaseActed, CaseInput, ScanInput};
pub(crate) use adverse::graded as graded_of;
pub use adverse::{
    AdverseEventGraded, GradeView, NewAdverseEvent, ObservationInput, TreatmentInput,
};
pub use labels::{CaseLabels, Label};
pub use open::{CaseOpenedView, NewCase, NewPatient, PatientRegistration};
pub use registry::{FormSubmission, FormsShown, RegistryFormItem, RegistryFormView, RegistryView};
pub(crate) use view::adverse_event_view as adverse_event_view_of;
pub use view::{
    AdverseEventView, BenefitsView, CaseListItem, CaseView, ConsentView, ObservationView,
    PatientIdentity, StepView, TimelineEntry, TreatmentView,
};

use crate::{App, AppError, Caller};
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::journey::{Actor, Case, CaseMap, evolve};
use cellpath_domain::policy::{Action, PatientView, Relation, ResourceKind};
use cellpath_store::{CaseEventRow, CaseRow, Partnership};
use std::sync::Arc;

/// A case as stored and folded, with the map it runs on and how the caller stands to it.
pub(crate) struct Loaded {
    pub row: CaseRow,
    pub partnership: Partnership,
    pub events: Vec<(CaseEventRow, CaseEvent)>,
    pub case: Case,
    pub map: Arc<CaseMap>,
    pub relation: Relation,
}

impl App {
    /// How a case's patient stands to the caller: the health system's own staff (`OwnOrg`),
    /// the manufacturer as a party in the partnership's status, anyone else unrelated.
    pub(crate) fn case_relation(&self, caller: &Caller, p: &Partnership) -> Relation {
        match &caller.principal {
            Some(pr) if pr.org_id == p.health_system_id => Relation::OwnOrg,
            _ => self.partnership_relation(caller, p),
        }
    }

    /// A case's row and partnership for a caller who may see its patient, with how the caller
    /// stands to it and what it may see of the patient — the policy's check alone, without loading and folding its events (for
    /// records hung on a case, such as its bookings).
    pub(crate) async fn case_row_seen(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<(CaseRow, Partnership, Relation, PatientView), AppError> {
        let what = format!("case {case_id}");
        let row = self
            .store
            .case(case_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let partnership = self
            .store
            .partnership(&row.partnership_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let relation = self.case_relation(caller, &partnership);
        let view = self.patient_view(caller, relation, &what)?;
        Ok((row, partnership, relation, view))
    }

    /// Load a case the caller may see: its row, its events folded, its map; not found when
    /// the policy shows the caller no view of its patient.
    pub(crate) async fn load_case(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<(Loaded, PatientView), AppError> {
        let (row, partnership, relation, view) = self.case_row_seen(caller, case_id).await?;
        let events = self
            .store
            .case_events(case_id)
            .await?
            .into_iter()
            .map(|e| {
                let typed = CaseEvent::read(&e.kind, &e.payload)
                    .ok_or_else(|| AppError::Internal(format!("{} is not a case event", e.kind)))?
                    .map_err(|err| AppError::Internal(format!("event {}: {err}", e.seq)))?;
                Ok((e, typed))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let case = events
            .iter()
            .fold(Case::default(), |c, (_, e)| evolve(c, e));
        let map = self.case_map(&row.map_version_id).await?;
        Ok((
            Loaded {
                row,
                partnership,
                events,
                case,
                map,
                relation,
            },
            view,
        ))
    }

    /// The map a case runs on: the site map version's effective map with the site's local
    /// owner of each step. Built once per version and kept: cases run only on versions both
    /// sides signed, which never change.
    pub(crate) async fn case_map(
        &self,
        site_map_version_id: &str,
    ) -> Result<Arc<CaseMap>, AppError> {
        if let Some(map) = self
            .case_maps
            .read()
            .expect("the case map cache is never poisoned: nothing panics holding it")
            .get(site_map_version_id)
        {
            return Ok(map.clone());
        }
        let version = self
            .store
            .site_map_version(site_map_version_id)
            .await?
            .ok_or_else(|| {
                AppError::not_found(format!("site map version {site_map_version_id}"))
            })?;
        let (_, refinement, map) = self.effective_site_map(&version.into()).await?;
        let map = Arc::new(CaseMap::refined(map, &refinement));
        self.case_maps
            .write()
            .expect("the case map cache is never poisoned: nothing panics holding it")
            .insert(site_map_version_id.to_string(), map.clone());
        Ok(map)
    }

    /// The caller may change the case (act on it): checked by the policy for the patient in
    /// the relation; which step each role may do is the journey's rule.
    pub(crate) fn check_case_change(
        &self,
        caller: &Caller,
        loaded: &Loaded,
    ) -> Result<(), AppError> {
        self.check_change_of(caller, &loaded.row, &loaded.partnership, loaded.relation)
    }

    /// [`Self::check_case_change`] on a case's row, partnership and relation.
    pub(crate) fn check_change_of(
        &self,
        caller: &Caller,
        row: &CaseRow,
        partnership: &Partnership,
        relation: Relation,
    ) -> Result<(), AppError> {
        self.check(
            caller,
            Action::Update,
            ResourceKind::Patient,
            relation,
            &format!("case {}", row.pseudonym),
        )?;
        crate::sitemaps::refuse_if_ended(partnership)
    }
}

/// The person acting, as the journey engine knows them.
pub(crate) fn actor_of(caller: &Caller) -> Result<Actor, AppError> {
    let p = caller
        .principal
        .as_ref()
        .ok_or_else(|| AppError::Forbidden("a case is acted on by a person".into()))?;
    Ok(Actor {
        user_id: p.user_id.clone(),
        name: caller.name.clone(),
        org: p.org_kind,
        roles: vec![p.role],
    })
}
