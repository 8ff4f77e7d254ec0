//! Manufacturing capacity and chained booking (DESIGN.md §4.4; issue 12), pure.
//!
//! A program's capacity lives on its manufacturer's ledger: how many apheresis collections it
//! can receive and how many manufacturing runs it can start each day, the days it is closed,
//! the lead times (apheresis → manufacturing start, manufacturing, transit to each site, arrival
//! → infusion), and optionally a monthly allocation per partnership or per site. A site asks for
//! an apheresis day; the manufacturer confirms a **chain** — the apheresis slot together with a
//! manufacturing slot at least the lead time later, both or neither — or waitlists the request.
//! When the asked day has no room for the whole chain, [`earliest_chain`] answers the next day
//! that has.
//!
//! Slots are numbered per (program, kind, day) from 0; the store keeps each reservation unique
//! on (program, kind, day, slot), so a chain chosen here from a stale reading can never oversell
//! a day: it fails to write and is chosen again.
//!
//! **API Boundary:** `Capacity` (with `validate`; its `offer_hours` is the waitlist's deadline), `LeadTimes`, `Allocation`, `AllocationScope`,
//! `Booked`, `Reserved`, `BookingRequest`, `Chain`, `earliest_chain`, `check_chain`, `NoRoom`.

use crate::Date;
use crate::org::{OrgKind, Role};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The most slots of one kind a program may offer on one day.
pub const MAX_SLOTS_PER_DAY: u32 = 100;
/// The longest lead or transit a capacity may state, in days.
pub const MAX_LEAD_DAYS: u32 = 120;
/// The longest a program may give a site to accept an offered chain, in hours (a week): the
/// chain's slots are held meanwhile, from everyone else.
pub const MAX_OFFER_HOURS: u32 = 168;

fn default_offer_hours() -> u32 {
    crate::waitlist::DEFAULT_OFFER_HOURS
}

/// Days between the steps of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeadTimes {
    /// The fewest days from apheresis to the start of manufacturing (shipping the collection,
    /// receipt, release for manufacturing).
    pub to_start_min_days: u32,
    /// The most: collected cells that wait longer are no longer fit to start (a chain whose
    /// manufacturing slot would fall later is not offered).
    pub to_start_max_days: u32,
    /// Manufacturing start → ship.
    pub manufacturing_days: u32,
    /// Ship → arrival at a site, unless the site has its own below.
    pub transit_days: u32,
    /// Transit days to particular sites (by site id).
    #[serde(default)]
    pub transit_days_by_site: BTreeMap<String, u32>,
    /// Arrival → the expected infusion (lymphodepletion happens meanwhile).
    pub arrival_to_infusion_days: u32,
}

/// Whom a monthly allocation binds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum AllocationScope {
    Partnership(String),
    Site(String),
}

/// At most `per_month` manufacturing starts a calendar month for a partnership or a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    #[serde(flatten)]
    pub scope: AllocationScope,
    pub per_month: u32,
}

/// A program's capacity as the manufacturer states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    pub apheresis_slots_per_day: u32,
    pub manufacturing_slots_per_day: u32,
    /// Days on which neither a collection is received nor a manufacturing run starts.
    #[serde(default)]
    pub closed: BTreeSet<Date>,
    pub lead: LeadTimes,
    #[serde(default)]
    pub allocations: Vec<Allocation>,
    /// Hours a site has to accept a chain offered to its waitlisted request, from 1 to 168 (a
    /// week); 48 when left out. The offer lapses then, and its slots go to the next request.
    #[serde(default = "default_offer_hours")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 168, default = 48))]
    pub offer_hours: u32,
}

/// What is wrong with a stated capacity: the field and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityProblem {
    pub field: &'static str,
    pub message: String,
}

