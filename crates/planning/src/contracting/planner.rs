//! From a [`Plan`] to the instances the strategy makes of its entries: every check happens
//! here, once, and the graph is laid out flat (topological order, predecessor lists, each
//! site's instances) so a Monte Carlo iteration only draws and sweeps.

use super::monte_carlo::Triangular;
use super::{Entry, MAX_ITERATIONS, MAX_SAMPLES, Plan, PlanError, Scope, Strategy};
use std::collections::HashMap;

/// One negotiation the schedule places: an entry once for the health system, or an entry at
/// one site.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// `msa` for a health-system instance, `north:quality` for a site's.
    pub name: String,
    /// Index into [`Plan::entries`].
    pub entry: usize,
    /// Index into [`Plan::sites`]; `None` for the central (health-system) track.
    pub site: Option<usize>,
}

/// A checked plan, ready to schedule. Instances are in file order, then site order, which is
/// a topological order (the file order is a valid order) and the scheduling tie-break.
#[derive(Clone, Debug)]
pub struct Planner {
    pub(super) plan: Plan,
    pub(super) instances: Vec<Instance>,
    pub(super) net: Network,
}

/// The flat form the schedulers sweep.
#[derive(Clone, Debug)]
pub(super) struct Network {
    pub(super) triangular: Vec<Triangular>,
    pub(super) most_likely: Vec<f64>,
    /// Predecessors of instance `i`: `preds[pred_start[i]..pred_start[i + 1]]`, all `< i`.
    pub(super) pred_start: Vec<u32>,
    pub(super) preds: Vec<u32>,
    /// Instances whose finish authorizes site `s`: `needs[need_start[s]..need_start[s + 1]]`.
    pub(super) need_start: Vec<u32>,
    pub(super) needs: Vec<u32>,
    pub(super) fixed: Vec<Option<f64>>,
    pub(super) today: f64,
    pub(super) capacity: u32,
}

impl Network {
    pub(super) fn len(&self) -> usize {
        self.fixed.len()
    }

    pub(super) fn sites(&self) -> usize {
        self.need_start.len() - 1
    }

    pub(super) fn preds(&self, i: usize) -> &[u32] {
        &self.preds[self.pred_start[i] as usize..self.pred_start[i + 1] as usize]
    }

    pub(super) fn needs(&self, site: usize) -> &[u32] {
        &self.needs[self.need_start[site] as usize..self.need_start[site + 1] as usize]
    }
}

impl Planner {
    /// Checks the plan and lays out its instances; the error names what is wrong and how to
    /// fix it.
    pub fn new(plan: &Plan) -> Result<Planner, PlanError> {
        check_counts(plan)?;
        let index = check_ids(plan)?;
        for entry in &plan.entries {
            check_estimate(entry)?;
        }
        let after = resolve_after(plan, &index)?;
        check_order(plan, &after)?;
        let (instances, pred_lists, need_lists) = lay_out(plan, &after);

        let by_name: HashMap<&str, usize> = instances
            .iter()
            .enumerate()
            .map(|(i, inst)| (inst.name.as_str(), i))
            .collect();
        let mut fixed = vec![None; instances.len()];
        for (name, &day) in &plan.fixed {
            let i = *by_name
                .get(name.as_str())
                .ok_or_else(|| unknown_fixed(plan, &index, name))?;
            if !day.is_finite() || day < 0.0 {
                return Err(PlanError::BadFixedDay {
                    name: name.clone(),
                    day,
                });
            }
            fixed[i] = Some(day);
        }

        let (pred_start, preds) = flatten(&pred_lists);
        let (need_start, needs) = flatten(&need_lists);
        let net = Network {
            triangular: instances
                .iter()
                .map(|inst| Triangular::new(plan.entries[inst.entry].days))
                .collect(),
            most_likely: instances
                .iter()
                .map(|inst| plan.entries[inst.entry].most_likely())
                .collect(),
            pred_start,
            preds,
            need_start,
            needs,
            fixed,
            today: plan.today,
            capacity: plan.capacity,
        };
        Ok(Planner {
            plan: plan.clone(),
            instances,
            net,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Every instance, in file order then site order.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// The instance with this name (`msa`, `north:quality`), if the strategy makes one.
    pub fn instance(&self, name: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.name == name)
    }

    /// The instances instance `i` waits for.
    pub fn predecessors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.net.preds(i).iter().map(|&p| p as usize)
    }

    /// The instances whose finish authorizes site `s` (index into [`Plan::sites`]).
    pub fn site_needs(&self, site: usize) -> impl Iterator<Item = usize> + '_ {
        self.net.needs(site).iter().map(|&p| p as usize)
    }
}

