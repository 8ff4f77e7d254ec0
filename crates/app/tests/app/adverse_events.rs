//! Graded adverse events on a case: recorded from the first infusion on by the site's nurses
//! and physicians, each observation graded from its inputs (6 → 7 L/min moves CRS from grade
//! 2 to 3), treated and resolved; refused before the infusion, on a cancelled case and with a
//! bad observation (422 by field) — nothing written; every demo person reads the events within
//! their view of the patient; the preview grades without writing; the demo's adverse events.

use super::support::*;
use cellpath_app::cases::{CaseView, NewAdverseEvent, ObservationInput, TreatmentInput};
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::events::cases::{AdverseEventKind, AdverseEventOutcome, CaseState, Treatment};
use cellpath_domain::journey::clock;
use cellpath_domain::policy::PatientView;
use cellpath_domain::toxicity::{CrsObservations, IcansObservations, Oxygen};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

/// A demo case of the launch whose product is in the cell lab's freezer, not yet infused.
async fn stored_case(app: &App, ids: &GateIds) -> CaseView {
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let id = app
        .stored_case(&ids.main)
        .await
        .unwrap()
        .expect("the demo has a stored case to infuse");
    app.case(&coordinator, &id).await.unwrap()
}

/// `YYYY-MM-DDTHH:MM` a number of minutes after `micros`, rounded up to the minute.
pub(crate) fn typed(micros: i64, minutes_after: i64) -> String {
    let m = (micros + 59_999_999).div_euclid(60_000_000) + minutes_after;
    clock(m * 60_000_000).replace(' ', "T")[..16].to_string()
}

pub(crate) fn crs_at(at: &str, litres_per_minute: u16) -> ObservationInput {
    ObservationInput {
        at: at.into(),
        crs: Some(CrsObservations {
            temperature_tenths_c: Some(390),
            oxygen: Oxygen::NasalCannula { litres_per_minute },
            ..Default::default()
        }),
        icans: None,
    }
}

pub(crate) fn new_crs(onset: &str, litres: u16) -> NewAdverseEvent {
    NewAdverseEvent {
        kind: AdverseEventKind::Crs,
        onset: onset.into(),
        observations: vec![crs_at(onset, litres)],
    }
}

fn fields(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(errors) => errors.iter().map(|f| f.field.clone()).collect(),
        other => panic!("not refused by field: {other:?}"),
    }
}

/// The demo's stored case taken through its first infusion an hour ago, with the site's nurse
/// and physician.
pub(crate) async fn infused(
    app: &App,
    clock: &cellpath_app::ManualClock,
) -> (CaseView, Caller, Caller) {
    let ids = gate_ids(app).await;
    let case = stored_case(app, &ids).await;
    app.through_first_infusion(&case.id).await.unwrap();
    clock.advance_secs(3_600);
    let nurse = as_user(app, "nurse@lakeshore.example").await;
    let physician = as_user(app, "physician@lakeshore.example").await;
    let case = app.case(&nurse, &case.id).await.unwrap();
    (case, nurse, physician)
}

