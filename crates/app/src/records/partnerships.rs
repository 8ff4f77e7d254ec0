//! Partnerships: a manufacturer and a health system, for one or more of the manufacturer's
//! programs (given by id or exact name, kept as ids). Each partnership opens its own ledger.
//! The manufacturer proposes; the health system accepts or declines; either side may end it.

use super::expect_version;
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::contracting::joining::{Central, Joining, joining};
use cellpath_domain::contracting::{AgreementStatus, Scope};
use cellpath_domain::events::Diff;
use cellpath_domain::events::directory::{
    PartnershipChanges, PartnershipCreated, PartnershipFields,
};
use cellpath_domain::events::partnerships::PartnershipDeclined;
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{Name, Notes, OrgKind, PartnershipStatus};
use cellpath_store::{LedgerKind, Page, Partnership};

/// What the app answers (rows stay inside).
use crate::views;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnershipInput {
    pub health_system_id: String,
    #[schema(schema_with = crate::views::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = crate::views::schema::program_refs)]
    pub programs: Vec<String>,
    /// Only the operator may name another manufacturer; a user's own organization proposes
    /// (naming it is allowed, naming any other is refused).
    pub manufacturer_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnershipPatch {
    #[schema(schema_with = crate::views::schema::name)]
    pub name: Option<String>,
    #[schema(schema_with = crate::views::schema::program_refs)]
    pub programs: Option<Vec<String>>,
    #[schema(schema_with = crate::views::schema::vocabulary::<PartnershipStatus>)]
    pub status: Option<String>,
}

/// The health system declines a proposal, saying why if it wants to.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnershipDecline {
    /// Why, in your words (the manufacturer reads it); leave it out to give no reason.
    #[schema(schema_with = crate::views::schema::notes)]
    pub reason: Option<String>,
}

/// A site of the partnership's health system added after the proposal was accepted: joined
/// the onboarding (the partnership covers all current and future sites), or left out by the
/// central agreements that name their sites.
#[derive(Debug, Clone)]
pub struct SiteJoin {
    pub site: views::Site,
    pub joining: Joining,
}

impl SiteJoin {
    pub fn joined(&self) -> bool {
        self.joining == Joining::Joined
    }
}

/// A partnership's live central agreements (health-system scope, not withdrawn) among its
/// agreements, as joining reads them.
pub(crate) fn centrals_of(
    agreements: &[cellpath_store::Agreement],
) -> Result<Vec<Central>, AppError> {
    let mut out = Vec::new();
    for a in agreements {
        if a.scope != Scope::HealthSystem || a.status == AgreementStatus::Withdrawn {
            continue;
        }
        let coverage = serde_json::from_value(a.coverage.clone())
            .map_err(|e| AppError::Internal(format!("agreement {}: {e}", a.id)))?;
        out.push(Central {
            kind: a.kind,
            coverage,
        });
    }
    Ok(out)
}

/// How a site stands to a partnership's onboarding (`contracting::joining`, the one rule):
/// every site is in it from the start until the partnership is accepted.
pub(crate) fn joining_of(
    p: &Partnership,
    site: &cellpath_store::Site,
    central: &[Central],
) -> Joining {
    match p.accepted_at {
        None => Joining::FromTheStart,
        Some(accepted_at) => joining(&site.id, site.created_at, accepted_at, central),
    }
}

impl App {
    /// The partnership's live central agreements (health-system scope, not withdrawn), as
    /// joining reads them.
    async fn central_agreements(&self, partnership_id: &str) -> Result<Vec<Central>, AppError> {
        centrals_of(&self.store.agreements_of(partnership_id).await?)
    }

    /// The sites of the health system added after the partnership was accepted, each with
    /// whether it joined the onboarding. No policy check: the callers read the partnership's
    /// sites through it first.
    pub(crate) async fn joins_of(&self, p: &Partnership) -> Result<Vec<SiteJoin>, AppError> {
        if p.accepted_at.is_none() {
            return Ok(vec![]);
        }
        let central = self.central_agreements(&p.id).await?;
        Ok(self
            .store
            .sites_of_partnership(&p.id)
            .await?
            .into_iter()
            .map(|site| SiteJoin {
                joining: joining_of(p, &site, &central),
                site: site.into(),
            })
            .filter(|j| j.joining != Joining::FromTheStart)
            .collect())
    }

