//! The web UI driven through its router, as a browser would: cookies kept between requests,
//! forms posted with the tokens the pages carry. Each test gets its own seeded SQLite database.
//!
//! Set `CELLPATH_WEB_SNAPSHOTS=/some/dir` to also save every page fetched here as HTML (with
//! the stylesheet beside it), to look at them in a browser.

use crate::router_with;
use crate::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{Request, StatusCode};
use cellpath_app::demo::{self, DEMO_PASSWORD};
use cellpath_app::{App, SystemClock};
use cellpath_store::testing::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

struct Site {
    _db: TestDb,
    app: App,
    router: Router,
}

async fn seeded() -> Site {
    let db = TestDb::sqlite().await;
    let app = App::new(db.store().await, Arc::new(SystemClock));
    demo::seed(&app).await.expect("seed the demo data");
    let router = router_with(app.clone(), crate::WebConfig::default());
    Site {
        _db: db,
        app,
        router,
    }
}

impl Site {
    async fn org_id(&self, name: &str) -> String {
        self.app
            .store
            .organization_by_name(name)
            .await
            .expect("query")
            .expect("seeded organization")
            .id
    }
}

/// A browser without JavaScript: a cookie jar and the last page's body.
struct Browser<'a> {
    site: &'a Site,
    cookies: BTreeMap<String, String>,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    location: Option<String>,
    body: String,
}

impl Answer {
    /// The hidden CSRF field of the first form on the page.
    fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self
            .body
            .find(marker)
            .expect("the page has a form with a csrf field")
            + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .expect("a closing quote")
            .to_string()
    }
}

impl<'a> Browser<'a> {
    fn new(site: &'a Site) -> Browser<'a> {
        Browser {
            site,
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, request: Request<Body>, snapshot: Option<&str>) -> Answer {
        let response = self
            .site
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("ASCII cookie");
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().expect("ASCII location").to_string());
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .expect("a body");
        let body = String::from_utf8(bytes.to_vec()).expect("UTF-8 pages");
        if let (Some(name), Ok(dir)) = (snapshot, std::env::var("CELLPATH_WEB_SNAPSHOTS")) {
            save_snapshot(&dir, name, &body);
        }
        Answer {
            status,
            headers,
            location,
            body,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.get_saved(path, None).await
    }

    async fn get_saved(&mut self, path: &str, snapshot: Option<&str>) -> Answer {
        let request = Request::get(path)
            .header(COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("a request");
        self.send(request, snapshot).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_saved(path, fields, None).await
    }

    async fn post_saved(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        snapshot: Option<&str>,
    ) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::session::encode_component(k),
                    crate::session::encode_component(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("a request");
        self.send(request, snapshot).await
    }

    async fn sign_in(&mut self, email: &str) {
        let form = self.get_saved("/login", Some("login")).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        let signed_in = self
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("password", DEMO_PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        assert!(self.cookies.contains_key(SESSION_COOKIE));
    }
}

fn save_snapshot(dir: &str, name: &str, body: &str) {
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir.join("static")).expect("snapshot directory");
    std::fs::write(
        dir.join("static/app.css"),
        include_str!("../static/app.css"),
    )
    .expect("write css");
    // Relative, so the page finds its stylesheet when opened as a file.
    let body = body.replace(crate::assets::stylesheet_href(), "static/app.css");
    std::fs::write(dir.join(format!("{name}.html")), body).expect("write snapshot");
}

#[tokio::test]
async fn an_admin_signs_in_sees_home_and_a_bad_site_form_explains_each_field() {
    let site = seeded().await;
    let org = site.org_id("Lakeshore University Health").await;
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
    let csrf = form.csrf();
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
    let csrf = list.csrf();
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
    let lakeshore = site.org_id("Lakeshore University Health").await;
    let helixa = site.org_id("Helixa Therapeutics").await;

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
        .store
        .partnerships_of(&lakeshore, cellpath_store::Page::all())
        .await
        .expect("query")
        .into_iter()
        .find(|p| p.status == "active")
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
        .store
        .ledger_head(&lakeshore)
        .await
        .expect("query")
        .expect("a ledger");
    let csrf = trail.csrf();
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
    let wrong: Vec<(&str, &str)> = wrong
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
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
    let right: Vec<(&str, &str)> = right
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
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

    // A nurse may not read the audit trail: no link, and the page says why.
    let mut nurse = Browser::new(&site);
    nurse.sign_in("nurse@lakeshore.example").await;
    assert!(!nurse.get("/").await.body.contains(r#"id="nav-audit""#));
    let forbidden = nurse.get(&ledger).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(
        forbidden.body.contains("Your role may not read"),
        "{}",
        forbidden.body
    );
}
