//! Contracting's events. On the partnership's ledger: agreements (created, then moved, dated,
//! given documents, amendments and joinders), gate deliverables (recorded, revoked, recorded
//! again), the gate's recorded verdicts per site and program, and expiry reminders. On the
//! manufacturer's ledger: a program's track template.
//!
//! Days that may be none are `""` in these payloads, as the ledger has always held them
//! (`blank_day`): an agreement's dates before they are set, a deliverable's revocation while
//! it counts.

use super::{Created, Updated, blank_day, events};
use crate::Date;
use crate::contracting::gate::{AuthorizationStatus, Verdict};
use crate::contracting::template::TrackItem;
use crate::contracting::{AgreementKind, AgreementStatus, Coverage, Deliverable, Scope};
use serde::{Deserialize, Serialize};

/// A version of an agreement's document, by its hash (the file stays with the parties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub name: String,
    /// SHA-256 of the file, 64 lowercase hex digits.
    pub sha256: String,
    pub bytes: i64,
    pub added_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    pub title: String,
    pub effective_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementFields {
    pub partnership_id: String,
    pub kind: AgreementKind,
    pub scope: Scope,
    /// The site of a site-scope agreement; empty at health-system scope.
    pub site_id: String,
    pub status: AgreementStatus,
    /// User ids of the owner on each side; empty when none was named.
    pub owner_manufacturer: String,
    pub owner_health_system: String,
    #[serde(with = "blank_day")]
    pub effective_on: Option<Date>,
    /// None: it does not expire.
    #[serde(with = "blank_day")]
    pub expires_on: Option<Date>,
    pub coverage: Coverage,
    pub documents: Vec<Document>,
    pub amendments: Vec<Amendment>,
    /// Times legal review sent a draft back to negotiation.
    pub redline_rounds: i64,
}

/// What an agreement's commands change: its status (with another redline round when legal
/// review sends it back), both dates at once, its documents, amendments or coverage (a
/// joinder), each list whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgreementChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AgreementStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redline_rounds: Option<i64>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<Option<Date>>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Option<Date>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Document>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amendments: Option<Vec<Amendment>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverableRecordFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub deliverable: Deliverable,
    pub done_on: Date,
    pub evidence: String,
    /// None while it counts. Every event since revocation existed (migration 0007) holds
    /// both revocation fields; one written before holds neither and reads as not revoked.
    #[serde(default, with = "blank_day")]
    pub revoked_on: Option<Date>,
    /// Empty while it counts.
    #[serde(default)]
    pub revoked_reason: String,
}

/// Revoked (the day and the reason), or recorded done again (new day and evidence, the
/// revocation cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverableRecordChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_on: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(with = "blank_day::changed", skip_serializing_if = "Option::is_none")]
    pub revoked_on: Option<Option<Date>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteAuthorizationFields {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub status: AuthorizationStatus,
    pub since: Date,
    /// What was missing, in people's words; empty when authorized.
    pub missing: Vec<String>,
}

/// A recorded verdict as `site_authorization.updated` holds it, old and new: always all three
/// fields, changed or not (a site still suspended for other items keeps its `since`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationVerdict {
    pub status: AuthorizationStatus,
    pub since: Date,
    pub missing: Vec<String>,
}

impl From<&Verdict> for AuthorizationVerdict {
    fn from(v: &Verdict) -> AuthorizationVerdict {
        AuthorizationVerdict {
            status: v.status,
            since: v.since.clone(),
            missing: v.missing.clone(),
        }
    }
}

/// A reminder given before an executed agreement lapses (once per agreement, expiry date and
/// threshold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryReminderFields {
    pub partnership_id: String,
    pub agreement_id: String,
    pub agreement_kind: AgreementKind,
    pub expires_on: Date,
    /// The threshold: 90, 30 or 7 days before expiry.
    pub days_before: i64,
    /// Days left on `sent_on`.
    pub days_left: i64,
    pub sent_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackTemplateFields {
    pub org_id: String,
    pub program_id: String,
    pub items: Vec<TrackItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackTemplateChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<TrackItem>>,
}

pub type AgreementCreated = Created<AgreementFields>;
pub type AgreementUpdated = Updated<AgreementChanges>;
pub type DeliverableRecordCreated = Created<DeliverableRecordFields>;
pub type DeliverableRecordUpdated = Updated<DeliverableRecordChanges>;
pub type SiteAuthorizationCreated = Created<SiteAuthorizationFields>;
pub type SiteAuthorizationUpdated = Updated<AuthorizationVerdict>;
pub type ExpiryReminderCreated = Created<ExpiryReminderFields>;
pub type TrackTemplateCreated = Created<TrackTemplateFields>;
pub type TrackTemplateUpdated = Updated<TrackTemplateChanges>;

