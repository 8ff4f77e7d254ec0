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
    /// The whole chain, while confirmed.
    pub chain: Option<Chain>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Booking {
    /// The chain as a reservation of its slots, while confirmed.
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
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
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

    /// A program's confirmed chains whose manufacturing starts from `from` to `to` (inclusive):
    /// what is booked around the days a new chain could take.
    pub async fn chains_starting_between(
        &self,
        program_id: &str,
        from: &Date,
        to: &Date,
    ) -> Result<Vec<Booking>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM bookings WHERE program_id = $1 AND status = 'confirmed' AND manufacturing_on >= $2 AND manufacturing_on <= $3 ORDER BY manufacturing_on, id",
        )
        .bind(program_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .fetch_all(&self.reader)
        .await?)
    }
}
