//! The outbox (issue 13, point 4; DESIGN.md §4.5): what an organization is told leaves through
//! it. A command that causes a notification calls [`App::notify`] on its write: one message per
//! recipient and channel (each of the organization's webhook endpoints that wants the kind; by
//! e-mail, each active user of the roles named, when SMTP is configured) is written in the
//! command's transaction with a `Deliver` job. The job posts or mails the message, records the
//! attempt (status, error, duration) and is retried with the jobs' exponential backoff; the
//! message keeps one id across attempts (at least once, deduplicated by the receiver). An
//! endpoint failing [`UNHEALTHY_AFTER`] deliveries in a row is marked unhealthy and holds its
//! messages until an admin enables it again. In-app, the notices a command records are read
//! by the organization's notices page from the ledger (`notices.rs`): nothing to deliver.

pub mod email;
pub(crate) mod notices;
pub mod signature;
pub mod webhooks;

use crate::jobs::Job;
use crate::write::Write;
use crate::{App, AppError, Caller};
use cellpath_domain::Role;
use cellpath_domain::events::webhooks::WebhookEndpointUnhealthy;
use cellpath_domain::outbox::{DeliveryChannel, EndpointStatus, MessageStatus};
use cellpath_store::{DeliveryAttempt, OutboxMessage, Page};
use serde::Serialize;

/// Deliveries to one endpoint that fail in a row before it is marked unhealthy and no longer
/// tried (with the jobs' backoff, 2 s doubling: about a minute of trying; an admin enables it
/// again and what it missed goes out).
pub const UNHEALTHY_AFTER: i64 = 5;

/// How long a webhook receiver has to answer.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Something an organization is told: the one entry point of the outbox for every kind of
/// notice (expiry reminders, site authorizations, release exceptions, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The organization told.
    pub org_id: String,
    /// Who of it receives the e-mail (its active users of these roles).
    pub roles: Vec<Role>,
    /// The notification's kind (`expiry_reminder`, `site_suspended`, …): what a webhook
    /// endpoint subscribes to.
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// The page it is about, a path (`/partnerships/pship_…`).
    pub link: String,
    /// The record or event that caused it.
    pub source_event: String,
}

/// Where e-mail goes (`cellpath serve --smtp-url`).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://host:port` (plain SMTP, or STARTTLS with `?tls=required`) or
    /// `smtps://host:port` (TLS from the first byte), with `user:password@` to log in (only
    /// over TLS): see [`email::smtp_server`].
    pub url: String,
    /// The sender, `Name <address>`.
    pub from: String,
}

/// Certificate authorities trusted beyond the public web's (`cellpath serve --ca-file`: a
/// health system's own authority, which signs its webhook receivers and mail servers), as DER.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedRoots(Vec<Vec<u8>>);

impl TrustedRoots {
    /// The certificates of a PEM bundle: at least one, and nothing in it that is not read.
    pub fn from_pem(pem: &[u8]) -> Result<TrustedRoots, String> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut certs = Vec::new();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("a certificate in it cannot be read ({e})"))?;
            certs.push(cert.as_ref().to_vec());
        }
        if certs.is_empty() {
            return Err("it holds no certificate (-----BEGIN CERTIFICATE----- … in PEM)".into());
        }
        Ok(TrustedRoots(certs))
    }

    /// The certificates, each in DER.
    pub fn der(&self) -> &[Vec<u8>] {
        &self.0
    }
}

/// The app's side of delivery: its HTTP client (TLS through rustls, trusting the public web's
/// authorities and [`TrustedRoots`]), the SMTP server, and the site's address for the links
/// in e-mail.
#[derive(Clone)]
pub(crate) struct Delivery {
    http: reqwest::Client,
    pub smtp: Option<SmtpSettings>,
    /// The transport made from `smtp` and `roots` (its error, said at each attempt, when the
    /// URL cannot be used); none without SMTP.
    pub mailer: Option<std::sync::Arc<Result<email::Mailer, String>>>,
    pub public_url: String,
    pub roots: TrustedRoots,
}

impl Delivery {
    fn make_mailer(&mut self) {
        self.mailer = self
            .smtp
            .as_ref()
            .map(|s| std::sync::Arc::new(email::mailer(&s.url, &self.roots)));
    }
}

