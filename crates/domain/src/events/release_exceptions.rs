//! Release-exception protocols' events, on the partnership's ledger (issue 13, point 1): a
//! version drafted by either side (`exception_protocol.created`, with the protocol and the
//! SHA-256 of its canonical JSON, the content both sides sign), then each side's signature
//! noted and, with the second, agreed — the version agreed before for the program superseded
//! in the same command (`exception_protocol.updated`). The signatures themselves are the
//! ledger's `signature.recorded` on the content hash.
//!
//! Listed by `events::each_not_yet_recorded`: no fixture holds them yet.

use super::{Created, Updated, blank_day, events};
use crate::Date;
use crate::release_exception::Protocol;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// A protocol version: a draft until both sides have signed it, then agreed; superseded
    /// when a newer version of the program is agreed.
    ProtocolStatus, "protocol status" {
        Draft => "draft",
        Agreed => "agreed",
        Superseded => "superseded",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionProtocolFields {
    pub partnership_id: String,
    pub program_id: String,
    /// 1, 2, … per partnership and program.
    pub number: i64,
    pub protocol: Protocol,
    /// SHA-256 of the protocol's canonical JSON: what each side signs.
    pub content_sha256: String,
    pub status: ProtocolStatus,
    /// The user who signed for each side; empty until then.
    pub manufacturer_signer: String,
    pub health_system_signer: String,
    /// The day the second side signed; none while a draft.
    #[serde(with = "blank_day")]
    pub agreed_on: Option<Date>,
}

/// A side's signature noted, the agreement with the second, a supersession.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExceptionProtocolChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProtocolStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer_signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_system_signer: Option<String>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub agreed_on: Option<Option<Date>>,
}

pub type ExceptionProtocolCreated = Created<ExceptionProtocolFields>;
pub type ExceptionProtocolUpdated = Updated<ExceptionProtocolChanges>;

vocabulary!(
    /// Where a release exception stands on its row.
    ExceptionStatus, "exception status" {
        Open => "open",
        Decided => "decided",
        Closed => "closed",
    }
);

/// A release exception, opened by the manufacturer's quality with its quality system's
/// decision (certificate reference and hash). Tier 1 is told in the same command
/// (`release_exception.notified`), so `tier_reached` starts at 0 (tiers count from 0 here, from
/// 1 in words) and `tier_notified_at` at the opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseExceptionFields {
    pub partnership_id: String,
    pub case_id: String,
    pub site_id: String,
    pub program_id: String,
    /// The agreed protocol version it runs under.
    pub protocol_id: String,
    pub kind: crate::release_exception::ExceptionKind,
    pub certificate_reference: String,
    pub certificate_sha256: String,
    /// The first fact shown: whether lymphodepleting chemotherapy had started.
    pub lymphodepletion_started: bool,
    pub opened_at: i64,
    pub tier_reached: i64,
    pub tier_notified_at: i64,
    /// None until someone acknowledges.
    pub acknowledged_at: Option<i64>,
    /// The user who acknowledged first; empty until then.
    pub acknowledged_by: String,
    pub status: ExceptionStatus,
}

/// An escalation (the next tier told) or the first acknowledgement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseExceptionChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_reached: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_notified_at: Option<i64>,
    #[serde(
        deserialize_with = "super::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub acknowledged_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ExceptionStatus>,
    #[serde(
        deserialize_with = "super::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub patient_told_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_told_by: Option<String>,
    /// The option decided (a `DecisionOption` key); empty until decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(
        deserialize_with = "super::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub decided_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Expanded access's prerequisites recorded, in the order they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<Vec<crate::release_exception::Prerequisite>>,
    #[serde(
        deserialize_with = "super::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub manufacturer_signed_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer_signed_by: Option<String>,
    #[serde(
        deserialize_with = "super::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_system_signed_at: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_system_signed_by: Option<String>,
}

/// The patient told (issue 13, point 2): by the protocol's teller at the health system, when
/// and how, with a note; `due_at` is the protocol's deadline (opened + tell-within).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseExceptionPatientTold {
    pub exception_id: String,
    pub by: String,
    pub method: crate::release_exception::TellMethod,
    /// When the patient was told (may be before it is recorded, never after).
    pub told_at: i64,
    pub note: String,
    pub due_at: i64,
    pub at: i64,
}

/// The decision among the options the protocol offers for the exception's kind, by the health
/// system's physician or the manufacturer's quality; another therapy and a cancellation carry
/// the care-transition plan (empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseExceptionDecided {
    pub exception_id: String,
    pub option: crate::release_exception::DecisionOption,
    pub note: String,
    pub care_transition_plan: String,
    pub by: String,
    pub due_at: i64,
    pub at: i64,
}

/// One prerequisite of infusion under expanded access, recorded by its side and role: its
/// reference (the IRB's approval number, the release certificate…), the document's SHA-256
/// when there is one, and for the consent its document type (`expanded_access`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseExceptionPrerequisiteRecorded {
    pub exception_id: String,
    pub prerequisite: crate::release_exception::Prerequisite,
    pub reference: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_document_type: Option<crate::consent::ConsentDocumentType>,
    pub note: String,
    pub by: String,
    pub at: i64,
}

/// A tier told: who (by side and role), how, when, and whether by escalation. The one record
/// of a notification; delivery is the outbox's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseExceptionNotified {
    pub exception_id: String,
    /// 0-based.
    pub tier: i64,
    pub recipients: Vec<crate::release_exception::Recipient>,
    pub channels: Vec<crate::release_exception::Channel>,
    pub at: i64,
    pub escalated: bool,
}

pub type ReleaseExceptionCreated = Created<ReleaseExceptionFields>;
pub type ReleaseExceptionUpdated = Updated<ReleaseExceptionChanges>;

events! {
    ExceptionProtocolCreated => "exception_protocol.created",
    ExceptionProtocolUpdated => "exception_protocol.updated",
    ReleaseExceptionCreated => "release_exception.created",
    ReleaseExceptionUpdated => "release_exception.updated",
    ReleaseExceptionNotified => "release_exception.notified",
    ReleaseExceptionPatientTold => "release_exception.patient_told",
    ReleaseExceptionDecided => "release_exception.decided",
    ReleaseExceptionPrerequisiteRecorded => "release_exception.prerequisite_recorded",
}
