//! The store's story, told once and run on SQLite and, when `CELLPATH_TEST_POSTGRES_URL` is
//! set, on PostgreSQL: events chain, concurrent writers never fork a ledger, idempotent
//! answers are stored with their event, projections refuse stale versions, and the current
//! state can be rebuilt from the events alone.

use cellpath_ledger::{StoredEvent, verify_chain};
use cellpath_store::testing::TestDb;
use cellpath_store::{
    Append, AppendError, AppendOutcome, DifferenceKind, IdempotencyWrite, LedgerKind, Store,
    StoreError, StoredAnswer,
};
use serde_json::json;

#[path = "store/bookings.rs"]
mod bookings;
#[path = "store/cases.rs"]
mod cases;
#[path = "store/inbox.rs"]
mod inbox;
#[path = "store/jobs.rs"]
mod jobs;
mod record_fixture;

fn org_created(id: &str, name: &str, now: i64) -> Append {
    Append::new(
        id,
        "system:test",
        "organization.created",
        json!({ "id": id, "new": { "kind": "health_system", "name": name } }),
        now,
    )
    .opening(LedgerKind::HealthSystem)
}

fn site_created(org: &str, id: &str, code: &str, now: i64) -> Append {
    Append::new(
        org,
        "system:test",
        "site.created",
        json!({ "id": id, "new": { "org_id": org, "name": format!("Site {code}"), "code": code, "city": "Chicago", "region": "IL", "active": true } }),
        now,
    )
}

/// Append each event in turn, as separate commands.
async fn append_all(store: &Store, events: Vec<Append>) {
    for event in events {
        store.append(event).await.expect("appended");
    }
}

async fn verify(
    store: &Store,
    ledger: &str,
) -> Result<cellpath_ledger::Verified, cellpath_ledger::ChainBreak> {
    let rows = store.events(ledger, 0, 100_000).await.expect("read events");
    verify_chain(rows.iter().map(|r| StoredEvent {
        seq: r.seq,
        bytes: r.body.as_bytes(),
        stored_hash: Some(&r.hash),
    }))
}

fn appended(o: AppendOutcome) -> cellpath_store::Appended {
    match o {
        AppendOutcome::Appended { event, .. } => event,
        AppendOutcome::Replayed(_) => panic!("expected a fresh append"),
    }
}

#[tokio::test]
async fn sqlite_commits_are_durable() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    // 2 = FULL: every commit is fsynced (power loss itself cannot be tested).
    assert_eq!(store.sqlite_pragma("synchronous").await.unwrap(), 2);
    assert_eq!(store.sqlite_pragma("foreign_keys").await.unwrap(), 1);
}

#[tokio::test]
async fn events_chain_and_project() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let first = appended(
            store
                .append(org_created("org_a", "Lakeshore", 1_000))
                .await
                .unwrap(),
        );
        assert_eq!(first.seq, 1);
        let second = appended(
            store
                .append(site_created("org_a", "site_1", "MAIN", 2_000))
                .await
                .unwrap(),
        );
        assert_eq!(second.seq, 2, "{}", db.label);
        let site = store.site("site_1").await.unwrap().expect("site projected");
        assert_eq!(
            (site.code.as_str(), site.version, site.created_at),
            ("MAIN", 1, 2_000)
        );
        // Time never runs backwards within a ledger, whatever the clock says.
        let third = appended(
            store
                .append(site_created("org_a", "site_2", "NORTH", 500))
                .await
                .unwrap(),
        );
        assert_eq!(third.recorded_at, 2_000);
        let v = verify(&store, "org_a").await.expect("chain verifies");
        assert_eq!((v.events, v.head_hash), (3, third.hash.clone()));
        let head = store.ledger_head("org_a").await.unwrap().unwrap();
        assert_eq!((head.seq, head.head_hash), (3, third.hash));
    }
}

