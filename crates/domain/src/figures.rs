//! Vein-to-vein figures (issue 12, point 6), pure: the milestones a case's events mark
//! (collection, release, first infusion), where a case stands on its journey, and the
//! statistics the figures pages show — median and P90 by nearest rank, a histogram, the median
//! per month, the time from a booking's request to its slot and the waitlist's length and wait.
//!
//! The milestones are read from the events themselves, not from a map's step keys, so every
//! program's map counts alike: the collection is the starting material's first handoff (it
//! leaves the apheresis unit), the release the manufacturer's "released" decision, the infusion
//! the first administration that put any of a unit into the patient.

use crate::Date;
use crate::events::bookings::BookingStatus;
use crate::events::cases::{CaseEvent, CaseState, Outcome, ReleaseDecision};
use crate::journey::{Item, Micros};
use crate::values::MONTHS;
use serde::Serialize;

/// A point on the way from the patient's vein back to the vein.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    Collected,
    Released,
    Infused,
}

/// The milestone a case's event marks, and when; a projection keeps the first of each.
pub fn milestone(event: &CaseEvent) -> Option<(Milestone, Micros)> {
    match event {
        CaseEvent::CustodyRecorded(c) if c.items.contains(&Item::StartingMaterial) => {
            Some((Milestone::Collected, c.at))
        }
        CaseEvent::StepRecorded(r) => match &r.outcome {
            Outcome::Released {
                decision: ReleaseDecision::Released,
                ..
            } => Some((Milestone::Released, r.at)),
            Outcome::Administered { disposition, .. } if disposition.infused() => {
                Some((Milestone::Infused, r.at))
            }
            _ => None,
        },
        _ => None,
    }
}

vocabulary!(
    /// Where a case stands on its way from vein to vein.
    JourneyStage, "journey stage" {
        BeforeCollection => "before_collection",
        Manufacturing => "manufacturing",
        AwaitingInfusion => "awaiting_infusion",
        Infused => "infused",
        Stopped => "stopped",
        Cancelled => "cancelled",
    }
);

impl JourneyStage {
    pub fn label(self) -> &'static str {
        match self {
            JourneyStage::BeforeCollection => "Before collection",
            JourneyStage::Manufacturing => "Collected, in manufacturing",
            JourneyStage::AwaitingInfusion => "Released, before infusion",
            JourneyStage::Infused => "Infused",
            JourneyStage::Stopped => "Stopped (not released)",
            JourneyStage::Cancelled => "Cancelled",
        }
    }
}

vocabulary!(
    /// A stretch of the journey between two milestones, in whole days.
    Span, "journey span" {
        ReferralToCollection => "referral_to_collection",
        CollectionToRelease => "collection_to_release",
        ReleaseToInfusion => "release_to_infusion",
        CollectionToInfusion => "collection_to_infusion",
    }
);

impl Span {
    pub fn label(self) -> &'static str {
        match self {
            Span::ReferralToCollection => "Case opened → collection",
            Span::CollectionToRelease => "Collection → release (manufacturing)",
            Span::ReleaseToInfusion => "Release → infusion (shipping, receipt, preparation)",
            Span::CollectionToInfusion => "Collection → infusion (vein to vein)",
        }
    }
}

/// One case's milestones, as its projection keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestones {
    pub opened: Date,
    pub collected: Option<Date>,
    pub released: Option<Date>,
    pub infused: Option<Date>,
    pub state: CaseState,
}

impl Milestones {
    pub fn stage(&self) -> JourneyStage {
        if self.infused.is_some() {
            return JourneyStage::Infused;
        }
        match self.state {
            CaseState::Cancelled => JourneyStage::Cancelled,
            CaseState::Stopped => JourneyStage::Stopped,
            CaseState::Active | CaseState::OnHold => {
                if self.released.is_some() {
                    JourneyStage::AwaitingInfusion
                } else if self.collected.is_some() {
                    JourneyStage::Manufacturing
                } else {
                    JourneyStage::BeforeCollection
                }
            }
        }
    }

