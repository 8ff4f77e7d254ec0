//! The sign-in form's CSRF token. There is no session yet to hold a token, so the form carries
//! a token signed with a key only the server holds: HMAC-SHA256 over a random nonce and an
//! expiry. The nonce is also in a cookie (Path=/login), and the form token is accepted only
//! when its MAC is right, it has not expired, and its nonce is the cookie's. A cookie an
//! attacker manages to set cannot choose a form value that passes: that needs the key.
//!
//! The key comes from [`LOGIN_KEY_ENV`] (64 hex digits, 32 bytes), so that several servers
//! behind one address accept each other's forms; without it each server generates one at
//! start (a restart then asks an open sign-in form to be reloaded). It is held in memory only.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Environment variable holding the sign-in key: 64 hex digits (32 random bytes), e.g. from
/// `openssl rand -hex 32`. Unset: a key is generated at start.
pub const LOGIN_KEY_ENV: &str = "CELLPATH_LOGIN_KEY";

/// How long a sign-in form stays good, in seconds.
pub const LOGIN_TOKEN_SECONDS: i64 = 2 * 60 * 60;

/// What the MAC covers besides the nonce and expiry, so it can never be confused with another
/// use of the same key.
const PURPOSE: &[u8] = b"cellpath login csrf v1";

/// The server's sign-in key.
#[derive(Clone)]
pub struct LoginKey([u8; 32]);

impl fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginKey(…)")
    }
}

/// Why a sign-in form token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token this server signed, or not for this browser's cookie.
    Forged,
    /// Signed here, but older than [`LOGIN_TOKEN_SECONDS`].
    Expired,
}

impl LoginKey {
    /// A fresh random key, for a server started without [`LOGIN_KEY_ENV`].
    pub fn generate() -> LoginKey {
        LoginKey(rand_bytes())
    }

    /// A key from its 64 hex digits.
    pub fn from_hex(text: &str) -> Result<LoginKey, String> {
        let bytes = hex::decode(text.trim()).map_err(|e| {
            format!(
                "{LOGIN_KEY_ENV} must be 64 hex digits (32 bytes, e.g. `openssl rand -hex 32`): {e}"
            )
        })?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "{LOGIN_KEY_ENV} must be 64 hex digits (32 bytes, e.g. `openssl rand -hex 32`), not {} digits",
                b.len() * 2
            )
        })?;
        Ok(LoginKey(key))
    }

    /// The key from [`LOGIN_KEY_ENV`], or a generated one when it is unset or empty.
    pub fn from_env() -> Result<LoginKey, String> {
        match std::env::var(LOGIN_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => LoginKey::from_hex(&v),
            _ => Ok(LoginKey::generate()),
        }
    }

    fn mac(&self, nonce: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(PURPOSE);
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac.update(b"\0");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The form token for `nonce` (the cookie's value), good until `now + LOGIN_TOKEN_SECONDS`:
    /// `nonce.expiry.mac`, all in hex or digits.
    pub fn token(&self, nonce: &str, now_secs: i64) -> String {
        let expires = now_secs + LOGIN_TOKEN_SECONDS;
        let mac = hex::encode(self.mac(nonce, expires).finalize().into_bytes());
        format!("{nonce}.{expires}.{mac}")
    }

    /// Check a posted form token against the cookie's nonce at `now_secs`.
    pub fn check(&self, token: &str, cookie_nonce: &str, now_secs: i64) -> Result<(), Refused> {
        let mut parts = token.split('.');
        let (Some(nonce), Some(expires), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refused::Forged);
        };
        let (Ok(expires), Ok(mac)) = (expires.parse::<i64>(), hex::decode(mac)) else {
            return Err(Refused::Forged);
        };
        // The MAC is compared in constant time by `verify_slice`.
        self.mac(nonce, expires)
            .verify_slice(&mac)
            .map_err(|_| Refused::Forged)?;
        if !is_nonce(cookie_nonce) || !crate::session::same_secret(nonce, cookie_nonce) {
            return Err(Refused::Forged);
        }
        if now_secs > expires {
            return Err(Refused::Expired);
        }
        Ok(())
    }
}

/// A new nonce for the sign-in cookie: 64 hex digits.
pub fn new_nonce() -> String {
    cellpath_app::ids::new_secret()
}

/// Whether a cookie value has a nonce's shape (64 hex digits).
pub fn is_nonce(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

fn rand_bytes() -> [u8; 32] {
    let secret = new_nonce();
    let mut out = [0u8; 32];
    hex::decode_to_slice(&secret, &mut out).expect("new_secret is 64 hex digits");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600;

    #[test]
    fn a_token_passes_only_with_its_cookie_its_key_and_in_time() {
        let key = LoginKey::generate();
        let nonce = new_nonce();
        let token = key.token(&nonce, NOW);
        assert_eq!(key.check(&token, &nonce, NOW), Ok(()));
        assert_eq!(key.check(&token, &nonce, NOW + LOGIN_TOKEN_SECONDS), Ok(()));
        assert_eq!(
            key.check(&token, &nonce, NOW + LOGIN_TOKEN_SECONDS + 1),
            Err(Refused::Expired)
        );
        // Another browser's cookie, another server's key.
        assert_eq!(key.check(&token, &new_nonce(), NOW), Err(Refused::Forged));
        assert_eq!(
            LoginKey::generate().check(&token, &nonce, NOW),
            Err(Refused::Forged)
        );
        // A later expiry, or the double-submit of old (cookie = form value), do not pass.
        let (n, _, mac) = {
            let mut p = token.split('.');
            (p.next().unwrap(), p.next().unwrap(), p.next().unwrap())
        };
        let stretched = format!("{n}.{}.{mac}", NOW + 365 * 24 * 3600);
        assert_eq!(key.check(&stretched, &nonce, NOW), Err(Refused::Forged));
        assert_eq!(key.check(&nonce, &nonce, NOW), Err(Refused::Forged));
        for junk in ["", "a.b.c", "..", "x.1.zz", &format!("{token}.extra")] {
            assert_eq!(key.check(junk, &nonce, NOW), Err(Refused::Forged), "{junk}");
        }
    }

    #[test]
    fn a_configured_key_is_64_hex_digits() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let a = LoginKey::from_hex(hex64).expect("a key");
        let b = LoginKey::from_hex(&format!(" {hex64}\n")).expect("trimmed");
        let nonce = new_nonce();
        assert_eq!(b.check(&a.token(&nonce, NOW), &nonce, NOW), Ok(()));
        let short = LoginKey::from_hex("abcd").unwrap_err();
        assert!(short.contains("not 4 digits"), "{short}");
        assert!(LoginKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
