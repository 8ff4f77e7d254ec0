//! Contracting over the API: a partnership's agreements (created, moved along their status,
//! dated, documented, amended, joined by more sites), gate deliverables (e-signed), and the
//! gate itself per site and program; a program's track template.

use super::extract::{ApiCaller, Command, List, NoQuery, Params, answer, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::AppError;
use cellpath_app::contracting::{
    AgreementInput, AmendmentInput, DeliverableInput, DocumentInput, ExpiryReminder, GateView,
    TrackTemplateView,
};
use cellpath_app::onboarding::{LivePlan, Pipeline as OnboardingPipeline};
use cellpath_app::views::contracting::{Agreement, DeliverableRecord, SiteAuthorization};
use cellpath_app::views::schema;
use cellpath_domain::contracting::AgreementStatus;
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::{Date, LedgerInt};
use serde::Deserialize;
use utoipa::ToSchema;

/// A partnership's agreements.
type AgreementList = List<Agreement>;
/// The verdicts a review recorded.
type SiteAuthorizationList = List<SiteAuthorization>;
/// Agreements about to lapse.
type ExpiryReminderList = List<ExpiryReminder>;

/// A partnership's agreements
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/agreements",
    operation_id = "listAgreements",
    responses((status = 200, body = AgreementList))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = AgreementList::of(s.app.agreements(&c, &id).await?);
    Ok(axum::Json(list).into_response())
}

/// Start tracking an agreement (central kinds at health_system scope only)
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/agreements",
    operation_id = "createAgreement",
    request_body = AgreementInput,
    responses((status = 201, body = Agreement))
)]
pub async fn create(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: AgreementInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_agreement(c, &id, input, idem).await?;
    Ok(answer(out.map(Agreement::from), StatusCode::CREATED, |a| {
        Some(a.version)
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgreementMove)]
pub struct Move {
    #[schema(schema_with = schema::vocabulary::<AgreementStatus>)]
    status: String,
}

/// Move an agreement along its status path (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{id}/moves",
    operation_id = "moveAgreement",
    request_body = Move,
    responses((status = 200, body = Agreement))
)]
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
    Ok(answer(out.map(Agreement::from), StatusCode::OK, |a| {
        Some(a.version)
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgreementDates)]
pub struct Dates {
    #[schema(schema_with = schema::day)]
    effective_on: String,
    /// Left out or '' when the agreement does not expire.
    #[serde(default)]
    #[schema(schema_with = cellpath_app::views::contracting::expiry_day)]
    expires_on: String,
}

/// Set an agreement's effective and expiry dates (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{id}/dates",
    operation_id = "setAgreementDates",
    request_body = Dates,
    responses((status = 200, body = Agreement))
)]
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
    Ok(answer(out.map(Agreement::from), StatusCode::OK, |a| {
        Some(a.version)
    }))
}

/// Add a document version by its SHA-256 (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{id}/documents",
    operation_id = "addAgreementDocument",
    request_body = DocumentInput,
    responses((status = 200, body = Agreement))
)]
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
    Ok(answer(out.map(Agreement::from), StatusCode::OK, |a| {
        Some(a.version)
    }))
}

/// Add an amendment (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{id}/amendments",
    operation_id = "addAgreementAmendment",
    request_body = AmendmentInput,
    responses((status = 200, body = Agreement))
)]
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
    Ok(answer(out.map(Agreement::from), StatusCode::OK, |a| {
        Some(a.version)
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Joinder {
    site_ids: Vec<String>,
}

/// Extend a named coverage with more of the health system's sites (If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{id}/joinders",
    operation_id = "joinSites",
    request_body = Joinder,
    responses((status = 200, body = Agreement))
)]
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
    Ok(answer(out.map(Agreement::from), StatusCode::OK, |a| {
        Some(a.version)
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeliverableInput)]
pub struct RecordDeliverable {
    site_id: String,
    program_id: String,
    #[schema(schema_with = cellpath_app::views::contracting::recordable_deliverable)]
    deliverable: String,
    #[schema(schema_with = schema::day)]
    done_on: String,
    #[schema(schema_with = schema::notes)]
    evidence: String,
    #[schema(schema_with = schema::signing_password)]
    password: String,
}

/// Record a gate deliverable done, e-signed (password re-entered)
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/deliverables",
    operation_id = "recordDeliverable",
    request_body = RecordDeliverable,
    responses((status = 201, body = DeliverableRecord))
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeliverableRevocation)]
pub struct RevokeDeliverable {
    #[schema(schema_with = schema::notes)]
    reason: String,
    #[schema(schema_with = schema::signing_password)]
    password: String,
}

