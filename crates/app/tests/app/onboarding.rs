//! The onboarding pipeline: every site of every partnership, to its own side.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_onboarding_pipeline_shows_every_site_of_every_partnership_to_its_own_side() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today(&app), cellpath_store::Page::all())
            .await
            .unwrap();
        let rows: Vec<(&str, &str, &str)> = pipeline
            .rows
            .iter()
            .map(|r| (r.partner.as_str(), r.site.site_code.as_str(), r.site.status))
            .collect();
        for expected in [
            ("Lakeshore University Health", "LUH-MAIN", "authorized"),
            ("Lakeshore University Health", "LUH-NORTH", "onboarding"),
            ("Lakeshore University Health", "LUH-CANCER", "onboarding"),
        ] {
            assert!(
                rows.contains(&expected),
                "{}: {expected:?} in {rows:?}",
                db.label
            );
        }
        // Onboarding sites before authorized ones within a partnership.
        let main_at = rows.iter().position(|r| r.1 == "LUH-MAIN").unwrap();
        let north_at = rows.iter().position(|r| r.1 == "LUH-NORTH").unwrap();
        assert!(north_at < main_at, "{rows:?}");
        assert!(
            pipeline.rows.iter().all(|r| r.program_name == "Vantacel"),
            "only Helixa's own program"
        );
        assert!(
            pipeline
                .rows
                .iter()
                .filter(|r| r.site.status != "authorized")
                .all(|r| r.site.prediction.is_some() && !r.site.blockers.is_empty())
        );

        // The health system sees both manufacturers' partnerships; nobody sees another's.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let theirs = app
            .onboarding_pipeline(&nurse, &lakeshore, today(&app), cellpath_store::Page::all())
            .await
            .unwrap();
        let programs: std::collections::BTreeSet<&str> = theirs
            .rows
            .iter()
            .map(|r| r.program_name.as_str())
            .collect();
        assert_eq!(
            programs.into_iter().collect::<Vec<_>>(),
            ["Corvigen", "Vantacel"],
            "{}",
            db.label
        );
        let err = app
            .onboarding_pipeline(&nurse, &helixa, today(&app), cellpath_store::Page::all())
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");

        // After the agreements lapse (2030-05-31) and the review, LUH-MAIN shows suspended
        // with the expiry among what blocks it, and a prediction again.
        let lapsed = cellpath_domain::Date::parse("2030-06-01").unwrap();
        app.review_all_authorizations(lapsed.clone()).await.unwrap();
        let later = app
            .onboarding_pipeline(&lead, &helixa, lapsed.clone(), cellpath_store::Page::all())
            .await
            .unwrap();
        let main = later
            .rows
            .iter()
            .find(|r| r.site.site_code == "LUH-MAIN")
            .unwrap();
        assert_eq!(main.site.status, "suspended", "{}", db.label);
        assert_eq!(main.site.since.as_deref(), Some("2030-06-01"));
        assert!(
            main.site
                .blockers
                .iter()
                .any(|b| b.text == "Master service agreement: expired on 2030-05-31"),
            "{:?}",
            main.site.blockers
        );
        let p = main.site.prediction.as_ref().unwrap();
        assert!(p.planned.as_str() >= "2030-06-01", "{p:?}");
    }
}

#[tokio::test]
async fn the_pipeline_on_a_day_before_a_partnership_started_leaves_that_partnership_out() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let on = cellpath_domain::Date::parse("2025-07-01").unwrap();
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, on, cellpath_store::Page::all())
            .await
            .unwrap();
        assert!(
            pipeline.rows.is_empty(),
            "{}: {:?}",
            db.label,
            pipeline.rows
        );
    }
}

