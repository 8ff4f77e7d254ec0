//! A record written by an earlier release (`tests/fixtures/record-2026-12-06`: the demo, the
//! directory and token changes it lacks, and the server's review job, exported ledger by
//! ledger as `audit export` writes them) still verifies with the same heads and replays into
//! an empty database to the state it had then, with today's code.

use cellpath_ledger::{StoredEvent, verify_chain, verify_jsonl};
use cellpath_store::Store;
use cellpath_store::testing::TestDb;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One exported ledger of the fixture: its id, kind, events and the head it ended with.
pub struct Ledger {
    pub id: String,
    pub kind: String,
    pub events: i64,
    pub head: String,
    pub jsonl: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/record-2026-12-06")
}

/// The fixture's ledgers, from `ledgers.txt` (`id kind events head`) and `ledgers/<id>.jsonl`.
pub fn ledgers() -> Vec<Ledger> {
    let index = std::fs::read_to_string(dir().join("ledgers.txt")).expect("ledgers.txt");
    index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            let jsonl =
                std::fs::read_to_string(dir().join("ledgers").join(format!("{}.jsonl", f[0])))
                    .expect("the ledger's export");
            Ledger {
                id: f[0].to_string(),
                kind: f[1].to_string(),
                events: f[2].parse().expect("an event count"),
                head: f[3].to_string(),
                jsonl,
            }
        })
        .collect()
}

/// The state the record replayed to when it was written: `## table`, then its rows as
/// `Store::record_state` writes them.
fn expected_state() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir().join("state.txt")).expect("state.txt");
    let mut state: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut table = String::new();
    for line in text.lines() {
        match line.strip_prefix("## ") {
            Some(name) => {
                table = name.to_string();
                state.entry(table.clone()).or_default();
            }
            None => state
                .get_mut(&table)
                .expect("a row under a table")
                .push(line.to_string()),
        }
    }
    state
}

async fn loaded(db: &TestDb, ledgers: &[Ledger]) -> Store {
    let store = db.store().await;
    let exports: Vec<(&str, &str)> = ledgers
        .iter()
        .map(|l| (l.kind.as_str(), l.jsonl.as_str()))
        .collect();
    let total: i64 = ledgers.iter().map(|l| l.events).sum();
    assert_eq!(
        store
            .load_exports(&exports)
            .await
            .expect("the record loads"),
        u64::try_from(total).expect("a count"),
        "{}",
        db.label
    );
    store
}

#[tokio::test]
async fn a_record_written_by_the_earlier_release_verifies_with_the_same_heads() {
    let ledgers = ledgers();
    assert_eq!(
        ledgers.len(),
        9,
        "two manufacturers, three health systems, four partnerships"
    );
    for l in &ledgers {
        let verified = verify_jsonl(&l.jsonl, Some(&l.head)).expect("the export verifies");
        assert_eq!(
            (verified.events, verified.head_hash.as_str()),
            (l.events, l.head.as_str())
        );
    }
    for db in TestDb::all().await {
        let store = loaded(&db, &ledgers).await;
        for l in &ledgers {
            let rows = store.events(&l.id, 0, 100_000).await.expect("read events");
            let verified = verify_chain(rows.iter().map(|r| StoredEvent {
                seq: r.seq,
                bytes: r.body.as_bytes(),
                stored_hash: Some(&r.hash),
            }))
            .unwrap_or_else(|b| panic!("{}: {} breaks: {b:?}", db.label, l.id));
            let head = store.ledger_head(&l.id).await.unwrap().expect("a head");
            assert_eq!(
                (
                    verified.head_hash.as_str(),
                    head.head_hash.as_str(),
                    head.seq,
                    head.kind.as_str()
                ),
                (l.head.as_str(), l.head.as_str(), l.events, l.kind.as_str()),
                "{}: {}",
                db.label,
                l.id
            );
        }
    }
}

/// Record tables added after the fixture was written: projections of events it already holds
/// (`site_map_signatures`, migration 0010: the gate's signed site maps).
const PROJECTED_SINCE: &[&str] = &["site_map_signatures"];

/// Record tables of events the earlier release never wrote (migration 0011: patients and
/// cases; 0014: their registry forms; 0015: consent versions; 0023: capacity and bookings;
/// 0025: safety reports; 0026: open adverse events; 0028-0029: release-exception protocols and
/// exceptions; 0030: webhook endpoints; 0032: payment terms, invoices and their settlements; 0035: payer profiles, claims and exposure
/// flows):
/// empty after its record is replayed.
const EMPTY_SINCE: &[&str] = &[
    "patients",
    "cases",
    "case_events",
    "registry_forms",
    "consent_versions",
    "program_capacities",
    "bookings",
    "slot_reservations",
    "safety_reports",
    "open_adverse_events",
    "webhook_endpoints",
    "exception_protocols",
    "release_exceptions",
    "payment_terms",
    "invoices",
    "invoice_settlements",
    "payer_profiles",
    "claims",
    "exposure_flows",
];

/// Columns added to record tables after the fixture was written, by table and position in
/// the row (highest first): compared apart, since the earlier release kept no such column.
/// Migration 0018: an organization's time zone; 0019: when a partnership was accepted, who
/// declined it and why.
const LATER_COLUMNS: &[(&str, &[usize])] =
    &[("organizations", &[3]), ("partnerships", &[11, 10, 9])];

/// Each record table's rows, as text.
type Rows = BTreeMap<String, Vec<String>>;

