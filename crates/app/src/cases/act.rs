//! Acting on a case: the command as a person sends it (`CaseInput`), decided by the journey
//! engine on the case folded from its events, and written in one transaction on the
//! partnership's ledger with the case's version checked under the ledger's lock. Two people
//! acting on the same step at once: one is written; the other is decided again on the case as
//! it now stands, and refused with what happened in between (409). A refusal that leaves a
//! deviation on the record (a scan of another case's bag) writes just that deviation. Signed
//! steps and deviations check the password re-entered before anything is written and append
//! the e-signature naming the command's first event.

use super::adverse::AdverseEventGraded;
use super::{Loaded, actor_of};
use crate::write::{Write, follow_up_of};
use crate::{App, AppError, Caller, FieldError, Idem, Outcome};
use cellpath_domain::Date;
use cellpath_domain::events::cases::{
    CaseEvent, ConsentGiver, EhrAttestation, PriorAuthorization, ReleaseDecision,
};
use cellpath_domain::journey::{
    Action, Command, Consent, Disposition, Entry, Handoff, Item, LateAdministration, Refusal, Scan,
    Temperature, decide,
};
use cellpath_domain::policy::PatientView;
use cellpath_domain::process_map::SignatureMeaning;
use cellpath_domain::program::IdentifierKind;
use cellpath_ledger::Meaning;
use cellpath_store::{ConsentVersion, FollowUp, Operational};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many times an action is decided again when someone else's action came in between.
const RETRIES: usize = 3;

/// A scanned or typed identifier and the label field it was read from.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    pub expected: IdentifierKind,
    pub text: String,
}

impl From<ScanInput> for Scan {
    fn from(s: ScanInput) -> Scan {
        Scan {
            expected: s.expected,
            text: s.text,
        }
    }
}

