//! The JSON API as a client sees it, one file per idea: problem+json errors a person can act
//! on, idempotent retries, optimistic concurrency, pagination, signing, operations, and each
//! capability's resources. Here: the helpers they share and the OpenAPI snapshot (kept at
//! `api::the_openapi_…`, the path `UPDATE_SNAPSHOTS=1` runs name).

mod bookings;
mod claims;
mod directory;
mod documents;
mod errors;
mod gate;
mod labels;
mod notices;
mod onboarding;
mod operations;
mod pages;
mod programs;
mod retries;
mod signing;
mod site_maps;
mod versions;

use crate::support::{TestServer, spawn_demo};
use reqwest::StatusCode;
use serde_json::Value;

async fn problem(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16());
    body
}

async fn post(s: &TestServer, token: &str, path: &str, body: &str) -> reqwest::Response {
    s.http
        .post(s.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Whether `value` fits `schema` of the served OpenAPI document: closed objects (no field
/// the schema lacks, every required one present), arrays, `oneOf`, enums, `$ref`s and the
/// JSON types; enough to catch a schema that refuses real answers, or answers that drift.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        return if options.iter().any(|o| conforms(doc, o, value, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: {value} fits none of {schema}"))
        };
    }
    if let Some(values) = schema["enum"].as_array() {
        return if values.contains(value) {
            Ok(())
        } else {
            Err(format!("{at}: {value} is not one of {schema}"))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let fits = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        return Err(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(object) = value.as_object() {
        let props = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: lacks the required {name}"));
            }
        }
        for (k, v) in object {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: {k} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot_and_every_operation_is_routed() {
    let s = spawn_demo().await;
    let doc: Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/openapi.json");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(path, &pretty).unwrap();
    }
    let snapshot = std::fs::read_to_string(path)
        .expect("crates/server/openapi.json exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert!(
        snapshot == pretty,
        "the API changed: review it, then run with UPDATE_SNAPSHOTS=1 to update crates/server/openapi.json"
    );
    let token = s.token("admin@lakeshore.example").await;
    for (method, path, ..) in cellpath_server::openapi::OPERATIONS {
        let url = s.url(
            &path
                .replace("{id}", "nope")
                .replace("{site}", "nope")
                .replace("{program}", "nope"),
        );
        let req = match *method {
            "get" => s.http.get(url),
            "post" => s.http.post(url),
            "put" => s.http.put(url),
            "patch" => s.http.patch(url),
            other => panic!("{other}"),
        };
        let res = req.bearer_auth(&token).send().await.unwrap();
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("no API route"),
            "{method} {path} is documented but not routed"
        );
    }
    s.shutdown().await;
}
