//! A health system's own money with its payers over the API (issue 14, points 2 and 3): its
//! payer profiles (DOMAIN.md's defaults to start from, versioned edits), each case's claim and
//! its steps, and its exposure now. Its admins and finance people only; the manufacturer and
//! other tenants get 404.

use super::extract::{ApiCaller, Command, List, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::finance::claims::{ClaimView, NewClaim, NewClaimStep};
use cellpath_app::finance::exposure::ExposureView;
use cellpath_app::finance::payers::{PayerProfileView, PayerProfiles};
use cellpath_domain::finance::ProfileInput;

type ClaimList = List<ClaimView>;
type PayerProfileList = List<PayerProfileView>;

#[utoipa::path(
    get,
    path = "/api/v1/payer-profiles",
    operation_id = "listPayerProfiles",
    summary = "The caller's health system's payer profiles by name, with DOMAIN.md's defaults to start from (its admins and finance people)",
    responses((status = 200, body = PayerProfiles))
)]
pub async fn profiles(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.payer_profiles(&c).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/payer-profiles",
    operation_id = "createPayerProfile",
    summary = "Add a payer profile: a fixed amount and/or a share of the price, lag median and 90th percentile, denial and appeal-success rates (0 to 1), appeal median and 90th percentile; every problem named by its field (its admins and finance people)",
    request_body = ProfileInput,
    responses((status = 201, body = PayerProfileView))
)]
pub async fn create_profile(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let input: ProfileInput = cmd.json()?;
    let out = s
        .app
        .create_payer_profile(&cmd.caller, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[utoipa::path(
    post,
    path = "/api/v1/payer-profiles/defaults",
    operation_id = "startPayerProfilesFromDefaults",
    summary = "Save DOMAIN.md's default payer profiles (Medicare's MS-DRG 018, commercial plans paying the price) that the health system does not have yet by name; 409 when it has them all",
    responses((status = 201, body = PayerProfileList))
)]
pub async fn start_from_defaults(
    State(s): State<AppState>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let out = s
        .app
        .start_payer_profiles_from_defaults(&cmd.caller, cmd.idem.clone())
        .await?
        .map(List);
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

#[utoipa::path(
    put,
    path = "/api/v1/payer-profiles/{id}",
    operation_id = "updatePayerProfile",
    summary = "Edit a payer profile at the version read (If-Match): the whole profile as it now stands, a new version; every problem named by its field",
    request_body = ProfileInput,
    responses((status = 200, body = PayerProfileView))
)]
pub async fn update_profile(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: ProfileInput = cmd.json()?;
    let version = cmd.if_match()?;
    let out = s
        .app
        .update_payer_profile(&cmd.caller, &id, version, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/claims",
    operation_id = "listCaseClaims",
    summary = "A case's claim to its payer (none or one), with where it stands (its health system's admins and finance people)",
    responses((status = 200, body = ClaimList))
)]
pub async fn case_claims(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list: ClaimList = List(s.app.claims_of_case(&c, &id).await?);
    Ok(axum::Json(list).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/claims",
    operation_id = "submitClaim",
    summary = "Submit a case's claim to one of the health system's payer profiles, on a day not after today, for the amount claimed (left out: what the profile expects); one claim per case",
    request_body = NewClaim,
    responses((status = 201, body = ClaimView))
)]
pub async fn submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewClaim = cmd.json()?;
    let out = s
        .app
        .submit_claim(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

#[utoipa::path(
    get,
    path = "/api/v1/claims/{id}",
    operation_id = "getClaim",
    summary = "A claim with each of its steps (its health system's admins and finance people)",
    responses((status = 200, body = ClaimView))
)]
pub async fn claim(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.claim(&c, &id).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/claims/{id}/steps",
    operation_id = "recordClaimStep",
    summary = "Record a claim's next step — paid (amount), denied (reason), appealed, or unpaid (the denial stood) — on a day not before its last step nor after today; 409 with the reason when the step does not follow (If-Match optional)",
    request_body = NewClaimStep,
    responses((status = 200, body = ClaimView))
)]
pub async fn step(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewClaimStep = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .record_claim_step(&cmd.caller, &id, if_match, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[utoipa::path(
    get,
    path = "/api/v1/exposure",
    operation_id = "getExposure",
    summary = "The caller's health system's exposure now across all programs and manufacturers: paid out minus received by day, days in accounts receivable, the cases waiting longest (its admins and finance people)",
    responses((status = 200, body = ExposureView))
)]
pub async fn exposure(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.exposure(&c).await?).into_response())
}
