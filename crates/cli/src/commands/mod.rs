//! One module per subcommand; this one wires them and the shared pieces (store, output).

pub mod audit;
pub mod bench;
pub mod booking_bench;
pub mod case;
pub mod case_bench;
pub mod exceptions;
pub mod finance;
pub mod gate;
pub mod identifiers;
pub mod inbox;
pub mod jobs;
pub mod notices;
pub mod onboarding;
pub mod onboarding_bench;
pub mod org;
pub mod plan;
pub mod program;
pub mod readiness;
pub mod safety;
pub mod simulate;
pub mod user;
pub mod webhooks;

use crate::{Cli, Command};
use anyhow::Context;
use cellpath_app::views::{Organization, Page, Program};
use cellpath_app::{App, AppError, Caller, SystemClock};
use std::process::ExitCode;
use std::sync::Arc;

pub fn init_logging(json: bool, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CELLPATH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only for a person at a terminal: a log file or a collector gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn open_app(database_url: &str) -> anyhow::Result<App> {
    App::open(database_url, Arc::new(SystemClock))
        .await
        .with_context(|| format!("opening {}", redact(database_url)))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Parse a file as TOML or JSON by its extension, with the file named in the error.
pub fn read_file<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message())),
        Some("json") => {
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        _ => anyhow::bail!("{}: use a .toml or .json file", path.display()),
    }
}

/// A plain aligned table for people.
pub fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(headers.iter().map(|h| h.to_string()).collect()));
    for r in rows {
        println!("{}", line(r));
    }
}

/// How the outbox's messages leave (`serve`, and `jobs work`, which delivers them too): the
/// SMTP server for e-mail, the authorities trusted over TLS beside the public web's, and the
/// address the links point to.
#[derive(clap::Args, Debug)]
pub struct DeliveryArgs {
    /// Send the notifications' e-mail through this SMTP server: `smtp://host:port` (plain
    /// SMTP, e.g. a relay on this host), `smtp://host:587?tls=required` (STARTTLS) or
    /// `smtps://host:465` (TLS), with `user:password@` before the host to log in (TLS only);
    /// without it no e-mail is sent (webhooks and the notices page still are).
    #[arg(long, env = "CELLPATH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of that e-mail.
    #[arg(
        long,
        env = "CELLPATH_SMTP_FROM",
        default_value = "cellpath <cellpath@localhost>"
    )]
    pub smtp_from: String,
    /// Also trust the certificate authorities in this PEM file when sending webhooks to
    /// https:// and e-mail over TLS (a health system's own authority); the public web's are
    /// always trusted.
    #[arg(long, env = "CELLPATH_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// The address people open cellpath at, for the links in e-mail and webhooks
    /// (`https://cellpath.example.org`); `http://<listen>` when left out.
    #[arg(long, env = "CELLPATH_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl DeliveryArgs {
    /// The app sending as these settings say; a setting that cannot work is one line and a
    /// non-zero exit now, not failed attempts later.
    pub fn apply(self, app: App, default_public_url: &str) -> anyhow::Result<App> {
        let mut app = app.with_public_url(self.public_url.as_deref().unwrap_or(default_public_url));
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("--ca-file {}: cannot be read ({e})", path.display())
            })?;
            let roots = cellpath_app::outbox::TrustedRoots::from_pem(&pem)
                .map_err(|e| anyhow::anyhow!("--ca-file {}: {e}", path.display()))?;
            let n = roots.der().len();
            app = app
                .with_trusted_roots(roots)
                .map_err(|e| anyhow::anyhow!("--ca-file {}: {e}", path.display()))?;
            eprintln!(
                "trusting {n} certificate authorit{} from {} beside the public web's",
                if n == 1 { "y" } else { "ies" },
                path.display()
            );
        }
        if let Some(url) = self.smtp_url {
            let server = cellpath_app::outbox::email::check_settings(&url, &self.smtp_from)
                .map_err(anyhow::Error::msg)?;
            eprintln!(
                "e-mail goes through {}:{} ({})",
                server.host,
                server.port,
                match server.tls {
                    cellpath_app::outbox::email::SmtpTls::Plain => "plain SMTP",
                    cellpath_app::outbox::email::SmtpTls::StartTls => "STARTTLS",
                    cellpath_app::outbox::email::SmtpTls::Wrapper => "TLS",
                }
            );
            app = app.with_smtp(cellpath_app::outbox::SmtpSettings {
                url,
                from: self.smtp_from,
            });
        }
        Ok(app)
    }
}

