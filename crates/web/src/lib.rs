//! The web UI of cellpath: server-rendered HTML (maud, which escapes every splice) that works
//! without JavaScript, one stylesheet of our own, and forms that post back to the same pages.
//! Every page goes through `cellpath_app::App`; this crate never talks to the store except to
//! list the operator's directory of health systems when a manufacturer proposes a partnership.
//!
//! **API Boundary:** [`router`] (and [`router_with`] for an explicit [`WebConfig`]) is all the
//! server uses; it merges the returned `Router<()>` at `/`. Paths never collide with `/api/…`,
//! `/healthz`, `/readyz` or `/metrics`. Its fallback answers any other unknown path with the
//! styled "Not found" page (status 404); the API answers unknown `/api/…` paths itself with
//! problem+json, so the server must not set a fallback of its own (axum refuses to merge two).
//!
//! **Architecture Invariant:** no handler reads a form before its CSRF token is checked (the
//! [`session::Posted`] extractor does both), and no user text reaches the page unescaped.
//!
//! Code map: `session` (cookies, the signed-in context, CSRF), `login_csrf` (the sign-in form's
//! token, signed with the server's key), `errors` (app errors as pages,
//! security headers), `layout` (page chrome and navigation), `forms` (form values, field errors
//! beside their fields), `labels` (domain words and badges as people read them), `time` (UTC
//! formatting), `assets` (the stylesheet), `pages/*` (one file per area of the product),
//! `testing` (a browser without JavaScript for router tests).

mod assets;
mod barcode;
pub mod charts;
mod errors;
mod forms;
mod labels;
mod layout;
pub mod login_csrf;
mod pages;
mod paths;
mod session;
mod signatures;
mod time;
mod uploads;

#[cfg(test)]
mod crawl_tests;
#[cfg(test)]
mod tenancy_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

use axum::Router;
use axum::routing::{get, post};
use cellpath_app::App;
pub use login_csrf::{LOGIN_KEY_ENV, LoginKey};
use pages::{
    adverse_events, agreements, case_labels, cases, consent, exceptions, exposure, facilities,
    figures, finance, gate, home, inbox, ledger, login, notices, onboarding, orgs, partnerships,
    plans, programs, readiness, registry, safety, site_maps, sites, tokens, users, webhooks,
};
pub use uploads::document_response;

/// Environment variable that says the site is served over https, so cookies get `Secure`.
pub const SECURE_COOKIES_ENV: &str = "CELLPATH_SECURE_COOKIES";

/// How the web UI is deployed.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (only when the site is reached over https; browsers drop
    /// `Secure` cookies on plain http, which would make signing in impossible).
    pub secure_cookies: bool,
    /// The key that signs the sign-in form's CSRF token ([`login_csrf`]); `None`: one is
    /// generated when the router is built.
    pub login_key: Option<LoginKey>,
}

impl WebConfig {
    /// Reads [`SECURE_COOKIES_ENV`] (`1`, `true` or `yes`; anything else means plain http) and
    /// [`LOGIN_KEY_ENV`] (64 hex digits; unset: a key generated at start). A malformed key is
    /// an error, so a server never starts with a key other than the one configured.
    pub fn from_env() -> Result<WebConfig, String> {
        Ok(WebConfig {
            secure_cookies: secure_cookies_from_env(),
            login_key: Some(LoginKey::from_env()?),
        })
    }
}

fn secure_cookies_from_env() -> bool {
    std::env::var(SECURE_COOKIES_ENV)
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// What every handler gets: the app, how cookies are set, the sign-in key.
#[derive(Clone)]
pub(crate) struct WebState {
    pub app: App,
    pub secure_cookies: bool,
    pub login_key: LoginKey,
}

/// The web UI's routes, with their own state; the server merges them at `/`. The
/// configuration comes from the environment ([`WebConfig::from_env`]); `cellpath serve`
/// checks it first and refuses to start on a malformed key, so the fallback here (a
/// generated key, logged) only serves embedders that did not.
pub fn router(app: App) -> Router {
    let config = WebConfig::from_env().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the configured sign-in key is unusable; using one generated at start");
        WebConfig {
            secure_cookies: secure_cookies_from_env(),
            login_key: None,
        }
    });
    router_with(app, config)
}

