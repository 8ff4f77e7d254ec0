//! The scored waitlist (DESIGN.md §4.4; issue 12, point 3), pure. Slots are scarce (a median
//! of one a month per center for some products, DOMAIN.md), so requests that found no room
//! wait in an order a committee can defend: by a **priority score** (0–100) given with its
//! reason and the version of the published criteria it was scored by; requests not yet scored
//! come after every scored one; ties go to the request that has waited longest. When a slot
//! frees, the first request in that order that is not already holding an offer, was not passed
//! over this round (a **skip**, on the record with its reason), and has a whole chain within
//! the horizon is **offered** that chain, with a deadline to accept.
//!
//! **API Boundary:** `Priority` (with `validate`), `Waiting`, `order`, `next_offer`, `Offered`,
//! `accept_by`, `MAX_SCORE`.

use crate::Date;
use crate::capacity::{Booked, BookingRequest, Capacity, Chain, earliest_chain};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// The highest priority score.
pub const MAX_SCORE: u32 = 100;

/// Hours a site has to accept an offer unless the program says otherwise.
pub const DEFAULT_OFFER_HOURS: u32 = 48;

/// A request's priority: the score, why, and the criteria it was scored by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    pub score: u32,
    pub reason: String,
    /// The version of the published criteria used (e.g. `BCMA-2026-03`).
    pub criteria_version: String,
}

/// What is wrong with a priority, field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityProblem {
    pub field: &'static str,
    pub message: String,
}

impl Priority {
    pub fn validate(&self) -> Result<(), Vec<PriorityProblem>> {
        let mut out = Vec::new();
        if self.score > MAX_SCORE {
            out.push(PriorityProblem {
                field: "score",
                message: format!("is from 0 to {MAX_SCORE}, not {}", self.score),
            });
        }
        if self.reason.trim().len() < 10 {
            out.push(PriorityProblem {
                field: "reason",
                message: "say why, in a sentence the committee would sign (10 characters at least)"
                    .into(),
            });
        }
        if self.criteria_version.trim().is_empty() {
            out.push(PriorityProblem {
                field: "criteria_version",
                message: "name the version of the criteria the score follows".into(),
            });
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// A request on the waitlist, as the order and the offers read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub booking_id: String,
    pub partnership: String,
    pub site: String,
    pub asked_on: Date,
    /// When it began to wait (microseconds): the tie-breaker.
    pub waiting_since: i64,
    pub priority: Option<Priority>,
    /// It holds an offer not yet answered.
    pub offered: bool,
}

/// The waitlist in order: scored requests by score, highest first; then unscored ones; each
/// group by how long it has waited; the booking id last, so the order is total.
pub fn order(waiting: &[Waiting]) -> Vec<&Waiting> {
    let mut ordered: Vec<&Waiting> = waiting.iter().collect();
    ordered.sort_by_key(|w| {
        (
            Reverse(w.priority.as_ref().map(|p| p.score + 1).unwrap_or(0)),
            w.waiting_since,
            w.booking_id.clone(),
        )
    });
    ordered
}

/// An offer made: to which request, which chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub booking_id: String,
    pub chain: Chain,
}

/// The offer to make now: the first request in [`order`] that holds no offer, was not passed
/// over this round (`skipped`), and has a whole chain from its asked day within the horizon.
/// None when nobody waiting can take what is free.
pub fn next_offer(
    capacity: &Capacity,
    booked: &Booked,
    waiting: &[Waiting],
    skipped: &BTreeSet<String>,
    today: &Date,
    horizon_days: u32,
) -> Option<Offered> {
    order(waiting)
        .into_iter()
        .filter(|w| !w.offered && !skipped.contains(&w.booking_id))
        .find_map(|w| {
            let request = BookingRequest {
                partnership: w.partnership.clone(),
                site: w.site.clone(),
                apheresis_on: w.asked_on.clone(),
            };
            earliest_chain(capacity, booked, &request, today, horizon_days)
                .ok()
                .map(|chain| Offered {
                    booking_id: w.booking_id.clone(),
                    chain,
                })
        })
}

/// The moment an offer made at `offered_at` (microseconds) lapses unless accepted.
pub fn accept_by(offered_at: i64, offer_hours: u32) -> i64 {
    offered_at + i64::from(offer_hours) * 3_600 * 1_000_000
}

#[cfg(test)]
mod tests;
