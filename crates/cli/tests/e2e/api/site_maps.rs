//! Process maps and site maps over the API: validated, versioned, visible to partners;
//! visits and facility gaps.

use super::{post, problem};
use crate::support::{helixa_lakeshore, site_id, spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn process_maps_over_the_api_are_validated_versioned_and_visible_to_partners() {
    let s = spawn_demo().await;
    let author = s.token("onboarding@helixa.example").await;
    let programs: Value = s
        .http
        .get(s.url("/api/v1/programs"))
        .bearer_auth(&author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vantacel = programs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Vantacel")
        .unwrap()
        .clone();
    let maps: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/programs/{}/maps",
            vantacel["id"].as_str().unwrap()
        )))
        .bearer_auth(&author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v1 = maps[0].clone();
    let mut map = v1["map"].clone();
    // Remove the dual verification of cd8: the program requires one before administration.
    let steps = map["steps"].as_array_mut().unwrap();
    let dv = steps
        .iter()
        .position(|st| st["kind"] == "dual_verification" && st["params"]["unit"] == "cd8")
        .expect("a dual verification of cd8");
    let dv_key = steps[dv]["key"].clone();
    let dv_after = steps[dv]["after"].clone();
    steps.remove(dv);
    for st in steps.iter_mut() {
        if let Some(after) = st.get_mut("after").and_then(Value::as_array_mut)
            && let Some(i) = after.iter().position(|a| *a == dv_key)
        {
            after.remove(i);
            after.extend(dv_after.as_array().unwrap().iter().cloned());
        }
    }
    let path = format!("/api/v1/programs/{}/maps", vantacel["id"].as_str().unwrap());
    let p = problem(
        post(&s, &author, &path, &map.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let errors = p["errors"].as_array().unwrap_or_else(|| panic!("{p}"));
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("dual_verification")),
        "{p}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["field"].as_str().unwrap().starts_with("steps.") || e["field"] == "map"),
        "{p}"
    );

    // A valid draft, then publish with If-Match.
    let res = post(&s, &author, &path, &v1["map"].to_string()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["number"], 2);
    let publish = s.url(&format!(
        "/api/v1/maps/{}/publish",
        v2["id"].as_str().unwrap()
    ));
    problem(
        s.http
            .post(&publish)
            .bearer_auth(&author)
            .send()
            .await
            .unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let res = s
        .http
        .post(&publish)
        .bearer_auth(&author)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = s
        .http
        .patch(s.url(&format!("/api/v1/maps/{}", v2["id"].as_str().unwrap())))
        .bearer_auth(&author)
        .header("if-match", "\"2\"")
        .json(&v1["map"])
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["detail"].as_str().unwrap().contains("never changes"),
        "{p}"
    );

    // The partner health system reads it; a health system that is not a partner does not.
    let lakeshore = s.token("pharmacy@lakeshore.example").await;
    let piedmont = s.token("pharmacy@piedmont.example").await;
    let url = s.url(&format!(
        "/api/v1/programs/{}",
        vantacel["id"].as_str().unwrap()
    ));
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth(&lakeshore)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    problem(
        s.http
            .get(&url)
            .bearer_auth(&piedmont)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    s.shutdown().await;
}

#[tokio::test]
async fn site_maps_visits_and_gaps_over_the_api() {
    let s = spawn_demo().await;
    let hs = s.token("pharmacy@lakeshore.example").await;
    let mfr = s.token("onboarding@helixa.example").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;

    let maps: Value = s
        .http
        .get(s.url(&format!("/api/v1/partnerships/{pship}/site-maps")))
        .bearer_auth(&mfr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signed = maps
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 1 && m["site_id"] == main.as_str())
        .unwrap();
    let view: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/site-maps/{}",
            signed["id"].as_str().unwrap()
        )))
        .bearer_auth(&mfr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "signed");

    // The manufacturer may not start a site's map; the health system may.
    let start = json!({ "site_id": north, "program_id": vantacel }).to_string();
    problem(
        post(
            &s,
            &mfr,
            &format!("/api/v1/partnerships/{pship}/site-maps"),
            &start,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        post(
            &s,
            &hs,
            &format!("/api/v1/partnerships/{pship}/site-maps"),
            &start
        )
        .await
        .status(),
        StatusCode::CREATED
    );

    // A visit with an observation of an unknown capability is refused, field by field.
    let visit = json!({ "site_id": north, "visited_on": "2026-11-20", "visitors": ["Marcus Kowalski"], "facility_ids": [],
        "observations": [{ "facility_id": "fac_x", "capability": "helipad", "value": true }] });
    let p = problem(
        post(
            &s,
            &mfr,
            &format!("/api/v1/partnerships/{pship}/visits"),
            &visit.to_string(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"].as_array().unwrap().iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("unknown capability")),
        "{p}"
    );

    let readiness: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/partnerships/{pship}/readiness/{north}/{vantacel}"
        )))
        .bearer_auth(&hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readiness["open_blocking"], 1);
    let gap = readiness["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["severity"] == "blocking")
        .unwrap()
        .clone();
    let close = s.url(&format!(
        "/api/v1/gaps/{}/close",
        gap["id"].as_str().unwrap()
    ));
    let body = |pw: &str| json!({ "evidence": "Two doses stocked on 5 North since 2026-11-21.", "password": pw });
    problem(
        s.http
            .post(&close)
            .bearer_auth(&hs)
            .json(&body(cellpath_app::demo::DEMO_PASSWORD))
            .send()
            .await
            .unwrap(),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    problem(
        s.http
            .post(&close)
            .bearer_auth(&hs)
            .header("if-match", "\"1\"")
            .json(&body("not-it-at-all"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = s
        .http
        .post(&close)
        .bearer_auth(&hs)
        .header("if-match", "\"1\"")
        .json(&body(cellpath_app::demo::DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let readiness: Value = s
        .http
        .get(s.url(&format!(
            "/api/v1/partnerships/{pship}/readiness/{north}/{vantacel}"
        )))
        .bearer_auth(&hs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readiness["open_blocking"], 0);
    s.shutdown().await;
}
