//! Capacity and bookings as the app answers them: a program's capacity with its version, and a
//! case's booking with where it stands and, while confirmed, its whole chain.

use super::schema;
use cellpath_domain::Date;
use cellpath_domain::capacity::{Capacity, Chain};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

/// A program's manufacturing capacity as its manufacturer stated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProgramCapacity)]
pub struct ProgramCapacityView {
    pub program_id: String,
    pub capacity: Capacity,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::ProgramCapacity> for ProgramCapacityView {
    fn from(r: rows::ProgramCapacity) -> Self {
        ProgramCapacityView {
            program_id: r.program_id,
            capacity: r.capacity,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A case's booking: the apheresis day asked for, where it stands, and the chain confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Booking)]
pub struct BookingView {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub case_id: String,
    #[schema(schema_with = schema::date)]
    pub asked_on: Date,
    pub status: BookingStatus,
    /// Why it was waitlisted or cancelled.
    pub reason: Option<String>,
    /// The whole chain while confirmed: both slots, the ship and arrival days, and the
    /// expected infusion day (a forecast).
    pub chain: Option<Chain>,
    /// While a chain is offered from the waitlist: when the offer lapses unless accepted.
    /// Microseconds since the Unix epoch, UTC.
    pub offer_expires_at: Option<i64>,
    /// The waitlist's score with its reason and criteria version, once scored.
    pub priority: Option<PriorityView>,
    /// Passed over for offers, and why (until it is scored again).
    pub skipped: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::Booking> for BookingView {
    fn from(r: rows::Booking) -> Self {
        BookingView {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            case_id: r.case_id,
            asked_on: r.asked_on,
            status: r.status,
            reason: r.reason,
            chain: r.chain,
            offer_expires_at: r.offer_expires_at,
            priority: r.priority.map(|p| PriorityView {
                score: p.score,
                reason: p.reason,
                criteria_version: p.criteria_version,
            }),
            skipped: r.skipped.map(|s| s.reason),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A request on a program's waitlist, in the order offers follow, with the names people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WaitlistEntry)]
pub struct WaitlistEntryView {
    #[serde(flatten)]
    pub booking: BookingView,
    pub case_pseudonym: String,
    pub site_name: String,
    /// Who scored it, by name (null before a score).
    pub scored_by: Option<String>,
    /// Who passed it over, by name, while it is passed over (the system's waitlist after an
    /// offer lapsed).
    pub skipped_by: Option<String>,
}

impl From<rows::WaitlistEntry> for WaitlistEntryView {
    fn from(e: rows::WaitlistEntry) -> Self {
        // A name when a user acted; else the actor as the ledger names it (the waitlist's
        // own actor in words).
        let skipped_by = e.booking.skipped.as_ref().map(|s| {
            e.skipped_by_name
                .clone()
                .unwrap_or_else(|| match s.by.as_str() {
                    "system:waitlist" => "the waitlist (the offer lapsed)".into(),
                    other => other.to_string(),
                })
        });
        let scored_by = e.scored_by_name.or_else(|| e.booking.scored_by.clone());
        WaitlistEntryView {
            case_pseudonym: e.case_pseudonym,
            site_name: e.site_name,
            scored_by,
            skipped_by,
            booking: BookingView::from(e.booking),
        }
    }
}

/// A waiting request's priority on the waitlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[schema(as = Priority)]
pub struct PriorityView {
    /// From 0 to 100; higher is offered first.
    #[schema(maximum = 100)]
    pub score: u32,
    /// Why, in a sentence the committee would sign (10 characters at least).
    #[schema(schema_with = super::schema::sentence)]
    pub reason: String,
    /// The version of the published criteria the score follows (e.g. `BCMA-2026-03`).
    #[schema(schema_with = super::schema::name)]
    pub criteria_version: String,
}

/// The earliest whole chain a booking could be confirmed with now, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BookingOffer {
    pub chain: Option<Chain>,
    /// Why no chain has room (then the request waits: waitlist it).
    pub no_room: Option<String>,
}
