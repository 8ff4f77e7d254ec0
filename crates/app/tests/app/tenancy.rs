//! Tenants never see each other; a partnership opens the health system's records by its status.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn no_tenant_reads_or_writes_another_tenants_data() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let cascade_site = app
        .store()
        .sites_of(&cascade, Page::all())
        .await
        .unwrap()
        .remove(0);
    let lakeshore_site = app
        .store()
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .remove(0);

    // Another health system: not found, for reading and writing alike.
    let ls_admin = as_user(&app, "admin@lakeshore.example").await;
    let mut visible: Vec<String> = app
        .organizations(&ls_admin, Page::all())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    visible.sort();
    assert_eq!(
        visible,
        [
            "Helixa Therapeutics",
            "Lakeshore University Health",
            "Northbridge Gene Medicines"
        ],
        "own and partners only"
    );
    assert!(matches!(
        app.site(&ls_admin, &cascade_site.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.sites(&ls_admin, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    let patch = SitePatch {
        name: Some("Taken over".into()),
        ..Default::default()
    };
    assert!(matches!(
        app.update_site(&ls_admin, &cascade_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.create_site(
            &ls_admin,
            &cascade,
            SiteInput {
                name: "X".into(),
                code: "X".into(),
                city: "X".into(),
                region: "X".into()
            },
            None
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.verify_ledger(&ls_admin, &cascade).await,
        Err(AppError::NotFound(_))
    ));

    // A partner manufacturer reads the health system's sites but cannot change them.
    let helixa = as_user(&app, "onboarding@helixa.example").await;
    assert_eq!(
        app.site(&helixa, &lakeshore_site.id).await.unwrap().id,
        lakeshore_site.id
    );
    assert!(matches!(
        app.update_site(&helixa, &lakeshore_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    // Northbridge is not partnered with Cascade.
    let northbridge = as_user(&app, "admin@northbridge.example").await;
    assert!(matches!(
        app.site(&northbridge, &cascade_site.id).await,
        Err(AppError::NotFound(_))
    ));

    // Inside the health system, a nurse reads but only the admin writes.
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    assert!(app.site(&nurse, &lakeshore_site.id).await.is_ok());
    assert!(matches!(
        app.update_site(&nurse, &lakeshore_site.id, 1, patch.clone(), None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    let renamed = app
        .update_site(&ls_admin, &lakeshore_site.id, 1, patch.clone(), None)
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.version), ("Taken over", 2));
    // A stale version is a conflict, and nothing is written.
    let again = app
        .update_site(
            &ls_admin,
            &lakeshore_site.id,
            1,
            SitePatch {
                city: Some("Joliet".into()),
                ..Default::default()
            },
            None,
        )
        .await;
    assert!(
        matches!(again, Err(AppError::Conflict { current: 2, .. })),
        "{again:?}"
    );
}

/// DESIGN.md §2: a proposal shows the manufacturer the health system's name and the programs
/// proposed, nothing of its sites, facilities or the work at them, and takes no writes; an
/// active partnership opens them; an ended one is read only, as it stood when it ended — a
/// site or facility the health system adds later is not seen through it. With a second
/// partnership the most opening one counts.
#[tokio::test]
async fn a_partnership_opens_the_health_systems_records_by_its_status() {
    use cellpath_app::contracting::{AgreementInput, DeliverableInput};
    use cellpath_app::records::facilities::FacilityInput;
    use cellpath_app::records::partnerships::PartnershipPatch;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let hs_admin = as_user(&app, "admin@piedmont.example").await;
        let hs_contracts = as_user(&app, "contracts@piedmont.example").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let vantacel = app
            .store()
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let site = app
            .store()
            .sites_of(&piedmont, Page::all())
            .await
            .unwrap()
            .remove(0);
        let facility = app
            .store()
            .facilities_of_site(&site.id)
            .await
            .unwrap()
            .remove(0);
        let propose =
            |name: &str| PartnershipBuilder::new(&piedmont, name).with_programs(&["Vantacel"]);
        let p = propose("Helixa × Piedmont").create(&app, &lead).await;
        let today = || today(&app);
        let agreement = |site_id: &str| AgreementInput {
            kind: "supply_agreement".into(),
            scope: "site".into(),
            site_id: Some(site_id.into()),
            coverage: None,
            owner_manufacturer: None,
            owner_health_system: None,
        };
        let deliverable = |site_id: &str| DeliverableInput {
            site_id: site_id.into(),
            program_id: vantacel.clone(),
            deliverable: "staff_training".into(),
            done_on: today().as_str().into(),
            evidence: "Trained.".into(),
        };
        // Everything the manufacturer might read of the health system through `p`, and the
        // writes into it, each with its outcome.
        let reads = |site_id: String| {
            let (app, lead, p, vantacel, piedmont) = (
                app.clone(),
                lead.clone(),
                p.id.clone(),
                vantacel.clone(),
                piedmont.clone(),
            );
            async move {
                let day = cellpath_domain::Date::of_micros(app.now());
                vec![
                    ("site", outcome(app.site(&lead, &site_id).await)),
                    (
                        "sites",
                        outcome(app.sites(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "facilities",
                        outcome(app.facilities(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "users",
                        outcome(app.users(&lead, &piedmont, Page::all()).await),
                    ),
                    (
                        "partnership sites",
                        outcome(app.partnership_sites(&lead, &p).await),
                    ),
                    (
                        "gate",
                        outcome(app.gate(&lead, &p, &site_id, &vantacel, day.clone()).await),
                    ),
                    ("gates", outcome(app.gates(&lead, &p, day.clone()).await)),
                    (
                        "readiness",
                        outcome(app.readiness(&lead, &p, &site_id, &vantacel).await),
                    ),
                    (
                        "visits",
                        outcome(app.site_visits(&lead, &p, &site_id).await),
                    ),
                    ("site maps", outcome(app.site_maps(&lead, &p).await)),
                    ("agreements", outcome(app.agreements(&lead, &p).await)),
                    (
                        "live plan",
                        outcome(app.live_plan(&lead, &p, &vantacel, day).await),
                    ),
                ]
            }
        };
        let all = |o: &str| {
            [
                "site",
                "sites",
                "facilities",
                "users",
                "partnership sites",
                "gate",
                "gates",
                "readiness",
                "visits",
                "site maps",
                "agreements",
                "live plan",
            ]
            .into_iter()
            .map(|k| (k, o.to_string()))
            .collect::<Vec<_>>()
        };

        // Proposed: the name and the programs only.
        assert_eq!(outcome(app.organization(&lead, &piedmont).await), "ok");
        assert_eq!(
            app.partnership_programs(&lead, &p.id).await.unwrap()[0].id,
            vantacel
        );
        assert_eq!(
            reads(site.id.clone()).await,
            all("not found"),
            "{}",
            db.label
        );
        assert_eq!(
            outcome(app.facility(&lead, &facility.id).await),
            "not found"
        );
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today())
            .await
            .unwrap();
        assert!(!pipeline.rows.iter().any(|r| r.partnership_id == p.id));
        let writes = |site_id: String| {
            let (app, lead, p) = (app.clone(), lead.clone(), p.id.clone());
            let (agreement, deliverable) = (agreement(&site_id), deliverable(&site_id));
            let vantacel = vantacel.clone();
            async move {
                vec![
                    outcome(app.create_agreement(&lead, &p, agreement, None).await),
                    outcome(
                        app.record_deliverable(&lead, &p, deliverable, pw, None)
                            .await,
                    ),
                    outcome(app.analyze_gaps(&lead, &p, &site_id, &vantacel).await),
                ]
            }
        };
        assert_eq!(
            writes(site.id.clone()).await,
            ["not found"; 3],
            "{}",
            db.label
        );
        // Nothing is signed on a proposal, and it is not changed but by accepting or ending.
        let head = app.store().ledger_head(&p.id).await.unwrap().unwrap();
        let sign = app
            .sign(
                &lead,
                &p.id,
                Signed::Event {
                    event_hash: head.head_hash,
                },
                Meaning::Reviewed,
                pw,
                None,
            )
            .await;
        assert_eq!(outcome(sign), "forbidden");
        let rename = app
            .update_partnership(
                &lead,
                &p.id,
                p.version,
                PartnershipPatch {
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert_eq!(outcome(rename), "invalid: name");

        // Active: all of it opens, and takes the work.
        set_status(&app, &hs_contracts, &p.id, "active").await;
        assert_eq!(reads(site.id.clone()).await, all("ok"), "{}", db.label);
        assert_eq!(outcome(app.facility(&lead, &facility.id).await), "ok");
        assert_eq!(writes(site.id.clone()).await, ["ok"; 3], "{}", db.label);

        // Ended; later the health system adds a site and a facility serving both sites.
        clock.advance_secs(3600);
        set_status(&app, &lead, &p.id, "ended").await;
        clock.advance_secs(3600);
        let later = app
            .create_site(
                &hs_admin,
                &piedmont,
                SiteInput {
                    name: "Piedmont Later Clinic".into(),
                    code: "PVH-LATER".into(),
                    city: "Charlotte".into(),
                    region: "NC".into(),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let later_lab = app
            .create_facility(
                &hs_admin,
                &piedmont,
                FacilityInput {
                    name: "Piedmont Later Lab".into(),
                    kind: "processing".into(),
                    site_ids: vec![site.id.clone(), later.id.clone()],
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // What existed at the end is read as it stood; nothing in it is written.
        assert_eq!(reads(site.id.clone()).await, all("ok"), "{}", db.label);
        assert_eq!(
            writes(site.id.clone()).await,
            ["forbidden"; 3],
            "{}",
            db.label
        );
        let rename = app
            .update_partnership(
                &lead,
                &p.id,
                p.version + 2,
                PartnershipPatch {
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert_eq!(outcome(rename), "forbidden");
        // What came after is not seen through it: not one by one, not in any list.
        let later_reads: Vec<(&str, String)> = reads(later.id.clone())
            .await
            .into_iter()
            .filter(|(k, _)| ["site", "gate", "readiness", "visits"].contains(k))
            .collect();
        assert_eq!(
            later_reads,
            [
                ("site", "not found".to_string()),
                ("gate", "not found".into()),
                ("readiness", "not found".into()),
                ("visits", "ok".into()),
            ],
            "{}",
            db.label
        );
        assert_eq!(
            outcome(app.facility(&lead, &later_lab.id).await),
            "not found"
        );
        let seen_sites: Vec<String> = app
            .sites(&lead, &piedmont, Page::all())
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert!(seen_sites.contains(&site.id) && !seen_sites.contains(&later.id));
        let opened = app.partnership_sites(&lead, &p.id).await.unwrap();
        assert!(!opened.iter().any(|s| s.id == later.id));
        assert!(
            !app.gates(&lead, &p.id, today())
                .await
                .unwrap()
                .iter()
                .any(|g| g.site_id == later.id)
        );
        assert!(
            !app.live_plan(&lead, &p.id, &vantacel, today())
                .await
                .unwrap()
                .sites
                .iter()
                .any(|s| s.site_id == later.id)
        );
        for list in [
            app.facilities(&lead, &piedmont, Page::all()).await.unwrap(),
            app.facilities_of_site(&lead, &site.id).await.unwrap(),
        ] {
            assert!(!list.iter().any(|f| f.id == later_lab.id), "{}", db.label);
        }
        // The health system itself sees its new site, but not through the ended partnership.
        assert_eq!(outcome(app.site(&hs_admin, &later.id).await), "ok");
        assert_eq!(
            outcome(
                app.gate(&hs_admin, &p.id, &later.id, &vantacel, today())
                    .await
            ),
            "not found"
        );

        // A new proposal besides the ended partnership: the ended one still opens what existed
        // then, the proposal nothing more; accepted, it opens the later site too.
        let again = propose("Helixa × Piedmont again").create(&app, &lead).await;
        assert_eq!(outcome(app.site(&lead, &site.id).await), "ok");
        assert_eq!(outcome(app.site(&lead, &later.id).await), "not found");
        set_status(&app, &hs_contracts, &again.id, "active").await;
        assert_eq!(outcome(app.site(&lead, &later.id).await), "ok");
        assert_eq!(outcome(app.facility(&lead, &later_lab.id).await), "ok");
    }
}
