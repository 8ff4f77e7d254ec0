//! A case as its reader may see it (DESIGN.md §2): the pseudonym view (pseudonym, initials,
//! birth year, where the case stands, the timeline without identifiers or typed fields), the
//! chain-of-identity view (adds the patient's name, date of birth and the case's identifiers)
//! and the full view (adds the medical record number). Lists show the pseudonym's part only.

use super::Loaded;
use super::timeline::{sentence, when};
use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::Role;
use cellpath_domain::events::cases::{
    AdverseEventKind, AdverseEventOutcome, CaseState, ConsentGiver, Findings,
    PriorAuthorizationStatus, Treatment,
};
use cellpath_domain::journey::{
    ADVERSE_EVENT_ROLES, AdverseEvent, Available, CaseIdentifier, CaseStatus, UnitState, available,
};
use cellpath_domain::policy::PatientView;
use cellpath_domain::process_map::{RecordedIn, Stage, StepKind, ValidMap};
use cellpath_store::{CaseRow, Page};
use serde::Serialize;

/// The patient's identity, for the chain-of-identity and full views.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PatientIdentity {
    pub name: String,
    pub date_of_birth: Date,
    /// The medical record number: the full view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrn: Option<String>,
}

/// Where one step of the map stands for this case.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct StepView {
    pub key: String,
    pub name: String,
    pub stage: Stage,
    pub kind: StepKind,
    /// Who does it at this site.
    pub role: Role,
    pub after: Vec<String>,
    /// The fields its first entry records (in cellpath), by name.
    pub fields: Vec<String>,
    /// Charted in the EHR: attested with the EHR's reference instead of its fields.
    pub ehr: bool,
    /// `done`, `current` (it may be done now) or `waiting`.
    pub state: &'static str,
    pub attempt: u32,
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct UnitView {
    pub key: String,
    pub name: String,
    /// In words: still frozen, thawed (window until …), or how it ended.
    pub state: String,
    /// Frozen, thawed or ended, for a form to offer what fits.
    pub status: UnitState,
    /// Thawed and not ended yet: when its administration window closes (a later
    /// administration needs a signed deviation with its reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ends_at: Option<i64>,
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TimelineEntry {
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
    pub text: String,
}

/// The benefits last verified: the prior authorization's status and days for every reader;
/// payer, plan and reference for the chain-of-identity and full views.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct BenefitsView {
    pub status: PriorAuthorizationStatus,
    pub requested_on: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub verified_by: String,
    #[schema(schema_with = crate::views::schema::micros)]
    pub verified_at: i64,
}

/// One observation of an adverse event: when, what was observed (clinical findings, nothing
/// identifying), the grade computed from it and why, and who observed it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ObservationView {
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
    pub findings: Findings,
    /// An ASTCT grade: 0 (none by these observations) to 5 (death).
    #[schema(maximum = 5)]
    pub grade: u8,
    pub because: Vec<String>,
    pub by: String,
}

/// A treatment given for an adverse event. Its dose and route are words typed by a person:
/// shown from the chain-of-identity view up, as a deviation's reason is.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TreatmentView {
    pub treatment: Treatment,
    #[schema(schema_with = crate::views::schema::micros)]
    pub given_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub by: String,
}

/// An adverse event of the case, for every reader of the case: its kind, onset, grade (the
/// worst of its observations, 5 when fatal) and why, its observations, treatment and outcome.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct AdverseEventView {
    pub number: u32,
    pub kind: AdverseEventKind,
    /// "CRS" or "ICANS".
    pub label: &'static str,
    #[schema(schema_with = crate::views::schema::micros)]
    pub onset_at: i64,
    /// An ASTCT grade: 0 (none by these observations) to 5 (death).
    #[schema(maximum = 5)]
    pub grade: u8,
    pub because: Vec<String>,
    pub observations: Vec<ObservationView>,
    pub treatments: Vec<TreatmentView>,
    /// None yet: ongoing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AdverseEventOutcome>,
    /// Ongoing, resolved on …, fatal on ….
    pub outcome_text: String,
    pub recorded_by: String,
    /// How the manufacturer's safety role stands to its safety report (on a case's own view;
    /// left out of the report itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_report: Option<crate::safety::ReportState>,
}

