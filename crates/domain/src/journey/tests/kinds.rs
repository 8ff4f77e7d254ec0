//! One table of cases per step kind: what its rule accepts and what it refuses, in words.

use super::*;
use crate::events::cases::{DeviationKind, Outcome};
use crate::process_map::{MapContext, ProductUnit, SignatureMeaning, Stage, StepParams};

fn entry_with(fields: &[(&str, &str)]) -> Entry {
    Entry {
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        attestation: None,
    }
}

fn act(step: &str, entry: Entry, action: Action) -> Command {
    Command::Act {
        step: step.into(),
        entry,
        action,
    }
}

#[test]
fn record_takes_the_listed_fields_from_the_steps_role() {
    let mut run = Run::opened(car_t());
    let all = entry_for(run.step("referral"), run.now);
    let cases: Vec<(&str, Entry, &str)> = vec![
        (
            "nina",
            all.clone(),
            "is done by coordinator; Nina acts as nurse",
        ),
        (
            "carla",
            entry_with(&[("diagnosis", "DLBCL")]),
            "fill in referring physician, prior lines of therapy",
        ),
        (
            "carla",
            {
                let mut e = all.clone();
                e.fields.insert("favourite colour".into(), "blue".into());
                e
            },
            "does not record favourite colour",
        ),
        (
            "carla",
            Entry {
                fields: all.fields.clone(),
                attestation: Some(EhrAttestation {
                    reference: "EPIC-1".into(),
                    charted_at: T0,
                }),
            },
            "recorded in cellpath, not attested from the EHR",
        ),
    ];
    for (actor, entry, said) in cases {
        let r = run.refused(actor, act("referral", entry, Action::Record));
        assert!(r.to_string().contains(said), "{r}");
    }
    assert!(run.log.len() == 4, "refusals write nothing");
    let events = run.ok("carla", act("referral", all, Action::Record));
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_recorded", "case.step_completed"]
    );
    let r = run.refused(
        "carla",
        act(
            "referral",
            entry_for(run.step("referral"), T0),
            Action::Record,
        ),
    );
    assert_eq!(
        r.to_string(),
        "Referral received is already done (attempt 1); to do it again, repeat it with a reason"
    );
}

#[test]
fn a_step_charted_in_the_ehr_is_attested_not_charted_again() {
    let mut run = Run::opened(car_t());
    run.through("consent");
    let active = crate::consent::ConsentStatus::Active;
    run.ok(
        "carla",
        consent_for(&run.case.clone(), active, "Marta Keel, RN"),
    );
    let r = run.refused(
        "pavel",
        act(
            "consent",
            entry_with(&[("consent form version", "3"), ("date signed", "2026-11-30")]),
            Action::Record,
        ),
    );
    assert!(
        r.to_string().contains("charted in the EHR: attest it"),
        "{r}"
    );
    let attested = |charted_at| Entry {
        fields: Default::default(),
        attestation: Some(EhrAttestation {
            reference: "EPIC-CONSENT-991".into(),
            charted_at,
        }),
    };
    let r = run.refused(
        "pavel",
        act(
            "consent",
            attested(run.now + command::minutes(5)),
            Action::Record,
        ),
    );
    assert!(r.to_string().contains("charted later than now"), "{r}");
    let attested = attested(run.now - command::minutes(30));
    let events = run.ok("pavel", act("consent", attested, Action::Record));
    let CaseEvent::StepRecorded(r) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(r.by.name, "Pavel");
    assert_eq!(
        r.attestation.as_ref().map(|a| a.reference.as_str()),
        Some("EPIC-CONSENT-991")
    );
}

#[test]
fn a_step_waits_for_the_steps_before_it() {
    let mut run = Run::opened(car_t());
    let r = run.refused(
        "arun",
        act(
            "collection",
            entry_for(run.step("collection"), T0),
            Action::Record,
        ),
    );
    assert_eq!(
        r.to_string(),
        "Apheresis collection waits for Apheresis and manufacturing slot"
    );
    let r = run.refused("carla", act("referral", Entry::default(), Action::Thaw));
    assert_eq!(
        r.to_string(),
        "Referral received is a record step: record its fields"
    );
}

