//! Personal API tokens: create one (shown once, never again: only its hash is stored), see
//! when each was last used, revoke. A token acts as its owner in the API; it never signs alone:
//! the password is re-entered at each signature, and the signature names the token.

use super::{NoticeQuery, notice_redirect};
use crate::paths;

/// How a token and signing go together, said on the tokens pages as in the API description.
const TOKEN_SIGNING: &str = "A token never signs alone: the password is re-entered at each signature, and each signature records the token it came through (for example a bedside device acting for you while you type your password).";
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field};
use crate::labels::{Tone, badge};
use crate::layout::notice;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::views::ApiToken;
use maud::{Markup, html};

pub async fn list(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    let empty = FormData::default();
    render(
        &ctx,
        &empty,
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    match ctx
        .app
        .create_api_token(ctx.caller(), form.get("name"), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(created) => {
            let content = html! {
                header.page-head {
                    p.breadcrumb { a href="/tokens" { "API tokens" } }
                    h1 { "Your new token: " (created.info.name) }
                }
                div.callout.warning #token-once role="alert" {
                    p { strong { "Copy this token now." } " cellpath stores only its hash and cannot show it again. If you lose it, revoke it and create another." }
                    p { code.secret #new-token { (created.token) } }
                    p.hint { "Send it as " code { "Authorization: Bearer <token>" } ". It can read and change what you can. " (TOKEN_SIGNING) }
                }
                p { a.button.secondary href="/tokens" { "I have copied it" } }
            };
            Ok(ctx.render_status(StatusCode::CREATED, "New API token", content))
        }
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render(&ctx, &form, &errors, None, errors.status()).await
        }
    }
}

pub async fn revoke(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let ctx = posted.ctx;
    let token = ctx.app.revoke_api_token(ctx.caller(), &id).await?;
    Ok(if token.user_id == ctx.session.user.id {
        notice_redirect("/tokens", "revoked")
    } else {
        notice_redirect(&paths::user(&token.user_id), "revoked")
    })
}

/// The table of a user's tokens, with a revoke button on each live one.
pub fn token_table(ctx: &Ctx, tokens: &[ApiToken]) -> Markup {
    html! {
        table.list.tokens {
            thead { tr { th { "Name" } th { "Created" } th { "Last used" } th { "Status" } th { span.visually-hidden { "Action" } } } }
            tbody {
                @for t in tokens {
                    tr data-token=(t.id) {
                        td { (t.name) }
                        td { (time_el(t.created_at)) }
                        td { @match t.last_used_at { Some(at) => (time_el(at)), None => span.muted { "Never" } } }
                        td {
                            @match t.revoked_at {
                                Some(at) => { (badge("Revoked", Tone::Quiet)) " " (time_el(at)) }
                                None => (badge("Active", Tone::Good)),
                            }
                        }
                        td {
                            @if t.revoked_at.is_none() {
                                form.inline method="post" action={ (paths::token(&t.id)) "/revoke" } {
                                    (csrf_field(ctx.csrf()))
                                    button.danger.small type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tokens = ctx
        .app
        .api_tokens(ctx.caller(), &ctx.session.user.id)
        .await?;
    let view = FormView::new(values, errors, "token");
    let content = html! {
        header.page-head {
            h1 { "API tokens" }
            p.subtitle { "Personal tokens for scripts and integrations that call the cellpath API as you." }
        }
        p.hint #token-signing { (TOKEN_SIGNING) }
        (notice(notice_code))
        @if tokens.is_empty() {
            p.empty { "You have no tokens." }
        } @else {
            (token_table(ctx, &tokens))
        }
        section.panel #new-token-panel {
            h2 { "New token" }
            (view.summary(&["name"]))
            form #token-form method="post" action="/tokens#new-token-panel" novalidate {
                (csrf_field(ctx.csrf()))
                (view.input("Name", "name", crate::forms::Input::Text, Some("What the token is for, e.g. \"nightly export\".")))
                button.primary type="submit" { "Create token" }
            }
        }
    };
    Ok(ctx.render_status(status, "API tokens", content))
}
