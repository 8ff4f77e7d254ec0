//! Manufacturing capacity and bookings' events (DESIGN.md §3, §4.4; issue 12). A program's
//! capacity is a record on its manufacturer's ledger (`program_capacity.created` / `.updated`,
//! its id the program's). A booking is requested by the site on the partnership's ledger
//! (`booking.requested`: the case and the apheresis day asked for), confirmed as a whole chain
//! or waitlisted by the manufacturer on its own ledger (`booking.confirmed`,
//! `booking.waitlisted`), and cancelled by either side on its ledger (`booking.cancelled`,
//! which frees both slots). Each change names the status it moved from and the booking's new
//! version, so two sides acting at once cannot both apply.
//!
//! Listed by `events::each_not_yet_recorded`: no record of an earlier release holds them.

use super::{Created, Updated, events};
use crate::Date;
use crate::capacity::{Capacity, Chain};
use crate::waitlist::Priority;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramCapacityFields {
    pub program_id: String,
    pub capacity: Capacity,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProgramCapacityChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
}

pub type ProgramCapacityCreated = Created<ProgramCapacityFields>;
pub type ProgramCapacityUpdated = Updated<ProgramCapacityChanges>;

vocabulary!(
    /// Where a booking stands: asked for by the site; confirmed with a whole chain; waiting
    /// for room; offered a freed chain (its slots held until the site answers or the offer
    /// lapses); cancelled (its slots freed).
    BookingStatus, "booking status" {
        Requested => "requested",
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
        Offered => "offered",
        Cancelled => "cancelled",
    }
);

impl BookingStatus {
    /// Still in play: it holds or waits for slots.
    pub fn is_open(self) -> bool {
        self != BookingStatus::Cancelled
    }
}

/// The site asks for an apheresis day for a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRequested {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub case_id: String,
    pub asked_on: Date,
}

/// The manufacturer confirms a whole chain: both slots or neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingConfirmed {
    pub id: String,
    pub version: i64,
    pub from: BookingStatus,
    pub chain: Chain,
}

/// The manufacturer puts the request on its waitlist, saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingWaitlisted {
    pub id: String,
    pub version: i64,
    pub from: BookingStatus,
    pub reason: String,
}

/// Either side cancels; a confirmed chain's two slots are freed (`freed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingCancelled {
    pub id: String,
    pub version: i64,
    pub from: BookingStatus,
    pub reason: String,
    pub freed: Option<Chain>,
}

/// The manufacturer's patient operations score a waiting request: the score, why, and the
/// version of the published criteria used (the waitlist's order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingScored {
    pub id: String,
    pub version: i64,
    pub from: BookingStatus,
    pub priority: Priority,
}

/// A waiting request is offered a whole chain (its two slots held from now), with the moment
/// the offer lapses unless the site accepts it. Made by the waitlist's job when slots free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingOffered {
    pub id: String,
    pub version: i64,
    pub from: BookingStatus,
    pub chain: Chain,
    /// Microseconds since the epoch.
    pub accept_by: i64,
}

/// The site accepts the chain offered: the booking is confirmed with the slots it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingOfferAccepted {
    pub id: String,
    pub version: i64,
    pub chain: Chain,
}

/// The site declines the chain offered, saying why: its slots are freed and the request
/// waits again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingOfferDeclined {
    pub id: String,
    pub version: i64,
    pub reason: String,
    pub freed: Chain,
}

/// The offer lapsed unanswered at its deadline: its slots are freed, the request waits again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingOfferExpired {
    pub id: String,
    pub version: i64,
    pub freed: Chain,
}

/// The manufacturer passes a waiting request over for the next offer, saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingSkipped {
    pub id: String,
    pub version: i64,
    pub reason: String,
}

events! {
    ProgramCapacityCreated => "program_capacity.created",
    ProgramCapacityUpdated => "program_capacity.updated",
    BookingRequested => "booking.requested",
    BookingConfirmed => "booking.confirmed",
    BookingWaitlisted => "booking.waitlisted",
    BookingCancelled => "booking.cancelled",
    BookingScored => "booking.scored",
    BookingOffered => "booking.offered",
    BookingOfferAccepted => "booking.offer_accepted",
    BookingOfferDeclined => "booking.offer_declined",
    BookingOfferExpired => "booking.offer_expired",
    BookingSkipped => "booking.skipped",
}
