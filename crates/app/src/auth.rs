//! Authentication: argon2id passwords, server-side web sessions (random id in an HttpOnly
//! cookie, only its SHA-256 stored, rotated at login, idle and absolute timeouts, a CSRF token
//! per session), personal API tokens (random, shown once, stored as SHA-256, revocable), and
//! the time-limited lock-outs after repeated failures — one for signing in, one for passwords
//! re-entered to sign, counted apart — with every failed sign-in answered in the same words and
//! about the same time. E-signatures live here too: they need the password re-entered at the
//! moment of signing on every channel (a token never signs alone), and each records the channel
//! it came through (`Via::channel`).

use crate::access::Via;
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use cellpath_domain::events::auth::{ApiTokenCreated, ApiTokenRevoked};
use cellpath_domain::policy::{Action, Principal, ResourceKind};
use cellpath_domain::{Date, Name, OrgKind, Password};
use cellpath_ledger::{Meaning, SIGNATURE_EVENT_TYPE, SignaturePayload, Signed};
use cellpath_store::{ApiToken, Attempt, SessionRow, SignatureRow, User};
use serde::Serialize;

/// Prefix of API tokens, so a leaked one is recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "cpt_";

pub async fn hash_password(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

impl App {
    /// Check a password against an argon2 hash off the async threads, counting the check.
    async fn verify_password(&self, hash: String, password: String) -> Result<bool, AppError> {
        self.password_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| AppError::Internal(format!("stored password hash: {e}")))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Spend the time of a real check on a dummy hash, so a refusal that needs no check (an
    /// unknown address, a locked account) takes about as long as a wrong password.
    async fn spend_a_check(&self, password: &str) {
        let _ = self
            .verify_password(DUMMY_HASH.to_string(), password.to_string())
            .await;
    }

    /// The one answer to a failed sign-in, whatever the cause — an unknown or deactivated
    /// address, a wrong password, a locked account — so it never tells which accounts exist.
    pub fn login_failed_message(&self) -> String {
        format!(
            "wrong e-mail or password, or too many failed attempts: after {} in a row, signing in to an account pauses for {} minutes; an admin can reset your password",
            self.auth.lockout_threshold,
            self.auth.lockout_micros / 60_000_000
        )
    }
}

/// Why a password was refused.
enum Refused {
    Wrong,
    /// Too many wrong passwords of this kind: locked until then (microseconds).
    Locked(i64),
    /// More attempts of one person in flight at once than the lock-out allows, still after
    /// waiting for them: refused unchecked, nothing locked.
    Busy,
}

/// How long an attempt waits for the same person's attempts in flight before it is refused
/// as too many at once (never locked for it), and how often it looks again.
const IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const IN_FLIGHT_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// A fresh web session: the cookie value is returned once and never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
    pub user: User,
}

/// An authenticated web session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub caller: Caller,
    pub user: User,
    pub csrf_token: String,
}

/// What a new token may do and until when, as asked: the last day it is accepted as typed
/// (`YYYY-MM-DD`, '' when it does not expire) and whether it may only read. The default is
/// the token of old: no expiry, read and write.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenTerms<'a> {
    pub expires_on: &'a str,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    /// The token itself, shown this once.
    pub token: String,
    #[serde(flatten)]
    pub info: crate::views::ApiToken,
}

impl App {
    async fn principal_for(&self, user: &User, via: Via) -> Result<Caller, AppError> {
        let org = self
            .store
            .organization(&user.org_id)
            .await?
            .ok_or_else(|| AppError::Internal("user without organization".into()))?;
        caller_from(user, org.kind, via)
    }

