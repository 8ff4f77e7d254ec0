//! Sign-in, sessions, API tokens, lock-outs and signatures.

use crate::support::*;
use cellpath_app::auth::TokenTerms;
use cellpath_app::{App, AppError, Caller};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

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
    assert_eq!(
        locked.to_string(),
        SIGN_IN_FAILED,
        "locked reads as any failure"
    );
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
    assert_eq!(unknown.to_string(), SIGN_IN_FAILED);
}

/// What every failed sign-in says, whatever the cause.
const SIGN_IN_FAILED: &str = "wrong e-mail or password, or too many failed attempts: after 5 in a row, signing in to an account pauses for 15 minutes; an admin can reset your password";

#[tokio::test]
async fn failed_sign_ins_read_the_same_and_check_a_hash_whatever_the_account() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    // Each refusal says the same words and runs exactly one argon2 check, so neither the
    // answer nor (roughly) its time tells whether the address exists or is locked.
    async fn refused(app: &App, email: &str, password: &str) -> String {
        let before = app.password_checks_total();
        let err = app.login(email, password, None).await.unwrap_err();
        assert!(matches!(err, AppError::LoginFailed(_)), "{err:?}");
        assert_eq!(
            app.password_checks_total() - before,
            1,
            "{email}: one password hash checked"
        );
        err.to_string()
    }
    let unknown = refused(&app, "nobody@lakeshore.example", "whatever-password").await;
    let wrong = refused(&app, "pharmacy@lakeshore.example", "wrong password!").await;
    for _ in 0..4 {
        refused(&app, "pharmacy@lakeshore.example", "wrong password!").await;
    }
    let locked = refused(
        &app,
        "pharmacy@lakeshore.example",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    for said in [&unknown, &wrong, &locked] {
        assert_eq!(said, SIGN_IN_FAILED);
    }
    // A deactivated account reads the same too.
    let admin = as_user(&app, "admin@lakeshore.example").await;
    patch_user(
        &app,
        &admin,
        "nurse@lakeshore.example",
        cellpath_app::records::users::UserPatch {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let inactive = refused(
        &app,
        "nurse@lakeshore.example",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    assert_eq!(inactive, SIGN_IN_FAILED);
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
        .store()
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
async fn a_token_can_have_a_last_day_and_may_only_read() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let me = as_user(&app, "quality@lakeshore.example").await;
        let day = today(&app);
        let terms = |expires_on, read_only| TokenTerms {
            expires_on,
            read_only,
        };

        // A last day in the past, or not a day, is refused beside its field.
        let yesterday = day.plus_days(-1);
        for bad in [yesterday.as_str(), "31/12/2026"] {
            match app
                .create_api_token_with(&me, "old", terms(bad, false), None)
                .await
            {
                Err(AppError::Invalid(errors)) => {
                    assert_eq!(errors.len(), 1, "{errors:?}");
                    assert_eq!(errors[0].field, "expires_on");
                    if bad == yesterday.as_str() {
                        assert!(errors[0].message.contains("is in the past"), "{errors:?}");
                    }
                }
                other => panic!("{bad} was not refused: {other:?}"),
            }
        }

        // A token whose last day is tomorrow works until that day ends (UTC), then is refused
        // as expired, saying so.
        let last = day.plus_days(1);
        let expiring = app
            .create_api_token_with(&me, "week-end job", terms(last.as_str(), false), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let stored = app
            .store()
            .api_token(&expiring.info.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.expires_on.as_ref(), Some(&last));
        assert!(!stored.read_only);
        let caller = app.authenticate_token(&expiring.token).await.unwrap();
        assert!(!caller.read_only());
        let seconds_to_last_midnight =
            (last.plus_days(1).days_since_epoch() * 86_400_000_000 - app.now()) / 1_000_000;
        clock.advance_secs(seconds_to_last_midnight - 2);
        assert!(
            app.authenticate_token(&expiring.token).await.is_ok(),
            "accepted on its last day"
        );
        clock.advance_secs(3);
        match app.authenticate_token(&expiring.token).await {
            Err(AppError::TokenExpired(message)) => {
                assert!(message.contains("expired"), "{message}");
                assert!(message.contains(&last.words()), "{message}");
            }
            other => panic!("an expired token was taken: {other:?}"),
        }

        // A read-only token reads, and every write through it is refused with nothing
        // written.
        let reader = app
            .create_api_token_with(&me, "dashboard", terms("", true), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert!(reader.info.read_only);
        assert_eq!(reader.info.expires_on, None);
        let caller = app.authenticate_token(&reader.token).await.unwrap();
        assert!(caller.read_only());
        let user_id = caller.principal.as_ref().unwrap().user_id.clone();
        let before = app.api_tokens(&caller, &user_id).await.unwrap();
        assert_eq!(before.len(), 2, "it reads its owner's tokens");
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let head = app.store().ledger_head(&lakeshore).await.unwrap().unwrap();
        assert!(matches!(
            app.create_api_token(&caller, "another", None).await,
            Err(AppError::ReadOnlyToken)
        ));
        assert!(matches!(
            app.revoke_api_token(&caller, &reader.info.id).await,
            Err(AppError::ReadOnlyToken)
        ));
        assert_eq!(
            app.store()
                .ledger_head(&lakeshore)
                .await
                .unwrap()
                .unwrap()
                .seq,
            head.seq,
            "nothing written"
        );
        assert_eq!(app.api_tokens(&caller, &user_id).await.unwrap(), before);
        assert!(
            AppError::ReadOnlyToken
                .to_string()
                .contains("this token is read-only")
        );
    }
}

#[tokio::test]
async fn a_signature_needs_the_password_now_and_names_what_it_signs() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let quality = as_user(&app, "quality@lakeshore.example").await;
    let head = app.store().ledger_head(&lakeshore).await.unwrap().unwrap();
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
        app.store()
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
    let on_event = app.store().signatures_on(&head.head_hash).await.unwrap();
    assert_eq!(on_event.len(), 1);
    assert!(!on_event[0].printed_name.is_empty());
    // An event of another ledger cannot be signed here.
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let other = app
        .store()
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
async fn parallel_guesses_do_not_slip_past_the_lock_out() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.login("finance@lakeshore.example", "a wrong guess!", None)
                .await
                .is_ok()
        }));
    }
    for t in tasks {
        assert!(!t.await.unwrap());
    }
    let err = app
        .login(
            "finance@lakeshore.example",
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), SIGN_IN_FAILED);
    // Wrong signing passwords, in parallel, lock signing the same way.
    let finance = as_user(&app, "finance@lakeshore.example").await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, finance, lakeshore) = (app.clone(), finance.clone(), lakeshore.clone());
        tasks.push(tokio::spawn(async move {
            sign_head(
                &app,
                &finance,
                &lakeshore,
                Meaning::Reviewed,
                "a wrong guess!",
            )
            .await
            .is_ok()
        }));
    }
    for t in tasks {
        assert!(!t.await.unwrap());
    }
    // Signing while locked says so, rather than "wrong password".
    let err = sign_head(
        &app,
        &finance,
        &lakeshore,
        Meaning::Reviewed,
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("signing is paused"), "{err}");
}