#[test]
fn schedule_books_a_day_that_has_not_passed() {
    let mut run = Run::opened(car_t());
    run.through("apheresis_scheduling");
    let today = Date::of_micros(run.now);
    let r = run.refused(
        "carla",
        act(
            "apheresis_scheduling",
            Entry::default(),
            Action::Schedule {
                on: today.plus_days(-1),
                slot: None,
            },
        ),
    );
    assert!(r.to_string().contains("is in the past"), "{r}");
    let events = run.ok(
        "carla",
        act(
            "apheresis_scheduling",
            Entry::default(),
            Action::Schedule {
                on: today.plus_days(10),
                slot: Some("slot 2".into()),
            },
        ),
    );
    assert!(matches!(&events[0], CaseEvent::StepRecorded(r)
        if r.outcome == Outcome::Scheduled { on: today.plus_days(10), slot: Some("slot 2".into()) }));
}

#[test]
fn a_custody_handoff_scans_the_label_and_moves_from_the_holder() {
    let mut run = Run::opened(car_t());
    run.through("courier_handoff");
    let handoff = |from: &str, scan: Option<Scan>, temperature| {
        act(
            "courier_handoff",
            Entry::default(),
            Action::Handoff(Handoff {
                items: vec![],
                from: from.into(),
                to: "World Courier".into(),
                scan,
                temperature,
                location: None,
            }),
        )
    };
    let r = run.refused(
        "arun",
        handoff("apheresis unit", None, Temperature::InRange),
    );
    assert_eq!(
        r.to_string(),
        "Handoff to courier asks for a scan of the label"
    );

    // Another patient's bag: refused, explained, and the deviation is on the record.
    let before = run.log.len();
    let r = run.refused(
        "arun",
        handoff(
            "apheresis unit",
            Some(Scan {
                expected: IdentifierKind::Isbt128Din,
                text: format!("{OTHER_DIN} H"),
            }),
            Temperature::InRange,
        ),
    );
    assert!(
        matches!(r, Refusal::Scan(_)),
        "H is not the check character of {OTHER_DIN}: {r}"
    );
    assert_eq!(
        run.log.len(),
        before,
        "a misread is not a mismatch: nothing written"
    );
    let other = crate::identifiers::read(OTHER_DIN)
        .expect("reads")
        .to_string();
    let ours = crate::identifiers::read(DIN).expect("reads").to_string();
    let r = run.refused(
        "arun",
        handoff(
            "apheresis unit",
            Some(Scan {
                expected: IdentifierKind::Isbt128Din,
                text: other.clone(),
            }),
            Temperature::InRange,
        ),
    );
    assert_eq!(
        r.to_string(),
        format!(
            "chain-of-identity mismatch: bag {other} does not belong to case VAN-LUH-0042: expected {ours}"
        )
    );
    assert_eq!(run.kinds()[before..], ["case.deviation_recorded"]);
    assert_eq!(run.case.deviations[0].kind, DeviationKind::ScanMismatch);
    assert!(!run.case.is_done("courier_handoff"));

    let r = run.refused(
        "arun",
        handoff(
            "apheresis unit",
            Some(Scan {
                expected: IdentifierKind::LotNumber,
                text: "LOT-1".into(),
            }),
            Temperature::InRange,
        ),
    );
    assert!(
        r.to_string()
            .contains("this program's labels carry no lot number"),
        "{r}"
    );

    // The right bag, with a warm shipper: done, and the excursion is a deviation.
    let events = run.ok(
        "arun",
        handoff(
            "apheresis unit",
            Some(Scan {
                expected: IdentifierKind::Isbt128Din,
                text: format!("={}", DIN.replace(' ', "") + "00"),
            }),
            Temperature::Excursion {
                reading_tenths_celsius: 120,
            },
        ),
    );
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        [
            "case.custody_recorded",
            "case.deviation_recorded",
            "case.step_completed"
        ]
    );
    assert_eq!(run.case.holders[&Item::StartingMaterial], "World Courier");
    assert_eq!(
        run.case.custody[0].location, "apheresis unit",
        "the map's location"
    );
    assert!(run.case.deviations[1].reason.contains("12.0 °C"));

    // The next handoff must come from the courier.
    run.through("manufacturing_receipt");
    let receipt = |from: &str, case: &Case| {
        act(
            "manufacturing_receipt",
            Entry::default(),
            Action::Handoff(Handoff {
                items: vec![],
                from: from.into(),
                to: "Manufacturing".into(),
                location: Some("Plant 2 receiving".into()),
                scan: Some(right_scan(case)),
                temperature: Temperature::InRange,
            }),
        )
    };
    let r = run.refused("olga", receipt("apheresis unit", &run.case));
    assert_eq!(
        r.to_string(),
        "the starting material is held by World Courier, not apheresis unit: the handoff must come from its holder"
    );
    let courier = receipt("World Courier", &run.case);
    run.ok("olga", courier);
    assert_eq!(
        run.case.custody[1].location, "Plant 2 receiving",
        "as given"
    );
}

