//! Gate deliverables (DESIGN.md §2) on the partnership's ledger: recorded done at a site for a
//! program by the side that did the work, revoked when they stop holding (a failed re-audit,
//! lapsed training, a withdrawn consent version), recorded done again. Each of these is
//! e-signed in the same command, with the password re-entered; each enqueues the gate's review
//! in its transaction, so an authorization or a suspension follows it on the record.

use super::{DeliverableInput, day_or_empty, or_empty};
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::contracting::Deliverable;
use cellpath_domain::events::Diff;
use cellpath_domain::events::contracting::{
    DeliverableRecordChanges, DeliverableRecordCreated, DeliverableRecordFields,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, Notes, Principal};
use cellpath_ledger::Meaning;
use cellpath_store::{DeliverableRecord, Partnership};

/// Only the side that did the work attests it, or takes it back.
fn refuse_other_side(d: Deliverable, principal: &Principal) -> Result<(), AppError> {
    let by = d.recorded_by();
    if by.allows(principal.org_kind) {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "{} is recorded by {}",
        d.label(),
        by.who()
    )))
}

impl App {
    /// Record a gate deliverable done at a site, e-signed by the recorder in the same command
    /// (the password re-entered). Three items are not recorded here, each fulfilled by what
    /// both sides or the hospital keep in cellpath: a signed site map by the site map version
    /// both sides signed, the consent by the site's active consent version, and the
    /// release-exception protocol by the protocol version of the program both sides signed.
    /// A consent or protocol recorded by hand before stays readable, and revocable. One that
    /// was revoked is recorded done again on its own row (the ledger keeps each version). The
    /// last deliverable may authorize a site: the gate's review is enqueued with it.
    pub async fn record_deliverable(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: DeliverableInput,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<crate::views::DeliverableRecord>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Create,
                ResourceKind::Deliverable,
                &format!("deliverables of partnership {partnership_id}"),
            )
            .await?;
        let principal = caller.principal.as_ref().ok_or_else(|| {
            AppError::Forbidden("only a person records a deliverable: it needs a signature".into())
        })?;
        let mut f = Fields::default();
        let deliverable = f.check("deliverable", input.deliverable.parse::<Deliverable>());
        if deliverable == Some(Deliverable::SiteMapSigned) {
            f.fail(
                "deliverable",
                "a signed site map is fulfilled by the site's map version signed by both sides; sign the site map instead",
            );
        }
        if deliverable == Some(Deliverable::ConsentWithFailureLanguage) {
            f.fail(
                "deliverable",
                "informed consent is fulfilled by the site's active consent version for the program; add the form under the site's consent documents and make it active there",
            );
        }
        if deliverable == Some(Deliverable::ReleaseExceptionProtocol) {
            f.fail(
                "deliverable",
                "the release-exception protocol is fulfilled by the protocol version both sides sign for the program; draft and sign it under the release-exception protocols on the partnership's page",
            );
        }
        if let Some(d) = deliverable {
            refuse_other_side(d, principal)?;
        }
        self.check_sites_of(&mut f, "site_id", std::slice::from_ref(&input.site_id), &p)
            .await?;
        if !self
            .programs_in(&p)
            .await?
            .iter()
            .any(|pr| pr.id == input.program_id)
        {
            f.fail("program_id", "is not a program of this partnership");
        }
        let done_on = f.check("done_on", Date::parse(&input.done_on));
        // A deliverable is recorded once done: a date ahead would let the gate count work
        // that has not happened.
        let today = Date::of_micros(self.now());
        if let Some(d) = &done_on
            && d > &today
        {
            f.fail(
                "done_on",
                format!(
                    "{} is after today ({}); record a deliverable once it is done",
                    d.as_str(),
                    today.as_str()
                ),
            );
        }
        let evidence = f.check("evidence", Notes::parse(&input.evidence));
        f.finish()?;
        let deliverable = deliverable.expect("checked");
        let done_on = done_on.expect("checked");
        let evidence = evidence.expect("checked").into_string();
        let before = self
            .store
            .deliverable_records_of(&p.id, &input.site_id, &input.program_id)
            .await?
            .into_iter()
            .find(|r| r.deliverable == deliverable);
        if let Some(r) = before.as_ref().filter(|r| r.counts()) {
            return Err(AppError::Duplicate {
                field: "deliverable".into(),
                message: format!(
                    "{deliverable} was already recorded for this site and program (done on {})",
                    r.done_on
                ),
            });
        }
        let sign = self
            .signature_of(
                caller,
                password,
                Meaning::Verified,
                "recording a deliverable",
            )
            .await?;
        let write = match before {
            // Revoked before: done again, on the same row.
            Some(r) => {
                let next = DeliverableRecord {
                    done_on: done_on.clone(),
                    evidence: evidence.clone(),
                    revoked_on: None,
                    revoked_reason: None,
                    version: r.version + 1,
                    ..r.clone()
                };
                // Every field of the revocation's record, cleared or not.
                let mut changes = Diff::<DeliverableRecordChanges>::default();
                changes.set(|c| &mut c.done_on, r.done_on.clone(), done_on);
                changes.set(|c| &mut c.evidence, r.evidence.clone(), evidence);
                changes.set(|c| &mut c.revoked_on, r.revoked_on.clone(), None);
                changes.set(
                    |c| &mut c.revoked_reason,
                    or_empty(&r.revoked_reason).to_string(),
                    String::new(),
                );
                Write::event(&p.id, &changes.updated(&r.id, next.version), move |e| {
                    DeliverableRecord {
                        updated_at: e.recorded_at,
                        ..next.clone()
                    }
                })
            }
            None => {
                let event = DeliverableRecordCreated {
                    id: crate::ids::new_id("dlv"),
                    new: DeliverableRecordFields {
                        partnership_id: p.id.clone(),
                        site_id: input.site_id.clone(),
                        program_id: input.program_id.clone(),
                        deliverable,
                        done_on,
                        evidence,
                        revoked_on: None,
                        revoked_reason: String::new(),
                    },
                };
                let r = DeliverableRecord {
                    id: event.id.clone(),
                    partnership_id: event.new.partnership_id.clone(),
                    site_id: event.new.site_id.clone(),
                    program_id: event.new.program_id.clone(),
                    deliverable,
                    done_on: event.new.done_on.clone(),
                    evidence: event.new.evidence.clone(),
                    revoked_on: None,
                    revoked_reason: None,
                    version: 1,
                    created_at: 0,
                    updated_at: 0,
                };
                Write::event(&p.id, &event, move |e| DeliverableRecord {
                    created_at: e.recorded_at,
                    updated_at: e.recorded_at,
                    ..r.clone()
                })
                .created()
            }
        };
        self.write(
            caller,
            idem,
            write.then(vec![sign]).enqueue(self.review_gate(&p.id)),
        )
        .await?
        .then(|r| self.signed_deliverable(caller, r))
        .await
    }

    /// Take back a recorded deliverable that no longer holds — a failed re-audit, training
    /// that lapsed, a consent version withdrawn, a mistake — with the reason, e-signed
    /// (meaning `reviewed`, the password re-entered) by the side that records it. The gate
    /// stops counting it today, and the verdicts are recorded at once: a site that rested on
    /// it is suspended.
    pub async fn revoke_deliverable(
        &self,
        caller: &Caller,
        record_id: &str,
        expected_version: i64,
        reason: &str,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<crate::views::DeliverableRecord>, AppError> {
        let (r, p) = self.deliverable_for_revoking(caller, record_id).await?;
        let principal = caller.principal.as_ref().ok_or_else(|| {
            AppError::Forbidden("only a person revokes a deliverable: it needs a signature".into())
        })?;
        let deliverable = r.deliverable;
        refuse_other_side(deliverable, principal)?;
        let mut f = Fields::default();
        let reason = f.check("reason", Notes::parse(reason));
        f.finish()?;
        crate::records::expect_version(
            &format!("deliverable {record_id}"),
            r.version,
            expected_version,
        )?;
        if !r.counts() {
            return Err(AppError::invalid(
                "deliverable",
                format!(
                    "{} was already revoked on {}; record it done again when it holds",
                    deliverable.label(),
                    day_or_empty(&r.revoked_on)
                ),
            ));
        }
        let sign = self
            .signature_of(
                caller,
                password,
                Meaning::Reviewed,
                "revoking a deliverable",
            )
            .await?;
        let today = Date::of_micros(self.now());
        let reason = reason.expect("checked").into_string();
        let next = DeliverableRecord {
            revoked_on: Some(today.clone()),
            revoked_reason: Some(reason.clone()),
            version: r.version + 1,
            ..r.clone()
        };
        let mut changes = Diff::<DeliverableRecordChanges>::default();
        changes.set(|c| &mut c.revoked_on, r.revoked_on.clone(), Some(today));
        changes.set(
            |c| &mut c.revoked_reason,
            or_empty(&r.revoked_reason).to_string(),
            reason,
        );
        self.write(
            caller,
            idem,
            Write::event(&p.id, &changes.updated(&r.id, next.version), move |e| {
                DeliverableRecord {
                    updated_at: e.recorded_at,
                    ..next.clone()
                }
            })
            .then(vec![sign])
            .enqueue(self.review_gate(&p.id)),
        )
        .await?
        .then(|r| self.signed_deliverable(caller, r))
        .await
    }

    /// A recorded deliverable and its partnership, for a change by the caller (404 when the
    /// caller may not read the partnership).
    async fn deliverable_for_revoking(
        &self,
        caller: &Caller,
        record_id: &str,
    ) -> Result<(DeliverableRecord, Partnership), AppError> {
        let what = format!("deliverable {record_id}");
        let r = self
            .store
            .deliverable_record(record_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .party_partnership(
                caller,
                &r.partnership_id,
                Action::Update,
                ResourceKind::Deliverable,
                &what,
            )
            .await
            .map_err(|e| e.not_found_as(&what))?;
        Ok((r, p))
    }
}
