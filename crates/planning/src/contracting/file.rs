//! `plan.toml`: the file form of a [`Plan`] (issue 4, "The plan file and its meaning").
//! Reading it only turns text into a plan; the checks with their messages are the planner's,
//! so a plan built in code gets the same ones.

use super::{Entry, Plan, PlanError, Scope, Strategy};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    strategy: String,
    seed: i64,
    #[serde(default = "default_iterations")]
    iterations: i64,
    #[serde(default)]
    capacity: i64,
    sites: Vec<String>,
    #[serde(default)]
    agreement: Vec<EntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: String,
    scope: String,
    days: [f64; 3],
    #[serde(default)]
    after: Vec<String>,
}

fn default_iterations() -> i64 {
    10_000
}

impl Plan {
    /// Reads a plan file. `iterations` defaults to 10000 and `capacity` to 0 (unlimited);
    /// `after` defaults to nothing. The plan still has to pass [`super::Planner::new`].
    pub fn from_toml(text: &str) -> Result<Plan, PlanError> {
        let file: PlanFile = toml::from_str(text).map_err(|e| PlanError::Toml {
            line: e
                .span()
                .map(|s| {
                    let upto = &text.as_bytes()[..s.start.min(text.len())];
                    upto.iter().filter(|&&b| b == b'\n').count() + 1
                })
                .unwrap_or(1),
            message: e.message().trim_end().replace('\n', " "),
        })?;
        let strategy =
            Strategy::parse(&file.strategy).ok_or(PlanError::UnknownStrategy(file.strategy))?;
        let seed = u64::try_from(file.seed).map_err(|_| PlanError::BadNumber {
            field: "seed",
            value: file.seed.to_string(),
            reason: "use a whole number ≥ 0".into(),
        })?;
        let iterations = match u32::try_from(file.iterations) {
            Ok(n) => n,
            Err(_) if file.iterations > 0 => {
                return Err(PlanError::TooManyIterations(file.iterations as u64));
            }
            Err(_) => {
                return Err(PlanError::BadNumber {
                    field: "iterations",
                    value: file.iterations.to_string(),
                    reason: "use a whole number ≥ 1 (10000 is a good default)".into(),
                });
            }
        };
        let capacity = u32::try_from(file.capacity).map_err(|_| PlanError::BadNumber {
            field: "capacity",
            value: file.capacity.to_string(),
            reason: "use 0 for unlimited, or K ≥ 1 for at most K items in negotiation at once"
                .into(),
        })?;
        let entries = file
            .agreement
            .into_iter()
            .map(|e| {
                let scope = Scope::parse(&e.scope).ok_or_else(|| PlanError::UnknownScope {
                    entry: e.id.clone(),
                    scope: e.scope.clone(),
                })?;
                Ok(Entry {
                    id: e.id,
                    scope,
                    days: e.days,
                    after: e.after,
                })
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        Ok(Plan {
            strategy,
            seed,
            iterations,
            capacity,
            sites: file.sites,
            entries,
            fixed: BTreeMap::new(),
            today: 0.0,
        })
    }

    /// The plan as a plan file that [`Plan::from_toml`] reads back to the same plan (its done
    /// instances and `today` are a live plan's, not the file's, and are left out).
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let list = |items: &[String]| {
            let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut out = format!(
            "strategy = {}\nseed = {}\niterations = {}\ncapacity = {}\nsites = {}\n",
            quote(self.strategy.as_str()),
            self.seed,
            self.iterations,
            self.capacity,
            list(&self.sites)
        );
        for e in &self.entries {
            let days: Vec<String> = e.days.iter().map(|d| format_day(*d)).collect();
            out.push_str(&format!(
                "\n[[agreement]]\nid = {}\nscope = {}\ndays = [{}]\nafter = {}\n",
                quote(&e.id),
                quote(e.scope.as_str()),
                days.join(", "),
                list(&e.after)
            ));
        }
        out
    }
}

/// A day as TOML reads it back: whole days without a fraction (`30`), others as they are.
fn format_day(d: f64) -> String {
    if d.fract() == 0.0 && d.abs() < 1e15 {
        format!("{}", d as i64)
    } else {
        format!("{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_written_as_a_file_reads_back_the_same() {
        let mut plan = Plan::new(
            Strategy::DualTrack,
            &["north", "south"],
            vec![
                Entry::health_system("msa", [30.0, 60.0, 120.0], &[]),
                Entry::site("quality \"q\"", [2.5, 45.0, 90.0], &["msa"]),
            ],
        );
        plan.seed = 9;
        plan.iterations = 500;
        plan.capacity = 2;
        let text = plan.to_toml();
        assert_eq!(Plan::from_toml(&text).expect(&text), plan);
    }
}
