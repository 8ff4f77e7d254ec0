//! The organization's webhook endpoints, for its admins (issue 13, points 4 and 6): add one
//! (URL and the kinds it wants; its secret shown once), see each one's state and every delivery
//! attempt, rotate its secret (shown once), disable it, enable it again after it was disabled
//! or marked unhealthy. How a receiver checks the signature: `docs/webhooks.md`.

use super::{NoticeQuery, notice_redirect};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field};
use crate::labels::{Tone, badge};
use crate::layout::notice;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::outbox::webhooks::{EndpointWithSecret, NOTIFICATION_KINDS, WebhookEndpointView};
use cellpath_domain::outbox::EndpointStatus;
use maud::{Markup, html};

/// A notification kind in words.
fn kind_words(kind: &str) -> &'static str {
    match kind {
        "expiry_reminder" => "An agreement expires soon",
        "site_authorized" => "A site is authorized",
        "site_suspended" => "A site is suspended",
        "site_reinstated" => "A site is authorized again",
        "release_exception" => "A product fails release (an exception opened or escalated)",
        _ => "Other notices",
    }
}

fn status_badge(status: EndpointStatus) -> Markup {
    match status {
        EndpointStatus::Active => badge("Active", Tone::Good),
        EndpointStatus::Unhealthy => badge("Unhealthy: not tried until enabled again", Tone::Bad),
        EndpointStatus::Disabled => badge("Disabled", Tone::Quiet),
    }
}

