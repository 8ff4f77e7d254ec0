//! Running the server: health, readiness and metrics, a graceful shutdown, the hourly job.

use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = spawn_demo().await;
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        s.http.get(s.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let token = s.token("admin@lakeshore.example").await;
    s.http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"cellpath_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("cellpath_http_request_duration_seconds_bucket"));
    let appends: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cellpath_ledger_appends_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(appends > 60, "the demo's appends are counted: {appends}");
    // Jobs by status and attempts by outcome, from the database: the demo's gate reviews ran.
    let gauge = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
            .parse()
            .unwrap()
    };
    assert!(gauge(r#"cellpath_jobs{status="done"}"#) >= 1, "{metrics}");
    assert_eq!(gauge(r#"cellpath_jobs{status="failed"}"#), 0, "{metrics}");
    let _ = gauge(r#"cellpath_jobs{status="queued"}"#);
    let _ = gauge(r#"cellpath_jobs{status="running"}"#);
    assert!(gauge(r#"cellpath_job_attempts{outcome="done"}"#) >= 1);
    assert_eq!(gauge(r#"cellpath_job_attempts{outcome="failed"}"#), 0);
    let _ = gauge(r#"cellpath_job_attempts{outcome="lease_expired"}"#);
    s.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = spawn_demo().await;
    let token = s.token("admin@cascade.example").await;
    let org = s.org_id("Cascade Regional Medical").await;
    let body = json!({ "name": "Cascade Gresham Clinic", "code": "CRM-GRESHAM", "city": "Gresham", "region": "OR" }).to_string();
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/organizations/{org}/sites HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Shut down while the request is half sent; it must still be served.
    let app = s.app.clone();
    let stopping = tokio::spawn(s.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    conn.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    stopping.await.unwrap();
    let sites = app
        .store()
        .sites_of(&org, cellpath_app::views::Page::all())
        .await
        .unwrap();
    assert!(sites.iter().any(|x| x.code == "CRM-GRESHAM"));
}

#[tokio::test]
async fn the_servers_hourly_job_records_the_expiry_reminders_due_when_it_starts() {
    use cellpath_app::notices::NoticeKind;
    let db = cellpath_app::testing::TestDb::sqlite().await;
    let clock = cellpath_app::ManualClock::starting_at(crate::support::START);
    let app = cellpath_app::App::new(db.store().await, std::sync::Arc::new(clock.clone()));
    cellpath_app::demo::seed(&app).await.unwrap();
    // Noon on 2030-03-02: 90 days before the demo's agreements lapse.
    let day = cellpath_domain::Date::parse("2030-03-02").unwrap();
    let noon = day.days_since_epoch() * 86_400_000_000 + 43_200_000_000;
    clock.advance_secs((noon - app.now()) / 1_000_000);
    let helixa = crate::support::org_id(&app, "Helixa Therapeutics").await;
    let reminders = || async {
        app.notices(
            &cellpath_app::Caller::system("test"),
            &helixa,
            cellpath_app::views::Page::all(),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == NoticeKind::ExpiryReminder)
        .count()
    };
    assert_eq!(reminders().await, 0);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cellpath_server::serve(app.clone(), listener, async move {
        let _ = stopped.await;
    }));
    // The job runs as the server starts, then hourly.
    let mut seen = 0;
    for _ in 0..100 {
        seen = reminders().await;
        if seen >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 5, "one reminder per executed agreement");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    assert_eq!(reminders().await, 5, "and no more");
}
