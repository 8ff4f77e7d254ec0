//! The planning crate's one integration-test binary: the contracting planner and the
//! cash-flow model.

mod cashflow;
mod contracting;
