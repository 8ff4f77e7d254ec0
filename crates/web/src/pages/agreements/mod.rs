//! Agreements of a partnership (DESIGN.md §4.3) as people work on them: the "Agreements"
//! section of a partnership page with its "Start an agreement" form, and an agreement's own
//! page — kind, scope, coverage, status, owners, dates, redline rounds, documents by SHA-256,
//! amendments — with the forms that move it along its status path, date it, add a document
//! version or an amendment, and join more of the health system's sites to it. Each form
//! carries the version the person read; the app reviews the partnership's authorizations after
//! every change, so a site the change authorizes or suspends is on the record at once.

mod forms;
#[cfg(test)]
mod tests;

/// For the "Agreements" section of the partnership page (`partnerships/agreements.rs`).
pub(crate) use forms::start_form;
pub use forms::{add_amendment, add_document, create, join, move_to, set_dates};

use super::gate::{owner, scope_cell};
use super::{NoticeQuery, OrgNames, facts, list_page};
use crate::errors::WebError;
use crate::labels;
use crate::paths;
use crate::session::Ctx;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::views::{Agreement, Partnership, Site, User};
use cellpath_domain::contracting::AgreementStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use maud::{Markup, html};

/// Confirmations after the agreement forms (fixed texts: nothing from the URL reaches the
/// page).
fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("agreement_started") => {
            "The agreement is tracked from here: move it along as the negotiation goes."
        }
        Some("moved") => "The status is changed; the sites' authorizations are judged again.",
        Some("dates_set") => "The dates are set; the sites' authorizations are judged again.",
        Some("document_added") => "The document version is kept and added by its SHA-256.",
        Some("amendment_added") => "The amendment is added.",
        Some("sites_joined") => {
            "The sites are joined to this agreement; their authorizations are judged again."
        }
        _ => return crate::layout::notice(code),
    };
    html! { div.notice #notice role="status" { (text) } }
}

/// The partnership's sites (an ended one: those that existed when it ended).
pub(crate) async fn sites_of(ctx: &Ctx, p: &Partnership) -> Result<Vec<Site>, WebError> {
    Ok(ctx.app.partnership_sites(ctx.caller(), &p.id).await?)
}

