//! Site work of a partnership over the API: site map versions (refine, propose, decide, sign),
//! visits, readiness and gaps.

use super::extract::{ApiCaller, Command, List, NoQuery, answer, meaning, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::readiness::{ReadinessView, VisitInput};
use cellpath_app::sitemaps::SiteMapView;
use cellpath_app::views::audit::Signature;
use cellpath_app::views::programs::Program;
use cellpath_app::views::readiness::{Gap, SiteVisit};
use cellpath_app::views::schema;
use cellpath_app::views::site_maps::{MapProposal, SiteMapVersion};
use cellpath_domain::process_map::{SignatureMeaning, Step};
use cellpath_domain::readiness::Requirement;
use cellpath_domain::refinement::SiteRefinement;
use serde::Deserialize;
use utoipa::ToSchema;

/// A partnership's site map versions.
type SiteMapVersionList = List<SiteMapVersion>;
/// Gaps opened by an analysis.
type GapList = List<Gap>;

/// Site map versions of a partnership
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/site-maps",
    operation_id = "listSiteMaps",
    responses((status = 200, body = SiteMapVersionList))
)]
pub async fn list_site_maps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = List(s.app.site_maps(&c, &id).await?);
    Ok(axum::Json(list).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSiteMap {
    site_id: String,
    program_id: String,
    /// Copy the site's work from this earlier version.
    from: Option<String>,
}

/// Start a site's version of a program's published map (health system)
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/site-maps",
    operation_id = "startSiteMap",
    request_body = StartSiteMap,
    responses((status = 201, body = SiteMapVersion))
)]
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

/// A site map version: effective map, proposals, signatures, status, scan burden
#[utoipa::path(
    get,
    path = "/api/v1/site-maps/{id}",
    operation_id = "getSiteMap",
    responses((status = 200, body = SiteMapView))
)]
pub async fn get_site_map(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view: SiteMapView = s.app.site_map(&c, &id).await?;
    let version = view.version.version;
    Ok(with_etag(StatusCode::OK, &view, version))
}

/// Replace the site's refinement (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/site-maps/{id}",
    operation_id = "refineSiteMap",
    request_body = SiteRefinement,
    responses((status = 200, body = SiteMapVersion))
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    step: Step,
    #[schema(schema_with = schema::notes)]
    reason: String,
}

/// Propose a change to a controlled step, with a reason
#[utoipa::path(
    post,
    path = "/api/v1/site-maps/{id}/proposals",
    operation_id = "proposeChange",
    request_body = Proposal,
    responses((status = 201, body = MapProposal))
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    accept: bool,
    #[schema(schema_with = schema::notes)]
    reason: String,
}

/// Accept or reject a proposal with a reason (manufacturer; If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/decision",
    operation_id = "decideProposal",
    request_body = Decision,
    responses((status = 200, body = MapProposal))
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignSiteMap {
    #[schema(schema_with = schema::vocabulary::<SignatureMeaning>)]
    meaning: String,
    #[schema(schema_with = schema::signing_password)]
    password: String,
}

/// Sign the version's content for your side (password re-entered)
#[utoipa::path(
    post,
    path = "/api/v1/site-maps/{id}/signatures",
    operation_id = "signSiteMap",
    request_body = SignSiteMap,
    responses((status = 201, body = Signature))
)]
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

/// The requirements a program sets, as one list.
type RequirementList = List<Requirement>;

/// Replace a program's site requirements (If-Match required)
#[utoipa::path(
    put,
    path = "/api/v1/programs/{id}/requirements",
    operation_id = "setRequirements",
    request_body = RequirementList,
    responses((status = 200, body = Program))
)]
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

/// Record a site visit with observations and findings
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/visits",
    operation_id = "recordVisit",
    request_body = VisitInput,
    responses((status = 201, body = SiteVisit))
)]
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

/// Requirements judged at a site, score and gaps
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/readiness/{site}/{program}",
    operation_id = "getReadiness",
    responses((status = 200, body = ReadinessView))
)]
pub async fn readiness(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path((id, site, program)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let view: ReadinessView = s.app.readiness(&c, &id, &site, &program).await?;
    Ok(axum::Json(view).into_response())
}

/// Open a gap for every unmet requirement without one
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/readiness/{site}/{program}/analysis",
    operation_id = "analyzeGaps",
    responses((status = 201, body = GapList))
)]
pub async fn analyze(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path((id, site, program)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(GapList::of(
            s.app
                .analyze_gaps(&c, &id, &site, &program)
                .await?
                .into_iter()
                .collect(),
        )),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseGap {
    #[schema(schema_with = schema::notes)]
    evidence: String,
    #[schema(schema_with = schema::signing_password)]
    password: String,
}

/// Close a gap with evidence and an e-signature (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/gaps/{id}/close",
    operation_id = "closeGap",
    request_body = CloseGap,
    responses((status = 200, body = Gap))
)]
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
    let out = out.then(|g| s.app.signed_gap(c, g)).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
