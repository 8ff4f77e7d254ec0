//! An organization's onboarding pipeline: every site of each active partnership, a page of
//! partnerships at a time, with its status, days in onboarding, predicted day and blockers,
//! and the counts by status of every partnership's sites.

use super::status_of;
use super::{Pipeline, PipelineCounts, PipelineRow};
use crate::{App, AppError, Caller};
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::{Date, PartnershipStatus};
use cellpath_store::{Page, Partnership, Program};
use std::collections::HashMap;

impl PipelineCounts {
    fn add(&mut self, status: &str) {
        match status {
            "authorized" => self.authorized += 1,
            "suspended" => self.suspended += 1,
            _ => self.onboarding += 1,
        }
    }
}

impl App {
    /// A page of the organization's pipeline: every site of each active partnership on the
    /// page (partnerships by name, `page` of them) for every program it names — status, days
    /// in onboarding, predicted day and blockers — sorted by partnership, then program, then
    /// status (suspended and onboarding first), then site code; with the counts by status of
    /// every partnership's sites, not only the page's.
    ///
    /// Only the page's partnerships are planned. The gate of every partnership is read in the
    /// same fixed number of queries as one page (`gate_records`) and judged by the pure rule,
    /// so the counts are the rows' own statuses at a small cost per site.
    pub async fn onboarding_pipeline(
        &self,
        caller: &Caller,
        org_id: &str,
        today: Date,
        page: Page,
    ) -> Result<Pipeline, AppError> {
        caller.refuse_other_org(org_id, "the onboarding pipeline")?;
        // Ended partnerships are history, and a proposal shows nothing of the partner's sites:
        // active ones only. One that starts after the day asked about had no sites in
        // onboarding yet.
        let partnerships: Vec<Partnership> = self
            .store
            .partnerships_of_in(org_id, &[PartnershipStatus::Active.as_str()])
            .await?
            .into_iter()
            .filter(|p| Date::of_micros(p.created_at) <= today)
            .collect();
        // Only partnerships whose gate the caller may read (every party role may).
        for p in &partnerships {
            self.check_gate_readable(caller, p)?;
        }
        // (A site added since a partnership was accepted that it does not cover has not joined
        // its onboarding: its gate record leaves it out, so the pipeline does too.)
        let records = self.gate_records(&partnerships).await?;
        let mut counts = PipelineCounts::default();
        for record in &records {
            for program in &record.programs {
                for site in record.sites.iter().filter(|s| s.active) {
                    let authorized = record
                        .rule
                        .missing(&site.id, &program.id, &today)
                        .is_empty();
                    let recorded = record
                        .recorded
                        .iter()
                        .find(|r| r.site_id == site.id && r.program_id == program.id)
                        .map(|r| (r.status, &r.since));
                    counts.add(status_of(authorized, recorded).0);
                }
            }
        }

        let total = partnerships.len();
        let start = usize::try_from(page.offset)
            .unwrap_or(usize::MAX)
            .min(total);
        let end = start
            .saturating_add(usize::try_from(page.limit).unwrap_or(usize::MAX))
            .min(total);
        let (on_page, records) = (&partnerships[start..end], &records[start..end]);
        let mut programs: Vec<Program> = records
            .iter()
            .flat_map(|r| r.programs.iter().cloned())
            .collect();
        programs.sort_by(|a, b| a.id.cmp(&b.id));
        programs.dedup_by(|a, b| a.id == b.id);
        let templates: HashMap<String, TrackTemplate> = programs
            .iter()
            .map(|pr| pr.id.clone())
            .zip(self.templates_for(&programs).await?)
            .collect();
        let partner_of = |p: &Partnership| {
            if p.manufacturer_id == org_id {
                p.health_system_id.clone()
            } else {
                p.manufacturer_id.clone()
            }
        };
        let partners: HashMap<String, String> = self
            .store
            .organizations_in(&on_page.iter().map(partner_of).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();

        let mut rows = Vec::new();
        for (p, record) in on_page.iter().zip(records) {
            let partner = partners.get(&partner_of(p)).cloned().unwrap_or_default();
            for program in &record.programs {
                let template = &templates[&program.id];
                let Some(plan) = self
                    .dual_track_plan(p, record, program, template, &today)
                    .await?
                else {
                    continue;
                };
                for site in plan.sites {
                    rows.push(PipelineRow {
                        partnership_id: p.id.clone(),
                        partnership_name: p.name.clone(),
                        partnership_status: p.status,
                        partner: partner.clone(),
                        program_id: program.id.clone(),
                        program_name: program.name.clone(),
                        site,
                    });
                }
            }
        }
        let rank = |s: &str| match s {
            "suspended" => 0,
            "onboarding" => 1,
            _ => 2,
        };
        // Partnerships in the order paged (by name, then id), so a page holds whole groups.
        let order: HashMap<&str, usize> = on_page
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        rows.sort_by(|a, b| {
            (
                order[a.partnership_id.as_str()],
                &a.program_name,
                rank(a.site.status),
                &a.site.site_code,
            )
                .cmp(&(
                    order[b.partnership_id.as_str()],
                    &b.program_name,
                    rank(b.site.status),
                    &b.site.site_code,
                ))
        });
        Ok(Pipeline {
            org_id: org_id.to_string(),
            today: today.as_str().to_string(),
            partnerships: total,
            limit: page.limit,
            offset: page.offset,
            next_offset: (end < total).then_some(end as i64),
            counts,
            rows,
        })
    }
}