/// A person whose right signatures arrive together (two screens, a device and the web, a
/// client sending in parallel) is never locked for it: the attempts beyond the lock-out's
/// threshold wait for those in flight instead of locking.
#[tokio::test]
async fn right_signatures_arriving_together_never_lock_signing() {
    const RIGHT: &str = cellpath_app::demo::DEMO_PASSWORD;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let sign = |password: &'static str| {
            let (app, nurse, lakeshore) = (app.clone(), nurse.clone(), lakeshore.clone());
            async move { sign_head(&app, &nurse, &lakeshore, Meaning::Performed, password).await }
        };
        // A wrong one first: the count starts at one, not zero.
        assert!(sign("a wrong guess!").await.is_err());
        let tasks: Vec<_> = (0..16).map(|_| tokio::spawn(sign(RIGHT))).collect();
        for t in tasks {
            let signed = t.await.unwrap();
            assert!(signed.is_ok(), "{}: {signed:?}", db.label);
        }
        // Four wrong ones now do not lock: the right ones started the count over.
        for _ in 0..4 {
            let err = sign("a wrong guess!").await.unwrap_err();
            assert!(
                err.to_string().contains("does not match your password"),
                "{}: {err}",
                db.label
            );
        }
        sign(RIGHT).await.expect("signing is not locked");
    }
}

#[tokio::test]
async fn an_empty_signing_password_is_asked_for_and_counts_for_nothing() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    for _ in 0..6 {
        let err = sign_head(&app, &nurse, &lakeshore, Meaning::Performed, "")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "password: enter your password: a signature needs it"
        );
    }
    // Six empty forms lock nothing.
    sign_head(
        &app,
        &nurse,
        &lakeshore,
        Meaning::Performed,
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await
    .expect("the right password still signs");
}

