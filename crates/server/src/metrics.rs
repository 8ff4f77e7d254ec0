//! Operations endpoints and request accounting: `/healthz` (the process answers), `/readyz`
//! (the database answers), `/metrics` in the Prometheus text format (requests by route and
//! status, latency histogram, ledger appends, jobs by status and attempts by outcome), and one
//! structured log line per request.

use crate::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; 12],
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → series.
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum_seconds += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    fn render(&self, appends: u64, jobs: Option<&cellpath_app::views::JobCounts>) -> String {
        let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP cellpath_http_requests_total HTTP requests by method, route and status.\n# TYPE cellpath_http_requests_total counter\n");
        for ((m, r, st), s) in map.iter() {
            out.push_str(&format!(
                "cellpath_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {}\n",
                s.count
            ));
        }
        out.push_str("# HELP cellpath_http_request_duration_seconds Request latency.\n# TYPE cellpath_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(String, String), Series> = BTreeMap::new();
        for ((m, r, _), s) in map.iter() {
            let agg = by_route.entry((m.clone(), r.clone())).or_default();
            agg.count += s.count;
            agg.sum_seconds += s.sum_seconds;
            for i in 0..BUCKETS.len() {
                agg.buckets[i] += s.buckets[i];
            }
        }
        for ((m, r), s) in by_route.iter() {
            for (i, b) in BUCKETS.iter().enumerate() {
                out.push_str(&format!("cellpath_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{b}\"}} {}\n", s.buckets[i]));
            }
            out.push_str(&format!("cellpath_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {}\n", s.count));
            out.push_str(&format!(
                "cellpath_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}\n",
                s.sum_seconds
            ));
            out.push_str(&format!(
                "cellpath_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {}\n",
                s.count
            ));
        }
        out.push_str("# HELP cellpath_ledger_appends_total Events appended to ledgers by this process.\n# TYPE cellpath_ledger_appends_total counter\n");
        out.push_str(&format!("cellpath_ledger_appends_total {appends}\n"));
        // From the database, so every server (and a worker elsewhere) reports the same queue.
        if let Some(counts) = jobs {
            out.push_str("# HELP cellpath_jobs Jobs by status (queued, running, done, failed).\n# TYPE cellpath_jobs gauge\n");
            for (status, n) in &counts.jobs {
                out.push_str(&format!(
                    "cellpath_jobs{{status=\"{}\"}} {n}\n",
                    status.as_str()
                ));
            }
            out.push_str("# HELP cellpath_job_attempts Job attempts by outcome (running, done, failed, lease_expired).\n# TYPE cellpath_job_attempts gauge\n");
            for (outcome, n) in &counts.attempts {
                out.push_str(&format!(
                    "cellpath_job_attempts{{outcome=\"{}\"}} {n}\n",
                    outcome.as_str()
                ));
            }
        }
        out
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

async fn ready(State(s): State<AppState>) -> Response {
    match s.app.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    // The counters of this process still answer when the database does not.
    let jobs = match s.app.job_counts().await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "counting jobs for /metrics failed");
            None
        }
    };
    let mut res = s
        .metrics
        .render(s.app.appends_total(), jobs.as_ref())
        .into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}

/// Time every request, count it under its route template (not the raw path, which would
/// explode the label set), and log it.
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    // Only the methods we serve become labels: an odd method must not grow the series.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m.to_string(),
        _ => "OTHER".to_string(),
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let seconds = start.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    s.metrics.observe(&method, &route, status, seconds);
    tracing::info!(
        method,
        path,
        route,
        status,
        // Rounded to a tenth of a millisecond: finer digits are noise in a log line.
        ms = (seconds * 10_000.0).round() / 10.0,
        "request"
    );
    res
}
