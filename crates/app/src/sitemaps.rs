//! Site versions of a program's process map, on the partnership's ledger (DESIGN.md §4.1).
//! The health system refines its own steps and adds checklists; it proposes changes to
//! controlled steps, which the manufacturer accepts or rejects with a reason. Both sides sign
//! the version's content hash; a version signed by both never changes (start the next one).

use crate::programs::{map_context, valid_row_map};
use crate::records::expect_version;
use crate::views::audit::Signature;
use crate::views::{MapProposal, SiteMapVersion};
use crate::write::Write;
use crate::{App, AppError, Caller, Fields, Idem, Outcome};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::events::site_maps::{
    MapProposalChanges, MapProposalCreated, MapProposalFields, MapProposalUpdated, ProposalStatus,
    SiteMapContent, SiteMapVersionChanges, SiteMapVersionCreated, SiteMapVersionFields,
    SiteMapVersionUpdated,
};
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::process_map::{ScanBurden, Step, ValidMap, scan_burden};
use cellpath_domain::refinement::{SiteMapStatus, SiteRefinement, check_proposal, effective_map};
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::{Partnership, Program};
use serde::Serialize;

/// Record kind named by signatures on a site map version.
pub const SITE_MAP_RECORD: &str = "site_map_version";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Manufacturer,
    HealthSystem,
}

/// A site map version as people read it: its effective map, proposals, signatures, status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteMapView {
    #[schema(schema_with = site_map_version)]
    pub version: SiteMapVersion,
    pub refinement: SiteRefinement,
    #[schema(schema_with = proposals)]
    pub proposals: Vec<MapProposal>,
    /// SHA-256 of what both sides sign: the effective map, the site's details, and what it
    /// refines.
    pub content_hash: String,
    #[schema(schema_with = signatures)]
    pub signatures: Vec<Signature>,
    pub signed_by_health_system: bool,
    pub signed_by_manufacturer: bool,
    #[schema(schema_with = crate::views::schema::vocabulary::<SiteMapStatus>)]
    pub status: SiteMapStatus,
    #[schema(schema_with = scan_burden_schema)]
    pub scan_burden: ScanBurden,
    #[serde(skip)]
    #[schema(ignore)]
    pub effective: Option<ValidMap>,
}

// The rows a site map view holds serialize as their views (`views::site_maps`, `views::audit`).
fn site_map_version() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::views::schema::named::<crate::views::site_maps::SiteMapVersion>()
}
fn proposals() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::views::schema::list_of("MapProposal").into()
}
fn signatures() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::views::schema::list_of("Signature").into()
}
/// `cellpath_domain::process_map::ScanBurden`.
fn scan_burden_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let count = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
    };
    ObjectBuilder::new()
        .property("scans_per_case", count())
        .required("scans_per_case")
        .property("distinct_locations", count())
        .required("distinct_locations")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

/// An ended partnership keeps its record, and takes no more work.
pub(crate) fn refuse_if_ended(p: &Partnership) -> Result<(), AppError> {
    if p.status == PartnershipStatus::Ended {
        // As the policy answers a person (`access::verdict`): readable, not to be changed.
        return Err(AppError::Forbidden(format!(
            "the partnership {} has ended; its record stays readable as it stood, but nothing in it changes any more",
            p.name
        )));
    }
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn refinement_errors(errors: Vec<String>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|message| crate::FieldError {
                field: "refinement".into(),
                message,
            })
            .collect(),
    )
}

impl App {
    /// Which side of the partnership the caller is on (the operator counts as both).
    fn side(&self, caller: &Caller, p: &Partnership) -> Option<Side> {
        match caller.org_id() {
            Some(o) if o == p.manufacturer_id => Some(Side::Manufacturer),
            Some(o) if o == p.health_system_id => Some(Side::HealthSystem),
            Some(_) => None,
            None => Some(Side::HealthSystem),
        }
    }

    async fn partnership_for(
        &self,
        caller: &Caller,
        id: &str,
        kind: ResourceKind,
        action: Action,
    ) -> Result<Partnership, AppError> {
        self.party_partnership(caller, id, action, kind, &format!("partnership {id}"))
            .await
    }

