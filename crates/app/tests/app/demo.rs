//! The demo: it seeds, every ledger verifies and replays, tampering is named, its history shows.

use crate::support::*;
use cellpath_app::Caller;
use cellpath_app::audit::VerifyReport;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_demo_seeds_and_every_ledger_verifies_and_replays() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let op = Caller::system("test");
        let reports = app.verify_all(&op).await.unwrap();
        assert_eq!(
            reports.len(),
            2 + 3 + 4,
            "{}: one ledger per organization and partnership",
            db.label
        );
        assert!(
            reports.iter().all(VerifyReport::is_intact),
            "{}: {reports:?}",
            db.label
        );
        let orgs = app.organizations(&op, Page::all()).await.unwrap();
        assert_eq!(
            orgs.iter()
                .filter(|o| o.kind == OrgKind::Manufacturer)
                .count(),
            2
        );
        assert_eq!(
            orgs.iter()
                .filter(|o| o.kind == OrgKind::HealthSystem)
                .count(),
            3
        );
        for o in orgs.iter().filter(|o| o.kind == OrgKind::HealthSystem) {
            let n = app
                .store()
                .sites_of(&o.id, Page::all())
                .await
                .unwrap()
                .len();
            assert!((2..=4).contains(&n), "{} has {n} sites", o.name);
        }
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn an_event_edited_behind_the_apps_back_is_named() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let row = app
            .store()
            .events(&lakeshore, 2, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(row.seq, 3);
        let edited = row.body.replacen("system:demo", "system:dem0", 1);
        assert_ne!(edited, row.body, "the edit must change the stored bytes");
        app.store()
            .tamper_with_event_body(&lakeshore, 3, &edited)
            .await
            .unwrap();
        match app
            .verify_ledger(&Caller::system("test"), &lakeshore)
            .await
            .unwrap()
        {
            VerifyReport::Broken { seq, reason, .. } => {
                assert_eq!(seq, 3, "{}: {reason}", db.label)
            }
            other => panic!("{}: tampering not caught: {other:?}", db.label),
        }
        let mut export = Vec::new();
        app.export_ledger(&Caller::system("test"), &lakeshore, &mut export)
            .await
            .unwrap();
        let report =
            cellpath_app::audit::verify_export(std::str::from_utf8(&export).unwrap(), None);
        // An export carries no stored hashes: the edited event is self-consistent, and the
        // first link that no longer holds is the next event's `prev_hash`.
        assert!(
            matches!(report, VerifyReport::Broken { seq: 4, .. }),
            "{report:?}"
        );
    }
}

/// The `demo` command seeds a record that began `HISTORY_DAYS` ago: the pipeline then shows
/// how long each site has been onboarding and since when LUH-MAIN is authorized.
#[tokio::test]
async fn the_demo_for_people_has_a_history_to_show() {
    for db in TestDb::all().await {
        let (app, _, now) = history_app(&db).await;
        let helixa = org_id(&app, "Helixa Therapeutics").await;
        let lead = as_user(&app, "onboarding@helixa.example").await;
        let pipeline = app
            .onboarding_pipeline(&lead, &helixa, today(&app), cellpath_store::Page::all())
            .await
            .unwrap();
        let site = |code: &str| {
            pipeline
                .rows
                .iter()
                .find(|r| r.site.site_code == code)
                .unwrap()
                .site
                .clone()
        };
        let began =
            cellpath_domain::Date::of_micros(now).plus_days(-cellpath_app::demo::HISTORY_DAYS);
        let north = site("LUH-NORTH");
        assert_eq!(
            north.days_in_onboarding,
            cellpath_app::demo::HISTORY_DAYS,
            "{}",
            db.label
        );
        assert_eq!(north.started_on, began.as_str());
        let main = site("LUH-MAIN");
        assert_eq!(main.since.as_deref(), Some(began.as_str()), "{}", db.label);
        // The ledgers verify across the seeded past and the present.
        let reports = app.verify_all(&Caller::system("test")).await.unwrap();
        assert!(reports.iter().all(VerifyReport::is_intact));
        the_demo_for_people_has_cases_at_every_stage(&app, db.label).await;
    }
}