#[tokio::test]
async fn a_failed_projection_leaves_no_event() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        store
            .append(site_created("org_a", "site_1", "MAIN", 2))
            .await
            .unwrap();
        let err = store
            .append(site_created("org_a", "site_2", "MAIN", 3))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppendError::Store(StoreError::Duplicate { .. })),
            "{}: {err:?}",
            db.label
        );
        // Stale version: the row is at 1, the event claims to make version 3.
        let stale = Append::new(
            "org_a",
            "system:test",
            "site.updated",
            json!({ "id": "site_1", "version": 3, "old": { "name": "Site MAIN" }, "new": { "name": "Renamed" } }),
            4,
        );
        let err = store.append(stale).await.unwrap_err();
        assert!(
            matches!(
                err,
                AppendError::Store(StoreError::Conflict { current: 1, .. })
            ),
            "{}: {err:?}",
            db.label
        );
        let head = store.ledger_head("org_a").await.unwrap().unwrap();
        assert_eq!(
            head.seq, 2,
            "{}: refused writes must not advance the ledger",
            db.label
        );
        verify(&store, "org_a").await.expect("still verifies");
        assert!(matches!(
            store
                .append(site_created("nowhere", "s", "X", 1))
                .await
                .unwrap_err(),
            AppendError::Store(StoreError::NoLedger(_))
        ));
    }
}

/// A typed event is read into its domain type before it is projected: a payload that does not
/// fit (a field renamed, a vocabulary word unknown) is refused, and nothing is written.
#[tokio::test]
async fn an_event_that_does_not_fit_its_type_is_refused() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        refused_as_unfit(
            &store,
            db.label,
            "org_a",
            vec![
                (
                    "site.created",
                    json!({ "id": "site_1", "new": { "org_id": "org_a", "name": "Main", "code": "MAIN",
                        "town": "Chicago", "city": "Chicago", "region": "IL", "active": true } }),
                ),
                (
                    "facility.created",
                    json!({ "id": "fac_1", "new": { "org_id": "org_a", "name": "Cell Lab",
                        "kind": "kitchen", "site_ids": [] } }),
                ),
            ],
        )
        .await;
    }
}

/// Append each event to `ledger`: each is refused as not fitting its type, and nothing is
/// written.
async fn refused_as_unfit(
    store: &Store,
    label: &str,
    ledger: &str,
    events: Vec<(&str, serde_json::Value)>,
) {
    let before = store.ledger_head(ledger).await.unwrap().unwrap().seq;
    for (kind, payload) in events {
        let err = store
            .append(Append::new(ledger, "system:test", kind, payload, 2_000))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppendError::Store(StoreError::Invalid(m)) if m.contains("does not fit its type")),
            "{label}: {kind}: {err:?}"
        );
    }
    let head = store.ledger_head(ledger).await.unwrap().unwrap();
    assert_eq!(head.seq, before, "{label}: nothing was written");
}

