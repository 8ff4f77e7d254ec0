//! Signing in and out. There is no session yet to hold a CSRF token, so the sign-in form
//! carries a token signed with the server's key over a random nonce (also in a cookie) and an
//! expiry (`crate::login_csrf`).
//! A successful sign-in always gets a new session id (the app ends the previous one).

use crate::WebState;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, hidden};
use crate::layout::{document, html_response, notice};
use crate::login_csrf::{is_nonce, new_nonce};
use crate::session::{
    LOGIN_CSRF_COOKIE, Posted, SESSION_COOKIE, add_cookie, clear_cookie, cookie, safe_next,
    set_cookie,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cellpath_app::AppError;
use maud::{Markup, html};
use serde::Deserialize;

const LOGIN_CSRF_PATH: &str = "/login";

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

pub async fn form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = q.next.as_deref().and_then(safe_next).unwrap_or("/");
    if let Some(c) = cookie(&headers, SESSION_COOKIE)
        && let Ok(Some(_)) = state.app.session(c).await
    {
        return Redirect::to(next).into_response();
    }
    // Reuse the nonce the browser already holds, so two open sign-in tabs both work.
    let nonce = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| is_nonce(t))
        .map(str::to_string)
        .unwrap_or_else(new_nonce);
    let token = state.login_key.token(&nonce, now_secs(&state));
    let values = FormData::from_pairs([("next", next)]);
    let page = login_page(
        &state,
        &token,
        &values,
        &FormErrors::default(),
        q.notice.as_deref(),
    );
    let mut response = html_response(StatusCode::OK, page);
    add_cookie(
        &mut response,
        set_cookie(
            LOGIN_CSRF_COOKIE,
            &nonce,
            LOGIN_CSRF_PATH,
            state.secure_cookies,
        ),
    );
    response
}

pub async fn submit(State(state): State<WebState>, headers: HeaderMap, form: FormData) -> Response {
    let nonce = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let now = now_secs(&state);
    if let Err(refused) = state.login_key.check(form.get("csrf"), nonce, now) {
        return WebError::LoginCsrf(refused).into_response();
    }
    // A form shown again (wrong password) gets a token good for as long as a new one.
    let token = state.login_key.token(nonce, now);
    let (email, password) = (form.get("email"), form.get("password"));
    let mut errors = FormErrors::default();
    if email.trim().is_empty() {
        errors.field("email", "enter the e-mail address you sign in with");
    }
    if password.is_empty() {
        errors.field("password", "enter your password");
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match state
            .app
            .login(email, password, cookie(&headers, SESSION_COOKIE))
            .await
        {
            Ok(session) => {
                let next = safe_next(form.get("next")).unwrap_or("/");
                let mut response = Redirect::to(next).into_response();
                add_cookie(
                    &mut response,
                    set_cookie(
                        SESSION_COOKIE,
                        &session.cookie_value,
                        "/",
                        state.secure_cookies,
                    ),
                );
                add_cookie(
                    &mut response,
                    clear_cookie(LOGIN_CSRF_COOKIE, LOGIN_CSRF_PATH, state.secure_cookies),
                );
                return response;
            }
            Err(AppError::LoginFailed(message)) => {
                errors.form(message);
                status = StatusCode::UNAUTHORIZED;
            }
            Err(e) => return WebError::from(e).into_response(),
        }
    }
    // The password is never sent back; the e-mail and where to go next are kept.
    let values = FormData::from_pairs([("email", email), ("next", form.get("next"))]);
    html_response(status, login_page(&state, &token, &values, &errors, None))
}

fn now_secs(state: &WebState) -> i64 {
    state.app.now() / 1_000_000
}

pub async fn logout(posted: Posted) -> Response {
    let ctx = posted.ctx;
    if let Err(e) = ctx.app.logout(&ctx.cookie).await {
        return WebError::from(e).into_response();
    }
    let mut response = Redirect::to("/login?notice=signed_out").into_response();
    add_cookie(
        &mut response,
        clear_cookie(SESSION_COOKIE, "/", ctx.secure_cookies),
    );
    response
}

fn login_page(
    state: &WebState,
    token: &str,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
) -> Markup {
    let view = FormView::new(values, errors, "login");
    let auth = &state.app.auth;
    let content = html! {
        section.login-card {
            h1 { "Sign in" }
            p.lede { "The shared record of cell and gene therapy manufacturers and the health systems that give their therapies." }
            (notice(notice_code))
            (view.summary(&["email", "password"]))
            form #login-form method="post" action="/login" novalidate {
                (hidden("csrf", token))
                @if let Some(next) = safe_next(values.get("next")) { (hidden("next", next)) }
                (view.input("E-mail", "email", Input::Email, None))
                (view.input("Password", "password", Input::CurrentPassword, None))
                button.primary type="submit" { "Sign in" }
            }
            p.hint {
                "After " (auth.lockout_threshold) " failed attempts, signing in to that account pauses for "
                (auth.lockout_micros / 60_000_000) " minutes."
            }
        }
    };
    document("Sign in", None, content)
}
