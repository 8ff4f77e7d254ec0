//! A browser without JavaScript for router tests: the seeded demo on its own SQLite database, a
//! cookie jar, forms posted with the CSRF token and record version their page carries. Every
//! router test in this crate drives the pages through it.
//!
//! `CELLPATH_WEB_SNAPSHOTS=/some/dir` saves the pages a test names as HTML, with the
//! stylesheet beside them, to look at in a browser.

use crate::router_with;
use crate::session::{SESSION_COOKIE, encode_component};
use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Request, StatusCode};
use cellpath_app::demo::{self, DEMO_PASSWORD};
use cellpath_app::testing::TestDb;
use cellpath_app::views::{Organization, Page, Partnership, Program, Site};
use cellpath_app::{App, SystemClock};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

/// A record's signature as a page shows it beside the record (21 CFR 11.50): the printed
/// name, the meaning in words, the day and minute (`web::signatures::list`).
pub fn signature_shown(printed_name: &str, meaning: &str, signed_at: i64) -> String {
    format!(
        r#"Signed by <strong class="signer">{printed_name}</strong> · <span class="meaning">{meaning}</span> · {}"#,
        crate::signatures::signed_at(signed_at).into_string()
    )
}

pub struct Demo {
    _db: TestDb,
    pub app: App,
    router: Router,
}

pub async fn seeded() -> Demo {
    seeded_with(crate::WebConfig::default()).await
}

/// The seeded demo served with this configuration (e.g. a known sign-in key).
pub async fn seeded_with(config: crate::WebConfig) -> Demo {
    let db = TestDb::sqlite().await;
    let app = App::new(db.store().await, Arc::new(SystemClock));
    demo::seed(&app).await.expect("seed the demo data");
    let router = router_with(app.clone(), config);
    Demo {
        _db: db,
        app,
        router,
    }
}

impl Demo {
    /// The newest e-signature recorded on a ledger (the one a test's last command made).
    pub async fn last_signature(&self, ledger_id: &str) -> cellpath_app::views::audit::Signature {
        self.app
            .store()
            .signatures_in(ledger_id)
            .await
            .expect("query")
            .pop()
            .expect("a signature on the ledger")
            .into()
    }

    /// A demo user as the app's caller (through a session), for what a test does beside the
    /// pages.
    pub async fn caller(&self, email: &str) -> cellpath_app::Caller {
        let u = self
            .app
            .store()
            .user_by_email(email)
            .await
            .expect("query")
            .expect("a demo user");
        self.app
            .caller_for_user(&u.id, cellpath_app::access::Via::Session)
            .await
            .expect("a caller")
    }

    pub async fn org(&self, name: &str) -> Organization {
        self.app
            .store()
            .organization_by_name(name)
            .await
            .expect("query")
            .expect("a seeded organization")
            .into()
    }

    pub async fn site(&self, code: &str) -> Site {
        for org in self
            .app
            .store()
            .organizations(Page::all())
            .await
            .expect("query")
        {
            let sites = self
                .app
                .store()
                .sites_of(&org.id, Page::all())
                .await
                .expect("query");
            if let Some(s) = sites.into_iter().find(|s| s.code == code) {
                return s.into();
            }
        }
        panic!("no seeded site {code}")
    }

    pub async fn program(&self, manufacturer: &str, name: &str) -> Program {
        let org = self.org(manufacturer).await;
        self.app
            .store()
            .programs_of(&org.id, Page::all())
            .await
            .expect("query")
            .into_iter()
            .find(|p| p.name == name)
            .expect("a seeded program")
            .into()
    }

    /// The partnership of a manufacturer and a health system.
    pub async fn partnership(&self, manufacturer: &str, health_system: &str) -> Partnership {
        let (m, h) = (self.org(manufacturer).await, self.org(health_system).await);
        self.app
            .store()
            .partnerships_of(&h.id, Page::all())
            .await
            .expect("query")
            .into_iter()
            .find(|p| p.manufacturer_id == m.id)
            .expect("a seeded partnership")
            .into()
    }

    /// A proposed partnership accepted by `accepter` (the health system's): active, with
    /// nothing agreed on it yet — no release-exception protocol among the rest.
    pub async fn accept(&self, p: &Partnership, accepter: &str) {
        self.app
            .update_partnership(
                &self.caller(accepter).await,
                &p.id,
                p.version,
                cellpath_app::records::partnerships::PartnershipPatch {
                    status: Some("active".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .expect("the proposal accepted");
    }
}

pub struct Browser<'a> {
    demo: &'a Demo,
    pub cookies: BTreeMap<String, String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub location: Option<String>,
    pub body: String,
}

impl Answer {
    /// Fails, showing the page, unless it contains `text`.
    #[track_caller]
    pub fn assert_has(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "no {text:?} on the page: {}",
            self.body
        );
    }

    /// The value of the first input named `name` on the page.
    pub fn field(&self, name: &str) -> String {
        self.field_after(name, "")
    }

    /// The value of the first input named `name` after `marker` (e.g. a form's id).
    pub fn field_after(&self, name: &str, marker: &str) -> String {
        let from = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("the page has {marker}"));
        let tag = format!(r#"name="{name}" value=""#);
        let start = self.body[from..]
            .find(&tag)
            .unwrap_or_else(|| panic!("the page has a {name} field after {marker}"))
            + from
            + tag.len();
        self.body[start..]
            .split('"')
            .next()
            .expect("a closing quote")
            .to_string()
    }

    /// The page this redirect goes to, without its query and fragment.
    pub fn target(&self) -> String {
        let to = self.location.as_deref().expect("a redirect");
        to.split(['?', '#']).next().expect("a path").to_string()
    }

    /// A table row, from `marker` (e.g. `data-site="LUH-MAIN"`) to its `</tr>`.
    pub fn row(&self, marker: &str) -> &str {
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("a row with {marker}: {}", self.body));
        let end = self.body[at..].find("</tr>").expect("the row ends") + at;
        &self.body[at..end]
    }

