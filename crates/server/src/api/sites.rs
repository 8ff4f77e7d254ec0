//! Site work of a partnership over the API: site map versions (refine, propose, decide, sign),
//! visits, readiness and gaps.

use super::extract::{ApiCaller, Command, NoQuery, answer, meaning, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::readiness::VisitInput;
use cellpath_domain::process_map::Step;
use cellpath_domain::readiness::Requirement;
use cellpath_domain::refinement::SiteRefinement;
use serde::Deserialize;

pub async fn list_site_maps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.site_maps(&c, &id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSiteMap {
    site_id: String,
    program_id: String,
    /// Copy the site's work from this earlier version.
    from: Option<String>,
}

pub async fn start_site_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: StartSiteMap = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .start_site_map(
            c,
            &id,
            &req.site_id,
            &req.program_id,
            req.from.as_deref(),
            idem,
        )
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_site_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = s.app.site_map(&c, &id).await?;
    let version = view.version.version;
    Ok(with_etag(StatusCode::OK, &view, version))
}

pub async fn refine_site_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let refinement: SiteRefinement = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .refine_site_map(c, &id, version, refinement, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    step: Step,
    reason: String,
}

pub async fn propose(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: Proposal = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .propose_change(c, &id, req.step, &req.reason, idem)
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    accept: bool,
    reason: String,
}

pub async fn decide(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: Decision = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .decide_proposal(c, &id, version, req.accept, &req.reason, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignSiteMap {
    meaning: String,
    password: String,
}

pub async fn sign_site_map(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: SignSiteMap = cmd.json()?;
    let meaning = meaning(&req.meaning)?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .sign_site_map(c, &id, meaning, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

pub async fn set_requirements(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let reqs: Vec<Requirement> = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.set_requirements(c, &id, version, reqs, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn record_visit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: VisitInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.record_visit(c, &id, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn readiness(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path((id, site, program)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.readiness(&c, &id, &site, &program).await?).into_response())
}

pub async fn analyze(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path((id, site, program)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.app.analyze_gaps(&c, &id, &site, &program).await?),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseGap {
    evidence: String,
    password: String,
}

pub async fn close_gap(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: CloseGap = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .close_gap(c, &id, version, &req.evidence, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
