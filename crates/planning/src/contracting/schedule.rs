//! Placing the instances in time for one set of durations: a forward pass when capacity is
//! unlimited; with capacity K, a serial schedule-generation scheme whose priority is the
//! smallest latest finish of a backward pass over the unconstrained schedule (the same
//! durations), ties by file order then site order. The deterministic schedule is this on the
//! most-likely durations, with the critical path read off the result.

use super::Planner;
use super::planner::Network;

/// Per-thread working memory, reused across iterations.
pub(super) struct Scratch {
    pub(super) durations: Vec<f64>,
    pub(super) start: Vec<f64>,
    pub(super) finish: Vec<f64>,
    latest_finish: Vec<f64>,
    /// (latest finish as bits, instance): the serial scheme's priority keys.
    priority: Vec<(u64, u32)>,
    /// Open instances in the order the serial scheme placed them (capacity > 0 only).
    pub(super) order: Vec<u32>,
    /// Instances in negotiation over time: `(from, count)` breakpoints, ascending; the count
    /// holds until the next breakpoint, and the last is always 0.
    profile: Vec<(f64, u32)>,
}

impl Scratch {
    pub(super) fn new(n: usize) -> Scratch {
        Scratch {
            durations: vec![0.0; n],
            start: vec![0.0; n],
            finish: vec![0.0; n],
            latest_finish: vec![0.0; n],
            priority: Vec::with_capacity(n),
            order: Vec::with_capacity(n),
            profile: Vec::with_capacity(2 * n + 1),
        }
    }
}

impl Network {
    /// Schedules `scratch.durations` into `scratch.start`/`finish` and writes each site's
    /// authorization day into `days[..sites]` and the last site's into `days[sites]`.
    pub(super) fn schedule(&self, scratch: &mut Scratch, days: &mut [f64]) {
        self.forward(scratch);
        if self.capacity > 0 {
            self.serial_scheme(scratch);
        }
        let mut last = f64::NEG_INFINITY;
        for (s, day) in days[..self.sites()].iter_mut().enumerate() {
            *day = self
                .needs(s)
                .iter()
                .map(|&i| scratch.finish[i as usize])
                .fold(f64::NEG_INFINITY, f64::max);
            last = last.max(*day);
        }
        days[self.sites()] = last;
    }

    /// Earliest start: the latest finish of what an instance comes after, not before today.
    #[inline]
    fn earliest_start(&self, i: usize, finish: &[f64]) -> f64 {
        self.preds(i)
            .iter()
            .fold(self.today, |es, &p| es.max(finish[p as usize]))
    }

    fn forward(&self, s: &mut Scratch) {
        for i in 0..self.len() {
            match self.fixed[i] {
                Some(done) => {
                    s.start[i] = done;
                    s.finish[i] = done;
                }
                None => {
                    let es = self.earliest_start(i, &s.finish);
                    s.start[i] = es;
                    s.finish[i] = es + s.durations[i];
                }
            }
        }
    }

    /// Serial schedule-generation scheme over the open instances. Sorting by (latest finish,
    /// instance index) is already precedence-feasible: a predecessor's latest finish is at
    /// most its successor's latest start, and on a tie it has the smaller index. So "take the
    /// eligible instance of best priority" is "take the next in this order".
    fn serial_scheme(&self, s: &mut Scratch) {
        let n = self.len();
        let deadline = s.finish.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        s.latest_finish.fill(deadline);
        for i in (0..n).rev() {
            if self.fixed[i].is_some() {
                continue;
            }
            let latest_start = s.latest_finish[i] - s.durations[i];
            for &p in self.preds(i) {
                let p = p as usize;
                if self.fixed[p].is_none() && latest_start < s.latest_finish[p] {
                    s.latest_finish[p] = latest_start;
                }
            }
        }
        // Integer keys that sort as the latest finishes do, unique by the index. The previous
        // iteration's order is nearly sorted for this one, so an insertion sort from it is
        // cheap; the result is the one sorted order either way.
        if s.order.is_empty() {
            s.order
                .extend((0..n as u32).filter(|&i| self.fixed[i as usize].is_none()));
        }
        s.priority.clear();
        s.priority.extend(
            s.order
                .iter()
                .map(|&i| (ordered_bits(s.latest_finish[i as usize]), i)),
        );
        insertion_sort(&mut s.priority);
        s.order.clear();
        s.order.extend(s.priority.iter().map(|&(_, i)| i));

        s.profile.clear();
        s.profile.push((f64::NEG_INFINITY, 0));
        for k in 0..s.order.len() {
            let i = s.order[k] as usize;
            debug_assert!(
                self.preds(i)
                    .iter()
                    .all(|&p| self.fixed[p as usize].is_some() || s.order[..k].contains(&p)),
                "priority order is precedence-feasible"
            );
            let es = self.earliest_start(i, &s.finish);
            let d = s.durations[i];
            let start = if d > 0.0 {
                place(&mut s.profile, es, d, self.capacity)
            } else {
                es
            };
            s.start[i] = start;
            s.finish[i] = start + d;
        }
    }
}

