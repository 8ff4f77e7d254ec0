//! Programs and their process map versions over the API.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, answer, own_org, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_domain::process_map::ProcessMap;
use cellpath_domain::program::ProgramFacts;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.programs(&c, page).await?, page))
}

pub async fn create(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let facts: ProgramFacts = cmd.json()?;
    let idem = cmd.idem.clone();
    let org = own_org(c);
    let out = s.app.create_program(c, &org, facts, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.program(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let facts: ProgramFacts = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.update_program(c, &id, version, facts, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn list_maps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.map_versions(&c, &id).await?).into_response())
}

pub async fn create_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let map: ProcessMap = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_map_version(c, &id, map, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (v, _) = s.app.map_version(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn update_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let map: ProcessMap = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.update_map_version(c, &id, version, map, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn publish_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.publish_map_version(c, &id, version, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
