//! Site maps (DESIGN.md §4.1, refinement): a site's version of a program's published process
//! map, on the partnership's ledger. The health system sets each step's local owner, location,
//! system and notes, edits its own steps, adds checklist steps and proposes changes to
//! controlled steps; the manufacturer accepts or rejects each proposal with a reason; both
//! sides sign the version's content, after which it never changes.
//!
//! `page` is the version's page (swimlane, steps, proposals, signatures, the checklist form),
//! `step_page` one step with the site's forms for it, `edits` the pure functions that build
//! the refinement those forms send to the app. Starting a version is posted from the
//! partnership page (or "Start the next version" on a signed one).

mod edits;
mod page;
mod step_page;
#[cfg(test)]
mod tests;

pub use page::{add_checklist, decide, show, sign};
pub use step_page::{propose, remove as remove_step, save_details, save_edit, show as show_step};

use crate::charts::swimlane::{SiteOverlay, StepOverlay};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors};
use crate::labels::{self, Tone};
use crate::pages::notice_redirect;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::programs::valid_map;
use cellpath_app::sitemaps::{Side, SiteMapView};
use cellpath_app::views::{MapProposal, MapVersion, Partnership, Program};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::process_map::{Step, ValidMap};
use cellpath_domain::refinement::LocalStep;
use cellpath_domain::refinement::SiteMapStatus;
use edits::Change;
use maud::{Markup, html};
use std::collections::BTreeMap;

/// Confirmations after the site map forms (fixed texts: nothing from the URL reaches the page).
fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("started") => {
            "The site's version is started. Set each step's local details, then both sides sign it."
        }
        Some("details_saved") => "The local details are saved in this version.",
        Some("step_changed") => "The site's change to this step is saved in this version.",
        Some("step_restored") => "The step is back to the manufacturer's published step.",
        Some("checklist_added") => "The checklist step is added to this version.",
        Some("checklist_removed") => {
            "The checklist step is removed; the steps around it are connected again."
        }
        Some("proposed") => "Your proposal is sent to the manufacturer, who accepts or rejects it.",
        Some("proposal_accepted") => {
            "The proposal is accepted: the step is changed in this version."
        }
        Some("proposal_rejected") => "The proposal is rejected; the site sees your reason.",
        _ => return crate::layout::notice(code),
    };
    html! { div.notice #notice role="status" { (text) } }
}

/// "Draft", "Awaiting signature", "Signed by both sides".
pub fn status_badge(status: SiteMapStatus) -> Markup {
    let (text, tone) = match status {
        SiteMapStatus::Draft => ("Draft", Tone::Waiting),
        SiteMapStatus::AwaitingSignature => ("Awaiting signature", Tone::Info),
        SiteMapStatus::Signed => ("Signed by both sides", Tone::Good),
    };
    html! { span.site-map-status data-status=(status) { (labels::badge(text, tone)) } }
}

/// A proposal's status as a badge.
fn proposal_badge(status: &str) -> Markup {
    let (text, tone) = match status {
        "pending" => ("Waiting for a decision", Tone::Waiting),
        "accepted" => ("Accepted", Tone::Good),
        "rejected" => ("Rejected", Tone::Quiet),
        other => (other, Tone::Quiet),
    };
    html! { span.proposal-status data-status=(status) { (labels::badge(text, tone)) } }
}

fn change_badge(change: Change) -> Markup {
    html! { span class={ "badge change-badge change-" (change.css()) } { (change.label()) } }
}

/// Refuse a change to the partnership's site maps that the policy refuses the caller.
pub(super) fn refuse_change(ctx: &Ctx, p: &Partnership) -> Result<(), WebError> {
    let rel = ctx.app.partnership_relation(ctx.caller(), p);
    Ok(ctx.app.check(
        ctx.caller(),
        Action::Update,
        ResourceKind::SiteMap,
        rel,
        &format!("the site maps of {}", p.name),
    )?)
}