/// One action on a case, as a form or an API call sends it. Step actions carry the step's
/// listed `fields`, or the EHR `attestation` for a step charted there. (Serialized as the API
/// reads it, for a client that sends one: `cellpath case bench`.)
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseInput {
    Record {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    Handoff {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
        /// Empty: the starting material before release, every unit not yet ended after it.
        #[serde(default)]
        items: Vec<Item>,
        from: String,
        to: String,
        location: Option<String>,
        scan: Option<ScanInput>,
        temperature: Temperature,
    },
    Release {
        step: String,
        decision: ReleaseDecision,
        certificate_reference: String,
        certificate_sha256: String,
    },
    Schedule {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
        on: Date,
        slot: Option<String>,
    },
    PassHold {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    Thaw {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    /// A unit given after its thaw window closed needs `late_reason` and the password.
    Administer {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
        disposition: Disposition,
        late_reason: Option<String>,
    },
    Monitor {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
        from: Date,
    },
    FollowUp {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    Checklist {
        step: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
        ticked: Vec<String>,
    },
    /// Needs the password.
    Sign {
        step: String,
        meaning: SignatureMeaning,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    Verify {
        step: String,
        scan: Option<ScanInput>,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        attestation: Option<EhrAttestation>,
    },
    AddIdentifier {
        kind: IdentifierKind,
        text: String,
        unit: Option<String>,
    },
    EndUnit {
        unit: String,
        disposition: Disposition,
    },
    Skip {
        step: String,
        reason: String,
    },
    Repeat {
        step: String,
        reason: String,
    },
    /// Needs the password.
    Deviation {
        step: Option<String>,
        reason: String,
    },
    Hold {
        reason: String,
    },
    Resume {
        note: String,
    },
    Cancel {
        care_transition_note: String,
    },
    /// A scheduled registry form submitted (by its key, e.g. `cibmtr-4100-day-100`).
    SubmitRegistryForm {
        form: String,
        submitted_on: Date,
        reference: String,
    },
    /// Benefits verified: payer, plan and the prior authorization.
    VerifyBenefits {
        payer: String,
        plan: String,
        prior_authorization: PriorAuthorization,
    },
    /// The patient's informed consent against the site's active consent version for the
    /// case's program: who consented, the day the form was signed (`YYYY-MM-DD`), the witness.
    RecordConsent {
        consent_version_id: String,
        consented_by: ConsentGiver,
        signed_on: String,
        witness: String,
    },
}

fn entry(fields: BTreeMap<String, String>, attestation: Option<EhrAttestation>) -> Entry {
    Entry {
        fields,
        attestation,
    }
}

impl CaseInput {
    /// The meaning of the e-signature this action carries, if it is signed.
    fn signed_as(&self) -> Option<Meaning> {
        match self {
            CaseInput::Sign { meaning, .. } => Some(ledger_meaning(*meaning)),
            CaseInput::Deviation { .. } => Some(Meaning::Authored),
            CaseInput::Administer {
                late_reason: Some(_),
                ..
            } => Some(Meaning::Performed),
            _ => None,
        }
    }

    /// The journey's command; `signed`: the password was re-entered and checked; `consent`:
    /// the consent version a consent names, as loaded.
    fn command(self, signed: bool, consent: Option<ConsentVersion>) -> Result<Command, AppError> {
        let act = |step: String, entry: Entry, action: Action| Command::Act {
            step,
            entry,
            action,
        };
        Ok(match self {
            CaseInput::Record {
                step,
                fields,
                attestation,
            } => act(step, entry(fields, attestation), Action::Record),
            CaseInput::Handoff {
                step,
                fields,
                attestation,
                items,
                from,
                to,
                location,
                scan,
                temperature,
            } => act(
                step,
                entry(fields, attestation),
                Action::Handoff(Handoff {
                    items,
                    from,
                    to,
                    location,
                    scan: scan.map(Scan::from),
                    temperature,
                }),
            ),
            CaseInput::Release {
                step,
                decision,
                certificate_reference,
                certificate_sha256,
            } => act(
                step,
                Entry::default(),
                Action::Release {
                    decision,
                    certificate_reference,
                    certificate_sha256,
                },
            ),
            CaseInput::Schedule {
                step,
                fields,
                attestation,
                on,
                slot,
            } => act(
                step,
                entry(fields, attestation),
                Action::Schedule { on, slot },
            ),
            CaseInput::PassHold {
                step,
                fields,
                attestation,
            } => act(step, entry(fields, attestation), Action::PassHold),
            CaseInput::Thaw {
                step,
                fields,
                attestation,
            } => act(step, entry(fields, attestation), Action::Thaw),
            CaseInput::Administer {
                step,
                fields,
                attestation,
                disposition,
                late_reason,
            } => act(
                step,
                entry(fields, attestation),
                Action::Administer {
                    disposition,
                    late: late_reason.map(|reason| LateAdministration {
                        reason,
                        password_reentered: signed,
                    }),
                },
            ),
            CaseInput::Monitor {
                step,
                fields,
                attestation,
                from,
            } => act(step, entry(fields, attestation), Action::Monitor { from }),
            CaseInput::FollowUp {
                step,
                fields,
                attestation,
            } => act(step, entry(fields, attestation), Action::FollowUp),
            CaseInput::Checklist {
                step,
                fields,
                attestation,
                ticked,
            } => act(
                step,
                entry(fields, attestation),
                Action::Checklist { ticked },
            ),
            CaseInput::Sign {
                step,
                meaning,
                fields,
                attestation,
            } => Command::Sign {
                step,
                meaning,
                password_reentered: signed,
                entry: entry(fields, attestation),
            },
            CaseInput::Verify {
                step,
                scan,
                fields,
                attestation,
            } => Command::Verify {
                step,
                scan: scan.map(Scan::from),
                entry: entry(fields, attestation),
            },
            CaseInput::AddIdentifier { kind, text, unit } => {
                Command::AddIdentifier { kind, text, unit }
            }
            CaseInput::EndUnit { unit, disposition } => Command::EndUnit { unit, disposition },
            CaseInput::Skip { step, reason } => Command::Skip { step, reason },
            CaseInput::Repeat { step, reason } => Command::Repeat { step, reason },
            CaseInput::Deviation { step, reason } => Command::Deviation {
                step,
                reason,
                password_reentered: signed,
            },
            CaseInput::Hold { reason } => Command::Hold { reason },
            CaseInput::Resume { note } => Command::Resume { note },
            CaseInput::Cancel {
                care_transition_note,
            } => Command::Cancel {
                care_transition_note,
            },
            CaseInput::SubmitRegistryForm {
                form,
                submitted_on,
                reference,
            } => Command::SubmitRegistryForm {
                key: form,
                submitted_on,
                reference,
            },
            CaseInput::VerifyBenefits {
                payer,
                plan,
                prior_authorization,
            } => Command::VerifyBenefits {
                payer,
                plan,
                prior_authorization,
            },
            CaseInput::RecordConsent {
                consent_version_id,
                consented_by,
                signed_on,
                witness,
            } => {
                let v = consent.ok_or_else(|| {
                    AppError::not_found(format!("consent version {consent_version_id}"))
                })?;
                let signed_on =
                    Date::parse(&signed_on).map_err(|e| AppError::invalid("signed_on", e))?;
                Command::RecordConsent(Box::new(Consent {
                    version_id: v.id.clone(),
                    version_site_id: v.site_id.clone(),
                    version_program_id: v.program_id.clone(),
                    version: v.facts(),
                    document_sha256: v.document_sha256,
                    consented_by,
                    signed_on,
                    witness,
                }))
            }
        })
    }

    /// The consent version a consent names, if this is one.
    fn consent_version_id(&self) -> Option<&str> {
        match self {
            CaseInput::RecordConsent {
                consent_version_id, ..
            } => Some(consent_version_id),
            _ => None,
        }
    }
}

fn ledger_meaning(m: SignatureMeaning) -> Meaning {
    match m {
        SignatureMeaning::Authored => Meaning::Authored,
        SignatureMeaning::Reviewed => Meaning::Reviewed,
        SignatureMeaning::Approved => Meaning::Approved,
        SignatureMeaning::Verified => Meaning::Verified,
        SignatureMeaning::Performed => Meaning::Performed,
    }
}

/// What an action wrote: the case's new version and the events recorded, by type.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct CaseActed {
    pub case_id: String,
    pub pseudonym: String,
    pub version: i64,
    /// The types of the events written, e.g. case.step_recorded.
    pub recorded: Vec<String>,
    #[schema(schema_with = crate::views::schema::micros)]
    pub at: i64,
    /// For an adverse event's command: the event's grade after it, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adverse_event: Option<AdverseEventGraded>,
}

/// The journey's refusal as the app answers it: 409 when the case as it stands is the reason
/// (done already, waiting, on hold), 422 when the command itself is wrong.
pub(crate) fn refused(r: Refusal) -> AppError {
    if let Refusal::Fields { problems } = r {
        return AppError::Invalid(
            problems
                .into_iter()
                .map(|p| FieldError {
                    field: p.field,
                    message: p.message,
                })
                .collect(),
        );
    }
    if let Refusal::UnknownAdverseEvent { pseudonym, number } = &r {
        return AppError::NotFound(format!("adverse event #{number} of case {pseudonym}"));
    }
    if r.is_conflict() {
        AppError::State(r.to_string())
    } else {
        AppError::invalid("", r)
    }
}

impl App {
    /// Do one action on a case (a step, a signature, a hold, a cancellation…). `password`:
    /// re-entered for signed actions (ignored by the others). `if_match`: the version the
    /// caller last read; when given, a case changed since is a 412 rather than decided again.
    pub async fn act_on_case(
        &self,
        caller: &Caller,
        case_id: &str,
        input: CaseInput,
        password: &str,
        if_match: Option<i64>,
        idem: Option<Idem>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let meaning = input.signed_as();
        let act = Decided {
            command: &|signed, consent| input.clone().command(signed, consent),
            consent_version_id: input.consent_version_id(),
            meaning,
            password,
            if_match,
            idem,
            created: false,
        };
        self.decide_on_case(caller, case_id, act).await
    }

    /// Decide a command on the case as it stands and write its events, deciding again when
    /// someone else's action came in between (unless the caller sent If-Match).
    pub(super) async fn decide_on_case(
        &self,
        caller: &Caller,
        case_id: &str,
        act: Decided<'_>,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let actor = actor_of(caller)?;
        let mut first_version = None;
        // The password is checked once, at the first decision: a retry after someone else's
        // action is the same signing, not a second attempt at the password.
        let mut signing = None;
        for _ in 0..RETRIES {
            let (loaded, view) = self.load_case(caller, case_id).await?;
            self.check_case_change(caller, &loaded)?;
            if let Some(v) = act.if_match
                && v != loaded.row.version
            {
                return Err(AppError::Conflict {
                    what: format!("case {}", loaded.row.pseudonym),
                    current: loaded.row.version,
                });
            }
            let first = *first_version.get_or_insert(loaded.row.version);
            if let (None, Some(m)) = (&signing, act.meaning) {
                signing = Some(self.signing(caller, act.password, m, "signing").await?);
            }
            let signature = signing.as_ref().map(crate::auth::Signing::follow_up);
            // The version is read in each try and checked unchanged under the ledger's lock: one
            // retired meanwhile is a conflict, decided again, and refused — nothing written.
            let consent = match act.consent_version_id {
                Some(id) => self.store.consent_version(id).await?,
                None => None,
            };
            let check = consent.as_ref().map(|v| Operational::ConsentVersionAt {
                id: v.id.clone(),
                version: v.version,
            });
            let command = (act.command)(signature.is_some(), consent)?;
            let written = match decide(&loaded.map, &loaded.case, &command, &actor, self.now()) {
                Ok(events) => {
                    let written = WrittenCase {
                        adverse_event: super::adverse::summary(&loaded.case, &events),
                        events,
                        signature,
                        created: act.created,
                        check,
                    };
                    self.write_case_events(caller, act.idem.clone(), &loaded, written)
                        .await
                }
                Err(refusal) => {
                    let Some(deviation) = refusal.recorded().cloned() else {
                        return Err(meanwhile(refused(refusal), &loaded, first, view));
                    };
                    let written = WrittenCase {
                        events: vec![deviation],
                        signature: None,
                        adverse_event: None,
                        created: false,
                        check: None,
                    };
                    match self.write_case_events(caller, None, &loaded, written).await {
                        Ok(_) => return Err(refused(refusal)),
                        Err(e) => Err(e),
                    }
                }
            };
            match written {
                Err(AppError::Conflict { .. }) if act.if_match.is_none() => continue,
                other => return other,
            }
        }
        Err(AppError::State(
            "this case is changing too fast to record your action; reload it and try again".into(),
        ))
    }

    /// Append a decision's events on the partnership's ledger, the case's version checked
    /// under the lock, with the e-signature (naming the first event) when signed; `check`: a
    /// further check under the lock (the consent version a consent names, unchanged).
    async fn write_case_events(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
        loaded: &Loaded,
        written: WrittenCase,
    ) -> Result<Outcome<CaseActed>, AppError> {
        let WrittenCase {
            events,
            signature,
            adverse_event,
            created,
            check,
        } = written;
        let count = events.len() as i64;
        let open_steps = crate::inbox::case_open_steps(&loaded.map, &loaded.case, &events);
        let kinds: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
        let invoicing = self.invoice_jobs(&loaded.row, &events).await?;
        let released = events.iter().find_map(|e| match e {
            CaseEvent::StepRecorded(r) => match &r.outcome {
                cellpath_domain::events::cases::Outcome::Released {
                    decision,
                    certificate_reference,
                    certificate_sha256,
                } if *decision != ReleaseDecision::Released => Some((
                    *decision,
                    certificate_reference.clone(),
                    certificate_sha256.clone(),
                )),
                _ => None,
            },
            _ => None,
        });
        let mut events = events.into_iter();
        let first = events
            .next()
            .ok_or_else(|| AppError::Internal("a decision records at least one event".into()))?;
        let mut then: Vec<FollowUp> = events.map(|e| follow_up_of(e.kind(), e)).collect();
        then.extend(signature);
        let (case_id, pseudonym) = (loaded.row.id.clone(), loaded.row.pseudonym.clone());
        let version = loaded.row.version + count;
        let write = Write::event_of_kind(
            loaded.row.partnership_id.clone(),
            first.kind(),
            &first,
            move |a| CaseActed {
                case_id: case_id.clone(),
                pseudonym: pseudonym.clone(),
                version,
                recorded: kinds.clone(),
                at: a.recorded_at,
                adverse_event: adverse_event.clone(),
            },
        )
        .then(then)
        .with_operational(Operational::CaseDecidedOn {
            case_id: loaded.row.id.clone(),
            decided_on: loaded.row.version,
            events: count,
        })
        .with_operational(Operational::CaseOpenSteps {
            case_id: loaded.row.id.clone(),
            steps: open_steps,
        })
        .enqueue_all(invoicing);
        let write = if created { write.created() } else { write };
        // A release decision that is not "released" opens its release exception in the same
        // transaction (issue 13): the kind from the decision, the certificate from the step.
        let write = match released {
            Some((decision, reference, sha)) => {
                self.open_on_release(
                    write,
                    &loaded.partnership,
                    &loaded.case,
                    decision,
                    &reference,
                    &sha,
                )
                .await?
            }
            None => write,
        };
        let write = match check {
            Some(op) => write.with_operational(op),
            None => write,
        };
        self.write(caller, idem, write).await
    }
}

impl App {
    /// A case's events decided by the journey engine, written by another command's write (a
    /// release exception's decision): the events after that command's own, the case's version
    /// checked under the lock and its open steps replaced, in the same transaction.
    pub(crate) async fn with_case_events<T>(
        &self,
        write: Write<T>,
        loaded: &Loaded,
        events: Vec<CaseEvent>,
    ) -> Result<Write<T>, AppError> {
        let count = events.len() as i64;
        let open_steps = crate::inbox::case_open_steps(&loaded.map, &loaded.case, &events);
        let invoicing = self.invoice_jobs(&loaded.row, &events).await?;
        let then: Vec<FollowUp> = events
            .into_iter()
            .map(|e| follow_up_of(e.kind(), e))
            .collect();
        Ok(write
            .then(then)
            .with_operational(Operational::CaseDecidedOn {
                case_id: loaded.row.id.clone(),
                decided_on: loaded.row.version,
                events: count,
            })
            .with_operational(Operational::CaseOpenSteps {
                case_id: loaded.row.id.clone(),
                steps: open_steps,
            })
            .enqueue_all(invoicing))
    }
}

/// How a command is decided and written: the journey's command (given whether the password
/// was re-entered and checked), the e-signature it carries, the version the caller read, the
/// idempotency key, and whether its answer is a 201 (a new record on the case).
pub(super) struct Decided<'a> {
    /// The journey's command: whether the password was checked, and the consent version the
    /// input names as the store holds it now.
    pub command:
        &'a (dyn Fn(bool, Option<ConsentVersion>) -> Result<Command, AppError> + Send + Sync),
    /// The consent version the command records a consent against, read in each try.
    pub consent_version_id: Option<&'a str>,
    pub meaning: Option<Meaning>,
    pub password: &'a str,
    pub if_match: Option<i64>,
    pub idem: Option<Idem>,
    pub created: bool,
}

/// What a decision writes.
struct WrittenCase {
    events: Vec<CaseEvent>,
    signature: Option<FollowUp>,
    adverse_event: Option<AdverseEventGraded>,
    created: bool,
    /// A check the store makes under the lock (the consent version unchanged).
    check: Option<Operational>,
}

/// A refusal after the case changed under the caller: what happened in between comes first,
/// so the person knows it was someone else's action, not theirs, that settled it.
/// What happened since the caller's first try, told within the caller's view of the patient
/// (identifiers and typed fields only from the chain of identity up).
fn meanwhile(e: AppError, loaded: &Loaded, first_version: i64, view: PatientView) -> AppError {
    let identifiers = view >= PatientView::ChainOfIdentity;
    let since: Vec<String> = loaded
        .events
        .iter()
        .skip(usize::try_from(first_version).unwrap_or(usize::MAX))
        .map(|(row, event)| super::timeline::sentence(&loaded.map, row, event, identifiers))
        .collect();
    if since.is_empty() {
        return e;
    }
    let happened = since.join("; ");
    match e {
        AppError::State(m) => AppError::State(format!("while you acted, {happened}: {m}")),
        other => other,
    }
}
