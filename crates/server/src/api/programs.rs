//! Programs and their process map versions over the API.

use super::extract::{
    ApiCaller, Command, List, NoQuery, PageParams, Paged, answer, own_org, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::views::programs::{MapVersion, Program};
use cellpath_domain::process_map::ProcessMap;
use cellpath_domain::program::ProgramFacts;

/// The programs a caller can see, a page at a time.
type ProgramPage = Paged<Program>;
/// A program's process map versions.
type MapVersionList = List<MapVersion>;

/// Programs the caller can see (own, and partners' through a partnership)
#[utoipa::path(
    get,
    path = "/api/v1/programs",
    operation_id = "listPrograms",
    responses((status = 200, body = ProgramPage))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.programs(&c, page).await?, page))
}

/// Create a program of the caller's manufacturer
#[utoipa::path(
    post,
    path = "/api/v1/programs",
    operation_id = "createProgram",
    request_body = ProgramFacts,
    responses((status = 201, body = Program))
)]
pub async fn create(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let facts: ProgramFacts = cmd.json()?;
    let idem = cmd.idem.clone();
    let org = own_org(c);
    let out = s.app.create_program(c, &org, facts, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

/// One program
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}",
    operation_id = "getProgram",
    responses((status = 200, body = Program))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.program(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Replace a program's facts (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/programs/{id}",
    operation_id = "updateProgram",
    request_body = ProgramFacts,
    responses((status = 200, body = Program))
)]
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

/// A program's process map versions
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}/maps",
    operation_id = "listMapVersions",
    responses((status = 200, body = MapVersionList))
)]
pub async fn list_maps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = List(s.app.map_versions(&c, &id).await?);
    Ok(axum::Json(list).into_response())
}

/// Add a draft process map version (validated)
#[utoipa::path(
    post,
    path = "/api/v1/programs/{id}/maps",
    operation_id = "createMapVersion",
    request_body = ProcessMap,
    responses((status = 201, body = MapVersion))
)]
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

/// One process map version
#[utoipa::path(
    get,
    path = "/api/v1/maps/{id}",
    operation_id = "getMapVersion",
    responses((status = 200, body = MapVersion))
)]
pub async fn get_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.map_version(&c, &id).await?.0;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Replace a draft map (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/maps/{id}",
    operation_id = "updateMapVersion",
    request_body = ProcessMap,
    responses((status = 200, body = MapVersion))
)]
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

/// Publish a draft map; published versions never change (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/maps/{id}/publish",
    operation_id = "publishMapVersion",
    responses((status = 200, body = MapVersion))
)]
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
