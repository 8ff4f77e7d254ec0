//! The outbox's recorded events (issue 13, point 4): an organization's webhook endpoints,
//! on its own ledger — created, secret rotated, disabled, marked unhealthy after repeated
//! failure, enabled again. The secret itself is never recorded (only an operational row holds
//! it, to sign with); deliveries and their attempts are operational rows too.

use super::events;
use serde::{Deserialize, Serialize};

/// An endpoint that receives the organization's notifications of the kinds it names (all of
/// them when the list is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointCreated {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub kinds: Vec<String>,
}

/// A new secret replaced the endpoint's old one (shown once to the admin who rotated it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointSecretRotated {
    pub id: String,
}

/// An admin stopped deliveries to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointDisabled {
    pub id: String,
}

/// The endpoint failed `failures` deliveries in a row: it is no longer tried until an admin
/// enables it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointUnhealthy {
    pub id: String,
    pub failures: i64,
}

/// An admin enabled a disabled or unhealthy endpoint again; what it missed is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointEnabled {
    pub id: String,
}

events! {
    WebhookEndpointCreated => "webhook_endpoint.created",
    WebhookEndpointSecretRotated => "webhook_endpoint.secret_rotated",
    WebhookEndpointDisabled => "webhook_endpoint.disabled",
    WebhookEndpointUnhealthy => "webhook_endpoint.unhealthy",
    WebhookEndpointEnabled => "webhook_endpoint.enabled",
}
