//! Consent documents over the API: a site's consent versions per program (read by the health
//! system, and by the manufacturer through an active partnership), a version added as a draft,
//! made active, retired; and a case's consent against the active version.

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::cases::CaseInput;
use cellpath_app::consent::NewConsentVersion;
use cellpath_domain::events::cases::ConsentGiver;
use serde::Deserialize;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.consent_documents(&c, &id).await?).into_response())
}

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
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    password: String,
}

/// Make a draft active (If-Match: its version), e-signed `approved` (password re-entered);
/// the one active before is retired.
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
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    reason: String,
    password: String,
}

/// Retire the active version (If-Match: its version), with the reason, e-signed `reviewed`
/// (password re-entered).
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
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseConsent {
    consent_version_id: String,
    consented_by: ConsentGiver,
    /// `YYYY-MM-DD`.
    signed_on: String,
    witness: String,
}

/// The patient's consent on a case, against the site's active consent version. If-Match is
/// optional, as for every action on a case.
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
