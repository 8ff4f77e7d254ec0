//! The buy-and-bill cash-flow model (issue 14, DESIGN.md §4.6): a health system's exposure
//! (paid to manufacturers − received from payers and manufacturers) day by day over many
//! seeded runs, its peak against the cap, the margin per patient of each program, and the
//! payment terms (`net_days` of one program) that keep the P95 peak under the cap.
//!
//! Run `i` draws from its own stream, `iteration_stream(seed, i)`; threads take contiguous
//! blocks of runs and summaries read the runs in order, so a seed gives the same numbers on
//! any number of threads.

mod draw;
pub mod history;
mod model;
mod scenario;

pub use draw::inverse_normal;
pub use scenario::{
    Basis, Lag, MAX_HORIZON_DAYS, MAX_RUNS, Payer, Program, Rebate, Scenario, ScenarioError, Terms,
};

pub use model::Patient;

use model::Run;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Days × runs kept at once (exposure by day for every run): about 160 MB of numbers.
pub const MAX_DAY_RUNS: u64 = 20_000_000;

/// P5, P50, P95.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ByDay {
    pub p5: Vec<f64>,
    pub p50: Vec<f64>,
    pub p95: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramResult {
    /// Mean over its simulated patients of (all their inflows − price), whatever the time.
    pub margin_per_patient: f64,
    pub patients_simulated: u64,
    pub basis: Basis,
    pub net_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignedTerms {
    /// The program whose `net_days` was searched.
    pub program: Option<String>,
    /// Its `net_days` in the scenario.
    pub current_net_days: Option<u32>,
    /// The smallest `net_days` in 0..=365 whose P95 peak is within the cap, or `None`.
    pub net_days: Option<u32>,
    /// The P95 peak with those terms.
    pub peak_p95: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub seed: u64,
    pub runs: u32,
    pub horizon_days: u32,
    pub threads: usize,
    pub cap: f64,
    /// Patients simulated over all runs and programs.
    pub patient_episodes: u64,
    pub peak_exposure: Spread,
    pub p_peak_over_cap: f64,
    pub exposure_by_day: ByDay,
    pub programs: BTreeMap<String, ProgramResult>,
    pub aligned_terms: AlignedTerms,
    /// Every run's peak at the scenario's terms, in run order (for the distribution chart).
    pub peaks: Vec<f64>,
}

/// The value at `p` (0–1) of sorted `v`, interpolating linearly between order statistics.
pub fn percentile_sorted(v: &[f64], p: f64) -> f64 {
    assert!(!v.is_empty(), "a percentile needs a sample");
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

fn spread(v: &mut [f64]) -> Spread {
    v.sort_unstable_by(f64::total_cmp);
    Spread {
        p5: percentile_sorted(v, 0.05),
        p50: percentile_sorted(v, 0.5),
        p95: percentile_sorted(v, 0.95),
    }
}

/// Work over runs `0..n` on up to `threads` threads in contiguous blocks; results in run order.
fn in_blocks<T: Send>(n: usize, threads: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(work).collect();
    }
    let block = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t * block..((t + 1) * block).min(n))
                        .map(work)
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a simulation thread does not panic"))
            .collect()
    })
}

/// The flows of one run of patients placed by hand, at the scenario's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacedRun {
    pub exposure_by_day: Vec<f64>,
    pub peak: f64,
    /// Per program, in the scenario's order: inflows − price summed over its patients.
    pub margin: Vec<f64>,
}

impl Scenario {
    /// The model applied to these patients instead of drawn ones (closed-form checks, and a
    /// history replayed as it happened).
    pub fn run_patients(&self, patients: &[Patient]) -> PlacedRun {
        let run = model::run_patients(self, patients);
        let current = self.align.map_or(0, |i| self.programs[i].terms.net_days);
        let mut exposure_by_day = vec![0.0; self.horizon_days as usize];
        let peak = model::exposure(&run, current, &mut exposure_by_day);
        PlacedRun {
            exposure_by_day,
            peak,
            margin: run.margins.iter().map(|m| m.0).collect(),
        }
    }

