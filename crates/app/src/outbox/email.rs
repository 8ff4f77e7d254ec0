//! E-mail over SMTP (`cellpath serve --smtp-url smtp://host:port`), through `lettre`: plain
//! SMTP without a TLS stack (a relay on the host or the network's own server), one message per
//! recipient, its subject the notification's, its text the notification's with the link to
//! the page.

use crate::{App, AppError};
use cellpath_store::OutboxMessage;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An SMTP URL read: `smtp://host[:port]` (25 when left out). Only plain SMTP: this build has
/// no TLS stack, so `smtps://` and STARTTLS are refused rather than silently sent in clear.
pub fn smtp_server(url: &str) -> Result<(String, u16), String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("{url:?} is not an SMTP URL like smtp://127.0.0.1:25 ({e})"))?;
    if parsed.scheme() != "smtp" {
        return Err(format!(
            "{url:?}: only smtp:// (plain SMTP, e.g. to a relay on this host) is supported, not {}://",
            parsed.scheme()
        ));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{url:?} names no host"))?;
    Ok((host.to_string(), parsed.port().unwrap_or(25)))
}

/// Check an SMTP URL and sender at start-up, so a mistyped one is one line and a non-zero exit
/// rather than failures in the job list.
pub fn check_settings(url: &str, from: &str) -> Result<(), String> {
    smtp_server(url).map_err(|e| format!("--smtp-url {e}"))?;
    from.parse::<Mailbox>().map_err(|e| {
        format!(
            "--smtp-from {from:?} is not an address like \"cellpath <cellpath@example.org>\" ({e})"
        )
    })?;
    Ok(())
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
        let (host, port) = smtp_server(&smtp.url)?;
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        mailer
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))
    }
}