#[test]
fn release_is_the_manufacturers_and_anything_but_released_stops_the_case() {
    for (decision, status) in [
        (ReleaseDecision::Released, None),
        (
            ReleaseDecision::OutOfSpecification,
            Some("out of specification"),
        ),
        (
            ReleaseDecision::ManufacturingFailure,
            Some("a manufacturing failure"),
        ),
    ] {
        let mut run = Run::opened(car_t());
        run.through("release_decision");
        let release = |hash: String| {
            act(
                "release_decision",
                Entry::default(),
                Action::Release {
                    decision,
                    certificate_reference: "CoA-88".into(),
                    certificate_sha256: hash,
                },
            )
        };
        let r = run.refused("hugo", release(sha()));
        assert_eq!(
            r.to_string(),
            "Release decision is recorded by the manufacturer, not the health system"
        );
        let r = run.refused("quinn", release("abc".into()));
        assert!(r.to_string().contains("64 hexadecimal digits"), "{r}");
        run.ok("quinn", release(sha()));
        match status {
            None => assert_eq!(run.case.status, CaseStatus::Active),
            Some(words) => {
                assert!(matches!(run.case.status, CaseStatus::Stopped { .. }));
                assert!(available(&run.map, &run.case).is_empty());
                let r = run.refused("olga", act("shipment", Entry::default(), Action::Record));
                assert_eq!(
                    r.to_string(),
                    format!(
                        "case VAN-LUH-0042 stopped at Release decision: the product was {words}; what follows is the release-exception process"
                    )
                );
            }
        }
    }
}

#[test]
fn lymphodepletion_is_held_until_the_product_is_released() {
    let mut run = Run::opened(car_t());
    run.through("release_decision");
    assert!(run.case.is_done("bridging_therapy"));
    let chemo = |run: &Run| {
        act(
            "lymphodepletion",
            entry_for(run.step("lymphodepletion"), run.now),
            Action::PassHold,
        )
    };
    assert!(
        !available(&run.map, &run.case)
            .iter()
            .any(|a| a.step == "lymphodepletion")
    );
    let r = run.refused("pavel", chemo(&run));
    assert_eq!(
        r.to_string(),
        "Lymphodepleting chemotherapy is held until Release decision is done and the product released"
    );
    run.done("release_decision");
    assert!(
        available(&run.map, &run.case)
            .iter()
            .any(|a| a.step == "lymphodepletion")
    );
    let c = chemo(&run);
    let events = run.ok("pavel", c);
    assert!(matches!(&events[0], CaseEvent::StepRecorded(r) if r.outcome == Outcome::HoldPassed));
}