/// Contracting's events are types too: an agreement of a kind the gate does not know, a
/// deliverable done on no day, a verdict that drops what was missing, a reminder with its
/// fields renamed — each refused in its own transaction, nothing written.
#[tokio::test]
async fn a_contracting_event_that_does_not_fit_its_type_is_refused() {
    for db in TestDb::all().await {
        let store = db.store().await;
        open_partnership(&store, 1_000).await;
        refused_as_unfit(
            &store,
            db.label,
            "pship_1",
            vec![
                (
                    "agreement.created",
                    json!({ "id": "agr_1", "new": { "partnership_id": "pship_1",
                    "kind": "handshake", "scope": "health_system", "site_id": "", "status": "not_started",
                    "owner_manufacturer": "", "owner_health_system": "", "effective_on": "", "expires_on": "",
                    "coverage": { "covers": "all_sites" }, "documents": [], "amendments": [], "redline_rounds": 0 } }),
                ),
                (
                    "deliverable_record.created",
                    json!({ "id": "dlv_1", "new": { "partnership_id": "pship_1",
                    "site_id": "site_1", "program_id": "prog_1", "deliverable": "staff_training",
                    "done_on": "", "evidence": "Roster on file.", "revoked_on": "", "revoked_reason": "" } }),
                ),
                (
                    "site_authorization.created",
                    json!({ "id": "auth_1", "new": { "partnership_id": "pship_1",
                    "site_id": "site_1", "program_id": "prog_1", "status": "authorized", "since": "2026-01-02" } }),
                ),
                (
                    "expiry_reminder.created",
                    json!({ "id": "rem_1", "new": { "partnership_id": "pship_1",
                    "agreement": "agr_1", "agreement_kind": "supply_agreement", "expires_on": "2027-01-20",
                    "days_before": 90, "days_left": 45, "sent_on": "2026-12-06" } }),
                ),
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn many_concurrent_writers_on_one_ledger_never_fork_or_gap() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for w in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let code = format!("W{w}-{i}");
                    store
                        .append(site_created("org_a", &format!("site_{w}_{i}"), &code, 10))
                        .await
                        .expect("append");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let v = verify(&store, "org_a")
            .await
            .unwrap_or_else(|b| panic!("{}: {b}", db.label));
        assert_eq!(v.events, 161, "{}", db.label);
    }
}

fn idem(key: &str, request: &str) -> IdempotencyWrite {
    let key = key.to_string();
    IdempotencyWrite {
        scope: "usr_1".into(),
        key,
        request_hash: request.into(),
        answer: Box::new(|a| StoredAnswer {
            status: 201,
            body: format!("{{\"seq\":{}}}", a.seq),
        }),
    }
}

#[tokio::test]
async fn an_idempotency_key_writes_once_and_answers_the_same() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        let first = store
            .append(
                site_created("org_a", "site_1", "MAIN", 2)
                    .with_idempotency(Some(idem("k1", "req-a"))),
            )
            .await
            .unwrap();
        let AppendOutcome::Appended {
            answer: Some(answer),
            ..
        } = first
        else {
            panic!("fresh append with an answer")
        };
        // The retry carries a new id (a client retrying the same body would get the same
        // request hash); nothing is written and the first answer comes back.
        let again = store
            .append(
                site_created("org_a", "site_2", "OTHER", 3)
                    .with_idempotency(Some(idem("k1", "req-a"))),
            )
            .await
            .unwrap();
        match again {
            AppendOutcome::Replayed(a) => assert_eq!(a, answer),
            other => panic!("{}: expected a replay, got {other:?}", db.label),
        }
        assert!(store.site("site_2").await.unwrap().is_none());
        let reused = store
            .append(
                site_created("org_a", "site_3", "THIRD", 4)
                    .with_idempotency(Some(idem("k1", "req-b"))),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(reused, AppendError::IdempotencyKeyReused),
            "{}",
            db.label
        );
        assert_eq!(store.ledger_head("org_a").await.unwrap().unwrap().seq, 2);
    }
}

#[tokio::test]
async fn concurrent_requests_with_one_key_write_once() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .append(
                        site_created("org_a", &format!("site_{i}"), &format!("C{i}"), 5)
                            .with_idempotency(Some(idem("same", "req"))),
                    )
                    .await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            match t.await.unwrap().expect("no error for a repeat") {
                AppendOutcome::Appended { answer, .. } => answers.push(answer.expect("answer")),
                AppendOutcome::Replayed(a) => answers.push(a),
            }
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{}: every caller gets the first answer",
            db.label
        );
        assert_eq!(
            store.ledger_head("org_a").await.unwrap().unwrap().seq,
            2,
            "{}: written once",
            db.label
        );
    }
}

#[tokio::test]
async fn an_edited_event_is_caught_at_its_sequence() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        store
            .append(site_created("org_a", "site_1", "MAIN", 2))
            .await
            .unwrap();
        store
            .append(site_created("org_a", "site_2", "NORTH", 3))
            .await
            .unwrap();
        let row = store.events("org_a", 1, 1).await.unwrap().remove(0);
        store
            .tamper_with_event_body("org_a", 2, &row.body.replace("Chicago", "Detroit"))
            .await
            .unwrap();
        let broken = verify(&store, "org_a")
            .await
            .expect_err("tampering is caught");
        assert_eq!(broken.seq, 2, "{}: {broken}", db.label);
    }
}