/// A site map version with everything its pages show: the effective map, the published map it
/// refines, the partnership, and which side the person reading it is on.
pub(super) struct Loaded {
    pub view: SiteMapView,
    pub effective: ValidMap,
    pub base: ValidMap,
    pub base_version: MapVersion,
    pub program: Program,
    pub partnership: Partnership,
    pub site_name: String,
    pub manufacturer_name: String,
    pub health_system_name: String,
    pub side: Option<Side>,
    pub changes: BTreeMap<String, Change>,
    may_update: bool,
    may_create: bool,
}

impl Loaded {
    /// Refuse a change the policy refuses the caller (a partnership ended, a role that does
    /// not do this work) before the form is read: the refusal is the app's, not a field error.
    pub fn refuse_change(&self, ctx: &Ctx) -> Result<(), WebError> {
        refuse_change(ctx, &self.partnership)
    }

    pub async fn load(ctx: &Ctx, id: &str) -> Result<Loaded, WebError> {
        let view = ctx.app.site_map(ctx.caller(), id).await?;
        let effective = view.effective.clone().ok_or_else(|| {
            WebError::from(AppError::Internal(format!(
                "site map version {id} has no effective map"
            )))
        })?;
        let partnership = ctx
            .app
            .partnership(ctx.caller(), &view.version.partnership_id)
            .await?;
        let (base_version, program) = ctx
            .app
            .map_version(ctx.caller(), &view.version.base_map_version_id)
            .await?;
        let base = valid_map(&program, &base_version)?;
        // The other party's records may be out of reach (an ended partnership): fall back to ids.
        let site_name = match ctx.app.site(ctx.caller(), &view.version.site_id).await {
            Ok(s) => s.name,
            Err(_) => view.version.site_id.clone(),
        };
        let names = crate::pages::OrgNames::load(ctx).await?;
        let side = if ctx.org.id == partnership.manufacturer_id {
            Some(Side::Manufacturer)
        } else if ctx.org.id == partnership.health_system_id {
            Some(Side::HealthSystem)
        } else {
            None
        };
        let accepted: Vec<&str> = view
            .proposals
            .iter()
            .filter(|p| p.status == ProposalStatus::Accepted)
            .map(|p| p.step_key.as_str())
            .collect();
        let changes = edits::changes(&view.refinement, accepted.into_iter());
        Ok(Loaded {
            may_update: ctx.may_in(Action::Update, ResourceKind::SiteMap, &partnership),
            may_create: ctx.may_in(Action::Create, ResourceKind::SiteMap, &partnership),
            manufacturer_name: names.name(&partnership.manufacturer_id).to_string(),
            health_system_name: names.name(&partnership.health_system_id).to_string(),
            view,
            effective,
            base,
            base_version,
            program,
            partnership,
            site_name,
            side,
            changes,
        })
    }

    pub fn id(&self) -> &str {
        &self.view.version.id
    }

    pub fn path(&self) -> String {
        paths::site_map(&self.view.version.id)
    }

    pub fn title(&self) -> String {
        format!(
            "{} · {} site map version {}",
            self.site_name, self.program.name, self.view.version.number
        )
    }

    fn open(&self) -> bool {
        self.view.status != SiteMapStatus::Signed
            && self.partnership.status != PartnershipStatus::Ended
    }

    /// The health system refines (details, its own steps, checklists) until both have signed.
    pub fn may_refine(&self) -> bool {
        self.side == Some(Side::HealthSystem) && self.may_update && self.open()
    }

    pub fn may_propose(&self) -> bool {
        self.side == Some(Side::HealthSystem) && self.may_create && self.open()
    }

    pub fn may_decide(&self) -> bool {
        self.side == Some(Side::Manufacturer) && self.may_update && self.open()
    }

    /// Starting the next version: the health system, once this one is signed by both.
    pub fn may_start_next(&self) -> bool {
        self.side == Some(Side::HealthSystem)
            && self.may_create
            && self.view.status == SiteMapStatus::Signed
            && self.partnership.status != PartnershipStatus::Ended
    }

    pub fn local(&self, key: &str) -> Option<&LocalStep> {
        self.view
            .refinement
            .local_steps
            .iter()
            .find(|l| l.step.key == key)
    }

