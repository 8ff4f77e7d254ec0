//! The random streams every simulation draws from: one per Monte Carlo iteration or cash-flow
//! run, named by (seed, index), so results never depend on how runs are split over threads.

use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// The random stream of iteration (or run) `iteration` of a simulation with `seed`: a PCG
/// (`Pcg64Mcg`, 128-bit multiplicative congruential with XSL-RR output) whose 128-bit state
/// is two consecutive SplitMix64 outputs from the counter `seed + 2·iteration·γ`. Uniforms are
/// the top 53 bits of `next_u64` over 2⁵³. Depends on nothing but (seed, iteration).
pub fn iteration_stream(seed: u64, iteration: u64) -> Pcg64Mcg {
    let at = |k: u64| splitmix64(seed.wrapping_add(k.wrapping_mul(GOLDEN_GAMMA)));
    let hi = at(iteration.wrapping_mul(2).wrapping_add(1));
    let lo = at(iteration.wrapping_mul(2).wrapping_add(2));
    Pcg64Mcg::from_seed(((u128::from(hi) << 64) | u128::from(lo)).to_le_bytes())
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function (Steele, Lea, Flood 2014).
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Uniform on [0, 1): the top 53 bits of `next_u64` over 2⁵³.
pub(crate) fn unit(rng: &mut Pcg64Mcg) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
