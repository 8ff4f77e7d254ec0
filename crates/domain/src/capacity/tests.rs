use super::*;
use proptest::prelude::*;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// One collection and one manufacturing start a day, manufacturing 3–5 days after apheresis,
/// 14 days to make, 2 in transit, 3 from arrival to infusion.
fn capacity() -> Capacity {
    Capacity {
        apheresis_slots_per_day: 1,
        manufacturing_slots_per_day: 1,
        closed: BTreeSet::new(),
        lead: LeadTimes {
            to_start_min_days: 3,
            to_start_max_days: 5,
            manufacturing_days: 14,
            transit_days: 2,
            transit_days_by_site: BTreeMap::new(),
            arrival_to_infusion_days: 3,
        },
        allocations: Vec::new(),
        offer_hours: 48,
    }
}

fn request(site: &str, on: &str) -> BookingRequest {
    BookingRequest {
        partnership: "p1".into(),
        site: site.into(),
        apheresis_on: d(on),
    }
}

fn reserve(req: &BookingRequest, c: &Chain) -> Reserved {
    Reserved {
        partnership: req.partnership.clone(),
        site: req.site.clone(),
        apheresis_on: c.apheresis_on.clone(),
        apheresis_slot: c.apheresis_slot,
        manufacturing_on: c.manufacturing_on.clone(),
        manufacturing_slot: c.manufacturing_slot,
    }
}

const TODAY: &str = "2027-01-04";

/// The earliest chain for a site's request with nothing booked yet.
fn first(cap: &Capacity, site: &str, on: &str) -> Chain {
    earliest_chain(cap, &Booked::default(), &request(site, on), &d(TODAY), 90).unwrap()
}

#[test]
fn the_asked_day_with_room_is_booked_with_the_days_that_follow_from_it() {
    let cap = capacity();
    let chain = first(&cap, "s1", "2027-01-11");
    assert_eq!(
        chain,
        Chain {
            apheresis_on: d("2027-01-11"),
            apheresis_slot: 0,
            manufacturing_on: d("2027-01-14"),
            manufacturing_slot: 0,
            ships_on: d("2027-01-28"),
            arrives_on: d("2027-01-30"),
            expected_infusion_on: d("2027-02-02"),
        }
    );
}

#[test]
fn a_site_farther_away_gets_its_own_transit_days() {
    let mut cap = capacity();
    cap.lead.transit_days_by_site.insert("far".into(), 5);
    let chain = first(&cap, "far", "2027-01-11");
    assert_eq!(chain.arrives_on, d("2027-02-02"));
    assert_eq!(chain.expected_infusion_on, d("2027-02-05"));
}

#[test]
fn a_full_apheresis_day_answers_the_next_day_that_has_room() {
    let cap = capacity();
    let first = request("s1", "2027-01-11");
    let taken = earliest_chain(&cap, &Booked::default(), &first, &d(TODAY), 90).unwrap();
    let booked = Booked::new([&reserve(&first, &taken)]);
    let next = earliest_chain(&cap, &booked, &request("s2", "2027-01-11"), &d(TODAY), 90).unwrap();
    assert_eq!(next.apheresis_on, d("2027-01-12"));
    // Its manufacturing slot is the first free one in its own window (the 14th is taken).
    assert_eq!(next.manufacturing_on, d("2027-01-15"));
}

#[test]
fn a_collection_day_with_room_but_no_manufacturing_slot_in_its_window_is_passed_over() {
    let mut cap = capacity();
    cap.apheresis_slots_per_day = 5;
    // Manufacturing on the 14th, 15th and 16th (the whole window of the 11th) is taken.
    let booked = Booked::new(
        &["2027-01-14", "2027-01-15", "2027-01-16"]
            .iter()
            .enumerate()
            .map(|(i, m)| Reserved {
                partnership: "p2".into(),
                site: "other".into(),
                apheresis_on: d(&format!("2027-01-{:02}", 9 + i)),
                apheresis_slot: 0,
                manufacturing_on: d(m),
                manufacturing_slot: 0,
            })
            .collect::<Vec<_>>(),
    );
    let chain = earliest_chain(&cap, &booked, &request("s1", "2027-01-11"), &d(TODAY), 90).unwrap();
    assert_eq!(
        (chain.apheresis_on, chain.manufacturing_on),
        (d("2027-01-12"), d("2027-01-17"))
    );
}

#[test]
fn closed_days_take_neither_a_collection_nor_a_start() {
    let mut cap = capacity();
    cap.closed = [d("2027-01-11"), d("2027-01-15"), d("2027-01-16")]
        .into_iter()
        .collect();
    let chain = first(&cap, "s1", "2027-01-11");
    // The 11th is closed; from the 12th manufacturing could start the 15th–17th: the 17th.
    assert_eq!(
        (chain.apheresis_on, chain.manufacturing_on),
        (d("2027-01-12"), d("2027-01-17"))
    );
}

