//! The caller's organization's notices: expiry reminders and authorization changes across
//! every partnership it is party to, newest first.

use super::extract::{ApiCaller, PageParams, Paged, own_org, page, paged};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::State;
use axum::response::Response;
use cellpath_app::notices::Notice;

/// An organization's notices, a page at a time.
type NoticePage = Paged<Notice>;

/// Notices of the caller's organization across its partnerships, newest first: expiry reminders and site authorizations (authorized, suspended with what is missing, reinstated)
#[utoipa::path(
    get,
    path = "/api/v1/notices",
    operation_id = "listNotices",
    responses((status = 200, body = NoticePage))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let org = own_org(&c);
    Ok(paged(s.app.notices(&c, &org, page).await?, page))
}
