//! What follows an exception's notification (issue 13, points 2-3): the patient told by the
//! protocol's teller (`record_patient_told`), the decision among the options the protocol
//! offers for the kind (`decide_release_exception`) — remanufacture or re-collection take the
//! case back to those steps as new attempts, cancellation cancels it, each through the journey
//! engine in the same transaction —, expanded access's four prerequisites, the last of which
//! lets the case go on (`record_exception_prerequisite`), and the close signed by each side
//! (`sign_release_exception`). Each is checked by the domain's rules on the exception as its
//! row stands and written on that row's version, so two commands decided at once cannot both
//! be written. `release_exception_timeline` reads it all back from the ledger.

use super::exceptions::exception_of;
use crate::cases::Loaded;
use crate::views::audit::Signature;
use crate::write::{Write, follow_up};
use crate::{App, AppError, Caller, Idem, Outcome};
use cellpath_domain::OrgKind;
use cellpath_domain::consent::ConsentDocumentType;
use cellpath_domain::events::Event as _;
use cellpath_domain::events::cases::CaseEvent;
use cellpath_domain::events::release_exceptions::{
    ExceptionStatus, ReleaseExceptionChanges, ReleaseExceptionCreated, ReleaseExceptionDecided,
    ReleaseExceptionNotified, ReleaseExceptionPatientTold, ReleaseExceptionPrerequisiteRecorded,
    ReleaseExceptionUpdated,
};
use cellpath_domain::journey::{Command, ExceptionOutcome, decide};
use cellpath_domain::policy::Principal;
use cellpath_domain::process_map::StepKind;
use cellpath_domain::release_exception::{
    DecisionOption, Exception, ExceptionRefusal, Prerequisite, Protocol, TellMethod,
};
use cellpath_domain::values::{Name, Notes};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::ReleaseExceptionRow;
use serde::{Deserialize, Serialize};

/// What a signature on an exception's close names as its record kind.
pub const CLOSE_RECORD: &str = "release_exception";

/// The patient told, as a form or an API call sends it.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientTold {
    pub method: TellMethod,
    /// When the patient was told: not before the exception, not in the future.
    #[schema(schema_with = crate::views::schema::micros)]
    pub told_at: i64,
    #[serde(default)]
    pub note: String,
}

/// A decision, as a form or an API call sends it. Another therapy and a cancellation need the
/// care-transition plan.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDecision {
    pub option: DecisionOption,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub care_transition_plan: Option<String>,
}

/// One prerequisite of expanded access, as a form or an API call sends it: its reference
/// (the request's, the IRB approval's, the consent's, the release certificate's) and the
/// document's SHA-256 when there is one (required for the consent and the release).
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionPrerequisite {
    pub prerequisite: Prerequisite,
    pub reference: String,
    #[serde(default)]
    pub document_sha256: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// One line of an exception's timeline: when, what, who, in words.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExceptionTimelineEntry {
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
    /// opened, notified, escalated, acknowledged, patient_told, decided, prerequisite, signed,
    /// closed.
    pub what: String,
    /// The person's name; none for what the system did (a timer's escalation).
    pub by: Option<String>,
    pub words: String,
}

/// The exception's timeline, oldest first.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ExceptionTimeline {
    pub exception_id: String,
    pub entries: Vec<ExceptionTimelineEntry>,
}

fn refusal(r: ExceptionRefusal) -> AppError {
    match r {
        ExceptionRefusal::NotPatientTeller { .. }
        | ExceptionRefusal::NotDecider
        | ExceptionRefusal::NotSigner
        | ExceptionRefusal::NotRecipient { .. }
        | ExceptionRefusal::NotPrerequisiteRecorder { .. } => AppError::Forbidden(r.to_string()),
        ExceptionRefusal::NotOffered { .. } => AppError::invalid("option", r),
        other => AppError::State(other.to_string()),
    }
}

/// A write lost to another command on the same exception or case: said in words.
fn lost(e: AppError) -> AppError {
    match e {
        AppError::Conflict { .. } => AppError::State(
            "the exception or its case changed while you acted: reload it and try again".into(),
        ),
        other => other,
    }
}

