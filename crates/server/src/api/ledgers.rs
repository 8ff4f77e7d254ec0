//! The audit trail over the API: head, events, verification, JSON Lines export, e-signatures.

use super::extract::{
    ApiCaller, Command, NoQuery, PageParams, Paged, answer, meaning, page, paged,
};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cellpath_app::audit::VerifyReport;
use cellpath_app::views::audit::{Event, LedgerHead, Signature};
use cellpath_domain::process_map::SignatureMeaning;
use cellpath_ledger::Signed;
use serde::Deserialize;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A ledger's events, a page at a time.
type EventPage = Paged<Event>;

/// A ledger as JSON Lines: the stored canonical bytes, one event a line.
pub struct JsonLines(Vec<u8>);

impl IntoResponse for JsonLines {
    fn into_response(self) -> Response {
        let mut res = (StatusCode::OK, self.0).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/jsonl"),
        );
        res
    }
}

impl PartialSchema for JsonLines {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("one canonical event per line (docs/ledger-format.md)"))
            .into()
    }
}

impl ToSchema for JsonLines {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JsonLines")
    }
}

/// A ledger's head: sequence and hash
#[utoipa::path(
    get,
    path = "/api/v1/ledgers/{id}",
    operation_id = "getLedgerHead",
    responses((status = 200, body = LedgerHead))
)]
pub async fn head(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let head = LedgerHead::from(s.app.ledger_head(&c, &id).await?);
    Ok(axum::Json(head).into_response())
}

/// A ledger's events, newest first
#[utoipa::path(
    get,
    path = "/api/v1/ledgers/{id}/events",
    operation_id = "listLedgerEvents",
    responses((status = 200, body = EventPage))
)]
pub async fn events(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    q: PageParams,
) -> Result<Response, ApiError> {
    let page = page(q)?;
    let events = s.app.ledger_events(&c, &id, page).await?;
    let events: Vec<Event> = events.into_iter().map(Event::from).collect();
    Ok(paged(events, page))
}

/// Verify a ledger's hash chain
#[utoipa::path(
    get,
    path = "/api/v1/ledgers/{id}/verify",
    operation_id = "verifyLedger",
    responses((status = 200, body = VerifyReport))
)]
pub async fn verify(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.verify_ledger(&c, &id).await?).into_response())
}

/// A ledger as JSON Lines (the stored canonical bytes)
#[utoipa::path(
    get,
    path = "/api/v1/ledgers/{id}/export",
    operation_id = "exportLedger",
    responses((status = 200, content_type = "application/jsonl", body = JsonLines))
)]
pub async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut buf = Vec::new();
    s.app.export_ledger(&c, &id, &mut buf).await?;
    Ok(JsonLines(buf).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// What is signed: an event on this ledger, or a record's content hash.
    #[schema(schema_with = cellpath_app::views::schema::signed_event)]
    signs: Signed,
    #[schema(schema_with = cellpath_app::views::schema::vocabulary::<SignatureMeaning>)]
    meaning: String,
    /// The signer's password, re-entered now (a token alone never signs).
    password: String,
}

/// Record an e-signature (password re-entered)
#[utoipa::path(
    post,
    path = "/api/v1/ledgers/{id}/signatures",
    operation_id = "signOnLedger",
    request_body = SignRequest,
    responses((status = 201, body = Signature))
)]
pub async fn sign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let req: SignRequest = cmd.json()?;
    let meaning = meaning(&req.meaning)?;
    let idem = cmd.idem.clone();
    let out = s
        .app
        .sign(c, &id, req.signs, meaning, &req.password, idem)
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}
