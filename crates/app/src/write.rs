//! The one way the app writes: build an event, append it with its idempotent answer.

use crate::{App, AppError, Caller};
use cellpath_domain::events::Event;
use cellpath_ledger::{SIGNATURE_EVENT_TYPE, SignaturePayload};
use cellpath_store::{
    Append, AppendOutcome, Appended, FollowUp, IdempotencyWrite, LedgerKind, Operational,
    StoredAnswer,
};
use serde::Serialize;
use std::sync::Arc;

/// An `Idempotency-Key` and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idem {
    pub key: String,
    pub request_hash: String,
}

/// What a command gives back: the fresh result, or the answer stored the first time this
/// `Idempotency-Key` was used (nothing written again).
#[derive(Debug)]
pub enum Outcome<T> {
    Fresh(T),
    Replayed(StoredAnswer),
}

impl<T> Outcome<T> {
    /// The fresh value made into another (a row into its view); a replay stays as stored.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Fresh(t) => Outcome::Fresh(f(t)),
            Outcome::Replayed(stored) => Outcome::Replayed(stored),
        }
    }

    /// [`Outcome::map`] with a step that reads (e.g. a record's signatures, written by the
    /// same command); a replay stays as stored.
    pub async fn then<U, F>(self, f: impl FnOnce(T) -> F) -> Result<Outcome<U>, AppError>
    where
        F: std::future::Future<Output = Result<U, AppError>>,
    {
        Ok(match self {
            Outcome::Fresh(t) => Outcome::Fresh(f(t).await?),
            Outcome::Replayed(stored) => Outcome::Replayed(stored),
        })
    }

    /// The fresh value; a replay (only possible with an `Idem`) is an internal error here.
    pub fn fresh(self) -> Result<T, AppError> {
        match self {
            Outcome::Fresh(t) => Ok(t),
            Outcome::Replayed(_) => Err(AppError::Internal("unexpected idempotent replay".into())),
        }
    }
}

/// One command's write: its event on a ledger, what else the same transaction holds, and how
/// the answer is built. Made only from typed events ([`Write::event`], [`Write::events`],
/// [`Write::signature`]): its fields are this module's, so no payload is assembled by hand.
pub(crate) struct Write<T> {
    ledger_id: String,
    opens: Option<LedgerKind>,
    kind: &'static str,
    payload: serde_json::Value,
    operational: Vec<Operational>,
    /// Further events of the same command (same ledger, same transaction).
    then: Vec<cellpath_store::FollowUp>,
    /// The command's last event, made from the one appended just before it.
    closing: Option<cellpath_store::FollowUp>,
    /// A top-level field of the answer never stored for repeats (a secret shown once).
    redact: Option<&'static str>,
    /// HTTP status of the answer stored for an idempotent repeat.
    status: u16,
    /// Builds the result from the appended event (run inside the transaction when a key is
    /// given, so the stored answer is exactly what the first caller got).
    build: Arc<dyn Fn(&Appended) -> T + Send + Sync>,
}

/// One of several typed events a command records together ([`Write::events`]), of whichever
/// types, serialized once.
pub(crate) struct Recorded {
    kind: &'static str,
    payload: serde_json::Value,
}

impl Recorded {
    pub fn of<E: Event>(event: &E) -> Recorded {
        Recorded {
            kind: E::KIND,
            payload: payload(event),
        }
    }
}

/// An event's payload: the typed event serialized once, as the ledger will hold it.
fn payload<E: Event>(event: &E) -> serde_json::Value {
    serde_json::to_value(event).expect("an event type serializes to JSON (string keys only)")
}

/// A further event of the same command, made once the first is appended.
pub(crate) fn follow_up<E: Event + Send + Sync + 'static>(
    make: impl FnOnce(&Appended) -> E + Send + Sync + 'static,
) -> FollowUp {
    Box::new(move |a| (E::KIND.to_string(), payload(&make(a))))
}

/// A further event of the same command whose type is known only when it is made (the journey
/// engine's case events, one enum of many types).
pub(crate) fn follow_up_of<E: Serialize + Send + Sync + 'static>(
    kind: &'static str,
    event: E,
) -> FollowUp {
    Box::new(move |_| {
        (
            kind.to_string(),
            serde_json::to_value(&event).expect("an event serializes to JSON"),
        )
    })
}

impl<T> Write<T> {
    /// Record an event whose type is known only when it is made (`kind`, e.g. a case event's
    /// [`cellpath_domain::events::cases::CaseEvent::kind`]).
    pub fn event_of_kind<E: Serialize>(
        ledger_id: impl Into<String>,
        kind: &'static str,
        event: &E,
        build: impl Fn(&Appended) -> T + Send + Sync + 'static,
    ) -> Write<T> {
        Write::of(
            ledger_id.into(),
            kind,
            serde_json::to_value(event).expect("an event serializes to JSON"),
            Arc::new(build),
        )
    }

    /// Record `event` on `ledger_id`; `build` makes the command's answer from the appended
    /// event. Answers 200 unless [`Write::created`].
    pub fn event<E: Event>(
        ledger_id: impl Into<String>,
        event: &E,
        build: impl Fn(&Appended) -> T + Send + Sync + 'static,
    ) -> Write<T> {
        Write::of(ledger_id.into(), E::KIND, payload(event), Arc::new(build))
    }

    /// Several events of one command on `ledger_id`, in order, none of which needs an earlier
    /// one's hash (e.g. the verdicts a review moves); `None` when there are none to record.
    pub fn events(
        ledger_id: impl Into<String>,
        events: Vec<Recorded>,
        build: impl Fn(&Appended) -> T + Send + Sync + 'static,
    ) -> Option<Write<T>> {
        let mut events = events.into_iter();
        let first = events.next()?;
        let rest: Vec<FollowUp> = events
            .map(|r| Box::new(move |_: &Appended| (r.kind.to_string(), r.payload)) as FollowUp)
            .collect();
        Some(Write::of(ledger_id.into(), first.kind, first.payload, Arc::new(build)).then(rest))
    }

