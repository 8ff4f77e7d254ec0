//! `cellpath webhooks`: an organization's webhook endpoints and what was sent to them, as the
//! operator sees them — `list --org` (each endpoint's URL, kinds, status, failures in a row)
//! and `attempts ID` (every delivery attempt, newest first: status code, error, duration).

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// An organization's endpoints.
    List {
        /// The organization, by id or exact name.
        #[arg(long)]
        org: String,
    },
    /// Every attempt at delivering to an endpoint, newest first.
    Attempts {
        /// The endpoint's id (`whk_…`).
        id: String,
        /// Show at most this many attempts.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn run(url: &str, json: bool, cmd: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let operator = Caller::system("cli");
    match cmd {
        WebhooksCommand::List { org } => {
            let org = find_org(&app, &org).await?;
            let endpoints = app.webhook_endpoints(&operator, Some(&org.id)).await?;
            if json {
                print_json(&endpoints)?;
            } else if endpoints.is_empty() {
                println!("{} has no webhook endpoints", org.name);
            } else {
                print_table(
                    &["id", "url", "kinds", "status", "failures in a row"],
                    endpoints
                        .into_iter()
                        .map(|e| {
                            vec![
                                e.id,
                                e.url,
                                if e.kinds.is_empty() {
                                    "all".into()
                                } else {
                                    e.kinds.join(", ")
                                },
                                e.status.to_string(),
                                e.consecutive_failures.to_string(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        WebhooksCommand::Attempts { id, limit } => {
            if limit < 1 {
                anyhow::bail!("--limit: give 1 or more");
            }
            let attempts = app.webhook_attempts(&operator, &id, limit).await?;
            if json {
                print_json(&attempts)?;
            } else if attempts.is_empty() {
                println!("nothing was sent to {id} yet");
            } else {
                print_table(
                    &["at", "message", "attempt", "result", "ms"],
                    attempts
                        .into_iter()
                        .map(|a| {
                            vec![
                                super::jobs::when(a.at),
                                a.message_id,
                                a.attempt.to_string(),
                                match (a.ok, a.status_code, a.error) {
                                    (true, Some(code), _) => format!("delivered ({code})"),
                                    (true, None, _) => "delivered".into(),
                                    (false, _, e) => format!("failed: {}", e.unwrap_or_default()),
                                },
                                a.duration_ms.to_string(),
                            ]
                        })
                        .collect(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
