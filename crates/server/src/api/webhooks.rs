//! An organization's webhook endpoints (issue 13, point 6), for its admins: list, create (the
//! secret shown once), rotate the secret, disable, enable again, and every delivery attempt.
//! The signature scheme is `docs/webhooks.md`'s.

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::outbox::webhooks::{
    DeliveryAttemptList, EndpointWithSecret, WebhookEndpointList, WebhookEndpointView,
};
use serde::Deserialize;
use utoipa::ToSchema;

/// How many attempts the attempts list shows, newest first.
const ATTEMPTS_SHOWN: i64 = 200;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointInput {
    /// Where deliveries are posted: an http:// URL.
    #[schema(
        pattern = r"^http://([a-z0-9]+\.)*[a-z][a-z0-9]*(:[1-9][0-9]{0,3})?(/[a-z0-9/_-]*)?$"
    )]
    url: String,
    /// The kinds of notification it receives; left out or empty: all of them.
    #[serde(default)]
    #[schema(value_type = Vec<NotificationKind>)]
    kinds: Vec<String>,
}

/// A kind of notification an endpoint may ask for (the app's `NOTIFICATION_KINDS`; the
/// test `the_schemas_kinds_are_the_apps` keeps the two the same). For the document only.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum NotificationKind {
    ExpiryReminder,
    SiteAuthorized,
    SiteSuspended,
    SiteReinstated,
    ReleaseException,
}

#[cfg(test)]
mod kinds_tests {
    #[test]
    fn the_schemas_kinds_are_the_apps() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(super::NotificationKind::schema()).unwrap();
        let words: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert_eq!(words, cellpath_app::outbox::webhooks::NOTIFICATION_KINDS);
    }
}

/// The organization's webhook endpoints
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints",
    operation_id = "listWebhookEndpoints",
    responses((status = 200, body = WebhookEndpointList))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let list = WebhookEndpointList(s.app.webhook_endpoints(&c, None).await?);
    Ok(axum::Json(list).into_response())
}

/// Create a webhook endpoint (its secret shown once)
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints",
    operation_id = "createWebhookEndpoint",
    request_body = WebhookEndpointInput,
    responses((status = 201, body = EndpointWithSecret))
)]
pub async fn create(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let input: WebhookEndpointInput = cmd.json()?;
    let out = s
        .app
        .create_webhook_endpoint(&cmd.caller, &input.url, &input.kinds, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

/// A webhook endpoint
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints/{id}",
    operation_id = "getWebhookEndpoint",
    responses((status = 200, body = WebhookEndpointView))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.webhook_endpoint(&c, &id).await?).into_response())
}

/// Rotate a webhook endpoint's secret (the new one shown once)
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints/{id}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    responses((status = 200, body = EndpointWithSecret))
)]
pub async fn rotate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let out = s
        .app
        .rotate_webhook_secret(&cmd.caller, &id, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |_| None))
}

/// Disable a webhook endpoint
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints/{id}/disable",
    operation_id = "disableWebhookEndpoint",
    responses((status = 200, body = WebhookEndpointView))
)]
pub async fn disable(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.disable_webhook_endpoint(&c, &id).await?).into_response())
}

/// Enable a disabled or unhealthy webhook endpoint again (what it missed is delivered)
#[utoipa::path(
    post,
    path = "/api/v1/webhook-endpoints/{id}/enable",
    operation_id = "enableWebhookEndpoint",
    responses((status = 200, body = WebhookEndpointView))
)]
pub async fn enable(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.enable_webhook_endpoint(&c, &id).await?).into_response())
}

/// Every attempt at delivering to a webhook endpoint, newest first
#[utoipa::path(
    get,
    path = "/api/v1/webhook-endpoints/{id}/attempts",
    operation_id = "listWebhookAttempts",
    responses((status = 200, body = DeliveryAttemptList))
)]
pub async fn attempts(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = DeliveryAttemptList(s.app.webhook_attempts(&c, &id, ATTEMPTS_SHOWN).await?);
    Ok(axum::Json(list).into_response())
}
