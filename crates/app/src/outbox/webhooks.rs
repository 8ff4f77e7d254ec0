//! An organization's webhook endpoints (issue 13, points 4 and 6): its admins create one (URL
//! and the kinds it wants; the secret is shown once), rotate its secret, disable it, enable it
//! again (after an admin's disabling or after it was marked unhealthy), and read every
//! delivery attempt. Nobody else learns an endpoint exists (404).

use crate::write::{Outcome, Write};
use crate::{App, AppError, Caller, Idem};
use cellpath_domain::events::webhooks::{
    WebhookEndpointCreated, WebhookEndpointDisabled, WebhookEndpointEnabled,
    WebhookEndpointSecretRotated,
};
use cellpath_domain::outbox::EndpointStatus;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_store::{Operational, WebhookEndpoint};
use serde::Serialize;
use std::collections::HashMap;

/// The kinds of notification an endpoint may ask for (an empty list: all of them).
pub const NOTIFICATION_KINDS: &[&str] = &[
    "expiry_reminder",
    "site_authorized",
    "site_suspended",
    "site_reinstated",
    "release_exception",
];

/// The prefix of a webhook secret (so one found in a log is recognized for what it is).
const SECRET_PREFIX: &str = "whsec_";

/// An endpoint as its admins see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpointView {
    pub id: String,
    pub url: String,
    /// The kinds it receives; empty: all.
    pub kinds: Vec<String>,
    /// `active`, `disabled` (by an admin) or `unhealthy` (failed too often in a row; not tried
    /// until enabled again).
    pub status: EndpointStatus,
    /// Deliveries that failed in a row, up to now.
    pub consecutive_failures: i64,
    /// Microseconds since the epoch.
    pub created_at: i64,
}

impl From<WebhookEndpoint> for WebhookEndpointView {
    fn from(e: WebhookEndpoint) -> Self {
        WebhookEndpointView {
            id: e.id,
            url: e.url,
            kinds: e.kinds,
            status: e.status,
            consecutive_failures: e.consecutive_failures,
            created_at: e.created_at,
        }
    }
}

/// An organization's endpoints, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct WebhookEndpointList(pub Vec<WebhookEndpointView>);

/// Attempts at delivering to an endpoint, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct DeliveryAttemptList(pub Vec<DeliveryAttemptView>);

/// A new endpoint, or one whose secret was rotated, with the secret — shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EndpointWithSecret {
    pub endpoint: WebhookEndpointView,
    /// The key the deliveries are signed with (HMAC-SHA256, `docs/webhooks.md`). Shown once:
    /// an idempotent repeat of the request does not show it again.
    pub secret: String,
}

/// One attempt at delivering a message to an endpoint, and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttemptView {
    /// The message's stable id (the `Cellpath-Event-Id` header).
    pub message_id: String,
    pub kind: String,
    pub subject: String,
    /// 1 for the first attempt at this message.
    pub attempt: i64,
    /// Microseconds since the epoch.
    pub at: i64,
    pub duration_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub ok: bool,
}

