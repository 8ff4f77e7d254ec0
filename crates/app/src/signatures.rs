//! The e-signatures on the records a page shows (21 CFR 11.50: a signed record shows the
//! signer's printed name, the date and time, and the meaning). Read for all the records of a
//! page in one query from the ledger's `signatures`, each keyed by the record its signed event
//! concerns (the event's `id`), so a page never asks once per row.

use crate::views::audit::Signature;
use crate::views::contracting::DeliverableRecord;
use crate::views::readiness::Gap;
use crate::{App, AppError, Caller};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_ledger::{Channel, Meaning, parse_event};
use cellpath_store::{SignatureRow, SignedEventRow};
use std::collections::HashMap;

/// One signature as a record shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSignature {
    pub printed_name: String,
    pub signer_user_id: String,
    pub meaning: Meaning,
    pub signed_at: i64,
    /// Through what it came; `None` for signatures recorded before the channel was.
    pub channel: Option<Channel>,
    /// The type of the event it signs (e.g. `deliverable_record.created` for recording a
    /// deliverable, `deliverable_record.updated` for revoking it).
    pub event_kind: String,
}

impl RecordSignature {
    /// The signature, as a record shows it, of a row of the ledger's `signatures` on an event
    /// of type `event_kind`.
    pub fn of(row: SignatureRow, event_kind: &str) -> Self {
        RecordSignature {
            printed_name: row.printed_name,
            signer_user_id: row.signer_user_id,
            meaning: row.meaning,
            signed_at: row.signed_at,
            channel: row.channel,
            event_kind: event_kind.to_string(),
        }
    }
}

/// Which records of a partnership a page shows with their signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedRecords {
    /// Gate deliverables: recorded (meaning verified) and revoked (meaning reviewed).
    Deliverables,
    /// Readiness gaps: closed with evidence (meaning verified).
    Gaps,
}

impl SignedRecords {
    /// The event types (by prefix) whose signatures these records carry.
    fn event_prefix(self) -> &'static str {
        match self {
            SignedRecords::Deliverables => "deliverable_record.",
            SignedRecords::Gaps => "gap.",
        }
    }

    /// What the policy calls these records: reading their signatures is reading them.
    fn resource(self) -> ResourceKind {
        match self {
            SignedRecords::Deliverables => ResourceKind::Deliverable,
            SignedRecords::Gaps => ResourceKind::Readiness,
        }
    }
}

/// The signatures of a page's records, by record id, each record's oldest first.
#[derive(Debug, Clone, Default)]
pub struct RecordSignatures {
    by_record: HashMap<String, Vec<RecordSignature>>,
    /// The same signatures as the API answers them (with the hash and place on the ledger).
    answers: HashMap<String, Vec<Signature>>,
}

impl RecordSignatures {
    /// The signatures of one record (none when it carries none).
    pub fn of(&self, record_id: &str) -> &[RecordSignature] {
        self.by_record.get(record_id).map_or(&[], Vec::as_slice)
    }

    /// The signatures of one record as the API answers them with the record.
    pub fn answer(&self, record_id: &str) -> Vec<Signature> {
        self.answers.get(record_id).cloned().unwrap_or_default()
    }

    /// Grouped by the `key` field (e.g. `id`, a case's `step`) of the event each signs (rows
    /// oldest first).
    fn from_rows(rows: Vec<SignedEventRow>, key: &str) -> Result<Self, AppError> {
        let mut by_record: HashMap<String, Vec<RecordSignature>> = HashMap::new();
        let mut answers: HashMap<String, Vec<Signature>> = HashMap::new();
        for row in rows {
            let event = parse_event(row.event_body.as_bytes()).map_err(|e| {
                AppError::Internal(format!("stored event {}: {e}", row.signature.target))
            })?;
            let Some(id) = event.payload.get(key).and_then(|v| v.as_str()) else {
                continue;
            };
            answers
                .entry(id.to_string())
                .or_default()
                .push(Signature::from(row.signature.clone()));
            by_record
                .entry(id.to_string())
                .or_default()
                .push(RecordSignature::of(row.signature, &row.event_kind));
        }
        Ok(RecordSignatures { by_record, answers })
    }
}

impl App {
    /// The signatures on a partnership's records of one kind, for the caller who may read
    /// those records: one query however many records the page shows.
    pub async fn record_signatures(
        &self,
        caller: &Caller,
        partnership_id: &str,
        records: SignedRecords,
    ) -> Result<RecordSignatures, AppError> {
        let rel = self.ledger_relation(caller, partnership_id).await?;
        self.check(
            caller,
            Action::Read,
            records.resource(),
            rel,
            &format!("partnership {partnership_id}"),
        )?;
        let rows = self
            .store
            .signatures_on_events_of_type(partnership_id, records.event_prefix())
            .await?;
        RecordSignatures::from_rows(rows, "id")
    }

    /// The signatures on a case's steps, by step key (every attempt's), for a caller the
    /// policy shows the case (not found otherwise): one query from the case's index.
    pub async fn case_step_signatures(
        &self,
        caller: &Caller,
        case_id: &str,
    ) -> Result<RecordSignatures, AppError> {
        self.case_row_seen(caller, case_id).await?;
        let rows = self.store.signatures_on_case_events(case_id).await?;
        RecordSignatures::from_rows(rows, "step")
    }

    /// A deliverable as the API answers it, with its signatures (recorded, revoked).
    pub(crate) async fn signed_deliverable(
        &self,
        caller: &Caller,
        record: cellpath_store::DeliverableRecord,
    ) -> Result<DeliverableRecord, AppError> {
        let signatures = self
            .record_signatures(caller, &record.partnership_id, SignedRecords::Deliverables)
            .await?;
        Ok(DeliverableRecord::signed(record, &signatures))
    }

    /// A gap as the API answers it, with its signatures (its closure).
    pub async fn signed_gap(&self, caller: &Caller, mut gap: Gap) -> Result<Gap, AppError> {
        let signatures = self
            .record_signatures(caller, &gap.partnership_id, SignedRecords::Gaps)
            .await?;
        gap.signatures = signatures.answer(&gap.id);
        Ok(gap)
    }
}