events! {
    AgreementCreated => "agreement.created",
    AgreementUpdated => "agreement.updated",
    DeliverableRecordCreated => "deliverable_record.created",
    DeliverableRecordUpdated => "deliverable_record.updated",
    SiteAuthorizationCreated => "site_authorization.created",
    SiteAuthorizationUpdated => "site_authorization.updated",
    ExpiryReminderCreated => "expiry_reminder.created",
    TrackTemplateCreated => "track_template.created",
    TrackTemplateUpdated => "track_template.updated",
}

/// The kinds the store's fixture of an earlier release holds no event of (no command of its
/// day wrote one): their payloads as the app has always written them, read and written back.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;
    use serde_json::{Value, json};

    fn round_trip<E: Event + std::fmt::Debug + PartialEq>(payload: Value) -> E {
        let typed: E = serde_json::from_value(payload.clone())
            .unwrap_or_else(|e| panic!("{}: {e}\n{payload}", E::KIND));
        assert_eq!(
            serde_json::to_value(&typed).unwrap(),
            payload,
            "{}",
            E::KIND
        );
        typed
    }

    #[test]
    fn a_revoked_deliverable_and_one_recorded_again() {
        let revoked: DeliverableRecordUpdated = round_trip(json!({
            "id": "dlv_1", "version": 2,
            "old": { "revoked_on": "", "revoked_reason": "" },
            "new": { "revoked_on": "2030-01-02", "revoked_reason": "Re-audit failed" },
        }));
        assert_eq!(
            revoked.old.revoked_on,
            Some(None),
            "blank is present, and none"
        );
        round_trip::<DeliverableRecordUpdated>(json!({
            "id": "dlv_1", "version": 3,
            "old": { "done_on": "2029-12-01", "evidence": "Audit SQA-1",
                     "revoked_on": "2030-01-02", "revoked_reason": "Re-audit failed" },
            "new": { "done_on": "2030-02-01", "evidence": "Audit SQA-2",
                     "revoked_on": "", "revoked_reason": "" },
        }));
    }

    #[test]
    fn a_deliverable_written_before_revocation_existed_reads_as_counting() {
        let old: DeliverableRecordCreated = serde_json::from_value(json!({
            "id": "dlv_1", "new": { "partnership_id": "p", "site_id": "s", "program_id": "g",
                "deliverable": "mock_shipment", "done_on": "2025-01-02", "evidence": "Shipped" },
        }))
        .unwrap();
        assert_eq!(
            (old.new.revoked_on, old.new.revoked_reason.as_str()),
            (None, "")
        );
    }

    #[test]
    fn a_suspension_recorded_after_an_authorization() {
        round_trip::<SiteAuthorizationUpdated>(json!({
            "id": "auth_1", "version": 2,
            "old": { "status": "authorized", "since": "2030-01-01", "missing": [] },
            "new": { "status": "suspended", "since": "2030-02-01",
                     "missing": ["Master service agreement: withdrawn"] },
        }));
    }

    #[test]
    fn a_track_template_set_then_changed() {
        let item = |days: [u32; 3]| {
            json!({ "key": "msa", "item": { "type": "agreement", "name": "master_service_agreement" },
                    "scope": "health_system", "after": [], "days": days })
        };
        round_trip::<TrackTemplateCreated>(json!({
            "id": "tpl_1", "new": { "org_id": "org_1", "program_id": "prog_1",
                "items": [item([30, 60, 120])] },
        }));
        round_trip::<TrackTemplateUpdated>(json!({
            "id": "tpl_1", "version": 2,
            "old": { "items": [item([30, 60, 120])] }, "new": { "items": [item([20, 45, 90])] },
        }));
    }

    #[test]
    fn an_agreement_dated_then_undated_expiry() {
        round_trip::<AgreementUpdated>(json!({
            "id": "agr_1", "version": 5,
            "old": { "effective_on": "2025-06-01", "expires_on": "2030-05-31" },
            "new": { "effective_on": "2025-06-01", "expires_on": "" },
        }));
        round_trip::<AgreementUpdated>(json!({
            "id": "agr_1", "version": 6,
            "old": { "coverage": { "covers": "named", "site_ids": ["s1"] } },
            "new": { "coverage": { "covers": "named", "site_ids": ["s1", "s2"] } },
        }));
        round_trip::<AgreementUpdated>(json!({
            "id": "agr_1", "version": 7,
            "old": { "amendments": [] },
            "new": { "amendments": [{ "title": "Extension", "effective_on": "2026-01-01" }] },
        }));
    }

    #[test]
    fn a_day_that_is_not_a_day_is_refused() {
        let bad = json!({
            "id": "agr_1", "version": 2,
            "old": { "effective_on": "", "expires_on": "" },
            "new": { "effective_on": "soon", "expires_on": "" },
        });
        assert!(serde_json::from_value::<AgreementUpdated>(bad).is_err());
    }
}
