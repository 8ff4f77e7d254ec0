//! The random draws of the cash-flow model, from one run's stream: uniforms, standard normals
//! (inverse CDF, one uniform each), log-normal delays and Poisson counts (PTRS, Hörmann 1993,
//! for means of 10 and more; multiplication below).

use super::scenario::Lag;
pub(super) use crate::stream::unit;
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

/// Uniform on (0, 1): never 0, for the normal's inverse CDF.
fn open_unit(rng: &mut Pcg64Mcg) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The standard normal's inverse CDF (Acklam's rational approximation, relative error below
/// 1.2e-9), for `p` in (0, 1).
pub fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// z of the 90th percentile of the standard normal, as the scenario's meaning fixes it.
const Z90: f64 = 1.2816;

/// A log-normal delay prepared for drawing: median × e^(σ z).
#[derive(Debug, Clone, Copy)]
pub(super) struct LogNormal {
    median: f64,
    sigma: f64,
}

impl LogNormal {
    pub(super) fn new(lag: Lag) -> LogNormal {
        LogNormal {
            median: lag.median_days,
            sigma: (lag.p90_days / lag.median_days).ln() / Z90,
        }
    }

    pub(super) fn draw(&self, rng: &mut Pcg64Mcg) -> f64 {
        let z = inverse_normal(open_unit(rng));
        if self.sigma == 0.0 {
            self.median
        } else {
            self.median * (self.sigma * z).exp()
        }
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// A Poisson count with mean `mean` (≥ 0).
pub(super) fn poisson(rng: &mut Pcg64Mcg, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 10.0 {
        let limit = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= unit(rng);
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
    // PTRS: transformed rejection with squeeze.
    let slam = mean.sqrt();
    let loglam = mean.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.024_83 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = unit(rng) - 0.5;
        let v = unit(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + mean + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln()
            <= -mean + k * loglam - ln_gamma(k + 1.0)
        {
            return k as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::iteration_stream;

    #[test]
    fn the_inverse_normal_matches_known_quantiles() {
        assert!((inverse_normal(0.5)).abs() < 1e-12);
        assert!((inverse_normal(0.9) - 1.281_551_565_5).abs() < 1e-8);
        assert!((inverse_normal(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((inverse_normal(0.001) + 3.090_232_306).abs() < 1e-7);
    }

    #[test]
    fn ln_gamma_is_the_log_factorial() {
        for (n, fact) in [(1u32, 1.0f64), (5, 120.0), (10, 3_628_800.0)] {
            assert!((ln_gamma(f64::from(n) + 1.0) - fact.ln()).abs() < 1e-10);
        }
    }

    #[test]
    fn poisson_counts_have_their_mean_and_variance() {
        for mean in [0.7, 4.0, 12.0, 243.3] {
            let mut rng = iteration_stream(9, 0);
            let n = 200_000;
            let draws: Vec<f64> = (0..n).map(|_| poisson(&mut rng, mean) as f64).collect();
            let m = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / n as f64;
            // Five standard errors.
            assert!(
                (m - mean).abs() < 5.0 * (mean / n as f64).sqrt(),
                "mean {mean}: {m}"
            );
            assert!(
                (var / mean - 1.0).abs() < 0.03,
                "variance at mean {mean}: {var}"
            );
        }
    }
}
