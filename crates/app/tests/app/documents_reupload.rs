//! An upload kept again: the same bytes uploaded anew are about to be attached, so the
//! orphan purge counts their day from the new upload, not from the first.

use crate::support::*;
use cellpath_app::documents::ORPHAN_UPLOAD_HOURS;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn re_uploading_an_old_unnamed_upload_gives_it_a_new_day_before_the_purge() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let first = app
            .upload(&contracts, "draft.txt", b"a draft kept twice")
            .await
            .unwrap();
        // Almost a day later the same file is uploaded again, to be attached now.
        clock.advance_secs((ORPHAN_UPLOAD_HOURS - 1) * 3_600);
        let before = app.now();
        app.upload(&contracts, "draft.txt", b"a draft kept twice")
            .await
            .unwrap();
        let touched = app.store().document(&first.sha256).await.unwrap().unwrap();
        assert!(touched.created_at > before, "{}", db.label);
        // A day after the first upload, two hours after the second: the purge leaves it.
        clock.advance_secs(2 * 3_600);
        assert_eq!(app.purge_orphan_uploads().await.unwrap(), 0, "{}", db.label);
        assert!(app.store().document(&first.sha256).await.unwrap().is_some());
        // A day after the second, still unnamed, it goes.
        clock.advance_secs(ORPHAN_UPLOAD_HOURS * 3_600);
        assert_eq!(app.purge_orphan_uploads().await.unwrap(), 1, "{}", db.label);
        assert!(app.store().document(&first.sha256).await.unwrap().is_none());
    }
}
