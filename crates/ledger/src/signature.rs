//! Electronic-signature events (21 CFR Part 11).
//!
//! A signature is its own event, of type [`SIGNATURE_EVENT_TYPE`], on the same ledger as what it
//! signs. Its payload carries what §11.50 requires a signed record to show — the signer's
//! printed name, the date and time, and the meaning of the signature — and links the signature
//! to what it signs by hash, so it cannot be excised, copied or moved to another record (§11.70):
//! changing the signed event or record changes the hash named here, and the signature itself is
//! chained like every other event.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{CanonicalError, canonicalize};
use crate::event::{hash_bytes, is_sha256_hex};

/// `type` of a signature event.
pub const SIGNATURE_EVENT_TYPE: &str = "signature.recorded";

/// The meaning of a signature (§11.50(a)(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meaning {
    Authored,
    Reviewed,
    Approved,
    Verified,
    Performed,
}

impl Meaning {
    /// Every meaning, in declaration order.
    pub const ALL: [Meaning; 5] = [
        Meaning::Authored,
        Meaning::Reviewed,
        Meaning::Approved,
        Meaning::Verified,
        Meaning::Performed,
    ];

    /// The wire name, as in the payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Authored => "authored",
            Meaning::Reviewed => "reviewed",
            Meaning::Approved => "approved",
            Meaning::Verified => "verified",
            Meaning::Performed => "performed",
        }
    }
}

impl fmt::Display for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A meaning name that is not one of [`Meaning::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown signature meaning {0:?}: expected authored, reviewed, approved, verified or performed"
)]
pub struct UnknownMeaning(pub String);

impl FromStr for Meaning {
    type Err = UnknownMeaning;

    /// Accepts exactly the wire names (lowercase), so a value read from a form or the CLI is
    /// spelled as it will be stored and signed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Meaning::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownMeaning(s.to_string()))
    }
}

/// What a signature signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case", deny_unknown_fields)]
pub enum Signed {
    /// An event of the same ledger, by its hash.
    Event { event_hash: String },
    /// A record that is not itself one event (e.g. a process-map version), by the
    /// [`content_hash`] of its canonical JSON.
    Record {
        record_kind: String,
        record_id: String,
        content_hash: String,
    },
}

/// Through what a signature came. The signer re-entered their password at that moment on every
/// channel; the channel says where they typed it. Optional in the payload: signatures recorded
/// before it was added have none ("channel not recorded").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// The signer's signed-in web session.
    WebSession,
    /// A request made with one of the signer's API tokens (e.g. a bedside device acting for
    /// them), named by the token's id and its name when the signature was made.
    ApiToken {
        token_id: String,
        token_name: String,
    },
    /// The operator's command line or the demo seeder, acting for the signer.
    System,
}

impl Channel {
    /// The channel as it appears in the payload.
    pub fn to_value(&self) -> Value {
        match self {
            Channel::WebSession => serde_json::json!({ "via": "web_session" }),
            Channel::ApiToken {
                token_id,
                token_name,
            } => serde_json::json!({
                "via": "api_token",
                "token_id": token_id,
                "token_name": token_name,
            }),
            Channel::System => serde_json::json!({ "via": "system" }),
        }
    }
}

impl fmt::Display for Channel {
    /// The channel in people's words, e.g. `API token "Ward 4 pump" (tok_1a2b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::WebSession => f.write_str("web session"),
            Channel::ApiToken {
                token_id,
                token_name,
            } => write!(f, "API token \"{token_name}\" ({token_id})"),
            Channel::System => f.write_str("command line (operator)"),
        }
    }
}

/// Payload of a [`SIGNATURE_EVENT_TYPE`] event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturePayload {
    /// What is signed.
    pub signs: Signed,
    /// The signer's user id.
    pub signer_user_id: String,
    /// The signer's full printed name at the time of signing (§11.50(a)(1)).
    pub printed_name: String,
    /// What the signature means (§11.50(a)(3)).
    pub meaning: Meaning,
    /// When it was signed (§11.50(a)(2)): integer microseconds since the Unix epoch, UTC.
    pub signed_at: i64,
    /// Through what the signature came; `None` for signatures recorded before the channel was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// Why a signature payload is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required text field is empty or only whitespace.
    #[error("signature field {0} must not be empty")]
    Empty(&'static str),
    /// A hash field is not 64 lowercase hex digits.
    #[error(
        "signature field {field} must be a SHA-256 hash in 64 lowercase hex digits, got {value:?}"
    )]
    BadHash { field: &'static str, value: String },
    /// The payload does not have the signature payload's shape.
    #[error("not a signature payload: {0}")]
    Malformed(String),
}

