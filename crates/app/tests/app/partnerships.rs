//! Partnerships: who proposes to whom, for which programs, and what an ended one takes.

use crate::support::*;
use cellpath_app::{AppError, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn racing_commands_conflict_cleanly_and_ended_partnerships_take_no_more_work() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let pship = app
            .store()
            .partnerships_of(&helixa, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == lakeshore)
            .unwrap();
        let vantacel = app
            .store()
            .programs_of(&helixa, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let north = app
            .store()
            .sites_of(&lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap()
            .id;
        let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
        let quality = as_user(&app, "quality@lakeshore.example").await;
        let gap = app
            .store()
            .gaps_of_site(&north)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.status == GapStatus::Open)
            .unwrap();
        let pw = cellpath_app::demo::DEMO_PASSWORD;
        let (a, b) = tokio::join!(
            app.close_gap(&pharmacy, &gap.id, gap.version, "Evidence A", pw, None),
            app.close_gap(&quality, &gap.id, gap.version, "Evidence B", pw, None)
        );
        let outcomes = [a.is_ok(), b.is_ok()];
        assert_eq!(
            outcomes.iter().filter(|x| **x).count(),
            1,
            "{}: exactly one closes it",
            db.label
        );
        let loser = match (a, b) {
            (Err(e), _) | (_, Err(e)) => e,
            _ => unreachable!("one of them failed"),
        };
        assert!(
            matches!(loser, AppError::Conflict { .. } | AppError::Invalid(_)),
            "{}: {loser:?}",
            db.label
        );
        // Two gap analyses at once open each gap once.
        let onboarding = as_user(&app, "onboarding@helixa.example").await;
        let (x, y) = tokio::join!(
            app.analyze_gaps(&onboarding, &pship.id, &north, &vantacel),
            app.analyze_gaps(&onboarding, &pship.id, &north, &vantacel)
        );
        for r in [x, y] {
            assert!(
                matches!(r, Ok(_) | Err(AppError::Duplicate { .. })),
                "{}: {r:?}",
                db.label
            );
        }
        let open: Vec<_> = app
            .store()
            .gaps_of_site(&north)
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.status == GapStatus::Open)
            .collect();
        let mut keys: Vec<_> = open
            .iter()
            .map(|g| (g.requirement_key.clone(), g.facility_id.clone()))
            .collect();
        let n = keys.len();
        keys.dedup();
        assert_eq!(
            keys.len(),
            n,
            "{}: no requirement has two open gaps",
            db.label
        );
        // An ended partnership keeps its record and takes no more work.
        let admin = as_user(&app, "admin@lakeshore.example").await;
        set_status(&app, &admin, &pship.id, "ended").await;
        let err = app
            .analyze_gaps(&onboarding, &pship.id, &north, &vantacel)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has ended"), "{err}");
    }
}

