//! Chain verification over the stored bytes.
//!
//! Everything here hashes and compares the bytes exactly as stored or exported, never a
//! re-serialization of the parsed event: re-serializing would hide any change that survives a
//! parse (whitespace, key order, escapes) and would make the result depend on this
//! implementation instead of on the bytes a partner holds.

use std::fmt;

use crate::canonical::is_canonical;
use crate::event::{GENESIS_PREV_HASH, VerifyError, hash_bytes, parse_event};

/// One stored event as the store or an export hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEvent<'a> {
    /// Where the event is stored: the store's `seq` column, or the line number (1-based) in a
    /// JSON Lines export. Breaks are reported at this position.
    pub seq: i64,
    /// The exact stored bytes.
    pub bytes: &'a [u8],
    /// The hash stored beside the bytes, if the store keeps one; checked against the bytes.
    pub stored_hash: Option<&'a str>,
}

/// The result of verifying a whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The ledger's id: the first event's, or the one given to [`Verifier::for_ledger`].
    /// Empty when no event was seen and none was given.
    pub ledger_id: String,
    /// Number of events verified (also the last seq).
    pub events: i64,
    /// Hash of the last event, [`GENESIS_PREV_HASH`] for an empty ledger: the value the next
    /// event's `prev_hash` must have, and what to compare with a head published elsewhere.
    pub head_hash: String,
}

/// Where and why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ledger {}: event {seq}: {reason}", LedgerLabel(.ledger_id.as_deref()))]
pub struct ChainBreak {
    /// The ledger being verified, when known (unknown if the very first event is unreadable).
    pub ledger_id: Option<String>,
    /// Position of the offending event ([`StoredEvent::seq`]); for a head mismatch, the last
    /// event's (0 for an empty ledger).
    pub seq: i64,
    /// What is wrong.
    pub reason: BreakReason,
}

struct LedgerLabel<'a>(Option<&'a str>);

impl fmt::Display for LedgerLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.unwrap_or("<unknown>"))
    }
}

/// The kinds of break, in the order they are checked for each event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakReason {
    /// The bytes are not JSON, or not an event envelope.
    #[error("stored bytes are not a ledger event: {0}")]
    NotJson(String),
    /// The bytes parse but are not their own RFC 8785 canonical form (whitespace, key order,
    /// escapes, duplicate keys, floats): they are not what was hashed when written.
    #[error("stored bytes are not in canonical form (RFC 8785, integers only)")]
    NotCanonical,
    /// The envelope's `seq` is not the previous one plus one (an event missing, duplicated or
    /// out of order).
    #[error("expected seq {expected}, found seq {found} in the event")]
    SeqGap { expected: i64, found: i64 },
    /// The envelope's `seq` is right but the store holds it at another position.
    #[error("stored at seq {stored} but the event says seq {envelope}")]
    StoredSeqMismatch { stored: i64, envelope: i64 },
    /// The event belongs to another ledger.
    #[error("belongs to ledger {found}, expected ledger {expected}")]
    WrongLedger { expected: String, found: String },
    /// `prev_hash` does not name the previous event's bytes: something before was changed,
    /// removed or inserted.
    #[error("prev_hash is {found}, but the previous event hashes to {expected}")]
    PrevHashMismatch { expected: String, found: String },
    /// The hash stored beside the bytes is not their SHA-256: the bytes or the hash changed.
    #[error("stored hash is {stored}, but the stored bytes hash to {computed}")]
    HashMismatch { stored: String, computed: String },
    /// The event was recorded before its predecessor.
    #[error("recorded_at {found} is earlier than the previous event's {previous}")]
    RecordedAtWentBackwards { previous: i64, found: i64 },
    /// The chain is intact but ends somewhere other than the head published for it: events
    /// were appended, removed from the end, or the last one was changed.
    #[error("the chain ends at hash {found}, but the expected head is {expected}")]
    HeadMismatch { expected: String, found: String },
}

