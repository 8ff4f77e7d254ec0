//! Release exceptions over the API (issue 13, point 6): a partnership's protocol versions
//! (read by both sides of an active or ended partnership, drafted by either side, e-signed by
//! each), the exceptions the caller sees through their cases' patients (opened by the
//! manufacturer's quality, acknowledged by a recipient of a tier told), and the SLA record
//! across the caller's partnerships. Deciding, telling the patient and closing are
//! `exception_decisions.rs`'s.

use super::extract::{ApiCaller, Command, List, NoQuery, answer, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::release_exceptions::{
    NewExceptionProtocol, OpenReleaseException, PartnershipProtocols, ProtocolVersionView,
    ReleaseExceptionView, SlaDashboard,
};
use cellpath_app::views::audit::Signature;
use cellpath_app::views::schema;
use serde::Deserialize;
use utoipa::ToSchema;

type ReleaseExceptionList = List<ReleaseExceptionView>;

/// A protocol version signed for the caller's side.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignProtocol {
    #[schema(schema_with = schema::signing_password)]
    password: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/exception-protocols",
    operation_id = "listExceptionProtocols",
    summary = "A partnership's release-exception protocol versions, every program's, oldest first (both sides of an active or ended partnership)",
    responses((status = 200, body = PartnershipProtocols))
)]
pub async fn list_protocols(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.partnership_protocols(&c, &id).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/exception-protocols",
    operation_id = "draftExceptionProtocol",
    summary = "Draft a program's release-exception protocol version: tiers (recipients by side and role, channels, notify within, escalate after), who tells the patient and within how long, the decision deadline, the options per kind (either side, active partnership; each problem named by its field, e.g. protocol.tiers[0].recipients[1].role)",
    request_body = NewExceptionProtocol,
    responses((status = 201, body = ProtocolVersionView))
)]
pub async fn draft_protocol(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewExceptionProtocol = cmd.json()?;
    let out = s
        .app
        .draft_exception_protocol_view(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[utoipa::path(
    get,
    path = "/api/v1/exception-protocols/{id}",
    operation_id = "getExceptionProtocol",
    summary = "A release-exception protocol version",
    responses((status = 200, body = ProtocolVersionView))
)]
pub async fn get_protocol(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.exception_protocol_view(&c, &id).await?;
    let version = v.version;
    Ok(with_etag(StatusCode::OK, &v, version))
}

#[utoipa::path(
    post,
    path = "/api/v1/exception-protocols/{id}/signatures",
    operation_id = "signExceptionProtocol",
    summary = "E-sign a draft protocol version for your side, meaning approved (password re-entered); the second side's signature agrees it and supersedes the version agreed before",
    request_body = SignProtocol,
    responses((status = 201, body = Signature))
)]
pub async fn sign_protocol(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let req: SignProtocol = cmd.json()?;
    let out = s
        .app
        .sign_exception_protocol(&cmd.caller, &id, &req.password, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

#[utoipa::path(
    get,
    path = "/api/v1/release-exceptions",
    operation_id = "listReleaseExceptions",
    summary = "The release exceptions you see (through their cases' patients), newest first",
    responses((status = 200, body = ReleaseExceptionList))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let list: ReleaseExceptionList = List(s.app.release_exceptions(&c).await?);
    Ok(axum::Json(list).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/release-exceptions/sla",
    operation_id = "getReleaseExceptionSla",
    summary = "The SLA record of each partnership you see exceptions of: time to notify, acknowledge, decide and tell the patient against the protocol, and breaches",
    responses((status = 200, body = SlaDashboard))
)]
pub async fn sla(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.release_exception_slas(&c).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/release-exceptions/{id}",
    operation_id = "getReleaseException",
    summary = "A release exception: lymphodepletion started or not, its kind, the tiers told, the acknowledgement, the deadlines, its SLA figures and what you may do",
    responses((status = 200, body = ReleaseExceptionView))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.release_exception_view(&c, &id).await?;
    let version = v.version;
    Ok(with_etag(StatusCode::OK, &v, version))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/release-exceptions",
    operation_id = "openReleaseException",
    summary = "Open a release exception on a case with the quality system's decision (certificate reference and SHA-256): the manufacturer's quality, under the program's agreed protocol; tier 1 is told at once",
    request_body = OpenReleaseException,
    responses((status = 201, body = ReleaseExceptionView))
)]
pub async fn open(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: OpenReleaseException = cmd.json()?;
    let out = s
        .app
        .open_release_exception_view(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[utoipa::path(
    post,
    path = "/api/v1/release-exceptions/{id}/acknowledgement",
    operation_id = "acknowledgeReleaseException",
    summary = "Acknowledge a release exception as a recipient of a tier told (by your side and role): it stops the escalation; a second acknowledgement is refused",
    responses((status = 200, body = ReleaseExceptionView))
)]
pub async fn acknowledge(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let out = s
        .app
        .acknowledge_release_exception_view(&cmd.caller, &id, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
