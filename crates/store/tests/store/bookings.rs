//! A booking's row as the app reads it: who asked, who scored and whether (why, by whom) it
//! was passed over are typed — `None` where the table keeps `''` — and a request recorded
//! before migration 0024 kept who asked reads as nobody recorded, not as `""`.

use cellpath_domain::Date;
use cellpath_domain::events::bookings::{
    BookingRequested, BookingScored, BookingSkipped, BookingStatus, BookingWaitlisted,
};
use cellpath_domain::waitlist::Priority;
use cellpath_store::testing::TestDb;
use cellpath_store::{Append, LedgerKind, Skip};

fn append(actor: &str, kind: &str, payload: impl serde::Serialize, now: i64) -> Append {
    Append::new(
        "partnership_1",
        actor,
        kind,
        serde_json::to_value(payload).expect("a payload"),
        now,
    )
}

#[tokio::test]
async fn a_bookings_who_and_pass_over_are_options_never_empty_text() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let requested = BookingRequested {
            id: "booking_1".into(),
            partnership_id: "partnership_1".into(),
            site_id: "site_1".into(),
            program_id: "program_1".into(),
            case_id: "case_1".into(),
            asked_on: Date::parse("2026-12-14").expect("a day"),
        };
        store
            .append(
                append("user:coord", "booking.requested", &requested, 10)
                    .opening(LedgerKind::Partnership),
            )
            .await
            .expect("requested");
        let b = store.booking("booking_1").await.unwrap().expect("the row");
        assert_eq!(
            b.requested_by.as_deref(),
            Some("user:coord"),
            "{}",
            db.label
        );
        assert_eq!((b.priority, b.scored_by, b.skipped), (None, None, None));

        let waitlisted = BookingWaitlisted {
            id: "booking_1".into(),
            version: 2,
            from: BookingStatus::Requested,
            reason: "no slot in the window".into(),
        };
        store
            .append(append("user:ops", "booking.waitlisted", &waitlisted, 20))
            .await
            .expect("waitlisted");
        let skipped = BookingSkipped {
            id: "booking_1".into(),
            version: 3,
            reason: "bridging therapy not finished".into(),
        };
        store
            .append(append("user:ops", "booking.skipped", &skipped, 30))
            .await
            .expect("passed over");
        let b = store.booking("booking_1").await.unwrap().expect("the row");
        assert_eq!(
            b.skipped,
            Some(Skip {
                reason: "bridging therapy not finished".into(),
                by: "user:ops".into(),
            }),
            "{}",
            db.label
        );
        assert_eq!(b.scored_by, None);

        // A score puts it back in line: no longer passed over, scored by whom.
        let scored = BookingScored {
            id: "booking_1".into(),
            version: 4,
            from: BookingStatus::Waitlisted,
            priority: Priority {
                score: 70,
                reason: "progressing disease".into(),
                criteria_version: "BCMA-2026-03".into(),
            },
        };
        store
            .append(append("user:ops", "booking.scored", &scored, 40))
            .await
            .expect("scored");
        let b = store.booking("booking_1").await.unwrap().expect("the row");
        assert_eq!(b.skipped, None, "{}", db.label);
        assert_eq!(b.scored_by.as_deref(), Some("user:ops"));
        assert_eq!(b.priority.map(|p| p.score), Some(70));

        // A request recorded before migration 0024 holds '' for who asked: none, not "".
        db.execute_behind_the_apps_back(
            "UPDATE bookings SET requested_by = '' WHERE id = 'booking_1'",
        )
        .await;
        let b = store.booking("booking_1").await.unwrap().expect("the row");
        assert_eq!(b.requested_by, None, "{}", db.label);
    }
}
