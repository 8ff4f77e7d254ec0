//! Adverse events on a case: recorded from the first infusion on by the site's clinicians,
//! each observation graded by `toxicity` and kept with its inputs, the event's grade the worst
//! of them (5 when fatal), treatment and outcome; refused before the infusion, on a cancelled
//! case, with bad entries by field — nothing written.

use super::*;
use crate::events::cases::{
    AdverseEventKind, AdverseEventOutcome, Findings, Observation, Treatment,
};
use crate::toxicity::{Consciousness, CrsObservations, IcansObservations, Oxygen};

fn crs(litres: u16) -> Findings {
    Findings::Crs(CrsObservations {
        temperature_tenths_c: Some(391),
        oxygen: Oxygen::NasalCannula {
            litres_per_minute: litres,
        },
        ..Default::default()
    })
}

fn at(run: &Run, findings: Findings) -> NewObservation {
    NewObservation {
        at: run.now,
        findings,
    }
}

fn record(run: &Run, findings: Findings) -> Command {
    Command::RecordAdverseEvent {
        kind: findings.kind(),
        onset_at: run.now - minutes(30),
        observations: vec![at(run, findings)],
    }
}

/// A CAR-T case with both bags infused.
fn infused() -> Run {
    let mut run = Run::opened(car_t());
    run.through("monitoring");
    run.wait(60);
    run
}

#[test]
fn an_adverse_event_is_graded_from_its_observations_and_keeps_the_worst() {
    let mut run = infused();
    let events = run.ok("nina", record(&run, crs(6)));
    assert_eq!(run.kinds().last(), Some(&"case.adverse_event_recorded"));
    assert_eq!(events.len(), 1);
    assert_eq!(
        run.case.adverse_events[&1].grade(),
        2,
        "6 L/min is low flow"
    );
    run.wait(30);
    run.ok(
        "nina",
        Command::ObserveAdverseEvent {
            adverse_event: 1,
            observation: at(&run, crs(7)),
        },
    );
    assert_eq!(
        run.case.adverse_events[&1].grade(),
        3,
        "7 L/min is high flow"
    );
    run.wait(30);
    run.ok(
        "pavel",
        Command::TreatAdverseEvent {
            adverse_event: 1,
            treatment: Treatment::Tocilizumab,
            given_at: run.now - minutes(10),
            detail: "8 mg/kg IV".into(),
        },
    );
    run.wait(600);
    run.ok(
        "noah",
        Command::ObserveAdverseEvent {
            adverse_event: 1,
            observation: at(&run, crs(2)),
        },
    );
    let ae = &run.case.adverse_events[&1];
    assert_eq!(ae.grade(), 3, "the worst observation sets the grade");
    assert_eq!(ae.observations.len(), 3);
    assert_eq!(ae.treatments[0].treatment, Treatment::Tocilizumab);
    let today = Date::of_micros(run.now);
    run.ok(
        "pavel",
        Command::AdverseEventOutcome {
            adverse_event: 1,
            outcome: AdverseEventOutcome::Resolved { on: today },
        },
    );
    assert!(run.case.adverse_events[&1].is_closed());
    // a second one is numbered 2; ICANS by ICE score
    let icans = Findings::Icans(IcansObservations {
        ice_score: Some(5),
        ..Default::default()
    });
    run.ok("nina", record(&run, icans));
    assert_eq!(run.case.adverse_events[&2].grade(), 2);
    assert_eq!(run.case.adverse_events[&2].kind, AdverseEventKind::Icans);
}

#[test]
fn a_closed_adverse_event_takes_nothing_more() {
    let mut run = infused();
    run.ok("nina", record(&run, crs(4)));
    let today = Date::of_micros(run.now);
    run.ok(
        "pavel",
        Command::AdverseEventOutcome {
            adverse_event: 1,
            outcome: AdverseEventOutcome::Resolved { on: today },
        },
    );
    let r = run.refused(
        "nina",
        Command::ObserveAdverseEvent {
            adverse_event: 1,
            observation: at(&run, crs(8)),
        },
    );
    assert!(matches!(r, Refusal::AdverseEventClosed { .. }), "{r}");
    assert!(r.to_string().contains("CRS #1 is resolved on"), "{r}");
    let r = run.refused(
        "nina",
        Command::ObserveAdverseEvent {
            adverse_event: 7,
            observation: at(&run, crs(8)),
        },
    );
    assert!(
        matches!(r, Refusal::UnknownAdverseEvent { number: 7, .. }),
        "{r}"
    );
}