pub(crate) fn adverse_event_view(ae: &AdverseEvent, words_shown: bool) -> AdverseEventView {
    let graded = super::adverse::graded(ae);
    AdverseEventView {
        number: ae.number,
        kind: ae.kind,
        label: ae.kind.label(),
        onset_at: ae.onset_at,
        grade: graded.grade,
        because: graded.because,
        observations: ae
            .observations
            .iter()
            .map(|o| ObservationView {
                at: o.observation.at(),
                findings: o.observation.findings().clone(),
                grade: o.observation.grade(),
                because: o.observation.graded_again().because,
                by: o.by.name.clone(),
            })
            .collect(),
        treatments: ae
            .treatments
            .iter()
            .map(|t| TreatmentView {
                treatment: t.treatment,
                given_at: t.given_at,
                detail: (words_shown && !t.detail.is_empty()).then(|| t.detail.clone()),
                by: t.by.name.clone(),
            })
            .collect(),
        outcome: ae.outcome.as_ref().map(|o| o.outcome.clone()),
        outcome_text: graded.outcome,
        recorded_by: ae.recorded_by.name.clone(),
        safety_report: None,
    }
}

/// The patient's consent last recorded, against its consent version: the version, the day
/// signed and who consented (patient or representative) for every reader; the witness's name
/// for the chain-of-identity and full views.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ConsentView {
    pub consent_version_id: String,
    pub version_number: i64,
    pub document_sha256: String,
    pub consented_by: ConsentGiver,
    pub signed_on: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    pub recorded_by: String,
    #[schema(schema_with = crate::views::schema::micros)]
    pub recorded_at: i64,
}

/// A case as the caller may see it.
#[derive(utoipa::ToSchema)]
#[schema(as = Case)]
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: String,
    pub pseudonym: String,
    pub initials: String,
    pub birth_year: i64,
    /// What the caller sees of the patient.
    pub view: PatientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientIdentity>,
    pub status: CaseState,
    /// The status in words, with its reason (on hold because…, stopped at…, cancelled…).
    pub status_text: String,
    pub partnership_id: String,
    pub site_id: String,
    pub site_name: String,
    pub program_id: String,
    pub program_name: String,
    pub map_version_id: String,
    /// The version to send as If-Match.
    pub version: i64,
    #[schema(schema_with = crate::views::schema::micros)]
    pub opened_at: i64,
    /// The case's identifiers (chain-of-identity and full views; empty for the pseudonym).
    pub identifiers: Vec<CaseIdentifier>,
    pub steps: Vec<StepView>,
    /// What may be done now, and by which roles.
    pub available: Vec<Available>,
    /// The steps the caller may do now (their role is among those named).
    pub yours: Vec<String>,
    pub units: Vec<UnitView>,
    pub deviations: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benefits: Option<BenefitsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentView>,
    pub timeline: Vec<TimelineEntry>,
    /// Graded adverse events (CRS, ICANS), by number.
    pub adverse_events: Vec<AdverseEventView>,
    /// The caller may record adverse events here (a nurse or physician of the site, on a case
    /// with a unit infused, not cancelled).
    pub may_record_adverse_events: bool,
    /// The registry follow-up the first infusion scheduled (none before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<super::RegistryView>,
    /// The caller may mark the case's registry forms submitted (the follow-up step's role at
    /// the site, on the health system's side).
    pub submits_forms: bool,
    /// The map the case runs on, for drawing it.
    #[serde(skip)]
    pub map: Option<ValidMap>,
}

/// A case in a list: the pseudonym's part only, whoever reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseListItem {
    pub id: String,
    pub pseudonym: String,
    pub initials: String,
    pub birth_year: i64,
    #[schema(schema_with = crate::views::schema::vocabulary::<CaseState>)]
    pub status: CaseState,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub version: i64,
    #[schema(schema_with = crate::views::schema::micros)]
    #[schema(schema_with = crate::views::schema::micros)]
    pub opened_at: i64,
    #[schema(schema_with = crate::views::schema::micros)]
    pub updated_at: i64,
    /// The step it last finished, with its stage and when; none before its first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_step: Option<LastStep>,
}

/// Where a case stands in a list: the step it last finished.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LastStep {
    pub key: String,
    /// The step's name on the case's map (its key, should a migration have renamed it).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::views::schema::vocabulary::<Stage>)]
    pub stage: Option<Stage>,
    #[schema(schema_with = crate::views::schema::micros)]
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
}

