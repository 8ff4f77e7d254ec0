//! A case over the API, read by every demo user: the site's own clinical, quality, data and
//! finance staff see the patient in full; the manufacturer's patient ops the chain of identity
//! (name, date of birth, identifiers — no record number); everyone else on the partnership the
//! pseudonym, initials and birth year only; other tenants nothing (404). Lists show only the
//! pseudonym's part to anyone. The case's opening, an action and the refusal of the same
//! action again go through the API's conventions (201/200, ETag, 409 problem+json).

use crate::support::{TestServer, helixa_lakeshore, site_id, spawn_each, vantacel};
use cellpath_domain::policy::{
    Action, Decision, PatientView, Principal, Relation, Resource, ResourceKind, decide,
};
use cellpath_domain::{OrgKind, PartnershipStatus, Role, Vocabulary};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NAME: &str = "Teodora Vasquez-Lindqvist";
const DOB: &str = "1949-11-30";
const MRN: &str = "LUH-55120981";
const ORDER: &str = "HLX-ORD-77120";

async fn post(s: &TestServer, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let res = s
        .http
        .post(s.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(s: &TestServer, token: &str, path: &str) -> (StatusCode, String) {
    let res = s
        .http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The organizations of the demo and their e-mail domains.
const ORGS: &[(&str, &str, OrgKind)] = &[
    (
        "Helixa Therapeutics",
        "helixa.example",
        OrgKind::Manufacturer,
    ),
    (
        "Northbridge Gene Medicines",
        "northbridge.example",
        OrgKind::Manufacturer,
    ),
    (
        "Lakeshore University Health",
        "lakeshore.example",
        OrgKind::HealthSystem,
    ),
    (
        "Cascade Regional Medical",
        "cascade.example",
        OrgKind::HealthSystem,
    ),
    (
        "Piedmont Valley Health",
        "piedmont.example",
        OrgKind::HealthSystem,
    ),
];

#[tokio::test]
async fn every_demo_role_reads_a_case_over_the_api_within_its_view_of_the_patient() {
    for s in spawn_each().await {
        let pship = helixa_lakeshore(&s.app).await;
        let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
        let program = vantacel(&s.app).await;
        let coordinator = s.token("coordinator@lakeshore.example").await;

        let (status, reg) = post(
            &s,
            &coordinator,
            "/api/v1/patients",
            json!({ "site_id": site, "name": NAME, "date_of_birth": DOB, "mrn": MRN }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{reg}");
        let (status, opened) = post(
            &s,
            &coordinator,
            "/api/v1/cases",
            json!({ "partnership_id": pship, "site_id": site, "program_id": program, "patient_id": reg["patient_id"] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{opened}");
        let case = opened["id"].as_str().unwrap().to_string();
        let actions = format!("/api/v1/cases/{case}/actions");
        let (status, added) = post(
            &s,
            &coordinator,
            &actions,
            json!({ "action": { "command": "add_identifier", "kind": "manufacturer_order_id", "text": ORDER } }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{added}");
        let referral = json!({ "action": { "command": "record", "step": "referral", "fields": {
            "referring physician": "Dr. Amadi", "diagnosis": "DLBCL", "prior lines of therapy": "2" } } });
        let (status, acted) = post(&s, &coordinator, &actions, referral.clone()).await;
        assert_eq!(
            (status, acted["version"].as_i64()),
            (StatusCode::OK, Some(4)),
            "{acted}"
        );
        let (status, again) = post(&s, &coordinator, &actions, referral).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert!(
            again["detail"].as_str().unwrap().contains("already done"),
            "{again}"
        );

        let mut walked = 0;
        for (org, domain, kind) in ORGS {
            let org_id = s.org_id(org).await;
            for role in Role::words() {
                let email = format!("{}@{domain}", role.replace('_', "."));
                let Some(user) = s.app.store().user_by_email(&email).await.unwrap() else {
                    continue;
                };
                let relation = match *org {
                    "Lakeshore University Health" => Relation::OwnOrg,
                    "Helixa Therapeutics" => Relation::Party(PartnershipStatus::Active),
                    _ => Relation::Unrelated,
                };
                let principal = Principal {
                    user_id: user.id.clone(),
                    org_id: org_id.clone(),
                    org_kind: *kind,
                    role: user.role,
                };
                let view = match decide(
                    &principal,
                    Action::Read,
                    Resource {
                        kind: ResourceKind::Patient,
                        relation,
                    },
                ) {
                    Decision::Shows(v) => Some(v),
                    _ => None,
                };
                let token = s.token(&email).await;
                let (status, body) = get(&s, &token, &format!("/api/v1/cases/{case}")).await;
                let Some(view) = view else {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{email}: {body}");
                    walked += 1;
                    continue;
                };
                assert_eq!(status, StatusCode::OK, "{email}: {body}");
                let coi = view >= PatientView::ChainOfIdentity;
                for (secret, shown) in [
                    (NAME, coi),
                    (DOB, coi),
                    (ORDER, coi),
                    (MRN, view == PatientView::Full),
                ] {
                    assert_eq!(
                        body.contains(secret),
                        shown,
                        "{email} ({view:?}) and {secret}: {body}"
                    );
                }
                assert!(body.contains("VAN-LUH-MAIN-0013"), "{email}");
                for list in [
                    format!("/api/v1/sites/{site}/cases"),
                    format!("/api/v1/partnerships/{pship}/cases"),
                ] {
                    let (status, listed) = get(&s, &token, &list).await;
                    if status == StatusCode::OK {
                        for secret in [NAME, DOB, MRN, ORDER] {
                            assert!(!listed.contains(secret), "{email} {list}: {listed}");
                        }
                    }
                }
                walked += 1;
            }
        }
        assert!(walked >= 40, "every demo user: {walked}");
        s.shutdown().await;
    }
}

/// `cellpath case list|show`: the operator reads the demo's cases by pseudonym, never a name.
#[tokio::test]
async fn the_operator_lists_and_shows_cases_by_pseudonym() {
    use crate::support::{cellpath_on, seed_demo, stdout};
    let db = cellpath_app::testing::TestDb::sqlite().await;
    let app = seed_demo(&db).await;
    let site = site_id(&app, "Lakeshore University Health", "LUH-MAIN").await;
    // The stored case infused, and some of its registry forms submitted.
    let stored = app
        .stored_case(&site)
        .await
        .unwrap()
        .expect("the demo's stored case");
    app.through_first_infusion(&stored).await.unwrap();
    cellpath_app::testing::demo_registry_forms(&app, &stored)
        .await
        .unwrap();
    app.close().await;
    let url = db.url.as_str();
    let out = cellpath_on(url, &["case", "show", &stored], None);
    assert!(out.status.success(), "{out:?}");
    let shown = stdout(&out);
    assert!(
        shown.contains("consent: version 1 (") && shown.contains("), signed by the patient on 20"),
        "{shown}"
    );
    assert!(shown.contains("registry forms (infused on 20"), "{shown}");
    for status in ["submitted", "due"] {
        assert!(
            shown.contains(&format!(": {status} — ")),
            "a form {status}: {shown}"
        );
    }
    // The witness and the people who recorded are not the operator's to read.
    assert!(!shown.contains("Marta Keel"), "{shown}");
    let out = cellpath_on(url, &["case", "list", "--site", &site, "--json"], None);
    assert!(out.status.success(), "{out:?}");
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    // Vantacel's (seven at several stages, five booked for the full week) and Corvigen's six.
    assert_eq!(listed.len(), 18, "the demo's eighteen cases at LUH-MAIN");
    let text = stdout(&out);
    assert!(
        !text.contains("Whitfield") && !text.contains("LUH-1000000"),
        "{text}"
    );
    let on_hold = listed
        .iter()
        .find(|c| c["status"] == "on_hold" && c["pseudonym"].as_str().unwrap().starts_with("VAN-"))
        .expect("the demo has a Vantacel case on hold");
    let out = cellpath_on(
        url,
        &["case", "show", on_hold["id"].as_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let shown = stdout(&out);
    assert!(shown.contains("status: on hold since"), "{shown}");
    assert!(shown.contains("consent: "), "{shown}");
    assert!(shown.contains("opened case VAN-LUH-MAIN-"), "{shown}");
    assert!(!shown.contains("Whitfield"), "{shown}");
}

/// Graded adverse events over the API: 201 with the grade computed from the observations,
/// the preview grades without writing (422 problem+json naming the fields), a bad
/// observation refused by field with nothing written, and a pseudonym reader sees the grade.
#[tokio::test]
async fn adverse_events_over_the_api_answer_the_computed_grade() {
    for s in spawn_each().await {
        let case = s.infused_case().await;
        let nurse = s.token("nurse@lakeshore.example").await;
        let quality = s.token("quality@helixa.example").await;
        let crs = |litres: u16| {
            json!({ "temperature_tenths_c": 389,
                "oxygen": { "device": "nasal_cannula", "litres_per_minute": litres } })
        };
        // the preview: any signed-in user, nothing written
        let (status, graded) = post(&s, &quality, "/api/v1/grading/crs", crs(6)).await;
        assert_eq!(status, StatusCode::OK, "{graded}");
        assert_eq!(graded["grade"], 2);
        let (status, graded) = post(&s, &quality, "/api/v1/grading/crs", crs(7)).await;
        assert_eq!((status, &graded["grade"]), (StatusCode::OK, &json!(3)));
        let (status, problem) = post(
            &s,
            &quality,
            "/api/v1/grading/icans",
            json!({ "ice_score": 6, "consciousness": "unarousable" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "ice_score", "{problem}");
        let (status, problem) = post(
            &s,
            &quality,
            "/api/v1/grading/crs",
            json!({ "oxygen": { "device": "nasal_cannula", "litres_per_minute": "six" } }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let path = format!("/api/v1/cases/{case}/adverse-events");
        let (_, before) = get(&s, &nurse, &format!("/api/v1/cases/{case}")).await;
        let before: Value = serde_json::from_str(&before).unwrap();
        // a bad observation: 422 by field, nothing written
        let (status, problem) = post(
            &s,
            &nurse,
            &path,
            json!({ "kind": "crs", "onset": "2025-11-24T16:30",
                "observations": [{ "at": "2025-11-24T16:45", "crs": { "temperature_tenths_c": 39 } }] }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(
            problem["errors"][0]["field"],
            "observations[0].temperature_tenths_c"
        );
        // recorded: 201 with the grade and why; the same request again with its
        // Idempotency-Key answers the first answer, nothing written twice
        let body = json!({ "kind": "crs", "onset": "2025-11-24T16:30",
            "observations": [{ "at": "2025-11-24T16:45", "crs": crs(6) }] });
        let send = || {
            s.http
                .post(s.url(&path))
                .bearer_auth(&nurse)
                .header("Idempotency-Key", "ae-first-crs")
                .json(&body)
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let acted: Value = first.json().await.unwrap();
        let again = send().await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(
            again.headers()["idempotent-replayed"].to_str().unwrap(),
            "true"
        );
        assert_eq!(again.json::<Value>().await.unwrap(), acted);
        assert_eq!(acted["version"], before["version"].as_i64().unwrap() + 1);
        assert_eq!(acted["adverse_event"]["grade"], 2, "{acted}");
        let (status, acted) = post(
            &s,
            &nurse,
            &format!("{path}/1/observations"),
            json!({ "at": "2025-11-24T16:55", "crs": crs(7) }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{acted}");
        assert_eq!(acted["adverse_event"]["grade"], 3, "{acted}");
        assert!(
            acted["adverse_event"]["because"]
                .as_array()
                .unwrap()
                .contains(&json!("nasal cannula at 7 L/min: grade 3")),
            "{acted}"
        );
        let physician = s.token("physician@lakeshore.example").await;
        let (status, acted) = post(
            &s,
            &physician,
            &format!("{path}/1/treatments"),
            json!({ "treatment": "tocilizumab", "given_at": "2025-11-24T16:58", "detail": "8 mg/kg IV" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{acted}");
        let (status, acted) = post(
            &s,
            &physician,
            &format!("{path}/1/outcome"),
            json!({ "status": "resolved", "on": "2025-11-24" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{acted}");
        let (status, problem) = post(
            &s,
            &nurse,
            &format!("{path}/1/observations"),
            json!({ "at": "2025-11-24T16:59", "crs": crs(2) }),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let (status, _) = post(
            &s,
            &nurse,
            &format!("{path}/x/observations"),
            json!({ "at": "2025-11-24T16:59", "crs": crs(2) }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // the manufacturer's quality lead (pseudonym view) reads the grade, not the dose
        let (status, read) = get(&s, &quality, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(status, StatusCode::OK);
        let read: Value = serde_json::from_str(&read).unwrap();
        assert_eq!(read["view"], "pseudonym");
        assert_eq!(read["adverse_events"][0]["grade"], 3);
        assert_eq!(
            read["adverse_events"][0]["outcome_text"],
            "resolved on 2025-11-24"
        );
        assert!(!read.to_string().contains("8 mg/kg"), "{read}");
        // not theirs to record: the journey says whose it is, nothing written
        let (status, problem) = post(
            &s,
            &quality,
            &format!("{path}/1/observations"),
            json!({ "at": "2025-11-24T16:59", "crs": crs(2) }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("health system"),
            "{problem}"
        );
        s.shutdown().await;
    }
}

/// Registry forms over the API: the demo's stored case infused, the data manager marks its
/// 4006 submitted (Idempotency-Key: the same answer again, nothing written twice; a stale
/// If-Match 412; a day after today 422 naming the field), and every demo user reads the
/// site's submitted forms within its view: the case and the reference for the site's staff
/// and Helixa's chain-of-identity readers, the case without its reference for the other
/// readers of the partnership, nothing of Helixa's case for anyone else.
#[tokio::test]
async fn registry_forms_over_the_api_within_each_readers_view() {
    for s in spawn_each().await {
        let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
        let coordinator = s.token("coordinator@lakeshore.example").await;
        let (_, listed) = get(&s, &coordinator, &format!("/api/v1/sites/{site}/cases")).await;
        let listed: Value = serde_json::from_str(&listed).unwrap();
        let case = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["pseudonym"] == "VAN-LUH-MAIN-0007")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        cellpath_app::testing::infuse_stored_demo_case(&s.app, &case)
            .await
            .unwrap();
        let today = cellpath_domain::Date::of_micros(s.app.now());
        let dm = s.token("data.manager@lakeshore.example").await;
        let submit = format!("/api/v1/cases/{case}/registry-forms/cibmtr-4006-day-0/submissions");
        let send = |body: Value, key: Option<&'static str>, if_match: Option<String>| {
            let mut req = s.http.post(s.url(&submit)).bearer_auth(&dm).json(&body);
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            if let Some(v) = if_match {
                req = req.header("If-Match", v);
            }
            async move {
                let res = req.send().await.unwrap();
                let status = res.status();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, late) = send(
            json!({ "submitted_on": today.plus_days(1).as_str(), "reference": "FN-1" }),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{late}");
        assert!(late.to_string().contains("submitted_on"), "{late}");
        let (status, stale) = send(
            json!({ "submitted_on": today.as_str(), "reference": "FN-4006-31337" }),
            None,
            Some("\"1\"".into()),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{stale}");
        let body = json!({ "submitted_on": today.as_str(), "reference": "FN-4006-31337" });
        let (status, first) = send(body.clone(), Some("registry-4006"), None).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let (status, again) = send(body, Some("registry-4006"), None).await;
        assert_eq!(
            (status, &again),
            (StatusCode::OK, &first),
            "the first answer again"
        );
        let (status, twice) = send(
            json!({ "submitted_on": today.as_str(), "reference": "FN-other" }),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{twice}");
        let (status, bad) = get(
            &s,
            &dm,
            &format!("/api/v1/sites/{site}/registry-forms?status=late"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

        let list = format!("/api/v1/sites/{site}/registry-forms?status=submitted");
        let mut walked = 0;
        for (org, domain, kind) in ORGS {
            let org_id = s.org_id(org).await;
            for role in Role::words() {
                let email = format!("{}@{domain}", role.replace('_', "."));
                let Some(user) = s.app.store().user_by_email(&email).await.unwrap() else {
                    continue;
                };
                let relation = match *org {
                    "Lakeshore University Health" => Relation::OwnOrg,
                    "Helixa Therapeutics" => Relation::Party(PartnershipStatus::Active),
                    _ => Relation::Unrelated,
                };
                let principal = Principal {
                    user_id: user.id.clone(),
                    org_id: org_id.clone(),
                    org_kind: *kind,
                    role: user.role,
                };
                let view = match decide(
                    &principal,
                    Action::Read,
                    Resource {
                        kind: ResourceKind::Patient,
                        relation,
                    },
                ) {
                    Decision::Shows(v) => Some(v),
                    _ => None,
                };
                let token = s.token(&email).await;
                let (status, body) = get(&s, &token, &list).await;
                match view {
                    Some(view) => {
                        assert_eq!(status, StatusCode::OK, "{email}: {body}");
                        assert!(body.contains("VAN-LUH-MAIN-0007"), "{email}: {body}");
                        assert_eq!(
                            body.contains("FN-4006-31337"),
                            view >= PatientView::ChainOfIdentity,
                            "{email} ({view:?}): {body}"
                        );
                    }
                    // another tenant: not the site at all, or (a partner of Lakeshore's
                    // own) none of Helixa's cases
                    None => assert!(
                        status == StatusCode::NOT_FOUND
                            || (status == StatusCode::OK && !body.contains("VAN-LUH-MAIN-0007")),
                        "{email}: {status} {body}"
                    ),
                }
                walked += 1;
            }
        }
        assert!(walked >= 40, "every demo user: {walked}");
        s.shutdown().await;
    }
}

/// `cellpath case bench` at a tiny size (2 sites, 6 cases, 1 run of each page) builds its
/// network and cases through the commands and answers every figure in its JSON, on SQLite and,
/// when a server is named, PostgreSQL. The numbers depend on the machine and are not asserted;
/// that each was measured on something (actions done, pages loaded) is.
#[test]
fn the_case_bench_runs_at_a_tiny_size_and_reports_every_figure() {
    use crate::support::{cellpath, stderr, stdout};
    let pg = std::env::var("CELLPATH_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let mut args = vec![
        "--json",
        "case",
        "bench",
        "--sites",
        "2",
        "--cases",
        "6",
        "--runs",
        "1",
        "--actions",
        "3",
        "--clients",
        "2",
        "--builders",
        "2",
    ];
    if let Some(url) = &pg {
        args.extend(["--postgres-url", url]);
    }
    let out = cellpath(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let reports: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let databases: Vec<&str> = reports
        .iter()
        .map(|r| r["database"].as_str().unwrap())
        .collect();
    let expected: &[&str] = if pg.is_some() {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    assert_eq!(databases, expected);
    let positive = |v: &Value, key: &str| {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {v}"));
        assert!(x > 0.0, "{key} is {x} in {v}");
    };
    for r in &reports {
        assert_eq!(
            (r["sites"].as_u64(), r["cases"].as_u64()),
            (Some(2), Some(6))
        );
        let build = &r["build"];
        for key in [
            "network_seconds",
            "cases_seconds",
            "total_seconds",
            "writes_per_second",
        ] {
            positive(build, key);
        }
        assert_eq!(build["authorized_sites"], 2, "{build}");
        assert_eq!(build["builders"], 2, "{build}");
        assert!(build["actions"].as_u64().is_some(), "{build}");
        let actions = r["actions"].as_array().unwrap();
        let configurations: Vec<(&str, u64)> = actions
            .iter()
            .map(|t| (t["path"].as_str().unwrap(), t["clients"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            configurations,
            [("app", 1), ("app", 2), ("api", 1), ("api", 2)]
        );
        for t in actions {
            assert!(t["actions"].as_u64().unwrap() >= 3, "{t}");
            for key in ["seconds", "per_second", "p50_ms", "p99_ms"] {
                positive(t, key);
            }
        }
        let pages: Vec<(&str, &str)> = r["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                assert_eq!(l["runs"], 1, "{l}");
                for key in ["p50_ms", "p99_ms", "max_ms"] {
                    positive(l, key);
                }
                (l["what"].as_str().unwrap(), l["path"].as_str().unwrap())
            })
            .collect();
        assert_eq!(
            pages,
            [
                ("case", "app"),
                ("case", "api"),
                ("case", "page"),
                ("site case list", "app"),
                ("site case list", "api"),
                ("site case list", "page"),
                ("inbox", "app"),
                ("inbox", "api"),
                ("inbox", "page"),
                ("inbox count", "app"),
                ("inbox, cases moving", "page"),
            ]
        );
    }
}
