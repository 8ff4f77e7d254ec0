//! Vein-to-vein figures (issue 12, point 6): for a manufacturer, its programs across every
//! partner site; for a health system, its sites across every manufacturer — the whole network,
//! or one program, one site, or both. The cases are those of the partnerships whose patients
//! the caller may see (the policy's patient view: the health system's own staff, the
//! manufacturer's roles on an active or ended partnership; never a proposal's, never another
//! tenant's), read in one indexed query from the cases' milestones (migration 0027) with
//! their bookings in another; the statistics are the domain's (`figures`).

use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::OrgKind;
use cellpath_domain::figures::{
    BookingFacts, BookingFigures, Figures, JourneyStage, Milestones, Span, Summary,
    booking_figures, figures, window_start,
};
use cellpath_store::{CaseFigureRow, FigureScope, Page};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which figures: the network (none), one program, one site, or one program at one site.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FiguresAsked {
    pub program: Option<String>,
    pub site: Option<String>,
}

/// A site or program by id and name.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// One site's (or program's) line of the table beside the network's figures.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct FigureLine {
    pub site: Named,
    /// Collection → infusion in the window.
    pub vein_to_vein: Option<Summary>,
    /// Cases not yet infused, stopped or cancelled.
    pub open_cases: usize,
}

/// The figures the caller asked for, with what they rest on.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct VeinToVein {
    /// The caller's side: a manufacturer sees its programs across partner sites, a health
    /// system its sites across manufacturers.
    pub side: OrgKind,
    /// What the caller may choose from.
    pub programs: Vec<Named>,
    pub sites: Vec<Named>,
    pub program: Option<Named>,
    pub site: Option<Named>,
    pub today: Date,
    /// How many cases the figures read (open, or infused or ended in the window).
    pub cases: usize,
    pub figures: Figures,
    pub bookings: BookingFigures,
    /// Per site, when no site was asked for.
    pub per_site: Vec<FigureLine>,
}

/// One case behind the figures, pseudonymous for every reader: what the CSV download holds.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct FigureCase {
    pub pseudonym: String,
    pub site: String,
    pub program: String,
    pub stage: JourneyStage,
    pub opened_on: Date,
    pub collected_on: Option<Date>,
    pub released_on: Option<Date>,
    pub infused_on: Option<Date>,
    /// Collection → infusion, in days.
    pub vein_to_vein_days: Option<i64>,
}

/// The scope resolved: the partnerships shown, the names, and what was asked.
struct Resolved {
    side: OrgKind,
    partnerships: Vec<String>,
    sites: BTreeMap<String, String>,
    programs: BTreeMap<String, String>,
    site: Option<Named>,
    program: Option<Named>,
}

fn milestones(row: &CaseFigureRow) -> Milestones {
    Milestones {
        opened: Date::of_micros(row.opened_at),
        collected: row.collected_at.map(Date::of_micros),
        released: row.released_at.map(Date::of_micros),
        infused: row.infused_at.map(Date::of_micros),
        state: row.status,
    }
}

