//! The live plan and the onboarding pipeline over the API, checked against the served schema.

use super::conforms;
use crate::support::{helixa_lakeshore, spawn_demo, vantacel};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_live_plan_and_the_onboarding_pipeline_over_the_api() {
    let s = spawn_demo().await;
    let lead = s.token("onboarding@helixa.example").await;
    let stranger = s.token("admin@piedmont.example").await;
    let helixa = s.org_id("Helixa Therapeutics").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let get = |token: String, path: String| {
        let url = s.url(&path);
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };

    let res = get(
        lead.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let plan: Value = res.json().await.unwrap();
    assert_eq!(plan["start"], "2025-06-01", "{plan}");
    assert_eq!(plan["iterations"], 10_000);
    let north = plan["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site_code"] == "LUH-NORTH")
        .unwrap();
    assert_eq!(north["status"], "onboarding");
    assert!(
        north["prediction"]["p90"].as_str().unwrap()
            >= north["prediction"]["p50"].as_str().unwrap()
    );
    assert!(plan["days_saved"][0].as_i64().unwrap() > 0, "{plan}");
    let doc: Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    conforms(&doc, &schema("LivePlan"), &plan, "LivePlan").unwrap();
    assert!(
        !plan["dual_track"]["critical_path"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A bad day is a 422 naming the parameter; a stranger gets 404.
    let res = get(
        lead.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}?on=2026-02-30"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "on", "{problem}");
    let res = get(
        stranger.clone(),
        format!("/api/v1/partnerships/{pship}/plan/{vantacel}"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = get(lead, "/api/v1/onboarding".into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pipeline: Value = res.json().await.unwrap();
    assert_eq!(pipeline["org_id"], helixa.as_str());
    conforms(
        &doc,
        &schema("OnboardingPipeline"),
        &pipeline,
        "OnboardingPipeline",
    )
    .unwrap();
    // The check itself refuses what does not fit.
    assert!(conforms(&doc, &schema("LivePlan"), &pipeline, "wrong").is_err());
    let rows = pipeline["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["site_code"] == "LUH-MAIN" && r["status"] == "authorized"),
        "{pipeline}"
    );
    assert!(
        rows.iter()
            .filter(|r| r["status"] != "authorized")
            .all(|r| r["prediction"]["p50"].is_string()
                && !r["blockers"].as_array().unwrap().is_empty()),
        "{pipeline}"
    );
    // Piedmont's pipeline holds Northbridge's partnership only.
    let theirs: Value = get(stranger, "/api/v1/onboarding".into())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        theirs["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["program_name"] == "Corvigen"),
        "{theirs}"
    );

    // Paged by partnership: Lakeshore's second partnership (by name) on a page of one, with
    // the counts of both.
    let nurse = s.token("nurse@lakeshore.example").await;
    let whole: Value = get(nurse.clone(), "/api/v1/onboarding".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(whole["partnerships"], 2, "{whole}");
    assert_eq!(whole["next_offset"], Value::Null);
    let res = get(nurse.clone(), "/api/v1/onboarding?limit=1&offset=1".into()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    conforms(
        &doc,
        &schema("OnboardingPipeline"),
        &second,
        "OnboardingPipeline",
    )
    .unwrap();
    assert_eq!(
        (&second["limit"], &second["offset"], &second["next_offset"]),
        (&json!(1), &json!(1), &Value::Null),
        "{second}"
    );
    let rows = second["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{second}");
    assert!(
        rows.iter()
            .all(|r| r["partnership_name"] == "Northbridge × Lakeshore: Corvigen"),
        "{second}"
    );
    assert_eq!(
        second["counts"], whole["counts"],
        "the counts are every page's"
    );
    let first: Value = get(nurse.clone(), "/api/v1/onboarding?limit=1".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["next_offset"], 1, "{first}");
    // A page of none is a 422 naming the parameter.
    let res = get(nurse, "/api/v1/onboarding?limit=0".into()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "limit", "{problem}");
    s.shutdown().await;
}
