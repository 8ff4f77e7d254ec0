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
    url: String,
    /// The kinds of notification it receives (expiry_reminder, site_authorized,
    /// site_suspended, site_reinstated); left out or empty: all of them.
    #[serde(default)]
    kinds: Vec<String>,
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
