//! A release exception's handling over the API (issue 13, points 2-3): the patient told, the
//! decision among the options the protocol offers for its kind, expanded access's
//! prerequisites, each side's signature on the close (password re-entered), and the
//! exception's timeline. Refusals are problems: 404 for anyone who may not see the case's
//! patient, 403 for a role the protocol does not name (or an ended partnership), 422 naming
//! the field (a decision not offered names those that are), 409 when the exception's stage is
//! the reason (already told, decided, signed; not yet decided).

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::release_exceptions::{
    ExceptionDecision, ExceptionPrerequisite, ExceptionProgress, ExceptionTimeline, PatientTold,
};
use cellpath_app::views::audit::Signature;
use serde::Deserialize;
use utoipa::ToSchema;

/// Record that the patient was told.
#[utoipa::path(
    post,
    path = "/api/v1/release-exceptions/{id}/patient-told",
    operation_id = "recordPatientTold",
    summary = "Record that the patient was told of the release exception — how (in_person, phone, video, letter), when (not before the exception, not in the future) and a note — by the health system's role the protocol names to tell the patient (403 for anyone else), once (409 after); the protocol's deadline is kept beside it",
    request_body = PatientTold,
    responses((status = 201, body = ExceptionProgress))
)]
pub async fn patient_told(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: PatientTold = cmd.json()?;
    let out = s
        .app
        .record_patient_told(&cmd.caller, &id, req, cmd.idem.clone())
        .await?
        .map(ExceptionProgress::from);
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

/// Decide the exception.
#[utoipa::path(
    post,
    path = "/api/v1/release-exceptions/{id}/decision",
    operation_id = "decideReleaseException",
    summary = "Decide a release exception, once, among the options the protocol offers for its kind (another is a 422 naming those offered; nothing written): by the health system's physician or the manufacturer's quality. Remanufacture and re-collection give the case's manufacturing or collection steps a new attempt; cancel cancels the case; another therapy and cancel need the care-transition plan; expanded access waits for its four prerequisites before the case goes on",
    request_body = ExceptionDecision,
    responses((status = 201, body = ExceptionProgress))
)]
pub async fn decide(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: ExceptionDecision = cmd.json()?;
    let out = s
        .app
        .decide_release_exception(&cmd.caller, &id, req, cmd.idem.clone())
        .await?
        .map(ExceptionProgress::from);
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

/// Record one of expanded access's prerequisites.
#[utoipa::path(
    post,
    path = "/api/v1/release-exceptions/{id}/prerequisites",
    operation_id = "recordExceptionPrerequisite",
    summary = "Record one prerequisite of infusion under expanded access, once it is decided: the physician's request (the health system's physician), the IRB's approval (its physician or coordinator), the patient's expanded-access consent (its coordinator, physician or nurse; with the document's SHA-256) or the manufacturer's release for that use (its quality; with the certificate's SHA-256). The fourth lets the case go on; until then it stays stopped and its infusion closed",
    request_body = ExceptionPrerequisite,
    responses((status = 201, body = ExceptionProgress))
)]
pub async fn prerequisite(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: ExceptionPrerequisite = cmd.json()?;
    let out = s
        .app
        .record_exception_prerequisite(&cmd.caller, &id, req, cmd.idem.clone())
        .await?
        .map(ExceptionProgress::from);
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ExceptionCloseSignature)]
#[serde(deny_unknown_fields)]
pub struct CloseSignature {
    /// Your password: signing the close is an e-signature (meaning: approved).
    password: String,
}

/// Sign the close for your side.
#[utoipa::path(
    post,
    path = "/api/v1/release-exceptions/{id}/signatures",
    operation_id = "signReleaseExceptionClose",
    summary = "Sign the close of a release exception for your side, e-signed (approved) with your password, on the hash of what was decided: only once it is decided, the patient told and (under expanded access) its prerequisites recorded, once per side (409 otherwise); the second side's signature closes it",
    request_body = CloseSignature,
    responses((status = 201, body = Signature))
)]
pub async fn sign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: CloseSignature = cmd.json()?;
    let out = s
        .app
        .sign_release_exception(&cmd.caller, &id, &req.password, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

/// The exception's timeline.
#[utoipa::path(
    get,
    path = "/api/v1/release-exceptions/{id}/timeline",
    operation_id = "getReleaseExceptionTimeline",
    summary = "A release exception's timeline, oldest first: its opening, every tier told (escalations marked), the acknowledgement, the patient told, the decision, expanded access's prerequisites and each side's signature on the close — who (by name) and when, in words (anyone who may see the case's patient; 404 otherwise)",
    responses((status = 200, body = ExceptionTimeline))
)]
pub async fn timeline(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = s.app.release_exception_timeline(&c, &id).await?;
    Ok((StatusCode::OK, Json(t)).into_response())
}
