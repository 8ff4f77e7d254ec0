//! Patients' cases over the API: register a patient (the health system's ledger), open a case
//! where the site is authorized (the partnership's ledger), list and read cases — each answer
//! cut to the caller's view of the patient — and act on a case step by step; graded adverse
//! events on a case, and the grading preview; a site's registry forms and marking one submitted.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, Paged, Params, answer, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::AppError;
use cellpath_app::cases::{
    CaseActed, CaseInput, CaseListItem, CaseOpenedView, CaseView, FormSubmission, FormsShown,
    GradeView, NewAdverseEvent, NewCase, NewPatient, ObservationInput, PatientRegistration,
    RegistryFormItem, TreatmentInput,
};
use cellpath_domain::LedgerInt;
use cellpath_domain::events::cases::AdverseEventOutcome;
use cellpath_domain::toxicity::{CrsObservations, IcansObservations};
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(
    post,
    path = "/api/v1/patients",
    operation_id = "registerPatient",
    summary = "Register a patient's identity at one of your sites (health system's ledger; coordinator or physician)",
    request_body = NewPatient,
    responses((status = 201, body = PatientRegistration))
)]
pub async fn register_patient(
    State(s): State<AppState>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewPatient = cmd.json()?;
    let out = s
        .app
        .register_patient(&cmd.caller, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases",
    operation_id = "openCase",
    summary = "Open a case for a registered patient where the site is authorized for the program today (partnership's ledger)",
    request_body = NewCase,
    responses((status = 201, body = CaseOpenedView))
)]
pub async fn open_case(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let input: NewCase = cmd.json()?;
    let out = s
        .app
        .open_case(&cmd.caller, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    operation_id = "getCase",
    summary = "A case, cut to your view of its patient: where it stands on its map, what can be done next, its timeline",
    responses((status = 200, body = CaseView))
)]
pub async fn get_case(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = s.app.case(&c, &id).await?;
    let version = view.version;
    Ok(with_etag(StatusCode::OK, &view, version))
}

type CaseListItemPage = Paged<CaseListItem>;
type RegistryFormItemPage = Paged<RegistryFormItem>;

/// The cases of a site you may see, newest first (pseudonym, initials, birth year, status, the
/// step each last finished)
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/cases",
    operation_id = "listSiteCases",
    responses((status = 200, body = CaseListItemPage))
)]
pub async fn list_site_cases(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.cases_of_site(&c, &id, page).await?, page))
}

/// The cases of a partnership you may see, newest first (pseudonym, initials, birth year,
/// status, the step each last finished)
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/cases",
    operation_id = "listPartnershipCases",
    responses((status = 200, body = CaseListItemPage))
)]
pub async fn list_partnership_cases(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(
        s.app.cases_of_partnership(&c, &id, page).await?,
        page,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAction {
    action: CaseInput,
    /// The signer's password, re-entered, for sign, deviation and a late administration.
    #[serde(default)]
    password: String,
}

/// One action on a case. If-Match is optional: with it, a case changed since is a 412;
/// without it the action is decided on the case as it stands (409 with what happened when
/// someone else did it first).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/actions",
    operation_id = "actOnCase",
    summary = "Act on a case: a step, a signature, a hold, a cancellation (password re-entered for signed actions; If-Match optional)",
    request_body = CaseAction,
    responses((status = 200, body = CaseActed))
)]
pub async fn act(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: CaseAction = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .act_on_case(
            &cmd.caller,
            &id,
            req.action,
            &req.password,
            if_match,
            cmd.idem.clone(),
        )
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// The number of an adverse event on its case, from the path (`1`, `2`…); anything else
/// names no adverse event.
fn adverse_event_number(case_id: &str, ae: &str) -> Result<u32, ApiError> {
    ae.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found(format!("adverse event {ae} of case {case_id}")).into())
}

/// Record an adverse event (CRS or ICANS) with its onset and first observations: 201 with the
/// grade computed from them and why. If-Match is optional, as for every action on a case.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/adverse-events",
    operation_id = "recordAdverseEvent",
    summary = "Record an adverse event (CRS or ICANS) with its onset and first observations, graded by the ASTCT consensus from what was observed; answers its grade and why (site nurse or physician, after the first infusion; If-Match optional)",
    request_body = NewAdverseEvent,
    responses((status = 201, body = CaseActed))
)]
pub async fn record_adverse_event(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewAdverseEvent = cmd.json()?;
    let out = s
        .app
        .record_adverse_event(
            &cmd.caller,
            &id,
            input,
            cmd.optional_if_match()?,
            cmd.idem.clone(),
        )
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

/// What is sent to one adverse event of a case.
enum ToAdverseEvent {
    Observation(ObservationInput),
    Treatment(TreatmentInput),
    Outcome(AdverseEventOutcome),
}

/// Send it to adverse event `ae` of case `id` (If-Match optional, as for every action on a
/// case): 201 for a new observation or treatment, 200 for the outcome.
async fn to_adverse_event(
    s: &AppState,
    id: &str,
    ae: &str,
    cmd: &Command,
    what: ToAdverseEvent,
) -> Result<Response, ApiError> {
    let number = adverse_event_number(id, ae)?;
    let (caller, if_match, idem) = (&cmd.caller, cmd.optional_if_match()?, cmd.idem.clone());
    let app = &s.app;
    let (out, status) = match what {
        ToAdverseEvent::Observation(o) => (
            app.observe_adverse_event(caller, id, number, o, if_match, idem)
                .await?,
            StatusCode::CREATED,
        ),
        ToAdverseEvent::Treatment(t) => (
            app.treat_adverse_event(caller, id, number, t, if_match, idem)
                .await?,
            StatusCode::CREATED,
        ),
        ToAdverseEvent::Outcome(o) => (
            app.adverse_event_outcome(caller, id, number, o, if_match, idem)
                .await?,
            StatusCode::OK,
        ),
    };
    Ok(answer(out, status, |v| Some(v.version)))
}

/// A later observation of an adverse event: 201 with the event's grade after it.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/adverse-events/{ae}/observations",
    operation_id = "observeAdverseEvent",
    summary = "A later observation of an adverse event, graded; answers the event's grade (the worst of its observations) and why (If-Match optional)",
    request_body = ObservationInput,
    responses((status = 201, body = CaseActed))
)]
pub async fn observe_adverse_event(
    State(s): State<AppState>,
    Path((id, ae)): Path<(String, String)>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let what = ToAdverseEvent::Observation(cmd.json()?);
    to_adverse_event(&s, &id, &ae, &cmd, what).await
}

