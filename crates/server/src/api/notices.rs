//! The caller's organization's notices: expiry reminders and authorization changes across
//! every partnership it is party to, newest first.

use super::extract::{ApiCaller, PageParams, own_org, page, paged};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::State;
use axum::response::Response;

pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let org = own_org(&c);
    Ok(paged(s.app.notices(&c, &org, page).await?, page))
}