    /// An e-signature: the ledger crate's own payload type (partners verify it without
    /// `domain`), of type `SIGNATURE_EVENT_TYPE`.
    pub fn signature(
        ledger_id: impl Into<String>,
        signature: &SignaturePayload,
        build: impl Fn(&Appended) -> T + Send + Sync + 'static,
    ) -> Write<T> {
        Write::of(
            ledger_id.into(),
            SIGNATURE_EVENT_TYPE,
            signature.to_payload(),
            Arc::new(build),
        )
    }

    #[allow(clippy::type_complexity)]
    fn of(
        ledger_id: String,
        kind: &'static str,
        payload: serde_json::Value,
        build: Arc<dyn Fn(&Appended) -> T + Send + Sync>,
    ) -> Write<T> {
        Write {
            ledger_id,
            opens: None,
            kind,
            payload,
            operational: vec![],
            then: vec![],
            closing: None,
            redact: None,
            status: 200,
            build,
        }
    }

    /// The event opens its ledger (an organization's, a partnership's).
    pub fn opening(mut self, kind: LedgerKind) -> Self {
        self.opens = Some(kind);
        self
    }

    /// The answer is 201 Created.
    pub fn created(mut self) -> Self {
        self.status = 201;
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_operational(mut self, op: Operational) -> Self {
        self.operational.push(op);
        self
    }

    /// Further events of the same command, after this one.
    pub fn then(mut self, follow_ups: Vec<FollowUp>) -> Self {
        self.then.extend(follow_ups);
        self
    }

    /// The command's last event, made from the event appended just before it (the
    /// e-signature of a command's last event when others come before it).
    pub fn closing(mut self, follow_up: FollowUp) -> Self {
        self.closing = Some(follow_up);
        self
    }

    /// A top-level field of the answer never stored for repeats (a secret shown once).
    pub fn redact(mut self, field: &'static str) -> Self {
        self.redact = Some(field);
        self
    }

    /// A job that must follow this command (e.g. the gate's review), written in its
    /// transaction: it exists exactly when the command's event does.
    pub fn enqueue(mut self, job: cellpath_store::NewJob) -> Write<T> {
        self.operational.push(Operational::Enqueue(job));
        self
    }

    /// `enqueue` each of these (none, when the command's change calls for none).
    pub fn enqueue_all(self, jobs: impl IntoIterator<Item = cellpath_store::NewJob>) -> Write<T> {
        jobs.into_iter().fold(self, Write::enqueue)
    }
}

impl App {
    /// The first answer to a request already made with this `Idempotency-Key`, if any: a retry
    /// after a lost answer gets it back before any check of the (since changed) state runs.
    /// The same key with another request is refused.
    pub async fn replay(
        &self,
        caller: &Caller,
        idem: &Idem,
    ) -> Result<Option<StoredAnswer>, AppError> {
        let Some(scope) = caller.principal.as_ref().map(|p| p.user_id.as_str()) else {
            return Ok(None);
        };
        match self.store.stored_answer(scope, &idem.key).await? {
            Some((hash, answer)) if hash == idem.request_hash => Ok(Some(answer)),
            Some(_) => Err(AppError::IdempotencyKeyReused),
            None => Ok(None),
        }
    }

    pub(crate) async fn write<T: Serialize + Send + 'static>(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
        w: Write<T>,
    ) -> Result<Outcome<T>, AppError> {
        // Every change passes here, so a read-only token changes nothing whatever it calls.
        if caller.read_only() {
            return Err(AppError::ReadOnlyToken);
        }
        let mut append = Append::new(w.ledger_id, caller.actor(), w.kind, w.payload, self.now());
        let enqueues = w
            .operational
            .iter()
            .any(|op| matches!(op, Operational::Enqueue(_)));
        if let Some(kind) = w.opens {
            append = append.opening(kind);
        }
        for op in w.operational {
            append = append.with_operational(op);
        }
        for f in w.then {
            append = append.then(f);
        }
        if let Some(f) = w.closing {
            append = append.closing(f);
        }
        if let (Some(idem), Some(scope)) =
            (idem, caller.principal.as_ref().map(|p| p.user_id.clone()))
        {
            let build = w.build.clone();
            let status = w.status;
            let redact = w.redact;
            append = append.with_idempotency(Some(IdempotencyWrite {
                scope,
                key: idem.key,
                request_hash: idem.request_hash,
                answer: Box::new(move |a| {
                    let built = build(a);
                    // Byte for byte what the first caller got, except a secret shown once.
                    let body = match redact {
                        None => serde_json::to_string(&built).unwrap_or_else(|_| "{}".into()),
                        Some(field) => {
                            let mut value = serde_json::to_value(&built).unwrap_or_default();
                            if let Some(obj) = value.as_object_mut() {
                                obj.insert(
                                    field.to_string(),
                                    serde_json::Value::String(
                                        "(shown once, when it was created)".into(),
                                    ),
                                );
                            }
                            value.to_string()
                        }
                    };
                    StoredAnswer { status, body }
                }),
            }));
        }
        match self.store.append(append).await? {
            AppendOutcome::Appended { event, .. } => {
                self.count_append();
                if enqueues {
                    self.jobs.wake.notify_one();
                }
                Ok(Outcome::Fresh((w.build)(&event)))
            }
            AppendOutcome::Replayed(answer) => Ok(Outcome::Replayed(answer)),
        }
    }
}