/// The webhooks' HTTP client: a receiver's redirect is not followed (its answer is the
/// answer), and the authorities in `roots` are trusted beside the public web's.
fn http_client(roots: &TrustedRoots) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    for der in roots.der() {
        let cert = reqwest::Certificate::from_der(der)
            .map_err(|e| format!("a certificate cannot be trusted ({e})"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| format!("the HTTP client cannot be made with these certificates ({e})"))
}

impl Default for Delivery {
    fn default() -> Delivery {
        Delivery {
            http: http_client(&TrustedRoots::default())
                .expect("an HTTP client with the public web's roots builds"),
            smtp: None,
            mailer: None,
            public_url: "http://127.0.0.1:8080".into(),
            roots: TrustedRoots::default(),
        }
    }
}

/// The JSON a webhook receives.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct WebhookBody {
    /// The message's stable id: the same on every attempt, to deduplicate on.
    pub id: String,
    pub kind: String,
    pub organization_id: String,
    pub subject: String,
    pub body: String,
    /// The page it is about, as an absolute URL.
    pub link: String,
    pub source_event: String,
    /// When the notification was made (microseconds since the epoch).
    pub created_at: i64,
}

impl App {
    /// The same app mailing through this SMTP server.
    pub fn with_smtp(mut self, smtp: SmtpSettings) -> App {
        self.outbox.smtp = Some(smtp);
        self.outbox.make_mailer();
        self
    }

    /// The same app trusting these authorities too when it sends over TLS (webhooks to
    /// `https://`, e-mail over `smtps://` or STARTTLS); a certificate the TLS stack refuses is
    /// said in one line.
    pub fn with_trusted_roots(mut self, roots: TrustedRoots) -> Result<App, String> {
        self.outbox.http = http_client(&roots)?;
        self.outbox.roots = roots;
        self.outbox.make_mailer();
        Ok(self)
    }

    /// The same app linking to pages under `url` in what it sends (`http://host:port`).
    pub fn with_public_url(mut self, url: &str) -> App {
        self.outbox.public_url = url.trim_end_matches('/').to_string();
        self
    }

    /// `write` also leaves `notifications` in the outbox: a message per recipient and channel,
    /// and its delivery job, written in the same transaction (neither exists without the
    /// command's events). The recipients are read now: an endpoint created while the command
    /// runs receives the next one.
    pub(crate) async fn notify<T>(
        &self,
        mut write: Write<T>,
        notifications: &[Notification],
    ) -> Result<Write<T>, AppError> {
        let now = self.now();
        for n in notifications {
            let mut messages = Vec::new();
            for endpoint in self.store.webhook_endpoints_of(&n.org_id).await? {
                if !endpoint.wants(&n.kind) || endpoint.status == EndpointStatus::Disabled {
                    continue;
                }
                // An unhealthy endpoint gets the message once it is enabled again.
                let status = if endpoint.status == EndpointStatus::Active {
                    MessageStatus::Pending
                } else {
                    MessageStatus::Held
                };
                messages.push(message(
                    n,
                    DeliveryChannel::Webhook,
                    &endpoint.id,
                    status,
                    now,
                ));
            }
            if self.outbox.smtp.is_some() {
                for user in self.store.users_of(&n.org_id, Page::all()).await? {
                    if user.active && n.roles.contains(&user.role) {
                        messages.push(message(
                            n,
                            DeliveryChannel::Email,
                            &user.email,
                            MessageStatus::Pending,
                            now,
                        ));
                    }
                }
            }
            for m in messages {
                if m.status == MessageStatus::Pending {
                    write = write.enqueue(
                        Job::Deliver {
                            message_id: m.id.clone(),
                        }
                        .due(now),
                    );
                }
                write = write.with_operational(cellpath_store::Operational::Outbox(m));
            }
        }
        Ok(write)
    }

    /// Deliver one message (the `Deliver` job): an error makes the job try again later.
    pub(crate) async fn deliver(&self, message_id: &str) -> Result<(), AppError> {
        let Some(m) = self.store.outbox_message(message_id).await? else {
            return Ok(());
        };
        if m.status != MessageStatus::Pending {
            return Ok(());
        }
        match m.channel {
            DeliveryChannel::Webhook => self.deliver_webhook(&m).await,
            DeliveryChannel::Email => self.deliver_email(&m).await,
        }
    }

