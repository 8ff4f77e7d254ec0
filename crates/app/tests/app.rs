//! The app's stories, run on SQLite and (when configured) PostgreSQL: the demo's ledgers
//! verify and replay, tenants never see each other, sessions and lock-outs expire on the
//! clock, tokens are revocable, signatures need the password, tampering is caught.

use cellpath_app::access::Via;
use cellpath_app::audit::VerifyReport;
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_app::{App, AppError, Caller, ManualClock};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;
use std::sync::Arc;

const START: i64 = 1_764_000_000_000_000; // 2025-11-24

async fn demo_app(db: &TestDb) -> (App, ManualClock) {
    let clock = ManualClock::starting_at(START);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.expect("seed the demo");
    (app, clock)
}

async fn as_user(app: &App, email: &str) -> Caller {
    let user = app
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no demo user {email}"));
    app.caller_for_user(&user.id, Via::Session).await.unwrap()
}

async fn org_id(app: &App, name: &str) -> String {
    app.store
        .organization_by_name(name)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn the_demo_seeds_and_every_ledger_verifies_and_replays() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let op = Caller::system("test");
        let reports = app.verify_all(&op).await.unwrap();
        assert_eq!(
            reports.len(),
            2 + 3 + 4,
            "{}: one ledger per organization and partnership",
            db.label
        );
        assert!(
            reports.iter().all(VerifyReport::is_intact),
            "{}: {reports:?}",
            db.label
        );
        let orgs = app.organizations(&op, Page::all()).await.unwrap();
        assert_eq!(orgs.iter().filter(|o| o.kind == "manufacturer").count(), 2);
        assert_eq!(orgs.iter().filter(|o| o.kind == "health_system").count(), 3);
        for o in orgs.iter().filter(|o| o.kind == "health_system") {
            let n = app.store.sites_of(&o.id, Page::all()).await.unwrap().len();
            assert!((2..=4).contains(&n), "{} has {n} sites", o.name);
        }
        let fresh = TestDb::sqlite().await;
        let target = fresh.store().await;
        app.store.replay_into(&target).await.unwrap();
        assert_eq!(
            app.store.record_state().await.unwrap(),
            target.record_state().await.unwrap(),
            "{}: replay differs",
            db.label
        );
    }
}

