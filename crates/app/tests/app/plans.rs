//! Live plans: what is done, what is estimated, and agreement with the gate.

use crate::support::*;
use cellpath_app::{App, AppError, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

/// The live plan of Helixa × Lakeshore for Vantacel on the demo: the central agreements and
/// LUH-MAIN's items are done at their real dates; LUH-NORTH and LUH-CANCER have only the
/// central ones and the release-exception protocol (agreed by both sides for the partnership's
/// program, so done for every site on the day it was agreed), so each waits on its own chain
/// from today — quality 45 → site map 40 → training 14 → mock shipment 10 = 109 days under
/// dual-track. Under sequential contracting a site's items are one chain in the template's
/// order; the protocol, done, ends its first part there: quality → … → qualification audit
/// (160 days), while pharmacy and therapeutics 35 → training 14 → mock shipment 10 follow the
/// done protocol from today (before, 239 days: the protocol's 20 and those 59 after the audit).
#[tokio::test]
async fn the_live_plan_fixes_what_is_done_and_estimates_the_rest_from_today() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        clock.advance_secs(30 * 86_400);
        let today = today(&app);
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let plan = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        assert_eq!(
            plan.start, "2025-06-01",
            "{}: the earliest done day",
            db.label
        );
        assert_eq!(plan.today, today.as_str());
        let done: Vec<(&str, &str)> = plan
            .done
            .iter()
            .map(|d| (d.instance.as_str(), d.on.as_str()))
            .collect();
        for expected in [
            ("msa", "2025-06-01"),
            ("terms", "2025-06-01"),
            ("data_protection", "2025-06-01"),
            ("LUH-MAIN:quality", "2025-06-01"),
            // The consent counts from the day the demo made its consent version active.
            ("LUH-MAIN:consent", "2025-11-24"),
            // The protocol from the day both sides signed it, for every site.
            ("LUH-MAIN:release_protocol", "2025-11-24"),
            ("LUH-NORTH:release_protocol", "2025-11-24"),
            ("LUH-MAIN:mock_shipment", "2025-10-15"),
        ] {
            assert!(
                done.contains(&expected),
                "{}: {expected:?} in {done:?}",
                db.label
            );
        }
        assert_eq!(
            done.iter()
                .filter(|(i, _)| i.starts_with("LUH-NORTH:"))
                .collect::<Vec<_>>(),
            [&("LUH-NORTH:release_protocol", "2025-11-24")],
            "{}: LUH-NORTH's quality agreement is only negotiating; only the partnership's protocol is done there",
            db.label
        );
        let site = |code: &str| plan.sites.iter().find(|s| s.site_code == code).unwrap();

        let main = site("LUH-MAIN");
        assert_eq!(main.status, "authorized", "{}", db.label);
        assert_eq!(main.since.as_deref(), Some("2025-11-24"));
        assert!(main.prediction.is_none() && main.blockers.is_empty());
        assert_eq!((main.done, main.items), (12, 12), "{}", db.label);

        let north = site("LUH-NORTH");
        assert_eq!(north.status, "onboarding");
        assert_eq!(north.days_in_onboarding, 30, "{}", db.label);
        assert_eq!(
            (north.done, north.items),
            (4, 12),
            "{}: the central three and the agreed protocol",
            db.label
        );
        let predicted = north.prediction.as_ref().unwrap();
        assert_eq!(
            predicted.planned,
            today.plus_days(109).as_str(),
            "{}",
            db.label
        );
        assert!(predicted.p50 <= predicted.p90, "{predicted:?}");
        assert!(predicted.p90 > predicted.planned, "{predicted:?}");
        // North's blocking gap is due on a day: the date to promise is not before it.
        let gap_due = app
            .store()
            .gaps_of_site(&ids.north)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.severity == Severity::Blocking && g.status == GapStatus::Open)
            .unwrap()
            .due_on;
        assert!(
            predicted.p90.as_str() >= gap_due.as_str(),
            "{predicted:?} vs {gap_due}"
        );
        assert!(
            north
                .blockers
                .iter()
                .any(|b| b.text == "Quality agreement: not executed (negotiating)"),
            "{:?}",
            north.blockers
        );
        assert_eq!(
            plan.sequential.last_site.planned,
            today.plus_days(160).as_str(),
            "{}: sequential contracting does the site items one after another",
            db.label
        );
        assert_eq!(plan.days_saved[0], 160 - 109, "{}", db.label);
        // The chain that sets the last site's day starts today, not at a done item.
        let path = &plan.dual_track.critical_path;
        let last_site = path[0].split(':').next().unwrap();
        assert!(["LUH-NORTH", "LUH-CANCER"].contains(&last_site), "{path:?}");
        assert_eq!(
            path.iter()
                .map(|i| i.strip_prefix(&format!("{last_site}:")).unwrap_or(i))
                .collect::<Vec<_>>(),
            ["quality", "workflows", "staff_training", "mock_shipment"],
            "{}",
            db.label
        );

        // Recording LUH-NORTH's mock shipment takes its last 10 days off its chain.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        DeliverableBuilder::new(&ids.partnership, &ids.north, &ids.vantacel, "mock_shipment")
            .with_done_on(today.as_str())
            .with_evidence("Mock shipment received and stored.")
            .record(&app, &onboarding)
            .await;
        let again = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        let north = site_of(&again, "LUH-NORTH");
        assert_eq!(north.done, 5);
        assert_eq!(
            north.prediction.as_ref().unwrap().planned,
            today.plus_days(99).as_str(),
            "{}",
            db.label
        );
        // The same state gives the same dates.
        let third = app
            .live_plan(&pharmacist, &ids.partnership, &ids.vantacel, today.clone())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&third).unwrap(),
            serde_json::to_value(&again).unwrap()
        );

        // Bad input: a day before the partnership's record starts, another maker's program.
        let err = app
            .live_plan(
                &pharmacist,
                &ids.partnership,
                &ids.vantacel,
                cellpath_domain::Date::parse("2020-01-01").unwrap(),
            )
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("today: 2020-01-01 is before"),
            "{err}"
        );
        let corvigen = app
            .store()
            .programs_of(
                &org_id(&app, "Northbridge Gene Medicines").await,
                Page::all(),
            )
            .await
            .unwrap()
            .remove(0)
            .id;
        let err = app
            .live_plan(&pharmacist, &ids.partnership, &corvigen, today.clone())
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    }
}

