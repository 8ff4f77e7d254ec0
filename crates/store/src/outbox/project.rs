//! The outbox's record table (migration 0030): `webhook_endpoints`, projected from the
//! `webhook_endpoint.*` events on the organization's ledger.

use crate::StoreError;
use crate::project::{Bind, execute, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::webhooks::{
    WebhookEndpointCreated, WebhookEndpointDisabled, WebhookEndpointEnabled,
    WebhookEndpointSecretRotated, WebhookEndpointUnhealthy,
};
use cellpath_domain::outbox::EndpointStatus;
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    let kind = event.kind.as_str();
    let (id, status) = if kind == WebhookEndpointCreated::KIND {
        let e = typed::<WebhookEndpointCreated>(event)?;
        execute(
            tx,
            "INSERT INTO webhook_endpoints (id, org_id, url, kinds, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            vec![
                Bind::Text(e.id),
                Bind::Text(e.org_id),
                Bind::Text(e.url),
                Bind::Text(serde_json::to_string(&e.kinds).expect("strings serialize")),
                Bind::Text(EndpointStatus::Active.as_str().into()),
                Bind::Int(event.recorded_at),
            ],
        )
        .await?;
        return Ok(true);
    } else if kind == WebhookEndpointSecretRotated::KIND {
        (typed::<WebhookEndpointSecretRotated>(event)?.id, None)
    } else if kind == WebhookEndpointDisabled::KIND {
        (
            typed::<WebhookEndpointDisabled>(event)?.id,
            Some(EndpointStatus::Disabled),
        )
    } else if kind == WebhookEndpointUnhealthy::KIND {
        (
            typed::<WebhookEndpointUnhealthy>(event)?.id,
            Some(EndpointStatus::Unhealthy),
        )
    } else if kind == WebhookEndpointEnabled::KIND {
        (
            typed::<WebhookEndpointEnabled>(event)?.id,
            Some(EndpointStatus::Active),
        )
    } else {
        return Ok(false);
    };
    let n = match status {
        Some(status) => {
            execute(
                tx,
                "UPDATE webhook_endpoints SET status = $2, updated_at = $3 WHERE id = $1",
                vec![
                    Bind::Text(id.clone()),
                    Bind::Text(status.as_str().into()),
                    Bind::Int(event.recorded_at),
                ],
            )
            .await?
        }
        None => {
            execute(
                tx,
                "UPDATE webhook_endpoints SET updated_at = $2 WHERE id = $1",
                vec![Bind::Text(id.clone()), Bind::Int(event.recorded_at)],
            )
            .await?
        }
    };
    if n == 0 {
        return Err(StoreError::NotFound {
            kind: "webhook endpoint",
            id,
        });
    }
    Ok(true)
}
