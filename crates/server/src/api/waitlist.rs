//! The scored waitlist over the API: a program's waitlist in order (its manufacturer's own),
//! the manufacturer's patient operations' score and skip, and the site's answer to an offer
//! (accept before its deadline, or decline with a reason).

use super::bookings::BookingReason;
use super::extract::{ApiCaller, Command, List, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::views::bookings::{BookingView, PriorityView, WaitlistEntryView};
use cellpath_domain::waitlist::Priority;

type WaitingList = List<WaitlistEntryView>;

/// A program's waitlist, in the order offers follow.
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}/waitlist",
    operation_id = "listProgramWaitlist",
    summary = "A program's waitlist in the order offers follow — scored requests by score (highest first), then unscored ones, each by how long it has waited — with each score's reason and criteria version, skips, and the offers held with their deadlines (its manufacturer's people only)",
    responses((status = 200, body = WaitingList))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rows = s.app.program_waitlist(&c, &id).await?;
    Ok(axum::Json(WaitingList::of(rows)).into_response())
}

/// Score a waiting request.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/score",
    operation_id = "scoreBooking",
    summary = "Score a waiting request (the manufacturer's patient operations): a score from 0 to 100, the reason and the criteria version, each problem named by its field; a new score lifts a skip and offers a free chain if one fits (If-Match optional)",
    request_body = PriorityView,
    responses((status = 200, body = BookingView))
)]
pub async fn score(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: PriorityView = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let priority = Priority {
        score: input.score,
        reason: input.reason,
        criteria_version: input.criteria_version,
    };
    let out = s
        .app
        .score_booking(&cmd.caller, &id, priority, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// Why a request is passed over.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassOver {
    /// Why, in a sentence the committee would sign (10 characters at least).
    #[schema(schema_with = cellpath_app::views::schema::sentence)]
    reason: String,
}

/// Pass a waitlisted request over for offers, saying why.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/skip",
    operation_id = "skipBooking",
    summary = "Pass a waitlisted request over for offers until it is scored again, with the reason (the manufacturer's patient operations) (If-Match optional)",
    request_body = PassOver,
    responses((status = 200, body = BookingView))
)]
pub async fn skip(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: PassOver = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .skip_booking(&cmd.caller, &id, &input.reason, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// Accept the chain offered.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/acceptance",
    operation_id = "acceptBookingOffer",
    summary = "Accept the chain offered from the waitlist before its deadline (the site's staff): the booking is confirmed with the two slots the offer held (If-Match optional)",
    responses((status = 200, body = BookingView))
)]
pub async fn accept(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .accept_offer(&cmd.caller, &id, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// Decline the chain offered, saying why.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/decline",
    operation_id = "declineBookingOffer",
    summary = "Decline the chain offered from the waitlist with the reason (the site's staff): its slots go to the next request waiting; this one waits again, passed over until it is scored again (If-Match optional)",
    request_body = BookingReason,
    responses((status = 200, body = BookingView))
)]
pub async fn decline(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: BookingReason = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .decline_offer(&cmd.caller, &id, &input.reason, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