    /// The sites added to the health system since it accepted the partnership, and whether
    /// each joined the onboarding, for either side.
    pub async fn site_joins(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<SiteJoin>, AppError> {
        // Reading the partnership's sites checks the caller may (none of a proposal).
        self.partnership_sites(caller, partnership_id).await?;
        let p = self.partnership_row(caller, partnership_id).await?;
        self.joins_of(&p).await
    }

    /// The manufacturer's programs a partnership is for, given by id or exact name; each must
    /// be the manufacturer's. Kept as ids, in the order given, each once.
    async fn partnership_program_ids(
        &self,
        f: &mut Fields,
        manufacturer_id: &str,
        given: &[String],
    ) -> Result<Vec<String>, AppError> {
        if given.len() > 50 {
            f.fail("programs", "at most 50 programs per partnership");
            return Ok(vec![]);
        }
        let programs = self.store.programs_of(manufacturer_id, Page::all()).await?;
        let mut out: Vec<String> = Vec::new();
        for g in given.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
            match programs.iter().find(|p| p.id == g || p.name == g) {
                Some(p) if !out.contains(&p.id) => out.push(p.id.clone()),
                Some(_) => {}
                None => f.fail(
                    "programs",
                    format!(
                        "{:?} is not a program of the manufacturer (give its name or id)",
                        g.chars().take(60).collect::<String>()
                    ),
                ),
            }
        }
        Ok(out)
    }

    /// The programs a partnership is for (rows written before programs were kept as ids hold
    /// names; those still match).
    pub(crate) async fn programs_in(
        &self,
        p: &Partnership,
    ) -> Result<Vec<cellpath_store::Program>, AppError> {
        Ok(self
            .store
            .programs_of(&p.manufacturer_id, Page::all())
            .await?
            .into_iter()
            .filter(|pr| p.programs.iter().any(|g| *g == pr.id || *g == pr.name))
            .collect())
    }

