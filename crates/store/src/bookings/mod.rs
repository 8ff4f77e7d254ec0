//! Rows and queries of manufacturing capacity and bookings (migration 0023): a program's
//! capacity on its manufacturer's ledger; a case's booking requested on the partnership's
//! ledger and confirmed, waitlisted or cancelled by the side whose ledger it is; the slots a
//! confirmed chain holds, unique per (program, kind, day, slot).

pub(crate) mod project;

use crate::decode::{date, maybe_date, maybe_text, word};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::capacity::{Capacity, Chain, Reserved};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::waitlist::{Priority, Waiting};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramCapacity {
    /// The program's id.
    pub id: String,
    pub program_id: String,
    pub capacity: Capacity,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for ProgramCapacity {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let capacity: String = r.try_get("capacity")?;
        Ok(ProgramCapacity {
            id: r.try_get("id")?,
            program_id: r.try_get("program_id")?,
            capacity: serde_json::from_str(&capacity)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Booking {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub case_id: String,
    /// The apheresis day the site asked for.
    pub asked_on: Date,
    pub status: BookingStatus,
    /// Why it was waitlisted or cancelled.
    pub reason: Option<String>,
    /// The whole chain, while confirmed or offered.
    pub chain: Option<Chain>,
    /// The user who asked for the day (`user:…` as the ledger names actors); none for a
    /// request recorded before migration 0024 kept who asked.
    pub requested_by: Option<String>,
    /// The waitlist's score, with its reason and criteria version, once scored.
    pub priority: Option<Priority>,
    /// Who scored it (the ledger's actor), once scored.
    pub scored_by: Option<String>,
    /// Passed over for the next offer, until it is scored again: why and by whom.
    pub skipped: Option<Skip>,
    /// While offered: when the offer lapses unless accepted (microseconds).
    pub offer_expires_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Why and by whom a request was passed over for offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub reason: String,
    /// The ledger's actor: `user:…`, or `system:waitlist` when an offer lapsed.
    pub by: String,
}

impl Booking {
    /// The request as the waitlist's order and offers read it.
    pub fn waiting(&self) -> Waiting {
        Waiting {
            booking_id: self.id.clone(),
            partnership: self.partnership_id.clone(),
            site: self.site_id.clone(),
            asked_on: self.asked_on.clone(),
            waiting_since: self.created_at,
            priority: self.priority.clone(),
            offered: self.status == BookingStatus::Offered,
        }
    }

    /// The chain as a reservation of its slots, while confirmed or offered.
    pub fn reserved(&self) -> Option<Reserved> {
        self.chain.as_ref().map(|c| Reserved {
            partnership: self.partnership_id.clone(),
            site: self.site_id.clone(),
            apheresis_on: c.apheresis_on.clone(),
            apheresis_slot: c.apheresis_slot,
            manufacturing_on: c.manufacturing_on.clone(),
            manufacturing_slot: c.manufacturing_slot,
        })
    }
}

fn slot(r: &AnyRow, column: &str) -> Result<Option<u32>, sqlx::Error> {
    let n: Option<i64> = r.try_get(column)?;
    n.map(|n| u32::try_from(n).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

impl FromRow<'_, AnyRow> for Booking {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let chain = match (
            maybe_date(r, "apheresis_on")?,
            slot(r, "apheresis_slot")?,
            maybe_date(r, "manufacturing_on")?,
            slot(r, "manufacturing_slot")?,
        ) {
            (
                Some(apheresis_on),
                Some(apheresis_slot),
                Some(manufacturing_on),
                Some(manufacturing_slot),
            ) => Some(Chain {
                apheresis_on,
                apheresis_slot,
                manufacturing_on,
                manufacturing_slot,
                ships_on: date(r, "ships_on")?,
                arrives_on: date(r, "arrives_on")?,
                expected_infusion_on: date(r, "expected_infusion_on")?,
            }),
            _ => None,
        };
        Ok(Booking {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            case_id: r.try_get("case_id")?,
            asked_on: date(r, "asked_on")?,
            status: word(r, "status")?,
            reason: maybe_text(r, "reason")?,
            chain,
            requested_by: maybe_text(r, "requested_by")?,
            priority: r
                .try_get::<Option<i64>, _>("score")?
                .map(|score| -> Result<Priority, sqlx::Error> {
                    Ok(Priority {
                        score: u32::try_from(score)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                        reason: r.try_get("score_reason")?,
                        criteria_version: r.try_get("criteria_version")?,
                    })
                })
                .transpose()?,
            scored_by: maybe_text(r, "scored_by")?,
            skipped: if r.try_get::<i64, _>("skipped")? != 0 {
                Some(Skip {
                    reason: r.try_get("skip_reason")?,
                    by: r.try_get("skipped_by")?,
                })
            } else {
                None
            },
            offer_expires_at: r.try_get("offer_expires_at")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A request on a program's waitlist with the names people read beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitlistEntry {
    #[serde(flatten)]
    pub booking: Booking,
    pub case_pseudonym: String,
    pub site_name: String,
    /// Who scored it, by name: none before a score, or when no user scored it.
    pub scored_by_name: Option<String>,
    /// Who passed it over, by name: none when it is not passed over, or the system did.
    pub skipped_by_name: Option<String>,
}

impl FromRow<'_, AnyRow> for WaitlistEntry {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(WaitlistEntry {
            booking: Booking::from_row(r)?,
            case_pseudonym: r.try_get("case_pseudonym")?,
            site_name: r.try_get("site_name")?,
            scored_by_name: maybe_text(r, "scored_by_name")?,
            skipped_by_name: maybe_text(r, "skipped_by_name")?,
        })
    }
}

impl Store {
    pub async fn program_capacity(
        &self,
        program_id: &str,
    ) -> Result<Option<ProgramCapacity>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM program_capacities WHERE id = $1")
                .bind(program_id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub async fn booking(&self, id: &str) -> Result<Option<Booking>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM bookings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A case's bookings, newest first (at most one not cancelled).
    pub async fn bookings_of_case(&self, case_id: &str) -> Result<Vec<Booking>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM bookings WHERE case_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A program's requests not yet confirmed (asked for, or on the waitlist), oldest first.
    pub async fn bookings_waiting(&self, program_id: &str) -> Result<Vec<Booking>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM bookings WHERE program_id = $1 AND status IN ('requested', 'waitlisted') ORDER BY created_at, id",
        )
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A program's waitlist: requests waiting (and those holding an offer), oldest first (the
    /// domain's `waitlist::order` orders them by score), each with its case's pseudonym, its
    /// site's name and the names of who scored and who passed it over.
    pub async fn waitlist(&self, program_id: &str) -> Result<Vec<WaitlistEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT b.*, c.pseudonym AS case_pseudonym, s.name AS site_name, COALESCE(us.name, '') AS scored_by_name, COALESCE(uk.name, '') AS skipped_by_name FROM bookings b JOIN cases c ON c.id = b.case_id JOIN sites s ON s.id = b.site_id LEFT JOIN users us ON us.id = substr(b.scored_by, 6) LEFT JOIN users uk ON uk.id = substr(b.skipped_by, 6) WHERE b.program_id = $1 AND b.status IN ('waitlisted', 'offered') ORDER BY b.created_at, b.id",
        )
        .bind(program_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The program's slot reservations whose booking is not in a state that holds slots: a
    /// chain half booked or left behind (always empty unless something is broken).
    pub async fn stray_reservations(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.booking_id, r.kind, (SELECT COUNT(*) FROM slot_reservations o WHERE o.booking_id = r.booking_id) FROM slot_reservations r LEFT JOIN bookings b ON b.id = r.booking_id WHERE b.id IS NULL OR b.status NOT IN ('confirmed', 'offered') OR (SELECT COUNT(*) FROM slot_reservations o WHERE o.booking_id = r.booking_id) <> 2",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// A program's chains holding slots (confirmed or offered) whose manufacturing starts from `from` to `to` (inclusive):
    /// what is booked around the days a new chain could take.
    pub async fn chains_starting_between(
        &self,
        program_id: &str,
        from: &Date,
        to: &Date,
    ) -> Result<Vec<Booking>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM bookings WHERE program_id = $1 AND status IN ('confirmed', 'offered') AND manufacturing_on >= $2 AND manufacturing_on <= $3 ORDER BY manufacturing_on, id",
        )
        .bind(program_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .fetch_all(&self.reader)
        .await?)
    }
}
