//! A partnership's invoices (`/partnerships/{id}/invoices?status=open|overdue|settled`): one per
//! case, by the case's pseudonym, with the program, the event it was made at and when, the
//! price, the due date (the overdue marked), what was paid and credited and what is open; the
//! health system's money roles record a payment against an open invoice, the manufacturer's a
//! credit (`POST /invoices/{id}/settlements`; a refused amount or day beside its field).

use super::money;
use super::terms::cents_of;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{Tone, badge};
use crate::layout::notice;
use crate::pages::notice_redirect;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::finance::invoices::{InvoiceStanding, InvoiceView, NewSettlement};
use cellpath_app::{AppError, FieldError};
use cellpath_domain::finance::{BasisEvent, Settlement};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, OrgKind};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct InvoicesQuery {
    pub status: Option<String>,
    pub notice: Option<String>,
}

fn standing_badge(s: InvoiceStanding, due_on: &Date, today: &Date) -> Markup {
    match s {
        InvoiceStanding::Settled => badge("Settled", Tone::Good),
        InvoiceStanding::Open => badge("Open", Tone::Waiting),
        InvoiceStanding::Overdue => {
            let late = today.days_since_epoch() - due_on.days_since_epoch();
            badge(
                &format!("Overdue by {late} day{}", if late == 1 { "" } else { "s" }),
                Tone::Bad,
            )
        }
    }
}

fn basis_event_words(b: BasisEvent) -> &'static str {
    match b {
        BasisEvent::Shipment => "Shipment",
        BasisEvent::Infusion => "Infusion",
    }
}

