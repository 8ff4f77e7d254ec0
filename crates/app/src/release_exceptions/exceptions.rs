//! Release exceptions of a case (issue 13, points 2-3): opened by the manufacturer's quality
//! with its quality system's decision (certificate reference and hash) under the program's
//! agreed protocol, tier 1 told in the same command; acknowledged by a recipient of a tier
//! told; escalated by a timer job (`Job::EscalateException`, enqueued with a due time in the
//! command that makes it due) whose effect re-reads the exception and records the next tier
//! only if the domain's `escalation_due` says so — and every change applies only to the
//! version it was decided on, so an escalation and an acknowledgement decided at once cannot
//! both be written (the loser is refused under the ledger's lock and, as a job, finds
//! nothing due when retried).
//!
//! [`App::notify_tier`] is the one place a tier's notification is recorded; beside it each
//! command hands the tier's e-mail and webhook messages to the outbox (`App::notify`).

use crate::jobs::Job;
use crate::write::{Write, follow_up};
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::OrgKind;
use cellpath_domain::Role;
use cellpath_domain::events::cases::ReleaseDecision;
use cellpath_domain::events::release_exceptions::{
    ExceptionStatus, ReleaseExceptionChanges, ReleaseExceptionCreated, ReleaseExceptionFields,
    ReleaseExceptionNotified, ReleaseExceptionUpdated,
};
use cellpath_domain::process_map::StepKind;
use cellpath_domain::release_exception::{
    Acknowledged, Exception, ExceptionKind, Notified, Protocol,
};
use cellpath_store::FollowUp;
use cellpath_store::ReleaseExceptionRow;
use serde::Deserialize;

/// The step whose start is the first fact shown on an exception.
const LYMPHODEPLETION: &str = "lymphodepletion";

/// An exception opened on a case, as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenReleaseException {
    pub kind: ExceptionKind,
    pub certificate_reference: String,
    pub certificate_sha256: String,
}

/// The exception as the domain's rules read it: tiers told up to the one reached (only the
/// last one's time matters to escalation), the first acknowledgement, the patient told, the
/// decision, expanded access's prerequisites and the signatures on the close.
pub(crate) fn exception_of(row: &ReleaseExceptionRow) -> Exception {
    let reached = usize::try_from(row.tier_reached).unwrap_or(0);
    let mut notified: Vec<Notified> = (0..reached)
        .map(|tier| Notified {
            tier,
            at: row.opened_at,
        })
        .collect();
    notified.push(Notified {
        tier: reached,
        at: row.tier_notified_at,
    });
    let mut ex = Exception::opened(row.kind, row.opened_at);
    ex.notified = notified;
    if let Some(at) = row.acknowledged_at {
        // Who acknowledged is on the ledger; the rules need only that someone did.
        ex.acknowledged.push(Acknowledged {
            tier: 0,
            side: OrgKind::Manufacturer,
            role: Role::Quality,
            at,
        });
    }
    ex.patient_told_at = row.patient_told_at;
    ex.decided = row.decision.zip(row.decided_at);
    ex.prerequisites = row.prerequisites.clone();
    if let Some(at) = row.manufacturer_signed_at {
        ex.signed.push((OrgKind::Manufacturer, at));
    }
    if let Some(at) = row.health_system_signed_at {
        ex.signed.push((OrgKind::HealthSystem, at));
    }
    ex
}

