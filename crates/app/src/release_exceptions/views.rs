//! What the API, the web and the CLI read of release exceptions (issue 13, point 6): a
//! partnership's protocol versions with their programs and signers by name, and each
//! exception as a person reads it — its case by pseudonym, every tier of its protocol told or
//! not, who acknowledged, the deadlines, its SLA figures, and what the caller may do next
//! (flags the pages and the API answer from the domain's own rules, so a button is shown
//! exactly when the command would be taken).
//!
//! Who sees what: protocols, both sides of an active or ended partnership (the policy's
//! `deliverable` read: not a proposal, not another tenant); exceptions, whoever the policy
//! shows the patient of the case (`patient` read through the case's relation).

use super::exceptions::exception_of;
use crate::views::schema;
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::events::release_exceptions::{ExceptionStatus, ProtocolStatus};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::release_exception::{
    Channel, DecisionOption, ExceptionKind, HOUR, MINUTE, Prerequisite, Protocol, Recipient, Sla,
    sla,
};
use cellpath_domain::{Date, OrgKind, PartnershipStatus, Role};
use cellpath_store::{ExceptionProtocolRow, Page, Partnership, ReleaseExceptionRow};
use serde::Serialize;
use std::collections::HashMap;

/// A program by id and name.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProgramName {
    pub id: String,
    pub name: String,
}

/// One version of a program's release-exception protocol.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ProtocolVersionView {
    pub id: String,
    pub partnership_id: String,
    pub partnership_name: String,
    pub program_id: String,
    pub program_name: String,
    /// 1, 2, … per program.
    pub number: i64,
    pub protocol: Protocol,
    /// The hash both signatures name.
    pub content_sha256: String,
    pub status: ProtocolStatus,
    /// The printed name of who signed for the manufacturer; none until signed.
    pub manufacturer_signer: Option<String>,
    /// The printed name of who signed for the health system; none until signed.
    pub health_system_signer: Option<String>,
    /// The day the second side signed; none while a draft.
    #[schema(schema_with = schema::maybe_date)]
    pub agreed_on: Option<Date>,
    pub created_at: i64,
    pub version: i64,
    /// Whether the caller may sign this version for its side now.
    pub may_sign: bool,
}

/// A partnership's protocols: every version of every program, oldest first.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PartnershipProtocols {
    pub partnership_id: String,
    pub partnership_name: String,
    /// The programs a protocol may be drafted for.
    pub programs: Vec<ProgramName>,
    pub versions: Vec<ProtocolVersionView>,
    /// Whether the caller may draft a version.
    pub may_draft: bool,
}

impl PartnershipProtocols {
    /// The agreed version of a program, if any.
    pub fn agreed(&self, program_id: &str) -> Option<&ProtocolVersionView> {
        self.versions
            .iter()
            .find(|v| v.program_id == program_id && v.status == ProtocolStatus::Agreed)
    }
}

/// One tier of an exception's protocol, told or not yet.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct TierNotice {
    /// 1 for the first tier.
    pub number: i64,
    pub recipients: Vec<Recipient>,
    pub channels: Vec<Channel>,
    pub notify_within_minutes: i64,
    pub escalate_after_hours: Option<i64>,
    pub told: bool,
    /// When it was told, where the record keeps it (the first tier and the last one told).
    pub told_at: Option<i64>,
    /// Told because the tier before it did not acknowledge in time.
    pub escalated: bool,
}

