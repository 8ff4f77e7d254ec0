//! Agreements on the partnership's ledger: created, moved through their statuses, dated,
//! documents by SHA-256, amendments, joinders; each change enqueues the gate's review.

use super::*;
use crate::views;
use cellpath_domain::events::Diff;
use cellpath_domain::events::contracting::{
    AgreementChanges, AgreementCreated, AgreementFields, Amendment, Document,
};

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

/// Its two shapes, as the scope rules above say ([`crate::views::contracting::agreement_input`]).
impl utoipa::PartialSchema for AgreementInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        crate::views::contracting::agreement_input()
    }
}

impl utoipa::ToSchema for AgreementInput {}

/// A version of an agreement's document: its metadata and hash (the file stays with the
/// parties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgreementDocument)]
pub struct DocumentInput {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    /// SHA-256 of the file, 64 lowercase hex digits.
    #[schema(schema_with = crate::views::schema::sha256)]
    pub sha256: String,
    #[schema(schema_with = crate::views::schema::count)]
    pub bytes: LedgerInt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgreementAmendment)]
pub struct AmendmentInput {
    #[schema(schema_with = crate::views::schema::notes)]
    pub title: String,
    /// `YYYY-MM-DD`.
    #[schema(schema_with = crate::views::schema::day)]
    pub effective_on: String,
}

impl App {
    pub(super) async fn contract_partnership(
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
    pub(super) async fn agreement_for_update(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
    ) -> Result<(Agreement, Partnership), AppError> {
        let (a, p) = self
            .agreement_checked(caller, agreement_id, expected_version)
            .await?;
        if a.status == AgreementStatus::Withdrawn {
            return Err(AppError::invalid(
                "status",
                "this agreement was withdrawn; it takes no more changes (start a new one)",
            ));
        }
        Ok((a, p))
    }

    /// An agreement and its partnership, checked for a change by the caller.
    pub(super) async fn agreement_checked(
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
            .partnership_row(caller, &a.partnership_id)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Update, ResourceKind::Contract, rel, &what)?;
        crate::sitemaps::refuse_if_ended(&p)?;
        expect_version(&what, a.version, expected_version)?;
        Ok((a, p))
    }

    /// Append an `agreement.updated` event with the changed fields.
    pub(super) async fn update_agreement(
        &self,
        caller: &Caller,
        idem: Option<Idem>,
        a: &Agreement,
        changes: Diff<AgreementChanges>,
        next: Agreement,
    ) -> Result<Outcome<views::Agreement>, AppError> {
        let version = a.version + 1;
        let next = Agreement { version, ..next };
        // A timer for the day an executed agreement lapses: the gate is judged again that
        // morning, not at the next hourly review.
        let lapses = (next.status == AgreementStatus::Executed)
            .then(|| next.expires_on.clone())
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
                Write::event(
                    &a.partnership_id,
                    &changes.updated(&a.id, version),
                    move |e| Agreement {
                        updated_at: e.recorded_at,
                        ..next.clone()
                    },
                )
                // Executed, withdrawn, dated or joined: the gate may have moved.
                .enqueue(self.review_gate(&a.partnership_id))
                .enqueue_all(timer),
            )
            .await?;
        Ok(out.map(views::Agreement::from))
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

    pub(super) async fn check_owner(
        &self,
        f: &mut Fields,
        field: &str,
        user_id: &Option<String>,
        org_id: &str,
    ) -> Result<Option<String>, AppError> {
        let Some(id) = user_id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        match self.store.user(id).await? {
            Some(u) if u.org_id == org_id => Ok(Some(u.id)),
            _ => {
                f.fail(field, "is not a user of that side's organization");
                Ok(None)
            }
        }
    }

