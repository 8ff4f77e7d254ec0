//! The simulations of cellpath: the contracting planner (a deterministic schedule with its
//! critical path and a Monte Carlo of authorization days) and the buy-and-bill cash-flow
//! model (exposure percentiles, peak against a cap, aligned payment terms).
//!
//! **Architecture Invariant:** pure, seeded, parallel. No IO, no clock, no async; depends on
//! nothing else in the workspace. Randomness comes only from a plan's seed, one named stream
//! per Monte Carlo iteration, so a result never depends on the thread count.

pub mod cashflow;
pub mod contracting;
mod stream;