/// Verifies a chain one event at a time, so a store can stream rows without holding them.
///
/// After [`Verifier::push`] returns an error the verifier is left as it was before that event;
/// a [`Verified`] from [`Verifier::finish`] covers only the events pushed successfully.
#[derive(Debug, Clone)]
pub struct Verifier {
    ledger_id: Option<String>,
    last_seq: i64,
    head_hash: String,
    last_recorded_at: Option<i64>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier that takes the ledger id from the first event.
    pub fn new() -> Self {
        Verifier {
            ledger_id: None,
            last_seq: 0,
            head_hash: GENESIS_PREV_HASH.to_string(),
            last_recorded_at: None,
        }
    }

    /// A verifier that also requires the first event to belong to `ledger_id`.
    pub fn for_ledger(ledger_id: impl Into<String>) -> Self {
        Verifier {
            ledger_id: Some(ledger_id.into()),
            ..Self::new()
        }
    }

    /// Events verified so far.
    pub fn events(&self) -> i64 {
        self.last_seq
    }

    /// Hash of the last verified event ([`GENESIS_PREV_HASH`] before the first).
    pub fn head_hash(&self) -> &str {
        &self.head_hash
    }

    /// Checks the next event, in this order: it parses as an event; its bytes are canonical;
    /// its seq follows the previous one (the first is 1) and matches where it is stored; it
    /// belongs to the same ledger; its prev_hash is the previous event's hash (genesis for the
    /// first); the stored hash, if any, is the SHA-256 of the bytes; recorded_at did not go
    /// backwards.
    pub fn push(&mut self, stored: StoredEvent<'_>) -> Result<(), ChainBreak> {
        let at = stored.seq;
        let event = match parse_event(stored.bytes) {
            Ok(event) => event,
            Err(VerifyError::NotJson(msg)) => {
                return Err(chain_break(
                    self.ledger_id.clone(),
                    at,
                    BreakReason::NotJson(msg),
                ));
            }
        };
        // Name the ledger in every later break, even when the first event is the broken one.
        let ledger = self
            .ledger_id
            .clone()
            .unwrap_or_else(|| event.ledger_id.clone());
        let fail = |reason| chain_break(Some(ledger.clone()), at, reason);

        if !is_canonical(stored.bytes) {
            return Err(fail(BreakReason::NotCanonical));
        }
        let expected_seq = self.last_seq.saturating_add(1);
        if event.seq != expected_seq {
            return Err(fail(BreakReason::SeqGap {
                expected: expected_seq,
                found: event.seq,
            }));
        }
        if stored.seq != event.seq {
            return Err(fail(BreakReason::StoredSeqMismatch {
                stored: stored.seq,
                envelope: event.seq,
            }));
        }
        if event.ledger_id != ledger {
            return Err(fail(BreakReason::WrongLedger {
                expected: ledger.clone(),
                found: event.ledger_id,
            }));
        }
        if event.prev_hash != self.head_hash {
            return Err(fail(BreakReason::PrevHashMismatch {
                expected: self.head_hash.clone(),
                found: event.prev_hash,
            }));
        }
        let computed = hash_bytes(stored.bytes);
        if let Some(stored_hash) = stored.stored_hash
            && stored_hash != computed
        {
            return Err(fail(BreakReason::HashMismatch {
                stored: stored_hash.to_string(),
                computed,
            }));
        }
        if let Some(previous) = self.last_recorded_at
            && event.recorded_at < previous
        {
            return Err(fail(BreakReason::RecordedAtWentBackwards {
                previous,
                found: event.recorded_at,
            }));
        }
        self.ledger_id = Some(ledger);
        self.last_seq = event.seq;
        self.head_hash = computed;
        self.last_recorded_at = Some(event.recorded_at);
        Ok(())
    }

    /// The summary of everything pushed successfully.
    pub fn finish(self) -> Verified {
        Verified {
            ledger_id: self.ledger_id.unwrap_or_default(),
            events: self.last_seq,
            head_hash: self.head_hash,
        }
    }
}

