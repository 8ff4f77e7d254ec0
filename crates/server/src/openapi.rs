//! The OpenAPI 3.1 document at `/api/openapi.json`, described from the types (issue 9, point
//! 6): every operation is a handler's `#[utoipa::path]` (path, method, id, summary, request
//! body, success answer) listed in [`Derived`]; every schema is derived (`ToSchema`) from the
//! request and view types of `app` and the request and value types of `domain` (its `openapi`
//! feature), vocabularies listing their words from the domain's enums. To add an operation,
//! annotate its handler and list it there.
//!
//! [`build`] adds what a derive cannot express, the same for every operation: path
//! parameters, `If-Match`, `Idempotency-Key`, query parameters, the problem+json errors, the
//! bearer security and the note that a token never signs alone. One patch is by hand, in
//! [`document_bodies`]: the documents' upload takes multipart or raw bytes and the download
//! answers bytes in the stored type, which the JSON-only table of operations cannot say.
//! [`OPERATIONS`] lists them all (read from the document). A snapshot test compares the
//! document with `crates/server/openapi.json`, and a route test checks every operation is
//! routed.

use crate::api::{
    bookings, cases, claims, consent, contracts, documents, exception_decisions, exceptions,
    figures, finance, identifiers, inbox, ledgers, notices, programs, records, safety, sites,
    tokens, waitlist, webhooks,
};
use crate::problem::Problem;
use axum::Json;
use cellpath_app::views::schema;
use cellpath_domain::contracting::Coverage;
use cellpath_domain::process_map::Step;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;
use utoipa::OpenApi;

/// (method, path, operationId, summary, request schema, success status, response schema)
pub type Operation = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u16,
    &'static str,
);

/// The operations described from their types: add a handler with `#[utoipa::path]` here.
#[derive(OpenApi)]
#[openapi(
    paths(
        records::me,
        records::list_organizations,
        records::get_organization,
        records::patch_organization,
        records::list_sites,
        records::create_site,
        records::list_facilities,
        records::create_facility,
        records::list_users,
        records::create_user,
        records::get_site,
        records::patch_site,
        records::get_facility,
        records::patch_facility,
        records::get_user,
        records::patch_user,
        records::list_partnerships,
        records::create_partnership,
        records::get_partnership,
        records::patch_partnership,
        records::decline_partnership,
        tokens::list,
        tokens::create,
        tokens::revoke,
        webhooks::list,
        webhooks::create,
        webhooks::get,
        webhooks::rotate,
        webhooks::disable,
        webhooks::enable,
        webhooks::attempts,
        exceptions::list_protocols,
        exceptions::draft_protocol,
        exceptions::get_protocol,
        exceptions::sign_protocol,
        exceptions::list,
        exceptions::sla,
        exceptions::get,
        exceptions::open,
        exceptions::acknowledge,
        ledgers::head,
        ledgers::events,
        ledgers::verify,
        ledgers::export,
        ledgers::sign,
        cases::list_site_cases,
        cases::list_partnership_cases,
        programs::list,
        programs::create,
        programs::get,
        programs::update,
        programs::list_maps,
        programs::create_map,
        programs::get_map,
        programs::update_map,
        programs::publish_map,
        sites::set_requirements,
        sites::list_site_maps,
        sites::start_site_map,
        sites::get_site_map,
        sites::refine_site_map,
        sites::propose,
        sites::sign_site_map,
        sites::decide,
        sites::record_visit,
        sites::readiness,
        sites::analyze,
        sites::close_gap,
        contracts::get_track_template,
        contracts::set_track_template,
        contracts::list,
        contracts::create,
        contracts::expiring,
        contracts::move_to,
        contracts::dates,
        contracts::add_document,
        contracts::add_amendment,
        contracts::join,
        contracts::record_deliverable,
        contracts::revoke_deliverable,
        contracts::review,
        contracts::gate,
        contracts::live_plan,
        contracts::pipeline,
        notices::list,
        figures::vein_to_vein,
        inbox::show,
        bookings::get_capacity,
        bookings::set_capacity,
        bookings::list_case_bookings,
        bookings::request_booking,
        bookings::offer,
        bookings::confirm,
        bookings::waitlist,
        bookings::cancel,
        safety::list,
        safety::get,
        safety::acknowledge,
        exception_decisions::patient_told,
        exception_decisions::decide,
        exception_decisions::prerequisite,
        exception_decisions::sign,
        exception_decisions::timeline,
        waitlist::list,
        waitlist::score,
        waitlist::skip,
        waitlist::accept,
        waitlist::decline,
        identifiers::check,
        documents::upload,
        documents::download,
        cases::register_patient,
        cases::open_case,
        cases::get_case,
        cases::act,
        cases::record_adverse_event,
        consent::record_case_consent,
        consent::list,
        consent::create,
        consent::activate,
        consent::retire,
        finance::terms,
        finance::propose,
        finance::invoices,
        finance::settle,
        claims::profiles,
        claims::create_profile,
        claims::start_from_defaults,
        claims::update_profile,
        claims::case_claims,
        claims::submit,
        claims::claim,
        claims::step,
        claims::exposure,
        cases::observe_adverse_event,
        cases::treat_adverse_event,
        cases::adverse_event_outcome,
        cases::grade_crs,
        cases::grade_icans,
        cases::list_site_registry_forms,
        cases::submit_registry_form,
    ),
    components(schemas(Coverage, Step, Problem))
)]
pub struct Derived;