fn optional_note(field: &str, text: &str) -> Result<String, AppError> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    Notes::parse(text)
        .map(|n| n.into_string())
        .map_err(|e| AppError::invalid(field, e))
}

/// The exception's row after `changes`, as the command writes it.
fn changed(row: &ReleaseExceptionRow, c: &ReleaseExceptionChanges) -> ReleaseExceptionRow {
    let mut r = row.clone();
    r.version += 1;
    if let Some(at) = c.patient_told_at {
        r.patient_told_at = at;
    }
    if let Some(by) = &c.patient_told_by {
        r.patient_told_by = Some(by.clone());
    }
    if let Some(d) = &c.decision {
        r.decision = d.parse().ok();
    }
    if let Some(at) = c.decided_at {
        r.decided_at = at;
    }
    if let Some(by) = &c.decided_by {
        r.decided_by = Some(by.clone());
    }
    if let Some(p) = &c.prerequisites {
        r.prerequisites = p.clone();
    }
    if let Some(at) = c.manufacturer_signed_at {
        r.manufacturer_signed_at = at;
    }
    if let Some(by) = &c.manufacturer_signed_by {
        r.manufacturer_signed_by = Some(by.clone());
    }
    if let Some(at) = c.health_system_signed_at {
        r.health_system_signed_at = at;
    }
    if let Some(by) = &c.health_system_signed_by {
        r.health_system_signed_by = Some(by.clone());
    }
    if let Some(s) = c.status {
        r.status = s;
    }
    r
}

/// The write of a change to the exception's row, answering the row as it now stands.
fn row_write(
    row: &ReleaseExceptionRow,
    old: ReleaseExceptionChanges,
    new: ReleaseExceptionChanges,
) -> Write<ReleaseExceptionRow> {
    let after = changed(row, &new);
    let update = ReleaseExceptionUpdated {
        id: row.id.clone(),
        version: row.version + 1,
        old,
        new,
    };
    Write::event(&row.partnership_id, &update, move |e| ReleaseExceptionRow {
        updated_at: e.recorded_at,
        ..after.clone()
    })
}

/// What both sides sign to close an exception: the exception, its certificate and what was
/// decided, as canonical JSON's SHA-256.
pub(super) fn close_content_hash(row: &ReleaseExceptionRow) -> Result<String, AppError> {
    let content = serde_json::json!({
        "exception_id": row.id,
        "case_id": row.case_id,
        "kind": row.kind.as_str(),
        "certificate_reference": row.certificate_reference,
        "certificate_sha256": row.certificate_sha256,
        "decision": row.decision.map(|d| d.as_str()).unwrap_or(""),
        "decided_at": row.decided_at,
        "patient_told_at": row.patient_told_at,
        "prerequisites": row.prerequisites.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    });
    cellpath_ledger::content_hash(&content).map_err(|e| AppError::Internal(e.to_string()))
}

/// The step of a case stopped at `release` that a decision takes it back to: for
/// remanufacture the first manufacturing step after the material's last handoff into
/// manufacturing (the release itself when the map names none between); for re-collection the
/// scheduling of the collection (the step before the material's first handoff), so the new
/// chain the site books records it again.
fn restart_step(loaded: &Loaded, release: &str, option: DecisionOption) -> Option<String> {
    let map = loaded.map.map();
    let case = &loaded.case;
    let before: Vec<_> = map
        .steps()
        .filter(|s| map.comes_before(&s.key, release) && case.is_done(&s.key))
        .collect();
    let handoffs: Vec<_> = before
        .iter()
        .filter(|s| s.kind == StepKind::CustodyHandoff)
        .collect();
    match option {
        DecisionOption::Remanufacture => {
            let after_handoffs = before.iter().filter(|s| {
                s.kind != StepKind::CustodyHandoff
                    && handoffs.iter().all(|h| map.comes_before(&h.key, &s.key))
                    && !s.role.allowed_in(OrgKind::HealthSystem)
            });
            after_handoffs
                .clone()
                .find(|s| {
                    after_handoffs
                        .clone()
                        .all(|o| o.key == s.key || !map.comes_before(&o.key, &s.key))
                })
                .map(|s| s.key.clone())
                .or_else(|| Some(release.to_string()))
        }
        DecisionOption::ReCollection => {
            let first = handoffs.iter().find(|h| {
                handoffs
                    .iter()
                    .all(|o| o.key == h.key || !map.comes_before(&o.key, &h.key))
            })?;
            let earlier: Vec<_> = before
                .iter()
                .filter(|s| map.comes_before(&s.key, &first.key))
                .collect();
            let latest = |kind: Option<StepKind>| {
                earlier
                    .iter()
                    .filter(|s| kind.is_none_or(|k| s.kind == k))
                    .find(|s| {
                        earlier.iter().all(|o| {
                            kind.is_some_and(|k| o.kind != k)
                                || o.key == s.key
                                || !map.comes_before(&s.key, &o.key)
                        })
                    })
                    .map(|s| s.key.clone())
            };
            latest(Some(StepKind::Schedule)).or_else(|| latest(None))
        }
        _ => None,
    }
}

