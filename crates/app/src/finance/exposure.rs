//! A health system's exposure now (issue 14, point 3), across all its programs and
//! manufacturers: paid out to manufacturers minus received (claim payments, credits) day by
//! day, its days in accounts receivable, and the cases waiting longest for their money. Read
//! from the indexed projection `exposure_flows` and the claims and cases indexes: three
//! aggregate queries and one list, whatever the number of cases.

use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::finance::ClaimStatus;
use cellpath_domain::finance::exposure::{AR_WINDOW_DAYS, DayFlow, days_in_ar, exposure_series};
use cellpath_domain::policy::Action;
use serde::Serialize;

/// How many of the longest-waiting cases are shown.
pub const WAITING_SHOWN: i64 = 20;

/// Exposure at the end of a day that money moved.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ExposureDay {
    pub day: Date,
    /// Paid to manufacturers up to this day, cents.
    pub paid_out_cents: i64,
    /// Received up to this day (claim payments, manufacturers' credits), cents.
    pub received_cents: i64,
    /// Paid out minus received.
    pub exposure_cents: i64,
}

/// A case waiting for its money: infused or invoiced, its claim not paid.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct WaitingCase {
    pub case_id: String,
    pub pseudonym: String,
    pub site_name: String,
    pub program_name: String,
    /// Since when: the infusion, or the invoice when the case was invoiced at shipment.
    pub waiting_since: Date,
    pub days_waiting: i64,
    pub invoice_price_cents: Option<i64>,
    /// Paid to the manufacturer for it so far.
    pub invoice_paid_cents: Option<i64>,
    /// Its claim's status; none when no claim was submitted yet.
    pub claim_status: Option<ClaimStatus>,
    /// Where its claim stands, in words ("no claim submitted yet" when none).
    pub claim_words: String,
    pub claimed_cents: Option<i64>,
}

/// A health system's exposure now.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ExposureView {
    pub today: Date,
    pub paid_out_cents: i64,
    pub received_cents: i64,
    /// Paid out minus received, today.
    pub exposure_cents: i64,
    /// Day by day, one point per day money moved, oldest first.
    pub by_day: Vec<ExposureDay>,
    /// Open claims' amounts (submitted, denied, appealed), cents.
    pub open_claims_cents: i64,
    /// Claim payments received over the last 90 days, cents.
    pub claims_paid_90_days_cents: i64,
    /// Days in accounts receivable: open claims ÷ average daily claim payments over the last
    /// 90 days (HFMA MAP Keys' net days in A/R); none when no claim was paid in those days.
    pub days_in_ar: Option<f64>,
    /// The cases waiting longest, oldest first (at most 20).
    pub waiting: Vec<WaitingCase>,
}

impl App {
    /// The caller's health system's exposure now (its admins and finance people).
    pub async fn exposure(&self, caller: &Caller) -> Result<ExposureView, AppError> {
        let org = self
            .own_claims_org(caller, Action::Read, "exposure")
            .await?;
        let today = Date::of_micros(self.now());
        let flows: Vec<DayFlow> = self
            .store
            .exposure_flows_of(&org)
            .await?
            .into_iter()
            .map(|f| DayFlow {
                day: f.day,
                out_cents: f.out_cents,
                in_cents: f.in_cents,
            })
            .collect();
        let series = exposure_series(&flows);
        let since = today.plus_days(1 - AR_WINDOW_DAYS);
        let (open, paid) = self.store.receivables_of(&org, &since).await?;
        let waiting = self
            .store
            .waiting_cases_of(&org, WAITING_SHOWN)
            .await?
            .into_iter()
            .map(|w| {
                let waiting_since = Date::of_micros(w.since);
                WaitingCase {
                    days_waiting: today.days_since_epoch() - waiting_since.days_since_epoch(),
                    waiting_since,
                    case_id: w.case_id,
                    pseudonym: w.pseudonym,
                    site_name: w.site_name,
                    program_name: w.program_name,
                    invoice_price_cents: w.invoice_price_cents,
                    invoice_paid_cents: w.invoice_paid_cents,
                    claim_status: w.claim_status,
                    claim_words: w
                        .claim_status
                        .map_or("no claim submitted yet", ClaimStatus::words)
                        .to_string(),
                    claimed_cents: w.claimed_cents,
                }
            })
            .collect();
        let last = series.last();
        Ok(ExposureView {
            today,
            paid_out_cents: last.map_or(0, |p| p.paid_out_cents),
            received_cents: last.map_or(0, |p| p.received_cents),
            exposure_cents: last.map_or(0, |p| p.exposure_cents),
            by_day: series
                .into_iter()
                .map(|p| ExposureDay {
                    day: p.day,
                    paid_out_cents: p.paid_out_cents,
                    received_cents: p.received_cents,
                    exposure_cents: p.exposure_cents,
                })
                .collect(),
            open_claims_cents: open,
            claims_paid_90_days_cents: paid,
            days_in_ar: days_in_ar(open, paid),
            waiting,
        })
    }
}