    /// The newest accepted proposal for a step (the app applies them in order, last wins).
    fn accepted_step(&self, key: &str) -> Option<Step> {
        self.view
            .proposals
            .iter()
            .filter(|p| p.status == ProposalStatus::Accepted && p.step_key == key)
            .filter_map(proposed_step)
            .next_back()
    }

    /// A step of this version as the site's forms edit it: the accepted change, the site's own
    /// edit, the published step or the site's checklist — without the local details, which
    /// the effective map lays over it (the local location replaces the step's).
    pub fn map_step(&self, key: &str) -> Option<Step> {
        self.accepted_step(key)
            .or_else(|| self.view.refinement.overrides.get(key).cloned())
            .or_else(|| self.base.step(key).cloned())
            .or_else(|| self.local(key).map(|l| l.step.clone()))
    }

    /// What the site has said about each step, drawn over the swimlane.
    pub fn overlay(&self) -> SiteOverlay {
        let mut steps = BTreeMap::new();
        for s in self.effective.steps() {
            let detail = self.view.refinement.details.get(&s.key);
            let changed = self.changes.contains_key(&s.key);
            if detail.is_none() && !changed {
                continue;
            }
            let d = detail.cloned().unwrap_or_default();
            steps.insert(
                s.key.clone(),
                StepOverlay {
                    owner_role: d.owner_role.map(|r| labels::role(r.as_str()).to_string()),
                    location: d.location,
                    system: d.system,
                    notes: d.notes,
                    changed,
                },
            );
        }
        SiteOverlay {
            site_name: self.site_name.clone(),
            steps,
            progress: BTreeMap::new(),
        }
    }

    /// The steps' names, for "comes after" lists and proposal tables.
    pub fn step_name(&self, key: &str) -> String {
        self.effective
            .step(key)
            .or_else(|| self.base.step(key))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| key.to_string())
    }
}

pub(super) fn proposed_step(p: &MapProposal) -> Option<Step> {
    serde_json::from_value(p.proposed.clone()).ok()
}

/// `POST /partnerships/{id}/site-maps`: start a site's version (`from` = the version whose
/// site work it copies). A refusal goes back to the partnership page, beside its sites.
pub async fn start(Path(pid): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let from = Some(form.get("from")).filter(|f| !f.is_empty());
    match ctx
        .app
        .start_site_map(
            ctx.caller(),
            &pid,
            form.get("site_id"),
            form.get("program_id"),
            from,
            None,
        )
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => Ok(notice_redirect(&paths::site_map(&v.id), "started")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            crate::pages::partnerships::render_with_site_errors(&ctx, &pid, &form, &errors).await
        }
    }
}

/// The values a form shows: what was typed when it comes back, else its defaults.
fn typed_or(returned: Option<&FormData>, defaults: impl FnOnce() -> FormData) -> FormData {
    returned.cloned().unwrap_or_else(defaults)
}

/// The roles of a health system, for "who does it here" (the local owner of a step).
pub(super) fn site_role_options(first: (&str, String)) -> Vec<(String, String)> {
    std::iter::once((first.0.to_string(), first.1))
        .chain(
            cellpath_domain::Role::HEALTH_SYSTEM
                .iter()
                .map(|r| (r.as_str().to_string(), labels::role(r.as_str()).to_string())),
        )
        .collect()
}

/// Hand a changed refinement to the app. The app's messages about it name the step and what
/// is wrong; `place` finds the form field a message belongs beside (else it goes above the
/// form).
pub(super) async fn refine(
    ctx: &Ctx,
    id: &str,
    version: i64,
    refinement: cellpath_domain::refinement::SiteRefinement,
    place: fn(&str) -> Option<&'static str>,
) -> Result<Result<cellpath_app::views::SiteMapVersion, FormErrors>, WebError> {
    match ctx
        .app
        .refine_site_map(ctx.caller(), id, version, refinement, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Invalid(list)) => {
            let mut errors = FormErrors::default();
            for f in list {
                match (f.field.as_str(), place(&f.message)) {
                    ("refinement", Some(field)) => errors.field(field, f.message),
                    _ => errors.form(f.message),
                }
            }
            Ok(Err(errors))
        }
        Err(e) => Ok(Err(FormErrors::from_app(e)?)),
    }
}