#[tokio::test]
async fn the_current_state_can_be_rebuilt_from_the_events() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        store
            .append(site_created("org_a", "site_1", "MAIN", 2))
            .await
            .unwrap();
        store
            .append(Append::new("org_a", "system:test", "site.updated", json!({ "id": "site_1", "version": 2, "old": { "name": "Site MAIN" }, "new": { "name": "Main Campus", "active": false } }), 3))
            .await
            .unwrap();
        store
            .append(Append::new("org_a", "system:test", "facility.created", json!({ "id": "fac_1", "new": { "org_id": "org_a", "name": "Cell Lab", "kind": "processing", "site_ids": ["site_1"] } }), 4))
            .await
            .unwrap();
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        assert_eq!(store.replay_into(&target).await.unwrap(), 4);
        let live = store.record_state().await.unwrap();
        assert_eq!(live, target.record_state().await.unwrap(), "{}", db.label);
        assert!(
            live["sites"][0].contains("Main Campus"),
            "{:?}",
            live["sites"]
        );
        verify(&target, "org_a")
            .await
            .expect("the rebuilt copy verifies");
    }
}

#[tokio::test]
async fn rows_changed_behind_the_apps_back_are_named_against_the_events() {
    for db in TestDb::all().await {
        let store = db.store().await;
        append_all(
            &store,
            vec![
                org_created("org_a", "Lakeshore", 1),
                site_created("org_a", "site_1", "MAIN", 2),
                Append::new("org_a", "system:test", "facility.created", json!({ "id": "fac_1", "new": { "org_id": "org_a", "name": "Cell Lab", "kind": "processing", "site_ids": ["site_1"] } }), 3),
            ],
        )
        .await;
        assert_eq!(
            store.state_differences().await.unwrap(),
            vec![],
            "untouched: {}",
            db.label
        );

        db.execute_behind_the_apps_back(
            "UPDATE sites SET name = 'Renamed quietly' WHERE id = 'site_1'",
        )
        .await;
        db.execute_behind_the_apps_back(
            "INSERT INTO organizations (id, kind, name, version, created_at, updated_at) VALUES ('org_x', 'manufacturer', 'Planted', 1, 5, 5)",
        )
        .await;
        db.execute_behind_the_apps_back("DELETE FROM site_facilities WHERE facility_id = 'fac_1'")
            .await;

        let found = store.state_differences().await.unwrap();
        assert_eq!(found.len(), 3, "{}: {found:#?}", db.label);
        assert!(found.iter().any(|d| d.table == "sites"
            && d.key == "site_1"
            && matches!(&d.kind, DifferenceKind::Changed { column, live, from_events }
                if column == "name" && live == "Renamed quietly" && from_events == "Site MAIN")));
        assert!(found.iter().any(|d| d.table == "organizations"
            && d.key == "org_x"
            && matches!(d.kind, DifferenceKind::NotMadeByAnyEvent { .. })));
        assert!(found.iter().any(|d| d.table == "site_facilities"
            && d.key == "site_1 / fac_1"
            && matches!(d.kind, DifferenceKind::Missing { .. })));
        // The hash chains cannot see any of it.
        verify(&store, "org_a")
            .await
            .expect("the chain still verifies");
    }
}

