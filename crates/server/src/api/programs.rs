//! Programs and their process map versions over the API.

use super::extract::{
    ApiCaller, PageQuery, answer, idem_or_replay, if_match, json, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use cellpath_domain::process_map::ProcessMap;
use cellpath_domain::program::ProgramFacts;

type Q = Result<Query<PageQuery>, QueryRejection>;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: Q,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.programs(&c, page).await?, page))
}

pub async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let facts: ProgramFacts = json(&headers, &body)?;
    let idem = match idem_or_replay(&s, &c, &method, &uri, &headers, &body).await? {
        Ok(idem) => idem,
        Err(replayed) => return Ok(replayed),
    };
    let org = c.org_id().unwrap_or_default().to_string();
    let out = s.app.create_program(&c, &org, facts, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.program(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let facts: ProgramFacts = json(&headers, &body)?;
    let version = if_match(&headers)?;
    let idem = match idem_or_replay(&s, &c, &method, &uri, &headers, &body).await? {
        Ok(idem) => idem,
        Err(replayed) => return Ok(replayed),
    };
    let out = s.app.update_program(&c, &id, version, facts, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn list_maps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.map_versions(&c, &id).await?).into_response())
}

pub async fn create_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map: ProcessMap = json(&headers, &body)?;
    let idem = match idem_or_replay(&s, &c, &method, &uri, &headers, &body).await? {
        Ok(idem) => idem,
        Err(replayed) => return Ok(replayed),
    };
    let out = s.app.create_map_version(&c, &id, map, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (v, _) = s.app.map_version(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn update_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map: ProcessMap = json(&headers, &body)?;
    let version = if_match(&headers)?;
    let idem = match idem_or_replay(&s, &c, &method, &uri, &headers, &body).await? {
        Ok(idem) => idem,
        Err(replayed) => return Ok(replayed),
    };
    let out = s
        .app
        .update_map_version(&c, &id, version, map, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn publish_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let idem = match idem_or_replay(&s, &c, &method, &uri, &headers, &body).await? {
        Ok(idem) => idem,
        Err(replayed) => return Ok(replayed),
    };
    let out = s.app.publish_map_version(&c, &id, version, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