/// The operations of [`Derived`] and the schemas they name.
static DERIVED: LazyLock<Value> = LazyLock::new(|| {
    serde_json::to_value(Derived::openapi()).expect("the derived document serializes")
});

/// Every operation as a table: `for (method, path, ..) in OPERATIONS`.
pub const OPERATIONS: Operations = Operations;

/// The operations of the document, read from [`Derived`] once.
pub struct Operations;

impl IntoIterator for Operations {
    type Item = &'static Operation;
    type IntoIter = std::slice::Iter<'static, Operation>;
    fn into_iter(self) -> Self::IntoIter {
        static ALL: LazyLock<Vec<Operation>> =
            LazyLock::new(|| derived_operations(LazyLock::force(&DERIVED)));
        ALL.iter()
    }
}

/// The derived operations as rows of the table: each answers one success status.
fn derived_operations(doc: &'static Value) -> Vec<Operation> {
    let text = |v: &'static Value| v.as_str().expect("a derived operation names this");
    let schema = |content: &'static Value| {
        let media = content.as_object().and_then(|c| c.values().next())?;
        media["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
    };
    let mut ops = vec![];
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let responses = op["responses"].as_object();
            let Some((status, answer)) = responses.and_then(|r| r.iter().next()) else {
                panic!("{method} {path} answers nothing");
            };
            ops.push((
                method.as_str(),
                path.as_str(),
                text(&op["operationId"]),
                text(&op["summary"]),
                schema(&op["requestBody"]["content"]),
                status.parse().expect("a status"),
                schema(&answer["content"]).expect("an answer with a schema"),
            ));
        }
    }
    ops
}

/// Request bodies that carry a password re-entered to e-sign: their operations get
/// [`SIGNING`] as their description.
const SIGNING_REQUESTS: &[&str] = &[
    "SignRequest",
    "SignSiteMap",
    "CloseGap",
    "DeliverableInput",
    "DeliverableRevocation",
    "CaseAction",
    "ConsentActivation",
    "ConsentRetirement",
    "SignProtocol",
    "ExceptionCloseSignature",
];

/// How a signature made through the API works, said on every operation that signs.
pub const SIGNING: &str = "A token never signs alone: the password is re-entered at each signature. Send the signer's own password, typed at that moment (e.g. on a bedside device acting for them with their token), in `password`. A wrong one counts against signing only: after 5 in a row the signer's signatures pause for 15 minutes on every channel, while signing in to the web is not affected. The signature records the channel it came through: this API token, by id and name (`channel` in the signature event's payload and in the answer).";

