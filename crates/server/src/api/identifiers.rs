//! `GET /api/v1/identifiers/check?value=…`: read a scanned or typed ISBT 128 identifier, as
//! `cellpath identifiers check` does. A value that is wrong is an answer (`valid: false`, with
//! what is wrong), not an error: a scanner asks this question many times a day.

use super::extract::{ApiCaller, Params};
use crate::problem::ApiError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use cellpath_domain::identifiers::{IdentifierError, read};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    value: String,
}

pub async fn check(
    ApiCaller(_): ApiCaller,
    Params(q): Params<CheckQuery>,
) -> Result<Response, ApiError> {
    let answer = match read(&q.value) {
        Ok(id) => json!({
            "value": q.value,
            "valid": true,
            "printed": id.to_string(),
            "identifier": id,
        }),
        Err(e) => {
            let expected = match &e {
                IdentifierError::CheckCharacter { expected, .. } => Some(expected.to_string()),
                _ => None,
            };
            json!({
                "value": q.value,
                "valid": false,
                "problem": match e {
                    IdentifierError::Unreadable { .. } => "unreadable",
                    IdentifierError::Structure { .. } => "structure",
                    IdentifierError::CheckCharacter { .. } => "check_character",
                },
                "message": e.to_string(),
                "expected_check": expected,
            })
        }
    };
    Ok(Json(answer).into_response())
}
