//! The web UI in headless Chromium through chromedriver: a health system's admin logs in,
//! creates a site, sees it listed, submits a bad value and sees the error beside the field; a
//! site coordinator refines a step of a site's map and proposes a change to a controlled step,
//! the manufacturer accepts it, both sign, and the swimlane shows the change; a pharmacist
//! records formulary approval on a site's gate page with her password. Screenshots go to
//! `target/screenshots/`. Skipped only when Chromium is missing and `CI` is not set; on CI a
//! missing browser fails the test. The tests run one at a time (`ONE_BROWSER`): two Chromiums
//! on two cores make every wait a race.

use crate::support::{helixa_lakeshore, site_id, spawn_demo, vantacel};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Held by each test for its whole run.
pub(crate) static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) struct Driver {
    child: Child,
    _profile: tempfile::TempDir,
    pub(crate) client: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(env: &str, default: &str) -> PathBuf {
    std::env::var(env)
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(default))
}

async fn start_browser() -> Option<Driver> {
    start_browser_with(&["--window-size=1280,900"]).await
}

/// Chromium with these arguments besides the usual ones (its window size, a device scale
/// factor).
pub(crate) async fn start_browser_with(extra: &[&str]) -> Option<Driver> {
    let chromium = binary("CELLPATH_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = binary("CELLPATH_CHROMEDRIVER", "/usr/bin/chromedriver");
    if !chromium.exists() || !chromedriver.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have {} and {}",
            chromium.display(),
            chromedriver.display()
        );
        eprintln!(
            "skipping the browser test: install Debian's chromium and chromium-driver to run it"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }
    });
    let mut caps: fantoccini::wd::Capabilities = caps.as_object().unwrap().clone();
    caps["goog:chromeOptions"]["args"]
        .as_array_mut()
        .expect("the arguments are a list")
        .extend(extra.iter().map(|a| json!(a)));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Some(Driver {
                    child,
                    _profile: profile,
                    client,
                });
            }
            Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn fill(c: &Client, name: &str, value: &str) {
    let field = c
        .find(Locator::Css(&format!(
            "form:has(input[name=code]) [name={name}]"
        )))
        .await
        .unwrap_or_else(|e| panic!("field {name}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

#[tokio::test]
async fn an_admin_creates_a_site_and_sees_a_bad_value_explained() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let org = s.org_id("Lakeshore University Health").await;

    c.goto(&s.url("/login")).await.unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("admin@lakeshore.example")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(cellpath_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    click(c, "form:has(input[name=password]) button[type=submit]").await;
    let body = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("Lakeshore University Health"),
        "home page after login: {body}"
    );
    std::fs::write(
        screenshot_dir().join("home.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    c.goto(&s.url(&format!("/orgs/{org}/sites"))).await.unwrap();
    fill(c, "name", "Lakeshore West Clinic").await;
    fill(c, "code", "LUH-WEST").await;
    fill(c, "city", "Oak Park").await;
    fill(c, "region", "IL").await;
    click(c, "form:has(input[name=code]) button[type=submit]").await;
    c.goto(&s.url(&format!("/orgs/{org}/sites"))).await.unwrap();
    let list = c
        .find(Locator::Css("table.list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Lakeshore West Clinic") && list.contains("LUH-WEST"),
        "{list}"
    );

    // A bad code: the message stands beside the field, and what was typed is kept.
    fill(c, "name", "Lakeshore South").await;
    fill(c, "code", "9 south").await;
    fill(c, "city", "Blue Island").await;
    fill(c, "region", "IL").await;
    click(c, "form:has(input[name=code]) button[type=submit]").await;
    let error = c
        .find(Locator::Css("p.field-error[data-field=code]"))
        .await
        .expect("an error beside the code field")
        .text()
        .await
        .unwrap();
    assert!(error.contains("capital letters"), "{error}");
    let kept = c
        .find(Locator::Css("form:has(input[name=code]) [name=name]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Lakeshore South"));
    std::fs::write(
        screenshot_dir().join("site-error.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    assert!(
        s.app
            .store()
            .sites_of(&org, cellpath_app::views::Page::all())
            .await
            .unwrap()
            .iter()
            .all(|x| x.name != "Lakeshore South"),
        "nothing stored"
    );

    // The audit trail shows who did what.
    c.goto(&s.url(&format!("/ledgers/{org}"))).await.unwrap();
    let trail = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        trail.contains("LUH-WEST"),
        "the new site's event is on the ledger page"
    );
    std::fs::write(
        screenshot_dir().join("ledger.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}

pub(crate) async fn type_into(c: &Client, css: &str, value: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("field {css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Click something that loads a page (a link, a submit button) and wait for the new page.
pub(crate) async fn click(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
    // The old document's element goes stale once the browser has left the page.
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "{css} did not load a page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(c: &Client, s: &crate::support::TestServer, email: &str) {
    c.goto(&s.url("/login")).await.unwrap();
    type_into(c, "input[name=email]", email).await;
    type_into(c, "input[name=password]", cellpath_app::demo::DEMO_PASSWORD).await;
    click(c, "form:has(input[name=password]) button[type=submit]").await;
    assert!(
        c.find(Locator::Css("#sign-out")).await.is_ok(),
        "{email} is signed in"
    );
}

/// Sign this version for the signed-in person's side, with the password re-entered.
async fn sign_site_map(c: &Client) {
    c.find(Locator::Css("#sign-form select[name=meaning]"))
        .await
        .unwrap()
        .select_by_value("approved")
        .await
        .unwrap();
    type_into(
        c,
        "#sign-form input[name=password]",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    click(c, "#sign-form button[type=submit]").await;
}

#[tokio::test]
async fn a_site_refines_its_map_the_manufacturer_accepts_and_both_sign() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let store = s.app.store();
    let pship = helixa_lakeshore(&s.app).await;
    let cancer = site_id(&s.app, "Lakeshore University Health", "LUH-CANCER").await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;
    let vantacel = vantacel(&s.app).await;
    let draft = store
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let page = format!("/site-maps/{}", draft.id);

    // The coordinator opens the Cancer Pavilion's draft from the partnership page.
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&format!("/partnerships/{pship}")))
        .await
        .unwrap();
    click(c, "tr[data-site='LUH-CANCER'] a[href^='/site-maps/']").await;
    assert!(
        c.current_url().await.unwrap().path().ends_with(&page),
        "on the draft's page"
    );

    // Refines a step: who receives the product at the Pavilion, where, in which system.
    click(c, "tr#step-receipt_and_storage a.button").await;
    c.find(Locator::Css("#details-form select[name=owner_role]"))
        .await
        .unwrap()
        .select_by_value("cell_lab")
        .await
        .unwrap();
    type_into(
        c,
        "#details-form input[name=location]",
        "Pavilion cell lab annex, room 2.14",
    )
    .await;
    type_into(c, "#details-form input[name=system]", "Cell lab LIMS").await;
    click(c, "#details-form button[type=submit]").await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("local details are saved")
    );

    // Proposes a change to a controlled step, with the site's reason.
    c.goto(&s.url(&format!("{page}/steps/enrollment")))
        .await
        .unwrap();
    type_into(
        c,
        "#propose-form input[name=name]",
        "Enrollment in the Helixa portal at intake",
    )
    .await;
    type_into(
        c,
        "#propose-form textarea[name=reason]",
        "Our coordinators enroll at intake, the same day as consent.",
    )
    .await;
    click(c, "#propose-form button[type=submit]").await;
    assert!(text_of(c, "#notice").await.contains("proposal is sent"));
    click(c, "#sign-out").await;

    // Helixa's quality lead accepts it with a reason (and decides the seeded one too).
    sign_in(c, &s, "quality@helixa.example").await;
    c.goto(&s.url(&page)).await.unwrap();
    type_into(
        c,
        "article[data-step='enrollment'] textarea[name=reason]",
        "Accepted: enrollment at intake is within the program manual.",
    )
    .await;
    click(c, "article[data-step='enrollment'] button[value=accept]").await;
    assert!(text_of(c, "#notice").await.contains("accepted"));
    type_into(
        c,
        "article[data-step='thaw_cd4'] textarea[name=reason]",
        "Rejected: the satellite pharmacy has no validated thaw device yet.",
    )
    .await;
    click(c, "article[data-step='thaw_cd4'] button[value=reject]").await;
    sign_site_map(c).await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("signature is recorded")
    );
    click(c, "#sign-out").await;

    // The site signs too: the version is signed by both sides.
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&page)).await.unwrap();
    sign_site_map(c).await;
    let status = c
        .find(Locator::Css("h1 .site-map-status"))
        .await
        .unwrap()
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(status.as_deref(), Some("signed"));
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    std::fs::write(
        screenshot_dir().join("site-map-signed-top.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    // The new version's swimlane shows the change.
    let changed = c
        .find(Locator::Css("g.step.changed[data-step='enrollment']"))
        .await
        .expect("the accepted change is marked on the swimlane");
    let inside = changed.prop("innerHTML").await.unwrap().unwrap_or_default();
    assert!(
        inside.contains("Enrollment in the Helixa portal at intake"),
        "the box carries the new name: {inside}"
    );
    assert!(
        text_of(c, "tr#step-enrollment")
            .await
            .contains("Enrollment in the Helixa portal at intake")
    );
    c.execute(
        "document.querySelector(\"g.step.changed[data-step='enrollment']\").scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("site-map-signed.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    let view = s
        .app
        .site_map(&cellpath_app::Caller::system("test"), &draft.id)
        .await
        .unwrap();
    assert_eq!(view.status.as_str(), "signed");

    // A readiness page: Lakeshore North, with its open blocking gap.
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/sites/{north}/readiness?program={vantacel}"
    )))
    .await
    .unwrap();
    assert!(text_of(c, "#score").await.contains("1 open blocking gap"));
    std::fs::write(
        screenshot_dir().join("readiness.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    // The onboarding pipeline and the live plan: the site map just signed counts as done.
    c.goto(&s.url("/onboarding")).await.unwrap();
    assert!(text_of(c, "#pipeline-summary").await.contains("authorized"));
    std::fs::write(
        screenshot_dir().join("onboarding.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&s.url(&format!("/partnerships/{pship}/plan?program={vantacel}")))
        .await
        .unwrap();
    assert!(text_of(c, "#done").await.contains("Site map signed"));
    assert!(text_of(c, "#days-saved").await.contains("Dual-track saves"));
    std::fs::write(
        screenshot_dir().join("live-plan.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/plan?program={vantacel}#charts"
    )))
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("live-plan-charts.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Back to the top of a page, so the sign-out button is not under the sticky header.
    c.goto(&s.url("/")).await.unwrap();

    // Lakeshore's pharmacist records formulary approval on Lakeshore North's gate page, with
    // her password; the page then lists it as done.
    click(c, "#sign-out").await;
    sign_in(c, &s, "pharmacy@lakeshore.example").await;
    c.goto(&s.url(&format!(
        "/partnerships/{pship}/sites/{north}/gate?program={vantacel}"
    )))
    .await
    .unwrap();
    let item = "li#deliverable-pharmacy_and_therapeutics";
    c.find(Locator::Css(&format!("{item} details summary")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The day it was done is the pharmacist's to give (never filled in with today), with the
    // browser's date picker.
    let picker = c
        .find(Locator::Css(&format!("{item} input[name=done_on]")))
        .await
        .unwrap();
    assert_eq!(picker.attr("type").await.unwrap().as_deref(), Some("date"));
    assert_eq!(picker.prop("value").await.unwrap().as_deref(), Some(""));
    c.execute(
        "document.querySelector('li#deliverable-pharmacy_and_therapeutics input[name=done_on]').value = '2025-11-20';",
        vec![],
    )
    .await
    .unwrap();
    type_into(
        c,
        &format!("{item} textarea[name=evidence]"),
        "Vantacel added to the formulary at the P&T meeting (minutes PT-2025-11).",
    )
    .await;
    type_into(
        c,
        &format!("{item} input[name=password]"),
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    c.execute(
        "document.querySelector('li#deliverable-pharmacy_and_therapeutics').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("gate-record-deliverable.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    click(c, &format!("{item} button[type=submit]")).await;
    assert!(
        text_of(c, "#notice")
            .await
            .contains("recorded with your signature")
    );
    assert!(
        text_of(c, "tr[data-done='pharmacy_and_therapeutics']")
            .await
            .contains("PT-2025-11")
    );
    c.execute(
        "document.querySelector('#deliverables-done').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("gate-deliverable-recorded.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Its signature is shown with it (21 CFR 11.50): her printed name, the meaning, the time.
    let row = text_of(c, "tr[data-done='pharmacy_and_therapeutics'] li.signature").await;
    assert!(
        row.contains("Signed by Caleb Novak · verified · ")
            && row.contains(" UTC · via web session"),
        "{row}"
    );
    // The audit trail the page points to opens for her, in names, the raw event one click away.
    click(c, "#deliverables-done a.audit-trail-link").await;
    let recorded = "li.event[data-type='deliverable_record.created']";
    let event = text_of(c, recorded).await;
    assert!(event.contains("Deliverable record created"), "{event}");
    assert!(
        event.contains("Lakeshore North"),
        "the site by name: {event}"
    );
    assert!(event.contains("by Caleb Novak"), "{event}");
    assert!(
        event.contains("Signed by Caleb Novak · verified"),
        "{event}"
    );
    c.find(Locator::Css(&format!(
        "{recorded} details.raw-event summary"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert!(
        text_of(c, &format!("{recorded} details.raw-event pre"))
            .await
            .contains(r#""type":"deliverable_record.created""#)
    );
    c.execute(
        "document.querySelector(\"li.event[data-type='deliverable_record.created']\").scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("audit-trail-signed-deliverable.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();

    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}

/// At 1024 px wide (a small laptop) the onboarding pipeline and a live plan's table fit
/// without an inner horizontal scroll, and every navigation link is on screen.
#[tokio::test]
async fn at_1024_px_the_onboarding_tables_and_the_navigation_fit() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    c.set_window_size(1024, 900).await.unwrap();
    sign_in(c, &s, "pharmacy@lakeshore.example").await;
    let plan = format!(
        "/partnerships/{}/plan?program={}",
        helixa_lakeshore(&s.app).await,
        vantacel(&s.app).await
    );
    for (path, shot) in [
        ("/onboarding", "onboarding-1024"),
        (plan.as_str(), "live-plan-1024"),
    ] {
        c.goto(&s.url(path)).await.unwrap();
        // The page's own width: what the window shows without the scrollbar.
        let fits = c
            .execute(
                "const w = document.documentElement.clientWidth;
                 const tables = [...document.querySelectorAll('.table-scroll')]
                   .filter(t => t.querySelector('table.pipeline, table.live-plan'));
                 const links = [...document.querySelectorAll('nav.sidebar a, #sign-out')];
                 return {
                   tables: tables.length,
                   scrolling: tables.filter(t => t.scrollWidth > t.clientWidth + 1).length,
                   page_wider: document.documentElement.scrollWidth > w + 1,
                   links: links.length,
                   off_screen: links.filter(a => { const r = a.getBoundingClientRect();
                     return r.width === 0 || r.left < 0 || r.right > w; }).length,
                 };",
                vec![],
            )
            .await
            .unwrap();
        std::fs::write(
            screenshot_dir().join(format!("{shot}.png")),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        assert!(fits["tables"].as_u64().unwrap() > 0, "{path}: {fits}");
        assert_eq!(
            fits["scrolling"], 0,
            "{path}: a table scrolls sideways: {fits}"
        );
        assert_eq!(fits["page_wider"], false, "{path}: {fits}");
        assert!(fits["links"].as_u64().unwrap() >= 8, "{path}: {fits}");
        assert_eq!(fits["off_screen"], 0, "{path}: {fits}");
    }
    s.shutdown().await;
}

/// Set a `datetime-local` field (its typing is the browser's locale) and tell the form.
async fn set_time(c: &Client, name: &str, value: &str) {
    c.execute(
        "const f = document.querySelector('#adverse-event-form [name=' + arguments[0] + ']'); f.value = arguments[1]; f.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(name), json!(value)],
    )
    .await
    .unwrap();
}

/// Wait until the grade shown beside the form is `grade` ("" for none), and say its text.
async fn grade_shown(c: &Client, grade: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = c.find(Locator::Css("#ae-grade")).await.unwrap();
        let shown = out.attr("data-grade").await.unwrap().unwrap_or_default();
        let text = out.text().await.unwrap();
        if shown == grade && !text.contains("computed from the findings") {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the grade shown stays {shown:?} ({text}), not {grade:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_nurse_sees_the_crs_grade_change_as_she_types_and_records_it() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let case = s.infused_case().await;
    let page = s.url(&format!("/cases/{case}"));
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&page).await.unwrap();
    assert!(
        text_of(c, "#adverse-events")
            .await
            .contains("No adverse event recorded")
    );
    // The clock stands an hour after the infusion (16:00 UTC on the demo's day).
    set_time(c, "onset", "2025-11-24T16:30").await;
    set_time(c, "at", "2025-11-24T16:45").await;
    type_into(c, "#adverse-event-form [name=temperature]", "38.9").await;
    c.find(Locator::Css("#adverse-event-form select[name=oxygen]"))
        .await
        .unwrap()
        .select_by_value("nasal_cannula")
        .await
        .unwrap();
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "6").await;
    let two = grade_shown(c, "2").await;
    assert!(two.contains("nasal cannula at 6 L/min: grade 2"), "{two}");
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "7").await;
    let three = grade_shown(c, "3").await;
    assert!(
        three.contains("nasal cannula at 7 L/min: grade 3"),
        "{three}"
    );
    std::fs::write(
        screenshot_dir().join("adverse-event-grade.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // A flow that is no flow: said as it is typed, and beside the field when submitted.
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "0").await;
    let bad = grade_shown(c, "").await;
    assert!(bad.contains("litres per minute"), "{bad}");
    click(c, "#adverse-event-form button[type=submit]").await;
    let beside = text_of(
        c,
        "#adverse-event-form p.field-error[data-field=litres_per_minute]",
    )
    .await;
    assert!(beside.contains("litres per minute"), "{beside}");
    assert!(
        text_of(c, "#adverse-events")
            .await
            .contains("No adverse event recorded")
    );
    // Put right and recorded: the case lists it at grade 3.
    type_into(c, "#adverse-event-form [name=litres_per_minute]", "7").await;
    grade_shown(c, "3").await;
    click(c, "#adverse-event-form button[type=submit]").await;
    let row = text_of(c, "#adverse-events tr[data-adverse-event='1']").await;
    assert!(
        row.contains("CRS #1") && row.contains("Grade 3") && row.contains("7 L/min"),
        "{row}"
    );
    std::fs::write(
        screenshot_dir().join("adverse-event-recorded.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}

/// Submit the focused form with Enter (as a barcode scanner ends what it types) and wait for
/// the page it loads.
async fn type_and_enter(c: &Client, text: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    let focused = c.active_element().await.unwrap();
    if focused.attr("name").await.unwrap().as_deref() != Some("scan") {
        std::fs::write(
            screenshot_dir().join("case-scan-no-focus.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        panic!("the scan field has no focus: {}", text_of(c, "#next").await);
    }
    focused.send_keys(&format!("{text}\u{E007}")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "Enter did not send the form");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_nurse_verifies_the_bag_by_scanning_its_label_and_a_wrong_bag_is_named() {
    use cellpath_app::cases::CaseInput;
    use cellpath_domain::process_map::StepKind;
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = s
        .app
        .stored_case(&site)
        .await
        .unwrap()
        .expect("the demo's stored case");
    // Up to the bedside, each open step by a person of its role (EHR steps attested, signed
    // ones with the password, the ICU bed checklist ticked, the bags thawed).
    let person = |email: String| {
        let app = s.app.clone();
        async move {
            let user = app.store().user_by_email(&email).await.unwrap().unwrap();
            app.caller_for_user(&user.id, cellpath_app::access::Via::Session)
                .await
                .unwrap()
        }
    };
    let coordinator = person("coordinator@lakeshore.example".into()).await;
    for _ in 0..12 {
        let view = s.app.case(&coordinator, &case).await.unwrap();
        if view
            .available
            .iter()
            .any(|a| a.step == "dual_verification_cd4")
        {
            break;
        }
        let open = view.available.first().expect("an open step");
        let role = open.roles[0];
        let step = view.steps.iter().find(|st| st.key == open.step).unwrap();
        let on_map = view.map.as_ref().and_then(|m| m.step(&step.key)).unwrap();
        let (fields, attestation) = if step.ehr {
            let attested = cellpath_domain::events::cases::EhrAttestation {
                reference: format!("EHR-{}", step.key),
                charted_at: s.app.now(),
            };
            (Default::default(), Some(attested))
        } else {
            let fields = step
                .fields
                .iter()
                .map(|f| (f.clone(), "as recorded".to_string()))
                .collect();
            (fields, None)
        };
        let key = step.key.clone();
        let input = match step.kind {
            StepKind::Signature => CaseInput::Sign {
                step: key,
                meaning: on_map
                    .params
                    .signatures
                    .iter()
                    .find(|sig| sig.role == role)
                    .map(|sig| sig.meaning)
                    .unwrap(),
                fields,
                attestation,
            },
            StepKind::Checklist => CaseInput::Checklist {
                step: key,
                fields,
                attestation,
                ticked: on_map.params.items.clone(),
            },
            StepKind::Thaw => CaseInput::Thaw {
                step: key,
                fields,
                attestation,
            },
            StepKind::HoldPoint => CaseInput::PassHold {
                step: key,
                fields,
                attestation,
            },
            _ => CaseInput::Record {
                step: key,
                fields,
                attestation,
            },
        };
        let by = person(format!(
            "{}@lakeshore.example",
            role.as_str().replace('_', ".")
        ))
        .await;
        s.app
            .act_on_case(
                &by,
                &case,
                input,
                cellpath_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
    }
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    // Another patient's bag: refused, and said beside the scan field in words.
    type_and_enter(c, "W1234 26 000108").await;
    let beside = text_of(
        c,
        "#step-dual_verification_cd4 p.field-error[data-field=scan]",
    )
    .await;
    assert!(
        beside.contains("does not belong to case VAN-LUH-MAIN-0007") && beside.contains("000107"),
        "{beside}"
    );
    c.execute(
        "document.querySelector('#step-dual_verification_cd4').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-scan-mismatch.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // The right bag: the field has the focus again; the scan is recorded.
    type_and_enter(c, "W1234 26 000107").await;
    assert!(
        c.find(Locator::Css("p.field-error[data-field=scan]"))
            .await
            .is_err(),
        "no message after the right bag"
    );
    let timeline = text_of(c, "#timeline").await;
    assert!(
        timeline.contains("Bedside dual verification CD4"),
        "{timeline}"
    );
    // The page comes back after the scan with the focus in the scan field again, so the
    // scanner's next label goes in without a click.
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("name").await.unwrap().as_deref(),
        Some("scan"),
        "after a recorded scan the scan field has the focus again"
    );
    // The second nurse of the seeded demo scans the same bag: the four eyes are complete.
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse.nights@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    type_and_enter(c, "W1234 26 000107").await;
    let view = s.app.case(&coordinator, &case).await.unwrap();
    let cd4 = view
        .steps
        .iter()
        .find(|st| st.key == "dual_verification_cd4")
        .unwrap();
    assert_eq!(cd4.state, "done", "two nurses verified the CD4 bag");
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    // The whole page as the nurse and the coordinator see it, to look at.
    c.set_window_size(1280, 6000).await.unwrap();
    std::fs::write(
        screenshot_dir().join("case-scan-verified.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    std::fs::write(
        screenshot_dir().join("case-page-coordinator.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Below the timeline: the other actions, then hold and cancel apart.
    c.set_window_size(1280, 1600).await.unwrap();
    c.execute(
        "document.querySelector('#more-actions').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-page-stop.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Three hours on, the CD4 bag's 120-minute thaw window has closed. A second nurse verifies
    // (through the app, which stops before the infusion).
    s.clock.advance_secs(3 * 3_600);
    s.app
        .forward_until(&case, "administer_cd4")
        .await
        .expect("the second verification, up to the infusion");
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    let form = text_of(c, "#step-administer_cd4").await;
    assert!(form.contains("The thaw window closed"), "{form}");
    type_into(
        c,
        "#step-administer_cd4 [name=ehr_reference]",
        "EHR-MAR-2201",
    )
    .await;
    type_into(
        c,
        "#step-administer_cd4 [name=late_reason]",
        "patient febrile at thaw; given once cleared by the physician",
    )
    .await;
    type_into(
        c,
        "#step-administer_cd4 [name=password]",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    c.execute(
        "document.querySelector('#step-administer_cd4').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-administer-late.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    click(c, "#step-administer_cd4 button[type=submit]").await;
    let timeline = text_of(c, "#timeline").await;
    assert!(
        timeline.contains("patient febrile at thaw; given once cleared by the physician"),
        "{timeline}"
    );
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
