//! Dual-track contracting on the partnership's ledger (DESIGN.md §2, §4.3): the agreements
//! both sides negotiate, the gate deliverables recorded at a site (each e-signed), and the
//! gate itself — the stored record loaded into the domain's `gate::Record`, judged there, and
//! the verdicts it moves written as `site_authorization.*` events.
//!
//! `agreements` (the agreements' commands), `deliverables` (gate deliverables, e-signed),
//! `gate` (the record loaded and the views), `review` (verdicts written), `expiry` (what is
//! about to lapse), `templates` (track templates and the planner's plan).

use crate::records::expect_version;
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::Notes;
use cellpath_domain::contracting::gate as rule;
use cellpath_domain::contracting::gate::{
    OpenGap, RecordedAgreement, RecordedConsentVersion, RecordedDeliverable, RecordedVerdict,
    SignedSiteMap, Transition, Verdict,
};
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::contracting::{
    AgreementFacts, AgreementKind, AgreementStatus, Coverage, Missing, Scope,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, LedgerInt};
use cellpath_store::{Agreement, DeliverableRecord, Partnership, Program, SiteAuthorization};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

mod agreements;
mod deliverables;
mod expiry;
mod gate;
mod review;
mod templates;

pub use agreements::{AgreementInput, AmendmentInput, DocumentInput};
pub use expiry::ExpiryReminder;
pub(crate) use gate::GateRecord;
pub use gate::{ConsentItem, GateItem, GateView};
pub use templates::{TrackTemplateView, plan_of_template};

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverableInput {
    pub site_id: String,
    pub program_id: String,
    pub deliverable: String,
    /// `YYYY-MM-DD`.
    pub done_on: String,
    pub evidence: String,
}

/// `""` for none: how the payloads of contracting's events have always written an absent
/// id or reason (the ledger keeps those bytes).
fn or_empty(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// `""` for no date, as the payloads have always written it.
fn day_or_empty(d: &Option<Date>) -> &str {
    d.as_ref().map_or("", Date::as_str)
}

fn facts_of(a: &Agreement) -> Result<AgreementFacts, AppError> {
    Ok(AgreementFacts {
        kind: a.kind,
        scope: a.scope,
        site_id: a.site_id.clone(),
        status: a.status,
        effective_on: a.effective_on.clone(),
        expires_on: a.expires_on.clone(),
        coverage: serde_json::from_value(a.coverage.clone()).map_err(internal)?,
    })
}
