//! The event envelope, its canonical bytes and its hash.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::{CanonicalError, canonicalize};

/// `prev_hash` of the first event (seq 1) of every ledger: 64 zeros.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of a ledger. Its canonical bytes (RFC 8785) are what is stored and hashed.
///
/// Unknown fields are refused on parse so that nothing outside the envelope can ride along in
/// hashed bytes unseen by code that reads the struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The ledger this event belongs to; every event of a ledger carries the same id.
    pub ledger_id: String,
    /// Position in the ledger, 1-based, without gaps.
    pub seq: i64,
    /// SHA-256 (64 lowercase hex digits) of the previous event's canonical bytes;
    /// [`GENESIS_PREV_HASH`] for seq 1.
    pub prev_hash: String,
    /// When the event was recorded: integer microseconds since the Unix epoch, UTC.
    pub recorded_at: i64,
    /// Who caused it, e.g. `user:usr_3f2a…` or `system:cli`.
    pub actor: String,
    /// What happened, e.g. `site.created` or `signature.recorded`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Version of the payload's schema for this `type`.
    pub schema_version: i64,
    /// Type-specific content; any JSON in the canonical subset (no floats).
    pub payload: Value,
}

/// An event's canonical bytes and their hash, as the store writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEvent {
    /// The exact bytes to store, hash and export.
    pub bytes: Vec<u8>,
    /// [`hash_bytes`] of `bytes`.
    pub hash: String,
}

/// Why stored bytes could not be read as an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON, or JSON without the envelope's shape (missing, extra or mistyped fields).
    #[error("not a ledger event: {0}")]
    NotJson(String),
}

impl Event {
    /// The envelope as a JSON object, built field by field so it cannot fail and does not
    /// depend on serde's output; a test checks it agrees with the derived `Serialize`.
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("ledger_id".into(), Value::from(self.ledger_id.as_str()));
        m.insert("seq".into(), Value::from(self.seq));
        m.insert("prev_hash".into(), Value::from(self.prev_hash.as_str()));
        m.insert("recorded_at".into(), Value::from(self.recorded_at));
        m.insert("actor".into(), Value::from(self.actor.as_str()));
        m.insert("type".into(), Value::from(self.kind.as_str()));
        m.insert("schema_version".into(), Value::from(self.schema_version));
        m.insert("payload".into(), self.payload.clone());
        Value::Object(m)
    }

    /// The RFC 8785 canonical bytes of the whole envelope.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        canonicalize(&self.to_value())
    }

    /// Canonical bytes plus their hash: what to store. The next event's `prev_hash` is `hash`.
    pub fn seal(&self) -> Result<SealedEvent, CanonicalError> {
        let bytes = self.canonical_bytes()?;
        let hash = hash_bytes(&bytes);
        Ok(SealedEvent { bytes, hash })
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True for exactly 64 lowercase hex digits, the only spelling of a hash in the ledger.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Parses stored bytes into an [`Event`]. Only parses: whether the bytes are canonical and
/// chain correctly is for [`crate::verify`] to say.
pub fn parse_event(bytes: &[u8]) -> Result<Event, VerifyError> {
    serde_json::from_slice(bytes).map_err(|e| VerifyError::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::is_canonical;
    use serde_json::json;

    fn sample() -> Event {
        Event {
            ledger_id: "hs_test".into(),
            seq: 1,
            prev_hash: GENESIS_PREV_HASH.into(),
            recorded_at: 1_767_225_600_000_000,
            actor: "system:cli".into(),
            kind: "site.created".into(),
            schema_version: 1,
            payload: json!({"name": "Site", "beds": 12}),
        }
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS_PREV_HASH, "0".repeat(64));
        assert!(is_sha256_hex(GENESIS_PREV_HASH));
    }

    #[test]
    fn hash_is_lowercase_sha256_hex() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            hash_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&hash_bytes(b"")));
        assert!(!is_sha256_hex(&hash_bytes(b"abc").to_uppercase()));
        assert!(!is_sha256_hex("abc"));
    }

    #[test]
    fn canonical_bytes_are_sorted_and_compact() {
        let bytes = sample().canonical_bytes().expect("canonical");
        assert_eq!(
            String::from_utf8(bytes.clone()).expect("UTF-8"),
            format!(
                r#"{{"actor":"system:cli","ledger_id":"hs_test","payload":{{"beds":12,"name":"Site"}},"prev_hash":"{GENESIS_PREV_HASH}","recorded_at":1767225600000000,"schema_version":1,"seq":1,"type":"site.created"}}"#
            )
        );
        assert!(is_canonical(&bytes));
    }

    #[test]
    fn hand_built_value_matches_serde() {
        let e = sample();
        assert_eq!(serde_json::to_value(&e).expect("serializes"), e.to_value());
    }

    #[test]
    fn seal_hashes_the_canonical_bytes_and_parse_round_trips() {
        let e = sample();
        let sealed = e.seal().expect("seals");
        assert_eq!(sealed.hash, hash_bytes(&sealed.bytes));
        assert_eq!(parse_event(&sealed.bytes), Ok(e));
    }

    #[test]
    fn floats_in_payload_cannot_be_sealed() {
        let mut e = sample();
        e.payload = json!({"amount": 12.5});
        assert!(matches!(e.seal(), Err(CanonicalError::Float(_))));
    }

    #[test]
    fn parse_refuses_unknown_missing_and_mistyped_fields() {
        let good =
            String::from_utf8(sample().canonical_bytes().expect("canonical")).expect("UTF-8");
        let extra = good.replacen("{", r#"{"admin":true,"#, 1);
        let missing = good.replacen(r#""schema_version":1,"#, "", 1);
        let mistyped = good.replacen(r#""seq":1"#, r#""seq":"1""#, 1);
        for bad in [extra, missing, mistyped, "not json".to_string()] {
            assert!(
                matches!(parse_event(bad.as_bytes()), Err(VerifyError::NotJson(_))),
                "{bad}"
            );
        }
    }
}
