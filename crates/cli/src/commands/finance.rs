//! `cellpath finance terms|invoices|settle`: a partnership's money as the operator reads it
//! (issue 14) — every program's dated payment terms in words, the invoices by case pseudonym
//! with their due dates and where they stand (`--status open|overdue|settled`), and a payment
//! or credit recorded by the person who moved the money (`--by EMAIL`: the policy and the
//! side's rule apply to them, as on the page). A table for people, `--json` for scripts.

use super::{open_app, print_json, print_table};
use cellpath_app::Caller;
use cellpath_app::finance::invoices::{InvoiceStanding, InvoiceView, NewSettlement};
use cellpath_domain::Date;
use cellpath_domain::finance::{PaymentBasis, PaymentTerms};
use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum Status {
    /// Something open, not yet due.
    Open,
    /// Something open past its due date.
    Overdue,
    /// Nothing open: paid, credited, or both.
    Settled,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Paid by the health system.
    Payment,
    /// Credited by the manufacturer.
    Credit,
}

#[derive(Subcommand)]
pub enum FinanceCommand {
    /// A partnership's payment terms, every program's, newest first, the ones in force marked.
    Terms {
        /// The partnership's id (`cellpath onboarding pipeline` lists them).
        #[arg(long)]
        partnership: String,
    },
    /// A partnership's invoices, earliest due first.
    Invoices {
        #[arg(long)]
        partnership: String,
        /// Only those standing this way.
        #[arg(long, value_enum)]
        status: Option<Status>,
    },
    /// Record a payment (the health system's money roles) or a credit (the manufacturer's)
    /// against an invoice.
    Settle {
        /// The invoice's id (`inv_…`).
        invoice: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// US dollars, e.g. 400000 or 400,000.00; at most what is still open.
        #[arg(long)]
        amount: String,
        /// The day the money moved (YYYY-MM-DD), not after today.
        #[arg(long)]
        on: String,
        /// Who records it, by e-mail: a person of the side that moved the money.
        #[arg(long)]
        by: String,
    },
}

/// Cents as dollars: "$475,000.00" (the domain's one formatting).
pub use cellpath_domain::finance::dollars as money;

/// Dollars as typed in cents, or what is wrong with them.
pub fn cents_of(text: &str) -> anyhow::Result<i64> {
    let t = text.trim().trim_start_matches('$').replace(',', "");
    let bad = || anyhow::anyhow!("--amount: '{text}' is not an amount in dollars, e.g. 400000.00");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|c| c.checked_add(frac))
        .ok_or_else(bad)
}

fn basis(t: &PaymentTerms) -> String {
    match (t.basis, t.backstop_days) {
        (PaymentBasis::Shipment, _) => "at shipment".into(),
        (PaymentBasis::Infusion, _) => "at infusion".into(),
        (PaymentBasis::Reimbursement, Some(b)) => {
            format!("after the payer pays (backstop {b} days after infusion)")
        }
        (PaymentBasis::Reimbursement, None) => "after the payer pays".into(),
    }
}

fn percent_or_none(p: i64) -> String {
    if p == 0 {
        "none".into()
    } else {
        format!("{p} %")
    }
}

fn standing_words(i: &InvoiceView, today: &Date) -> String {
    match i.standing(today) {
        InvoiceStanding::Open => "open".into(),
        InvoiceStanding::Settled => "settled".into(),
        InvoiceStanding::Overdue => format!(
            "overdue {} days",
            today.days_since_epoch() - i.due_on.days_since_epoch()
        ),
    }
}

pub async fn run(url: &str, json: bool, command: FinanceCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(url).await?;
    let operator = Caller::system("cli");
    let today = Date::of_micros(app.now());
    match command {
        FinanceCommand::Terms { partnership } => {
            let seen = app.payment_terms(&operator, &partnership).await?;
            if json {
                print_json(&seen)?;
            } else if seen.terms.is_empty() {
                println!("{} has no payment terms yet", seen.partnership_name);
            } else {
                println!("payment terms of {}", seen.partnership_name);
                print_table(
                    &[
                        "program",
                        "from",
                        "price",
                        "invoice and basis",
                        "net days",
                        "denial protection",
                        "never infused",
                        "outcomes refund",
                        "",
                    ],
                    seen.terms
                        .iter()
                        .rev()
                        .map(|v| {
                            let t = &v.terms;
                            vec![
                                v.program_name.clone(),
                                t.effective_on.to_string(),
                                money(t.price_cents),
                                basis(t),
                                t.net_days.to_string(),
                                percent_or_none(t.denial_protection_percent),
                                percent_or_none(t.not_infused_credit_percent),
                                t.refund.as_ref().map_or("none".into(), |r| {
                                    format!("{} % within {} days", r.percent, r.window_days)
                                }),
                                if v.in_force { "in force" } else { "" }.into(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        FinanceCommand::Invoices {
            partnership,
            status,
        } => {
            let wanted = status.map(|s| match s {
                Status::Open => InvoiceStanding::Open,
                Status::Overdue => InvoiceStanding::Overdue,
                Status::Settled => InvoiceStanding::Settled,
            });
            let invoices: Vec<InvoiceView> = app
                .invoices(&operator, &partnership)
                .await?
                .into_iter()
                .filter(|i| wanted.is_none_or(|w| i.standing(&today) == w))
                .collect();
            if json {
                print_json(&invoices)?;
            } else if invoices.is_empty() {
                println!(
                    "no invoices{}",
                    if wanted.is_some() {
                        " stand this way"
                    } else {
                        " yet"
                    }
                );
            } else {
                print_table(
                    &[
                        "case", "basis", "on", "price", "due", "status", "paid", "credited",
                        "open", "id",
                    ],
                    invoices
                        .iter()
                        .map(|i| {
                            vec![
                                i.pseudonym.clone(),
                                i.basis_event.as_str().to_string(),
                                i.basis_on.to_string(),
                                money(i.price_cents),
                                i.due_on.to_string(),
                                standing_words(i, &today),
                                money(i.paid_cents),
                                money(i.credited_cents),
                                money(i.open_cents),
                                i.id.clone(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        FinanceCommand::Settle {
            invoice,
            kind,
            amount,
            on,
            by,
        } => {
            let amount_cents = cents_of(&amount)?;
            let user = app.user_by_email(&operator, by.trim()).await?;
            let person = app
                .caller_for_user(&user.id, cellpath_app::access::Via::System)
                .await?;
            let kind = match kind {
                Kind::Payment => "payment",
                Kind::Credit => "credit",
            };
            let settled = app
                .settle_invoice(
                    &person,
                    &invoice,
                    NewSettlement {
                        kind: kind.into(),
                        amount_cents,
                        on: on.trim().to_string(),
                    },
                    None,
                )
                .await?
                .fresh()?;
            if json {
                print_json(&settled)?;
            } else {
                println!(
                    "{kind} of {} recorded against the invoice of {} by {}; {} still open",
                    money(amount_cents),
                    settled.pseudonym,
                    user.name,
                    money(settled.open_cents)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