    /// Check a password entered for `kind` (signing in, or re-entered to sign), counting
    /// failures toward that kind's lock-out only.
    async fn check_password(
        &self,
        kind: Attempt,
        user: &User,
        password: &str,
    ) -> Result<Result<(), Refused>, AppError> {
        let now = self.now();
        let Some(creds) = self.store.credentials(&user.id).await? else {
            self.spend_a_check(password).await;
            return Ok(Err(Refused::Wrong));
        };
        let lock = |until: i64| async move {
            self.store
                .lock_attempts(kind, &user.id, until)
                .await
                .map(Refused::Locked)
        };
        // Count the attempt before the (slow) check, atomically, so parallel guesses cannot
        // all slip past the lock-out: the count is the wrong passwords since the last right
        // one (a lock starts it over) and the attempts in flight. Beyond the threshold the
        // excess are attempts in flight — a lock comes only from a wrong password — so the
        // attempt takes its claim back and waits for them: a person whose right signatures
        // arrive together is never locked, and no more than the threshold of wrong guesses
        // is ever checked before the lock.
        let threshold = self.auth.lockout_threshold;
        let waiting_since = std::time::Instant::now();
        let attempt = loop {
            let Some(attempt) = self.store.claim_attempt(kind, &user.id, self.now()).await? else {
                let until = match self.store.credentials(&user.id).await? {
                    Some(c) => match kind {
                        Attempt::SignIn => c.locked_until,
                        Attempt::Signing => c.signing_locked_until,
                    },
                    None => now,
                };
                self.spend_a_check(password).await;
                return Ok(Err(Refused::Locked(until.max(now + 1))));
            };
            if attempt <= threshold {
                break attempt;
            }
            self.store.unclaim_attempt(kind, &user.id).await?;
            if waiting_since.elapsed() >= IN_FLIGHT_WAIT {
                return Ok(Err(Refused::Busy));
            }
            tokio::time::sleep(IN_FLIGHT_POLL).await;
        };
        if self
            .verify_password(creds.password_hash, password.to_string())
            .await?
        {
            self.store.record_attempt_success(kind, &user.id).await?;
            Ok(Ok(()))
        } else if attempt >= threshold {
            Ok(Err(lock(now + self.auth.lockout_micros).await?))
        } else {
            Ok(Err(Refused::Wrong))
        }
    }

