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

async fn demo_user(app: &App, email: &str) -> cellpath_store::User {
    app.store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no demo user {email}"))
}

async fn as_user(app: &App, email: &str) -> Caller {
    let user = demo_user(app, email).await;
    app.caller_for_user(&user.id, Via::Session).await.unwrap()
}

/// A device acting for a demo user through a new API token of theirs, and the token.
async fn device_of(
    app: &App,
    email: &str,
    token_name: &str,
) -> (Caller, cellpath_app::auth::CreatedToken) {
    let person = as_user(app, email).await;
    let created = app
        .create_api_token(&person, token_name, None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    (
        app.authenticate_token(&created.token).await.unwrap(),
        created,
    )
}

/// Sign the newest event of a ledger, as `by`, with this password.
async fn sign_head(
    app: &App,
    by: &Caller,
    ledger_id: &str,
    meaning: Meaning,
    password: &str,
) -> Result<cellpath_store::SignatureRow, AppError> {
    let head = app.store.ledger_head(ledger_id).await?.unwrap().head_hash;
    app.sign(
        by,
        ledger_id,
        Signed::Event { event_hash: head },
        meaning,
        password,
        None,
    )
    .await?
    .fresh()
}

/// Change a user, as `by`, at the version they have now.
async fn patch_user(
    app: &App,
    by: &Caller,
    email: &str,
    patch: cellpath_app::records::users::UserPatch,
) -> Result<cellpath_store::User, AppError> {
    let user = demo_user(app, email).await;
    app.update_user(by, &user.id, user.version, patch, None)
        .await?
        .fresh()
}

async fn org_id(app: &App, name: &str) -> String {
    app.store
        .organization_by_name(name)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Replaying every event into an empty database gives the same records.
async fn assert_replays(app: &App, label: &str) {
    let fresh = TestDb::sqlite().await;
    let target = fresh.store().await;
    app.store.replay_into(&target).await.unwrap();
    assert_eq!(
        app.store.record_state().await.unwrap(),
        target.record_state().await.unwrap(),
        "{label}: replay differs"
    );
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
        assert_replays(&app, db.label).await;
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
    let mut visible: Vec<String> = app
        .organizations(&ls_admin, Page::all())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    visible.sort();
    assert_eq!(
        visible,
        [
            "Helixa Therapeutics",
            "Lakeshore University Health",
            "Northbridge Gene Medicines"
        ],
        "own and partners only"
    );
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

/// Move a partnership to `status` (accept or end it) as `caller`.
async fn set_status(app: &App, caller: &Caller, partnership_id: &str, status: &str) {
    let p = app
        .store
        .partnership(partnership_id)
        .await
        .unwrap()
        .unwrap();
    app.update_partnership(
        caller,
        &p.id,
        p.version,
        cellpath_app::records::partnerships::PartnershipPatch {
            status: Some(status.into()),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
}

/// A new API token of the user's, for the matrix rows on tokens.
async fn token_of(app: &App, user_id: &str) -> String {
    let caller = app.caller_for_user(user_id, Via::Session).await.unwrap();
    app.create_api_token(&caller, "matrix", None)
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .info
        .id
}

/// Every demo user (every role of both kinds of organization) tries every resource kind and
/// action on real rows standing in each relation to them; the outcome must match the
/// hand-written table `crates/domain/src/policy_matrix.txt`. This checks the relations the app
/// derives from stored rows, not just the policy function. Partners and parties are tried
/// through a partnership in each status: active first (with the rows of every other relation),
/// then proposed (Helixa's demo proposal to Cascade; Orchid's proposal to Lakeshore), then
/// ended (Helixa × Lakeshore ended, its record as it stood).
#[tokio::test]
async fn every_role_of_every_organization_gets_what_the_matrix_says() {
    use cellpath_app::records::facilities::{FacilityInput, FacilityPatch};
    use cellpath_app::records::organizations::OrganizationPatch;
    use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
    use cellpath_app::records::users::{UserInput, UserPatch};
    use cellpath_domain::{OrgKind, Role};

    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    let name = |n: &str| n.to_string();
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let piedmont = org_id(&app, "Piedmont Valley Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let pships = app
        .store
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap();
    let helixa_lakeshore = pships
        .iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id
        .clone();
    let np = app
        .store
        .partnerships_of(&northbridge, Page::all())
        .await
        .unwrap();
    let northbridge_piedmont = np
        .iter()
        .find(|p| p.health_system_id == piedmont)
        .unwrap()
        .id
        .clone();

    // A manufacturer in partnership with nobody, for the "none" rows of programs.
    let op = Caller::system("test");
    let orchid = app
        .create_organization(
            &op,
            cellpath_app::records::organizations::OrganizationInput {
                kind: "manufacturer".into(),
                name: "Orchid Biologics".into(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap()
        .id;
    // Orchid's one person, for the partner rows of users through its proposal.
    app.create_user(
        &op,
        &orchid,
        UserInput {
            email: "admin@orchid.example".into(),
            name: "Orchid Admin".into(),
            role: name("admin"),
            password: name("matrix-password-1"),
        },
        None,
    )
    .await
    .unwrap();
    let helixa_cascade = pships
        .iter()
        .find(|p| p.health_system_id == cascade)
        .unwrap();
    assert_eq!(
        helixa_cascade.status, "proposed",
        "the demo's open proposal"
    );
    let helixa_cascade = helixa_cascade.id.clone();
    let cascade_site = app
        .store
        .sites_of(&cascade, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let vantacel = app
        .store
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0);
    let (_, ctx) = cellpath_domain::process_map::seeds::in_vivo_gene_therapy();
    let facts = |name: &str| cellpath_domain::program::ProgramFacts {
        name: name.into(),
        modality: "in_vivo_gene_therapy".into(),
        units: ctx.units.clone(),
        requires_dual_verification: true,
        identifiers: vec![],
        list_prices: vec![],
    };
    let orchid_program = app
        .create_program(&op, &orchid, facts("Orchidase"), None)
        .await
        .unwrap()
        .fresh()
        .unwrap();

    // Site work in a partnership that is "party" for Helixa and Lakeshore, and one that is not.
    let lakeshore_sites = app.store.sites_of(&lakeshore, Page::all()).await.unwrap();
    let main_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-MAIN")
        .unwrap()
        .id
        .clone();
    let north_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-NORTH")
        .unwrap()
        .id
        .clone();
    let cancer_site = lakeshore_sites
        .iter()
        .find(|x| x.code == "LUH-CANCER")
        .unwrap()
        .id
        .clone();
    let cancer_draft = app
        .store
        .site_map_versions(&cancer_site, &vantacel.id)
        .await
        .unwrap()
        .remove(0);
    let pending = app
        .store
        .map_proposals_of(&cancer_draft.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.status == "pending")
        .unwrap();
    let north_gap = app
        .store
        .gaps_of_site(&north_site)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.status == "open")
        .unwrap();
    let corvigen = app
        .store
        .programs_of(&northbridge, Page::all())
        .await
        .unwrap()
        .remove(0);
    let piedmont_main = app
        .store
        .sites_of(&piedmont, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.code == "PVH-MAIN")
        .unwrap()
        .id;
    let north_quality = app
        .store
        .agreements_of(&helixa_lakeshore)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.site_id == north_site)
        .expect("the demo negotiates LUH-NORTH's quality agreement")
        .id;
    let piedmont_dpa = app
        .store
        .agreements_of(&northbridge_piedmont)
        .await
        .unwrap()
        .remove(0)
        .id;
    let piedmont_map = app
        .start_site_map(
            &op,
            &northbridge_piedmont,
            &piedmont_main,
            &corvigen.id,
            None,
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let piedmont_gap = app
        .store
        .gaps_of_site(&piedmont_main)
        .await
        .unwrap()
        .remove(0);
    // A deliverable recorded in each partnership, for the `update` (revoke) rows.
    let main_training = app
        .store
        .deliverable_records_of(&helixa_lakeshore, &main_site, &vantacel.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.deliverable == "staff_training")
        .expect("the demo records LUH-MAIN's training");
    let piedmont_training = app
        .record_deliverable(
            &as_user(&app, "contracts@piedmont.example").await,
            &northbridge_piedmont,
            cellpath_app::contracting::DeliverableInput {
                site_id: piedmont_main.clone(),
                program_id: corvigen.id.clone(),
                deliverable: "staff_training".into(),
                done_on: "2025-11-01".into(),
                evidence: "Staff trained.".into(),
            },
            pw,
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();

    let table = include_str!("../../domain/src/policy_matrix.txt");
    let mut counter = 0;
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut orchid_lakeshore = String::new();
    for phase in ["active", "proposed", "ended"] {
        match phase {
            // Orchid proposes to Lakeshore: a partner of Lakeshore's through a proposal only.
            "proposed" => {
                orchid_lakeshore = app
                    .create_partnership(
                        &op,
                        PartnershipInput {
                            health_system_id: lakeshore.clone(),
                            name: "Orchid × Lakeshore".into(),
                            programs: vec![orchid_program.id.clone()],
                            manufacturer_id: Some(orchid.clone()),
                        },
                        None,
                    )
                    .await
                    .unwrap()
                    .fresh()
                    .unwrap()
                    .id;
            }
            // Helixa × Lakeshore ends: its record stays, as it stood.
            "ended" => set_status(&app, &op, &helixa_lakeshore, "ended").await,
            _ => {}
        }
        // Rows of the partnership in this phase's status ("party") and of its partner ("partner");
        // for a proposal, the site and program it would be about (it has no rows of its own).
        let (mfr_partner, mfr_party, hs_partner, hs_party) = match phase {
            "proposed" => (
                cascade.clone(),
                helixa_cascade.clone(),
                orchid.clone(),
                orchid_lakeshore.clone(),
            ),
            _ => (
                lakeshore.clone(),
                helixa_lakeshore.clone(),
                helixa.clone(),
                helixa_lakeshore.clone(),
            ),
        };
        for (kind, roles, own, partner, unrelated, party_pship, (prop_site, prop_program)) in [
            (
                OrgKind::Manufacturer,
                Role::MANUFACTURER,
                helixa.clone(),
                mfr_partner,
                piedmont.clone(),
                mfr_party,
                (cascade_site.clone(), vantacel.id.clone()),
            ),
            (
                OrgKind::HealthSystem,
                Role::HEALTH_SYSTEM,
                lakeshore.clone(),
                hs_partner,
                piedmont.clone(),
                hs_party,
                (main_site.clone(), orchid_program.id.clone()),
            ),
        ] {
            let domain = if kind == OrgKind::Manufacturer {
                "helixa.example"
            } else {
                "lakeshore.example"
            };
            let column_offset = if kind == OrgKind::Manufacturer {
                0
            } else {
                Role::MANUFACTURER.len()
            };
            for (ri, role) in roles.iter().enumerate() {
                let email = format!("{}@{domain}", role.as_str().replace('_', "."));
                let me = as_user(&app, &email).await;
                let my_id = me.principal.as_ref().unwrap().user_id.clone();
                // A colleague, and that colleague's token, for the `own` rows.
                let colleague = app
                    .store
                    .users_of(&own, Page::all())
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|u| u.id != my_id)
                    .unwrap();
                let colleague_token = token_of(&app, &colleague.id).await;
                let stranger = app
                    .store
                    .users_of(&unrelated, Page::all())
                    .await
                    .unwrap()
                    .remove(0);
                let stranger_token = token_of(&app, &stranger.id).await;

                for line in table
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                {
                    let (head, cells) = line.split_once('|').unwrap();
                    let head: Vec<&str> = head.split_whitespace().collect();
                    let cells: Vec<&str> = cells.split_whitespace().filter(|c| *c != "|").collect();
                    let expected = cells[column_offset + ri];
                    // Each phase tries the relations of its status; the active one all the others.
                    let in_phase = match head[1].split_once('.') {
                        Some((_, status)) => status == phase,
                        None => phase == "active",
                    };
                    if expected == "." || !in_phase {
                        continue;
                    }
                    // "party" through an active or ended partnership (its rows as they stood),
                    // "proposal" through a proposed one, which has no rows: what is asked of it is
                    // about its health system's site and the program proposed.
                    let rel_kind = match head[1] {
                        "party.proposed" => "proposal",
                        r if r.starts_with("party.") => "party",
                        r if r.starts_with("partner.") => "partner",
                        r => r,
                    };
                    counter += 1;
                    let unique = format!("M{counter}");
                    // The organization whose rows stand in this relation to `me`.
                    let target_org = match rel_kind {
                        "own" | "self" => own.clone(),
                        "partner" => partner.clone(),
                        "party" | "proposal" => own.clone(),
                        _ => unrelated.clone(),
                    };
                    let pship = if matches!(rel_kind, "party" | "proposal") {
                        party_pship.clone()
                    } else {
                        northbridge_piedmont.clone()
                    };
                    // Where the work of a partnership is asked about: a site and program of the
                    // partnership in this phase, of the proposal, or of a partnership not ours.
                    let (pid, work_site, work_program) = match rel_kind {
                        "party" => (&helixa_lakeshore, &north_site, &vantacel.id),
                        "proposal" => (&pship, &prop_site, &prop_program),
                        _ => (&northbridge_piedmont, &piedmont_main, &corvigen.id),
                    };
                    let site_of = |org: String| {
                        let app = app.clone();
                        async move {
                            app.store
                                .sites_of(&org, Page::all())
                                .await
                                .unwrap()
                                .remove(0)
                        }
                    };
                    let r: Result<(), AppError> = match (head[0], rel_kind, head[2]) {
                        ("organization", _, "read") => {
                            app.organization(&me, &target_org).await.map(drop)
                        }
                        ("organization", _, "create") => app
                            .create_organization(
                                &me,
                                cellpath_app::records::organizations::OrganizationInput {
                                    kind: "health_system".into(),
                                    name: unique.clone(),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("organization", _, "update") => {
                            let o = app.store.organization(&target_org).await.unwrap().unwrap();
                            app.update_organization(
                                &me,
                                &o.id,
                                o.version,
                                OrganizationPatch {
                                    name: Some(o.name.clone()),
                                },
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("site", _, "read") => app
                            .site(&me, &site_of(target_org.clone()).await.id)
                            .await
                            .map(drop),
                        ("site", _, "create") => app
                            .create_site(
                                &me,
                                &target_org,
                                SiteInput {
                                    name: unique.clone(),
                                    code: unique.clone(),
                                    city: name("Chicago"),
                                    region: name("IL"),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("site", _, "update") => {
                            let site = site_of(target_org.clone()).await;
                            app.update_site(&me, &site.id, site.version, SitePatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("facility", _, "read") => {
                            let f = app
                                .store
                                .facilities_of(&target_org, Page::all())
                                .await
                                .unwrap()
                                .remove(0);
                            app.facility(&me, &f.id).await.map(drop)
                        }
                        ("facility", _, "create") => app
                            .create_facility(
                                &me,
                                &target_org,
                                FacilityInput {
                                    name: unique.clone(),
                                    kind: name("clinical"),
                                    site_ids: vec![],
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("facility", _, "update") => {
                            let f = app
                                .store
                                .facilities_of(&target_org, Page::all())
                                .await
                                .unwrap()
                                .remove(0);
                            app.update_facility(
                                &me,
                                &f.id,
                                f.version,
                                FacilityPatch::default(),
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("user", "self", "read") => app.user(&me, &my_id).await.map(drop),
                        ("user", "self", "update") => {
                            let u = app.store.user(&my_id).await.unwrap().unwrap();
                            app.update_user(&me, &u.id, u.version, UserPatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("user", _, "read") => {
                            let u = if head[1] == "own" {
                                colleague.clone()
                            } else {
                                app.store
                                    .users_of(&target_org, Page::all())
                                    .await
                                    .unwrap()
                                    .remove(0)
                            };
                            app.user(&me, &u.id).await.map(drop)
                        }
                        ("user", _, "create") => app
                            .create_user(
                                &me,
                                &target_org,
                                UserInput {
                                    email: format!("{}@matrix.example", unique.to_lowercase()),
                                    name: unique.clone(),
                                    role: name("admin"),
                                    password: name("matrix-password-1"),
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("user", _, "update") => {
                            let u = if head[1] == "own" {
                                app.store.user(&colleague.id).await.unwrap().unwrap()
                            } else {
                                app.store
                                    .users_of(&target_org, Page::all())
                                    .await
                                    .unwrap()
                                    .remove(0)
                            };
                            app.update_user(&me, &u.id, u.version, UserPatch::default(), None)
                                .await
                                .map(drop)
                        }
                        ("partnership", _, "read") => app.partnership(&me, &pship).await.map(drop),
                        ("partnership", _, "create") => app
                            // With Cascade, already Helixa's partner: a new partnership must not
                            // change who is "unrelated" for the rows that follow.
                            .create_partnership(
                                &me,
                                PartnershipInput {
                                    health_system_id: cascade.clone(),
                                    name: unique.clone(),
                                    programs: vec![],
                                    manufacturer_id: None,
                                },
                                None,
                            )
                            .await
                            .map(drop),
                        ("partnership", _, "update") => {
                            let p = app.store.partnership(&pship).await.unwrap().unwrap();
                            app.update_partnership(
                                &me,
                                &p.id,
                                p.version,
                                PartnershipPatch::default(),
                                None,
                            )
                            .await
                            .map(drop)
                        }
                        ("program", rel, action) => {
                            let program = match rel {
                                "own" => app.store.program(&vantacel.id).await.unwrap().unwrap(),
                                // The program proposed, or the one the partnership is for.
                                "partner" if phase == "proposed" => {
                                    app.store.program(&prop_program).await.unwrap().unwrap()
                                }
                                "partner" => {
                                    app.store.program(&vantacel.id).await.unwrap().unwrap()
                                }
                                _ => orchid_program.clone(),
                            };
                            match action {
                                "read" => app.program(&me, &program.id).await.map(drop),
                                "create" => app
                                    .create_program(&me, &target_org, facts(&unique), None)
                                    .await
                                    .map(drop),
                                _ => {
                                    let same = cellpath_domain::program::ProgramFacts {
                                        name: program.name.clone(),
                                        modality: program.modality.clone(),
                                        units: serde_json::from_value(program.units.clone())
                                            .unwrap(),
                                        requires_dual_verification: program
                                            .requires_dual_verification,
                                        identifiers: serde_json::from_value(
                                            program.identifiers.clone(),
                                        )
                                        .unwrap(),
                                        list_prices: serde_json::from_value(
                                            program.list_prices.clone(),
                                        )
                                        .unwrap(),
                                    };
                                    app.update_program(
                                        &me,
                                        &program.id,
                                        program.version,
                                        same,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                }
                            }
                        }
                        // A proposal has no site map, gap, agreement or deliverable to change.
                        (
                            "site_map" | "readiness" | "contract" | "deliverable",
                            "proposal",
                            "update",
                        ) => continue,
                        ("site_map", rel, action) => match (rel, action) {
                            ("proposal", "read") => app.site_maps(&me, pid).await.map(drop),
                            ("party", "read") => {
                                app.site_map(&me, &cancer_draft.id).await.map(drop)
                            }
                            (_, "read") => app.site_map(&me, &piedmont_map.id).await.map(drop),
                            (_, "create") => app
                                .start_site_map(&me, pid, work_site, work_program, None, None)
                                .await
                                .map(drop),
                            // A stale version: past the policy, a permitted caller meets a conflict.
                            ("party", _) if kind == OrgKind::HealthSystem => app
                                .refine_site_map(&me, &cancer_draft.id, 0, Default::default(), None)
                                .await
                                .map(drop),
                            ("party", _) => app
                                .decide_proposal(&me, &pending.id, 0, false, "matrix", None)
                                .await
                                .map(drop),
                            _ => app
                                .refine_site_map(&me, &piedmont_map.id, 0, Default::default(), None)
                                .await
                                .map(drop),
                        },
                        ("readiness", rel, action) => match action {
                            "read" => app
                                .readiness(&me, pid, work_site, work_program)
                                .await
                                .map(drop),
                            "create" => app
                                .analyze_gaps(&me, pid, work_site, work_program)
                                .await
                                .map(drop),
                            _ => {
                                let gap = if rel == "party" {
                                    &north_gap
                                } else {
                                    &piedmont_gap
                                };
                                app.close_gap(&me, &gap.id, 0, "matrix", pw, None)
                                    .await
                                    .map(drop)
                            }
                        },
                        ("contract", rel, action) => match action {
                            "read" => app.agreements(&me, pid).await.map(drop),
                            "create" => app
                                .create_agreement(
                                    &me,
                                    pid,
                                    cellpath_app::contracting::AgreementInput {
                                        kind: "supply_agreement".into(),
                                        scope: "site".into(),
                                        site_id: Some(work_site.clone()),
                                        coverage: None,
                                        owner_manufacturer: None,
                                        owner_health_system: None,
                                    },
                                    None,
                                )
                                .await
                                .map(drop),
                            // A stale version: past the policy, a permitted caller meets a conflict.
                            _ if rel == "party" => app
                                .move_agreement(&me, &north_quality, 0, "legal_review", None)
                                .await
                                .map(drop),
                            _ => app
                                .move_agreement(&me, &piedmont_dpa, 0, "negotiating", None)
                                .await
                                .map(drop),
                        },
                        ("deliverable", rel, action) => {
                            let (pid, site, program) = (pid, work_site, work_program);
                            let today = cellpath_domain::Date::of_micros(app.now());
                            match action {
                                "read" => app.gate(&me, pid, site, program, today).await.map(drop),
                                "create" => app
                                    .record_deliverable(
                                        &me,
                                        pid,
                                        cellpath_app::contracting::DeliverableInput {
                                            site_id: site.clone(),
                                            program_id: program.clone(),
                                            // Either side's work, so the policy alone decides.
                                            deliverable: "staff_training".into(),
                                            done_on: "not a date".into(),
                                            evidence: "matrix".into(),
                                        },
                                        pw,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                    // A bad date is checked after the policy: the caller was
                                    // allowed, and nothing is recorded for the next role.
                                    .or_else(|e| match e {
                                        AppError::Invalid(f) if f[0].field == "done_on" => Ok(()),
                                        e => Err(e),
                                    }),
                                // Revoking one: an empty reason is checked after the policy,
                                // so an allowed caller revokes nothing for the next role.
                                _ => {
                                    let r = if rel == "party" {
                                        &main_training
                                    } else {
                                        &piedmont_training
                                    };
                                    app.revoke_deliverable(&me, &r.id, r.version, "", pw, None)
                                        .await
                                        .map(drop)
                                        .or_else(|e| match e {
                                            AppError::Invalid(f) if f[0].field == "reason" => {
                                                Ok(())
                                            }
                                            e => Err(e),
                                        })
                                }
                            }
                        }
                        ("api_token", "self", "read") => {
                            app.api_tokens(&me, &my_id).await.map(drop)
                        }
                        ("api_token", "self", "create") => {
                            app.create_api_token(&me, &unique, None).await.map(drop)
                        }
                        ("api_token", "self", "update") => {
                            let t = app
                                .create_api_token(&me, &unique, None)
                                .await
                                .unwrap()
                                .fresh()
                                .unwrap();
                            app.revoke_api_token(&me, &t.info.id).await.map(drop)
                        }
                        ("api_token", "own", "read") => {
                            app.api_tokens(&me, &colleague.id).await.map(drop)
                        }
                        ("api_token", "own", "update") => {
                            app.revoke_api_token(&me, &colleague_token).await.map(drop)
                        }
                        ("api_token", "none", "read") => {
                            app.api_tokens(&me, &stranger.id).await.map(drop)
                        }
                        ("api_token", "none", "update") => {
                            app.revoke_api_token(&me, &stranger_token).await.map(drop)
                        }
                        ("ledger", rel, action) => {
                            let ledger = match rel {
                                "own" => own.clone(),
                                "party" | "proposal" => pship.clone(),
                                _ => northbridge_piedmont.clone(),
                            };
                            match action {
                                "read" => app.verify_ledger(&me, &ledger).await.map(drop),
                                "sign" => {
                                    let head =
                                        app.store.ledger_head(&ledger).await.unwrap().unwrap();
                                    app.sign(
                                        &me,
                                        &ledger,
                                        Signed::Event {
                                            event_hash: head.head_hash,
                                        },
                                        Meaning::Reviewed,
                                        pw,
                                        None,
                                    )
                                    .await
                                    .map(drop)
                                }
                                // No command changes a ledger's events: there is nothing to call.
                                _ => continue,
                            }
                        }
                        other => panic!("no call for matrix row {other:?}"),
                    };
                    let got = match r {
                        Ok(()) => "A",
                        // A stale version is checked after the policy: the caller was allowed.
                        Err(AppError::Conflict { .. }) => "A",
                        Err(AppError::Forbidden(_)) => "F",
                        Err(AppError::NotFound(_)) => "N",
                        Err(e) => panic!("{email} {line}: unexpected error {e}"),
                    };
                    checked += 1;
                    if got != expected {
                        mismatches.push(format!(
                            "{email} ({phase}): {} {} {}: expected {expected}, got {got}",
                            head[0], head[1], head[2]
                        ));
                    }
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked > 500, "only {checked} checks ran");
}

#[tokio::test]
async fn a_manufacturer_drafts_validates_and_publishes_a_process_map() {
    use cellpath_domain::process_map::ProcessMap;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let author = as_user(&app, "quality@northbridge.example").await;
        let program = app
            .store
            .programs_of(&northbridge, Page::all())
            .await
            .unwrap()
            .remove(0);
        let v1 = app
            .published_map(&author, &program.id)
            .await
            .unwrap()
            .expect("the demo publishes version 1");
        assert_eq!((v1.number, v1.status.as_str()), (1, "published"));
        let map: ProcessMap = serde_json::from_value(v1.map.clone()).unwrap();

        // A published version never changes.
        let err = app
            .update_map_version(&author, &v1.id, v1.version, map.clone(), None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("published and never changes"),
            "{err}"
        );

        // A map with a cycle is refused with the reason, and nothing is stored.
        let head = app
            .store
            .ledger_head(&northbridge)
            .await
            .unwrap()
            .unwrap()
            .seq;
        let mut cyclic = map.clone();
        let first = cyclic.steps[0].key.clone();
        let last = cyclic.steps.len() - 1;
        let last_key = cyclic.steps[last].key.clone();
        cyclic.steps[0].after.push(last_key);
        let err = app
            .create_map_version(&author, &program.id, cyclic, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        assert!(err.to_string().contains(&first), "{err}");
        assert_eq!(
            app.store
                .ledger_head(&northbridge)
                .await
                .unwrap()
                .unwrap()
                .seq,
            head,
            "{}: nothing written",
            db.label
        );
        assert_eq!(
            app.store.map_versions_of(&program.id).await.unwrap().len(),
            1
        );

        // A new draft, edited, then published.
        let mut v2_map = map.clone();
        v2_map.steps[0].name = "Order placed in the manufacturer's portal".into();
        let v2 = app
            .create_map_version(&author, &program.id, v2_map.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!((v2.number, v2.status.as_str()), (2, "draft"));
        v2_map.steps[0].name = "Order placed".into();
        let edited = app
            .update_map_version(&author, &v2.id, v2.version, v2_map.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_ne!(edited.content_hash, v2.content_hash);
        let stale = app
            .update_map_version(&author, &v2.id, v2.version, v2_map.clone(), None)
            .await;
        assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
        let published = app
            .publish_map_version(&author, &v2.id, edited.version, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(published.status, "published");
        assert!(
            app.update_map_version(&author, &v2.id, published.version, map.clone(), None)
                .await
                .is_err()
        );

        // Removing a unit a published map administers is refused, naming the version.
        let mut facts = cellpath_domain::program::ProgramFacts {
            name: program.name.clone(),
            modality: program.modality.clone(),
            units: serde_json::from_value(program.units.clone()).unwrap(),
            requires_dual_verification: program.requires_dual_verification,
            identifiers: serde_json::from_value(program.identifiers.clone()).unwrap(),
            list_prices: serde_json::from_value(program.list_prices.clone()).unwrap(),
        };
        facts.units[0].key = "renamed".into();
        let err = app
            .update_program(&author, &program.id, program.version, facts, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("map version"), "{err}");

        // Partners read it; others do not see it; partners do not edit it.
        let piedmont_nurse = as_user(&app, "nurse@piedmont.example").await;
        assert_eq!(
            app.map_versions(&piedmont_nurse, &program.id)
                .await
                .unwrap()
                .len(),
            2
        );
        let cascade = as_user(&app, "admin@cascade.example").await;
        assert!(matches!(
            app.program(&cascade, &program.id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.map_version(&cascade, &v2.id).await,
            Err(AppError::NotFound(_))
        ));
        let piedmont_admin = as_user(&app, "admin@piedmont.example").await;
        assert!(matches!(
            app.create_map_version(&piedmont_admin, &program.id, map, None)
                .await,
            Err(AppError::Forbidden(_))
        ));
        assert!(
            app.verify_ledger(&Caller::system("test"), &northbridge)
                .await
                .unwrap()
                .is_intact()
        );
    }
}

#[tokio::test]
async fn gap_analysis_on_the_seeded_visits_gives_the_expected_gaps() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let pship = app
            .store
            .partnerships_of(&helixa, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == lakeshore)
            .unwrap()
            .id;
        let np = app
            .store
            .partnerships_of(&northbridge, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == piedmont)
            .unwrap()
            .id;
        let vantacel = app
            .store
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let corvigen = app
            .store
            .programs_of(&northbridge, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let site = |org: String, code: &'static str| {
            let app = app.clone();
            async move {
                app.store
                    .sites_of(&org, Page::all())
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|s| s.code == code)
                    .unwrap()
                    .id
            }
        };
        let viewer = as_user(&app, "nurse@lakeshore.example").await;
        let gaps = |view: &cellpath_app::readiness::ReadinessView| {
            let mut g: Vec<(String, String, String)> = view
                .gaps
                .iter()
                .map(|g| {
                    (
                        g.requirement_key.clone(),
                        g.severity.clone(),
                        g.status.clone(),
                    )
                })
                .collect();
            g.sort();
            g
        };

        // Main campus: the one blocking gap (tocilizumab) was closed with evidence and a signature.
        let main = app
            .readiness(
                &viewer,
                &pship,
                &site(lakeshore.clone(), "LUH-MAIN").await,
                &vantacel,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&main),
            [("tocilizumab".into(), "blocking".into(), "closed".into())],
            "{}",
            db.label
        );
        assert_eq!((main.open_blocking, main.percent), (0, 87));
        let closed = &main.gaps[0];
        assert!(closed.evidence.contains("Par level"));
        let closing_event = app
            .store
            .events(&pship, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "gap.updated")
            .unwrap();
        assert_eq!(
            app.store
                .signatures_on(&closing_event.hash)
                .await
                .unwrap()
                .len(),
            1,
            "the closure is signed"
        );

        // North: transport too slow, no pharmacist signature, no tocilizumab on the unit.
        let north = app
            .readiness(
                &viewer,
                &pship,
                &site(lakeshore.clone(), "LUH-NORTH").await,
                &vantacel,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&north),
            [
                ("dual_signature".into(), "minor".into(), "open".into()),
                ("tocilizumab".into(), "blocking".into(), "open".into()),
                ("transport_time".into(), "major".into(), "open".into()),
            ]
        );
        assert_eq!(north.open_blocking, 1);
        let due: Vec<&str> = north.gaps.iter().map(|g| g.due_on.as_str()).collect();
        assert!(
            due.contains(&"2026-11-19")
                && due.contains(&"2026-12-19")
                && due.contains(&"2027-01-18"),
            "{due:?}"
        );

        // Piedmont for Corvigen: receiving hours start an hour late.
        let pviewer = as_user(&app, "nurse@piedmont.example").await;
        let pv = app
            .readiness(
                &pviewer,
                &np,
                &site(piedmont.clone(), "PVH-MAIN").await,
                &corvigen,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&pv),
            [("receiving".into(), "major".into(), "open".into())]
        );
        // Analysing again opens nothing new.
        let nb = as_user(&app, "onboarding@northbridge.example").await;
        assert!(
            app.analyze_gaps(&nb, &np, &site(piedmont, "PVH-MAIN").await, &corvigen)
                .await
                .unwrap()
                .is_empty()
        );

        // Closing needs evidence and the closer's password; a closed gap never reopens.
        let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
        let open = north
            .gaps
            .iter()
            .find(|g| g.requirement_key == "dual_signature")
            .unwrap();
        assert!(matches!(
            app.close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "  ",
                "cellpath-demo-2026",
                None
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "SOP updated",
                "wrong-password",
                None
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        let done = app
            .close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "SOP CT-114 now requires the pharmacist's co-signature.",
                cellpath_app::demo::DEMO_PASSWORD,
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, "closed");
        assert!(
            app.close_gap(
                &pharmacy,
                &open.id,
                done.version,
                "again",
                cellpath_app::demo::DEMO_PASSWORD,
                None
            )
            .await
            .is_err()
        );
        assert!(
            app.verify_ledger(&Caller::system("t"), &pship)
                .await
                .unwrap()
                .is_intact()
        );
    }
}

#[tokio::test]
async fn a_site_refines_proposes_and_both_sides_sign() {
    use cellpath_domain::refinement::SiteRefinement;
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let vantacel = app
        .store
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let sites = app.store.sites_of(&lakeshore, Page::all()).await.unwrap();
    let main = sites
        .iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap()
        .id
        .clone();
    let cancer = sites
        .iter()
        .find(|s| s.code == "LUH-CANCER")
        .unwrap()
        .id
        .clone();
    let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
    let quality = as_user(&app, "quality@helixa.example").await;

    // The seeded main-campus version: signed by both, the accepted proposal in force.
    let signed = app
        .store
        .site_map_versions(&main, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let view = app.site_map(&pharmacy, &signed.id).await.unwrap();
    assert_eq!(view.status, "signed");
    assert_eq!(
        view.effective
            .as_ref()
            .unwrap()
            .step("monitoring")
            .unwrap()
            .params
            .monitoring_days,
        Some(28)
    );
    assert!(
        view.effective
            .as_ref()
            .unwrap()
            .step("icu_bed_hold")
            .is_some()
    );
    let statuses: Vec<&str> = view.proposals.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(statuses, ["accepted", "rejected"]);
    assert!(view.scan_burden.scans_per_case > 0);
    let refused = app
        .refine_site_map(
            &pharmacy,
            &signed.id,
            signed.version,
            SiteRefinement::default(),
            None,
        )
        .await;
    assert!(refused.unwrap_err().to_string().contains("never changes"));

    // The pavilion's draft: the site cannot decide its own proposal; the manufacturer cannot
    // refine the site's steps.
    let draft = app
        .store
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let pending = app
        .store
        .map_proposals_of(&draft.id)
        .await
        .unwrap()
        .remove(0);
    assert!(matches!(
        app.decide_proposal(&pharmacy, &pending.id, pending.version, true, "ok", None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        app.refine_site_map(
            &quality,
            &draft.id,
            draft.version,
            SiteRefinement::default(),
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    let accepted = app
        .decide_proposal(
            &quality,
            &pending.id,
            pending.version,
            true,
            "The satellite pharmacy is qualified.",
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(accepted.status, "accepted");
    let after = app.site_map(&pharmacy, &draft.id).await.unwrap();
    assert_ne!(
        after.content_hash,
        app.site_map(&pharmacy, &signed.id)
            .await
            .unwrap()
            .content_hash
    );
    // One side signs: awaiting the other. A change afterwards voids that signature.
    app.sign_site_map(
        &pharmacy,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        cellpath_app::demo::DEMO_PASSWORD,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "awaiting_signature"
    );
    let mut r = after.refinement.clone();
    r.details.get_mut("referral").unwrap().notes =
        Some("Referrals by fax are scanned the same day.".into());
    let draft = app
        .store
        .site_map_version(&draft.id)
        .await
        .unwrap()
        .unwrap();
    app.refine_site_map(&pharmacy, &draft.id, draft.version, r, None)
        .await
        .unwrap();
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "draft"
    );
    app.sign_site_map(
        &pharmacy,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        cellpath_app::demo::DEMO_PASSWORD,
        None,
    )
    .await
    .unwrap();
    app.sign_site_map(
        &quality,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        cellpath_app::demo::DEMO_PASSWORD,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "signed"
    );
    // A proposal on a site-owned step is refused with the reason.
    let own = after
        .effective
        .as_ref()
        .unwrap()
        .step("referral")
        .unwrap()
        .clone();
    let next = app
        .start_site_map(
            &pharmacy,
            &draft.partnership_id,
            &cancer,
            &vantacel,
            Some(&draft.id),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(next.number, 2);
    let err = app
        .propose_change(&pharmacy, &next.id, own, "why not", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no proposal needed"), "{err}");
}

#[tokio::test]
async fn a_version_is_signed_only_when_settled_and_by_the_people_who_do_the_work() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let vantacel = app
        .store
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let cancer = app
        .store
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-CANCER")
        .unwrap()
        .id;
    let draft = app
        .store
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    let quality = as_user(&app, "quality@helixa.example").await;
    // A proposal is pending: nobody signs yet.
    let err = app
        .sign_site_map(
            &pharmacy,
            &draft.id,
            cellpath_ledger::Meaning::Approved,
            pw,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("waiting for the manufacturer"),
        "{err}"
    );
    let pending = app
        .store
        .map_proposals_of(&draft.id)
        .await
        .unwrap()
        .remove(0);
    app.decide_proposal(
        &quality,
        &pending.id,
        pending.version,
        false,
        "Thaw stays in the main cell lab.",
        None,
    )
    .await
    .unwrap();
    // A nurse reads the map but does not sign it for the site.
    assert!(matches!(
        app.sign_site_map(
            &nurse,
            &draft.id,
            cellpath_ledger::Meaning::Approved,
            pw,
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    app.sign_site_map(
        &pharmacy,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        pw,
        None,
    )
    .await
    .unwrap();
    app.sign_site_map(
        &quality,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        pw,
        None,
    )
    .await
    .unwrap();
    // Signed by both: a late proposal decision cannot change it.
    let view = app.site_map(&pharmacy, &draft.id).await.unwrap();
    assert_eq!(view.status, "signed");
    assert!(
        app.propose_change(
            &pharmacy,
            &draft.id,
            view.effective.unwrap().step("enrollment").unwrap().clone(),
            "late",
            None
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn records_are_signed_only_through_their_own_command_and_proposals_open_nothing() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    // A nurse cannot mark any record "signed" by naming its content hash on a ledger.
    let forged = app
        .sign(
            &nurse,
            &lakeshore,
            Signed::Record {
                record_kind: "site_map_version".into(),
                record_id: "smv_x".into(),
                content_hash: "a".repeat(64),
            },
            Meaning::Approved,
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await;
    assert!(matches!(forged, Err(AppError::Invalid(_))), "{forged:?}");
    // Helixa has only proposed a partnership to Cascade: Cascade's sites and people stay closed.
    let helixa = as_user(&app, "onboarding@helixa.example").await;
    assert!(matches!(
        app.sites(&helixa, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.users(&helixa, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    // …while each side still sees the other's name on the proposal.
    let cascade_admin = as_user(&app, "admin@cascade.example").await;
    assert!(
        app.organizations(&cascade_admin, Page::all())
            .await
            .unwrap()
            .iter()
            .any(|o| o.name == "Helixa Therapeutics")
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
async fn racing_commands_conflict_cleanly_and_ended_partnerships_take_no_more_work() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let pship = app
            .store
            .partnerships_of(&helixa, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == lakeshore)
            .unwrap();
        let vantacel = app
            .store
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let north = app
            .store
            .sites_of(&lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap()
            .id;
        let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
        let quality = as_user(&app, "quality@lakeshore.example").await;
        let gap = app
            .store
            .gaps_of_site(&north)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.status == "open")
            .unwrap();
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let (a, b) = tokio::join!(
            app.close_gap(&pharmacy, &gap.id, gap.version, "Evidence A", pw, None),
            app.close_gap(&quality, &gap.id, gap.version, "Evidence B", pw, None)
        );
        let outcomes = [a.is_ok(), b.is_ok()];
        assert_eq!(
            outcomes.iter().filter(|x| **x).count(),
            1,
            "{}: exactly one closes it",
            db.label
        );
        let loser = match (a, b) {
            (Err(e), _) | (_, Err(e)) => e,
            _ => unreachable!("one of them failed"),
        };
        assert!(
            matches!(loser, AppError::Conflict { .. } | AppError::Invalid(_)),
            "{}: {loser:?}",
            db.label
        );
        // Two gap analyses at once open each gap once.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let (x, y) = tokio::join!(
            app.analyze_gaps(&onboarding, &pship.id, &north, &vantacel),
            app.analyze_gaps(&onboarding, &pship.id, &north, &vantacel)
        );
        for r in [x, y] {
            assert!(
                matches!(r, Ok(_) | Err(AppError::Duplicate { .. })),
                "{}: {r:?}",
                db.label
            );
        }
        let open: Vec<_> = app
            .store
            .gaps_of_site(&north)
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.status == "open")
            .collect();
        let mut keys: Vec<_> = open
            .iter()
            .map(|g| (g.requirement_key.clone(), g.facility_id.clone()))
            .collect();
        let n = keys.len();
        keys.dedup();
        assert_eq!(
            keys.len(),
            n,
            "{}: no requirement has two open gaps",
            db.label
        );
        // An ended partnership keeps its record and takes no more work.
        let admin = as_user(&app, "admin@lakeshore.example").await;
        set_status(&app, &admin, &pship.id, "ended").await;
        let err = app
            .analyze_gaps(&onboarding, &pship.id, &north, &vantacel)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has ended"), "{err}");
    }
}

/// Helixa × Lakeshore, LUH-MAIN and LUH-NORTH, Vantacel: the ids the contracting stories use.
struct GateIds {
    partnership: String,
    main: String,
    north: String,
    vantacel: String,
}

async fn gate_ids(app: &App) -> GateIds {
    let helixa = org_id(app, "Helixa Therapeutics").await;
    let lakeshore = org_id(app, "Lakeshore University Health").await;
    let partnership = app
        .store
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id;
    let sites = app.store.sites_of(&lakeshore, Page::all()).await.unwrap();
    let code = |c: &str| sites.iter().find(|s| s.code == c).unwrap().id.clone();
    let vantacel = app
        .store
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Vantacel")
        .unwrap()
        .id;
    GateIds {
        partnership,
        main: code("LUH-MAIN"),
        north: code("LUH-NORTH"),
        vantacel,
    }
}

fn today(app: &App) -> cellpath_domain::Date {
    cellpath_domain::Date::of_micros(app.now())
}

fn texts(view: &cellpath_app::contracting::GateView) -> Vec<String> {
    view.missing.iter().map(|m| m.text.clone()).collect()
}

#[tokio::test]
async fn the_seeded_main_hospital_is_authorized_and_the_north_campus_lists_what_is_missing() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let me = as_user(&app, "nurse@lakeshore.example").await;
        let main = app
            .gate(&me, &ids.partnership, &ids.main, &ids.vantacel, today(&app))
            .await
            .unwrap();
        assert!(main.authorized, "{}: {:?}", db.label, texts(&main));
        let north = app
            .gate(
                &me,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!north.authorized);
        assert_eq!(
            texts(&north),
            [
                "Quality agreement: not executed (negotiating)",
                "Supply agreement: none for this site yet",
                "Site map signed by both sides: not done",
                "Informed consent with manufacturing-failure language: not done",
                "Release-exception protocol: not done",
                "Site qualification audit: not done",
                "Staff training: not done",
                "Mock shipment: not done",
                "Pharmacy and therapeutics approval: not done",
                "1 open blocking readiness gap",
            ],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn withdrawing_the_master_service_agreement_suspends_the_main_hospital() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "master_service_agreement")
            .unwrap();
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let main = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!main.authorized);
        assert_eq!(
            texts(&main),
            ["Master service agreement: withdrawn"],
            "{}",
            db.label
        );
        // A withdrawn agreement takes no more moves, and says so.
        let msa = app.store.agreement(&msa.id).await.unwrap().unwrap();
        let err = app
            .move_agreement(&contracts, &msa.id, msa.version, "executed", None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no more moves"), "{err}");
    }
}

#[tokio::test]
async fn an_agreement_that_expired_yesterday_is_listed_as_expired() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let supply = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "supply_agreement" && a.site_id == ids.main)
            .unwrap();
        let yesterday = today(&app).plus_days(-1);
        app.set_agreement_dates(
            &contracts,
            &supply.id,
            supply.version,
            "2024-01-01",
            yesterday.as_str(),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let main = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert_eq!(
            texts(&main),
            [format!("Supply agreement: expired on {yesterday}")],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn agreements_refuse_bad_moves_bad_hashes_and_foreign_sites() {
    use cellpath_app::contracting::DocumentInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let all = app.agreements(&contracts, &ids.partnership).await.unwrap();
        let north_quality = all.iter().find(|a| a.site_id == ids.north).unwrap();

        // Negotiating cannot go back to drafting; the refusal names where it may go.
        let err = app
            .move_agreement(
                &contracts,
                &north_quality.id,
                north_quality.version,
                "drafting",
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "status: an agreement negotiating cannot move to drafting; it may move to legal_review, executed, withdrawn"
        );
        // Executing needs an effective date.
        let err = app
            .move_agreement(
                &contracts,
                &north_quality.id,
                north_quality.version,
                "executed",
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("effective_on:"), "{err}");

        // A document's hash must be a SHA-256.
        let err = app
            .add_document(
                &contracts,
                &north_quality.id,
                north_quality.version,
                DocumentInput {
                    name: "quality-agreement-v2.docx".into(),
                    sha256: "ABC123".into(),
                    bytes: cellpath_domain::LedgerInt::from(1024),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("sha256:"), "{err}");

        // A joinder may only bring in the health system's own sites.
        let dpa = all
            .iter()
            .find(|a| a.kind == "data_protection")
            .unwrap()
            .clone();
        let named = app
            .create_agreement(
                &contracts,
                &ids.partnership,
                cellpath_app::contracting::AgreementInput {
                    kind: "data_protection".into(),
                    scope: "health_system".into(),
                    site_id: None,
                    coverage: Some(cellpath_domain::contracting::Coverage::Named(vec![
                        ids.main.clone(),
                    ])),
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let foreign = app.store.sites_of(&piedmont, Page::all()).await.unwrap()[0]
            .id
            .clone();
        let err = app
            .join_sites(&contracts, &named.id, named.version, &[foreign], None)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is not a site of this partnership's health system"),
            "{err}"
        );
        let joined = app
            .join_sites(
                &contracts,
                &named.id,
                named.version,
                std::slice::from_ref(&ids.north),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            joined.coverage,
            serde_json::json!({"covers": "named", "site_ids": [ids.main, ids.north]})
        );
        // An agreement covering all sites needs no joinder.
        let err = app
            .join_sites(
                &contracts,
                &dpa.id,
                dpa.version,
                std::slice::from_ref(&ids.north),
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already covers all"), "{err}");
        // A central agreement is never negotiated for one site.
        let err = app
            .create_agreement(
                &contracts,
                &ids.partnership,
                cellpath_app::contracting::AgreementInput {
                    kind: "master_service_agreement".into(),
                    scope: "site".into(),
                    site_id: Some(ids.north.clone()),
                    coverage: None,
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("use scope health_system"), "{err}");
    }
}

#[tokio::test]
async fn a_deliverable_is_recorded_with_a_signature_but_a_site_map_only_by_signing_it() {
    use cellpath_app::contracting::DeliverableInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let input = |d: &str| DeliverableInput {
            site_id: ids.north.clone(),
            program_id: ids.vantacel.clone(),
            deliverable: d.into(),
            done_on: "2025-11-20".into(),
            evidence: "Mock shipment received and thawed within the window.".into(),
        };
        let err = app
            .record_deliverable(
                &onboarding,
                &ids.partnership,
                input("mock_shipment"),
                "wrong",
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("password:"), "{err}");
        let err = app
            .record_deliverable(
                &onboarding,
                &ids.partnership,
                input("site_map_signed"),
                cellpath_app::demo::DEMO_PASSWORD,
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("sign the site map"), "{err}");
        let before = app
            .store
            .ledger_head(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        app.record_deliverable(
            &onboarding,
            &ids.partnership,
            input("mock_shipment"),
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let after = app
            .store
            .ledger_head(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.seq, before.seq + 2, "the record and its signature");
        let north = app
            .gate(
                &onboarding,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(!texts(&north).contains(&"Mock shipment: not done".to_string()));
    }
}

#[tokio::test]
async fn a_pharmacist_records_formulary_approval_and_the_app_reviews_the_gate() {
    use cellpath_app::contracting::DeliverableInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let input = DeliverableInput {
            site_id: ids.north.clone(),
            program_id: ids.vantacel.clone(),
            deliverable: "pharmacy_and_therapeutics".into(),
            done_on: "2025-11-20".into(),
            evidence: "Vantacel added to the formulary at the P&T meeting of 2025-11-20.".into(),
        };
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let err = app
            .record_deliverable(&nurse, &ids.partnership, input.clone(), pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
        let err = app
            .review_authorizations(&nurse, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");

        // Each side attests its own work: the manufacturer does not approve the hospital's
        // formulary, and the hospital does not qualify its own site.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let err = app
            .record_deliverable(&onboarding, &ids.partnership, input.clone(), pw, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("recorded by the health system")),
            "{err}"
        );
        let audit = DeliverableInput {
            deliverable: "site_qualification_audit".into(),
            ..input.clone()
        };
        let err = app
            .record_deliverable(&pharmacist, &ids.partnership, audit, pw, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("recorded by the manufacturer")),
            "{err}"
        );

        app.record_deliverable(&pharmacist, &ids.partnership, input, pw, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let north = app
            .gate(
                &pharmacist,
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert!(
            !texts(&north).contains(&"Pharmacy and therapeutics approval: not done".to_string())
        );
        // The verdicts are the app's to record after her command; asking for a review is
        // the contracts roles' (the policy's `contract update`).
        let err = app
            .review_authorizations(&pharmacist, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    }
}

#[tokio::test]
async fn training_that_lapsed_is_revoked_with_a_signature_suspends_the_site_and_is_recorded_again()
{
    use cellpath_app::contracting::DeliverableInput;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let cell_lab = as_user(&app, "cell.lab@lakeshore.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let training = || async {
            app.store
                .deliverable_records_of(&ids.partnership, &ids.main, &ids.vantacel)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.deliverable == "staff_training")
                .unwrap()
        };
        let t = training().await;
        clock.advance_secs(86_400);
        let reason =
            "Two infusion nurses trained in 2025 have left; the roster is no longer current.";

        // Not the nurse's to revoke; a wrong password writes nothing; no reason, no revocation.
        let err = app
            .revoke_deliverable(&nurse, &t.id, t.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, "wrong", None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "password"),
            "{err}"
        );
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, " ", pw, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].field == "reason"),
            "{err}"
        );
        assert_eq!(training().await, t, "{}: nothing changed", db.label);

        // Revoked: signed (reviewed), and LUH-MAIN is suspended by the same command.
        let revoked = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, pw, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(revoked.revoked_on, today(&app).as_str());
        assert_eq!(revoked.revoked_reason, reason);
        let events = app
            .store
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        let at = events
            .iter()
            .rposition(|e| e.kind == "deliverable_record.updated")
            .unwrap();
        let signature = app.store.signatures_on(&events[at].hash).await.unwrap();
        assert_eq!(signature.len(), 1, "{}", db.label);
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(missing, ["Staff training: not done"], "{}", db.label);
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, revoked.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already revoked"), "{err}");
        // A stale version is a conflict.
        let err = app
            .revoke_deliverable(&cell_lab, &t.id, t.version, reason, pw, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict { .. }), "{err}");

        // The new staff trained: recorded done again on the same row; reinstated.
        clock.advance_secs(86_400);
        let again = app
            .record_deliverable(
                &cell_lab,
                &ids.partnership,
                DeliverableInput {
                    site_id: ids.main.clone(),
                    program_id: ids.vantacel.clone(),
                    deliverable: "staff_training".into(),
                    done_on: today(&app).as_str().into(),
                    evidence: "New infusion nurses trained; roster TR-2026-02.".into(),
                },
                pw,
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(again.id, t.id);
        assert!(again.counts() && again.evidence.contains("TR-2026-02"));
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");
        // The old versions stay on the ledger, which still verifies; replay rebuilds the row.
        let reports = app.verify_all(&Caller::system("test")).await.unwrap();
        assert!(reports.iter().all(VerifyReport::is_intact), "{}", db.label);
        assert_replays(&app, db.label).await;
    }
}

/// A site's outlook in a live plan, by code.
fn site_of<'a>(
    plan: &'a cellpath_app::onboarding::LivePlan,
    code: &str,
) -> &'a cellpath_app::onboarding::SiteOutlook {
    plan.sites.iter().find(|s| s.site_code == code).unwrap()
}

/// The recorded verdict of a site for Vantacel in the demo's Helixa × Lakeshore partnership.
async fn verdict(app: &App, ids: &GateIds, site: &str) -> (String, Vec<String>) {
    let viewer = as_user(app, "contracts@helixa.example").await;
    let view = app
        .gate(&viewer, &ids.partnership, site, &ids.vantacel, today(app))
        .await
        .unwrap();
    let recorded = view.recorded.map(|r| r.status).unwrap_or_default();
    (recorded, view.missing.into_iter().map(|m| m.text).collect())
}

#[tokio::test]
async fn a_blocking_gap_holds_back_every_site_that_uses_its_facility() {
    use cellpath_app::records::facilities::FacilityPatch;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        // North's infusion unit lacks tocilizumab: a blocking gap found at North's visit.
        let unit = app
            .store
            .facilities_of(&lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.name == "Lakeshore North Medical Center Infusion and Inpatient Unit")
            .unwrap();
        let gaps = |m: &[String]| m.iter().any(|t| t == "1 open blocking readiness gap");
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!((status.as_str(), gaps(&missing)), ("authorized", false));
        assert!(gaps(&verdict(&app, &ids, &ids.north).await.1));

        // The main hospital starts using that unit too: the gap holds it back, and the change
        // itself records the suspension on the partnership's ledger.
        clock.advance_secs(86_400);
        let unit = app
            .update_facility(
                &admin,
                &unit.id,
                unit.version,
                FacilityPatch {
                    site_ids: Some(vec![ids.north.clone(), ids.main.clone()]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}: {missing:?}", db.label);
        assert_eq!(missing, ["1 open blocking readiness gap"], "{}", db.label);

        // North stops using it: the gap no longer holds North back (it still holds Main).
        app.update_facility(
            &admin,
            &unit.id,
            unit.version,
            FacilityPatch {
                site_ids: Some(vec![ids.main.clone()]),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        assert!(
            !gaps(&verdict(&app, &ids, &ids.north).await.1),
            "{}",
            db.label
        );
        assert!(
            gaps(&verdict(&app, &ids, &ids.main).await.1),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn ending_a_partnership_or_taking_the_program_off_it_suspends_its_sites() {
    use cellpath_app::records::partnerships::PartnershipPatch;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let admin = as_user(&app, "admin@helixa.example").await;
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");

        // Vantacel taken off the partnership: its sites are suspended at once.
        clock.advance_secs(86_400);
        let p = app.partnership(&admin, &ids.partnership).await.unwrap();
        let p = app
            .update_partnership(
                &admin,
                &p.id,
                p.version,
                PartnershipPatch {
                    programs: Some(vec![]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let recorded = app
            .store
            .site_authorizations_of(&ids.partnership)
            .await
            .unwrap();
        let main = recorded.iter().find(|r| r.site_id == ids.main).unwrap();
        assert_eq!(main.status, "suspended", "{}", db.label);
        assert_eq!(
            main.missing,
            serde_json::json!(["Partnership: no longer for this program"])
        );
        // Back on it: reinstated.
        let p = app
            .update_partnership(
                &admin,
                &p.id,
                p.version,
                PartnershipPatch {
                    programs: Some(vec!["Vantacel".into()]),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(verdict(&app, &ids, &ids.main).await.0, "authorized");

        // Ended: nothing it authorized stays authorized, and the gate says why first.
        app.update_partnership(
            &admin,
            &p.id,
            p.version,
            PartnershipPatch {
                status: Some("ended".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let (status, missing) = verdict(&app, &ids, &ids.main).await;
        assert_eq!(status, "suspended", "{}", db.label);
        assert_eq!(missing, ["Partnership: ended"], "{}", db.label);
        // The hourly job leaves an ended partnership alone; a person may not ask for a
        // review of it either: an ended partnership takes no writes.
        assert_eq!(app.review_all_authorizations(today(&app)).await.unwrap(), 0);
        let err = app
            .review_authorizations(&contracts, &ids.partnership, today(&app))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Forbidden(m) if m.contains("has ended")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_agreement_suspends_an_authorization_and_a_new_one_reinstates_it() {
    use cellpath_app::contracting::AgreementInput;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .expect("the demo records LUH-MAIN's authorization");
        assert_eq!(
            (recorded.status.as_str(), recorded.since.clone()),
            ("authorized", today(&app).as_str().to_string())
        );
        // Nothing changed: a review records nothing.
        assert!(
            app.review_authorizations(&contracts, &ids.partnership, today(&app))
                .await
                .unwrap()
                .is_empty()
        );

        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "master_service_agreement")
            .unwrap();
        clock.advance_secs(86_400);
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The withdrawal itself records the suspension, the same day, for both sides.
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .unwrap();
        assert_eq!(recorded.status, "suspended", "{}", db.label);
        assert_eq!(recorded.since, today(&app).as_str());
        assert_eq!(
            recorded.missing,
            serde_json::json!(["Master service agreement: withdrawn"])
        );
        assert!(
            app.review_authorizations(&contracts, &ids.partnership, today(&app))
                .await
                .unwrap()
                .is_empty(),
            "{}: nothing left for the review",
            db.label
        );

        // A new master service agreement, executed: reinstated.
        let a = app
            .create_agreement(
                &contracts,
                &ids.partnership,
                AgreementInput {
                    kind: "master_service_agreement".into(),
                    scope: "health_system".into(),
                    site_id: None,
                    coverage: None,
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let a = app
            .set_agreement_dates(&contracts, &a.id, a.version, "2025-01-01", "", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.move_agreement(&contracts, &a.id, a.version, "executed", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let recorded = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap()
            .recorded
            .unwrap();
        assert_eq!(
            recorded.status, "authorized",
            "{}: reinstated at once",
            db.label
        );
        assert_eq!(recorded.missing, serde_json::json!([]));
        let events: Vec<String> = app
            .store
            .events_newest_first(&ids.partnership, Page::first(20))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("site_authorization"))
            .collect();
        assert_eq!(
            events,
            [
                "site_authorization.updated",
                "site_authorization.updated",
                "site_authorization.updated",
                "site_authorization.created"
            ],
            "reinstated; still suspended, now waiting for the new agreement (not started) rather \
             than the withdrawn one; suspended; first authorized"
        );
    }
}

#[tokio::test]
async fn an_agreement_about_to_lapse_is_a_reminder_for_both_sides() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(
            app.expiring_agreements(&nurse, &ids.partnership, today(&app), 60)
                .await
                .unwrap()
                .is_empty()
        );
        let quality = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "quality_agreement" && a.site_id == ids.main)
            .unwrap();
        let lapses = today(&app).plus_days(30);
        app.set_agreement_dates(
            &contracts,
            &quality.id,
            quality.version,
            "2025-01-01",
            lapses.as_str(),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let reminders = app
            .expiring_agreements(&nurse, &ids.partnership, today(&app), 60)
            .await
            .unwrap();
        assert_eq!(reminders.len(), 1, "{}", db.label);
        assert_eq!(reminders[0].days_left, 30);
        assert_eq!(reminders[0].agreement.id, quality.id);
        // Still in force today: the gate holds until the day it lapses.
        assert!(
            app.gate(
                &nurse,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app)
            )
            .await
            .unwrap()
            .authorized
        );
    }
}

#[tokio::test]
async fn a_program_sets_its_own_track_template_and_an_unsound_one_is_refused() {
    use cellpath_domain::contracting::template::TrackTemplate;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let partner = as_user(&app, "pharmacy@lakeshore.example").await;
        let view = app.track_template(&partner, &ids.vantacel).await.unwrap();
        assert!(view.standard);
        assert_eq!(view.template, TrackTemplate::standard());

        let mut bad = TrackTemplate::standard();
        bad.items.retain(|i| i.key != "mock_shipment");
        let err = app
            .set_track_template(&onboarding, &ids.vantacel, 1, bad, None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "items: the gate needs mock_shipment; add it"
        );
        // A health system reads the manufacturer's template but does not change it.
        let err = app
            .set_track_template(&partner, &ids.vantacel, 1, TrackTemplate::standard(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");

        let mut slower = TrackTemplate::standard();
        slower.items[0].days = [45, 90, 180];
        let set = app
            .set_track_template(&onboarding, &ids.vantacel, 1, slower.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(set.version, 2);
        let view = app.track_template(&partner, &ids.vantacel).await.unwrap();
        assert!(!view.standard, "{}", db.label);
        assert_eq!(view.template, slower);
        // A stale version is a conflict.
        let err = app
            .set_track_template(&onboarding, &ids.vantacel, 1, slower, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict { .. }), "{err}");
        let plan = cellpath_app::contracting::plan_of_template(
            &view.template,
            &["north"],
            cellpath_planning::contracting::Strategy::DualTrack,
        )
        .unwrap();
        assert_eq!(plan.entries[0].days, [45.0, 90.0, 180.0]);
    }
}

#[tokio::test]
async fn the_scheduled_review_suspends_a_site_when_its_agreements_expire() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let pship = app
        .store
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == lakeshore)
        .unwrap()
        .id;
    let main = app
        .store
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap()
        .id;
    let vantacel = app
        .store
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let date = |d: &str| cellpath_domain::Date::parse(d).unwrap();
    // Nothing changed since the demo's own review: the job records nothing.
    assert_eq!(
        app.review_all_authorizations(date("2026-11-25"))
            .await
            .unwrap(),
        0
    );
    // The demo's agreements run until 2030-05-31: on 2030-06-01 the job suspends LUH-MAIN.
    assert!(
        app.review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap()
            >= 1
    );
    let viewer = as_user(&app, "pharmacy@lakeshore.example").await;
    let gate = app
        .gate(&viewer, &pship, &main, &vantacel, date("2030-06-01"))
        .await
        .unwrap();
    assert!(!gate.authorized);
    assert!(
        gate.missing.iter().any(|m| m.text.contains("expired")),
        "{:?}",
        gate.missing
            .iter()
            .map(|m| m.text.clone())
            .collect::<Vec<_>>()
    );
    let events = app.store.events(&pship, 0, 100_000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "site_authorization.updated" && e.body.contains("suspended"))
    );
    // A second run the same day records nothing new.
    assert_eq!(
        app.review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap(),
        0
    );
}

/// The live plan of Helixa × Lakeshore for Vantacel on the demo: the central agreements and
/// LUH-MAIN's items are done at their real dates; LUH-NORTH and LUH-CANCER have only the
/// central ones, so each waits on its own chain from today — quality 45 → site map 40 →
/// training 14 → mock shipment 10 = 109 days under dual-track, and every site item one after
/// another (239 days) under sequential contracting.
#[tokio::test]
async fn the_live_plan_fixes_what_is_done_and_estimates_the_rest_from_today() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        clock.advance_secs(30 * 86_400);
        let today = today(&app);
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let plan = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        assert_eq!(
            plan.start, "2025-06-01",
            "{}: the earliest done day",
            db.label
        );
        assert_eq!(plan.today, today.as_str());
        let done: Vec<(&str, &str)> = plan
            .done
            .iter()
            .map(|d| (d.instance.as_str(), d.on.as_str()))
            .collect();
        for expected in [
            ("msa", "2025-06-01"),
            ("terms", "2025-06-01"),
            ("data_protection", "2025-06-01"),
            ("LUH-MAIN:quality", "2025-06-01"),
            ("LUH-MAIN:consent", "2025-09-10"),
            ("LUH-MAIN:mock_shipment", "2025-10-15"),
        ] {
            assert!(
                done.contains(&expected),
                "{}: {expected:?} in {done:?}",
                db.label
            );
        }
        assert!(
            !done.iter().any(|(i, _)| i.starts_with("LUH-NORTH:")),
            "{}: LUH-NORTH's quality agreement is only negotiating: {done:?}",
            db.label
        );
        let site = |code: &str| plan.sites.iter().find(|s| s.site_code == code).unwrap();

        let main = site("LUH-MAIN");
        assert_eq!(main.status, "authorized", "{}", db.label);
        assert_eq!(main.since.as_deref(), Some("2025-11-24"));
        assert!(main.prediction.is_none() && main.blockers.is_empty());
        assert_eq!((main.done, main.items), (12, 12), "{}", db.label);

        let north = site("LUH-NORTH");
        assert_eq!(north.status, "onboarding");
        assert_eq!(north.days_in_onboarding, 30, "{}", db.label);
        assert_eq!(
            (north.done, north.items),
            (3, 12),
            "{}: the central three",
            db.label
        );
        let predicted = north.prediction.as_ref().unwrap();
        assert_eq!(
            predicted.planned,
            today.plus_days(109).as_str(),
            "{}",
            db.label
        );
        assert!(predicted.p50 <= predicted.p90, "{predicted:?}");
        assert!(predicted.p90 > predicted.planned, "{predicted:?}");
        // North's blocking gap is due on a day: the date to promise is not before it.
        let gap_due = app
            .store
            .gaps_of_site(&ids.north)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.severity == "blocking" && g.status == "open")
            .unwrap()
            .due_on;
        assert!(predicted.p90 >= gap_due, "{predicted:?} vs {gap_due}");
        assert!(
            north
                .blockers
                .iter()
                .any(|b| b.text == "Quality agreement: not executed (negotiating)"),
            "{:?}",
            north.blockers
        );
        assert_eq!(
            plan.sequential.last_site.planned,
            today.plus_days(239).as_str(),
            "{}: sequential contracting does the site items one after another",
            db.label
        );
        assert_eq!(plan.days_saved[0], 130, "{}", db.label);
        // The chain that sets the last site's day starts today, not at a done item.
        let path = &plan.dual_track.critical_path;
        let last_site = path[0].split(':').next().unwrap();
        assert!(["LUH-NORTH", "LUH-CANCER"].contains(&last_site), "{path:?}");
        assert_eq!(
            path.iter()
                .map(|i| i.strip_prefix(&format!("{last_site}:")).unwrap_or(i))
                .collect::<Vec<_>>(),
            ["quality", "workflows", "staff_training", "mock_shipment"],
            "{}",
            db.label
        );

        // Recording LUH-NORTH's mock shipment takes its last 10 days off its chain.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        app.record_deliverable(
            &onboarding,
            &ids.partnership,
            cellpath_app::contracting::DeliverableInput {
                site_id: ids.north.clone(),
                program_id: ids.vantacel.clone(),
                deliverable: "mock_shipment".into(),
                done_on: today.as_str().into(),
                evidence: "Mock shipment received and stored.".into(),
            },
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await
        .unwrap();
        let again = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        let north = site_of(&again, "LUH-NORTH");
        assert_eq!(north.done, 4);
        assert_eq!(
            north.prediction.as_ref().unwrap().planned,
            today.plus_days(99).as_str(),
            "{}",
            db.label
        );
        // The same state gives the same dates.
        let third = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&third).unwrap(),
            serde_json::to_value(&again).unwrap()
        );

        // Bad input: a day before the partnership's record starts, another maker's program.
        let err = app
            .live_plan(
                &pharmacist,
                &ids.partnership,
                &ids.vantacel,
                cellpath_domain::Date::parse("2020-01-01").unwrap(),
            )
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("today: 2020-01-01 is before"),
            "{err}"
        );
        let corvigen = app
            .store
            .programs_of(
                &org_id(&app, "Northbridge Gene Medicines").await,
                Page::all(),
            )
            .await
            .unwrap()
            .remove(0)
            .id;
        let err = app
            .live_plan(&pharmacist, &ids.partnership, &corvigen, today.clone())
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    }
}

#[tokio::test]
async fn the_onboarding_pipeline_shows_every_site_of_every_partnership_to_its_own_side() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today(&app))
            .await
            .unwrap();
        let rows: Vec<(&str, &str, &str)> = pipeline
            .rows
            .iter()
            .map(|r| (r.partner.as_str(), r.site.site_code.as_str(), r.site.status))
            .collect();
        for expected in [
            ("Lakeshore University Health", "LUH-MAIN", "authorized"),
            ("Lakeshore University Health", "LUH-NORTH", "onboarding"),
            ("Lakeshore University Health", "LUH-CANCER", "onboarding"),
        ] {
            assert!(
                rows.contains(&expected),
                "{}: {expected:?} in {rows:?}",
                db.label
            );
        }
        // Onboarding sites before authorized ones within a partnership.
        let main_at = rows.iter().position(|r| r.1 == "LUH-MAIN").unwrap();
        let north_at = rows.iter().position(|r| r.1 == "LUH-NORTH").unwrap();
        assert!(north_at < main_at, "{rows:?}");
        assert!(
            pipeline.rows.iter().all(|r| r.program_name == "Vantacel"),
            "only Helixa's own program"
        );
        assert!(
            pipeline
                .rows
                .iter()
                .filter(|r| r.site.status != "authorized")
                .all(|r| r.site.prediction.is_some() && !r.site.blockers.is_empty())
        );

        // The health system sees both manufacturers' partnerships; nobody sees another's.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let theirs = app
            .onboarding_pipeline(&nurse, &lakeshore, today(&app))
            .await
            .unwrap();
        let programs: std::collections::BTreeSet<&str> = theirs
            .rows
            .iter()
            .map(|r| r.program_name.as_str())
            .collect();
        assert_eq!(
            programs.into_iter().collect::<Vec<_>>(),
            ["Corvigen", "Vantacel"],
            "{}",
            db.label
        );
        let err = app
            .onboarding_pipeline(&nurse, &helixa, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");

        // After the agreements lapse (2030-05-31) and the review, LUH-MAIN shows suspended
        // with the expiry among what blocks it, and a prediction again.
        let lapsed = cellpath_domain::Date::parse("2030-06-01").unwrap();
        app.review_all_authorizations(lapsed.clone()).await.unwrap();
        let later = app
            .onboarding_pipeline(&lead, &helixa, lapsed.clone())
            .await
            .unwrap();
        let main = later
            .rows
            .iter()
            .find(|r| r.site.site_code == "LUH-MAIN")
            .unwrap();
        assert_eq!(main.site.status, "suspended", "{}", db.label);
        assert_eq!(main.site.since.as_deref(), Some("2030-06-01"));
        assert!(
            main.site
                .blockers
                .iter()
                .any(|b| b.text == "Master service agreement: expired on 2030-05-31"),
            "{:?}",
            main.site.blockers
        );
        let p = main.site.prediction.as_ref().unwrap();
        assert!(p.planned.as_str() >= "2030-06-01", "{p:?}");
    }
}

/// The demo as the `demo` command seeds it, 200 days after `START` (its record begun
/// `HISTORY_DAYS` before), on a clock at that moment.
async fn history_app(db: &TestDb) -> (App, ManualClock, i64) {
    let now = START + 200 * 86_400 * 1_000_000;
    cellpath_app::demo::seed_with_history(db.store().await, now)
        .await
        .unwrap();
    let clock = ManualClock::starting_at(now);
    let app = App::new(db.store().await, Arc::new(clock.clone()));
    (app, clock, now)
}

/// The `demo` command seeds a record that began `HISTORY_DAYS` ago: the pipeline then shows
/// how long each site has been onboarding and since when LUH-MAIN is authorized.
#[tokio::test]
async fn the_demo_for_people_has_a_history_to_show() {
    for db in TestDb::all().await {
        let (app, _, now) = history_app(&db).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today(&app))
            .await
            .unwrap();
        let site = |code: &str| {
            pipeline
                .rows
                .iter()
                .find(|r| r.site.site_code == code)
                .unwrap()
                .site
                .clone()
        };
        let began =
            cellpath_domain::Date::of_micros(now).plus_days(-cellpath_app::demo::HISTORY_DAYS);
        let north = site("LUH-NORTH");
        assert_eq!(
            north.days_in_onboarding,
            cellpath_app::demo::HISTORY_DAYS,
            "{}",
            db.label
        );
        assert_eq!(north.started_on, began.as_str());
        let main = site("LUH-MAIN");
        assert_eq!(main.since.as_deref(), Some(began.as_str()), "{}", db.label);
        // The ledgers verify across the seeded past and the present.
        let reports = app.verify_all(&Caller::system("test")).await.unwrap();
        assert!(reports.iter().all(VerifyReport::is_intact));
    }
}

/// Move the clock to noon UTC of `day` (forward only) and return that day.
fn move_to(app: &App, clock: &ManualClock, day: &str) -> cellpath_domain::Date {
    let d = cellpath_domain::Date::parse(day).unwrap();
    let target = d.days_since_epoch() * 86_400_000_000 + 43_200_000_000;
    clock.advance_secs((target - app.now()) / 1_000_000);
    assert_eq!(today(app), d);
    d
}

/// (agreement kind, expires_on, days_before, days_left, sent_on) of every recorded reminder.
async fn reminders(app: &App, partnership: &str) -> Vec<(String, String, i64, i64, String)> {
    let mut out: Vec<_> = app
        .store
        .expiry_reminders_of(partnership)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.agreement_kind,
                r.expires_on,
                r.days_before,
                r.days_left,
                r.sent_on,
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn expiry_reminders_are_recorded_once_per_threshold_before_the_demo_agreements_lapse() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let executed = [
            "data_protection",
            "master_service_agreement",
            "quality_agreement",
            "supply_agreement",
            "terms_and_conditions",
        ];
        let expect =
            |before: i64, left: i64, on: &str| -> Vec<(String, String, i64, i64, String)> {
                executed
                    .iter()
                    .map(|k| (k.to_string(), "2030-05-31".into(), before, left, on.into()))
                    .collect()
            };
        // Nothing is due years ahead.
        let day = move_to(&app, &clock, "2026-11-25");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        // 90 days before 2030-05-31: one reminder for each executed agreement, and only once.
        let day = move_to(&app, &clock, "2030-03-02");
        assert_eq!(
            app.send_expiry_reminders(day.clone()).await.unwrap(),
            5,
            "{}",
            db.label
        );
        assert_eq!(
            app.send_expiry_reminders(day).await.unwrap(),
            0,
            "{}",
            db.label
        );
        assert_eq!(
            reminders(&app, &ids.partnership).await,
            expect(90, 90, "2030-03-02")
        );
        let day = move_to(&app, &clock, "2030-04-15");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day.clone()).await.unwrap(), 5);
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);

        // The server was down over the 7-day mark: on 2030-05-30 the 7-day reminder only.
        let day = move_to(&app, &clock, "2030-05-30");
        assert_eq!(app.send_expiry_reminders(day.clone()).await.unwrap(), 5);
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0);
        let all = reminders(&app, &ids.partnership).await;
        assert_eq!(all.len(), 15, "{all:?}");
        let last: Vec<_> = all
            .iter()
            .filter(|r| r.4 == "2030-05-30")
            .cloned()
            .collect();
        assert_eq!(last, expect(7, 1, "2030-05-30"));
        // On and after the expiry day: nothing (the gate speaks then).
        for d in ["2030-05-31", "2030-06-01"] {
            let day = move_to(&app, &clock, d);
            assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 0, "{d}");
        }

        // Each reminder is an event on the partnership's ledger, and replays to the same rows.
        let events = app
            .store
            .events(&ids.partnership, 0, 100_000)
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == "expiry_reminder.created")
                .count(),
            15
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_renewed_agreement_gets_fresh_reminders_and_a_withdrawn_one_none() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@lakeshore.example").await;
        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 5);

        let agreements = app.agreements(&contracts, &ids.partnership).await.unwrap();
        let of = |kind: &str| agreements.iter().find(|a| a.kind == kind).unwrap().clone();
        let msa = of("master_service_agreement");
        app.set_agreement_dates(
            &contracts,
            &msa.id,
            msa.version,
            "2025-06-01",
            "2032-05-31",
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let tc = of("terms_and_conditions");
        app.move_agreement(&contracts, &tc.id, tc.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();

        // The 7-day mark: the three still lapsing on 2030-05-31, not the renewed one, not the
        // withdrawn one.
        let day = move_to(&app, &clock, "2030-05-24");
        assert_eq!(
            app.send_expiry_reminders(day).await.unwrap(),
            3,
            "{}",
            db.label
        );
        // The renewed date gets its own reminders from the start.
        let day = move_to(&app, &clock, "2032-03-02");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 1);
        let msa_reminders: Vec<(String, i64)> = app
            .store
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.agreement_id == msa.id)
            .map(|r| (r.expires_on, r.days_before))
            .collect();
        assert_eq!(
            msa_reminders,
            [
                ("2032-05-31".to_string(), 90),
                ("2030-05-31".to_string(), 30)
            ],
            "newest first"
        );
        let tc_reminders = app
            .store
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.agreement_id == tc.id)
            .count();
        assert_eq!(
            tc_reminders, 1,
            "only the one given before it was withdrawn"
        );
    }
}

#[tokio::test]
async fn a_reminder_is_recorded_once_even_when_two_jobs_race() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let day = move_to(&app, &clock, "2030-03-02");
        let (a, b) = tokio::join!(
            app.send_expiry_reminders(day.clone()),
            app.send_expiry_reminders(day.clone())
        );
        assert_eq!(a.unwrap() + b.unwrap(), 5, "{}", db.label);
        assert_eq!(reminders(&app, &ids.partnership).await.len(), 5);
        // The unique index itself refuses a second record of the same reminder.
        let r = app
            .store
            .expiry_reminders_of(&ids.partnership)
            .await
            .unwrap()
            .remove(0);
        let again = cellpath_store::Append::new(
            ids.partnership.clone(),
            "system:test",
            "expiry_reminder.created",
            serde_json::json!({ "id": "rem_again", "new": {
                "partnership_id": r.partnership_id, "agreement_id": r.agreement_id,
                "agreement_kind": r.agreement_kind, "expires_on": r.expires_on,
                "days_before": r.days_before, "days_left": r.days_left, "sent_on": r.sent_on,
            }}),
            app.now(),
        );
        let err = app.store.append(again).await.unwrap_err();
        assert!(
            matches!(AppError::from(err), AppError::Duplicate { .. }),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn both_sides_of_a_partnership_see_its_notices_and_no_one_else_does() {
    use cellpath_app::notices::NoticeKind;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let mfr = as_user(&app, "quality@helixa.example").await;
        let hs = as_user(&app, "nurse@lakeshore.example").await;
        let stranger = as_user(&app, "admin@piedmont.example").await;

        let day = move_to(&app, &clock, "2030-05-01");
        assert_eq!(app.send_expiry_reminders(day).await.unwrap(), 5);
        let seen_by_mfr = app.notices(&mfr, &helixa, Page::all()).await.unwrap();
        let seen_by_hs = app.notices(&hs, &lakeshore, Page::all()).await.unwrap();
        let ids_of = |n: &[cellpath_app::notices::Notice]| {
            n.iter().map(|x| x.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            seen_by_mfr.len(),
            6,
            "{}: five reminders and LUH-MAIN's authorization",
            db.label
        );
        assert_eq!(
            ids_of(&seen_by_mfr),
            ids_of(&seen_by_hs),
            "the same notices, in the same order"
        );
        // Newest first: the reminders, then the authorization the demo recorded.
        assert!(
            seen_by_mfr[..5]
                .iter()
                .all(|n| n.kind == NoticeKind::ExpiryReminder)
        );
        assert_eq!(seen_by_mfr[5].kind, NoticeKind::SiteAuthorized);
        assert!(
            seen_by_mfr[5]
                .text
                .contains("is an authorized treatment center for Vantacel since"),
            "{}",
            seen_by_mfr[5].text
        );
        let msa = |list: &[cellpath_app::notices::Notice]| {
            list.iter()
                .find(|n| n.agreement_kind.as_deref() == Some("master_service_agreement"))
                .unwrap()
                .text
                .clone()
        };
        assert_eq!(
            msa(&seen_by_mfr),
            "Master service agreement with Lakeshore University Health expires on 2030-05-31 — 30 days left"
        );
        assert_eq!(
            msa(&seen_by_hs),
            "Master service agreement with Helixa Therapeutics expires on 2030-05-31 — 30 days left"
        );
        // A site's own agreement names the site.
        let quality = seen_by_hs
            .iter()
            .find(|n| n.agreement_kind.as_deref() == Some("quality_agreement"))
            .unwrap();
        assert_eq!(quality.site_id.as_deref(), Some(ids.main.as_str()));
        assert_eq!(
            quality.text,
            "Quality agreement for Lakeshore University Hospital with Helixa Therapeutics expires on 2030-05-31 — 30 days left"
        );
        // Another tenant: nothing of theirs, and not another organization's notices.
        assert!(
            app.notices(&stranger, &piedmont, Page::all())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            app.notices(&stranger, &lakeshore, Page::all()).await,
            Err(AppError::NotFound(_))
        ));

        // Paged: two pages of three are the whole list.
        let first = app
            .notices(
                &hs,
                &lakeshore,
                Page {
                    limit: 3,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        let second = app
            .notices(
                &hs,
                &lakeshore,
                Page {
                    limit: 3,
                    offset: 3,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            [ids_of(&first), ids_of(&second)].concat(),
            ids_of(&seen_by_hs)
        );

        // The agreements lapse; the next day's job suspends LUH-MAIN, and both sides are told.
        let day = move_to(&app, &clock, "2030-06-01");
        assert!(app.review_all_authorizations(day).await.unwrap() >= 1);
        for (caller, org) in [(&mfr, &helixa), (&hs, &lakeshore)] {
            let list = app.notices(caller, org, Page::first(1)).await.unwrap();
            let n = &list[0];
            assert_eq!(n.kind, NoticeKind::SiteSuspended, "{}: {n:?}", db.label);
            assert_eq!(n.site_id.as_deref(), Some(ids.main.as_str()));
            assert_eq!(n.program_id.as_deref(), Some(ids.vantacel.as_str()));
            assert_eq!(n.on, "2030-06-01");
            assert!(
                n.missing
                    .iter()
                    .any(|m| m == "Master service agreement: expired on 2030-05-31"),
                "{:?}",
                n.missing
            );
            assert!(n.text.contains("Lakeshore University Hospital is suspended for Vantacel since 2030-06-01. Missing: Master service agreement: expired on 2030-05-31"), "{}", n.text);
        }
        assert!(
            app.notices(&stranger, &piedmont, Page::all())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_withdrawal_and_a_new_agreement_show_as_suspension_then_reinstatement_to_both_sides() {
    use cellpath_app::contracting::AgreementInput;
    use cellpath_app::notices::NoticeKind;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let mfr = as_user(&app, "contracts@helixa.example").await;
        let hs = as_user(&app, "contracts@lakeshore.example").await;
        let newest = |caller: Caller, org: String| {
            let app = app.clone();
            async move {
                app.notices(&caller, &org, Page::first(1))
                    .await
                    .unwrap()
                    .remove(0)
            }
        };

        let msa = app
            .agreements(&hs, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "master_service_agreement")
            .unwrap();
        app.move_agreement(&hs, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The withdrawal itself records the suspension: nothing is left for a review.
        let changes = app
            .review_authorizations(&mfr, &ids.partnership, today(&app))
            .await
            .unwrap();
        assert!(changes.is_empty(), "{}: {changes:?}", db.label);
        for (caller, org) in [(&mfr, &helixa), (&hs, &lakeshore)] {
            let n = newest(caller.clone(), org.clone()).await;
            assert_eq!(n.kind, NoticeKind::SiteSuspended, "{}: {n:?}", db.label);
            assert_eq!(n.missing, ["Master service agreement: withdrawn"]);
            assert_eq!(
                n.text,
                format!(
                    "Lakeshore University Hospital is suspended for Vantacel since {}. Missing: Master service agreement: withdrawn",
                    today(&app)
                )
            );
        }

        // A new master service agreement, executed: the next review reinstates the site.
        let new = app
            .create_agreement(
                &mfr,
                &ids.partnership,
                AgreementInput {
                    kind: "master_service_agreement".into(),
                    scope: "health_system".into(),
                    site_id: None,
                    coverage: None,
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let new = app
            .set_agreement_dates(&hs, &new.id, new.version, "2025-11-01", "2031-10-31", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.move_agreement(&hs, &new.id, new.version, "executed", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // Executing it reinstates the site at once.
        let seen_by_mfr = app.notices(&mfr, &helixa, Page::all()).await.unwrap();
        let seen_by_hs = app.notices(&hs, &lakeshore, Page::all()).await.unwrap();
        // Authorization notices name no side: both read the very same ones.
        let plain = |list: &[cellpath_app::notices::Notice]| {
            list.iter()
                .map(|n| (n.id.clone(), n.kind, n.on.clone(), n.text.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(plain(&seen_by_mfr), plain(&seen_by_hs));
        let n = &seen_by_hs[0];
        assert_eq!(n.kind, NoticeKind::SiteReinstated, "{}: {n:?}", db.label);
        assert!(n.missing.is_empty());
        assert_eq!(
            n.text,
            format!(
                "Lakeshore University Hospital is reinstated for Vantacel since {}",
                today(&app)
            )
        );
        // Each verdict the ledger recorded stays a notice: the suspension is not lost once
        // reinstated, and each has its own id (the event that recorded it).
        let kinds: Vec<NoticeKind> = seen_by_hs.iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            [
                NoticeKind::SiteReinstated,
                NoticeKind::SiteSuspended,
                NoticeKind::SiteAuthorized
            ],
            "{}: {seen_by_hs:?}",
            db.label
        );
        assert_eq!(
            seen_by_hs[1].missing,
            ["Master service agreement: withdrawn"],
            "{}",
            db.label
        );
        let ids: std::collections::BTreeSet<&str> =
            seen_by_hs.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.len(), 3);
    }
}

/// The live plan counts as done exactly what the gate no longer lists, and nothing after today.
mod plan_agrees_with_the_gate {
    use super::*;
    use cellpath_app::contracting::{AgreementInput, DeliverableInput};
    use cellpath_domain::contracting::Coverage;

    #[allow(clippy::too_many_arguments)]
    async fn executed(
        app: &App,
        who: &Caller,
        pid: &str,
        kind: &str,
        scope: &str,
        site: Option<String>,
        coverage: Option<Coverage>,
        effective: &str,
    ) -> cellpath_store::Agreement {
        let a = app
            .create_agreement(
                who,
                pid,
                AgreementInput {
                    kind: kind.into(),
                    scope: scope.into(),
                    site_id: site,
                    coverage,
                    owner_manufacturer: None,
                    owner_health_system: None,
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let a = app
            .set_agreement_dates(who, &a.id, a.version, effective, "", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        app.move_agreement(who, &a.id, a.version, "executed", None)
            .await
            .unwrap()
            .fresh()
            .unwrap()
    }

    /// The demo's master service agreement withdrawn and a new one executed (effective as the
    /// old one) that names only `sites`.
    async fn replace_msa(app: &App, contracts: &Caller, ids: &GateIds, sites: Vec<String>) {
        let msa = app
            .agreements(contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "master_service_agreement")
            .unwrap();
        app.move_agreement(contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap();
        executed(
            app,
            contracts,
            &ids.partnership,
            "master_service_agreement",
            "health_system",
            None,
            Some(Coverage::Named(sites)),
            "2025-06-01",
        )
        .await;
    }

    /// A central agreement that leaves a site out holds back only that site, which waits for
    /// a joinder; the sites it covers keep the day they had.
    #[tokio::test]
    async fn a_site_left_out_of_a_central_agreement_waits_for_a_joinder_and_no_other_does() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let plan_now = || async {
                app.live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                    .await
                    .unwrap()
            };
            let before = plan_now().await;
            let north_before = site_of(&before, "LUH-NORTH").prediction.clone().unwrap();
            replace_msa(
                &app,
                &contracts,
                &ids,
                vec![ids.main.clone(), ids.north.clone()],
            )
            .await;
            let plan = plan_now().await;
            let north = site_of(&plan, "LUH-NORTH").prediction.clone().unwrap();
            assert_eq!(
                north.planned, north_before.planned,
                "{}: LUH-NORTH is covered; the MSA does not hold it back",
                db.label
            );
            assert!(
                plan.done.iter().any(|d| d.instance == "msa"),
                "{:?}",
                plan.done
            );
            let cancer = site_of(&plan, "LUH-CANCER");
            assert!(
                cancer.blockers.iter().any(|b| b.text
                    == "Master service agreement: does not cover this site (add it by joinder)"),
                "{:?}",
                cancer.blockers
            );
            let instances = &plan.report.dual_track.deterministic.instances;
            let joinder = |site: &str| {
                instances
                    .iter()
                    .find(|i| i.name == format!("{site}:msa-joinder"))
                    .unwrap_or_else(|| panic!("{site}'s joinder in {instances:?}"))
            };
            assert!(
                !joinder("LUH-CANCER").fixed,
                "LUH-CANCER waits for its joinder"
            );
            assert!(joinder("LUH-CANCER").start >= plan.today_day as f64);
            assert!(joinder("LUH-NORTH").fixed && joinder("LUH-MAIN").fixed);
            assert_eq!(plan.labels["msa-joinder"], "MSA joinder");
            assert!(
                !plan.done.iter().any(|d| d.key == "msa-joinder"),
                "a covered site's joinder is not listed as work done"
            );
        }
    }

    /// A health-system MSA that names only LUH-MAIN does not bind LUH-NORTH: the gate says so,
    /// and the live plan must not count it as done for LUH-NORTH.
    #[tokio::test]
    async fn a_central_agreement_counts_only_for_the_sites_it_covers() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            replace_msa(&app, &contracts, &ids, vec![ids.main.clone()]).await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north = site_of(&plan, "LUH-NORTH");
            assert!(
                north
                    .blockers
                    .iter()
                    .any(|b| b.text.starts_with("Master service agreement:")),
                "{:?}",
                north.blockers
            );
            assert_eq!(
                north.done, 2,
                "terms and data protection only; the MSA does not cover LUH-NORTH"
            );
        }
    }

    /// A quality agreement counts at either scope: an executed health-system quality agreement
    /// covering every site satisfies the gate for LUH-NORTH, though North's own is still being
    /// negotiated — and the plan counts it as done there, as the gate does.
    #[tokio::test]
    async fn the_plan_counts_a_central_quality_agreement_where_the_gate_does() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let before = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north_before = site_of(&before, "LUH-NORTH");
            assert!(
                north_before
                    .blockers
                    .iter()
                    .any(|b| b.text == "Quality agreement: not executed (negotiating)"),
                "{:?}",
                north_before.blockers
            );
            executed(
                &app,
                &contracts,
                &ids.partnership,
                "quality_agreement",
                "health_system",
                None,
                None,
                "2025-06-01",
            )
            .await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north = site_of(&plan, "LUH-NORTH");
            assert!(
                !north
                    .blockers
                    .iter()
                    .any(|b| b.text.starts_with("Quality agreement")),
                "{}: the central quality agreement covers LUH-NORTH: {:?}",
                db.label,
                north.blockers
            );
            assert_eq!(north.done, north_before.done + 1, "{}", db.label);
            let done: Vec<&str> = plan.done.iter().map(|d| d.instance.as_str()).collect();
            assert!(
                done.contains(&"LUH-NORTH:quality"),
                "done per the gate, so done per the plan: {done:?}"
            );
        }
    }

    /// An executed agreement that takes effect in 60 days is not in force (the gate says "not
    /// in effect until"): the live plan must not list it among the items done at real dates.
    #[tokio::test]
    async fn nothing_is_done_after_today() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let later = today(&app).plus_days(60);
            executed(
                &app,
                &contracts,
                &ids.partnership,
                "supply_agreement",
                "site",
                Some(ids.north.clone()),
                None,
                later.as_str(),
            )
            .await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let future: Vec<_> = plan
                .done
                .iter()
                .filter(|d| d.on.as_str() > plan.today.as_str())
                .collect();
            assert!(future.is_empty(), "done in the future: {future:?}");
        }
    }

    /// A deliverable "done" on a day that has not come yet is refused (it would satisfy the
    /// gate today and push the live plan's prediction to that day).
    #[tokio::test]
    async fn a_deliverable_cannot_be_done_in_the_future() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let onboarding = as_user(&app, "onboarding@helixa.example").await;
            let res = app
                .record_deliverable(
                    &onboarding,
                    &ids.partnership,
                    DeliverableInput {
                        site_id: ids.north.clone(),
                        program_id: ids.vantacel.clone(),
                        deliverable: "staff_training".into(),
                        done_on: "2199-12-31".into(),
                        evidence: "Typo in the year.".into(),
                    },
                    cellpath_app::demo::DEMO_PASSWORD,
                    None,
                )
                .await;
            match res {
                Err(AppError::Invalid(fields)) => {
                    assert_eq!(fields[0].field, "done_on", "{}", db.label);
                    assert!(fields[0].message.contains("after today"), "{:?}", fields);
                }
                other => panic!(
                    "{}: a deliverable done in the future was not refused: {other:?}",
                    db.label
                ),
            }
        }
    }
}

#[tokio::test]
async fn the_pipeline_on_a_day_before_a_partnership_started_leaves_that_partnership_out() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let on = cellpath_domain::Date::parse("2025-07-01").unwrap();
        let pipeline = app.onboarding_pipeline(&lead, &helixa, on).await.unwrap();
        assert!(
            pipeline.rows.is_empty(),
            "{}: {:?}",
            db.label,
            pipeline.rows
        );
    }
}

/// A partnership is for named programs of the manufacturer (kept as ids); its gate, plans and
/// pipeline rows cover those programs only.
#[tokio::test]
async fn a_partnership_is_for_the_programs_it_names_and_onboards_only_those() {
    use cellpath_app::records::partnerships::PartnershipInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let input = |programs: &[&str]| PartnershipInput {
            health_system_id: piedmont.clone(),
            name: format!("Helixa × Piedmont {}", programs.len()),
            programs: programs.iter().map(|p| p.to_string()).collect(),
            manufacturer_id: None,
        };
        // Another maker's program, or none by that name: refused on the field.
        for wrong in ["Corvigen", "Vantacel XR"] {
            match app.create_partnership(&lead, input(&[wrong]), None).await {
                Err(AppError::Invalid(f)) => {
                    assert_eq!(f[0].field, "programs", "{}", db.label);
                    assert!(f[0].message.contains(wrong), "{:?}", f);
                }
                other => panic!("{}: {wrong} accepted: {other:?}", db.label),
            }
        }
        // By name, kept as the id.
        let p = app
            .create_partnership(&lead, input(&["Vantacel"]), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            p.programs,
            std::slice::from_ref(&ids.vantacel),
            "{}",
            db.label
        );
        // None named: nothing to judge or plan.
        let none = app
            .create_partnership(&lead, input(&[]), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let pied_site = app
            .store
            .sites_of(&piedmont, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let err = app
            .gate(&lead, &none.id, &pied_site, &ids.vantacel, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        // (partnership, program) of each row of Helixa's pipeline.
        let pipeline = || async {
            app.onboarding_pipeline(&lead, &helixa, today(&app))
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| (r.partnership_id, r.program_id))
                .collect::<Vec<_>>()
        };
        // A proposal shows nothing of Piedmont's sites: not in the pipeline.
        assert!(
            !pipeline().await.iter().any(|(pid, _)| *pid == p.id),
            "{}",
            db.label
        );
        // Accepted, both are active: the one for Vantacel onboards its sites, the other none.
        let accepter = as_user(&app, "contracts@piedmont.example").await;
        for q in [&p, &none] {
            set_status(&app, &accepter, &q.id, "active").await;
        }
        let rows = pipeline().await;
        assert!(!rows.iter().any(|(pid, _)| *pid == none.id), "{}", db.label);
        assert!(
            rows.contains(&(p.id.clone(), ids.vantacel.clone())),
            "{}",
            db.label
        );
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
        let stored = app.store.signatures_in(&lakeshore).await.unwrap();
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
            .store
            .partnerships_of(&lakeshore, Page::all())
            .await
            .unwrap()
        {
            seeded.extend(app.store.signatures_in(&p.id).await.unwrap());
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
async fn the_last_admin_of_an_organization_stays_one() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let name = demo_user(&app, "admin@lakeshore.example").await.name;
        let patch =
            |role: Option<&str>, active: Option<bool>| cellpath_app::records::users::UserPatch {
                role: role.map(str::to_string),
                active,
                ..Default::default()
            };
        let refusal = |field: &str, who: &str| {
            vec![cellpath_app::FieldError {
                field: field.into(),
                message: format!(
                    "{who} is the last active admin of Lakeshore University Health: make another user admin first"
                ),
            }]
        };
        // Not by themselves, nor by the operator; neither demoted nor deactivated.
        let op = Caller::system("test");
        for (by, p, field) in [
            (&admin, patch(Some("nurse"), None), "role"),
            (&admin, patch(None, Some(false)), "active"),
            (&op, patch(Some("nurse"), None), "role"),
            (&op, patch(None, Some(false)), "active"),
        ] {
            match patch_user(&app, by, "admin@lakeshore.example", p).await {
                Err(AppError::Invalid(f)) => assert_eq!(f, refusal(field, &name)),
                other => panic!("expected the last-admin refusal, got {other:?}"),
            }
        }
        // Once another user is admin, the first may step down.
        patch_user(
            &app,
            &admin,
            "nurse@lakeshore.example",
            patch(Some("admin"), None),
        )
        .await
        .unwrap();
        let stepped_down = patch_user(
            &app,
            &admin,
            "admin@lakeshore.example",
            patch(Some("nurse"), None),
        )
        .await
        .unwrap();
        assert_eq!(stepped_down.role, "nurse");
        // And now the nurse made admin is the last one.
        let new_admin = as_user(&app, "nurse@lakeshore.example").await;
        let nurse_name = demo_user(&app, "nurse@lakeshore.example").await.name;
        match patch_user(
            &app,
            &new_admin,
            "nurse@lakeshore.example",
            patch(Some("pharmacy"), None),
        )
        .await
        {
            Err(AppError::Invalid(f)) => assert_eq!(f, refusal("role", &nurse_name)),
            other => panic!("expected the last-admin refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn two_admins_stepping_down_at_once_leave_one() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let patch = |role: &str| cellpath_app::records::users::UserPatch {
            role: Some(role.into()),
            ..Default::default()
        };
        patch_user(&app, &admin, "nurse@lakeshore.example", patch("admin"))
            .await
            .unwrap();
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        // Each demotes the other at the same moment: both pass the early check, and the
        // check inside the write lets exactly one through.
        let (a, b) = tokio::join!(
            patch_user(&app, &admin, "nurse@lakeshore.example", patch("nurse")),
            patch_user(&app, &nurse, "admin@lakeshore.example", patch("nurse")),
        );
        let refused: Vec<AppError> = [a, b].into_iter().filter_map(Result::err).collect();
        assert_eq!(refused.len(), 1, "{refused:?} ({})", db.label);
        assert!(
            refused[0]
                .to_string()
                .contains("is the last active admin of Lakeshore University Health"),
            "{}",
            refused[0]
        );
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        assert_eq!(app.store.active_admins_of(&lakeshore).await.unwrap(), 1);
    }
}

/// The error's kind, for asserting outcomes: "ok", "not found", "forbidden", "invalid: FIELD".
fn outcome<T>(r: Result<T, AppError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(AppError::NotFound(_)) => "not found".into(),
        Err(AppError::Forbidden(_)) => "forbidden".into(),
        Err(AppError::Invalid(f)) => format!("invalid: {}", f[0].field),
        Err(e) => format!("{e}"),
    }
}

/// DESIGN.md §2: a proposal shows the manufacturer the health system's name and the programs
/// proposed, nothing of its sites, facilities or the work at them, and takes no writes; an
/// active partnership opens them; an ended one is read only, as it stood when it ended — a
/// site or facility the health system adds later is not seen through it. With a second
/// partnership the most opening one counts.
#[tokio::test]
async fn a_partnership_opens_the_health_systems_records_by_its_status() {
    use cellpath_app::contracting::{AgreementInput, DeliverableInput};
    use cellpath_app::records::facilities::FacilityInput;
    use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let hs_admin = as_user(&app, "admin@piedmont.example").await;
        let hs_contracts = as_user(&app, "contracts@piedmont.example").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let vantacel = app
            .store
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let site = app
            .store
            .sites_of(&piedmont, Page::all())
            .await
            .unwrap()
            .remove(0);
        let facility = app
            .store
            .facilities_of_site(&site.id)
            .await
            .unwrap()
            .remove(0);
        let propose = |name: &str| PartnershipInput {
            health_system_id: piedmont.clone(),
            name: name.into(),
            programs: vec!["Vantacel".into()],
            manufacturer_id: None,
        };
        let p = app
            .create_partnership(&lead, propose("Helixa × Piedmont"), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let today = || today(&app);
        let agreement = |site_id: &str| AgreementInput {
            kind: "supply_agreement".into(),
            scope: "site".into(),
            site_id: Some(site_id.into()),
            coverage: None,
            owner_manufacturer: None,
            owner_health_system: None,
        };
        let deliverable = |site_id: &str| DeliverableInput {
            site_id: site_id.into(),
            program_id: vantacel.clone(),
            deliverable: "staff_training".into(),
            done_on: today().as_str().into(),
            evidence: "Trained.".into(),
        };
        // Everything the manufacturer might read of the health system through `p`, and the
        // writes into it, each with its outcome.
        let reads = |site_id: String| {
            let (app, lead, p, vantacel, piedmont) = (
                app.clone(),
                lead.clone(),
                p.id.clone(),
                vantacel.clone(),
                piedmont.clone(),
            );
            async move {
                let day = cellpath_domain::Date::of_micros(app.now());
                vec![
                    ("site", outcome(app.site(&lead, &site_id).await)),
                    (
                        "sites",
                        outcome(app.sites(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "facilities",
                        outcome(app.facilities(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "users",
                        outcome(app.users(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "partnership sites",
                        outcome(app.partnership_sites(&lead, &p).await),
                    ),
                    (
                        "gate",
                        outcome(app.gate(&lead, &p, &site_id, &vantacel, day.clone()).await),
                    ),
                    ("gates", outcome(app.gates(&lead, &p, day.clone()).await)),
                    (
                        "readiness",
                        outcome(app.readiness(&lead, &p, &site_id, &vantacel).await),
                    ),
                    (
                        "visits",
                        outcome(app.site_visits(&lead, &p, &site_id).await),
                    ),
                    ("site maps", outcome(app.site_maps(&lead, &p).await)),
                    ("agreements", outcome(app.agreements(&lead, &p).await)),
                    (
                        "live plan",
                        outcome(app.live_plan(&lead, &p, &vantacel, day).await),
                    ),
                ]
            }
        };
        let all = |o: &str| {
            [
                "site",
                "sites",
                "facilities",
                "users",
                "partnership sites",
                "gate",
                "gates",
                "readiness",
                "visits",
                "site maps",
                "agreements",
                "live plan",
            ]
            .into_iter()
            .map(|k| (k, o.to_string()))
            .collect::<Vec<_>>()
        };

        // Proposed: the name and the programs only.
        assert_eq!(outcome(app.organization(&lead, &piedmont).await), "ok");
        assert_eq!(
            app.partnership_programs(&lead, &p.id).await.unwrap()[0].id,
            vantacel
        );
        assert_eq!(
            reads(site.id.clone()).await,
            all("not found"),
            "{}",
            db.label
        );
        assert_eq!(
            outcome(app.facility(&lead, &facility.id).await),
            "not found"
        );
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today())
            .await
            .unwrap();
        assert!(!pipeline.rows.iter().any(|r| r.partnership_id == p.id));
        let writes = |site_id: String| {
            let (app, lead, p) = (app.clone(), lead.clone(), p.id.clone());
            let (agreement, deliverable) = (agreement(&site_id), deliverable(&site_id));
            let vantacel = vantacel.clone();
            async move {
                vec![
                    outcome(app.create_agreement(&lead, &p, agreement, None).await),
                    outcome(
                        app.record_deliverable(&lead, &p, deliverable, pw, None)
                            .await,
                    ),
                    outcome(app.analyze_gaps(&lead, &p, &site_id, &vantacel).await),
                ]
            }
        };
        assert_eq!(
            writes(site.id.clone()).await,
            ["not found"; 3],
            "{}",
            db.label
        );
        // Nothing is signed on a proposal, and it is not changed but by accepting or ending.
        let head = app.store.ledger_head(&p.id).await.unwrap().unwrap();
        let sign = app
            .sign(
                &lead,
                &p.id,
                Signed::Event {
                    event_hash: head.head_hash,
                },
                Meaning::Reviewed,
                pw,
                None,
            )
            .await;
        assert_eq!(outcome(sign), "forbidden");
        let rename = app
            .update_partnership(
                &lead,
                &p.id,
                p.version,
                PartnershipPatch {
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert_eq!(outcome(rename), "invalid: name");

        // Active: all of it opens, and takes the work.
        set_status(&app, &hs_contracts, &p.id, "active").await;
        assert_eq!(reads(site.id.clone()).await, all("ok"), "{}", db.label);
        assert_eq!(outcome(app.facility(&lead, &facility.id).await), "ok");
        assert_eq!(writes(site.id.clone()).await, ["ok"; 3], "{}", db.label);

        // Ended; later the health system adds a site and a facility serving both sites.
        clock.advance_secs(3600);
        set_status(&app, &lead, &p.id, "ended").await;
        clock.advance_secs(3600);
        let later = app
            .create_site(
                &hs_admin,
                &piedmont,
                SiteInput {
                    name: "Piedmont Later Clinic".into(),
                    code: "PVH-LATER".into(),
                    city: "Charlotte".into(),
                    region: "NC".into(),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let later_lab = app
            .create_facility(
                &hs_admin,
                &piedmont,
                FacilityInput {
                    name: "Piedmont Later Lab".into(),
                    kind: "processing".into(),
                    site_ids: vec![site.id.clone(), later.id.clone()],
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // What existed at the end is read as it stood; nothing in it is written.
        assert_eq!(reads(site.id.clone()).await, all("ok"), "{}", db.label);
        assert_eq!(
            writes(site.id.clone()).await,
            ["forbidden"; 3],
            "{}",
            db.label
        );
        let rename = app
            .update_partnership(
                &lead,
                &p.id,
                p.version + 2,
                PartnershipPatch {
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert_eq!(outcome(rename), "forbidden");
        // What came after is not seen through it: not one by one, not in any list.
        let later_reads: Vec<(&str, String)> = reads(later.id.clone())
            .await
            .into_iter()
            .filter(|(k, _)| ["site", "gate", "readiness", "visits"].contains(k))
            .collect();
        assert_eq!(
            later_reads,
            [
                ("site", "not found".to_string()),
                ("gate", "not found".into()),
                ("readiness", "not found".into()),
                ("visits", "ok".into()),
            ],
            "{}",
            db.label
        );
        assert_eq!(
            outcome(app.facility(&lead, &later_lab.id).await),
            "not found"
        );
        let seen_sites: Vec<String> = app
            .sites(&lead, &piedmont, Page::all())
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert!(seen_sites.contains(&site.id) && !seen_sites.contains(&later.id));
        let opened = app.partnership_sites(&lead, &p.id).await.unwrap();
        assert!(!opened.iter().any(|s| s.id == later.id));
        assert!(
            !app.gates(&lead, &p.id, today())
                .await
                .unwrap()
                .iter()
                .any(|g| g.site_id == later.id)
        );
        assert!(
            !app.live_plan(&lead, &p.id, &vantacel, today())
                .await
                .unwrap()
                .sites
                .iter()
                .any(|s| s.site_id == later.id)
        );
        for list in [
            app.facilities(&lead, &piedmont, Page::all()).await.unwrap(),
            app.facilities_of_site(&lead, &site.id).await.unwrap(),
        ] {
            assert!(!list.iter().any(|f| f.id == later_lab.id), "{}", db.label);
        }
        // The health system itself sees its new site, but not through the ended partnership.
        assert_eq!(outcome(app.site(&hs_admin, &later.id).await), "ok");
        assert_eq!(
            outcome(
                app.gate(&hs_admin, &p.id, &later.id, &vantacel, today())
                    .await
            ),
            "not found"
        );

        // A new proposal besides the ended partnership: the ended one still opens what existed
        // then, the proposal nothing more; accepted, it opens the later site too.
        let again = app
            .create_partnership(&lead, propose("Helixa × Piedmont again"), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(outcome(app.site(&lead, &site.id).await), "ok");
        assert_eq!(outcome(app.site(&lead, &later.id).await), "not found");
        set_status(&app, &hs_contracts, &again.id, "active").await;
        assert_eq!(outcome(app.site(&lead, &later.id).await), "ok");
        assert_eq!(outcome(app.facility(&lead, &later_lab.id).await), "ok");
    }
}

/// Every organization listed to a user is one the user may read (DESIGN.md §2): its own, and
/// its partners' through a partnership of any status. A partnership is proposed by the caller's
/// own organization: naming another manufacturer, or a manufacturer as the health system, is
/// refused on the field with why.
#[tokio::test]
async fn organizations_listed_are_readable_and_a_partnership_names_the_right_sides() {
    use cellpath_app::records::partnerships::PartnershipInput;
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    // Helixa × Lakeshore ends; Helixa × Cascade is a proposal: both still listed and readable.
    let with_lakeshore = gate_ids(&app).await.partnership;
    set_status(&app, &Caller::system("test"), &with_lakeshore, "ended").await;
    for email in [
        "onboarding@helixa.example",
        "contracts@cascade.example",
        "admin@lakeshore.example",
        "admin@piedmont.example",
    ] {
        let me = as_user(&app, email).await;
        let listed = app.organizations(&me, Page::all()).await.unwrap();
        assert!(listed.len() >= 2, "{email}: {listed:?}");
        for o in listed {
            assert_eq!(
                outcome(app.organization(&me, &o.id).await),
                "ok",
                "{email} is listed {} but may not read it",
                o.name
            );
        }
    }
    let names = |c: &Caller| {
        let (app, c) = (app.clone(), c.clone());
        async move {
            app.organizations(&c, Page::all())
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.name)
                .collect::<Vec<_>>()
        }
    };
    let lead = as_user(&app, "onboarding@helixa.example").await;
    let seen = names(&lead).await;
    for n in ["Cascade Regional Medical", "Lakeshore University Health"] {
        assert!(seen.contains(&n.to_string()), "{seen:?}");
    }
    assert!(!seen.contains(&"Piedmont Valley Health".to_string()));

    let input = |health_system_id: &str, manufacturer_id: Option<&str>| PartnershipInput {
        health_system_id: health_system_id.into(),
        name: "Wrong sides".into(),
        programs: vec![],
        manufacturer_id: manufacturer_id.map(str::to_string),
    };
    match app
        .create_partnership(&lead, input(&cascade, Some(&northbridge)), None)
        .await
    {
        Err(AppError::Invalid(f)) => {
            assert_eq!(f[0].field, "manufacturer_id");
            assert!(f[0].message.contains("your own organization"), "{f:?}");
        }
        other => panic!("another manufacturer named: {other:?}"),
    }
    match app
        .create_partnership(&lead, input(&northbridge, None), None)
        .await
    {
        Err(AppError::Invalid(f)) => {
            assert_eq!(f[0].field, "health_system_id");
            assert!(f[0].message.contains("names a manufacturer"), "{f:?}");
        }
        other => panic!("a manufacturer as the health system: {other:?}"),
    }
    // Naming one's own organization is the same as leaving it out.
    let ok = app
        .create_partnership(&lead, input(&cascade, Some(&helixa)), None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(ok.manufacturer_id, helixa);
}

/// Newcomer points 5, 6 and 7 on the demo as `cellpath demo` seeds it (a record begun
/// `HISTORY_DAYS` ago): the pipeline's done counts agree with the gate, the authorized site's
/// days are the days it took, an executed agreement that lapses before a site is expected to
/// be authorized is flagged, and an open blocking gap past its due date is named with its days.
#[tokio::test]
async fn the_pipeline_counts_as_the_gate_flags_lapsing_agreements_and_overdue_gaps() {
    use cellpath_domain::contracting::Missing;
    for db in TestDb::all().await {
        let (app, clock, _) = history_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let pipeline = app
            .onboarding_pipeline(&pharmacist, &lakeshore, today(&app))
            .await
            .unwrap();
        assert!(pipeline.rows.len() >= 6, "{}", db.label);
        for r in &pipeline.rows {
            let view = app
                .gate(
                    &pharmacist,
                    &r.partnership_id,
                    &r.site.site_id,
                    &r.program_id,
                    today(&app),
                )
                .await
                .unwrap();
            let missing = view
                .missing
                .iter()
                .filter(|m| {
                    matches!(
                        m.missing,
                        Missing::Agreement { .. } | Missing::Deliverable { .. }
                    )
                })
                .count();
            assert_eq!(
                r.site.done + missing,
                r.site.items,
                "{}: {} {}: done and missing add up as the gate counts",
                db.label,
                r.program_name,
                r.site.site_code
            );
        }
        let row = |program: &str, code: &str| {
            pipeline
                .rows
                .iter()
                .find(|r| r.program_name == program && r.site.site_code == code)
                .unwrap_or_else(|| panic!("{program} {code}"))
                .site
                .clone()
        };

        // LUH-MAIN was authorized: its days are from its first own item to the day the gate
        // first held, not 0.
        let main = row("Vantacel", "LUH-MAIN");
        assert_eq!(main.status, "authorized");
        let on = |d: &str| cellpath_domain::Date::parse(d).unwrap().days_since_epoch();
        let authorized_on = main.authorized_on.clone().expect("authorized on a day");
        assert!(main.days_in_onboarding > 0, "{}: {main:?}", db.label);
        assert_eq!(
            main.days_in_onboarding,
            on(&authorized_on) - on(&main.started_on),
            "{main:?}"
        );
        assert!(main.started_on.as_str() < authorized_on.as_str());

        // Corvigen's master service agreement lapses 45 days from today, long before any
        // Lakeshore site is expected to be authorized for Corvigen: flagged on every row.
        let expires = today(&app).plus_days(45);
        for code in ["LUH-MAIN", "LUH-NORTH", "LUH-CANCER"] {
            let s = row("Corvigen", code);
            let lapse = s
                .lapsing
                .iter()
                .find(|l| l.kind == "master_service_agreement")
                .unwrap_or_else(|| panic!("{}: {code}: {s:?}", db.label));
            assert_eq!(lapse.expires_on, expires.as_str());
            assert!(
                lapse.text.starts_with(&format!(
                    "Master service agreement expires on {}, before the site is expected to be authorized",
                    expires.as_str()
                )),
                "{}",
                lapse.text
            );
        }
        // Vantacel's agreements run to 2030: nothing lapses within that plan.
        assert!(
            pipeline
                .rows
                .iter()
                .filter(|r| r.program_name == "Vantacel")
                .all(|r| r.site.lapsing.is_empty()),
            "{}",
            db.label
        );

        // North's open blocking gap, once past its due date, is named among what holds it
        // back, with the days it is overdue.
        let north = row("Vantacel", "LUH-NORTH");
        assert!(north.overdue.is_empty(), "{north:?}");
        let gap = app
            .store
            .gaps_of_site(&north.site_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.status == "open" && g.severity == "blocking")
            .min_by(|a, b| a.due_on.cmp(&b.due_on))
            .expect("an open blocking gap at North");
        let due = cellpath_domain::Date::parse(&gap.due_on).unwrap();
        let later = due.plus_days(12);
        clock.advance_secs((later.days_since_epoch() - today(&app).days_since_epoch()) * 86_400);
        let pipeline = app
            .onboarding_pipeline(&pharmacist, &lakeshore, later.clone())
            .await
            .unwrap();
        let north = pipeline
            .rows
            .iter()
            .find(|r| r.program_name == "Vantacel" && r.site.site_code == "LUH-NORTH")
            .unwrap();
        let overdue = north
            .site
            .overdue
            .iter()
            .find(|o| o.gap_id == gap.id)
            .unwrap_or_else(|| panic!("{}: {:?}", db.label, north.site.overdue));
        assert_eq!(overdue.days_overdue, 12);
        assert!(
            overdue
                .text
                .starts_with(&format!("Gap overdue by 12 days (due {})", gap.due_on)),
            "{}",
            overdue.text
        );
    }
}

/// A value another record already holds is refused in people's words, beside the field they
/// typed, on both databases (the schema's unique keys; the rest, which only races reach, are
/// checked against every key of the migrations in `error.rs`).
#[tokio::test]
async fn a_value_already_taken_is_refused_in_people_s_words() {
    use cellpath_app::records::facilities::FacilityInput;
    use cellpath_app::records::users::UserInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let refused = |e: AppError| match e {
            AppError::Duplicate { field, message } => {
                for word in ["constraint", "UNIQUE", "_key", "sites.", "failed"] {
                    assert!(!message.contains(word), "{}: {message}", db.label);
                }
                (field, message)
            }
            other => panic!("{}: {other:?}", db.label),
        };
        let site = |code: &str| SiteInput {
            name: "Another".into(),
            code: code.into(),
            city: "Chicago".into(),
            region: "IL".into(),
        };
        let err = app
            .create_site(&admin, &lakeshore, site("LUH-MAIN"), None)
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "code".to_string(),
                "a site with code LUH-MAIN already exists".to_string()
            )
        );
        // Renaming a site's code to another's says the same.
        let north = app
            .sites(&admin, &lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap();
        let err = app
            .update_site(
                &admin,
                &north.id,
                north.version,
                SitePatch {
                    code: Some("LUH-MAIN".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(refused(err).1, "a site with code LUH-MAIN already exists");

        let facility = app
            .facilities(&admin, &lakeshore, Page::all())
            .await
            .unwrap()
            .remove(0);
        let err = app
            .create_facility(
                &admin,
                &lakeshore,
                FacilityInput {
                    name: facility.name.clone(),
                    kind: facility.kind.clone(),
                    site_ids: vec![],
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "name".to_string(),
                "this health system already has a facility with this name".to_string()
            )
        );

        let err = app
            .create_user(
                &admin,
                &lakeshore,
                UserInput {
                    email: "pharmacy@lakeshore.example".into(),
                    name: "Someone Else".into(),
                    role: "nurse".into(),
                    password: "a long enough password 2026".into(),
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "email".to_string(),
                "a user with this e-mail address already exists".to_string()
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Added by the gate's move into the domain (issue 9, point 3). The payloads of the
// authorization events are shared with partners: the rule moved, the bytes must not.

#[tokio::test]
async fn authorization_events_keep_the_payloads_the_ledger_has_always_held() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let first_day = today(&app);
        let row = app
            .store
            .site_authorizations_of(&ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.site_id == ids.main && r.program_id == ids.vantacel)
            .expect("the demo authorizes LUH-MAIN");
        let msa = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == "master_service_agreement")
            .unwrap();
        clock.advance_secs(86_400);
        app.move_agreement(&contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let payloads: Vec<(String, serde_json::Value)> = app
            .store
            .events_newest_first(&ids.partnership, Page::first(200))
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.starts_with("site_authorization"))
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
                (e.kind, body["payload"].clone())
            })
            .filter(|(_, p)| p["id"] == serde_json::json!(row.id))
            .collect();
        assert_eq!(
            payloads,
            [
                (
                    "site_authorization.updated".to_string(),
                    serde_json::json!({
                        "id": row.id,
                        "version": 2,
                        "old": { "status": "authorized", "since": first_day.as_str(), "missing": [] },
                        "new": {
                            "status": "suspended",
                            "since": today(&app).as_str(),
                            "missing": ["Master service agreement: withdrawn"],
                        },
                    })
                ),
                (
                    "site_authorization.created".to_string(),
                    serde_json::json!({
                        "id": row.id,
                        "new": {
                            "partnership_id": ids.partnership,
                            "site_id": ids.main,
                            "program_id": ids.vantacel,
                            "status": "authorized",
                            "since": first_day.as_str(),
                            "missing": [],
                        },
                    })
                ),
            ],
            "{}",
            db.label
        );
    }
}