impl CaseListItem {
    /// The row as a list shows it, the last step named from the map the case runs on.
    fn of(r: CaseRow, map: &ValidMap) -> CaseListItem {
        let last_step = r.last_step.clone().map(|(key, at)| {
            let step = map.step(&key);
            LastStep {
                name: step.map_or_else(|| key.clone(), |s| s.name.clone()),
                stage: step.map(|s| s.stage),
                key,
                at,
            }
        });
        CaseListItem {
            last_step,
            ..CaseListItem::from(r)
        }
    }
}

impl From<CaseRow> for CaseListItem {
    fn from(r: CaseRow) -> CaseListItem {
        CaseListItem {
            last_step: None,
            id: r.id,
            pseudonym: r.pseudonym,
            initials: r.initials,
            birth_year: r.birth_year,
            status: r.status,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            version: r.version,
            opened_at: r.opened_at,
            updated_at: r.updated_at,
        }
    }
}

fn status_text(status: &CaseStatus) -> String {
    match status {
        CaseStatus::NotOpened => "not opened".into(),
        CaseStatus::Active => "active".into(),
        CaseStatus::OnHold { reason, since } => {
            format!("on hold since {}: {reason}", when(*since))
        }
        CaseStatus::Stopped { step, decision } => {
            format!("stopped at {step}: the product is {decision}")
        }
        CaseStatus::Cancelled {
            care_transition_note,
            at,
        } => format!(
            "cancelled {}; care goes on: {care_transition_note}",
            when(*at)
        ),
    }
}

impl App {
    /// A case, cut to the caller's view of its patient (not found without one).
    pub async fn case(&self, caller: &Caller, case_id: &str) -> Result<CaseView, AppError> {
        let (loaded, view) = self.load_case(caller, case_id).await?;
        let patient = match view {
            PatientView::Pseudonym => None,
            PatientView::ChainOfIdentity | PatientView::Full => self
                .store
                .patient_by_registration(&loaded.row.patient_registration)
                .await?
                .map(|p| PatientIdentity {
                    name: p.name,
                    date_of_birth: p.date_of_birth,
                    mrn: (view == PatientView::Full).then_some(p.mrn),
                }),
        };
        let site_name = self
            .store
            .site(&loaded.row.site_id)
            .await?
            .map_or_else(|| loaded.row.site_id.clone(), |s| s.name);
        let program_name = self
            .store
            .program(&loaded.row.program_id)
            .await?
            .map_or_else(|| loaded.row.program_id.clone(), |p| p.name);
        let today = Date::of_micros(self.now());
        let mut states = self.report_states_of_case(&loaded.row.id).await?;
        let mut out = cut(
            loaded,
            view,
            patient,
            (site_name, program_name),
            caller,
            &today,
        );
        for ae in &mut out.adverse_events {
            ae.safety_report = states.remove(&ae.number);
        }
        Ok(out)
    }

    /// The cases of a site the caller may see (the pseudonym's part), newest first, a page at
    /// a time: the health system's own staff see all of them, a manufacturer those of its
    /// partnerships that show it patients.
    pub async fn cases_of_site(
        &self,
        caller: &Caller,
        site_id: &str,
        page: Page,
    ) -> Result<Vec<CaseListItem>, AppError> {
        let site = self
            .store
            .site(site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {site_id}")))?;
        let mut shown = Vec::new();
        for p in self
            .store
            .partnerships_of(&site.org_id, Page::all())
            .await?
        {
            let rel = self.case_relation(caller, &p);
            if self.patient_view(caller, rel, "cases").is_ok() {
                shown.push(p.id);
            }
        }
        let mut out = Vec::new();
        for row in self.store.cases_of_site(site_id, &shown, page).await? {
            out.push(self.list_item(row).await?);
        }
        Ok(out)
    }

    /// The cases of a partnership the caller may see, newest first, a page at a time.
    pub async fn cases_of_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
        page: Page,
    ) -> Result<Vec<CaseListItem>, AppError> {
        let p = self.partnership_row(caller, partnership_id).await?;
        let rel = self.case_relation(caller, &p);
        self.patient_view(caller, rel, &format!("the cases of partnership {}", p.id))?;
        let mut out = Vec::new();
        for row in self.store.cases_of_partnership(&p.id, page).await? {
            out.push(self.list_item(row).await?);
        }
        Ok(out)
    }

    /// A case row as lists show it: its last step named from its map (kept once per version).
    async fn list_item(&self, row: CaseRow) -> Result<CaseListItem, AppError> {
        let map = self.case_map(&row.map_version_id).await?;
        Ok(CaseListItem::of(row, map.map()))
    }
}

