//! Table tests of the figures' statistics and of where a case stands.

use super::*;

fn d(s: &str) -> Date {
    Date::parse(s).expect("a test date")
}

fn case(
    opened: &str,
    collected: Option<&str>,
    released: Option<&str>,
    infused: Option<&str>,
) -> Milestones {
    Milestones {
        opened: d(opened),
        collected: collected.map(d),
        released: released.map(d),
        infused: infused.map(d),
        state: CaseState::Active,
    }
}

#[test]
fn percentiles_are_by_nearest_rank_and_always_a_value_a_case_had() {
    let ten: Vec<i64> = (1..=10).collect();
    let table: &[(&[i64], u32, Option<i64>)] = &[
        (&[], 50, None),
        (&[7], 50, Some(7)),
        (&[7], 90, Some(7)),
        (&ten, 50, Some(5)),
        (&ten, 90, Some(9)),
        (&ten, 100, Some(10)),
        (&ten, 0, Some(1)),
        (&[20, 30, 40], 50, Some(30)),
        (&[20, 30, 40], 90, Some(40)),
        (&[20, 30, 40, 90], 50, Some(30)),
    ];
    for (values, p, want) in table {
        assert_eq!(percentile(values, *p), *want, "P{p} of {values:?}");
    }
}

#[test]
fn a_summary_sorts_its_values_and_counts_the_cases() {
    let s = summary(&[40, 21, 35, 28, 90, 33, 30, 31, 29, 26]).expect("values");
    assert_eq!(
        s,
        Summary {
            cases: 10,
            median: 30,
            p90: 40,
            min: 21,
            max: 90
        }
    );
    assert_eq!(summary(&[]), None);
}

#[test]
fn a_case_stands_at_its_latest_milestone_unless_it_ended() {
    let mut stopped = case("2026-01-01", Some("2026-01-20"), None, None);
    stopped.state = CaseState::Stopped;
    let mut cancelled = case("2026-01-01", None, None, None);
    cancelled.state = CaseState::Cancelled;
    let mut on_hold = case("2026-01-01", Some("2026-01-20"), Some("2026-02-10"), None);
    on_hold.state = CaseState::OnHold;
    let table = [
        (
            case("2026-01-01", None, None, None),
            JourneyStage::BeforeCollection,
        ),
        (
            case("2026-01-01", Some("2026-01-20"), None, None),
            JourneyStage::Manufacturing,
        ),
        (on_hold, JourneyStage::AwaitingInfusion),
        (
            case(
                "2026-01-01",
                Some("2026-01-20"),
                Some("2026-02-10"),
                Some("2026-02-20"),
            ),
            JourneyStage::Infused,
        ),
        (stopped, JourneyStage::Stopped),
        (cancelled, JourneyStage::Cancelled),
    ];
    for (c, want) in table {
        assert_eq!(c.stage(), want, "{c:?}");
    }
}

#[test]
fn spans_count_whole_days_between_their_milestones() {
    let c = case(
        "2026-01-01",
        Some("2026-01-20"),
        Some("2026-02-10"),
        Some("2026-02-24"),
    );
    assert_eq!(c.days(Span::ReferralToCollection), Some(19));
    assert_eq!(c.days(Span::CollectionToRelease), Some(21));
    assert_eq!(c.days(Span::ReleaseToInfusion), Some(14));
    assert_eq!(c.days(Span::CollectionToInfusion), Some(35));
    let early = case("2026-01-01", Some("2026-01-20"), None, None);
    assert_eq!(early.days(Span::CollectionToInfusion), None);
    assert_eq!(early.days(Span::ReferralToCollection), Some(19));
}

#[test]
fn months_step_across_years_and_read_in_words() {
    let m = Month::of(&d("2026-01-15"));
    assert_eq!(
        m.plus(-1),
        Month {
            year: 2025,
            month: 12
        }
    );
    assert_eq!(
        m.plus(11),
        Month {
            year: 2026,
            month: 12
        }
    );
    assert_eq!(m.plus(12).words(), "January 2027");
    assert_eq!(m.short(), "Jan");
    assert_eq!(window_start(&d("2026-12-07")), d("2026-01-01"));
    assert_eq!(window_start(&d("2026-03-31")), d("2025-04-01"));
}