/// A partnership is for named programs of the manufacturer (kept as ids); its gate, plans and
/// pipeline rows cover those programs only.
#[tokio::test]
async fn a_partnership_is_for_the_programs_it_names_and_onboards_only_those() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let input = |programs: &[&str]| {
            PartnershipBuilder::new(&piedmont, &format!("Helixa × Piedmont {}", programs.len()))
                .with_programs(programs)
        };
        // Another maker's program, or none by that name: refused on the field.
        for wrong in ["Corvigen", "Vantacel XR"] {
            match input(&[wrong]).try_create(&app, &lead).await {
                Err(AppError::Invalid(f)) => {
                    assert_eq!(f[0].field, "programs", "{}", db.label);
                    assert!(f[0].message.contains(wrong), "{:?}", f);
                }
                other => panic!("{}: {wrong} accepted: {other:?}", db.label),
            }
        }
        // By name, kept as the id.
        let p = input(&["Vantacel"]).create(&app, &lead).await;
        assert_eq!(
            p.programs,
            std::slice::from_ref(&ids.vantacel),
            "{}",
            db.label
        );
        // None named: nothing to judge or plan.
        let none = input(&[]).create(&app, &lead).await;
        let pied_site = app
            .store()
            .sites_of(&piedmont, Page::all())
            .await
            .unwrap()
            .remove(0)
            .id;
        let err = app
            .gate(&lead, &none.id, &pied_site, &ids.vantacel, today(&app))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        // (partnership, program) of each row of Helixa's pipeline.
        let pipeline = || async {
            app.onboarding_pipeline(&lead, &helixa, today(&app))
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| (r.partnership_id, r.program_id))
                .collect::<Vec<_>>()
        };
        // A proposal shows nothing of Piedmont's sites: not in the pipeline.
        assert!(
            !pipeline().await.iter().any(|(pid, _)| *pid == p.id),
            "{}",
            db.label
        );
        // Accepted, both are active: the one for Vantacel onboards its sites, the other none.
        let accepter = as_user(&app, "contracts@piedmont.example").await;
        for q in [&p, &none] {
            set_status(&app, &accepter, &q.id, "active").await;
        }
        let rows = pipeline().await;
        assert!(!rows.iter().any(|(pid, _)| *pid == none.id), "{}", db.label);
        assert!(
            rows.contains(&(p.id.clone(), ids.vantacel.clone())),
            "{}",
            db.label
        );
    }
}

/// Every organization listed to a user is one the user may read (DESIGN.md §2): its own, and
/// its partners' through a partnership of any status. A partnership is proposed by the caller's
/// own organization: naming another manufacturer, or a manufacturer as the health system, is
/// refused on the field with why.
#[tokio::test]
async fn organizations_listed_are_readable_and_a_partnership_names_the_right_sides() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    // Helixa × Lakeshore ends; Helixa × Cascade is a proposal: both still listed and readable.
    let with_lakeshore = gate_ids(&app).await.partnership;
    set_status(&app, &Caller::system("test"), &with_lakeshore, "ended").await;
    for email in [
        "onboarding@helixa.example",
        "contracts@cascade.example",
        "admin@lakeshore.example",
        "admin@piedmont.example",
    ] {
        let me = as_user(&app, email).await;
        let listed = app.organizations(&me, Page::all()).await.unwrap();
        assert!(listed.len() >= 2, "{email}: {listed:?}");
        for o in listed {
            assert_eq!(
                outcome(app.organization(&me, &o.id).await),
                "ok",
                "{email} is listed {} but may not read it",
                o.name
            );
        }
    }
    let names = |c: &Caller| {
        let (app, c) = (app.clone(), c.clone());
        async move {
            app.organizations(&c, Page::all())
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.name)
                .collect::<Vec<_>>()
        }
    };
    let lead = as_user(&app, "onboarding@helixa.example").await;
    let seen = names(&lead).await;
    for n in ["Cascade Regional Medical", "Lakeshore University Health"] {
        assert!(seen.contains(&n.to_string()), "{seen:?}");
    }
    assert!(!seen.contains(&"Piedmont Valley Health".to_string()));

    let input = |health_system_id: &str| PartnershipBuilder::new(health_system_id, "Wrong sides");
    match input(&cascade)
        .with_manufacturer(&northbridge)
        .try_create(&app, &lead)
        .await
    {
        Err(AppError::Invalid(f)) => {
            assert_eq!(f[0].field, "manufacturer_id");
            assert!(f[0].message.contains("your own organization"), "{f:?}");
        }
        other => panic!("another manufacturer named: {other:?}"),
    }
    match input(&northbridge).try_create(&app, &lead).await {
        Err(AppError::Invalid(f)) => {
            assert_eq!(f[0].field, "health_system_id");
            assert!(f[0].message.contains("names a manufacturer"), "{f:?}");
        }
        other => panic!("a manufacturer as the health system: {other:?}"),
    }
    // Naming one's own organization is the same as leaving it out.
    let ok = input(&cascade)
        .with_manufacturer(&helixa)
        .create(&app, &lead)
        .await;
    assert_eq!(ok.manufacturer_id, helixa);
}
