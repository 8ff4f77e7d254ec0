//! Handlers for the directory records: organizations, sites, facilities, users, partnerships.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, answer, own_org, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::records::facilities::{FacilityInput, FacilityPatch};
use cellpath_app::records::organizations::OrganizationPatch;
use cellpath_app::records::partnerships::{PartnershipInput, PartnershipPatch};
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_app::records::users::{UserInput, UserPatch};
use serde::Serialize;

#[derive(Serialize)]
pub struct Me {
    user: cellpath_app::views::User,
    organization: cellpath_app::views::Organization,
}

pub async fn me(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let p = c
        .principal
        .as_ref()
        .ok_or(cellpath_app::AppError::Unauthenticated)?;
    let user = s.app.user(&c, &p.user_id).await?;
    let organization = s.app.organization(&c, &p.org_id).await?;
    Ok(axum::Json(Me { user, organization }).into_response())
}

pub async fn list_organizations(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.organizations(&c, page).await?, page))
}

pub async fn get_organization(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let org = s.app.organization(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &org, org.version))
}

pub async fn patch_organization(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let patch: OrganizationPatch = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .update_organization(c, &id, version, patch, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |o| Some(o.version)))
}

pub async fn list_sites(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.sites(&c, &org, page).await?, page))
}

pub async fn create_site(
    State(s): State<AppState>,
    Path(org): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: SiteInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_site(c, &org, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_site(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.site(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn patch_site(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let patch: SitePatch = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.update_site(c, &id, version, patch, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn list_facilities(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.facilities(&c, &org, page).await?, page))
}

pub async fn create_facility(
    State(s): State<AppState>,
    Path(org): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: FacilityInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_facility(c, &org, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_facility(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.facility(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn patch_facility(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let patch: FacilityPatch = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.update_facility(c, &id, version, patch, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn list_users(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.users(&c, &org, page).await?, page))
}

pub async fn create_user(
    State(s): State<AppState>,
    Path(org): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: UserInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_user(c, &org, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_user(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.user(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn patch_user(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let patch: UserPatch = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s.app.update_user(c, &id, version, patch, idem).await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

pub async fn list_partnerships(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let org = own_org(&c);
    Ok(paged(s.app.partnerships(&c, &org, page).await?, page))
}

pub async fn create_partnership(
    State(s): State<AppState>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: PartnershipInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let out = s.app.create_partnership(c, input, idem).await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

pub async fn get_partnership(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.partnership(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

pub async fn patch_partnership(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let patch: PartnershipPatch = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .update_partnership(c, &id, version, patch, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