impl Capacity {
    /// Every problem at once, so a form can show each beside its field.
    pub fn validate(&self) -> Result<(), Vec<CapacityProblem>> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, field: &'static str, message: String| {
            if !ok {
                problems.push(CapacityProblem { field, message });
            }
        };
        for (field, n) in [
            ("apheresis_slots_per_day", self.apheresis_slots_per_day),
            (
                "manufacturing_slots_per_day",
                self.manufacturing_slots_per_day,
            ),
        ] {
            check(
                (1..=MAX_SLOTS_PER_DAY).contains(&n),
                field,
                format!(
                    "must be from 1 to {MAX_SLOTS_PER_DAY} slots a day (a closed day goes in `closed`), not {n}"
                ),
            );
        }
        let l = &self.lead;
        check(
            l.to_start_min_days <= l.to_start_max_days,
            "lead.to_start_max_days",
            format!(
                "must be at least to_start_min_days ({}), not {}",
                l.to_start_min_days, l.to_start_max_days
            ),
        );
        for (field, n) in [
            ("lead.to_start_max_days", l.to_start_max_days),
            ("lead.manufacturing_days", l.manufacturing_days),
            ("lead.transit_days", l.transit_days),
            ("lead.arrival_to_infusion_days", l.arrival_to_infusion_days),
        ] {
            check(
                n <= MAX_LEAD_DAYS,
                field,
                format!("must be at most {MAX_LEAD_DAYS} days, not {n}"),
            );
        }
        check(
            l.manufacturing_days >= 1,
            "lead.manufacturing_days",
            "must be at least 1 day".into(),
        );
        for (site, n) in &l.transit_days_by_site {
            check(
                *n <= MAX_LEAD_DAYS,
                "lead.transit_days_by_site",
                format!("{site}: must be at most {MAX_LEAD_DAYS} days, not {n}"),
            );
        }
        check(
            (1..=MAX_OFFER_HOURS).contains(&self.offer_hours),
            "offer_hours",
            format!(
                "must be from 1 to {MAX_OFFER_HOURS} hours (a week) for a site to accept an offer, not {}",
                self.offer_hours
            ),
        );
        let mut scopes = BTreeSet::new();
        for a in &self.allocations {
            check(
                a.per_month >= 1,
                "allocations",
                "a monthly allocation is at least 1 (remove it to give none)".into(),
            );
            check(
                scopes.insert(&a.scope),
                "allocations",
                format!("{} has two allocations", a.scope),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn open(&self, day: &Date) -> bool {
        !self.closed.contains(day)
    }

    fn transit_days(&self, site: &str) -> u32 {
        self.lead
            .transit_days_by_site
            .get(site)
            .copied()
            .unwrap_or(self.lead.transit_days)
    }
}

impl fmt::Display for AllocationScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocationScope::Partnership(id) => write!(f, "partnership {id}"),
            AllocationScope::Site(id) => write!(f, "site {id}"),
        }
    }
}

/// One chain already reserved: whose, and its two slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved {
    pub partnership: String,
    pub site: String,
    pub apheresis_on: Date,
    pub apheresis_slot: u32,
    pub manufacturing_on: Date,
    pub manufacturing_slot: u32,
}

/// The slots a program has reserved, as read before choosing a chain.
#[derive(Debug, Clone, Default)]
pub struct Booked {
    apheresis: BTreeMap<Date, BTreeSet<u32>>,
    manufacturing: BTreeMap<Date, BTreeSet<u32>>,
    /// Manufacturing starts per (scope, year, month).
    starts: BTreeMap<(AllocationScope, i64, u32), u32>,
}

fn month_of(day: &Date) -> (i64, u32) {
    let s = day.as_str();
    (
        s[0..4].parse().expect("a Date is YYYY-MM-DD"),
        s[5..7].parse().expect("a Date is YYYY-MM-DD"),
    )
}

impl Booked {
    pub fn new<'a>(reserved: impl IntoIterator<Item = &'a Reserved>) -> Booked {
        let mut b = Booked::default();
        for r in reserved {
            b.add(r);
        }
        b
    }

    pub fn add(&mut self, r: &Reserved) {
        self.apheresis
            .entry(r.apheresis_on.clone())
            .or_default()
            .insert(r.apheresis_slot);
        self.manufacturing
            .entry(r.manufacturing_on.clone())
            .or_default()
            .insert(r.manufacturing_slot);
        let (y, m) = month_of(&r.manufacturing_on);
        for scope in [
            AllocationScope::Partnership(r.partnership.clone()),
            AllocationScope::Site(r.site.clone()),
        ] {
            *self.starts.entry((scope, y, m)).or_default() += 1;
        }
    }

    /// The lowest free slot of a day, if any is free.
    fn free(taken: &BTreeMap<Date, BTreeSet<u32>>, day: &Date, per_day: u32) -> Option<u32> {
        let taken = taken.get(day);
        (0..per_day).find(|n| taken.is_none_or(|t| !t.contains(n)))
    }

    fn starts(&self, scope: &AllocationScope, day: &Date) -> u32 {
        let (y, m) = month_of(day);
        self.starts
            .get(&(scope.clone(), y, m))
            .copied()
            .unwrap_or(0)
    }
}

