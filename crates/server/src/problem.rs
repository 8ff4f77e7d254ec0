//! `application/problem+json` (RFC 9457) answers with a message a person can act on.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cellpath_app::{AppError, FieldError};
use serde::Serialize;

/// An error answer (`application/problem+json`); `errors` names the fields at fault.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            kind: format!("/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: vec![],
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

/// The API's error: every handler returns `Result<_, ApiError>`.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let detail = e.to_string();
        let p = match e {
            AppError::Invalid(errors) => Problem {
                errors,
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "The request has invalid values",
                    detail,
                )
            },
            AppError::Duplicate { field, message } => Problem {
                errors: vec![FieldError { field, message }],
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "duplicate",
                    "This already exists",
                    detail,
                )
            },
            AppError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
            }
            AppError::Forbidden(_) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
            }
            AppError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "send Authorization: Bearer <token>; create a token on the API tokens page",
            ),
            AppError::TokenExpired(_) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "token-expired",
                "The token has expired",
                detail,
            ),
            AppError::ReadOnlyToken => Problem::new(
                StatusCode::FORBIDDEN,
                "read-only-token",
                "This token is read-only",
                detail,
            ),
            AppError::LoginFailed(_) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "login-failed",
                "Authentication failed",
                detail,
            ),
            // The If-Match version is not the record's any more (RFC 9110: 412).
            AppError::Conflict { .. } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Changed by someone else",
                detail,
            ),
            AppError::State(_) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Not possible as the record stands",
                detail,
            ),
            AppError::PreconditionRequired => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "If-Match required",
                detail,
            ),
            AppError::IdempotencyKeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                detail,
            ),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; it has been logged",
                )
            }
        };
        ApiError(p)
    }
}

/// Every error under `/api` is problem+json, whoever answered it: axum's own rejections (an
/// undecodable path segment, a method the route does not have — keeping its `Allow` header — a
/// body too large) arrive here as plain text and leave as a problem with the same status and
/// their text as the detail.
pub async fn ensure_problem(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let media = v.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("application/json")
                || media.eq_ignore_ascii_case("application/problem+json")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (slug, title, fallback) = match status {
        StatusCode::BAD_REQUEST => (
            "bad-request",
            "Bad request",
            "the request could not be read",
        ),
        StatusCode::NOT_FOUND => ("not-found", "Not found", "no such API route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "Method not allowed",
            "this route does not take that method; the Allow header lists the ones it takes",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too-large",
            "The body is too large",
            "the body is larger than the server accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "media-type",
            "JSON expected",
            "send the body as JSON with Content-Type: application/json",
        ),
        _ if status.is_server_error() => (
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
        ),
        _ => (
            "error",
            "The request was refused",
            "the request was refused",
        ),
    };
    let detail = if text.is_empty() || status.is_server_error() {
        fallback.to_string()
    } else {
        text.chars().take(300).collect()
    };
    let mut out = Problem::new(status, slug, title, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}
