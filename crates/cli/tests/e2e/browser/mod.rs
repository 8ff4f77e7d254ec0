//! The web UI in headless Chromium through chromedriver: a health system's admin logs in,
//! creates a site, sees it listed, submits a bad value and sees the error beside the field; a
//! site coordinator refines a step of a site's map and proposes a change to a controlled step,
//! the manufacturer accepts it, both sign, and the swimlane shows the change; a pharmacist
//! records formulary approval on a site's gate page with her password; a coordinator and a
//! physician handle a release exception in its page's forms. Screenshots go to
//! `target/screenshots/`. Skipped only when Chromium is missing and `CI` is not set; on CI a
//! missing browser fails the test. The tests run one at a time (`ONE_BROWSER`): two Chromiums
//! on two cores make every wait a race.
//! One module per concern; the driver and the helpers they share are here.

mod adverse_events;
mod exceptions;
mod layout;
mod money;
mod scanning;
mod site_maps;
mod sites;

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
