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

/// Every route: API, operations endpoints and the web UI.
pub fn router(app: App) -> Router {
    let state = AppState {
        app: app.clone(),
        metrics: Arc::new(Metrics::default()),
    };
    Router::new()
        .merge(api::routes())
        .merge(metrics::routes())
        .with_state(state.clone())
        .merge(cellpath_web::router(app))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
}

/// Serve until `shutdown` resolves, then stop accepting and let in-flight requests finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
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
