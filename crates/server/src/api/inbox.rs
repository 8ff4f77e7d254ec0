//! The caller's inbox (issue 12, point 4): every due action of the person across all its
//! organization's active partnerships, most urgent first, paged like the other lists, with
//! the whole count and, for a manufacturer, its active cases by stage.

use super::extract::{ApiCaller, PageParams, page};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cellpath_app::views::inbox::InboxPage;

/// Your inbox: the due actions your role may do across all your organization's partnerships — a health system's case steps at its sites, adverse events to complete, registry forms due or overdue, gate deliverables it records, agreements about to lapse; a manufacturer's apheresis requests to confirm and waitlist decisions, with its active cases by stage — most urgent first (overdue, then by due day, then the longest waiting), each with where it is done
#[utoipa::path(
    get,
    path = "/api/v1/inbox",
    operation_id = "getInbox",
    responses((status = 200, body = InboxPage))
)]
pub async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    Ok(axum::Json(s.app.inbox(&c, page).await?).into_response())
}
