//! The review: the recorded verdicts brought up to date with the gate, as
//! `site_authorization.*` events on the partnership's ledger (run as the `ReviewGate` job).

use super::gate::verdict_of;
use super::*;

/// The `site_authorization.created` event of a site's first authorization: the payload as the
/// ledger has always held it.
pub(super) fn authorization_created(row: &SiteAuthorization, v: &Verdict) -> Value {
    json!({ "id": row.id, "new": {
        "partnership_id": row.partnership_id, "site_id": row.site_id, "program_id": row.program_id,
        "status": v.status.as_str(), "since": v.since.as_str(), "missing": v.missing,
    }})
}

/// The `site_authorization.updated` event moving the recorded verdict `r` to `v` (its
/// version is `r`'s next).
pub(super) fn authorization_updated(r: &SiteAuthorization, v: &Verdict) -> Value {
    json!({ "id": r.id, "version": r.version + 1,
        "old": { "status": r.status, "since": r.since, "missing": r.missing },
        "new": { "status": v.status.as_str(), "since": v.since.as_str(), "missing": v.missing } })
}

impl App {
    /// Bring the recorded authorizations of a partnership up to date with the gate on `today`:
    /// a site authorized for the first time, suspended (an agreement withdrawn or expired, a
    /// deliverable or gap changed), or reinstated — each an event on the partnership's ledger,
    /// all in one command, so both sides see them. Returns the changes. Run it after contract
    /// work and daily (expiry happens with no command at all). Whoever may change agreements
    /// or record deliverables may run it: it records what the gate says, nothing of its own.
    pub async fn review_authorizations(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
    ) -> Result<Vec<SiteAuthorization>, AppError> {
        let what = format!("the authorizations of partnership {partnership_id}");
        // Who may change agreements may ask for it (the policy's `contract update`); after
        // every command that may move the gate the app runs it itself, as the system. An
        // ended partnership is reviewed too: ending it suspends what it authorized.
        let p = self.partnership(caller, partnership_id).await?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Update, ResourceKind::Contract, rel, &what)?;
        let record = self.gate_record(&p).await?;
        let recorded = record
            .recorded
            .iter()
            .map(verdict_of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut changes: Vec<(&'static str, Value, String)> = Vec::new();
        for change in record.rule.review(&today, &recorded) {
            let verdict = change
                .transition
                .verdict()
                .expect("a change records a verdict");
            let before = record
                .recorded
                .iter()
                .find(|r| r.site_id == change.site_id && r.program_id == change.program_id);
            match (&change.transition, before) {
                (Transition::FirstAuthorization(v), None) => {
                    let row = SiteAuthorization {
                        id: crate::ids::new_id("auth"),
                        partnership_id: p.id.clone(),
                        site_id: change.site_id.clone(),
                        program_id: change.program_id.clone(),
                        status: v.status,
                        since: v.since.clone(),
                        missing: json!([]),
                        version: 1,
                        created_at: 0,
                        updated_at: 0,
                    };
                    let payload = authorization_created(&row, v);
                    changes.push(("site_authorization.created", payload, row.id));
                }
                (_, Some(r)) => {
                    let payload = authorization_updated(r, verdict);
                    changes.push(("site_authorization.updated", payload, r.id.clone()));
                }
                (t, None) => {
                    return Err(AppError::Internal(format!(
                        "the gate moved a verdict never recorded: {t:?}"
                    )));
                }
            }
        }
        let Some(((kind, first_payload, _), rest)) = changes.split_first() else {
            return Ok(vec![]);
        };
        let then: Vec<cellpath_store::FollowUp> = rest
            .iter()
            .map(|(kind, payload, _)| {
                let (kind, payload) = (kind.to_string(), payload.clone());
                Box::new(move |_: &cellpath_store::Appended| (kind, payload))
                    as cellpath_store::FollowUp
            })
            .collect();
        let kind = *kind;
        self.write(
            caller,
            None,
            Write {
                ledger_id: p.id.clone(),
                opens: None,
                kind,
                payload: first_payload.clone(),
                operational: vec![],
                then,
                redact: None,
                status: 200,
                build: Arc::new(|_| ()),
            },
        )
        .await?
        .fresh()?;
        let changed: Vec<String> = changes.into_iter().map(|(_, _, id)| id).collect();
        Ok(self
            .store
            .site_authorizations_of(&p.id)
            .await?
            .into_iter()
            .filter(|r| changed.contains(&r.id))
            .collect())
    }
}

impl App {
    /// Review every active partnership's authorizations on `today`, all at once: an agreement
    /// that expired overnight suspends the sites resting on it, on the record. Returns the
    /// changes recorded. (The server does not call it: its hourly tick enqueues one
    /// `ReviewGate` job per active partnership, each retried on its own.)
    pub async fn review_all_authorizations(&self, today: Date) -> Result<usize, AppError> {
        let op = Caller::system("authorization-review");
        let mut changed = 0;
        for p in self.active_partnerships().await? {
            match self.review_authorizations(&op, &p.id, today.clone()).await {
                Ok(changes) => changed += changes.len(),
                // One partnership's trouble (a command racing this review, say) must not keep
                // the others' suspensions off the record; the next run tries it again.
                Err(e) => {
                    tracing::warn!(partnership_id = %p.id, error = %e, "reviewing a partnership's authorizations failed; the next run tries again");
                }
            }
        }
        Ok(changed)
    }
}