/// A site's request: the apheresis day it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub partnership: String,
    pub site: String,
    pub apheresis_on: Date,
}

/// A whole chain: both slots, and the days that follow from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub apheresis_on: Date,
    pub apheresis_slot: u32,
    pub manufacturing_on: Date,
    pub manufacturing_slot: u32,
    pub ships_on: Date,
    pub arrives_on: Date,
    /// A forecast: arrival plus the program's arrival → infusion days.
    pub expected_infusion_on: Date,
}

/// Why no chain was found, in words a coordinator reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoom {
    /// No day from the asked one to the end of the horizon has room for a whole chain.
    WithinHorizon { from: Date, days: u32 },
    /// A chosen chain does not fit (checked again under the lock): why.
    DoesNotFit(String),
}

impl fmt::Display for NoRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoRoom::WithinHorizon { from, days } => write!(
                f,
                "no apheresis day from {} for {days} days has room for a whole chain (an apheresis slot and a manufacturing slot within the lead time): waitlist the request",
                from.words()
            ),
            NoRoom::DoesNotFit(why) => f.write_str(why),
        }
    }
}

/// The manufacturing slot a collection on `apheresis_on` could take: the first open day within
/// the lead window with a free slot and room in every allocation that binds the request.
fn manufacturing_for(
    cap: &Capacity,
    booked: &Booked,
    req: &BookingRequest,
    apheresis_on: &Date,
) -> Option<(Date, u32)> {
    let l = &cap.lead;
    (l.to_start_min_days..=l.to_start_max_days)
        .map(|d| apheresis_on.plus_days(i64::from(d)))
        .filter(|day| cap.open(day) && allocations_allow(cap, booked, req, day))
        .find_map(|day| {
            Booked::free(&booked.manufacturing, &day, cap.manufacturing_slots_per_day)
                .map(|slot| (day, slot))
        })
}

fn allocations_allow(cap: &Capacity, booked: &Booked, req: &BookingRequest, day: &Date) -> bool {
    cap.allocations.iter().all(|a| {
        let binds = match &a.scope {
            AllocationScope::Partnership(p) => *p == req.partnership,
            AllocationScope::Site(s) => *s == req.site,
        };
        !binds || booked.starts(&a.scope, day) < a.per_month
    })
}

fn chain_of(cap: &Capacity, req: &BookingRequest, aph: (Date, u32), man: (Date, u32)) -> Chain {
    let ships_on = man.0.plus_days(i64::from(cap.lead.manufacturing_days));
    let arrives_on = ships_on.plus_days(i64::from(cap.transit_days(&req.site)));
    Chain {
        expected_infusion_on: arrives_on.plus_days(i64::from(cap.lead.arrival_to_infusion_days)),
        apheresis_on: aph.0,
        apheresis_slot: aph.1,
        manufacturing_on: man.0,
        manufacturing_slot: man.1,
        ships_on,
        arrives_on,
    }
}

/// The earliest whole chain from the asked apheresis day on (never before `today`), looking
/// `horizon_days` ahead: the asked day when it has room, else the next that has.
pub fn earliest_chain(
    cap: &Capacity,
    booked: &Booked,
    req: &BookingRequest,
    today: &Date,
    horizon_days: u32,
) -> Result<Chain, NoRoom> {
    let from = if req.apheresis_on < *today {
        today.clone()
    } else {
        req.apheresis_on.clone()
    };
    (0..horizon_days)
        .map(|d| from.plus_days(i64::from(d)))
        .filter(|day| cap.open(day))
        .find_map(|day| {
            let slot = Booked::free(&booked.apheresis, &day, cap.apheresis_slots_per_day)?;
            let man = manufacturing_for(cap, booked, req, &day)?;
            Some(chain_of(cap, req, (day, slot), man))
        })
        .ok_or(NoRoom::WithinHorizon {
            from,
            days: horizon_days,
        })
}