    async fn deliver_webhook(&self, m: &OutboxMessage) -> Result<(), AppError> {
        let Some(endpoint) = self.store.webhook_endpoint(&m.target).await? else {
            return Err(AppError::Internal(format!(
                "the endpoint {} of message {} is gone",
                m.target, m.id
            )));
        };
        if endpoint.status != EndpointStatus::Active {
            self.store.hold_message(&m.id).await?;
            return Ok(());
        }
        let secret = self
            .store
            .webhook_secret(&endpoint.id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("endpoint {} has no secret", endpoint.id)))?;
        let body = serde_json::to_vec(&WebhookBody {
            id: m.id.clone(),
            kind: m.kind.clone(),
            organization_id: m.org_id.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            link: format!("{}{}", self.outbox.public_url, m.link),
            source_event: m.source_event.clone(),
            created_at: m.created_at,
        })
        .expect("a webhook body serializes");
        let at = self.now();
        let timestamp = at.div_euclid(1_000_000);
        let started = std::time::Instant::now();
        let sent = self
            .outbox
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header(signature::ID_HEADER, &m.id)
            .header(signature::TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                signature::SIGNATURE_HEADER,
                signature::sign(&secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status_code, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(i64::from(r.status().as_u16())), None),
            Ok(r) => (
                Some(i64::from(r.status().as_u16())),
                Some(format!("the endpoint answered {}", r.status())),
            ),
            Err(e) => (None, Some(describe(&e))),
        };
        self.record_attempt(m, at, duration_ms, status_code, error)
            .await
    }

    /// Record an attempt; a failure is the job's error (so it is tried again), unless the
    /// endpoint has now failed too often in a row: then it is marked unhealthy and the message
    /// held, and the job ends.
    async fn record_attempt(
        &self,
        m: &OutboxMessage,
        at: i64,
        duration_ms: i64,
        status_code: Option<i64>,
        error: Option<String>,
    ) -> Result<(), AppError> {
        let attempt = DeliveryAttempt {
            outbox_id: m.id.clone(),
            attempt: 0,
            org_id: m.org_id.clone(),
            target: m.target.clone(),
            at,
            duration_ms,
            status_code,
            error: error.clone(),
            ok: error.is_none(),
        };
        let Some(error) = error else {
            self.store
                .record_delivery_attempt(m, &attempt, MessageStatus::Pending)
                .await?;
            return Ok(());
        };
        let endpoint_failures = if m.channel == DeliveryChannel::Webhook {
            self.store
                .webhook_endpoint(&m.target)
                .await?
                .map_or(0, |e| e.consecutive_failures + 1)
        } else {
            0
        };
        let gives_up = endpoint_failures >= UNHEALTHY_AFTER;
        self.store
            .record_delivery_attempt(
                m,
                &attempt,
                if gives_up {
                    MessageStatus::Held
                } else {
                    MessageStatus::Pending
                },
            )
            .await?;
        if gives_up {
            self.mark_unhealthy(&m.org_id, &m.target, endpoint_failures)
                .await?;
            return Ok(());
        }
        Err(AppError::Internal(format!(
            "delivering {} to {}: {error}",
            m.id, m.target
        )))
    }

    async fn mark_unhealthy(
        &self,
        org_id: &str,
        endpoint_id: &str,
        failures: i64,
    ) -> Result<(), AppError> {
        let event = WebhookEndpointUnhealthy {
            id: endpoint_id.to_string(),
            failures,
        };
        let write = Write::event(org_id, &event, |_| ());
        self.write(&Caller::system("outbox"), None, write).await?;
        Ok(())
    }
}

/// A new message of `n` to one recipient on one channel.
fn message(
    n: &Notification,
    channel: DeliveryChannel,
    target: &str,
    status: MessageStatus,
    now: i64,
) -> OutboxMessage {
    OutboxMessage {
        id: crate::ids::new_id("msg"),
        org_id: n.org_id.clone(),
        channel,
        target: target.into(),
        kind: n.kind.clone(),
        subject: n.subject.clone(),
        body: n.body.clone(),
        link: n.link.clone(),
        source_event: n.source_event.clone(),
        status,
        attempts: 0,
        created_at: now,
        delivered_at: None,
    }
}

/// A failed request in a sentence (reqwest's own message hides the cause behind "error
/// sending request").
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut text = what.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}
