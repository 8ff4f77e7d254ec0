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
            app.onboarding_pipeline(&lead, &helixa, today(&app), cellpath_store::Page::all())
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

/// The demo's Helixa × Cascade proposal, and Cascade's id.
async fn cascade_proposal(app: &cellpath_app::App) -> (cellpath_store::Partnership, String) {
    let helixa = org_id(app, "Helixa Therapeutics").await;
    let cascade = org_id(app, "Cascade Regional Medical").await;
    let p = app
        .store()
        .partnerships_of(&helixa, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.health_system_id == cascade)
        .unwrap();
    assert_eq!(p.status, PartnershipStatus::Proposed);
    (p, cascade)
}

#[tokio::test]
async fn a_health_system_declines_a_proposal_which_opens_nothing_and_the_manufacturer_reads_who_and_why()
 {
    use cellpath_app::records::partnerships::PartnershipDecline;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let (proposal, cascade) = cascade_proposal(&app).await;
        let helixa_contracts = as_user(&app, "contracts@helixa.example").await;
        let cascade_contracts = as_user(&app, "contracts@cascade.example").await;
        let cascade_pharmacy = as_user(&app, "pharmacy@cascade.example").await;
        let decline = |who: &Caller, version: i64, reason: Option<&str>| {
            let (app, id, who) = (&app, proposal.id.clone(), who.clone());
            let input = PartnershipDecline {
                reason: reason.map(str::to_string),
            };
            async move {
                app.decline_partnership(&who, &id, version, input, None)
                    .await
                    .and_then(|o| o.fresh())
            }
        };
        // Before: both sides read the other party and the programs proposed, by name.
        for who in [&helixa_contracts, &cascade_contracts] {
            let names: Vec<String> = app
                .partnership_programs(who, &proposal.id)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(names, ["Vantacel"], "{}", db.label);
        }
        // The proposer withdraws (ends) its proposal; it does not decline it. Nor does a
        // health-system role that may not change the partnership.
        assert_eq!(
            outcome(decline(&helixa_contracts, proposal.version, None).await),
            "forbidden",
            "{}",
            db.label
        );
        assert_eq!(
            outcome(decline(&cascade_pharmacy, proposal.version, None).await),
            "forbidden"
        );
        // A reason is free text, but text: blank is no reason; a reason past 4,000
        // characters is refused beside its field.
        assert_eq!(
            outcome(
                decline(
                    &cascade_contracts,
                    proposal.version,
                    Some(&"x".repeat(4001))
                )
                .await
            ),
            "invalid: reason"
        );
        assert!(matches!(
            decline(&cascade_contracts, proposal.version + 1, None).await,
            Err(AppError::Conflict { .. })
        ));
        let declined = decline(
            &cascade_contracts,
            proposal.version,
            Some("Our P&T committee has not reviewed Vantacel yet."),
        )
        .await
        .unwrap();
        assert_eq!(declined.status, PartnershipStatus::Ended);
        assert!(declined.declined() && declined.accepted_at.is_none());

        // The manufacturer reads who declined it and why — the record, not a message.
        let seen = app
            .partnership(&helixa_contracts, &proposal.id)
            .await
            .unwrap();
        let person = demo_user(&app, "contracts@cascade.example").await;
        assert_eq!(seen.declined_by.as_deref(), Some(person.name.as_str()));
        assert_eq!(
            seen.decline_reason.as_deref(),
            Some("Our P&T committee has not reviewed Vantacel yet.")
        );
        let events = app
            .store()
            .events_of_type(&proposal.id, "partnership.declined")
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{}", db.label);

        // A declined proposal opens nothing of the health system, as a proposal did not.
        let sites = app.store().sites_of(&cascade, Page::all()).await.unwrap();
        assert!(!sites.is_empty());
        for s in &sites {
            assert_eq!(
                outcome(app.site(&helixa_contracts, &s.id).await),
                "not found"
            );
        }
        assert_eq!(
            outcome(app.partnership_sites(&helixa_contracts, &proposal.id).await),
            "not found"
        );
        assert_eq!(
            outcome(app.sites(&helixa_contracts, &cascade, Page::all()).await),
            "not found"
        );
        // And it takes nothing more: not declined again, not accepted, not renamed.
        assert_eq!(
            outcome(decline(&cascade_contracts, declined.version, None).await),
            "forbidden"
        );
        let accept = app
            .update_partnership(
                &cascade_contracts,
                &proposal.id,
                declined.version,
                cellpath_app::records::partnerships::PartnershipPatch {
                    status: Some("active".into()),
                    ..Default::default()
                },
                None,
            )
            .await;
        assert_eq!(outcome(accept), "forbidden");
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_proposal_withdrawn_before_acceptance_opens_nothing_but_an_ended_partnership_keeps_what_it_opened()
 {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let (proposal, cascade) = cascade_proposal(&app).await;
        let helixa_contracts = as_user(&app, "contracts@helixa.example").await;
        set_status(&app, &helixa_contracts, &proposal.id, "ended").await;
        let withdrawn = app
            .store()
            .partnership(&proposal.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(withdrawn.status, PartnershipStatus::Ended);
        assert!(withdrawn.accepted_at.is_none() && !withdrawn.declined());
        for s in app.store().sites_of(&cascade, Page::all()).await.unwrap() {
            assert_eq!(
                outcome(app.site(&helixa_contracts, &s.id).await),
                "not found",
                "{}: a withdrawn proposal opened {}",
                db.label,
                s.code
            );
        }
        // Accepted, then ended: it keeps opening what existed when it ended.
        let again = PartnershipBuilder::new(&cascade, "Helixa × Cascade again")
            .with_programs(&["Vantacel"])
            .create(&app, &helixa_contracts)
            .await;
        let cascade_admin = as_user(&app, "admin@cascade.example").await;
        set_status(&app, &cascade_admin, &again.id, "active").await;
        let accepted = app.store().partnership(&again.id).await.unwrap().unwrap();
        assert!(accepted.accepted_at.is_some(), "{}", db.label);
        set_status(&app, &helixa_contracts, &again.id, "ended").await;
        let site = app.store().sites_of(&cascade, Page::all()).await.unwrap()[0].clone();
        assert_eq!(outcome(app.site(&helixa_contracts, &site.id).await), "ok");
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn a_new_site_joins_the_onboarding_only_when_the_partnership_covers_it_and_the_manufacturer_is_told()
 {
    use cellpath_app::notices::NoticeKind;
    use cellpath_app::records::sites::SiteInput;
    use cellpath_domain::contracting::Coverage;
    use cellpath_domain::contracting::joining::Joining;
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        clock.advance_secs(3600);
        let add_site = |org: String, admin: &'static str, code: &'static str| {
            let app = &app;
            async move {
                let by = as_user(app, admin).await;
                let input = SiteInput {
                    name: format!("{code} Hospital"),
                    code: code.into(),
                    city: "Here".into(),
                    region: "IL".into(),
                };
                app.create_site(&by, &org, input, None)
                    .await
                    .unwrap()
                    .fresh()
                    .unwrap()
            }
        };
        let joined_notices = |org: String, who: Caller| {
            let app = &app;
            async move {
                app.notices(&who, &org, Page::all())
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|n| n.kind == NoticeKind::SiteJoined)
                    .map(|n| n.site_name.unwrap_or_default())
                    .collect::<Vec<_>>()
            }
        };

        // Helixa × Lakeshore names no sites in its central agreements: it covers all current
        // and future sites, so a new Lakeshore site joins, and Helixa is told.
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let pship = gate_ids(&app).await.partnership;
        let helixa_contracts = as_user(&app, "contracts@helixa.example").await;
        assert!(
            app.site_joins(&helixa_contracts, &pship)
                .await
                .unwrap()
                .is_empty()
        );
        let west = add_site(lakeshore.clone(), "admin@lakeshore.example", "LUH-WEST").await;
        let joins = app.site_joins(&helixa_contracts, &pship).await.unwrap();
        assert_eq!(joins.len(), 1, "{}", db.label);
        assert_eq!(joins[0].site.id, west.id);
        assert_eq!(joins[0].joining, Joining::Joined);
        let told = joined_notices(helixa.clone(), helixa_contracts.clone()).await;
        assert_eq!(told, vec![west.name.clone()], "{}", db.label);
        // Lakeshore is told once per partnership the site joined: Helixa's and Northbridge's.
        let lakeshore_admin = as_user(&app, "admin@lakeshore.example").await;
        assert_eq!(
            joined_notices(lakeshore, lakeshore_admin).await,
            [west.name.clone(), west.name.clone()]
        );

        // Northbridge × Piedmont with a master agreement naming one site: a new Piedmont site
        // has not joined (a joinder adds it), and Northbridge is told nothing.
        let northbridge = org_id(&app, "Northbridge Gene Medicines").await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let np = app
            .store()
            .partnerships_of(&northbridge, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.health_system_id == piedmont)
            .unwrap();
        let main = app.store().sites_of(&piedmont, Page::all()).await.unwrap()[0]
            .id
            .clone();
        let nb_contracts = as_user(&app, "contracts@northbridge.example").await;
        AgreementBuilder::new(&np.id, "master_service_agreement")
            .with_coverage(Coverage::Named(vec![main.clone()]))
            .create(&app, &nb_contracts)
            .await;
        let east = add_site(piedmont, "admin@piedmont.example", "PVH-NEW").await;
        let joins = app.site_joins(&nb_contracts, &np.id).await.unwrap();
        let new = joins.iter().find(|j| j.site.id == east.id).unwrap();
        assert!(
            matches!(&new.joining, Joining::NotCovered(kinds) if kinds == &[AgreementKind::MasterServiceAgreement]),
            "{}: {:?}",
            db.label,
            new.joining
        );
        // The onboarding pipeline: LUH-WEST is in it, PVH-NEW is not.
        let lead = as_user(&app, "onboarding@northbridge.example").await;
        let pipeline = app
            .onboarding_pipeline(&lead, &northbridge, today(&app), Page::all())
            .await
            .unwrap();
        let codes: Vec<&str> = pipeline
            .rows
            .iter()
            .map(|r| r.site.site_code.as_str())
            .collect();
        assert!(codes.contains(&"LUH-WEST"), "{}: {codes:?}", db.label);
        assert!(!codes.contains(&"PVH-NEW"), "{}: {codes:?}", db.label);
        assert!(codes.contains(&"PVH-MAIN"), "{}: {codes:?}", db.label);
        // Nor in the partnership's gates or its live plan (the same rule: joining).
        let gates = app.gates(&nb_contracts, &np.id, today(&app)).await.unwrap();
        assert!(gates.iter().any(|g| g.site_id == main), "{}", db.label);
        assert!(!gates.iter().any(|g| g.site_id == east.id), "{}", db.label);
        let program = app
            .partnership_programs(&nb_contracts, &np.id)
            .await
            .unwrap()
            .remove(0);
        let plan = app
            .live_plan(&lead, &np.id, &program.id, today(&app))
            .await
            .unwrap();
        let planned: Vec<&str> = plan.sites.iter().map(|s| s.site_code.as_str()).collect();
        assert!(planned.contains(&"PVH-MAIN"), "{}: {planned:?}", db.label);
        assert!(!planned.contains(&"PVH-NEW"), "{}: {planned:?}", db.label);
        // LUH-WEST, covered, is in Helixa × Lakeshore's gates.
        let gates = app
            .gates(&helixa_contracts, &pship, today(&app))
            .await
            .unwrap();
        assert!(gates.iter().any(|g| g.site_id == west.id), "{}", db.label);
        // (Northbridge is told of LUH-WEST, which joined its Lakeshore partnership.)
        let told = joined_notices(northbridge, nb_contracts).await;
        assert!(!told.contains(&east.name), "{}: {told:?}", db.label);
        assert!(told.contains(&west.name), "{}: {told:?}", db.label);
        assert_replays(&app, db.label).await;
    }
}
