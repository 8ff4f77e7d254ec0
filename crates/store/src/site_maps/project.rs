//! Site maps' projector: site map versions and the proposals made on them, an accepted
//! proposal frozen. Each event is read into its type (`cellpath_domain::events::site_maps`)
//! before its row is written.

use crate::StoreError;
use crate::project::{Bind, Col, Table, execute, record};
use cellpath_domain::events::site_maps::{
    MapProposalCreated, MapProposalUpdated, SiteMapVersionCreated, SiteMapVersionUpdated,
};
use cellpath_ledger::{Event, SIGNATURE_EVENT_TYPE, SignaturePayload, Signed};
use sqlx::{Any, Transaction};

const SITE_MAP_VERSION: Table = Table {
    name: "site_map_versions",
    kind: "site_map_version",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("base_map_version_id", Col::Text, false),
        ("number", Col::Int, false),
        ("refinement", Col::Json, true),
    ],
    frozen_when: None,
};
const MAP_PROPOSAL: Table = Table {
    name: "map_proposals",
    kind: "map_proposal",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_map_version_id", Col::Text, false),
        ("step_key", Col::Text, false),
        ("proposed", Col::Json, false),
        ("reason", Col::Text, false),
        ("status", Col::Text, true),
        ("decision_reason", Col::Text, true),
    ],
    frozen_when: Some(("status", "accepted")),
};
pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    Ok(
        record::<SiteMapVersionCreated, SiteMapVersionUpdated>(tx, &SITE_MAP_VERSION, event)
            .await?
            || record::<MapProposalCreated, MapProposalUpdated>(tx, &MAP_PROPOSAL, event).await?,
    )
}

/// The record kind a signature on a site map version names (`Signed::Record`).
const SITE_MAP_RECORD: &str = "site_map_version";

/// A signature on a site map version, kept apart with the version and content it is on (the
/// gate's facts: which versions both sides signed, and when). Called for every signature the
/// access projector writes; others are left alone.
pub(crate) async fn site_map_signature(
    tx: &mut Transaction<'static, Any>,
    ledger_id: &str,
    hash: &str,
    sig: &SignaturePayload,
) -> Result<(), StoreError> {
    let Signed::Record {
        record_kind,
        record_id,
        content_hash,
    } = &sig.signs
    else {
        return Ok(());
    };
    if record_kind != SITE_MAP_RECORD {
        return Ok(());
    }
    execute(
        tx,
        "INSERT INTO site_map_signatures (event_hash, partnership_id, site_map_version_id, content_hash, signer_user_id, signed_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Bind::Text(hash.into()),
            Bind::Text(ledger_id.into()),
            Bind::Text(record_id.clone()),
            Bind::Text(content_hash.clone()),
            Bind::Text(sig.signer_user_id.clone()),
            Bind::Int(sig.signed_at),
        ],
    )
    .await?;
    Ok(())
}

/// Migration 0010's step: the site map signatures recorded before the table existed, from
/// their events (what the projection would have written).
pub(crate) async fn backfill_site_map_signatures(
    tx: &mut Transaction<'static, Any>,
) -> Result<(), StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT ledger_id, hash, body FROM events WHERE kind = $1 ORDER BY ledger_id, seq",
    )
    .bind(SIGNATURE_EVENT_TYPE)
    .fetch_all(&mut **tx)
    .await?;
    for (ledger_id, hash, body) in rows {
        let event: Event = serde_json::from_str(&body)
            .map_err(|e| StoreError::Invalid(format!("event {hash} is not an event: {e}")))?;
        let sig: SignaturePayload = serde_json::from_value(event.payload)
            .map_err(|e| StoreError::Invalid(format!("event {hash} is not a signature: {e}")))?;
        site_map_signature(tx, &ledger_id, &hash, &sig).await?;
    }
    Ok(())
}