#[test]
fn a_used_up_monthly_allocation_moves_the_start_to_the_next_month() {
    let mut cap = capacity();
    cap.apheresis_slots_per_day = 3;
    cap.manufacturing_slots_per_day = 3;
    cap.lead.to_start_max_days = 30;
    cap.allocations = vec![Allocation {
        scope: AllocationScope::Site("s1".into()),
        per_month: 1,
    }];
    let first = request("s1", "2027-01-11");
    let taken = earliest_chain(&cap, &Booked::default(), &first, &d(TODAY), 90).unwrap();
    let booked = Booked::new([&reserve(&first, &taken)]);
    let again = earliest_chain(&cap, &booked, &request("s1", "2027-01-11"), &d(TODAY), 90).unwrap();
    assert_eq!(again.apheresis_on, d("2027-01-11"));
    assert_eq!(again.manufacturing_on, d("2027-02-01"));
    // Another site is not bound by s1's allocation.
    let other = earliest_chain(&cap, &booked, &request("s2", "2027-01-11"), &d(TODAY), 90).unwrap();
    assert_eq!(other.manufacturing_on, d("2027-01-14"));
}

#[test]
fn a_day_in_the_past_is_never_offered_and_a_full_horizon_says_to_waitlist() {
    let cap = capacity();
    let past = first(&cap, "s1", "2026-12-01");
    assert_eq!(past.apheresis_on, d(TODAY));

    let mut all_closed = capacity();
    all_closed.closed = (0..40).map(|i| d(TODAY).plus_days(i)).collect();
    let none = earliest_chain(
        &all_closed,
        &Booked::default(),
        &request("s1", TODAY),
        &d(TODAY),
        30,
    )
    .unwrap_err();
    assert_eq!(
        none,
        NoRoom::WithinHorizon {
            from: d(TODAY),
            days: 30
        }
    );
    assert!(none.to_string().contains("waitlist"), "{none}");
}

#[test]
fn a_chain_is_checked_again_before_it_is_confirmed() {
    let mut cap = capacity();
    cap.allocations = vec![Allocation {
        scope: AllocationScope::Partnership("p1".into()),
        per_month: 1,
    }];
    let req = request("s1", "2027-01-11");
    let chain = earliest_chain(&cap, &Booked::default(), &req, &d(TODAY), 90).unwrap();
    assert_eq!(check_chain(&cap, &Booked::default(), &req, &chain), Ok(()));

    let booked = Booked::new([&reserve(&req, &chain)]);
    let words = |c: &Chain, b: &Booked, cap: &Capacity| {
        check_chain(cap, b, &req, c).unwrap_err().to_string()
    };
    assert!(
        words(&chain, &booked, &cap)
            .contains("apheresis slot on 11 January 2027 is no longer free")
    );

    let mut other_slot = chain.clone();
    other_slot.apheresis_slot = 1;
    assert!(
        words(&other_slot, &Booked::default(), &cap).contains("no longer free"),
        "slot 1 of 1"
    );

    let mut closed = cap.clone();
    closed.closed.insert(d("2027-01-14"));
    assert!(words(&chain, &Booked::default(), &closed).contains("closed for manufacturing"));

    let mut late = chain.clone();
    late.manufacturing_on = d("2027-01-20");
    assert!(words(&late, &Booked::default(), &cap).contains("3 to 5 days after apheresis, not 9"));

    let mut month_used = Booked::default();
    month_used.add(&Reserved {
        partnership: "p1".into(),
        site: "s9".into(),
        apheresis_on: d("2027-01-02"),
        apheresis_slot: 0,
        manufacturing_on: d("2027-01-05"),
        manufacturing_slot: 0,
    });
    assert!(words(&chain, &month_used, &cap).contains("monthly allocation"));

    let mut forged = chain.clone();
    forged.expected_infusion_on = d("2027-01-20");
    assert!(words(&forged, &Booked::default(), &cap).contains("do not follow"));
}

#[test]
fn a_capacity_is_refused_with_every_problem_beside_its_field() {
    let mut cap = capacity();
    cap.apheresis_slots_per_day = 0;
    cap.lead.to_start_min_days = 9;
    cap.lead.manufacturing_days = 0;
    cap.lead.transit_days = 400;
    cap.allocations = vec![
        Allocation {
            scope: AllocationScope::Site("s1".into()),
            per_month: 1,
        },
        Allocation {
            scope: AllocationScope::Site("s1".into()),
            per_month: 0,
        },
    ];
    let fields: Vec<_> = cap
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| p.field)
        .collect();
    assert_eq!(
        fields,
        [
            "apheresis_slots_per_day",
            "lead.to_start_max_days",
            "lead.transit_days",
            "lead.manufacturing_days",
            "allocations",
            "allocations",
        ]
    );
    assert_eq!(capacity().validate(), Ok(()));
}

