//! Registry follow-up on a case: the first infusion schedules the forms of the map's
//! `follow_up` step (counted from that day), and the data manager marks each submitted —
//! once, on a day inside or after its window and not after today, on a case not cancelled.

use super::*;
use crate::events::cases::RegistryScheduled;

fn submit(key: &str, on: &Date, reference: &str) -> Command {
    Command::SubmitRegistryForm {
        key: key.into(),
        submitted_on: on.clone(),
        reference: reference.into(),
    }
}

fn scheduled(events: &[CaseEvent]) -> Option<&RegistryScheduled> {
    events.iter().find_map(|e| match e {
        CaseEvent::RegistryScheduled(r) => Some(r),
        _ => None,
    })
}

const DAY: i64 = 24 * 60;

#[test]
fn the_first_infusion_schedules_the_tracks_forms_and_the_second_does_not() {
    let mut run = Run::opened(car_t());
    let today = Date::of_micros(run.now);
    let refused = run.refused("dana", submit("cibmtr-4006-day-0", &today, "FN-1"));
    assert_eq!(refused, Refusal::NotInfused, "{refused}");
    run.done("administer_cd4");
    let registry = scheduled(&run.log)
        .expect("scheduled at the first infusion")
        .clone();
    let infused = Date::of_micros(run.case.first_infusion().expect("infused"));
    assert_eq!(registry.infused_on, infused);
    assert_eq!(registry.step, "follow_up");
    assert_eq!(
        registry.track,
        Some(crate::process_map::FollowUpTrack::Standard)
    );
    let by_key = |k: &str| registry.forms.iter().find(|f| f.key == k).expect(k);
    let day_100 = by_key("cibmtr-4100-day-100");
    assert_eq!(
        (&day_100.opens_on, &day_100.due_on, &day_100.closes_on),
        (
            &infused.plus_days(85),
            &infused.plus_days(100),
            &infused.plus_days(115)
        )
    );
    assert_eq!(
        by_key("cibmtr-4000-day-30").closes_on,
        infused.plus_days(30)
    );
    assert_eq!(registry.visits.len(), 5);
    assert_eq!(run.case.registry.as_ref(), Some(&registry));
    // the second unit's infusion leaves the schedule as it was
    let before = run.log.len();
    run.done("administer_cd8");
    assert!(scheduled(&run.log[before..]).is_none(), "{:?}", run.kinds());
}

#[test]
fn the_data_manager_marks_a_form_submitted_once_and_not_before_its_window() {
    let mut run = Run::opened(car_t());
    run.done("administer_cd4");
    run.wait(2 * DAY);
    let today = Date::of_micros(run.now);
    let infused = run
        .case
        .registry
        .as_ref()
        .expect("scheduled")
        .infused_on
        .clone();

    // not the coordinator, not the manufacturer: the follow-up step's role at the site
    let r = run.refused("carla", submit("cibmtr-4006-day-0", &today, "FN-1"));
    assert!(matches!(r, Refusal::WrongRole { .. }), "{r}");
    let r = run.refused("olga", submit("cibmtr-4006-day-0", &today, "FN-1"));
    assert!(matches!(r, Refusal::WrongSide { .. }), "{r}");
    // not on the schedule
    let r = run.refused("dana", submit("cibmtr-4100-day-7", &today, "FN-1"));
    assert_eq!(
        r.to_string(),
        "cibmtr-4100-day-7 is not a registry form on the schedule of case VAN-LUH-0042"
    );
    // a day after today
    let r = run.refused(
        "dana",
        submit("cibmtr-4006-day-0", &today.plus_days(1), "FN-1"),
    );
    assert!(r.to_string().contains("is after today"), "{r}");
    // before its window opens: the 1-year form two days after the infusion
    let r = run.refused("dana", submit("cibmtr-4100-day-365", &today, "FN-1"));
    assert!(
        r.to_string()
            .contains(&format!("its window opens on {}", infused.plus_days(365))),
        "{r}"
    );
    // no reference
    let r = run.refused("dana", submit("cibmtr-4006-day-0", &today, "  "));
    assert!(r.to_string().contains("the registry's reference"), "{r}");
    assert!(
        run.case.submitted.is_empty(),
        "nothing written by a refusal"
    );

    let events = run.ok("dana", submit("cibmtr-4006-day-0", &today, "FN-4006-17"));
    let [CaseEvent::RegistryFormSubmitted(s)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(
        (s.form.as_str(), s.reference.as_str(), &s.submitted_on),
        ("CIBMTR 4006", "FN-4006-17", &today)
    );
    assert_eq!(s.by.role, Some(Role::DataManager));
    let r = run.refused("dana", submit("cibmtr-4006-day-0", &today, "FN-again"));
    assert_eq!(
        r.to_string(),
        format!(
            "CIBMTR 4006 (at infusion) was already submitted on {today} (reference FN-4006-17)"
        )
    );
    assert!(r.is_conflict());
}

#[test]
fn a_cancelled_case_takes_no_submission_and_a_held_one_does() {
    let mut run = Run::opened(car_t());
    run.done("administer_cd4");
    let today = Date::of_micros(run.now);
    run.ok(
        "carla",
        Command::Hold {
            reason: "in intensive care".into(),
        },
    );
    run.ok("dana", submit("cibmtr-4003-day-0", &today, "FN-4003-1"));
    run.ok(
        "carla",
        Command::Resume {
            note: "back".into(),
        },
    );
    run.ok(
        "carla",
        Command::Cancel {
            care_transition_note: "care back to the referring oncologist".into(),
        },
    );
    let r = run.refused("dana", submit("cibmtr-4006-day-0", &today, "FN-4006-1"));
    assert!(matches!(r, Refusal::Cancelled { .. }), "{r}");
}

#[test]
fn the_in_vivo_map_schedules_its_own_registry_without_a_track() {
    let mut run = Run::opened(in_vivo());
    run.done("administration");
    let registry = scheduled(&run.log).expect("scheduled");
    assert_eq!(registry.track, None);
    let keys: Vec<&str> = registry.forms.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        (1..=5)
            .map(|y| format!("gene-therapy-ltfu-registry-demo-day-{}", 365 * y))
            .collect::<Vec<_>>()
    );
    assert_eq!(registry.forms[4].when, "5 years");
    assert_eq!(registry.visits[0], registry.infused_on.plus_days(182));
}
