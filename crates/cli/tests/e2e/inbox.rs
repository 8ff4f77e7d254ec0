//! The inbox over the API and the command line (issue 12, points 4 and 7): every demo user
//! reads `GET /api/v1/inbox` with their token — the same list the app gives them, only their
//! organization's active partnerships, pseudonyms and never a patient's name —, paged like the
//! other lists, with bad paging a 422 naming the parameter; `cellpath inbox --user EMAIL`
//! prints the same list as a table and as JSON, and an unknown person is one line and exit 2;
//! `cellpath inbox --reindex` writes the step index again from the events, the same.

use crate::support::{cellpath_on, seed_demo, spawn_each, stderr, stdout};
use cellpath_app::views::Page;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

const DOMAINS: &[&str] = &[
    "helixa.example",
    "northbridge.example",
    "lakeshore.example",
    "cascade.example",
    "piedmont.example",
];

/// The demo's patients' names (what the coordinator sees on the cases of LUH-MAIN).
async fn patient_names(app: &cellpath_app::App) -> Vec<String> {
    let site = crate::support::site_id(app, "Lakeshore University Health", "LUH-MAIN").await;
    let u = app
        .store()
        .user_by_email("coordinator@lakeshore.example")
        .await
        .unwrap()
        .unwrap();
    let c = app
        .caller_for_user(&u.id, cellpath_app::access::Via::Session)
        .await
        .unwrap();
    let mut names = Vec::new();
    for case in app.cases_of_site(&c, &site, Page::all()).await.unwrap() {
        if let Some(p) = app.case(&c, &case.id).await.unwrap().patient {
            names.push(p.name);
        }
    }
    names
}

#[tokio::test]
async fn every_demo_user_reads_its_own_inbox_over_the_api() {
    for s in spawn_each().await {
        let names = patient_names(&s.app).await;
        assert!(!names.is_empty());
        let mut walked = 0;
        let mut with_items = 0;
        for domain in DOMAINS {
            let org = s
                .app
                .store()
                .organization_by_name(match *domain {
                    "helixa.example" => "Helixa Therapeutics",
                    "northbridge.example" => "Northbridge Gene Medicines",
                    "lakeshore.example" => "Lakeshore University Health",
                    "cascade.example" => "Cascade Regional Medical",
                    _ => "Piedmont Valley Health",
                })
                .await
                .unwrap()
                .unwrap();
            let active: BTreeSet<String> = s
                .app
                .store()
                .partnerships_of_in(&org.id, &["active"])
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect();
            for user in s.app.store().users_of(&org.id, Page::all()).await.unwrap() {
                let token = s.token(&user.email).await;
                let res = s
                    .http
                    .get(s.url("/api/v1/inbox?limit=200"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{}", user.email);
                let body = res.text().await.unwrap();
                for name in &names {
                    assert!(!body.contains(name.as_str()), "{}: {body}", user.email);
                }
                let page: Value = serde_json::from_str(&body).unwrap();
                let caller = s
                    .app
                    .caller_for_user(&user.id, cellpath_app::access::Via::Session)
                    .await
                    .unwrap();
                let expected = s.app.inbox(&caller, Page::first(200)).await.unwrap();
                assert_eq!(
                    page,
                    serde_json::to_value(&expected).unwrap(),
                    "{}",
                    user.email
                );
                for item in page["items"].as_array().unwrap() {
                    assert!(
                        active.contains(item["partnership_id"].as_str().unwrap()),
                        "{}: {item}",
                        user.email
                    );
                }
                if page["total"].as_i64().unwrap() > 0 {
                    with_items += 1;
                }
                walked += 1;
            }
        }
        assert!(walked >= 40, "every demo user: {walked}");
        assert!(
            with_items >= 5,
            "the demo asks something of many: {with_items}"
        );

        // Paged like the other lists; bad paging is a problem naming the parameter.
        let coordinator = s.token("coordinator@lakeshore.example").await;
        let all = s.get_json("/api/v1/inbox?limit=200", &coordinator).await;
        let total = all["total"].as_i64().unwrap();
        assert!(total >= 2, "{all}");
        let first = s.get_json("/api/v1/inbox?limit=1", &coordinator).await;
        assert_eq!(first["items"].as_array().unwrap().len(), 1);
        assert_eq!(first["next_offset"], 1);
        assert_eq!(first["items"][0], all["items"][0]);
        let second = s
            .get_json("/api/v1/inbox?limit=1&offset=1", &coordinator)
            .await;
        assert_eq!(second["items"][0], all["items"][1]);
        for bad in ["limit=0", "limit=201", "offset=-1"] {
            let res = s
                .http
                .get(s.url(&format!("/api/v1/inbox?{bad}")))
                .bearer_auth(&coordinator)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{bad}"
            );
            let problem: Value = res.json().await.unwrap();
            let field = bad.split('=').next().unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let anonymous = s.http.get(s.url("/api/v1/inbox")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        s.shutdown().await;
    }
}

#[tokio::test]
async fn the_operator_prints_a_persons_inbox() {
    let db = cellpath_app::testing::TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let email = "coordinator@lakeshore.example";
    let expected = app.inbox_of_user(email, Page::first(50)).await.unwrap();
    assert!(!expected.items.is_empty());
    let names = patient_names(&app).await;
    app.close().await;
    let url = db.url.as_str();

    let out = cellpath_on(url, &["inbox", "--user", email, "--json"], None);
    assert!(out.status.success(), "{out:?}");
    let printed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        printed["items"],
        serde_json::to_value(&expected.items).unwrap()
    );

    let out = cellpath_on(url, &["inbox", "--user", email], None);
    assert!(out.status.success(), "{out:?}");
    let table = stdout(&out);
    assert!(
        table.contains(&format!("{} item(s) waiting for {email}", expected.total)),
        "{table}"
    );
    for item in &expected.items {
        assert!(table.contains(&item.title), "{}: {table}", item.title);
        if let Some(p) = &item.pseudonym {
            assert!(table.contains(p.as_str()), "{table}");
        }
    }
    for name in &names {
        assert!(!table.contains(name.as_str()), "{table}");
    }

    // The index written again from the events gives the same inbox.
    let out = cellpath_on(url, &["inbox", "--reindex"], None);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("written again from their events"),
        "{out:?}"
    );
    let out = cellpath_on(url, &["inbox", "--user", email, "--json"], None);
    let again: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(again["items"], printed["items"]);

    let out = cellpath_on(url, &["inbox", "--user", "nobody@nowhere.example"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("nobody@nowhere.example"), "{err}");
    let out = cellpath_on(url, &["inbox", "--user", email, "--limit", "0"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("limit"), "{}", stderr(&out));
}
