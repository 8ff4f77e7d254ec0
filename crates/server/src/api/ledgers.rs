//! The audit trail over the API: head, events, verification, JSON Lines export, e-signatures.

use super::extract::{ApiCaller, Command, NoQuery, PageParams, answer, meaning, page, paged};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cellpath_ledger::Signed;
use serde::Deserialize;

pub async fn head(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.ledger_head(&c, &id).await?).into_response())
}

pub async fn events(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.ledger_events(&c, &id, page).await?, page))
}

pub async fn verify(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.verify_ledger(&c, &id).await?).into_response())
}

pub async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut buf = Vec::new();
    s.app.export_ledger(&c, &id, &mut buf).await?;
    let mut res = (StatusCode::OK, buf).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jsonl"),
    );
    Ok(res)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// What is signed: an event on this ledger, or a record's content hash.
    signs: Signed,
    meaning: String,
    /// The signer's password, re-entered now (a token alone never signs).
    password: String,
}

pub async fn sign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: SignRequest = cmd.json()?;
    let meaning = meaning(&req.meaning)?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .sign(c, &id, req.signs, meaning, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}
