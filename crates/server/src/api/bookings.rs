//! Manufacturing capacity and bookings over the API: a program's capacity (its manufacturer's
//! own), a case's bookings (the site asks for an apheresis day), and the manufacturer's
//! answer — the offer of the earliest whole chain, a confirmation, a waitlisting — or either
//! side's cancellation.

use super::extract::{ApiCaller, Command, List, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::views::bookings::{BookingOffer, BookingView, ProgramCapacityView};
use cellpath_app::views::schema;
use cellpath_domain::capacity::Capacity;
use serde::Deserialize;
use utoipa::ToSchema;

type BookingList = List<BookingView>;

/// A program's capacity (404 when none is stated yet, or for anyone but its manufacturer).
#[utoipa::path(
    get,
    path = "/api/v1/programs/{id}/capacity",
    operation_id = "getProgramCapacity",
    summary = "A program's manufacturing capacity as its manufacturer stated it: slots per day, closed days, lead times, monthly allocations (its manufacturer's people only; 404 before it is first stated)",
    responses((status = 200, body = ProgramCapacityView))
)]
pub async fn get_capacity(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stated = s.app.program_capacity(&c, &id).await?.ok_or_else(|| {
        cellpath_app::AppError::not_found(format!("the capacity of program {id}"))
    })?;
    Ok(axum::Json(ProgramCapacityView::from(stated)).into_response())
}

/// State a program's capacity (those who may change the program); If-Match optional.
#[utoipa::path(
    put,
    path = "/api/v1/programs/{id}/capacity",
    operation_id = "setProgramCapacity",
    summary = "State a program's manufacturing capacity (those who may change the program): every problem named by its field; confirmed chains keep their slots, what changes is what is offered next (If-Match optional)",
    request_body = Capacity,
    responses((status = 200, body = ProgramCapacityView))
)]
pub async fn set_capacity(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let capacity: Capacity = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .set_program_capacity(&cmd.caller, &id, capacity, if_match, cmd.idem.clone())
        .await?
        .map(ProgramCapacityView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// A case's bookings, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/bookings",
    operation_id = "listCaseBookings",
    summary = "A case's bookings, newest first (at most one not cancelled): the apheresis day asked for, where each stands, and the chain confirmed with its expected infusion day (a forecast)",
    responses((status = 200, body = BookingList))
)]
pub async fn list_case_bookings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rows = s.app.case_bookings(&c, &id).await?;
    Ok(axum::Json(List::<BookingView>::of(rows)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequestInput {
    /// The apheresis day asked for, not in the past.
    #[schema(schema_with = schema::day)]
    asked_on: String,
}

/// The site asks for an apheresis day for a case.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/bookings",
    operation_id = "requestBooking",
    summary = "Ask for an apheresis day for a case (the site's staff): one booking in play per case, a day not in the past, a case going on, a program whose capacity is stated; the manufacturer confirms a whole chain or waitlists it",
    request_body = BookingRequestInput,
    responses((status = 201, body = BookingView))
)]
pub async fn request_booking(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: BookingRequestInput = cmd.json()?;
    let out = s
        .app
        .request_booking(&cmd.caller, &id, &input.asked_on, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}

/// The earliest whole chain the booking could be confirmed with now.
#[utoipa::path(
    get,
    path = "/api/v1/bookings/{id}/offer",
    operation_id = "getBookingOffer",
    summary = "The earliest whole chain (apheresis slot and manufacturing slot within the lead window) a booking could be confirmed with now, from the day asked for, or why none has room (the manufacturer's patient operations)",
    responses((status = 200, body = BookingOffer))
)]
pub async fn offer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let offer = match s.app.booking_offer(&c, &id).await? {
        Ok(chain) => BookingOffer {
            chain: Some(chain),
            no_room: None,
        },
        Err(why) => BookingOffer {
            chain: None,
            no_room: Some(why),
        },
    };
    Ok(axum::Json(offer).into_response())
}

/// Confirm a request with the earliest whole chain.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/confirmation",
    operation_id = "confirmBooking",
    summary = "Confirm a booking asked for or waitlisted with the earliest whole chain from the day asked for — both slots or neither (the manufacturer's patient operations); 409 when no day within 180 days has room (waitlist it) (If-Match optional)",
    responses((status = 200, body = BookingView))
)]
pub async fn confirm(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .confirm_booking(&cmd.caller, &id, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingReason {
    /// Why, in words the other side reads.
    #[schema(schema_with = schema::notes)]
    pub(super) reason: String,
}

/// Put a request on the waitlist, saying why.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/waitlisting",
    operation_id = "waitlistBooking",
    summary = "Put a booking just asked for on the waitlist with the reason (the manufacturer's patient operations) (If-Match optional)",
    request_body = BookingReason,
    responses((status = 200, body = BookingView))
)]
pub async fn waitlist(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: BookingReason = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .waitlist_booking(&cmd.caller, &id, &input.reason, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}

/// Cancel a booking in play, saying why; a confirmed chain's two slots are freed.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{id}/cancellation",
    operation_id = "cancelBooking",
    summary = "Cancel a booking in play with the reason (either side, on its own ledger): a confirmed chain's two slots are freed (If-Match optional)",
    request_body = BookingReason,
    responses((status = 200, body = BookingView))
)]
pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: BookingReason = cmd.json()?;
    let if_match = cmd.optional_if_match()?;
    let out = s
        .app
        .cancel_booking(&cmd.caller, &id, &input.reason, if_match, cmd.idem.clone())
        .await?
        .map(BookingView::from);
    Ok(answer(out, StatusCode::OK, |v| Some(v.version)))
}
