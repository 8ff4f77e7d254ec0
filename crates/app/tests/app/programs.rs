//! Programs: process maps drafted, validated and published; a program's own track template.

use crate::support::*;
use cellpath_app::{AppError, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn a_manufacturer_drafts_validates_and_publishes_a_process_map() {
    use cellpath_domain::process_map::ProcessMap;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let author = as_user(&app, "quality@northbridge.example").await;
        let program = app
            .store()
            .programs_of(&northbridge, Page::all())
            .await
            .unwrap()
            .remove(0);
        let v1 = app
            .published_map(&author, &program.id)
            .await
            .unwrap()
            .expect("the demo publishes version 1");
        assert_eq!((v1.number, v1.status.as_str()), (1, "published"));
        let map: ProcessMap = serde_json::from_value(v1.map.clone()).unwrap();

        // A published version never changes.
        let err = app
            .update_map_version(&author, &v1.id, v1.version, map.clone(), None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("published and never changes"),
            "{err}"
        );

        // A map with a cycle is refused with the reason, and nothing is stored.
        let head = app
            .store()
            .ledger_head(&northbridge)
            .await
            .unwrap()
            .unwrap()
            .seq;
        let mut cyclic = map.clone();
        let first = cyclic.steps[0].key.clone();
        let last = cyclic.steps.len() - 1;
        let last_key = cyclic.steps[last].key.clone();
        cyclic.steps[0].after.push(last_key);
        let err = app
            .create_map_version(&author, &program.id, cyclic, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        assert!(err.to_string().contains(&first), "{err}");
        assert_eq!(
            app.store()
                .ledger_head(&northbridge)
                .await
                .unwrap()
                .unwrap()
                .seq,
            head,
            "{}: nothing written",
            db.label
        );
        assert_eq!(
            app.store()
                .map_versions_of(&program.id)
                .await
                .unwrap()
                .len(),
            1
        );

        // A new draft, edited, then published.
        let mut v2_map = map.clone();
        v2_map.steps[0].name = "Order placed in the manufacturer's portal".into();
        let v2 = app
            .create_map_version(&author, &program.id, v2_map.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!((v2.number, v2.status.as_str()), (2, "draft"));
        v2_map.steps[0].name = "Order placed".into();
        let edited = app
            .update_map_version(&author, &v2.id, v2.version, v2_map.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_ne!(edited.content_hash, v2.content_hash);
        let stale = app
            .update_map_version(&author, &v2.id, v2.version, v2_map.clone(), None)
            .await;
        assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
        let published = app
            .publish_map_version(&author, &v2.id, edited.version, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(published.status, MapVersionStatus::Published);
        assert!(
            app.update_map_version(&author, &v2.id, published.version, map.clone(), None)
                .await
                .is_err()
        );

        // Removing a unit a published map administers is refused, naming the version.
        let mut facts = cellpath_domain::program::ProgramFacts {
            name: program.name.clone(),
            modality: program.modality.as_str().to_string(),
            units: serde_json::from_value(program.units.clone()).unwrap(),
            requires_dual_verification: program.requires_dual_verification,
            identifiers: serde_json::from_value(program.identifiers.clone()).unwrap(),
            list_prices: serde_json::from_value(program.list_prices.clone()).unwrap(),
        };
        facts.units[0].key = "renamed".into();
        let err = app
            .update_program(&author, &program.id, program.version, facts, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("map version"), "{err}");

        // Partners read it; others do not see it; partners do not edit it.
        let piedmont_nurse = as_user(&app, "nurse@piedmont.example").await;
        assert_eq!(
            app.map_versions(&piedmont_nurse, &program.id)
                .await
                .unwrap()
                .len(),
            2
        );
        let cascade = as_user(&app, "admin@cascade.example").await;
        assert!(matches!(
            app.program(&cascade, &program.id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.map_version(&cascade, &v2.id).await,
            Err(AppError::NotFound(_))
        ));
        let piedmont_admin = as_user(&app, "admin@piedmont.example").await;
        assert!(matches!(
            app.create_map_version(&piedmont_admin, &program.id, map, None)
                .await,
            Err(AppError::Forbidden(_))
        ));
        assert!(
            app.verify_ledger(&Caller::system("test"), &northbridge)
                .await
                .unwrap()
                .is_intact()
        );
    }
}

#[tokio::test]
async fn a_program_sets_its_own_track_template_and_an_unsound_one_is_refused() {
    use cellpath_domain::contracting::template::TrackTemplate;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let partner = as_user(&app, "pharmacy@lakeshore.example").await;
        let view = app.track_template(&partner, &ids.vantacel).await.unwrap();
        assert!(view.standard);
        assert_eq!(view.template, TrackTemplate::standard());

        let mut bad = TrackTemplate::standard();
        bad.items.retain(|i| i.key != "mock_shipment");
        let err = app
            .set_track_template(&onboarding, &ids.vantacel, 1, bad, None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "items: the gate needs mock_shipment; add it"
        );
        // A health system reads the manufacturer's template but does not change it.
        let err = app
            .set_track_template(&partner, &ids.vantacel, 1, TrackTemplate::standard(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");

        let mut slower = TrackTemplate::standard();
        slower.items[0].days = [45, 90, 180];
        let set = app
            .set_track_template(&onboarding, &ids.vantacel, 1, slower.clone(), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(set.version, 2);
        let view = app.track_template(&partner, &ids.vantacel).await.unwrap();
        assert!(!view.standard, "{}", db.label);
        assert_eq!(view.template, slower);
        // A stale version is a conflict.
        let err = app
            .set_track_template(&onboarding, &ids.vantacel, 1, slower, None)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict { .. }), "{err}");
        let plan = cellpath_app::contracting::plan_of_template(
            &view.template,
            &["north"],
            cellpath_planning::contracting::Strategy::DualTrack,
        )
        .unwrap();
        assert_eq!(plan.entries[0].days, [45.0, 90.0, 180.0]);
    }
}
