//! Manufacturing slots over the API: the site asks, the manufacturer confirms a whole chain.

use super::problem;
use crate::support::{site_id, spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_booking_over_the_api_is_asked_for_by_the_site_and_confirmed_as_a_whole_chain() {
    let s = spawn_demo().await;
    let onboarding = s.token("onboarding@helixa.example").await;
    let ops = s.token("patient.ops@helixa.example").await;
    let coordinator = s.token("coordinator@lakeshore.example").await;
    let program = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = s
        .app
        .stored_case(&main)
        .await
        .unwrap()
        .expect("the demo's stored case");
    let capacity_url = s.url(&format!("/api/v1/programs/{program}/capacity"));
    let get = |url: String, token: String| {
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let post = |url: String, token: String, body: Value| {
        let http = s.http.clone();
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // The demo's capacity is its manufacturer's to read; a bad one names its field; the
    // health system never reads it.
    assert_eq!(
        get(capacity_url.clone(), onboarding.clone()).await.status(),
        StatusCode::OK
    );
    let capacity = json!({
        "apheresis_slots_per_day": 1,
        "manufacturing_slots_per_day": 1,
        "closed": [],
        "lead": {
            "to_start_min_days": 2, "to_start_max_days": 4, "manufacturing_days": 16,
            "transit_days": 2, "arrival_to_infusion_days": 3
        },
        "allocations": []
    });
    let mut bad = capacity.clone();
    bad["manufacturing_slots_per_day"] = json!(0);
    let res = s
        .http
        .put(&capacity_url)
        .bearer_auth(&onboarding)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        p["errors"][0]["field"], "manufacturing_slots_per_day",
        "{p}"
    );
    let res = s
        .http
        .put(&capacity_url)
        .bearer_auth(&onboarding)
        .json(&capacity)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        get(capacity_url.clone(), coordinator.clone()).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A booking the demo left in play on the case is cancelled first: one per case.
    let before: Value = get(
        s.url(&format!("/api/v1/cases/{case}/bookings")),
        coordinator.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    for b in before.as_array().unwrap() {
        if b["status"] != "cancelled" {
            let res = post(
                s.url(&format!(
                    "/api/v1/bookings/{}/cancellation",
                    b["id"].as_str().unwrap()
                )),
                coordinator.clone(),
                json!({ "reason": "The test asks for another day." }),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
    }

    // The site asks for a day a month on (past the demo's booked week); patient ops read the
    // offer and confirm it.
    let today = cellpath_domain::Date::of_micros(s.app.now());
    let asked = today.plus_days(30);
    let res = post(
        s.url(&format!("/api/v1/cases/{case}/bookings")),
        coordinator.clone(),
        json!({ "asked_on": asked.as_str() }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let booking: Value = res.json().await.unwrap();
    assert_eq!(booking["status"], "requested");
    let id = booking["id"].as_str().unwrap().to_string();
    let offer: Value = get(s.url(&format!("/api/v1/bookings/{id}/offer")), ops.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offer["chain"]["apheresis_on"], asked.as_str(), "{offer}");
    // The site neither reads the offer nor confirms.
    problem(
        post(
            s.url(&format!("/api/v1/bookings/{id}/confirmation")),
            coordinator.clone(),
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = post(
        s.url(&format!("/api/v1/bookings/{id}/confirmation")),
        ops.clone(),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirmed: Value = res.json().await.unwrap();
    assert_eq!(confirmed["chain"], offer["chain"]);
    assert_eq!(
        confirmed["chain"]["expected_infusion_on"],
        asked.plus_days(2 + 16 + 2 + 3).as_str()
    );
    let listed: Value = get(
        s.url(&format!("/api/v1/cases/{case}/bookings")),
        coordinator.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    let ours = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id.as_str())
        .expect("the booking is listed");
    assert_eq!(ours["status"], "confirmed");

    // Cancelling needs a reason; with one, the site cancels and the slots are free again.
    let cancel = s.url(&format!("/api/v1/bookings/{id}/cancellation"));
    let p = problem(
        post(
            cancel.clone(),
            coordinator.clone(),
            json!({ "reason": " " }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "reason", "{p}");
    let res = post(
        cancel,
        coordinator.clone(),
        json!({ "reason": "The patient's counts are too low." }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["chain"].is_null());
    s.shutdown().await;
}
