//! The audit trail as the API answers it: a ledger's head, its events as people read them,
//! and e-signatures.

use super::schema;
use crate::audit::EventView;
use cellpath_domain::process_map::SignatureMeaning;
use cellpath_ledger::{Channel, Meaning};
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerHead {
    pub ledger_id: String,
    #[schema(value_type = String)]
    pub kind: rows::LedgerKind,
    pub seq: i64,
    pub head_hash: String,
}

impl From<rows::LedgerHead> for LedgerHead {
    fn from(r: rows::LedgerHead) -> Self {
        LedgerHead {
            ledger_id: r.ledger_id,
            kind: r.kind,
            seq: r.seq,
            head_hash: r.head_hash,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub event_hash: String,
    pub ledger_id: String,
    pub seq: i64,
    pub target: String,
    pub signer_user_id: String,
    pub printed_name: String,
    #[schema(schema_with = schema::vocabulary::<SignatureMeaning>)]
    pub meaning: Meaning,
    #[schema(schema_with = schema::micros)]
    pub signed_at: i64,
    #[schema(schema_with = schema::channel, required = true)]
    pub channel: Option<Channel>,
}

impl From<rows::SignatureRow> for Signature {
    fn from(r: rows::SignatureRow) -> Self {
        Signature {
            event_hash: r.event_hash,
            ledger_id: r.ledger_id,
            seq: r.seq,
            target: r.target,
            signer_user_id: r.signer_user_id,
            printed_name: r.printed_name,
            meaning: r.meaning,
            signed_at: r.signed_at,
            channel: r.channel,
        }
    }
}

/// One event as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub seq: i64,
    pub hash: String,
    pub kind: String,
    pub actor: String,
    pub actor_name: Option<String>,
    #[schema(schema_with = schema::micros)]
    pub recorded_at: i64,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub signatures: Vec<Signature>,
}

impl From<EventView> for Event {
    fn from(e: EventView) -> Self {
        Event {
            seq: e.seq,
            hash: e.hash,
            kind: e.kind,
            actor: e.actor,
            actor_name: e.actor_name,
            recorded_at: e.recorded_at,
            payload: e.payload,
            signatures: e.signatures.into_iter().map(Signature::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).expect("serializes")
    }

    /// The views serialize byte for byte as the rows and the app's event view did (a
    /// signature is replayed from the answer stored with its event).
    #[test]
    fn audit_views_serialize_as_before() {
        let head = rows::LedgerHead {
            ledger_id: "l1".into(),
            kind: rows::LedgerKind::Partnership,
            seq: 4,
            head_hash: "ab".into(),
        };
        assert_eq!(json(&head), json(&LedgerHead::from(head.clone())));
        let signature = |channel| rows::SignatureRow {
            event_hash: "h".into(),
            ledger_id: "l1".into(),
            seq: 2,
            target: "event".into(),
            signer_user_id: "u1".into(),
            printed_name: "Ann".into(),
            meaning: Meaning::Approved,
            signed_at: 9,
            channel,
        };
        let channels = [
            None,
            Some(Channel::WebSession),
            Some(Channel::ApiToken {
                token_id: "t1".into(),
                token_name: "tablet".into(),
            }),
        ];
        for channel in channels {
            let row = signature(channel);
            assert_eq!(json(&row), json(&Signature::from(row.clone())));
        }
        let event = EventView {
            seq: 2,
            hash: "h".into(),
            kind: "site.created".into(),
            actor: "u1".into(),
            actor_name: Some("Ann".into()),
            recorded_at: 8,
            payload: serde_json::json!({ "name": "North" }),
            signatures: vec![signature(Some(Channel::System))],
            body: "{}".into(),
        };
        assert_eq!(json(&event), json(&Event::from(event.clone())));
    }
}