#[test]
fn the_hours_to_accept_an_offer_are_from_one_to_a_week_and_48_unless_stated() {
    for (hours, ok) in [(0, false), (1, true), (48, true), (168, true), (169, false)] {
        let cap = Capacity {
            offer_hours: hours,
            ..capacity()
        };
        match cap.validate() {
            Ok(()) => assert!(ok, "{hours} hours"),
            Err(problems) => {
                assert!(!ok, "{hours} hours");
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].field, "offer_hours");
                assert_eq!(
                    problems[0].message,
                    format!(
                        "must be from 1 to 168 hours (a week) for a site to accept an offer, not {hours}"
                    )
                );
            }
        }
    }
    // A capacity stated before programs had their own deadline reads as 48 hours.
    let mut json = serde_json::to_value(capacity()).unwrap();
    json.as_object_mut().unwrap().remove("offer_hours");
    let read: Capacity = serde_json::from_value(json).unwrap();
    assert_eq!(read.offer_hours, crate::waitlist::DEFAULT_OFFER_HOURS);
    assert_eq!(read.offer_hours, 48);
}

#[test]
fn a_capacity_reads_and_writes_as_its_json() {
    let mut cap = capacity();
    cap.allocations.push(Allocation {
        scope: AllocationScope::Partnership("p1".into()),
        per_month: 2,
    });
    let json = serde_json::to_value(&cap).unwrap();
    assert_eq!(
        json["allocations"],
        serde_json::json!([{"scope": "partnership", "id": "p1", "per_month": 2}])
    );
    let back: Capacity = serde_json::from_value(json).unwrap();
    assert_eq!(back, cap);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Requests booked one after another, each on the earliest chain found and added to the
    /// reservations, never overbook a day, never use a closed day, keep the lead window and
    /// every allocation, and each chain is the earliest: nothing before its day had room.
    #[test]
    fn booking_in_turn_never_oversells_and_always_takes_the_earliest_room(
        aph in 1u32..3, man in 1u32..3, min in 0u32..4, extra in 0u32..4,
        closed in proptest::collection::btree_set(0i64..40, 0..8),
        allocation in proptest::option::of(1u32..3),
        asks in proptest::collection::vec((0i64..30, 0usize..3), 1..25),
    ) {
        let today = d(TODAY);
        let cap = Capacity {
            apheresis_slots_per_day: aph,
            manufacturing_slots_per_day: man,
            closed: closed.iter().map(|i| today.plus_days(*i)).collect(),
            lead: LeadTimes {
                to_start_min_days: min,
                to_start_max_days: min + extra,
                manufacturing_days: 10,
                transit_days: 1,
                transit_days_by_site: BTreeMap::new(),
                arrival_to_infusion_days: 2,
            },
            allocations: allocation
                .map(|n| vec![Allocation { scope: AllocationScope::Site("s0".into()), per_month: n }])
                .unwrap_or_default(),
            offer_hours: 48,
        };
        let mut reserved: Vec<Reserved> = Vec::new();
        for (offset, site) in asks {
            let req = BookingRequest {
                partnership: "p1".into(),
                site: format!("s{site}"),
                apheresis_on: today.plus_days(offset),
            };
            let booked = Booked::new(&reserved);
            match earliest_chain(&cap, &booked, &req, &today, 120) {
                Ok(chain) => {
                    prop_assert_eq!(check_chain(&cap, &booked, &req, &chain), Ok(()));
                    let waited = chain.apheresis_on.days_since_epoch() - req.apheresis_on.days_since_epoch();
                    prop_assert!(waited >= 0);
                    if waited > 0 {
                        // Nothing earlier had room for the whole chain.
                        let earlier = earliest_chain(&cap, &booked, &req, &today, waited as u32);
                        prop_assert!(earlier.is_err(), "an earlier chain: {:?}", earlier);
                    }
                    reserved.push(reserve(&req, &chain));
                }
                Err(NoRoom::WithinHorizon { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
        // Audit the whole book independently of `Booked`.
        let mut per_day: BTreeMap<(&str, &Date), BTreeSet<u32>> = BTreeMap::new();
        let mut per_month: BTreeMap<(&str, (i64, u32)), u32> = BTreeMap::new();
        for r in &reserved {
            prop_assert!(!cap.closed.contains(&r.apheresis_on) && !cap.closed.contains(&r.manufacturing_on));
            prop_assert!(r.apheresis_slot < aph && r.manufacturing_slot < man);
            prop_assert!(per_day.entry(("a", &r.apheresis_on)).or_default().insert(r.apheresis_slot), "apheresis slot twice");
            prop_assert!(per_day.entry(("m", &r.manufacturing_on)).or_default().insert(r.manufacturing_slot), "manufacturing slot twice");
            let gap = r.manufacturing_on.days_since_epoch() - r.apheresis_on.days_since_epoch();
            prop_assert!(gap >= i64::from(min) && gap <= i64::from(min + extra));
            *per_month.entry((r.site.as_str(), month_of(&r.manufacturing_on))).or_default() += 1;
        }
        if let Some(n) = allocation {
            for ((site, _), count) in per_month {
                if site == "s0" {
                    prop_assert!(count <= n, "s0 started {count} in a month, allocation {n}");
                }
            }
        }
    }
}