/// The replayed rows without the later columns, and those columns' values by table.
fn without_later_columns(mut state: Rows) -> (Rows, BTreeMap<String, Vec<Vec<String>>>) {
    let mut later = BTreeMap::new();
    for (table, positions) in LATER_COLUMNS {
        let rows = state.get_mut(*table).expect("a record table");
        let values: &mut Vec<Vec<String>> = later.entry(table.to_string()).or_default();
        for row in rows.iter_mut() {
            let mut cells: Vec<String> = row.split('|').map(str::to_string).collect();
            let mut taken: Vec<String> = positions.iter().map(|at| cells.remove(*at)).collect();
            taken.reverse();
            values.push(taken);
            *row = cells.join("|");
        }
    }
    (state, later)
}

#[tokio::test]
async fn a_record_written_by_the_earlier_release_replays_to_the_state_it_had() {
    let ledgers = ledgers();
    let expected = expected_state();
    for db in TestDb::all().await {
        let store = loaded(&db, &ledgers).await;
        let state: BTreeMap<String, Vec<String>> = store
            .record_state()
            .await
            .unwrap()
            .into_iter()
            .map(|(t, rows)| (t.to_string(), rows))
            .collect();
        let (state, later) = without_later_columns(state);
        // An earlier release's organizations have no time zone; its accepted partnerships were
        // accepted (`accepted_at` set from the acceptance event), nobody declined one.
        assert!(
            later["organizations"].iter().all(|v| v == &[""]),
            "{}: {later:?}",
            db.label
        );
        for (row, v) in state["partnerships"].iter().zip(&later["partnerships"]) {
            let accepted = !row.contains("|proposed|");
            assert_eq!(v[0] != "∅", accepted, "{}: {row} {v:?}", db.label);
            assert_eq!(&v[1..], ["∅", "∅"], "{}: {row}", db.label);
        }
        // Every table the earlier release kept is still made from the events; the tables
        // projected since (listed) are made from the same events, the old ones included.
        assert_eq!(
            state
                .keys()
                .filter(|t| !PROJECTED_SINCE.contains(&t.as_str())
                    && !EMPTY_SINCE.contains(&t.as_str()))
                .collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{}: the record tables",
            db.label
        );
        for table in PROJECTED_SINCE {
            assert!(
                state.get(*table).is_some_and(|rows| !rows.is_empty()),
                "{}: {table} is projected from the earlier release's events",
                db.label
            );
        }
        for table in EMPTY_SINCE {
            assert_eq!(state.get(*table), Some(&vec![]), "{}: {table}", db.label);
        }
        for (table, rows) in &expected {
            assert_eq!(&state[table], rows, "{}: {table}", db.label);
        }
        assert!(
            store.state_differences().await.unwrap().is_empty(),
            "{}: replaying the loaded record again gives the same state",
            db.label
        );
    }
}

/// Kinds that no command of the fixture's day wrote (a deliverable revoked or recorded again,
/// a verdict moved after the first, a track template set): the domain's tests pin their
/// payloads as the app has always written them (`events::contracting::tests`).
const NOT_IN_THE_FIXTURE: &[&str] = &[
    "deliverable_record.updated",
    "site_authorization.updated",
    "track_template.created",
    "track_template.updated",
];

/// Each payload of one kind, read into its type and written back: the same canonical bytes.
struct RoundTrip<'a> {
    kind: &'a str,
    payloads: &'a [serde_json::Value],
    typed: bool,
}

impl cellpath_domain::events::Visit for RoundTrip<'_> {
    fn event<E: cellpath_domain::events::Event>(&mut self) {
        if E::KIND != self.kind {
            return;
        }
        self.typed = true;
        for payload in self.payloads {
            let typed: E = serde_json::from_value(payload.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{payload}", self.kind));
            let back = serde_json::to_value(&typed).expect("serializes");
            assert_eq!(
                String::from_utf8(cellpath_ledger::canonicalize(&back).unwrap()).unwrap(),
                String::from_utf8(cellpath_ledger::canonicalize(payload).unwrap()).unwrap(),
                "{} does not write back what it read",
                self.kind
            );
        }
    }
}

#[test]
fn every_payload_of_the_earlier_release_reads_into_its_type_and_writes_back_the_same_bytes() {
    let mut by_kind: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for l in ledgers() {
        for line in l.jsonl.lines() {
            let event = cellpath_ledger::parse_event(line.as_bytes()).expect("an event");
            by_kind.entry(event.kind).or_default().push(event.payload);
        }
    }
    for (kind, payloads) in &by_kind {
        if kind == cellpath_ledger::SIGNATURE_EVENT_TYPE {
            for p in payloads {
                let sig: cellpath_ledger::SignaturePayload =
                    serde_json::from_value(p.clone()).expect("a signature");
                assert_eq!(
                    cellpath_ledger::canonicalize(&sig.to_payload()).unwrap(),
                    cellpath_ledger::canonicalize(p).unwrap()
                );
            }
            continue;
        }
        let mut check = RoundTrip {
            kind,
            payloads,
            typed: false,
        };
        cellpath_domain::events::each(&mut check);
        assert!(check.typed, "{kind} has no event type");
    }
    // Every type meets at least one event of the past, but those the record cannot hold.
    struct Seen<'a>(
        &'a BTreeMap<String, Vec<serde_json::Value>>,
        Vec<&'static str>,
    );
    impl cellpath_domain::events::Visit for Seen<'_> {
        fn event<E: cellpath_domain::events::Event>(&mut self) {
            if !self.0.contains_key(E::KIND) && !NOT_IN_THE_FIXTURE.contains(&E::KIND) {
                self.1.push(E::KIND);
            }
        }
    }
    for kind in NOT_IN_THE_FIXTURE {
        assert!(
            !by_kind.contains_key(*kind),
            "{kind} is in the fixture: unlist it"
        );
    }
    let mut seen = Seen(&by_kind, Vec::new());
    cellpath_domain::events::each(&mut seen);
    assert!(
        seen.1.is_empty(),
        "no event in the fixture for {:?}",
        seen.1
    );
}
