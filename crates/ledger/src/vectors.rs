//! Test vectors published in `docs/ledger-format.md`.

use serde_json::json;

use crate::{Event, GENESIS_PREV_HASH, Meaning, SIGNATURE_EVENT_TYPE, SignaturePayload, Signed};

/// The published canonical bytes and SHA-256 of each vector event, in chain order.
pub const VECTORS: [(&str, &str); 3] = [
    (
        r#"{"actor":"user:usr_3f2a9c","ledger_id":"ptn_mercy_acme","payload":{"city":"Zürich","labels":{"a":"ascii","😀":"emoji","Ａ":"fullwidth A"},"ln2_min_temp_c":-150,"name":"Universitätsspital Zürich — Zelltherapie","site_id":"site_zrh_1","storage_units":12},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","recorded_at":1767225600000000,"schema_version":1,"seq":1,"type":"site.created"}"#,
        "7a159a2cc4008d52024bfecb66d710d275f383f617f0ac556b7b90ff1e5089bc",
    ),
    (
        r#"{"actor":"system:cli","ledger_id":"ptn_mercy_acme","payload":{"amount_cents":1250000,"case_id":"case_0001","flags":[true,false,null],"note":"Courier ETA 14:05\n\t\"dry shipper\" at C:\\dock\\3, seal ok/\u001f"},"prev_hash":"7a159a2cc4008d52024bfecb66d710d275f383f617f0ac556b7b90ff1e5089bc","recorded_at":1767225660500000,"schema_version":1,"seq":2,"type":"case.note_added"}"#,
        "635ffbc001058310c9159c90cf3edda2b2ef842d3579bfbcf2bd0e47fe2e4c21",
    ),
    (
        r#"{"actor":"user:usr_3f2a9c","ledger_id":"ptn_mercy_acme","payload":{"meaning":"verified","printed_name":"Dana Reyes, PharmD","signed_at":1767225719000000,"signer_user_id":"usr_3f2a9c","signs":{"event_hash":"635ffbc001058310c9159c90cf3edda2b2ef842d3579bfbcf2bd0e47fe2e4c21","target":"event"}},"prev_hash":"635ffbc001058310c9159c90cf3edda2b2ef842d3579bfbcf2bd0e47fe2e4c21","recorded_at":1767225720000000,"schema_version":1,"seq":3,"type":"signature.recorded"}"#,
        "43fe6fc4cb0342594e852d398fae2e45ed5c0b34454132b4016425a5f64f2985",
    ),
];

pub const LEDGER_ID: &str = "ptn_mercy_acme";

/// The three vector events, chained. Built from `prev` hashes passed in so the test can check
/// the published hashes link up.
pub fn events(prev1: &str, prev2: &str) -> [Event; 3] {
    [
        Event {
            ledger_id: LEDGER_ID.into(),
            seq: 1,
            prev_hash: GENESIS_PREV_HASH.into(),
            recorded_at: 1_767_225_600_000_000,
            actor: "user:usr_3f2a9c".into(),
            kind: "site.created".into(),
            schema_version: 1,
            payload: json!({
                "site_id": "site_zrh_1",
                "name": "Universitätsspital Zürich — Zelltherapie",
                "city": "Zürich",
                "labels": {"a": "ascii", "Ａ": "fullwidth A", "😀": "emoji"},
                "ln2_min_temp_c": -150,
                "storage_units": 12
            }),
        },
        Event {
            ledger_id: LEDGER_ID.into(),
            seq: 2,
            prev_hash: prev1.into(),
            recorded_at: 1_767_225_660_500_000,
            actor: "system:cli".into(),
            kind: "case.note_added".into(),
            schema_version: 1,
            payload: json!({
                "case_id": "case_0001",
                "note": "Courier ETA 14:05\n\t\"dry shipper\" at C:\\dock\\3, seal ok/\u{1f}",
                "amount_cents": 1250000,
                "flags": [true, false, null]
            }),
        },
        Event {
            ledger_id: LEDGER_ID.into(),
            seq: 3,
            prev_hash: prev2.into(),
            recorded_at: 1_767_225_720_000_000,
            actor: "user:usr_3f2a9c".into(),
            kind: SIGNATURE_EVENT_TYPE.into(),
            schema_version: 1,
            payload: SignaturePayload {
                signs: Signed::Event {
                    event_hash: prev2.into(),
                },
                signer_user_id: "usr_3f2a9c".into(),
                printed_name: "Dana Reyes, PharmD".into(),
                meaning: Meaning::Verified,
                signed_at: 1_767_225_719_000_000,
                // The vectors predate the optional channel; they stay as published.
                channel: None,
            }
            .to_payload(),
        },
    ]
}