/// Whether a chain still fits as the slots stand now (checked under the manufacturer's ledger
/// lock before it is confirmed): both days open, both slots free and within the day's count,
/// the lead window kept, every allocation with room, and its derived days as the capacity says.
pub fn check_chain(
    cap: &Capacity,
    booked: &Booked,
    req: &BookingRequest,
    chain: &Chain,
) -> Result<(), NoRoom> {
    let no = |why: String| Err(NoRoom::DoesNotFit(why));
    for (what, day) in [
        ("apheresis", &chain.apheresis_on),
        ("manufacturing", &chain.manufacturing_on),
    ] {
        if !cap.open(day) {
            return no(format!("{} is closed for {what}", day.words()));
        }
    }
    let taken = |m: &BTreeMap<Date, BTreeSet<u32>>, day: &Date, slot: u32| {
        m.get(day).is_some_and(|t| t.contains(&slot))
    };
    if chain.apheresis_slot >= cap.apheresis_slots_per_day
        || taken(&booked.apheresis, &chain.apheresis_on, chain.apheresis_slot)
    {
        return no(format!(
            "the apheresis slot on {} is no longer free",
            chain.apheresis_on.words()
        ));
    }
    if chain.manufacturing_slot >= cap.manufacturing_slots_per_day
        || taken(
            &booked.manufacturing,
            &chain.manufacturing_on,
            chain.manufacturing_slot,
        )
    {
        return no(format!(
            "the manufacturing slot on {} is no longer free",
            chain.manufacturing_on.words()
        ));
    }
    let gap = chain.manufacturing_on.days_since_epoch() - chain.apheresis_on.days_since_epoch();
    let (lo, hi) = (cap.lead.to_start_min_days, cap.lead.to_start_max_days);
    if gap < i64::from(lo) || gap > i64::from(hi) {
        return no(format!(
            "manufacturing must start {lo} to {hi} days after apheresis, not {gap}"
        ));
    }
    if !allocations_allow(cap, booked, req, &chain.manufacturing_on) {
        return no(format!(
            "the monthly allocation for {} is used up",
            chain.manufacturing_on.words()
        ));
    }
    let expected = chain_of(
        cap,
        req,
        (chain.apheresis_on.clone(), chain.apheresis_slot),
        (chain.manufacturing_on.clone(), chain.manufacturing_slot),
    );
    if expected != *chain {
        return no("the chain's ship, arrival and infusion days do not follow from the capacity's lead times".into());
    }
    Ok(())
}

/// What someone does with a case's manufacturing chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingAct {
    /// Ask for an apheresis day.
    Request,
    /// Accept or decline a chain offered from the waitlist.
    AnswerOffer,
    /// Confirm the whole chain.
    Confirm,
    /// Put a request on the waitlist.
    Waitlist,
    /// Cancel a booking in play (either side).
    Cancel,
}

/// Who does it, by side and role — the one rule the commands apply and the pages follow: the
/// site's coordinators and physicians ask for a day and answer offers; the manufacturer's
/// patient operations confirm and waitlist; either of them may cancel.
pub fn may_book(act: BookingAct, side: OrgKind, role: Role) -> bool {
    let site = side == OrgKind::HealthSystem && matches!(role, Role::Coordinator | Role::Physician);
    let ops = side == OrgKind::Manufacturer && role == Role::PatientOps;
    match act {
        BookingAct::Request | BookingAct::AnswerOffer => site,
        BookingAct::Confirm | BookingAct::Waitlist => ops,
        BookingAct::Cancel => site || ops,
    }
}

/// Who does `act`, in words, for a refusal.
pub fn booking_act_by(act: BookingAct) -> &'static str {
    match act {
        BookingAct::Request => {
            "an apheresis day is asked for by the site's coordinators and physicians"
        }
        BookingAct::AnswerOffer => "an offer is answered by the site's coordinators and physicians",
        BookingAct::Confirm => "a booking is confirmed by the manufacturer's patient operations",
        BookingAct::Waitlist => "a request is waitlisted by the manufacturer's patient operations",
        BookingAct::Cancel => {
            "a booking is cancelled by the site's coordinators and physicians or the manufacturer's patient operations"
        }
    }
}

#[cfg(test)]
mod tests;
