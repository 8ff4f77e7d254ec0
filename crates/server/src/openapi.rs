//! The OpenAPI 3.1 document at `/api/openapi.json`. Operations come from two places while the
//! capabilities move over (issue 9, point 6):
//! - described from their types: a handler's `#[utoipa::path]` (path, method, id, summary from
//!   its doc comment, body and answer) listed in [`Derived`], with the schemas derived from the
//!   request and view types (`ToSchema`); to add an operation the new way, annotate its handler
//!   and list it there;
//! - written by hand: the [`BY_HAND`] table and the `json!` schemas of [`schemas`].
//!
//! A derived operation whose request body is a domain type (`ProgramFacts`, `ProcessMap`,
//! `SiteRefinement`, requirements, a track template) names its schema with
//! `request_body = ref(…)`; that schema, and those of the domain types inside (`Step`,
//! `ProductUnit`, `Coverage`), are still written in [`schemas`] (`domain` stays free of
//! utoipa), with their vocabularies read from the domain's enums ([`words`]). View fields that
//! hold such a type name it the same way (`cellpath_app::views::schema::named`).
//!
//! Either way, [`build`] adds what a derive cannot express, the same for every operation: path
//! parameters, `If-Match`, `Idempotency-Key`, query parameters, the problem+json errors, the
//! bearer security and the note that a token never signs alone. [`OPERATIONS`] lists them all
//! (read from the document). A snapshot test compares the document with
//! `crates/server/openapi.json`, and a route test checks every operation is routed.

use crate::api::{cases, contracts, ledgers, notices, programs, records, sites, tokens};
use axum::Json;
use cellpath_app::views::schema;
use cellpath_domain::consent::{ConsentStatus, SectionKind};
use cellpath_domain::contracting::{AgreementKind, Deliverable, Scope};
use cellpath_domain::events::cases::{
    AdverseEventKind, CaseState, ConsentGiver, PriorAuthorizationStatus, Treatment,
};
use cellpath_domain::process_map::FollowUpTrack;
use cellpath_domain::process_map::{RecordedIn, SignatureMeaning, Stage, StepKind};
use cellpath_domain::program::{IdentifierKind, Issuer, Modality};
use cellpath_domain::readiness::Severity;
use cellpath_domain::registry::FormStatus;
use cellpath_domain::{Role, Vocabulary};
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
#[openapi(paths(
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
))]
pub struct Derived;

/// What the derives give: the operations of [`Derived`] and the schemas they name.
static DERIVED: LazyLock<Value> = LazyLock::new(|| {
    serde_json::to_value(Derived::openapi()).expect("the derived document serializes")
});

/// Every operation, derived and by hand, as a table: `for (method, path, ..) in OPERATIONS`.
pub const OPERATIONS: Operations = Operations;

/// The operations of the document, read from [`Derived`] and [`BY_HAND`] once.
pub struct Operations;