impl App {
    /// The partnerships whose patients the caller may see, the sites and programs they hold,
    /// and the site and program asked for — each not found (404) when not among them.
    async fn figures_scope(
        &self,
        caller: &Caller,
        asked: &FiguresAsked,
    ) -> Result<Resolved, AppError> {
        let what = "the vein-to-vein figures";
        let Some(p) = &caller.principal else {
            return Err(AppError::not_found(what));
        };
        let side = p.org_kind;
        let mut partnerships = Vec::new();
        let mut makers = Vec::new();
        for pship in self.store.partnerships_of(&p.org_id, Page::all()).await? {
            let rel = self.case_relation(caller, &pship);
            if self.patient_view(caller, rel, what).is_ok() {
                makers.push(pship.manufacturer_id.clone());
                partnerships.push(pship.id);
            }
        }
        let sites: BTreeMap<String, String> = if side == OrgKind::HealthSystem {
            self.store
                .sites_of(&p.org_id, Page::all())
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect()
        } else {
            self.store
                .sites_of_partnerships(&partnerships)
                .await?
                .into_iter()
                .map(|(_, s)| (s.id, s.name))
                .collect()
        };
        makers.sort();
        makers.dedup();
        let programs: BTreeMap<String, String> = if makers.is_empty() {
            BTreeMap::new()
        } else {
            self.store
                .programs_of_orgs(&makers)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect()
        };
        let pick = |id: &Option<String>, from: &BTreeMap<String, String>, kind: &str| match id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(id) => from
                .get(id)
                .map(|name| {
                    Some(Named {
                        id: id.to_string(),
                        name: name.clone(),
                    })
                })
                .ok_or_else(|| AppError::not_found(format!("{kind} {id}"))),
        };
        Ok(Resolved {
            side,
            site: pick(&asked.site, &sites, "site")?,
            program: pick(&asked.program, &programs, "program")?,
            partnerships,
            sites,
            programs,
        })
    }

    async fn figure_rows(
        &self,
        r: &Resolved,
        today: &Date,
    ) -> Result<Vec<CaseFigureRow>, AppError> {
        let since = window_start(today).days_since_epoch() * 86_400_000_000;
        Ok(self
            .store
            .case_figures(
                &FigureScope {
                    partnerships: &r.partnerships,
                    site: r.site.as_ref().map(|s| s.id.as_str()),
                    program: r.program.as_ref().map(|p| p.id.as_str()),
                },
                since,
            )
            .await?)
    }

    /// The vein-to-vein figures of the network, a program, a site, or a program at a site.
    pub async fn vein_to_vein(
        &self,
        caller: &Caller,
        asked: &FiguresAsked,
    ) -> Result<VeinToVein, AppError> {
        let r = self.figures_scope(caller, asked).await?;
        let today = Date::of_micros(self.now());
        let rows = self.figure_rows(&r, &today).await?;
        let all: Vec<Milestones> = rows.iter().map(milestones).collect();
        let since = window_start(&today).days_since_epoch() * 86_400_000_000;
        let bookings = self
            .store
            .booking_figures(
                &FigureScope {
                    partnerships: &r.partnerships,
                    site: r.site.as_ref().map(|s| s.id.as_str()),
                    program: r.program.as_ref().map(|p| p.id.as_str()),
                },
                since,
            )
            .await?
            .into_iter()
            .map(|b| BookingFacts {
                requested_on: Date::of_micros(b.requested_at),
                status: b.status,
                apheresis_on: b.apheresis_on,
            })
            .collect::<Vec<_>>();
        let per_site = if r.site.is_some() {
            Vec::new()
        } else {
            let mut by_site: BTreeMap<&str, Vec<Milestones>> = BTreeMap::new();
            for (row, m) in rows.iter().zip(&all) {
                by_site.entry(&row.site_id).or_default().push(m.clone());
            }
            let mut lines: Vec<FigureLine> = by_site
                .into_iter()
                .map(|(site, cases)| {
                    let f = figures(&cases, &today);
                    FigureLine {
                        site: Named {
                            id: site.to_string(),
                            name: r.sites.get(site).cloned().unwrap_or_else(|| site.into()),
                        },
                        vein_to_vein: f
                            .spans
                            .iter()
                            .find(|s| s.span == Span::CollectionToInfusion)
                            .and_then(|s| s.days),
                        open_cases: cases
                            .iter()
                            .filter(|c| {
                                matches!(
                                    c.stage(),
                                    JourneyStage::BeforeCollection
                                        | JourneyStage::Manufacturing
                                        | JourneyStage::AwaitingInfusion
                                )
                            })
                            .count(),
                    }
                })
                .collect();
            lines.sort_by(|a, b| a.site.name.cmp(&b.site.name));
            lines
        };
        let named = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(id, name)| Named {
                    id: id.clone(),
                    name: name.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut sites = named(&r.sites);
        sites.sort_by(|a, b| a.name.cmp(&b.name));
        let mut programs = named(&r.programs);
        programs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(VeinToVein {
            side: r.side,
            cases: rows.len(),
            figures: figures(&all, &today),
            bookings: booking_figures(&bookings, &today),
            programs,
            sites,
            program: r.program,
            site: r.site,
            today,
            per_site,
        })
    }

    /// The cases behind the same figures, one line each, by pseudonym only (what every reader's
    /// patient view allows), oldest first.
    pub async fn vein_to_vein_cases(
        &self,
        caller: &Caller,
        asked: &FiguresAsked,
    ) -> Result<Vec<FigureCase>, AppError> {
        let r = self.figures_scope(caller, asked).await?;
        let today = Date::of_micros(self.now());
        let rows = self.figure_rows(&r, &today).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let m = milestones(&row);
                FigureCase {
                    site: r.sites.get(&row.site_id).cloned().unwrap_or(row.site_id),
                    program: r
                        .programs
                        .get(&row.program_id)
                        .cloned()
                        .unwrap_or(row.program_id),
                    pseudonym: row.pseudonym,
                    stage: m.stage(),
                    vein_to_vein_days: m.days(Span::CollectionToInfusion),
                    opened_on: m.opened,
                    collected_on: m.collected,
                    released_on: m.released,
                    infused_on: m.infused,
                }
            })
            .collect())
    }
}
