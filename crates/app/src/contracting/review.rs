//! The review: the recorded verdicts brought up to date with the gate, as
//! `site_authorization.*` events on the partnership's ledger (run as the `ReviewGate` job).

use super::gate::verdict_of;
use super::*;
use crate::write::Recorded;
use cellpath_domain::events::Updated;
use cellpath_domain::events::contracting::{
    SiteAuthorizationCreated, SiteAuthorizationFields, SiteAuthorizationUpdated,
};

/// The `site_authorization.created` event of a site's first authorization, as `id`.
fn authorization_created(
    id: String,
    partnership_id: &str,
    change: &rule::Change,
    v: &Verdict,
) -> SiteAuthorizationCreated {
    SiteAuthorizationCreated {
        id,
        new: SiteAuthorizationFields {
            partnership_id: partnership_id.to_string(),
            site_id: change.site_id.clone(),
            program_id: change.program_id.clone(),
            status: v.status,
            since: v.since.clone(),
            missing: v.missing.clone(),
        },
    }
}

/// The `site_authorization.updated` event moving the recorded verdict `r` to `v` (its
/// version is `r`'s next): old and new hold all three fields, changed or not.
fn authorization_updated(
    r: &SiteAuthorization,
    v: &Verdict,
) -> Result<SiteAuthorizationUpdated, AppError> {
    Ok(Updated {
        id: r.id.clone(),
        version: r.version + 1,
        old: (&verdict_of(r)?.verdict).into(),
        new: v.into(),
    })
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
        let p = self.partnership_row(caller, partnership_id).await?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Update, ResourceKind::Contract, rel, &what)?;
        let record = self.gate_record(&p).await?;
        let recorded = record
            .recorded
            .iter()
            .map(verdict_of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut events: Vec<Recorded> = Vec::new();
        let mut changed: Vec<String> = Vec::new();
        let mut told = Vec::new();
        for change in record.rule.review(&today, &recorded) {
            let verdict = change
                .transition
                .verdict()
                .expect("a change records a verdict");
            let before = record
                .recorded
                .iter()
                .find(|r| r.site_id == change.site_id && r.program_id == change.program_id);
            let (site, program) = self.names_of(&change.site_id, &change.program_id).await?;
            match (&change.transition, before) {
                (Transition::FirstAuthorization(v), None) => {
                    let event =
                        authorization_created(crate::ids::new_id("auth"), &p.id, &change, v);
                    changed.push(event.id.clone());
                    told.extend(crate::outbox::notices::authorization(
                        &p,
                        &event.id,
                        &change.transition,
                        &site,
                        &program,
                    ));
                    events.push(Recorded::of(&event));
                }
                (_, Some(r)) => {
                    events.push(Recorded::of(&authorization_updated(r, verdict)?));
                    changed.push(r.id.clone());
                    told.extend(crate::outbox::notices::authorization(
                        &p,
                        &r.id,
                        &change.transition,
                        &site,
                        &program,
                    ));
                }
                (t, None) => {
                    return Err(AppError::Internal(format!(
                        "the gate moved a verdict never recorded: {t:?}"
                    )));
                }
            }
        }
        let Some(write) = Write::events(&p.id, events, |_| ()) else {
            return Ok(vec![]);
        };
        let write = self.notify(write, &told).await?;
        self.write(caller, None, write).await?.fresh()?;
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
    /// A site's and a program's names, for what people are told (the id when one is gone).
    async fn names_of(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Result<(String, String), AppError> {
        let site = self
            .store
            .site(site_id)
            .await?
            .map_or_else(|| site_id.to_string(), |s| s.name);
        let program = self
            .store
            .program(program_id)
            .await?
            .map_or_else(|| program_id.to_string(), |p| p.name);
        Ok((site, program))
    }

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