    /// Runs the scenario on `threads` threads; `progress` is told how many runs are done (from
    /// any thread, now and then). Same numbers whatever `threads` is.
    pub fn simulate(
        &self,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Report, ScenarioError> {
        let day_runs = u64::from(self.runs) * u64::from(self.horizon_days);
        if day_runs > MAX_DAY_RUNS {
            return Err(ScenarioError {
                field: "runs".into(),
                message: format!(
                    "{} runs × {} days keeps {day_runs} daily figures, above the cap of {MAX_DAY_RUNS}: lower runs or horizon_days",
                    self.runs, self.horizon_days
                ),
            });
        }
        let done = AtomicU64::new(0);
        let runs: Vec<Run> = in_blocks(self.runs as usize, threads, |i| {
            let r = model::run(self, i as u64);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(256) || n == u64::from(self.runs) {
                progress(n);
            }
            r
        });
        let threads = threads.clamp(1, self.runs as usize);
        let horizon = self.horizon_days as usize;
        let current = self.align.map_or(0, |i| self.programs[i].terms.net_days);

        // Exposure at the scenario's own terms: by day across runs, and each run's peak.
        let mut by_day = vec![0.0; runs.len() * horizon];
        let mut peaks = Vec::with_capacity(runs.len());
        for (r, row) in runs.iter().zip(by_day.chunks_mut(horizon)) {
            peaks.push(model::exposure(r, current, row));
        }
        let days: Vec<Spread> = in_blocks(horizon, threads, |d| {
            let mut column: Vec<f64> = (0..runs.len()).map(|r| by_day[r * horizon + d]).collect();
            spread(&mut column)
        });
        drop(by_day);
        let over = peaks.iter().filter(|p| **p > self.cap).count();
        let peak_exposure = spread(&mut peaks.clone());

        let mut programs = BTreeMap::new();
        let mut patient_episodes = 0;
        for (i, p) in self.programs.iter().enumerate() {
            let (sum, n) = runs.iter().fold((0.0, 0u64), |(s, n), r| {
                (s + r.margins[i].0, n + r.margins[i].1)
            });
            patient_episodes += n;
            programs.insert(
                p.id.clone(),
                ProgramResult {
                    margin_per_patient: if n == 0 { 0.0 } else { sum / n as f64 },
                    patients_simulated: n,
                    basis: p.terms.basis,
                    net_days: p.terms.net_days,
                },
            );
        }

        let aligned_terms = match self.align {
            None => AlignedTerms {
                program: None,
                current_net_days: None,
                net_days: None,
                peak_p95: None,
            },
            Some(i) => {
                let p95_at = |net: u32| {
                    let mut v = in_blocks(runs.len(), threads, |r| model::peak(&runs[r], net));
                    v.sort_unstable_by(f64::total_cmp);
                    percentile_sorted(&v, 0.95)
                };
                let (mut lo, mut hi) = (0u32, 365u32);
                let (net_days, peak_p95) = if p95_at(hi) > self.cap {
                    (None, None)
                } else {
                    // Invariant: hi meets the cap; below lo none does.
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if p95_at(mid) <= self.cap {
                            hi = mid;
                        } else {
                            lo = mid + 1;
                        }
                    }
                    (Some(hi), Some(p95_at(hi)))
                };
                AlignedTerms {
                    program: Some(self.programs[i].id.clone()),
                    current_net_days: Some(current),
                    net_days,
                    peak_p95,
                }
            }
        };

        Ok(Report {
            seed: self.seed,
            runs: self.runs,
            horizon_days: self.horizon_days,
            threads,
            cap: self.cap,
            patient_episodes,
            peak_exposure,
            p_peak_over_cap: over as f64 / runs.len() as f64,
            exposure_by_day: ByDay {
                p5: days.iter().map(|s| s.p5).collect(),
                p50: days.iter().map(|s| s.p50).collect(),
                p95: days.iter().map(|s| s.p95).collect(),
            },
            programs,
            aligned_terms,
            peaks,
        })
    }
}
