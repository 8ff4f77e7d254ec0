//! Registry follow-up: the first infusion schedules the CIBMTR forms (derived from that day,
//! never entered); the site's data manager marks each submitted — refused before the
//! infusion, off the schedule, twice, dated after today, on a cancelled case, by another
//! role, with nothing written; a site's due and overdue forms are listed most urgent first,
//! cut to who may see its patients.

use super::support::*;
use cellpath_app::cases::{CaseInput, FormSubmission, FormsShown};
use cellpath_app::testing::{demo_registry_forms, infuse_stored_demo_case};
use cellpath_app::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::registry::FormStatus;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

const DAY_SECS: i64 = 86_400;

async fn submit(
    app: &App,
    by: &Caller,
    case_id: &str,
    key: &str,
    on: &Date,
    reference: &str,
) -> Result<i64, AppError> {
    app.submit_registry_form(
        by,
        case_id,
        key,
        FormSubmission {
            submitted_on: on.clone(),
            reference: reference.into(),
        },
        None,
        None,
    )
    .await
    .map(|o| o.fresh().unwrap().version)
}

async fn version(app: &App, case_id: &str) -> i64 {
    app.store().case(case_id).await.unwrap().unwrap().version
}

#[tokio::test]
async fn the_first_infusion_schedules_the_forms_and_the_data_manager_marks_one_submitted_once() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        let dm = as_user(&app, "data.manager@lakeshore.example").await;
        let today = today(&app);

        // before the infusion: no schedule, nothing written
        let before = version(&app, &case_id).await;
        let err = submit(&app, &dm, &case_id, "cibmtr-4006-day-0", &today, "FN-1")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("follow-up counts from the infusion, and no unit has been infused"),
            "{}: {err}",
            db.label
        );
        assert_eq!(version(&app, &case_id).await, before);
        assert!(app.case(&dm, &case_id).await.unwrap().registry.is_none());

        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        let view = app.case(&dm, &case_id).await.unwrap();
        assert!(view.submits_forms, "the data manager marks forms submitted");
        let registry = view.registry.expect("scheduled at the infusion");
        assert_eq!(registry.infused_on, today);
        assert_eq!(registry.forms.len(), 15, "{}", db.label);
        let form = |k: &str| {
            registry
                .forms
                .iter()
                .find(|f| f.scheduled.key == k)
                .unwrap()
        };
        assert_eq!(form("cibmtr-4006-day-0").status, FormStatus::Due);
        assert_eq!(form("cibmtr-4100-day-100").status, FormStatus::Upcoming);
        assert_eq!(
            form("cibmtr-4100-day-100").scheduled.due_on,
            today.plus_days(100)
        );
        assert_eq!(
            form("cibmtr-4100-day-365").status_text,
            format!("opens on {}", today.plus_days(365).words())
        );
        assert!(
            view.timeline.iter().any(|t| t
                .text
                .contains("scheduled 15 registry forms and 5 follow-up visits")),
            "{:?}",
            view.timeline
        );
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        assert!(
            !app.case(&coordinator, &case_id)
                .await
                .unwrap()
                .submits_forms
        );

        clock.advance_secs(3 * DAY_SECS);
        let today = cellpath_app::App::now(&app);
        let today = Date::of_micros(today);
        let before = version(&app, &case_id).await;
        // each refusal, nothing written
        for (by, key, on, reference, expected) in [
            (
                &coordinator,
                "cibmtr-4006-day-0",
                today.clone(),
                "FN-1",
                "marking a registry form submitted is done by data manager",
            ),
            (
                &dm,
                "cibmtr-4100-day-7",
                today.clone(),
                "FN-1",
                "cibmtr-4100-day-7 is not a registry form on the schedule of case VAN-LUH-MAIN-0007",
            ),
            (
                &dm,
                "cibmtr-4006-day-0",
                today.plus_days(1),
                "FN-1",
                "submitted_on: the day CIBMTR 4006 (at infusion) was submitted",
            ),
            (
                &dm,
                "cibmtr-4100-day-365",
                today.clone(),
                "FN-1",
                "its window opens on",
            ),
            (
                &dm,
                "cibmtr-4006-day-0",
                today.clone(),
                " ",
                "reference: the registry's reference",
            ),
        ] {
            let err = submit(&app, by, &case_id, key, &on, reference)
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains(expected),
                "{}: {key}: {err}",
                db.label
            );
            assert_eq!(version(&app, &case_id).await, before, "{key}");
        }
        let manufacturer = as_user(&app, "patient.ops@helixa.example").await;
        let err = submit(
            &app,
            &manufacturer,
            &case_id,
            "cibmtr-4006-day-0",
            &today,
            "FN-1",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, AppError::Forbidden(_) | AppError::Invalid(_)),
            "{err:?}"
        );

        // a stale If-Match is a conflict, nothing written
        let stale = app
            .submit_registry_form(
                &dm,
                &case_id,
                "cibmtr-4006-day-0",
                FormSubmission {
                    submitted_on: today.clone(),
                    reference: "FN-1".into(),
                },
                Some(before - 1),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");

        let v = submit(
            &app,
            &dm,
            &case_id,
            "cibmtr-4006-day-0",
            &today,
            "FN-4006-7781",
        )
        .await
        .unwrap();
        assert_eq!(v, before + 1);
        let again = submit(&app, &dm, &case_id, "cibmtr-4006-day-0", &today, "FN-again")
            .await
            .unwrap_err();
        assert!(
            matches!(&again, AppError::State(m) if m.contains("was already submitted on")),
            "{again:?}"
        );
        assert_eq!(version(&app, &case_id).await, before + 1);
        let form = app
            .case(&dm, &case_id)
            .await
            .unwrap()
            .registry
            .unwrap()
            .forms
            .into_iter()
            .find(|f| f.scheduled.key == "cibmtr-4006-day-0")
            .unwrap();
        assert_eq!(form.status, FormStatus::Submitted);
        assert_eq!(form.reference.as_deref(), Some("FN-4006-7781"));
        assert_eq!(form.status_text, format!("submitted on {}", today.words()));
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_sites_due_and_overdue_forms_are_listed_most_urgent_first_to_those_who_may_see_them() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        let infused = today(&app);
        let dm = as_user(&app, "data.manager@lakeshore.example").await;
        submit(
            &app,
            &dm,
            &case_id,
            "cibmtr-4003-day-0",
            &infused,
            "FN-4003-1",
        )
        .await
        .unwrap();
        // day 90: 4000 and 4006 overdue (closed on day 30), the day-100 form due (opened on
        // day 85), 4003 submitted
        clock.advance_secs(90 * DAY_SECS);
        let list = |caller: Caller, shown| {
            let app = &app;
            let site = ids.main.clone();
            async move {
                app.registry_forms_of_site(&caller, &site, shown, Page::first(50))
                    .await
            }
        };
        let open = list(dm.clone(), None).await.unwrap();
        let keys: Vec<(&str, FormStatus)> = open
            .iter()
            .map(|f| (f.form.scheduled.key.as_str(), f.form.status))
            .collect();
        assert_eq!(
            keys,
            [
                ("cibmtr-4000-day-30", FormStatus::Overdue),
                ("cibmtr-4006-day-0", FormStatus::Overdue),
                ("cibmtr-4100-day-100", FormStatus::Due),
            ],
            "{}",
            db.label
        );
        assert_eq!(open[0].pseudonym, "VAN-LUH-MAIN-0007");
        assert_eq!(open[0].program_name, "Vantacel");
        assert_eq!(
            open[0].form.status_text,
            format!(
                "overdue since {} (60 days late)",
                infused.plus_days(31).words()
            )
        );
        let due = list(dm.clone(), Some(FormsShown::Due)).await.unwrap();
        assert_eq!(due.len(), 1);
        let overdue = list(dm.clone(), Some(FormsShown::Overdue)).await.unwrap();
        assert_eq!(overdue.len(), 2);
        let submitted = list(dm.clone(), Some(FormsShown::Submitted)).await.unwrap();
        assert_eq!(
            (submitted.len(), submitted[0].form.reference.as_deref()),
            (1, Some("FN-4003-1"))
        );
        // paged
        let second = app
            .registry_forms_of_site(
                &dm,
                &ids.main,
                None,
                Page {
                    limit: 2,
                    offset: 2,
                },
            )
            .await
            .unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].form.scheduled.key, "cibmtr-4100-day-100");

        // who may see: the health system's staff, the partner manufacturer (the reference from
        // the chain-of-identity view up); Northbridge, partnered with Lakeshore too, none of
        // Helixa's cases; an unrelated health system not even the site
        for (email, sees, reference) in [
            ("coordinator@lakeshore.example", Some(1), true),
            ("contracts@lakeshore.example", Some(1), false),
            ("patient.ops@helixa.example", Some(1), true),
            ("quality@helixa.example", Some(1), false),
            ("patient.ops@northbridge.example", Some(0), false),
            ("data.manager@cascade.example", None, false),
        ] {
            let reader = as_user(&app, email).await;
            let got = list(reader.clone(), Some(FormsShown::Submitted)).await;
            let case = app.case(&reader, &case_id).await;
            match sees {
                Some(n) => {
                    let got = got.unwrap_or_else(|e| panic!("{email}: {e}"));
                    assert_eq!(got.len(), n, "{email}");
                    if n == 0 {
                        assert!(matches!(case, Err(AppError::NotFound(_))), "{email}");
                        continue;
                    }
                    assert_eq!(got[0].form.reference.is_some(), reference, "{email}");
                    let form = case
                        .unwrap()
                        .registry
                        .unwrap()
                        .forms
                        .into_iter()
                        .find(|f| f.scheduled.key == "cibmtr-4003-day-0")
                        .unwrap();
                    assert_eq!(form.reference.is_some(), reference, "{email}");
                }
                None => {
                    assert!(
                        matches!(got, Err(AppError::NotFound(_))),
                        "{email}: {got:?}"
                    );
                    assert!(matches!(case, Err(AppError::NotFound(_))), "{email}");
                }
            }
        }

        // an ended partnership still shows the manufacturer what was reported
        let helixa_contracts = as_user(&app, "contracts@helixa.example").await;
        set_status(&app, &helixa_contracts, &ids.partnership, "ended").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        assert_eq!(
            list(ops, Some(FormsShown::Submitted)).await.unwrap().len(),
            1
        );
    }
}

