//! Dual-track contracting on the partnership's ledger (DESIGN.md §2, §4.3): the agreements
//! both sides negotiate, the gate deliverables recorded at a site (each e-signed), and the
//! gate itself — the stored record loaded into the domain's `gate::Record`, judged there, and
//! the verdicts it moves written as `site_authorization.*` events.

use crate::records::expect_version;
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::Notes;
use cellpath_domain::contracting::gate::{
    self, OpenGap, RecordedAgreement, RecordedDeliverable, RecordedVerdict, SignedSiteMap,
    Transition, Verdict,
};
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::contracting::{
    AgreementFacts, AgreementKind, AgreementStatus, Coverage, Missing, Scope,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::{Date, LedgerInt};
use cellpath_store::{Agreement, DeliverableRecord, Partnership, Program, SiteAuthorization};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

mod deliverables;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// A new agreement. Scope rules, kept simple on purpose: the central kinds (master service
/// agreement, terms and conditions, data protection) are executed once for the health system,
/// so they take `health_system` scope only; quality and supply agreements may be negotiated at
/// either scope (a site's own, or once for the health system).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub kind: String,
    pub scope: String,
    /// The site of a `site`-scope agreement.
    #[serde(default)]
    pub site_id: Option<String>,
    /// Which sites a `health_system`-scope agreement covers; all current and future sites when
    /// left out.
    #[serde(default)]
    pub coverage: Option<Coverage>,
    /// User ids of the owner on each side.
    #[serde(default)]
    pub owner_manufacturer: Option<String>,
    #[serde(default)]
    pub owner_health_system: Option<String>,
}