    fn require_side(
        &self,
        caller: &Caller,
        p: &Partnership,
        side: Side,
        what: &str,
    ) -> Result<(), AppError> {
        if caller.principal.is_none() || self.side(caller, p) == Some(side) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{what} is for the {} side",
                if side == Side::HealthSystem {
                    "health system"
                } else {
                    "manufacturer"
                }
            )))
        }
    }

    async fn accepted_changes(&self, site_map_version_id: &str) -> Result<Vec<Step>, AppError> {
        let mut out = Vec::new();
        for p in self.store.map_proposals_of(site_map_version_id).await? {
            if p.status == ProposalStatus::Accepted {
                out.push(serde_json::from_value(p.proposed).map_err(internal)?);
            }
        }
        Ok(out)
    }

    async fn base_of(&self, v: &SiteMapVersion) -> Result<(Program, ValidMap), AppError> {
        let program = self
            .store
            .program(&v.program_id)
            .await?
            .ok_or_else(|| AppError::not_found("program"))?;
        let base = self
            .store
            .map_version(&v.base_map_version_id)
            .await?
            .ok_or_else(|| AppError::not_found("map version"))?;
        let valid = valid_row_map(&program, &base)?;
        Ok((program, valid))
    }

    /// A site map version's program, the site's refinement and the effective map they make
    /// (no access check: the caller has been checked for what it reads through it).
    pub(crate) async fn effective_site_map(
        &self,
        version: &SiteMapVersion,
    ) -> Result<(Program, SiteRefinement, ValidMap), AppError> {
        let (program, base) = self.base_of(version).await?;
        let refinement: SiteRefinement =
            serde_json::from_value(version.refinement.clone()).map_err(internal)?;
        let accepted = self.accepted_changes(&version.id).await?;
        let effective = effective_map(&base, &refinement, &accepted, &map_context(&program)?)
            .map_err(refinement_errors)?;
        Ok((program, refinement, effective))
    }

    /// Read a site map version with everything derived from it.
    pub async fn site_map(&self, caller: &Caller, id: &str) -> Result<SiteMapView, AppError> {
        let what = format!("site map version {id}");
        let version = self
            .store
            .site_map_version(id)
            .await?
            .map(SiteMapVersion::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let partnership = self
            .partnership_for(
                caller,
                &version.partnership_id,
                ResourceKind::SiteMap,
                Action::Read,
            )
            .await
            .map_err(|_| AppError::not_found(&what))?;
        let proposals = crate::views::all(self.store.map_proposals_of(id).await?);
        let (program, refinement, effective) = self.effective_site_map(&version).await?;
        let ctx = map_context(&program)?;
        let content = SiteMapContent {
            site_map_version_id: &version.id,
            site_id: &version.site_id,
            program_id: &version.program_id,
            base_map_version_id: &version.base_map_version_id,
            map: effective.as_map(),
            details: &refinement.details,
        };
        let content = serde_json::to_value(&content).map_err(internal)?;
        let content_hash = cellpath_ledger::content_hash(&content).map_err(internal)?;
        // Only signatures on this partnership's ledger count: both sides can verify them.
        let signatures = self
            .store
            .signatures_on_in(&partnership.id, &content_hash)
            .await?;
        let signatures: Vec<Signature> = crate::views::all(signatures);
        let mut by = (false, false);
        for s in &signatures {
            if let Some(u) = self.store.user(&s.signer_user_id).await? {
                if u.org_id == partnership.health_system_id {
                    by.0 = true;
                } else if u.org_id == partnership.manufacturer_id {
                    by.1 = true;
                }
            }
        }
        let status = SiteMapStatus::of_signatures(by.0, by.1);
        Ok(SiteMapView {
            scan_burden: scan_burden(effective.as_map(), &ctx.units),
            version,
            refinement,
            proposals,
            content_hash,
            signatures,
            signed_by_health_system: by.0,
            signed_by_manufacturer: by.1,
            status,
            effective: Some(effective),
        })
    }

    /// All site map versions of a partnership, newest first per site and program.
    pub async fn site_maps(
        &self,
        caller: &Caller,
        partnership_id: &str,
    ) -> Result<Vec<SiteMapVersion>, AppError> {
        let p = self
            .partnership_for(caller, partnership_id, ResourceKind::SiteMap, Action::Read)
            .await?;
        Ok(crate::views::all(
            self.store.site_map_versions_of_partnership(&p.id).await?,
        ))
    }

    /// Start a site's version of a program's newest published map, copying the site's work
    /// from an earlier version (`from`) when given.
    pub async fn start_site_map(
        &self,
        caller: &Caller,
        partnership_id: &str,
        site_id: &str,
        program_id: &str,
        from: Option<&str>,
        idem: Option<Idem>,
    ) -> Result<Outcome<SiteMapVersion>, AppError> {
        let p = self
            .partnership_for(
                caller,
                partnership_id,
                ResourceKind::SiteMap,
                Action::Create,
            )
            .await?;
        self.require_side(caller, &p, Side::HealthSystem, "refining a map for a site")?;
        let mut f = Fields::default();
        let site = self.partnership_site(&p, site_id).await?;
        if site.is_none() {
            f.fail(
                "site_id",
                "is not a site of this partnership's health system",
            );
        }
        let program = self
            .programs_in(&p)
            .await?
            .into_iter()
            .find(|pr| pr.id == program_id);
        if program.is_none() {
            f.fail("program_id", "is not a program of this partnership");
        }
        f.finish()?;
        let program = program.expect("checked");
        let base = self
            .store
            .map_versions_of(program_id)
            .await?
            .into_iter()
            .find(|v| v.status == MapVersionStatus::Published)
            .ok_or_else(|| {
                AppError::invalid(
                    "program_id",
                    format!("{} has no published map yet", program.name),
                )
            })?;
        let refinement = match from {
            Some(prev) => {
                let prev = self
                    .store
                    .site_map_version(prev)
                    .await?
                    .filter(|v| v.site_id == site_id && v.program_id == program_id);
                let prev = prev.ok_or_else(|| {
                    AppError::invalid("from", "is not an earlier version of this site's map")
                })?;
                prev.refinement
            }
            None => serde_json::to_value(SiteRefinement::default()).map_err(internal)?,
        };
        let parsed: SiteRefinement =
            serde_json::from_value(refinement.clone()).map_err(internal)?;
        effective_map(
            &valid_row_map(&program, &base)?,
            &parsed,
            &[],
            &map_context(&program)?,
        )
        .map_err(refinement_errors)?;
        let number = self
            .store
            .site_map_versions(site_id, program_id)
            .await?
            .first()
            .map_or(1, |v| v.number + 1);
        let event = SiteMapVersionCreated {
            id: crate::ids::new_id("smv"),
            new: SiteMapVersionFields {
                partnership_id: p.id.clone(),
                site_id: site_id.to_string(),
                program_id: program_id.to_string(),
                base_map_version_id: base.id.clone(),
                number,
                refinement: parsed,
            },
        };
        let v = SiteMapVersion {
            id: event.id.clone(),
            partnership_id: p.id.clone(),
            site_id: site_id.to_string(),
            program_id: program_id.to_string(),
            base_map_version_id: base.id.clone(),
            number,
            refinement: serde_json::to_value(&event.new.refinement).map_err(internal)?,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| SiteMapVersion {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..v.clone()
            })
            .created(),
        )
        .await
    }

    /// Replace the site's refinement of a version not yet signed by both sides.
    pub async fn refine_site_map(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: i64,
        refinement: SiteRefinement,
        idem: Option<Idem>,
    ) -> Result<Outcome<SiteMapVersion>, AppError> {
        let view = self.site_map(caller, id).await?;
        let p = self
            .partnership_for(
                caller,
                &view.version.partnership_id,
                ResourceKind::SiteMap,
                Action::Update,
            )
            .await?;
        self.require_side(caller, &p, Side::HealthSystem, "refining a site's map")?;
        if view.status == SiteMapStatus::Signed {
            return Err(AppError::invalid(
                "status",
                format!(
                    "version {} is signed by both sides and never changes; start the next version",
                    view.version.number
                ),
            ));
        }
        expect_version(
            &format!("site map version {}", view.version.number),
            view.version.version,
            expected_version,
        )?;
        let (program, base) = self.base_of(&view.version).await?;
        let accepted = self.accepted_changes(id).await?;
        effective_map(&base, &refinement, &accepted, &map_context(&program)?)
            .map_err(refinement_errors)?;
        let new_value = serde_json::to_value(&refinement).map_err(internal)?;
        if new_value == view.version.refinement {
            return Ok(Outcome::Fresh(view.version));
        }
        let next = SiteMapVersion {
            refinement: new_value,
            version: view.version.version + 1,
            ..view.version.clone()
        };
        let event = SiteMapVersionUpdated {
            id: id.to_string(),
            version: next.version,
            old: SiteMapVersionChanges {
                refinement: Some(view.refinement),
            },
            new: SiteMapVersionChanges {
                refinement: Some(refinement),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| SiteMapVersion {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
    }

    /// The site proposes a change to a controlled step, with its reason.
    pub async fn propose_change(
        &self,
        caller: &Caller,
        id: &str,
        step: Step,
        reason: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<MapProposal>, AppError> {
        let view = self.site_map(caller, id).await?;
        let p = self
            .partnership_for(
                caller,
                &view.version.partnership_id,
                ResourceKind::SiteMap,
                Action::Create,
            )
            .await?;
        self.require_side(caller, &p, Side::HealthSystem, "proposing a change")?;
        if view.status == SiteMapStatus::Signed {
            return Err(AppError::invalid(
                "status",
                "this version is signed by both sides; propose the change on the next version",
            ));
        }
        let mut f = Fields::default();
        let reason = f.check("reason", cellpath_domain::Notes::parse(reason));
        let (_, base) = self.base_of(&view.version).await?;
        if let Err(e) = check_proposal(&base, &step) {
            f.fail("step", e);
        }
        if view
            .proposals
            .iter()
            .any(|pr| pr.step_key == step.key && pr.status == ProposalStatus::Pending)
        {
            f.fail(
                "step",
                format!(
                    "a proposal for {} is already waiting for the manufacturer",
                    step.key
                ),
            );
        }
        f.finish()?;
        let proposal = MapProposal {
            id: crate::ids::new_id("prop"),
            partnership_id: p.id.clone(),
            site_map_version_id: id.to_string(),
            step_key: step.key.clone(),
            proposed: serde_json::to_value(&step).map_err(internal)?,
            reason: reason.expect("checked").into_string(),
            status: ProposalStatus::Pending,
            decision_reason: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        };
        let event = MapProposalCreated {
            id: proposal.id.clone(),
            new: MapProposalFields {
                partnership_id: proposal.partnership_id.clone(),
                site_map_version_id: id.to_string(),
                step_key: proposal.step_key.clone(),
                proposed: step,
                reason: proposal.reason.clone(),
                status: ProposalStatus::Pending,
                decision_reason: String::new(),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| MapProposal {
                created_at: a.recorded_at,
                updated_at: a.recorded_at,
                ..proposal.clone()
            })
            .created(),
        )
        .await
    }

    /// The manufacturer accepts or rejects a proposal, always with a reason. An accepted
    /// change must leave the site's map valid.
    pub async fn decide_proposal(
        &self,
        caller: &Caller,
        proposal_id: &str,
        expected_version: i64,
        accept: bool,
        reason: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<MapProposal>, AppError> {
        let what = format!("proposal {proposal_id}");
        let proposal = self
            .store
            .map_proposal(proposal_id)
            .await?
            .map(MapProposal::from)
            .ok_or_else(|| AppError::not_found(&what))?;
        let view = self
            .site_map(caller, &proposal.site_map_version_id)
            .await
            .map_err(|_| AppError::not_found(&what))?;
        let p = self
            .partnership_for(
                caller,
                &proposal.partnership_id,
                ResourceKind::SiteMap,
                Action::Update,
            )
            .await?;
        self.require_side(caller, &p, Side::Manufacturer, "deciding on a proposal")?;
        if view.status == SiteMapStatus::Signed {
            return Err(AppError::invalid(
                "status",
                "this version is signed by both sides and never changes; propose the change again on the next version",
            ));
        }
        if proposal.status != ProposalStatus::Pending {
            return Err(AppError::invalid(
                "status",
                format!("this proposal was already {}", proposal.status),
            ));
        }
        expect_version(&what, proposal.version, expected_version)?;
        let mut f = Fields::default();
        let reason = f.check("reason", cellpath_domain::Notes::parse(reason));
        if accept {
            let (program, base) = self.base_of(&view.version).await?;
            let mut accepted = self.accepted_changes(&view.version.id).await?;
            accepted.push(serde_json::from_value(proposal.proposed.clone()).map_err(internal)?);
            if let Err(errors) =
                effective_map(&base, &view.refinement, &accepted, &map_context(&program)?)
            {
                f.fail(
                    "proposal",
                    format!(
                        "accepting it would break the site's map: {}",
                        errors.join("; ")
                    ),
                );
            }
        }
        f.finish()?;
        let status = if accept {
            ProposalStatus::Accepted
        } else {
            ProposalStatus::Rejected
        };
        let reason = reason.expect("checked").into_string();
        let next = MapProposal {
            status,
            decision_reason: Some(reason.clone()).filter(|r| !r.is_empty()),
            version: proposal.version + 1,
            ..proposal.clone()
        };
        let event = MapProposalUpdated {
            id: proposal_id.to_string(),
            version: next.version,
            old: MapProposalChanges {
                status: Some(ProposalStatus::Pending),
                decision_reason: Some(String::new()),
            },
            new: MapProposalChanges {
                status: Some(status),
                decision_reason: Some(reason),
            },
        };
        self.write(
            caller,
            idem,
            Write::event(p.id.clone(), &event, move |a| MapProposal {
                updated_at: a.recorded_at,
                ..next.clone()
            }),
        )
        .await
    }

    /// Sign the version's current content for the caller's side (password re-entered). A
    /// version signed by both sides may authorize a site: the gate's review is enqueued with
    /// the signature.
    pub async fn sign_site_map(
        &self,
        caller: &Caller,
        id: &str,
        meaning: Meaning,
        password: &str,
        idem: Option<Idem>,
    ) -> Result<Outcome<Signature>, AppError> {
        let view = self.site_map(caller, id).await?;
        let p = self
            .partnership_row(caller, &view.version.partnership_id)
            .await?;
        refuse_if_ended(&p)?;
        let side = self
            .side(caller, &p)
            .ok_or_else(|| AppError::not_found("site map version"))?;
        // Sign only what is settled, and only if your role does this work.
        let rel = self.partnership_relation(caller, &p);
        self.check(
            caller,
            Action::Update,
            ResourceKind::SiteMap,
            rel,
            "site maps of this partnership",
        )?;
        if view
            .proposals
            .iter()
            .any(|pr| pr.status == ProposalStatus::Pending)
        {
            return Err(AppError::invalid(
                "status",
                "a proposal on this version is waiting for the manufacturer's decision; sign once it is decided",
            ));
        }
        let already = match side {
            Side::HealthSystem => view.signed_by_health_system,
            Side::Manufacturer => view.signed_by_manufacturer,
        };
        if already && caller.principal.is_some() {
            return Err(AppError::invalid(
                "status",
                "your side has already signed this content",
            ));
        }
        // The signature bumps the version in the same command, so a refinement or a decision
        // made on the content read before it is refused (409) instead of silently voiding it.
        let bump = SiteMapVersionUpdated {
            id: id.to_string(),
            version: view.version.version + 1,
            old: SiteMapVersionChanges::default(),
            new: SiteMapVersionChanges::default(),
        };
        let bump = crate::write::follow_up(move |_| bump);
        self.sign_with(
            caller,
            &p.id,
            Signed::Record {
                record_kind: SITE_MAP_RECORD.into(),
                record_id: id.to_string(),
                content_hash: view.content_hash,
            },
            meaning,
            password,
            idem,
            vec![bump],
            vec![self.review_gate(&p.id)],
        )
        .await
        .map(|o| o.map(Into::into))
    }
}
