//! The API's contract on every route at once: every error under `/api` is problem+json,
//! query parameters an operation does not take are refused (400, naming them) wherever they
//! are sent, and integers outside ±(2^53 − 1) — the range the ledger records — are refused
//! with a 422 naming the field when the request is parsed, never a 500 when it is sealed.

use crate::support::{TestServer, helixa_lakeshore, site_id, spawn_demo, vantacel};
use cellpath_server::openapi::{IF_MATCH, OPERATIONS};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The status, headers and problem+json body of an answer that must be a problem.
async fn expect_problem(res: reqwest::Response, status: StatusCode, what: &str) -> Value {
    assert_eq!(res.status(), status, "{what}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(ct, "application/problem+json", "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16(), "{what}: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}: {body}"
    );
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")),
        "{what}: {body}"
    );
    body
}

fn request(s: &TestServer, method: &str, path: &str, token: &str) -> reqwest::RequestBuilder {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    s.http.request(method, s.url(path)).bearer_auth(token)
}

#[tokio::test]
async fn every_error_under_api_is_problem_json() {
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let org = s.org_id("Lakeshore University Health").await;
    let sites = format!("/api/v1/organizations/{org}/sites");

    // A path segment that is not UTF-8 once decoded.
    for path in ["/api/v1/sites/%FF", "/api/v1/partnerships/%C3%28/gate/a/b"] {
        let res = request(&s, "get", path, &token).send().await.unwrap();
        expect_problem(res, StatusCode::BAD_REQUEST, path).await;
    }

    // A method the route does not take: 405 with the methods it does take.
    for (method, path, allowed) in [
        ("delete", "/api/v1/me", "GET"),
        ("put", "/api/v1/tokens", "POST"),
        ("delete", sites.as_str(), "POST"),
    ] {
        let res = request(&s, method, path, &token).send().await.unwrap();
        let allow = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(allow.contains(allowed), "{method} {path}: Allow: {allow:?}");
        let p = expect_problem(res, StatusCode::METHOD_NOT_ALLOWED, path).await;
        assert_eq!(p["type"], "/problems/method-not-allowed");
    }

    // Unknown paths under /api, with or without a token.
    for path in ["/api/v1/no/such/route", "/api/elsewhere", "/api/v2/me"] {
        let res = request(&s, "get", path, &token).send().await.unwrap();
        expect_problem(res, StatusCode::NOT_FOUND, path).await;
        let res = s.http.get(s.url(path)).send().await.unwrap();
        expect_problem(res, StatusCode::NOT_FOUND, path).await;
    }

    // Malformed JSON, query and headers.
    let res = request(&s, "post", &sites, &token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST, "malformed JSON").await;
    let res = request(&s, "get", &format!("{sites}?limit=ten"), &token)
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST, "malformed query").await;
    let site = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;
    let res = request(&s, "patch", &format!("/api/v1/sites/{site}"), &token)
        .header("content-type", "application/json")
        .header("if-match", "yesterday")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST, "bad If-Match").await;
    let res = request(&s, "post", &sites, &token)
        .header("content-type", "application/json")
        .header("idempotency-key", "two words")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST, "bad Idempotency-Key").await;

    // Not JSON, and too large.
    let res = request(&s, "post", &sites, &token)
        .body("name=A")
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "form body").await;
    let huge =
        json!({ "name": "x".repeat(400_000), "code": "A", "city": "B", "region": "C" }).to_string();
    let res = request(&s, "post", &sites, &token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "huge body").await;
    assert_eq!(p["type"], "/problems/too-large");
    s.shutdown().await;
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_on_every_route_and_known_ones_are_documented() {
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let doc = s.get_json("/api/openapi.json", &token).await;
    for (method, path, op_id, ..) in OPERATIONS {
        let concrete = path
            .replace("{id}", "nope")
            .replace("{site}", "nope")
            .replace("{program}", "nope");
        let what = format!("{method} {path}");
        let mut req = request(&s, method, &format!("{concrete}?bogus=1"), &token);
        if *method != "get" {
            req = req
                .header("content-type", "application/json")
                .header("if-match", "\"1\"")
                .body("{}");
        }
        let p = expect_problem(req.send().await.unwrap(), StatusCode::BAD_REQUEST, &what).await;
        assert!(
            p["detail"].as_str().unwrap().contains("bogus"),
            "{what}: {p}"
        );

        // Each parameter the document lists is taken (not refused as unknown).
        let params = doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{what} is documented"));
        let documented = |place: &str| {
            params
                .iter()
                .filter(|p| p["in"] == place)
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        for name in documented("query") {
            let value = match name.as_str() {
                "limit" => "10",
                "offset" => "0",
                "on" => "2026-03-01",
                "within" => "30",
                "value" => "W123425000012",
                "status" if path.contains("safety-reports") => "pending",
                "status" => "due",
                "program" | "site" => "nope",
                other => panic!("{what}: give the test a value for ?{other}"),
            };
            let res = request(&s, method, &format!("{concrete}?{name}={value}"), &token)
                .send()
                .await
                .unwrap();
            assert_ne!(res.status(), StatusCode::BAD_REQUEST, "{what}?{name}");
        }
        // If-Match is declared, and required, exactly where the handler requires it.
        let if_match = params
            .iter()
            .find(|p| p["in"] == "header" && p["name"] == "If-Match");
        assert_eq!(
            if_match.is_some_and(|p| p["required"] == true),
            IF_MATCH.contains(op_id),
            "{what}: If-Match"
        );
        let responses = &doc["paths"][path][method]["responses"];
        for status in ["400", "401", "404"] {
            assert!(responses.get(status).is_some(), "{what} documents {status}");
        }
        if IF_MATCH.contains(op_id) {
            for status in ["412", "428"] {
                assert!(responses.get(status).is_some(), "{what} documents {status}");
            }
        }
        if *method != "get" {
            // Without If-Match: 428 exactly where it is declared required (or the body `{}`
            // is refused first).
            let res = request(&s, method, &concrete, &token)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status();
            if IF_MATCH.contains(op_id) {
                assert!(
                    [
                        StatusCode::PRECONDITION_REQUIRED,
                        StatusCode::UNPROCESSABLE_ENTITY
                    ]
                    .contains(&status),
                    "{what}: {status}"
                );
            } else {
                assert_ne!(status, StatusCode::PRECONDITION_REQUIRED, "{what}");
            }
        }
    }
    s.shutdown().await;
}

/// A number as a request spells it, and whether the ledger can record it.
fn in_ledger_range(literal: &str) -> bool {
    const MAX: i128 = (1 << 53) - 1;
    match literal.parse::<i128>() {
        Ok(n) => (-MAX..=MAX).contains(&n),
        Err(_) => literal
            .parse::<f64>()
            .is_ok_and(|f| f.fract() == 0.0 && f.abs() <= MAX as f64),
    }
}

/// The boundaries, then numbers drawn by proptest: any i64, any u64, anything within range,
/// and floats.
fn numbers() -> Vec<String> {
    let mut out: Vec<String> = [
        "9007199254740991",
        "-9007199254740991",
        "9007199254740992",
        "-9007199254740992",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "100000000000000000000",
        "1e300",
        "-1e300",
        "1.5",
        "7.0",
    ]
    .map(String::from)
    .to_vec();
    let strategy = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (-((1i64 << 53) - 1)..=(1i64 << 53) - 1).prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
    ];
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(Config::default().rng_algorithm),
    );
    for _ in 0..12 {
        out.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    out
}

