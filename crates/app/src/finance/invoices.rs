//! Invoices per case (issue 14, point 1): a case step that is a basis event (a product unit's
//! first handoff: its shipment; the first administration that infused: its infusion) enqueues
//! `Job::MakeInvoice` in its own transaction; the job makes the case's one invoice under the
//! terms in force on the basis day, due as the domain's `finance::due_on` says. Run twice, it
//! finds the invoice and writes nothing (and the store's unique index on the case holds even
//! against a race). The health system records payments, the manufacturer credits.

use crate::jobs::Job;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::events::finance::{InvoiceCreated, InvoiceFields, InvoiceSettled};
use cellpath_domain::finance::{BasisEvent, PaymentTerms, Settlement, basis_event, due_on};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, OrgKind};
use cellpath_store::{InvoiceRow, NewJob, SettlementRow};
use serde::{Deserialize, Serialize};

/// An invoice as its readers see it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct InvoiceView {
    pub id: String,
    pub partnership_id: String,
    pub case_id: String,
    /// The case's pseudonym.
    pub pseudonym: String,
    pub program_id: String,
    pub basis_event: BasisEvent,
    pub basis_on: Date,
    pub price_cents: i64,
    pub due_on: Date,
    pub paid_cents: i64,
    pub credited_cents: i64,
    /// What is still owed.
    pub open_cents: i64,
    pub version: i64,
    /// Payments and credits, by day.
    pub settlements: Vec<SettlementView>,
}

#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct SettlementView {
    pub kind: Settlement,
    pub amount_cents: i64,
    pub on: Date,
    pub by_name: String,
}

/// Where an invoice stands on a day: open (not yet due), overdue (open past its due date), or
/// settled (nothing open: paid, credited, or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStanding {
    Open,
    Overdue,
    Settled,
}

impl InvoiceStanding {
    /// The word a filter names it by.
    pub fn word(self) -> &'static str {
        match self {
            InvoiceStanding::Open => "open",
            InvoiceStanding::Overdue => "overdue",
            InvoiceStanding::Settled => "settled",
        }
    }
    pub fn parse(word: &str) -> Option<InvoiceStanding> {
        [
            InvoiceStanding::Open,
            InvoiceStanding::Overdue,
            InvoiceStanding::Settled,
        ]
        .into_iter()
        .find(|s| s.word() == word.trim())
    }
}

impl InvoiceView {
    pub fn standing(&self, today: &Date) -> InvoiceStanding {
        if self.open_cents <= 0 {
            InvoiceStanding::Settled
        } else if &self.due_on < today {
            InvoiceStanding::Overdue
        } else {
            InvoiceStanding::Open
        }
    }
}

/// A payment or credit as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSettlement {
    /// `payment` (the health system's) or `credit` (the manufacturer's).
    pub kind: String,
    pub amount_cents: i64,
    /// `YYYY-MM-DD`, not after today.
    pub on: String,
}

impl App {
    /// The job a case's events enqueue: only when one of them is a basis event that the
    /// program's terms in force on its day invoice at (no terms, terms invoicing at another
    /// event, a case infused under expanded access, a case already invoiced: no job).
    pub(crate) async fn invoice_jobs(
        &self,
        case: &cellpath_store::CaseRow,
        events: &[CaseEvent],
    ) -> Result<Vec<NewJob>, AppError> {
        let basis: Vec<(BasisEvent, Date)> = events
            .iter()
            .filter_map(basis_event)
            .map(|(kind, at)| (kind, Date::of_micros(at)))
            .collect();
        if basis.is_empty() || self.store.invoice_of_case(&case.id).await?.is_some() {
            return Ok(Vec::new());
        }
        let terms: Vec<PaymentTerms> = self
            .store
            .payment_terms_of(&case.partnership_id)
            .await?
            .into_iter()
            .filter(|r| r.program_id == case.program_id)
            .map(|r| r.terms)
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let expanded_access = self.case_is_expanded_access(&case.id).await?;
        let applies = basis.iter().any(|(kind, day)| {
            PaymentTerms::in_force(&terms, day)
                .is_some_and(|t| t.invoiced_at(expanded_access) == Some(*kind))
        });
        Ok(if applies {
            vec![
                Job::MakeInvoice {
                    case_id: case.id.clone(),
                }
                .due(self.now()),
            ]
        } else {
            Vec::new()
        })
    }
}

