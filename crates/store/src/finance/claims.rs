//! Rows and queries of a health system's claims, payer profiles and exposure (migration
//! 0035): each read is one indexed query, whatever the number of cases.

use crate::decode::{date, word};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::finance::{ClaimStatus, PayerProfile};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

/// A payer's profile of a health system, at its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayerProfileRow {
    pub id: String,
    pub org_id: String,
    pub profile: PayerProfile,
    pub version: i64,
    pub updated_at: i64,
}

impl FromRow<'_, AnyRow> for PayerProfileRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let profile: String = r.try_get("profile")?;
        Ok(PayerProfileRow {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            profile: serde_json::from_str(&profile)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            version: r.try_get("version")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// A case's claim as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRow {
    pub id: String,
    pub org_id: String,
    pub case_id: String,
    pub site_id: String,
    pub partnership_id: String,
    pub program_id: String,
    pub payer_profile_id: String,
    pub payer_name: String,
    pub submitted_on: Date,
    pub claimed_cents: i64,
    pub expanded_access: bool,
    pub status: ClaimStatus,
    pub paid_cents: Option<i64>,
    pub paid_on: Option<Date>,
    pub denied_on: Option<Date>,
    pub denial_reason: Option<String>,
    pub appealed_on: Option<Date>,
    pub unpaid_on: Option<Date>,
    pub last_on: Date,
    pub version: i64,
}

/// A date column that is NULL until its step happens.
fn nullable_date(r: &AnyRow, column: &str) -> Result<Option<Date>, sqlx::Error> {
    let text: Option<String> = r.try_get(column)?;
    text.map(|t| Date::parse(&t).map_err(|e| sqlx::Error::Decode(format!("{column}: {e}").into())))
        .transpose()
}

impl FromRow<'_, AnyRow> for ClaimRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ClaimRow {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            case_id: r.try_get("case_id")?,
            site_id: r.try_get("site_id")?,
            partnership_id: r.try_get("partnership_id")?,
            program_id: r.try_get("program_id")?,
            payer_profile_id: r.try_get("payer_profile_id")?,
            payer_name: r.try_get("payer_name")?,
            submitted_on: date(r, "submitted_on")?,
            claimed_cents: r.try_get("claimed_cents")?,
            expanded_access: r.try_get::<i64, _>("expanded_access")? != 0,
            status: word(r, "status")?,
            paid_cents: r.try_get("paid_cents")?,
            paid_on: nullable_date(r, "paid_on")?,
            denied_on: nullable_date(r, "denied_on")?,
            denial_reason: r.try_get("denial_reason")?,
            appealed_on: nullable_date(r, "appealed_on")?,
            unpaid_on: nullable_date(r, "unpaid_on")?,
            last_on: date(r, "last_on")?,
            version: r.try_get("version")?,
        })
    }
}

/// A day's money of a health system: paid out, received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    pub day: Date,
    pub out_cents: i64,
    pub in_cents: i64,
}

/// A case waiting for its money: infused or invoiced, its claim not paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRow {
    pub case_id: String,
    pub pseudonym: String,
    pub site_id: String,
    pub site_name: String,
    pub program_id: String,
    pub program_name: String,
    pub infused_at: Option<i64>,
    /// Since when: the infusion, else when the invoice was made (micros).
    pub since: i64,
    pub invoice_price_cents: Option<i64>,
    pub invoice_paid_cents: Option<i64>,
    pub claim_id: Option<String>,
    pub claim_status: Option<ClaimStatus>,
    pub claimed_cents: Option<i64>,
}