impl SignaturePayload {
    /// Checks what the types cannot: names are present and hashes are well-formed. (That the
    /// signed event or record exists, and that the signer re-authenticated, is for the caller.)
    pub fn validate(&self) -> Result<(), SignatureError> {
        fn present(field: &'static str, value: &str) -> Result<(), SignatureError> {
            if value.trim().is_empty() {
                Err(SignatureError::Empty(field))
            } else {
                Ok(())
            }
        }
        fn hash(field: &'static str, value: &str) -> Result<(), SignatureError> {
            if is_sha256_hex(value) {
                Ok(())
            } else {
                Err(SignatureError::BadHash {
                    field,
                    value: value.to_string(),
                })
            }
        }
        present("signer_user_id", &self.signer_user_id)?;
        present("printed_name", &self.printed_name)?;
        if let Some(Channel::ApiToken {
            token_id,
            token_name,
        }) = &self.channel
        {
            present("channel.token_id", token_id)?;
            present("channel.token_name", token_name)?;
        }
        match &self.signs {
            Signed::Event { event_hash } => hash("event_hash", event_hash),
            Signed::Record {
                record_kind,
                record_id,
                content_hash,
            } => {
                present("record_kind", record_kind)?;
                present("record_id", record_id)?;
                hash("content_hash", content_hash)
            }
        }
    }

    /// Reads and validates a signature event's payload.
    pub fn from_payload(payload: &Value) -> Result<Self, SignatureError> {
        let parsed =
            Self::deserialize(payload).map_err(|e| SignatureError::Malformed(e.to_string()))?;
        parsed.validate()?;
        Ok(parsed)
    }

    /// The payload as JSON, for [`crate::Event::payload`].
    pub fn to_payload(&self) -> Value {
        let signs = match &self.signs {
            Signed::Event { event_hash } => serde_json::json!({
                "target": "event",
                "event_hash": event_hash,
            }),
            Signed::Record {
                record_kind,
                record_id,
                content_hash,
            } => serde_json::json!({
                "target": "record",
                "record_kind": record_kind,
                "record_id": record_id,
                "content_hash": content_hash,
            }),
        };
        let mut payload = serde_json::json!({
            "signs": signs,
            "signer_user_id": self.signer_user_id,
            "printed_name": self.printed_name,
            "meaning": self.meaning.as_str(),
            "signed_at": self.signed_at,
        });
        if let Some(channel) = &self.channel {
            payload["channel"] = channel.to_value();
        }
        payload
    }
}

