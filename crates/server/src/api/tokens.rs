//! Personal API tokens of the caller: list, create (shown once), revoke.

use super::extract::{ApiCaller, Command, NoQuery, answer};
use crate::AppState;
use crate::problem::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cellpath_app::auth::TokenTerms;
use cellpath_app::views::tokens::{ApiToken, ApiTokenList, CreatedToken};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[schema(schema_with = cellpath_app::views::schema::name)]
    name: String,
    /// The last day (UTC) the token is accepted: today or later; left out, null or '' when it
    /// does not expire.
    #[serde(default)]
    #[schema(schema_with = expiry)]
    expires_on: Option<String>,
    /// true: the token may only read (GET); any write through it answers 403. Default false.
    #[serde(default)]
    read_only: bool,
}

/// A token's last day as a request sets it: a day, '' or null for none.
fn expiry() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .description(Some(
            "the last day (UTC) the token is accepted, YYYY-MM-DD, today or later; null or '' when it does not expire",
        ))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!("^$|{}", cellpath_app::views::schema::DAY))),
        )
        .into()
}

/// The caller's API tokens
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "listTokens",
    responses((status = 200, body = ApiTokenList))
)]
pub async fn list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let user_id = c
        .principal
        .as_ref()
        .map(|p| p.user_id.clone())
        .unwrap_or_default();
    let tokens = ApiTokenList(s.app.api_tokens(&c, &user_id).await?);
    Ok(axum::Json(tokens).into_response())
}

/// Create an API token (shown once)
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    operation_id = "createToken",
    request_body = TokenInput,
    responses((status = 201, body = CreatedToken))
)]
pub async fn create(State(s): State<AppState>, cmd: Command) -> Result<Response, ApiError> {
    let c = &cmd.caller;
    let input: TokenInput = cmd.json()?;
    let idem = cmd.idem.clone();
    let terms = TokenTerms {
        expires_on: input.expires_on.as_deref().unwrap_or_default(),
        read_only: input.read_only,
    };
    let out = s
        .app
        .create_api_token_with(c, &input.name, terms, idem)
        .await?;
    Ok(answer(
        out.map(CreatedToken::from),
        StatusCode::CREATED,
        |_| None,
    ))
}

/// Revoke an API token
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    operation_id = "revokeToken",
    responses((status = 200, body = ApiToken))
)]
pub async fn revoke(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    _: NoQuery,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let token = s.app.revoke_api_token(&c, &id).await?;
    Ok(axum::Json(token).into_response())
}