    /// Whether a password re-entered by a signed-in person (to sign, or to change it) is
    /// theirs. Wrong ones count against signing, never against signing in: a refusal once
    /// signing is locked says so and for how long.
    pub(crate) async fn password_matches(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<bool, AppError> {
        let user = self
            .store
            .user(user_id)
            .await?
            .ok_or_else(|| AppError::not_found("user"))?;
        match self
            .check_password(Attempt::Signing, &user, password)
            .await?
        {
            Ok(()) => Ok(true),
            Err(Refused::Wrong) => Ok(false),
            Err(Refused::Busy) => Err(AppError::State(
                "too many of your signatures at once: try again in a moment".into(),
            )),
            Err(Refused::Locked(until)) => {
                let minutes = (until - self.now() + 59_999_999) / 60_000_000;
                Err(AppError::invalid(
                    "password",
                    format!(
                        "too many wrong passwords re-entered to sign: signing is paused for {minutes} more minute(s) (signing in is not affected); an admin can reset your password"
                    ),
                ))
            }
        }
    }

    /// Log in with e-mail and password. `previous` is the session cookie the browser sent, if
    /// any: it is ended, so every login gets a new id (no session fixation).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
    ) -> Result<NewSession, AppError> {
        if let Some(prev) = previous {
            self.store
                .delete_session(&crate::ids::sha256_hex(prev))
                .await?;
        }
        let email = email.trim().to_ascii_lowercase();
        let failed = || AppError::LoginFailed(self.login_failed_message());
        let user = match self.store.user_by_email(&email).await? {
            Some(u) if u.active => u,
            _ => {
                // Spend the same time as a real check, so timing does not reveal accounts.
                self.spend_a_check(password).await;
                return Err(failed());
            }
        };
        if self
            .check_password(Attempt::SignIn, &user, password)
            .await?
            .is_err()
        {
            return Err(failed());
        }
        let now = self.now();
        let cookie_value = crate::ids::new_secret();
        let csrf_token = crate::ids::new_secret();
        self.store
            .create_session(&SessionRow {
                id_hash: crate::ids::sha256_hex(&cookie_value),
                user_id: user.id.clone(),
                csrf_token: csrf_token.clone(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + self.auth.session_absolute_micros,
            })
            .await?;
        Ok(NewSession {
            cookie_value,
            csrf_token,
            user,
        })
    }

    /// The session behind a cookie, if it is still valid (idle and absolute timeouts).
    pub async fn session(&self, cookie_value: &str) -> Result<Option<SessionInfo>, AppError> {
        let id_hash = crate::ids::sha256_hex(cookie_value);
        let Some(s) = self.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if now > s.expires_at || now > s.last_seen_at + self.auth.session_idle_micros {
            self.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        let user = match self.store.user(&s.user_id).await? {
            Some(u) if u.active => u,
            _ => return Ok(None),
        };
        // Marking the session seen is a write (through SQLite's one writer): only when the
        // stored mark is a minute old, as for a token's last use. The idle timeout is 30
        // minutes, so a minute's slack never ends a session early.
        if s.last_seen_at < now - cellpath_store::SESSION_STAMP_MICROS {
            self.store.touch_session(&id_hash, now).await?;
            self.session_touches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let caller = self.principal_for(&user, Via::Session).await?;
        Ok(Some(SessionInfo {
            caller,
            user,
            csrf_token: s.csrf_token,
        }))
    }

    pub async fn logout(&self, cookie_value: &str) -> Result<(), AppError> {
        self.store
            .delete_session(&crate::ids::sha256_hex(cookie_value))
            .await?;
        Ok(())
    }

    /// The caller behind an API token (`Authorization: Bearer cpt_…`).
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, AppError> {
        let hash = crate::ids::sha256_hex(token);
        let Some((t, user, org_kind)) = self.store.token_holder(&hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        if t.revoked_at.is_some() || !user.active {
            return Err(AppError::Unauthenticated);
        }
        let now = self.now();
        if let Some(last) = t
            .expires_on
            .as_ref()
            .filter(|_| t.expired(&Date::of_micros(now)))
        {
            return Err(AppError::TokenExpired(format!(
                "this API token (\"{}\") expired at the end of {} (UTC); make a new one on the API tokens page",
                t.name,
                last.words()
            )));
        }
        // The last-use stamp is throttled: a write only when the stored one is a minute old.
        if t.last_used_at
            .is_none_or(|at| at < now - cellpath_store::TOKEN_STAMP_MICROS)
        {
            self.store.stamp_token_use(&t.id, now).await?;
        }
        caller_from(
            &user,
            org_kind,
            Via::Token {
                id: t.id.clone(),
                name: t.name.clone(),
                read_only: t.read_only,
            },
        )
    }

    /// A caller for a user id, as the operator acting for them (CLI and demo only).
    pub async fn caller_for_user(&self, user_id: &str, via: Via) -> Result<Caller, AppError> {
        let user = self
            .store
            .user(user_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("user {user_id}")))?;
        self.principal_for(&user, via).await
    }

    /// A token with no expiry that may read and write, as its owner can.
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        name: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<CreatedToken>, AppError> {
        self.create_api_token_with(caller, name, TokenTerms::default(), idem)
            .await
    }

    /// A token on `terms`: its expiry, when given, is today or later (UTC).
    pub async fn create_api_token_with(
        &self,
        caller: &Caller,
        name: &str,
        terms: TokenTerms<'_>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CreatedToken>, AppError> {
        let p = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("tokens belong to users".into()))?;
        self.check(
            caller,
            Action::Create,
            ResourceKind::ApiToken,
            cellpath_domain::policy::Relation::SelfOwned,
            "API tokens",
        )?;
        let mut f = Fields::default();
        let name = f.check("name", Name::parse(name));
        let expires_on = match terms.expires_on.trim() {
            "" => None,
            text => f.check("expires_on", Date::parse(text)),
        };
        let today = Date::of_micros(self.now());
        if let Some(last) = expires_on.as_ref().filter(|last| **last < today) {
            f.fail(
                "expires_on",
                format!(
                    "{} is in the past; choose today ({}) or a later day, or leave it empty for a token that does not expire",
                    last.words(),
                    today.words()
                ),
            );
        }
        f.finish()?;
        let token = format!("{TOKEN_PREFIX}{}", crate::ids::new_secret());
        let info = ApiToken {
            id: crate::ids::new_id("tok"),
            user_id: p.user_id.clone(),
            name: name.expect("checked").into_string(),
            token_hash: crate::ids::sha256_hex(&token),
            created_at: 0,
            revoked_at: None,
            last_used_at: None,
            expires_on,
            read_only: terms.read_only,
        };
        let event = ApiTokenCreated {
            id: info.id.clone(),
            user_id: info.user_id.clone(),
            name: info.name.clone(),
            token_hash: info.token_hash.clone(),
            expires_on: info.expires_on.clone(),
            read_only: info.read_only,
        };
        self.write(
            caller,
            idem,
            Write::event(p.org_id.clone(), &event, move |a| CreatedToken {
                token: token.clone(),
                info: ApiToken {
                    created_at: a.recorded_at,
                    ..info.clone()
                }
                .into(),
            })
            .redact("token")
            .created(),
        )
        .await
    }

    pub async fn api_tokens(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> Result<Vec<crate::views::ApiToken>, AppError> {
        let user = self.user(caller, user_id).await?;
        let rel = match &caller.principal {
            Some(p) if p.user_id == user.id => cellpath_domain::policy::Relation::SelfOwned,
            _ => self.org_relation(caller, &user.org_id).await?,
        };
        let rel = if matches!(rel, cellpath_domain::policy::Relation::PartnerOrg(_)) {
            cellpath_domain::policy::Relation::Unrelated
        } else {
            rel
        };
        self.check(
            caller,
            Action::Read,
            ResourceKind::ApiToken,
            rel,
            &format!("tokens of {}", user.name),
        )?;
        Ok(crate::views::all(self.store.api_tokens_of(&user.id).await?))
    }

    pub async fn revoke_api_token(
        &self,
        caller: &Caller,
        token_id: &str,
    ) -> Result<crate::views::ApiToken, AppError> {
        let what = format!("API token {token_id}");
        let token = self
            .store
            .api_token(token_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self.token_relation(caller, &token).await?;
        self.check(caller, Action::Update, ResourceKind::ApiToken, rel, &what)?;
        if token.revoked_at.is_some() {
            return Ok(token.into());
        }
        let owner = self
            .store
            .user(&token.user_id)
            .await?
            .ok_or_else(|| AppError::not_found("token owner"))?;
        let event = ApiTokenRevoked {
            id: token.id.clone(),
        };
        let out = self
            .write(
                caller,
                None,
                Write::event(owner.org_id.clone(), &event, move |a| ApiToken {
                    revoked_at: Some(a.recorded_at),
                    ..token.clone()
                }),
            )
            .await?;
        out.fresh().map(crate::views::ApiToken::from)
    }

    /// Record an e-signature on a ledger (21 CFR Part 11 §11.50, §11.70, §11.200): the signer
    /// re-enters their password now; a token alone never signs. `target` names what is signed.
    pub async fn sign(
        &self,
        caller: &Caller,
        ledger_id: &str,
        target: Signed,
        meaning: Meaning,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<crate::views::audit::Signature>, AppError> {
        // A record's content hash means something only to the command that computes it (a
        // site map version's, say); signing a record goes through that command.
        if matches!(target, Signed::Record { .. }) {
            return Err(AppError::invalid(
                "signs",
                "sign a record (such as a site map version) on its own page or endpoint; here you sign ledger events",
            ));
        }
        self.sign_with(
            caller,
            ledger_id,
            target,
            meaning,
            password,
            idem,
            vec![],
            vec![],
        )
        .await
        .map(|out| out.map(crate::views::audit::Signature::from))
    }

    /// Record an e-signature, with further events of the same command (e.g. the version bump
    /// that makes a signature and a concurrent change of the signed record exclusive) and the
    /// jobs that must follow it (e.g. the gate's review after a site map is signed).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn sign_with(
        &self,
        caller: &Caller,
        ledger_id: &str,
        target: Signed,
        meaning: Meaning,
        password: &str,
        idem: Option<Idem>,
        then: Vec<cellpath_store::FollowUp>,
        enqueue: Vec<cellpath_store::NewJob>,
    ) -> Result<Outcome<SignatureRow>, AppError> {
        let p = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("only a person signs".into()))?;
        let rel = self.ledger_relation(caller, ledger_id).await?;
        self.check(
            caller,
            Action::Sign,
            ResourceKind::Ledger,
            rel,
            &format!("ledger {ledger_id}"),
        )?;
        // Check what is signed exists on this ledger before asking for the password.
        match &target {
            Signed::Event { event_hash } => match self.store.event_by_hash(event_hash).await? {
                Some(e) if e.ledger_id == ledger_id => {}
                _ => {
                    return Err(AppError::invalid(
                        "event_hash",
                        "no event with this hash on this ledger",
                    ));
                }
            },
            Signed::Record { content_hash, .. } => {
                if !cellpath_ledger::is_sha256_hex(content_hash) {
                    return Err(AppError::invalid(
                        "content_hash",
                        "must be 64 lowercase hex digits (SHA-256)",
                    ));
                }
            }
        }
        let user = self.signer(p, password, "a signature").await?;
        let now = self.now();
        let payload = SignaturePayload {
            signs: target.clone(),
            signer_user_id: user.id.clone(),
            printed_name: user.name.clone(),
            meaning,
            signed_at: now,
            channel: Some(caller.via.channel()),
        };
        let target_hash = match &target {
            Signed::Event { event_hash } => event_hash.clone(),
            Signed::Record { content_hash, .. } => content_hash.clone(),
        };
        let (ledger, printed, signer, channel) = (
            ledger_id.to_string(),
            user.name.clone(),
            user.id.clone(),
            payload.channel.clone(),
        );
        let write = Write::signature(ledger_id, &payload, move |a| SignatureRow {
            event_hash: a.hash.clone(),
            ledger_id: ledger.clone(),
            seq: a.seq,
            target: target_hash.clone(),
            signer_user_id: signer.clone(),
            printed_name: printed.clone(),
            meaning,
            signed_at: now,
            channel: channel.clone(),
        });
        self.write(
            caller,
            idem,
            write.then(then).enqueue_all(enqueue).created(),
        )
        .await
    }
}

/// The caller a user is, given the kind of their organization.
fn caller_from(user: &User, org_kind: OrgKind, via: Via) -> Result<Caller, AppError> {
    let role = user.role;
    Ok(Caller::user(
        Principal {
            user_id: user.id.clone(),
            org_id: user.org_id.clone(),
            org_kind,
            role,
        },
        user.name.clone(),
        via,
    ))
}

/// An argon2id hash of a random password, checked against when the e-mail is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

impl App {
    /// The person signing, once the password they re-entered matches (21 CFR Part 11
    /// §11.200: a signature needs both components now); `doing` names the act in the refusal.
    async fn signer(
        &self,
        principal: &Principal,
        password: &str,
        doing: &str,
    ) -> Result<User, AppError> {
        let user = self
            .store
            .user(&principal.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        // Nothing typed is a form left empty, not a guess: ask for it, count nothing.
        if password.is_empty() {
            return Err(AppError::invalid(
                "password",
                format!("enter your password: {doing} needs it"),
            ));
        }
        if !self.password_matches(&user.id, password).await? {
            return Err(AppError::invalid(
                "password",
                format!("does not match your password; {doing} needs your own password"),
            ));
        }
        Ok(user)
    }

    /// The e-signature a command appends after its event, once the password is checked
    /// (before the transaction: a wrong password writes nothing).
    pub(crate) async fn signature_of(
        &self,
        caller: &Caller,
        password: &str,
        meaning: Meaning,
        doing: &str,
    ) -> Result<cellpath_store::FollowUp, AppError> {
        Ok(self
            .signing(caller, password, meaning, doing)
            .await?
            .follow_up())
    }

    /// The password checked once for a signing that may be written more than once (a case
    /// action decided again after someone else's): each try appends the same signature.
    pub(crate) async fn signing(
        &self,
        caller: &Caller,
        password: &str,
        meaning: Meaning,
        doing: &str,
    ) -> Result<Signing, AppError> {
        let principal = caller
            .principal
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("only a person signs".into()))?;
        let user = self.signer(principal, password, doing).await?;
        Ok(Signing {
            signer: user.id,
            printed: user.name,
            channel: caller.via.channel(),
            meaning,
            at: self.now(),
        })
    }
}

/// A signer whose password was checked, and what they sign as: the e-signature follows the
/// event it signs, naming that event's hash.
#[derive(Clone)]
pub(crate) struct Signing {
    signer: String,
    printed: String,
    channel: cellpath_ledger::Channel,
    meaning: Meaning,
    at: i64,
}

impl Signing {
    pub(crate) fn follow_up(&self) -> cellpath_store::FollowUp {
        let s = self.clone();
        Box::new(move |recorded: &cellpath_store::Appended| {
            let payload = SignaturePayload {
                signs: Signed::Event {
                    event_hash: recorded.hash.clone(),
                },
                signer_user_id: s.signer.clone(),
                printed_name: s.printed.clone(),
                meaning: s.meaning,
                signed_at: s.at,
                channel: Some(s.channel.clone()),
            };
            (SIGNATURE_EVENT_TYPE.to_string(), payload.to_payload())
        })
    }
}
