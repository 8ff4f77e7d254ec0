//! The inbox's reads across many partnerships (migration 0036): one ordered, limited range
//! scan per partnership merged, answering exactly what one scan of every matching row sorted
//! whole answered before — the same rows in the same order, page after page, whether the
//! partnerships fit one statement or need several.

use cellpath_domain::{Date, Role};
use cellpath_store::testing::TestDb;
use cellpath_store::{InboxScope, OpenStepRow, Page};

const ROWS: i64 = 12_000;
const PARTNERSHIPS: i64 = 150;
const NAMES: [&str; 4] = ["infusion", "order", "receipt", "thaw"];

/// The open step rows the statement below writes, as (partnership, role, since, name, case, step).
fn written() -> Vec<(String, &'static str, i64, &'static str, String, String)> {
    (0..ROWS)
        .map(|i| {
            let role = match i % 3 {
                0 => "coordinator",
                1 => "nurse",
                _ => "physician",
            };
            (
                format!("partnership_{}", (i / 3) % PARTNERSHIPS),
                role,
                // pairs of rows opened at the same moment: the name, then the case, decide
                1_000_000 + (i / 6) * 7 % 5_003,
                NAMES[((i / 3) % 4) as usize],
                format!("case_{}", i / 6),
                format!("step_{}", i % 6),
            )
        })
        .collect()
}

/// What one scan sorted whole answers: the role's rows under the partnerships ordered by
/// (since, name, case, step), as (case, step).
fn sorted_whole(role: &str, partnerships: &[String]) -> Vec<(String, String)> {
    let mut rows: Vec<_> = written()
        .into_iter()
        .filter(|r| r.1 == role && partnerships.contains(&r.0))
        .collect();
    rows.sort_by(|a, b| (a.2, a.3, &a.4, &a.5).cmp(&(b.2, b.3, &b.4, &b.5)));
    rows.into_iter().map(|r| (r.4, r.5)).collect()
}

fn keys(rows: &[OpenStepRow]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.case_id.clone(), r.step.clone()))
        .collect()
}

#[tokio::test]
async fn the_steps_read_per_partnership_come_in_the_order_one_sorted_scan_gave() {
    for db in TestDb::all().await {
        let store = db.store().await;
        db.execute_behind_the_apps_back(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO case_open_steps (case_id, step, role, partnership_id, site_id, program_id, pseudonym, name, stage, attempt, waiting, since) \
             SELECT 'case_' || (i / 6), 'step_' || (i % 6), \
             CASE i % 3 WHEN 0 THEN 'coordinator' WHEN 1 THEN 'nurse' ELSE 'physician' END, \
             'partnership_' || ((i / 3) % {PARTNERSHIPS}), 'site_1', 'program_1', 'P-' || (i / 6), \
             CASE (i / 3) % 4 WHEN 0 THEN 'infusion' WHEN 1 THEN 'order' WHEN 2 THEN 'receipt' ELSE 'thaw' END, \
             'administration', 1, '', 1000000 + (i / 6) * 7 % 5003 \
             FROM n",
            last = ROWS - 1
        ))
        .await;
        if db.label.contains("postgres") {
            db.execute_behind_the_apps_back("ANALYZE case_open_steps")
                .await;
        }
        let today = Date::parse("2026-06-01").unwrap();
        // a health system with a few manufacturers (one statement), and a manufacturer with
        // more partnerships than one statement reads
        for count in [1, 5, PARTNERSHIPS] {
            let partnerships: Vec<String> =
                (0..count).map(|p| format!("partnership_{p}")).collect();
            let scope = InboxScope {
                partnerships: &partnerships,
                role: Role::Coordinator,
                today: &today,
            };
            let expected = sorted_whole("coordinator", &partnerships);
            assert!(expected.len() > 20, "{}: the data has rows", db.label);
            let started = std::time::Instant::now();
            let first = store
                .open_steps_for_role(&scope, Page::first(50))
                .await
                .unwrap();
            let took = started.elapsed();
            assert_eq!(
                keys(&first),
                expected[..expected.len().min(50)].to_vec(),
                "{}: the first page over {count} partnerships",
                db.label
            );
            assert!(first.iter().all(|r| r.role == Role::Coordinator));
            // paging through the whole list gives every row once, in the same order
            let mut paged = Vec::new();
            let mut offset = 0;
            loop {
                let page = store
                    .open_steps_for_role(&scope, Page { limit: 37, offset })
                    .await
                    .unwrap();
                if page.is_empty() {
                    break;
                }
                offset += page.len() as i64;
                paged.extend(keys(&page));
                if count == PARTNERSHIPS && offset > 400 {
                    // the order is checked on the first pages; the rest only costs time
                    break;
                }
            }
            assert_eq!(
                paged,
                expected[..paged.len()].to_vec(),
                "{}: paged over {count} partnerships",
                db.label
            );
            if count != PARTNERSHIPS {
                assert_eq!(paged.len(), expected.len(), "{}: every row once", db.label);
            }
            eprintln!(
                "{}: {ROWS} step rows; the coordinator's first 50 over {count} partnerships in {took:?}",
                db.label
            );
        }
    }
}