/// The `demo` command's cases were taken forward over the months of its history: they stand
/// at every stage of the CAR-T map, with one on hold, one cancelled with its care-transition
/// note, and the deviations people meet (a scan of another bag, a temperature excursion, a
/// bag given after its thaw window).
/// (Called from the history test above: seeding the months of history once per database.)
async fn the_demo_for_people_has_cases_at_every_stage(app: &cellpath_app::App, label: &str) {
    use cellpath_domain::events::cases::CaseState;
    use std::collections::BTreeSet;
    let ids = gate_ids(app).await;
    let coordinator = as_user(app, "coordinator@lakeshore.example").await;
    let cases = app
        .cases_of_site(&coordinator, &ids.main, cellpath_store::Page::all())
        .await
        .unwrap();
    assert!(cases.len() >= 30, "{}: {} cases", label, cases.len());
    let mut stages = BTreeSet::new();
    let (mut held, mut cancelled, mut deviations) = (0, 0, 0);
    let (mut graded, mut overdue, mut submitted, mut consented) = (0, 0, 0, 0);
    let mut timelines = String::new();
    for c in &cases {
        let view = app.case(&coordinator, &c.id).await.unwrap();
        match view.status {
            CaseState::OnHold => held += 1,
            CaseState::Cancelled => cancelled += 1,
            _ => {}
        }
        deviations += view.deviations;
        consented += usize::from(view.consent.is_some());
        graded += view.adverse_events.iter().filter(|e| e.grade > 0).count();
        for form in view.registry.iter().flat_map(|r| &r.forms) {
            match form.status {
                cellpath_domain::registry::FormStatus::Overdue => overdue += 1,
                cellpath_domain::registry::FormStatus::Submitted => submitted += 1,
                _ => {}
            }
        }
        stages.extend(
            view.steps
                .iter()
                .filter(|s| s.state == "current")
                .map(|s| format!("{:?}", s.stage)),
        );
        for t in &view.timeline {
            timelines.push_str(&t.text);
            timelines.push('\n');
        }
    }
    // Waiting to be collected, on the manufacturer's side, at the bedside, in follow-up
    // (the bedside's verification and thaw take minutes, so rarely stand open).
    for stage in ["Procurement", "Storage", "Administration", "Evaluation"] {
        assert!(
            stages.contains(stage),
            "{}: none at {stage}: {stages:?}",
            label
        );
    }
    assert!(
        held >= 2 && cancelled >= 2,
        "{}: {held} held, {cancelled} cancelled",
        label
    );
    assert!(deviations >= 7, "{}: {deviations} deviations", label);
    assert!(graded >= 2, "{label}: {graded} graded adverse events");
    assert!(consented >= 25, "{label}: {consented} consents recorded");
    assert!(
        overdue >= 1 && submitted >= 1,
        "{label}: {overdue} registry forms overdue, {submitted} submitted"
    );
    for said in [
        "does not belong to case",
        "excursion",
        "after its thaw window closed",
        "Long-term follow-up",
    ] {
        assert!(
            timelines.contains(said),
            "{}: no case shows {said:?}",
            label
        );
    }
}

/// What the demo records, pinned: how many events of each kind each ledger (named by its
/// organization or partnership) holds after seeding. Reorganizing the seeding must not change
/// it; a deliberate change to the demo updates `demo_events.txt`.
#[tokio::test]
async fn the_demo_records_the_same_events_of_each_kind_on_each_ledger() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let mut names = std::collections::BTreeMap::new();
        for o in app.store().organizations(Page::all()).await.unwrap() {
            for p in app
                .store()
                .partnerships_of(&o.id, Page::all())
                .await
                .unwrap()
            {
                names.insert(p.id, p.name);
            }
            names.insert(o.id, o.name);
        }
        let mut lines = Vec::new();
        for ledger in app.store().ledgers().await.unwrap() {
            let mut counts = std::collections::BTreeMap::new();
            for e in app
                .store()
                .events(&ledger.ledger_id, 0, i64::MAX)
                .await
                .unwrap()
            {
                *counts.entry(e.kind).or_insert(0) += 1;
            }
            let name = &names[&ledger.ledger_id];
            for (kind, n) in counts {
                lines.push(format!("{name} ({}) | {kind} | {n}", ledger.kind));
            }
        }
        lines.sort();
        let got = lines.join("\n") + "\n";
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/app/demo_events.txt"),
                &got,
            )
            .unwrap();
        }
        assert_eq!(got, include_str!("demo_events.txt"), "{}", db.label);
    }
}
