//! `cellpath identifiers check TEXT`: read a scanned or typed ISBT 128 identifier and say what
//! it is, part by part, or what is wrong with it. Exit 0 when it is good, 1 when its check
//! character or structure is wrong (saying which), 2 when it cannot be read at all.

use super::{print_json, print_table};
use cellpath_domain::identifiers::{FlagMeaning, Identifier, IdentifierError, check};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum IdentifiersCommand {
    /// Read a donation identification number (with or without its leading `=`, flags and
    /// check character; spaces as printed are fine) or a `&/` chain of identity identifier.
    Check {
        /// The value as scanned or typed, e.g. "=W12342500001200" or "W1234 25 000012 Y".
        text: String,
    },
}

pub fn run(json: bool, cmd: IdentifiersCommand) -> anyhow::Result<ExitCode> {
    let IdentifiersCommand::Check { text } = cmd;
    let (answer, read) = check(&text);
    if json {
        print_json(&answer)?;
    }
    match read {
        Ok(id) => {
            if !json {
                print_table(&["part", "value"], parts(&id));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if !json {
                eprintln!("{e}");
            }
            Ok(ExitCode::from(match e {
                IdentifierError::Unreadable { .. } => 2,
                IdentifierError::Structure { .. } | IdentifierError::CheckCharacter { .. } => 1,
            }))
        }
    }
}

fn parts(id: &Identifier) -> Vec<Vec<String>> {
    let row = |k: &str, v: String| vec![k.to_string(), v];
    match id {
        Identifier::Isbt128Din(d) => {
            let mut rows = vec![
                row("kind", "ISBT 128 donation identification number".into()),
                row("facility", d.facility.to_string()),
                row("year", d.year.clone()),
                row("sequence", d.sequence.clone()),
            ];
            if let Some(flags) = &d.flags {
                let meaning = match d.flag_meaning() {
                    Some(FlagMeaning::NotUsed) => "not used".to_string(),
                    Some(FlagMeaning::CheckCharacter { check }) => {
                        format!("carry the check character {check}")
                    }
                    Some(FlagMeaning::Other { code }) => format!("the facility's own flag {code}"),
                    None => String::new(),
                };
                rows.push(row("flags", format!("{flags} ({meaning})")));
            }
            rows.push(row("check character", d.check.to_string()));
            rows.push(row("printed", d.to_string()));
            rows.push(row("barcode data", d.barcode()));
            rows
        }
        Identifier::Isbt128Coi(c) => vec![
            row("kind", "ISBT 128 chain of identity identifier".into()),
            row("issuer facility", c.facility.to_string()),
            row("year", c.year.clone()),
            row("sequence", c.sequence.clone()),
            row("printed", c.to_string()),
            row("barcode data", c.barcode()),
        ],
    }
}