pub async fn list(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<InvoicesQuery>,
) -> Result<Response, WebError> {
    render(
        &ctx,
        &id,
        q.status.as_deref(),
        None,
        q.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// The form's settlement as the app takes it, or the messages beside its fields.
fn read(form: &FormData) -> Result<NewSettlement, FormErrors> {
    let mut errors = FormErrors::default();
    let amount = match cents_of(form.get("amount")) {
        Ok(c) => Some(c),
        Err(m) => {
            errors.field("amount", m);
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewSettlement {
        kind: form.get("kind").trim().to_string(),
        amount_cents: amount.expect("checked"),
        on: form.get("on").trim().to_string(),
    })
}

pub async fn settle(
    Path((partnership, invoice_id)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    // Who may read this partnership's money (404 through a proposal or to another tenant,
    // 403 to a party's other roles), then who may record it (403 once it ended), before
    // anything of the form is read.
    let p = ctx.app.partnership(ctx.caller(), &partnership).await?;
    let invoices = ctx.app.invoices(ctx.caller(), &partnership).await?;
    if !ctx.may_in(Action::Create, ResourceKind::Payment, &p) {
        return Err(AppError::Forbidden(
            "payments and credits are recorded by each side's admins, contracts and finance people while the partnership is active".into(),
        )
        .into());
    }
    if !invoices.iter().any(|i| i.id == invoice_id) {
        return Err(AppError::not_found(format!("invoice {invoice_id}")).into());
    }
    let refused = |errors: FormErrors| (invoice_id.clone(), form.clone(), errors);
    let outcome = match read(&form) {
        Err(errors) => Err(refused(errors)),
        Ok(input) => match ctx
            .app
            .settle_invoice(ctx.caller(), &invoice_id, input, None)
            .await
        {
            Ok(_) => Ok(()),
            Err(AppError::Invalid(fields)) => {
                let fields = fields
                    .into_iter()
                    .map(|f| {
                        if f.field == "amount_cents" {
                            FieldError {
                                field: "amount".into(),
                                message:
                                    "must be more than $0.00 and at most the amount still open"
                                        .into(),
                            }
                        } else {
                            f
                        }
                    })
                    .collect();
                Err(refused(FormErrors::from_app(AppError::Invalid(fields))?))
            }
            Err(e) => return Err(e.into()),
        },
    };
    match outcome {
        Ok(()) => Ok(notice_redirect(
            &paths::invoices(&partnership, None),
            "saved",
        )),
        Err(returned) => {
            let status = returned.2.status();
            render(&ctx, &partnership, None, Some(&returned), None, status).await
        }
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    status_filter: Option<&str>,
    returned: Option<&(String, FormData, FormErrors)>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let p = ctx.app.partnership(ctx.caller(), id).await?;
    let all = ctx.app.invoices(ctx.caller(), id).await?;
    let programs = ctx.app.partnership_programs(ctx.caller(), id).await?;
    let program_name = |pid: &str| {
        programs
            .iter()
            .find(|p| p.id == pid)
            .map_or(pid.to_string(), |p| p.name.clone())
    };
    let today = Date::of_micros(ctx.app.now());
    let filter = status_filter
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "all");
    let wanted = match filter {
        None => None,
        Some(word) => Some(InvoiceStanding::parse(word).ok_or_else(|| {
            WebError::BadRequest(format!(
                "'{word}' is not a status of invoices: open, overdue or settled"
            ))
        })?),
    };
    let count = |s: InvoiceStanding| all.iter().filter(|i| i.standing(&today) == s).count();
    let shown: Vec<&InvoiceView> = all
        .iter()
        .filter(|i| wanted.is_none_or(|w| i.standing(&today) == w))
        .collect();
    // The side's own kind of money, for its money roles while the partnership is active.
    let kind = if ctx.is_health_system() {
        Settlement::Payment
    } else {
        Settlement::Credit
    };
    let may_settle = ctx.may_in(Action::Create, ResourceKind::Payment, &p);
    let (form_label, button) = match (kind, ctx.org_kind()) {
        (Settlement::Payment, _) => ("Record a payment", "Record payment"),
        (Settlement::Credit, OrgKind::Manufacturer) => ("Record a credit", "Record credit"),
        _ => ("Record", "Record"),
    };
    let tab = |word: Option<&str>, label: String| {
        let current = filter == word;
        html! {
            a.tab.current[current] aria-current=[current.then_some("page")]
                href=(paths::invoices(id, word)) { (label) }
        }
    };
    let content = html! {
        header.page-head {
            p.breadcrumb {
                a href=(paths::finance()) { "Finance" } " · "
                a href=(paths::partnership(&p.id)) { (p.name) }
            }
            h1 { "Invoices" }
            p.subtitle {
                "One invoice per case, made at the payment terms' basis event. "
                a href=(paths::payment_terms(&p.id)) { "Payment terms" }
            }
        }
        (notice(notice_code))
        nav.tabs #invoice-filter aria-label="Invoices by status" {
            (tab(None, format!("All ({})", all.len())))
            (tab(Some("open"), format!("Open ({})", count(InvoiceStanding::Open))))
            (tab(Some("overdue"), format!("Overdue ({})", count(InvoiceStanding::Overdue))))
            (tab(Some("settled"), format!("Settled ({})", count(InvoiceStanding::Settled))))
        }
        @if shown.is_empty() {
            p.empty { @if all.is_empty() { "No invoices yet: an invoice is made when a case reaches the basis event of the terms in force." } @else { "No invoices stand this way." } }
        } @else {
            table.list #invoices {
                thead { tr {
                    th { "Case" } th { "Program" } th { "Invoiced at" } th { "Price" } th { "Due" }
                    th { "Paid" } th { "Credited" } th { "Open" }
                } }
                tbody {
                    @for i in &shown {
                        @let standing = i.standing(&today);
                        tr data-invoice=(i.id) data-status=(standing.word()) {
                            td { (i.pseudonym) }
                            td { (program_name(&i.program_id)) }
                            td { (basis_event_words(i.basis_event)) ", " (i.basis_on.words()) }
                            td { (money(i.price_cents)) }
                            td { (i.due_on.words()) " " (standing_badge(standing, &i.due_on, &today)) }
                            td { (money(i.paid_cents)) }
                            td { (money(i.credited_cents)) }
                            td { strong { (money(i.open_cents)) } }
                        }
                        @if !i.settlements.is_empty() || (may_settle && i.open_cents > 0) {
                            tr.invoice-detail data-invoice-detail=(i.id) {
                                td colspan="8" {
                                    @if !i.settlements.is_empty() {
                                        ul.plain.settlements {
                                            @for s in &i.settlements {
                                                li {
                                                    @match s.kind { Settlement::Payment => { "Payment" } Settlement::Credit => { "Credit" } }
                                                    " of " (money(s.amount_cents)) " on " (s.on.words()) ", recorded by " (s.by_name)
                                                }
                                            }
                                        }
                                    }
                                    @if may_settle && i.open_cents > 0 {
                                        @let (values, errors) = match returned {
                                            Some((rid, v, e)) if rid == &i.id => (v.clone(), e.clone()),
                                            _ => (FormData::from_pairs([("amount", money(i.open_cents).trim_start_matches('$').to_string())]), FormErrors::default()),
                                        };
                                        @let prefix = format!("settle-{}", i.id);
                                        @let view = FormView::new(&values, &errors, &prefix);
                                        details.settle open[returned.is_some_and(|r| r.0 == i.id)] {
                                            summary { (form_label) }
                                            (view.summary(&["amount", "on"]))
                                            form.settle-form id=(prefix) method="post" action=(paths::invoice_settlements(&p.id, &i.id)) novalidate {
                                                (csrf_field(ctx.csrf()))
                                                (hidden("kind", kind.as_str()))
                                                (view.input("Amount (US dollars)", "amount", Input::Text, Some("At most what is still open.")))
                                                (view.input("On", "on", Input::Date, Some("The day the money moved.")))
                                                button.primary type="submit" { (button) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(status, "Invoices", content))
}
