//! Manufacturing capacity and chained booking (DESIGN.md §3, §4.4; issue 12). A program's
//! capacity is set by its manufacturer on its own ledger. From a case, the site asks for an
//! apheresis day (`booking.requested`, on the partnership's ledger); the manufacturer's patient
//! operations confirm the earliest whole chain from that day — an apheresis slot together with
//! a manufacturing slot within the lead window, both or neither — or waitlist the request, on
//! the manufacturer's ledger; either side cancels on its own, which frees both slots. The chain
//! is chosen by the domain's `capacity` rule from the confirmed chains as read; the store's
//! unique (program, kind, day, slot) reservation keeps a stale choice from ever overselling a
//! day: it fails to write, and the chain is chosen again from a fresh reading.

use crate::jobs::Job;
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::capacity::{
    Booked, BookingAct, BookingRequest, Capacity, Chain, NoRoom, check_chain, earliest_chain,
};
use cellpath_domain::events::bookings::{
    BookingCancelled, BookingConfirmed, BookingRequested, BookingStatus, BookingWaitlisted,
    ProgramCapacityChanges, ProgramCapacityCreated, ProgramCapacityFields, ProgramCapacityUpdated,
};
use cellpath_domain::events::cases::CaseState;
use cellpath_domain::policy::{Action, Relation};
use cellpath_store::{Booking, Partnership, Program, ProgramCapacity};
use std::sync::Arc;

/// How far ahead a chain is looked for, in days from the day asked for.
pub const HORIZON_DAYS: u32 = 180;

/// How many times a confirmation chooses its chain again when another took a slot meanwhile.
const TRIES: usize = 5;

/// Whose turn it is to choose a chain of a program's slots, in this process. Choosing reads
/// the slots booked and writes the chain in another statement: confirmations of one program
/// made at once would all pick the same first free chain, and all but one lose on the
/// reservation key and choose again — at 8 clients, often more than `TRIES` times. Taking
/// turns per program (only while choosing and writing) lets each choose from what the one
/// before it wrote. The reservation key stays what keeps capacity from being oversold: across
/// processes, a choice can still lose and is made again.
#[derive(Clone, Default)]
pub(crate) struct SlotTurns(
    Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
);

impl SlotTurns {
    /// Wait for the program's turn; it lasts while the guard lives.
    pub(crate) async fn take(&self, program_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self.0.lock().unwrap_or_else(|e| e.into_inner());
            turns.entry(program_id.to_string()).or_default().clone()
        };
        turn.lock_owned().await
    }
}

/// Which side of a booking's partnership the caller speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Site,
    Manufacturer,
}

impl App {
    /// A program the caller's own organization makes: capacity is the manufacturer's own
    /// business (partners see the chains offered to them, not the capacity behind them).
    pub(crate) async fn own_program(
        &self,
        caller: &Caller,
        program_id: &str,
        action: Action,
    ) -> Result<Program, AppError> {
        let (program, rel) = self.program_checked(caller, program_id, action).await?;
        if rel != Relation::OwnOrg && caller.principal.is_some() {
            return Err(AppError::not_found(format!(
                "the capacity of program {program_id}"
            )));
        }
        Ok(program)
    }