#[tokio::test]
async fn a_cancelled_case_takes_no_submission_and_leaves_the_sites_list() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        clock.advance_secs(40 * DAY_SECS);
        let dm = as_user(&app, "data.manager@lakeshore.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        app.act_on_case(
            &coordinator,
            &case_id,
            CaseInput::Cancel {
                care_transition_note: "moved to another state; records sent to Dr. Osei".into(),
            },
            "",
            None,
            None,
        )
        .await
        .unwrap();
        let before = version(&app, &case_id).await;
        let err = submit(
            &app,
            &dm,
            &case_id,
            "cibmtr-4006-day-0",
            &today(&app),
            "FN-1",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, AppError::State(m) if m.contains("was cancelled")),
            "{}: {err:?}",
            db.label
        );
        assert_eq!(version(&app, &case_id).await, before);
        assert!(
            app.registry_forms_of_site(&dm, &ids.main, None, Page::first(50))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_demo_marks_some_forms_submitted_and_leaves_others_overdue() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        // before the infusion it does nothing
        demo_registry_forms(&app, &case_id).await.unwrap();
        let before = version(&app, &case_id).await;
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        assert!(version(&app, &case_id).await > before);
        let infused = today(&app);
        clock.advance_secs(200 * DAY_SECS);
        demo_registry_forms(&app, &case_id).await.unwrap();
        let dm = as_user(&app, "data.manager@lakeshore.example").await;
        let forms = app
            .case(&dm, &case_id)
            .await
            .unwrap()
            .registry
            .unwrap()
            .forms;
        let status = |k: &str| forms.iter().find(|f| f.scheduled.key == k).unwrap();
        assert_eq!(status("cibmtr-4006-day-0").status, FormStatus::Submitted);
        assert_eq!(
            status("cibmtr-4006-day-0").submitted_on,
            Some(infused.clone())
        );
        assert_eq!(status("cibmtr-4003-day-0").status, FormStatus::Submitted);
        assert_eq!(status("cibmtr-4100-day-100").status, FormStatus::Submitted);
        assert_eq!(
            status("cibmtr-4100-day-100").submitted_on,
            Some(infused.plus_days(100))
        );
        assert_eq!(status("cibmtr-4000-day-30").status, FormStatus::Overdue);
        assert_eq!(status("cibmtr-4100-day-182").status, FormStatus::Due);
        assert_eq!(status("cibmtr-4100-day-365").status, FormStatus::Upcoming);
        let open = app
            .registry_forms_of_site(&dm, &ids.main, None, Page::first(50))
            .await
            .unwrap();
        assert_eq!(open.len(), 2, "{}: {open:?}", db.label);
        assert_replays(&app, db.label).await;
    }
}
