//! `cellpath exceptions`: release exceptions as the operator sees them (pseudonyms only) —
//! `list --org` (an organization's, newest first), `show ID` (the first fact, the tiers told,
//! the deadlines and the SLA figures), `protocols PARTNERSHIP` (each program's versions and
//! which one is agreed) and `sla --org` (the SLA record of each of its partnerships); and, for a
//! person named by e-mail (`--by`), what follows an exception's opening: `acknowledge ID`,
//! `tell ID --method` (the patient told now), `decide ID --option`, `prerequisite ID --what`
//! (expanded access's) and `sign ID` (the close, the password read from standard input) — each
//! through the same command as the page and the API, refused in one line when the person may
//! not. Protocols: `usual-protocol` prints the usual one as TOML, `draft PARTNERSHIP --program
//! --file` drafts a version from such a file, `sign-protocol ID` signs it for the signer's side.

use super::{find_org, open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::release_exceptions::{
    ExceptionDecision, ExceptionPrerequisite, PatientTold, ReleaseExceptionView, span_words,
};
use cellpath_domain::release_exception::{DecisionOption, Measure, Prerequisite, TellMethod};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ExceptionsCommand {
    /// An organization's release exceptions across its partnerships, newest first.
    List {
        /// The organization, by id or exact name.
        #[arg(long)]
        org: String,
    },
    /// One release exception.
    Show {
        /// The exception's id (`rex_…`).
        id: String,
    },
    /// A partnership's release-exception protocol versions, every program's.
    Protocols {
        /// The partnership's id.
        partnership: String,
    },
    /// Print the usual release-exception protocol as TOML: a starting point for `draft`
    /// (three tiers, escalation after 8 and 24 hours, the patient told within a day by the
    /// health system's physician, every option the kind allows).
    UsualProtocol,
    /// Draft a new version of a program's release-exception protocol for a partnership, from
    /// a TOML file (as `usual-protocol` prints); both sides then sign it (`sign-protocol`).
    Draft {
        /// The partnership's id.
        partnership: String,
        /// The program, by id or name (one of the partnership's).
        #[arg(long)]
        program: String,
        /// The protocol, in TOML.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Who drafts it, by e-mail (a contracts or onboarding lead, an admin, quality).
        #[arg(long)]
        by: String,
    },
    /// Sign a protocol version for the signer's side (meaning approved, on its content's
    /// hash); the second side's signature agrees it. The password is read from standard
    /// input.
    SignProtocol {
        /// The version's id.
        id: String,
        /// Who signs, by e-mail.
        #[arg(long)]
        by: String,
    },
    /// The SLA record of each of an organization's partnerships.
    Sla {
        /// The organization, by id or exact name.
        #[arg(long)]
        org: String,
    },
    /// Acknowledge an exception: a recipient of a tier told.
    Acknowledge {
        /// The exception's id (`rex_…`).
        id: String,
        /// Who acknowledges, by e-mail.
        #[arg(long)]
        by: String,
    },
    /// Record that the patient was told, now: by the protocol's teller.
    Tell {
        /// The exception's id (`rex_…`).
        id: String,
        /// How: in_person, phone, video or letter.
        #[arg(long)]
        method: String,
        /// Who told the patient, by e-mail.
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record the decision, among the options the protocol offers for the kind.
    Decide {
        /// The exception's id (`rex_…`).
        id: String,
        /// remanufacture, re_collection, expanded_access, other_therapy,
        /// enhanced_monitoring or cancel.
        #[arg(long)]
        option: String,
        /// Who decides, by e-mail: the health system's physician or the manufacturer's
        /// quality.
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "")]
        note: String,
        /// The care-transition plan (another therapy, a cancellation).
        #[arg(long)]
        plan: Option<String>,
    },
    /// Record one of expanded access's prerequisites, once infusion under expanded access is
    /// decided: physician_request, irb_approval, expanded_access_consent or
    /// manufacturer_release (the last two with their document's SHA-256).
    Prerequisite {
        /// The exception's id (`rex_…`).
        id: String,
        #[arg(long)]
        what: String,
        /// Its reference: the request's, the IRB's approval number, the consent form's, the
        /// release certificate's.
        #[arg(long)]
        reference: String,
        /// The SHA-256 of its document, 64 hexadecimal digits.
        #[arg(long)]
        document_sha256: Option<String>,
        /// Who records it, by e-mail (the role the prerequisite belongs to).
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Sign the close for the signer's side (meaning approved, on the hash of what was
    /// decided); the second side's signature closes the exception. The signer's password is
    /// read from standard input.
    Sign {
        /// The exception's id (`rex_…`).
        id: String,
        /// Who signs, by e-mail.
        #[arg(long)]
        by: String,
    },
}

fn told(e: &ReleaseExceptionView) -> String {
    format!(
        "{} of {}",
        e.tiers.iter().filter(|t| t.told).count(),
        e.tiers.len()
    )
}

fn measure(m: &Measure) -> String {
    let took = m.took.map(span_words).unwrap_or_else(|| "not done".into());
    let verdict = if m.breached { ", breached" } else { "" };
    format!("{took} (allowed {}{verdict})", span_words(m.allowed))
}

/// The person an e-mail names, acting as themselves.
async fn person(app: &cellpath_app::App, operator: &Caller, email: &str) -> anyhow::Result<Caller> {
    let user = app.user_by_email(operator, email.trim()).await?;
    Ok(app
        .caller_for_user(&user.id, cellpath_app::access::Via::System)
        .await?)
}

/// One line of what an exception now stands at, as `who` reads it after `what`, or its JSON.
async fn done(
    app: &cellpath_app::App,
    who: &Caller,
    id: &str,
    json: bool,
    what: &str,
) -> anyhow::Result<()> {
    let e: ReleaseExceptionView = app.release_exception_view(who, id).await?;
    if json {
        print_json(&e)
    } else {
        println!(
            "{what}: {} on {} ({})",
            e.kind.words(),
            e.case_pseudonym,
            e.status
        );
        Ok(())
    }
}

pub async fn run(url: &str, json: bool, cmd: ExceptionsCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let operator = Caller::system("cli");
    let when = super::jobs::when;
    match cmd {
        ExceptionsCommand::Acknowledge { id, by } => {
            let who = person(&app, &operator, &by).await?;
            app.acknowledge_release_exception(&who, &id, None)
                .await?
                .fresh()?;
            done(
                &app,
                &who,
                &id,
                json,
                &format!("acknowledged by {}", who.name),
            )
            .await?;
        }
        ExceptionsCommand::Tell {
            id,
            method,
            by,
            note,
        } => {
            let method: TellMethod = method
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("--method: {e}"))?;
            let who = person(&app, &operator, &by).await?;
            app.record_patient_told(
                &who,
                &id,
                PatientTold {
                    method,
                    told_at: app.now(),
                    note,
                },
                None,
            )
            .await?
            .fresh()?;
            done(
                &app,
                &who,
                &id,
                json,
                &format!("the patient told {} by {}", method.words(), who.name),
            )
            .await?;
        }
        ExceptionsCommand::Decide {
            id,
            option,
            by,
            note,
            plan,
        } => {
            let option: DecisionOption = option
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("--option: {e}"))?;
            let who = person(&app, &operator, &by).await?;
            app.decide_release_exception(
                &who,
                &id,
                ExceptionDecision {
                    option,
                    note,
                    care_transition_plan: plan,
                },
                None,
            )
            .await?
            .fresh()?;
            done(
                &app,
                &who,
                &id,
                json,
                &format!("decided by {}: {}", who.name, option.words()),
            )
            .await?;
        }
        ExceptionsCommand::Prerequisite {
            id,
            what,
            reference,
            document_sha256,
            by,
            note,
        } => {
            let prerequisite: Prerequisite = what
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("--what: {e}"))?;
            let who = person(&app, &operator, &by).await?;
            app.record_exception_prerequisite(
                &who,
                &id,
                ExceptionPrerequisite {
                    prerequisite,
                    reference,
                    document_sha256,
                    note,
                },
                None,
            )
            .await?
            .fresh()?;
            done(
                &app,
                &who,
                &id,
                json,
                &format!("{} recorded by {}", prerequisite.words(), who.name),
            )
            .await?;
        }
        ExceptionsCommand::Sign { id, by } => {
            let who = person(&app, &operator, &by).await?;
            let password = super::user::password_from(None)?;
            app.sign_release_exception(&who, &id, &password, None)
                .await?
                .fresh()?;
            let side = match who.principal.as_ref().map(|p| p.org_kind) {
                Some(cellpath_domain::OrgKind::Manufacturer) => "the manufacturer",
                _ => "the health system",
            };
            done(
                &app,
                &who,
                &id,
                json,
                &format!("signed by {} for {side}", who.name),
            )
            .await?;
        }
        ExceptionsCommand::UsualProtocol => {
            let usual = cellpath_domain::release_exception::Protocol::usual();
            if json {
                print_json(&usual)?;
            } else {
                print!("{}", toml::to_string_pretty(&usual)?);
            }
        }
        ExceptionsCommand::Draft {
            partnership,
            program,
            file,
            by,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("--file {}: cannot be read ({e})", file.display()))?;
            let protocol: cellpath_domain::release_exception::Protocol = toml::from_str(&text)
                .map_err(|e| {
                    anyhow::anyhow!("--file {}: {}", file.display(), toml_problem(&text, &e))
                })?;
            let who = person(&app, &operator, &by).await?;
            let p = app.partnership(&operator, &partnership).await?;
            let program_id = super::find_program_id(&app, &p.manufacturer_id, &program).await?;
            let v = app
                .draft_exception_protocol_view(
                    &who,
                    &partnership,
                    cellpath_app::release_exceptions::NewExceptionProtocol {
                        program_id,
                        protocol,
                    },
                    None,
                )
                .await?
                .fresh()?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "{}: version {} of {}'s release-exception protocol drafted by {}, awaiting both sides' signatures ({})",
                    v.partnership_name, v.number, v.program_name, who.name, v.id
                );
            }
        }
        ExceptionsCommand::SignProtocol { id, by } => {
            let who = person(&app, &operator, &by).await?;
            let password = super::user::password_from(None)?;
            app.sign_exception_protocol(&who, &id, &password, None)
                .await?
                .fresh()?;
            let v = app.exception_protocol_view(&who, &id).await?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "{}: version {} of {}'s protocol signed by {} ({})",
                    v.partnership_name,
                    v.number,
                    v.program_name,
                    who.name,
                    match v.agreed_on {
                        Some(day) => format!("agreed on {day}"),
                        None => "awaiting the other side".into(),
                    }
                );
            }
        }
        ExceptionsCommand::List { org } => {
            let org = find_org(&app, &org).await?;
            let all = app.release_exceptions_of(&operator, Some(&org.id)).await?;
            if json {
                print_json(&all)?;
            } else if all.is_empty() {
                println!("{} has no release exceptions", org.name);
            } else {
                print_table(
                    &[
                        "id",
                        "opened",
                        "case",
                        "kind",
                        "lymphodepletion started",
                        "tiers told",
                        "acknowledged",
                        "status",
                    ],
                    all.iter()
                        .map(|e| {
                            vec![
                                e.id.clone(),
                                when(e.opened_at),
                                e.case_pseudonym.clone(),
                                e.kind.words().into(),
                                if e.lymphodepletion_started {
                                    "yes"
                                } else {
                                    "no"
                                }
                                .into(),
                                told(e),
                                e.acknowledged_at.map(when).unwrap_or_else(|| "no".into()),
                                e.status.as_str().into(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        ExceptionsCommand::Show { id } => {
            let e = app.release_exception_view(&operator, &id).await?;
            if json {
                print_json(&e)?;
            } else {
                println!(
                    "lymphodepletion started: {}",
                    if e.lymphodepletion_started {
                        "YES"
                    } else {
                        "no"
                    }
                );
                println!("{}: {} ({})", e.kind.words(), e.case_pseudonym, e.status);
                println!(
                    "{} · {} · {}",
                    e.partnership_name, e.site_name, e.program_name
                );
                println!("opened {}", when(e.opened_at));
                println!(
                    "certificate {} (sha256 {})",
                    e.certificate_reference, e.certificate_sha256
                );
                for t in &e.tiers {
                    let who: Vec<String> = t
                        .recipients
                        .iter()
                        .map(|r| format!("{} {}", r.side.as_str(), r.role.as_str()))
                        .collect();
                    println!(
                        "tier {}: {} — {}",
                        t.number,
                        who.join(", "),
                        match (t.told, t.told_at) {
                            (true, Some(at)) => format!("told {}", when(at)),
                            (true, None) => "told".into(),
                            (false, _) => "not told".into(),
                        }
                    );
                }
                match (e.acknowledged_at, &e.acknowledged_by) {
                    (Some(at), by) => println!(
                        "acknowledged {} by {}",
                        when(at),
                        by.clone().unwrap_or_default()
                    ),
                    (None, _) => println!("not acknowledged"),
                }
                println!("tell the patient by {}", when(e.patient_told_due_at));
                println!("decide by {}", when(e.decision_due_at));
                println!("sla notify: {}", measure(&e.sla.notify));
                println!("sla acknowledge: {}", measure(&e.sla.acknowledge));
                println!("sla decide: {}", measure(&e.sla.decide));
                println!("sla tell the patient: {}", measure(&e.sla.tell_patient));
            }
        }
        ExceptionsCommand::Protocols { partnership } => {
            let p = app.partnership_protocols(&operator, &partnership).await?;
            if json {
                print_json(&p)?;
            } else if p.versions.is_empty() {
                println!(
                    "{} has no release-exception protocol yet",
                    p.partnership_name
                );
            } else {
                print_table(
                    &[
                        "id",
                        "program",
                        "version",
                        "status",
                        "agreed on",
                        "tiers",
                        "manufacturer signer",
                        "health system signer",
                    ],
                    p.versions
                        .into_iter()
                        .map(|v| {
                            vec![
                                v.id,
                                v.program_name,
                                v.number.to_string(),
                                v.status.as_str().into(),
                                v.agreed_on.map(|d| d.to_string()).unwrap_or_default(),
                                v.protocol.tiers.len().to_string(),
                                v.manufacturer_signer.unwrap_or_default(),
                                v.health_system_signer.unwrap_or_default(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        ExceptionsCommand::Sla { org } => {
            let org = find_org(&app, &org).await?;
            let d = app
                .release_exception_slas_of(&operator, Some(&org.id))
                .await?;
            if json {
                print_json(&d)?;
            } else if d.partnerships.is_empty() {
                println!("{} has no partnership with cases", org.name);
            } else {
                let median = |m: &cellpath_domain::release_exception::MeasureSummary| {
                    m.median.map(span_words).unwrap_or_else(|| "—".into())
                };
                print_table(
                    &[
                        "partnership",
                        "exceptions",
                        "notify",
                        "acknowledge",
                        "decide",
                        "tell the patient",
                        "breaches",
                    ],
                    d.partnerships
                        .iter()
                        .map(|p| {
                            let s = &p.summary;
                            vec![
                                p.partnership_name.clone(),
                                s.exceptions.to_string(),
                                median(&s.notify),
                                median(&s.acknowledge),
                                median(&s.decide),
                                median(&s.tell_patient),
                                (s.notify.breached
                                    + s.acknowledge.breached
                                    + s.decide.breached
                                    + s.tell_patient.breached)
                                    .to_string(),
                            ]
                        })
                        .collect(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A TOML file's problem in one line: where, and what.
fn toml_problem(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}