#[test]
fn signatures_come_from_the_named_roles_with_their_meaning_and_the_password() {
    // The in vivo order: the physician approves, then the pharmacist verifies.
    let mut run = Run::opened(in_vivo());
    let order = run.step("order").clone();
    let sign = |meaning, password_reentered, entry: Entry| Command::Sign {
        step: "order".into(),
        meaning,
        password_reentered,
        entry,
    };
    let fields = entry_for(&order, T0);
    let r = run.refused(
        "pavel",
        sign(SignatureMeaning::Approved, false, fields.clone()),
    );
    assert_eq!(r.to_string(), "a signature needs the password re-entered");
    let r = run.refused(
        "nina",
        sign(SignatureMeaning::Approved, true, fields.clone()),
    );
    assert!(
        r.to_string()
            .contains("asks for no approved signature by nurse"),
        "{r}"
    );
    let r = run.refused(
        "pavel",
        sign(SignatureMeaning::Approved, true, Entry::default()),
    );
    assert!(r.to_string().contains("fill in patient weight (kg)"), "{r}");
    let events = run.ok(
        "pavel",
        sign(SignatureMeaning::Approved, true, fields.clone()),
    );
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_signed"]
    );
    let a = available(&run.map, &run.case);
    assert_eq!(a[0].roles, [Role::Pharmacy]);
    assert_eq!(a[0].waiting, ["the verified signature of the pharmacy"]);
    let r = run.refused(
        "pavel",
        sign(SignatureMeaning::Verified, true, Entry::default()),
    );
    assert!(r.to_string().contains("Pavel already signed Order"), "{r}");
    let r = run.refused("phil", sign(SignatureMeaning::Verified, true, fields));
    assert!(
        r.to_string()
            .contains("what was recorded with its first entry stays"),
        "{r}"
    );
    let events = run.ok(
        "phil",
        sign(SignatureMeaning::Verified, true, Entry::default()),
    );
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_signed", "case.step_completed"]
    );
}

#[test]
fn dual_verification_takes_two_different_people_scanning_this_units_label() {
    let mut run = Run::opened(car_t());
    run.through("dual_verification_cd4");
    let verify = |text: &str| Command::Verify {
        step: "dual_verification_cd4".into(),
        scan: Some(Scan {
            expected: IdentifierKind::Isbt128Coi,
            text: text.into(),
        }),
        entry: Entry::default(),
    };
    let events = run.ok("nina", verify(COI));
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_verified"]
    );
    let r = run.refused("nina", verify(COI));
    assert_eq!(
        r.to_string(),
        "Nina already verified Bedside dual verification CD4: the second verification must be by another person"
    );
    let r = run.refused("pavel", verify(COI));
    assert!(r.to_string().contains("is done by nurse"), "{r}");
    let r = run.refused("noah", verify("&/CHW123426Z9Z9Z9"));
    assert!(
        r.to_string()
            .contains("does not belong to case VAN-LUH-0042: expected &/CH W1234 26 A1B2C3"),
        "{r}"
    );
    let events = run.ok("noah", verify(COI));
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_verified", "case.step_completed"]
    );
}

#[test]
fn a_scan_for_one_unit_does_not_match_the_other_units_label() {
    let mut run = Run::opened(car_t());
    for (unit, lot) in [("cd4", "LOT-CD4-1"), ("cd8", "LOT-CD8-1")] {
        run.case.identifier_kinds.push(IdentifierKind::LotNumber);
        let id =
            CaseIdentifier::read(IdentifierKind::LotNumber, lot, Some(unit.into())).expect("a lot");
        run.case.identifiers.push(id);
    }
    let cd8 = check_scan_for(
        &run.case,
        IdentifierKind::LotNumber,
        "lot-cd8-1",
        Some("cd4"),
    );
    assert!(
        matches!(&cd8, Err(ScanError::Mismatch(m)) if m.to_string() == "lot LOT-CD8-1 does not belong to case VAN-LUH-0042: expected LOT-CD4-1"),
        "{cd8:?}"
    );
    assert!(
        check_scan_for(
            &run.case,
            IdentifierKind::LotNumber,
            " lot-cd4-1 ",
            Some("cd4")
        )
        .is_ok()
    );
    assert!(check_scan(&run.case, IdentifierKind::LotNumber, "LOT-CD8-1").is_ok());
}

