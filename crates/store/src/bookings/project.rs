//! Capacity and bookings' projector (migration 0023): `program_capacity.*` through the record
//! machinery; `booking.*` by hand, because a confirmation also writes the chain's two slot
//! reservations and a cancellation deletes them, in the event's transaction. A booking's
//! change applies only to the version it names (`version - 1` before it), so a site's
//! cancellation and the manufacturer's confirmation cannot both apply.

use crate::StoreError;
use crate::project::{Bind, Col, Table, execute, invalid, record, typed};
use cellpath_domain::capacity::Chain;
use cellpath_domain::events::Event as _;
use cellpath_domain::events::bookings::{
    BookingCancelled, BookingConfirmed, BookingOfferAccepted, BookingOfferDeclined,
    BookingOfferExpired, BookingOffered, BookingRequested, BookingScored, BookingSkipped,
    BookingStatus, BookingWaitlisted, ProgramCapacityCreated, ProgramCapacityUpdated,
};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

const PROGRAM_CAPACITY: Table = Table {
    name: "program_capacities",
    kind: "program_capacity",
    columns: &[
        ("program_id", Col::Text, false),
        ("capacity", Col::Json, true),
    ],
    frozen_when: None,
};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    if record::<ProgramCapacityCreated, ProgramCapacityUpdated>(tx, &PROGRAM_CAPACITY, event)
        .await?
    {
        return Ok(true);
    }
    let at = event.recorded_at;
    match event.kind.as_str() {
        BookingRequested::KIND => {
            let b: BookingRequested = typed(event)?;
            execute(
                tx,
                "INSERT INTO bookings (id, partnership_id, site_id, program_id, case_id, asked_on, status, reason, apheresis_on, apheresis_slot, manufacturing_on, manufacturing_slot, ships_on, arrives_on, expected_infusion_on, version, created_at, updated_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', NULL, '', NULL, '', '', '', 1, $8, $8, $9)",
                vec![
                    Bind::Text(b.id),
                    Bind::Text(b.partnership_id),
                    Bind::Text(b.site_id),
                    Bind::Text(b.program_id),
                    Bind::Text(b.case_id),
                    Bind::Text(b.asked_on.into()),
                    Bind::Text(BookingStatus::Requested.as_str().into()),
                    Bind::Int(at),
                    Bind::Text(event.actor.clone()),
                ],
            )
            .await?;
        }
        BookingConfirmed::KIND => {
            let b: BookingConfirmed = typed(event)?;
            let c = &b.chain;
            moved(
                tx,
                event,
                &b.id,
                b.version,
                b.from,
                BookingStatus::Confirmed,
                "",
                Some(c),
            )
            .await?;
            reserve(tx, &b.id, c).await?;
        }
        BookingWaitlisted::KIND => {
            let b: BookingWaitlisted = typed(event)?;
            moved(
                tx,
                event,
                &b.id,
                b.version,
                b.from,
                BookingStatus::Waitlisted,
                &b.reason,
                None,
            )
            .await?;
        }
        BookingCancelled::KIND => {
            let b: BookingCancelled = typed(event)?;
            moved(
                tx,
                event,
                &b.id,
                b.version,
                b.from,
                BookingStatus::Cancelled,
                &b.reason,
                None,
            )
            .await?;
            no_deadline(tx, &b.id).await?;
            free(tx, &b.id).await?;
        }
        BookingScored::KIND => {
            let b: BookingScored = typed(event)?;
            let n = execute(
                tx,
                "UPDATE bookings SET score = $3, score_reason = $4, criteria_version = $5, scored_by = $6, skipped = 0, skip_reason = '', skipped_by = '', version = $2, updated_at = $7 WHERE id = $1 AND version = $8 AND status = $9",
                vec![
                    Bind::Text(b.id.clone()),
                    Bind::Int(b.version),
                    Bind::Int(i64::from(b.priority.score)),
                    Bind::Text(b.priority.reason),
                    Bind::Text(b.priority.criteria_version),
                    Bind::Text(event.actor.clone()),
                    Bind::Int(at),
                    Bind::Int(b.version - 1),
                    Bind::Text(b.from.as_str().into()),
                ],
            )
            .await?;
            changed(tx, event, &b.id, n).await?;
        }
        BookingSkipped::KIND => {
            let b: BookingSkipped = typed(event)?;
            let n = execute(
                tx,
                "UPDATE bookings SET skipped = 1, skip_reason = $3, skipped_by = $4, version = $2, updated_at = $5 WHERE id = $1 AND version = $6 AND status = 'waitlisted'",
                vec![
                    Bind::Text(b.id.clone()),
                    Bind::Int(b.version),
                    Bind::Text(b.reason),
                    Bind::Text(event.actor.clone()),
                    Bind::Int(at),
                    Bind::Int(b.version - 1),
                ],
            )
            .await?;
            changed(tx, event, &b.id, n).await?;
        }
        BookingOffered::KIND => {
            let b: BookingOffered = typed(event)?;
            moved(
                tx,
                event,
                &b.id,
                b.version,
                b.from,
                BookingStatus::Offered,
                "",
                Some(&b.chain),
            )
            .await?;
            execute(
                tx,
                "UPDATE bookings SET offer_expires_at = $2 WHERE id = $1",
                vec![Bind::Text(b.id.clone()), Bind::Int(b.accept_by)],
            )
            .await?;
            reserve(tx, &b.id, &b.chain).await?;
        }
        BookingOfferAccepted::KIND => {
            let b: BookingOfferAccepted = typed(event)?;
            // The slots are the offer's, held since it was made: nothing to reserve again.
            moved(
                tx,
                event,
                &b.id,
                b.version,
                BookingStatus::Offered,
                BookingStatus::Confirmed,
                "",
                Some(&b.chain),
            )
            .await?;
            no_deadline(tx, &b.id).await?;
        }
        BookingOfferDeclined::KIND => {
            let b: BookingOfferDeclined = typed(event)?;
            let reason = format!("declined the offer: {}", b.reason);
            moved(
                tx,
                event,
                &b.id,
                b.version,
                BookingStatus::Offered,
                BookingStatus::Waitlisted,
                &reason,
                None,
            )
            .await?;
            passed_over(tx, event, &b.id, &reason).await?;
            free(tx, &b.id).await?;
        }
        BookingOfferExpired::KIND => {
            let b: BookingOfferExpired = typed(event)?;
            moved(
                tx,
                event,
                &b.id,
                b.version,
                BookingStatus::Offered,
                BookingStatus::Waitlisted,
                "the offer lapsed unanswered",
                None,
            )
            .await?;
            passed_over(tx, event, &b.id, "the offer lapsed unanswered").await?;
            free(tx, &b.id).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Hold a chain's two slots for a booking, in the event's transaction: both or neither (the
/// transaction fails whole when either is taken).
async fn reserve(
    tx: &mut Transaction<'static, Any>,
    id: &str,
    c: &Chain,
) -> Result<(), StoreError> {
    for (i, (kind, day, slot)) in [
        ("apheresis", &c.apheresis_on, c.apheresis_slot),
        ("manufacturing", &c.manufacturing_on, c.manufacturing_slot),
    ]
    .into_iter()
    .enumerate()
    {
        execute(
            tx,
            "INSERT INTO slot_reservations (program_id, kind, day, slot, booking_id) SELECT program_id, $2, $3, $4, id FROM bookings WHERE id = $1",
            vec![
                Bind::Text(id.into()),
                Bind::Text(kind.into()),
                Bind::Text(day.to_string()),
                Bind::Int(i64::from(slot)),
            ],
        )
        .await?;
        if i == 0 {
            failpoint_between_reservations();
        }
    }
    Ok(())
}

/// A test's way to kill the process between a chain's two reservations, inside the
/// transaction: `CELLPATH_FAILPOINT=between_reservations`. Read only in debug builds (a
/// release build never looks at it).
fn failpoint_between_reservations() {
    if cfg!(debug_assertions)
        && std::env::var("CELLPATH_FAILPOINT").as_deref() == Ok("between_reservations")
    {
        eprintln!("failpoint between_reservations: aborting");
        std::process::abort();
    }
}

/// Free the slots a booking holds.
async fn free(tx: &mut Transaction<'static, Any>, id: &str) -> Result<(), StoreError> {
    execute(
        tx,
        "DELETE FROM slot_reservations WHERE booking_id = $1",
        vec![Bind::Text(id.into())],
    )
    .await?;
    Ok(())
}

async fn no_deadline(tx: &mut Transaction<'static, Any>, id: &str) -> Result<(), StoreError> {
    execute(
        tx,
        "UPDATE bookings SET offer_expires_at = NULL WHERE id = $1",
        vec![Bind::Text(id.into())],
    )
    .await?;
    Ok(())
}

/// A request whose offer was declined or lapsed is passed over for offers (who and why) until
/// it is scored again; its deadline is gone.
async fn passed_over(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    execute(
        tx,
        "UPDATE bookings SET offer_expires_at = NULL, skipped = 1, skip_reason = $2, skipped_by = $3 WHERE id = $1",
        vec![
            Bind::Text(id.into()),
            Bind::Text(reason.into()),
            Bind::Text(event.actor.clone()),
        ],
    )
    .await?;
    Ok(())
}

/// Move a booking from `from` to `to` at `version`, with its chain (none: cleared).
#[allow(clippy::too_many_arguments)]
async fn moved(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    id: &str,
    version: i64,
    from: BookingStatus,
    to: BookingStatus,
    reason: &str,
    chain: Option<&Chain>,
) -> Result<(), StoreError> {
    let day = |f: fn(&Chain) -> String| Bind::Text(chain.map(f).unwrap_or_default());
    let slot = |f: fn(&Chain) -> u32| chain.map_or(Bind::NullInt, |c| Bind::Int(i64::from(f(c))));
    let n = execute(
        tx,
        "UPDATE bookings SET status = $3, reason = $4, apheresis_on = $5, apheresis_slot = $6, manufacturing_on = $7, manufacturing_slot = $8, ships_on = $9, arrives_on = $10, expected_infusion_on = $11, version = $12, updated_at = $13 WHERE id = $1 AND status = $2 AND version = $14",
        vec![
            Bind::Text(id.into()),
            Bind::Text(from.as_str().into()),
            Bind::Text(to.as_str().into()),
            Bind::Text(reason.into()),
            day(|c| c.apheresis_on.to_string()),
            slot(|c| c.apheresis_slot),
            day(|c| c.manufacturing_on.to_string()),
            slot(|c| c.manufacturing_slot),
            day(|c| c.ships_on.to_string()),
            day(|c| c.arrives_on.to_string()),
            day(|c| c.expected_infusion_on.to_string()),
            Bind::Int(version),
            Bind::Int(event.recorded_at),
            Bind::Int(version - 1),
        ],
    )
    .await?;
    changed(tx, event, id, n).await
}

/// A booking's change applied (`n` rows), or why not: another change came first (a conflict
/// naming its version), or there is no such booking.
async fn changed(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    id: &str,
    n: u64,
) -> Result<(), StoreError> {
    if n == 0 {
        let current: Option<(i64,)> = sqlx::query_as("SELECT version FROM bookings WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        return Err(match current {
            Some((current,)) => StoreError::Conflict {
                kind: "booking",
                id: id.into(),
                current,
            },
            None => invalid(event, format!("booking {id} does not exist")),
        });
    }
    Ok(())
}
