//! Vein-to-vein figures (issue 12, point 6): the network's, a program's, a site's, or a
//! program's at a site, as the caller's organization sees them — its programs across partner
//! sites for a manufacturer, its sites across manufacturers for a health system — over the
//! cases whose patients the caller may see.

use super::extract::{ApiCaller, Params};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cellpath_app::figures::{FiguresAsked, VeinToVein};
use serde::Deserialize;

/// `?program=&site=` (described in `openapi.rs`'s `query_params`, as every operation's are).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// A program's id: its figures only (404 when not the caller's to see).
    program: Option<String>,
    /// A site's id: its figures only (404 when not the caller's to see).
    site: Option<String>,
}

/// The vein-to-vein figures: collection → infusion days (median, P90, a weekly histogram, the
/// median per month), each stage's duration, cases by stage, request → slot and the waitlist,
/// a line per site; each says how many cases it rests on.
#[utoipa::path(
    get,
    path = "/api/v1/figures/vein-to-vein",
    operation_id = "getVeinToVein",
    summary = "Vein-to-vein figures of the cases whose patients you may see: the network's, or one program's (?program=), one site's (?site=) or both; over the cases open now and those infused, stopped or cancelled since the first day of the month eleven months ago",
    responses((status = 200, body = VeinToVein))
)]
pub async fn vein_to_vein(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Params(q): Params<FiguresQuery>,
) -> Result<Response, ApiError> {
    let asked = FiguresAsked {
        program: q.program,
        site: q.site,
    };
    Ok(axum::Json(s.app.vein_to_vein(&c, &asked).await?).into_response())
}