#[tokio::test]
async fn no_tenant_reads_or_writes_another_tenants_data() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let cascade_site = app
        .store
        .sites_of(&cascade, Page::all())
        .await
        .unwrap()
        .remove(0);
    let lakeshore_site = app
        .store
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .remove(0);

    // Another health system: not found, for reading and writing alike.
    let ls_admin = as_user(&app, "admin@lakeshore.example").await;
    assert!(matches!(
        app.site(&ls_admin, &cascade_site.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.sites(&ls_admin, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    let patch = SitePatch {
        name: Some("Taken over".into()),
        ..Default::default()
    };
    assert!(matches!(
        app.update_site(&ls_admin, &cascade_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.create_site(
            &ls_admin,
            &cascade,
            SiteInput {
                name: "X".into(),
                code: "X".into(),
                city: "X".into(),
                region: "X".into()
            },
            None
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.verify_ledger(&ls_admin, &cascade).await,
        Err(AppError::NotFound(_))
    ));

    // A partner manufacturer reads the health system's sites but cannot change them.
    let helixa = as_user(&app, "onboarding@helixa.example").await;
    assert_eq!(
        app.site(&helixa, &lakeshore_site.id).await.unwrap().id,
        lakeshore_site.id
    );
    assert!(matches!(
        app.update_site(&helixa, &lakeshore_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    // Northbridge is not partnered with Cascade.
    let northbridge = as_user(&app, "admin@northbridge.example").await;
    assert!(matches!(
        app.site(&northbridge, &cascade_site.id).await,
        Err(AppError::NotFound(_))
    ));

    // Inside the health system, a nurse reads but only the admin writes.
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    assert!(app.site(&nurse, &lakeshore_site.id).await.is_ok());
    assert!(matches!(
        app.update_site(&nurse, &lakeshore_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    let renamed = app
        .update_site(&ls_admin, &lakeshore_site.id, 1, patch.clone(), None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.version), ("Taken over", 2));
    // A stale version is a conflict, and nothing is written.
    let again = app
        .update_site(
            &ls_admin,
            &lakeshore_site.id,
            1,
            SitePatch {
                city: Some("Joliet".into()),
                ..Default::default()
            },
            None,
        )
        .await;
    assert!(
        matches!(again, Err(AppError::Conflict { current: 2, .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn logins_lock_out_for_a_while_after_repeated_failures() {
    let db = TestDb::sqlite().await;
    let (app, clock) = demo_app(&db).await;
    for _ in 0..5 {
        assert!(matches!(
            app.login("pharmacy@lakeshore.example", "wrong password!", None)
                .await,
            Err(AppError::LoginFailed(_))
        ));
    }
    let locked = app
        .login(
            "pharmacy@lakeshore.example",
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap_err();
    assert!(locked.to_string().contains("locked"), "{locked}");
    clock.advance_secs(16 * 60);
    app.login(
        "pharmacy@lakeshore.example",
        cellpath_app::demo::DEMO_PASSWORD,
        None,
    )
    .await
    .expect("the lock-out has expired");
    // Unknown e-mails get the same answer as wrong passwords.
    let unknown = app
        .login("nobody@lakeshore.example", "whatever-password", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), "wrong e-mail or password");
}

#[tokio::test]
async fn sessions_rotate_at_login_and_expire_when_idle_or_old() {
    let db = TestDb::sqlite().await;
    let (app, clock) = demo_app(&db).await;
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    let first = app
        .login("coordinator@lakeshore.example", pw, None)
        .await
        .unwrap();
    assert!(app.session(&first.cookie_value).await.unwrap().is_some());
    let second = app
        .login(
            "coordinator@lakeshore.example",
            pw,
            Some(&first.cookie_value),
        )
        .await
        .unwrap();
    assert_ne!(first.cookie_value, second.cookie_value);
    assert!(
        app.session(&first.cookie_value).await.unwrap().is_none(),
        "the old session ends at login"
    );
    clock.advance_secs(29 * 60);
    assert!(app.session(&second.cookie_value).await.unwrap().is_some());
    clock.advance_secs(31 * 60);
    assert!(
        app.session(&second.cookie_value).await.unwrap().is_none(),
        "idle for 31 minutes"
    );
    // Active all day, a session still ends after 12 hours.
    let third = app
        .login("coordinator@lakeshore.example", pw, None)
        .await
        .unwrap();
    for _ in 0..25 {
        clock.advance_secs(29 * 60);
        let _ = app.session(&third.cookie_value).await.unwrap();
    }
    assert!(
        app.session(&third.cookie_value).await.unwrap().is_none(),
        "absolute timeout"
    );
    app.logout(&second.cookie_value).await.unwrap();
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_revocable() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let me = as_user(&app, "quality@lakeshore.example").await;
    let created = app
        .create_api_token(&me, "lab scripts", None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert!(created.token.starts_with("cpt_"));
    let stored = app
        .store
        .api_token(&created.info.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.token_hash, created.token, "only the hash is kept");
    let caller = app.authenticate_token(&created.token).await.unwrap();
    assert_eq!(caller.principal.unwrap().user_id, created.info.user_id);
    // Another user's admin may revoke it; a colleague may not even see it.
    let colleague = as_user(&app, "nurse@lakeshore.example").await;
    assert!(matches!(
        app.revoke_api_token(&colleague, &created.info.id).await,
        Err(AppError::NotFound(_))
    ));
    let admin = as_user(&app, "admin@lakeshore.example").await;
    app.revoke_api_token(&admin, &created.info.id)
        .await
        .unwrap();
    assert!(matches!(
        app.authenticate_token(&created.token).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        app.authenticate_token("cpt_not-a-token").await,
        Err(AppError::Unauthenticated)
    ));
}

#[tokio::test]
async fn a_signature_needs_the_password_now_and_names_what_it_signs() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let quality = as_user(&app, "quality@lakeshore.example").await;
    let head = app.store.ledger_head(&lakeshore).await.unwrap().unwrap();
    let target = Signed::Event {
        event_hash: head.head_hash.clone(),
    };
    let wrong = app
        .sign(
            &quality,
            &lakeshore,
            target.clone(),
            Meaning::Reviewed,
            "not my password",
            None,
        )
        .await;
    assert!(matches!(wrong, Err(AppError::Invalid(_))), "{wrong:?}");
    assert_eq!(
        app.store
            .ledger_head(&lakeshore)
            .await
            .unwrap()
            .unwrap()
            .seq,
        head.seq,
        "nothing written"
    );
    let sig = app
        .sign(
            &quality,
            &lakeshore,
            target,
            Meaning::Reviewed,
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(
        (sig.target.as_str(), sig.meaning.as_str()),
        (head.head_hash.as_str(), "reviewed")
    );
    let on_event = app.store.signatures_on(&head.head_hash).await.unwrap();
    assert_eq!(on_event.len(), 1);
    assert!(!on_event[0].printed_name.is_empty());
    // An event of another ledger cannot be signed here.
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let other = app
        .store
        .ledger_head(&cascade)
        .await
        .unwrap()
        .unwrap()
        .head_hash;
    let refused = app
        .sign(
            &quality,
            &lakeshore,
            Signed::Event { event_hash: other },
            Meaning::Reviewed,
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await;
    assert!(matches!(refused, Err(AppError::Invalid(_))));
    assert!(
        app.verify_ledger(&quality, &lakeshore)
            .await
            .unwrap()
            .is_intact()
    );
}

#[tokio::test]
async fn an_event_edited_behind_the_apps_back_is_named() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let row = app.store.events(&lakeshore, 2, 1).await.unwrap().remove(0);
        assert_eq!(row.seq, 3);
        let edited = row.body.replacen("system:demo", "system:dem0", 1);
        assert_ne!(edited, row.body, "the edit must change the stored bytes");
        app.store
            .tamper_with_event_body(&lakeshore, 3, &edited)
            .await
            .unwrap();
        match app
            .verify_ledger(&Caller::system("test"), &lakeshore)
            .await
            .unwrap()
        {
            VerifyReport::Broken { seq, reason, .. } => {
                assert_eq!(seq, 3, "{}: {reason}", db.label)
            }
            other => panic!("{}: tampering not caught: {other:?}", db.label),
        }
        let mut export = Vec::new();
        app.export_ledger(&Caller::system("test"), &lakeshore, &mut export)
            .await
            .unwrap();
        let report =
            cellpath_app::audit::verify_export(std::str::from_utf8(&export).unwrap(), None);
        // An export carries no stored hashes: the edited event is self-consistent, and the
        // first link that no longer holds is the next event's `prev_hash`.
        assert!(
            matches!(report, VerifyReport::Broken { seq: 4, .. }),
            "{report:?}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let admin = as_user(&app, "admin@lakeshore.example").await;
    let err = app
        .create_site(
            &admin,
            &lakeshore,
            SiteInput {
                name: "  ".into(),
                code: "9 lives".into(),
                city: "x".repeat(300),
                region: "IL".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    let AppError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["name", "code", "city"]);
    let dup = app
        .create_site(
            &admin,
            &lakeshore,
            SiteInput {
                name: "Another".into(),
                code: "LUH-MAIN".into(),
                city: "Chicago".into(),
                region: "IL".into(),
            },
            None,
        )
        .await;
    assert!(
        matches!(dup, Err(AppError::Duplicate { ref field, .. }) if field == "code"),
        "{dup:?}"
    );
}
