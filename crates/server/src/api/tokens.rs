//! Personal API tokens of the caller: list, create (shown once), revoke.

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
}

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let user_id = c
        .principal
        .as_ref()
        .map(|p| p.user_id.clone())
        .unwrap_or_default();
    Ok(axum::Json(s.app.api_tokens(&c, &user_id).await?).into_response())
}

pub async fn create(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: NewToken = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_api_token(c, &input.name, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

pub async fn revoke(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.revoke_api_token(&c, &id).await?).into_response())
}