#[tokio::test]
async fn wrong_signing_passwords_lock_signing_not_signing_in() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (device, created) =
            device_of(&app, "nurse@lakeshore.example", "Ward 4 infusion pump").await;
        let token = created.token;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let sign = |password: &'static str| {
            sign_head(&app, &device, &lakeshore, Meaning::Performed, password)
        };
        for _ in 0..4 {
            let err = sign("a wrong guess!").await.unwrap_err();
            assert!(
                err.to_string().contains("does not match your password"),
                "{err}"
            );
        }
        // The fifth wrong one locks signing; then even the right password waits.
        let paused = "password: too many wrong passwords re-entered to sign: signing is paused for 15 more minute(s) (signing in is not affected); an admin can reset your password";
        let err = sign("a wrong guess!").await.unwrap_err();
        assert_eq!(err.to_string(), paused);
        let err = sign(cellpath_app::demo::DEMO_PASSWORD).await.unwrap_err();
        assert_eq!(err.to_string(), paused);
        // Signing in on the web is not locked, and the token still reads.
        app.login(
            "nurse@lakeshore.example",
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .expect("signing in is not locked by wrong signing passwords");
        app.authenticate_token(&token).await.unwrap();
        // Wrong sign-in passwords count against signing in only.
        for _ in 0..5 {
            app.login("nurse@lakeshore.example", "wrong password!", None)
                .await
                .unwrap_err();
        }
        clock.advance_secs(16 * 60);
        sign(cellpath_app::demo::DEMO_PASSWORD)
            .await
            .expect("the signing lock has expired, and sign-in failures do not lock signing");
    }
}

#[tokio::test]
async fn each_signature_records_the_channel_it_came_through() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let (device, created) =
            device_of(&app, "nurse@lakeshore.example", "Ward 4 infusion pump").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        // A token signs only with the password re-entered, and the signature names the token.
        let by_token = sign_head(
            &app,
            &device,
            &lakeshore,
            Meaning::Performed,
            cellpath_app::demo::DEMO_PASSWORD,
        )
        .await
        .unwrap();
        let token_channel = cellpath_ledger::Channel::ApiToken {
            token_id: created.info.id.clone(),
            token_name: "Ward 4 infusion pump".into(),
        };
        assert_eq!(by_token.channel, Some(token_channel.clone()));
        let by_session = sign_head(
            &app,
            &nurse,
            &lakeshore,
            Meaning::Reviewed,
            cellpath_app::demo::DEMO_PASSWORD,
        )
        .await
        .unwrap();
        assert_eq!(
            by_session.channel,
            Some(cellpath_ledger::Channel::WebSession)
        );
        // Stored, read back, and in the export's event payloads.
        let stored = app.store().signatures_in(&lakeshore).await.unwrap();
        let stored_token = stored
            .iter()
            .find(|s| s.event_hash == by_token.event_hash)
            .unwrap();
        assert_eq!(stored_token.channel, Some(token_channel));
        let mut out = Vec::new();
        app.export_ledger(&Caller::system("test"), &lakeshore, &mut out)
            .await
            .unwrap();
        let line = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["seq"] == by_token.seq)
            .unwrap();
        assert_eq!(
            line["payload"]["channel"],
            serde_json::json!({"via": "api_token", "token_id": created.info.id, "token_name": "Ward 4 infusion pump"})
        );
        // The demo seeder's signatures say they came from the operator's side.
        let mut seeded = Vec::new();
        for p in app
            .store()
            .partnerships_of(&lakeshore, Page::all())
            .await
            .unwrap()
        {
            seeded.extend(app.store().signatures_in(&p.id).await.unwrap());
        }
        assert!(!seeded.is_empty());
        assert!(
            seeded
                .iter()
                .all(|s| s.channel == Some(cellpath_ledger::Channel::System)),
            "{seeded:?}"
        );
        assert_replays(&app, "signature channels").await;
    }
}

#[tokio::test]
async fn reading_pages_marks_a_session_seen_at_most_once_a_minute() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let s = app
            .login("coordinator@lakeshore.example", pw, None)
            .await
            .unwrap();
        let before = app.session_touches_total();
        for _ in 0..10 {
            clock.advance_secs(5);
            assert!(app.session(&s.cookie_value).await.unwrap().is_some());
        }
        assert_eq!(
            app.session_touches_total() - before,
            0,
            "{}: ten page views in 50 seconds write nothing",
            db.label
        );
        clock.advance_secs(15);
        assert!(app.session(&s.cookie_value).await.unwrap().is_some());
        assert_eq!(
            app.session_touches_total() - before,
            1,
            "{}: a minute on, one mark",
            db.label
        );
        // The mark keeps the session alive: 29 minutes after it, it still holds.
        clock.advance_secs(29 * 60);
        assert!(
            app.session(&s.cookie_value).await.unwrap().is_some(),
            "{}",
            db.label
        );
        assert_eq!(app.session_touches_total() - before, 2, "{}", db.label);
    }
}
