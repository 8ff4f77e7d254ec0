//! E-mail over SMTP (`cellpath serve --smtp-url`), through `lettre`: plain SMTP to a relay on
//! the host or the network's own server, STARTTLS, or TLS from the first byte (rustls, trusting
//! the public web's authorities and `--ca-file`'s), logging in when the URL names a user; one
//! message per recipient, its subject the notification's, its text the notification's with
//! the link to the page.

use crate::{App, AppError};
use cellpath_store::OutboxMessage;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// None: plain SMTP (`smtp://`, a relay on the host or a trusted network).
    Plain,
    /// Upgraded by STARTTLS before anything is sent, or not sent at all
    /// (`smtp://…?tls=required`, the submission port 587).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    Wrapper,
}

/// An SMTP server as its URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The user and password to log in with (only over TLS).
    pub login: Option<(String, String)>,
}

/// An SMTP URL read: `smtp://host[:port]` (plain SMTP, port 25), `smtp://host[:port]?tls=required`
/// (STARTTLS, port 587) or `smtps://host[:port]` (TLS from the first byte, port 465), each with
/// `user:password@` before the host to log in — refused over plain SMTP, where the password
/// would cross the network in clear.
pub fn smtp_server(url: &str) -> Result<SmtpServer, String> {
    let example = "like smtp://127.0.0.1:25, smtp://mail.example.org:587?tls=required or smtps://user:password@mail.example.org";
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        // Not read, so not known where a password stops: only what follows the last `@`.
        let shown = match url.rsplit_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => url.to_string(),
        };
        format!("{shown:?} is not an SMTP URL {example} ({e})")
    })?;
    // What is said of the URL never holds its password.
    let url = &{
        let mut shown = parsed.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("…"));
        }
        shown.to_string()
    };
    let mut tls = match parsed.scheme() {
        "smtp" => SmtpTls::Plain,
        "smtps" => SmtpTls::Wrapper,
        other => {
            return Err(format!(
                "{url:?}: an SMTP URL starts with smtp:// or smtps://, not {other}://"
            ));
        }
    };
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref(), tls) {
            ("tls", "required", SmtpTls::Plain) => tls = SmtpTls::StartTls,
            ("tls", "required", _) => {}
            _ => {
                return Err(format!(
                    "{url:?}: only ?tls=required (STARTTLS) may follow the address, not {key}={value}"
                ));
            }
        }
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{url:?} names no host"))?;
    let port = parsed.port().unwrap_or(match tls {
        SmtpTls::Plain => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Wrapper => 465,
    });
    let login = if parsed.username().is_empty() {
        None
    } else {
        if tls == SmtpTls::Plain {
            return Err(format!(
                "{url:?}: a user and password are sent only over TLS: use smtps:// or add ?tls=required"
            ));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| format!("{url:?}: the user or password is not percent-encoded UTF-8"))
        };
        Some((
            decode(parsed.username())?,
            decode(parsed.password().unwrap_or_default())?,
        ))
    };
    Ok(SmtpServer {
        host: host.to_string(),
        port,
        tls,
        login,
    })
}

/// Check an SMTP URL and sender at start-up, so a mistyped one is one line and a non-zero exit
/// rather than failures in the job list.
/// The server read is returned (to say how it is reached).
pub fn check_settings(url: &str, from: &str) -> Result<SmtpServer, String> {
    let server = smtp_server(url).map_err(|e| format!("--smtp-url {e}"))?;
    from.parse::<Mailbox>().map_err(|e| {
        format!(
            "--smtp-from {from:?} is not an address like \"cellpath <cellpath@example.org>\" ({e})"
        )
    })?;
    Ok(server)
}

/// The transport to the SMTP server at `url`, trusting `roots` beside the public web's over
/// TLS: made once when the settings are given (`App::with_smtp`, `App::with_trusted_roots`),
/// not for every message.
pub(crate) type Mailer = AsyncSmtpTransport<Tokio1Executor>;

pub(crate) fn mailer(url: &str, roots: &crate::outbox::TrustedRoots) -> Result<Mailer, String> {
    let server = smtp_server(url)?;
    let mut mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(server.port)
        .timeout(Some(std::time::Duration::from_secs(10)));
    if server.tls != SmtpTls::Plain {
        let mut params = TlsParameters::builder(server.host.clone());
        for der in roots.der() {
            let cert = Certificate::from_der(der.clone())
                .map_err(|e| format!("a trusted certificate cannot be used ({e})"))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| format!("TLS to {} cannot be set up ({e})", server.host))?;
        mailer = mailer.tls(if server.tls == SmtpTls::Wrapper {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        });
    }
    if let Some((user, password)) = server.login {
        mailer = mailer.credentials(Credentials::new(user, password));
    }
    Ok(mailer.build())
}

/// The text of a notification's e-mail: its body, then the link to the page.
pub fn text(body: &str, public_url: &str, link: &str) -> String {
    format!("{body}\n\nOpen it in cellpath: {public_url}{link}\n")
}

impl App {
    pub(super) async fn deliver_email(&self, m: &OutboxMessage) -> Result<(), AppError> {
        let at = self.now();
        let started = std::time::Instant::now();
        let sent = self.send_email(m).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        self.record_attempt(m, at, duration_ms, None, sent.err())
            .await
    }

    async fn send_email(&self, m: &OutboxMessage) -> Result<(), String> {
        let smtp = self
            .outbox
            .smtp
            .as_ref()
            .ok_or("no SMTP server is configured (cellpath serve --smtp-url)")?;
        let to: Mailbox = m
            .target
            .parse()
            .map_err(|e| format!("{} is not an e-mail address: {e}", m.target))?;
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| format!("the sender {} is not an address: {e}", smtp.from))?;
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(format!("<{}@cellpath>", m.id)))
            .body(text(&m.body, &self.outbox.public_url, &m.link))
            .map_err(|e| format!("the message cannot be made: {e}"))?;
        let mailer = self
            .outbox
            .mailer
            .as_deref()
            .ok_or("no SMTP server is configured (cellpath serve --smtp-url)")?
            .as_ref()
            .map_err(Clone::clone)?;
        mailer
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))
    }
}