impl IntoIterator for Operations {
    type Item = &'static Operation;
    type IntoIter = std::slice::Iter<'static, Operation>;
    fn into_iter(self) -> Self::IntoIter {
        static ALL: LazyLock<Vec<Operation>> = LazyLock::new(|| {
            let mut all = derived_operations(LazyLock::force(&DERIVED));
            all.extend_from_slice(BY_HAND);
            all
        });
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

/// The operations not yet described from their types.
pub const BY_HAND: &[Operation] = &[
    (
        "get",
        "/api/v1/identifiers/check",
        "checkIdentifier",
        "Read a scanned or typed ISBT 128 identifier (a donation identification number with or without =, flags and check character, or a &/ chain of identity identifier): its parts, or what is wrong with it (valid false, and for a DIN the correct check character)",
        None,
        200,
        "IdentifierCheck",
    ),
    (
        "post",
        "/api/v1/documents",
        "uploadDocument",
        "Keep a document (at most 10 MiB; PDF, PNG, JPEG, plain text or Word .docx, the type read from the content): multipart/form-data with a part named file, or the raw bytes with the name in Content-Disposition. Answers the SHA-256, size, name and type to attach it by (agreement documents, visit attachments); kept once per content",
        Some("DocumentUpload"),
        201,
        "UploadedDocument",
    ),
    (
        "get",
        "/api/v1/documents/{sha256}",
        "downloadDocument",
        "A document's bytes, in its stored type, for a caller who may read a record naming it (an agreement's versions, a visit's attachments); 404 for anyone else",
        None,
        200,
        "DocumentBytes",
    ),
    (
        "post",
        "/api/v1/patients",
        "registerPatient",
        "Register a patient's identity at one of your sites (health system's ledger; coordinator or physician)",
        Some("PatientInput"),
        201,
        "PatientRegistration",
    ),
    (
        "post",
        "/api/v1/cases",
        "openCase",
        "Open a case for a registered patient where the site is authorized for the program today (partnership's ledger)",
        Some("NewCase"),
        201,
        "CaseOpened",
    ),
    (
        "get",
        "/api/v1/cases/{id}",
        "getCase",
        "A case, cut to your view of its patient: where it stands on its map, what can be done next, its timeline",
        None,
        200,
        "Case",
    ),
    (
        "post",
        "/api/v1/cases/{id}/actions",
        "actOnCase",
        "Act on a case: a step, a signature, a hold, a cancellation (password re-entered for signed actions; If-Match optional)",
        Some("CaseAction"),
        200,
        "CaseActed",
    ),
    (
        "post",
        "/api/v1/cases/{id}/adverse-events",
        "recordAdverseEvent",
        "Record an adverse event (CRS or ICANS) with its onset and first observations, graded by the ASTCT consensus from what was observed; answers its grade and why (site nurse or physician, after the first infusion; If-Match optional)",
        Some("NewAdverseEvent"),
        201,
        "CaseActed",
    ),
    (
        "post",
        "/api/v1/cases/{id}/consent",
        "recordCaseConsent",
        "Record the patient's consent against the site's active consent version for the case's program (a draft or retired version is refused, nothing written; If-Match optional)",
        Some("CaseConsent"),
        200,
        "CaseActed",
    ),
    (
        "get",
        "/api/v1/sites/{id}/consent-documents",
        "listConsentDocuments",
        "A site's consent versions per program (the health system's staff; the manufacturer through an active partnership only)",
        None,
        200,
        "ConsentDocuments",
    ),
    (
        "post",
        "/api/v1/sites/{id}/consent-documents",
        "createConsentVersion",
        "Add a consent version (a draft) for a program at the site: the form's document by SHA-256, its effective date and its sections (health system)",
        Some("NewConsentVersion"),
        201,
        "ConsentVersion",
    ),
    (
        "post",
        "/api/v1/consent-documents/{id}/activation",
        "activateConsentVersion",
        "Make a draft consent version active, e-signed with the meaning approved (password re-entered): only with a manufacturing-failure section and on or after its effective date; the version active before is retired (If-Match required)",
        Some("ConsentActivation"),
        200,
        "ConsentVersion",
    ),
    (
        "post",
        "/api/v1/consent-documents/{id}/retirement",
        "retireConsentVersion",
        "Retire the active consent version with the reason, e-signed with the meaning reviewed (password re-entered); a site resting on it is suspended by the gate's review (If-Match required)",
        Some("ConsentRetirement"),
        200,
        "ConsentVersion",
    ),
    (
        "post",
        "/api/v1/cases/{id}/adverse-events/{ae}/observations",
        "observeAdverseEvent",
        "A later observation of an adverse event, graded; answers the event's grade (the worst of its observations) and why (If-Match optional)",
        Some("ObservationInput"),
        201,
        "CaseActed",
    ),
    (
        "post",
        "/api/v1/cases/{id}/adverse-events/{ae}/treatments",
        "treatAdverseEvent",
        "A treatment given for an adverse event: tocilizumab or steroids, when, dose and route (If-Match optional)",
        Some("TreatmentInput"),
        201,
        "CaseActed",
    ),
    (
        "post",
        "/api/v1/cases/{id}/adverse-events/{ae}/outcome",
        "adverseEventOutcome",
        "An adverse event's outcome: ongoing, resolved on a day, or fatal on a day (grade 5) (If-Match optional)",
        Some("AdverseEventOutcome"),
        200,
        "CaseActed",
    ),
    (
        "post",
        "/api/v1/grading/crs",
        "gradeCrs",
        "Grade CRS observations by the ASTCT consensus without recording anything (any signed-in user)",
        Some("CrsObservations"),
        200,
        "Grade",
    ),
    (
        "post",
        "/api/v1/grading/icans",
        "gradeIcans",
        "Grade ICANS observations by the ASTCT consensus without recording anything (any signed-in user)",
        Some("IcansObservations"),
        200,
        "Grade",
    ),
    (
        "get",
        "/api/v1/sites/{id}/registry-forms",
        "listSiteRegistryForms",
        "A site's CIBMTR registry forms of the cases you may see: ?status=due (window open), overdue (window closed, not submitted) or submitted; without status due and overdue together, most urgent first (the window that closed or closes first). The registry's reference from the chain-of-identity view up",
        None,
        200,
        "RegistryFormPage",
    ),
    (
        "post",
        "/api/v1/cases/{id}/registry-forms/{form}/submissions",
        "submitRegistryForm",
        "Mark a case's scheduled registry form (its key, e.g. cibmtr-4100-day-100) submitted on a day with the registry's reference: the site's data manager (the follow-up step's role); refused before the first infusion, for a form not on the schedule, a second time (409), for a day after today or before the form's window opens, on a cancelled case (If-Match optional)",
        Some("FormSubmission"),
        200,
        "CaseActed",
    ),
];

/// Request bodies that carry a password re-entered to e-sign: their operations get
/// [`SIGNING`] as their description.
const SIGNING_REQUESTS: &[&str] = &[
    "SignRequest",
    "SignSiteMap",
    "CloseGap",
    "DeliverableInput",
    "DeliverableRevocation",
    "CaseAction",
];

/// How a signature made through the API works, said on every operation that signs.
pub const SIGNING: &str = "A token never signs alone: the password is re-entered at each signature. Send the signer's own password, typed at that moment (e.g. on a bedside device acting for them with their token), in `password`. A wrong one counts against signing only: after 5 in a row the signer's signatures pause for 15 minutes on every channel, while signing in to the web is not affected. The signature records the channel it came through: this API token, by id and name (`channel` in the signature event's payload and in the answer).";

/// Every word of a domain vocabulary, as the domain spells it: the document cannot drift from
/// what the API accepts.
fn words<V: Vocabulary>() -> Vec<&'static str> {
    V::words()
}

/// A schema built by `cellpath_app::views::schema`, as JSON for the hand-written part.
fn json_of(s: utoipa::openapi::RefOr<utoipa::openapi::Schema>) -> Value {
    serde_json::to_value(s).expect("a schema serializes")
}

fn text() -> Value {
    json!({ "type": "string" })
}
fn int() -> Value {
    json!({ "type": "integer", "format": "int64" })
}
fn micros() -> Value {
    json_of(schema::micros())
}
fn object(required: &[&str], props: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    for (k, v) in props {
        p.insert((*k).to_string(), v.clone());
    }
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": p })
}
fn list_of(v: Value) -> Value {
    json!({ "type": "array", "items": v })
}

fn schemas() -> Value {
    json!({
        "Problem": object(&["type", "title", "status", "detail"], &[
            ("type", text()), ("title", text()), ("status", int()), ("detail", text()),
            ("errors", list_of(object(&["field", "message"], &[("field", text()), ("message", text())]))),
        ]),
        "DocumentUpload": json!({ "type": "string", "contentMediaType": "application/octet-stream", "description": "the file's bytes" }),
        "UploadedDocument": object(&["sha256", "size", "name", "media_type"], &[("sha256", json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" })), ("size", int()), ("name", text()), ("media_type", text())]),
        "DocumentBytes": json!({ "type": "string", "contentMediaType": "application/octet-stream", "description": "the document as uploaded" }),
        "ProductUnit": object(&["key", "name", "storage_max_celsius", "thaw_window_minutes"], &[
            ("key", key()), ("name", text()),
            ("storage_max_celsius", json!({ "type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX })),
            ("thaw_window_minutes", u32_schema()),
        ]),
        "ProgramFacts": object(&["name", "modality"], &[
            ("name", text()),
            ("modality", json!({ "enum": words::<Modality>() })),
            ("units", list_of(json!({ "$ref": "#/components/schemas/ProductUnit" }))),
            ("requires_dual_verification", json!({ "type": "boolean" })),
            ("identifiers", list_of(object(&["kind", "issuer"], &[
                ("kind", json!({ "enum": words::<IdentifierKind>() })),
                ("issuer", json!({ "enum": words::<Issuer>() })),
            ]))),
            ("list_prices", list_of(object(&["effective_on", "cents"], &[("effective_on", day()), ("cents", json!({ "type": "integer", "minimum": 1, "maximum": LEDGER_INT_MAX, "description": "US cents" }))]))),
        ]),
        "ProcessMap": object(&[], &[("steps", list_of(json!({ "$ref": "#/components/schemas/Step" })))]),
        "Step": step(),
        "RequirementList": list_of(object(&["key", "capability", "check", "severity"], &[
            ("key", key()), ("capability", text()),
            ("check", json!({ "oneOf": [
                object(&["at_least"], &[("at_least", ledger_int())]),
                object(&["at_most"], &[("at_most", ledger_int())]),
                json!({ "const": "yes" }),
                object(&["covers"], &[("covers", json!({ "type": "string", "description": "HH:MM-HH:MM" }))]),
                object(&["contains"], &[("contains", text())]),
            ], "description": "one of {\"at_least\": n}, {\"at_most\": n}, \"yes\", {\"covers\": \"HH:MM-HH:MM\"}, {\"contains\": name}" })),
            ("severity", json!({ "enum": words::<Severity>() })), ("description", text()),
        ])),
        "SiteRefinement": object(&[], &[
            ("details", json!({ "type": "object", "description": "step key → what the site adds to it", "additionalProperties": object(&[], &[
                ("owner_role", role()), ("location", text()), ("system", text()), ("notes", text()),
            ]) })),
            ("overrides", json!({ "type": "object", "description": "step key → the site's changed step (site-owned steps only)", "additionalProperties": { "$ref": "#/components/schemas/Step" } })),
            ("local_steps", list_of(object(&["step"], &[("step", json!({ "$ref": "#/components/schemas/Step" })), ("before", list_of(text()))]))),
        ]),
        "Coverage": json!({ "oneOf": [
            object(&["covers"], &[("covers", json!({ "const": "all_sites" }))]),
            object(&["covers", "site_ids"], &[("covers", json!({ "const": "named" })), ("site_ids", json!({ "type": "array", "items": text(), "minItems": 1 }))]),
        ]}),
        "TrackTemplate": object(&["items"], &[("items", list_of(object(&["key", "item", "scope", "days"], &[
            ("key", text()),
            ("item", json!({ "oneOf": [
                object(&["type", "name"], &[("type", json!({ "const": "agreement" })), ("name", json!({ "enum": words::<AgreementKind>() }))]),
                object(&["type", "name"], &[("type", json!({ "const": "deliverable" })), ("name", json!({ "enum": words::<Deliverable>() }))]),
            ]})),
            ("scope", json!({ "enum": words::<Scope>() })),
            ("after", list_of(text())),
            ("days", json!({ "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 3650 }, "minItems": 3, "maxItems": 3, "description": "min, most likely, max" })),
        ])))]),
        "IdentifierCheck": {
            "type": "object",
            "required": ["value", "valid"],
            "properties": {
                "value": text(),
                "valid": { "type": "boolean" },
                "printed": { "type": "string", "description": "as printed for people, e.g. W1234 25 000012 Y" },
                "identifier": {
                    "type": "object",
                    "required": ["kind", "facility", "year", "sequence"],
                    "properties": {
                        "kind": { "enum": ["isbt128_din", "isbt128_coi"] },
                        "facility": text(),
                        "year": text(),
                        "sequence": text(),
                        "flags": { "type": ["string", "null"] },
                        "check": { "type": "string" }
                    }
                },
                "problem": { "enum": ["unreadable", "structure", "check_character"] },
                "message": { "type": "string", "description": "what is wrong, in words" },
                "expected_check": { "type": ["string", "null"], "description": "a DIN's correct check character, when the one given is wrong" }
            }
        },
        "PatientInput": object(&["site_id", "name", "date_of_birth", "mrn"], &[
            ("site_id", text()), ("name", text()), ("date_of_birth", day()),
            ("mrn", json!({ "type": "string", "description": "the medical record number, 1–40 characters" })),
        ]),
        "PatientRegistration": object(&["patient_id", "registration"], &[
            ("patient_id", text()),
            ("registration", json!({ "type": "string", "description": "hash of the patient.registered event, which the case names across ledgers" })),
        ]),
        "NewCase": object(&["partnership_id", "site_id", "program_id", "patient_id"], &[
            ("partnership_id", text()), ("site_id", text()), ("program_id", text()), ("patient_id", text()),
        ]),
        "CaseOpened": object(&["id", "pseudonym", "version"], &[
            ("id", text()), ("pseudonym", json!({ "type": "string", "description": "program code, site code, sequence, e.g. VAN-LUH-MAIN-0042" })), ("version", int()),
        ]),
        "CaseAction": object(&["action"], &[
            ("action", case_command()),
            ("password", json!({ "type": "string", "description": "the signer's password, re-entered, for sign, deviation and a late administration" })),
        ]),
        "CaseActed": object(&["case_id", "pseudonym", "version", "recorded", "at"], &[
            ("case_id", text()), ("pseudonym", text()), ("version", int()),
            ("recorded", json!({ "type": "array", "items": text(), "description": "the types of the events written, e.g. case.step_recorded" })),
            ("at", micros()),
            ("adverse_event", json!({ "$ref": "#/components/schemas/AdverseEventGraded" })),
        ]),
        "AdverseEventGraded": object(&["number", "kind", "grade", "because", "outcome"], &[
            ("number", int()), ("kind", json!({ "enum": words::<AdverseEventKind>() })),
            ("grade", grade()), ("because", json!({ "type": "array", "items": text(), "description": "why, in words (the observation that set the grade)" })),
            ("outcome", json!({ "type": "string", "description": "ongoing, resolved on YYYY-MM-DD, fatal on YYYY-MM-DD" })),
        ]),
        "CrsObservations": crs_observations(),
        "IcansObservations": icans_observations(),
        "Grade": object(&["grade", "because"], &[("grade", grade()), ("because", json!({ "type": "array", "items": text(), "description": "why, in words" }))]),
        "ObservationInput": object(&["at"], &[
            ("at", time()),
            ("crs", json!({ "$ref": "#/components/schemas/CrsObservations" })),
            ("icans", json!({ "$ref": "#/components/schemas/IcansObservations" })),
        ]),
        "NewAdverseEvent": object(&["kind", "onset", "observations"], &[
            ("kind", json!({ "enum": words::<AdverseEventKind>() })),
            ("onset", time()),
            ("observations", json!({ "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/ObservationInput" }, "description": "each with the findings of the event's kind (crs or icans)" })),
        ]),
        "TreatmentInput": object(&["treatment", "given_at"], &[
            ("treatment", json!({ "enum": words::<Treatment>() })),
            ("given_at", time()),
            ("detail", json!({ "type": "string", "maxLength": 4000, "description": "dose and route, e.g. 8 mg/kg IV" })),
        ]),
        "AdverseEventOutcome": json!({ "oneOf": [
            object(&["status"], &[("status", json!({ "const": "ongoing" }))]),
            object(&["status", "on"], &[("status", json!({ "enum": ["resolved", "fatal"] })), ("on", day())]),
        ] }),
        "Case": json!({ "type": "object", "required": ["id", "pseudonym", "initials", "birth_year", "view", "status", "status_text", "partnership_id", "site_id", "site_name", "program_id", "program_name", "map_version_id", "version", "opened_at", "identifiers", "steps", "available", "yours", "units", "deviations", "timeline"], "properties": {
            "id": text(), "pseudonym": text(), "initials": text(), "birth_year": int(),
            "view": { "enum": ["pseudonym", "chain_of_identity", "full"], "description": "what you see of the patient" },
            "patient": { "type": "object", "description": "chain_of_identity and full views only; mrn in the full view only", "properties": { "name": text(), "date_of_birth": day(), "mrn": text() } },
            "status": { "enum": words::<CaseState>() },
            "status_text": text(),
            "partnership_id": text(), "site_id": text(), "site_name": text(),
            "program_id": text(), "program_name": text(), "map_version_id": text(),
            "version": int(), "opened_at": micros(),
            "identifiers": { "type": "array", "description": "chain_of_identity and full views only", "items": { "type": "object", "properties": { "kind": { "enum": words::<IdentifierKind>() }, "value": text(), "unit": text() } } },
            "steps": { "type": "array", "items": { "type": "object", "properties": { "key": text(), "name": text(), "stage": { "enum": words::<Stage>() }, "kind": { "enum": words::<StepKind>() }, "role": { "enum": words::<Role>() }, "after": list_of(text()), "fields": list_of(text()), "ehr": { "type": "boolean" }, "state": { "enum": ["done", "current", "waiting"] }, "attempt": int() } } },
            "available": { "type": "array", "items": { "type": "object", "properties": { "step": text(), "name": text(), "kind": { "enum": words::<StepKind>() }, "attempt": int(), "roles": list_of(json!({ "enum": words::<Role>() })), "waiting": list_of(text()) } } },
            "yours": { "type": "array", "items": text(), "description": "the steps you may do now" },
            "units": { "type": "array", "items": { "type": "object", "properties": { "key": text(), "name": text(), "state": text() } } },
            "deviations": int(),
            "consent": { "type": "object", "description": "the patient's consent last recorded and its version; the witness for the chain_of_identity and full views only", "properties": {
                "consent_version_id": text(), "version_number": int(), "document_sha256": text(),
                "consented_by": { "enum": words::<ConsentGiver>() }, "signed_on": day(), "witness": text(),
                "recorded_by": text(), "recorded_at": micros() } },
            "benefits": { "type": "object", "description": "the benefits last verified; payer, plan and reference for the chain_of_identity and full views only", "properties": {
                "status": { "enum": words::<PriorAuthorizationStatus>() }, "requested_on": day(), "decided_on": day(),
                "payer": text(), "plan": text(), "reference": text(), "verified_by": text(), "verified_at": micros() } },
            "timeline": { "type": "array", "items": { "type": "object", "properties": { "at": micros(), "text": text() } } },
            "adverse_events": { "type": "array", "description": "graded adverse events, for every reader of the case (a treatment's dose and route from the chain_of_identity view up)", "items": { "type": "object", "properties": {
                "number": int(), "kind": { "enum": words::<AdverseEventKind>() }, "label": text(), "onset_at": micros(),
                "grade": grade(), "because": list_of(text()),
                "observations": list_of(json!({ "type": "object", "properties": { "at": micros(), "findings": { "type": "object", "description": "{\"crs\": CrsObservations} or {\"icans\": IcansObservations}" }, "grade": grade(), "because": list_of(text()), "by": text() } })),
                "treatments": list_of(json!({ "type": "object", "properties": { "treatment": { "enum": words::<Treatment>() }, "given_at": micros(), "detail": text(), "by": text() } })),
                "outcome": { "$ref": "#/components/schemas/AdverseEventOutcome" }, "outcome_text": text(), "recorded_by": text(),
            } } },
            "may_record_adverse_events": { "type": "boolean", "description": "you may record adverse events on this case now" },
            "registry": { "type": "object", "description": "the registry follow-up the first infusion scheduled (absent before it)", "required": ["infused_on", "forms", "visits"], "properties": {
                "infused_on": day(),
                "track": { "enum": words::<FollowUpTrack>() },
                "forms": { "type": "array", "items": { "$ref": "#/components/schemas/RegistryForm" } },
                "visits": list_of(day()),
            } },
            "submits_forms": { "type": "boolean", "description": "you may mark the case's registry forms submitted" },
        } }),
        "CaseConsent": object(&["consent_version_id", "consented_by", "signed_on", "witness"], &[
            ("consent_version_id", text()),
            ("consented_by", json!({ "enum": words::<ConsentGiver>(), "description": "the patient, or a legally authorized representative (never by name)" })),
            ("signed_on", day()),
            ("witness", name()),
        ]),
        "RegistryForm": registry_form(&[]),
        "RegistryFormItem": registry_form(&[
            ("case_id", text()), ("pseudonym", text()), ("program_id", text()), ("program_name", text()),
        ]),
        "RegistryFormPage": page_of("RegistryFormItem"),
        "FormSubmission": object(&["submitted_on", "reference"], &[
            ("submitted_on", day()),
            ("reference", json!({ "type": "string", "description": "the registry's reference for the submission" })),
        ]),
        "ConsentSection": object(&["kind", "heading", "text"], &[
            ("kind", json!({ "enum": words::<SectionKind>(), "description": "manufacturing_failure: what the patient is told if the product cannot be made or released (required to make a version active, at least 40 characters)" })),
            ("heading", name()),
            ("text", notes()),
        ]),
        "NewConsentVersion": object(&["program_id", "document_sha256", "document_name", "effective_on", "sections"], &[
            ("program_id", text()),
            ("document_sha256", json!({ "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "from POST /api/v1/documents" })),
            ("document_name", name()),
            ("effective_on", day()),
            ("sections", json!({ "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/ConsentSection" } })),
        ]),
        "ConsentActivation": object(&["password"], &[("password", json!({ "type": "string", "description": "the signer's password, re-entered: activation is signed as approved" }))]),
        "ConsentRetirement": object(&["reason", "password"], &[("reason", notes()), ("password", json!({ "type": "string", "description": "the signer's password, re-entered: retirement is signed as reviewed" }))]),
        "ConsentVersion": object(&["id", "partnership_id", "site_id", "program_id", "number", "document_name", "document_sha256", "effective_on", "sections", "status", "activated_on", "retired_on", "retired_reason", "version", "created_at", "updated_at"], &[
            ("id", text()), ("partnership_id", text()), ("site_id", text()), ("program_id", text()),
            ("number", int()), ("document_name", text()), ("document_sha256", text()),
            ("effective_on", date()),
            ("sections", list_of(json!({ "$ref": "#/components/schemas/ConsentSection" }))),
            ("status", json!({ "enum": words::<ConsentStatus>() })),
            ("activated_on", json!({ "type": ["string", "null"], "format": "date" })),
            ("retired_on", json!({ "type": ["string", "null"], "format": "date" })),
            ("retired_reason", nullable_text()),
            ("version", int()), ("created_at", micros()), ("updated_at", micros()),
        ]),
        "ConsentDocuments": object(&["site_id", "site_name", "programs", "may_change"], &[
            ("site_id", text()), ("site_name", text()),
            ("programs", list_of(object(&["partnership_id", "partnership_name", "program_id", "program_name", "versions"], &[
                ("partnership_id", text()), ("partnership_name", text()),
                ("program_id", text()), ("program_name", text()),
                ("versions", list_of(json!({ "$ref": "#/components/schemas/ConsentVersion" }))),
            ]))),
            ("may_change", json!({ "type": "boolean", "description": "whether you may add, activate and retire versions here" })),
        ]),
    })
}

/// An ASTCT grade: 0 (none by these observations) to 5 (death).
fn grade() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": 5 })
}

/// A time typed in UTC.
fn time() -> Value {
    json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?$", "description": "a time in UTC: YYYY-MM-DDTHH:MM (seconds and a final Z allowed)" })
}

fn flag(description: &str) -> Value {
    json!({ "type": "boolean", "default": false, "description": description })
}

/// What is observed for CRS (the domain's `toxicity::CrsObservations`).
fn crs_observations() -> Value {
    let device = |devices: &[&str]| json!({ "enum": devices });
    object(
        &[],
        &[
            (
                "temperature_tenths_c",
                json!({ "type": ["integer", "null"], "minimum": 250, "maximum": 450, "description": "the highest temperature in tenths of a degree Celsius (385 = 38.5 °C)" }),
            ),
            (
                "fever_treated",
                flag(
                    "tocilizumab, steroids or antipyretics were given: fever is no longer needed to grade",
                ),
            ),
            (
                "hypotension",
                flag("hypotension, whether or not it needs vasopressors"),
            ),
            (
                "vasopressors",
                json!({ "type": "integer", "minimum": 0, "maximum": 6, "default": 0, "description": "vasopressors running other than vasopressin" }),
            ),
            ("vasopressin", flag("vasopressin running (counted apart)")),
            (
                "oxygen",
                json!({ "oneOf": [
            object(&["device"], &[("device", device(&["none", "blow_by", "facemask", "non_rebreather", "venturi", "cpap", "bipap", "mechanical_ventilation"]))]),
            object(&["device", "litres_per_minute"], &[
                ("device", device(&["nasal_cannula", "high_flow_nasal_cannula"])),
                ("litres_per_minute", json!({ "type": "integer", "minimum": 1, "maximum": 80 })),
            ]),
        ], "description": "oxygen support; a nasal cannula up to 6 L/min is low flow" }),
            ),
            ("died", flag("the patient died of CRS (grade 5)")),
        ],
    )
}

/// What is observed for ICANS (the domain's `toxicity::IcansObservations`).
fn icans_observations() -> Value {
    object(
        &[],
        &[
            (
                "ice_score",
                json!({ "type": ["integer", "null"], "minimum": 0, "maximum": 10, "description": "the ICE score (orientation 4, naming 3, commands 1, writing 1, attention 1); absent when it could not be assessed, 0 or absent when unarousable" }),
            ),
            (
                "consciousness",
                json!({ "enum": ["alert", "awakens_spontaneously", "awakens_to_voice", "awakens_only_to_touch", "unarousable"], "default": "alert" }),
            ),
            (
                "seizure",
                json!({ "enum": ["none", "resolved_quickly", "prolonged_or_repeated"], "default": "none" }),
            ),
            (
                "motor_weakness",
                flag("deep focal motor weakness such as hemiparesis or paraparesis"),
            ),
            (
                "raised_pressure",
                json!({ "enum": ["none", "focal_edema", "diffuse_edema_or_signs"], "default": "none" }),
            ),
            ("died", flag("the patient died of ICANS (grade 5)")),
        ],
    )
}

fn day() -> Value {
    json_of(schema::day())
}

fn role() -> Value {
    json_of(schema::role())
}

fn meaning() -> Value {
    json!({ "enum": words::<SignatureMeaning>() })
}

/// A key: 1–40 of `a-z`, `0-9`, `_`.
fn key() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9_]{1,40}$" })
}

fn u32_schema() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
}

/// An integer the ledger records: within ±(2^53 − 1).
fn ledger_int() -> Value {
    json!({ "type": "integer", "minimum": -LEDGER_INT_MAX, "maximum": LEDGER_INT_MAX })
}

/// A step of a process map.
fn step() -> Value {
    object(
        &["key", "name", "stage", "kind", "role"],
        &[
            ("key", key()),
            ("name", text()),
            ("stage", json!({ "enum": words::<Stage>() })),
            ("kind", json!({ "enum": words::<StepKind>() })),
            ("role", role()),
            ("after", list_of(text())),
            ("controlled", json!({ "type": "boolean" })),
            ("recorded_in", json!({ "enum": words::<RecordedIn>() })),
            ("optional", json!({ "type": "boolean" })),
            (
                "params",
                object(
                    &[],
                    &[
                        ("fields", list_of(text())),
                        (
                            "signatures",
                            list_of(object(
                                &["role", "meaning"],
                                &[("role", role()), ("meaning", meaning())],
                            )),
                        ),
                        ("unit", text()),
                        ("window_minutes", u32_schema()),
                        ("monitoring_days", u32_schema()),
                        (
                            "follow_up",
                            list_of(object(
                                &["form", "due_days"],
                                &[
                                    ("form", text()),
                                    ("due_days", u32_schema()),
                                    ("opens_days", u32_schema()),
                                    ("closes_days", u32_schema()),
                                ],
                            )),
                        ),
                        (
                            "track",
                            json!({ "enum": words::<FollowUpTrack>(), "description": "the registry follow-up track a follow-up step states" }),
                        ),
                        ("visits", list_of(u32_schema())),
                        ("scan", json!({ "type": "boolean" })),
                        ("hold_until", text()),
                        ("items", list_of(text())),
                        ("location", text()),
                        (
                            "consent",
                            json!({ "type": "boolean", "description": "the step is not done before the case records the patient's consent against the site's active consent version" }),
                        ),
                    ],
                ),
            ),
        ],
    )
}

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// Operations that change a versioned record: they need `If-Match` with the version read
/// (428 without it, 400 when it is not a version, 412 when the record has moved on).
pub const IF_MATCH: &[&str] = &[
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
];

/// Operations that read no body and no `Idempotency-Key`: actions of the caller alone.
const NO_COMMAND: &[&str] = &[
    "analyzeGaps",
    "reviewAuthorizations",
    "revokeToken",
    "uploadDocument",
];

/// A scheduled registry form with where it stands; `extra`: the list's case and program.
fn registry_form(extra: &[(&str, Value)]) -> Value {
    let mut props = vec![
        (
            "key",
            json!({ "type": "string", "description": "e.g. cibmtr-4100-day-365" }),
        ),
        (
            "form",
            json!({ "type": "string", "description": "e.g. CIBMTR 4100" }),
        ),
        ("occurrence", int()),
        (
            "when",
            json!({ "type": "string", "description": "when it falls due, in words: at infusion, day 100, 6 months, 1 year" }),
        ),
        ("opens_on", day()),
        ("due_on", day()),
        ("closes_on", day()),
        ("status", json!({ "enum": words::<FormStatus>() })),
        (
            "status_text",
            json!({ "type": "string", "description": "where it stands today, in words" }),
        ),
        ("submitted_on", day()),
        (
            "reference",
            json!({ "type": "string", "description": "the registry's reference (chain-of-identity and full views)" }),
        ),
        ("submitted_by", text()),
    ];
    let mut required = vec![
        "key",
        "form",
        "occurrence",
        "when",
        "opens_on",
        "due_on",
        "closes_on",
        "status",
        "status_text",
    ];
    for (k, v) in extra {
        props.push((k, v.clone()));
        required.push(k);
    }
    object(&required, &props)
}

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
        "listExpiringAgreements" => vec![q(
            "within",
            json!({ "type": "integer", "minimum": 0, "maximum": 3650, "default": 90 }),
            "days ahead to look",
        )],
        _ => vec![],
    }
}

/// A case action's `command`: one schema per command, each with exactly its fields.
fn case_command() -> Value {
    let fields = json!({ "type": "object", "additionalProperties": { "type": "string" }, "description": "the step's listed fields, by name" });
    let attestation = object(
        &["reference", "charted_at"],
        &[
            ("reference", text()),
            (
                "charted_at",
                json!({ "type": "integer", "minimum": -LEDGER_INT_MAX, "maximum": LEDGER_INT_MAX, "description": "when it was charted, microseconds since the Unix epoch, UTC" }),
            ),
        ],
    );
    let reason = || json!({ "type": "string", "description": "in words" });
    let scan = object(
        &["expected", "text"],
        &[
            ("expected", json!({ "enum": words::<IdentifierKind>() })),
            (
                "text",
                json!({ "type": "string", "description": "as scanned or typed" }),
            ),
        ],
    );
    let disposition = json!({ "oneOf": [
        object(&["disposition"], &[("disposition", json!({ "const": "infused_whole" }))]),
        object(&["disposition", "volume_ml"], &[("disposition", json!({ "const": "infused_in_part" })), ("volume_ml", json!({ "type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64 }))]),
        object(&["disposition", "reason"], &[("disposition", json!({ "enum": ["not_infused", "returned", "discarded"] })), ("reason", reason())]),
    ] });
    let temperature = json!({ "oneOf": [
        object(&["status"], &[("status", json!({ "const": "in_range" }))]),
        object(&["status", "reading_tenths_celsius"], &[("status", json!({ "const": "excursion" })), ("reading_tenths_celsius", json!({ "type": "integer", "minimum": i32::MIN, "maximum": i32::MAX }))]),
    ] });
    let item = json!({ "oneOf": [
        { "const": "starting_material" },
        object(&["unit"], &[("unit", text())]),
    ] });
    let command = |name: &str, required: &[&str], props: Vec<(&str, Value)>| {
        let mut all = vec![("command", json!({ "const": name }))];
        all.extend(props);
        let mut req = vec!["command"];
        req.extend(required);
        object(&req, &all)
    };
    let step = |name: &str, required: &[&str], mut props: Vec<(&'static str, Value)>| {
        props.extend([
            ("step", text()),
            ("fields", fields.clone()),
            ("attestation", attestation.clone()),
        ]);
        let mut req = vec!["step"];
        req.extend(required);
        command(name, &req, props)
    };
    json!({
        "description": "The journey command. Step commands name the `step` and carry its listed `fields`, or the EHR `attestation` for a step charted in the EHR. sign, deviation and administer with a late_reason are signed: send the password.",
        "oneOf": [
            step("record", &[], vec![]),
            step("handoff", &["from", "to", "temperature"], vec![
                ("items", list_of(item)), ("from", text()), ("to", text()), ("location", text()),
                ("scan", scan.clone()), ("temperature", temperature),
            ]),
            command("release", &["step", "decision", "certificate_reference", "certificate_sha256"], vec![
                ("step", text()),
                ("decision", json!({ "enum": ["released", "out_of_specification", "manufacturing_failure"] })),
                ("certificate_reference", text()),
                ("certificate_sha256", json!({ "type": "string", "description": "64 lower-case hex digits" })),
            ]),
            step("schedule", &["on"], vec![("on", day()), ("slot", text())]),
            step("pass_hold", &[], vec![]),
            step("thaw", &[], vec![]),
            step("administer", &["disposition"], vec![("disposition", disposition.clone()), ("late_reason", reason())]),
            step("monitor", &["from"], vec![("from", day())]),
            step("follow_up", &[], vec![]),
            step("checklist", &["ticked"], vec![("ticked", list_of(text()))]),
            step("sign", &["meaning"], vec![("meaning", json!({ "enum": words::<SignatureMeaning>() }))]),
            step("verify", &[], vec![("scan", scan)]),
            command("add_identifier", &["kind", "text"], vec![
                ("kind", json!({ "enum": words::<IdentifierKind>() })), ("text", text()), ("unit", text()),
            ]),
            command("end_unit", &["unit", "disposition"], vec![("unit", text()), ("disposition", disposition)]),
            command("skip", &["step", "reason"], vec![("step", text()), ("reason", reason())]),
            command("repeat", &["step", "reason"], vec![("step", text()), ("reason", reason())]),
            command("deviation", &["reason"], vec![("step", text()), ("reason", reason())]),
            command("hold", &["reason"], vec![("reason", reason())]),
            command("resume", &["note"], vec![("note", reason())]),
            command("cancel", &["care_transition_note"], vec![("care_transition_note", reason())]),
            command("record_consent", &["consent_version_id", "consented_by", "signed_on", "witness"], vec![
                ("consent_version_id", text()),
                ("consented_by", json!({ "enum": words::<ConsentGiver>() })),
                ("signed_on", day()),
                ("witness", name()),
            ]),
            command("submit_registry_form", &["form", "submitted_on", "reference"], vec![
                ("form", json!({ "type": "string", "description": "the scheduled form's key, e.g. cibmtr-4100-day-100" })),
                ("submitted_on", day()), ("reference", text()),
            ]),
            command("verify_benefits", &["payer", "plan", "prior_authorization"], vec![
                ("payer", text()), ("plan", text()),
                ("prior_authorization", object(&["status", "requested_on", "reference"], &[
                    ("status", json!({ "enum": words::<PriorAuthorizationStatus>() })),
                    ("requested_on", day()),
                    ("decided_on", day()),
                    ("reference", text()),
                ])),
            ]),
        ],
    })
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
            "schemas": all_schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        },
    })
}

/// The derived schemas beside the hand-written ones (a name is given once).
fn all_schemas() -> Value {
    let mut all = schemas();
    for (name, schema) in DERIVED["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        assert!(
            all.get(name).is_none(),
            "{name} is both derived and by hand"
        );
        all[name] = schema.clone();
    }
    all
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

fn name() -> Value {
    json_of(schema::name())
}

/// Free text: up to 4,000 characters, lines allowed (trimmed, not empty).
fn notes() -> Value {
    json_of(schema::notes())
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn nullable_text() -> Value {
    json!({ "type": ["string", "null"] })
}

fn page_of(item: &str) -> Value {
    object(
        &["items", "limit", "offset"],
        &[
            (
                "items",
                json!({ "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } }),
            ),
            ("limit", int()),
            ("offset", int()),
            ("next_offset", json!({ "type": ["integer", "null"] })),
        ],
    )
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