/// Where uploaded documents are kept, when not in the database: a directory, or an
/// S3-compatible bucket (`serve`, and `audit verify --state`, which reads them). All are read
/// from the environment too, the secret best only from there.
#[derive(clap::Args, Debug)]
pub struct DocumentsArgs {
    /// Keep uploaded documents as files in this directory (named by their SHA-256)
    /// instead of in the database; every server of one database must share it.
    #[arg(
        long,
        env = "CELLPATH_DOCUMENTS_DIR",
        conflicts_with = "documents_s3_bucket"
    )]
    pub documents_dir: Option<std::path::PathBuf>,
    /// Keep uploaded documents as objects of this S3-compatible bucket (named by their
    /// SHA-256) instead of in the database; needs the endpoint and the keys below.
    #[arg(long, env = "CELLPATH_DOCUMENTS_S3_BUCKET")]
    pub documents_s3_bucket: Option<String>,
    /// The bucket's server, e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000.
    #[arg(
        long,
        env = "CELLPATH_DOCUMENTS_S3_ENDPOINT",
        requires = "documents_s3_bucket"
    )]
    pub documents_s3_endpoint: Option<String>,
    #[arg(
        long,
        env = "CELLPATH_DOCUMENTS_S3_REGION",
        default_value = "us-east-1"
    )]
    pub documents_s3_region: String,
    #[arg(
        long,
        env = "CELLPATH_DOCUMENTS_S3_ACCESS_KEY",
        requires = "documents_s3_bucket"
    )]
    pub documents_s3_access_key: Option<String>,
    #[arg(
        long,
        env = "CELLPATH_DOCUMENTS_S3_SECRET_KEY",
        hide_env_values = true,
        requires = "documents_s3_bucket"
    )]
    pub documents_s3_secret_key: Option<String>,
    /// Address the bucket as endpoint/bucket/key (MinIO-like servers) rather than as a host
    /// name of its own.
    #[arg(long, env = "CELLPATH_DOCUMENTS_S3_PATH_STYLE")]
    pub documents_s3_path_style: bool,
}

impl DocumentsArgs {
    /// The app keeping its documents where these say.
    pub async fn apply(&self, mut app: App) -> anyhow::Result<App> {
        if let Some(config) = self.bucket()? {
            app = app
                .with_documents_bucket(&config)
                .await
                .map_err(|e| anyhow::anyhow!("cannot keep documents in the bucket: {e}"))?;
            eprintln!(
                "documents are kept in the bucket {} at {}",
                config.bucket, config.endpoint
            );
        }
        if let Some(dir) = &self.documents_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot use the documents directory {}", dir.display()))?;
            eprintln!("documents are kept in {}", dir.display());
            app = app.with_documents_dir(dir.clone());
        }
        Ok(app)
    }

    /// The bucket's configuration, if one is named; one line naming what is missing otherwise.
    fn bucket(&self) -> anyhow::Result<Option<cellpath_app::documents::BucketConfig>> {
        let Some(bucket) = &self.documents_s3_bucket else {
            return Ok(None);
        };
        let need = |value: &Option<String>, flag: &str, var: &str| {
            value.clone().ok_or_else(|| {
                anyhow::anyhow!("--documents-s3-bucket needs --{flag} (or {var}) as well")
            })
        };
        Ok(Some(cellpath_app::documents::BucketConfig {
            endpoint: need(
                &self.documents_s3_endpoint,
                "documents-s3-endpoint",
                "CELLPATH_DOCUMENTS_S3_ENDPOINT",
            )?,
            bucket: bucket.clone(),
            region: self.documents_s3_region.clone(),
            access_key: need(
                &self.documents_s3_access_key,
                "documents-s3-access-key",
                "CELLPATH_DOCUMENTS_S3_ACCESS_KEY",
            )?,
            secret_key: need(
                &self.documents_s3_secret_key,
                "documents-s3-secret-key",
                "CELLPATH_DOCUMENTS_S3_SECRET_KEY",
            )?,
            path_style: self.documents_s3_path_style,
        }))
    }
}

