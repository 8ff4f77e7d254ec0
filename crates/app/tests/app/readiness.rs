//! Readiness: the gap analysis on the seeded visits.

use crate::support::*;
use cellpath_app::{AppError, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn gap_analysis_on_the_seeded_visits_gives_the_expected_gaps() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let pship = app
            .store()
            .partnerships_of(&helixa, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == lakeshore)
            .unwrap()
            .id;
        let np = app
            .store()
            .partnerships_of(&northbridge, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == piedmont)
            .unwrap()
            .id;
        let vantacel = app
            .store()
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let corvigen = app
            .store()
            .programs_of(&northbridge, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let site = |org: String, code: &'static str| {
            let app = app.clone();
            async move {
                app.store()
                    .sites_of(&org, Page::all())
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|s| s.code == code)
                    .unwrap()
                    .id
            }
        };
        let viewer = as_user(&app, "nurse@lakeshore.example").await;
        let gaps = |view: &cellpath_app::readiness::ReadinessView| {
            let mut g: Vec<(String, Severity, GapStatus)> = view
                .gaps
                .iter()
                .map(|g| (g.requirement_key.clone(), g.severity, g.status))
                .collect();
            g.sort();
            g
        };

        // Main campus: the one blocking gap (tocilizumab) was closed with evidence and a signature.
        let main = app
            .readiness(
                &viewer,
                &pship,
                &site(lakeshore.clone(), "LUH-MAIN").await,
                &vantacel,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&main),
            [("tocilizumab".into(), Severity::Blocking, GapStatus::Closed)],
            "{}",
            db.label
        );
        assert_eq!((main.open_blocking, main.percent), (0, 87));
        let closed = &main.gaps[0];
        assert!(closed.evidence.as_ref().unwrap().contains("Par level"));
        let closing_event = app
            .store()
            .events(&pship, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "gap.updated")
            .unwrap();
        assert_eq!(
            app.store()
                .signatures_on(&closing_event.hash)
                .await
                .unwrap()
                .len(),
            1,
            "the closure is signed"
        );

        // North: transport too slow, no pharmacist signature, no tocilizumab on the unit.
        let north = app
            .readiness(
                &viewer,
                &pship,
                &site(lakeshore.clone(), "LUH-NORTH").await,
                &vantacel,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&north),
            [
                ("dual_signature".into(), Severity::Minor, GapStatus::Open),
                ("tocilizumab".into(), Severity::Blocking, GapStatus::Open),
                ("transport_time".into(), Severity::Major, GapStatus::Open),
            ]
        );
        assert_eq!(north.open_blocking, 1);
        let due: Vec<&str> = north.gaps.iter().map(|g| g.due_on.as_str()).collect();
        assert!(
            due.contains(&"2026-11-19")
                && due.contains(&"2026-12-19")
                && due.contains(&"2027-01-18"),
            "{due:?}"
        );

        // Piedmont for Corvigen: receiving hours start an hour late.
        let pviewer = as_user(&app, "nurse@piedmont.example").await;
        let pv = app
            .readiness(
                &pviewer,
                &np,
                &site(piedmont.clone(), "PVH-MAIN").await,
                &corvigen,
            )
            .await
            .unwrap();
        assert_eq!(
            gaps(&pv),
            [("receiving".into(), Severity::Major, GapStatus::Open)]
        );
        // Analysing again opens nothing new.
        let nb = as_user(&app, "onboarding@northbridge.example").await;
        assert!(
            app.analyze_gaps(&nb, &np, &site(piedmont, "PVH-MAIN").await, &corvigen)
                .await
                .unwrap()
                .is_empty()
        );

        // Closing needs evidence and the closer's password; a closed gap never reopens.
        let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
        let open = north
            .gaps
            .iter()
            .find(|g| g.requirement_key == "dual_signature")
            .unwrap();
        assert!(matches!(
            app.close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "  ",
                "cellpath-demo-2026",
                None
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "SOP updated",
                "wrong-password",
                None
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        let done = app
            .close_gap(
                &pharmacy,
                &open.id,
                open.version,
                "SOP CT-114 now requires the pharmacist's co-signature.",
                cellpath_app::demo::DEMO_PASSWORD,
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, GapStatus::Closed);
        assert!(
            app.close_gap(
                &pharmacy,
                &open.id,
                done.version,
                "again",
                cellpath_app::demo::DEMO_PASSWORD,
                None
            )
            .await
            .is_err()
        );
        assert!(
            app.verify_ledger(&Caller::system("t"), &pship)
                .await
                .unwrap()
                .is_intact()
        );
    }
}
