//! The Monte Carlo of authorization days: every iteration draws each instance's duration
//! from its triangular distribution and schedules them as the deterministic plan does.
//!
//! Reproducibility: iteration `i` draws from its own stream, [`iteration_stream`]`(seed, i)`,
//! instances in [`super::Planner::instances`] order (fixed ones draw too and ignore it, so
//! marking an item done does not shift the others' draws). Threads take contiguous blocks of
//! iterations and write each iteration's days to its own row, so the samples, and every
//! percentile, are the same bits for 1, 2 or 64 threads.

use super::Planner;
use super::schedule::Scratch;
use crate::stream::unit;

pub use crate::stream::iteration_stream;

/// A triangular distribution prepared for inverse-CDF sampling.
#[derive(Clone, Copy, Debug)]
pub(super) struct Triangular {
    min: f64,
    max: f64,
    /// F(mode) = (mode − min) / (max − min): where the CDF switches formula.
    split: f64,
    low: f64,
    high: f64,
}

impl Triangular {
    pub(super) fn new([min, mode, max]: [f64; 3]) -> Triangular {
        let width = max - min;
        Triangular {
            min,
            max,
            split: if width > 0.0 {
                (mode - min) / width
            } else {
                0.5
            },
            low: width * (mode - min),
            high: width * (max - mode),
        }
    }

    fn sample(&self, u: f64) -> f64 {
        if u < self.split {
            self.min + (u * self.low).sqrt()
        } else {
            self.max - ((1.0 - u) * self.high).sqrt()
        }
    }
}

/// The inverse CDF of the triangular distribution (min, mode, max) at `u` in [0, 1):
/// `min + √(u (max − min)(mode − min))` below F(mode), else `max − √((1 − u)(max − min)(max − mode))`.
pub fn triangular(days: [f64; 3], u: f64) -> f64 {
    Triangular::new(days).sample(u)
}

/// Summary of a distribution of days.
///
/// Percentiles are nearest-rank: P = the smallest sample with at least P % of the samples at
/// or below it, i.e. the ⌈P/100 · N⌉-th smallest (1-based). It is always a day that occurred
/// in some iteration; no interpolation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distribution {
    pub p50: f64,
    pub p90: f64,
    pub mean: f64,
}

impl Distribution {
    /// From samples in any order (reordered in place).
    pub fn of(samples: &mut [f64]) -> Distribution {
        assert!(!samples.is_empty(), "a distribution needs a sample");
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        Distribution {
            p50: nearest_rank(samples, 50),
            p90: nearest_rank(samples, 90),
            mean,
        }
    }
}

fn nearest_rank(samples: &mut [f64], percent: usize) -> f64 {
    let rank = (percent * samples.len()).div_ceil(100).max(1);
    *samples.select_nth_unstable_by(rank - 1, f64::total_cmp).1
}

/// Each site's and the last site's authorization day over all iterations.
#[derive(Clone, Debug)]
pub struct MonteCarlo {
    pub iterations: u32,
    /// Threads used (results do not depend on it).
    pub threads: usize,
    /// One per site, in site order.
    pub sites: Vec<(String, Distribution)>,
    pub last_site: Distribution,
    /// Row per iteration: each site's day, then the last site's.
    samples: Vec<f64>,
}

impl MonteCarlo {
    /// Site `site`'s authorization day in iteration `iteration`.
    pub fn site_day(&self, iteration: usize, site: usize) -> f64 {
        self.samples[iteration * (self.sites.len() + 1) + site]
    }

    /// The last site's authorization day in iteration `iteration`.
    pub fn last_site_day(&self, iteration: usize) -> f64 {
        self.site_day(iteration, self.sites.len())
    }

    pub fn site(&self, id: &str) -> Option<Distribution> {
        self.sites.iter().find(|(s, _)| s == id).map(|(_, d)| *d)
    }
}

impl Planner {
    /// The durations iteration `iteration` draws, one per instance.
    pub fn iteration_durations(&self, iteration: u64) -> Vec<f64> {
        let mut rng = iteration_stream(self.plan.seed, iteration);
        self.net
            .triangular
            .iter()
            .map(|t| t.sample(unit(&mut rng)))
            .collect()
    }

    /// Runs the plan's iterations on `threads` threads (at least 1; more than iterations
    /// are not started). Same numbers whatever `threads` is.
    pub fn monte_carlo(&self, threads: usize) -> MonteCarlo {
        let iterations = self.plan.iterations as usize;
        let columns = self.net.sites() + 1;
        let threads = threads.clamp(1, iterations);
        let mut samples = vec![0.0; iterations * columns];
        let block = iterations.div_ceil(threads);
        let run_block = |first: usize, rows: &mut [f64]| {
            let mut scratch = Scratch::new(self.net.len());
            for (k, row) in rows.chunks_exact_mut(columns).enumerate() {
                self.simulate((first + k) as u64, &mut scratch, row);
            }
        };
        if threads == 1 {
            run_block(0, &mut samples);
        } else {
            std::thread::scope(|scope| {
                for (b, rows) in samples.chunks_mut(block * columns).enumerate() {
                    scope.spawn(move || run_block(b * block, rows));
                }
            });
        }

        let mut column = vec![0.0; iterations];
        let mut distribution = |c: usize| {
            for (value, row) in column.iter_mut().zip(samples.chunks_exact(columns)) {
                *value = row[c];
            }
            Distribution::of(&mut column)
        };
        let sites = self
            .plan
            .sites
            .iter()
            .enumerate()
            .map(|(s, id)| (id.clone(), distribution(s)))
            .collect();
        let last_site = distribution(columns - 1);
        MonteCarlo {
            iterations: self.plan.iterations,
            threads,
            sites,
            last_site,
            samples,
        }
    }

    fn simulate(&self, iteration: u64, scratch: &mut Scratch, days: &mut [f64]) {
        let mut rng = iteration_stream(self.plan.seed, iteration);
        for (d, t) in scratch.durations.iter_mut().zip(&self.net.triangular) {
            *d = t.sample(unit(&mut rng));
        }
        self.net.schedule(scratch, days);
    }
}