impl App {
    /// The exception, its case loaded, and the person acting: 404 when the caller may not
    /// see the case's patient, 403 when it may not change it (an ended partnership).
    async fn exception_to_change(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(ReleaseExceptionRow, Loaded, Principal, Protocol), AppError> {
        let row = self.release_exception(caller, id).await?;
        let (loaded, _) = self.load_case(caller, &row.case_id).await?;
        self.check_case_change(caller, &loaded)?;
        let principal = caller
            .principal
            .clone()
            .ok_or_else(|| AppError::Forbidden("a person acts on an exception".into()))?;
        let protocol = self.exception_protocol_of(&row.protocol_id).await?;
        Ok((row, loaded, principal, protocol))
    }

    async fn exception_protocol_of(&self, protocol_id: &str) -> Result<Protocol, AppError> {
        Ok(self
            .store
            .exception_protocol(protocol_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("protocol {protocol_id} is gone")))?
            .protocol)
    }

    /// Record that the patient was told: by the protocol's teller at the health system, once,
    /// when (not before the exception, not in the future) and how, with a note. The deadline
    /// (opened + the protocol's hours) goes on the record beside it.
    pub async fn record_patient_told(
        &self,
        caller: &Caller,
        id: &str,
        input: PatientTold,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionRow>, AppError> {
        let (row, _, principal, protocol) = self.exception_to_change(caller, id).await?;
        let ex = exception_of(&row);
        ex.may_tell_patient(&protocol, principal.org_kind, principal.role)
            .map_err(refusal)?;
        let now = self.now();
        let mut f = crate::Fields::default();
        if input.told_at > now {
            f.fail("told_at", "the patient cannot have been told in the future");
        } else if input.told_at < row.opened_at {
            f.fail(
                "told_at",
                "the patient was told of the exception after it was opened, not before",
            );
        }
        let note = f.check(
            "note",
            optional_note("note", &input.note).map_err(|_| "at most 4000 characters"),
        );
        f.finish()?;
        let told = ReleaseExceptionPatientTold {
            exception_id: row.id.clone(),
            by: principal.user_id.clone(),
            method: input.method,
            told_at: input.told_at,
            note: note.expect("checked"),
            due_at: ex.patient_due_at(&protocol),
            at: now,
        };
        let write = row_write(
            &row,
            ReleaseExceptionChanges {
                patient_told_at: Some(None),
                patient_told_by: Some(String::new()),
                ..Default::default()
            },
            ReleaseExceptionChanges {
                patient_told_at: Some(Some(input.told_at)),
                patient_told_by: Some(principal.user_id.clone()),
                ..Default::default()
            },
        )
        .then(vec![follow_up(move |_| told)]);
        self.write(caller, idem, write).await.map_err(lost)
    }

    /// Decide an exception: only an option the protocol offers for its kind (the refusal
    /// names those offered; nothing written), by the health system's physician or the
    /// manufacturer's quality, once. Remanufacture and re-collection give the case's
    /// manufacturing or collection steps a new attempt through the journey engine; a
    /// cancellation cancels the case with the care-transition plan; another therapy records
    /// the plan. All in one transaction.
    pub async fn decide_release_exception(
        &self,
        caller: &Caller,
        id: &str,
        input: ExceptionDecision,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionRow>, AppError> {
        let (row, loaded, principal, protocol) = self.exception_to_change(caller, id).await?;
        let ex: Exception = exception_of(&row);
        ex.may_decide(&protocol, input.option, principal.org_kind, principal.role)
            .map_err(refusal)?;
        let mut f = crate::Fields::default();
        let note = f.check(
            "note",
            optional_note("note", &input.note).map_err(|_| "at most 4000 characters"),
        );
        let needs_plan = matches!(
            input.option,
            DecisionOption::OtherTherapy | DecisionOption::Cancel
        );
        let plan = input.care_transition_plan.unwrap_or_default();
        let plan = if needs_plan {
            f.check(
                "care_transition_plan",
                Notes::parse(&plan)
                    .map(|n| n.into_string())
                    .map_err(|_| {
                        "say where the patient's care goes from here: the care-transition plan is required for another therapy or a cancellation"
                    }),
            )
        } else {
            if !plan.trim().is_empty() {
                f.fail(
                    "care_transition_plan",
                    format!(
                        "a care-transition plan goes with another therapy or a cancellation, not with \"{}\"",
                        input.option.words()
                    ),
                );
            }
            Some(String::new())
        };
        f.finish()?;
        let (note, plan) = (note.expect("checked"), plan.expect("checked"));
        let now = self.now();
        // What the decision does to the case, decided by the journey engine.
        let outcome = match input.option {
            DecisionOption::Remanufacture | DecisionOption::ReCollection => {
                let cellpath_domain::journey::CaseStatus::Stopped { step: release, .. } =
                    &loaded.case.status
                else {
                    return Err(AppError::State(format!(
                        "case {} is not stopped at its release decision: there is nothing to make or collect again",
                        loaded.row.pseudonym
                    )));
                };
                let step = restart_step(&loaded, release, input.option).ok_or_else(|| {
                    AppError::State(format!(
                        "the map of case {} has no done step to go back to for \"{}\"",
                        loaded.row.pseudonym,
                        input.option.words()
                    ))
                })?;
                Some(ExceptionOutcome::Restart {
                    step,
                    reason: format!(
                        "release exception decided: {}{}",
                        input.option.words(),
                        if note.is_empty() {
                            String::new()
                        } else {
                            format!(" — {note}")
                        }
                    ),
                })
            }
            DecisionOption::Cancel => Some(ExceptionOutcome::Cancel {
                care_transition_note: plan.clone(),
            }),
            _ => None,
        };
        let case_events: Vec<CaseEvent> = match outcome {
            Some(outcome) => decide(
                &loaded.map,
                &loaded.case,
                &Command::AfterException {
                    exception_id: row.id.clone(),
                    outcome,
                },
                &crate::cases::actor_of(caller)?,
                now,
            )
            .map_err(crate::cases::refused)?,
            None => vec![],
        };
        let decided = ReleaseExceptionDecided {
            exception_id: row.id.clone(),
            option: input.option,
            note,
            care_transition_plan: plan,
            by: principal.user_id.clone(),
            due_at: ex.decision_due_at(&protocol),
            at: now,
        };
        let write = row_write(
            &row,
            ReleaseExceptionChanges {
                decision: Some(String::new()),
                decided_at: Some(None),
                decided_by: Some(String::new()),
                status: Some(row.status),
                ..Default::default()
            },
            ReleaseExceptionChanges {
                decision: Some(input.option.as_str().to_string()),
                decided_at: Some(Some(now)),
                decided_by: Some(principal.user_id.clone()),
                status: Some(ExceptionStatus::Decided),
                ..Default::default()
            },
        )
        .then(vec![follow_up(move |_| decided)]);
        let write = if case_events.is_empty() {
            write
        } else {
            self.with_case_events(write, &loaded, case_events).await?
        };
        self.write(caller, idem, write).await.map_err(lost)
    }

    /// Record one of expanded access's prerequisites, by its side and role, once infusion
    /// under expanded access is decided. The fourth lets the case go on: the journey engine
    /// takes the out-of-specification product as usable, in the same transaction; until then
    /// the case stays stopped at its release decision, and its infusion closed.
    pub async fn record_exception_prerequisite(
        &self,
        caller: &Caller,
        id: &str,
        input: ExceptionPrerequisite,
        idem: Option<Idem>,
    ) -> Result<Outcome<ReleaseExceptionRow>, AppError> {
        let (row, loaded, principal, _) = self.exception_to_change(caller, id).await?;
        let ex = exception_of(&row);
        ex.may_record_prerequisite(input.prerequisite, principal.org_kind, principal.role)
            .map_err(refusal)?;
        let mut f = crate::Fields::default();
        let reference = f.check("reference", Name::parse(&input.reference));
        let sha = input
            .document_sha256
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let needs_document = matches!(
            input.prerequisite,
            Prerequisite::ExpandedAccessConsent | Prerequisite::ManufacturerRelease
        );
        if !sha.is_empty() && !cellpath_ledger::is_sha256_hex(&sha) {
            f.fail(
                "document_sha256",
                "it is 64 hexadecimal digits (the hash of the document)",
            );
        } else if sha.is_empty() && needs_document {
            f.fail(
                "document_sha256",
                format!(
                    "{} is recorded with its document's SHA-256",
                    input.prerequisite.words()
                ),
            );
        }
        let note = f.check(
            "note",
            optional_note("note", &input.note).map_err(|_| "at most 4000 characters"),
        );
        f.finish()?;
        let now = self.now();
        let mut after = row.prerequisites.clone();
        after.push(input.prerequisite);
        let recorded = ReleaseExceptionPrerequisiteRecorded {
            exception_id: row.id.clone(),
            prerequisite: input.prerequisite,
            reference: reference.expect("checked").into_string(),
            document_sha256: sha,
            consent_document_type: (input.prerequisite == Prerequisite::ExpandedAccessConsent)
                .then_some(ConsentDocumentType::ExpandedAccess),
            note: note.expect("checked"),
            by: principal.user_id.clone(),
            at: now,
        };
        let mut cleared = ex.clone();
        cleared.prerequisites = after.clone();
        let write = row_write(
            &row,
            ReleaseExceptionChanges {
                prerequisites: Some(row.prerequisites.clone()),
                ..Default::default()
            },
            ReleaseExceptionChanges {
                prerequisites: Some(after),
                ..Default::default()
            },
        )
        .then(vec![follow_up(move |_| recorded)]);
        let write = if cleared.expanded_access_cleared() {
            let events = decide(
                &loaded.map,
                &loaded.case,
                &Command::AfterException {
                    exception_id: row.id.clone(),
                    outcome: ExceptionOutcome::ExpandedAccess {
                        note: "expanded access: physician request, IRB approval, expanded-access consent and the manufacturer's release recorded".into(),
                    },
                },
                &crate::cases::actor_of(caller)?,
                now,
            )
            .map_err(crate::cases::refused)?;
            self.with_case_events(write, &loaded, events).await?
        } else {
            write
        };
        self.write(caller, idem, write).await.map_err(lost)
    }

    /// Sign the close of an exception for the caller's side (21 CFR Part 11: the password
    /// re-entered, meaning approved, on the hash of what was decided): only once decided and
    /// the patient told (under expanded access, its prerequisites recorded), once per side;
    /// the second side's signature closes it.
    pub async fn sign_release_exception(
        &self,
        caller: &Caller,
        id: &str,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Signature>, AppError> {
        let (row, _, principal, _) = self.exception_to_change(caller, id).await?;
        let ex = exception_of(&row);
        let side = principal.org_kind;
        ex.may_sign_close(side, principal.role).map_err(refusal)?;
        let now = self.now();
        let closes = ex.signed.len() == 1;
        let mut old = ReleaseExceptionChanges::default();
        let mut new = ReleaseExceptionChanges::default();
        match side {
            OrgKind::Manufacturer => {
                old.manufacturer_signed_at = Some(None);
                old.manufacturer_signed_by = Some(String::new());
                new.manufacturer_signed_at = Some(Some(now));
                new.manufacturer_signed_by = Some(principal.user_id.clone());
            }
            OrgKind::HealthSystem => {
                old.health_system_signed_at = Some(None);
                old.health_system_signed_by = Some(String::new());
                new.health_system_signed_at = Some(Some(now));
                new.health_system_signed_by = Some(principal.user_id.clone());
            }
        }
        if closes {
            old.status = Some(row.status);
            new.status = Some(ExceptionStatus::Closed);
        }
        let update = ReleaseExceptionUpdated {
            id: row.id.clone(),
            version: row.version + 1,
            old,
            new,
        };
        self.sign_with(
            caller,
            &row.partnership_id,
            Signed::Record {
                record_kind: CLOSE_RECORD.into(),
                record_id: row.id.clone(),
                content_hash: close_content_hash(&row)?,
            },
            Meaning::Approved,
            password,
            idem,
            vec![follow_up(move |_| update)],
            vec![],
        )
        .await
        .map(|o| o.map(Into::into))
        .map_err(lost)
    }

    /// An exception's timeline, oldest first: its opening, every tier told (escalations
    /// marked), the acknowledgement, the patient told, the decision, expanded access's
    /// prerequisites and each side's signature on the close — with who and when, in words.
    pub async fn release_exception_timeline(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ExceptionTimeline, AppError> {
        let row = self.release_exception(caller, id).await?;
        let events = self
            .store
            .events_of_type(&row.partnership_id, "release_exception.")
            .await?;
        let mut raw: Vec<(i64, &'static str, Option<String>, String)> = Vec::new();
        for e in &events {
            let body: serde_json::Value = serde_json::from_str(&e.body)
                .map_err(|err| AppError::Internal(format!("event {}: {err}", e.seq)))?;
            let payload = body.get("payload").cloned().unwrap_or(body.clone());
            let read = |what: &str| AppError::Internal(format!("event {} ({what})", e.seq));
            match e.kind.as_str() {
                k if k == ReleaseExceptionCreated::KIND => {
                    let c: ReleaseExceptionCreated =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if c.id != row.id {
                        continue;
                    }
                    raw.push((
                        c.new.opened_at,
                        "opened",
                        None,
                        format!(
                            "opened: {} (certificate {}); lymphodepleting chemotherapy {}",
                            c.new.kind.words(),
                            c.new.certificate_reference,
                            if c.new.lymphodepletion_started {
                                "had started"
                            } else {
                                "had not started"
                            }
                        ),
                    ));
                }
                k if k == ReleaseExceptionNotified::KIND => {
                    let n: ReleaseExceptionNotified =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if n.exception_id != row.id {
                        continue;
                    }
                    let who = n
                        .recipients
                        .iter()
                        .map(|r| {
                            format!(
                                "{} ({})",
                                r.role.as_str().replace('_', " "),
                                r.side.as_str().replace('_', " ")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let channels = n
                        .channels
                        .iter()
                        .map(|c| c.as_str().replace('_', "-"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    raw.push((
                        n.at,
                        if n.escalated { "escalated" } else { "notified" },
                        None,
                        format!(
                            "tier {} told{}: {who}, by {channels}",
                            n.tier + 1,
                            if n.escalated {
                                " (nobody had acknowledged)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
                k if k == ReleaseExceptionUpdated::KIND => {
                    let u: ReleaseExceptionUpdated =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if u.id != row.id {
                        continue;
                    }
                    if let (Some(Some(at)), Some(by)) =
                        (u.new.acknowledged_at, u.new.acknowledged_by.clone())
                    {
                        raw.push((at, "acknowledged", Some(by), "acknowledged".into()));
                    }
                }
                k if k == ReleaseExceptionPatientTold::KIND => {
                    let t: ReleaseExceptionPatientTold =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if t.exception_id != row.id {
                        continue;
                    }
                    let late = if t.told_at > t.due_at {
                        " — after the protocol's deadline"
                    } else {
                        ""
                    };
                    let note = if t.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", t.note)
                    };
                    raw.push((
                        t.told_at,
                        "patient_told",
                        Some(t.by),
                        format!("told the patient {}{late}{note}", t.method.words()),
                    ));
                }
                k if k == ReleaseExceptionDecided::KIND => {
                    let d: ReleaseExceptionDecided =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if d.exception_id != row.id {
                        continue;
                    }
                    let mut words = format!("decided: {}", d.option.words());
                    if !d.care_transition_plan.is_empty() {
                        words.push_str(&format!(
                            "; care-transition plan: {}",
                            d.care_transition_plan
                        ));
                    }
                    if !d.note.is_empty() {
                        words.push_str(&format!(" ({})", d.note));
                    }
                    raw.push((d.at, "decided", Some(d.by), words));
                }
                k if k == ReleaseExceptionPrerequisiteRecorded::KIND => {
                    let p: ReleaseExceptionPrerequisiteRecorded =
                        serde_json::from_value(payload).map_err(|_| read(k))?;
                    if p.exception_id != row.id {
                        continue;
                    }
                    raw.push((
                        p.at,
                        "prerequisite",
                        Some(p.by),
                        format!("recorded {}: {}", p.prerequisite.words(), p.reference),
                    ));
                }
                _ => {}
            }
        }
        let content = close_content_hash(&row)?;
        for s in self.store.signatures_on(&content).await? {
            if s.ledger_id != row.partnership_id {
                continue;
            }
            raw.push((
                s.signed_at,
                "signed",
                Some(s.signer_user_id.clone()),
                format!("signed the close ({})", s.meaning.as_str()),
            ));
        }
        if let (ExceptionStatus::Closed, Some(at)) = (
            row.status,
            row.manufacturer_signed_at.max(row.health_system_signed_at),
        ) {
            raw.push((at, "closed", None, "closed, signed by both sides".into()));
        }
        raw.sort_by_key(|(at, ..)| *at);
        let ids: Vec<String> = raw.iter().filter_map(|(_, _, by, _)| by.clone()).collect();
        let names = self.store.names_of(&ids).await?;
        let entries = raw
            .into_iter()
            .map(|(at, what, by, words)| ExceptionTimelineEntry {
                at,
                what: what.to_string(),
                by: by.map(|id| names.names.get(&id).cloned().unwrap_or(id)),
                words,
            })
            .collect();
        Ok(ExceptionTimeline {
            exception_id: row.id,
            entries,
        })
    }
}

/// Where an exception's handling stands, as the decision commands answer it: the patient
/// told, the decision, expanded access's prerequisites (recorded and still missing) and each
/// side's signature on the close. The ETag is its version.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExceptionProgress {
    pub id: String,
    pub case_id: String,
    pub kind: cellpath_domain::release_exception::ExceptionKind,
    /// open, decided or closed.
    pub status: ExceptionStatus,
    pub patient_told_at: Option<i64>,
    pub decision: Option<DecisionOption>,
    /// The decision in words.
    pub decision_words: Option<String>,
    pub decided_at: Option<i64>,
    pub prerequisites: Vec<Prerequisite>,
    /// Expanded access's prerequisites not yet recorded (none unless expanded access was
    /// decided).
    pub prerequisites_missing: Vec<Prerequisite>,
    pub manufacturer_signed_at: Option<i64>,
    pub health_system_signed_at: Option<i64>,
    pub version: i64,
}

impl From<ReleaseExceptionRow> for ExceptionProgress {
    fn from(r: ReleaseExceptionRow) -> Self {
        let missing = if r.decision == Some(DecisionOption::ExpandedAccess) {
            Prerequisite::ALL
                .iter()
                .copied()
                .filter(|p| !r.prerequisites.contains(p))
                .collect()
        } else {
            vec![]
        };
        ExceptionProgress {
            id: r.id,
            case_id: r.case_id,
            kind: r.kind,
            status: r.status,
            patient_told_at: r.patient_told_at,
            decision: r.decision,
            decision_words: r.decision.map(|d| d.words().to_string()),
            decided_at: r.decided_at,
            prerequisites: r.prerequisites,
            prerequisites_missing: missing,
            manufacturer_signed_at: r.manufacturer_signed_at,
            health_system_signed_at: r.health_system_signed_at,
            version: r.version,
        }
    }
}
