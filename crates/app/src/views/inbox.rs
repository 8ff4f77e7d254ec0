//! The inbox as the app answers it (issue 12, point 4): a page of due actions, most urgent
//! first, each saying what it is, where and for which case in people's words, when it is due
//! and where it is done; for a manufacturer also its active cases by stage.

use super::schema;
use cellpath_domain::Date;
use cellpath_domain::process_map::Stage;
use serde::Serialize;
use utoipa::ToSchema;

/// What kind of action an item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// A journey step the reader's role may do now on a case.
    JourneyStep,
    /// An adverse event without a final outcome: observe, treat, close it.
    AdverseEvent,
    /// A registry form whose window is open or closed without a submission.
    RegistryForm,
    /// A gate deliverable the reader's side records, missing at a site.
    GateDeliverable,
    /// An executed agreement that lapses soon.
    AgreementExpiry,
    /// A site's apheresis request for the manufacturer to confirm or waitlist.
    BookingToConfirm,
    /// A waitlisted request: confirm it when a chain has room, or keep it waiting.
    WaitlistDecision,
    /// A chain the manufacturer offered a waitlisted request: the site accepts or declines it
    /// before its deadline.
    OfferToAnswer,
    /// A safety report not acknowledged at its current version.
    SafetyReport,
    /// A release exception told to a tier naming the reader's role on its side, that nobody
    /// has acknowledged yet (due by its escalation to the next tier).
    ReleaseException,
    /// An invoice with money still open, due soon or overdue, for the health system's finance.
    InvoiceDue,
    /// A claim denied and not yet appealed or closed, or waiting for the payer with no answer
    /// for 60 days, for the health system's finance (done on the case's page).
    ClaimToFollowUp,
}

impl InboxKind {
    /// The group's heading on the page.
    pub fn heading(self) -> &'static str {
        match self {
            InboxKind::JourneyStep => "Case steps to do",
            InboxKind::AdverseEvent => "Adverse events to complete",
            InboxKind::RegistryForm => "Registry forms due",
            InboxKind::GateDeliverable => "Gate deliverables to record",
            InboxKind::AgreementExpiry => "Agreements about to lapse",
            InboxKind::BookingToConfirm => "Apheresis requests to confirm",
            InboxKind::WaitlistDecision => "Waitlist decisions",
            InboxKind::OfferToAnswer => "Manufacturing slots offered",
            InboxKind::SafetyReport => "Safety reports to acknowledge",
            InboxKind::ReleaseException => "Release exceptions to acknowledge",
            InboxKind::InvoiceDue => "Invoices to pay",
            InboxKind::ClaimToFollowUp => "Claims to follow up",
        }
    }
}

/// Where an item is done: the web names a page for each, the API gives the ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "place", rename_all = "snake_case")]
pub enum InboxTarget {
    /// The case's page (its steps, adverse events, registry forms and bookings).
    Case { case_id: String },
    /// The gate of a site for a program.
    Gate {
        partnership_id: String,
        site_id: String,
        program_id: String,
    },
    /// An agreement's page.
    Agreement { agreement_id: String },
    /// A safety report's page.
    SafetyReport { report_id: String },
    /// A release exception's page.
    ReleaseException { exception_id: String },
    /// An invoice, in its partnership's list of invoices.
    Invoice {
        partnership_id: String,
        invoice_id: String,
    },
}

/// One due action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboxItem {
    pub kind: InboxKind,
    /// What to do, in words ("Thaw the product", "CIBMTR form 4100 (day 100)").
    pub title: String,
    /// What it waits for or how it stands, in words.
    pub detail: String,
    /// The case's pseudonym (never a patient's name: the inbox lists, the case page shows
    /// what the reader's view allows).
    pub case_id: Option<String>,
    pub pseudonym: Option<String>,
    pub partnership_id: String,
    pub partnership_name: String,
    pub site_id: Option<String>,
    pub site_name: Option<String>,
    pub program_id: Option<String>,
    pub program_name: Option<String>,
    /// The day it is due by, if it has one.
    #[schema(schema_with = schema::maybe_date)]
    pub due_on: Option<Date>,
    /// Past its due day.
    pub overdue: bool,
    /// Since when it has waited (microseconds since the Unix epoch), if known.
    pub since: Option<i64>,
    pub target: InboxTarget,
}

impl InboxItem {
    /// Most urgent first: overdue (the longest overdue first), then by due day, then those
    /// without one by how long they have waited; ties by title, so the order is total.
    pub fn urgency(&self) -> (u8, Option<Date>, i64, &str, &str) {
        let class = match (&self.due_on, self.overdue) {
            (_, true) => 0,
            (Some(_), false) => 1,
            (None, false) => 2,
        };
        (
            class,
            self.due_on.clone(),
            self.since.unwrap_or(i64::MAX),
            &self.title,
            self.case_id.as_deref().unwrap_or(""),
        )
    }
}

/// A manufacturer's active cases at one stage of a partnership (the stage of a step open on
/// them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CasesAtStage {
    pub partnership_id: String,
    pub partnership_name: String,
    pub stage: Stage,
    pub cases: i64,
}

/// A page of the inbox: the items most urgent first, paged like the other lists, with the
/// whole count; for a manufacturer its cases by stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = InboxPage)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub limit: i64,
    pub offset: i64,
    pub next_offset: Option<i64>,
    /// How many items the whole inbox holds.
    pub total: i64,
    /// A manufacturer's active cases by stage across all sites (empty for a health system).
    pub cases_by_stage: Vec<CasesAtStage>,
    /// The day the inbox was read for (due and overdue are judged on it).
    #[schema(schema_with = schema::date)]
    pub today: Date,
}