    /// The message beside a field, e.g. `<p class="field-error" data-field="reason" …>…</p>`.
    pub fn error_beside(&self, field: &str) -> Option<String> {
        let marker = format!(r#"class="field-error" data-field="{field}""#);
        let at = self.body.find(&marker)?;
        let rest = &self.body[at..];
        let start = rest.find('>')? + 1;
        let end = rest.find("</p>")?;
        Some(rest[start..end].to_string())
    }
}

impl<'a> Browser<'a> {
    /// A browser nobody has signed in to yet.
    pub fn new(demo: &'a Demo) -> Browser<'a> {
        Browser {
            demo,
            cookies: BTreeMap::new(),
        }
    }

    pub async fn signed_in(demo: &'a Demo, email: &str) -> Browser<'a> {
        let mut b = Browser::new(demo);
        b.sign_in(email).await;
        b
    }

    /// Sign in through the sign-in form with the demo password.
    pub async fn sign_in(&mut self, email: &str) {
        let form = self.get_saved("/login", Some("login")).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.field("csrf");
        let done = self
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("password", DEMO_PASSWORD),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert!(self.cookies.contains_key(SESSION_COOKIE));
    }

    async fn send(&mut self, request: Request<Body>, snapshot: Option<&str>) -> Answer {
        let response = self
            .demo
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

    pub async fn get(&mut self, path: &str) -> Answer {
        self.get_saved(path, None).await
    }

    pub async fn get_saved(&mut self, path: &str, snapshot: Option<&str>) -> Answer {
        let request = Request::get(path)
            .header(COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("a request");
        self.send(request, snapshot).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_saved(path, fields, None).await
    }

    pub async fn post_saved(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        snapshot: Option<&str>,
    ) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("a request");
        self.send(request, snapshot).await
    }

    /// Post a form shown on `page`: its CSRF token, and the record version carried by the form
    /// whose id is `form_id` (unless `fields` give one), are taken from the page.
    pub async fn submit(
        &mut self,
        page: &str,
        form_id: &str,
        action: &str,
        fields: &[(&str, &str)],
        snapshot: Option<&str>,
    ) -> Answer {
        self.submit_files(page, form_id, action, fields, &[], snapshot)
            .await
    }

    /// `submit`, with files `(field, file name, bytes)`: sent as `multipart/form-data` when
    /// the form on the page says so (as a browser does, the CSRF token first), else the form
    /// is posted URL-encoded and must take no files.
    pub async fn submit_files(
        &mut self,
        page: &str,
        form_id: &str,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        snapshot: Option<&str>,
    ) -> Answer {
        let shown = self.get(page).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.body);
        let marker = format!(r#"id="{form_id}""#);
        assert!(
            shown.body.contains(&marker),
            "{page} has no form {form_id}: {}",
            shown.body
        );
        let csrf = shown.field("csrf");
        let from = shown.body.find(&marker).expect("the form");
        let end = shown.body[from..]
            .find("</form>")
            .map_or(shown.body.len(), |e| from + e);
        let version = shown.body[from..end]
            .contains(r#"name="version""#)
            .then(|| shown.field_after("version", &marker));
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        if let Some(v) = &version
            && !fields.iter().any(|(k, _)| *k == "version")
        {
            all.push(("version", v));
        }
        all.extend(fields.iter().copied());
        let form_tag = &shown.body[from..end];
        let form_tag = &form_tag[..form_tag.find('>').unwrap_or(form_tag.len())];
        if !form_tag.contains(r#"enctype="multipart/form-data""#) {
            assert!(files.is_empty(), "{form_id} takes no files");
            return self.post_saved(action, &all, snapshot).await;
        }
        self.post_files(action, &all, files, snapshot).await
    }

    /// Post `fields` and files `(field, file name, bytes)` as `multipart/form-data`, the
    /// fields first (the CSRF token among them), as a browser sends a form.
    pub async fn post_files(
        &mut self,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        snapshot: Option<&str>,
    ) -> Answer {
        let boundary = "----cellpath-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = Request::post(action)
            .header(COOKIE, self.cookie_header())
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("a request");
        self.send(request, snapshot).await
    }

    /// Get a document's bytes: the status, the content type, the bytes.
    pub async fn download(&mut self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let request = Request::get(path)
            .header(COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("a request");
        let response = self
            .demo
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let media = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().expect("ASCII").to_string())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), 20 << 20)
            .await
            .expect("a body");
        (status, media, bytes.to_vec())
    }
}

/// Owned form fields (e.g. built from a record's values) as `post` and `submit` take them.
pub fn borrowed(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
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
