//! The web UI in headless Chromium through chromedriver: a health system's admin logs in,
//! creates a site, sees it listed, submits a bad value and sees the error beside the field.
//! Screenshots go to `target/screenshots/`. Skipped only when Chromium is missing and `CI` is
//! not set; on CI a missing browser fails the test.

use crate::support::spawn_demo;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    _profile: tempfile::TempDir,
    client: Client,
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
                "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display()),
            ],
        }
    });
    let caps: fantoccini::wd::Capabilities = caps.as_object().unwrap().clone();
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

fn screenshot_dir() -> PathBuf {
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
    c.find(Locator::Css(
        "form:has(input[name=password]) button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
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
    c.find(Locator::Css(
        "form:has(input[name=code]) button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
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
    c.find(Locator::Css(
        "form:has(input[name=code]) button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
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
            .store
            .sites_of(&org, cellpath_store::Page::all())
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
