use super::*;
use crate::capacity::{LeadTimes, Reserved};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

const TODAY: &str = "2027-03-01";

fn capacity(slots: u32) -> Capacity {
    Capacity {
        apheresis_slots_per_day: slots,
        manufacturing_slots_per_day: slots,
        closed: BTreeSet::new(),
        lead: LeadTimes {
            to_start_min_days: 2,
            to_start_max_days: 4,
            manufacturing_days: 14,
            transit_days: 1,
            transit_days_by_site: BTreeMap::new(),
            arrival_to_infusion_days: 2,
        },
        allocations: Vec::new(),
        offer_hours: 48,
    }
}

fn scored(score: u32) -> Option<Priority> {
    Some(Priority {
        score,
        reason: "relapsed after three lines; fit for apheresis now".into(),
        criteria_version: "BCMA-2026-03".into(),
    })
}

fn waiting(id: &str, since: i64, priority: Option<Priority>) -> Waiting {
    Waiting {
        booking_id: id.into(),
        partnership: "p1".into(),
        site: "s1".into(),
        asked_on: d(TODAY),
        waiting_since: since,
        priority,
        offered: false,
    }
}

fn ids<'a>(ws: impl IntoIterator<Item = &'a Waiting>) -> Vec<&'a str> {
    ws.into_iter().map(|w| w.booking_id.as_str()).collect()
}

#[test]
fn scored_requests_come_first_by_score_then_the_longest_waiting() {
    let list = vec![
        waiting("unscored-old", 1, None),
        waiting("low", 5, scored(10)),
        waiting("high-late", 9, scored(80)),
        waiting("high-early", 3, scored(80)),
        waiting("zero", 2, scored(0)),
        waiting("unscored-new", 7, None),
    ];
    assert_eq!(
        ids(order(&list)),
        [
            "high-early",
            "high-late",
            "low",
            "zero",
            "unscored-old",
            "unscored-new"
        ]
    );
}

#[test]
fn a_priority_says_its_score_why_and_by_which_criteria() {
    assert_eq!(scored(100).unwrap().validate(), Ok(()));
    let bad = Priority {
        score: 101,
        reason: "urgent".into(),
        criteria_version: " ".into(),
    };
    let fields: Vec<_> = bad
        .validate()
        .unwrap_err()
        .iter()
        .map(|p| p.field)
        .collect();
    assert_eq!(fields, ["score", "reason", "criteria_version"]);
}

#[test]
fn a_freed_slot_goes_to_the_first_who_can_take_it_passing_those_offered_or_skipped() {
    let cap = capacity(1);
    let mut list = vec![
        waiting("a", 1, scored(90)),
        waiting("b", 2, scored(70)),
        waiting("c", 3, scored(50)),
    ];
    let today = d(TODAY);
    let first = next_offer(
        &cap,
        &Booked::default(),
        &list,
        &BTreeSet::new(),
        &today,
        30,
    )
    .unwrap();
    assert_eq!(first.booking_id, "a");
    assert_eq!(first.chain.apheresis_on, today);
    list[0].offered = true;
    let skipped: BTreeSet<String> = ["b".to_string()].into();
    let next = next_offer(&cap, &Booked::default(), &list, &skipped, &today, 30).unwrap();
    assert_eq!(next.booking_id, "c", "a holds an offer, b was passed over");
}

