//! `cellpath audit verify|export`: check a ledger's chain in the database or in an exported
//! JSON Lines file, naming the first broken link; check that a head kept from an earlier look
//! is still in the chain (a rewritten tail re-chains cleanly but loses it); compare the
//! current-state tables with what the events make (`--state`), which the chains cannot see;
//! export a ledger for a partner or auditor, with the head to keep.

use super::{open_app, print_json, print_table};
use anyhow::Context;
use cellpath_app::Caller;
use cellpath_app::audit::{DifferenceKind, StateDifference, VerifyReport, verify_export_keeping};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify ledgers: all in the database (default), one (--ledger), or an export (--file).
    /// The hash chains show an edited or removed event; they cannot show a row of the
    /// current-state tables edited behind the application's back (use --state), nor a tail
    /// rewritten and re-chained (use --kept-head with a head you kept earlier).
    Verify {
        /// A ledger id (an organization's or a partnership's id).
        #[arg(long)]
        ledger: Option<String>,
        /// An exported JSON Lines file instead of the database.
        #[arg(long, conflicts_with = "ledger")]
        file: Option<std::path::PathBuf>,
        /// The head hash the export must end with (without it, a cut-off or edited last line
        /// cannot be detected).
        #[arg(long, requires = "file")]
        expect_head: Option<String>,
        /// A head you kept from an earlier export or verification of this ledger (printed by
        /// `audit export`): the ledger must still contain it, however much it has grown since.
        #[arg(long)]
        kept_head: Option<String>,
        /// Replay every ledger's events into a scratch database and name each row of the
        /// current-state tables that differs from what the events make.
        /// With --state, each kept document's bytes are checked against its SHA-256 too.
        #[arg(long, conflicts_with_all = ["ledger", "file", "expect_head", "kept_head"])]
        state: bool,
        /// Where the documents are kept (read by --state).
        #[command(flatten)]
        documents: Box<super::DocumentsArgs>,
    },
    /// Copy the whole record into an empty database by replaying every ledger's events there,
    /// with the uploaded documents they name (rows, and bytes the database keeps; a documents
    /// directory or bucket stays where it is: configure it for the new database too).
    Replay {
        /// The empty database to replay into (sqlite://… or postgres://…); migrated first.
        #[arg(long)]
        into: String,
    },
    /// Export a ledger as JSON Lines: each line the exact stored bytes of one event.
    Export {
        #[arg(long)]
        ledger: String,
        /// Output file (standard output if absent).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

fn report(json: bool, reports: &[VerifyReport]) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&reports)?;
    } else {
        print_table(
            &["ledger", "result", "events", "detail"],
            reports
                .iter()
                .map(|r| match r {
                    VerifyReport::Intact {
                        ledger_id,
                        events,
                        head_hash,
                    } => vec![
                        ledger_id.clone(),
                        "intact".into(),
                        events.to_string(),
                        format!("head {head_hash}"),
                    ],
                    VerifyReport::Broken {
                        ledger_id,
                        seq,
                        reason,
                    } => vec![
                        ledger_id.clone(),
                        "BROKEN".into(),
                        String::new(),
                        format!("first broken link at event {seq}: {reason}"),
                    ],
                })
                .collect(),
        );
    }
    Ok(if reports.iter().all(VerifyReport::is_intact) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn state_report(json: bool, differences: &[StateDifference]) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&differences)?;
    } else if differences.is_empty() {
        println!("every row of the current-state tables is what the events make");
    } else {
        let row = |cols: &[(String, String)]| {
            cols.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        print_table(
            &["table", "row", "difference"],
            differences
                .iter()
                .map(|d| {
                    vec![
                        d.table.to_string(),
                        d.key.clone(),
                        match &d.kind {
                            DifferenceKind::Changed {
                                column,
                                live,
                                from_events,
                            } => format!(
                                "{column} is {live:?} in the table, {from_events:?} from the events"
                            ),
                            DifferenceKind::NotMadeByAnyEvent { row: cols } => {
                                format!("in the table, made by no event: {}", row(cols))
                            }
                            DifferenceKind::Missing { row: cols } => {
                                format!("missing from the table, made by the events: {}", row(cols))
                            }
                        },
                    ]
                })
                .collect(),
        );
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn run(url: &str, json: bool, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Replay { into } => {
            let app = open_app(url).await?;
            let events = app
                .replay_into(&Caller::system("cli"), &into)
                .await
                .with_context(|| format!("replaying into {}", super::redact(&into)))?;
            app.close().await;
            println!(
                "replayed {events} events, with their documents, into {}",
                super::redact(&into)
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            state: true,
            documents,
            ..
        } => {
            let app = documents.apply(open_app(url).await?).await?;
            let differences = app.verify_state(&Caller::system("cli")).await?;
            state_report(json, &differences)
        }
        AuditCommand::Verify {
            file: Some(path),
            expect_head,
            kept_head,
            ..
        } => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            report(
                json,
                &[verify_export_keeping(
                    &text,
                    expect_head.as_deref(),
                    kept_head.as_deref(),
                )],
            )
        }
        AuditCommand::Verify {
            ledger, kept_head, ..
        } => {
            let app = open_app(url).await?;
            let op = Caller::system("cli");
            let reports = match (ledger, kept_head) {
                (Some(id), Some(kept)) => vec![app.verify_ledger_keeping(&op, &id, &kept).await?],
                (Some(id), None) => vec![app.verify_ledger(&op, &id).await?],
                (None, Some(_)) => anyhow::bail!(
                    "--kept-head needs the ledger it was kept from: add --ledger ID (or --file)"
                ),
                (None, None) => app.verify_all(&op).await?,
            };
            report(json, &reports)
        }
        AuditCommand::Export { ledger, out } => {
            let app = open_app(url).await?;
            let op = Caller::system("cli");
            let n = match &out {
                Some(path) => {
                    let mut f =
                        std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                            anyhow::anyhow!("cannot create {}: {e}", path.display())
                        })?);
                    let n = app.export_ledger(&op, &ledger, &mut f).await?;
                    std::io::Write::flush(&mut f)?;
                    n
                }
                None => {
                    app.export_ledger(&op, &ledger, &mut std::io::stdout().lock())
                        .await?
                }
            };
            // On standard error even when the export goes to standard output: the head is what
            // a partner keeps, to check later exports with --kept-head.
            let head = app.ledger_head(&op, &ledger).await?;
            eprintln!(
                "exported {n} events; head {} (keep it: `cellpath audit verify --ledger {ledger} --kept-head {}` or `--file EXPORT --kept-head …` shows later whether events up to it were rewritten)",
                head.head_hash, head.head_hash
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