impl Store {
    /// A health system's payer profiles, by name.
    pub async fn payer_profiles_of(
        &self,
        org_id: &str,
    ) -> Result<Vec<PayerProfileRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM payer_profiles WHERE org_id = $1 ORDER BY name, id")
                .bind(org_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    pub async fn payer_profile(&self, id: &str) -> Result<Option<PayerProfileRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM payer_profiles WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn claim(&self, id: &str) -> Result<Option<ClaimRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM claims WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A health system's claims submitted on or after `since`, oldest first (the what-if's
    /// observed payers).
    pub async fn claims_of_org_since(
        &self,
        org_id: &str,
        since: &Date,
    ) -> Result<Vec<ClaimRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM claims WHERE org_id = $1 AND submitted_on >= $2 ORDER BY submitted_on, id",
        )
        .bind(org_id)
        .bind(since.as_str())
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn claim_of_case(&self, case_id: &str) -> Result<Option<ClaimRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM claims WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A health system's money by day (summed over its flows), oldest first.
    pub async fn exposure_flows_of(&self, org_id: &str) -> Result<Vec<FlowRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, CAST(SUM(out_cents) AS BIGINT) AS out_cents, CAST(SUM(in_cents) AS BIGINT) AS in_cents FROM exposure_flows WHERE org_id = $1 GROUP BY day ORDER BY day",
        )
        .bind(org_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FlowRow {
                    day: date(r, "day")?,
                    out_cents: sum(r, "out_cents")?,
                    in_cents: sum(r, "in_cents")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// A health system's open claims' amounts (submitted, denied, appealed) and the claim
    /// payments it received on or after `since`, in cents.
    pub async fn receivables_of(
        &self,
        org_id: &str,
        since: &Date,
    ) -> Result<(i64, i64), StoreError> {
        let open = sqlx::query(
            "SELECT CAST(COALESCE(SUM(claimed_cents), 0) AS BIGINT) AS open_cents FROM claims WHERE org_id = $1 AND status IN ('submitted', 'denied', 'appealed')",
        )
        .bind(org_id)
        .fetch_one(&self.reader)
        .await?;
        let paid = sqlx::query(
            "SELECT CAST(COALESCE(SUM(in_cents), 0) AS BIGINT) AS paid_cents FROM exposure_flows WHERE org_id = $1 AND kind = 'claim' AND day >= $2",
        )
        .bind(org_id)
        .bind(since.as_str())
        .fetch_one(&self.reader)
        .await?;
        Ok((sum(&open, "open_cents")?, sum(&paid, "paid_cents")?))
    }

    /// A health system's cases waiting for their money — infused or invoiced, no claim paid —
    /// the longest waiting first, at most `limit`: one query over the indexed cases, invoices
    /// and claims.
    pub async fn waiting_cases_of(
        &self,
        org_id: &str,
        limit: i64,
    ) -> Result<Vec<WaitingRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id AS case_id, c.pseudonym, c.site_id, s.name AS site_name, c.program_id, \
             p.name AS program_name, c.infused_at, \
             COALESCE(c.infused_at, i.created_at) AS since, i.price_cents, i.paid_cents, \
             cl.id AS claim_id, cl.status AS claim_status, cl.claimed_cents \
             FROM sites s JOIN cases c ON c.site_id = s.id JOIN programs p ON p.id = c.program_id \
             LEFT JOIN invoices i ON i.case_id = c.id \
             LEFT JOIN claims cl ON cl.case_id = c.id \
             WHERE s.org_id = $1 AND (c.infused_at IS NOT NULL OR i.id IS NOT NULL) \
             AND (cl.id IS NULL OR cl.status <> 'paid') \
             ORDER BY since, c.id LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let status: Option<String> = r.try_get("claim_status")?;
                Ok(WaitingRow {
                    case_id: r.try_get("case_id")?,
                    pseudonym: r.try_get("pseudonym")?,
                    site_id: r.try_get("site_id")?,
                    site_name: r.try_get("site_name")?,
                    program_id: r.try_get("program_id")?,
                    program_name: r.try_get("program_name")?,
                    infused_at: r.try_get("infused_at")?,
                    since: r.try_get("since")?,
                    invoice_price_cents: r.try_get("price_cents")?,
                    invoice_paid_cents: r.try_get("paid_cents")?,
                    claim_id: r.try_get("claim_id")?,
                    claim_status: match status {
                        Some(s) => Some(
                            s.parse::<ClaimStatus>()
                                .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
                        ),
                        None => None,
                    },
                    claimed_cents: r.try_get("claimed_cents")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// A sum the query casts back to BIGINT (PostgreSQL sums BIGINTs as NUMERIC), 0 over no rows.
fn sum(r: &AnyRow, column: &str) -> Result<i64, sqlx::Error> {
    r.try_get(column)
}
