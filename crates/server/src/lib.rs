//! The HTTP server: the JSON API under `/api/v1` (problem+json errors, `Idempotency-Key`,
//! `If-Match`, pagination) with its OpenAPI document, the web UI merged at `/`, `/healthz`,
//! `/readyz`, Prometheus `/metrics`, request logs, and a graceful shutdown that lets
//! in-flight requests finish. Handlers are thin: they parse, call the app, and shape answers.

#![recursion_limit = "512"]

mod api;
mod metrics;
pub mod openapi;
mod problem;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use cellpath_app::App;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use metrics::Metrics;

/// Bodies larger than this are refused with 413 before any parsing.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
}

/// Every route: API, operations endpoints and the web UI (configured from the environment).
pub fn router(app: App) -> Router {
    with_web(app.clone(), cellpath_web::router(app))
}

/// The API and operations routes, with the web UI's router merged at `/`.
fn with_web(app: App, web: Router) -> Router {
    let state = AppState {
        app: app.clone(),
        metrics: Arc::new(Metrics::default()),
    };
    Router::new()
        .merge(api::routes())
        .merge(metrics::routes())
        .with_state(state.clone())
        .merge(web)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
}

/// Serve until `shutdown` resolves, then stop accepting and let in-flight requests finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A malformed sign-in key (CELLPATH_LOGIN_KEY) stops the start, rather than serving with
    // a key other than the one configured.
    let web = cellpath_web::WebConfig::from_env()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let routes = with_web(app.clone(), cellpath_web::router_with(app.clone(), web));
    let jobs = [
        // Idempotency records older than 24 hours and ended sessions.
        spawn_every(app.clone(), PURGE_EVERY, |app| async move {
            match app.purge_expired().await {
                Ok((idem, sessions)) => tracing::debug!(idem, sessions, "purged expired rows"),
                Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
            }
        }),
        // Authorizations follow the calendar: an agreement expiring overnight suspends the
        // sites resting on it without anyone asking, and both sides are reminded before it
        // lapses. Each records only what is new (a reminder once per threshold).
        spawn_every(app.clone(), REVIEW_EVERY, |app| async move {
            let today = cellpath_domain::Date::of_micros(app.now());
            match app.send_expiry_reminders(today.clone()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "expiry reminders recorded"),
                Err(e) => tracing::warn!(error = %e, "recording expiry reminders failed"),
            }
            match app.review_all_authorizations(today).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(changes = n, "authorizations reviewed"),
                Err(e) => tracing::warn!(error = %e, "reviewing authorizations failed"),
            }
        }),
    ];
    let served = axum::serve(listener, routes)
        .with_graceful_shutdown(shutdown)
        .await;
    for job in jobs {
        job.abort();
    }
    served
}

/// How often expired operational rows are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// How often every active partnership's authorizations are reviewed, and its expiry reminders
/// sent, against today's date.
const REVIEW_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Run `job` now and then every `period` until aborted.
fn spawn_every<F, Fut>(app: App, period: std::time::Duration, job: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(App) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            job(app.clone()).await;
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