#[test]
fn a_unit_is_thawed_once_and_given_inside_its_window_or_with_a_signed_deviation() {
    let mut run = Run::opened(car_t());
    run.through("thaw_cd4");
    let thaw = act("thaw_cd4", Entry::default(), Action::Thaw);
    run.ok("celia", thaw.clone());
    assert_eq!(run.case.units["cd4"].state(), UnitState::Thawed);
    let r = run.refused("celia", thaw);
    assert!(r.to_string().contains("Thaw CD4 is already done"), "{r}");

    run.done("dual_verification_cd4");
    run.now = run.case.units["cd4"].thaw.expect("thawed").window_ends_at + command::minutes(12);
    let give = |late: Option<LateAdministration>| {
        act(
            "administer_cd4",
            entry_for(&run_step_static("administer_cd4"), T0),
            Action::Administer {
                disposition: Disposition::InfusedWhole,
                late,
            },
        )
    };
    let r = run.refused("nina", give(None));
    assert_eq!(
        r.to_string(),
        "the thaw window of CD4+ component closed 12 minutes ago: record a signed deviation with the reason to give it anyway, or end the unit as not infused"
    );
    let r = run.refused(
        "nina",
        give(Some(LateAdministration {
            reason: "patient transfer delayed".into(),
            password_reentered: false,
        })),
    );
    assert_eq!(r, Refusal::PasswordNeeded);
    let events = run.ok(
        "nina",
        give(Some(LateAdministration {
            reason: "patient transfer delayed".into(),
            password_reentered: true,
        })),
    );
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        [
            "case.deviation_recorded",
            "case.step_recorded",
            "case.step_completed",
            "case.registry_scheduled",
        ]
    );
    let d = &run.case.deviations[0];
    assert_eq!((d.kind, d.signed), (DeviationKind::ThawWindow, true));
    assert!(d.reason.contains("12 minutes after"), "{}", d.reason);
    assert_eq!(
        run.case.units["cd4"].disposition,
        Some(Disposition::InfusedWhole)
    );
}

fn run_step_static(key: &str) -> Step {
    car_t().map().step(key).expect("a seed step").clone()
}

#[test]
fn a_unit_not_given_ends_with_its_reason_and_no_window_check() {
    let mut run = Run::opened(car_t());
    run.done("dual_verification_cd4");
    run.wait(600);
    let give = |run: &Run, disposition| {
        act(
            "administer_cd4",
            entry_for(run.step("administer_cd4"), run.now),
            Action::Administer {
                disposition,
                late: None,
            },
        )
    };
    let r = run.refused(
        "nina",
        give(&run, Disposition::InfusedInPart { volume_ml: 0 }),
    );
    assert!(r.to_string().contains("more than 0 mL"), "{r}");
    let r = run.refused(
        "nina",
        give(&run, Disposition::NotInfused { reason: " ".into() }),
    );
    assert!(r.to_string().contains("the reason"), "{r}");
    let not_given = Disposition::NotInfused {
        reason: "fever before infusion; physician held the dose".into(),
    };
    let events = run.ok("nina", give(&run, not_given.clone()));
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_recorded", "case.step_completed"],
        "no deviation: nothing went in late"
    );
    assert_eq!(run.case.units["cd4"].state(), UnitState::Ended);
    assert_eq!(run.case.units["cd4"].disposition, Some(not_given));
    // Follow-up counts from the first infusion: there is none until CD8 goes in.
    assert_eq!(run.case.first_infusion(), None);
}

