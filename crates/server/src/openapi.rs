//! The OpenAPI 3.1 document at `/api/openapi.json`. Operations come from two places while the
//! capabilities move over (issue 9, point 6):
//! - described from their types: a handler's `#[utoipa::path]` (path, method, id, summary from
//!   its doc comment, body and answer) listed in [`Derived`], with the schemas derived from the
//!   request and view types (`ToSchema`); to add an operation the new way, annotate its handler
//!   and list it there;
//! - written by hand: the [`BY_HAND`] table and the `json!` schemas of [`schemas`].
//!
//! Either way, [`build`] adds what a derive cannot express, the same for every operation: path
//! parameters, `If-Match`, `Idempotency-Key`, query parameters, the problem+json errors, the
//! bearer security and the note that a token never signs alone. [`OPERATIONS`] lists them all
//! (read from the document). A snapshot test compares the document with
//! `crates/server/openapi.json`, and a route test checks every operation is routed.

use crate::api::{ledgers, records, tokens};
use axum::Json;
use cellpath_app::views::schema::{self, DAY, LINES};
use cellpath_domain::contracting::{AgreementKind, AgreementStatus, Deliverable, Scope};
use cellpath_domain::events::cases::{CaseState, PriorAuthorizationStatus};
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
    tokens::list,
    tokens::create,
    tokens::revoke,
    ledgers::head,
    ledgers::events,
    ledgers::verify,
    ledgers::export,
    ledgers::sign,
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
        "/api/v1/programs",
        "listPrograms",
        "Programs the caller can see (own, and partners' through a partnership)",
        None,
        200,
        "ProgramPage",
    ),
    (
        "post",
        "/api/v1/programs",
        "createProgram",
        "Create a program of the caller's manufacturer",
        Some("ProgramFacts"),
        201,
        "Program",
    ),
    (
        "get",
        "/api/v1/programs/{id}",
        "getProgram",
        "One program",
        None,
        200,
        "Program",
    ),
    (
        "patch",
        "/api/v1/programs/{id}",
        "updateProgram",
        "Replace a program's facts (If-Match required)",
        Some("ProgramFacts"),
        200,
        "Program",
    ),
    (
        "get",
        "/api/v1/programs/{id}/maps",
        "listMapVersions",
        "A program's process map versions",
        None,
        200,
        "MapVersionList",
    ),
    (
        "post",
        "/api/v1/programs/{id}/maps",
        "createMapVersion",
        "Add a draft process map version (validated)",
        Some("ProcessMap"),
        201,
        "MapVersion",
    ),
    (
        "get",
        "/api/v1/maps/{id}",
        "getMapVersion",
        "One process map version",
        None,
        200,
        "MapVersion",
    ),
    (
        "patch",
        "/api/v1/maps/{id}",
        "updateMapVersion",
        "Replace a draft map (If-Match required)",
        Some("ProcessMap"),
        200,
        "MapVersion",
    ),
    (
        "post",
        "/api/v1/maps/{id}/publish",
        "publishMapVersion",
        "Publish a draft map; published versions never change (If-Match required)",
        None,
        200,
        "MapVersion",
    ),
    (
        "put",
        "/api/v1/programs/{id}/requirements",
        "setRequirements",
        "Replace a program's site requirements (If-Match required)",
        Some("RequirementList"),
        200,
        "Program",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/site-maps",
        "listSiteMaps",
        "Site map versions of a partnership",
        None,
        200,
        "SiteMapVersionList",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/site-maps",
        "startSiteMap",
        "Start a site's version of a program's published map (health system)",
        Some("StartSiteMap"),
        201,
        "SiteMapVersion",
    ),
    (
        "get",
        "/api/v1/site-maps/{id}",
        "getSiteMap",
        "A site map version: effective map, proposals, signatures, status, scan burden",
        None,
        200,
        "SiteMapView",
    ),
    (
        "patch",
        "/api/v1/site-maps/{id}",
        "refineSiteMap",
        "Replace the site's refinement (If-Match required)",
        Some("SiteRefinement"),
        200,
        "SiteMapVersion",
    ),
    (
        "post",
        "/api/v1/site-maps/{id}/proposals",
        "proposeChange",
        "Propose a change to a controlled step, with a reason",
        Some("Proposal"),
        201,
        "MapProposal",
    ),
    (
        "post",
        "/api/v1/site-maps/{id}/signatures",
        "signSiteMap",
        "Sign the version's content for your side (password re-entered)",
        Some("SignSiteMap"),
        201,
        "Signature",
    ),
    (
        "post",
        "/api/v1/proposals/{id}/decision",
        "decideProposal",
        "Accept or reject a proposal with a reason (manufacturer; If-Match required)",
        Some("Decision"),
        200,
        "MapProposal",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/visits",
        "recordVisit",
        "Record a site visit with observations and findings",
        Some("VisitInput"),
        201,
        "SiteVisit",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/readiness/{site}/{program}",
        "getReadiness",
        "Requirements judged at a site, score and gaps",
        None,
        200,
        "ReadinessView",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/readiness/{site}/{program}/analysis",
        "analyzeGaps",
        "Open a gap for every unmet requirement without one",
        None,
        201,
        "GapList",
    ),
    (
        "post",
        "/api/v1/gaps/{id}/close",
        "closeGap",
        "Close a gap with evidence and an e-signature (If-Match required)",
        Some("CloseGap"),
        200,
        "Gap",
    ),
    (
        "get",
        "/api/v1/programs/{id}/track-template",
        "getTrackTemplate",
        "A program's track template (the standard one until it sets its own)",
        None,
        200,
        "TrackTemplateView",
    ),
    (
        "put",
        "/api/v1/programs/{id}/track-template",
        "setTrackTemplate",
        "Replace a program's track template (If-Match required; \"1\" while standard)",
        Some("TrackTemplate"),
        200,
        "TrackTemplateView",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/agreements",
        "listAgreements",
        "A partnership's agreements",
        None,
        200,
        "AgreementList",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/agreements",
        "createAgreement",
        "Start tracking an agreement (central kinds at health_system scope only)",
        Some("AgreementInput"),
        201,
        "Agreement",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/agreements/expiring",
        "listExpiringAgreements",
        "Executed agreements that lapse within ?within=N days (default 90), soonest first",
        None,
        200,
        "ExpiryReminderList",
    ),
    (
        "get",
        "/api/v1/notices",
        "listNotices",
        "Notices of the caller's organization across its partnerships, newest first: expiry reminders and site authorizations (authorized, suspended with what is missing, reinstated)",
        None,
        200,
        "NoticePage",
    ),
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
        "/api/v1/agreements/{id}/moves",
        "moveAgreement",
        "Move an agreement along its status path (If-Match required)",
        Some("AgreementMove"),
        200,
        "Agreement",
    ),
    (
        "post",
        "/api/v1/agreements/{id}/dates",
        "setAgreementDates",
        "Set an agreement's effective and expiry dates (If-Match required)",
        Some("AgreementDates"),
        200,
        "Agreement",
    ),
    (
        "post",
        "/api/v1/agreements/{id}/documents",
        "addAgreementDocument",
        "Add a document version by its SHA-256 (If-Match required)",
        Some("AgreementDocument"),
        200,
        "Agreement",
    ),
    (
        "post",
        "/api/v1/agreements/{id}/amendments",
        "addAgreementAmendment",
        "Add an amendment (If-Match required)",
        Some("AgreementAmendment"),
        200,
        "Agreement",
    ),
    (
        "post",
        "/api/v1/agreements/{id}/joinders",
        "joinSites",
        "Extend a named coverage with more of the health system's sites (If-Match required)",
        Some("Joinder"),
        200,
        "Agreement",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/deliverables",
        "recordDeliverable",
        "Record a gate deliverable done, e-signed (password re-entered)",
        Some("DeliverableInput"),
        201,
        "DeliverableRecord",
    ),
    (
        "post",
        "/api/v1/deliverables/{id}/revoke",
        "revokeDeliverable",
        "Revoke a recorded deliverable that no longer holds, with the reason, e-signed (password re-entered; If-Match required)",
        Some("DeliverableRevocation"),
        200,
        "DeliverableRecord",
    ),
    (
        "post",
        "/api/v1/partnerships/{id}/authorizations/review",
        "reviewAuthorizations",
        "Record each site's authorization, suspension or reinstatement since the last review",
        None,
        200,
        "SiteAuthorizationList",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/gate/{site}/{program}",
        "getGate",
        "Whether a site is authorized for a program today (or ?on=YYYY-MM-DD), or what is missing",
        None,
        200,
        "GateView",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/plan/{program}",
        "getLivePlan",
        "When each site will be authorized for the program: done items at their real dates, open ones estimated from today (or ?on=YYYY-MM-DD), dual-track and sequential",
        None,
        200,
        "LivePlan",
    ),
    (
        "get",
        "/api/v1/onboarding",
        "getOnboardingPipeline",
        "Every site of a page of the partnerships of the caller's organization (by name): status, days in onboarding, predicted authorization (P50/P90) and blockers; with the counts by status of all of them",
        None,
        200,
        "OnboardingPipeline",
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
        "get",
        "/api/v1/sites/{id}/cases",
        "listSiteCases",
        "The cases of a site you may see (pseudonym, initials, birth year, status)",
        None,
        200,
        "CaseList",
    ),
    (
        "get",
        "/api/v1/partnerships/{id}/cases",
        "listPartnershipCases",
        "The cases of a partnership you may see (pseudonym, initials, birth year, status)",
        None,
        200,
        "CaseList",
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
fn nullable_text() -> Value {
    json!({ "type": ["string", "null"] })
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
        "Program": json!({ "type": "object", "required": ["id", "org_id", "name", "modality", "units", "identifiers", "list_prices", "requires_dual_verification", "version"], "properties": {
            "id": text(), "org_id": text(), "name": text(), "modality": text(),
            "units": list_of(json!({ "$ref": "#/components/schemas/ProductUnit" })),
            "identifiers": { "type": "array" }, "list_prices": { "type": "array" },
            "requires_dual_verification": { "type": "boolean" }, "version": int(), "created_at": micros(), "updated_at": micros(),
        }}),
        "ProgramPage": page_of("Program"),
        "ProcessMap": object(&[], &[("steps", list_of(json!({ "$ref": "#/components/schemas/Step" })))]),
        "Step": step(),        "MapVersion": object(&["id", "program_id", "number", "status", "map", "content_hash", "version"], &[
            ("id", text()), ("program_id", text()), ("number", int()), ("status", json!({ "enum": ["draft", "published"] })),
            ("map", json!({ "$ref": "#/components/schemas/ProcessMap" })), ("content_hash", text()),
            ("published_at", json!({ "type": ["integer", "null"] })), ("version", int()), ("created_at", micros()), ("updated_at", micros()),
        ]),
        "MapVersionList": list_of(json!({ "$ref": "#/components/schemas/MapVersion" })),
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
        "StartSiteMap": object(&["site_id", "program_id"], &[("site_id", text()), ("program_id", text()), ("from", text())]),
        "SiteRefinement": object(&[], &[
            ("details", json!({ "type": "object", "description": "step key → what the site adds to it", "additionalProperties": object(&[], &[
                ("owner_role", role()), ("location", text()), ("system", text()), ("notes", text()),
            ]) })),
            ("overrides", json!({ "type": "object", "description": "step key → the site's changed step (site-owned steps only)", "additionalProperties": { "$ref": "#/components/schemas/Step" } })),
            ("local_steps", list_of(object(&["step"], &[("step", json!({ "$ref": "#/components/schemas/Step" })), ("before", list_of(text()))]))),
        ]),
        "SiteMapVersion": json!({ "type": "object", "required": ["id", "partnership_id", "site_id", "program_id", "base_map_version_id", "number", "refinement", "version"] }),
        "SiteMapVersionList": list_of(json!({ "$ref": "#/components/schemas/SiteMapVersion" })),
        "SiteMapView": json!({ "type": "object", "required": ["version", "refinement", "proposals", "content_hash", "signatures", "status", "scan_burden"], "properties": {
            "status": { "enum": ["draft", "awaiting_signature", "signed"] }, "content_hash": text(),
            "signed_by_health_system": { "type": "boolean" }, "signed_by_manufacturer": { "type": "boolean" },
            "scan_burden": object(&["scans_per_case", "distinct_locations"], &[("scans_per_case", int()), ("distinct_locations", int())]),
        }}),
        "Proposal": object(&["step", "reason"], &[("step", json!({ "$ref": "#/components/schemas/Step" })), ("reason", notes())]),
        "MapProposal": json!({ "type": "object", "required": ["id", "site_map_version_id", "step_key", "proposed", "reason", "status", "version"] }),
        "Decision": object(&["accept", "reason"], &[("accept", json!({ "type": "boolean" })), ("reason", notes())]),
        "SignSiteMap": object(&["meaning", "password"], &[("meaning", meaning()), ("password", text())]),
        "VisitInput": object(&["site_id", "visited_on", "visitors", "facility_ids"], &[
            ("site_id", text()), ("visited_on", day()), ("visitors", list_of(name())), ("facility_ids", list_of(text())),
            ("observations", list_of(object(&["facility_id", "capability", "value"], &[
                ("facility_id", text()), ("capability", text()),
                ("value", json!({ "oneOf": [{ "type": "boolean" }, ledger_int(), { "type": "string" }, list_of(text())], "description": "yes/no, a whole number, a window HH:MM-HH:MM or a list of names, as the capability takes" })),
                ("note", text()),
            ]))),
            ("findings", json!({ "type": "object", "description": "area → text", "additionalProperties": notes() })),
            ("attachments", list_of(object(&["name", "media_type", "bytes", "sha256"], &[("name", text()), ("media_type", text()), ("bytes", json!({ "type": "integer", "minimum": 0, "maximum": LEDGER_INT_MAX })), ("sha256", json!({ "type": "string", "pattern": "^[0-9a-fA-F]{64}$" }))]))),
        ]),
        "SiteVisit": json!({ "type": "object", "required": ["id", "partnership_id", "site_id", "visited_on", "version"] }),
        "Gap": json!({ "type": "object", "required": ["id", "site_id", "program_id", "requirement_key", "severity", "status", "due_on", "version"] }),
        "GapList": list_of(json!({ "$ref": "#/components/schemas/Gap" })),
        "ReadinessView": json!({ "type": "object", "required": ["site_id", "program_id", "findings", "percent", "gaps", "open_blocking"] }),
        "CloseGap": object(&["evidence", "password"], &[("evidence", notes()), ("password", text())]),
        "AgreementInput": json!({ "oneOf": [
            object(&["kind", "scope"], &[
                ("kind", json!({ "enum": words::<AgreementKind>() })),
                ("scope", json!({ "const": "health_system" })),
                ("site_id", json!({ "const": "", "description": "a health-system agreement names no site" })),
                ("coverage", json!({ "$ref": "#/components/schemas/Coverage" })),
                ("owner_manufacturer", text()), ("owner_health_system", text()),
            ]),
            object(&["kind", "scope", "site_id"], &[
                ("kind", json!({ "enum": AgreementKind::ALL.iter().filter(|k| !k.is_central()).map(|k| k.as_str()).collect::<Vec<_>>(), "description": "the central kinds are executed once for the health system" })),
                ("scope", json!({ "const": "site" })),
                ("site_id", json!({ "type": "string", "minLength": 1, "description": "the site it covers (no coverage: it covers its own site)" })),
                ("owner_manufacturer", text()), ("owner_health_system", text()),
            ]),
        ]}),
        "Coverage": json!({ "oneOf": [
            object(&["covers"], &[("covers", json!({ "const": "all_sites" }))]),
            object(&["covers", "site_ids"], &[("covers", json!({ "const": "named" })), ("site_ids", json!({ "type": "array", "items": text(), "minItems": 1 }))]),
        ]}),
        "Agreement": object(&["id", "partnership_id", "kind", "scope", "site_id", "status", "owner_manufacturer", "owner_health_system", "effective_on", "expires_on", "coverage", "documents", "amendments", "redline_rounds", "version"], &[
            ("id", text()), ("partnership_id", text()), ("kind", text()), ("scope", text()),
            ("site_id", json!({ "type": "string", "description": "'' for health_system scope" })),
            ("status", json!({ "enum": words::<AgreementStatus>() })),
            ("owner_manufacturer", text()), ("owner_health_system", text()),
            ("effective_on", json!({ "type": "string", "description": "YYYY-MM-DD, or '' when not set" })),
            ("expires_on", json!({ "type": "string", "description": "YYYY-MM-DD, or '' when it does not expire" })),
            ("coverage", json!({ "$ref": "#/components/schemas/Coverage" })),
            ("documents", list_of(object(&["name", "sha256", "bytes", "added_on"], &[("name", text()), ("sha256", text()), ("bytes", int()), ("added_on", text())]))),
            ("amendments", list_of(object(&["title", "effective_on"], &[("title", text()), ("effective_on", text())]))),
            ("redline_rounds", int()), ("version", int()), ("created_at", micros()), ("updated_at", micros()),
        ]),
        "AgreementList": list_of(json!({ "$ref": "#/components/schemas/Agreement" })),
        "AgreementMove": object(&["status"], &[("status", json!({ "enum": words::<AgreementStatus>() }))]),
        "AgreementDates": object(&["effective_on"], &[("effective_on", day()), ("expires_on", json!({ "type": "string", "pattern": format!("^$|{}", DAY), "description": "YYYY-MM-DD, the first day the agreement no longer binds (the gate stops counting it that day), or '' for none" }))]),
        "AgreementDocument": object(&["name", "sha256", "bytes"], &[("name", name()), ("sha256", json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" })), ("bytes", json!({ "type": "integer", "minimum": 0, "maximum": LEDGER_INT_MAX }))]),
        "AgreementAmendment": object(&["title", "effective_on"], &[("title", notes()), ("effective_on", day())]),
        "Joinder": object(&["site_ids"], &[("site_ids", list_of(text()))]),
        "DeliverableInput": object(&["site_id", "program_id", "deliverable", "done_on", "evidence", "password"], &[
            ("site_id", text()), ("program_id", text()),
            ("deliverable", json!({ "enum": Deliverable::ALL.iter().filter(|d| **d != Deliverable::SiteMapSigned).map(|d| d.as_str()).collect::<Vec<_>>() })),
            ("done_on", day()), ("evidence", notes()), ("password", text()),
        ]),
        "DeliverableRecord": object(&["id", "partnership_id", "site_id", "program_id", "deliverable", "done_on", "evidence", "revoked_on", "revoked_reason", "version"], &[
            ("id", text()), ("partnership_id", text()), ("site_id", text()), ("program_id", text()), ("deliverable", text()),
            ("done_on", text()), ("evidence", text()),
            ("revoked_on", json!({ "type": "string", "description": "YYYY-MM-DD it stopped counting, or '' while it counts" })),
            ("revoked_reason", text()),
            ("version", int()), ("created_at", micros()), ("updated_at", micros()),
        ]),
        "DeliverableRevocation": object(&["reason", "password"], &[("reason", notes()), ("password", text())]),
        "GateView": json!({ "type": "object", "required": ["partnership_id", "site_id", "program_id", "today", "authorized", "missing", "agreements", "deliverables"], "properties": {
            "partnership_id": text(), "site_id": text(), "program_id": text(), "today": text(),
            "authorized": { "type": "boolean" },
            "missing": list_of(json!({ "type": "object", "required": ["missing", "text"], "properties": {
                "missing": { "enum": ["partnership", "agreement", "deliverable", "blocking_gaps"] }, "text": text(),
                "kind": text(), "reason": text(), "deliverable": text(), "count": int(),
            }})),
            "agreements": list_of(json!({ "$ref": "#/components/schemas/Agreement" })),
            "deliverables": list_of(json!({ "$ref": "#/components/schemas/DeliverableRecord" })),
            "recorded": json!({ "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/SiteAuthorization" }] }),
        }}),
        "SiteAuthorization": object(&["id", "partnership_id", "site_id", "program_id", "status", "since", "missing", "version"], &[
            ("id", text()), ("partnership_id", text()), ("site_id", text()), ("program_id", text()),
            ("status", json!({ "enum": ["authorized", "suspended"] })),
            ("since", json!({ "type": "string", "format": "date" })),
            ("missing", list_of(text())),
            ("version", int()), ("created_at", micros()), ("updated_at", micros()),
        ]),
        "ExpiryReminderList": list_of(object(&["agreement", "expires_on", "days_left"], &[
            ("agreement", json!({ "$ref": "#/components/schemas/Agreement" })),
            ("expires_on", json!({ "type": "string", "format": "date" })), ("days_left", int()),
        ])),
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
        "TrackTemplateView": object(&["program_id", "template", "standard", "version"], &[
            ("program_id", text()), ("template", json!({ "$ref": "#/components/schemas/TrackTemplate" })),
            ("standard", json!({ "type": "boolean" })), ("version", int()),
        ]),
        "Notice": object(&["id", "kind", "recorded_at", "on", "partnership_id", "partnership_name", "partner_name", "missing", "text"], &[
            ("id", text()),
            ("kind", json!({ "enum": ["expiry_reminder", "site_authorized", "site_suspended", "site_reinstated"] })),
            ("recorded_at", micros()),
            ("on", json!({ "type": "string", "format": "date" })),
            ("partnership_id", text()), ("partnership_name", text()),
            ("partner_name", json!({ "type": "string", "description": "the other party, from the caller's side" })),
            ("agreement_id", nullable_text()), ("agreement_kind", nullable_text()),
            ("expires_on", json!({ "type": ["string", "null"], "format": "date" })),
            ("days_left", json!({ "type": ["integer", "null"] })),
            ("site_id", nullable_text()), ("site_name", nullable_text()),
            ("program_id", nullable_text()), ("program_name", nullable_text()),
            ("missing", list_of(text())),
            ("text", text()),
        ]),
        "NoticePage": page_of("Notice"),
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
        "SiteAuthorizationList": list_of(json!({ "$ref": "#/components/schemas/SiteAuthorization" })),
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
        ]),
        "CaseListItem": object(&["id", "pseudonym", "initials", "birth_year", "status", "partnership_id", "site_id", "program_id", "version", "opened_at", "updated_at"], &[
            ("id", text()), ("pseudonym", text()), ("initials", text()), ("birth_year", int()),
            ("status", json!({ "enum": words::<CaseState>() })),
            ("partnership_id", text()), ("site_id", text()), ("program_id", text()),
            ("version", int()), ("opened_at", micros()), ("updated_at", micros()),
        ]),
        "CaseList": list_of(json!({ "$ref": "#/components/schemas/CaseListItem" })),
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
            "benefits": { "type": "object", "description": "the benefits last verified; payer, plan and reference for the chain_of_identity and full views only", "properties": {
                "status": { "enum": words::<PriorAuthorizationStatus>() }, "requested_on": day(), "decided_on": day(),
                "payer": text(), "plan": text(), "reference": text(), "verified_by": text(), "verified_at": micros() } },
            "timeline": { "type": "array", "items": { "type": "object", "properties": { "at": micros(), "text": text() } } },
            "registry": { "type": "object", "description": "the registry follow-up the first infusion scheduled (absent before it)", "required": ["infused_on", "forms", "visits"], "properties": {
                "infused_on": day(),
                "track": { "enum": words::<FollowUpTrack>() },
                "forms": { "type": "array", "items": { "$ref": "#/components/schemas/RegistryForm" } },
                "visits": list_of(day()),
            } },
            "submits_forms": { "type": "boolean", "description": "you may mark the case's registry forms submitted" },
        } }),
        "RegistryForm": registry_form(&[]),
        "RegistryFormItem": registry_form(&[
            ("case_id", text()), ("pseudonym", text()), ("program_id", text()), ("program_name", text()),
        ]),
        "RegistryFormPage": page_of("RegistryFormItem"),
        "FormSubmission": object(&["submitted_on", "reference"], &[
            ("submitted_on", day()),
            ("reference", json!({ "type": "string", "description": "the registry's reference for the submission" })),
        ]),
        "Prediction": object(&["planned", "p50", "p90"], &[
            ("planned", date()), ("p50", date()), ("p90", date()),
        ]),
        "SiteOutlook": site_outlook(),
        "PipelineRow": pipeline_row(),
        "StrategyOutlook": object(&["strategy", "last_site", "critical_path"], &[
            ("strategy", json!({ "enum": ["dual_track", "sequential"] })),
            ("last_site", json!({ "$ref": "#/components/schemas/Prediction" })),
            ("critical_path", list_of(text())),
        ]),
        "LivePlan": object(&["partnership_id", "partnership_name", "program_id", "program_name", "start", "today", "today_day", "iterations", "seed", "labels", "done", "sites", "dual_track", "sequential", "days_saved"], &[
            ("partnership_id", text()), ("partnership_name", text()), ("program_id", text()), ("program_name", text()),
            ("start", date()), ("today", date()), ("today_day", int()), ("iterations", int()), ("seed", int()),
            ("labels", json!({ "type": "object", "description": "Each track item's key and its few words for people", "additionalProperties": text() })),
            ("done", list_of(object(&["instance", "key", "on"], &[
                ("instance", text()), ("key", text()), ("site", json!({ "type": ["string", "null"] })), ("on", date()),
            ]))),
            ("sites", list_of(json!({ "$ref": "#/components/schemas/SiteOutlook" }))),
            ("dual_track", json!({ "$ref": "#/components/schemas/StrategyOutlook" })),
            ("sequential", json!({ "$ref": "#/components/schemas/StrategyOutlook" })),
            ("days_saved", json!({ "type": "array", "items": { "type": "integer" }, "minItems": 3, "maxItems": 3, "description": "planned, P50, P90" })),
        ]),
        "OnboardingPipeline": object(&["org_id", "today", "partnerships", "limit", "offset", "counts", "rows"], &[
            ("org_id", text()), ("today", date()),
            ("partnerships", json!({ "type": "integer", "description": "every active partnership of the organization: what is paged" })),
            ("limit", int()), ("offset", int()),
            ("next_offset", json!({ "type": ["integer", "null"], "description": "where the next page starts, while there is one" })),
            ("counts", object(&["authorized", "onboarding", "suspended"], &[
                ("authorized", int()), ("onboarding", int()), ("suspended", int()),
            ])),
            ("rows", list_of(json!({ "$ref": "#/components/schemas/PipelineRow" }))),
        ]),
    })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

