//! `cellpath audit verify|export`: check a ledger's chain in the database or in an exported
//! JSON Lines file, naming the first broken link; export a ledger for a partner or auditor.

use super::{open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::audit::{VerifyReport, verify_export};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify ledgers: all in the database (default), one (--ledger), or an export (--file).
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

pub async fn run(url: &str, json: bool, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify {
            file: Some(path),
            expect_head,
            ..
        } => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            report(json, &[verify_export(&text, expect_head.as_deref())])
        }
        AuditCommand::Verify { ledger, .. } => {
            let app = open_app(url).await?;
            let op = Caller::system("cli");
            let reports = match ledger {
                Some(id) => vec![app.verify_ledger(&op, &id).await?],
                None => app.verify_all(&op).await?,
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
            if out.is_some() {
                let head = app
                    .store
                    .ledger_head(&ledger)
                    .await?
                    .map(|h| h.head_hash)
                    .unwrap_or_default();
                eprintln!("exported {n} events; head {head}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
