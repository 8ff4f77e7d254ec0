//! Safety reports (issue 12, point 5): each adverse event of a case reaches the manufacturer's
//! safety role as a report under the case's pseudonym, with its grade and the observations it
//! comes from; the safety role acknowledges it on the partnership's ledger at a version, and an
//! update to the adverse event makes it pending again. Every demo person is walked over a
//! report — read by the manufacturer's safety and quality only, acknowledged by safety only,
//! 404 for everyone else (the other manufacturer, the health system's staff, the other
//! tenants, a proposal's) — through the active partnership and again once it has ended; on
//! both databases.

use super::adverse_events::{crs_at, infused, new_crs, typed};
use super::support::*;
use cellpath_app::safety::ReportsFilter;
use cellpath_app::{App, AppError, Caller};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

/// Every demo person, by e-mail.
async fn everyone(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    for o in app.store().organizations(Page::all()).await.unwrap() {
        for u in app.store().users_of(&o.id, Page::all()).await.unwrap() {
            out.push(u.email);
        }
    }
    out.sort();
    out
}

async fn listed(app: &App, who: &Caller, id: &str) -> Result<bool, AppError> {
    let (items, _) = app.safety_reports(who, None, None, Page::all()).await?;
    Ok(items.iter().any(|r| r.id == id))
}