/// Newcomer points 5, 6 and 7 on the demo as `cellpath demo` seeds it (a record begun
/// `HISTORY_DAYS` ago): the pipeline's done counts agree with the gate, the authorized site's
/// days are the days it took, an executed agreement that lapses before a site is expected to
/// be authorized is flagged, and an open blocking gap past its due date is named with its days.
#[tokio::test]
async fn the_pipeline_counts_as_the_gate_flags_lapsing_agreements_and_overdue_gaps() {
    use cellpath_domain::contracting::Missing;
    for db in TestDb::all().await {
        let (app, clock, _) = history_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let pharmacist = as_user(&app, "pharmacy@lakeshore.example").await;
        let pipeline = app
            .onboarding_pipeline(
                &pharmacist,
                &lakeshore,
                today(&app),
                cellpath_store::Page::all(),
            )
            .await
            .unwrap();
        assert!(pipeline.rows.len() >= 6, "{}", db.label);
        for r in &pipeline.rows {
            let view = app
                .gate(
                    &pharmacist,
                    &r.partnership_id,
                    &r.site.site_id,
                    &r.program_id,
                    today(&app),
                )
                .await
                .unwrap();
            let missing = view
                .missing
                .iter()
                .filter(|m| {
                    matches!(
                        m.missing,
                        Missing::Agreement { .. } | Missing::Deliverable { .. }
                    )
                })
                .count();
            assert_eq!(
                r.site.done + missing,
                r.site.items,
                "{}: {} {}: done and missing add up as the gate counts",
                db.label,
                r.program_name,
                r.site.site_code
            );
        }
        let row = |program: &str, code: &str| {
            pipeline
                .rows
                .iter()
                .find(|r| r.program_name == program && r.site.site_code == code)
                .unwrap_or_else(|| panic!("{program} {code}"))
                .site
                .clone()
        };

        // LUH-MAIN was authorized: its days are from its first own item to the day the gate
        // first held, not 0.
        let main = row("Vantacel", "LUH-MAIN");
        assert_eq!(main.status, "authorized");
        let on = |d: &str| cellpath_domain::Date::parse(d).unwrap().days_since_epoch();
        let authorized_on = main.authorized_on.clone().expect("authorized on a day");
        assert!(main.days_in_onboarding > 0, "{}: {main:?}", db.label);
        assert_eq!(
            main.days_in_onboarding,
            on(&authorized_on) - on(&main.started_on),
            "{main:?}"
        );
        assert!(main.started_on.as_str() < authorized_on.as_str());

        // Corvigen's master service agreement lapses 45 days from today, long before another
        // Lakeshore site is expected to be authorized for Corvigen: flagged on their rows.
        // LUH-MAIN is authorized for Corvigen already: the lapse is named while it holds.
        let expires = today(&app).plus_days(45);
        let corvigen_main = row("Corvigen", "LUH-MAIN");
        assert_eq!(corvigen_main.status, "authorized", "{corvigen_main:?}");
        assert!(
            corvigen_main
                .lapsing
                .iter()
                .any(|l| l.kind == "master_service_agreement" && l.expires_on == expires.as_str()),
            "{corvigen_main:?}"
        );
        for code in ["LUH-NORTH", "LUH-CANCER"] {
            let s = row("Corvigen", code);
            let lapse = s
                .lapsing
                .iter()
                .find(|l| l.kind == "master_service_agreement")
                .unwrap_or_else(|| panic!("{}: {code}: {s:?}", db.label));
            assert_eq!(lapse.expires_on, expires.as_str());
            assert!(
                lapse.text.starts_with(&format!(
                    "Master service agreement expires on {}, before the site is expected to be authorized",
                    expires.as_str()
                )),
                "{}",
                lapse.text
            );
        }
        // Vantacel's agreements run to 2030: nothing lapses within that plan.
        assert!(
            pipeline
                .rows
                .iter()
                .filter(|r| r.program_name == "Vantacel")
                .all(|r| r.site.lapsing.is_empty()),
            "{}",
            db.label
        );

        // North's open blocking gap, once past its due date, is named among what holds it
        // back, with the days it is overdue.
        let north = row("Vantacel", "LUH-NORTH");
        assert!(north.overdue.is_empty(), "{north:?}");
        let gap = app
            .store()
            .gaps_of_site(&north.site_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.status == GapStatus::Open && g.severity == Severity::Blocking)
            .min_by(|a, b| a.due_on.cmp(&b.due_on))
            .expect("an open blocking gap at North");
        let due = gap.due_on.clone();
        let later = due.plus_days(12);
        clock.advance_secs((later.days_since_epoch() - today(&app).days_since_epoch()) * 86_400);
        let pipeline = app
            .onboarding_pipeline(
                &pharmacist,
                &lakeshore,
                later.clone(),
                cellpath_store::Page::all(),
            )
            .await
            .unwrap();
        let north = pipeline
            .rows
            .iter()
            .find(|r| r.program_name == "Vantacel" && r.site.site_code == "LUH-NORTH")
            .unwrap();
        let overdue = north
            .site
            .overdue
            .iter()
            .find(|o| o.gap_id == gap.id)
            .unwrap_or_else(|| panic!("{}: {:?}", db.label, north.site.overdue));
        assert_eq!(overdue.days_overdue, 12);
        assert!(
            overdue
                .text
                .starts_with(&format!("Gap overdue by 12 days (due {})", gap.due_on)),
            "{}",
            overdue.text
        );
    }
}