/// A release exception as a person reads it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ReleaseExceptionView {
    pub id: String,
    pub partnership_id: String,
    pub partnership_name: String,
    pub case_id: String,
    pub case_pseudonym: String,
    pub site_id: String,
    pub site_name: String,
    pub program_id: String,
    pub program_name: String,
    pub protocol_id: String,
    /// The number of the protocol version it runs under.
    pub protocol_number: i64,
    pub kind: ExceptionKind,
    /// The quality system's decision it was opened with.
    pub certificate_reference: String,
    pub certificate_sha256: String,
    /// The first fact: had lymphodepleting chemotherapy started when it was opened?
    pub lymphodepletion_started: bool,
    pub opened_at: i64,
    pub status: ExceptionStatus,
    /// Every tier of the protocol, in order.
    pub tiers: Vec<TierNotice>,
    pub acknowledged_at: Option<i64>,
    /// The printed name of who acknowledged.
    pub acknowledged_by: Option<String>,
    /// When the next tier is told if nobody acknowledges; none once acknowledged or at the
    /// last tier.
    pub next_escalation_at: Option<i64>,
    /// The health-system role that tells the patient, and by when.
    pub patient_teller: Role,
    pub patient_told_due_at: i64,
    pub decision_due_at: i64,
    pub sla: Sla,
    /// When the patient was told; none until then.
    pub patient_told_at: Option<i64>,
    /// The printed name of who told the patient.
    pub patient_told_by: Option<String>,
    /// What was decided; none until decided.
    pub decision: Option<DecisionOption>,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// The printed name of who decided.
    pub decided_by: Option<String>,
    /// Expanded access's prerequisites on the record.
    pub prerequisites: Vec<Prerequisite>,
    /// Expanded access's prerequisites still missing (none unless infusion under expanded
    /// access was decided).
    pub prerequisites_missing: Vec<Prerequisite>,
    /// When the manufacturer signed the close; none until then.
    pub manufacturer_signed_at: Option<i64>,
    /// The printed name of who signed the close for the manufacturer.
    pub manufacturer_signed_by: Option<String>,
    /// When the health system signed the close; none until then.
    pub health_system_signed_at: Option<i64>,
    /// The printed name of who signed the close for the health system.
    pub health_system_signed_by: Option<String>,
    /// The SHA-256 both signatures on the close name: the exception, its certificate, the
    /// decision, when the patient was told and the prerequisites, as they stand now.
    pub close_sha256: String,
    /// What the caller may do now, by the protocol's rules.
    pub may_acknowledge: bool,
    pub may_tell_patient: bool,
    pub may_decide: bool,
    /// The options the caller may decide now: those the protocol offers for the kind (empty
    /// unless `may_decide`).
    pub decision_options: Vec<DecisionOption>,
    /// Whether the caller may record one of expanded access's prerequisites now.
    pub may_record_prerequisite: bool,
    /// The prerequisites the caller may record now (its side's and role's, not yet recorded).
    pub recordable_prerequisites: Vec<Prerequisite>,
    pub may_sign: bool,
    pub version: i64,
}

/// One exception's SLA figures.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ExceptionSla {
    pub id: String,
    pub case_id: String,
    pub case_pseudonym: String,
    pub program_name: String,
    pub kind: ExceptionKind,
    pub opened_at: i64,
    pub sla: Sla,
}

/// A partnership's SLA record: each exception's figures against its protocol, and their
/// summary (medians of those done, breaches).
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PartnershipSla {
    pub partnership_id: String,
    pub partnership_name: String,
    pub status: PartnershipStatus,
    pub summary: cellpath_domain::release_exception::SlaSummary,
    pub exceptions: Vec<ExceptionSla>,
}

/// The SLA record of every partnership the caller sees exceptions of.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct SlaDashboard {
    /// When the figures were read: a step not yet done counts as breached once its time
    /// has passed by then.
    pub at: i64,
    pub partnerships: Vec<PartnershipSla>,
}

/// What one partnership's exceptions are read with: names and protocols, loaded once.
struct Names {
    users: HashMap<String, String>,
    programs: HashMap<String, String>,
    sites: HashMap<String, String>,
    protocols: HashMap<String, ExceptionProtocolRow>,
    pseudonyms: HashMap<String, String>,
}