    /// The span's days, when both its ends are on the record (never negative: a milestone
    /// recorded out of order counts as the same day).
    pub fn days(&self, span: Span) -> Option<i64> {
        let (from, to) = match span {
            Span::ReferralToCollection => (Some(&self.opened), self.collected.as_ref()),
            Span::CollectionToRelease => (self.collected.as_ref(), self.released.as_ref()),
            Span::ReleaseToInfusion => (self.released.as_ref(), self.infused.as_ref()),
            Span::CollectionToInfusion => (self.collected.as_ref(), self.infused.as_ref()),
        };
        Some((to?.days_since_epoch() - from?.days_since_epoch()).max(0))
    }

    /// The day the span ended, which dates it (the month it counts in).
    fn ended(&self, span: Span) -> Option<&Date> {
        match span {
            Span::ReferralToCollection => self.collected.as_ref(),
            Span::CollectionToRelease => self.released.as_ref(),
            Span::ReleaseToInfusion | Span::CollectionToInfusion => self.infused.as_ref(),
        }
    }
}

/// Median and P90 of a set of whole days, and how many cases they rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub cases: usize,
    pub median: i64,
    pub p90: i64,
    pub min: i64,
    pub max: i64,
}

/// The `p`-th percentile by nearest rank: the smallest value with at least `p` % of the values
/// at or below it — always a value some case really had. `None` for no values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (p.min(100) as usize * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

pub fn summary(values: &[i64]) -> Option<Summary> {
    let mut v = values.to_vec();
    v.sort_unstable();
    Some(Summary {
        cases: v.len(),
        median: percentile(&v, 50)?,
        p90: percentile(&v, 90)?,
        min: *v.first()?,
        max: *v.last()?,
    })
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Month {
    pub year: i64,
    pub month: u32,
}

impl Month {
    pub fn of(day: &Date) -> Month {
        let s = day.as_str();
        Month {
            year: s[0..4].parse().expect("a Date is YYYY-MM-DD"),
            month: s[5..7].parse().expect("a Date is YYYY-MM-DD"),
        }
    }

    fn index(self) -> i64 {
        self.year * 12 + i64::from(self.month) - 1
    }

    fn from_index(i: i64) -> Month {
        Month {
            year: i.div_euclid(12),
            month: u32::try_from(i.rem_euclid(12)).expect("0..12") + 1,
        }
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i64) -> Month {
        Month::from_index(self.index() + n)
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        Date::parse(&format!("{:04}-{:02}-01", self.year, self.month)).expect("a real month")
    }

    /// "March 2026".
    pub fn words(self) -> String {
        format!("{} {}", MONTHS[(self.month - 1) as usize], self.year)
    }

    /// "Mar": for a chart's axis.
    pub fn short(self) -> &'static str {
        &MONTHS[(self.month - 1) as usize][..3]
    }
}

/// One month of a trend: the median of the cases whose span ended in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthPoint {
    pub month: Month,
    pub cases: usize,
    pub median: Option<i64>,
}

/// The median per month over `months` months ending with `last`, the months without a case
/// included (with none).
pub fn by_month(points: &[(Date, i64)], last: Month, months: usize) -> Vec<MonthPoint> {
    let first = last.plus(1 - months as i64);
    (0..months as i64)
        .map(|i| {
            let month = first.plus(i);
            let mut v: Vec<i64> = points
                .iter()
                .filter(|(d, _)| Month::of(d) == month)
                .map(|(_, x)| *x)
                .collect();
            v.sort_unstable();
            MonthPoint {
                month,
                cases: v.len(),
                median: percentile(&v, 50),
            }
        })
        .collect()
}

/// A histogram's bar: the cases with `from ≤ days < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bin {
    pub from: i64,
    pub to: i64,
    pub cases: usize,
}

/// Bars `width` days wide from the bar holding the smallest value to the one holding the
/// largest, empty bars between included.
pub fn histogram(values: &[i64], width: i64) -> Vec<Bin> {
    let width = width.max(1);
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let start = lo.div_euclid(width) * width;
    let bars = (hi.div_euclid(width) * width - start) / width + 1;
    (0..bars)
        .map(|i| {
            let from = start + i * width;
            Bin {
                from,
                to: from + width,
                cases: values
                    .iter()
                    .filter(|v| (from..from + width).contains(*v))
                    .count(),
            }
        })
        .collect()
}

