//! Patients' cases over the API: register a patient (the health system's ledger), open a case
//! where the site is authorized (the partnership's ledger), list and read cases — each answer
//! cut to the caller's view of the patient — and act on a case step by step.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, Paged, answer, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::cases::{CaseInput, CaseListItem, NewCase, NewPatient};
use serde::Deserialize;

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

pub async fn open_case(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let input: NewCase = cmd.json()?;
    let out = s
        .app
        .open_case(&cmd.caller, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseAction {
    action: CaseInput,
    /// Re-entered for signed actions (a signature, a deviation, a late administration).
    #[serde(default)]
    password: String,
}

/// One action on a case. If-Match is optional: with it, a case changed since is a 412;
/// without it the action is decided on the case as it stands (409 with what happened when
/// someone else did it first).
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