#[test]
fn a_frozen_unit_is_never_given() {
    use crate::process_map::{RecordedIn, StepKind};
    let step = |key: &str, kind, role, after: &[&str]| Step {
        key: key.into(),
        name: key.replace('_', " "),
        stage: Stage::Administration,
        kind,
        role,
        after: after.iter().map(|a| a.to_string()).collect(),
        controlled: false,
        recorded_in: RecordedIn::Cellpath,
        optional: false,
        params: StepParams::default(),
    };
    let mut give = step("give", StepKind::Administer, Role::Nurse, &["order"]);
    give.params.unit = Some("dose".into());
    let map = map_of(
        vec![step("order", StepKind::Record, Role::Physician, &[]), give],
        MapContext {
            units: vec![ProductUnit {
                key: "dose".into(),
                name: "Vial kit".into(),
                storage_max_celsius: -60,
                thaw_window_minutes: 240,
            }],
            requires_dual_verification: false,
        },
    );
    let mut run = Run::opened(map);
    run.ok("pavel", act("order", Entry::default(), Action::Record));
    let r = run.refused(
        "nina",
        act(
            "give",
            Entry::default(),
            Action::Administer {
                disposition: Disposition::InfusedWhole,
                late: Some(LateAdministration {
                    reason: "in a hurry".into(),
                    password_reentered: true,
                }),
            },
        ),
    );
    assert_eq!(
        r.to_string(),
        "Vial kit has not been thawed: thaw it before it is given"
    );
}

#[test]
fn monitoring_and_follow_up_count_from_the_infusion() {
    let mut run = Run::opened(car_t());
    run.through("monitoring");
    let infused = Date::of_micros(run.case.first_infusion().expect("infused"));
    let today = Date::of_micros(run.now);
    let events = run.ok(
        "pavel",
        act(
            "monitoring",
            entry_for(run.step("monitoring"), run.now),
            Action::Monitor {
                from: today.clone(),
            },
        ),
    );
    assert!(matches!(&events[0], CaseEvent::StepRecorded(r)
        if r.outcome == Outcome::MonitoringOpened { from: today.clone(), until: today.plus_days(14) }));
    let events = run.ok("dana", act("follow_up", Entry::default(), Action::FollowUp));
    let CaseEvent::StepRecorded(r) = &events[0] else {
        panic!("{events:?}")
    };
    let Outcome::FollowUpScheduled {
        infused_on,
        forms,
        visits,
    } = &r.outcome
    else {
        panic!("{r:?}")
    };
    assert_eq!(*infused_on, infused);
    assert_eq!(forms[0].due_on, infused);
    assert_eq!(forms[0].form, "CIBMTR 4006");
    assert_eq!(forms[3].due_on, infused.plus_days(100));
    assert_eq!(forms[3].form, "CIBMTR 4100");
    assert_eq!(
        forms.len(),
        15,
        "4006, 4003, 4000, then 12 4100s to year 14"
    );
    assert_eq!(visits[4], infused.plus_days(5 * 365));
    assert!(
        available(&run.map, &run.case).is_empty(),
        "the case is at its end"
    );
}