async fn serve(app: App, listen: &str, worker: cellpath_server::Worker) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "cellpath listening");
    eprintln!("cellpath is listening on http://{addr}/  (Ctrl-C stops it)");
    if worker == cellpath_server::Worker::Off {
        eprintln!("jobs are not run here (--no-jobs): run `cellpath jobs work` beside it");
    }
    cellpath_server::serve_with(app, listener, cellpath_server::shutdown_signal(), worker).await?;
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            listen,
            no_jobs,
            documents,
            delivery,
        } => {
            let app = documents.apply(open_app(&cli.database_url).await?).await?;
            let app = delivery.apply(app, &format!("http://{listen}"))?;
            let worker = if no_jobs {
                cellpath_server::Worker::Off
            } else {
                cellpath_server::Worker::On
            };
            serve(app, &listen, worker).await?;
        }
        Command::Demo { listen, file } => {
            match cli.database_url_source {
                Some(clap::parser::ValueSource::CommandLine) => anyhow::bail!(
                    "`cellpath demo` does not use --database-url: it always creates a fresh SQLite file with the demo data (--file, now {}); drop --database-url, or use `cellpath serve --database-url …` for your own database",
                    file.display()
                ),
                Some(clap::parser::ValueSource::EnvVariable) => eprintln!(
                    "note: CELLPATH_DATABASE_URL is not used by `cellpath demo`; the demo data goes to {}",
                    file.display()
                ),
                _ => {}
            }
            for suffix in ["", "-wal", "-shm"] {
                let mut p = file.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
            let url = format!("sqlite://{}", file.display());
            let app = open_app(&url)
                .await?
                .with_public_url(&format!("http://{listen}"));
            eprintln!("seeding demo data into {} …", file.display());
            let logins = cellpath_app::demo::seed_with_history(&app)
                .await
                .context("seeding the demo")?;
            println!(
                "\ncellpath demo — open http://{listen}/ and sign in as any of these (password: {}):\n",
                cellpath_app::demo::DEMO_PASSWORD
            );
            print_table(
                &["organization", "role", "name", "e-mail"],
                logins
                    .iter()
                    .map(|l| {
                        vec![
                            l.organization.clone(),
                            l.role.clone(),
                            l.name.clone(),
                            l.email.clone(),
                        ]
                    })
                    .collect(),
            );
            println!();
            serve(app, &listen, cellpath_server::Worker::On).await?;
        }
        Command::Migrate => {
            let applied = App::migrate(&cli.database_url)
                .await
                .with_context(|| format!("migrating {}", redact(&cli.database_url)))?;
            if cli.json {
                print_json(&applied)?;
            } else if applied.is_empty() {
                println!("the schema is up to date");
            } else {
                println!("applied: {}", applied.join(", "));
            }
        }
        Command::Org(c) => return org::run(&cli.database_url, cli.json, c).await,
        Command::User(c) => return user::run(&cli.database_url, cli.json, c).await,
        Command::Program(c) => return program::run_program(&cli.database_url, cli.json, c).await,
        Command::Map(c) => return program::run_map(&cli.database_url, cli.json, c).await,
        Command::Readiness(c) => {
            return readiness::run_readiness(&cli.database_url, cli.json, c).await;
        }
        Command::SiteMap(c) => {
            return readiness::run_site_map(&cli.database_url, cli.json, c).await;
        }
        Command::Audit(c) => return audit::run(&cli.database_url, cli.json, c).await,
        Command::Bench(args) => return bench::run(&cli.database_url, cli.json, args).await,
        Command::Plan(c) => return plan::run(cli.json, c),
        Command::Identifiers(c) => return identifiers::run(cli.json, c),
        Command::Simulate(c) => return simulate::run(cli.json, c),
        Command::Gate(args) => return gate::run(&cli.database_url, cli.json, args).await,
        Command::Case(c) => return case::run(&cli.database_url, cli.json, c).await,
        Command::Notices(args) => return notices::run(&cli.database_url, cli.json, args).await,
        Command::Webhooks(cmd) => return webhooks::run(&cli.database_url, cli.json, cmd).await,
        Command::Exceptions(cmd) => {
            return exceptions::run(&cli.database_url, cli.json, cmd).await;
        }
        Command::Inbox(args) => return inbox::run(&cli.database_url, cli.json, args).await,
        Command::Jobs(args) => return jobs::run(&cli.database_url, cli.json, args).await,
        Command::Onboarding(c) => return onboarding::run(&cli.database_url, cli.json, c).await,
        Command::Safety(c) => return safety::run(&cli.database_url, cli.json, c).await,
        Command::Finance(c) => return finance::run(&cli.database_url, cli.json, c).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// The day named by `--on` (YYYY-MM-DD), or today by the app's clock.
pub fn day_or_today(app: &App, on: Option<&str>) -> anyhow::Result<cellpath_domain::Date> {
    match on {
        Some(on) => cellpath_domain::Date::parse(on).map_err(|e| anyhow::anyhow!("--on: {e}")),
        None => Ok(cellpath_domain::Date::of_micros(app.now())),
    }
}

/// An organization named by id or by exact name.
pub async fn find_org(app: &App, id_or_name: &str) -> anyhow::Result<Organization> {
    app.organizations(&Caller::system("cli"), Page::all())
        .await?
        .into_iter()
        .find(|o| o.id == id_or_name || o.name == id_or_name)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no organization with id or name {id_or_name:?}; see `cellpath org list`"
            )
        })
}

