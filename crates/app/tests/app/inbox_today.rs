//! The inbox's "today" is the organization's day on its own clock (issue 12): what is due or
//! overdue changes at the organization's midnight, not at UTC's. Lakeshore on Chicago's clock
//! is still on the day before at 02:00 UTC, and on UTC's day after Chicago's midnight; Helixa,
//! whose zone is unset, reads UTC.

use super::support::*;
use cellpath_app::records::organizations::OrganizationPatch;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_inbox_turns_to_a_new_day_at_midnight_in_chicago_not_at_utc() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let org = app.organization(&admin, &lakeshore).await.unwrap();
        app.update_organization(
            &admin,
            &lakeshore,
            org.version,
            OrganizationPatch {
                time_zone: Some("America/Chicago".into()),
                ..OrganizationPatch::default()
            },
            None,
        )
        .await
        .unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let today_of = |caller| {
            let app = &app;
            async move {
                let page = app.inbox(caller, Page::first(50)).await.unwrap();
                assert_eq!(
                    page.total,
                    app.inbox_count(caller).await.unwrap(),
                    "the count is judged on the same day"
                );
                page.today.as_str().to_string()
            }
        };
        // The next 02:00 UTC: 20:00 (CST) or 21:00 (CDT) the evening before in Chicago.
        const DAY: i64 = 86_400_000_000;
        let now = app.now();
        let target = (now / DAY + 1) * DAY + 2 * 3_600_000_000;
        clock.advance_secs((target - now) / 1_000_000);
        let utc_day = cellpath_domain::Date::of_micros(target);
        let day_before = cellpath_domain::Date::of_micros(target - DAY);
        assert_eq!(
            today_of(&coordinator).await,
            day_before.as_str(),
            "{}",
            db.label
        );
        assert_eq!(today_of(&ops).await, utc_day.as_str(), "{}", db.label);
        // 07:00 UTC is past Chicago's midnight (05:00 or 06:00 UTC): the new day there too.
        clock.advance_secs(5 * 3600);
        assert_eq!(
            today_of(&coordinator).await,
            utc_day.as_str(),
            "{}",
            db.label
        );
    }
}