/// A version of an agreement's document: its metadata and hash (the file stays with the
/// parties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    pub name: String,
    /// SHA-256 of the file, 64 lowercase hex digits.
    pub sha256: String,
    pub bytes: LedgerInt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentInput {
    pub title: String,
    /// `YYYY-MM-DD`.
    pub effective_on: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverableInput {
    pub site_id: String,
    pub program_id: String,
    pub deliverable: String,
    /// `YYYY-MM-DD`.
    pub done_on: String,
    pub evidence: String,
}

/// One thing missing at the gate, with the sentence a person reads.
#[derive(Debug, Clone, Serialize)]
pub struct GateItem {
    #[serde(flatten)]
    pub missing: Missing,
    pub text: String,
}

/// Whether a site is an authorized treatment center for a program today, and if not, exactly
/// what is missing.
#[derive(Debug, Clone, Serialize)]
pub struct GateView {
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub today: String,
    pub authorized: bool,
    pub missing: Vec<GateItem>,
    /// The partnership's agreements the gate looked at.
    pub agreements: Vec<Agreement>,
    pub deliverables: Vec<DeliverableRecord>,
    /// The verdict last recorded on the ledger (authorized since a day, or suspended), if the
    /// site was ever authorized; `review_authorizations` brings it up to date.
    pub recorded: Option<SiteAuthorization>,
}

fn date_or_none(s: &str) -> Result<Option<Date>, AppError> {
    if s.is_empty() {
        Ok(None)
    } else {
        Date::parse(s).map(Some).map_err(internal)
    }
}

fn facts_of(a: &Agreement) -> Result<AgreementFacts, AppError> {
    Ok(AgreementFacts {
        kind: a.kind.parse().map_err(internal)?,
        scope: a.scope.parse().map_err(internal)?,
        site_id: (!a.site_id.is_empty()).then(|| a.site_id.clone()),
        status: a.status.parse().map_err(internal)?,
        effective_on: date_or_none(&a.effective_on)?,
        expires_on: date_or_none(&a.expires_on)?,
        coverage: serde_json::from_value(a.coverage.clone()).map_err(internal)?,
    })
}

impl App {
    async fn contract_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
        action: Action,
        what: &str,
    ) -> Result<Partnership, AppError> {
        self.party_partnership(caller, partnership_id, action, ResourceKind::Contract, what)
            .await
    }

    /// An agreement not withdrawn and its partnership, for a change by the caller.
    async fn agreement_for_update(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
    ) -> Result<(Agreement, Partnership), AppError> {
        let (a, p) = self
            .agreement_checked(caller, agreement_id, expected_version)
            .await?;
        if a.status == AgreementStatus::Withdrawn.as_str() {
            return Err(AppError::invalid(
                "status",
                "this agreement was withdrawn; it takes no more changes (start a new one)",
            ));
        }
        Ok((a, p))
    }

    /// An agreement and its partnership, checked for a change by the caller.
    async fn agreement_checked(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
    ) -> Result<(Agreement, Partnership), AppError> {
        let what = format!("agreement {agreement_id}");
        let a = self
            .store
            .agreement(agreement_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let p = self
            .partnership(caller, &a.partnership_id)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Update, ResourceKind::Contract, rel, &what)?;
        crate::sitemaps::refuse_if_ended(&p)?;
        expect_version(&what, a.version, expected_version)?;
        Ok((a, p))
    }

    /// Append an `agreement.updated` event with the changed fields.
    async fn update_agreement(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
        a: &Agreement,
        old: Value,
        new: Value,
        next: Agreement,
    ) -> Result<Outcome<Agreement>, AppError> {
        let version = a.version + 1;
        let next = Agreement { version, ..next };
        // A timer for the day an executed agreement lapses: the gate is judged again that
        // morning, not at the next hourly review.
        let lapses = (next.status == AgreementStatus::Executed.as_str())
            .then(|| Date::parse(&next.expires_on).ok())
            .flatten();
        let timer = lapses.map(|day| {
            crate::Job::ReviewGate {
                partnership_id: a.partnership_id.clone(),
            }
            .on_day(&day)
        });
        let out = self
            .write(
                caller,
                idem,
                Write {
                    ledger_id: a.partnership_id.clone(),
                    opens: None,
                    kind: "agreement.updated",
                    payload: json!({ "id": a.id, "version": version, "old": old, "new": new }),
                    operational: vec![],
                    then: vec![],
                    redact: None,
                    status: 200,
                    build: Arc::new(move |e| Agreement {
                        updated_at: e.recorded_at,
                        ..next.clone()
                    }),
                }
                // Executed, withdrawn, dated or joined: the gate may have moved.
                .enqueue(self.review_gate(&a.partnership_id))
                .enqueue_all(timer),
            )
            .await?;
        Ok(out)
    }

    /// The job every command that may move the gate enqueues in its own transaction: the
    /// partnership's recorded verdicts brought up to date (as the system, on the day it runs),
    /// so an authorization or suspension follows the change that caused it whichever surface
    /// made the change — and even when the process dies right after the commit.
    pub(crate) fn review_gate(&self, partnership_id: &str) -> cellpath_store::NewJob {
        crate::Job::ReviewGate {
            partnership_id: partnership_id.to_string(),
        }
        .due(self.now())
    }

    async fn check_owner(
        &self,
        f: &mut Fields,
        field: &str,
        user_id: &Option<String>,
        org_id: &str,
    ) -> Result<String, AppError> {
        let Some(id) = user_id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(String::new());
        };
        match self.store.user(id).await? {
            Some(u) if u.org_id == org_id => Ok(u.id),
            _ => {
                f.fail(field, "is not a user of that side's organization");
                Ok(String::new())
            }
        }
    }

    /// Each site id must be a site the partnership opens.
    async fn check_sites_of(
        &self,
        f: &mut Fields,
        field: &str,
        site_ids: &[String],
        p: &Partnership,
    ) -> Result<(), AppError> {
        for id in site_ids {
            if self.partnership_site(p, id).await?.is_none() {
                f.fail(
                    field,
                    format!(
                        "{} is not a site of this partnership's health system",
                        id.chars().take(40).collect::<String>()
                    ),
                );
            }
        }
        Ok(())
    }

    /// Start tracking an agreement (status `not_started`). A new agreement takes nothing
    /// away from the gate (an agreement counts only once executed, and a quality or supply
    /// agreement counts at either scope), but the verdicts are brought up to date all the same.
    pub async fn create_agreement(
        &self,
        caller: &Caller,
        partnership_id: &str,
        input: AgreementInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let p = self
            .contract_partnership(
                caller,
                partnership_id,
                Action::Create,
                &format!("agreements of partnership {partnership_id}"),
            )
            .await?;
        let mut f = Fields::default();
        let kind = f.check("kind", input.kind.parse::<AgreementKind>());
        let scope = f.check("scope", input.scope.parse::<Scope>());
        if let (Some(kind), Some(Scope::Site)) = (kind, scope)
            && kind.is_central()
        {
            f.fail(
                "scope",
                format!(
                    "a {} is executed once for the health system: use scope health_system",
                    kind.label()
                ),
            );
        }
        let site_id = input.site_id.clone().filter(|s| !s.is_empty());
        let mut coverage = input.coverage.clone().unwrap_or(Coverage::AllSites);
        match (scope, &site_id) {
            (Some(Scope::Site), None) => f.fail("site_id", "a site-scope agreement names its site"),
            (Some(Scope::Site), Some(site)) => {
                if input.coverage.is_some() {
                    f.fail(
                        "coverage",
                        "a site-scope agreement covers its own site; leave coverage out",
                    );
                }
                self.check_sites_of(
                    &mut f,
                    "site_id",
                    std::slice::from_ref(site),
                    &p,
                )
                .await?;
                coverage = Coverage::Named(vec![site.clone()]);
            }
            (Some(Scope::HealthSystem), Some(_)) => f.fail(
                "site_id",
                "a health-system-scope agreement names no site; say which sites it covers in coverage",
            ),
            _ => {}
        }
        if scope == Some(Scope::HealthSystem)
            && let Coverage::Named(ids) = &coverage
        {
            if ids.is_empty() {
                f.fail("coverage", "name at least one site, or cover all sites");
            }
            self.check_sites_of(&mut f, "coverage", ids, &p).await?;
        }
        let owner_m = self
            .check_owner(
                &mut f,
                "owner_manufacturer",
                &input.owner_manufacturer,
                &p.manufacturer_id,
            )
            .await?;
        let owner_h = self
            .check_owner(
                &mut f,
                "owner_health_system",
                &input.owner_health_system,
                &p.health_system_id,
            )
            .await?;
        f.finish()?;
        let a = Agreement {
            id: crate::ids::new_id("agr"),
            partnership_id: p.id.clone(),
            kind: kind.expect("checked").as_str().to_string(),
            scope: scope.expect("checked").as_str().to_string(),
            site_id: site_id.unwrap_or_default(),
            status: AgreementStatus::NotStarted.as_str().to_string(),
            owner_manufacturer: owner_m,
            owner_health_system: owner_h,
            effective_on: String::new(),
            expires_on: String::new(),
            coverage: serde_json::to_value(&coverage).map_err(internal)?,
            documents: json!([]),
            amendments: json!([]),
            redline_rounds: 0,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let payload = json!({ "id": a.id, "new": {
            "partnership_id": a.partnership_id, "kind": a.kind, "scope": a.scope, "site_id": a.site_id,
            "status": a.status, "owner_manufacturer": a.owner_manufacturer, "owner_health_system": a.owner_health_system,
            "effective_on": "", "expires_on": "", "coverage": a.coverage, "documents": [], "amendments": [],
            "redline_rounds": 0,
        }});
        self.write(
            caller,
            idem,
            Write {
                ledger_id: p.id.clone(),
                opens: None,
                kind: "agreement.created",
                payload,
                operational: vec![],
                then: vec![],
                redact: None,
                status: 201,
                build: Arc::new(move |e| Agreement {
                    created_at: e.recorded_at,
                    updated_at: e.recorded_at,
                    ..a.clone()
                }),
            }
            .enqueue(self.review_gate(&p.id)),
        )
        .await
    }

    /// Move an agreement along its status path (`AgreementStatus::may_move_to`). Executing
    /// needs an effective date; legal review sending a draft back to negotiation is another
    /// redline round.
    pub async fn move_agreement(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        to: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let (a, _) = self
            .agreement_checked(caller, agreement_id, expected_version)
            .await?;
        let from: AgreementStatus = a.status.parse().map_err(internal)?;
        let to: AgreementStatus = to.parse().map_err(|e| AppError::invalid("status", e))?;
        if !from.may_move_to(to) {
            let allowed: Vec<&str> = AgreementStatus::ALL
                .iter()
                .filter(|s| from.may_move_to(**s))
                .map(|s| s.as_str())
                .collect();
            return Err(AppError::invalid(
                "status",
                if allowed.is_empty() {
                    format!("an agreement {from} cannot move to {to}: it takes no more moves")
                } else {
                    format!(
                        "an agreement {from} cannot move to {to}; it may move to {}",
                        allowed.join(", ")
                    )
                },
            ));
        }
        if to == AgreementStatus::Executed && a.effective_on.is_empty() {
            return Err(AppError::invalid(
                "effective_on",
                "set the agreement's effective date before recording it executed",
            ));
        }
        let mut old = json!({ "status": a.status });
        let mut new = json!({ "status": to.as_str() });
        let mut next = Agreement {
            status: to.as_str().to_string(),
            ..a.clone()
        };
        if from == AgreementStatus::LegalReview && to == AgreementStatus::Negotiating {
            old["redline_rounds"] = json!(a.redline_rounds);
            new["redline_rounds"] = json!(a.redline_rounds + 1);
            next.redline_rounds += 1;
        }
        self.update_agreement(caller, idem, &a, old, new, next)
            .await
    }

    /// Set the effective date and the expiry date ('' when it does not expire).
    pub async fn set_agreement_dates(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        effective_on: &str,
        expires_on: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let (a, _) = self
            .agreement_for_update(caller, agreement_id, expected_version)
            .await?;
        let mut f = Fields::default();
        let effective = f.check("effective_on", Date::parse(effective_on));
        let expires = if expires_on.trim().is_empty() {
            None
        } else {
            f.check("expires_on", Date::parse(expires_on))
        };
        if let (Some(e), Some(x)) = (&effective, &expires)
            && x <= e
        {
            f.fail(
                "expires_on",
                format!("must be after the effective date {e}"),
            );
        }
        f.finish()?;
        let effective = effective.expect("checked").as_str().to_string();
        let expires = expires.map(|d| d.as_str().to_string()).unwrap_or_default();
        let old = json!({ "effective_on": a.effective_on, "expires_on": a.expires_on });
        let new = json!({ "effective_on": effective, "expires_on": expires });
        if old == new {
            return Ok(Outcome::Fresh(a));
        }
        let next = Agreement {
            effective_on: effective,
            expires_on: expires,
            ..a.clone()
        };
        self.update_agreement(caller, idem, &a, old, new, next)
            .await
    }

    /// Add a version of the agreement's document, by its hash.
    pub async fn add_document(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        doc: DocumentInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let (a, _) = self
            .agreement_for_update(caller, agreement_id, expected_version)
            .await?;
        let mut f = Fields::default();
        if doc.name.trim().is_empty() || doc.name.chars().count() > 200 {
            f.fail("name", "give the file's name (at most 200 characters)");
        }
        if !cellpath_ledger::is_sha256_hex(&doc.sha256) {
            f.fail(
                "sha256",
                "must be the file's SHA-256 as 64 lowercase hex digits",
            );
        }
        if doc.bytes.get() < 0 {
            f.fail("bytes", "must not be negative");
        }
        f.finish()?;
        let mut docs = a.documents.as_array().cloned().unwrap_or_default();
        docs.push(json!({
            "name": doc.name.trim(), "sha256": doc.sha256, "bytes": doc.bytes,
            "added_on": Date::of_micros(self.now()).as_str(),
        }));
        let old = json!({ "documents": a.documents });
        let new = json!({ "documents": docs });
        let next = Agreement {
            documents: Value::Array(docs),
            ..a.clone()
        };
        self.update_agreement(caller, idem, &a, old, new, next)
            .await
    }

    pub async fn add_amendment(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        amendment: AmendmentInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let (a, _) = self
            .agreement_for_update(caller, agreement_id, expected_version)
            .await?;
        let mut f = Fields::default();
        let title = f.check("title", Notes::parse(&amendment.title));
        let on = f.check("effective_on", Date::parse(&amendment.effective_on));
        f.finish()?;
        let mut list = a.amendments.as_array().cloned().unwrap_or_default();
        list.push(json!({
            "title": title.expect("checked").into_string(),
            "effective_on": on.expect("checked").as_str(),
        }));
        let old = json!({ "amendments": a.amendments });
        let new = json!({ "amendments": list });
        let next = Agreement {
            amendments: Value::Array(list),
            ..a.clone()
        };
        self.update_agreement(caller, idem, &a, old, new, next)
            .await
    }

    /// A joinder: extend a health-system agreement's named coverage with more of the health
    /// system's sites.
    pub async fn join_sites(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        site_ids: &[String],
        idem: Option<Idem>,
    ) -> Result<Outcome<Agreement>, AppError> {
        let (a, p) = self
            .agreement_for_update(caller, agreement_id, expected_version)
            .await?;
        let coverage: Coverage = serde_json::from_value(a.coverage.clone()).map_err(internal)?;
        let Coverage::Named(mut ids) = coverage else {
            return Err(AppError::invalid(
                "site_ids",
                "this agreement already covers all current and future sites",
            ));
        };
        if a.scope != Scope::HealthSystem.as_str() {
            return Err(AppError::invalid(
                "site_ids",
                "a site-scope agreement binds its own site only; joinders extend health-system agreements",
            ));
        }
        let mut f = Fields::default();
        if site_ids.is_empty() {
            f.fail("site_ids", "name at least one site to join");
        }
        self.check_sites_of(&mut f, "site_ids", site_ids, &p)
            .await?;
        f.finish()?;
        let before = ids.clone();
        for s in site_ids {
            if !ids.contains(s) {
                ids.push(s.clone());
            }
        }
        if ids == before {
            return Ok(Outcome::Fresh(a));
        }
        let old = json!({ "coverage": a.coverage });
        let new_cov = serde_json::to_value(Coverage::Named(ids)).map_err(internal)?;
        let new = json!({ "coverage": new_cov });
        let next = Agreement {
            coverage: new_cov,
            ..a.clone()
        };
        self.update_agreement(caller, idem, &a, old, new, next)
            .await
    }

    /// One agreement, for anyone of a party to its partnership (others: not found).
    pub async fn agreement(
        &self,
        caller: &Caller,
        agreement_id: &str,
    ) -> Result<Agreement, AppError> {
        let what = format!("agreement {agreement_id}");
        let a = self
            .store
            .agreement(agreement_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        self.contract_partnership(caller, &a.partnership_id, Action::Read, &what)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::not_found(&what),
                e => e,
            })?;
        Ok(a)
    }

    /// A partnership's agreements, oldest first.
    pub async fn agreements(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<Agreement>, AppError> {
        let p = self
            .contract_partnership(
                caller,
                partnership_id,
                Action::Read,
                &format!("agreements of partnership {partnership_id}"),
            )
            .await?;
        Ok(self.store.agreements_of(&p.id).await?)
    }

    /// The gate (DESIGN.md §2) for a program at a site on `today`: authorized, or each missing
    /// item.
    pub async fn gate(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
        today: Date,
    ) -> Result<GateView, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        self.partnership_site(&p, site_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("site {site_id}")))?;
        let record = self.gate_record(&p).await?;
        if !record.programs.iter().any(|pr| pr.id == program_id) {
            return Err(AppError::not_found(format!(
                "program {program_id} of this partnership"
            )));
        }
        Ok(record.gate(site_id, program_id, today))
    }

    /// The gate for every site × every program of a partnership on `today`, from one read of
    /// its record (a partnership page shows them all).
    pub async fn gates(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
    ) -> Result<Vec<GateView>, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        let record = self.gate_record(&p).await?;
        let sites = &record.rule.sites;
        let mut out = Vec::with_capacity(sites.len() * record.programs.len());
        for site in sites {
            for program in &record.programs {
                out.push(record.gate(site, &program.id, today.clone()));
            }
        }
        Ok(out)
    }

    /// The partnership, checked for reading its gate: its contracts and its deliverables.
    pub(crate) async fn gate_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Partnership, AppError> {
        let p = self
            .contract_partnership(
                caller,
                partnership_id,
                Action::Read,
                &format!("the gate of partnership {partnership_id}"),
            )
            .await?;
        // The gate shows the deliverables recorded, too.
        let rel = self.partnership_relation(caller, &p);
        self.check(
            caller,
            Action::Read,
            ResourceKind::Deliverable,
            rel,
            &format!("the deliverables of partnership {partnership_id}"),
        )?;
        Ok(p)
    }

    /// Everything the gate reads of a partnership, loaded once for all its sites × programs
    /// (a fixed number of queries, however many sites and site maps it has). The caller has
    /// been checked for reading the gate ([`App::gate_partnership`]).
    pub(crate) async fn gate_record(&self, p: &Partnership) -> Result<GateRecord, AppError> {
        let agreements = self.store.agreements_of(&p.id).await?;
        let recorded_agreements = agreements
            .iter()
            .map(|a| {
                Ok(RecordedAgreement {
                    id: a.id.clone(),
                    facts: facts_of(a)?,
                    changed_on: Date::of_micros(a.updated_at),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let signed_maps = signed_site_maps(
            p,
            &self.store.site_map_versions_of_partnership(&p.id).await?,
            &self.store.site_map_signatures_of(&p.id).await?,
        );
        // Which sites use each facility of the health system.
        let facilities: BTreeMap<String, Vec<String>> = self
            .store
            .facilities_of_partnership(&p.id)
            .await?
            .into_iter()
            .map(|f| (f.id, f.site_ids))
            .collect();
        let deliverables = self.store.deliverable_records_of_partnership(&p.id).await?;
        let open_gaps = self.store.open_gaps_of_partnership(&p.id).await?;
        let programs = self.programs_in(p).await?;
        let rule = gate::Record {
            partnership: p.status.parse().map_err(internal)?,
            programs: programs.iter().map(|pr| pr.id.clone()).collect(),
            sites: self
                .store
                .sites_of_partnership(&p.id)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
            agreements: recorded_agreements,
            deliverables: deliverables
                .iter()
                .map(deliverable_of)
                .collect::<Result<_, _>>()?,
            signed_maps,
            facilities,
            open_gaps: open_gaps.iter().map(gap_of).collect::<Result<_, _>>()?,
        };
        Ok(GateRecord {
            rule,
            programs,
            agreements,
            deliverables,
            gaps: open_gaps.into_iter().map(|g| (g.id.clone(), g)).collect(),
            recorded: self.store.site_authorizations_of(&p.id).await?,
            partnership_id: p.id.clone(),
        })
    }
}

/// The site map versions both sides signed, each at its last signature, from the signatures
/// the store projects with their events (`site_map_signatures`). A version is signed when
/// someone of each side signed the same content; a version signed by both never changes
/// again (the site maps refuse every change to it), so that content is its content — the
/// status `site_map` derives from the current content hash, without rebuilding each map.
fn signed_site_maps(
    p: &Partnership,
    versions: &[cellpath_store::SiteMapVersion],
    signatures: &[cellpath_store::SiteMapSignature],
) -> Vec<SignedSiteMap> {
    // (version, content) → (health system signed, manufacturer signed, last signature)
    let mut by_content: BTreeMap<(&str, &str), (bool, bool, i64)> = BTreeMap::new();
    for s in signatures {
        let e = by_content
            .entry((&s.site_map_version_id, &s.content_hash))
            .or_insert((false, false, 0));
        e.0 |= s.signer_org_id == p.health_system_id;
        e.1 |= s.signer_org_id == p.manufacturer_id;
        e.2 = e.2.max(s.signed_at);
    }
    versions
        .iter()
        .filter_map(|v| {
            let last = by_content
                .range((v.id.as_str(), "")..)
                .take_while(|((id, _), _)| *id == v.id)
                .filter(|(_, (hs, m, _))| *hs && *m)
                .map(|(_, (_, _, at))| *at)
                .max()?;
            Some(SignedSiteMap {
                site_id: v.site_id.clone(),
                program_id: v.program_id.clone(),
                number: v.number,
                signed_on: Date::of_micros(last),
            })
        })
        .collect()
}

fn deliverable_of(r: &DeliverableRecord) -> Result<RecordedDeliverable, AppError> {
    Ok(RecordedDeliverable {
        site_id: r.site_id.clone(),
        program_id: r.program_id.clone(),
        deliverable: r.deliverable.parse().map_err(internal)?,
        done_on: Date::parse(&r.done_on).map_err(internal)?,
        revoked_on: date_or_none(&r.revoked_on)?,
    })
}

fn gap_of(g: &cellpath_store::Gap) -> Result<OpenGap, AppError> {
    Ok(OpenGap {
        id: g.id.clone(),
        site_id: g.site_id.clone(),
        program_id: g.program_id.clone(),
        facility_id: (!g.facility_id.is_empty()).then(|| g.facility_id.clone()),
        severity: g.severity.parse().map_err(internal)?,
        due_on: date_or_none(&g.due_on)?,
    })
}

/// A verdict as recorded on the ledger.
fn verdict_of(r: &SiteAuthorization) -> Result<RecordedVerdict, AppError> {
    Ok(RecordedVerdict {
        site_id: r.site_id.clone(),
        program_id: r.program_id.clone(),
        verdict: Verdict {
            status: r.status.parse().map_err(internal)?,
            since: Date::parse(&r.since).map_err(internal)?,
            missing: serde_json::from_value(r.missing.clone()).map_err(internal)?,
        },
    })
}

/// What the gate reads of one partnership ([`App::gate_record`]): the domain's record the
/// rule judges, and the stored rows a page shows beside it. A page, the review and the
/// onboarding pipeline judge every site × program from one load.
pub(crate) struct GateRecord {
    pub(crate) partnership_id: String,
    pub(crate) rule: gate::Record,
    pub(crate) agreements: Vec<Agreement>,
    /// The programs the partnership names.
    pub(crate) programs: Vec<Program>,
    /// Every site's and program's, oldest deliverable first within each.
    deliverables: Vec<DeliverableRecord>,
    /// The open gaps by id.
    gaps: BTreeMap<String, cellpath_store::Gap>,
    /// The verdicts last recorded, per site and program.
    pub(crate) recorded: Vec<SiteAuthorization>,
}

impl GateRecord {
    /// The open blocking gaps that hold a site back for a program (the rule's
    /// `blocking_gaps`), as stored.
    pub(crate) fn open_blocking_gaps(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Vec<&cellpath_store::Gap> {
        self.rule
            .blocking_gaps(site_id, program_id)
            .into_iter()
            .filter_map(|g| self.gaps.get(&g.id))
            .collect()
    }

    /// The gate for a program at a site on `today`.
    pub(crate) fn gate(&self, site_id: &str, program_id: &str, today: Date) -> GateView {
        let deliverables: Vec<DeliverableRecord> = self
            .deliverables
            .iter()
            .filter(|r| r.site_id == site_id && r.program_id == program_id)
            .cloned()
            .collect();
        let missing = self.rule.missing(site_id, program_id, &today);
        GateView {
            recorded: self
                .recorded
                .iter()
                .find(|r| r.site_id == site_id && r.program_id == program_id)
                .cloned(),
            partnership_id: self.partnership_id.clone(),
            site_id: site_id.to_string(),
            program_id: program_id.to_string(),
            today: today.as_str().to_string(),
            authorized: missing.is_empty(),
            missing: missing
                .into_iter()
                .map(|m| GateItem {
                    text: m.to_string(),
                    missing: m,
                })
                .collect(),
            agreements: self.agreements.clone(),
            deliverables,
        }
    }
}

/// The `site_authorization.created` event of a site's first authorization: the payload as the
/// ledger has always held it.
fn authorization_created(row: &SiteAuthorization, v: &Verdict) -> Value {
    json!({ "id": row.id, "new": {
        "partnership_id": row.partnership_id, "site_id": row.site_id, "program_id": row.program_id,
        "status": v.status.as_str(), "since": v.since.as_str(), "missing": v.missing,
    }})
}

/// The `site_authorization.updated` event moving the recorded verdict `r` to `v` (its
/// version is `r`'s next).
fn authorization_updated(r: &SiteAuthorization, v: &Verdict) -> Value {
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
                        status: v.status.as_str().into(),
                        since: v.since.as_str().into(),
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

/// An executed agreement that lapses soon: renew or amend it before the gate loses it.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiryReminder {
    pub agreement: Agreement,
    pub expires_on: String,
    pub days_left: i64,
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

    /// Executed agreements of a partnership that expire within `within_days` of `today`,
    /// soonest first (what is about to lapse; `send_expiry_reminders` records the reminders
    /// both sides are told of).
    pub async fn expiring_agreements(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
        within_days: i64,
    ) -> Result<Vec<ExpiryReminder>, AppError> {
        if !(0..=3650).contains(&within_days) {
            return Err(AppError::invalid(
                "within",
                "give a number of days from 0 to 3650",
            ));
        }
        let mut out = Vec::new();
        for a in self.agreements(caller, partnership_id).await? {
            if a.status != AgreementStatus::Executed.as_str() {
                continue;
            }
            let Some(expires) = date_or_none(&a.expires_on)? else {
                continue;
            };
            let days_left = cellpath_domain::contracting::reminders::days_left(&today, &expires);
            // On its expiry day an agreement is no longer in force (the gate's rule), so the
            // last reminder is the day before.
            if (1..=within_days).contains(&days_left) {
                out.push(ExpiryReminder {
                    expires_on: a.expires_on.clone(),
                    agreement: a,
                    days_left,
                });
            }
        }
        out.sort_by_key(|r| r.days_left);
        Ok(out)
    }
}

/// A program's track template: its own, or the standard one until it sets its own.
#[derive(Debug, Clone, Serialize)]
pub struct TrackTemplateView {
    pub program_id: String,
    pub template: TrackTemplate,
    /// True while the program uses the standard template.
    pub standard: bool,
    /// The version to send with the next change: 1 for the standard template, which every
    /// program starts from; each change adds one.
    pub version: i64,
}

impl App {
    /// The template a program's partnerships are planned with: its own, or the standard one.
    pub(crate) async fn template_for(&self, program_id: &str) -> Result<TrackTemplate, AppError> {
        Ok(match self.store.track_template_of(program_id).await? {
            Some(row) => TrackTemplate {
                items: serde_json::from_value(row.items).map_err(internal)?,
            },
            None => TrackTemplate::standard(),
        })
    }

    pub async fn track_template(
        &self,
        caller: &Caller,
        program_id: &str,
    ) -> Result<TrackTemplateView, AppError> {
        let program = self.program(caller, program_id).await?;
        Ok(match self.store.track_template_of(&program.id).await? {
            Some(row) => TrackTemplateView {
                program_id: program.id,
                template: TrackTemplate {
                    items: serde_json::from_value(row.items).map_err(internal)?,
                },
                standard: false,
                version: row.version + 1,
            },
            None => TrackTemplateView {
                program_id: program.id,
                template: TrackTemplate::standard(),
                standard: true,
                version: 1,
            },
        })
    }

    /// Replace a program's track template (on the manufacturer's ledger), refused with every
    /// problem when it is unsound. `expected_version` is the view's version (1 while the
    /// program uses the standard template).
    pub async fn set_track_template(
        &self,
        caller: &Caller,
        program_id: &str,
        expected_version: i64,
        template: TrackTemplate,
        idem: Option<Idem>,
    ) -> Result<Outcome<TrackTemplateView>, AppError> {
        let program = self.program(caller, program_id).await?;
        let rel = self.org_relation(caller, &program.org_id).await?;
        let what = format!("the track template of {}", program.name);
        self.check(caller, Action::Update, ResourceKind::Program, rel, &what)?;
        let problems = template.problems();
        if !problems.is_empty() {
            return Err(AppError::Invalid(
                problems
                    .into_iter()
                    .map(|message| crate::FieldError {
                        field: "items".into(),
                        message,
                    })
                    .collect(),
            ));
        }
        let stored = self.store.track_template_of(&program.id).await?;
        expect_version(
            &what,
            stored.as_ref().map_or(1, |r| r.version + 1),
            expected_version,
        )?;
        let items = serde_json::to_value(&template.items).map_err(internal)?;
        let view = TrackTemplateView {
            program_id: program.id.clone(),
            template,
            standard: false,
            version: expected_version + 1,
        };
        let (kind, payload) = match &stored {
            None => (
                "track_template.created",
                json!({ "id": crate::ids::new_id("tpl"), "new": {
                    "org_id": program.org_id, "program_id": program.id, "items": items,
                }}),
            ),
            Some(row) if row.items == items => {
                return Ok(Outcome::Fresh(TrackTemplateView {
                    version: row.version + 1,
                    ..view
                }));
            }
            Some(row) => (
                "track_template.updated",
                json!({ "id": row.id, "version": row.version + 1,
                    "old": { "items": row.items }, "new": { "items": items } }),
            ),
        };
        self.write(
            caller,
            idem,
            Write {
                ledger_id: program.org_id.clone(),
                opens: None,
                kind,
                payload,
                operational: vec![],
                then: vec![],
                redact: None,
                status: 200,
                build: Arc::new(move |_| view.clone()),
            },
        )
        .await
    }
}

/// A track template as the planner's plan for these sites (health-system items once, site
/// items per site under dual-track), refused with every problem when the template is unsound.
pub fn plan_of_template(
    template: &TrackTemplate,
    sites: &[&str],
    strategy: cellpath_planning::contracting::Strategy,
) -> Result<cellpath_planning::contracting::Plan, AppError> {
    use cellpath_planning::contracting::{Entry, Plan};
    let problems = template.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(
            problems
                .into_iter()
                .map(|message| crate::FieldError {
                    field: "template".into(),
                    message,
                })
                .collect(),
        ));
    }
    let entries = template
        .items
        .iter()
        .map(|it| {
            let days = it.days.map(f64::from);
            let after: Vec<&str> = it.after.iter().map(String::as_str).collect();
            match it.scope {
                Scope::HealthSystem => Entry::health_system(&it.key, days, &after),
                Scope::Site => Entry::site(&it.key, days, &after),
            }
        })
        .collect();
    Ok(Plan::new(strategy, sites, entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_planning::contracting::{Strategy, compare};

    #[test]
    fn the_standard_template_plans_and_dual_track_saves_days() {
        let mut plan = plan_of_template(
            &TrackTemplate::standard(),
            &["north", "south", "east"],
            Strategy::DualTrack,
        )
        .expect("the standard template is sound");
        plan.iterations = 500;
        let saved = compare(&plan, 1).expect("plans").days_saved();
        assert!(saved.deterministic > 0, "{saved:?}");
        assert!(saved.p90 > 0, "{saved:?}");
    }

    #[test]
    fn an_unsound_template_is_refused_with_what_to_fix() {
        let mut t = TrackTemplate::standard();
        t.items.retain(|i| i.key != "consent");
        let err = plan_of_template(&t, &["north"], Strategy::DualTrack).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template: the gate needs consent_with_failure_language; add it"
        );
    }
}
