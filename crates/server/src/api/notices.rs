//! The caller's organization's notices: expiry reminders and authorization changes across
//! every partnership it is party to, newest first.

use super::extract::{ApiCaller, PageQuery, page, paged};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let org = c.org_id().unwrap_or_default().to_string();
    Ok(paged(s.app.notices(&c, &org, page).await?, page))
}