/// A float's bits rearranged so that integers compare as [`f64::total_cmp`] does.
fn ordered_bits(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn insertion_sort(keys: &mut [(u64, u32)]) {
    for k in 1..keys.len() {
        let key = keys[k];
        let mut j = k;
        while j > 0 && keys[j - 1] > key {
            keys[j] = keys[j - 1];
            j -= 1;
        }
        keys[j] = key;
    }
}

/// Places one instance in negotiation at the earliest `t ≥ es` with fewer than `capacity`
/// others all through `[t, t + d)`, and returns `t`. The profile's last breakpoint counts 0,
/// so a saturated stretch always ends.
fn place(profile: &mut Vec<(f64, u32)>, es: f64, d: f64, capacity: u32) -> f64 {
    // Segment k holds t: profile[k].0 ≤ t < profile[k + 1].0.
    let mut k = profile.partition_point(|b| b.0 <= es) - 1;
    let mut t = es;
    'candidates: loop {
        let end = t + d;
        let mut j = k;
        loop {
            if profile[j].1 >= capacity {
                k = j + 1;
                t = profile[k].0;
                continue 'candidates;
            }
            j += 1;
            if j == profile.len() || profile[j].0 >= end {
                break;
            }
        }
        // Segments k..j cover [t, end) with room: mark it, splitting at both ends.
        if j == profile.len() || profile[j].0 != end {
            let count = profile[j - 1].1;
            profile.insert(j, (end, count));
        }
        let from = if profile[k].0 == t {
            k
        } else {
            let count = profile[k].1;
            profile.insert(k + 1, (t, count));
            j += 1;
            k + 1
        };
        for point in &mut profile[from..j] {
            point.1 += 1;
        }
        // Keep breakpoints only where the count changes, so a saturated stretch (one
        // instance released as the next one starts) is one segment to skip, not many.
        if profile[j].1 == profile[j - 1].1 {
            profile.remove(j);
        }
        if profile[from].1 == profile[from - 1].1 {
            profile.remove(from);
        }
        return t;
    }
}

/// The schedule on one set of durations (the most likely ones for the deterministic plan).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Every instance, in file order then site order.
    pub instances: Vec<ScheduledInstance>,
    /// Each site's authorization day, in site order.
    pub sites: Vec<SiteDay>,
    /// The site authorized last (the first in site order on a tie) and its day.
    pub last_site: SiteDay,
    /// From the first instance to the one whose finish authorizes the last site.
    pub critical_path: Vec<CriticalStep>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledInstance {
    pub name: String,
    /// The entry's id.
    pub entry: String,
    /// `None` for the central (health-system) track.
    pub site: Option<String>,
    pub start: f64,
    pub finish: f64,
    /// Done at a known day ([`super::Plan::fixed`]); its start is then the earliest day its
    /// predecessors allowed, or the finish if that is later.
    pub fixed: bool,
    pub critical: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SiteDay {
    pub site: String,
    pub day: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CriticalStep {
    pub name: String,
    pub start: f64,
    pub finish: f64,
    pub set_by: SetBy,
}

/// What set a critical step's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetBy {
    /// Day 0: it waits for nothing.
    PlanStart,
    /// A live plan's today: open work starts no earlier.
    Today,
    /// It was done at a known day; the chain starts from that fact.
    Done,
    /// The previous step, which it comes after, finished.
    After,
    /// The previous step finished and freed a place in the legal team (capacity).
    CapacityRelease,
}

impl SetBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SetBy::PlanStart => "plan_start",
            SetBy::Today => "today",
            SetBy::Done => "done",
            SetBy::After => "after",
            SetBy::CapacityRelease => "capacity_release",
        }
    }
}

impl Schedule {
    pub fn critical_path_names(&self) -> Vec<&str> {
        self.critical_path.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn site(&self, id: &str) -> Option<f64> {
        self.sites.iter().find(|s| s.site == id).map(|s| s.day)
    }
}

impl Planner {
    /// The schedule on the most-likely durations, with its critical path.
    pub fn deterministic(&self) -> Schedule {
        self.schedule_with(&self.net.most_likely)
    }