/// A site's outlook with its partnership and program beside it, as one flat object (the
/// pipeline's rows; `allOf` of two closed objects would refuse every real row).
fn pipeline_row() -> Value {
    let mut row = site_outlook();
    let more = [
        "partnership_id",
        "partnership_name",
        "partnership_status",
        "partner",
        "program_id",
        "program_name",
    ];
    for field in more {
        row["required"]
            .as_array_mut()
            .expect("an object schema lists what it requires")
            .push(json!(field));
        row["properties"][field] = text();
    }
    row
}

fn site_outlook() -> Value {
    object(
        &[
            "site_id",
            "site_code",
            "site_name",
            "status",
            "started_on",
            "days_in_onboarding",
            "done",
            "items",
            "blockers",
            "overdue",
            "lapsing",
        ],
        &[
            ("site_id", text()),
            ("site_code", text()),
            ("site_name", text()),
            (
                "status",
                json!({ "enum": ["authorized", "suspended", "onboarding"] }),
            ),
            ("since", json!({ "oneOf": [{ "type": "null" }, date()] })),
            ("started_on", date()),
            (
                "authorized_on",
                json!({ "oneOf": [{ "type": "null" }, date()] }),
            ),
            ("days_in_onboarding", int()),
            ("done", int()),
            ("items", int()),
            (
                "prediction",
                json!({ "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Prediction" }] }),
            ),
            (
                "blockers",
                list_of(
                    json!({ "type": "object", "required": ["missing", "text"], "properties": {
                        "missing": { "enum": ["partnership", "agreement", "deliverable", "blocking_gaps"] }, "text": text(),
                    }}),
                ),
            ),
            (
                "overdue",
                list_of(object(
                    &["gap_id", "due_on", "days_overdue", "text"],
                    &[
                        ("gap_id", text()),
                        ("due_on", date()),
                        ("days_overdue", int()),
                        ("text", text()),
                    ],
                )),
            ),
            (
                "lapsing",
                list_of(object(
                    &["agreement_id", "kind", "expires_on", "text"],
                    &[
                        ("agreement_id", text()),
                        ("kind", text()),
                        ("expires_on", date()),
                        ("text", text()),
                    ],
                )),
            ),
        ],
    )
}

fn day() -> Value {
    json!({ "type": "string", "pattern": DAY, "description": "YYYY-MM-DD, from 1900 to 2200" })
}

fn name() -> Value {
    json_of(schema::name())
}

/// Free text: up to 4,000 characters, lines allowed (trimmed, not empty).
fn notes() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": 4000, "pattern": LINES })
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
                                &[("form", text()), ("due_days", u32_schema())],
                            )),
                        ),
                        ("visits", list_of(u32_schema())),
                        ("scan", json!({ "type": "boolean" })),
                        ("hold_until", text()),
                        ("items", list_of(text())),
                        ("location", text()),
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