#[test]
fn a_sites_checklist_is_ticked_in_full_by_its_local_owner() {
    use crate::refinement::{LocalDetail, LocalStep, SiteRefinement, effective_map};
    let (map, ctx) = seeds::autologous_car_t();
    let base = validate(&map, &ctx).expect("valid");
    let mut refinement = SiteRefinement::default();
    refinement.local_steps.push(LocalStep {
        step: Step {
            key: "icu_bed".into(),
            name: "ICU bed held".into(),
            stage: Stage::Administration,
            kind: StepKind::Checklist,
            role: Role::Coordinator,
            after: vec!["pharmacist_verification".into()],
            controlled: false,
            recorded_in: Default::default(),
            optional: false,
            params: StepParams {
                items: vec!["bed held".into(), "tocilizumab on hand".into()],
                ..Default::default()
            },
        },
        before: vec!["thaw_cd4".into()],
    });
    refinement.details.insert(
        "icu_bed".into(),
        LocalDetail {
            owner_role: Some(Role::Nurse),
            ..Default::default()
        },
    );
    let effective = effective_map(&base, &refinement, &[], &ctx).expect("valid refinement");
    let mut run = Run::opened(CaseMap::refined(effective, &refinement));
    run.through("icu_bed");
    let tick = |items: &[&str]| {
        act(
            "icu_bed",
            Entry::default(),
            Action::Checklist {
                ticked: items.iter().map(|i| i.to_string()).collect(),
            },
        )
    };
    let r = run.refused("carla", tick(&["bed held", "tocilizumab on hand"]));
    assert!(
        r.to_string().contains("is done by nurse"),
        "the local owner: {r}"
    );
    let r = run.refused("nina", tick(&["bed held"]));
    assert!(
        r.to_string().contains("tick tocilizumab on hand too"),
        "{r}"
    );
    let r = run.refused("nina", tick(&["bed held", "tocilizumab on hand", "coffee"]));
    assert!(r.to_string().contains("has no item coffee"), "{r}");
    let r = run.refused("celia", act("thaw_cd4", Entry::default(), Action::Thaw));
    assert_eq!(r.to_string(), "Thaw CD4 waits for ICU bed held");
    run.ok("nina", tick(&["tocilizumab on hand", "bed held"]));
    run.ok("celia", act("thaw_cd4", Entry::default(), Action::Thaw));
}

#[test]
fn available_says_what_may_be_done_now_and_by_whom() {
    let mut run = Run::opened(car_t());
    let open = |run: &Run| {
        available(&run.map, &run.case)
            .into_iter()
            .map(|a| (a.step, a.roles))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        open(&run),
        [("referral".to_string(), vec![Role::Coordinator])]
    );
    run.done("collection");
    assert_eq!(
        open(&run),
        [
            ("courier_handoff".to_string(), vec![Role::Apheresis]),
            ("bridging_therapy".to_string(), vec![Role::Physician]),
        ],
        "the manufacturing branch and the clinical branch part at the collection"
    );
    run.done("thaw_cd4");
    run.ok(
        "nina",
        Command::Verify {
            step: "dual_verification_cd4".into(),
            scan: Some(right_scan(&run.case)),
            entry: Entry::default(),
        },
    );
    let a = available(&run.map, &run.case);
    let dv = a
        .iter()
        .find(|a| a.step == "dual_verification_cd4")
        .expect("still open");
    assert_eq!(dv.waiting, ["a second verification by another nurse"]);
}

#[test]
fn a_recorded_step_that_asks_for_a_signature_waits_for_it() {
    use crate::process_map::{RecordedIn, SignatureSpec};
    let mut order = Step {
        key: "order".into(),
        name: "Order".into(),
        stage: Stage::Prescribing,
        kind: StepKind::Record,
        role: Role::Coordinator,
        after: vec![],
        controlled: false,
        recorded_in: RecordedIn::Cellpath,
        optional: false,
        params: StepParams {
            fields: vec!["dose".into()],
            signatures: vec![SignatureSpec {
                role: Role::Physician,
                meaning: SignatureMeaning::Approved,
            }],
            ..Default::default()
        },
    };
    let mut end = order.clone();
    end.key = "done".into();
    end.name = "Done".into();
    end.after = vec!["order".into()];
    end.params = StepParams::default();
    order.params.unit = None;
    let mut run = Run::opened(map_of(
        vec![order, end],
        MapContext {
            units: vec![],
            requires_dual_verification: false,
        },
    ));
    let sign = Command::Sign {
        step: "order".into(),
        meaning: SignatureMeaning::Approved,
        password_reentered: true,
        entry: Entry::default(),
    };
    let r = run.refused("pavel", sign.clone());
    assert_eq!(r.to_string(), "record Order before signing it");
    let events = run.ok(
        "carla",
        act("order", entry_with(&[("dose", "1 vial")]), Action::Record),
    );
    assert_eq!(events.len(), 1, "not complete without the signature");
    let a = available(&run.map, &run.case);
    assert_eq!(
        (a[0].roles.as_slice(), a[0].waiting.as_slice()),
        (
            [Role::Physician].as_slice(),
            ["the approved signature of the physician".to_string()].as_slice()
        )
    );
    let r = run.refused(
        "carla",
        act("order", entry_with(&[("dose", "2")]), Action::Record),
    );
    assert!(
        r.to_string().contains("is already recorded for attempt 1"),
        "{r}"
    );
    assert!(r.is_conflict());
    let events = run.ok("pavel", sign);
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.step_signed", "case.step_completed"]
    );
    assert!(!Refusal::PasswordNeeded.is_conflict());
}

