//! Contracting over the API: a partnership's agreements (created, moved along their status,
//! dated, documented, amended, joined by more sites), gate deliverables (e-signed), and the
//! gate itself per site and program; a program's track template.

use super::extract::{ApiCaller, Command, NoQuery, Params, answer, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::AppError;
use cellpath_app::contracting::{AgreementInput, AmendmentInput, DeliverableInput, DocumentInput};
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::{Date, LedgerInt};
use serde::Deserialize;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.agreements(&c, &id).await?).into_response())
}

pub async fn create(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: AgreementInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_agreement(c, &id, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |a| Some(a.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    status: String,
}

pub async fn move_to(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: Move = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .move_agreement(c, &id, version, &req.status, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |a| Some(a.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dates {
    effective_on: String,
    /// Left out or '' when the agreement does not expire.
    #[serde(default)]
    expires_on: String,
}

pub async fn dates(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: Dates = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .set_agreement_dates(c, &id, version, &req.effective_on, &req.expires_on, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |a| Some(a.version)))
}

pub async fn add_document(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let doc: DocumentInput = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.add_document(c, &id, version, doc, idem).await?;
    Ok(answer(out, StatusCode::OK, |a| Some(a.version)))
}

pub async fn add_amendment(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let amendment: AmendmentInput = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .add_amendment(c, &id, version, amendment, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |a| Some(a.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Joinder {
    site_ids: Vec<String>,
}

pub async fn join(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: Joinder = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .join_sites(c, &id, version, &req.site_ids, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |a| Some(a.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDeliverable {
    site_id: String,
    program_id: String,
    deliverable: String,
    done_on: String,
    evidence: String,
    password: String,
}

pub async fn record_deliverable(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: RecordDeliverable = cmd.json()?;
    let idem = cmd.idem.clone();
    let input = DeliverableInput {
        site_id: req.site_id,
        program_id: req.program_id,
        deliverable: req.deliverable,
        done_on: req.done_on,
        evidence: req.evidence,
    };
    let out = s
        .app
        .record_deliverable(c, &id, input, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::CREATED, |r| Some(r.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeDeliverable {
    reason: String,
    password: String,
}

/// Take back a recorded deliverable that no longer holds, e-signed; the gate is judged again.
pub async fn revoke_deliverable(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: RevokeDeliverable = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .revoke_deliverable(c, &id, version, &req.reason, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |r| Some(r.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateQuery {
    /// The day to judge (`YYYY-MM-DD`); today when left out.
    on: Option<String>,
}

pub async fn gate(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, site, program)): Path<(String, String, String)>,
    Params(q): Params<GateQuery>,
) -> Result<Response, ApiError> {
    let day = day_or_today(&s, q.on)?;
    Ok(axum::Json(s.app.gate(&c, &id, &site, &program, day).await?).into_response())
}

/// Record every change of the gate's verdict in the partnership (first authorization,
/// suspension, reinstatement) as events; answers the changes.
pub async fn review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let today = Date::of_micros(s.app.now());
    Ok(axum::Json(s.app.review_authorizations(&c, &id, today).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringQuery {
    /// Days ahead to look; 90 when left out.
    within: Option<cellpath_domain::LedgerInt>,
}

pub async fn expiring(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    Params(q): Params<ExpiringQuery>,
) -> Result<Response, ApiError> {
    let today = Date::of_micros(s.app.now());
    let within = q.within.map_or(90, cellpath_domain::LedgerInt::get);
    Ok(axum::Json(s.app.expiring_agreements(&c, &id, today, within).await?).into_response())
}

pub async fn get_track_template(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = s.app.track_template(&c, &id).await?;
    let version = view.version;
    Ok(with_etag(StatusCode::OK, &view, version))
}

pub async fn set_track_template(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let template: TrackTemplate = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .set_track_template(c, &id, version, template, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

fn day_or_today(s: &AppState, on: Option<String>) -> Result<Date, AppError> {
    match on {
        Some(on) => Date::parse(&on).map_err(|e| AppError::invalid("on", e)),
        None => Ok(Date::of_micros(s.app.now())),
    }
}

/// When each site of the partnership will be authorized for the program, planned from what
/// is done (at its real dates) and estimated from today, under both strategies.
pub async fn live_plan(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, program)): Path<(String, String)>,
    Params(q): Params<GateQuery>,
) -> Result<Response, ApiError> {
    let day = day_or_today(&s, q.on)?;
    Ok(axum::Json(s.app.live_plan(&c, &id, &program, day).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineQuery {
    /// The day to judge (`YYYY-MM-DD`); today when left out.
    on: Option<String>,
    /// Partnerships on the page (1–200, 50 when left out) and how many to skip.
    limit: Option<LedgerInt>,
    offset: Option<LedgerInt>,
}

/// Every site of a page of the partnerships of the caller's organization on its way to
/// authorization, with the counts by status of all of them.
pub async fn pipeline(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Params(q): Params<PipelineQuery>,
) -> Result<Response, ApiError> {
    let day = day_or_today(&s, q.on)?;
    let page =
        cellpath_app::records::page(q.limit.map(LedgerInt::get), q.offset.map(LedgerInt::get))?;
    let org = c
        .org_id()
        .ok_or_else(|| {
            AppError::invalid("org", "the pipeline is an organization's; sign in as one")
        })?
        .to_string();
    Ok(axum::Json(s.app.onboarding_pipeline(&c, &org, day, page).await?).into_response())
}
