//! The simulations of cellpath: today the contracting planner (a deterministic schedule with
//! its critical path and a Monte Carlo of authorization days); the cash-flow model joins it
//! with the payment issue.
//!
//! **Architecture Invariant:** pure, seeded, parallel. No IO, no clock, no async; depends on
//! nothing else in the workspace. Randomness comes only from a plan's seed, one named stream
//! per Monte Carlo iteration, so a result never depends on the thread count.

pub mod contracting;
