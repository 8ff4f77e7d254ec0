//! A partnership's live plan for a program: the track template with the items already done
//! fixed at their real dates and the open ones estimated from today, under dual-track and
//! sequential contracting, with where each site stands at the gate today.

use super::lapses::lapsing;
use super::{DoneItem, LivePlan, OverdueGap, Prediction, SiteOutlook, StrategyOutlook};
use super::{days_text, status_of};
use crate::contracting::{GateRecord, GateView, plan_of_template};
use crate::plans::PlanReport;
use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::contracting::reminders::days_left;
use cellpath_domain::contracting::template::TrackTemplate;
use cellpath_domain::contracting::template::{TrackItem, TrackKind};
use cellpath_domain::contracting::{Missing, Scope};
use cellpath_planning::contracting::{Comparison, Entry, Planner, Report, Strategy, whole_day};
use cellpath_store::{Partnership, Program, Site};

/// Monte Carlo runs of a live plan: P90 is stable to well under a day at this count.
pub const LIVE_ITERATIONS: u32 = 10_000;
/// One seed for every live plan, so the same state always gives the same dates.
pub const LIVE_SEED: u64 = 20_261_125;
/// A request shares the machine with everyone else's; the numbers do not depend on threads.
const MAX_THREADS: usize = 4;

/// A joinder extends an executed central agreement to one more site: a short amendment the
/// affiliate signs, days [min, most likely, max] (an estimate to tune, not a measured figure).
const JOINDER_DAYS: [f64; 3] = [5.0, 15.0, 45.0];

/// No day before `today` for the sites still `waiting` (and for the last site while any
/// waits): the planner puts a site whose items are all done on the day of its last item, but
/// the gate has not let it through yet. Each waiting site comes with its safe floor: today,
/// or the day its open blocking gaps are due to be closed — the P90 (the date to promise)
/// is never before it; the median assumes the gap closes sooner.
fn not_before(report: &mut Report, today: f64, waiting: &[(&str, f64)]) {
    let Some(safe) = waiting.iter().map(|(_, f)| *f).reduce(f64::max) else {
        return;
    };
    let safe_of = |site: &str| waiting.iter().find(|(n, _)| *n == site).map(|(_, f)| *f);
    for s in report.deterministic.sites.iter_mut() {
        if safe_of(&s.site).is_some() {
            s.day = s.day.max(today);
        }
    }
    for (site, d) in report.monte_carlo.sites.iter_mut() {
        if let Some(floor) = safe_of(site) {
            d.p50 = d.p50.max(today);
            d.p90 = d.p90.max(floor.max(today));
        }
    }
    let last = &mut report.deterministic.last_site;
    last.day = last.day.max(today);
    let last = &mut report.monte_carlo.last_site;
    last.p50 = last.p50.max(today);
    last.p90 = last.p90.max(safe.max(today));
}

/// The open blocking gaps holding the site back that are past their due date, most overdue
/// first.
fn overdue_gaps(
    record: &GateRecord,
    site_id: &str,
    program_id: &str,
    today: &Date,
) -> Vec<OverdueGap> {
    let mut out: Vec<OverdueGap> = record
        .open_blocking_gaps(site_id, program_id)
        .into_iter()
        .filter_map(|g| {
            let days = -days_left(today, &g.due_on);
            (days > 0).then(|| OverdueGap {
                gap_id: g.id.clone(),
                due_on: g.due_on.as_str().to_string(),
                days_overdue: days,
                text: format!(
                    "Gap overdue by {} (due {}): {}",
                    days_text(days),
                    g.due_on,
                    g.expected
                ),
            })
        })
        .collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.days_overdue));
    out
}

/// The program of the partnership's record, or not found.
fn program_of(record: &GateRecord, program_id: &str) -> Result<Program, AppError> {
    record
        .programs
        .iter()
        .find(|pr| pr.id == program_id)
        .cloned()
        .ok_or_else(|| AppError::not_found(format!("program {program_id} of this partnership")))
}

/// The sites a partnership's plan is made for.
fn planned_sites(record: &GateRecord) -> Vec<&Site> {
    record.sites.iter().filter(|s| s.active).collect()
}

