//! The plan as people write it: a strategy, the sites, and the entries (agreements and gate
//! deliverables) with three-point estimates and `after` links. Plain data, checked only when
//! a [`crate::contracting::Planner`] is made from it, so code can build one field by field.

use std::collections::BTreeMap;

/// How the health system's sites contract (DESIGN.md §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Health-system entries once for all sites; each site's entries run as soon as the
    /// entries they come after are done.
    DualTrack,
    /// The baseline: each site negotiates every entry itself, health-system ones included,
    /// one after another in file order; sites proceed in parallel.
    Sequential,
}

impl Strategy {
    pub const ALL: [Strategy; 2] = [Strategy::DualTrack, Strategy::Sequential];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::DualTrack => "dual_track",
            Strategy::Sequential => "sequential",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whom an entry binds: the whole health system (executed once, covering every site) or one
/// site (one instance per site under `dual_track`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    HealthSystem,
    Site,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::HealthSystem, Scope::Site];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::HealthSystem => "health_system",
            Scope::Site => "site",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One agreement or gate deliverable of the template.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Letters, digits, `_` and `-`; unique in the plan. Instance names are built from it
    /// (`msa`, `north:quality`), so it cannot contain `:`.
    pub id: String,
    pub scope: Scope,
    /// Three-point estimate in days: minimum, most likely, maximum.
    pub days: [f64; 3],
    /// Ids of entries listed earlier. A site entry naming a site entry means the same site's
    /// instance; a health-system entry may only come after health-system entries.
    pub after: Vec<String>,
}

impl Entry {
    pub fn health_system(id: &str, days: [f64; 3], after: &[&str]) -> Entry {
        Entry::new(id, Scope::HealthSystem, days, after)
    }

    pub fn site(id: &str, days: [f64; 3], after: &[&str]) -> Entry {
        Entry::new(id, Scope::Site, days, after)
    }

    fn new(id: &str, scope: Scope, days: [f64; 3], after: &[&str]) -> Entry {
        Entry {
            id: id.to_string(),
            scope,
            days,
            after: after.iter().map(|a| a.to_string()).collect(),
        }
    }

    pub fn min(&self) -> f64 {
        self.days[0]
    }

    pub fn most_likely(&self) -> f64 {
        self.days[1]
    }

    pub fn max(&self) -> f64 {
        self.days[2]
    }
}

/// More iterations than this add run time, not information: the P90 of a plan is stable to
/// a fraction of a day long before.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// Monte Carlo keeps one day per iteration and site (plus the last site's) to take exact
/// percentiles; this bounds that memory (8 bytes each: 400 MB).
pub const MAX_SAMPLES: u64 = 50_000_000;

/// A contracting plan: the file `plan.toml` or the same thing built in code.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub strategy: Strategy,
    /// The Monte Carlo seed: the same plan and seed give the same numbers on any machine
    /// with any number of threads.
    pub seed: u64,
    /// Monte Carlo iterations, 1 to [`MAX_ITERATIONS`].
    pub iterations: u32,
    /// At most this many instances in negotiation at once (one legal team); 0 is unlimited.
    pub capacity: u32,
    /// Site ids in site order (the tie-break after file order).
    pub sites: Vec<String>,
    /// Entries in file order, which must be a valid order: each comes after earlier ones only.
    pub entries: Vec<Entry>,
    /// Done instances at their real finish day, by instance name (`msa`, `north:quality`;
    /// under `sequential` every instance is a site's: `north:msa`). They take no capacity and
    /// no random draw; the open ones are estimated.
    pub fixed: BTreeMap<String, f64>,
    /// Open instances start no earlier than this day (a live partnership's today, counted
    /// from the same day 0 as the fixed days). 0 for a plan made before anything started.
    pub today: f64,
}

impl Plan {
    /// A plan with the file's defaults: seed 0, 10,000 iterations, unlimited capacity, nothing
    /// done yet.
    pub fn new(strategy: Strategy, sites: &[&str], entries: Vec<Entry>) -> Plan {
        Plan {
            strategy,
            seed: 0,
            iterations: 10_000,
            capacity: 0,
            sites: sites.iter().map(|s| s.to_string()).collect(),
            entries,
            fixed: BTreeMap::new(),
            today: 0.0,
        }
    }

    /// The same plan under another strategy (for a side-by-side comparison).
    pub fn with_strategy(&self, strategy: Strategy) -> Plan {
        Plan {
            strategy,
            ..self.clone()
        }
    }
}