/// How many months a trend covers, ending with today's.
pub const TREND_MONTHS: usize = 12;

/// The figures of a set of cases, as of `today`: each span's summary over the cases whose span
/// ended in the last [`TREND_MONTHS`] months (today's included), the vein-to-vein histogram
/// (weeks wide) and its median per month, and the cases by where they stand (the open ones,
/// and those infused, stopped or cancelled in the window — the caller reads no others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// The first day the window counts.
    pub since: Date,
    pub spans: Vec<SpanFigure>,
    pub histogram: Vec<Bin>,
    pub trend: Vec<MonthPoint>,
    pub by_stage: Vec<StageCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpanFigure {
    pub span: Span,
    pub label: &'static str,
    /// None when no case of the window has both its ends.
    pub days: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageCount {
    pub stage: JourneyStage,
    pub label: &'static str,
    pub cases: usize,
}

/// The first day of the window that ends today: the first of the month [`TREND_MONTHS`] − 1
/// months before today's.
pub fn window_start(today: &Date) -> Date {
    Month::of(today).plus(1 - TREND_MONTHS as i64).first_day()
}

pub fn figures(cases: &[Milestones], today: &Date) -> Figures {
    let since = window_start(today);
    let within = |d: &Date| d >= &since && d <= today;
    let points = |span: Span| -> Vec<(Date, i64)> {
        cases
            .iter()
            .filter_map(|c| {
                let end = c.ended(span).filter(|d| within(d))?;
                Some((end.clone(), c.days(span)?))
            })
            .collect()
    };
    let spans = Span::ALL
        .iter()
        .map(|&span| {
            let days: Vec<i64> = points(span).into_iter().map(|(_, d)| d).collect();
            SpanFigure {
                span,
                label: span.label(),
                days: summary(&days),
            }
        })
        .collect();
    let v2v = points(Span::CollectionToInfusion);
    let days: Vec<i64> = v2v.iter().map(|(_, d)| *d).collect();
    let by_stage = JourneyStage::ALL
        .iter()
        .map(|&stage| StageCount {
            stage,
            label: stage.label(),
            cases: cases
                .iter()
                .filter(|c| c.stage() == stage)
                .filter(|c| match stage {
                    JourneyStage::Infused => c.infused.as_ref().is_some_and(within),
                    _ => true,
                })
                .count(),
        })
        .collect();
    Figures {
        histogram: histogram(&days, 7),
        trend: by_month(&v2v, Month::of(today), TREND_MONTHS),
        since,
        spans,
        by_stage,
    }
}

/// A booking as the figures read it: when it was asked for, where it stands, and its
/// apheresis day once confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFacts {
    pub requested_on: Date,
    pub status: BookingStatus,
    pub apheresis_on: Option<Date>,
}

/// The time from a booking's request to its apheresis slot (confirmed bookings whose request
/// falls in the window), and the waitlist as it stands today: its length and how long its
/// requests have waited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingFigures {
    pub request_to_slot: Option<Summary>,
    pub waitlisted: usize,
    pub waiting_for_manufacturer: usize,
    pub waited: Option<Summary>,
}

pub fn booking_figures(bookings: &[BookingFacts], today: &Date) -> BookingFigures {
    let since = window_start(today);
    let to_slot: Vec<i64> = bookings
        .iter()
        .filter(|b| b.status == BookingStatus::Confirmed && b.requested_on >= since)
        .filter_map(|b| {
            let slot = b.apheresis_on.as_ref()?;
            Some((slot.days_since_epoch() - b.requested_on.days_since_epoch()).max(0))
        })
        .collect();
    let waiting: Vec<&BookingFacts> = bookings
        .iter()
        .filter(|b| b.status == BookingStatus::Waitlisted)
        .collect();
    let waited: Vec<i64> = waiting
        .iter()
        .map(|b| (today.days_since_epoch() - b.requested_on.days_since_epoch()).max(0))
        .collect();
    BookingFigures {
        request_to_slot: summary(&to_slot),
        waitlisted: waiting.len(),
        waiting_for_manufacturer: bookings
            .iter()
            .filter(|b| b.status == BookingStatus::Requested)
            .count(),
        waited: summary(&waited),
    }
}

#[cfg(test)]
mod tests;