#[test]
fn the_trend_has_every_month_with_its_median_and_none_for_an_empty_month() {
    let points = vec![
        (d("2026-10-03"), 30),
        (d("2026-10-20"), 40),
        (d("2026-10-28"), 35),
        (d("2026-12-01"), 28),
        (d("2026-08-31"), 99), // before the three months asked for
    ];
    let trend = by_month(&points, Month::of(&d("2026-12-07")), 3);
    let got: Vec<(String, usize, Option<i64>)> = trend
        .iter()
        .map(|p| (p.month.words(), p.cases, p.median))
        .collect();
    assert_eq!(
        got,
        vec![
            ("October 2026".into(), 3, Some(35)),
            ("November 2026".into(), 0, None),
            ("December 2026".into(), 1, Some(28)),
        ]
    );
}

#[test]
fn the_histogram_has_bars_of_a_width_from_the_smallest_to_the_largest_with_gaps() {
    let bins = histogram(&[22, 27, 28, 30, 45], 7);
    let got: Vec<(i64, i64, usize)> = bins.iter().map(|b| (b.from, b.to, b.cases)).collect();
    assert_eq!(
        got,
        vec![(21, 28, 2), (28, 35, 2), (35, 42, 0), (42, 49, 1)]
    );
    assert!(histogram(&[], 7).is_empty());
    assert_eq!(
        histogram(&[0], 7),
        vec![Bin {
            from: 0,
            to: 7,
            cases: 1
        }]
    );
}

#[test]
fn the_figures_count_the_window_and_the_open_cases() {
    let today = d("2026-12-07");
    let mut cancelled = case("2026-11-01", None, None, None);
    cancelled.state = CaseState::Cancelled;
    let cases = vec![
        // Infused in the window: counted in every span.
        case(
            "2026-09-01",
            Some("2026-09-20"),
            Some("2026-10-08"),
            Some("2026-10-25"),
        ),
        case(
            "2026-10-01",
            Some("2026-10-15"),
            Some("2026-11-05"),
            Some("2026-11-22"),
        ),
        // Infused before the window: its infusion counts in no span, nor as infused.
        case(
            "2025-10-01",
            Some("2025-10-15"),
            Some("2025-11-05"),
            Some("2025-11-30"),
        ),
        // In manufacturing.
        case("2026-11-10", Some("2026-11-25"), None, None),
        cancelled,
    ];
    let f = figures(&cases, &today);
    assert_eq!(f.since, d("2026-01-01"));
    let span = |s: Span| f.spans.iter().find(|x| x.span == s).and_then(|x| x.days);
    let v2v = span(Span::CollectionToInfusion).expect("two cases");
    assert_eq!((v2v.cases, v2v.median, v2v.p90), (2, 35, 38));
    assert_eq!(span(Span::ReferralToCollection).map(|s| s.cases), Some(3));
    assert_eq!(span(Span::CollectionToRelease).map(|s| s.cases), Some(2));
    let stages: Vec<(JourneyStage, usize)> =
        f.by_stage.iter().map(|s| (s.stage, s.cases)).collect();
    assert_eq!(
        stages,
        vec![
            (JourneyStage::BeforeCollection, 0),
            (JourneyStage::Manufacturing, 1),
            (JourneyStage::AwaitingInfusion, 0),
            (JourneyStage::Infused, 2),
            (JourneyStage::Stopped, 0),
            (JourneyStage::Cancelled, 1),
        ]
    );
    assert_eq!(f.trend.len(), TREND_MONTHS);
    assert_eq!(f.trend[9].month.words(), "October 2026");
    assert_eq!((f.trend[9].cases, f.trend[9].median), (1, Some(35)));
    assert_eq!(f.histogram.iter().map(|b| b.cases).sum::<usize>(), 2);
}