#[test]
fn the_in_vivo_map_runs_from_order_to_follow_up_on_the_pharmacys_side() {
    let mut run = Run::opened(in_vivo());
    run.done("follow_up");
    let infused = run.case.units["dose"].disposition.clone();
    assert_eq!(infused, Some(Disposition::InfusedWhole));
    assert_eq!(
        run.case.holders[&Item::Unit("dose".into())],
        "custodian after receipt_and_storage"
    );
    assert_eq!(run.case.status, CaseStatus::Active);
    assert!(available(&run.map, &run.case).is_empty());
}

fn release_as(decision: ReleaseDecision) -> Command {
    act(
        "release_decision",
        Entry::default(),
        Action::Release {
            decision,
            certificate_reference: "CoA-88".into(),
            certificate_sha256: sha(),
        },
    )
}

fn after_exception(outcome: ExceptionOutcome) -> Command {
    Command::AfterException {
        exception_id: "rex_1".into(),
        outcome,
    }
}

#[test]
fn an_out_of_specification_product_is_given_only_once_expanded_access_clears_it() {
    let mut run = Run::opened(car_t());
    run.through("release_decision");
    run.ok("quinn", release_as(ReleaseDecision::OutOfSpecification));
    assert!(
        available(&run.map, &run.case).is_empty(),
        "stopped: nothing open"
    );
    let clear = after_exception(ExceptionOutcome::ExpandedAccess {
        note: "physician request, IRB approval, consent and release recorded".into(),
    });
    run.ok("quinn", clear.clone());
    assert_eq!(run.case.status, CaseStatus::Active);
    assert!(run.case.usable_release("release_decision"));
    // On to the infusion, the held chemotherapy included, under expanded access.
    run.done("administer_cd4");
    let r = run.refused("quinn", clear);
    assert!(r.to_string().contains("is not stopped"), "{r}");
}

#[test]
fn a_restart_takes_a_stopped_case_back_to_a_done_step_as_new_attempts() {
    let mut run = Run::opened(car_t());
    run.through("release_decision");
    // Expanded access answers only an out-of-specification product.
    run.ok("quinn", release_as(ReleaseDecision::ManufacturingFailure));
    let r = run.refused(
        "pavel",
        after_exception(ExceptionOutcome::ExpandedAccess {
            note: "no product".into(),
        }),
    );
    assert!(r.to_string().contains("out of specification"), "{r}");
    let restart = |step: &str| {
        after_exception(ExceptionOutcome::Restart {
            step: step.into(),
            reason: "re-collection decided".into(),
        })
    };
    let r = run.refused("pavel", restart("shipment"));
    assert!(r.to_string().contains("does not come before"), "{r}");
    run.ok("pavel", restart("apheresis_scheduling"));
    assert_eq!(run.case.status, CaseStatus::Active);
    assert_eq!(run.case.attempt_of("apheresis_scheduling"), 2);
    assert_eq!(run.case.attempt_of("collection"), 2);
    assert_eq!(run.case.attempt_of("release_decision"), 2);
    assert_eq!(run.case.attempt_of("referral"), 1);
    assert!(
        available(&run.map, &run.case)
            .iter()
            .any(|a| a.step == "apheresis_scheduling")
    );
    // Collected and made again, then released.
    run.done("release_decision");
    assert_eq!(
        run.case.release_decision("release_decision"),
        Some(ReleaseDecision::Released)
    );
}
