//! Payment alignment over the API (issue 14): a partnership's payment terms (read by each
//! side's money roles, proposed by the manufacturer's), its invoices, and a payment (the
//! health system's) or credit (the manufacturer's) recorded against an invoice.

use super::extract::{ApiCaller, Command, List, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::finance::invoices::{InvoiceView, NewSettlement};
use cellpath_app::finance::terms::{NewTerms, PartnershipTerms, TermsView};

type InvoiceList = List<InvoiceView>;

#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/payment-terms",
    operation_id = "listPaymentTerms",
    summary = "A partnership's payment terms per program, dated (each side's admin, contracts and finance people)",
    responses((status = 200, body = PartnershipTerms))
)]
pub async fn terms(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(s.app.payment_terms(&c, &id).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/partnerships/{id}/payment-terms",
    operation_id = "proposePaymentTerms",
    summary = "Propose a program's payment terms from a day on: price, basis (shipment, infusion, reimbursement with a backstop), net days, denial protection, not-infused credit, outcomes refund (the manufacturer's admin, contracts or finance people; active partnership)",
    request_body = NewTerms,
    responses((status = 201, body = TermsView))
)]
pub async fn propose(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewTerms = cmd.json()?;
    let out = s
        .app
        .propose_payment_terms(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |_| None))
}

#[utoipa::path(
    get,
    path = "/api/v1/partnerships/{id}/invoices",
    operation_id = "listInvoices",
    summary = "A partnership's invoices per case, earliest due first, with their payments and credits (each side's admin, contracts and finance people)",
    responses((status = 200, body = InvoiceList))
)]
pub async fn invoices(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list: InvoiceList = List(s.app.invoices(&c, &id).await?);
    Ok(axum::Json(list).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/invoices/{id}/settlements",
    operation_id = "settleInvoice",
    summary = "Record a payment (the health system's finance) or a credit (the manufacturer's) against an invoice: more than 0, at most what is open, on a day not after today",
    request_body = NewSettlement,
    responses((status = 201, body = InvoiceView))
)]
pub async fn settle(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let input: NewSettlement = cmd.json()?;
    let out = s
        .app
        .settle_invoice(&cmd.caller, &id, input, cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::CREATED, |v| Some(v.version)))
}
