//! Adverse events on a case (DESIGN.md §4.4): CRS and ICANS recorded by the site's nurses and
//! physicians as observations, each graded by the domain's `toxicity` and stored with its
//! inputs; later observations, treatment and outcome. Each is a case command — decided by the
//! journey engine on the case as it stands and written with the case's version checked, like
//! every other action — answering the event's grade and why. The preview grades observations
//! without writing anything, for the form that shows the grade as the nurse types.

use super::act::{CaseActed, Decided};
use crate::{App, AppError, Caller, FieldError, Fields, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::events::cases::{
    AdverseEventKind, AdverseEventOutcome, CaseEvent, Findings, Treatment,
};
use cellpath_domain::journey::{
    AdverseEvent, Case, Command, NewObservation, evolve, outcome_words,
};
use cellpath_domain::toxicity::{CrsObservations, Graded, IcansObservations, ObservationProblem};
use serde::{Deserialize, Serialize};

/// One observation as typed: when (`YYYY-MM-DDTHH:MM`, UTC) and the findings of one kind.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationInput {
    #[schema(schema_with = crate::views::schema::time)]
    pub at: String,
    #[serde(default)]
    pub crs: Option<CrsObservations>,
    #[serde(default)]
    pub icans: Option<IcansObservations>,
}

/// A new adverse event: its kind, onset (`YYYY-MM-DDTHH:MM`, UTC) and first observations.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAdverseEvent {
    pub kind: AdverseEventKind,
    #[schema(schema_with = crate::views::schema::time)]
    pub onset: String,
    /// Each with the findings of the event's kind (crs or icans).
    #[schema(min_items = 1)]
    pub observations: Vec<ObservationInput>,
}

/// A treatment given: what, when (`YYYY-MM-DDTHH:MM`, UTC), dose and route in words.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentInput {
    pub treatment: Treatment,
    #[schema(schema_with = crate::views::schema::time)]
    pub given_at: String,
    /// Dose and route, e.g. 8 mg/kg IV.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub detail: String,
}

/// A grade and its reasons in words.
#[derive(utoipa::ToSchema)]
#[schema(as = Grade)]
#[derive(Debug, Clone, Serialize)]
pub struct GradeView {
    /// An ASTCT grade: 0 (none by these observations) to 5 (death).
    #[schema(maximum = 5)]
    pub grade: u8,
    pub because: Vec<String>,
}

impl From<Graded> for GradeView {
    fn from(g: Graded) -> GradeView {
        GradeView {
            grade: g.grade,
            because: g.because,
        }
    }
}

/// An adverse event's grade after a command: the worst of its observations (5 when fatal),
/// with the reasons of the observation that set it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct AdverseEventGraded {
    pub number: u32,
    pub kind: AdverseEventKind,
    /// An ASTCT grade: 0 (none by these observations) to 5 (death).
    #[schema(maximum = 5)]
    pub grade: u8,
    pub because: Vec<String>,
    /// Ongoing, resolved on …, fatal on ….
    pub outcome: String,
}

pub(crate) fn graded(ae: &AdverseEvent) -> AdverseEventGraded {
    let mut because = ae
        .worst()
        .map(|o| o.observation.graded_again().because)
        .unwrap_or_default();
    let outcome = ae.outcome.as_ref().map(|o| &o.outcome);
    if let Some(AdverseEventOutcome::Fatal { on }) = outcome
        && ae.worst().is_none_or(|o| o.observation.grade() < 5)
    {
        because.insert(0, format!("fatal on {on}: grade 5"));
    }
    AdverseEventGraded {
        number: ae.number,
        kind: ae.kind,
        grade: ae.grade(),
        because,
        outcome: outcome.map_or_else(|| "ongoing".into(), outcome_words),
    }
}

/// The adverse event a decision's events touch, as it stands after them.
pub(super) fn summary(case: &Case, events: &[CaseEvent]) -> Option<AdverseEventGraded> {
    let number = events.iter().find_map(|e| match e {
        CaseEvent::AdverseEventRecorded(a) => Some(a.adverse_event),
        CaseEvent::AdverseEventObserved(a) => Some(a.adverse_event),
        CaseEvent::AdverseEventTreated(a) => Some(a.adverse_event),
        CaseEvent::AdverseEventOutcome(a) => Some(a.adverse_event),
        _ => None,
    })?;
    let after = events.iter().fold(case.clone(), evolve);
    after.adverse_events.get(&number).map(graded)
}

fn problems(found: Vec<ObservationProblem>) -> AppError {
    AppError::Invalid(
        found
            .into_iter()
            .map(|p| FieldError {
                field: p.field.to_string(),
                message: p.message,
            })
            .collect(),
    )
}

