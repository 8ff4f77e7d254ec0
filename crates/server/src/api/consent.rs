//! Consent documents over the API: a site's consent versions per program (read by the health
//! system, and by the manufacturer through an active partnership), a version added as a draft,
//! made active, retired; and a case's consent against the active version.

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::cases::CaseActed;
use cellpath_app::cases::CaseInput;
use cellpath_app::consent::ConsentDocuments;
use cellpath_app::consent::NewConsentVersion;
use cellpath_app::views::consent::ConsentVersion;
use cellpath_app::views::schema;
use cellpath_domain::events::cases::ConsentGiver;
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/consent-documents",
    operation_id = "listConsentDocuments",
    summary = "A site's consent versions per program (the health system's staff; the manufacturer through an active partnership only)",
    responses((status = 200, body = ConsentDocuments))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.consent_documents(&c, &id).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/sites/{id}/consent-documents",
    operation_id = "createConsentVersion",
    summary = "Add a consent version (a draft) for a program at the site: the form's document by SHA-256, its effective date and its sections (health system)",
    request_body = NewConsentVersion,
    responses((status = 201, body = ConsentVersion))
)]
pub async fn create(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewConsentVersion = cmd.json()?;
    let out = s
        .app
        .create_consent_version(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    let out = out.map(ConsentVersion::from);
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ConsentActivation)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// Your password: making a version active is an e-signature (meaning: approved).
    password: String,
}

/// Make a draft active (If-Match: its version), e-signed `approved` (password re-entered);
/// the one active before is retired.
#[utoipa::path(
    post,
    path = "/api/v1/consent-documents/{id}/activation",
    operation_id = "activateConsentVersion",
    summary = "Make a draft consent version active, e-signed (approved) with your password: only with a manufacturing-failure section and on or after its effective date; the version active before is retired (If-Match required)",
    request_body = Activation,
    responses((status = 200, body = ConsentVersion))
)]
pub async fn activate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let version = cmd.if_match()?;
    let req: Activation = cmd.json()?;
    let out = s
        .app
        .activate_consent_version(
            &cmd.caller,
            &id,
            Some(version),
            &req.password,
            cmd.idem.clone(),
        )
        .await?
        .map(ConsentVersion::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ConsentRetirement)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    #[schema(schema_with = schema::notes)]
    reason: String,
    /// Your password: retiring a version is an e-signature (meaning: reviewed).
    password: String,
}

/// Retire the active version (If-Match: its version), with the reason, e-signed `reviewed`
/// (password re-entered).
#[utoipa::path(
    post,
    path = "/api/v1/consent-documents/{id}/retirement",
    operation_id = "retireConsentVersion",
    summary = "Retire the active consent version with the reason, e-signed (reviewed) with your password; a site resting on it is suspended by the gate's review (If-Match required)",
    request_body = Retirement,
    responses((status = 200, body = ConsentVersion))
)]
pub async fn retire(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: Retirement = cmd.json()?;
    let version = cmd.if_match()?;
    let out = s
        .app
        .retire_consent_version(
            &cmd.caller,
            &id,
            Some(version),
            &req.reason,
            &req.password,
            cmd.idem.clone(),
        )
        .await?
        .map(ConsentVersion::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseConsent {
    consent_version_id: String,
    /// The patient, or a legally authorized representative (never by name).
    consented_by: ConsentGiver,
    #[schema(schema_with = schema::day)]
    signed_on: String,
    #[schema(schema_with = schema::name)]
    witness: String,
}

/// The patient's consent on a case, against the site's active consent version. If-Match is
/// optional, as for every action on a case.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/consent",
    operation_id = "recordCaseConsent",
    summary = "Record the patient's consent against the site's active consent version for the case's program (a draft or retired version is refused, nothing written; If-Match optional)",
    request_body = CaseConsent,
    responses((status = 200, body = CaseActed))
)]
pub async fn record_case_consent(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: CaseConsent = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let input = CaseInput::RecordConsent {
        consent_version_id: req.consent_version_id,
        consented_by: req.consented_by,
        signed_on: req.signed_on,
        witness: req.witness,
    };
    let out = s
        .app
        .act_on_case(&cmd.caller, &id, input, "", if_match, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