fn cut(
    loaded: Loaded,
    view: PatientView,
    patient: Option<PatientIdentity>,
    (site_name, program_name): (String, String),
    caller: &Caller,
    today: &Date,
) -> CaseView {
    let identifiers_shown = view >= PatientView::ChainOfIdentity;
    let Loaded {
        row,
        events,
        case,
        map,
        ..
    } = loaded;
    let open = available(&map, &case);
    let steps = map
        .map()
        .steps()
        .map(|s| StepView {
            key: s.key.clone(),
            name: s.name.clone(),
            stage: s.stage,
            kind: s.kind,
            role: map.role_of(s),
            after: s.after.clone(),
            fields: s.params.fields.clone(),
            ehr: s.recorded_in == RecordedIn::Ehr,
            state: if case.is_done(&s.key) || case.has_passed(map.map(), &s.key) {
                "done"
            } else if open.iter().any(|a| a.step == s.key) {
                "current"
            } else {
                "waiting"
            },
            attempt: case.attempt_of(&s.key),
        })
        .collect();
    let role = caller.principal.as_ref().map(|p| p.role);
    let submits_forms = caller.principal.as_ref().is_some_and(|p| {
        p.org_kind == cellpath_domain::OrgKind::HealthSystem
            && map
                .map()
                .steps()
                .find(|s| s.kind == StepKind::FollowUp)
                .map_or(Role::DataManager, |s| map.role_of(s))
                == p.role
    });
    let registry = super::registry::registry_view(&case, view, today);
    let yours = open
        .iter()
        .filter(|a| role.is_some_and(|r| a.roles.contains(&r)))
        .map(|a| a.step.clone())
        .collect();
    let units = case
        .units
        .values()
        .map(|u| UnitView {
            key: u.key.clone(),
            name: u.name.clone(),
            state: match (&u.thaw, &u.disposition) {
                (_, Some(d)) => d.to_string(),
                (Some(t), None) => format!("thawed; window until {}", when(t.window_ends_at)),
                (None, None) => "still frozen".into(),
            },
            status: u.state(),
            window_ends_at: u
                .thaw
                .filter(|_| u.disposition.is_none())
                .map(|t| t.window_ends_at),
        })
        .collect();
    let timeline = events
        .iter()
        .map(|(r, e)| TimelineEntry {
            at: r.recorded_at,
            text: sentence(&map, r, e, identifiers_shown),
        })
        .collect();
    CaseView {
        id: row.id,
        pseudonym: row.pseudonym,
        initials: row.initials,
        birth_year: row.birth_year,
        view,
        patient,
        status: row.status,
        status_text: status_text(&case.status),
        partnership_id: row.partnership_id,
        site_id: row.site_id,
        site_name,
        program_id: row.program_id,
        program_name,
        map_version_id: row.map_version_id,
        version: row.version,
        opened_at: row.opened_at,
        identifiers: if identifiers_shown {
            case.identifiers.clone()
        } else {
            Vec::new()
        },
        steps,
        available: open,
        yours,
        units,
        deviations: case.deviations.len(),
        benefits: case.benefits.as_ref().map(|b| {
            let shown = |t: &String| identifiers_shown.then(|| t.clone());
            BenefitsView {
                status: b.prior_authorization.status,
                requested_on: b.prior_authorization.requested_on.clone(),
                decided_on: b.prior_authorization.decided_on.clone(),
                payer: shown(&b.payer),
                plan: shown(&b.plan),
                reference: shown(&b.prior_authorization.reference),
                verified_by: b.by.name.clone(),
                verified_at: b.at,
            }
        }),
        consent: case.consent.as_ref().map(|c| ConsentView {
            consent_version_id: c.consent_version_id.clone(),
            version_number: c.version_number,
            document_sha256: c.document_sha256.clone(),
            consented_by: c.consented_by,
            signed_on: c.signed_on.clone(),
            witness: identifiers_shown.then(|| c.witness.clone()),
            recorded_by: c.by.name.clone(),
            recorded_at: c.at,
        }),
        timeline,
        adverse_events: case
            .adverse_events
            .values()
            .map(|ae| adverse_event_view(ae, identifiers_shown))
            .collect(),
        may_record_adverse_events: role.is_some_and(|r| ADVERSE_EVENT_ROLES.contains(&r))
            && view == PatientView::Full
            && case.first_infusion().is_some()
            && !matches!(case.status, CaseStatus::Cancelled { .. }),
        registry,
        submits_forms,
        map: Some(map.map().clone()),
    }
}