/// The published document; the tests below check it shows exactly these vectors.
const DOC: &str = include_str!("../../../docs/ledger-format.md");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GENESIS_PREV_HASH, hash_bytes, verify_jsonl};

    fn published_events() -> [Event; 3] {
        events(VECTORS[0].1, VECTORS[1].1)
    }

    #[test]
    fn vectors_recompute_to_the_published_bytes_and_hashes() {
        for (event, (bytes, hash)) in published_events().iter().zip(VECTORS) {
            let sealed = event.seal().expect("vector events are canonicalizable");
            assert_eq!(
                String::from_utf8(sealed.bytes).expect("UTF-8"),
                bytes,
                "seq {}",
                event.seq
            );
            assert_eq!(sealed.hash, hash, "seq {}", event.seq);
            assert_eq!(hash_bytes(bytes.as_bytes()), hash);
        }
    }

    #[test]
    fn vectors_form_a_verifiable_chain_with_the_required_features() {
        let [first, second, third] = published_events();
        assert_eq!(first.prev_hash, GENESIS_PREV_HASH);
        assert!(
            VECTORS[0].0.bytes().any(|b| !b.is_ascii()),
            "non-ASCII text"
        );
        assert!(VECTORS[1].0.contains(r#"\n\t\"dry shipper\" at C:\\dock"#));
        assert!(VECTORS[1].0.contains(r"\u001f"), "control character escape");
        assert_eq!(third.kind, crate::SIGNATURE_EVENT_TYPE);
        let signature = crate::SignaturePayload::from_payload(&third.payload).expect("valid");
        assert_eq!(
            signature.signs,
            Signed::Event {
                event_hash: VECTORS[1].1.into()
            }
        );
        assert_eq!(second.prev_hash, VECTORS[0].1);

        let export: String = VECTORS.iter().map(|(b, _)| format!("{b}\n")).collect();
        let verified = verify_jsonl(&export, Some(VECTORS[2].1)).expect("published chain");
        assert_eq!(verified.events, 3);
        assert_eq!(verified.ledger_id, LEDGER_ID);
    }

    /// Every ```json block of the document that is an event; the vectors' pretty JSON must be
    /// among them. Compared as parsed events, not text, so key order in the prose is free.
    fn doc_events() -> Vec<Event> {
        DOC.split("```json\n")
            .skip(1)
            .filter_map(|block| block.split("```").next())
            .filter_map(|block| serde_json::from_str::<Event>(block).ok())
            .collect()
    }

    #[test]
    fn document_shows_exactly_these_vectors() {
        let shown = doc_events();
        let doc_lines: Vec<&str> = DOC.lines().collect();
        for (event, (bytes, hash)) in published_events().iter().zip(VECTORS) {
            assert!(
                shown.contains(event),
                "docs/ledger-format.md lacks the pretty JSON of vector seq {}",
                event.seq
            );
            assert!(
                doc_lines.contains(&bytes),
                "docs/ledger-format.md lacks the canonical bytes of vector seq {} on a line of their own",
                event.seq
            );
            assert!(
                DOC.contains(hash),
                "docs/ledger-format.md lacks the hash of vector seq {}",
                event.seq
            );
        }
        assert!(DOC.contains(GENESIS_PREV_HASH));
    }
}
