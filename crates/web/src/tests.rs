//! The web UI driven through its router with `crate::testing`'s browser: cookies kept between
//! requests, forms posted with the tokens the pages carry. Each test gets its own seeded SQLite
//! database. `CELLPATH_WEB_SNAPSHOTS=/some/dir` saves the pages named here as HTML.

use crate::session::LOGIN_CSRF_COOKIE;
use crate::testing::{Browser, borrowed, seeded};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::readiness::Severity;

#[tokio::test]
async fn an_admin_signs_in_sees_home_and_a_bad_site_form_explains_each_field() {
    let site = seeded().await;
    let org = site.org("Lakeshore University Health").await.id;
    let mut browser = Browser::new(&site);

    // Nobody is signed in: every page sends to the sign-in page, remembering where to return.
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/login"));
    let sites_path = format!("/orgs/{org}/sites");
    let away = browser.get(&sites_path).await;
    assert_eq!(
        away.location.as_deref(),
        Some(format!("/login?next=/orgs/{org}/sites").as_str())
    );

    // The sign-in form refuses a post without its double-submit token.
    let form = browser
        .get(&format!(
            "/login?next={}",
            crate::session::encode_component(&sites_path)
        ))
        .await;
    assert!(browser.cookies.contains_key(LOGIN_CSRF_COOKIE));
    let csrf = form.field("csrf");
    let forged = browser
        .post(
            "/login",
            &[
                ("csrf", "0000"),
                ("email", "admin@lakeshore.example"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // A wrong password shows the app's message, keeps the e-mail, never echoes the password.
    let wrong = browser
        .post_saved(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "admin@lakeshore.example"),
                ("password", "not-the-password"),
                ("next", &sites_path),
            ],
            Some("login-failed"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("Wrong e-mail or password"),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains(r#"value="admin@lakeshore.example""#));
    assert!(!wrong.body.contains("not-the-password"));

    // The right one goes on to the page that was asked for.
    let ok = browser
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "admin@lakeshore.example"),
                ("password", DEMO_PASSWORD),
                ("next", &sites_path),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some(sites_path.as_str()));
    assert!(
        !browser.cookies.contains_key(LOGIN_CSRF_COOKIE),
        "the sign-in token is spent"
    );

    let home = browser.get_saved("/", Some("home")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Lakeshore University Health"));
    assert!(
        home.body.contains(r#"id="nav-audit""#),
        "an admin reads the audit trail"
    );

    // A bad site: each message beside its field, the typed values kept (and escaped).
    let list = browser.get(&sites_path).await;
    let csrf = list.field("csrf");
    let script = "<script>alert(1)</script>";
    let bad = browser
        .post_saved(
            &sites_path,
            &[
                ("csrf", &csrf),
                ("name", script),
                ("code", "no code!"),
                ("city", "  "),
                ("region", "IL"),
            ],
            Some("sites-with-errors"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body
            .contains(r#"<p class="field-error" data-field="code""#),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains(r#"<p class="field-error" data-field="city""#)
    );
    assert!(bad.body.contains("must not be empty"));
    assert!(
        !bad.body.contains(r#"data-field="region""#),
        "a good field has no message"
    );
    assert!(
        bad.body
            .contains(r#"value="&lt;script&gt;alert(1)&lt;/script&gt;""#)
    );
    assert!(!bad.body.contains(script));

    // A good one with the same name is created, and its name renders as text.
    let created = browser
        .post(
            &sites_path,
            &[
                ("csrf", &csrf),
                ("name", script),
                ("code", "XSS-1"),
                ("city", "Chicago"),
                ("region", "IL"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let list = browser.get_saved(&sites_path, Some("sites")).await;
    assert!(list.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!list.body.contains(script));
    assert!(list.body.contains(r#"class="list""#));

    // A post without the session's CSRF token changes nothing.
    let forged = browser
        .post(
            &sites_path,
            &[
                ("name", "Forged"),
                ("code", "FORGED"),
                ("city", "X"),
                ("region", "Y"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("This form has expired"));
    let wrong_token = browser
        .post(
            &sites_path,
            &[
                ("csrf", "f00d"),
                ("name", "Forged"),
                ("code", "FORGED"),
                ("city", "X"),
                ("region", "Y"),
            ],
        )
        .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    assert!(!browser.get(&sites_path).await.body.contains("FORGED"));

    // Signing out ends the session.
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login?notice=signed_out"));
    assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_page_renders_for_both_sides_and_an_event_is_signed_on_the_audit_trail() {
    let site = seeded().await;
    let lakeshore = site.org("Lakeshore University Health").await.id;
    let helixa = site.org("Helixa Therapeutics").await.id;

    // The manufacturer's onboarding lead: no sites, may propose partnerships.
    let mut mfr = Browser::new(&site);
    mfr.sign_in("onboarding@helixa.example").await;
    let home = mfr.get_saved("/", Some("home-manufacturer")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        !home.body.contains(r#"id="nav-sites""#),
        "a manufacturer has no sites"
    );
    let partnerships = mfr.get_saved("/partnerships", Some("partnerships")).await;
    assert!(partnerships.body.contains(r#"id="partnership-form""#));
    assert!(
        partnerships.body.contains("Piedmont Valley Health"),
        "the directory of health systems"
    );
    for path in [
        format!("/orgs/{helixa}"),
        format!("/orgs/{helixa}/users"),
        "/tokens".into(),
        format!("/orgs/{lakeshore}"),
    ] {
        let page = mfr.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    }

    // The health system's admin: every page of the navigation.
    let mut admin = Browser::new(&site);
    admin.sign_in("admin@lakeshore.example").await;
    for (path, name) in [
        (format!("/orgs/{lakeshore}"), "org"),
        (format!("/orgs/{lakeshore}/facilities"), "facilities"),
        (format!("/orgs/{lakeshore}/users"), "users"),
        ("/partnerships".into(), "partnerships-health-system"),
        ("/tokens".into(), "tokens"),
    ] {
        let page = admin.get_saved(&path, Some(name)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    }
    let partnership = site
        .app
        .store()
        .partnerships_of(&lakeshore, cellpath_app::views::Page::all())
        .await
        .expect("query")
        .into_iter()
        .find(|p| p.status == PartnershipStatus::Active)
        .expect("an active partnership");
    let page = admin
        .get_saved(
            &format!("/partnerships/{}", partnership.id),
            Some("partnership"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let not_found = admin
        .get_saved("/sites/site_0000000000000000", Some("not-found"))
        .await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    assert!(
        not_found.body.contains(r#"id="nav-home""#),
        "error pages keep the navigation"
    );

    let css = admin.get(crate::assets::stylesheet_href()).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[CONTENT_TYPE], "text/css; charset=utf-8");

    // The audit trail verifies, and an event is signed with the password re-entered.
    let ledger = format!("/ledgers/{lakeshore}");
    let trail = admin
        .get_saved(&format!("{ledger}?verify=1"), Some("ledger"))
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    assert!(
        trail.body.contains(r#"data-result="intact""#),
        "{}",
        trail.body
    );
    let head = site
        .app
        .store()
        .ledger_head(&lakeshore)
        .await
        .expect("query")
        .expect("a ledger");
    let csrf = trail.field("csrf");
    let seq = head.seq.to_string();
    let sign_fields = |password: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf.as_str()),
            ("event_hash", head.head_hash.as_str()),
            ("seq", seq.as_str()),
            ("meaning", "reviewed"),
            ("password", password),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let wrong = sign_fields("not-my-password");
    let wrong = borrowed(&wrong);
    let refused = admin
        .post_saved(
            &format!("{ledger}/sign"),
            &wrong,
            Some("ledger-sign-refused"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"<p class="field-error" data-field="password""#),
        "{}",
        refused.body
    );
    let right = sign_fields(DEMO_PASSWORD);
    let right = borrowed(&right);
    let signed = admin.post(&format!("{ledger}/sign"), &right).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let trail = admin.get(&ledger).await;
    assert!(
        trail
            .body
            .contains(r#"<li class="signature" data-meaning="reviewed">"#),
        "{}",
        trail.body
    );
    trail.assert_has(r#"<span class="sig-channel">via web session</span>"#);

    // A nurse may not read the audit trail: no link, and the page says why.
    let mut nurse = Browser::new(&site);
    nurse.sign_in("nurse@lakeshore.example").await;
    assert!(!nurse.get("/").await.body.contains(r#"id="nav-audit""#));
    let forbidden = nurse.get(&ledger).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    forbidden.assert_has("Your role may not read");
}

#[tokio::test]
async fn the_sign_in_form_takes_only_a_token_this_server_signed_for_its_cookie() {
    let key = crate::LoginKey::generate();
    let site = crate::testing::seeded_with(crate::WebConfig {
        secure_cookies: false,
        login_key: Some(key.clone()),
    })
    .await;
    let fields = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("email".into(), "admin@lakeshore.example".into()),
            ("password".into(), DEMO_PASSWORD.into()),
        ]
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;

    // An attacker who can set the cookie chooses both halves of a double submit: refused.
    let mut browser = Browser::new(&site);
    let chosen = "ab".repeat(32);
    browser
        .cookies
        .insert(LOGIN_CSRF_COOKIE.into(), chosen.clone());
    let double_submit = browser.post("/login", &borrowed(&fields(&chosen))).await;
    assert_eq!(
        double_submit.status,
        StatusCode::FORBIDDEN,
        "{}",
        double_submit.body
    );
    assert!(!browser.cookies.contains_key(crate::session::SESSION_COOKIE));

    // Signed with another key, or signed here but too old: refused, saying which.
    let other = crate::LoginKey::generate().token(&chosen, now);
    let forged = browser.post("/login", &borrowed(&fields(&other))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    forged.assert_has("did not send back the sign-in form with the cookie it came with");
    let old = key.token(&chosen, now - crate::login_csrf::LOGIN_TOKEN_SECONDS - 60);
    let expired = browser.post("/login", &borrowed(&fields(&old))).await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    expired.assert_has("opened more than 2 hours ago");

    // The server's own token for that cookie signs in; the form carries no bare nonce.
    let form = browser.get("/login").await;
    let csrf = form.field("csrf");
    assert_eq!(
        browser.cookies[LOGIN_CSRF_COOKIE], chosen,
        "the nonce is kept"
    );
    assert_ne!(csrf, chosen);
    assert!(csrf.starts_with(&format!("{chosen}.")), "{csrf}");
    let ok = browser.post("/login", &borrowed(&fields(&csrf))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn the_last_admin_is_told_why_beside_the_role_field() {
    let site = seeded().await;
    let me = site
        .app
        .store()
        .user_by_email("admin@lakeshore.example")
        .await
        .expect("query")
        .expect("the demo admin");
    let mut admin = Browser::signed_in(&site, "admin@lakeshore.example").await;
    let page = format!("/users/{}", me.id);
    let refused = admin
        .submit(
            &page,
            "user-edit-form",
            &page,
            &[("name", &me.name), ("role", "nurse"), ("active", "on")],
            Some("user-last-admin"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(
        refused.error_beside("role").as_deref(),
        Some(
            format!(
                "{} is the last active admin of Lakeshore University Health: make another user admin first",
                me.name
            )
            .as_str()
        ),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn signatures_show_the_channel_they_came_through_and_tokens_say_they_never_sign_alone() {
    use cellpath_ledger::{Meaning, Signed};
    let site = seeded().await;
    let lakeshore = site.org("Lakeshore University Health").await.id;
    let nurse = site
        .app
        .store()
        .user_by_email("nurse@lakeshore.example")
        .await
        .expect("query")
        .expect("the demo nurse");
    let person = site
        .app
        .caller_for_user(&nurse.id, cellpath_app::access::Via::Session)
        .await
        .expect("a caller");
    let created = site
        .app
        .create_api_token(&person, "Ward 4 pump", None)
        .await
        .and_then(|o| o.fresh())
        .expect("a token");
    let device = site
        .app
        .authenticate_token(&created.token)
        .await
        .expect("the token works");
    let head = |site: &crate::testing::Demo| {
        let lakeshore = lakeshore.clone();
        let store = site.app.store().clone();
        async move {
            store
                .ledger_head(&lakeshore)
                .await
                .expect("query")
                .expect("a ledger")
                .head_hash
        }
    };
    // A signature recorded before signatures named their channel, as it was stored then.
    let before = site.app.now();
    site.app
        .store()
        .append(cellpath_app::testing::Append::new(
            &lakeshore,
            format!("user:{}", nurse.id),
            cellpath_ledger::SIGNATURE_EVENT_TYPE,
            serde_json::json!({
                "signs": { "target": "event", "event_hash": head(&site).await },
                "signer_user_id": nurse.id, "printed_name": nurse.name,
                "meaning": "reviewed", "signed_at": before,
            }),
            before,
        ))
        .await
        .expect("an old-style signature");
    // A bedside device signs with the nurse's password typed at that moment.
    site.app
        .sign(
            &device,
            &lakeshore,
            Signed::Event {
                event_hash: head(&site).await,
            },
            Meaning::Performed,
            DEMO_PASSWORD,
            None,
        )
        .await
        .expect("signed through the token");

    let mut admin = Browser::signed_in(&site, "admin@lakeshore.example").await;
    let trail = admin
        .get_saved(&format!("/ledgers/{lakeshore}"), Some("ledger-channels"))
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    let by_token = format!(
        r#"<span class="sig-channel">via API token &quot;Ward 4 pump&quot; ({})</span>"#,
        created.info.id
    );
    trail.assert_has(&by_token);
    trail.assert_has(r#"<span class="sig-channel">channel not recorded</span>"#);
    let tokens = admin.get("/tokens").await;
    tokens.assert_has("A token never signs alone: the password is re-entered at each signature");
}

#[tokio::test]
async fn an_unknown_path_answers_the_styled_not_found_page() {
    let site = seeded().await;
    // Nobody signed in: the page, not a redirect to sign in, and a way to sign in.
    let mut visitor = Browser::new(&site);
    let page = visitor.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(
        page.headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
    assert!(page.body.contains("There is no page at /no/such/page"));
    assert!(page.body.contains(r#"href="/login""#));
    // Signed in: the same page inside the navigation.
    let mut admin = Browser::signed_in(&site, "admin@lakeshore.example").await;
    let page = admin.get_saved("/sitez", Some("unknown-path")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
    assert!(page.body.contains(r#"id="nav-home""#), "{}", page.body);
    // Text in the path is escaped like any other.
    let page = admin.get("/%3Cscript%3E").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("<script>"), "{}", page.body);
}

/// The `<input …>` tags of a page whose name is one of `names` (or a price row's date).
fn date_inputs<'p>(body: &'p str, names: &[&str]) -> Vec<&'p str> {
    body.split("<input")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
        .filter(|tag| {
            names
                .iter()
                .any(|n| tag.contains(&format!(r#"name="{n}""#)))
                || (tag.contains(r#"name="price_"#) && tag.contains(r#"_date""#))
        })
        .collect()
}

#[tokio::test]
async fn dates_are_picked_and_a_fact_s_date_is_never_filled_in_with_today() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let north = demo.site("LUH-NORTH").await;
    let base = format!("/partnerships/{}/sites/{}", pship.id, north.id);
    let agreement = demo
        .app
        .store()
        .agreements_of(&pship.id)
        .await
        .expect("query")
        .into_iter()
        .next()
        .expect("a demo agreement");
    let names = ["done_on", "visited_on", "effective_on", "expires_on"];
    for (who, path, facts) in [
        (
            "pharmacy@lakeshore.example",
            format!("{base}/gate?program={}", vantacel.id),
            vec!["done_on"],
        ),
        (
            "onboarding@helixa.example",
            format!("{base}/gate?program={}", vantacel.id),
            vec!["done_on"],
        ),
        (
            "onboarding@helixa.example",
            format!("{base}/readiness?program={}", vantacel.id),
            vec!["visited_on"],
        ),
        (
            "contracts@lakeshore.example",
            format!("/agreements/{}", agreement.id),
            vec![],
        ),
        (
            "admin@helixa.example",
            format!("/programs/{}", vantacel.id),
            vec![],
        ),
    ] {
        let mut browser = Browser::signed_in(&demo, who).await;
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{who} {path}: {}", page.body);
        let inputs = date_inputs(&page.body, &names);
        assert!(!inputs.is_empty(), "{who} sees a date field on {path}");
        for tag in inputs {
            assert!(tag.contains(r#"type="date""#), "{path}: {tag}");
            if facts
                .iter()
                .any(|n| tag.contains(&format!(r#"name="{n}""#)))
            {
                assert!(
                    !tag.contains("value=\"2"),
                    "{path}: the day of a fact is left to the person: {tag}"
                );
            }
        }
    }
}

/// An open gap past its due date is marked overdue, with its days, wherever gaps are listed
/// (the readiness page, the facility page) and among what blocks the site on the pipeline.
#[tokio::test]
async fn an_overdue_gap_is_marked_with_its_days_wherever_it_is_listed() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let north = demo.site("LUH-NORTH").await;
    let today = cellpath_domain::Date::of_micros(demo.app.now());
    let gap = demo
        .app
        .store()
        .gaps_of_site(&north.id)
        .await
        .expect("query")
        .into_iter()
        .find(|g| g.status == GapStatus::Open && g.severity == Severity::Blocking)
        .expect("the demo's open blocking gap at North");
    let due = cellpath_domain::Date::parse(gap.due_on.as_str()).expect("a date");
    let late = today.days_since_epoch() - due.days_since_epoch();
    assert!(late > 0, "the demo's gap was due on {}", gap.due_on);
    let mark = format!(r#"data-days-overdue="{late}""#);
    let mut pharmacist = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;

    let page = pharmacist
        .get(&format!(
            "/partnerships/{}/sites/{}/readiness?program={}",
            pship.id, north.id, vantacel.id
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let row = page.row(&format!(r#"data-gap="{}""#, gap.id));
    assert!(row.contains(&mark), "{row}");
    assert!(row.contains("Overdue"), "{row}");

    let page = pharmacist
        .get(&format!(
            "/facilities/{}",
            gap.facility_id.as_deref().expect("a gap at a facility")
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = page.row(&format!(r#"data-gap="{}""#, gap.id));
    assert!(row.contains(&mark), "{row}");

    let page = pharmacist.get("/onboarding").await;
    let row = page.row(r#"data-site="LUH-NORTH""#);
    assert!(
        row.contains(&format!(
            "Gap overdue by {} (due {})",
            cellpath_app::onboarding::days_text(late),
            gap.due_on
        )),
        "{row}"
    );
    // A closed gap is never overdue.
    assert!(!page.body.contains(r#"data-days-overdue="0""#));
}
