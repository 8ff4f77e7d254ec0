//! The HTTP server: the JSON API under `/api/v1` (problem+json errors, `Idempotency-Key`,
//! `If-Match`, pagination) with its OpenAPI document, the web UI merged at `/`, `/healthz`,
//! `/readyz`, Prometheus `/metrics`, request logs, and a graceful shutdown that lets
//! in-flight requests finish. Handlers are thin: they parse, call the app, and shape answers.
//! Beside them runs the jobs worker (`work`): the reactions commands enqueued, the hourly tick.

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

/// Whether `serve_with` runs the jobs worker in the same process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// Run the worker and the hourly tick (the default).
    On,
    /// Leave the jobs to a worker elsewhere (`cellpath jobs work`); what commands enqueue
    /// waits in the database until one runs.
    Off,
}

/// Serve with the jobs worker until `shutdown` resolves, then stop accepting and let
/// in-flight requests and the job in hand finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(app, listener, shutdown, Worker::On).await
}

/// `serve`, with or without the jobs worker.
pub async fn serve_with(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    worker: Worker,
) -> std::io::Result<()> {
    // A malformed sign-in key (CELLPATH_LOGIN_KEY) stops the start, rather than serving with
    // a key other than the one configured.
    let web = cellpath_web::WebConfig::from_env()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let routes = with_web(app.clone(), cellpath_web::router_with(app.clone(), web));
    // Idempotency records older than 24 hours, ended sessions, jobs done a week ago.
    let purge = spawn_every(app.clone(), PURGE_EVERY, |app| async move {
        match app.purge_expired().await {
            Ok((idem, sessions, jobs)) => {
                tracing::debug!(idem, sessions, jobs, "purged expired rows")
            }
            Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
        }
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = (worker == Worker::On).then(|| {
        tokio::spawn(work(app.clone(), async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|s| *s).await;
        }))
    });
    let served = axum::serve(listener, routes)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
    purge.abort();
    if let Some(worker) = worker {
        // The job in hand finishes (its effect is one command, committed or not); one that
        // takes longer is left to its lease, and runs again elsewhere or at the next start.
        let abort = worker.abort_handle();
        if tokio::time::timeout(WORKER_GRACE, worker).await.is_err() {
            abort.abort();
        }
    }
    served
}

/// How often expired operational rows are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// How often the hourly tick enqueues the expiry reminders and every active partnership's
/// review against today's date.
const TICK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// How often the worker looks for due jobs without being woken (timers, retries, jobs
/// enqueued by another process).
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a shutdown waits for the job in hand.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The jobs worker, until `shutdown` resolves: runs every due job (woken by the app when a
/// command enqueued one, and at least every second for timers and retries), and every hour
/// enqueues the expiry reminders and the review of every active partnership — only enqueues,
/// keyed by the hour, so several servers add them once. Authorizations follow the calendar:
/// an agreement expiring overnight suspends the sites resting on it without anyone asking.
pub async fn work(app: App, shutdown: impl Future<Output = ()> + Send + 'static) {
    let tick = spawn_every(app.clone(), TICK_EVERY, |app| async move {
        match app.enqueue_hourly().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "the hourly jobs were enqueued"),
            Err(e) => tracing::warn!(error = %e, "enqueueing the hourly jobs failed"),
        }
    });
    let wake = app.jobs_enqueued();
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let signal = tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    'work: loop {
        let (mut done, mut failed) = (0, 0);
        // Job by job, so a shutdown waits for the one in hand only.
        while !*stopping.borrow() {
            match app.run_next_job().await {
                Ok(Some(true)) => done += 1,
                Ok(Some(false)) => failed += 1,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "running due jobs failed");
                    break;
                }
            }
        }
        if done + failed > 0 {
            tracing::info!(done, failed, "jobs run");
        }
        tokio::select! {
            _ = stopping.wait_for(|s| *s) => break 'work,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
    signal.abort();
    tick.abort();
}

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