#[tokio::test]
async fn a_command_with_several_events_appends_all_or_none() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store
            .append(org_created("org_a", "Lakeshore", 1))
            .await
            .unwrap();
        // A site and, in the same transaction, an e-signature naming the site's event.
        let signed = site_created("org_a", "site_1", "MAIN", 2).then(Box::new(|first| {
            ("signature.recorded".to_string(), json!({
                "signs": { "target": "event", "event_hash": first.hash },
                "signer_user_id": "usr_1", "printed_name": "Ann Lee", "meaning": "approved", "signed_at": 2,
            }))
        }));
        let first = appended(store.append(signed).await.unwrap());
        assert_eq!(first.seq, 2);
        assert_eq!(
            store.signatures_on(&first.hash).await.unwrap().len(),
            1,
            "{}",
            db.label
        );
        assert_eq!(store.ledger_head("org_a").await.unwrap().unwrap().seq, 3);
        // If the second event cannot be projected, the first is not kept either.
        let broken = site_created("org_a", "site_2", "NORTH", 3)
            .then(Box::new(|_| ("no.such_event".to_string(), json!({}))));
        assert!(store.append(broken).await.is_err());
        assert!(
            store.site("site_2").await.unwrap().is_none(),
            "{}",
            db.label
        );
        assert_eq!(store.ledger_head("org_a").await.unwrap().unwrap().seq, 3);
        verify(&store, "org_a").await.expect("verifies");
    }
}

/// A manufacturer with program `prog_1`, a health system with `site_1`, and the active
/// partnership `pship_1` between them, its ledger opened.
async fn open_partnership(store: &Store, at: i64) {
    store
        .append(
            Append::new(
                "org_m",
                "system:test",
                "organization.created",
                json!({ "id": "org_m", "new": { "kind": "manufacturer", "name": "Helixa" } }),
                at,
            )
            .opening(LedgerKind::Manufacturer),
        )
        .await
        .unwrap();
    store
        .append(Append::new(
            "org_m",
            "system:test",
            "program.created",
            json!({ "id": "prog_1", "new": { "org_id": "org_m", "name": "Vantacel",
                "modality": "autologous_cell", "units": [], "identifiers": [], "list_prices": [],
                "requires_dual_verification": false, "requirements": [] } }),
            at,
        ))
        .await
        .unwrap();
    store
        .append(org_created("org_h", "Lakeshore", at))
        .await
        .unwrap();
    store
        .append(site_created("org_h", "site_1", "MAIN", at))
        .await
        .unwrap();
    store
        .append(
            Append::new(
                "pship_1",
                "system:test",
                "partnership.created",
                json!({ "id": "pship_1", "new": { "manufacturer_id": "org_m",
                    "health_system_id": "org_h", "name": "Helixa × Lakeshore",
                    "programs": ["prog_1"], "status": "active" } }),
                at,
            )
            .opening(LedgerKind::Partnership),
        )
        .await
        .unwrap();
}

/// A deliverable recorded before migration 0007 carries no `revoked_*` fields in its event:
/// projecting it (live or in a replay) gives the migration's default, so it counts.
#[tokio::test]
async fn an_event_from_before_a_later_text_column_gets_its_default() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let at = 1_000;
        open_partnership(&store, at).await;
        // As written before the revocation columns existed.
        store
            .append(Append::new(
                "pship_1",
                "system:test",
                "deliverable_record.created",
                json!({ "id": "dlv_1", "new": { "partnership_id": "pship_1", "site_id": "site_1",
                    "program_id": "prog_1", "deliverable": "staff_training",
                    "done_on": "2025-10-08", "evidence": "Roster on file." } }),
                at,
            ))
            .await
            .unwrap();
        let r = store
            .deliverable_record("dlv_1")
            .await
            .unwrap()
            .expect("projected");
        assert_eq!(
            (r.revoked_on.as_ref(), r.revoked_reason.as_deref()),
            (None, None)
        );
        assert!(r.counts(), "{}", db.label);
    }
}

