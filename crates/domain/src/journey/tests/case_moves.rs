//! The case as a whole: opening, the chain of identity's labels, hold and resume, cancel,
//! repeated attempts, skipped steps, deviations and migration to a newer map version — and
//! every event type's payload, read back.

use super::*;
use crate::consent::ConsentStatus;
use crate::events::cases::{Outcome, PriorAuthorization, PriorAuthorizationStatus};
use crate::events::{Event, Visit};
use crate::process_map::ValidMap;
use std::collections::BTreeMap;

#[test]
fn a_coordinator_opens_a_case_once_with_a_pseudonym() {
    let mut run = Run::new(car_t());
    let r = run.refused("nina", open("VAN-LUH-0042"));
    assert!(
        r.to_string()
            .contains("opening a case is done by coordinator or physician"),
        "{r}"
    );
    let r = run.refused("olga", open("VAN-LUH-0042"));
    assert!(
        r.to_string()
            .contains("by the health system, not the manufacturer"),
        "{r}"
    );
    let r = run.refused("carla", open("Jane Doe"));
    assert!(r.to_string().starts_with("the case pseudonym:"), "{r}");
    let r = run.refused("carla", Command::Hold { reason: "x".into() });
    assert_eq!(r, Refusal::NotOpened);
    run.ok("carla", open("van-luh-0042"));
    assert_eq!(run.case.pseudonym, "VAN-LUH-0042");
    assert_eq!(run.case.units.len(), 2, "CD4 and CD8 from the program");
    assert_eq!(run.case.units["cd8"].thaw_window_minutes, 120);
    let r = run.refused("carla", open("VAN-LUH-0043"));
    assert_eq!(r.to_string(), "case VAN-LUH-0042 is already open");
}

#[test]
fn the_chain_of_identity_holds_identifiers_of_the_programs_scheme_only() {
    let mut run = Run::opened(car_t());
    let add = |kind, text: &str, unit: Option<&str>| Command::AddIdentifier {
        kind,
        text: text.into(),
        unit: unit.map(str::to_string),
    };
    let cases: Vec<(&str, Command, &str)> = vec![
        (
            "nina",
            add(IdentifierKind::Isbt128Din, "W1234 26 000013", None),
            "is done by coordinator or apheresis",
        ),
        (
            "carla",
            add(IdentifierKind::LotNumber, "LOT-1", None),
            "this program's labels carry no lot number",
        ),
        (
            "carla",
            add(IdentifierKind::Isbt128Din, "W1234 25 000012 K", None),
            "the check character of W1234 25 000012 is K",
        ),
        (
            "carla",
            add(IdentifierKind::Isbt128Din, COI, None),
            "is a chain of identity identifier, not a donation identification number",
        ),
        (
            "carla",
            add(
                IdentifierKind::Isbt128Din,
                &format!("={}00", DIN.replace(' ', "")),
                None,
            ),
            "already has donation identification number W1234 26 000012",
        ),
        (
            "carla",
            add(IdentifierKind::Isbt128Coi, "&/CHW123426ZZZZZZ", None),
            "one links the whole therapy",
        ),
        (
            "carla",
            add(IdentifierKind::ManufacturerOrderId, "ORD 1", Some("cd5")),
            "unit cd5 is not a unit of this product (cd4, cd8)",
        ),
    ];
    for (actor, command, said) in cases {
        let r = run.refused(actor, command);
        assert!(r.to_string().contains(said), "{r}");
    }
    run.ok(
        "arun",
        add(IdentifierKind::Isbt128Din, "W1234 26 000013", None),
    );
    assert_eq!(run.case.identifiers.len(), 4);
    assert_eq!(
        run.case.identifiers[3].printed(),
        crate::identifiers::read("W123426000013")
            .expect("reads")
            .to_string()
    );
}

#[test]
fn a_case_on_hold_does_nothing_until_it_resumes() {
    let mut run = Run::opened(car_t());
    run.ok(
        "pavel",
        Command::Hold {
            reason: "grade 3 infection; antibiotics first".into(),
        },
    );
    assert!(available(&run.map, &run.case).is_empty());
    let (actor, command) =
        valid(&run.map, &run.case, &run.step("referral").clone(), run.now).expect("valid");
    let r = run.apply(&actor, &command).expect_err("on hold");
    assert_eq!(
        r.to_string(),
        "case VAN-LUH-0042 is on hold (grade 3 infection; antibiotics first): resume it first"
    );
    let r = run.refused(
        "carla",
        Command::Hold {
            reason: "again".into(),
        },
    );
    assert!(matches!(r, Refusal::OnHold { .. }), "{r}");
    run.ok(
        "carla",
        Command::Resume {
            note: "infection resolved".into(),
        },
    );
    let r = run.refused(
        "carla",
        Command::Resume {
            note: "twice".into(),
        },
    );
    assert_eq!(r.to_string(), "case VAN-LUH-0042 is not on hold");
    run.apply(&actor, &command).expect("active again");
}