    /// The programs of a partnership, for anyone who may read the partnership.
    pub async fn partnership_programs(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<views::Program>, AppError> {
        let p = self.partnership_row(caller, partnership_id).await?;
        Ok(views::all(self.programs_in(&p).await?))
    }

    /// The sites of the health system the partnership opens, for either side: all of them
    /// while it is active, those that existed when it ended once it has ended; a proposal
    /// shows none (not found).
    pub async fn partnership_sites(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<views::Site>, AppError> {
        let p = self
            .party_partnership(
                caller,
                partnership_id,
                Action::Read,
                ResourceKind::SiteMap,
                &format!("the sites of partnership {partnership_id}"),
            )
            .await?;
        Ok(views::all(self.store.sites_of_partnership(&p.id).await?))
    }

    pub async fn create_partnership(
        &self,
        caller: &Caller,
        input: PartnershipInput,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Partnership>, AppError> {
        // Who may propose comes first: a health system's user is refused (403) whatever the
        // body says.
        self.check(
            caller,
            Action::Create,
            ResourceKind::Partnership,
            Relation::Party(PartnershipStatus::Proposed),
            "partnerships",
        )?;
        let manufacturer_id = match (&caller.principal, &input.manufacturer_id) {
            (Some(p), Some(m)) if *m != p.org_id => {
                return Err(AppError::invalid(
                    "manufacturer_id",
                    "a partnership is proposed by your own organization: leave the manufacturer out, or name your own organization",
                ));
            }
            (Some(p), _) => p.org_id.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => {
                return Err(AppError::invalid(
                    "manufacturer_id",
                    "name the manufacturer",
                ));
            }
        };
        let mut f = Fields::default();
        let mfr = self.store.organization(&manufacturer_id).await?;
        if mfr.as_ref().is_none_or(|o| o.kind != OrgKind::Manufacturer) {
            f.fail(
                "manufacturer_id",
                "only a manufacturer proposes a partnership",
            );
        }
        // Any health system may be named: the directory of organizations is the operator's,
        // and naming one reveals nothing about it.
        let hs = self.store.organization(&input.health_system_id).await?;
        if hs.as_ref().is_none_or(|o| o.kind != OrgKind::HealthSystem) {
            f.fail(
                "health_system_id",
                if hs.is_some() {
                    "names a manufacturer: a partnership is proposed to a health system"
                } else {
                    "is not a health system"
                },
            );
        }
        let name = f.check("name", Name::parse(&input.name));
        let programs = self
            .partnership_program_ids(&mut f, &manufacturer_id, &input.programs)
            .await?;
        f.finish()?;
        let partnership = Partnership {
            id: crate::ids::new_id("pship"),
            manufacturer_id,
            health_system_id: input.health_system_id.clone(),
            name: name.expect("checked").into_string(),
            programs,
            status: PartnershipStatus::Proposed,
            version: 1,
            created_at: 0,
            updated_at: 0,
            accepted_at: None,
            declined_by: None,
            decline_reason: None,
        };
        let event = PartnershipCreated {
            id: partnership.id.clone(),
            new: PartnershipFields {
                manufacturer_id: partnership.manufacturer_id.clone(),
                health_system_id: partnership.health_system_id.clone(),
                name: partnership.name.clone(),
                programs: partnership.programs.clone(),
                status: PartnershipStatus::Proposed,
            },
        };
        self.write(
            caller,
            idem,
            Write::event(partnership.id.clone(), &event, move |a| Partnership {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..partnership.clone()
            })
            .opening(LedgerKind::Partnership)
            .created(),
        )
        .await
        .map(|o| o.map(Into::into))
    }

    pub async fn partnership(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<views::Partnership, AppError> {
        Ok(self.partnership_row(caller, id).await?.into())
    }

    /// The partnership's row, if the caller may read it (the app's own commands and queries
    /// work from it).
    pub(crate) async fn partnership_row(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Partnership, AppError> {
        let what = format!("partnership {id}");
        let p = self
            .store
            .partnership(id)
            .await?
            .ok_or_else(|| AppError::not_found(&what))?;
        let rel = self.partnership_relation(caller, &p);
        self.check(caller, Action::Read, ResourceKind::Partnership, rel, &what)?;
        Ok(p)
    }

    /// The partnerships of the caller's organization (the operator names one).
    pub async fn partnerships(
        &self,
        caller: &Caller,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<views::Partnership>, AppError> {
        caller.refuse_other_org(org_id, "partnerships")?;
        Ok(views::all(self.store.partnerships_of(org_id, page).await?))
    }

    /// A partnership the caller may change, and how to name it: the policy refuses a person;
    /// nobody at all changes an ended partnership, so its `updated_at` stays the moment it
    /// ended (what it opens is what existed then).
    async fn partnership_to_change(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Partnership, String), AppError> {
        let current = self.partnership_row(caller, id).await?;
        let what = format!("partnership {}", current.name);
        let rel = self.partnership_relation(caller, &current);
        self.check(
            caller,
            Action::Update,
            ResourceKind::Partnership,
            rel,
            &what,
        )?;
        crate::sitemaps::refuse_if_ended(&current)?;
        Ok((current, what))
    }

    pub async fn update_partnership(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        patch: PartnershipPatch,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Partnership>, AppError> {
        let (current, what) = self.partnership_to_change(caller, id).await?;
        let mut f = Fields::default();
        let name = patch
            .name
            .as_deref()
            .and_then(|v| f.check("name", Name::parse(v)));
        let programs = match patch.programs.as_deref() {
            Some(p) => Some(
                self.partnership_program_ids(&mut f, &current.manufacturer_id, p)
                    .await?,
            ),
            None => None,
        };
        // A proposal takes no writes but its acceptance, decline or end (DESIGN.md §2).
        if current.status == PartnershipStatus::Proposed {
            let why = "a proposal is accepted, declined or ended as it stands: end it and propose again to change it";
            if name.as_ref().is_some_and(|n| n.as_str() != current.name) {
                f.fail("name", why);
            }
            if programs.as_ref().is_some_and(|p| *p != current.programs) {
                f.fail("programs", why);
            }
        }
        let status = patch
            .status
            .as_deref()
            .and_then(|v| f.check("status", v.parse::<PartnershipStatus>()));
        if let Some(status) = status {
            let from = current.status;
            let is_hs = caller
                .org_id()
                .is_none_or(|o| o == current.health_system_id);
            let allowed = match (from, status) {
                (a, b) if a == b => true,
                (PartnershipStatus::Proposed, PartnershipStatus::Active) => is_hs,
                (
                    PartnershipStatus::Proposed | PartnershipStatus::Active,
                    PartnershipStatus::Ended,
                ) => true,
                _ => false,
            };
            if !allowed {
                f.fail(
                    "status",
                    match (from, status) {
                        (PartnershipStatus::Proposed, PartnershipStatus::Active) => {
                            "only the health system accepts a proposed partnership".to_string()
                        }
                        _ => format!("a partnership cannot go from {from} to {status}"),
                    },
                );
            }
        }
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        let current_status = current.status;
        let mut diff = Diff::<PartnershipChanges>::default();
        diff.field(
            |c| &mut c.name,
            current.name.clone(),
            name.map(Name::into_string),
        );
        diff.field(|c| &mut c.programs, current.programs.clone(), programs);
        diff.field(|c| &mut c.status, current_status, status);
        if diff.is_empty() {
            return Ok(Outcome::Fresh(current.into()));
        }
        let new = diff.new.clone();
        // Accepted, ended, or programs added or taken off: the gate may have moved.
        let moves_gate = new.status.is_some() || new.programs.is_some();
        let accepted = new.status == Some(PartnershipStatus::Active);
        let next = Partnership {
            name: new.name.unwrap_or(current.name.clone()),
            programs: new.programs.unwrap_or(current.programs.clone()),
            status: new.status.unwrap_or(current_status),
            version: current.version + 1,
            ..current.clone()
        };
        let event = diff.updated(id, next.version);
        let out = self
            .write(
                caller,
                idem,
                Write::event(current.id.clone(), &event, move |a| Partnership {
                    updated_at: a.recorded_at,
                    accepted_at: next.accepted_at.or(accepted.then_some(a.recorded_at)),
                    ..next.clone()
                })
                .enqueue_all(moves_gate.then(|| self.review_gate(&current.id))),
            )
            .await?;
        Ok(out.map(Into::into))
    }

    /// The health system declines a proposal: the partnership ends as a proposal, with who
    /// declined it and why (if they said) on its record. It never opened anything and takes
    /// nothing more; the manufacturer may propose again.
    pub async fn decline_partnership(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        input: PartnershipDecline,
        idem: Option<Idem>,
    ) -> Result<Outcome<views::Partnership>, AppError> {
        let (current, what) = self.partnership_to_change(caller, id).await?;
        if caller
            .org_id()
            .is_some_and(|o| o != current.health_system_id)
        {
            return Err(AppError::Forbidden(
                "only the health system declines a proposed partnership; the manufacturer withdraws its own proposal by ending it".into(),
            ));
        }
        if current.status != PartnershipStatus::Proposed {
            // As the policy answers a change the record's state does not take: readable, not
            // to be changed this way (the request named no field to blame).
            return Err(AppError::Forbidden(format!(
                "{what} was accepted: only a proposal is declined; end the partnership instead"
            )));
        }
        let mut f = Fields::default();
        let reason = input
            .reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .and_then(|r| f.check("reason", Notes::parse(r)));
        f.finish()?;
        expect_version(&what, current.version, expected_version)?;
        let by = match &caller.principal {
            Some(p) => self
                .store
                .user(&p.user_id)
                .await?
                .map_or_else(|| caller.name.clone(), |u| u.name),
            None => caller.name.clone(),
        };
        let event = PartnershipDeclined {
            id: current.id.clone(),
            version: current.version + 1,
            by: by.clone(),
            reason: reason.map(Notes::into_string),
        };
        let next = Partnership {
            status: PartnershipStatus::Ended,
            version: event.version,
            declined_by: Some(by),
            decline_reason: event.reason.clone(),
            ..current.clone()
        };
        self.write(
            caller,
            idem,
            Write::event(current.id.clone(), &event, move |a| Partnership {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
        .map(|o| o.map(Into::into))
    }
}
