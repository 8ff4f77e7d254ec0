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
    /// for room; cancelled (its slots freed).
    BookingStatus, "booking status" {
        Requested => "requested",
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
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

events! {
    ProgramCapacityCreated => "program_capacity.created",
    ProgramCapacityUpdated => "program_capacity.updated",
    BookingRequested => "booking.requested",
    BookingConfirmed => "booking.confirmed",
    BookingWaitlisted => "booking.waitlisted",
    BookingCancelled => "booking.cancelled",
}
