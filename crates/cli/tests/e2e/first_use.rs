//! What a newcomer meets first: the whole server's answer to an unknown path, `cellpath demo`
//! and its options, and the logs of a server run into a file.

use crate::support::{cellpath, spawn_demo, stderr};
use reqwest::StatusCode;

#[tokio::test]
async fn an_unknown_path_outside_the_api_is_the_styled_not_found_page() {
    let s = spawn_demo().await;
    let res = s.http.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{ct}");
    let body = res.text().await.unwrap();
    assert!(body.contains("<h1>Not found</h1>"), "{body}");
    assert!(body.contains("There is no page at /no/such/page"), "{body}");
    // The API keeps its own answer.
    let res = s.http.get(s.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    s.shutdown().await;
}

#[test]
fn demo_refuses_a_database_url_it_would_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.db");
    let elsewhere = dir.path().join("mine.db");
    let out = cellpath(
        &[
            "demo",
            "--file",
            file.to_str().unwrap(),
            "--database-url",
            &format!("sqlite://{}", elsewhere.display()),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`cellpath demo` does not use --database-url"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!file.exists() && !elsewhere.exists(), "nothing was written");
}

/// `cellpath serve` with its standard error going to a file, as under a service manager.
#[tokio::test]
async fn logs_written_to_a_file_are_plain_text_with_rounded_durations() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cellpath"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .env_remove("CELLPATH_DATABASE_URL")
        .env_remove("NO_COLOR")
        .env_remove("CELLPATH_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut addr = None;
    for _ in 0..600 {
        let text = std::fs::read_to_string(&log_path).unwrap();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let addr = addr.expect("the server starts");
    let res = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log_path).unwrap();
        if text.contains("/healthz") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!text.contains('\u{1b}'), "no colour codes: {text:?}");
    let line = text
        .lines()
        .find(|l| l.contains(r#"path="/healthz""#))
        .unwrap_or_else(|| panic!("the request is logged: {text}"));
    let ms = line
        .split("ms=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("a duration: {line}"));
    let decimals = ms.split('.').nth(1).map_or(0, str::len);
    assert!(decimals <= 1, "rounded to a tenth of a millisecond: {line}");
}

/// The demo gives back what seeding used: every person seeded costs a password hash (argon2id,
/// 19 MiB each), which glibc kept in its arenas until the process set a fixed mmap threshold
/// (180 MB resident after start before; about 35 MB since, in a debug build).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_demo_server_holds_under_100_mb_after_start() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("demo.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let file = dir.path().join("demo.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cellpath"))
        .args(["demo", "--listen", "127.0.0.1:0", "--file"])
        .arg(&file)
        .env_remove("CELLPATH_DATABASE_URL")
        .env_remove("CELLPATH_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut addr = None;
    for _ in 0..2400 {
        let text = std::fs::read_to_string(&log_path).unwrap();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let addr = addr.expect("the demo starts");
    let res = reqwest::get(format!("http://{addr}/login")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    assert!(
        rss_kb < 100 * 1024,
        "the demo holds {} MB after start",
        rss_kb / 1024
    );
}
