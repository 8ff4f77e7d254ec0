//! Everything that can be wrong with a plan, each saying what was wrong and what to do.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PlanError {
    /// The TOML itself could not be read (syntax, a missing or misspelt key, a wrong type).
    #[error("line {line}: {message}")]
    Toml { line: usize, message: String },

    #[error("unknown strategy {0:?}: use \"dual_track\" or \"sequential\"")]
    UnknownStrategy(String),

    #[error("agreement `{entry}`: unknown scope {scope:?}: use \"health_system\" or \"site\"")]
    UnknownScope { entry: String, scope: String },

    #[error("{field} = {value} is not allowed: {reason}")]
    BadNumber {
        field: &'static str,
        value: String,
        reason: String,
    },

    #[error(
        "iterations = 0: the Monte Carlo needs at least one iteration (10000 is a good default)"
    )]
    NoIterations,

    #[error(
        "iterations = {0} is above the cap of {cap}; more adds run time, not precision (10000 is a good default)",
        cap = super::MAX_ITERATIONS
    )]
    TooManyIterations(u64),

    #[error(
        "{iterations} iterations × {sites} sites keeps {samples} samples, above the cap of {cap}; lower iterations",
        cap = super::MAX_SAMPLES
    )]
    TooManySamples {
        iterations: u32,
        sites: usize,
        samples: u64,
    },

    #[error("no sites: list at least one, e.g. sites = [\"north\"]")]
    NoSites,

    #[error("no agreements: add at least one [[agreement]]")]
    NoEntries,

    #[error(
        "{what} id {id:?} is not usable: use letters, digits, `_` and `-` (instance names are `site:entry`)"
    )]
    BadId { what: &'static str, id: String },

    #[error("site `{0}` is listed twice in sites")]
    DuplicateSite(String),

    #[error("agreement `{0}` is listed twice; ids must be unique")]
    DuplicateEntry(String),

    #[error("agreement `{entry}`: {problem} (days are [min, most likely, max])")]
    BadEstimate { entry: String, problem: String },

    #[error("agreement `{entry}` comes after `{missing}`, which is not in the plan")]
    UnknownAfter { entry: String, missing: String },

    #[error(
        "agreement `{entry}` comes after `{named}`, another site's instance: site entries depend on health-system entries or on entries of the same site; write `after = [\"{plain}\"]` for the same site's `{plain}`"
    )]
    AfterOtherSite {
        entry: String,
        named: String,
        plain: String,
    },

    #[error(
        "health-system agreement `{entry}` comes after site agreement `{after}`: a health-system entry is executed once and can only come after health-system entries (which site's `{after}` would it wait for?)"
    )]
    HealthSystemAfterSite { entry: String, after: String },

    #[error(
        "the dependencies form a cycle: {} (→ reads \"comes after\"); remove one of these `after` links",
        .0.join(" → ")
    )]
    Cycle(Vec<String>),

    #[error(
        "agreement `{entry}` comes after `{later}`, which is listed later in the file; move `{later}` above `{entry}` (the file order must be a valid order)"
    )]
    ForwardReference { entry: String, later: String },

    #[error("fixed instance {0:?} is not an instance of this plan{1}")]
    UnknownFixed(String, String),

    #[error("fixed instance `{name}` finishes on day {day}: a day must be a finite number ≥ 0")]
    BadFixedDay { name: String, day: f64 },
}

impl PlanError {
    /// The agreement (entry) the problem is about, when it is about one: a form with a row per
    /// entry shows the message beside that row.
    pub fn entry(&self) -> Option<&str> {
        match self {
            PlanError::UnknownScope { entry, .. }
            | PlanError::BadEstimate { entry, .. }
            | PlanError::UnknownAfter { entry, .. }
            | PlanError::AfterOtherSite { entry, .. }
            | PlanError::HealthSystemAfterSite { entry, .. }
            | PlanError::ForwardReference { entry, .. } => Some(entry),
            PlanError::DuplicateEntry(entry) => Some(entry),
            PlanError::BadId {
                what: "agreement",
                id,
            } => Some(id),
            PlanError::Cycle(ids) => ids.first().map(String::as_str),
            _ => None,
        }
    }
}