/// An organization's people the caller reads, as owner choices.
pub(crate) async fn people_of(ctx: &Ctx, org_id: &str) -> Result<Vec<User>, WebError> {
    match ctx.app.users(ctx.caller(), org_id, list_page()).await {
        Ok(users) => Ok(users.into_iter().filter(|u| u.active).collect()),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// An agreement with what its page shows about it.
struct Loaded {
    agreement: Agreement,
    partnership: Partnership,
    sites: Vec<Site>,
    names: OrgNames,
}

impl Loaded {
    async fn load(ctx: &Ctx, id: &str) -> Result<Loaded, WebError> {
        let agreement = ctx.app.agreement(ctx.caller(), id).await?;
        let partnership = ctx
            .app
            .partnership(ctx.caller(), &agreement.partnership_id)
            .await?;
        let sites = sites_of(ctx, &partnership).await?;
        let names = OrgNames::load(ctx).await?;
        Ok(Loaded {
            agreement,
            partnership,
            sites,
            names,
        })
    }

    /// Whether the caller may change this agreement with the forms.
    fn may_change(&self, ctx: &Ctx) -> bool {
        self.agreement.status != AgreementStatus::Withdrawn
            && ctx.may_in(Action::Update, ResourceKind::Contract, &self.partnership)
    }
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let loaded = Loaded::load(&ctx, &id).await?;
    render(&ctx, &loaded, None, q.notice.as_deref(), StatusCode::OK).await
}

/// Each version, its file linked to its download when the file is kept here (a version
/// attached by hash only through the API names a file kept elsewhere).
fn documents_table(a: &Agreement, kept: &[bool]) -> Markup {
    let docs = a.documents.as_array().cloned().unwrap_or_default();
    let text = |d: &serde_json::Value, k: &str| d[k].as_str().unwrap_or("").to_string();
    html! {
        @if docs.is_empty() {
            p.empty { "No document versions yet." }
        } @else {
            div.table-scroll {
                table.list.documents {
                    thead { tr { th { "Version" } th { "File" } th { "SHA-256" } th.num { "Bytes" } th { "Added on" } } }
                    tbody {
                        @for (i, d) in docs.iter().enumerate() {
                            tr data-sha256=(text(d, "sha256")) {
                                td.num { (i + 1) }
                                td {
                                    @if kept.get(i).copied().unwrap_or(false) {
                                        a.document href=(paths::document(&text(d, "sha256"))) download=(text(d, "name")) { (text(d, "name")) }
                                    } @else {
                                        (text(d, "name")) " " span.muted { "(kept elsewhere)" }
                                    }
                                }
                                td { code.hash { (text(d, "sha256")) } }
                                td.num { (d["bytes"].as_i64().unwrap_or(0)) }
                                td.dates { (text(d, "added_on")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn amendments_table(a: &Agreement) -> Markup {
    let list = a.amendments.as_array().cloned().unwrap_or_default();
    html! {
        @if list.is_empty() {
            p.empty { "No amendments." }
        } @else {
            div.table-scroll {
                table.list.amendments {
                    thead { tr { th { "Amendment" } th { "Effective on" } } }
                    tbody {
                        @for m in &list {
                            tr {
                                td { (m["title"].as_str().unwrap_or("")) }
                                td.dates { (m["effective_on"].as_str().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The agreement page; `returned` is one of its forms that came back with errors.
async fn render(
    ctx: &Ctx,
    l: &Loaded,
    returned: Option<forms::Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (a, p) = (&l.agreement, &l.partnership);
    let kind = labels::agreement_kind(a.kind);
    let owners = (
        owner(
            ctx,
            a.owner_manufacturer.as_deref(),
            l.names.name(&p.manufacturer_id),
        )
        .await,
        owner(
            ctx,
            a.owner_health_system.as_deref(),
            l.names.name(&p.health_system_id),
        )
        .await,
    );
    let may_change = l.may_change(ctx);
    let hashes: Vec<String> = a
        .documents
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["sha256"].as_str().unwrap_or("").to_string())
        .collect();
    let kept = ctx
        .app
        .documents_kept(&hashes.iter().map(String::as_str).collect::<Vec<_>>())
        .await?;
    let date_or = |d: Option<&cellpath_domain::Date>, none: &'static str| match d {
        Some(d) => html! { time datetime=(d.as_str()) { (d.as_str()) } },
        None => html! { span.muted { (none) } },
    };
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::partnership(&p.id)) "#agreements" } { (p.name) } }
            h1 { (kind) " " (labels::agreement_status_badge(a.status)) }
            p.subtitle { (l.names.name(&p.manufacturer_id)) " × " (l.names.name(&p.health_system_id)) }
        }
        (notice(notice_code))
        (facts(&[
            ("Kind", html! { (kind) }),
            ("Scope", scope_cell(a, &l.sites)),
            ("Status", labels::agreement_status_badge(a.status)),
            ("Owner, manufacturer", owners.0),
            ("Owner, health system", owners.1),
            ("Effective on", date_or(a.effective_on.as_ref(), "Not set")),
            ("Expires on", date_or(a.expires_on.as_ref(), "Does not expire")),
            ("Redline rounds", html! { span data-redlines=(a.redline_rounds) { (a.redline_rounds) } }),
            ("Version", html! { (a.version) }),
        ]))
        section.panel #documents {
            h2 { "Documents" }
            p.hint { "Each version of the agreement's document, kept by the SHA-256 of its file and shown to both parties." }
            (documents_table(a, &kept))
            @if may_change { (forms::document_form(ctx, a, &returned)) }
        }
        section.panel #amendments {
            h2 { "Amendments" }
            (amendments_table(a))
            @if may_change { (forms::amendment_form(ctx, a, &returned)) }
        }
        // Moving the agreement (withdrawing it among the moves) acts on all of the above.
        @if may_change {
            (forms::change_forms(ctx, l, &returned))
        }
    };
    Ok(ctx.render_status(status, &format!("{kind} · {}", p.name), content))
}