fn view(row: InvoiceRow, pseudonym: String, settlements: &[SettlementRow]) -> InvoiceView {
    InvoiceView {
        open_cents: row.open_cents(),
        settlements: settlements
            .iter()
            .filter(|s| s.invoice_id == row.id)
            .map(|s| SettlementView {
                kind: s.kind,
                amount_cents: s.amount_cents,
                on: s.settled_on.clone(),
                by_name: s.by_name.clone(),
            })
            .collect(),
        id: row.id,
        partnership_id: row.partnership_id,
        case_id: row.case_id,
        pseudonym,
        program_id: row.program_id,
        basis_event: row.basis_event,
        basis_on: row.basis_on,
        price_cents: row.price_cents,
        due_on: row.due_on,
        paid_cents: row.paid_cents,
        credited_cents: row.credited_cents,
        version: row.version,
    }
}

impl App {
    /// The job's effect: the case's invoice, once, when its terms' basis event is on the
    /// record; nothing when the case has one already or no terms are in force for it.
    pub(crate) async fn make_invoice(&self, case_id: &str) -> Result<(), AppError> {
        if self.store.invoice_of_case(case_id).await?.is_some() {
            return Ok(());
        }
        let Some(case) = self.store.case(case_id).await? else {
            return Err(AppError::not_found(format!("case {case_id}")));
        };
        let mut firsts: Vec<(BasisEvent, Date)> = Vec::new();
        for row in self.store.case_events(case_id).await? {
            let Some(Ok(event)) = CaseEvent::read(&row.kind, &row.payload) else {
                continue;
            };
            if let Some((kind, at)) = basis_event(&event)
                && !firsts.iter().any(|(k, _)| *k == kind)
            {
                firsts.push((kind, Date::of_micros(at)));
            }
        }
        let rows: Vec<_> = self
            .store
            .payment_terms_of(&case.partnership_id)
            .await?
            .into_iter()
            .filter(|r| r.program_id == case.program_id)
            .collect();
        let all: Vec<PaymentTerms> = rows.iter().map(|r| r.terms.clone()).collect();
        let expanded_access = self.case_is_expanded_access(case_id).await?;
        // The terms in force on a basis day that invoice at that event (none under expanded
        // access: the product was free).
        let chosen = firsts.iter().find_map(|(kind, day)| {
            let terms = PaymentTerms::in_force(&all, day)?;
            (terms.invoiced_at(expanded_access) == Some(*kind)).then_some((kind, day, terms))
        });
        let Some((kind, day, terms)) = chosen else {
            return Ok(());
        };
        let terms_id = rows
            .iter()
            .find(|r| &r.terms == terms)
            .map(|r| r.id.clone())
            .expect("the terms came from these rows");
        let event = InvoiceCreated {
            id: crate::ids::new_id("inv"),
            new: InvoiceFields {
                partnership_id: case.partnership_id.clone(),
                case_id: case.id.clone(),
                site_id: case.site_id.clone(),
                program_id: case.program_id.clone(),
                terms_id,
                basis_event: *kind,
                basis_on: day.clone(),
                price_cents: terms.price_cents,
                due_on: due_on(terms, day, None),
            },
        };
        let system = Caller::system("invoicing");
        match self
            .write(
                &system,
                None,
                crate::write::Write::event(&case.partnership_id, &event, |_| ()),
            )
            .await
        {
            // Another run made it at the same moment.
            Err(AppError::Duplicate { .. }) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The invoices of a partnership, earliest due first (its money roles; 404 through a
    /// proposal or to another tenant).
    pub async fn invoices(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<InvoiceView>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Read,
                ResourceKind::Payment,
                "invoices",
            )
            .await?;
        let rows = self.store.invoices_of(std::slice::from_ref(&p.id)).await?;
        self.invoice_views(rows).await
    }

    pub(crate) async fn invoice_views(
        &self,
        rows: Vec<InvoiceRow>,
    ) -> Result<Vec<InvoiceView>, AppError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let settlements = self.store.settlements_of(&ids).await?;
        let case_ids: Vec<String> = rows.iter().map(|r| r.case_id.clone()).collect();
        let mut pseudonyms = self.store.case_pseudonyms(&case_ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let pseudonym = pseudonyms.remove(&row.case_id).unwrap_or_default();
                view(row, pseudonym, &settlements)
            })
            .collect())
    }

    /// Record a payment (the health system's money roles) or a credit (the manufacturer's)
    /// against an invoice: more than 0, not more than is still open, on a day not after today.
    pub async fn settle_invoice(
        &self,
        caller: &Caller,
        invoice_id: &str,
        input: NewSettlement,
        idem: Option<Idem>,
    ) -> Result<Outcome<InvoiceView>, AppError> {
        let what = format!("invoice {invoice_id}");
        let invoice = self
            .store
            .invoice(invoice_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .party_partnership(
                caller,
                &invoice.partnership_id,
                Action::Read,
                ResourceKind::Payment,
                &what,
            )
            .await
            .map_err(|e| e.not_found_as(&what))?;
        let kind = input.kind.trim().parse::<Settlement>().map_err(|_| {
            AppError::invalid(
                "kind",
                format!("'{}' is not payment or credit", input.kind.trim()),
            )
        })?;
        let side = match kind {
            Settlement::Payment => OrgKind::HealthSystem,
            Settlement::Credit => OrgKind::Manufacturer,
        };
        let words = match kind {
            Settlement::Payment => "payments",
            Settlement::Credit => "credits",
        };
        self.money_writer(caller, &p, side, words)?;
        let mut f = Fields::default();
        let open = invoice.open_cents();
        if input.amount_cents <= 0 || input.amount_cents > open {
            f.fail(
                "amount_cents",
                format!(
                    "must be more than 0 and at most the {open} cents still open, not {}",
                    input.amount_cents
                ),
            );
        }
        let today = Date::of_micros(self.now());
        if let Some(on) = f.check("on", Date::parse(&input.on))
            && on > today
        {
            f.fail(
                "on",
                format!("{on} is after today: record money once it moved"),
            );
        }
        f.finish()?;
        let event = InvoiceSettled {
            id: crate::ids::new_id("stl"),
            invoice_id: invoice.id.clone(),
            kind,
            amount_cents: input.amount_cents,
            on: Date::parse(&input.on).expect("checked"),
            by: super::acted_by(caller),
        };
        let pseudonym = self
            .store
            .case(&invoice.case_id)
            .await?
            .map(|c| c.pseudonym)
            .unwrap_or_default();
        let mut row = invoice.clone();
        match kind {
            Settlement::Payment => row.paid_cents += input.amount_cents,
            Settlement::Credit => row.credited_cents += input.amount_cents,
        }
        row.version += 1;
        let mut settlements = self
            .store
            .settlements_of(std::slice::from_ref(&invoice.id))
            .await?;
        settlements.push(SettlementRow {
            id: event.id.clone(),
            invoice_id: invoice.id.clone(),
            kind,
            amount_cents: input.amount_cents,
            settled_on: event.on.clone(),
            by_name: caller.name.clone(),
        });
        let answer = view(row, pseudonym, &settlements);
        self.write(
            caller,
            idem,
            crate::write::Write::event(&p.id, &event, move |_| answer.clone()).created(),
        )
        .await
    }
}
