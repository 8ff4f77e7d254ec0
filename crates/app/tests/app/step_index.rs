//! The inbox's step index moves with the record (issue 12): replayed into an empty database,
//! the demo's record gives every demo user the same inbox — the same steps, opened at the same
//! times —, and `audit verify --state` names a step row edited, added or deleted behind the
//! application's back.

use super::support::*;
use cellpath_app::views::inbox::InboxItem;
use cellpath_app::{App, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;
use std::sync::Arc;

const USERS: &[&str] = &[
    "coordinator@lakeshore.example",
    "physician@lakeshore.example",
    "nurse@lakeshore.example",
    "patient.ops@helixa.example",
    "patient.ops@northbridge.example",
];

/// Every item of a user's inbox, in its order.
async fn whole_inbox(app: &App, email: &str) -> Vec<InboxItem> {
    let caller = as_user(app, email).await;
    app.inbox(
        &caller,
        Page {
            limit: 100_000,
            offset: 0,
        },
    )
    .await
    .unwrap()
    .items
}

/// The same kind of database as `db`, empty.
async fn empty_like(db: &TestDb) -> TestDb {
    if db.label == "sqlite" {
        TestDb::sqlite().await
    } else {
        TestDb::postgres().await.expect("PostgreSQL is configured")
    }
}

#[tokio::test]
async fn a_replayed_record_gives_every_user_the_same_inbox_with_the_same_waiting_times() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let target_db = empty_like(&db).await;
        // Replayed later than the record was made: the steps' times come from the events,
        // not from the replay's clock.
        clock.advance_secs(3 * 86_400);
        let target = App::new(target_db.store().await, Arc::new(clock.clone()));
        let events = app.replay_app_into(&target).await.unwrap();
        assert!(events > 0, "{}", db.label);
        for email in USERS {
            let (a, b) = (
                whole_inbox(&app, email).await,
                whole_inbox(&target, email).await,
            );
            if email.starts_with("coordinator") {
                assert!(!a.is_empty(), "{} {email} has an inbox", db.label);
            }
            assert_eq!(
                serde_json::to_value(&a).unwrap(),
                serde_json::to_value(&b).unwrap(),
                "{} {email}",
                db.label
            );
        }
        let operator = Caller::system("test");
        assert_eq!(
            app.verify_state(&operator).await.unwrap(),
            vec![],
            "{}",
            db.label
        );
        assert_eq!(
            target.verify_state(&operator).await.unwrap(),
            vec![],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn verify_state_names_a_step_row_changed_behind_the_apps_back() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        db.execute_behind_the_apps_back(
            "UPDATE case_open_steps SET since = since - 1000000 WHERE case_id = (SELECT MIN(case_id) FROM case_open_steps)",
        )
        .await;
        db.execute_behind_the_apps_back(
            "DELETE FROM case_open_steps WHERE case_id = (SELECT MAX(case_id) FROM case_open_steps)",
        )
        .await;
        let found = app.verify_state(&Caller::system("test")).await.unwrap();
        let kinds: Vec<String> = found
            .iter()
            .filter(|d| d.table == "case_open_steps")
            .map(|d| serde_json::to_value(&d.kind).unwrap()["difference"].to_string())
            .collect();
        assert!(
            kinds.iter().any(|k| k.contains("changed")),
            "{} {found:?}",
            db.label
        );
        assert!(
            kinds.iter().any(|k| k.contains("missing")),
            "{} {found:?}",
            db.label
        );
        // Written again from the events, nothing differs.
        app.reindex_open_steps().await.unwrap();
        assert_eq!(
            app.verify_state(&Caller::system("test")).await.unwrap(),
            vec![],
            "{}",
            db.label
        );
    }
}
