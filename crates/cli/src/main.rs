//! `cellpath`: the one binary. Thin: it parses arguments, opens the store, and calls the app
//! or the server. Errors print one line and exit non-zero.

mod commands;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cellpath",
    version,
    about = "The shared record of cell and gene therapy manufacturers and health systems",
    long_about = "cellpath runs the work between a cell or gene therapy manufacturer and the health systems that give its therapy: sites and facilities, partnerships, and a hash-chained, e-signed audit trail.\n\nStart with `cellpath demo` to see it with realistic data, or `cellpath serve` against your own database."
)]
pub struct Cli {
    /// Database: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "CELLPATH_DATABASE_URL",
        default_value = "sqlite://cellpath.db"
    )]
    database_url: String,
    /// Where `database_url` came from: `demo` refuses one given on the command line (it
    /// always makes a fresh SQLite file) and says so when one comes from the environment.
    #[arg(skip)]
    database_url_source: Option<ValueSource>,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Logs as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true, env = "CELLPATH_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (API, web UI, health and metrics) until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CELLPATH_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Run without the jobs worker: what commands enqueue (the gate's reviews) waits in
        /// the database for `cellpath jobs work` or a server that runs it.
        #[arg(long, env = "CELLPATH_NO_JOBS")]
        no_jobs: bool,
        #[command(flatten)]
        documents: commands::DocumentsArgs,
        #[command(flatten)]
        delivery: commands::DeliveryArgs,
    },
    /// Create a fresh SQLite database with realistic demo data, print the logins, and serve it.
    /// The demo never uses --database-url: its data goes to --file.
    Demo {
        #[arg(long, env = "CELLPATH_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the demo database goes (replaced if it exists).
        #[arg(long, default_value = "cellpath-demo.db")]
        file: std::path::PathBuf,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Organizations: manufacturers and health systems.
    #[command(subcommand)]
    Org(commands::org::OrgCommand),
    /// Users of an organization.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Programs (therapies) of a manufacturer.
    #[command(subcommand)]
    Program(commands::program::ProgramCommand),
    /// Process maps: import and export as TOML or JSON.
    #[command(subcommand)]
    Map(commands::program::MapCommand),
    /// Site readiness: visits, gap analysis, requirements judged at a site.
    #[command(subcommand)]
    Readiness(commands::readiness::ReadinessCommand),
    /// Site versions of process maps.
    #[command(subcommand)]
    SiteMap(commands::readiness::SiteMapCommand),
    /// Verify and export the hash-chained ledgers.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// The authorization gate: is a site an authorized treatment center for a program, or
    /// what is missing (exit 1 when not authorized).
    Gate(commands::gate::GateArgs),
    /// Patients' cases as the operator sees them (pseudonyms only): `list --site`, `show ID`.
    #[command(subcommand)]
    Case(commands::case::CaseCommand),
    /// A manufacturer's safety reports (pseudonyms only): `list --org [--status]`, `show ID`.
    #[command(subcommand)]
    Safety(commands::safety::SafetyCommand),
    /// A partnership's money: payment terms (`terms --partnership ID`), invoices (`invoices
    /// --partnership ID [--status]`), and a payment or credit recorded (`settle INVOICE`).
    #[command(subcommand)]
    Finance(commands::finance::FinanceCommand),
    /// A person's inbox as they see it: every due action of their role across their
    /// organization's partnerships, most urgent first (`--user EMAIL`).
    Inbox(commands::inbox::InboxArgs),
    /// An organization's notices across its partnerships, newest first: expiry reminders and
    /// sites authorized, suspended or reinstated (`--send` records the reminders due first).
    Notices(commands::notices::NoticesArgs),
    /// An organization's webhook endpoints (`list --org`) and every attempt at delivering to
    /// one (`attempts ID`): status code, error, duration.
    #[command(subcommand)]
    Webhooks(commands::webhooks::WebhooksCommand),
    /// Release exceptions (pseudonyms only): `list --org`, `show ID`, `protocols
    /// PARTNERSHIP` (each program's versions, which one is agreed), `sla --org`.
    #[command(subcommand)]
    Exceptions(commands::exceptions::ExceptionsCommand),
    /// Onboarding: every site on its way to authorization, and a partnership's live plan.
    #[command(subcommand)]
    Onboarding(commands::onboarding::OnboardingCommand),
    /// Simulations: `cashflow` models a health system's buy-and-bill exposure and searches
    /// payment terms that keep it under its cap; no database needed. Example:
    /// docs/examples/cashflow.toml.
    #[command(subcommand)]
    Simulate(commands::simulate::SimulateCommand),
    /// ISBT 128 identifiers: `check` reads a scanned or typed one and says what is wrong
    /// (exit 1) or that it cannot be read (exit 2).
    #[command(subcommand)]
    Identifiers(commands::identifiers::IdentifiersCommand),
    /// Durable jobs: queued, failed and recent ones with their attempts; `run` drains the due
    /// ones once, `work` runs the worker on its own.
    Jobs(commands::jobs::JobsArgs),
    /// Measure audited writes per second through HTTP and directly through the store.
    Bench(commands::bench::BenchArgs),
    /// Plan contracting: each site's authorization day (deterministic, P50, P90) and what
    /// dual-track saves; no database needed. Example: docs/examples/plan.toml.
    #[command(subcommand)]
    Plan(commands::plan::PlanCommand),
}

/// Give memory back to the system when a large block is freed. Every password check (argon2id,
/// 19 MiB) allocates a large block on a blocking thread; glibc raises its mmap threshold after
/// the first such block is freed, so later ones come from per-thread arenas that are never
/// returned: the demo, which hashes a password for each of its people, sat at 180 MB after
/// seeding and a server grew with every sign-in. A fixed threshold keeps blocks of 1 MiB and
/// more mapped apart and unmapped when freed (the demo: about 35 MB after start).
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets an allocator parameter; called once, before any thread
    // starts, with a valid option and value.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> std::process::ExitCode {
    return_large_blocks_to_the_system();
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.database_url_source = matches.value_source("database_url");
    commands::init_logging(
        cli.log_json,
        matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // 2, as clap's usage errors: 1 is an answer some commands give (`gate`: not
            // authorized), so a script can tell the two apart.
            std::process::ExitCode::from(2)
        }
    }
}
