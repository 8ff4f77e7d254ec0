//! Rows and queries of payment alignment (migration 0032): a partnership's payment terms per
//! program, the invoices they make per case, and the payments and credits against them.

pub(crate) mod claims;
pub(crate) mod project;

use crate::decode::{date, word};
use crate::{Store, StoreError};
use cellpath_domain::Date;
use cellpath_domain::finance::{BasisEvent, PaymentTerms, Settlement};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

/// A program's dated payment terms in a partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermsRow {
    pub id: String,
    pub partnership_id: String,
    pub program_id: String,
    pub terms: PaymentTerms,
    pub created_at: i64,
}

impl FromRow<'_, AnyRow> for TermsRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let terms: String = r.try_get("terms")?;
        Ok(TermsRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            program_id: r.try_get("program_id")?,
            terms: serde_json::from_str(&terms).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// A case's invoice with what was paid and credited against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceRow {
    pub id: String,
    pub partnership_id: String,
    pub case_id: String,
    pub site_id: String,
    pub program_id: String,
    pub terms_id: String,
    pub basis_event: BasisEvent,
    pub basis_on: Date,
    pub price_cents: i64,
    pub due_on: Date,
    pub paid_cents: i64,
    pub credited_cents: i64,
    pub version: i64,
    pub created_at: i64,
}

impl InvoiceRow {
    /// What is still owed on it.
    pub fn open_cents(&self) -> i64 {
        (self.price_cents - self.paid_cents - self.credited_cents).max(0)
    }
}

impl FromRow<'_, AnyRow> for InvoiceRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(InvoiceRow {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            case_id: r.try_get("case_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            terms_id: r.try_get("terms_id")?,
            basis_event: word(r, "basis_event")?,
            basis_on: date(r, "basis_on")?,
            price_cents: r.try_get("price_cents")?,
            due_on: date(r, "due_on")?,
            paid_cents: r.try_get("paid_cents")?,
            credited_cents: r.try_get("credited_cents")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// A payment or credit recorded against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettlementRow {
    pub id: String,
    pub invoice_id: String,
    pub kind: Settlement,
    pub amount_cents: i64,
    pub settled_on: Date,
    pub by_name: String,
}

impl FromRow<'_, AnyRow> for SettlementRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SettlementRow {
            id: r.try_get("id")?,
            invoice_id: r.try_get("invoice_id")?,
            kind: word(r, "kind")?,
            amount_cents: r.try_get("amount_cents")?,
            settled_on: date(r, "settled_on")?,
            by_name: r.try_get("by_name")?,
        })
    }
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Every dated terms of a partnership, by program, oldest first.
    pub async fn payment_terms_of(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<TermsRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM payment_terms WHERE partnership_id = $1 ORDER BY program_id, effective_on, created_at",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn invoice(&self, id: &str) -> Result<Option<InvoiceRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM invoices WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn invoice_of_case(&self, case_id: &str) -> Result<Option<InvoiceRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM invoices WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// The invoices of a list of partnerships, earliest due first.
    pub async fn invoices_of(
        &self,
        partnership_ids: &[String],
    ) -> Result<Vec<InvoiceRow>, StoreError> {
        if partnership_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT * FROM invoices WHERE partnership_id IN ({}) ORDER BY due_on, id",
            placeholders(partnership_ids.len())
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in partnership_ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// The payments and credits of a list of invoices, by day.
    pub async fn settlements_of(
        &self,
        invoice_ids: &[String],
    ) -> Result<Vec<SettlementRow>, StoreError> {
        if invoice_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT * FROM invoice_settlements WHERE invoice_id IN ({}) ORDER BY settled_on, recorded_at",
            placeholders(invoice_ids.len())
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in invoice_ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(&self.reader).await?)
    }
}
