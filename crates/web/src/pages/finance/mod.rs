//! Money (issue 14; DESIGN.md §4.6), for each side's money roles (admin, contracts, finance —
//! the policy's `Payment`): `/finance` lists the partnerships whose money they read, each
//! with its payment terms (`terms.rs`: every program's dated terms in words, the
//! manufacturer's form to propose new ones) and its invoices (`invoices.rs`: filtered by where
//! they stand, due dates as dates, the overdue marked, the form that records a payment or a
//! credit); a health system's money roles also get the what-if (`what_if.rs`: a forecast of
//! its exposure from its own history, with the terms that would keep it under its cap).

pub mod invoices;
pub mod payers;
pub mod terms;
pub mod what_if;

#[cfg(test)]
mod tests;

use crate::errors::WebError;
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::Ctx;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::views::Page;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::finance::{PaymentBasis, PaymentTerms};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use maud::html;

/// Cents as dollars: "$475,000.00" (the domain's one formatting).
pub use cellpath_domain::finance::dollars as money;

/// "30 days", "1 day".
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// When the invoice is made and when its net days start, in words.
pub fn basis_words(t: &PaymentTerms) -> String {
    match (t.basis, t.backstop_days) {
        (PaymentBasis::Shipment, _) => "At shipment".into(),
        (PaymentBasis::Infusion, _) => "At infusion".into(),
        (PaymentBasis::Reimbursement, Some(b)) => format!(
            "After the payer pays (invoiced at infusion); at the latest {} after the infusion",
            days(b)
        ),
        (PaymentBasis::Reimbursement, None) => "After the payer pays".into(),
    }
}

pub fn net_words(t: &PaymentTerms) -> String {
    format!("{} after the basis event", days(t.net_days))
}

pub fn denial_words(t: &PaymentTerms) -> String {
    if t.denial_protection_percent == 0 {
        "None".into()
    } else {
        format!(
            "{} % of the price credited when the claim is finally unpaid",
            t.denial_protection_percent
        )
    }
}

pub fn not_infused_words(t: &PaymentTerms) -> String {
    if t.not_infused_credit_percent == 0 {
        "None".into()
    } else {
        format!(
            "{} % of the price credited for a product shipped but never infused",
            t.not_infused_credit_percent
        )
    }
}

pub fn refund_words(t: &PaymentTerms) -> String {
    match &t.refund {
        None => "None".into(),
        Some(r) => format!(
            "{} % of the price refunded when the patient does not respond within {}",
            r.percent,
            days(r.window_days)
        ),
    }
}

/// Whether the signed-in person reads money at all (a money role of either side).
pub fn reads_money(ctx: &Ctx) -> bool {
    ctx.may(
        Action::Read,
        ResourceKind::Payment,
        Relation::Party(PartnershipStatus::Active),
    )
}

/// `/finance`: the partnerships whose money the person reads, with their terms and invoices.
pub async fn index(ctx: Ctx) -> Result<Response, WebError> {
    if !reads_money(&ctx) {
        return Err(AppError::Forbidden(
            "money (payment terms and invoices) is read by the admins, contracts and finance people of each side".into(),
        )
        .into());
    }
    let names = crate::pages::OrgNames::load(&ctx).await?;
    let partnerships: Vec<_> = ctx
        .app
        .partnerships(ctx.caller(), &ctx.org.id, Page::all())
        .await?
        .into_iter()
        .filter(|p| ctx.may_in(Action::Read, ResourceKind::Payment, p))
        .collect();
    let content = html! {
        header.page-head {
            h1 { "Finance" }
            p.subtitle { "Payment terms and invoices of " (ctx.org.name) "'s partnerships." }
        }
        @if ctx.is_health_system() {
            div.callout #what-if-callout {
                p {
                    strong { "What if? " }
                    "Forecast your exposure — what you have paid manufacturers and not yet been paid back — from your own history, and see which payment terms keep it under your cap. "
                    a.button.secondary #what-if-link href=(paths::what_if()) { "Open the what-if" }
                }
            }
        }
        @if ctx.is_health_system() && ctx.may(Action::Read, ResourceKind::Claim, Relation::OwnOrg) {
            p #payers-link {
                "Claims are submitted against your "
                a href=(paths::payers()) { "payer profiles" }
                ": what each payer pays, how long it takes and how often it denies."
            }
        }
        @if partnerships.is_empty() {
            p.empty { "No active or ended partnership yet: money opens once a partnership is accepted." }
        } @else {
            table.list #finance-partnerships {
                thead { tr { th { "Partnership" } th { "With" } th { "Status" } th { "Money" } } }
                tbody {
                    @for p in &partnerships {
                        @let other = if ctx.is_health_system() { &p.manufacturer_id } else { &p.health_system_id };
                        tr data-partnership=(p.id) {
                            td { a href=(paths::partnership(&p.id)) { (p.name) } }
                            td { (names.name(other)) }
                            td { (crate::labels::partnership_badge(p)) }
                            td {
                                a href=(paths::payment_terms(&p.id)) { "Payment terms" }
                                " · "
                                a href=(paths::invoices(&p.id, None)) { "Invoices" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render("Finance", content))
}

/// A badge for terms in force today.
pub fn in_force_badge(in_force: bool) -> maud::Markup {
    if in_force {
        badge("In force", Tone::Good)
    } else {
        html! {}
    }
}