fn text() -> Value {
    json!({ "type": "string" })
}
fn object(required: &[&str], props: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_string(), v.clone());
    }
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": p })
}
fn day() -> Value {
    serde_json::to_value(schema::day()).expect("a schema serializes")
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// Operations that change a versioned record: they need `If-Match` with the version read
/// (428 without it, 400 when it is not a version, 412 when the record has moved on).
pub const IF_MATCH: &[&str] = &[
    "acknowledgeSafetyReport",
    "updateOrganization",
    "updateSite",
    "updateFacility",
    "updateUser",
    "updatePartnership",
    "declinePartnership",
    "updateProgram",
    "updateMapVersion",
    "publishMapVersion",
    "setRequirements",
    "refineSiteMap",
    "decideProposal",
    "closeGap",
    "setTrackTemplate",
    "moveAgreement",
    "setAgreementDates",
    "addAgreementDocument",
    "addAgreementAmendment",
    "joinSites",
    "revokeDeliverable",
    "activateConsentVersion",
    "retireConsentVersion",
    "updatePayerProfile",
];

/// Operations that read no body and no `Idempotency-Key`: actions of the caller alone.
const NO_COMMAND: &[&str] = &[
    "analyzeGaps",
    "reviewAuthorizations",
    "revokeToken",
    "uploadDocument",
];

/// The query parameters each operation takes; any other is refused with 400 naming it.
fn query_params(op_id: &str, response: &str) -> Vec<Value> {
    let q = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    // `?limit=&offset=` of a list of `what`.
    let paging = |what: &str| {
        [
            q(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }),
                &format!("how many {what} (1–200)"),
            ),
            q(
                "offset",
                json!({ "type": "integer", "minimum": 0, "maximum": LEDGER_INT_MAX, "default": 0 }),
                &format!("how many {what} to skip"),
            ),
        ]
    };
    let on = || {
        q(
            "on",
            day(),
            "the day to judge (YYYY-MM-DD); today when left out",
        )
    };
    if op_id == "listSiteRegistryForms" {
        return [q(
            "status",
            json!({ "enum": ["due", "overdue", "submitted"] }),
            "due, overdue or submitted; left out: due and overdue, most urgent first",
        )]
        .into_iter()
        .chain(paging("forms"))
        .collect();
    }
    if op_id == "listSafetyReports" {
        return [q(
            "status",
            json!({ "enum": ["pending", "acknowledged"] }),
            "pending (never acknowledged, or updated since) or acknowledged; left out: all, the pending first",
        )]
        .into_iter()
        .chain(paging("reports"))
        .collect();
    }
    if response.ends_with("Page") {
        return paging("items").to_vec();
    }
    match op_id {
        "getGate" | "getLivePlan" => vec![on()],
        // A page of partnerships (by name), each with all its sites.
        "getOnboardingPipeline" => [on()].into_iter().chain(paging("partnerships")).collect(),
        "checkIdentifier" => vec![
            json!({ "name": "value", "in": "query", "required": true, "schema": { "type": "string" }, "description": "the value as scanned or typed, e.g. =W12342500001294" }),
        ],
        "getVeinToVein" => vec![
            q(
                "program",
                text(),
                "a program's id: its figures only (404 when not yours to see)",
            ),
            q(
                "site",
                text(),
                "a site's id: its figures only (404 when not yours to see)",
            ),
        ],
        "listExpiringAgreements" => vec![q(
            "within",
            json!({ "type": "integer", "minimum": 0, "maximum": 3650, "default": 90 }),
            "days ahead to look",
        )],
        _ => vec![],
    }
}

/// 2^53 − 1: every integer a request carries is within ±this (the ledger's range).
pub const LEDGER_INT_MAX: i64 = cellpath_domain::LedgerInt::MAX;

pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, op_id, summary, request, status, response) in OPERATIONS {
        let if_match = IF_MATCH.contains(op_id);
        let command = *method != "get" && !NO_COMMAND.contains(op_id);
        let mut params = vec![];
        for name in path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
        {
            params.push(json!({ "name": name, "in": "path", "required": true, "schema": text() }));
        }
        if if_match {
            params.push(json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string", "pattern": "^(W/)?\"?[1-9][0-9]{0,14}\"?$" }, "description": "the ETag you read, e.g. \"3\"" }));
        }
        if command {
            params.push(json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "pattern": "^[!-~]{1,200}$" }, "description": "1–200 visible ASCII characters; repeats with the same key and body return the first answer for 24 hours" }));
        }
        let query = query_params(op_id, response);
        let has_query = !query.is_empty();
        params.extend(query);
        let mut responses = Map::new();
        let content_type = if *response == "JsonLines" {
            "application/jsonl"
        } else {
            "application/json"
        };
        responses.insert(status.to_string(), json!({ "description": summary, "content": { content_type: { "schema": { "$ref": format!("#/components/schemas/{response}") } } } }));
        responses.insert(
            "400".into(),
            problem(if command {
                "malformed JSON, an unknown query parameter (commands take none), or a bad If-Match or Idempotency-Key header"
            } else {
                "a query parameter unknown to this operation or not of its type"
            }),
        );
        responses.insert("401".into(), problem("no valid API token"));
        responses.insert(
            "403".into(),
            problem("visible, but not the caller's to see or change"),
        );
        responses.insert(
            "404".into(),
            problem("not found, or not visible to the caller"),
        );
        if *method != "get" {
            responses.insert(
                "409".into(),
                problem("it already exists (a duplicate), or its state does not allow this"),
            );
        }
        if command {
            responses.insert("413".into(), problem("the body is larger than 256 KiB"));
        }
        if request.is_some() {
            responses.insert(
                "415".into(),
                problem("the body is not sent as Content-Type: application/json"),
            );
        }
        if *method != "get" || has_query {
            responses.insert("422".into(), problem(if *method == "get" {
                "a query parameter out of its range, field by field"
            } else {
                "invalid values, field by field (an integer outside ±(2^53 − 1) among them); or an Idempotency-Key reused with another body"
            }));
        }
        if if_match {
            responses.insert(
                "412".into(),
                problem("changed by someone else since the If-Match version"),
            );
            responses.insert("428".into(), problem("If-Match missing"));
        }
        let mut op = json!({ "operationId": op_id, "summary": summary, "parameters": params, "responses": responses, "security": [{ "bearer": [] }] });
        if request.is_some_and(|r| SIGNING_REQUESTS.contains(&r)) {
            op["description"] = json!(SIGNING);
        }
        if let Some(req) = request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{req}") } } } });
        }
        document_bodies(op_id, summary, &mut op);
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cellpath API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The shared record of cell and gene therapy manufacturers and health systems. Errors are application/problem+json, everywhere under /api (an unknown route 404, a method the route does not take 405 with Allow, an undecodable path 400). Query parameters an operation does not list are refused with 400 naming them. Integers in requests are within ±(2^53 − 1), the range the ledger records. Authenticate with a personal API token: Authorization: Bearer cpt_…. A token never signs alone: the password is re-entered at each signature, and the signature records the token it came through.",
        },
        "paths": paths,
        "components": {
            "schemas": DERIVED["components"]["schemas"].clone(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        },
    })
}

/// The documents' operations carry files, not JSON: the upload takes multipart or raw bytes
/// (up to 10 MiB, so its own 413), the download answers bytes in the document's type.
fn document_bodies(op_id: &str, summary: &str, op: &mut Value) {
    let bytes = json!({ "schema": { "$ref": "#/components/schemas/DocumentUpload" } });
    match op_id {
        "uploadDocument" => {
            op["requestBody"] = json!({ "required": true, "content": {
                "multipart/form-data": { "schema": object(&["file"], &[("file", json!({ "type": "string", "contentMediaType": "application/octet-stream" }))]) },
                "application/octet-stream": bytes,
            } });
            op["parameters"].as_array_mut().expect("parameters are a list").push(json!({ "name": "Content-Disposition", "in": "header", "required": false, "schema": text(), "description": "attachment; filename=\"…\" — the name of raw bytes" }));
            op["responses"]["413"] = problem("the file is larger than 10 MiB");
            // The type is read from the content, never from Content-Type.
            op["responses"]
                .as_object_mut()
                .expect("responses are an object")
                .remove("415");
            op["responses"]["422"] =
                problem("empty, or not a PDF, PNG, JPEG, plain text or Word document (field file)");
        }
        "downloadDocument" => {
            op["responses"]["200"] = json!({ "description": summary, "content": { "*/*": { "schema": { "$ref": "#/components/schemas/DocumentBytes" } } } });
        }
        _ => {}
    }
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation that e-signs says how a token signs, and only those do.
    #[test]
    fn every_signing_operation_says_a_token_never_signs_alone() {
        let doc = build();
        let mut signing = 0;
        for (method, path, op_id, summary, _, _, _) in OPERATIONS {
            let op = &doc["paths"][*path][*method];
            let signs = summary.contains("password re-entered") || summary.contains("e-sign");
            assert_eq!(
                op.get("description").and_then(Value::as_str),
                signs.then_some(SIGNING),
                "{op_id}"
            );
            signing += usize::from(signs);
        }
        assert_eq!(signing, SIGNING_REQUESTS.len());
        assert!(SIGNING.starts_with(
            "A token never signs alone: the password is re-entered at each signature."
        ));
    }
}
