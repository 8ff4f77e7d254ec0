//! The scored waitlist, wired (issue 12, point 3; DESIGN.md §4.4). The manufacturer's patient
//! operations score a waiting request (score, reason, criteria version) and may pass one over
//! (a skip, with why) on the manufacturer's ledger: the manufacturer owns the capacity and
//! orders requests across every site it serves, which a center's committee, seeing only its
//! own patients, could not. When slots free — a cancellation, a declined or lapsed offer — a
//! job enqueued in that same transaction offers a whole chain to the first eligible request
//! (`domain::waitlist::next_offer`), holding its two slots until the site answers or the
//! offer lapses (after the program's `offer_hours`, 48 unless its capacity says otherwise,
//! by a timer job). The site accepts (the booking is
//! confirmed with the slots the offer held: both or neither) or declines with a reason. A
//! request passed over (a skip), or whose offer was declined or lapsed, is offered nothing
//! more until patient operations score it again; a score enqueues the offering job, as a
//! chain may already be free for it. Each is an event naming who and why.

use crate::bookings::{HORIZON_DAYS, Side};
use crate::jobs::Job;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::Role;
use cellpath_domain::capacity::{Booked, BookingAct};
use cellpath_domain::events::bookings::{
    BookingOfferAccepted, BookingOfferDeclined, BookingOfferExpired, BookingOffered, BookingScored,
    BookingSkipped, BookingStatus,
};
use cellpath_domain::policy::Action;
use cellpath_domain::waitlist::{Priority, accept_by, next_offer, order};
use cellpath_store::{Booking, NewJob, Skip, WaitlistEntry};
use std::collections::BTreeSet;

pub use cellpath_domain::waitlist::DEFAULT_OFFER_HOURS as OFFER_HOURS;

/// The journey step a confirmed chain records: the schedule step for apheresis.
pub const SCHEDULE_STEP: &str = "apheresis_scheduling";

/// How many offers one run of the waitlist's job makes at most (each holds two slots; the run
/// ends sooner when nobody waiting can take what is free).
const MAX_OFFERS_PER_RUN: usize = 50;

impl App {
    /// The job that offers what is free to the program's waitlist, due now.
    pub(crate) fn offer_freed_slots_job(&self, program_id: &str) -> NewJob {
        Job::OfferFreedSlots {
            program_id: program_id.to_string(),
        }
        .due(self.now())
    }