#[test]
fn death_is_grade_5_and_closes_the_event_as_fatal() {
    let mut run = infused();
    run.ok("nina", record(&run, crs(4)));
    let events = run.ok(
        "pavel",
        Command::ObserveAdverseEvent {
            adverse_event: 1,
            observation: at(
                &run,
                Findings::Crs(CrsObservations {
                    died: true,
                    ..Default::default()
                }),
            ),
        },
    );
    assert_eq!(
        events.iter().map(CaseEvent::kind).collect::<Vec<_>>(),
        ["case.adverse_event_observed", "case.adverse_event_outcome"]
    );
    let ae = &run.case.adverse_events[&1];
    assert_eq!(ae.grade(), 5);
    assert!(matches!(
        ae.outcome.as_ref().map(|o| &o.outcome),
        Some(AdverseEventOutcome::Fatal { .. })
    ));
    // a fatal outcome recorded by hand is grade 5 as well
    run.ok("nina", record(&run, crs(3)));
    let today = Date::of_micros(run.now);
    run.ok(
        "pavel",
        Command::AdverseEventOutcome {
            adverse_event: 2,
            outcome: AdverseEventOutcome::Fatal { on: today },
        },
    );
    assert_eq!(run.case.adverse_events[&2].grade(), 5);
}

#[test]
fn not_before_the_first_infusion_nor_on_a_cancelled_case_nor_by_anyone() {
    let mut run = Run::opened(car_t());
    run.through("administer_cd4");
    let r = run.refused("nina", record(&run, crs(6)));
    assert!(matches!(r, Refusal::NotYetInfused { .. }), "{r}");
    assert!(r.to_string().contains("from the first infusion on"), "{r}");
    run.done("administer_cd4");
    run.wait(60);
    // one bag in is an infusion
    run.ok("nina", record(&run, crs(6)));
    for who in ["carla", "celia", "phil", "dana", "olga", "quinn"] {
        let r = run.refused(who, record(&run, crs(6)));
        assert!(
            matches!(r, Refusal::WrongRole { .. } | Refusal::WrongSide { .. }),
            "{who}: {r}"
        );
    }
    // on hold for the complication: still recorded
    run.ok(
        "pavel",
        Command::Hold {
            reason: "grade 3 CRS in the ICU".into(),
        },
    );
    run.ok(
        "nina",
        Command::ObserveAdverseEvent {
            adverse_event: 1,
            observation: at(&run, crs(8)),
        },
    );
    run.ok(
        "pavel",
        Command::Resume {
            note: "CRS settled".into(),
        },
    );
    run.ok(
        "carla",
        Command::Cancel {
            care_transition_note: "back to the referring oncologist".into(),
        },
    );
    let before = run.log.len();
    let r = run.refused("nina", record(&run, crs(6)));
    assert!(matches!(r, Refusal::Cancelled { .. }), "{r}");
    assert_eq!(run.log.len(), before, "nothing written");
}

#[test]
fn bad_entries_are_refused_by_field_and_nothing_is_written() {
    let mut run = infused();
    let infused_at = run.case.first_infusion().unwrap();
    let before = run.log.len();
    let bad = Command::RecordAdverseEvent {
        kind: AdverseEventKind::Crs,
        onset_at: infused_at - minutes(60),
        observations: vec![
            at(
                &run,
                Findings::Crs(CrsObservations {
                    temperature_tenths_c: Some(39),
                    ..Default::default()
                }),
            ),
            at(
                &run,
                Findings::Icans(IcansObservations {
                    ice_score: Some(4),
                    ..Default::default()
                }),
            ),
            NewObservation {
                at: run.now + minutes(5),
                findings: crs(4),
            },
        ],
    };
    let Refusal::Fields { problems } = run.refused("nina", bad) else {
        panic!("not refused by field")
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "onset",
            "observations[0].temperature_tenths_c",
            "observations[1].icans",
            "observations[2].at"
        ]
    );
    assert!(
        problems[0].message.contains("first infusion"),
        "{problems:?}"
    );
    let r = run.refused(
        "nina",
        Command::RecordAdverseEvent {
            kind: AdverseEventKind::Icans,
            onset_at: run.now,
            observations: vec![],
        },
    );
    assert!(r.to_string().contains("observations: record"), "{r}");
    let unarousable_scoring = Findings::Icans(IcansObservations {
        ice_score: Some(6),
        consciousness: Consciousness::Unarousable,
        ..Default::default()
    });
    let Refusal::Fields { problems } = run.refused("nina", record(&run, unarousable_scoring))
    else {
        panic!("not refused by field")
    };
    assert_eq!(problems[0].field, "observations[0].ice_score");
    assert_eq!(run.log.len(), before, "nothing written");
}

#[test]
fn a_payload_whose_grade_does_not_match_its_findings_is_refused_when_read() {
    let (o, _) = Observation::graded(T0, crs(7)).unwrap();
    let mut payload = serde_json::to_value(&o).unwrap();
    assert_eq!(payload["grade"], 3);
    let back: Observation = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(back, o);
    payload["grade"] = 1.into();
    let err = serde_json::from_value::<Observation>(payload).unwrap_err();
    assert!(
        err.to_string()
            .contains("records grade 1 but its findings are grade 3"),
        "{err}"
    );
    // and an adverse event with the other kind's observation
    let mut run = infused();
    let events = run.ok("nina", record(&run, crs(7)));
    let mut payload = serde_json::to_value(&events[0]).unwrap();
    payload["kind"] = "icans".into();
    let err = CaseEvent::read("case.adverse_event_recorded", payload)
        .unwrap()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a ICANS adverse event holds an observation of CRS")
            || err.to_string().contains("ICANS adverse event holds"),
        "{err}"
    );
}