/// A signature recorded before its payload carried a `channel` (migration 0008) still verifies,
/// projects with no channel ("channel not recorded"), and replays the same; a new one keeps it.
#[tokio::test]
async fn a_signature_from_before_the_channel_verifies_and_reads_without_one() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let created = appended(
            store
                .append(org_created("org_a", "Lakeshore", 1))
                .await
                .unwrap(),
        );
        let signature = |at: i64, channel: Option<serde_json::Value>| {
            let mut payload = json!({
                "signs": { "target": "event", "event_hash": created.hash },
                "signer_user_id": "usr_1", "printed_name": "Dana Reyes, PharmD",
                "meaning": "reviewed", "signed_at": at,
            });
            if let Some(c) = channel {
                payload["channel"] = c;
            }
            Append::new("org_a", "user:usr_1", "signature.recorded", payload, at)
        };
        store.append(signature(2, None)).await.unwrap();
        store
            .append(signature(
                3,
                Some(
                    json!({ "via": "api_token", "token_id": "tok_1", "token_name": "Ward 4 pump" }),
                ),
            ))
            .await
            .unwrap();
        let rows = store.signatures_in("org_a").await.unwrap();
        assert_eq!(rows[0].channel, None, "{}", db.label);
        assert_eq!(
            rows[1].channel,
            Some(cellpath_ledger::Channel::ApiToken {
                token_id: "tok_1".into(),
                token_name: "Ward 4 pump".into()
            })
        );
        verify(&store, "org_a").await.expect("both verify");
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        store.replay_into(&target).await.unwrap();
        assert_eq!(
            store.record_state().await.unwrap(),
            target.record_state().await.unwrap(),
            "{}",
            db.label
        );
    }
}

/// A signature on a site map version is kept with the version and content it is on (the
/// gate's facts), replays the same, and a database from before migration 0010 gets the rows
/// from its events when it migrates.
#[tokio::test]
async fn site_map_signatures_are_projected_and_filled_in_for_older_databases() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let created = appended(
            store
                .append(org_created("org_a", "Lakeshore", 1))
                .await
                .unwrap(),
        );
        let signature = |at: i64, signs: serde_json::Value| {
            Append::new(
                "org_a",
                "user:usr_1",
                "signature.recorded",
                json!({
                    "signs": signs, "signer_user_id": "usr_1", "printed_name": "Dana Reyes, PharmD",
                    "meaning": "approved", "signed_at": at,
                }),
                at,
            )
        };
        let content = "ab".repeat(32);
        let on_map = |version: &str| {
            json!({ "target": "record", "record_kind": "site_map_version",
                    "record_id": version, "content_hash": content })
        };
        store.append(signature(2, on_map("smv_1"))).await.unwrap();
        store
            .append(signature(
                3,
                json!({ "target": "event", "event_hash": created.hash }),
            ))
            .await
            .unwrap();
        store
            .append(signature(
                4,
                json!({ "target": "record", "record_kind": "map_version",
                        "record_id": "mv_1", "content_hash": content }),
            ))
            .await
            .unwrap();
        store.append(signature(5, on_map("smv_2"))).await.unwrap();
        let seen = |rows: Vec<cellpath_store::SiteMapSignature>| -> Vec<(String, String, i64)> {
            rows.into_iter()
                .map(|s| (s.site_map_version_id, s.content_hash, s.signed_at))
                .collect()
        };
        let expected = vec![
            ("smv_1".to_string(), content.clone(), 2),
            ("smv_2".to_string(), content.clone(), 5),
        ];
        assert_eq!(
            seen(store.site_map_signatures_of("org_a").await.unwrap()),
            expected,
            "{}: site map signatures only",
            db.label
        );
        assert_eq!(store.state_differences().await.unwrap(), vec![]);

        // A database written before the table existed: its signatures come from the events.
        db.execute_behind_the_apps_back("DROP TABLE site_map_signatures")
            .await;
        db.execute_behind_the_apps_back("DELETE FROM schema_migrations WHERE version = 10")
            .await;
        assert_eq!(
            store.migrate().await.unwrap(),
            ["0010_site_map_signatures"],
            "{}",
            db.label
        );
        assert_eq!(
            seen(store.site_map_signatures_of("org_a").await.unwrap()),
            expected,
            "{}: filled in",
            db.label
        );
        assert_eq!(store.state_differences().await.unwrap(), vec![]);
    }
}