fn kinds_words(kinds: &[String]) -> String {
    if kinds.is_empty() {
        "Every notice".into()
    } else {
        kinds
            .iter()
            .map(|k| kind_words(k))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub async fn list(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    render(
        &ctx,
        &FormData::default(),
        &FormErrors::default(),
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let kinds = form.all("kinds");
    match ctx
        .app
        .create_webhook_endpoint(ctx.caller(), form.get("url"), &kinds, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(created) => Ok(secret_once(&ctx, "Your new webhook endpoint", &created)),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            render(&ctx, &form, &errors, None, errors.status()).await
        }
    }
}

pub async fn rotate(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let ctx = posted.ctx;
    let rotated = ctx
        .app
        .rotate_webhook_secret(ctx.caller(), &id, None)
        .await?
        .fresh()?;
    Ok(secret_once(&ctx, "A new secret", &rotated))
}

pub async fn disable(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let ctx = posted.ctx;
    ctx.app.disable_webhook_endpoint(ctx.caller(), &id).await?;
    Ok(notice_redirect(&format!("/webhooks/{id}"), "saved"))
}

pub async fn enable(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let ctx = posted.ctx;
    ctx.app.enable_webhook_endpoint(ctx.caller(), &id).await?;
    Ok(notice_redirect(&format!("/webhooks/{id}"), "saved"))
}

/// The page that shows a secret, once.
fn secret_once(ctx: &Ctx, title: &str, e: &EndpointWithSecret) -> Response {
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/webhooks" { "Webhooks" } }
            h1 { (title) ": " (e.endpoint.url) }
        }
        div.callout.warning #secret-once role="alert" {
            p { strong { "Copy this secret now." } " cellpath shows it only this once. Your receiver checks each delivery's signature with it (HMAC-SHA256 over the timestamp and the body, as docs/webhooks.md says)." }
            p { code.secret #new-secret { (e.secret) } }
        }
        p { a.button.secondary href={ "/webhooks/" (e.endpoint.id) } { "I have copied it" } }
    };
    ctx.render_status(StatusCode::CREATED, title, content)
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let e: WebhookEndpointView = ctx.app.webhook_endpoint(ctx.caller(), &id).await?;
    let attempts = ctx.app.webhook_attempts(ctx.caller(), &id, 200).await?;
    let csrf = ctx.csrf().to_string();
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/webhooks" { "Webhooks" } }
            h1 { (e.url) }
            p.subtitle { (status_badge(e.status)) " · " (kinds_words(&e.kinds)) }
        }
        (notice(q.notice.as_deref()))
        @if e.consecutive_failures > 0 {
            p.hint #failures { "The last " (e.consecutive_failures) " deliveries in a row failed." }
        }
        div.actions {
            form.inline method="post" action={ "/webhooks/" (e.id) "/rotate" } {
                (csrf_field(&csrf))
                button.secondary type="submit" { "Rotate the secret" }
            }
            @if e.status == EndpointStatus::Active {
                form.inline method="post" action={ "/webhooks/" (e.id) "/disable" } {
                    (csrf_field(&csrf))
                    button.danger type="submit" { "Disable" }
                }
            } @else {
                form.inline method="post" action={ "/webhooks/" (e.id) "/enable" } {
                    (csrf_field(&csrf))
                    button.primary type="submit" { "Enable again" }
                }
            }
        }
        section.panel #attempts {
            h2 { "Delivery attempts" }
            @if attempts.is_empty() {
                p.empty { "Nothing was sent to it yet." }
            } @else {
                table.list {
                    thead { tr { th { "When" } th { "Notice" } th { "Attempt" } th { "Result" } th { "Took" } } }
                    tbody {
                        @for a in &attempts {
                            tr data-message=(a.message_id) {
                                td { (time_el(a.at)) }
                                td { (a.subject) br; span.muted { "id " code { (a.message_id) } } }
                                td { (a.attempt) }
                                td {
                                    @if a.ok {
                                        (badge("Delivered", Tone::Good))
                                        @if let Some(code) = a.status_code { " " (code) }
                                    } @else {
                                        (badge("Failed", Tone::Bad)) " "
                                        (a.error.clone().unwrap_or_default())
                                    }
                                }
                                td { (a.duration_ms) " ms" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(StatusCode::OK, "Webhook endpoint", content))
}

async fn render(
    ctx: &Ctx,
    values: &FormData,
    errors: &FormErrors,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let endpoints = ctx.app.webhook_endpoints(ctx.caller(), None).await?;
    let view = FormView::new(values, errors, "webhook");
    let kinds: Vec<(String, String)> = NOTIFICATION_KINDS
        .iter()
        .map(|k| (k.to_string(), kind_words(k).to_string()))
        .collect();
    let content = html! {
        header.page-head {
            h1 { "Webhooks" }
            p.subtitle { "Where " (ctx.org.name) "'s notices are posted, signed, for your own systems. Each delivery is tried again with growing waits until it is answered with 2xx; an endpoint failing 5 times in a row is marked unhealthy until you enable it again." }
        }
        (notice(notice_code))
        @if endpoints.is_empty() {
            p.empty { "No webhook endpoints yet." }
        } @else {
            table.list.webhooks {
                thead { tr { th { "URL" } th { "Notices" } th { "Status" } th { "Added" } } }
                tbody {
                    @for e in &endpoints {
                        tr data-endpoint=(e.id) {
                            td { a href={ "/webhooks/" (e.id) } { (e.url) } }
                            td { (kinds_words(&e.kinds)) }
                            td { (status_badge(e.status)) }
                            td { (time_el(e.created_at)) }
                        }
                    }
                }
            }
        }
        section.panel #new-webhook-panel {
            h2 { "New endpoint" }
            (view.summary(&["url", "kinds"]))
            form #webhook-form method="post" action="/webhooks#new-webhook-panel" novalidate {
                (csrf_field(ctx.csrf()))
                (view.input("URL", "url", crate::forms::Input::Text, Some("Where deliveries are posted, e.g. https://hooks.example.org/cellpath (its certificate must verify).")))
                (view.checkboxes("Notices", "kinds", &kinds, ""))
                p.hint { "None ticked: every notice." }
                button.primary type="submit" { "Add endpoint" }
            }
        }
    };
    Ok(ctx.render_status(status, "Webhooks", content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};

    #[test]
    fn every_kind_an_endpoint_may_ask_for_has_its_words() {
        for kind in super::NOTIFICATION_KINDS {
            assert_ne!(super::kind_words(kind), "Other notices", "{kind}");
        }
    }
    use axum::http::StatusCode;

    #[tokio::test]
    async fn an_admin_adds_an_endpoint_sees_its_secret_once_and_no_one_else_finds_it() {
        let demo = seeded().await;
        let mut admin = Browser::signed_in(&demo, "admin@helixa.example").await;
        let page = admin.get("/webhooks").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_has("No webhook endpoints yet.");
        page.assert_has(r#"id="nav-webhooks""#);

        // A URL that is not one: said beside the field, nothing made.
        let refused = admin
            .submit(
                "/webhooks",
                "webhook-form",
                "/webhooks",
                &[("url", "hooks.example.org")],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let beside = refused
            .error_beside("url")
            .expect("an error beside the URL");
        assert!(beside.contains("is not a URL"), "{beside}");
        refused.assert_has("No webhook endpoints yet.");

        let made = admin
            .submit(
                "/webhooks",
                "webhook-form",
                "/webhooks",
                &[
                    ("url", "http://127.0.0.1:9/cellpath"),
                    ("kinds", "site_suspended"),
                ],
                None,
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        made.assert_has("Copy this secret now.");
        made.assert_has("whsec_");
        let at = made
            .body
            .find("/webhooks/whk_")
            .expect("a link to the endpoint");
        let id: String = made.body[at + "/webhooks/".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();

        let list = admin.get("/webhooks").await;
        list.assert_has("http://127.0.0.1:9/cellpath");
        list.assert_has("A site is suspended");
        assert!(
            !list.body.contains("whsec_"),
            "the secret is shown once only"
        );
        let shown = admin.get(&format!("/webhooks/{id}")).await;
        assert_eq!(shown.status, StatusCode::OK);
        shown.assert_has("Nothing was sent to it yet.");

        // Another organization's admin, and a non-admin of the same one: not found.
        let mut other = Browser::signed_in(&demo, "admin@lakeshore.example").await;
        assert_eq!(
            other.get(&format!("/webhooks/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(!other.get("/webhooks").await.body.contains("127.0.0.1:9"));
        let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
        assert_eq!(quality.get("/webhooks").await.status, StatusCode::NOT_FOUND);
        assert!(
            !quality
                .get("/tokens")
                .await
                .body
                .contains(r#"id="nav-webhooks""#)
        );
    }
}
