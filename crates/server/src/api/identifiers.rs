//! `GET /api/v1/identifiers/check?value=…`: read a scanned or typed ISBT 128 identifier, as
//! `cellpath identifiers check` does. A value that is wrong is an answer (`valid: false`, with
//! what is wrong), not an error: a scanner asks this question many times a day.

use super::extract::{ApiCaller, Params};
use crate::problem::ApiError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use cellpath_domain::identifiers::{self, Check};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    value: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/identifiers/check",
    operation_id = "checkIdentifier",
    summary = "Read a scanned or typed ISBT 128 identifier (a donation identification number with or without =, flags and check character, or a &/ chain of identity identifier): its parts, or what is wrong with it (valid false, and for a DIN the correct check character)",
    responses((status = 200, body = Check))
)]
pub async fn check(
    ApiCaller(_): ApiCaller,
    Params(q): Params<CheckQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(identifiers::check(&q.value).0).into_response())
}