#[tokio::test]
async fn a_crs_is_graded_as_observed_treated_and_resolved() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (case, nurse, physician) = infused(&app, &clock).await;
        let onset = typed(app.now(), -30);
        let now = typed(app.now(), -1);
        let acted = app
            .record_adverse_event(&nurse, &case.id, new_crs(&onset, 6), None, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let graded = acted.adverse_event.clone().unwrap();
        assert_eq!((graded.number, graded.grade), (1, 2), "{}", db.label);
        assert!(
            graded
                .because
                .contains(&"nasal cannula at 6 L/min: grade 2".to_string()),
            "{graded:?}"
        );
        assert_eq!(acted.version, case.version + 1);
        let acted = app
            .observe_adverse_event(
                &nurse,
                &case.id,
                1,
                crs_at(&now, 7),
                Some(acted.version),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let graded = acted.adverse_event.clone().unwrap();
        assert_eq!(graded.grade, 3, "7 L/min is high flow: {graded:?}");
        assert!(
            graded
                .because
                .contains(&"nasal cannula at 7 L/min: grade 3".to_string())
        );
        // If-Match with a version read before: 412-like conflict, nothing written
        let stale = app
            .treat_adverse_event(
                &physician,
                &case.id,
                1,
                TreatmentInput {
                    treatment: Treatment::Tocilizumab,
                    given_at: now.clone(),
                    detail: "8 mg/kg IV".into(),
                },
                Some(case.version),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");
        app.treat_adverse_event(
            &physician,
            &case.id,
            1,
            TreatmentInput {
                treatment: Treatment::Tocilizumab,
                given_at: now.clone(),
                detail: "8 mg/kg IV".into(),
            },
            None,
            None,
        )
        .await
        .unwrap();
        let today = today(&app);
        let acted = app
            .adverse_event_outcome(
                &physician,
                &case.id,
                1,
                AdverseEventOutcome::Resolved { on: today.clone() },
                None,
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            acted.adverse_event.unwrap().outcome,
            format!("resolved on {today}")
        );
        let view = app.case(&nurse, &case.id).await.unwrap();
        let ae = &view.adverse_events[0];
        assert_eq!((ae.label, ae.grade), ("CRS", 3));
        assert_eq!(
            ae.observations.iter().map(|o| o.grade).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(ae.treatments[0].treatment, Treatment::Tocilizumab);
        assert_eq!(ae.treatments[0].detail.as_deref(), Some("8 mg/kg IV"));
        assert_eq!(ae.outcome_text, format!("resolved on {today}"));
        assert!(
            view.timeline
                .iter()
                .any(|t| t.text.contains("recorded CRS #1") && t.text.contains("grade 2")),
            "{:?}",
            view.timeline
        );
        // closed: a new observation is refused (409), nothing written
        let closed = app
            .observe_adverse_event(&nurse, &case.id, 1, crs_at(&now, 9), None, None)
            .await
            .unwrap_err();
        assert!(matches!(closed, AppError::State(_)), "{closed:?}");
        assert!(
            closed.to_string().contains("CRS #1 is resolved on"),
            "{closed}"
        );
        let missing = app
            .observe_adverse_event(&nurse, &case.id, 9, crs_at(&now, 9), None, None)
            .await
            .unwrap_err();
        assert!(matches!(missing, AppError::NotFound(_)), "{missing:?}");
        assert_eq!(
            app.case(&nurse, &case.id).await.unwrap().version,
            view.version
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn refused_before_the_infusion_on_a_cancelled_case_and_with_bad_entries_nothing_written() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let now = typed(app.now(), -1);
        // before the infusion
        let stored = stored_case(&app, &ids).await;
        let before = app
            .record_adverse_event(&nurse, &stored.id, new_crs(&now, 6), None, None)
            .await
            .unwrap_err();
        assert!(matches!(before, AppError::State(_)), "{before:?}");
        assert!(
            before.to_string().contains("from the first infusion on"),
            "{before}"
        );
        // a cancelled case
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let cancelled = app
            .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == CaseState::Cancelled)
            .expect("the demo's cancelled case");
        let refused = app
            .record_adverse_event(&nurse, &cancelled.id, new_crs(&now, 6), None, None)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("was cancelled"), "{refused}");
        assert_eq!(
            app.case(&nurse, &cancelled.id).await.unwrap().version,
            cancelled.version
        );
        // bad entries, by field
        let (case, nurse, _) = infused(&app, &clock).await;
        let now = typed(app.now(), -1);
        let mut bad = new_crs(&now, 0);
        bad.observations.push(ObservationInput {
            at: "yesterday".into(),
            crs: None,
            icans: None,
        });
        let e = app
            .record_adverse_event(&nurse, &case.id, bad, None, None)
            .await
            .unwrap_err();
        assert_eq!(
            fields(&e),
            ["observations[1].at", "observations[1].findings"]
        );
        let e = app
            .record_adverse_event(&nurse, &case.id, new_crs(&now, 0), None, None)
            .await
            .unwrap_err();
        assert_eq!(fields(&e), ["observations[0].oxygen"], "{e}");
        assert!(e.to_string().contains("litres per minute"), "{e}");
        let mut icans_in_crs = new_crs(&now, 4);
        icans_in_crs.observations[0].crs = None;
        icans_in_crs.observations[0].icans = Some(IcansObservations {
            ice_score: Some(12),
            ..Default::default()
        });
        let e = app
            .record_adverse_event(&nurse, &case.id, icans_in_crs, None, None)
            .await
            .unwrap_err();
        assert_eq!(fields(&e), ["observations[0].icans"], "the kind first: {e}");
        let early = new_crs("2020-01-01T10:00", 4);
        let e = app
            .record_adverse_event(&nurse, &case.id, early, None, None)
            .await
            .unwrap_err();
        assert!(fields(&e).contains(&"onset".to_string()), "{e}");
        assert!(e.to_string().contains("first infusion"), "{e}");
        let after = app.case(&nurse, &case.id).await.unwrap();
        assert_eq!(after.version, case.version, "{}: nothing written", db.label);
        assert!(after.adverse_events.is_empty());
        // a coordinator, a cell lab technologist, the manufacturer: not theirs to record
        for email in [
            "coordinator@lakeshore.example",
            "cell.lab@lakeshore.example",
            "patient.ops@helixa.example",
        ] {
            let who = as_user(&app, email).await;
            let e = app
                .record_adverse_event(&who, &case.id, new_crs(&now, 4), None, None)
                .await
                .unwrap_err();
            assert!(
                matches!(e, AppError::Invalid(_) | AppError::Forbidden(_)),
                "{email}: {e:?}"
            );
        }
        assert_eq!(
            app.case(&nurse, &case.id).await.unwrap().version,
            case.version
        );
    }
}

#[tokio::test]
async fn every_demo_person_reads_the_graded_events_within_their_view_and_the_preview_writes_nothing()
 {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (case, nurse, physician) = infused(&app, &clock).await;
        let now = typed(app.now(), -1);
        app.record_adverse_event(&nurse, &case.id, new_crs(&now, 7), None, None)
            .await
            .unwrap();
        app.treat_adverse_event(
            &physician,
            &case.id,
            1,
            TreatmentInput {
                treatment: Treatment::Steroids,
                given_at: now.clone(),
                detail: "dexamethasone 10 mg IV for Rosa".into(),
            },
            None,
            None,
        )
        .await
        .unwrap();
        let full = app.case(&nurse, &case.id).await.unwrap();
        let name = full.patient.as_ref().unwrap().name.clone();
        let mrn = full.patient.as_ref().unwrap().mrn.clone().unwrap();
        let version = full.version;
        let mut people = Vec::new();
        for org in app.store().organizations(Page::all()).await.unwrap() {
            people.extend(app.store().users_of(&org.id, Page::all()).await.unwrap());
        }
        let mut seen = 0;
        for person in people.iter().filter(|p| p.active) {
            let reader = as_user(&app, &person.email).await;
            // the preview: any signed-in person, nothing written
            let preview = app
                .preview_crs(
                    &reader,
                    &CrsObservations {
                        temperature_tenths_c: Some(385),
                        oxygen: Oxygen::NasalCannula {
                            litres_per_minute: 6,
                        },
                        ..Default::default()
                    },
                )
                .unwrap();
            assert_eq!(preview.grade, 2);
            match app.case(&reader, &case.id).await {
                Err(AppError::NotFound(_)) => {
                    let e = app
                        .observe_adverse_event(&reader, &case.id, 1, crs_at(&now, 3), None, None)
                        .await
                        .unwrap_err();
                    assert!(
                        matches!(e, AppError::NotFound(_)),
                        "{}: {e:?}",
                        person.email
                    );
                }
                Err(other) => panic!("{}: {other:?}", person.email),
                Ok(view) => {
                    seen += 1;
                    let json = serde_json::to_string(&view).unwrap();
                    assert_eq!(view.adverse_events.len(), 1, "{}", person.email);
                    assert_eq!(view.adverse_events[0].grade, 3, "{}", person.email);
                    assert_eq!(
                        json.contains(&name),
                        view.view >= PatientView::ChainOfIdentity,
                        "{}",
                        person.email
                    );
                    assert_eq!(json.contains(&mrn), view.view == PatientView::Full);
                    assert_eq!(
                        json.contains("dexamethasone 10 mg IV for Rosa"),
                        view.view >= PatientView::ChainOfIdentity,
                        "{}: the words typed about a treatment",
                        person.email
                    );
                    assert_eq!(
                        view.may_record_adverse_events,
                        matches!(person.role, Role::Nurse | Role::Physician)
                            && view.view == PatientView::Full,
                        "{}",
                        person.email
                    );
                }
            }
        }
        assert!(seen > 10, "{seen} readers");
        assert_eq!(app.case(&nurse, &case.id).await.unwrap().version, version);
        let bad = app
            .preview_icans(
                &nurse,
                &IcansObservations {
                    ice_score: Some(11),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(fields(&bad), ["ice_score"]);
    }
}

#[tokio::test]
async fn the_demos_adverse_events_on_an_infused_case() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (case, nurse, _) = infused(&app, &clock).await;
        cellpath_app::demo::record_adverse_events(&app, &case.id)
            .await
            .unwrap();
        let view = app.case(&nurse, &case.id).await.unwrap();
        let summary: Vec<(&str, u8, &str)> = view
            .adverse_events
            .iter()
            .map(|a| (a.label, a.grade, a.outcome_text.split(' ').next().unwrap()))
            .collect();
        assert_eq!(summary, [("CRS", 3, "resolved"), ("ICANS", 2, "ongoing")]);
        assert_eq!(
            view.adverse_events[0].treatments[0].treatment,
            Treatment::Tocilizumab
        );
        assert_eq!(
            view.adverse_events[1].treatments[0].treatment,
            Treatment::Steroids
        );
        assert_replays(&app, db.label).await;
    }
}