/// [`router`] with an explicit configuration (e.g. from a command-line flag).
pub fn router_with(app: App, config: WebConfig) -> Router {
    let state = WebState {
        app,
        secure_cookies: config.secure_cookies,
        login_key: config.login_key.unwrap_or_else(LoginKey::generate),
    };
    Router::new()
        .route(assets::STYLESHEET_PATH, get(assets::stylesheet))
        .route(assets::LABELS_PATH, get(assets::labels))
        .route(assets::GRADING_SCRIPT_PATH, get(assets::grading_script))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(home::show))
        .route("/notices", get(notices::show))
        .route("/inbox", get(inbox::show))
        .route("/orgs/{id}", get(orgs::show).post(orgs::update))
        .route("/orgs/{id}/sites", get(sites::list).post(sites::create))
        .route("/sites/{id}", get(sites::show).post(sites::update))
        .route("/sites/{id}/cases", get(cases::list).post(cases::open))
        .route(
            "/sites/{id}/consent-documents",
            get(consent::show).merge(uploads::with_files(post(consent::create))),
        )
        .route(
            "/consent-documents/{id}/activation",
            post(consent::activate),
        )
        .route("/consent-documents/{id}/retirement", post(consent::retire))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/cases/{id}/bookings", post(cases::booking))
        .route("/cases/{id}/claims", post(cases::claims))
        .route("/cases/{id}/labels", get(case_labels::show))
        .route(
            "/cases/{id}/release",
            uploads::with_files(post(cases::release)),
        )
        .route("/cases/{id}/adverse-events", post(adverse_events::record))
        .route(
            "/cases/{id}/adverse-events/{number}/{what}",
            post(adverse_events::follow_up),
        )
        .route("/grading", post(adverse_events::grade))
        .route("/safety-reports", get(safety::list))
        .route("/safety-reports/{id}", get(safety::show))
        .route(
            "/safety-reports/{id}/acknowledgement",
            post(safety::acknowledge),
        )
        .route("/cases/{id}/registry-forms", post(registry::submit))
        .route("/sites/{id}/registry-forms", get(registry::site_forms))
        .route(
            "/orgs/{id}/facilities",
            get(facilities::list).post(facilities::create),
        )
        .route(
            "/facilities/{id}",
            get(facilities::show).post(facilities::update),
        )
        .route("/orgs/{id}/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::show).post(users::update))
        .route("/users/{id}/password", post(users::change_password))
        .route(
            "/partnerships",
            get(partnerships::list).post(partnerships::create),
        )
        .route("/partnerships/{id}", get(partnerships::show))
        .route("/partnerships/{id}/status", post(partnerships::set_status))
        .route("/partnerships/{id}/decline", post(partnerships::decline))
        .route("/partnerships/{id}/site-maps", post(site_maps::start))
        .route(
            "/partnerships/{id}/sites/{site}/readiness",
            get(readiness::show),
        )
        .route("/partnerships/{id}/sites/{site}/gate", get(gate::show))
        .route("/partnerships/{id}/plan", get(onboarding::plan))
        .route("/onboarding", get(onboarding::pipeline))
        .route("/figures", get(figures::show))
        .route("/finance", get(finance::index))
        .route(
            "/finance/payers",
            get(finance::payers::list).post(finance::payers::add),
        )
        .route(
            "/finance/payers/{id}",
            get(finance::payers::show).post(finance::payers::update),
        )
        .route(
            "/finance/what-if",
            get(finance::what_if::show).post(finance::what_if::run),
        )
        .route(
            "/partnerships/{id}/payment-terms",
            get(finance::terms::show).post(finance::terms::propose),
        )
        .route("/partnerships/{id}/invoices", get(finance::invoices::list))
        .route(
            "/partnerships/{id}/invoices/{record}/settlements",
            post(finance::invoices::settle),
        )
        .route("/exposure", get(exposure::show))
        .route("/figures/cases.csv", get(figures::download))
        .route(
            "/partnerships/{id}/sites/{site}/deliverables",
            uploads::with_files(post(gate::record_deliverable)),
        )
        .route(
            "/partnerships/{id}/sites/{site}/deliverables/{record}/revoke",
            post(gate::revoke_deliverable),
        )
        .route("/partnerships/{id}/agreements", post(agreements::create))
        .route("/agreements/{id}", get(agreements::show))
        .route("/agreements/{id}/status", post(agreements::move_to))
        .route("/agreements/{id}/dates", post(agreements::set_dates))
        .route(
            "/agreements/{id}/documents",
            uploads::with_files(post(agreements::add_document)),
        )
        .route("/documents/{sha256}", get(uploads::download))
        .route(
            "/agreements/{id}/amendments",
            post(agreements::add_amendment),
        )
        .route("/agreements/{id}/joinders", post(agreements::join))
        .route(
            "/partnerships/{id}/sites/{site}/visits",
            uploads::with_files(post(readiness::record_visit)),
        )
        .route(
            "/partnerships/{id}/sites/{site}/gap-analysis",
            post(readiness::analyze),
        )
        .route(
            "/partnerships/{id}/sites/{site}/gaps/{gap}/close",
            uploads::with_files(post(readiness::close_gap)),
        )
        .route("/site-maps/{id}", get(site_maps::show))
        .route("/site-maps/{id}/checklist", post(site_maps::add_checklist))
        .route("/site-maps/{id}/sign", post(site_maps::sign))
        .route(
            "/site-maps/{id}/proposals/{proposal}",
            post(site_maps::decide),
        )
        .route("/site-maps/{id}/steps/{key}", get(site_maps::show_step))
        .route(
            "/site-maps/{id}/steps/{key}/details",
            post(site_maps::save_details),
        )
        .route(
            "/site-maps/{id}/steps/{key}/edit",
            post(site_maps::save_edit),
        )
        .route(
            "/site-maps/{id}/steps/{key}/remove",
            post(site_maps::remove_step),
        )
        .route(
            "/site-maps/{id}/steps/{key}/proposals",
            post(site_maps::propose),
        )
        .route("/programs", get(programs::list).post(programs::create))
        .route("/programs/{id}", get(programs::show).post(programs::update))
        .route("/programs/{id}/drafts", post(programs::start_draft))
        .route(
            "/programs/{id}/waitlist",
            get(programs::show_waitlist).post(programs::waitlist_act),
        )
        .route(
            "/programs/{id}/track",
            get(programs::show_track).post(programs::save_track),
        )
        .route("/maps/compare", get(programs::compare))
        .route("/maps/{id}", get(programs::show_map))
        .route("/maps/{id}/publish", post(programs::publish))
        .route("/maps/{id}/steps", post(programs::add_step))
        .route(
            "/maps/{id}/steps/{key}",
            get(programs::show_step).post(programs::save_step),
        )
        .route("/maps/{id}/steps/{key}/remove", post(programs::remove_step))
        .route("/plans", get(plans::form).post(plans::run))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route(
            "/partnerships/{id}/exception-protocols",
            get(exceptions::protocols::list).post(exceptions::protocols::draft),
        )
        .route(
            "/exception-protocols/{id}",
            get(exceptions::protocols::show),
        )
        .route(
            "/exception-protocols/{id}/sign",
            post(exceptions::protocols::sign),
        )
        .route("/release-exceptions", get(exceptions::pages::list))
        .route("/release-exceptions/sla", get(exceptions::sla::dashboard))
        .route("/release-exceptions/{id}", get(exceptions::pages::show))
        .route(
            "/release-exceptions/{id}/acknowledgement",
            post(exceptions::pages::acknowledge),
        )
        .route(
            "/release-exceptions/{id}/patient-told",
            post(exceptions::follow_up::patient_told),
        )
        .route(
            "/release-exceptions/{id}/decision",
            post(exceptions::follow_up::decide),
        )
        .route(
            "/release-exceptions/{id}/prerequisites",
            post(exceptions::follow_up::prerequisite),
        )
        .route(
            "/release-exceptions/{id}/signatures",
            post(exceptions::follow_up::sign),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", get(webhooks::show))
        .route("/webhooks/{id}/rotate", post(webhooks::rotate))
        .route("/webhooks/{id}/disable", post(webhooks::disable))
        .route("/webhooks/{id}/enable", post(webhooks::enable))
        .route("/ledgers/{id}", get(ledger::show))
        .route("/ledgers/{id}/sign", post(ledger::sign))
        .fallback(errors::no_such_page)
        .layer(axum::middleware::from_fn(errors::finish_response))
        .with_state(state)
}