/// One request that carries a number: its path or body has `__N__` where the number goes.
struct Carrier {
    method: &'static str,
    path: String,
    body: Option<String>,
    /// Where a refusal points.
    field: &'static str,
    /// `GET` this and take its ETag (or the version of the item with this id) for If-Match.
    version_from: Option<(String, Option<String>)>,
    /// The field is a ledger integer (its refusal names the range); else a smaller type.
    ledger_int: bool,
}

async fn version_of(s: &TestServer, token: &str, url: &str, id: Option<&str>) -> String {
    let res = request(s, "get", url, token).send().await.unwrap();
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body: Value = res.json().await.unwrap();
    match id {
        None => etag.expect("an ETag"),
        Some(id) => body
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| format!("\"{}\"", a["version"]))
            .expect("the item"),
    }
}

#[tokio::test]
async fn integers_outside_the_ledger_range_are_refused_naming_the_field_never_a_500() {
    let s = spawn_demo().await;
    let mfr = s.token("onboarding@helixa.example").await;
    let contracts = s.token("contracts@lakeshore.example").await;
    let hs = s.token("admin@lakeshore.example").await;
    let pship = helixa_lakeshore(&s.app).await;
    let vantacel = vantacel(&s.app).await;
    let north = site_id(&s.app, "Lakeshore University Health", "LUH-NORTH").await;
    let lakeshore = s.org_id("Lakeshore University Health").await;
    let facilities = s
        .get_json(
            &format!("/api/v1/organizations/{lakeshore}/facilities?limit=200"),
            &hs,
        )
        .await;
    let processing = facilities["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["kind"] == "processing"
                && f["site_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| *x == north.as_str())
        })
        .expect("a processing facility serving LUH-NORTH")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agreements = format!("/api/v1/partnerships/{pship}/agreements");
    let list = s.get_json(&agreements, &contracts).await;
    let msa = list.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let template_url = format!("/api/v1/programs/{vantacel}/track-template");
    let template = s.get_json(&template_url, &mfr).await;
    let mut template = template["template"].clone();
    template["items"][0]["days"] = json!(["__N__", "__N__", "__N__"]);
    let template = template.to_string().replace("\"__N__\"", "__N__");
    let visit = |extra: &str| {
        format!(
            r#"{{"site_id": "{north}", "visited_on": "2026-11-20", "visitors": ["Dana Reyes"], "facility_ids": ["{processing}"], {extra}}}"#
        )
    };
    let carriers = vec![
        Carrier {
            method: "post",
            path: "/api/v1/programs".into(),
            body: Some(
                r#"{"name": "P NAME", "modality": "autologous_cell", "list_prices": [{"effective_on": "2026-01-01", "cents": __N__}]}"#.into(),
            ),
            field: "list_prices.0.cents",
            version_from: None,
            ledger_int: true,
        },
        Carrier {
            method: "put",
            path: format!("/api/v1/programs/{vantacel}/requirements"),
            body: Some(
                r#"[{"key": "ln2", "capability": "ln2_storage_positions", "check": {"at_least": __N__}, "severity": "minor"}]"#.into(),
            ),
            field: "0.check.at_least",
            version_from: Some((format!("/api/v1/programs/{vantacel}"), None)),
            ledger_int: true,
        },
        Carrier {
            method: "post",
            path: format!("/api/v1/partnerships/{pship}/visits"),
            body: Some(visit(&format!(
                r#""observations": [{{"facility_id": "{processing}", "capability": "ln2_storage_positions", "value": __N__}}]"#
            ))),
            field: "observations.0.value",
            version_from: None,
            ledger_int: true,
        },
        Carrier {
            method: "post",
            path: format!("/api/v1/partnerships/{pship}/visits"),
            body: Some(visit(&format!(
                r#""attachments": [{{"name": "layout.pdf", "media_type": "application/pdf", "bytes": __N__, "sha256": "{}"}}]"#,
                "a".repeat(64)
            ))),
            field: "attachments.0.bytes",
            version_from: None,
            ledger_int: true,
        },
        Carrier {
            method: "post",
            path: format!("/api/v1/agreements/{msa}/documents"),
            body: Some(format!(
                r#"{{"name": "MSA draft", "sha256": "{}", "bytes": __N__}}"#,
                "b".repeat(64)
            )),
            field: "bytes",
            version_from: Some((agreements.clone(), Some(msa.clone()))),
            ledger_int: true,
        },
        Carrier {
            method: "put",
            path: template_url.clone(),
            body: Some(template),
            field: "items.0.days.0",
            version_from: Some((template_url.clone(), None)),
            ledger_int: false,
        },
        Carrier {
            method: "get",
            path: "/api/v1/notices?offset=__N__".into(),
            body: None,
            field: "offset",
            version_from: None,
            ledger_int: true,
        },
        Carrier {
            method: "get",
            path: "/api/v1/notices?limit=__N__".into(),
            body: None,
            field: "limit",
            version_from: None,
            ledger_int: true,
        },
        Carrier {
            method: "get",
            path: format!("/api/v1/partnerships/{pship}/agreements/expiring?within=__N__"),
            body: None,
            field: "within",
            version_from: None,
            ledger_int: true,
        },
    ];
    for (i, n) in numbers().iter().enumerate() {
        for c in &carriers {
            let token = match c.path.as_str() {
                p if p.contains("/agreements") => &contracts,
                p if p.contains("/notices") => &hs,
                _ => &mfr,
            };
            let what = format!("{} {} with {n}", c.method, c.path);
            let path = c.path.replace("__N__", n);
            let mut req = request(&s, c.method, &path, token);
            if let Some(body) = &c.body {
                let body = body
                    .replace("P NAME", &format!("Program {i}"))
                    .replace("__N__", n);
                req = req.header("content-type", "application/json").body(body);
            }
            if let Some((url, id)) = &c.version_from {
                req = req.header("if-match", version_of(&s, token, url, id.as_deref()).await);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            assert!(!status.is_server_error(), "{what}: {status}");
            let in_range = in_ledger_range(n);
            if in_range && c.ledger_int {
                // The ledger records it: taken, or refused by a rule of the field (a price
                // above zero, a size not negative, a page of at most 200) — never sealed wrong.
                if !status.is_success() {
                    let p = expect_problem(res, status, &what).await;
                    assert!(
                        !p["detail"].as_str().unwrap().contains("2^53"),
                        "{what}: {p}"
                    );
                }
                continue;
            }
            if c.body.is_none() {
                // A query parameter: the query cannot be read (400) or is out of range (422).
                assert!(
                    [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
                    "{what}: {status}"
                );
                let p = expect_problem(res, status, &what).await;
                assert!(
                    p["detail"].as_str().unwrap().contains(c.field),
                    "{what}: {p}"
                );
                continue;
            }
            if in_range {
                // A smaller integer type (days of a template): taken, or refused by its own
                // bounds.
                assert!(
                    status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{what}: {status}"
                );
                continue;
            }
            let p = expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY, &what).await;
            let errors = p["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: {p}"));
            assert_eq!(errors[0]["field"], c.field, "{what}: {p}");
            if c.ledger_int {
                assert!(
                    errors[0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("9007199254740991"),
                    "{what}: {p}"
                );
            }
        }
    }
    // Whatever was taken was sealed into an intact ledger.
    let verify = s
        .get_json(&format!("/api/v1/ledgers/{pship}/verify"), &mfr)
        .await;
    assert_eq!(verify["result"], "intact", "{verify}");
    s.shutdown().await;
}