#[test]
fn bookings_give_the_time_to_a_slot_and_the_waitlist_as_it_stands() {
    let today = d("2026-12-07");
    let b = |asked: &str, status, slot: Option<&str>| BookingFacts {
        requested_on: d(asked),
        status,
        apheresis_on: slot.map(d),
    };
    let f = booking_figures(
        &[
            b("2026-10-01", BookingStatus::Confirmed, Some("2026-10-15")),
            b("2026-11-01", BookingStatus::Confirmed, Some("2026-12-01")),
            b("2026-11-07", BookingStatus::Waitlisted, None),
            b("2026-12-01", BookingStatus::Waitlisted, None),
            b("2026-12-06", BookingStatus::Requested, None),
            b("2026-09-01", BookingStatus::Cancelled, None),
        ],
        &today,
    );
    let slot = f.request_to_slot.expect("two confirmed");
    assert_eq!((slot.cases, slot.median, slot.max), (2, 14, 30));
    assert_eq!(f.waitlisted, 2);
    assert_eq!(f.waiting_for_manufacturer, 1);
    let waited = f.waited.expect("two waiting");
    assert_eq!((waited.median, waited.max), (6, 30));
}

mod milestones_from_events {
    use super::super::*;
    use crate::events::cases::{ActedBy, CustodyRecorded, StepCompleted, StepRecorded};
    use crate::journey::{Disposition, Temperature};
    use std::collections::BTreeMap;

    fn by() -> ActedBy {
        ActedBy {
            user_id: "usr_1".into(),
            name: "Ana Ruiz".into(),
            role: None,
        }
    }

    fn custody(items: Vec<Item>, at: Micros) -> CaseEvent {
        CaseEvent::CustodyRecorded(CustodyRecorded {
            case_id: "case_1".into(),
            step: "any handoff".into(),
            attempt: 1,
            items,
            from: "apheresis unit".into(),
            to: "courier".into(),
            location: "apheresis unit".into(),
            by: by(),
            at,
            scanned: None,
            temperature: Temperature::InRange,
            fields: BTreeMap::new(),
            attestation: None,
        })
    }

    fn recorded(outcome: Outcome, at: Micros) -> CaseEvent {
        CaseEvent::StepRecorded(StepRecorded {
            case_id: "case_1".into(),
            step: "any step".into(),
            attempt: 1,
            by: by(),
            at,
            fields: BTreeMap::new(),
            attestation: None,
            outcome,
        })
    }

    fn released(decision: ReleaseDecision) -> Outcome {
        Outcome::Released {
            decision,
            certificate_reference: "COA-1".into(),
            certificate_sha256: "0".repeat(64),
        }
    }

    fn administered(disposition: Disposition) -> Outcome {
        Outcome::Administered {
            unit: "cd4".into(),
            disposition,
        }
    }

    #[test]
    fn the_events_mark_collection_release_and_infusion_whatever_the_steps_are_called() {
        let table: Vec<(CaseEvent, Option<(Milestone, Micros)>)> = vec![
            (
                custody(vec![Item::StartingMaterial], 10),
                Some((Milestone::Collected, 10)),
            ),
            (custody(vec![Item::Unit("cd4".into())], 11), None),
            (
                recorded(released(ReleaseDecision::Released), 12),
                Some((Milestone::Released, 12)),
            ),
            (
                recorded(released(ReleaseDecision::OutOfSpecification), 13),
                None,
            ),
            (
                recorded(released(ReleaseDecision::ManufacturingFailure), 14),
                None,
            ),
            (
                recorded(administered(Disposition::InfusedWhole), 15),
                Some((Milestone::Infused, 15)),
            ),
            (
                recorded(
                    administered(Disposition::InfusedInPart { volume_ml: 40 }),
                    16,
                ),
                Some((Milestone::Infused, 16)),
            ),
            (
                recorded(
                    administered(Disposition::NotInfused {
                        reason: "fever".into(),
                    }),
                    17,
                ),
                None,
            ),
            (recorded(Outcome::Recorded, 18), None),
            (
                CaseEvent::StepCompleted(StepCompleted {
                    case_id: "case_1".into(),
                    step: "collection".into(),
                    attempt: 1,
                    at: 19,
                }),
                None,
            ),
        ];
        for (event, want) in table {
            assert_eq!(milestone(&event), want, "{event:?}");
        }
    }
}
