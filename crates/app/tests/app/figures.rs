//! Vein-to-vein figures: a case's collection, release and first infusion are projected with
//! its events and counted in the figures of whoever may see its patient — the health system's
//! staff, the manufacturer through an active or ended partnership — and of nobody else: another
//! manufacturer partnered with the same health system, a health system that holds only a
//! proposal, see none of it, and a site or program they cannot see is not found.

use super::support::*;
use cellpath_app::figures::{FiguresAsked, VeinToVein};
use cellpath_app::testing::infuse_stored_demo_case;
use cellpath_app::{App, Caller};
use cellpath_domain::figures::{JourneyStage, Span};
use cellpath_store::testing::TestDb;

fn asked(program: Option<&str>, site: Option<&str>) -> FiguresAsked {
    FiguresAsked {
        program: program.map(str::to_string),
        site: site.map(str::to_string),
    }
}

fn vein_to_vein_cases(v: &VeinToVein) -> usize {
    v.figures
        .spans
        .iter()
        .find(|s| s.span == Span::CollectionToInfusion)
        .and_then(|s| s.days)
        .map_or(0, |s| s.cases)
}

fn stage(v: &VeinToVein, stage: JourneyStage) -> usize {
    v.figures
        .by_stage
        .iter()
        .find(|s| s.stage == stage)
        .map_or(0, |s| s.cases)
}

async fn seen(app: &App, who: &Caller, a: FiguresAsked) -> VeinToVein {
    app.vein_to_vein(who, &a).await.unwrap()
}

#[tokio::test]
async fn an_infused_case_counts_for_both_sides_of_its_partnership_and_for_nobody_else() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let case_id = stored_case(&app, &ids).await;
        clock.advance_secs(86_400);
        infuse_stored_demo_case(&app, &case_id).await.unwrap();
        let row = app.store().case(&case_id).await.unwrap().unwrap();
        assert_eq!(row.pseudonym, "VAN-LUH-MAIN-0007");

        let ops = as_user(&app, "patient.ops@helixa.example").await;
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let hs_contracts = as_user(&app, "contracts@lakeshore.example").await;
        for who in [&ops, &coordinator, &hs_contracts] {
            // Vantacel's figures: the demo's other Vantacel cases at LUH-MAIN are open, one
            // cancelled — all counted by stage; the health system's network also holds its
            // Corvigen cases (one of them given).
            let network = seen(&app, who, asked(None, None)).await;
            let vantacel = seen(&app, who, asked(Some(&ids.vantacel), None)).await;
            assert_eq!(vein_to_vein_cases(&vantacel), 1);
            assert_eq!(stage(&vantacel, JourneyStage::Infused), 1);
            assert_eq!(vantacel.cases, 12);
            assert!(network.cases >= vantacel.cases);
            let main = vantacel
                .per_site
                .iter()
                .find(|l| l.site.id == ids.main)
                .expect("LUH-MAIN's line");
            assert_eq!(main.vein_to_vein.map(|s| s.cases), Some(1));
            // One program at one site: the same case.
            let one = seen(&app, who, asked(Some(&ids.vantacel), Some(&ids.main))).await;
            assert_eq!(vein_to_vein_cases(&one), 1);
            assert_eq!(
                one.site.as_ref().map(|s| s.name.as_str()),
                Some("Lakeshore University Hospital")
            );
            // Another site of the health system has none of its cases.
            let north = seen(&app, who, asked(None, Some(&ids.north))).await;
            assert_eq!(north.cases, 0);
            let rows = app
                .vein_to_vein_cases(who, &asked(None, None))
                .await
                .unwrap();
            let infused = rows
                .iter()
                .find(|r| r.pseudonym == "VAN-LUH-MAIN-0007")
                .expect("the infused case's row");
            assert_eq!(infused.stage, JourneyStage::Infused);
            assert!(infused.vein_to_vein_days.is_some());
            assert_eq!(infused.site, "Lakeshore University Hospital");
            assert_eq!(infused.program, "Vantacel");
        }

        // Northbridge partners with Lakeshore too, for Corvigen: at the site it sees its own
        // Corvigen cases only — Helixa's are not its own; Vantacel is not its program.
        let northbridge = as_user(&app, "patient.ops@northbridge.example").await;
        let theirs = seen(&app, &northbridge, asked(None, Some(&ids.main))).await;
        let corvigen_rows = app
            .vein_to_vein_cases(&northbridge, &asked(None, Some(&ids.main)))
            .await
            .unwrap();
        assert_eq!(theirs.cases, corvigen_rows.len());
        assert!(
            corvigen_rows.iter().all(|r| r.program == "Corvigen"),
            "{corvigen_rows:?}"
        );
        assert_eq!(
            outcome(
                app.vein_to_vein(&northbridge, &asked(Some(&ids.vantacel), None))
                    .await
            ),
            "not found"
        );
        assert!(
            app.vein_to_vein_cases(&northbridge, &asked(None, None))
                .await
                .unwrap()
                .iter()
                .all(|r| r.program == "Corvigen" && !r.pseudonym.starts_with("VAN-"))
        );
        // Cascade holds only Helixa's proposal: nothing of Lakeshore, its site not found.
        let cascade = as_user(&app, "coordinator@cascade.example").await;
        assert_eq!(seen(&app, &cascade, asked(None, None)).await.cases, 0);
        assert_eq!(
            outcome(
                app.vein_to_vein(&cascade, &asked(None, Some(&ids.main)))
                    .await
            ),
            "not found"
        );

        // An ended partnership keeps its record readable: Helixa still counts the case.
        set_status(&app, &hs_contracts, &ids.partnership, "ended").await;
        let after = seen(&app, &ops, asked(None, None)).await;
        assert_eq!(vein_to_vein_cases(&after), 1);
        assert_replays(&app, "figures").await;
    }
}
