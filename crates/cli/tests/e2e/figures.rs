//! `GET /api/v1/figures/vein-to-vein` over HTTP: an infused case counted for both sides of its
//! partnership, as JSON with the figures and how many cases they rest on; another
//! manufacturer's figures hold none of it; a program or site the caller may not see is a 404
//! problem, an unknown parameter a 400 naming it.

use crate::support::{site_id, spawn_each, vantacel};
use reqwest::StatusCode;
use serde_json::Value;

fn vein_to_vein_cases(v: &Value) -> i64 {
    v["figures"]["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|s| s["span"] == "collection_to_infusion"))
        .and_then(|s| s["days"]["cases"].as_i64())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_figures_count_an_infused_case_for_its_partnership_only() {
    for s in spawn_each().await {
        s.infused_case().await;
        let main = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
        let program = vantacel(&s.app).await;
        for email in [
            "patient.ops@helixa.example",
            "coordinator@lakeshore.example",
        ] {
            let token = s.token(email).await;
            // Vantacel's figures: the infused case and the demo's other eleven.
            let v = s
                .get_json(
                    &format!("/api/v1/figures/vein-to-vein?program={program}"),
                    &token,
                )
                .await;
            assert_eq!(vein_to_vein_cases(&v), 1, "{email}: {v}");
            assert_eq!(v["cases"], 12, "{email}: {v}");
            let one = s
                .get_json(
                    &format!("/api/v1/figures/vein-to-vein?program={program}&site={main}"),
                    &token,
                )
                .await;
            assert_eq!(
                one["site"]["name"], "Lakeshore University Hospital",
                "{one}"
            );
            assert_eq!(vein_to_vein_cases(&one), 1);
        }
        // Northbridge counts its own Corvigen cases at the site, never Helixa's.
        let other = s.token("patient.ops@northbridge.example").await;
        let v = s.get_json("/api/v1/figures/vein-to-vein", &other).await;
        assert_eq!(v["cases"].as_i64(), Some(6), "{v}");
        let res = s
            .http
            .get(s.url(&format!("/api/v1/figures/vein-to-vein?program={program}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let res = s
            .http
            .get(s.url("/api/v1/figures/vein-to-vein?region=midwest"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains("region"));
        s.shutdown().await;
    }
}