/// An observation as the engine takes it; problems by field, named after `prefix`.
fn observation(
    input: &ObservationInput,
    prefix: &str,
    errors: &mut Fields,
) -> Option<NewObservation> {
    let at = errors.check(&format!("{prefix}at"), Date::parse_time(&input.at));
    let findings = match (&input.crs, &input.icans) {
        (Some(c), None) => Some(Findings::Crs(c.clone())),
        (None, Some(i)) => Some(Findings::Icans(i.clone())),
        (None, None) => {
            errors.fail(
                &format!("{prefix}findings"),
                "enter what was observed: the CRS findings (crs) or the ICANS findings (icans)",
            );
            None
        }
        (Some(_), Some(_)) => {
            errors.fail(
                &format!("{prefix}icans"),
                "an observation holds one kind's findings: record CRS and ICANS as two adverse events",
            );
            None
        }
    };
    Some(NewObservation {
        at: at?,
        findings: findings?,
    })
}

impl App {
    /// Grade CRS observations without recording anything (any signed-in person).
    pub fn preview_crs(&self, caller: &Caller, o: &CrsObservations) -> Result<GradeView, AppError> {
        caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        cellpath_domain::toxicity::grade_crs(o)
            .map(GradeView::from)
            .map_err(problems)
    }

    /// Grade ICANS observations without recording anything (any signed-in person).
    pub fn preview_icans(
        &self,
        caller: &Caller,
        o: &IcansObservations,
    ) -> Result<GradeView, AppError> {
        caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        cellpath_domain::toxicity::grade_icans(o)
            .map(GradeView::from)
            .map_err(problems)
    }

    /// Record an adverse event with its first observations (a 201: a new event on the case).
    pub async fn record_adverse_event(
        &self,
        caller: &Caller,
        case_id: &str,
        input: NewAdverseEvent,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let command = move |_: bool| {
            let mut errors = Fields::default();
            let onset = errors.check("onset", Date::parse_time(&input.onset));
            let observations: Vec<NewObservation> = input
                .observations
                .iter()
                .enumerate()
                .filter_map(|(i, o)| observation(o, &format!("observations[{i}]."), &mut errors))
                .collect();
            errors.finish()?;
            Ok(Command::RecordAdverseEvent {
                kind: input.kind,
                onset_at: onset.expect("checked"),
                observations,
            })
        };
        self.adverse(caller, case_id, &command, if_match, idem, true)
            .await
    }

    /// A later observation of adverse event `number`.
    pub async fn observe_adverse_event(
        &self,
        caller: &Caller,
        case_id: &str,
        number: u32,
        input: ObservationInput,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let command = move |_: bool| {
            let mut errors = Fields::default();
            let o = observation(&input, "", &mut errors);
            errors.finish()?;
            Ok(Command::ObserveAdverseEvent {
                adverse_event: number,
                observation: o.expect("checked"),
            })
        };
        self.adverse(caller, case_id, &command, if_match, idem, true)
            .await
    }

    /// A treatment given for adverse event `number`.
    pub async fn treat_adverse_event(
        &self,
        caller: &Caller,
        case_id: &str,
        number: u32,
        input: TreatmentInput,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let command = move |_: bool| {
            let given_at =
                Date::parse_time(&input.given_at).map_err(|e| AppError::invalid("given_at", e))?;
            Ok(Command::TreatAdverseEvent {
                adverse_event: number,
                treatment: input.treatment,
                given_at,
                detail: input.detail.clone(),
            })
        };
        self.adverse(caller, case_id, &command, if_match, idem, true)
            .await
    }

    /// The outcome of adverse event `number`: ongoing, resolved on a day, fatal on a day.
    pub async fn adverse_event_outcome(
        &self,
        caller: &Caller,
        case_id: &str,
        number: u32,
        outcome: AdverseEventOutcome,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let command = move |_: bool| {
            Ok(Command::AdverseEventOutcome {
                adverse_event: number,
                outcome: outcome.clone(),
            })
        };
        self.adverse(caller, case_id, &command, if_match, idem, false)
            .await
    }

    async fn adverse(
        &self,
        caller: &Caller,
        case_id: &str,
        command: &(dyn Fn(bool) -> Result<Command, AppError> + Send + Sync),
        if_match: Option<i64>,
        idem: Option<Idem>,
        created: bool,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let act = Decided {
            command: &|signed, _| command(signed),
            consent_version_id: None,
            meaning: None,
            password: "",
            if_match,
            idem,
            created,
        };
        self.decide_on_case(caller, case_id, act).await
    }
}
