//! Safety reports over the API (issue 12, point 5): a manufacturer's reports — each adverse
//! event of its partnerships' cases under the case's pseudonym — for its safety and quality
//! roles (pending first, paged, `?status=pending|acknowledged`), one report, and its safety
//! role's acknowledgement of the version read (If-Match required). 404 for everyone else.

use super::extract::{ApiCaller, Command, NoQuery, Paged, Params, answer, paged, with_etag};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::safety::{ReportsFilter, SafetyReportItem, SafetyReportView};
use cellpath_domain::LedgerInt;
use serde::Deserialize;

type SafetyReportItemPage = Paged<SafetyReportItem>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyReportsQuery {
    /// `pending` or `acknowledged`; absent: all, the pending first.
    status: Option<ReportsFilter>,
    limit: Option<LedgerInt>,
    offset: Option<LedgerInt>,
}

/// Your manufacturer's safety reports.
#[utoipa::path(
    get,
    path = "/api/v1/safety-reports",
    operation_id = "listSafetyReports",
    summary = "Your manufacturer's safety reports — each adverse event of its partnerships' cases, under the case's pseudonym, with its grade in words and why, onset, outcome and where its acknowledgement stands — those waiting for an acknowledgement first, then the latest change (the manufacturer's safety and quality roles; 403 for anyone else): ?status=pending (never acknowledged, or updated since) or acknowledged",
    responses((status = 200, body = SafetyReportItemPage))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Params(q): Params<SafetyReportsQuery>,
) -> Result<Response, ApiError> {
    let page =
        cellpath_app::records::page(q.limit.map(LedgerInt::get), q.offset.map(LedgerInt::get))?;
    let (items, _) = s.app.safety_reports(&c, None, q.status, page).await?;
    Ok(paged(items, page))
}

/// One safety report.
#[utoipa::path(
    get,
    path = "/api/v1/safety-reports/{id}",
    operation_id = "getSafetyReport",
    summary = "One safety report: the adverse event whole — each observation with the findings its grade comes from, treatments, outcome — and its acknowledgement (the manufacturer's safety and quality roles, through an active or ended partnership; 404 for anyone else). The ETag is the report's version",
    responses((status = 200, body = SafetyReportView))
)]
pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = s.app.safety_report(&c, &id).await?;
    let version = report.item.state.version;
    Ok(with_etag(StatusCode::OK, &report, version))
}

/// Acknowledge a safety report at the version read.
#[utoipa::path(
    post,
    path = "/api/v1/safety-reports/{id}/acknowledgement",
    operation_id = "acknowledgeSafetyReport",
    summary = "Acknowledge a safety report at the version you read (If-Match: its ETag), on the partnership's ledger: the manufacturer's safety role, while the partnership is active (quality reads but may not: 403); a report changed since answers 412, one already acknowledged at its version 409",
    responses((status = 200, body = SafetyReportView))
)]
pub async fn acknowledge(
    State(s): State<AppState>,
    Path(id): Path<String>,
    cmd: Command,
) -> Result<Response, ApiError> {
    let if_match = cmd.if_match()?;
    let out = s
        .app
        .acknowledge_safety_report(&cmd.caller, &id, Some(if_match), cmd.idem.clone())
        .await?;
    Ok(answer(out, StatusCode::OK, |v| Some(v.item.state.version)))
}