/// Each site's name in the plan, in order, unique.
fn plan_names(sites: &[&Site]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in sites {
        let name = plan_name(s, &names);
        names.push(name);
    }
    names
}

/// A site's name in the plan: its code when the planner can use it (readable on charts),
/// else its id.
fn plan_name(site: &Site, taken: &[String]) -> String {
    let usable = !site.code.is_empty()
        && site
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if usable && !taken.contains(&site.code) {
        site.code.clone()
    } else {
        site.id.clone()
    }
}

impl App {
    /// When each active site of the partnership will be authorized for the program, planned
    /// from what is done (at its real dates) and the program's track template from `today`,
    /// under dual-track and, for comparison, sequential contracting; with where each site
    /// stands at the gate today.
    pub async fn live_plan(
        &self,
        caller: &Caller,
        partnership_id: &str,
        program_id: &str,
        today: Date,
    ) -> Result<LivePlan, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        let record = self.gate_record(&p).await?;
        let program = program_of(&record, program_id)?;
        let template = self.template_for(&program.id).await?;
        self.live_plan_of(&p, &record, &program, &template, today, &Strategy::ALL)
            .await
    }

    /// The partnership's plan for the program as the contracting planner starts from it: its
    /// sites (as the live plan names them) and the program's track template, from day 0 —
    /// what is already done is the live plan's, not a plan file's.
    pub async fn plan_of_partnership(
        &self,
        caller: &Caller,
        partnership_id: &str,
        program_id: &str,
    ) -> Result<crate::plans::PlanStart, AppError> {
        let p = self.gate_partnership(caller, partnership_id).await?;
        let record = self.gate_record(&p).await?;
        let program = program_of(&record, program_id)?;
        let template = self.template_for(&program.id).await?;
        let names = plan_names(&planned_sites(&record));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(crate::plans::PlanStart {
            plan: plan_of_template(&template, &names, Strategy::DualTrack)?,
            from: format!(
                "partnership {}: its sites and the track template of {}",
                p.name, program.name
            ),
        })
    }

    /// The live plan under `strategies` (dual-track first). The pipeline asks for dual-track
    /// only; the sequential figures of its plans then repeat dual-track's and are not shown.
    async fn live_plan_of(
        &self,
        p: &Partnership,
        record: &GateRecord,
        program: &Program,
        template: &TrackTemplate,
        today: Date,
        strategies: &[Strategy],
    ) -> Result<LivePlan, AppError> {
        let partnership_start = Date::of_micros(p.created_at);
        let sites = planned_sites(record);
        if sites.is_empty() {
            return Err(AppError::invalid(
                "sites",
                "the health system has no active site to plan for; add a site first",
            ));
        }
        let names = plan_names(&sites);
        // Each item's done day: per site (`Some`), and for the central track (`None`).
        // The day an item was done at a site — exactly when the gate no longer lists it.
        let done_at_site = |item: &TrackItem, site: &Site| {
            record
                .rule
                .satisfied_on(item.item, &site.id, &program.id, &today)
        };
        // A central instance is done once it holds for a site, on the first such day (its
        // execution). A site it does not cover yet waits for a joinder of its own (planned
        // under dual-track, from today): the sites it covers are not held back by it.
        // (instance under dual-track, instance under sequential, day)
        let mut done: Vec<(Option<String>, String, Option<String>, Date)> = Vec::new();
        // (the joinder's entry id, the central item's key, its kind)
        let mut joinders: Vec<(String, String, TrackKind)> = Vec::new();
        let mut covered: Vec<(String, Date)> = Vec::new();
        for item in &template.items {
            let per_site: Vec<Option<Date>> = sites.iter().map(|s| done_at_site(item, s)).collect();
            if item.scope == Scope::HealthSystem
                && let Some(first) = per_site.iter().flatten().min()
            {
                done.push((
                    Some(item.key.clone()),
                    item.key.clone(),
                    None,
                    first.clone(),
                ));
                if per_site.iter().any(Option::is_none) {
                    let joinder = format!("{}-joinder", item.key);
                    // The sites it covers need no joinder: theirs is fixed, unlisted, at
                    // the day the agreement held there.
                    for (on, name) in per_site.iter().zip(&names) {
                        if let Some(on) = on {
                            covered.push((format!("{name}:{joinder}"), on.clone()));
                        }
                    }
                    joinders.push((joinder, item.key.clone(), item.item));
                }
            }
            for (on, name) in per_site.iter().zip(&names) {
                if let Some(on) = on {
                    let dual = (item.scope == Scope::Site).then(|| format!("{name}:{}", item.key));
                    done.push((dual, item.key.clone(), Some(name.clone()), on.clone()));
                }
            }
        }
        let start = done
            .iter()
            .map(|(_, _, _, on)| on.clone())
            .chain([partnership_start.clone()])
            .min()
            .expect("the partnership's start is there");
        let today_day = today.days_since_epoch() - start.days_since_epoch();
        if today_day < 0 {
            return Err(AppError::invalid(
                "today",
                format!(
                    "{} is before the partnership started ({}); plan from a later day",
                    today.as_str(),
                    start.as_str()
                ),
            ));
        }
        let day = |d: &Date| (d.days_since_epoch() - start.days_since_epoch()) as f64;

        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut reports: Vec<Report> = Vec::new();
        for &strategy in strategies {
            let mut plan = plan_of_template(template, &name_refs, strategy)?;
            if strategy == Strategy::DualTrack {
                for (joinder, central, _) in &joinders {
                    plan.entries
                        .push(Entry::site(joinder, JOINDER_DAYS, &[central.as_str()]));
                }
                for (instance, on) in &covered {
                    plan.fixed.insert(instance.clone(), day(on));
                }
            }
            plan.seed = LIVE_SEED;
            plan.iterations = LIVE_ITERATIONS;
            plan.today = today_day as f64;
            for (dual, key, site, on) in &done {
                let instance = match strategy {
                    Strategy::DualTrack => dual.clone(),
                    Strategy::Sequential => site.as_ref().map(|s| format!("{s}:{key}")),
                };
                if let Some(instance) = instance {
                    plan.fixed.insert(instance, day(on));
                }
            }
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS);
            // An equal plan was computed before (the planner is a pure function of it).
            if let Some(report) = self.plans.get(&plan) {
                reports.push(report);
                continue;
            }
            // The Monte Carlo is CPU work: off the async workers.
            let (plan, report) = tokio::task::spawn_blocking(move || {
                let report = Planner::new(&plan).map(|planner| planner.report(threads));
                (plan, report)
            })
            .await
            .map_err(|e| AppError::Internal(format!("the planner stopped: {e}")))?;
            let report = report.map_err(|e| AppError::invalid("template", e))?;
            self.plans.put(plan, report.clone());
            reports.push(report);
        }
        let dual_track = reports.remove(0);
        let sequential = reports.pop().unwrap_or_else(|| dual_track.clone());
        let mut comparison = Comparison {
            dual_track,
            sequential,
        };
        let saved = comparison.days_saved();
        // Where each site stands at the gate today. A site still waiting is not authorized
        // before today, even when its plan items are all done (something else blocks it):
        // its days in the reports — and so in every table and chart — start at today.
        let gates: Vec<GateView> = sites
            .iter()
            .map(|s| record.gate(&s.id, &program.id, today.clone()))
            .collect();
        let waiting: Vec<(&str, f64)> = names
            .iter()
            .zip(&sites)
            .zip(&gates)
            .filter(|(_, g)| !g.authorized)
            .map(|((n, site), _)| {
                let gaps_due = record
                    .open_blocking_gaps(&site.id, &program.id)
                    .into_iter()
                    .map(|g| day(&g.due_on))
                    .fold(f64::MIN, f64::max);
                (n.as_str(), gaps_due.max(today_day as f64))
            })
            .collect();
        for report in [&mut comparison.dual_track, &mut comparison.sequential] {
            not_before(report, today_day as f64, &waiting);
        }
        let date_of = |day: f64| start.plus_days(whole_day(day)).as_str().to_string();
        let outlook = |r: &Report| StrategyOutlook {
            strategy: r.strategy.as_str(),
            last_site: Prediction {
                planned: date_of(r.deterministic.last_site.day),
                p50: date_of(r.monte_carlo.last_site.p50),
                p90: date_of(r.monte_carlo.last_site.p90),
            },
            critical_path: r
                .deterministic
                .critical_path_names()
                .into_iter()
                .map(String::from)
                .collect(),
        };

        let mut outlooks = Vec::new();
        for ((site, name), gate) in sites.iter().zip(&names).zip(gates) {
            let (status, since) = status_of(
                gate.authorized,
                gate.recorded.as_ref().map(|r| (r.status, &r.since)),
            );
            // The real days of what is done for this site (central items included).
            let done_days: Vec<&Date> = done
                .iter()
                .filter(|(_, _, s, _)| s.as_deref() == Some(name.as_str()))
                .map(|(_, _, _, on)| on)
                .collect();
            // The site's own work (its site-scope items; central ones are the health
            // system's) may have begun before the partnership was recorded.
            let own_first = done
                .iter()
                .filter(|(dual, _, s, _)| dual.is_some() && s.as_deref() == Some(name.as_str()))
                .map(|(_, _, _, on)| on.clone())
                .min();
            let started = std::cmp::min(
                std::cmp::max(partnership_start.clone(), Date::of_micros(site.created_at)),
                own_first.unwrap_or(today.clone()),
            );
            // Onboarding ends with the first authorization (the recorded row is created then;
            // a later suspension or reinstatement only updates it): on the day its last item
            // was done when all are (recorded later than done happens: entered afterwards),
            // else it runs until today.
            let authorized_on = gate.recorded.as_ref().map(|r| {
                let recorded = Date::of_micros(r.created_at);
                let last = done_days.iter().copied().max().cloned();
                match last {
                    Some(last) if done_days.len() >= template.items.len() => {
                        std::cmp::min(last, recorded).max(started.clone())
                    }
                    _ => recorded,
                }
            });
            let until = authorized_on.clone().unwrap_or(today.clone());
            // Done for this site as the gate sees it: not among its missing items.
            let counts = |item: &TrackItem| {
                !gate.missing.iter().any(|m| match (&m.missing, item.item) {
                    (Missing::Agreement { kind, .. }, TrackKind::Agreement(k)) => *kind == k,
                    (Missing::Deliverable { deliverable }, TrackKind::Deliverable(d)) => {
                        *deliverable == d
                    }
                    _ => false,
                })
            };
            let overdue = overdue_gaps(record, &site.id, &program.id, &today);
            let expected = (!gate.authorized).then(|| {
                let mc = comparison
                    .dual_track
                    .monte_carlo
                    .site(name)
                    .expect("every site is planned");
                (date_of(mc.p50), date_of(mc.p90))
            });
            let plan_end = date_of(comparison.dual_track.monte_carlo.last_site.p90);
            let lapsing = lapsing(record, &site.id, &today, expected.as_ref(), &plan_end);
            let dual = &comparison.dual_track;
            let prediction = (!gate.authorized).then(|| {
                let mc = dual.monte_carlo.site(name).expect("every site is planned");
                Prediction {
                    planned: date_of(dual.deterministic.site(name).expect("planned")),
                    p50: date_of(mc.p50),
                    p90: date_of(mc.p90),
                }
            });
            outlooks.push(SiteOutlook {
                site_id: site.id.clone(),
                site_code: site.code.clone(),
                site_name: site.name.clone(),
                status,
                since,
                started_on: started.as_str().to_string(),
                authorized_on: authorized_on.map(|d| d.as_str().to_string()),
                days_in_onboarding: (until.days_since_epoch() - started.days_since_epoch()).max(0),
                done: template.items.iter().filter(|i| counts(i)).count(),
                items: template.items.len(),
                prediction,
                blockers: gate.missing,
                overdue,
                lapsing,
            });
        }

        Ok(LivePlan {
            partnership_id: p.id.clone(),
            partnership_name: p.name.clone(),
            program_id: program.id.clone(),
            program_name: program.name.clone(),
            start: start.as_str().to_string(),
            today: today.as_str().to_string(),
            today_day,
            iterations: LIVE_ITERATIONS,
            seed: LIVE_SEED,
            labels: template
                .items
                .iter()
                .map(|i| (i.key.clone(), i.item.short_label().to_string()))
                .chain(
                    joinders.iter().map(|(joinder, _, item)| {
                        (joinder.clone(), item.joinder_label().to_string())
                    }),
                )
                .collect(),
            done: done
                .iter()
                // The dual-track instances: a central item once, not per site.
                .filter_map(|(dual, key, site, on)| {
                    dual.as_ref().map(|instance| DoneItem {
                        instance: instance.clone(),
                        key: key.clone(),
                        site: site.clone(),
                        on: on.as_str().to_string(),
                    })
                })
                .collect(),
            sites: outlooks,
            dual_track: outlook(&comparison.dual_track),
            sequential: outlook(&comparison.sequential),
            days_saved: [saved.deterministic, saved.p50, saved.p90],
            report: PlanReport {
                days_saved: saved,
                iterations: LIVE_ITERATIONS,
                capacity: 0,
                sites: names,
                dual_track: comparison.dual_track,
                sequential: comparison.sequential,
            },
        })
    }

    /// The live plan under dual-track only (the pipeline's and the lapse checks'); `None` for
    /// a health system without sites yet: it has nothing in onboarding.
    pub(super) async fn dual_track_plan(
        &self,
        p: &Partnership,
        record: &GateRecord,
        program: &Program,
        template: &TrackTemplate,
        today: &Date,
    ) -> Result<Option<LivePlan>, AppError> {
        match self
            .live_plan_of(
                p,
                record,
                program,
                template,
                today.clone(),
                &[Strategy::DualTrack],
            )
            .await
        {
            Ok(plan) => Ok(Some(plan)),
            Err(AppError::Invalid(f)) if f.iter().any(|f| f.field == "sites") => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_planning::contracting::{Entry, Plan};

    /// One site whose only item was done on day 5; today is day 10.
    fn done_before_today() -> Report {
        let mut plan = Plan::new(
            Strategy::DualTrack,
            &["north"],
            vec![Entry::site("quality", [1.0, 2.0, 3.0], &[])],
        );
        plan.iterations = 50;
        plan.today = 10.0;
        plan.fixed.insert("north:quality".into(), 5.0);
        Planner::new(&plan).expect("a valid plan").report(1)
    }

    #[test]
    fn a_site_still_waiting_is_not_authorized_before_today() {
        let mut r = done_before_today();
        assert_eq!(
            r.deterministic.site("north"),
            Some(5.0),
            "the planner's day"
        );
        not_before(&mut r, 10.0, &[("north", 10.0)]);
        assert_eq!(r.deterministic.site("north"), Some(10.0));
        assert_eq!(r.deterministic.last_site.day, 10.0);
        let mc = r.monte_carlo.site("north").expect("planned");
        assert_eq!((mc.p50, mc.p90), (10.0, 10.0));
        assert_eq!(r.monte_carlo.last_site.p90, 10.0);
    }

    #[test]
    fn a_site_held_by_a_gap_is_promised_no_earlier_than_the_gap_is_due() {
        let mut r = done_before_today();
        not_before(&mut r, 10.0, &[("north", 40.0)]);
        assert_eq!(r.deterministic.site("north"), Some(10.0));
        let mc = r.monte_carlo.site("north").expect("planned");
        assert_eq!((mc.p50, mc.p90), (10.0, 40.0));
        assert_eq!(r.monte_carlo.last_site.p90, 40.0);
    }

    #[test]
    fn an_authorized_site_keeps_its_day() {
        let mut r = done_before_today();
        not_before(&mut r, 10.0, &[]);
        assert_eq!(r.deterministic.site("north"), Some(5.0));
        assert_eq!(r.monte_carlo.last_site.p50, 5.0);
    }
}