/// The live plan counts as done exactly what the gate no longer lists, and nothing after today.
mod plan_agrees_with_the_gate {
    use super::*;
    use cellpath_domain::contracting::Coverage;

    /// The demo's master service agreement withdrawn and a new one executed (effective as the
    /// old one) that names only `sites`.
    async fn replace_msa(app: &App, contracts: &Caller, ids: &GateIds, sites: Vec<String>) {
        let msa = app
            .agreements(contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AgreementKind::MasterServiceAgreement)
            .unwrap();
        app.move_agreement(contracts, &msa.id, msa.version, "withdrawn", None)
            .await
            .unwrap();
        AgreementBuilder::new(&ids.partnership, "master_service_agreement")
            .with_coverage(Coverage::Named(sites))
            .with_effective_on("2025-06-01")
            .executed(app, contracts)
            .await;
    }

    /// A central agreement that leaves a site out holds back only that site, which waits for
    /// a joinder; the sites it covers keep the day they had.
    #[tokio::test]
    async fn a_site_left_out_of_a_central_agreement_waits_for_a_joinder_and_no_other_does() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let plan_now = || async {
                app.live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                    .await
                    .unwrap()
            };
            let before = plan_now().await;
            let north_before = site_of(&before, "LUH-NORTH").prediction.clone().unwrap();
            replace_msa(
                &app,
                &contracts,
                &ids,
                vec![ids.main.clone(), ids.north.clone()],
            )
            .await;
            let plan = plan_now().await;
            let north = site_of(&plan, "LUH-NORTH").prediction.clone().unwrap();
            assert_eq!(
                north.planned, north_before.planned,
                "{}: LUH-NORTH is covered; the MSA does not hold it back",
                db.label
            );
            assert!(
                plan.done.iter().any(|d| d.instance == "msa"),
                "{:?}",
                plan.done
            );
            let cancer = site_of(&plan, "LUH-CANCER");
            assert!(
                cancer.blockers.iter().any(|b| b.text
                    == "Master service agreement: does not cover this site (add it by joinder)"),
                "{:?}",
                cancer.blockers
            );
            let instances = &plan.report.dual_track.deterministic.instances;
            let joinder = |site: &str| {
                instances
                    .iter()
                    .find(|i| i.name == format!("{site}:msa-joinder"))
                    .unwrap_or_else(|| panic!("{site}'s joinder in {instances:?}"))
            };
            assert!(
                !joinder("LUH-CANCER").fixed,
                "LUH-CANCER waits for its joinder"
            );
            assert!(joinder("LUH-CANCER").start >= plan.today_day as f64);
            assert!(joinder("LUH-NORTH").fixed && joinder("LUH-MAIN").fixed);
            assert_eq!(plan.labels["msa-joinder"], "MSA joinder");
            assert!(
                !plan.done.iter().any(|d| d.key == "msa-joinder"),
                "a covered site's joinder is not listed as work done"
            );
        }
    }

    /// A health-system MSA that names only LUH-MAIN does not bind LUH-NORTH: the gate says so,
    /// and the live plan must not count it as done for LUH-NORTH.
    #[tokio::test]
    async fn a_central_agreement_counts_only_for_the_sites_it_covers() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            replace_msa(&app, &contracts, &ids, vec![ids.main.clone()]).await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north = site_of(&plan, "LUH-NORTH");
            assert!(
                north
                    .blockers
                    .iter()
                    .any(|b| b.text.starts_with("Master service agreement:")),
                "{:?}",
                north.blockers
            );
            assert_eq!(
                north.done, 3,
                "terms, data protection and the partnership's agreed release-exception protocol only; the MSA does not cover LUH-NORTH"
            );
        }
    }

    /// A quality agreement counts at either scope: an executed health-system quality agreement
    /// covering every site satisfies the gate for LUH-NORTH, though North's own is still being
    /// negotiated — and the plan counts it as done there, as the gate does.
    #[tokio::test]
    async fn the_plan_counts_a_central_quality_agreement_where_the_gate_does() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let before = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north_before = site_of(&before, "LUH-NORTH");
            assert!(
                north_before
                    .blockers
                    .iter()
                    .any(|b| b.text == "Quality agreement: not executed (negotiating)"),
                "{:?}",
                north_before.blockers
            );
            AgreementBuilder::new(&ids.partnership, "quality_agreement")
                .with_effective_on("2025-06-01")
                .executed(&app, &contracts)
                .await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let north = site_of(&plan, "LUH-NORTH");
            assert!(
                !north
                    .blockers
                    .iter()
                    .any(|b| b.text.starts_with("Quality agreement")),
                "{}: the central quality agreement covers LUH-NORTH: {:?}",
                db.label,
                north.blockers
            );
            assert_eq!(north.done, north_before.done + 1, "{}", db.label);
            let done: Vec<&str> = plan.done.iter().map(|d| d.instance.as_str()).collect();
            assert!(
                done.contains(&"LUH-NORTH:quality"),
                "done per the gate, so done per the plan: {done:?}"
            );
        }
    }

    /// An executed agreement that takes effect in 60 days is not in force (the gate says "not
    /// in effect until"): the live plan must not list it among the items done at real dates.
    #[tokio::test]
    async fn nothing_is_done_after_today() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let contracts = as_user(&app, "contracts@helixa.example").await;
            let later = today(&app).plus_days(60);
            AgreementBuilder::new(&ids.partnership, "supply_agreement")
                .with_site(&ids.north)
                .with_effective_on(later.as_str())
                .executed(&app, &contracts)
                .await;
            let plan = app
                .live_plan(&contracts, &ids.partnership, &ids.vantacel, today(&app))
                .await
                .unwrap();
            let future: Vec<_> = plan
                .done
                .iter()
                .filter(|d| d.on.as_str() > plan.today.as_str())
                .collect();
            assert!(future.is_empty(), "done in the future: {future:?}");
        }
    }

    /// A deliverable "done" on a day that has not come yet is refused (it would satisfy the
    /// gate today and push the live plan's prediction to that day).
    #[tokio::test]
    async fn a_deliverable_cannot_be_done_in_the_future() {
        for db in TestDb::all().await {
            let (app, _) = demo_app(&db).await;
            let ids = gate_ids(&app).await;
            let onboarding = as_user(&app, "onboarding@helixa.example").await;
            let res = DeliverableBuilder::new(
                &ids.partnership,
                &ids.north,
                &ids.vantacel,
                "staff_training",
            )
            .with_done_on("2199-12-31")
            .with_evidence("Typo in the year.")
            .try_record(&app, &onboarding)
            .await;
            match res {
                Err(AppError::Invalid(fields)) => {
                    assert_eq!(fields[0].field, "done_on", "{}", db.label);
                    assert!(fields[0].message.contains("after today"), "{:?}", fields);
                }
                other => panic!(
                    "{}: a deliverable done in the future was not refused: {other:?}",
                    db.label
                ),
            }
        }
    }
}