fn chain_break(ledger_id: Option<String>, seq: i64, reason: BreakReason) -> ChainBreak {
    ChainBreak {
        ledger_id,
        seq,
        reason,
    }
}

/// Verifies a whole chain, in order.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = StoredEvent<'a>>,
) -> Result<Verified, ChainBreak> {
    let mut verifier = Verifier::new();
    for event in events {
        verifier.push(event)?;
    }
    Ok(verifier.finish())
}

/// Verifies a JSON Lines export: one event per line, each line exactly the stored canonical
/// bytes, `\n` line endings, optionally a final `\n`. Empty text is an empty ledger. A `\r`
/// before a `\n` is part of the line and makes it non-canonical.
///
/// Without `expected_head` only the chain's internal consistency is checked, so removing
/// events from the end or changing the last event is not detectable: nothing after it names
/// its hash. With `expected_head` (a head hash obtained independently, e.g. from the other
/// party) the final hash must equal it, reported as [`BreakReason::HeadMismatch`] at the last
/// seq.
pub fn verify_jsonl(text: &str, expected_head: Option<&str>) -> Result<Verified, ChainBreak> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    let mut verifier = Verifier::new();
    for (line, line_no) in lines.into_iter().flatten().zip(1_i64..) {
        verifier.push(StoredEvent {
            seq: line_no,
            bytes: line.as_bytes(),
            stored_hash: None,
        })?;
    }
    if let Some(expected) = expected_head
        && expected != verifier.head_hash()
    {
        let reason = BreakReason::HeadMismatch {
            expected: expected.to_string(),
            found: verifier.head_hash().to_string(),
        };
        return Err(chain_break(
            verifier.ledger_id.clone(),
            verifier.events(),
            reason,
        ));
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, SealedEvent};
    use serde_json::json;

    const LEDGER: &str = "hs_mercy";
    const T0: i64 = 1_767_225_600_000_000;

    /// A valid chain of `n` events, each sealed the way the store would.
    fn chain(n: i64) -> Vec<SealedEvent> {
        let mut prev = GENESIS_PREV_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let sealed = event(seq, &prev, T0 + seq * 1_000_000)
                    .seal()
                    .expect("seals");
                prev = sealed.hash.clone();
                sealed
            })
            .collect()
    }

    fn event(seq: i64, prev_hash: &str, recorded_at: i64) -> Event {
        Event {
            ledger_id: LEDGER.into(),
            seq,
            prev_hash: prev_hash.into(),
            recorded_at,
            actor: "user:usr_3f2a".into(),
            kind: "site.note_added".into(),
            schema_version: 1,
            payload: json!({"note": format!("note {seq}"), "amount_cents": seq * 100}),
        }
    }

    fn stored(events: &[SealedEvent], with_hash: bool) -> Vec<StoredEvent<'_>> {
        events
            .iter()
            .zip(1_i64..)
            .map(|(e, seq)| StoredEvent {
                seq,
                bytes: &e.bytes,
                stored_hash: with_hash.then_some(e.hash.as_str()),
            })
            .collect()
    }

    fn jsonl(events: &[SealedEvent]) -> String {
        events
            .iter()
            .map(|e| format!("{}\n", String::from_utf8_lossy(&e.bytes)))
            .collect()
    }

    fn expect_break(result: Result<Verified, ChainBreak>, seq: i64) -> BreakReason {
        match result {
            Ok(v) => panic!("expected a break at {seq}, chain verified: {v:?}"),
            Err(b) => {
                assert_eq!(b.seq, seq, "{b}");
                b.reason
            }
        }
    }

    #[test]
    fn valid_chain_verifies_with_and_without_stored_hashes() {
        let events = chain(5);
        for with_hash in [false, true] {
            let v = verify_chain(stored(&events, with_hash)).expect("valid chain");
            assert_eq!(
                v,
                Verified {
                    ledger_id: LEDGER.into(),
                    events: 5,
                    head_hash: events[4].hash.clone()
                }
            );
        }
    }

    #[test]
    fn empty_chain_has_genesis_head() {
        let v = verify_chain(Vec::new()).expect("empty is valid");
        assert_eq!(v.events, 0);
        assert_eq!(v.head_hash, GENESIS_PREV_HASH);
        assert_eq!(Verifier::for_ledger("x").finish().ledger_id, "x");
    }

    #[test]
    fn equal_recorded_at_is_allowed() {
        let first = event(1, GENESIS_PREV_HASH, T0).seal().expect("seals");
        let second = event(2, &first.hash, T0).seal().expect("seals");
        let v = verify_chain(stored(&[first, second], true)).expect("same microsecond is fine");
        assert_eq!(v.events, 2);
    }

    /// Flips one letter inside event 3's payload: the bytes stay canonical JSON, so only the
    /// hashes can tell.
    fn edit_payload_of_third(events: &mut [SealedEvent]) {
        let text = String::from_utf8(events[2].bytes.clone()).expect("UTF-8");
        assert!(text.contains("note 3"));
        events[2].bytes = text.replace("note 3", "note 9").into_bytes();
    }

    #[test]
    fn edited_payload_breaks_the_stored_hash() {
        let mut events = chain(5);
        edit_payload_of_third(&mut events);
        let reason = expect_break(verify_chain(stored(&events, true)), 3);
        assert_eq!(
            reason,
            BreakReason::HashMismatch {
                stored: events[2].hash.clone(),
                computed: hash_bytes(&events[2].bytes)
            }
        );
    }

    #[test]
    fn edited_payload_breaks_the_next_prev_hash_without_stored_hashes() {
        let mut events = chain(5);
        edit_payload_of_third(&mut events);
        let reason = expect_break(verify_chain(stored(&events, false)), 4);
        assert_eq!(
            reason,
            BreakReason::PrevHashMismatch {
                expected: hash_bytes(&events[2].bytes),
                found: events[2].hash.clone()
            }
        );
    }

    #[test]
    fn swapped_events_are_a_seq_gap() {
        let mut events = chain(5);
        events.swap(1, 2);
        let reason = expect_break(verify_chain(stored(&events, true)), 2);
        assert_eq!(
            reason,
            BreakReason::SeqGap {
                expected: 2,
                found: 3
            }
        );
    }

    #[test]
    fn dropped_event_is_a_seq_gap() {
        let mut events = chain(5);
        events.remove(2);
        // Rows as a store would hand them over: positions from the rows' own seq column.
        let rows: Vec<StoredEvent<'_>> = events
            .iter()
            .zip([1, 2, 4, 5])
            .map(|(e, seq)| StoredEvent {
                seq,
                bytes: &e.bytes,
                stored_hash: Some(&e.hash),
            })
            .collect();
        let reason = expect_break(verify_chain(rows), 4);
        assert_eq!(
            reason,
            BreakReason::SeqGap {
                expected: 3,
                found: 4
            }
        );
    }

    #[test]
    fn changed_prev_hash_is_caught_even_with_a_matching_stored_hash() {
        let mut events = chain(5);
        // Re-seal event 3 with another prev_hash: its own stored hash is then consistent, so
        // only the link to event 2 shows the change.
        let forged = event(3, &hash_bytes(b"forged"), T0 + 3_000_000)
            .seal()
            .expect("seals");
        events[2] = forged.clone();
        let reason = expect_break(verify_chain(stored(&events, true)), 3);
        assert_eq!(
            reason,
            BreakReason::PrevHashMismatch {
                expected: events[1].hash.clone(),
                found: hash_bytes(b"forged")
            }
        );
    }

    #[test]
    fn first_event_must_point_at_genesis() {
        let first = event(1, &hash_bytes(b"x"), T0).seal().expect("seals");
        let reason = expect_break(verify_chain(stored(&[first], false)), 1);
        assert!(matches!(
            reason,
            BreakReason::PrevHashMismatch { ref expected, .. } if expected == GENESIS_PREV_HASH
        ));
    }

    #[test]
    fn whitespace_recanonicalization_is_not_canonical() {
        let mut events = chain(3);
        let value: serde_json::Value = serde_json::from_slice(&events[1].bytes).expect("JSON");
        events[1].bytes = serde_json::to_vec_pretty(&value).expect("serializes");
        // Same event, different bytes: refused before any hash is compared.
        let reason = expect_break(verify_chain(stored(&events, false)), 2);
        assert_eq!(reason, BreakReason::NotCanonical);
    }

    #[test]
    fn float_in_stored_bytes_is_not_canonical() {
        let events = chain(1);
        let text = String::from_utf8(events[0].bytes.clone()).expect("UTF-8");
        let bytes = text.replace("\"amount_cents\":100", "\"amount_cents\":100.5");
        let rows = [StoredEvent {
            seq: 1,
            bytes: bytes.as_bytes(),
            stored_hash: None,
        }];
        assert_eq!(
            expect_break(verify_chain(rows), 1),
            BreakReason::NotCanonical
        );
    }

    #[test]
    fn garbage_is_not_json() {
        let events = chain(2);
        let rows = [
            stored(&events, true)[0],
            StoredEvent {
                seq: 2,
                bytes: b"{\"seq\":2",
                stored_hash: None,
            },
        ];
        let err = verify_chain(rows).expect_err("garbage");
        assert_eq!(err.seq, 2);
        assert!(matches!(err.reason, BreakReason::NotJson(_)), "{err}");
        assert_eq!(err.ledger_id.as_deref(), Some(LEDGER));
    }

    #[test]
    fn unreadable_first_event_has_unknown_ledger() {
        let err = verify_chain([StoredEvent {
            seq: 1,
            bytes: b"[]",
            stored_hash: None,
        }])
        .expect_err("not an event");
        assert_eq!(err.ledger_id, None);
        assert!(
            err.to_string()
                .starts_with("ledger <unknown>: event 1: stored bytes are not a ledger event"),
            "{err}"
        );
    }

    #[test]
    fn event_of_another_ledger_is_caught() {
        let events = chain(2);
        let mut intruder = event(3, &events[1].hash, T0 + 3_000_000);
        intruder.ledger_id = "hs_other".into();
        let intruder = intruder.seal().expect("seals");
        let mut all = events;
        all.push(intruder);
        let reason = expect_break(verify_chain(stored(&all, true)), 3);
        assert_eq!(
            reason,
            BreakReason::WrongLedger {
                expected: LEDGER.into(),
                found: "hs_other".into()
            }
        );
    }

    #[test]
    fn for_ledger_checks_the_first_event() {
        let events = chain(1);
        let mut verifier = Verifier::for_ledger("hs_other");
        let err = verifier
            .push(stored(&events, true)[0])
            .expect_err("wrong ledger");
        assert_eq!(
            err.reason,
            BreakReason::WrongLedger {
                expected: "hs_other".into(),
                found: LEDGER.into()
            }
        );
        // A failed push leaves the verifier where it was.
        assert_eq!(verifier.events(), 0);
        assert_eq!(verifier.head_hash(), GENESIS_PREV_HASH);
    }

    #[test]
    fn stored_position_must_match_the_envelope() {
        let events = chain(1);
        let rows = [StoredEvent {
            seq: 7,
            bytes: &events[0].bytes,
            stored_hash: None,
        }];
        let reason = expect_break(verify_chain(rows), 7);
        assert_eq!(
            reason,
            BreakReason::StoredSeqMismatch {
                stored: 7,
                envelope: 1
            }
        );
    }

    #[test]
    fn recorded_at_going_backwards_is_caught() {
        let first = event(1, GENESIS_PREV_HASH, T0).seal().expect("seals");
        let second = event(2, &first.hash, T0 - 1).seal().expect("seals");
        let reason = expect_break(verify_chain(stored(&[first, second], true)), 2);
        assert_eq!(
            reason,
            BreakReason::RecordedAtWentBackwards {
                previous: T0,
                found: T0 - 1
            }
        );
    }

    #[test]
    fn chain_break_display_names_ledger_event_and_reason() {
        let err = ChainBreak {
            ledger_id: Some("hs_mercy".into()),
            seq: 4,
            reason: BreakReason::SeqGap {
                expected: 4,
                found: 5,
            },
        };
        assert_eq!(
            err.to_string(),
            "ledger hs_mercy: event 4: expected seq 4, found seq 5 in the event"
        );
    }

    #[test]
    fn jsonl_verifies_with_and_without_trailing_newline() {
        let events = chain(4);
        let text = jsonl(&events);
        let head = events[3].hash.as_str();
        let v = verify_jsonl(&text, None).expect("valid export");
        assert_eq!((v.events, v.head_hash.as_str()), (4, head));
        let v = verify_jsonl(text.trim_end_matches('\n'), Some(head)).expect("valid export");
        assert_eq!((v.events, v.ledger_id.as_str()), (4, LEDGER));
    }

    #[test]
    fn jsonl_empty_export() {
        let v = verify_jsonl("", Some(GENESIS_PREV_HASH)).expect("empty ledger");
        assert_eq!((v.events, v.head_hash.as_str()), (0, GENESIS_PREV_HASH));
        let err = verify_jsonl("", Some(&hash_bytes(b"x"))).expect_err("head expected");
        assert_eq!(err.seq, 0);
        assert!(matches!(err.reason, BreakReason::HeadMismatch { .. }));
    }

    #[test]
    fn jsonl_tampered_last_line_needs_the_expected_head() {
        let events = chain(4);
        let head = events[3].hash.clone();
        let mut tampered = events.clone();
        let text = String::from_utf8(tampered[3].bytes.clone()).expect("UTF-8");
        tampered[3].bytes = text.replace("note 4", "note 8").into_bytes();
        let export = jsonl(&tampered);

        // Nothing after the last line names its hash: internally the chain is consistent.
        let v = verify_jsonl(&export, None).expect("undetectable without a head");
        assert_ne!(v.head_hash, head);

        let reason = expect_break(verify_jsonl(&export, Some(&head)), 4);
        assert_eq!(
            reason,
            BreakReason::HeadMismatch {
                expected: head,
                found: hash_bytes(&tampered[3].bytes)
            }
        );
    }

    #[test]
    fn jsonl_truncation_needs_the_expected_head() {
        let events = chain(4);
        let export = jsonl(&events[..3]);
        assert_eq!(verify_jsonl(&export, None).map(|v| v.events), Ok(3));
        let reason = expect_break(verify_jsonl(&export, Some(&events[3].hash)), 3);
        assert!(matches!(reason, BreakReason::HeadMismatch { .. }));
    }

    #[test]
    fn jsonl_rejects_crlf_blank_lines_and_dropped_lines() {
        let events = chain(3);
        let crlf = jsonl(&events).replace('\n', "\r\n");
        let err = verify_jsonl(&crlf, None).expect_err("CRLF");
        assert_eq!((err.seq, &err.reason), (1, &BreakReason::NotCanonical));
        // The first event is readable, so the break names its ledger.
        assert_eq!(err.ledger_id.as_deref(), Some(LEDGER));

        let blank = format!("{}\n", jsonl(&events));
        assert!(matches!(
            expect_break(verify_jsonl(&blank, None), 4),
            BreakReason::NotJson(_)
        ));

        let dropped = jsonl(&[events[0].clone(), events[2].clone()]);
        assert_eq!(
            expect_break(verify_jsonl(&dropped, None), 2),
            BreakReason::SeqGap {
                expected: 2,
                found: 3
            }
        );
    }
}
