//! Handlers for the directory records: organizations, sites, facilities, users, partnerships.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, Paged, answer, own_org, page, paged, with_etag,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::records::facilities::{FacilityInput, FacilityPatch};
use cellpath_app::records::organizations::OrganizationPatch;
use cellpath_app::records::partnerships::{PartnershipDecline, PartnershipInput, PartnershipPatch};
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_app::records::users::{UserInput, UserPatch};
use cellpath_app::views::directory::{Facility, Me, Organization, Partnership, Site, User};

/// The pages the directory answers (named in the document after their items).
type OrganizationPage = Paged<Organization>;
type SitePage = Paged<Site>;
type FacilityPage = Paged<Facility>;
type UserPage = Paged<User>;
type PartnershipPage = Paged<Partnership>;

/// The caller and their organization
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "getMe",
    responses((status = 200, body = Me))
)]
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

/// Organizations the caller can see (own and partners')
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    operation_id = "listOrganizations",
    responses((status = 200, body = OrganizationPage))
)]
pub async fn list_organizations(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.organizations(&c, page).await?, page))
}

/// One organization
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}",
    operation_id = "getOrganization",
    responses((status = 200, body = Organization))
)]
pub async fn get_organization(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let org = s.app.organization(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &org, org.version))
}

/// Rename an organization (admin)
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}",
    operation_id = "updateOrganization",
    request_body = OrganizationPatch,
    responses((status = 200, body = Organization))
)]
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

/// Sites of a health system
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/sites",
    operation_id = "listSites",
    responses((status = 200, body = SitePage))
)]
pub async fn list_sites(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.sites(&c, &org, page).await?, page))
}

/// Create a site (health-system admin)
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/sites",
    operation_id = "createSite",
    request_body = SiteInput,
    responses((status = 201, body = Site))
)]
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

/// One site
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}",
    operation_id = "getSite",
    responses((status = 200, body = Site))
)]
pub async fn get_site(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.site(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Change a site (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/sites/{id}",
    operation_id = "updateSite",
    request_body = SitePatch,
    responses((status = 200, body = Site))
)]
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

/// Facilities of a health system
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/facilities",
    operation_id = "listFacilities",
    responses((status = 200, body = FacilityPage))
)]
pub async fn list_facilities(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.facilities(&c, &org, page).await?, page))
}

/// Create a facility (health-system admin)
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/facilities",
    operation_id = "createFacility",
    request_body = FacilityInput,
    responses((status = 201, body = Facility))
)]
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

/// One facility
#[utoipa::path(
    get,
    path = "/api/v1/facilities/{id}",
    operation_id = "getFacility",
    responses((status = 200, body = Facility))
)]
pub async fn get_facility(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.facility(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Change a facility (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/facilities/{id}",
    operation_id = "updateFacility",
    request_body = FacilityPatch,
    responses((status = 200, body = Facility))
)]
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

/// Users of an organization
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/users",
    operation_id = "listUsers",
    responses((status = 200, body = UserPage))
)]
pub async fn list_users(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(paged(s.app.users(&c, &org, page).await?, page))
}

/// Create a user (admin)
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/users",
    operation_id = "createUser",
    request_body = UserInput,
    responses((status = 201, body = User))
)]
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

/// One user
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    operation_id = "getUser",
    responses((status = 200, body = User))
)]
pub async fn get_user(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.user(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Change a user (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    operation_id = "updateUser",
    request_body = UserPatch,
    responses((status = 200, body = User))
)]
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

/// Partnerships of the caller's organization
#[utoipa::path(
    get,
    path = "/api/v1/partnerships",
    operation_id = "listPartnerships",
    responses((status = 200, body = PartnershipPage))
)]
pub async fn list_partnerships(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let org = own_org(&c);
    Ok(paged(s.app.partnerships(&c, &org, page).await?, page))
}

/// Propose a partnership (manufacturer)
#[utoipa::path(
    post,
    path = "/api/v1/partnerships",
    operation_id = "createPartnership",
    request_body = PartnershipInput,
    responses((status = 201, body = Partnership))
)]
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

/// One partnership
#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}",
    operation_id = "getPartnership",
    responses((status = 200, body = Partnership))
)]
pub async fn get_partnership(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.partnership(&c, &id).await?;
    Ok(with_etag(StatusCode::OK, &v, v.version))
}

/// Change, accept or end a partnership (If-Match required)
#[utoipa::path(
    patch,
    path = "/api/v1/partnerships/{id}",
    operation_id = "updatePartnership",
    request_body = PartnershipPatch,
    responses((status = 200, body = Partnership))
)]
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

/// Decline a proposed partnership, with a reason if you want to give one (the health system;
/// If-Match required). The partnership ends as a proposal: it opened nothing and takes nothing
/// more; the manufacturer sees who declined it and why.
#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/decline",
    operation_id = "declinePartnership",
    request_body = PartnershipDecline,
    responses((status = 200, body = Partnership))
)]
pub async fn decline_partnership(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: PartnershipDecline = cmd.json()?;
    let version = cmd.if_match()?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .decline_partnership(c, &id, version, input, idem)
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
