//! How the cash-flow model's time grows with runs and with patients (issue 14's benchmark),
//! the aligned-terms search included, on every core:
//!
//! ```text
//! cargo run --release -p cellpath-planning --example cashflow_scaling -- docs/examples/cashflow-bench.toml
//! ```
//!
//! The file's scenario at a quarter, half and all of its runs, then at half, the same and
//! twice its patients a month: wall time, simulated patient-episodes and episodes per second.
//! A benchmark to read, not a test: nothing here asserts a time.

use cellpath_planning::cashflow::Scenario;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/examples/cashflow-bench.toml".into());
    let base = Scenario::from_toml(&std::fs::read_to_string(&path)?)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{path} on {threads} threads");
    println!(
        "{:<28} {:>9} {:>14} {:>16}",
        "", "seconds", "episodes", "episodes/s"
    );
    let time = |label: String, s: &Scenario| -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let report = s.simulate(threads, &|_| {})?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{label:<28} {secs:>9.3} {:>14} {:>16.0}",
            report.patient_episodes,
            report.patient_episodes as f64 / secs
        );
        Ok(())
    };
    for runs in [base.runs / 4, base.runs / 2, base.runs] {
        time(format!("runs {runs}"), &base.with_runs(runs))?;
    }
    for factor in [0.5, 1.0, 2.0] {
        let mut s = base.clone();
        for p in &mut s.programs {
            p.patients_per_month *= factor;
        }
        time(format!("patients × {factor}"), &s)?;
    }
    Ok(())
}
