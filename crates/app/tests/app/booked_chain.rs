//! Who records the schedule step of a confirmed chain (issue 12): the job records the case's
//! apheresis scheduling step in the name of the person who asked for the day, and only when
//! their role owns that step at the site. A record names who did a step; the job never signs a
//! step for someone who did not ask. When the physician asked, the step stays open for its
//! role (the coordinator), in the coordinator's inbox, and the job ends without failing.

use super::support::*;
use super::waitlist::{fresh, only_day, waiting_for_its_apheresis_day};
use cellpath_app::views::inbox::InboxKind;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn a_chain_the_physician_asked_for_leaves_the_schedule_step_to_the_coordinator() {
    for db in TestDb::all().await {
        let (app, _clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let today = today(&app);
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let physician = as_user(&app, "physician@lakeshore.example").await;
        let x = today.plus_days(20);
        app.set_program_capacity(
            &onboarding,
            &ids.vantacel,
            only_day(&today, &x, 3),
            None,
            None,
        )
        .await
        .unwrap();
        let case = waiting_for_its_apheresis_day(&app, &ids, &coordinator).await;
        let b = fresh(
            app.request_booking(&physician, &case, x.as_str(), None)
                .await,
        );
        fresh(app.confirm_booking(&ops, &b.id, None, None).await);
        let version = app.store().case(&case).await.unwrap().unwrap().version;
        let run = app.run_due_jobs().await.unwrap();
        assert_eq!(run.failed, 0, "{}: the job ends without failing", db.label);
        app.record_booked_chain(&b.id).await.unwrap();
        // Nothing recorded in anyone's name…
        assert_eq!(
            app.store().case(&case).await.unwrap().unwrap().version,
            version,
            "{}",
            db.label
        );
        let view = app.case(&coordinator, &case).await.unwrap();
        assert_eq!(
            view.steps
                .iter()
                .find(|s| s.key == "apheresis_scheduling")
                .map(|s| s.state),
            Some("current"),
            "{}",
            db.label
        );
        // …and the step waits in the coordinator's inbox.
        let inbox = app
            .inbox(
                &coordinator,
                Page {
                    limit: 100_000,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        assert!(
            inbox.items.iter().any(|i| i.kind == InboxKind::JourneyStep
                && i.case_id.as_deref() == Some(case.as_str())
                && i.title.contains("pheresis")),
            "{}: {:?}",
            db.label,
            inbox
                .items
                .iter()
                .map(|i| (&i.title, &i.case_id))
                .collect::<Vec<_>>()
        );
        // The coordinator records it on the booked day.
        app.act_on_case(
            &coordinator,
            &case,
            cellpath_app::cases::CaseInput::Schedule {
                step: "apheresis_scheduling".into(),
                fields: Default::default(),
                attestation: None,
                on: x.clone(),
                slot: None,
            },
            "",
            None,
            None,
        )
        .await
        .unwrap();
    }
}