fn check_counts(plan: &Plan) -> Result<(), PlanError> {
    if plan.iterations == 0 {
        return Err(PlanError::NoIterations);
    }
    if plan.iterations > MAX_ITERATIONS {
        return Err(PlanError::TooManyIterations(plan.iterations.into()));
    }
    if plan.sites.is_empty() {
        return Err(PlanError::NoSites);
    }
    if plan.entries.is_empty() {
        return Err(PlanError::NoEntries);
    }
    let samples = u64::from(plan.iterations) * (plan.sites.len() as u64 + 1);
    if samples > MAX_SAMPLES {
        return Err(PlanError::TooManySamples {
            iterations: plan.iterations,
            sites: plan.sites.len(),
            samples,
        });
    }
    if !plan.today.is_finite() || plan.today < 0.0 {
        return Err(PlanError::BadNumber {
            field: "today",
            value: plan.today.to_string(),
            reason: "a day must be a finite number ≥ 0".into(),
        });
    }
    Ok(())
}

fn usable_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Entry index by id, once sites and entries have usable, unique ids.
fn check_ids(plan: &Plan) -> Result<HashMap<&str, usize>, PlanError> {
    let mut sites = HashMap::new();
    for site in &plan.sites {
        if !usable_id(site) {
            return Err(PlanError::BadId {
                what: "site",
                id: site.clone(),
            });
        }
        if sites.insert(site.as_str(), ()).is_some() {
            return Err(PlanError::DuplicateSite(site.clone()));
        }
    }
    let mut index = HashMap::new();
    for (i, entry) in plan.entries.iter().enumerate() {
        if !usable_id(&entry.id) {
            return Err(PlanError::BadId {
                what: "agreement",
                id: entry.id.clone(),
            });
        }
        if index.insert(entry.id.as_str(), i).is_some() {
            return Err(PlanError::DuplicateEntry(entry.id.clone()));
        }
    }
    Ok(index)
}

/// The longest estimate an entry may carry: ten years of days.
pub const MAX_DAYS: f64 = 3650.0;

