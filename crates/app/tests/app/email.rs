//! E-mail through the outbox (issue 13, point 4) to a real SMTP server this test starts on
//! 127.0.0.1 — Python's `aiosmtpd` (PyPI, pinned and installed by `.ci/run` in
//! /opt/cellpath-ci-venv, named by `CELLPATH_AIOSMTPD`): each person of the roles told gets
//! the message, with the notification's subject and the link to the page. Skipped only where
//! aiosmtpd is not installed and `CI` is not set.

use crate::support::*;
use crate::webhooks::remind;
use cellpath_app::App;
use cellpath_app::outbox::SmtpSettings;
use cellpath_domain::Role;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;
use std::io::BufRead;

/// The SMTP server: each message it takes is a line of JSON in the file named by argv[2]
/// (envelope recipients, and the parsed message's To, Subject and text).
const SERVER: &str = r#"
import asyncio, email, email.policy, json, sys
from aiosmtpd.controller import Controller

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"rcpt": envelope.rcpt_tos, "from": envelope.mail_from,
                "to": str(msg["to"]), "subject": str(msg["subject"]),
                "text": msg.get_body(("plain",)).get_content()}) + "\n")
        return "250 kept"

c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

/// A Python with aiosmtpd: `CELLPATH_AIOSMTPD`, or the CI venv's when it has it.
fn aiosmtpd_python() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CELLPATH_AIOSMTPD") {
        return Some(p.into());
    }
    let venv = std::path::PathBuf::from("/opt/cellpath-ci-venv/bin/python");
    let has = std::process::Command::new(&venv)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    has.then_some(venv)
}

/// An aiosmtpd `script` started on a free port of 127.0.0.1 with `args` after the port, once
/// it says it is ready; stopped when dropped.
struct Smtpd {
    child: std::process::Child,
    port: u16,
}

impl Smtpd {
    fn start(python: &std::path::Path, script: &str, args: &[&std::ffi::OsStr]) -> Smtpd {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = std::process::Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(port.to_string())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "aiosmtpd did not start");
        Smtpd { child, port }
    }
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Who of `org` is told an expiry reminder: its active admins and contracts people.
async fn told(app: &App, org: &str) -> Vec<String> {
    app.store()
        .users_of(org, Page::all())
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.active && matches!(u.role, Role::Admin | Role::Contracts))
        .map(|u| u.email)
        .collect()
}

#[tokio::test]
async fn a_reminder_reaches_a_real_smtp_server_with_its_recipients_subject_and_link() {
    let Some(python) = aiosmtpd_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but aiosmtpd is not installed: .ci/run installs it in /opt/cellpath-ci-venv"
        );
        eprintln!(
            "skipped: aiosmtpd is not installed (pip install aiosmtpd; CELLPATH_AIOSMTPD names the python)"
        );
        return;
    };
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("mail.jsonl");
        let server = Smtpd::start(&python, SERVER, &[kept.as_os_str()]);
        let port = server.port;

        let (app, clock) = demo_app(&db).await;
        let app = app
            .with_smtp(SmtpSettings {
                url: format!("smtp://127.0.0.1:{port}"),
                from: "cellpath <cellpath@cellpath.test>".into(),
            })
            .with_public_url("http://cellpath.test/");
        remind(&app).await;
        for _ in 0..3 {
            app.run_due_jobs().await.unwrap();
            clock.advance_secs(60);
        }
        let ids = gate_ids(&app).await;
        let p = app
            .store()
            .partnership(&ids.partnership)
            .await
            .unwrap()
            .unwrap();
        let mut expected = told(&app, &p.manufacturer_id).await;
        expected.extend(told(&app, &p.health_system_id).await);
        expected.sort();
        assert!(
            expected.len() >= 4,
            "both sides have admins and contracts people"
        );

        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&kept)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut got: Vec<String> = lines
            .iter()
            .map(|m| {
                let rcpt = m["rcpt"].as_array().unwrap();
                assert_eq!(rcpt.len(), 1, "one message per person");
                rcpt[0].as_str().unwrap().to_string()
            })
            .collect();
        got.sort();
        assert_eq!(got, expected, "{}", db.label);
        for m in &lines {
            assert_eq!(m["from"], "cellpath@cellpath.test");
            assert_eq!(m["to"], m["rcpt"][0]);
            assert_eq!(
                m["subject"].as_str().unwrap(),
                format!("{}: the quality agreement expires in 30 days", p.name)
            );
            let text = m["text"].as_str().unwrap();
            assert!(
                text.contains(&format!("http://cellpath.test/partnerships/{}", p.id)),
                "{text}"
            );
        }
        drop(server);
    }
}

