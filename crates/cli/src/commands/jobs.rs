//! `cellpath jobs`: the durable jobs — what commands enqueued for after them (the gate's
//! reviews), the hourly tick's work, timers — as the operator sees them: queued, running and
//! failed jobs, then the most recent done, each with its attempts. `run` drains what is due
//! once; `work` is the worker of `cellpath serve` on its own (for a server run with
//! `--no-jobs`).

use super::{open_app, print_json, print_table};
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Args)]
pub struct JobsArgs {
    /// How many of the most recent done jobs to list after the open ones.
    #[arg(long, default_value_t = 20)]
    recent: i64,
    #[command(subcommand)]
    action: Option<JobsAction>,
}

#[derive(Subcommand)]
pub enum JobsAction {
    /// Run every due job once, then stop (exit 1 if an attempt failed).
    Run,
    /// Run the jobs worker until Ctrl-C or SIGTERM: due jobs as they come, and the hourly
    /// tick. For servers started with `serve --no-jobs`; it delivers the outbox's messages,
    /// so it takes the server's delivery settings.
    Work(super::DeliveryArgs),
}

/// Microseconds since the epoch as UTC date and time, to the second.
pub(crate) fn when(micros: i64) -> String {
    let day = cellpath_domain::Date::of_micros(micros);
    let secs = micros.div_euclid(1_000_000).rem_euclid(86_400);
    format!(
        "{day} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

pub async fn run(url: &str, json: bool, args: JobsArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    match args.action {
        Some(JobsAction::Run) => {
            let run = app.run_due_jobs().await?;
            if json {
                print_json(&run)?;
            } else {
                println!("{} job(s) done, {} attempt(s) failed", run.done, run.failed);
            }
            return Ok(if run.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        Some(JobsAction::Work(delivery)) => {
            let app = delivery.apply(app, "http://127.0.0.1:8080")?;
            eprintln!("cellpath jobs worker running (Ctrl-C stops it)");
            cellpath_server::work(app, cellpath_server::shutdown_signal()).await;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let jobs = app.jobs_listed(args.recent).await?;
    if json {
        print_json(&jobs)?;
    } else if jobs.is_empty() {
        println!("no jobs");
    } else {
        print_table(
            &["status", "kind", "key", "due", "attempts", "last error"],
            jobs.into_iter()
                .map(|l| {
                    vec![
                        l.job.status.as_str().to_string(),
                        l.job.kind,
                        l.job.dedupe_key,
                        when(l.job.due_at),
                        l.job.attempts.to_string(),
                        l.job.last_error.unwrap_or_default(),
                    ]
                })
                .collect(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