/// A treatment given for an adverse event (tocilizumab, steroids): 201.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/adverse-events/{ae}/treatments",
    operation_id = "treatAdverseEvent",
    summary = "A treatment given for an adverse event: tocilizumab or steroids, when, dose and route (If-Match optional)",
    request_body = TreatmentInput,
    responses((status = 201, body = CaseActed))
)]
pub async fn treat_adverse_event(
    State(s): State<AppState>,
    Path((id, ae)): Path<(String, String)>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let what = ToAdverseEvent::Treatment(cmd.json()?);
    to_adverse_event(&s, &id, &ae, &cmd, what).await
}

/// The outcome of an adverse event: ongoing, resolved on a day, fatal on a day (grade 5).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/adverse-events/{ae}/outcome",
    operation_id = "adverseEventOutcome",
    summary = "An adverse event's outcome: ongoing, resolved on a day, or fatal on a day (grade 5) (If-Match optional)",
    request_body = AdverseEventOutcome,
    responses((status = 200, body = CaseActed))
)]
pub async fn adverse_event_outcome(
    State(s): State<AppState>,
    Path((id, ae)): Path<(String, String)>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let what = ToAdverseEvent::Outcome(cmd.json()?);
    to_adverse_event(&s, &id, &ae, &cmd, what).await
}

/// Grade CRS observations without recording anything: the grade and why, or 422 naming the
/// fields that cannot be graded.
#[utoipa::path(
    post,
    path = "/api/v1/grading/crs",
    operation_id = "gradeCrs",
    summary = "Grade CRS observations by the ASTCT consensus without recording anything (any signed-in user)",
    request_body = CrsObservations,
    responses((status = 200, body = GradeView))
)]
pub async fn grade_crs(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let o: CrsObservations = cmd.json()?;
    Ok(axum::Json(s.app.preview_crs(&cmd.caller, &o)?).into_response())
}

/// Grade ICANS observations without recording anything.
#[utoipa::path(
    post,
    path = "/api/v1/grading/icans",
    operation_id = "gradeIcans",
    summary = "Grade ICANS observations by the ASTCT consensus without recording anything (any signed-in user)",
    request_body = IcansObservations,
    responses((status = 200, body = GradeView))
)]
pub async fn grade_icans(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let o: IcansObservations = cmd.json()?;
    Ok(axum::Json(s.app.preview_icans(&cmd.caller, &o)?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFormsQuery {
    /// `due`, `overdue` or `submitted`; absent: due and overdue, most urgent first.
    status: Option<FormsShown>,
    limit: Option<LedgerInt>,
    offset: Option<LedgerInt>,
}

/// A site's registry forms (due, overdue or submitted), paged, cut to the cases whose
/// patients the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/registry-forms",
    operation_id = "listSiteRegistryForms",
    summary = "A site's CIBMTR registry forms of the cases you may see: ?status=due (window open), overdue (window closed, not submitted) or submitted; without status due and overdue together, most urgent first (the window that closed or closes first). The registry's reference from the chain-of-identity view up",
    responses((status = 200, body = RegistryFormItemPage))
)]
pub async fn list_site_registry_forms(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Params(q): Params<RegistryFormsQuery>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let page =
        cellpath_app::records::page(q.limit.map(LedgerInt::get), q.offset.map(LedgerInt::get))?;
    let items = s
        .app
        .registry_forms_of_site(&c, &id, q.status, page)
        .await?;
    Ok(paged(items, page))
}

/// Mark a case's scheduled registry form submitted (the site's data manager): the day and
/// the registry's reference. If-Match and Idempotency-Key as for other case actions.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/registry-forms/{form}/submissions",
    operation_id = "submitRegistryForm",
    summary = "Mark a case's scheduled registry form (its key, e.g. cibmtr-4100-day-100) submitted on a day with the registry's reference: the site's data manager (the follow-up step's role); refused before the first infusion, for a form not on the schedule, a second time (409), for a day after today or before the form's window opens, on a cancelled case (If-Match optional)",
    request_body = FormSubmission,
    responses((status = 200, body = CaseActed))
)]
pub async fn submit_registry_form(
    State(s): State<AppState>,
    Path((id, form)): Path<(String, String)>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: FormSubmission = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .submit_registry_form(&cmd.caller, &id, &form, input, if_match, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