#[test]
fn a_request_that_cannot_take_what_is_free_is_passed_for_the_next() {
    let mut cap = capacity(1);
    cap.allocations = vec![crate::capacity::Allocation {
        scope: crate::capacity::AllocationScope::Site("busy".into()),
        per_month: 1,
    }];
    let today = d(TODAY);
    // The busy site used its month; the horizon ends before next month's starts.
    let booked = Booked::new([&Reserved {
        partnership: "p1".into(),
        site: "busy".into(),
        apheresis_on: d("2027-02-20"),
        apheresis_slot: 0,
        manufacturing_on: d("2027-03-01"),
        manufacturing_slot: 0,
    }]);
    let mut first = waiting("busy-first", 1, scored(99));
    first.site = "busy".into();
    let list = vec![first, waiting("other", 2, scored(1))];
    let offer = next_offer(&cap, &booked, &list, &BTreeSet::new(), &today, 10).unwrap();
    assert_eq!(offer.booking_id, "other");
    assert_eq!(
        next_offer(&cap, &booked, &list[..1], &BTreeSet::new(), &today, 10),
        None
    );
}

#[test]
fn an_offer_lapses_after_its_hours() {
    assert_eq!(accept_by(1_000, 48), 1_000 + 48 * 3_600 * 1_000_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Slots freed at once are offered one request each, never one slot to two: offers are
    /// made until nobody can take what is left, each held like a booking; every request is
    /// offered at most once; and none was passed while one ranked before it could have taken
    /// a chain.
    #[test]
    fn freed_slots_are_offered_each_to_one_request_in_the_waitlists_order(
        slots in 1u32..3,
        booked_days in proptest::collection::btree_set(0i64..20, 0..12),
        requests in proptest::collection::vec((proptest::option::of(0u32..=100), 0i64..15, 0i64..1000), 1..12),
        skip in proptest::collection::btree_set(0usize..12, 0..3),
    ) {
        let today = d(TODAY);
        let cap = capacity(slots);
        // Slot 0 taken on some days (some freed chains are the days left out).
        let mut reserved: Vec<Reserved> = booked_days.iter().map(|day| Reserved {
            partnership: "p0".into(),
            site: "s0".into(),
            apheresis_on: today.plus_days(*day),
            apheresis_slot: 0,
            manufacturing_on: today.plus_days(*day + 3),
            manufacturing_slot: 0,
        }).collect();
        let mut list: Vec<Waiting> = requests.iter().enumerate().map(|(i, (score, asked, since))| {
            let mut w = waiting(&format!("r{i:02}"), *since, score.and_then(scored));
            w.asked_on = today.plus_days(*asked);
            w
        }).collect();
        let skipped: BTreeSet<String> = skip.iter().map(|i| format!("r{i:02}")).collect();
        let mut offered_to = BTreeSet::new();
        while let Some(offer) = next_offer(&cap, &Booked::new(&reserved), &list, &skipped, &today, 20) {
            // Nobody ranked before the one offered could have taken a chain now.
            let booked = Booked::new(&reserved);
            for w in order(&list) {
                if w.booking_id == offer.booking_id { break; }
                if w.offered || skipped.contains(&w.booking_id) { continue; }
                let request = BookingRequest { partnership: w.partnership.clone(), site: w.site.clone(), apheresis_on: w.asked_on.clone() };
                prop_assert!(earliest_chain(&cap, &booked, &request, &today, 20).is_err(), "{} passed over", w.booking_id);
            }
            prop_assert!(!skipped.contains(&offer.booking_id));
            prop_assert!(offered_to.insert(offer.booking_id.clone()), "offered twice");
            reserved.push(Reserved {
                partnership: "p1".into(),
                site: "s1".into(),
                apheresis_on: offer.chain.apheresis_on.clone(),
                apheresis_slot: offer.chain.apheresis_slot,
                manufacturing_on: offer.chain.manufacturing_on.clone(),
                manufacturing_slot: offer.chain.manufacturing_slot,
            });
            list.iter_mut().find(|w| w.booking_id == offer.booking_id).unwrap().offered = true;
        }
        // No slot is held twice.
        let mut held = BTreeSet::new();
        for r in &reserved {
            prop_assert!(held.insert(("a", r.apheresis_on.clone(), r.apheresis_slot)));
            prop_assert!(held.insert(("m", r.manufacturing_on.clone(), r.manufacturing_slot)));
        }
    }
}
