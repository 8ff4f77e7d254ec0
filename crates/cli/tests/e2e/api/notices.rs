//! Notices over the API: both sides of a partnership are told, no one else.

use super::problem;
use crate::support::spawn_demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn notices_over_the_api_tell_both_sides_of_a_partnership_and_no_one_else() {
    let s = spawn_demo().await;
    let date = |d: &str| cellpath_domain::Date::parse(d).unwrap();
    // The scheduled job's work, 90 days before the demo's agreements lapse.
    assert_eq!(
        s.app
            .send_expiry_reminders(date("2030-03-02"))
            .await
            .unwrap(),
        5
    );
    let get = |token: String, query: &'static str| {
        let url = s.url(&format!("/api/v1/notices{query}"));
        let http = s.http.clone();
        async move {
            let res = http.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let texts = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap().to_string())
            .collect()
    };
    let helixa = get(s.token("contracts@helixa.example").await, "").await;
    let lakeshore = get(s.token("nurse@lakeshore.example").await, "").await;
    assert_eq!(helixa["items"].as_array().unwrap().len(), 6, "{helixa}");
    assert!(
        texts(&helixa).contains(
            &"Master service agreement with Lakeshore University Health expires on 2030-05-31 — 90 days left".to_string()
        ),
        "{helixa}"
    );
    assert!(
        texts(&lakeshore).contains(
            &"Quality agreement for Lakeshore University Hospital with Helixa Therapeutics expires on 2030-05-31 — 90 days left"
                .to_string()
        ),
        "{lakeshore}"
    );
    assert_eq!(helixa["items"][0]["kind"], "expiry_reminder");
    assert_eq!(helixa["items"][5]["kind"], "site_authorized");
    // Lakeshore also hears of its other partnership (Corvigen with Northbridge): the notices
    // of Helixa's partnership are the same on both sides.
    let helixa_partnership = helixa["items"][0]["partnership_id"].clone();
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["partnership_id"] == helixa_partnership)
            .map(|n| n["id"].clone())
            .collect()
    };
    assert_eq!(
        ids(&helixa),
        ids(&lakeshore),
        "the same notices for both sides"
    );

    // Paged like every list.
    let first = get(s.token("nurse@lakeshore.example").await, "?limit=4").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert_eq!(first["next_offset"], 4);

    // A health system that is not this partnership's party hears nothing of it.
    let stranger = get(s.token("admin@piedmont.example").await, "").await;
    assert_eq!(stranger["items"], json!([]), "{stranger}");
    let res = s.http.get(s.url("/api/v1/notices")).send().await.unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    // After the agreements lapse, the day's review suspends LUH-MAIN: newest for both.
    assert!(
        s.app
            .review_all_authorizations(date("2030-06-01"))
            .await
            .unwrap()
            >= 1
    );
    for email in ["contracts@helixa.example", "nurse@lakeshore.example"] {
        let page = get(s.token(email).await, "?limit=1").await;
        assert_eq!(
            page["items"][0]["kind"], "site_suspended",
            "{email}: {page}"
        );
        assert_eq!(page["items"][0]["on"], "2030-06-01");
    }
    s.shutdown().await;
}