#[test]
fn a_cancelled_case_never_moves_again() {
    let mut run = Run::opened(car_t());
    run.through("collection");
    let r = run.refused(
        "carla",
        Command::Cancel {
            care_transition_note: " ".into(),
        },
    );
    assert!(
        r.to_string().starts_with("the care-transition note:"),
        "{r}"
    );
    run.ok(
        "pavel",
        Command::Cancel {
            care_transition_note:
                "disease progression; referred back to Dr Ruiz for palliative care".into(),
        },
    );
    let len = run.log.len();
    let (actor, command) = valid(
        &run.map,
        &run.case,
        &run.step("collection").clone(),
        run.now,
    )
    .expect("valid");
    let r = run.apply(&actor, &command).expect_err("cancelled");
    assert!(
        r.to_string().contains("was cancelled (disease progression"),
        "{r}"
    );
    for command in [
        Command::Resume { note: "x".into() },
        Command::Cancel {
            care_transition_note: "again".into(),
        },
        Command::Deviation {
            step: None,
            reason: "x".into(),
            password_reentered: true,
        },
        Command::AddIdentifier {
            kind: IdentifierKind::Isbt128Din,
            text: "W1234 26 000013".into(),
            unit: None,
        },
    ] {
        assert!(matches!(
            run.refused("carla", command),
            Refusal::Cancelled { .. }
        ));
    }
    assert_eq!(run.log.len(), len, "nothing written after the cancellation");
    assert!(available(&run.map, &run.case).is_empty());
}