    /// Each site id must be a site the partnership opens.
    pub(super) async fn check_sites_of(
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
    ) -> Result<Outcome<views::Agreement>, AppError> {
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
            kind: kind.expect("checked"),
            scope: scope.expect("checked"),
            site_id,
            status: AgreementStatus::NotStarted,
            owner_manufacturer: owner_m,
            owner_health_system: owner_h,
            effective_on: None,
            expires_on: None,
            coverage: serde_json::to_value(&coverage).map_err(internal)?,
            documents: Value::Array(vec![]),
            amendments: Value::Array(vec![]),
            redline_rounds: 0,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = AgreementCreated {
            id: a.id.clone(),
            new: AgreementFields {
                partnership_id: a.partnership_id.clone(),
                kind: kind.expect("checked"),
                scope: scope.expect("checked"),
                site_id: or_empty(&a.site_id).to_string(),
                status: AgreementStatus::NotStarted,
                owner_manufacturer: or_empty(&a.owner_manufacturer).to_string(),
                owner_health_system: or_empty(&a.owner_health_system).to_string(),
                effective_on: None,
                expires_on: None,
                coverage,
                documents: vec![],
                amendments: vec![],
                redline_rounds: 0,
            },
        };
        self.write(
            caller,
            idem,
            Write::event(&p.id, &event, move |e| Agreement {
                created_at: e.recorded_at,
                updated_at: e.recorded_at,
                ..a.clone()
            })
            .created()
            .enqueue(self.review_gate(&p.id)),
        )
        .await
        .map(|out| out.map(views::Agreement::from))
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
    ) -> Result<Outcome<views::Agreement>, AppError> {
        let (a, _) = self
            .agreement_checked(caller, agreement_id, expected_version)
            .await?;
        let from = a.status;
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
        if to == AgreementStatus::Executed && a.effective_on.is_none() {
            return Err(AppError::invalid(
                "effective_on",
                "set the agreement's effective date before recording it executed",
            ));
        }
        let mut changes = Diff::<AgreementChanges>::default();
        changes.set(|c| &mut c.status, from, to);
        let mut next = Agreement {
            status: to,
            ..a.clone()
        };
        if from == AgreementStatus::LegalReview && to == AgreementStatus::Negotiating {
            changes.set(
                |c| &mut c.redline_rounds,
                a.redline_rounds,
                a.redline_rounds + 1,
            );
            next.redline_rounds += 1;
        }
        self.update_agreement(caller, idem, &a, changes, next).await
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
    ) -> Result<Outcome<views::Agreement>, AppError> {
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
        let effective = effective.expect("checked");
        // Both dates are recorded together, old and new, when either changes.
        let before = (a.effective_on.clone(), a.expires_on.clone());
        let after = (Some(effective), expires);
        if before == after {
            return Ok(Outcome::Fresh(a.into()));
        }
        let next = Agreement {
            effective_on: after.0.clone(),
            expires_on: after.1.clone(),
            ..a.clone()
        };
        let mut changes = Diff::<AgreementChanges>::default();
        changes.set(|c| &mut c.effective_on, before.0, after.0);
        changes.set(|c| &mut c.expires_on, before.1, after.1);
        self.update_agreement(caller, idem, &a, changes, next).await
    }

    /// Add a version of the agreement's document, by its hash.
    pub async fn add_document(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        doc: DocumentInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Agreement>, AppError> {
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
        let before: Vec<Document> =
            serde_json::from_value(a.documents.clone()).map_err(internal)?;
        let mut docs = before.clone();
        docs.push(Document {
            name: doc.name.trim().to_string(),
            sha256: doc.sha256,
            bytes: doc.bytes.get(),
            added_on: Date::of_micros(self.now()),
        });
        let next = Agreement {
            documents: serde_json::to_value(&docs).map_err(internal)?,
            ..a.clone()
        };
        let mut changes = Diff::<AgreementChanges>::default();
        changes.set(|c| &mut c.documents, before, docs);
        self.update_agreement(caller, idem, &a, changes, next).await
    }

    pub async fn add_amendment(
        &self,
        caller: &Caller,
        agreement_id: &str,
        expected_version: i64,
        amendment: AmendmentInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Agreement>, AppError> {
        let (a, _) = self
            .agreement_for_update(caller, agreement_id, expected_version)
            .await?;
        let mut f = Fields::default();
        let title = f.check("title", Notes::parse(&amendment.title));
        let on = f.check("effective_on", Date::parse(&amendment.effective_on));
        f.finish()?;
        let before: Vec<Amendment> =
            serde_json::from_value(a.amendments.clone()).map_err(internal)?;
        let mut list = before.clone();
        list.push(Amendment {
            title: title.expect("checked").into_string(),
            effective_on: on.expect("checked"),
        });
        let next = Agreement {
            amendments: serde_json::to_value(&list).map_err(internal)?,
            ..a.clone()
        };
        let mut changes = Diff::<AgreementChanges>::default();
        changes.set(|c| &mut c.amendments, before, list);
        self.update_agreement(caller, idem, &a, changes, next).await
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
    ) -> Result<Outcome<views::Agreement>, AppError> {
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
        if a.scope != Scope::HealthSystem {
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
            return Ok(Outcome::Fresh(a.into()));
        }
        let after = Coverage::Named(ids);
        let next = Agreement {
            coverage: serde_json::to_value(&after).map_err(internal)?,
            ..a.clone()
        };
        let mut changes = Diff::<AgreementChanges>::default();
        changes.set(|c| &mut c.coverage, Coverage::Named(before), after);
        self.update_agreement(caller, idem, &a, changes, next).await
    }

    /// One agreement, for anyone of a party to its partnership (others: not found).
    pub async fn agreement(
        &self,
        caller: &Caller,
        agreement_id: &str,
    ) -> Result<views::Agreement, AppError> {
        let what = format!("agreement {agreement_id}");
        let a = self
            .store
            .agreement(agreement_id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        self.contract_partnership(caller, &a.partnership_id, Action::Read, &what)
            .await
            .map_err(|e| e.not_found_as(&what))?;
        Ok(a.into())
    }

    /// A partnership's agreements, oldest first.
    pub async fn agreements(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<views::Agreement>, AppError> {
        let p = self
            .contract_partnership(
                caller,
                partnership_id,
                Action::Read,
                &format!("agreements of partnership {partnership_id}"),
            )
            .await?;
        Ok(views::all(self.store.agreements_of(&p.id).await?))
    }
}