impl Names {
    fn user(&self, id: &Option<String>) -> Option<String> {
        id.as_ref()
            .map(|id| self.users.get(id).cloned().unwrap_or_else(|| id.clone()))
    }
    fn program(&self, id: &str) -> String {
        self.programs
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

impl App {
    async fn exception_names(
        &self,
        p: &Partnership,
        exceptions: &[ReleaseExceptionRow],
    ) -> Result<Names, AppError> {
        let (m, h, programs, sites, protocols) = tokio::try_join!(
            self.store.users_of(&p.manufacturer_id, Page::all()),
            self.store.users_of(&p.health_system_id, Page::all()),
            self.store.programs_of(&p.manufacturer_id, Page::all()),
            self.store.sites_of(&p.health_system_id, Page::all()),
            self.store
                .exception_protocols_of_partnerships(std::slice::from_ref(&p.id)),
        )?;
        let case_ids: Vec<String> = exceptions.iter().map(|e| e.case_id.clone()).collect();
        let pseudonyms = if case_ids.is_empty() {
            HashMap::new()
        } else {
            self.store.case_pseudonyms(&case_ids).await?
        };
        Ok(Names {
            users: m.into_iter().chain(h).map(|u| (u.id, u.name)).collect(),
            programs: programs.into_iter().map(|p| (p.id, p.name)).collect(),
            sites: sites.into_iter().map(|s| (s.id, s.name)).collect(),
            protocols: protocols.into_iter().map(|v| (v.id.clone(), v)).collect(),
            pseudonyms,
        })
    }

    /// Whether the caller may act on the partnership's protocols (`action`) while it is
    /// active.
    fn may_on_protocols(&self, caller: &Caller, p: &Partnership, action: Action) -> bool {
        p.status == PartnershipStatus::Active
            && caller.principal.is_some()
            && self
                .check(
                    caller,
                    action,
                    ResourceKind::Deliverable,
                    self.partnership_relation(caller, p),
                    "release-exception protocols",
                )
                .is_ok()
    }

    fn protocol_view(
        &self,
        caller: &Caller,
        p: &Partnership,
        names: &Names,
        v: ExceptionProtocolRow,
    ) -> ProtocolVersionView {
        let mine = caller.principal.as_ref().map(|pr| match pr.org_kind {
            OrgKind::Manufacturer => &v.manufacturer_signer,
            OrgKind::HealthSystem => &v.health_system_signer,
        });
        let may_sign = v.status == ProtocolStatus::Draft
            && mine.is_some_and(|m| m.is_none())
            && self.may_on_protocols(caller, p, Action::Update);
        ProtocolVersionView {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            program_name: names.program(&v.program_id),
            manufacturer_signer: names.user(&v.manufacturer_signer),
            health_system_signer: names.user(&v.health_system_signer),
            may_sign,
            id: v.id,
            program_id: v.program_id,
            number: v.number,
            protocol: v.protocol,
            content_sha256: v.content_sha256,
            status: v.status,
            agreed_on: v.agreed_on,
            created_at: v.created_at,
            version: v.version,
        }
    }

    /// A partnership's protocol versions as people read them, with what the caller may do.
    pub async fn partnership_protocols(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<PartnershipProtocols, AppError> {
        let rows = self.exception_protocols(caller, partnership_id).await?;
        let p = self.partnership_row(caller, partnership_id).await?;
        let names = self.exception_names(&p, &[]).await?;
        let programs = self
            .programs_in(&p)
            .await?
            .into_iter()
            .map(|pr| ProgramName {
                id: pr.id,
                name: pr.name,
            })
            .collect();
        Ok(PartnershipProtocols {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            programs,
            may_draft: self.may_on_protocols(caller, &p, Action::Create),
            versions: rows
                .into_iter()
                .map(|v| self.protocol_view(caller, &p, &names, v))
                .collect(),
        })
    }

    /// One protocol version, for a party of its active or ended partnership (404 otherwise).
    pub async fn exception_protocol_view(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ProtocolVersionView, AppError> {
        let what = format!("release-exception protocol {id}");
        let v = self
            .store
            .exception_protocol(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .party_partnership(
                caller,
                &v.partnership_id,
                Action::Read,
                ResourceKind::Deliverable,
                &what,
            )
            .await
            .map_err(|e| e.not_found_as(&what))?;
        let names = self.exception_names(&p, &[]).await?;
        Ok(self.protocol_view(caller, &p, &names, v))
    }

    fn exception_view(
        &self,
        caller: &Caller,
        p: &Partnership,
        names: &Names,
        row: ReleaseExceptionRow,
    ) -> Result<ReleaseExceptionView, AppError> {
        let version = names.protocols.get(&row.protocol_id).ok_or_else(|| {
            AppError::Internal(format!("the protocol of exception {} is gone", row.id))
        })?;
        let protocol = &version.protocol;
        let ex = exception_of(&row);
        let now = self.now();
        let reached = usize::try_from(row.tier_reached).unwrap_or(0);
        let tiers = protocol
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| TierNotice {
                number: i as i64 + 1,
                recipients: t.recipients.clone(),
                channels: t.channels.clone(),
                notify_within_minutes: t.notify_within_minutes,
                escalate_after_hours: t.escalate_after_hours,
                told: i <= reached,
                told_at: if i == reached {
                    Some(row.tier_notified_at)
                } else if i == 0 {
                    Some(row.opened_at)
                } else {
                    None
                },
                escalated: i > 0 && i <= reached,
            })
            .collect();
        let principal = caller.principal.as_ref();
        let open = row.status != ExceptionStatus::Closed;
        let may_acknowledge = open
            && row.acknowledged_at.is_none()
            && principal
                .is_some_and(|pr| ex.may_acknowledge(protocol, pr.org_kind, pr.role).is_ok());
        let may_tell_patient = open
            && principal
                .is_some_and(|pr| ex.may_tell_patient(protocol, pr.org_kind, pr.role).is_ok());
        let decision_options: Vec<DecisionOption> = match principal {
            Some(pr) if open => protocol
                .offered(row.kind)
                .iter()
                .copied()
                .filter(|o| ex.may_decide(protocol, *o, pr.org_kind, pr.role).is_ok())
                .collect(),
            _ => vec![],
        };
        let may_decide = !decision_options.is_empty();
        let recordable_prerequisites: Vec<Prerequisite> = match principal {
            Some(pr) if open => Prerequisite::ALL
                .iter()
                .copied()
                .filter(|p| ex.may_record_prerequisite(*p, pr.org_kind, pr.role).is_ok())
                .collect(),
            _ => vec![],
        };
        let prerequisites_missing = if row.decision == Some(DecisionOption::ExpandedAccess) {
            Prerequisite::ALL
                .iter()
                .copied()
                .filter(|p| !row.prerequisites.contains(p))
                .collect()
        } else {
            vec![]
        };
        let close_sha256 = super::decisions::close_content_hash(&row)?;
        let may_sign = open
            && p.status == PartnershipStatus::Active
            && principal.is_some_and(|pr| ex.may_sign_close(pr.org_kind, pr.role).is_ok());
        Ok(ReleaseExceptionView {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            case_pseudonym: names
                .pseudonyms
                .get(&row.case_id)
                .cloned()
                .unwrap_or_else(|| row.case_id.clone()),
            site_name: names
                .sites
                .get(&row.site_id)
                .cloned()
                .unwrap_or_else(|| row.site_id.clone()),
            program_name: names.program(&row.program_id),
            protocol_number: version.number,
            tiers,
            acknowledged_by: names.user(&row.acknowledged_by),
            next_escalation_at: ex.next_escalation_at(protocol).map(|(_, at)| at),
            patient_teller: protocol.patient_communication.role,
            patient_told_due_at: row.opened_at + protocol.patient_communication.within_hours * HOUR,
            decision_due_at: row.opened_at + protocol.decision_within_hours * HOUR,
            sla: sla(&ex, protocol, now),
            patient_told_by: names.user(&row.patient_told_by),
            decided_by: names.user(&row.decided_by),
            manufacturer_signed_by: names.user(&row.manufacturer_signed_by),
            health_system_signed_by: names.user(&row.health_system_signed_by),
            patient_told_at: row.patient_told_at,
            decision: row.decision,
            decided_at: row.decided_at,
            prerequisites: row.prerequisites.clone(),
            prerequisites_missing,
            manufacturer_signed_at: row.manufacturer_signed_at,
            health_system_signed_at: row.health_system_signed_at,
            close_sha256,
            may_acknowledge,
            may_tell_patient,
            may_decide,
            decision_options,
            may_record_prerequisite: !recordable_prerequisites.is_empty(),
            recordable_prerequisites,
            may_sign,
            id: row.id,
            case_id: row.case_id,
            site_id: row.site_id,
            program_id: row.program_id,
            protocol_id: row.protocol_id,
            kind: row.kind,
            certificate_reference: row.certificate_reference,
            certificate_sha256: row.certificate_sha256,
            lymphodepletion_started: row.lymphodepletion_started,
            opened_at: row.opened_at,
            status: row.status,
            acknowledged_at: row.acknowledged_at,
            version: row.version,
        })
    }

    /// The partnerships whose exceptions the caller sees: its organization's (or, for the
    /// operator, `org_id`'s) where the policy shows it the patients of their cases.
    async fn exception_partnerships(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
    ) -> Result<Vec<Partnership>, AppError> {
        let org = match (&caller.principal, org_id) {
            (Some(principal), _) => principal.org_id.as_str(),
            (None, Some(org)) => org,
            (None, None) => return Ok(vec![]),
        };
        Ok(self
            .store
            .partnerships_of(org, Page::all())
            .await?
            .into_iter()
            // A proposal never accepted opened no case.
            .filter(|p| p.accepted_at.is_some())
            .filter(|p| {
                self.patient_view(caller, self.case_relation(caller, p), "release exceptions")
                    .is_ok()
            })
            .collect())
    }

    /// Every exception the caller may see, newest first.
    pub async fn release_exceptions(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ReleaseExceptionView>, AppError> {
        self.release_exceptions_of(caller, None).await
    }

    /// [`App::release_exceptions`]; the operator names the organization whose partnerships
    /// it reads (a person always reads its own).
    pub async fn release_exceptions_of(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
    ) -> Result<Vec<ReleaseExceptionView>, AppError> {
        let mut out = Vec::new();
        for p in self.exception_partnerships(caller, org_id).await? {
            let rows = self
                .store
                .release_exceptions_of_partnerships(std::slice::from_ref(&p.id))
                .await?;
            if rows.is_empty() {
                continue;
            }
            let names = self.exception_names(&p, &rows).await?;
            for row in rows {
                out.push(self.exception_view(caller, &p, &names, row)?);
            }
        }
        out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One exception as a person reads it (404 unless the caller sees its case's patient).
    pub async fn release_exception_view(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ReleaseExceptionView, AppError> {
        let row = self.release_exception(caller, id).await?;
        let p = self
            .store
            .partnership(&row.partnership_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("release exception {id}")))?;
        let names = self.exception_names(&p, std::slice::from_ref(&row)).await?;
        self.exception_view(caller, &p, &names, row)
    }

    fn partnership_sla(
        &self,
        p: &Partnership,
        names: &Names,
        rows: &[ReleaseExceptionRow],
        now: i64,
    ) -> PartnershipSla {
        let exceptions: Vec<ExceptionSla> = rows
            .iter()
            .filter_map(|row| {
                let protocol = &names.protocols.get(&row.protocol_id)?.protocol;
                Some(ExceptionSla {
                    id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    case_pseudonym: names
                        .pseudonyms
                        .get(&row.case_id)
                        .cloned()
                        .unwrap_or_else(|| row.case_id.clone()),
                    program_name: names.program(&row.program_id),
                    kind: row.kind,
                    opened_at: row.opened_at,
                    sla: sla(&exception_of(row), protocol, now),
                })
            })
            .collect();
        let slas: Vec<Sla> = exceptions.iter().map(|e| e.sla).collect();
        PartnershipSla {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            status: p.status,
            summary: cellpath_domain::release_exception::summary(&slas),
            exceptions,
        }
    }

    /// A partnership's SLA record (404 unless the caller sees its cases' patients).
    pub async fn release_exception_sla(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<PartnershipSla, AppError> {
        let p = self.partnership_row(caller, partnership_id).await?;
        let what = format!("the release exceptions of {}", p.name);
        self.patient_view(caller, self.case_relation(caller, &p), &what)
            .map_err(|e| e.not_found_as(&what))?;
        let rows = self
            .store
            .release_exceptions_of_partnerships(std::slice::from_ref(&p.id))
            .await?;
        let names = self.exception_names(&p, &rows).await?;
        Ok(self.partnership_sla(&p, &names, &rows, self.now()))
    }

    /// The SLA record of every partnership the caller sees exceptions of, by name (those
    /// without any exception included, so a side sees all it answers for).
    pub async fn release_exception_slas(&self, caller: &Caller) -> Result<SlaDashboard, AppError> {
        self.release_exception_slas_of(caller, None).await
    }

    /// [`App::release_exception_slas`]; the operator names the organization.
    pub async fn release_exception_slas_of(
        &self,
        caller: &Caller,
        org_id: Option<&str>,
    ) -> Result<SlaDashboard, AppError> {
        let now = self.now();
        let mut partnerships = Vec::new();
        for p in self.exception_partnerships(caller, org_id).await? {
            let rows = self
                .store
                .release_exceptions_of_partnerships(std::slice::from_ref(&p.id))
                .await?;
            let names = self.exception_names(&p, &rows).await?;
            partnerships.push(self.partnership_sla(&p, &names, &rows, now));
        }
        Ok(SlaDashboard {
            at: now,
            partnerships,
        })
    }
}

/// A command's answer as its view. The commands answer with their row, which is what an
/// `Idempotency-Key` stores; a repeat answers with the same record's view read again (so the
/// answer always has the view's shape), marked as a repeat with the status first given.
impl App {
    /// The record a command answered about, and the status first given when it is a repeat.
    fn answered<R>(
        out: &Outcome<R>,
        id_of: impl Fn(&R) -> String,
    ) -> Result<(String, Option<u16>), AppError> {
        match out {
            Outcome::Fresh(row) => Ok((id_of(row), None)),
            Outcome::Replayed(stored) => serde_json::from_str::<serde_json::Value>(&stored.body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
                .map(|id| (id, Some(stored.status)))
                .ok_or_else(|| AppError::Internal("a stored answer without its id".into())),
        }
    }

    fn view_outcome<V: Serialize>(view: V, replayed: Option<u16>) -> Result<Outcome<V>, AppError> {
        match replayed {
            None => Ok(Outcome::Fresh(view)),
            Some(status) => Ok(Outcome::Replayed(cellpath_store::StoredAnswer {
                status,
                body: serde_json::to_string(&view)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            })),
        }
    }

    /// [`App::open_release_exception`], answered with the exception's view.
    pub async fn open_release_exception_view(
        &self,
        caller: &Caller,
        case_id: &str,
        input: super::OpenReleaseException,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionView>, AppError> {
        let out = self
            .open_release_exception(caller, case_id, input, idem)
            .await?;
        let (id, replayed) = Self::answered(&out, |r| r.id.clone())?;
        Self::view_outcome(self.release_exception_view(caller, &id).await?, replayed)
    }

    /// [`App::acknowledge_release_exception`], answered with the exception's view.
    pub async fn acknowledge_release_exception_view(
        &self,
        caller: &Caller,
        id: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionView>, AppError> {
        let out = self.acknowledge_release_exception(caller, id, idem).await?;
        let (id, replayed) = Self::answered(&out, |r| r.id.clone())?;
        Self::view_outcome(self.release_exception_view(caller, &id).await?, replayed)
    }

    /// [`App::draft_exception_protocol`], answered with the version's view.
    pub async fn draft_exception_protocol_view(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: super::NewExceptionProtocol,
        idem: Option<Idem>,
    ) -> Result<Outcome<ProtocolVersionView>, AppError> {
        let out = self
            .draft_exception_protocol(caller, partnership_id, input, idem)
            .await?;
        let (id, replayed) = Self::answered(&out, |r| r.id.clone())?;
        Self::view_outcome(self.exception_protocol_view(caller, &id).await?, replayed)
    }
}

/// A span of microseconds in words: "45 minutes", "8 hours", "3 days 4 hours".
pub fn span_words(micros: i64) -> String {
    let minutes = micros.max(0) / MINUTE;
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if minutes < 60 {
        return plural(minutes, "minute");
    }
    let hours = minutes / 60;
    if hours < 48 {
        let rest = minutes % 60;
        return if rest == 0 {
            plural(hours, "hour")
        } else {
            format!("{} {}", plural(hours, "hour"), plural(rest, "minute"))
        };
    }
    let (days, rest) = (hours / 24, hours % 24);
    if rest == 0 {
        plural(days, "day")
    } else {
        format!("{} {}", plural(days, "day"), plural(rest, "hour"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span_words(0), "0 minutes");
        assert_eq!(span_words(MINUTE), "1 minute");
        assert_eq!(span_words(45 * MINUTE), "45 minutes");
        assert_eq!(span_words(8 * HOUR), "8 hours");
        assert_eq!(span_words(8 * HOUR + 5 * MINUTE), "8 hours 5 minutes");
        assert_eq!(span_words(72 * HOUR), "3 days");
        assert_eq!(span_words(76 * HOUR), "3 days 4 hours");
    }
}