#[test]
fn a_repeated_collection_is_a_new_attempt_of_it_and_of_what_followed() {
    let mut run = Run::opened(car_t());
    run.done("manufacturing_receipt");
    let r = run.refused(
        "arun",
        Command::Repeat {
            step: "release_decision".into(),
            reason: "x".into(),
        },
    );
    assert!(matches!(r, Refusal::NothingToRepeat { .. }), "{r}");
    run.ok(
        "arun",
        Command::Repeat {
            step: "collection".into(),
            reason: "low CD3+ yield; second apheresis".into(),
        },
    );
    for key in ["collection", "courier_handoff", "manufacturing_receipt"] {
        assert_eq!(run.case.attempt_of(key), 2, "{key}");
        assert!(!run.case.is_done(key), "{key}");
    }
    assert_eq!(
        run.case.attempt_of("apheresis_scheduling"),
        1,
        "before the collection"
    );
    assert!(
        run.case.holders.is_empty(),
        "the new collection's custody starts over"
    );
    assert_eq!(available(&run.map, &run.case)[0].attempt, 2);
    run.done("manufacturing_receipt");
    assert!(run.case.is_done("manufacturing_receipt"));
    let attempts: Vec<u32> = run
        .log
        .iter()
        .filter_map(|e| match e {
            CaseEvent::StepCompleted(c) if c.step == "collection" => Some(c.attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2]);
}

#[test]
fn the_product_in_use_is_not_made_again() {
    let mut run = Run::opened(car_t());
    run.done("thaw_cd4");
    let r = run.refused(
        "arun",
        Command::Repeat {
            step: "collection".into(),
            reason: "x".into(),
        },
    );
    assert_eq!(
        r.to_string(),
        "CD4+ component is already thawed: the product in use cannot be collected or made again"
    );
}

#[test]
fn only_an_optional_step_is_skipped_and_skipping_counts_as_done() {
    let mut run = Run::opened(car_t());
    run.through("bridging_therapy");
    let r = run.refused(
        "arun",
        Command::Skip {
            step: "courier_handoff".into(),
            reason: "x".into(),
        },
    );
    assert!(
        matches!(r, Refusal::AlreadyDone { .. } | Refusal::NotOptional { .. }),
        "{r}"
    );
    run.ok(
        "pavel",
        Command::Skip {
            step: "bridging_therapy".into(),
            reason: "disease under control".into(),
        },
    );
    assert!(run.case.is_done("bridging_therapy"));
    let mut run = Run::opened(car_t());
    run.through("collection");
    let r = run.refused(
        "arun",
        Command::Skip {
            step: "collection".into(),
            reason: "x".into(),
        },
    );
    assert_eq!(
        r.to_string(),
        "Apheresis collection is not optional: it cannot be skipped"
    );
}

#[test]
fn a_deviation_is_recorded_with_its_reason_and_signature() {
    let mut run = Run::opened(car_t());
    let r = run.refused(
        "carla",
        Command::Deviation {
            step: Some("nowhere".into()),
            reason: "x".into(),
            password_reentered: false,
        },
    );
    assert_eq!(r.to_string(), "the map of this case has no step nowhere");
    run.ok(
        "celia",
        Command::Deviation {
            step: Some("thaw_cd4".into()),
            reason: "water bath at 39 °C".into(),
            password_reentered: true,
        },
    );
    let d = &run.case.deviations[0];
    assert_eq!(
        (d.step.as_deref(), d.unit.as_deref(), d.signed),
        (Some("thaw_cd4"), Some("cd4"), true)
    );
}

/// The CAR-T seed with one more site checklist before the order: version 2 of the site map.
fn version_two() -> ValidMap {
    let (mut map, ctx) = seeds::autologous_car_t();
    let order = map
        .steps
        .iter()
        .position(|s| s.key == "physician_order")
        .expect("order");
    let mut check = map.steps[order].clone();
    check.key = "fit_check".into();
    check.name = "Fitness for infusion".into();
    check.kind = StepKind::Checklist;
    check.params = crate::process_map::StepParams {
        items: vec!["no active infection".into()],
        ..Default::default()
    };
    map.steps[order].after.push("fit_check".into());
    map.steps.push(check);
    validate(&map, &ctx).expect("valid")
}

/// The mapping of a migration to a version that keeps every done step's key.
fn each_done_step_to_itself(case: &Case) -> BTreeMap<String, String> {
    case.done().into_iter().map(|k| (k.clone(), k)).collect()
}

fn migrate(mapping: BTreeMap<String, String>, password: bool) -> Command {
    Command::Migrate(Box::new(Migration {
        to: version_two(),
        to_version_id: "site_map_version_2".into(),
        mapping,
        password_reentered: password,
    }))
}

#[test]
fn a_signed_migration_maps_every_done_step_to_the_new_version() {
    let mut run = Run::opened(car_t());
    run.through("physician_order");
    let same = each_done_step_to_itself(&run.case);
    let r = run.refused("carla", migrate(same.clone(), false));
    assert_eq!(r, Refusal::PasswordNeeded);
    let mut missing = same.clone();
    missing.remove("collection");
    let r = run.refused("carla", migrate(missing, true));
    assert!(
        r.to_string()
            .contains("done step Apheresis collection is not mapped"),
        "{r}"
    );
    let mut wrong = same.clone();
    wrong.insert("collection".into(), "courier_handoff".into());
    let r = run.refused("carla", migrate(wrong, true));
    assert!(
        r.to_string()
            .contains("a done step maps to a step of the same kind"),
        "{r}"
    );
    assert!(r.to_string().contains("both map to courier_handoff"), "{r}");

    run.ok("carla", migrate(same.clone(), true));
    assert_eq!(run.case.map_version_id, "site_map_version_2");
    run.map = CaseMap::new(version_two());
    assert_eq!(run.case.done(), same.keys().cloned().collect());
    let r = run.refused(
        "pavel",
        Command::Sign {
            step: "physician_order".into(),
            meaning: crate::process_map::SignatureMeaning::Approved,
            password_reentered: true,
            entry: Entry::default(),
        },
    );
    assert_eq!(
        r.to_string(),
        "Physician order waits for Fitness for infusion"
    );
    run.done("follow_up");
}

#[test]
fn a_migration_cannot_leave_a_done_step_after_one_not_done() {
    let mut run = Run::opened(car_t());
    run.done("pharmacist_verification");
    let same = each_done_step_to_itself(&run.case);
    let r = run.refused("carla", migrate(same, true));
    assert!(
        r.to_string().contains("in the new version Fitness for infusion comes before Physician order, which would be done while it is not"),
        "{r}"
    );
}

/// A walk that meets every event type: the CAR-T case with a hold, a repeat, a skip, a
/// scan mismatch, a deviation, a migration and, at the end, a cancellation.
fn every_kind_of_event() -> Run {
    let mut run = Run::opened(car_t());
    run.ok(
        "carla",
        Command::VerifyBenefits {
            payer: "Great Lakes Health Plan".into(),
            plan: "PPO Gold".into(),
            prior_authorization: PriorAuthorization {
                status: PriorAuthorizationStatus::Pending,
                requested_on: Date::of_micros(run.now),
                decided_on: None,
                reference: "PA-118204".into(),
            },
        },
    );
    run.ok("carla", consent(ConsentStatus::Active, "Carla Ruiz"));
    run.ok(
        "carla",
        Command::Hold {
            reason: "dental work first".into(),
        },
    );
    run.ok(
        "carla",
        Command::Resume {
            note: "done".into(),
        },
    );
    run.done("collection");
    run.ok(
        "arun",
        Command::Repeat {
            step: "collection".into(),
            reason: "bag leaked".into(),
        },
    );
    run.done("collection");
    run.ok(
        "pavel",
        Command::Skip {
            step: "bridging_therapy".into(),
            reason: "not needed".into(),
        },
    );
    run.through("courier_handoff");
    run.refused(
        "arun",
        Command::Act {
            step: "courier_handoff".into(),
            entry: Entry::default(),
            action: Action::Handoff(Handoff {
                items: vec![],
                from: "apheresis unit".into(),
                to: "courier".into(),
                scan: Some(Scan {
                    expected: IdentifierKind::Isbt128Din,
                    text: OTHER_DIN.into(),
                }),
                temperature: Temperature::InRange,
                location: None,
            }),
        },
    );
    run.through("physician_order");
    let same = each_done_step_to_itself(&run.case);
    run.ok("carla", migrate(same, true));
    run.map = CaseMap::new(version_two());
    run.ok(
        "celia",
        Command::EndUnit {
            unit: "cd8".into(),
            disposition: Disposition::Returned {
                reason: "bag cracked on receipt".into(),
            },
        },
    );
    run.done("monitoring");
    run.wait(60);
    {
        use crate::events::cases::{AdverseEventKind, AdverseEventOutcome, Findings, Treatment};
        use crate::toxicity::{CrsObservations, Oxygen};
        let crs = |litres_per_minute| {
            Findings::Crs(CrsObservations {
                temperature_tenths_c: Some(388),
                oxygen: Oxygen::NasalCannula { litres_per_minute },
                ..Default::default()
            })
        };
        run.ok(
            "nina",
            Command::RecordAdverseEvent {
                kind: AdverseEventKind::Crs,
                onset_at: run.now - minutes(20),
                observations: vec![NewObservation {
                    at: run.now,
                    findings: crs(5),
                }],
            },
        );
        run.wait(30);
        run.ok(
            "nina",
            Command::ObserveAdverseEvent {
                adverse_event: 1,
                observation: NewObservation {
                    at: run.now,
                    findings: crs(9),
                },
            },
        );
        run.ok(
            "pavel",
            Command::TreatAdverseEvent {
                adverse_event: 1,
                treatment: Treatment::Steroids,
                given_at: run.now,
                detail: "dexamethasone 10 mg IV".into(),
            },
        );
        run.ok(
            "pavel",
            Command::AdverseEventOutcome {
                adverse_event: 1,
                outcome: AdverseEventOutcome::Resolved {
                    on: Date::of_micros(run.now),
                },
            },
        );
    }
    let today = Date::of_micros(run.now);
    run.ok(
        "dana",
        Command::SubmitRegistryForm {
            key: "cibmtr-4006-day-0".into(),
            submitted_on: today,
            reference: "FN-4006-1".into(),
        },
    );
    run.ok(
        "carla",
        Command::Cancel {
            care_transition_note: "moved to another state".into(),
        },
    );
    run
}

#[test]
fn every_case_event_reads_back_into_its_type_and_writes_the_same_payload() {
    let run = every_kind_of_event();
    struct Kinds(Vec<&'static str>);
    impl Visit for Kinds {
        fn event<E: Event>(&mut self) {
            self.0.push(E::KIND);
        }
    }
    let mut kinds = Kinds(Vec::new());
    crate::events::cases::each(&mut kinds);
    let seen: std::collections::BTreeSet<&str> = run.kinds().into_iter().collect();
    for kind in &kinds.0 {
        assert!(seen.contains(kind), "the walk never recorded {kind}");
    }
    for event in &run.log {
        let payload = serde_json::to_value(event).expect("serializes");
        let back = CaseEvent::read(event.kind(), &payload)
            .expect("a case kind")
            .unwrap_or_else(|e| panic!("{}: {e}\n{payload}", event.kind()));
        assert_eq!(&back, event);
        assert_eq!(serde_json::to_value(&back).expect("serializes"), payload);
    }
    // the whole record folds to the same case, from nothing
    let folded = run.log.iter().fold(Case::default(), evolve);
    assert_eq!(folded, run.case);
    assert!(matches!(folded.status, CaseStatus::Cancelled { .. }));
    // a renamed field is refused
    let bad = serde_json::json!({"case_id": "c", "step": "s", "attempt": 1, "at": 0, "when": 1});
    assert!(
        CaseEvent::read("case.step_completed", &bad)
            .expect("a case kind")
            .is_err()
    );
    assert!(CaseEvent::read("site.created", &bad).is_none());
    let _ = Outcome::Recorded;
}

#[test]
fn a_unit_ended_before_its_turn_takes_its_own_steps_with_it() {
    let mut run = Run::opened(car_t());
    run.done("receipt_and_storage");
    let end = |unit: &str, disposition| Command::EndUnit {
        unit: unit.into(),
        disposition,
    };
    let returned = Disposition::Returned {
        reason: "bag cracked on receipt".into(),
    };
    let r = run.refused("carla", end("cd8", returned.clone()));
    assert!(
        r.to_string()
            .contains("ending a unit is done by cell lab or pharmacy or nurse"),
        "{r}"
    );
    let r = run.refused("celia", end("cd8", Disposition::InfusedWhole));
    assert!(
        r.to_string()
            .contains("an infusion is recorded at its administration step"),
        "{r}"
    );
    let r = run.refused("celia", end("cd9", returned.clone()));
    assert!(
        r.to_string()
            .contains("cd9 is not a unit of this product (cd4, cd8)"),
        "{r}"
    );
    run.ok("celia", end("cd8", returned.clone()));
    let r = run.refused("celia", end("cd8", returned));
    assert!(
        r.to_string()
            .starts_with("CD8+ component is ended (returned: bag cracked"),
        "{r}"
    );

    run.done("administer_cd4");
    let r = run.refused(
        "celia",
        Command::Act {
            step: "thaw_cd8".into(),
            entry: Entry::default(),
            action: Action::Thaw,
        },
    );
    assert!(r.to_string().starts_with("CD8+ component is ended"), "{r}");
    let open: Vec<String> = available(&run.map, &run.case)
        .into_iter()
        .map(|a| a.step)
        .collect();
    assert_eq!(
        open,
        ["monitoring"],
        "the CD8 path is settled; monitoring follows the CD4 infusion"
    );
    run.done("follow_up");
    assert_eq!(
        run.case.units["cd4"].disposition,
        Some(Disposition::InfusedWhole)
    );
}

#[test]
fn benefits_are_verified_by_finance_or_the_coordinator_with_a_prior_authorization_that_adds_up() {
    let mut run = Run::opened(car_t());
    let today = Date::of_micros(run.now);
    let verify = |status, requested_on: Date, decided_on: Option<Date>| Command::VerifyBenefits {
        payer: "Great Lakes Health Plan".into(),
        plan: "PPO Gold".into(),
        prior_authorization: PriorAuthorization {
            status,
            requested_on,
            decided_on,
            reference: "PA-118204".into(),
        },
    };
    use PriorAuthorizationStatus::*;
    for (who, command, refusal) in [
        (
            "nina",
            verify(Pending, today.clone(), None),
            "verifying benefits is done by finance or coordinator",
        ),
        (
            "carla",
            verify(Pending, today.plus_days(1), None),
            "cannot be requested after today",
        ),
        (
            "carla",
            verify(Pending, today.clone(), Some(today.clone())),
            "a pending one has no decision day",
        ),
        (
            "carla",
            verify(Approved, today.clone(), None),
            "needs the day it was decided",
        ),
        (
            "carla",
            verify(Denied, today.clone(), Some(today.plus_days(-1))),
            "on or after the day it was requested",
        ),
    ] {
        let r = run.refused(who, command);
        assert!(r.to_string().contains(refusal), "{r}");
    }
    run.ok(
        "carla",
        verify(Approved, today.plus_days(-3), Some(today.clone())),
    );
    let benefits = run.case.benefits.clone().expect("recorded");
    assert_eq!(benefits.prior_authorization.status, Approved);
    assert_eq!(benefits.by.role, Some(Role::Coordinator));
}

/// The patient's consent against version 3 of the case's site and program, in `status`.
fn consent(status: ConsentStatus, witness: &str) -> Command {
    consent_for(&Run::opened(car_t()).case, status, witness)
}

#[test]
fn consent_is_recorded_against_the_active_version_only() {
    let mut run = Run::opened(car_t());
    for (who, command, refusal) in [
        (
            "olga",
            consent(ConsentStatus::Active, "Carla Ruiz"),
            "by the health system, not the manufacturer",
        ),
        (
            "carla",
            consent(ConsentStatus::Retired, "Carla Ruiz"),
            "consent version 3 was retired on 2026-06-30: record the patient's consent against the active version",
        ),
        (
            "carla",
            consent(ConsentStatus::Draft, "Carla Ruiz"),
            "consent version 3 is a draft",
        ),
        ("carla", consent(ConsentStatus::Active, "  "), "the witness"),
    ] {
        let r = run.refused(who, command);
        assert!(r.to_string().contains(refusal), "{r}");
        assert_eq!(run.case.consent, None, "nothing recorded");
    }
    let Command::RecordConsent(mut other) = consent(ConsentStatus::Active, "Carla Ruiz") else {
        unreachable!()
    };
    other.version_site_id = "site_other".into();
    let r = run.refused("carla", Command::RecordConsent(other.clone()));
    assert!(r.to_string().contains("another site's or program's"), "{r}");
    other.version_site_id = run.case.site_id.clone();
    other.signed_on = Date::parse("2025-12-31").unwrap();
    let r = run.refused("carla", Command::RecordConsent(other));
    assert!(r.to_string().contains("took effect (2026-01-01)"), "{r}");
    run.ok("nina", consent(ConsentStatus::Active, "Carla Ruiz"));
    let c = run.case.consent.clone().expect("recorded");
    assert_eq!(
        (
            c.version_number,
            c.consented_by.as_str(),
            c.witness.as_str()
        ),
        (3, "patient", "Carla Ruiz")
    );
    assert_eq!(c.by.role, Some(Role::Nurse));
}

#[test]
fn the_consent_step_waits_for_the_patients_consent_recorded_against_the_active_version() {
    let mut run = Run::opened(car_t());
    run.through("consent");
    let step = run.step("consent").clone();
    assert!(
        step.params.consent,
        "the seed's consent step rests on the consent"
    );
    let attested = Entry {
        fields: Default::default(),
        attestation: Some(EhrAttestation {
            reference: "EPIC-CONSENT-991".into(),
            charted_at: run.now - command::minutes(30),
        }),
    };
    let record = |entry: Entry| Command::Act {
        step: "consent".into(),
        entry,
        action: Action::Record,
    };
    let r = run.refused("pavel", record(attested.clone()));
    assert_eq!(
        r.to_string(),
        "Informed consent rests on the patient's consent: record the patient's consent against the active consent version first"
    );
    assert!(run.case.current("consent").is_none(), "nothing recorded");
    // Nor skipped past it: the step is not optional, and a retired version does not count.
    let r = run.refused("carla", consent(ConsentStatus::Retired, "Marta Keel, RN"));
    assert!(r.to_string().contains("retired"), "{r}");
    assert!(!run.case.is_done("consent"));
    run.ok("carla", consent(ConsentStatus::Active, "Marta Keel, RN"));
    run.ok("pavel", record(attested));
    assert!(run.case.is_done("consent"));
    // A map whose consent step does not rest on it (a version signed before the flag) is
    // recorded as before.
    let (mut map, ctx) = seeds::autologous_car_t();
    map.steps
        .iter_mut()
        .find(|s| s.key == "consent")
        .expect("a consent step")
        .params
        .consent = false;
    let mut plain = Run::opened(CaseMap::new(validate(&map, &ctx).expect("valid")));
    plain.through("consent");
    let attested = Entry {
        fields: Default::default(),
        attestation: Some(EhrAttestation {
            reference: "EPIC-CONSENT-992".into(),
            charted_at: plain.now - command::minutes(30),
        }),
    };
    plain.ok("pavel", record(attested));
}