/// A site of the health system, named by id or by code (e.g. LUH-MAIN); answers its id.
pub async fn find_site_id(app: &App, health_system_id: &str, site: &str) -> anyhow::Result<String> {
    app.sites(&Caller::system("cli"), health_system_id, Page::all())
        .await?
        .into_iter()
        .find(|s| s.id == site || s.code == site)
        .map(|s| s.id)
        .ok_or_else(|| {
            anyhow::anyhow!("no site with id or code {site:?} in this partnership's health system")
        })
}

/// A program of the manufacturer, named by id or by exact name (e.g. Vantacel); answers its id.
pub async fn find_program_id(
    app: &App,
    manufacturer_id: &str,
    program: &str,
) -> anyhow::Result<String> {
    app.programs_of(&Caller::system("cli"), manufacturer_id, Page::all())
        .await?
        .into_iter()
        .find(|p| p.id == program || p.name == program)
        .map(|p| p.id)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no program with id or name {program:?} of this partnership's manufacturer"
            )
        })
}

/// A program named by id or as MANUFACTURER/PROGRAM (the manufacturer by id or name).
pub async fn find_program(app: &App, name: &str) -> anyhow::Result<Program> {
    let op = Caller::system("cli");
    match app.program(&op, name).await {
        Ok(p) => return Ok(p),
        Err(AppError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let Some((org, program)) = name.split_once('/') else {
        anyhow::bail!("no program with id {name:?}; name one as MANUFACTURER/PROGRAM");
    };
    let org = find_org(app, org).await?;
    app.programs_of(&op, &org.id, Page::all())
        .await?
        .into_iter()
        .find(|p| p.name == program)
        .ok_or_else(|| anyhow::anyhow!("{} has no program {program:?}", org.name))
}
