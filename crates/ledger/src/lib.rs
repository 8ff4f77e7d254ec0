//! The cellpath ledger format, and nothing else.
//!
//! This crate owns what a ledger *is* on the wire, so that a partner can verify an exported
//! ledger with it alone (or with only a SHA-256 tool and an RFC 8785 library, following
//! `docs/ledger-format.md`):
//!
//! - [`canonical`]: RFC 8785 JSON canonicalization for the subset the ledger allows (no floats);
//! - [`event`]: the event envelope, its canonical bytes and SHA-256 hash, the genesis value;
//! - [`verify`]: verification of a chain over the stored bytes, incrementally or from a JSON
//!   Lines export;
//! - [`signature`]: the payload of e-signature events (21 CFR Part 11).
//!
//! It is pure: no IO, no clock, no database. Storing events, assigning `seq` and `recorded_at`,
//! and deciding which events may be written belong to other crates.

pub mod canonical;
pub mod event;
pub mod signature;
pub mod verify;

#[cfg(test)]
mod vectors;

pub use canonical::{CanonicalError, MAX_SAFE_INTEGER, canonicalize, is_canonical};
pub use event::{
    Event, GENESIS_PREV_HASH, SealedEvent, VerifyError, hash_bytes, is_sha256_hex, parse_event,
};
pub use signature::{
    Channel, Meaning, SIGNATURE_EVENT_TYPE, SignatureError, SignaturePayload, Signed,
    UnknownMeaning, content_hash,
};
pub use verify::{
    BreakReason, ChainBreak, StoredEvent, Verified, Verifier, verify_chain, verify_jsonl,
};