    /// The schedule for these durations (one per instance, in [`Planner::instances`] order;
    /// fixed instances ignore theirs), with its critical path.
    ///
    /// # Panics
    /// If `durations` has another length than the instances or holds a negative or
    /// non-finite day.
    pub fn schedule_with(&self, durations: &[f64]) -> Schedule {
        let net = &self.net;
        let n = net.len();
        assert_eq!(durations.len(), n, "one duration per instance");
        assert!(
            durations.iter().all(|d| d.is_finite() && *d >= 0.0),
            "durations are finite days ≥ 0"
        );
        let mut scratch = Scratch::new(n);
        scratch.durations.copy_from_slice(durations);
        let mut days = vec![0.0; net.sites() + 1];
        net.schedule(&mut scratch, &mut days);

        let rank = if net.capacity > 0 {
            let mut rank = vec![usize::MAX; n];
            for (k, &i) in scratch.order.iter().enumerate() {
                rank[i as usize] = k;
            }
            rank
        } else {
            (0..n).collect()
        };
        let last = (0..net.sites())
            .find(|&s| days[s] == days[net.sites()])
            .expect("the last site's day is one of the sites' days");
        let chain = self.critical_chain(&scratch, &rank, last);

        let mut critical = vec![false; n];
        for &(i, _) in &chain {
            critical[i] = true;
        }
        let site_day = |s: usize| SiteDay {
            site: self.plan.sites[s].clone(),
            day: days[s],
        };
        Schedule {
            instances: self
                .instances
                .iter()
                .enumerate()
                .map(|(i, inst)| ScheduledInstance {
                    name: inst.name.clone(),
                    entry: self.plan.entries[inst.entry].id.clone(),
                    site: inst.site.map(|s| self.plan.sites[s].clone()),
                    start: match net.fixed[i] {
                        Some(done) => net.earliest_start(i, &scratch.finish).min(done),
                        None => scratch.start[i],
                    },
                    finish: scratch.finish[i],
                    fixed: net.fixed[i].is_some(),
                    critical: critical[i],
                })
                .collect(),
            sites: (0..net.sites()).map(site_day).collect(),
            last_site: site_day(last),
            critical_path: chain
                .into_iter()
                .map(|(i, set_by)| CriticalStep {
                    name: self.instances[i].name.clone(),
                    start: scratch.start[i],
                    finish: scratch.finish[i],
                    set_by,
                })
                .collect(),
        }
    }

    /// Walks back from the instance whose finish authorizes `site` (the latest listed on a
    /// tie, so a closing zero-day step is kept) through whatever set each start: a
    /// predecessor that finished then, else (under capacity) an instance placed earlier that
    /// finished then and freed its place. Every link goes to an instance placed earlier, so
    /// the walk ends.
    fn critical_chain(&self, s: &Scratch, rank: &[usize], site: usize) -> Vec<(usize, SetBy)> {
        let net = &self.net;
        let mut at = net
            .needs(site)
            .iter()
            .map(|&i| i as usize)
            .max_by(|&a, &b| s.finish[a].total_cmp(&s.finish[b]).then(a.cmp(&b)))
            .expect("a site needs at least one instance");
        let mut chain = Vec::new();
        loop {
            if net.fixed[at].is_some() {
                chain.push((at, SetBy::Done));
                break;
            }
            let start = s.start[at];
            if let Some(&p) = net
                .preds(at)
                .iter()
                .find(|&&p| s.finish[p as usize] == start)
            {
                chain.push((at, SetBy::After));
                at = p as usize;
                continue;
            }
            let released = (net.capacity > 0 && start > net.earliest_start(at, &s.finish))
                .then(|| {
                    (0..net.len())
                        .filter(|&j| {
                            net.fixed[j].is_none()
                                && rank[j] < rank[at]
                                && s.finish[j] == start
                                && s.start[j] < s.finish[j]
                        })
                        .min_by_key(|&j| rank[j])
                })
                .flatten();
            if let Some(j) = released {
                chain.push((at, SetBy::CapacityRelease));
                at = j;
                continue;
            }
            let set_by = if start == net.today && net.today > 0.0 {
                SetBy::Today
            } else {
                SetBy::PlanStart
            };
            chain.push((at, set_by));
            break;
        }
        chain.reverse();
        chain
    }
}
