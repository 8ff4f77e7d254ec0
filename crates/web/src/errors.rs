//! App errors as pages a person can act on: not found → 404, forbidden → 403 with the app's
//! message, a stale form token → 403 saying to reload, internal → 500 with a generic message
//! (the detail goes to the log, never to the page). Handlers return [`WebError`]; the
//! [`finish_response`] middleware renders it inside the same chrome as the page that failed,
//! and adds the security headers every web response carries.

use crate::layout::{ChromeSlot, document, html_response};
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cellpath_app::AppError;
use maud::html;

#[derive(Debug)]
pub enum WebError {
    App(AppError),
    /// A POST without this session's CSRF token (an old tab, or another site's form).
    Csrf,
    /// The sign-in form's token was not one this server signed for this browser's cookie, or
    /// it is too old.
    LoginCsrf(crate::login_csrf::Refused),
    /// A request no page of ours would send (a form without its version, a bad body).
    BadRequest(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::App(e)
    }
}

/// An error waiting in a response for the middleware to render.
#[derive(Debug, Clone)]
struct ErrorPage {
    status: StatusCode,
    title: &'static str,
    message: String,
    /// Where to go from here when nobody is signed in.
    to_login: bool,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = |status, title, message: String| ErrorPage {
            status,
            title,
            message,
            to_login: false,
        };
        let page = match self {
            WebError::App(AppError::Unauthenticated) => {
                return Redirect::to("/login").into_response();
            }
            WebError::App(AppError::NotFound(what)) => page(
                StatusCode::NOT_FOUND,
                "Not found",
                format!(
                    "{what} was not found, or it is not shared with your organization. Check the link, or go back to the home page."
                ),
            ),
            WebError::App(AppError::Forbidden(m)) => page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                format!("{m}. Ask an admin of your organization if you need this."),
            ),
            WebError::App(AppError::Internal(detail)) => {
                tracing::error!(%detail, "web request failed");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "cellpath could not complete this request. Nothing was changed by the failed step; try again, and tell your administrator if it keeps happening.".into(),
                )
            }
            WebError::App(e @ AppError::Conflict { .. }) => {
                page(StatusCode::CONFLICT, "Changed by someone else", e.to_string())
            }
            WebError::App(e @ AppError::State(_)) => {
                page(StatusCode::CONFLICT, "Not possible now", e.to_string())
            }
            WebError::App(
                e @ (AppError::LoginFailed(_) | AppError::TokenExpired(_) | AppError::ReadOnlyToken),
            ) => {
                page(StatusCode::FORBIDDEN, "Not allowed", e.to_string())
            }
            WebError::App(e @ AppError::PreconditionRequired) => {
                page(StatusCode::PRECONDITION_REQUIRED, "Reload the page", e.to_string())
            }
            WebError::App(
                e @ (AppError::Invalid(_)
                | AppError::Duplicate { .. }
                | AppError::IdempotencyKeyReused),
            ) => page(StatusCode::UNPROCESSABLE_ENTITY, "This cannot be done", e.to_string()),
            WebError::Csrf => page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from your current cellpath session (it may come from an old tab, or from another site). Nothing was changed. Go back, reload the page and try again.".into(),
            ),
            WebError::LoginCsrf(refused) => ErrorPage {
                to_login: true,
                ..page(
                    StatusCode::FORBIDDEN,
                    "The sign-in form has expired",
                    match refused {
                        crate::login_csrf::Refused::Expired => format!(
                            "The sign-in form was opened more than {} hours ago. Open the sign-in page again and retry.",
                            crate::login_csrf::LOGIN_TOKEN_SECONDS / 3600
                        ),
                        crate::login_csrf::Refused::Forged => "Your browser did not send back the sign-in form with the cookie it came with (the form may come from another site or from before the server restarted, or cookies are blocked for this site). Open the sign-in page again and retry.".into(),
                    },
                )
            },
            WebError::BadRequest(m) => page(StatusCode::BAD_REQUEST, "Bad request", m),
        };
        let mut response = page.status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// Any path no page answers: the styled "Not found" page with status 404, inside the chrome
/// of whoever is signed in (the sign-in link otherwise).
pub async fn no_such_page(
    ctx: Result<crate::session::Ctx, Response>,
    uri: axum::http::Uri,
) -> Response {
    // Only to fill the chrome: a visitor who is not signed in is not sent to the sign-in page.
    drop(ctx);
    let page = ErrorPage {
        status: StatusCode::NOT_FOUND,
        title: "Not found",
        message: format!(
            "There is no page at {}. Check the link, or go back to the home page.",
            uri.path()
        ),
        to_login: false,
    };
    let mut response = page.status.into_response();
    response.extensions_mut().insert(page);
    response
}

/// Renders waiting errors with the chrome of whoever is signed in, and sets the headers every
/// web response carries; the request runs with a slot for its reader's time zone.
pub async fn finish_response(request: Request, next: Next) -> Response {
    crate::time::in_reader_zone(finish(request, next)).await
}

async fn finish(mut request: Request, next: Next) -> Response {
    let slot = ChromeSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        let chrome = slot.take();
        let back = if chrome.is_some() {
            html! { a.button.secondary href="/" { "Go to the home page" } }
        } else if page.to_login {
            html! { a.button href="/login" { "Open the sign-in page" } }
        } else {
            html! { a.button.secondary href="/login" { "Sign in" } }
        };
        let body = html! {
            section.error-page data-status=(page.status.as_u16()) {
                h1 { (page.title) }
                p.error-message { (crate::labels::sentence(&page.message)) }
                p { (back) }
            }
        };
        response = html_response(page.status, document(page.title, chrome.as_ref(), body));
    }
    security_headers(response.headers_mut());
    response
}

/// No framing, no sniffing, no scripts or styles from elsewhere, and (except the stylesheet)
/// nothing cached: pages show patient-adjacent and access data.
fn security_headers(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        HeaderName::from_static("x-content-type-options"),
        "nosniff",
    );
    set(h, HeaderName::from_static("x-frame-options"), "DENY");
    set(h, HeaderName::from_static("referrer-policy"), "same-origin");
    let is_html = h
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        set(
            h,
            HeaderName::from_static("content-security-policy"),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        );
    }
    set(h, CACHE_CONTROL, "no-store");
}
