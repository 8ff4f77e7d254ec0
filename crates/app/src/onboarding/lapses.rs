//! Executed agreements that lapse too soon: before a site they hold is expected to be
//! authorized, or while the plan still runs — each would have to be renewed first.

use super::{Lapse, LapseAt};
use crate::contracting::GateRecord;
use crate::{App, AppError, Caller};
use cellpath_domain::contracting::AgreementStatus;
use cellpath_domain::{Date, PartnershipStatus};

/// The executed agreements the site counts on today that lapse before it is expected to be
/// authorized (`expected`: its P50 and P90, while it waits) or while the plan runs (before
/// `plan_end`, the last site's P90): each would have to be renewed first.
pub(super) fn lapsing(
    record: &GateRecord,
    site_id: &str,
    today: &Date,
    expected: Option<&(String, String)>,
    plan_end: &str,
) -> Vec<Lapse> {
    record
        .rule
        .agreements
        .iter()
        .filter(|a| a.facts.satisfies(a.facts.kind, site_id, today))
        .filter_map(|a| {
            let f = &a.facts;
            let expires = f.expires_on.as_ref()?.as_str();
            let title = f.kind.title();
            let text = match expected {
                Some((p50, p90)) if expires <= p90.as_str() => format!(
                    "{title} expires on {expires}, before the site is expected to be authorized \
                     ({p50} at P50, {p90} at P90): renew it"
                ),
                _ if expires <= plan_end => format!(
                    "{title} expires on {expires}, while the plan runs (all sites authorized by \
                     {plan_end} at P90): renew it"
                ),
                _ => return None,
            };
            Some(Lapse {
                agreement_id: a.id.clone(),
                kind: f.kind.as_str().to_string(),
                expires_on: expires.to_string(),
                text,
            })
        })
        .collect()
}

impl App {
    /// The executed agreements of a partnership that lapse too soon: before a site is expected
    /// to be authorized for one of its programs, or while the plan still runs (the live plan's
    /// [`Lapse`]s, with the program and site they hold back). Empty for an ended partnership.
    pub async fn lapsing_agreements(
        &self,
        caller: &Caller,
        partnership_id: &str,
        today: Date,
    ) -> Result<Vec<LapseAt>, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        if p.status == PartnershipStatus::Ended {
            return Ok(vec![]);
        }
        let record = self.gate_record(&p).await?;
        // Only an executed agreement with an expiry date can lapse: without one, no plan runs
        // (this is on every view of the partnership page).
        if !record
            .rule
            .agreements
            .iter()
            .any(|a| a.facts.status == AgreementStatus::Executed && a.facts.expires_on.is_some())
        {
            return Ok(vec![]);
        }
        let templates = self.templates_for(&record.programs).await?;
        let mut out = Vec::new();
        for (program, template) in record.programs.iter().zip(&templates) {
            let Some(plan) = self
                .dual_track_plan(&p, &record, program, template, &today)
                .await?
            else {
                continue;
            };
            for site in plan.sites {
                for lapse in site.lapsing {
                    out.push(LapseAt {
                        program_id: program.id.clone(),
                        program_name: program.name.clone(),
                        site_id: site.site_id.clone(),
                        site_code: site.site_code.clone(),
                        lapse,
                    });
                }
            }
        }
        Ok(out)
    }
}