/// The hash by which a [`Signed::Record`] names its record: SHA-256 of the record's RFC 8785
/// canonical JSON, so anyone holding the record can recompute it.
pub fn content_hash(record: &Value) -> Result<String, CanonicalError> {
    canonicalize(record).map(|bytes| hash_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload() -> SignaturePayload {
        SignaturePayload {
            signs: Signed::Event {
                event_hash: hash_bytes(b"event"),
            },
            signer_user_id: "usr_3f2a".into(),
            printed_name: "Dana Reyes, PharmD".into(),
            meaning: Meaning::Verified,
            signed_at: 1_767_225_600_000_000,
            channel: None,
        }
    }

    #[test]
    fn channel_is_optional_and_tagged_by_via() {
        // A payload written before the channel was recorded still reads, without one.
        let old = payload().to_payload();
        assert!(old.get("channel").is_none());
        assert_eq!(
            SignaturePayload::from_payload(&old)
                .expect("old payload")
                .channel,
            None
        );
        for channel in [
            Channel::WebSession,
            Channel::System,
            Channel::ApiToken {
                token_id: "tok_9c1d".into(),
                token_name: "Ward 4 infusion pump".into(),
            },
        ] {
            let p = SignaturePayload {
                channel: Some(channel.clone()),
                ..payload()
            };
            let v = p.to_payload();
            assert_eq!(v, serde_json::to_value(&p).expect("serializes"));
            assert_eq!(SignaturePayload::from_payload(&v), Ok(p));
        }
        let token = SignaturePayload {
            channel: Some(Channel::ApiToken {
                token_id: "tok_9c1d".into(),
                token_name: "Ward 4 infusion pump".into(),
            }),
            ..payload()
        };
        let v = token.to_payload();
        assert_eq!(
            v["channel"],
            json!({"via": "api_token", "token_id": "tok_9c1d", "token_name": "Ward 4 infusion pump"})
        );
        assert_eq!(
            token.channel.expect("set").to_string(),
            "API token \"Ward 4 infusion pump\" (tok_9c1d)"
        );
        let mut bad = v.clone();
        bad["channel"]["via"] = json!("carrier_pigeon");
        assert!(matches!(
            SignaturePayload::from_payload(&bad),
            Err(SignatureError::Malformed(_))
        ));
        let mut bad = v;
        bad["channel"]["token_id"] = json!(" ");
        assert_eq!(
            SignaturePayload::from_payload(&bad),
            Err(SignatureError::Empty("channel.token_id"))
        );
    }

    #[test]
    fn meaning_names_round_trip() {
        for m in Meaning::ALL {
            assert_eq!(m.to_string().parse::<Meaning>(), Ok(m));
            assert_eq!(
                serde_json::to_value(m).expect("serializes"),
                json!(m.as_str())
            );
        }
        assert_eq!(
            "Approved".parse::<Meaning>(),
            Err(UnknownMeaning("Approved".into()))
        );
        assert!("witnessed".parse::<Meaning>().is_err());
    }

    #[test]
    fn wire_shape_is_tagged_by_target() {
        let p = payload();
        let v = serde_json::to_value(&p).expect("serializes");
        assert_eq!(v, p.to_payload());
        assert_eq!(v["signs"]["target"], "event");
        assert_eq!(v["meaning"], "verified");

        let record = SignaturePayload {
            signs: Signed::Record {
                record_kind: "process_map_version".into(),
                record_id: "map_1@3".into(),
                content_hash: content_hash(&json!({"steps": []})).expect("canonical"),
            },
            ..payload()
        };
        let v = record.to_payload();
        assert_eq!(v, serde_json::to_value(&record).expect("serializes"));
        assert_eq!(v["signs"]["target"], "record");
        assert_eq!(SignaturePayload::from_payload(&v), Ok(record));
    }

    #[test]
    fn from_payload_refuses_malformed_and_invalid() {
        let mut v = payload().to_payload();
        v["meaning"] = json!("witnessed");
        assert!(matches!(
            SignaturePayload::from_payload(&v),
            Err(SignatureError::Malformed(_))
        ));

        let mut v = payload().to_payload();
        v["signs"]["extra"] = json!(1);
        assert!(matches!(
            SignaturePayload::from_payload(&v),
            Err(SignatureError::Malformed(_))
        ));

        let mut v = payload().to_payload();
        v["printed_name"] = json!("  ");
        assert_eq!(
            SignaturePayload::from_payload(&v),
            Err(SignatureError::Empty("printed_name"))
        );

        let mut v = payload().to_payload();
        v["signs"]["event_hash"] = json!(hash_bytes(b"event").to_uppercase());
        assert!(matches!(
            SignaturePayload::from_payload(&v),
            Err(SignatureError::BadHash {
                field: "event_hash",
                ..
            })
        ));
    }

    #[test]
    fn content_hash_is_order_independent_and_refuses_floats() {
        let a = content_hash(&json!({"a": 1, "b": "x"})).expect("canonical");
        let b = content_hash(&serde_json::from_str(r#"{ "b":"x", "a":1 }"#).expect("JSON"))
            .expect("canonical");
        assert_eq!(a, b);
        assert_eq!(a, hash_bytes(br#"{"a":1,"b":"x"}"#));
        assert!(content_hash(&json!({"a": 1.5})).is_err());
    }
}