    /// A program's capacity as its manufacturer stated it; none before it is first set.
    pub async fn program_capacity(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<Option<ProgramCapacity>, AppError> {
        self.own_program(caller, program_id, Action::Read).await?;
        Ok(self.store.program_capacity(program_id).await?)
    }

    /// Set a program's capacity (by those who may change the program): every problem named
    /// beside its field. Chains already confirmed keep their slots; what changes is what is
    /// offered next.
    pub async fn set_program_capacity(
        &self,
        caller: &Caller,
        program_id: &str,
        capacity: Capacity,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<ProgramCapacity>, AppError> {
        let program = self.own_program(caller, program_id, Action::Update).await?;
        if let Err(problems) = capacity.validate() {
            let mut f = Fields::default();
            for p in problems {
                f.fail(p.field, p.message);
            }
            f.finish()?;
        }
        let current = self.store.program_capacity(program_id).await?;
        let what = format!("the capacity of {}", program.name);
        match current {
            None => {
                let event = ProgramCapacityCreated {
                    id: program.id.clone(),
                    new: ProgramCapacityFields {
                        program_id: program.id.clone(),
                        capacity: capacity.clone(),
                    },
                };
                let (id, program_id) = (program.id.clone(), program.id.clone());
                self.write(
                    caller,
                    idem,
                    Write::event(&program.org_id, &event, move |e| ProgramCapacity {
                        id: id.clone(),
                        program_id: program_id.clone(),
                        capacity: capacity.clone(),
                        version: 1,
                        created_at: e.recorded_at,
                        updated_at: e.recorded_at,
                    })
                    .created(),
                )
                .await
            }
            Some(row) => {
                if let Some(expected) = expected_version {
                    crate::records::expect_version(&what, row.version, expected)?;
                }
                if row.capacity == capacity {
                    return Ok(Outcome::Fresh(row));
                }
                let event = ProgramCapacityUpdated {
                    id: row.id.clone(),
                    version: row.version + 1,
                    old: ProgramCapacityChanges {
                        capacity: Some(row.capacity.clone()),
                    },
                    new: ProgramCapacityChanges {
                        capacity: Some(capacity.clone()),
                    },
                };
                self.write(
                    caller,
                    idem,
                    Write::event(&program.org_id, &event, move |e| ProgramCapacity {
                        capacity: capacity.clone(),
                        version: row.version + 1,
                        updated_at: e.recorded_at,
                        ..row.clone()
                    }),
                )
                .await
            }
        }
    }

    /// The site asks for an apheresis day for a case (`YYYY-MM-DD`, not in the past): one
    /// booking in play per case; the case must be going on (not stopped or cancelled) and its
    /// program must have a stated capacity.
    pub async fn request_booking(
        &self,
        caller: &Caller,
        case_id: &str,
        asked_on: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let (row, partnership, relation, _) = self.case_row_seen(caller, case_id).await?;
        self.check_change_of(caller, &row, &partnership, relation)?;
        if self.side_of(caller, &partnership) != Some(Side::Site) {
            return Err(AppError::Forbidden(
                "an apheresis day is asked for by the site's staff".into(),
            ));
        }
        may_book(caller, BookingAct::Request)?;
        // A map without apheresis (an in-vivo therapy, ordered rather than made from the
        // patient's cells) books no chain.
        let map = self.case_map(&row.map_version_id).await?;
        if !map
            .map()
            .steps()
            .any(|s| s.key == crate::waitlist::SCHEDULE_STEP)
        {
            return Err(AppError::State(
                "this case's process has no apheresis to book: its product is ordered, not made from the patient's cells".into(),
            ));
        }
        let asked_on = match asked_on.trim() {
            "" => {
                return Err(AppError::invalid(
                    "asked_on",
                    "say which day the apheresis is asked for",
                ));
            }
            text => Date::parse(text).map_err(|e| AppError::invalid("asked_on", e))?,
        };
        let today = Date::of_micros(self.now());
        if asked_on < today {
            return Err(AppError::invalid(
                "asked_on",
                format!("{} is in the past", asked_on.words()),
            ));
        }
        if matches!(row.status, CaseState::Stopped | CaseState::Cancelled) {
            return Err(AppError::State(format!(
                "case {} is {}: no apheresis is booked for it",
                row.pseudonym, row.status
            )));
        }
        if self
            .store
            .program_capacity(&row.program_id)
            .await?
            .is_none()
        {
            return Err(AppError::State(
                "the manufacturer has not stated this program's capacity yet: no slot can be booked"
                    .into(),
            ));
        }
        if let Some(open) = self
            .store
            .bookings_of_case(case_id)
            .await?
            .into_iter()
            .find(|b| b.status.is_open())
        {
            return Err(AppError::State(format!(
                "this case already has a booking {} (apheresis asked for {}): cancel it before asking for another day",
                open.status,
                open.asked_on.words()
            )));
        }
        let event = BookingRequested {
            id: crate::ids::new_id("bkg"),
            partnership_id: row.partnership_id.clone(),
            site_id: row.site_id.clone(),
            program_id: row.program_id.clone(),
            case_id: row.id.clone(),
            asked_on,
        };
        let b = event.clone();
        let caller_actor = caller.actor();
        self.write(
            caller,
            idem,
            Write::event(&row.partnership_id, &event, move |e| Booking {
                id: b.id.clone(),
                partnership_id: b.partnership_id.clone(),
                site_id: b.site_id.clone(),
                program_id: b.program_id.clone(),
                case_id: b.case_id.clone(),
                asked_on: b.asked_on.clone(),
                status: BookingStatus::Requested,
                reason: None,
                chain: None,
                requested_by: Some(caller_actor.clone()),
                priority: None,
                scored_by: None,
                skipped: None,
                offer_expires_at: None,
                version: 1,
                created_at: e.recorded_at,
                updated_at: e.recorded_at,
            })
            .created(),
        )
        .await
    }

    /// The side of the booking's partnership the caller speaks for, if either.
    pub(crate) fn side_of(&self, caller: &Caller, p: &Partnership) -> Option<Side> {
        let org = &caller.principal.as_ref()?.org_id;
        if *org == p.health_system_id {
            Some(Side::Site)
        } else if *org == p.manufacturer_id {
            Some(Side::Manufacturer)
        } else {
            None
        }
    }

    /// A booking the caller may change, through its case (404 when the caller sees no view of
    /// the case's patient), with the side the caller speaks for.
    pub(crate) async fn booking_for_change(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(Booking, Partnership, Side), AppError> {
        let what = format!("booking {id}");
        let booking = self
            .store
            .booking(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let (row, partnership, relation, _) = self
            .case_row_seen(caller, &booking.case_id)
            .await
            .map_err(|e| e.not_found_as(&what))?;
        self.check_change_of(caller, &row, &partnership, relation)?;
        let side = self
            .side_of(caller, &partnership)
            .ok_or_else(|| AppError::not_found(&what))?;
        if let Some(expected) = expected_version {
            crate::records::expect_version(&what, booking.version, expected)?;
        }
        Ok((booking, partnership, side))
    }

    /// The program's capacity and what is booked around a request's day.
    pub(crate) async fn booked_around(
        &self,
        booking: &Booking,
    ) -> Result<(Capacity, Booked, BookingRequest, Date), AppError> {
        let capacity = self
            .store
            .program_capacity(&booking.program_id)
            .await?
            .ok_or_else(|| {
                AppError::State(
                    "the program's capacity is not stated: nothing can be confirmed".into(),
                )
            })?
            .capacity;
        let today = Date::of_micros(self.now());
        let from = booking.asked_on.clone().max(today.clone());
        // A month back, for the allocations of the month the first day falls in; to the
        // horizon's end plus the longest wait for a start.
        let chains = self
            .store
            .chains_starting_between(
                &booking.program_id,
                &from.plus_days(-31),
                &from.plus_days(i64::from(HORIZON_DAYS + capacity.lead.to_start_max_days)),
            )
            .await?;
        let reserved: Vec<_> = chains.iter().filter_map(Booking::reserved).collect();
        let request = BookingRequest {
            partnership: booking.partnership_id.clone(),
            site: booking.site_id.clone(),
            apheresis_on: booking.asked_on.clone(),
        };
        Ok((capacity, Booked::new(&reserved), request, today))
    }

    /// The earliest whole chain a booking could be confirmed with now (for the manufacturer
    /// deciding), or why there is none.
    pub async fn booking_offer(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Result<Chain, String>, AppError> {
        let (booking, _, side) = self.booking_for_change(caller, id, None).await?;
        if side != Side::Manufacturer {
            return Err(AppError::Forbidden(
                "a chain is offered by the manufacturer".into(),
            ));
        }
        let (capacity, booked, request, today) = self.booked_around(&booking).await?;
        Ok(
            earliest_chain(&capacity, &booked, &request, &today, HORIZON_DAYS)
                .map_err(|e| e.to_string()),
        )
    }

    /// The manufacturer confirms a request (asked for or waitlisted) with the earliest whole
    /// chain from the day asked for: both slots in one event on its ledger, or neither. When
    /// another confirmation took a slot meanwhile, the chain is chosen again; when no day
    /// within the horizon has room, the answer says to waitlist it.
    pub async fn confirm_booking(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        for _ in 0..TRIES {
            let (booking, partnership, side) = self
                .booking_for_change(caller, id, expected_version)
                .await?;
            if side != Side::Manufacturer {
                return Err(AppError::Forbidden(
                    "a booking is confirmed by the manufacturer".into(),
                ));
            }
            may_book(caller, BookingAct::Confirm)?;
            if !matches!(
                booking.status,
                BookingStatus::Requested | BookingStatus::Waitlisted
            ) {
                return Err(AppError::State(format!(
                    "this booking is {}: only one asked for or waitlisted is confirmed",
                    booking.status
                )));
            }
            let _turn = self.slot_turns.take(&booking.program_id).await;
            let (capacity, booked, request, today) = self.booked_around(&booking).await?;
            let chain = earliest_chain(&capacity, &booked, &request, &today, HORIZON_DAYS)
                .map_err(|e| AppError::State(e.to_string()))?;
            check_chain(&capacity, &booked, &request, &chain).map_err(|e: NoRoom| {
                AppError::Internal(format!("the chain chosen does not fit: {e}"))
            })?;
            let event = BookingConfirmed {
                id: booking.id.clone(),
                version: booking.version + 1,
                from: booking.status,
                chain: chain.clone(),
            };
            let row = Booking {
                status: BookingStatus::Confirmed,
                reason: None,
                chain: Some(chain),
                version: booking.version + 1,
                ..booking
            };
            match self
                .write_booking(
                    caller,
                    idem.clone(),
                    &partnership.manufacturer_id,
                    &event,
                    row,
                    vec![
                        Job::RecordBookedChain {
                            booking_id: id.to_string(),
                        }
                        .due(self.now()),
                    ],
                )
                .await
            {
                // Another chain took a slot, or someone changed the booking, meanwhile: read
                // again (a stale version the caller named is theirs to hear).
                Err(AppError::Duplicate { .. }) => continue,
                Err(AppError::Conflict { .. }) if expected_version.is_none() => continue,
                other => return other,
            }
        }
        Err(AppError::State(
            "the program's slots are being booked too fast to confirm this one; try again".into(),
        ))
    }

    /// The manufacturer puts a request on its waitlist, saying why.
    pub async fn waitlist_booking(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let (booking, partnership, side) = self
            .booking_for_change(caller, id, expected_version)
            .await?;
        if side != Side::Manufacturer {
            return Err(AppError::Forbidden(
                "a request is waitlisted by the manufacturer".into(),
            ));
        }
        may_book(caller, BookingAct::Waitlist)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why the request waits (e.g. no slot within the lead window this month)",
            ));
        }
        if booking.status != BookingStatus::Requested {
            return Err(AppError::State(format!(
                "this booking is {}: only a request just asked for is waitlisted",
                booking.status
            )));
        }
        let event = BookingWaitlisted {
            id: booking.id.clone(),
            version: booking.version + 1,
            from: booking.status,
            reason: reason.to_string(),
        };
        let row = Booking {
            status: BookingStatus::Waitlisted,
            reason: Some(reason.to_string()),
            version: booking.version + 1,
            ..booking
        };
        self.write_booking(
            caller,
            idem,
            &partnership.manufacturer_id,
            &event,
            row,
            vec![],
        )
        .await
    }

    /// Either side cancels a booking in play, saying why, on its own ledger; a confirmed
    /// chain's two slots are freed in the same event. (A new day is asked for afresh.)
    pub async fn cancel_booking(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let (booking, partnership, side) = self
            .booking_for_change(caller, id, expected_version)
            .await?;
        may_book(caller, BookingAct::Cancel)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why the booking is cancelled",
            ));
        }
        if !booking.status.is_open() {
            return Err(AppError::State("this booking is already cancelled".into()));
        }
        let ledger = match side {
            Side::Site => partnership.id.clone(),
            Side::Manufacturer => partnership.manufacturer_id.clone(),
        };
        let event = BookingCancelled {
            id: booking.id.clone(),
            version: booking.version + 1,
            from: booking.status,
            reason: reason.to_string(),
            freed: booking.chain.clone(),
        };
        // Slots it held (a confirmed chain, an offer) go to the waitlist: offered in a job
        // enqueued with the cancellation.
        let freed = booking
            .chain
            .as_ref()
            .map(|_| self.offer_freed_slots_job(&booking.program_id))
            .into_iter()
            .collect();
        let row = Booking {
            status: BookingStatus::Cancelled,
            reason: Some(reason.to_string()),
            chain: None,
            offer_expires_at: None,
            version: booking.version + 1,
            ..booking
        };
        self.write_booking(caller, idem, &ledger, &event, row, freed)
            .await
    }

    /// Write a booking's change on a ledger; the answer is the booking as it now stands.
    pub(crate) async fn write_booking<E: cellpath_domain::events::Event>(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
        ledger: &str,
        event: &E,
        row: Booking,
        jobs: Vec<cellpath_store::NewJob>,
    ) -> Result<Outcome<Booking>, AppError> {
        self.write(
            caller,
            idem,
            Write::event(ledger, event, move |e| Booking {
                updated_at: e.recorded_at,
                ..row.clone()
            })
            .enqueue_all(jobs),
        )
        .await
    }

    /// A case's bookings, newest first, for a caller who may see the case.
    pub async fn case_bookings(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<Vec<Booking>, AppError> {
        self.case_row_seen(caller, case_id).await?;
        Ok(self.store.bookings_of_case(case_id).await?)
    }
}

/// The domain's rule of who books ([`cellpath_domain::capacity::may_book`]), for the caller's
/// side and role: refused in words otherwise.
pub(crate) fn may_book(caller: &Caller, act: BookingAct) -> Result<(), AppError> {
    let allowed = caller
        .principal
        .as_ref()
        .is_some_and(|p| cellpath_domain::capacity::may_book(act, p.org_kind, p.role));
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            cellpath_domain::capacity::booking_act_by(act).into(),
        ))
    }
}