fn check_estimate(entry: &Entry) -> Result<(), PlanError> {
    let [min, most_likely, max] = entry.days;
    let problem = if entry.days.iter().any(|d| !d.is_finite()) {
        Some("every estimate must be a finite number of days".to_string())
    } else if min < 0.0 {
        Some(format!("min is {min}: durations cannot be negative"))
    } else if min > most_likely {
        Some(format!("min {min} is above the most likely {most_likely}"))
    } else if most_likely > max {
        Some(format!("the most likely {most_likely} is above max {max}"))
    } else if max > MAX_DAYS {
        Some(format!(
            "max {max} is over {MAX_DAYS} days (ten years): give the estimate in days"
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(PlanError::BadEstimate {
            entry: entry.id.clone(),
            problem,
        }),
        None => Ok(()),
    }
}

/// Each entry's `after` as entry indices (duplicates dropped), refusing names that are not
/// entries of the plan, with a special word for `site:entry` names.
fn resolve_after(plan: &Plan, index: &HashMap<&str, usize>) -> Result<Vec<Vec<usize>>, PlanError> {
    plan.entries
        .iter()
        .map(|entry| {
            let mut out: Vec<usize> = Vec::with_capacity(entry.after.len());
            for name in &entry.after {
                let Some(&j) = index.get(name.as_str()) else {
                    if let Some((site, plain)) = name.split_once(':')
                        && plan.sites.iter().any(|s| s == site)
                        && index.contains_key(plain)
                    {
                        return Err(PlanError::AfterOtherSite {
                            entry: entry.id.clone(),
                            named: name.clone(),
                            plain: plain.to_string(),
                        });
                    }
                    return Err(PlanError::UnknownAfter {
                        entry: entry.id.clone(),
                        missing: name.clone(),
                    });
                };
                if !out.contains(&j) {
                    out.push(j);
                }
            }
            Ok(out)
        })
        .collect()
}

/// No cycle (named if there is one), no forward reference, and health-system entries only
/// after health-system entries.
fn check_order(plan: &Plan, after: &[Vec<usize>]) -> Result<(), PlanError> {
    if let Some(cycle) = find_cycle(after) {
        return Err(PlanError::Cycle(
            cycle.iter().map(|&i| plan.entries[i].id.clone()).collect(),
        ));
    }
    for (i, entry) in plan.entries.iter().enumerate() {
        for &j in &after[i] {
            if j > i {
                return Err(PlanError::ForwardReference {
                    entry: entry.id.clone(),
                    later: plan.entries[j].id.clone(),
                });
            }
            if entry.scope == Scope::HealthSystem && plan.entries[j].scope == Scope::Site {
                return Err(PlanError::HealthSystemAfterSite {
                    entry: entry.id.clone(),
                    after: plan.entries[j].id.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A cycle of `after` links as `[a, b, …, a]` (a comes after b …), if any. Kahn's algorithm
/// removes everything that can be ordered; every entry left still waits for another entry
/// left, so walking those links from any of them must come back around.
fn find_cycle(after: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = after.len();
    let mut waiting: Vec<usize> = after.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, list) in after.iter().enumerate() {
        for &j in list {
            dependents[j].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut ordered = vec![false; n];
    while let Some(j) = ready.pop() {
        ordered[j] = true;
        for &i in &dependents[j] {
            waiting[i] -= 1;
            if waiting[i] == 0 {
                ready.push(i);
            }
        }
    }
    let start = (0..n).find(|&i| !ordered[i])?;
    let mut walk = vec![start];
    let mut seen_at = vec![usize::MAX; n];
    seen_at[start] = 0;
    let mut at = start;
    loop {
        at = *after[at]
            .iter()
            .find(|&&j| !ordered[j])
            .expect("an entry left by Kahn's algorithm waits for another entry left");
        if seen_at[at] != usize::MAX {
            let mut cycle = walk.split_off(seen_at[at]);
            cycle.push(at);
            return Some(cycle);
        }
        seen_at[at] = walk.len();
        walk.push(at);
    }
}

type Lists = Vec<Vec<u32>>;

/// The strategy's instances, their predecessors and each site's authorizing instances.
fn lay_out(plan: &Plan, after: &[Vec<usize>]) -> (Vec<Instance>, Lists, Lists) {
    let sites = plan.sites.len();
    let mut instances = Vec::new();
    let mut preds: Lists = Vec::new();
    let mut needs: Lists = vec![Vec::new(); sites];
    // Instance index of entry e: at the health system (`central[e]`) or at site s (`local[e][s]`).
    let mut central = vec![u32::MAX; plan.entries.len()];
    let mut local = vec![vec![u32::MAX; sites]; plan.entries.len()];
    for (e, entry) in plan.entries.iter().enumerate() {
        match (plan.strategy, entry.scope) {
            (Strategy::DualTrack, Scope::HealthSystem) => {
                let i = instances.len() as u32;
                central[e] = i;
                instances.push(Instance {
                    name: entry.id.clone(),
                    entry: e,
                    site: None,
                });
                // Checked: a health-system entry comes after health-system entries only.
                preds.push(after[e].iter().map(|&a| central[a]).collect());
                for list in &mut needs {
                    list.push(i);
                }
            }
            (Strategy::DualTrack, Scope::Site) => {
                for s in 0..sites {
                    let i = instances.len() as u32;
                    local[e][s] = i;
                    instances.push(Instance {
                        name: format!("{}:{}", plan.sites[s], entry.id),
                        entry: e,
                        site: Some(s),
                    });
                    preds.push(
                        after[e]
                            .iter()
                            .map(|&a| match plan.entries[a].scope {
                                Scope::HealthSystem => central[a],
                                Scope::Site => local[a][s],
                            })
                            .collect(),
                    );
                    needs[s].push(i);
                }
            }
            (Strategy::Sequential, _) => {
                for s in 0..sites {
                    let i = instances.len() as u32;
                    instances.push(Instance {
                        name: format!("{}:{}", plan.sites[s], entry.id),
                        entry: e,
                        site: Some(s),
                    });
                    // One after another in file order; the file order honours every `after`.
                    preds.push(match e {
                        0 => Vec::new(),
                        _ => vec![local[e - 1][s]],
                    });
                    local[e][s] = i;
                    needs[s].push(i);
                }
            }
        }
    }
    (instances, preds, needs)
}

fn flatten(lists: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
    let mut start = Vec::with_capacity(lists.len() + 1);
    let mut flat = Vec::new();
    start.push(0);
    for list in lists {
        flat.extend_from_slice(list);
        start.push(flat.len() as u32);
    }
    (start, flat)
}

fn unknown_fixed(plan: &Plan, index: &HashMap<&str, usize>, name: &str) -> PlanError {
    let hint = match (plan.strategy, name.split_once(':')) {
        (Strategy::Sequential, None) if index.contains_key(name) => format!(
            " (under sequential every instance is a site's: write `{}:{name}`)",
            plan.sites[0]
        ),
        (Strategy::DualTrack, Some((_, plain)))
            if index
                .get(plain)
                .is_some_and(|&e| plan.entries[e].scope == Scope::HealthSystem) =>
        {
            format!(" (under dual_track a health-system entry has one instance: `{plain}`)")
        }
        _ => String::new(),
    };
    PlanError::UnknownFixed(name.to_string(), hint)
}
