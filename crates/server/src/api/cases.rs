//! Patients' cases over the API: register a patient (the health system's ledger), open a case
//! where the site is authorized (the partnership's ledger), list and read cases — each answer
//! cut to the caller's view of the patient — and act on a case step by step; a site's
//! registry forms and marking one submitted.

use super::extract::{ApiCaller, Command, NoQuery, Params, answer, paged, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::cases::{CaseInput, FormSubmission, FormsShown, NewCase, NewPatient};
use cellpath_domain::LedgerInt;
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

pub async fn list_site_cases(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.cases_of_site(&c, &id).await?).into_response())
}

pub async fn list_partnership_cases(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.cases_of_partnership(&c, &id).await?).into_response())
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