    /// A program's waitlist in the order offers follow (scored first by score, then unscored,
    /// each by how long it has waited), with the offers held; for its manufacturer's people.
    pub async fn program_waitlist(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<Vec<WaitlistEntry>, AppError> {
        self.own_program(caller, program_id, Action::Read).await?;
        Ok(ordered(self.store.waitlist(program_id).await?))
    }

    /// A waiting request the manufacturer's patient operations decide on.
    async fn waiting_for_manufacturer(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        what: &str,
    ) -> Result<(Booking, cellpath_store::Partnership), AppError> {
        let (booking, partnership, side) = self
            .booking_for_change(caller, id, expected_version)
            .await?;
        let patient_ops = caller
            .principal
            .as_ref()
            .is_some_and(|p| p.role == Role::PatientOps);
        if side != Side::Manufacturer || !patient_ops {
            return Err(AppError::Forbidden(format!(
                "{what} is decided by the manufacturer's patient operations"
            )));
        }
        Ok((booking, partnership))
    }

    /// Score a waiting request (asked for or waitlisted): its place on the waitlist. Every
    /// problem named beside its field; a new score lifts a skip.
    pub async fn score_booking(
        &self,
        caller: &Caller,
        id: &str,
        priority: Priority,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let priority = Priority {
            score: priority.score,
            reason: priority.reason.trim().to_string(),
            criteria_version: priority.criteria_version.trim().to_string(),
        };
        if let Err(problems) = priority.validate() {
            let mut f = Fields::default();
            for p in problems {
                f.fail(p.field, p.message);
            }
            f.finish()?;
        }
        let (booking, partnership) = self
            .waiting_for_manufacturer(caller, id, expected_version, "a request's score")
            .await?;
        if !matches!(
            booking.status,
            BookingStatus::Requested | BookingStatus::Waitlisted
        ) {
            return Err(AppError::State(format!(
                "this booking is {}: only a request waiting for a slot is scored",
                booking.status
            )));
        }
        let event = BookingScored {
            id: booking.id.clone(),
            version: booking.version + 1,
            from: booking.status,
            priority: priority.clone(),
        };
        let row = Booking {
            priority: Some(priority),
            scored_by: Some(caller.actor()),
            skipped: None,
            version: booking.version + 1,
            ..booking
        };
        // A score may make the request the first eligible for a chain already free.
        let offers = self.offer_freed_slots_job(&row.program_id);
        self.write_booking(
            caller,
            idem,
            &partnership.manufacturer_id,
            &event,
            row,
            vec![offers],
        )
        .await
    }

    /// Pass a waitlisted request over for offers, saying why (until it is scored again).
    pub async fn skip_booking(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let reason = reason.trim();
        if reason.len() < 10 {
            return Err(AppError::invalid(
                "reason",
                "say why the request is passed over, in a sentence the committee would sign (10 characters at least)",
            ));
        }
        let (booking, partnership) = self
            .waiting_for_manufacturer(caller, id, expected_version, "passing a request over")
            .await?;
        if booking.status != BookingStatus::Waitlisted {
            return Err(AppError::State(format!(
                "this booking is {}: only a request on the waitlist is passed over",
                booking.status
            )));
        }
        let event = BookingSkipped {
            id: booking.id.clone(),
            version: booking.version + 1,
            reason: reason.to_string(),
        };
        let row = Booking {
            skipped: Some(Skip {
                reason: reason.to_string(),
                by: caller.actor(),
            }),
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

    /// An offer the site answers: the booking, its partnership, and its chain.
    async fn offer_for_site(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<
        (
            Booking,
            cellpath_store::Partnership,
            cellpath_domain::capacity::Chain,
        ),
        AppError,
    > {
        let (booking, partnership, side) = self
            .booking_for_change(caller, id, expected_version)
            .await?;
        if side != Side::Site {
            return Err(AppError::Forbidden(
                "an offer is answered by the site's staff".into(),
            ));
        }
        crate::bookings::may_book(caller, BookingAct::AnswerOffer)?;
        let (BookingStatus::Offered, Some(chain)) = (booking.status, booking.chain.clone()) else {
            return Err(AppError::State(format!(
                "this booking is {}: there is no offer to answer",
                booking.status
            )));
        };
        Ok((booking, partnership, chain))
    }

    /// The site accepts the chain offered, before its deadline: the booking is confirmed with
    /// the two slots the offer held.
    pub async fn accept_offer(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let (booking, partnership, chain) =
            self.offer_for_site(caller, id, expected_version).await?;
        if booking.offer_expires_at.is_some_and(|t| self.now() > t) {
            return Err(AppError::State(
                "the offer lapsed at its deadline: the request waits on the list again".into(),
            ));
        }
        let event = BookingOfferAccepted {
            id: booking.id.clone(),
            version: booking.version + 1,
            chain: chain.clone(),
        };
        let row = Booking {
            status: BookingStatus::Confirmed,
            reason: None,
            offer_expires_at: None,
            version: booking.version + 1,
            ..booking
        };
        let record = Job::RecordBookedChain {
            booking_id: id.to_string(),
        }
        .due(self.now());
        self.write_booking(caller, idem, &partnership.id, &event, row, vec![record])
            .await
    }

    /// The site declines the chain offered, saying why: its slots are offered on.
    pub async fn decline_offer(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        expected_version: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<Booking>, AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "say why the offer is declined (e.g. the patient is not fit for collection that week)",
            ));
        }
        let (booking, partnership, chain) =
            self.offer_for_site(caller, id, expected_version).await?;
        let event = BookingOfferDeclined {
            id: booking.id.clone(),
            version: booking.version + 1,
            reason: reason.to_string(),
            freed: chain,
        };
        let freed = self.offer_freed_slots_job(&booking.program_id);
        let row = Booking {
            status: BookingStatus::Waitlisted,
            reason: Some(format!("declined the offer: {reason}")),
            chain: None,
            offer_expires_at: None,
            skipped: Some(Skip {
                reason: format!("declined the offer: {reason}"),
                by: caller.actor(),
            }),
            version: booking.version + 1,
            ..booking
        };
        self.write_booking(caller, idem, &partnership.id, &event, row, vec![freed])
            .await
    }

    /// The waitlist's job: offer what is free to the first eligible requests, one offer at a
    /// time, each holding its chain's two slots. A racing run (another worker, two slots freed
    /// at once) loses its write on the booking's version or on a slot's unique key and reads
    /// again, so a request gets one offer and a slot goes to one request. Returns how many
    /// offers this run made.
    pub async fn offer_freed_slots(&self, program_id: &str) -> Result<usize, AppError> {
        let system = Caller::system("waitlist");
        let Some(program) = self.store.program(program_id).await? else {
            return Err(AppError::not_found(format!("program {program_id}")));
        };
        let mut made = 0;
        let mut lost = 0;
        while made < MAX_OFFERS_PER_RUN && lost < MAX_OFFERS_PER_RUN {
            let _turn = self.slot_turns.take(program_id).await;
            let Some(capacity) = self.store.program_capacity(program_id).await? else {
                return Ok(made);
            };
            let waiting: Vec<Booking> = self
                .store
                .waitlist(program_id)
                .await?
                .into_iter()
                .map(|e| e.booking)
                .collect();
            let skipped: BTreeSet<String> = waiting
                .iter()
                .filter(|b| b.skipped.is_some())
                .map(|b| b.id.clone())
                .collect();
            let eligible: Vec<_> = waiting.iter().map(Booking::waiting).collect();
            let today = Date::of_micros(self.now());
            let earliest = waiting
                .iter()
                .filter(|b| b.status == BookingStatus::Waitlisted)
                .map(|b| b.asked_on.clone().max(today.clone()))
                .min();
            let Some(from) = earliest else {
                return Ok(made);
            };
            let chains = self
                .store
                .chains_starting_between(
                    program_id,
                    &from.plus_days(-31),
                    &from.plus_days(i64::from(
                        HORIZON_DAYS * 2 + capacity.capacity.lead.to_start_max_days,
                    )),
                )
                .await?;
            let reserved: Vec<_> = chains.iter().filter_map(Booking::reserved).collect();
            let booked = Booked::new(&reserved);
            let Some(offer) = next_offer(
                &capacity.capacity,
                &booked,
                &eligible,
                &skipped,
                &today,
                HORIZON_DAYS,
            ) else {
                return Ok(made);
            };
            let Some(booking) = waiting.into_iter().find(|b| b.id == offer.booking_id) else {
                return Ok(made);
            };
            let now = self.now();
            // The program's own deadline, as its capacity states it now.
            let deadline = accept_by(now, capacity.capacity.offer_hours);
            let event = BookingOffered {
                id: booking.id.clone(),
                version: booking.version + 1,
                from: booking.status,
                chain: offer.chain.clone(),
                accept_by: deadline,
            };
            let expiry = Job::ExpireOffer {
                booking_id: booking.id.clone(),
                version: booking.version + 1,
            }
            .due(deadline);
            let row = Booking {
                status: BookingStatus::Offered,
                reason: None,
                chain: Some(offer.chain),
                offer_expires_at: Some(deadline),
                version: booking.version + 1,
                ..booking
            };
            match self
                .write_booking(&system, None, &program.org_id, &event, row, vec![expiry])
                .await
            {
                Ok(_) => made += 1,
                // Another run offered this request, or took a slot, meanwhile: read again.
                Err(AppError::Duplicate { .. } | AppError::Conflict { .. }) => lost += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(made)
    }

    /// The offer's timer: when the offer (at `version`) is still unanswered at its deadline, it
    /// lapses, its slots freed and offered on. A later change of the booking (accepted,
    /// declined, cancelled) makes this do nothing.
    pub async fn expire_offer(&self, booking_id: &str, version: i64) -> Result<(), AppError> {
        let Some(booking) = self.store.booking(booking_id).await? else {
            return Ok(());
        };
        let (BookingStatus::Offered, Some(chain), Some(deadline)) = (
            booking.status,
            booking.chain.clone(),
            booking.offer_expires_at,
        ) else {
            return Ok(());
        };
        if booking.version != version || self.now() < deadline {
            return Ok(());
        }
        let Some(program) = self.store.program(&booking.program_id).await? else {
            return Err(AppError::not_found(format!(
                "program {}",
                booking.program_id
            )));
        };
        let event = BookingOfferExpired {
            id: booking.id.clone(),
            version: booking.version + 1,
            freed: chain,
        };
        let freed = self.offer_freed_slots_job(&booking.program_id);
        let row = Booking {
            status: BookingStatus::Waitlisted,
            reason: Some("the offer lapsed unanswered".into()),
            chain: None,
            offer_expires_at: None,
            skipped: Some(Skip {
                reason: "the offer lapsed unanswered".into(),
                by: "system:waitlist".into(),
            }),
            version: booking.version + 1,
            ..booking
        };
        match self
            .write_booking(
                &Caller::system("waitlist"),
                None,
                &program.org_id,
                &event,
                row,
                vec![freed],
            )
            .await
        {
            // The site answered meanwhile.
            Ok(_) | Err(AppError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The confirmed chain's job: record the case's apheresis schedule step with the chain's
    /// apheresis day, as the person who asked for the day. Nothing when the booking is no
    /// longer confirmed, the step is already done, not yet open, or not the requester's role
    /// to do. That last is the rule, not a gap: a record names who did a step, and the job
    /// never records one in the name of someone who did not ask (when the physician asked,
    /// the coordinator's step stays open in the coordinator's inbox; tested in
    /// `booked_chain::a_chain_the_physician_asked_for_leaves_the_schedule_step_to_the_coordinator`).
    pub async fn record_booked_chain(&self, booking_id: &str) -> Result<(), AppError> {
        let Some(booking) = self.store.booking(booking_id).await? else {
            return Ok(());
        };
        let (BookingStatus::Confirmed, Some(chain)) = (booking.status, booking.chain.clone())
        else {
            return Ok(());
        };
        let Some(user_id) = booking
            .requested_by
            .as_deref()
            .and_then(|actor| actor.strip_prefix("user:"))
        else {
            return Ok(());
        };
        let requester = self
            .caller_for_user(user_id, crate::access::Via::System)
            .await?;
        let case = self
            .case(&Caller::system("waitlist"), &booking.case_id)
            .await?;
        let Some(step) = case.steps.iter().find(|s| s.key == SCHEDULE_STEP) else {
            return Ok(());
        };
        let role = requester.principal.as_ref().map(|p| p.role);
        if step.state != "current" || role != Some(step.role) {
            tracing::info!(
                booking = booking_id,
                state = step.state,
                "the confirmed chain's schedule step is left to its role: the requester's role does not own it or it is not open"
            );
            return Ok(());
        }
        let input = crate::cases::CaseInput::Schedule {
            step: SCHEDULE_STEP.to_string(),
            fields: Default::default(),
            attestation: None,
            on: chain.apheresis_on.clone(),
            slot: Some(format!(
                "apheresis slot {}, manufacturing from {}",
                chain.apheresis_slot + 1,
                chain.manufacturing_on.words()
            )),
        };
        match self
            .act_on_case(&requester, &booking.case_id, input, "", None, None)
            .await
        {
            Ok(_) => Ok(()),
            // A racing run recorded it first.
            Err(AppError::State(_)) => {
                let now = self
                    .case(&Caller::system("waitlist"), &booking.case_id)
                    .await?;
                let done = now
                    .steps
                    .iter()
                    .any(|s| s.key == SCHEDULE_STEP && s.state == "done");
                if done {
                    Ok(())
                } else {
                    Err(AppError::State(
                        "the schedule step could not be recorded from the confirmed chain".into(),
                    ))
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The waitlist in its order.
fn ordered(rows: Vec<WaitlistEntry>) -> Vec<WaitlistEntry> {
    let waiting: Vec<_> = rows.iter().map(|e| e.booking.waiting()).collect();
    let ids: Vec<String> = order(&waiting)
        .into_iter()
        .map(|w| w.booking_id.clone())
        .collect();
    let mut rows = rows;
    ids.iter()
        .filter_map(|id| {
            rows.iter()
                .position(|e| &e.booking.id == id)
                .map(|i| rows.swap_remove(i))
        })
        .collect()
}
