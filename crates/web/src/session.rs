//! Who is signed in, and whether a form really came from them: the session cookie, the
//! signed-in context every page extracts ([`Ctx`]), the CSRF check every POST passes through
//! ([`Posted`]), and the cookie and redirect helpers sign-in needs.
//!
//! The session itself (hashed id, timeouts, CSRF token) lives in `cellpath_app::auth`; this
//! module only carries the cookie to it and back.

use crate::WebState;
use crate::errors::WebError;
use crate::forms::FormData;
use crate::layout::{Chrome, ChromeSlot};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Redirect, Response};
use cellpath_app::auth::SessionInfo;
use cellpath_app::views::Organization;
use cellpath_app::zone::Zone;
use cellpath_app::{App, Caller};
use cellpath_domain::policy::{Action, Principal, Relation, Resource, ResourceKind};
use cellpath_domain::{OrgKind, decide};

pub const SESSION_COOKIE: &str = "cellpath_session";
/// Double-submit token of the sign-in form: there is no session yet to hold a CSRF token,
/// and without it another site could sign a browser into the attacker's account.
pub const LOGIN_CSRF_COOKIE: &str = "cellpath_login_csrf";

/// The value of a cookie the browser sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
/// POSTs), and Secure when the site is on https.
pub fn set_cookie(name: &str, value: &str, path: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path={path}{secure}"
    ))
    .expect("cookie names and values are ASCII we generate")
}

/// A `Set-Cookie` that makes the browser forget a cookie.
pub fn clear_cookie(name: &str, path: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; HttpOnly; SameSite=Lax; Path={path}; Max-Age=0{secure}"
    ))
    .expect("cookie names are ASCII")
}

pub fn add_cookie(response: &mut Response, value: HeaderValue) {
    response.headers_mut().append(SET_COOKIE, value);
}

/// Compare two secrets in time that does not depend on where they first differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Where to go after signing in: only a path on this site, never `//evil.example` or a
/// scheme, and never back to the sign-in pages themselves.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && !next.starts_with("/login")
        && !next.starts_with("/logout")
        && next.len() <= 2_000;
    ok.then_some(next)
}

/// Percent-encode a query parameter value (RFC 3986 unreserved characters and `/` stay).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// 303 to the sign-in page, coming back here afterwards (for reads; a POST cannot be
/// replayed by a redirect, so it comes back to the home page).
pub fn to_login(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .filter(|_| parts.method == Method::GET)
        .and_then(safe_next);
    match next {
        Some(next) if next != "/" => {
            Redirect::to(&format!("/login?next={}", encode_component(next))).into_response()
        }
        _ => Redirect::to("/login").into_response(),
    }
}

/// The signed-in context of a page: the app, who is calling, their organization.
#[derive(Clone)]
pub struct Ctx {
    pub app: App,
    pub session: SessionInfo,
    pub principal: Principal,
    pub org: Organization,
    pub secure_cookies: bool,
    /// The path of this request, to mark the current section in the navigation.
    pub path: String,
    /// The cookie value, to end the session at sign-out.
    pub(crate) cookie: String,
    /// The organization's time zone, in which pages show times (UTC until its admin sets one).
    pub zone: Zone,
    /// How many items the person's inbox holds (the navigation shows it); none when it
    /// could not be counted (the page still renders).
    pub inbox_count: Option<i64>,
}

impl Ctx {
    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
    pub fn org_kind(&self) -> OrgKind {
        self.principal.org_kind
    }
    pub fn is_health_system(&self) -> bool {
        self.org_kind() == OrgKind::HealthSystem
    }
    /// What the access policy says about an action, to decide which links and forms to show.
    /// The app checks again when the form is posted; this only avoids offering what would be
    /// refused.
    pub fn may(&self, action: Action, kind: ResourceKind, relation: Relation) -> bool {
        decide(&self.principal, action, Resource { kind, relation }).allows()
    }
    /// Whether the policy allows `action` on the `kind` of record of a partnership, in the
    /// partnership's status (a proposal shows none of its work, an ended one takes no change).
    pub fn may_in(
        &self,
        action: Action,
        kind: ResourceKind,
        p: &cellpath_app::views::Partnership,
    ) -> bool {
        self.may(
            action,
            kind,
            self.app.partnership_relation(self.caller(), p),
        )
    }
    /// How an organization stands to the caller.
    pub async fn relation_to_org(&self, org_id: &str) -> Result<Relation, WebError> {
        Ok(self.app.org_relation(self.caller(), org_id).await?)
    }
    pub fn chrome(&self) -> Chrome {
        Chrome::for_ctx(self)
    }
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Ctx, Response> {
        let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(to_login(parts));
        };
        let session = match state.app.session(&cookie).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(to_login(parts)),
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        let Some(principal) = session.caller.principal.clone() else {
            return Err(WebError::from(cellpath_app::AppError::Internal(
                "a web session without a user".into(),
            ))
            .into_response());
        };
        let org = state
            .app
            .organization(&session.caller, &principal.org_id)
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        let zone = Zone::of(org.time_zone.as_deref());
        crate::time::set_reader_zone(zone.clone());
        let inbox_count = state.app.inbox_count(&session.caller).await.ok();
        let ctx = Ctx {
            inbox_count,
            zone,
            app: state.app.clone(),
            session,
            principal,
            org,
            secure_cookies: state.secure_cookies,
            path: parts.uri.path().to_string(),
            cookie,
        };
        // Error pages rendered after the handler show the same header and navigation.
        if let Some(slot) = parts.extensions.get::<ChromeSlot>() {
            slot.fill(ctx.chrome());
        }
        Ok(ctx)
    }
}

/// A form posted by the signed-in user, its CSRF token already checked against the session's.
pub struct Posted {
    pub ctx: Ctx,
    pub form: FormData,
}

impl FromRequest<WebState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Posted, Response> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let form = FormData::from_request(Request::from_parts(parts, body), state).await?;
        if !same_secret(form.get("csrf"), ctx.csrf()) {
            return Err(WebError::Csrf.into_response());
        }
        Ok(Posted { ctx, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal_and_present() {
        assert!(same_secret("abc123", "abc123"));
        assert!(!same_secret("abc123", "abc124"));
        assert!(!same_secret("abc123", "abc12"));
        assert!(!same_secret("", ""), "an empty token never matches");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/sites/site_1"), Some("/sites/site_1"));
        assert_eq!(
            safe_next("/ledgers/x?offset=20"),
            Some("/ledgers/x?offset=20")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/login?next=/",
            "/logout",
            "/a\nb",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_component("/ledgers/x?offset=20&a=b c"),
            "/ledgers/x%3Foffset%3D20%26a%3Db%20c"
        );
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; cellpath_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, LOGIN_CSRF_COOKIE), None);
    }
}