#[tokio::test]
async fn a_report_is_read_by_the_manufacturers_safety_and_quality_and_acknowledged_by_safety_only()
{
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (case, nurse, _) = infused(&app, &clock).await;
        let onset = typed(app.now(), -30);
        app.record_adverse_event(&nurse, &case.id, new_crs(&onset, 7), None, None)
            .await
            .unwrap();
        let id = format!("{}-ae1", case.id);
        let ids = gate_ids(&app).await;
        let hs_contracts = as_user(&app, "contracts@lakeshore.example").await;
        for ended in [false, true] {
            if ended {
                set_status(&app, &hs_contracts, &ids.partnership, "ended").await;
            }
            for email in everyone(&app).await {
                let who = as_user(&app, &email).await;
                let reader =
                    ["safety@helixa.example", "quality@helixa.example"].contains(&email.as_str());
                match (app.safety_report(&who, &id).await, reader) {
                    (Ok(r), true) => {
                        assert_eq!(r.item.pseudonym, case.pseudonym);
                        assert_eq!(r.item.grade_text, "CRS grade 3");
                        assert!(
                            r.item
                                .because
                                .contains(&"nasal cannula at 7 L/min: grade 3".to_string()),
                            "{:?}",
                            r.item.because
                        );
                        assert_eq!(r.adverse_event_detail.observations.len(), 1);
                        assert_eq!(
                            r.may_acknowledge,
                            !ended && email.starts_with("safety@"),
                            "{email} ended {ended}"
                        );
                        let json = serde_json::to_string(&r).unwrap();
                        // the pseudonym only: no name, no date of birth, no record number
                        assert!(!json.contains("date_of_birth"), "{json}");
                        assert!(listed(&app, &who, &id).await.unwrap(), "{email}");
                    }
                    (Err(AppError::NotFound(_)), false) => {
                        // nor in a list: refused (the health system's people and the
                        // manufacturer's other roles) or without it (the other manufacturer)
                        match listed(&app, &who, &id).await {
                            Ok(found) => assert!(!found, "{email} lists it"),
                            Err(AppError::Forbidden(_)) => {}
                            Err(e) => panic!("{email}: {e:?}"),
                        }
                    }
                    (got, _) => panic!("{} {email} (ended: {ended}): {got:?}", db.label),
                }
                // Acknowledging: safety while active; quality reads but may not (403); the
                // partnership ended: nobody (403); anyone else: 404.
                if email.starts_with("safety@helixa") && !ended {
                    continue;
                }
                let e = app
                    .acknowledge_safety_report(&who, &id, None, None)
                    .await
                    .unwrap_err();
                match (reader, e) {
                    (true, AppError::Forbidden(_)) | (false, AppError::NotFound(_)) => {}
                    (_, e) => panic!("{} {email} (ended: {ended}) acknowledged: {e:?}", db.label),
                }
            }
            let safety = as_user(&app, "safety@helixa.example").await;
            let waiting = app.safety_reports_to_acknowledge(&safety).await.unwrap();
            assert_eq!(
                waiting.reports.iter().any(|r| r.id == id),
                !ended,
                "{}: the inbox asks for it while the partnership is active",
                db.label
            );
            if !ended {
                app.acknowledge_safety_report(&safety, &id, Some(1), None)
                    .await
                    .unwrap();
            }
        }
        // What the health system's people see for their own adverse event: its
        // acknowledgement, by name.
        let ae = app.case(&nurse, &case.id).await.unwrap().adverse_events[0].clone();
        let state = ae.safety_report.unwrap();
        assert!(!state.pending);
        assert!(state.text.starts_with("acknowledged by "), "{}", state.text);
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn an_update_after_the_acknowledgement_asks_for_a_new_one() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        let (case, nurse, _) = infused(&app, &clock).await;
        let safety = as_user(&app, "safety@helixa.example").await;
        let before = app
            .safety_reports_to_acknowledge(&safety)
            .await
            .unwrap()
            .count;
        let onset = typed(app.now(), -30);
        app.record_adverse_event(&nurse, &case.id, new_crs(&onset, 4), None, None)
            .await
            .unwrap();
        let id = format!("{}-ae1", case.id);
        let r = app.safety_report(&safety, &id).await.unwrap();
        assert_eq!((r.item.grade, r.item.state.version), (2, 1));
        assert!(r.item.state.pending && r.may_acknowledge);
        assert_eq!(
            app.safety_reports_to_acknowledge(&safety)
                .await
                .unwrap()
                .count,
            before + 1
        );
        let acked = app
            .acknowledge_safety_report(&safety, &id, Some(1), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let by = acked.item.state.acknowledged.clone().unwrap();
        assert_eq!((by.version, by.by.as_str()), (1, safety.name.as_str()));
        assert!(!acked.item.state.pending);
        // Once is enough: nothing changed since (409)
        let again = app
            .acknowledge_safety_report(&safety, &id, None, None)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::State(_)), "{again:?}");
        // The nurse observes it again: 7 L/min, grade 3. The report follows.
        let now = typed(app.now(), -1);
        app.observe_adverse_event(&nurse, &case.id, 1, crs_at(&now, 7), None, None)
            .await
            .unwrap();
        let r = app.safety_report(&safety, &id).await.unwrap();
        assert_eq!((r.item.grade, r.item.state.version), (3, 2), "{}", db.label);
        assert!(r.item.state.pending && r.item.state.updated_since_acknowledged);
        assert!(
            r.item.state.text.starts_with("updated since acknowledged"),
            "{}",
            r.item.state.text
        );
        assert_eq!(r.adverse_event_detail.observations.len(), 2);
        let (pending, _) = app
            .safety_reports(&safety, None, Some(ReportsFilter::Pending), Page::all())
            .await
            .unwrap();
        assert!(pending.iter().any(|p| p.id == id));
        let ae = app.case(&nurse, &case.id).await.unwrap().adverse_events[0].clone();
        assert!(ae.safety_report.unwrap().updated_since_acknowledged);
        // An acknowledgement of the version read before: a conflict, nothing written
        let stale = app
            .acknowledge_safety_report(&safety, &id, Some(1), None)
            .await
            .unwrap_err();
        assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");
        app.acknowledge_safety_report(&safety, &id, Some(2), None)
            .await
            .unwrap();
        let (done, _) = app
            .safety_reports(
                &safety,
                None,
                Some(ReportsFilter::Acknowledged),
                Page::all(),
            )
            .await
            .unwrap();
        let r = done.iter().find(|p| p.id == id).expect("acknowledged");
        assert_eq!(r.state.acknowledged.as_ref().unwrap().version, 2);
        assert_eq!(
            app.safety_reports_to_acknowledge(&safety)
                .await
                .unwrap()
                .count,
            before
        );
        assert_replays(&app, db.label).await;
    }
}

#[tokio::test]
async fn the_demo_has_reports_acknowledged_updated_since_and_waiting() {
    for db in TestDb::all().await {
        let (app, _, _) = history_app(&db).await;
        let safety = as_user(&app, "safety@helixa.example").await;
        let (all, total) = app
            .safety_reports(&safety, None, None, Page::all())
            .await
            .unwrap();
        assert_eq!(all.len() as i64, total);
        let acknowledged = all.iter().filter(|r| !r.state.pending).count();
        let updated = all
            .iter()
            .filter(|r| r.state.updated_since_acknowledged)
            .count();
        let never = all
            .iter()
            .filter(|r| r.state.acknowledged.is_none())
            .count();
        assert!(
            acknowledged >= 1 && updated >= 1 && never >= 1,
            "{}: {all:?}",
            db.label
        );
        // The pending come first
        let first_done = all.iter().position(|r| !r.state.pending).unwrap();
        assert!(all[first_done..].iter().all(|r| !r.state.pending));
        // Paged: one at a time, the same order
        let (one, _) = app
            .safety_reports(
                &safety,
                None,
                None,
                Page {
                    limit: 1,
                    offset: 1,
                },
            )
            .await
            .unwrap();
        assert_eq!(one[0].id, all[1].id);
    }
}