#[tokio::test]
async fn a_live_plan_is_computed_once_and_handed_out_again_until_something_changes() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let op = as_user(&app, "onboarding@helixa.example").await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let today = today(&app);
        let first = app
            .onboarding_pipeline(&op, &helixa, today.clone(), cellpath_store::Page::all())
            .await
            .unwrap();
        let (hits, computed) = app.plan_cache_counts();
        assert!(computed > 0, "{}", db.label);
        let again = app
            .onboarding_pipeline(&op, &helixa, today.clone(), cellpath_store::Page::all())
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&first).unwrap(),
            serde_json::to_value(&again).unwrap(),
            "{}: the kept plans give the same pipeline",
            db.label
        );
        let (hits2, computed2) = app.plan_cache_counts();
        assert_eq!(computed2, computed, "{}: nothing computed again", db.label);
        assert!(hits2 > hits, "{}", db.label);
        // A new day is another plan.
        clock.advance_secs(24 * 3600);
        let tomorrow = cellpath_domain::Date::of_micros(app.now());
        app.onboarding_pipeline(&op, &helixa, tomorrow, cellpath_store::Page::all())
            .await
            .unwrap();
        assert!(app.plan_cache_counts().1 > computed2, "{}", db.label);
    }
}

/// The pipeline comes a page of partnerships at a time (by name); the counts by status are
/// the whole pipeline's on every page.
#[tokio::test]
async fn the_pipeline_is_paged_by_partnership_and_counts_every_site_on_every_page() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        let today = today(&app);
        let all = app
            .onboarding_pipeline(
                &nurse,
                &lakeshore,
                today.clone(),
                cellpath_store::Page::all(),
            )
            .await
            .unwrap();
        let page = |offset| cellpath_store::Page { limit: 1, offset };
        let first = app
            .onboarding_pipeline(&nurse, &lakeshore, today.clone(), page(0))
            .await
            .unwrap();
        let second = app
            .onboarding_pipeline(&nurse, &lakeshore, today.clone(), page(1))
            .await
            .unwrap();
        let past = app
            .onboarding_pipeline(&nurse, &lakeshore, today.clone(), page(2))
            .await
            .unwrap();
        let names = |p: &cellpath_app::onboarding::Pipeline| {
            let mut n: Vec<String> = p.rows.iter().map(|r| r.partnership_name.clone()).collect();
            n.dedup();
            n
        };
        assert_eq!(all.partnerships, 2, "{}", db.label);
        assert_eq!(
            names(&all),
            [
                "Helixa × Lakeshore: Vantacel launch",
                "Northbridge × Lakeshore: Corvigen"
            ],
            "{}",
            db.label
        );
        assert_eq!(names(&first), ["Helixa × Lakeshore: Vantacel launch"]);
        assert_eq!(names(&second), ["Northbridge × Lakeshore: Corvigen"]);
        assert!(past.rows.is_empty(), "{}", db.label);
        assert_eq!(
            (first.next_offset, second.next_offset, past.next_offset),
            (Some(1), None, None),
            "{}",
            db.label
        );
        // The pages together are the whole pipeline, row for row.
        let json =
            |rows: &[cellpath_app::onboarding::PipelineRow]| serde_json::to_value(rows).unwrap();
        let both: Vec<_> = first.rows.iter().chain(&second.rows).cloned().collect();
        assert_eq!(json(&both), json(&all.rows), "{}", db.label);
        // The counts are every row's, whichever page is asked for.
        let count = |status: &str| all.rows.iter().filter(|r| r.site.status == status).count();
        let expected = cellpath_app::onboarding::PipelineCounts {
            authorized: count("authorized"),
            onboarding: count("onboarding"),
            suspended: count("suspended"),
        };
        assert!(
            expected.authorized > 0 && expected.onboarding > 0,
            "{expected:?}"
        );
        for p in [&all, &first, &second, &past] {
            assert_eq!(p.counts, expected, "{}", db.label);
        }
    }
}
