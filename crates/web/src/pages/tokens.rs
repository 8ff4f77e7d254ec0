//! Personal API tokens: create one (shown once, never again: only its hash is stored), with
//! an optional last day and read-only or read-and-write access; see when each was last used,
//! revoke. A token acts as its owner in the API; it never signs alone:
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
use crate::time::{calendar_day, time_el};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::auth::TokenTerms;
use cellpath_app::views::ApiToken;
use cellpath_domain::Date;

/// The access a token is made with, as the form names it and as the table reads it.
const ACCESS: [(&str, &str); 2] = [("write", "Read and write"), ("read", "Read-only")];
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
    let terms = TokenTerms {
        expires_on: form.get("expires_on"),
        read_only: form.get("access") == "read",
    };
    match ctx
        .app
        .create_api_token_with(ctx.caller(), form.get("name"), terms, None)
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
                    p.hint #token-terms {
                        "Send it as " code { "Authorization: Bearer <token>" } ". "
                        @if created.info.read_only {
                            "It can read what you can, and change nothing. "
                        } @else {
                            "It can read and change what you can. "
                        }
                        @match &created.info.expires_on {
                            Some(last) => { "It works until the end of " (calendar_day(last)) " (UTC). " }
                            None => "It does not expire. ",
                        }
                        (TOKEN_SIGNING)
                    }
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
    let today = Date::of_micros(ctx.app.now());
    html! {
        table.list.tokens {
            thead { tr { th { "Name" } th { "Access" } th { "Expires" } th { "Created" } th { "Last used" } th { "Status" } th { span.visually-hidden { "Action" } } } }
            tbody {
                @for t in tokens {
                    tr data-token=(t.id) {
                        td { (t.name) }
                        td.access { (ACCESS[usize::from(t.read_only)].1) }
                        td.expires {
                            @match &t.expires_on {
                                Some(last) => { "after " (calendar_day(last)) }
                                None => span.muted { "Does not expire" },
                            }
                        }
                        td { (time_el(t.created_at)) }
                        td { @match t.last_used_at { Some(at) => (time_el(at)), None => span.muted { "Never" } } }
                        td {
                            @match t.revoked_at {
                                Some(at) => { (badge("Revoked", Tone::Quiet)) " " (time_el(at)) }
                                None if t.expires_on.as_ref().is_some_and(|last| *last < today) => (badge("Expired", Tone::Quiet)),
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
            (view.summary(&["name", "expires_on", "access"]))
            form #token-form method="post" action="/tokens#new-token-panel" novalidate {
                (csrf_field(ctx.csrf()))
                (view.input("Name", "name", crate::forms::Input::Text, Some("What the token is for, e.g. \"nightly export\".")))
                (view.input("Last day", "expires_on", crate::forms::Input::Date, Some("The token works until the end of this day (UTC), then the API refuses it. Leave empty for a token that does not expire.")))
                (view.select("Access", "access", &ACCESS.map(|(value, label)| (value.to_string(), label.to_string()))))
                button.primary type="submit" { "Create token" }
            }
        }
    };
    Ok(ctx.render_status(status, "API tokens", content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use crate::time::calendar_day;
    use axum::http::StatusCode;
    use cellpath_domain::Date;

    #[tokio::test]
    async fn a_token_is_made_with_a_last_day_and_read_only_access_and_the_list_shows_both() {
        let demo = seeded().await;
        let mut me = Browser::signed_in(&demo, "quality@lakeshore.example").await;
        let today = Date::of_micros(demo.app.now());
        let last = today.plus_days(30);

        // A last day in the past is refused beside its field, and nothing is made.
        let refused = me
            .submit(
                "/tokens",
                "token-form",
                "/tokens",
                &[
                    ("name", "old export"),
                    ("expires_on", today.plus_days(-1).as_str()),
                    ("access", "write"),
                ],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let beside = refused
            .error_beside("expires_on")
            .expect("an error beside the last day");
        assert!(beside.contains("is in the past"), "{beside}");
        refused.assert_has("You have no tokens.");

        // A read-only token with a last day: the page that shows it once says both.
        let made = me
            .submit(
                "/tokens",
                "token-form",
                "/tokens",
                &[
                    ("name", "pharmacy dashboard"),
                    ("expires_on", last.as_str()),
                    ("access", "read"),
                ],
                None,
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        made.assert_has("It can read what you can, and change nothing.");
        made.assert_has(&format!(
            "It works until the end of {}",
            calendar_day(&last)
        ));

        // One with the defaults: read and write, no expiry.
        let plain = me
            .submit(
                "/tokens",
                "token-form",
                "/tokens",
                &[
                    ("name", "nightly sync"),
                    ("expires_on", ""),
                    ("access", "write"),
                ],
                None,
            )
            .await;
        assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.body);
        plain.assert_has("It can read and change what you can.");
        plain.assert_has("It does not expire.");

        let list = me.get("/tokens").await;
        assert_eq!(list.status, StatusCode::OK);
        let row = |name: &str| {
            let at = list
                .body
                .find(name)
                .unwrap_or_else(|| panic!("{name} listed"));
            let start = list.body[..at].rfind("<tr").expect("its row");
            let end = list.body[at..].find("</tr>").expect("the row ends") + at;
            list.body[start..end].to_string()
        };
        let dashboard = row("pharmacy dashboard");
        assert!(dashboard.contains("Read-only"), "{dashboard}");
        assert!(
            dashboard.contains(&format!("after {}", calendar_day(&last))),
            "{dashboard}"
        );
        let sync = row("nightly sync");
        assert!(sync.contains("Read and write"), "{sync}");
        assert!(sync.contains("Does not expire"), "{sync}");
        // The form offers both accesses, and a date picker for the last day.
        list.assert_has(r#"type="date""#);
        list.assert_has(r#"<option value="read">Read-only</option>"#);
    }
}