/// Parse an endpoint's URL: `https://host[:port]/path`, or `http://` (to a receiver on the
/// same network, or a TLS-terminating proxy).
fn parse_url(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    let url = reqwest::Url::parse(text).map_err(|e| {
        AppError::invalid(
            "url",
            format!(
                "{text:?} is not a URL ({e}); give one like https://hooks.example.org/cellpath"
            ),
        )
    })?;
    match url.scheme() {
        "https" | "http" => {}
        other => {
            return Err(AppError::invalid(
                "url",
                format!("a webhook URL starts with https:// or http://, not {other}://"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AppError::invalid("url", "the URL names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(
            "url",
            "put no user name or password in the URL: deliveries are signed instead",
        ));
    }
    Ok(url.to_string())
}

fn parse_kinds(kinds: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for k in kinds.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if !NOTIFICATION_KINDS.contains(&k) {
            return Err(AppError::invalid(
                "kinds",
                format!(
                    "{k:?} is not a kind of notification; choose among {}",
                    NOTIFICATION_KINDS.join(", ")
                ),
            ));
        }
        if !out.iter().any(|o| o == k) {
            out.push(k.to_string());
        }
    }
    Ok(out)
}

impl App {
    /// The organization whose endpoints the caller manages: its own (an admin's); the
    /// operator names one.
    fn endpoints_org(&self, caller: &Caller, org_id: Option<&str>) -> Result<String, AppError> {
        let own = match (caller.org_id(), org_id) {
            (Some(own), _) => own.to_string(),
            (None, Some(named)) => named.to_string(),
            (None, None) => {
                return Err(AppError::invalid(
                    "org",
                    "name the organization whose webhook endpoints these are",
                ));
            }
        };
        if let Some(named) = org_id {
            caller.refuse_other_org(named, "webhook endpoints")?;
        }
        Ok(own)
    }

    /// An endpoint the caller may manage, or not found (another organization's, or not the
    /// caller's role).
    async fn endpoint_for(
        &self,
        caller: &Caller,
        action: Action,
        id: &str,
    ) -> Result<WebhookEndpoint, AppError> {
        let what = format!("webhook endpoint {id}");
        let endpoint = self
            .store
            .webhook_endpoint(id)
            .await?
            .ok_or_else(|| AppError::not_found(what.clone()))?;
        let relation = match caller.org_id() {
            Some(own) if own != endpoint.org_id => Relation::Unrelated,
            _ => Relation::OwnOrg,
        };
        self.check(
            caller,
            action,
            ResourceKind::WebhookEndpoint,
            relation,
            &what,
        )?;
        Ok(endpoint)
    }

    /// The organization's endpoints, oldest first.
    pub async fn webhook_endpoints(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
    ) -> Result<Vec<WebhookEndpointView>, AppError> {
        let org = self.endpoints_org(caller, org_id)?;
        self.check(
            caller,
            Action::Read,
            ResourceKind::WebhookEndpoint,
            Relation::OwnOrg,
            "webhook endpoints",
        )?;
        Ok(self
            .store
            .webhook_endpoints_of(&org)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn webhook_endpoint(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<WebhookEndpointView, AppError> {
        Ok(self.endpoint_for(caller, Action::Read, id).await?.into())
    }

    /// Every attempt at delivering to the endpoint, newest first (at most `limit`).
    pub async fn webhook_attempts(
        &self,
        caller: &Caller,
        id: &str,
        limit: i64,
    ) -> Result<Vec<DeliveryAttemptView>, AppError> {
        let endpoint = self.endpoint_for(caller, Action::Read, id).await?;
        let mut messages: HashMap<String, (String, String)> = HashMap::new();
        let mut out = Vec::new();
        for a in self
            .store
            .delivery_attempts_to(&endpoint.id, limit.clamp(1, 1000))
            .await?
        {
            if !messages.contains_key(&a.outbox_id) {
                let m = self.store.outbox_message(&a.outbox_id).await?;
                messages.insert(
                    a.outbox_id.clone(),
                    m.map_or_else(Default::default, |m| (m.kind, m.subject)),
                );
            }
            let (kind, subject) = messages[&a.outbox_id].clone();
            out.push(DeliveryAttemptView {
                message_id: a.outbox_id,
                kind,
                subject,
                attempt: a.attempt,
                at: a.at,
                duration_ms: a.duration_ms,
                status_code: a.status_code,
                error: a.error,
                ok: a.ok,
            });
        }
        Ok(out)
    }

    /// A new endpoint of the caller's organization, active, with a new secret shown once.
    pub async fn create_webhook_endpoint(
        &self,
        caller: &Caller,
        url: &str,
        kinds: &[String],
        idem: Option<Idem>,
    ) -> Result<Outcome<EndpointWithSecret>, AppError> {
        let org = self.endpoints_org(caller, None)?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::WebhookEndpoint,
            Relation::OwnOrg,
            "webhook endpoints",
        )?;
        let url = parse_url(url)?;
        let kinds = parse_kinds(kinds)?;
        let secret = format!("{SECRET_PREFIX}{}", crate::ids::new_secret());
        let event = WebhookEndpointCreated {
            id: crate::ids::new_id("whk"),
            org_id: org.clone(),
            url,
            kinds,
        };
        let view = WebhookEndpointView {
            id: event.id.clone(),
            url: event.url.clone(),
            kinds: event.kinds.clone(),
            status: EndpointStatus::Active,
            consecutive_failures: 0,
            created_at: 0,
        };
        let shown = secret.clone();
        let write = Write::event(org, &event, move |a| EndpointWithSecret {
            endpoint: WebhookEndpointView {
                created_at: a.recorded_at,
                ..view.clone()
            },
            secret: shown.clone(),
        })
        .with_operational(Operational::SetWebhookSecret {
            endpoint_id: event.id.clone(),
            secret,
        })
        .created()
        .redact("secret");
        self.write(caller, idem, write).await
    }

    /// A new secret for the endpoint, shown once; the old one signs nothing more.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        id: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<EndpointWithSecret>, AppError> {
        let endpoint = self.endpoint_for(caller, Action::Update, id).await?;
        let secret = format!("{SECRET_PREFIX}{}", crate::ids::new_secret());
        let shown = secret.clone();
        let view: WebhookEndpointView = endpoint.clone().into();
        let write = Write::event(
            endpoint.org_id.clone(),
            &WebhookEndpointSecretRotated {
                id: endpoint.id.clone(),
            },
            move |_| EndpointWithSecret {
                endpoint: view.clone(),
                secret: shown.clone(),
            },
        )
        .with_operational(Operational::SetWebhookSecret {
            endpoint_id: endpoint.id.clone(),
            secret,
        })
        .redact("secret");
        self.write(caller, idem, write).await
    }

    /// Stop deliveries to the endpoint (what it would have received is not kept for it).
    pub async fn disable_webhook_endpoint(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<WebhookEndpointView, AppError> {
        let endpoint = self.endpoint_for(caller, Action::Update, id).await?;
        if endpoint.status == EndpointStatus::Disabled {
            return Err(AppError::State(format!(
                "webhook endpoint {} is disabled already",
                endpoint.url
            )));
        }
        let write = Write::event(
            endpoint.org_id.clone(),
            &WebhookEndpointDisabled {
                id: endpoint.id.clone(),
            },
            |_| (),
        );
        self.write(caller, None, write).await?.fresh()?;
        self.webhook_endpoint(caller, id).await
    }

    /// Enable a disabled or unhealthy endpoint again: its failures start over and the messages
    /// held for it while it was unhealthy are delivered.
    pub async fn enable_webhook_endpoint(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<WebhookEndpointView, AppError> {
        let endpoint = self.endpoint_for(caller, Action::Update, id).await?;
        if endpoint.status == EndpointStatus::Active {
            return Err(AppError::State(format!(
                "webhook endpoint {} is active already",
                endpoint.url
            )));
        }
        let now = self.now();
        let held = self.store.held_messages_of(&endpoint.id).await?;
        let write = Write::event(
            endpoint.org_id.clone(),
            &WebhookEndpointEnabled {
                id: endpoint.id.clone(),
            },
            |_| (),
        )
        .with_operational(Operational::ReopenWebhookEndpoint {
            endpoint_id: endpoint.id.clone(),
        })
        .enqueue_all(
            held.into_iter()
                .map(|m| crate::jobs::Job::Deliver { message_id: m.id }.due(now)),
        );
        self.write(caller, None, write).await?.fresh()?;
        self.webhook_endpoint(caller, id).await
    }
}