/// The SMTP server over TLS: `starttls` (STARTTLS required before anything) or `tls` (TLS from
/// the first byte), with the certificate and key named, and a login required (user `cellpath`,
/// password `s3cret pass`). Each message it takes is a line of JSON, as above, with whether
/// the session was encrypted and who logged in.
const TLS_SERVER: &str = r#"
import email, email.policy, json, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, mode, kept, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)

def login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"cellpath" \
        and auth_data.password == b"s3cret pass"
    return AuthResult(success=ok, auth_data=auth_data)

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with open(kept, "a") as f:
            f.write(json.dumps({"rcpt": envelope.rcpt_tos, "encrypted": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                "login": session.auth_data.login.decode() if session.auth_data else None,
                "subject": str(msg["subject"])}) + "\n")
        return "250 kept"

if mode == "starttls":
    c = Controller(Keep(), hostname="127.0.0.1", port=port, tls_context=ctx,
        require_starttls=True, authenticator=login, auth_required=True)
else:
    c = Controller(Keep(), hostname="127.0.0.1", port=port, ssl_context=ctx,
        authenticator=login, auth_required=True, auth_require_tls=False)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

#[tokio::test]
async fn a_reminder_goes_over_starttls_and_over_tls_with_a_login_to_a_server_the_app_trusts() {
    let Some(python) = aiosmtpd_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but aiosmtpd is not installed: .ci/run installs it in /opt/cellpath-ci-venv"
        );
        eprintln!("skipped: aiosmtpd is not installed");
        return;
    };
    let authority = crate::support::tls::TestAuthority::new();
    let dir = tempfile::tempdir().unwrap();
    let [_, cert, key] = authority.files(dir.path());
    for (mode, scheme, query) in [("starttls", "smtp", "?tls=required"), ("tls", "smtps", "")] {
        let kept = dir.path().join(format!("{mode}.jsonl"));
        let server = Smtpd::start(
            &python,
            TLS_SERVER,
            &[
                mode.as_ref(),
                kept.as_os_str(),
                cert.as_os_str(),
                key.as_os_str(),
            ],
        );
        let port = server.port;

        let db = TestDb::sqlite().await;
        let (app, clock) = demo_app(&db).await;
        let url = format!("{scheme}://cellpath:s3cret%20pass@127.0.0.1:{port}{query}");
        let app = app.with_smtp(SmtpSettings {
            url: url.clone(),
            from: "cellpath <cellpath@cellpath.test>".into(),
        });
        remind(&app).await;
        // Not trusting the authority: nothing is sent, and the attempt says why.
        app.run_due_jobs().await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&kept).unwrap_or_default(),
            "",
            "{mode}: nothing is sent to a server whose certificate does not verify"
        );
        // Trusting it: every message goes, encrypted, logged in.
        let app = app.with_trusted_roots(authority.roots()).unwrap();
        for _ in 0..4 {
            clock.advance_secs(app.backoff().max_delay_micros / 1_000_000 + 1);
            app.run_due_jobs().await.unwrap();
        }
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&kept)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(lines.len() >= 4, "{mode}: {lines:?}");
        for m in &lines {
            assert_eq!(m["encrypted"], true, "{mode}");
            assert_eq!(m["login"], "cellpath", "{mode}");
            assert!(
                m["subject"]
                    .as_str()
                    .unwrap()
                    .contains("the quality agreement expires in 30 days")
            );
        }
        drop(server);
    }
}

#[test]
fn smtp_urls_say_how_the_connection_is_protected_and_never_send_a_password_in_clear() {
    use cellpath_app::outbox::email::{SmtpTls, smtp_server};
    let s = smtp_server("smtp://127.0.0.1").unwrap();
    assert_eq!((s.port, s.tls, s.login), (25, SmtpTls::Plain, None));
    let s = smtp_server("smtp://mail.example.org?tls=required").unwrap();
    assert_eq!((s.port, s.tls), (587, SmtpTls::StartTls));
    let s = smtp_server("smtps://a%40b:p%20w@mail.example.org").unwrap();
    assert_eq!((s.port, s.tls), (465, SmtpTls::Wrapper));
    assert_eq!(s.login, Some(("a@b".to_string(), "p w".to_string())));
    let err = smtp_server("smtp://user:hunter2@mail.example.org").unwrap_err();
    assert!(err.contains("only over TLS"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password is never said: {err}"
    );
    let err = smtp_server("smtps://cellpath:hunter2@mail.example.org:notaport").unwrap_err();
    assert!(err.contains("is not an SMTP URL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password is never said: {err}"
    );
    for (url, says) in [
        ("http://mail.example.org", "smtp:// or smtps://"),
        ("smtp://mail.example.org?tls=maybe", "only ?tls=required"),
        ("mail.example.org", "is not an SMTP URL"),
    ] {
        let err = smtp_server(url).unwrap_err();
        assert!(err.contains(says), "{url}: {err}");
    }
}
