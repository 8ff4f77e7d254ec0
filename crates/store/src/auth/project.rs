//! Access's projector: API tokens (read into `cellpath_domain::events::auth`'s types) and
//! e-signatures (the ledger crate's `SignaturePayload`).

use crate::StoreError;
use crate::project::{Bind, execute, invalid, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::auth::{ApiTokenCreated, ApiTokenRevoked};
use cellpath_ledger::{Event, SIGNATURE_EVENT_TYPE, SignaturePayload, Signed};
use sqlx::{Any, Transaction};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    hash: &str,
) -> Result<bool, StoreError> {
    let kind = event.kind.as_str();
    if kind == ApiTokenCreated::KIND {
        let token = typed::<ApiTokenCreated>(event)?;
        execute(
            tx,
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_on, read_only) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Bind::Text(token.id),
                Bind::Text(token.user_id),
                Bind::Text(token.name),
                Bind::Text(token.token_hash),
                Bind::Int(event.recorded_at),
                Bind::Text(token.expires_on.map(String::from).unwrap_or_default()),
                Bind::Int(i64::from(token.read_only)),
            ],
        )
        .await?;
    } else if kind == ApiTokenRevoked::KIND {
        let id = typed::<ApiTokenRevoked>(event)?.id;
        let n = execute(
            tx,
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            vec![Bind::Text(id.clone()), Bind::Int(event.recorded_at)],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::NotFound {
                kind: "active api token",
                id,
            });
        }
    } else if kind == SIGNATURE_EVENT_TYPE {
        let sig: SignaturePayload = serde_json::from_value(event.payload.clone())
            .map_err(|e| invalid(event, format!("not a signature: {e}")))?;
        let target = match &sig.signs {
            Signed::Event { event_hash } => event_hash.clone(),
            Signed::Record { content_hash, .. } => content_hash.clone(),
        };
        // The channel as its JSON ('' when the payload predates it), read back by
        // `SignatureRow`.
        let channel = sig
            .channel
            .as_ref()
            .map(|c| c.to_value().to_string())
            .unwrap_or_default();
        crate::site_maps::project::site_map_signature(tx, &event.ledger_id, hash, &sig).await?;
        execute(
            tx,
            "INSERT INTO signatures (event_hash, ledger_id, seq, target, signer_user_id, printed_name, meaning, signed_at, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Bind::Text(hash.into()),
                Bind::Text(event.ledger_id.clone()),
                Bind::Int(event.seq),
                Bind::Text(target),
                Bind::Text(sig.signer_user_id),
                Bind::Text(sig.printed_name),
                Bind::Text(sig.meaning.to_string()),
                Bind::Int(sig.signed_at),
                Bind::Text(channel),
            ],
        )
        .await?;
    } else {
        return Ok(false);
    }
    Ok(true)
}
