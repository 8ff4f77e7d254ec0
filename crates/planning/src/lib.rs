//! The simulations of cellpath — the contracting planner's Monte Carlo and the cash-flow
//! model — live here once their issues land. Pure, seeded, parallel; no IO.