// Takes back a recorded deliverable that no longer holds; the gate is judged again.
/// Revoke a recorded deliverable that no longer holds, with the reason, e-signed (password re-entered; If-Match required)
#[utoipa::path(
    post,
    path = "/api/v1/deliverables/{id}/revoke",
    operation_id = "revokeDeliverable",
    request_body = RevokeDeliverable,
    responses((status = 200, body = DeliverableRecord))
)]
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

/// Whether a site is authorized for a program today (or ?on=YYYY-MM-DD), or what is missing
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/gate/{site}/{program}",
    operation_id = "getGate",
    responses((status = 200, body = GateView))
)]
pub async fn gate(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, site, program)): Path<(String, String, String)>,
    Params(q): Params<GateQuery>,
) -> Result<Response, ApiError> {
    let day = day_or_today(&s, q.on)?;
    let view: GateView = s.app.gate(&c, &id, &site, &program, day).await?;
    Ok(axum::Json(view).into_response())
}

// Records every change of the gate's verdict in the partnership (first authorization,
// suspension, reinstatement) as events; answers the changes.
/// Record each site's authorization, suspension or reinstatement since the last review
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/authorizations/review",
    operation_id = "reviewAuthorizations",
    responses((status = 200, body = SiteAuthorizationList))
)]
pub async fn review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let today = Date::of_micros(s.app.now());
    let list = SiteAuthorizationList::of(s.app.review_authorizations(&c, &id, today).await?);
    Ok(axum::Json(list).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringQuery {
    /// Days ahead to look; 90 when left out.
    within: Option<cellpath_domain::LedgerInt>,
}

/// Executed agreements that lapse within ?within=N days (default 90), soonest first
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/agreements/expiring",
    operation_id = "listExpiringAgreements",
    responses((status = 200, body = ExpiryReminderList))
)]
pub async fn expiring(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    Params(q): Params<ExpiringQuery>,
) -> Result<Response, ApiError> {
    let today = Date::of_micros(s.app.now());
    let within = q.within.map_or(90, cellpath_domain::LedgerInt::get);
    let list: ExpiryReminderList = List(s.app.expiring_agreements(&c, &id, today, within).await?);
    Ok(axum::Json(list).into_response())
}

/// A program's track template (the standard one until it sets its own)
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}/track-template",
    operation_id = "getTrackTemplate",
    responses((status = 200, body = TrackTemplateView))
)]
pub async fn get_track_template(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view: TrackTemplateView = s.app.track_template(&c, &id).await?;
    let version = view.version;
    Ok(with_etag(StatusCode::OK, &view, version))
}

/// Replace a program's track template (If-Match required; "1" while standard)
#[utoipa::path(
    put,
    path = "/api/v1/programs/{id}/track-template",
    operation_id = "setTrackTemplate",
    request_body = TrackTemplate,
    responses((status = 200, body = TrackTemplateView))
)]
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

// Planned from what is done (at its real dates) and estimated from today, under both
// strategies.
/// When each site will be authorized for the program: done items at their real dates, open ones estimated from today (or ?on=YYYY-MM-DD), dual-track and sequential
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/plan/{program}",
    operation_id = "getLivePlan",
    responses((status = 200, body = LivePlan))
)]
pub async fn live_plan(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, program)): Path<(String, String)>,
    Params(q): Params<GateQuery>,
) -> Result<Response, ApiError> {
    let day = day_or_today(&s, q.on)?;
    let plan: LivePlan = s.app.live_plan(&c, &id, &program, day).await?;
    Ok(axum::Json(plan).into_response())
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

/// Every site of a page of the partnerships of the caller's organization (by name): status, days in onboarding, predicted authorization (P50/P90) and blockers; with the counts by status of all of them
#[utoipa::path(
    get,
    path = "/api/v1/onboarding",
    operation_id = "getOnboardingPipeline",
    responses((status = 200, body = OnboardingPipeline))
)]
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
    let pipeline: OnboardingPipeline = s.app.onboarding_pipeline(&c, &org, day, page).await?;
    Ok(axum::Json(pipeline).into_response())
}