/// A new exception's row as its opening writes it.
fn opened_row(id: String, n: &ReleaseExceptionFields, now: i64) -> ReleaseExceptionRow {
    ReleaseExceptionRow {
        id,
        partnership_id: n.partnership_id.clone(),
        case_id: n.case_id.clone(),
        site_id: n.site_id.clone(),
        program_id: n.program_id.clone(),
        protocol_id: n.protocol_id.clone(),
        kind: n.kind,
        certificate_reference: n.certificate_reference.clone(),
        certificate_sha256: n.certificate_sha256.clone(),
        lymphodepletion_started: n.lymphodepletion_started,
        opened_at: now,
        tier_reached: 0,
        tier_notified_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        status: ExceptionStatus::Open,
        patient_told_at: None,
        patient_told_by: None,
        decision: None,
        decided_at: None,
        decided_by: None,
        prerequisites: vec![],
        manufacturer_signed_at: None,
        manufacturer_signed_by: None,
        health_system_signed_at: None,
        health_system_signed_by: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The kind of exception a release decision that is not "released" opens.
pub(crate) fn kind_of_decision(decision: ReleaseDecision) -> Option<ExceptionKind> {
    match decision {
        ReleaseDecision::Released => None,
        ReleaseDecision::OutOfSpecification => Some(ExceptionKind::OutOfSpecification),
        ReleaseDecision::ManufacturingFailure => Some(ExceptionKind::ManufacturingFailure),
    }
}

impl App {
    /// Record that `tier` of the protocol was told of the exception: who by side and role,
    /// the channels, when, and whether by escalation. The one place a notification is
    /// recorded.
    pub(crate) fn notify_tier(
        &self,
        exception_id: &str,
        protocol: &Protocol,
        tier: usize,
        at: i64,
        escalated: bool,
    ) -> FollowUp {
        let t = protocol.tiers.get(tier);
        let event = ReleaseExceptionNotified {
            exception_id: exception_id.to_string(),
            tier: tier as i64,
            recipients: t.map(|t| t.recipients.clone()).unwrap_or_default(),
            channels: t.map(|t| t.channels.clone()).unwrap_or_default(),
            at,
            escalated,
        };
        follow_up(move |_| event)
    }

    /// The escalation timer of an exception as it now stands, if any tier is still to come.
    fn escalation_timer(
        &self,
        row: &ReleaseExceptionRow,
        protocol: &Protocol,
    ) -> Option<cellpath_store::NewJob> {
        exception_of(row)
            .next_escalation_at(protocol)
            .map(|(tier, at)| {
                Job::EscalateException {
                    exception_id: row.id.clone(),
                    tier: tier as i64,
                }
                .due(at)
            })
    }

    /// The agreed protocol an exception runs under.
    pub(crate) async fn protocol_of(&self, protocol_id: &str) -> Result<Protocol, AppError> {
        Ok(self
            .store
            .exception_protocol(protocol_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("protocol {protocol_id} is gone")))?
            .protocol)
    }

    /// Open a release exception on a case: the manufacturer's quality, with the certificate
    /// of its quality system's decision. Refused, nothing written, on a case whose map has
    /// no release decision step, or in a program with no agreed protocol.
    pub async fn open_release_exception(
        &self,
        caller: &Caller,
        case_id: &str,
        input: OpenReleaseException,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionRow>, AppError> {
        let (loaded, _) = self.load_case(caller, case_id).await?;
        let principal = caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        if principal.org_kind != OrgKind::Manufacturer
            || principal.org_id != loaded.partnership.manufacturer_id
            || principal.role != Role::Quality
        {
            return Err(AppError::Forbidden(
                "a release exception is opened by the manufacturer's quality, with its quality system's decision".into(),
            ));
        }
        crate::sitemaps::refuse_if_ended(&loaded.partnership)?;
        let mut f = crate::Fields::default();
        if !loaded
            .map
            .map()
            .steps()
            .any(|s| s.kind == StepKind::ReleaseDecision)
        {
            f.fail(
                "case_id",
                format!(
                    "case {} runs on a map without a release decision step: there is no release to make an exception of",
                    loaded.row.pseudonym
                ),
            );
        }
        let reference = f.check(
            "certificate_reference",
            cellpath_domain::Name::parse(&input.certificate_reference),
        );
        let sha = input.certificate_sha256.trim().to_ascii_lowercase();
        if !cellpath_ledger::is_sha256_hex(&sha) {
            f.fail(
                "certificate_sha256",
                "it is 64 hexadecimal digits (the hash of the certificate document)",
            );
        }
        let agreed = self
            .store
            .agreed_exception_protocol(&loaded.partnership.id, &loaded.row.program_id)
            .await?;
        if agreed.is_none() {
            f.fail(
                "kind",
                "the program has no release-exception protocol agreed by both sides: agree one first",
            );
        }
        // One exception waiting for its decision per case: a second would split its
        // notifications, acknowledgements and deadlines in two.
        if let Some(open) = self
            .store
            .release_exceptions_of_case(case_id)
            .await?
            .into_iter()
            .find(|e| e.status == ExceptionStatus::Open)
        {
            f.fail(
                "case_id",
                format!(
                    "case {} already has a release exception ({}, opened {}) waiting for its decision: record what follows on that one",
                    loaded.row.pseudonym,
                    open.kind.words(),
                    cellpath_domain::Date::of_micros(open.opened_at).words(),
                ),
            );
        }
        f.finish()?;
        let protocol = agreed.expect("checked");
        let now = self.now();
        let event = ReleaseExceptionCreated {
            id: crate::ids::new_id("rex"),
            new: ReleaseExceptionFields {
                partnership_id: loaded.partnership.id.clone(),
                case_id: loaded.row.id.clone(),
                site_id: loaded.row.site_id.clone(),
                program_id: loaded.row.program_id.clone(),
                protocol_id: protocol.id.clone(),
                kind: input.kind,
                certificate_reference: reference.expect("checked").into_string(),
                certificate_sha256: sha,
                lymphodepletion_started: loaded.case.current(LYMPHODEPLETION).is_some(),
                opened_at: now,
                tier_reached: 0,
                tier_notified_at: now,
                acknowledged_at: None,
                acknowledged_by: String::new(),
                status: ExceptionStatus::Open,
            },
        };
        let row = opened_row(event.id.clone(), &event.new, now);
        let write = Write::event(&loaded.partnership.id, &event, {
            let row = row.clone();
            move |e| ReleaseExceptionRow {
                created_at: e.recorded_at,
                updated_at: e.recorded_at,
                ..row.clone()
            }
        })
        .created();
        let write = self
            .tell_first_tier(write, &loaded.partnership, &row, &protocol.protocol)
            .await?;
        self.write(caller, idem, write).await
    }

    /// What follows an exception's opening in the same command: tier 1 told (the record and
    /// the outbox's messages) and the escalation timer.
    async fn tell_first_tier<T>(
        &self,
        write: Write<T>,
        partnership: &cellpath_store::Partnership,
        row: &ReleaseExceptionRow,
        protocol: &Protocol,
    ) -> Result<Write<T>, AppError> {
        let mut write = write.then(vec![self.notify_tier(
            &row.id,
            protocol,
            0,
            row.opened_at,
            false,
        )]);
        if let Some(first) = protocol.tiers.first() {
            let told = crate::outbox::notices::release_exception_tier(
                partnership,
                &row.case_id,
                &row.id,
                &row.kind.as_str().replace('_', " "),
                first,
                0,
                false,
            );
            write = self.notify(write, &told).await?;
        }
        if let Some(timer) = self.escalation_timer(row, protocol) {
            write = write.enqueue(timer);
        }
        Ok(write)
    }

    /// The exception a release decision that is not "released" opens, in the command that
    /// records the decision (issue 13, point 2): its kind from the decision, the certificate
    /// reference and hash the step recorded, under the program's agreed protocol — none
    /// agreed, nothing opens (the manufacturer opens it once one is, `open_release_exception`).
    pub(crate) async fn open_on_release<T>(
        &self,
        write: Write<T>,
        partnership: &cellpath_store::Partnership,
        case: &cellpath_domain::journey::Case,
        decision: ReleaseDecision,
        certificate_reference: &str,
        certificate_sha256: &str,
    ) -> Result<Write<T>, AppError> {
        let Some(kind) = kind_of_decision(decision) else {
            return Ok(write);
        };
        let Some(protocol) = self
            .store
            .agreed_exception_protocol(&partnership.id, &case.program_id)
            .await?
        else {
            return Ok(write);
        };
        let now = self.now();
        let event = ReleaseExceptionCreated {
            id: crate::ids::new_id("rex"),
            new: ReleaseExceptionFields {
                partnership_id: partnership.id.clone(),
                case_id: case.id.clone(),
                site_id: case.site_id.clone(),
                program_id: case.program_id.clone(),
                protocol_id: protocol.id.clone(),
                kind,
                certificate_reference: certificate_reference.to_string(),
                certificate_sha256: certificate_sha256.to_string(),
                lymphodepletion_started: case.current(LYMPHODEPLETION).is_some(),
                opened_at: now,
                tier_reached: 0,
                tier_notified_at: now,
                acknowledged_at: None,
                acknowledged_by: String::new(),
                status: ExceptionStatus::Open,
            },
        };
        let row = opened_row(event.id.clone(), &event.new, now);
        let write = write.then(vec![follow_up(move |_| event)]);
        self.tell_first_tier(write, partnership, &row, &protocol.protocol)
            .await
    }

    /// An exception the caller may see: through its case (404 otherwise).
    pub async fn release_exception(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ReleaseExceptionRow, AppError> {
        let what = format!("release exception {id}");
        let row = self
            .store
            .release_exception(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        self.case_row_seen(caller, &row.case_id)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        Ok(row)
    }

    /// Acknowledge an exception: a recipient of a tier told, by side and role. The first
    /// acknowledgement stops the escalation; a later one is refused as already done.
    pub async fn acknowledge_release_exception(
        &self,
        caller: &Caller,
        id: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionRow>, AppError> {
        let row = self.release_exception(caller, id).await?;
        let principal = caller.principal.as_ref().ok_or(AppError::Unauthenticated)?;
        let protocol = self.protocol_of(&row.protocol_id).await?;
        let ex = exception_of(&row);
        if row.acknowledged_at.is_some() {
            return Err(AppError::invalid(
                "status",
                "the exception was already acknowledged",
            ));
        }
        ex.may_acknowledge(&protocol, principal.org_kind, principal.role)
            .map_err(|r| AppError::Forbidden(r.to_string()))?;
        let now = self.now();
        let update = ReleaseExceptionUpdated {
            id: row.id.clone(),
            version: row.version + 1,
            old: ReleaseExceptionChanges {
                acknowledged_at: Some(None),
                acknowledged_by: Some(String::new()),
                ..Default::default()
            },
            new: ReleaseExceptionChanges {
                acknowledged_at: Some(Some(now)),
                acknowledged_by: Some(principal.user_id.clone()),
                ..Default::default()
            },
        };
        let acked = ReleaseExceptionRow {
            acknowledged_at: Some(now),
            acknowledged_by: Some(principal.user_id.clone()),
            version: row.version + 1,
            ..row.clone()
        };
        self.write(
            caller,
            idem,
            Write::event(&row.partnership_id, &update, move |e| ReleaseExceptionRow {
                updated_at: e.recorded_at,
                ..acked.clone()
            }),
        )
        .await
    }

    /// The escalation timer's effect: tell the next tier if, as the exception now stands,
    /// it is due — nothing when someone acknowledged, when that tier was told already (the
    /// job run twice) or when it is not yet due. Written only on the version read, so an
    /// acknowledgement recorded meanwhile wins and this finds nothing due when retried.
    pub async fn escalate_release_exception(&self, id: &str) -> Result<bool, AppError> {
        let Some(row) = self.store.release_exception(id).await? else {
            return Ok(false);
        };
        let protocol = self.protocol_of(&row.protocol_id).await?;
        let now = self.now();
        let Some(tier) = exception_of(&row).escalation_due(&protocol, now) else {
            return Ok(false);
        };
        let update = ReleaseExceptionUpdated {
            id: row.id.clone(),
            version: row.version + 1,
            old: ReleaseExceptionChanges {
                tier_reached: Some(row.tier_reached),
                tier_notified_at: Some(row.tier_notified_at),
                ..Default::default()
            },
            new: ReleaseExceptionChanges {
                tier_reached: Some(tier as i64),
                tier_notified_at: Some(now),
                ..Default::default()
            },
        };
        let escalated = ReleaseExceptionRow {
            tier_reached: tier as i64,
            tier_notified_at: now,
            version: row.version + 1,
            ..row.clone()
        };
        let mut write = Write::event(&row.partnership_id, &update, {
            let escalated = escalated.clone();
            move |e| ReleaseExceptionRow {
                updated_at: e.recorded_at,
                ..escalated.clone()
            }
        })
        .then(vec![self.notify_tier(&row.id, &protocol, tier, now, true)]);
        if let (Some(p), Some(t)) = (
            self.store.partnership(&row.partnership_id).await?,
            protocol.tiers.get(tier),
        ) {
            let told = crate::outbox::notices::release_exception_tier(
                &p,
                &row.case_id,
                &row.id,
                &row.kind.as_str().replace('_', " "),
                t,
                tier,
                true,
            );
            write = self.notify(write, &told).await?;
        }
        if let Some(timer) = self.escalation_timer(&escalated, &protocol) {
            write = write.enqueue(timer);
        }
        let system = Caller::system("release-exception escalation");
        self.write(&system, None, write).await?;
        Ok(true)
    }
}
