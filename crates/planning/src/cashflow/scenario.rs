//! `scenario.toml`: the cash-flow scenario (issue 14, "The scenario file and its meaning"),
//! read and checked field by field. Every error names the field and says what is allowed.

use serde::Deserialize;
use std::fmt;

/// What is wrong with a scenario: the field (`program[1].terms.net_days`, `payer[0].share`, …)
/// and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScenarioError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        field: field.into(),
        message: message.into(),
    }
}

/// When the manufacturer is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// `net_days` after shipment (infusion − `ship_lead_days`).
    Shipment,
    /// `net_days` after infusion.
    Infusion,
    /// `net_days` after the payer pays, or after the backstop, whichever is first.
    Reimbursement,
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Basis::Shipment => "shipment",
            Basis::Infusion => "infusion",
            Basis::Reimbursement => "reimbursement",
        })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Terms {
    pub basis: Basis,
    pub net_days: u32,
    pub ship_lead_days: f64,
    pub backstop_days: f64,
    pub denial_protection_fraction: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rebate {
    pub nonresponse_rate: f64,
    pub rebate_fraction: f64,
    pub rebate_window_days: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Program {
    pub id: String,
    pub price: f64,
    pub patients_per_month: f64,
    pub not_infused_rate: f64,
    pub not_infused_credit_fraction: f64,
    pub claim_submit_days: f64,
    pub terms: Terms,
    pub rebate: Option<Rebate>,
}

/// A log-normal delay given by its median and 90th percentile (σ = ln(p90/median)/1.2816).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Lag {
    pub median_days: f64,
    pub p90_days: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Payer {
    pub name: String,
    pub share: f64,
    pub paid_fixed: f64,
    pub paid_fraction: f64,
    pub lag: Lag,
    pub denial_rate: f64,
    pub appeal_success_rate: f64,
    pub appeal: Lag,
}

/// A checked scenario: every number in its range, shares summing to 1, `align` naming a
/// program.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scenario {
    pub seed: u64,
    pub runs: u32,
    pub horizon_days: u32,
    pub cap: f64,
    /// Index into `programs` of the program whose `net_days` the search varies.
    pub align: Option<usize>,
    pub programs: Vec<Program>,
    pub payers: Vec<Payer>,
}

/// Runs above this add time, not precision.
pub const MAX_RUNS: u32 = 1_000_000;
/// Ten years.
pub const MAX_HORIZON_DAYS: u32 = 3_650;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    seed: i64,
    runs: i64,
    horizon_days: i64,
    cap: f64,
    align: Option<String>,
    #[serde(default)]
    program: Vec<ProgramFile>,
    #[serde(default)]
    payer: Vec<PayerFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramFile {
    id: String,
    price: f64,
    patients_per_month: f64,
    #[serde(default)]
    not_infused_rate: f64,
    #[serde(default)]
    not_infused_credit_fraction: f64,
    #[serde(default)]
    claim_submit_days: f64,
    terms: TermsFile,
    rebate: Option<RebateFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsFile {
    basis: String,
    net_days: i64,
    #[serde(default)]
    ship_lead_days: f64,
    #[serde(default)]
    backstop_days: Option<f64>,
    #[serde(default)]
    denial_protection_fraction: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RebateFile {
    nonresponse_rate: f64,
    rebate_fraction: f64,
    rebate_window_days: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayerFile {
    name: String,
    share: f64,
    #[serde(default)]
    paid_fixed: f64,
    #[serde(default)]
    paid_fraction: f64,
    lag_median_days: f64,
    lag_p90_days: f64,
    #[serde(default)]
    denial_rate: f64,
    #[serde(default)]
    appeal_success_rate: f64,
    #[serde(default)]
    appeal_median_days: Option<f64>,
    #[serde(default)]
    appeal_p90_days: Option<f64>,
}

/// A number that must be finite and ≥ 0.
fn amount(field: &str, v: f64) -> Result<f64, ScenarioError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(bad(field, format!("must be a number ≥ 0, not {v}")))
    }
}

/// A probability or share: 0 to 1.
fn fraction(field: &str, v: f64) -> Result<f64, ScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(bad(field, format!("must be between 0 and 1, not {v}")))
    }
}

/// A delay in days: finite, ≥ 0, at most ten years.
fn days(field: &str, v: f64) -> Result<f64, ScenarioError> {
    if v.is_finite() && (0.0..=3650.0).contains(&v) {
        Ok(v)
    } else {
        Err(bad(
            field,
            format!("must be between 0 and 3650 days, not {v}"),
        ))
    }
}

fn lag(field: &str, median: f64, p90: f64) -> Result<Lag, ScenarioError> {
    let m = days(&format!("{field}_median_days"), median)?;
    let p = days(&format!("{field}_p90_days"), p90)?;
    if m <= 0.0 {
        return Err(bad(
            format!("{field}_median_days"),
            "must be more than 0 days (a log-normal delay needs a positive median)",
        ));
    }
    if p < m {
        return Err(bad(
            format!("{field}_p90_days"),
            format!("{p} is below the median {m}: the 90th percentile is at least the median"),
        ));
    }
    Ok(Lag {
        median_days: m,
        p90_days: p,
    })
}

/// What-ifs: the same scenario with one thing changed (each keeps its meaning checked).
impl Scenario {
    pub fn with_runs(&self, runs: u32) -> Scenario {
        Scenario {
            runs: runs.clamp(1, MAX_RUNS),
            ..self.clone()
        }
    }
    pub fn with_seed(&self, seed: u64) -> Scenario {
        Scenario {
            seed,
            ..self.clone()
        }
    }
    pub fn with_cap(&self, cap: f64) -> Scenario {
        Scenario {
            cap: if cap.is_finite() {
                cap.max(0.0)
            } else {
                self.cap
            },
            ..self.clone()
        }
    }
    /// Program `program` (its index) on other `net_days` (at most 365).
    pub fn with_net_days(&self, program: usize, net_days: u32) -> Scenario {
        let mut s = self.clone();
        if let Some(p) = s.programs.get_mut(program) {
            p.terms.net_days = net_days.min(365);
        }
        s
    }
}

impl Scenario {
    /// Read and check a scenario file.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| {
                    text.as_bytes()[..s.start.min(text.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                })
                .unwrap_or(1);
            bad(
                format!("line {line}"),
                e.message().trim_end().replace('\n', " "),
            )
        })?;
        let seed = u64::try_from(file.seed).map_err(|_| {
            bad(
                "seed",
                format!("must be a whole number ≥ 0, not {}", file.seed),
            )
        })?;
        let runs = u32::try_from(file.runs)
            .ok()
            .filter(|r| (1..=MAX_RUNS).contains(r))
            .ok_or_else(|| {
                bad(
                    "runs",
                    format!(
                        "must be 1 to {MAX_RUNS} (10000 is a good default), not {}",
                        file.runs
                    ),
                )
            })?;
        let horizon_days = u32::try_from(file.horizon_days)
            .ok()
            .filter(|h| (1..=MAX_HORIZON_DAYS).contains(h))
            .ok_or_else(|| {
                bad(
                    "horizon_days",
                    format!(
                        "must be 1 to {MAX_HORIZON_DAYS} days, not {}",
                        file.horizon_days
                    ),
                )
            })?;
        let cap = amount("cap", file.cap)?;
        if file.program.is_empty() {
            return Err(bad("program", "no programs: add at least one [[program]]"));
        }
        if file.payer.is_empty() {
            return Err(bad(
                "payer",
                "no payers: add at least one [[payer]] (the payer mix)",
            ));
        }
        let mut programs = Vec::new();
        for (i, p) in file.program.into_iter().enumerate() {
            let f = |name: &str| format!("program[{i}].{name}");
            if p.id.trim().is_empty() {
                return Err(bad(f("id"), "must not be empty"));
            }
            if programs.iter().any(|o: &Program| o.id == p.id) {
                return Err(bad(f("id"), format!("{:?} is listed twice", p.id)));
            }
            let basis = match p.terms.basis.as_str() {
                "shipment" => Basis::Shipment,
                "infusion" => Basis::Infusion,
                "reimbursement" => Basis::Reimbursement,
                other => {
                    return Err(bad(
                        f("terms.basis"),
                        format!(
                            "unknown basis {other:?}: use \"shipment\", \"infusion\" or \"reimbursement\""
                        ),
                    ));
                }
            };
            let net_days = u32::try_from(p.terms.net_days)
                .ok()
                .filter(|n| *n <= 365)
                .ok_or_else(|| {
                    bad(
                        f("terms.net_days"),
                        format!("must be 0 to 365 days, not {}", p.terms.net_days),
                    )
                })?;
            let backstop_days = match (basis, p.terms.backstop_days) {
                (_, Some(b)) => days(&f("terms.backstop_days"), b)?,
                (Basis::Reimbursement, None) => {
                    return Err(bad(
                        f("terms.backstop_days"),
                        "basis \"reimbursement\" needs a backstop: the latest day after infusion from which net_days run",
                    ));
                }
                (_, None) => 0.0,
            };
            let rebate = match p.rebate {
                Some(r) => Some(Rebate {
                    nonresponse_rate: fraction(&f("rebate.nonresponse_rate"), r.nonresponse_rate)?,
                    rebate_fraction: fraction(&f("rebate.rebate_fraction"), r.rebate_fraction)?,
                    rebate_window_days: days(
                        &f("rebate.rebate_window_days"),
                        r.rebate_window_days,
                    )?,
                }),
                None => None,
            };
            let patients_per_month = amount(&f("patients_per_month"), p.patients_per_month)?;
            if patients_per_month > 1000.0 {
                return Err(bad(
                    f("patients_per_month"),
                    format!(
                        "{patients_per_month} is more than any treatment network sees (at most 1000)"
                    ),
                ));
            }
            programs.push(Program {
                price: amount(&f("price"), p.price)?,
                patients_per_month,
                not_infused_rate: fraction(&f("not_infused_rate"), p.not_infused_rate)?,
                not_infused_credit_fraction: fraction(
                    &f("not_infused_credit_fraction"),
                    p.not_infused_credit_fraction,
                )?,
                claim_submit_days: days(&f("claim_submit_days"), p.claim_submit_days)?,
                terms: Terms {
                    basis,
                    net_days,
                    ship_lead_days: days(&f("terms.ship_lead_days"), p.terms.ship_lead_days)?,
                    backstop_days,
                    denial_protection_fraction: fraction(
                        &f("terms.denial_protection_fraction"),
                        p.terms.denial_protection_fraction,
                    )?,
                },
                rebate,
                id: p.id,
            });
        }
        let mut payers = Vec::new();
        for (i, p) in file.payer.into_iter().enumerate() {
            let f = |name: &str| format!("payer[{i}].{name}");
            let denial_rate = fraction(&f("denial_rate"), p.denial_rate)?;
            let appeal = match (p.appeal_median_days, p.appeal_p90_days) {
                (Some(m), Some(p90)) => lag(&f("appeal"), m, p90)?,
                (None, None) if denial_rate == 0.0 => Lag {
                    median_days: 1.0,
                    p90_days: 1.0,
                },
                _ => {
                    return Err(bad(
                        f("appeal_median_days"),
                        "give appeal_median_days and appeal_p90_days (denied claims take that long to settle)",
                    ));
                }
            };
            payers.push(Payer {
                share: fraction(&f("share"), p.share)?,
                paid_fixed: amount(&f("paid_fixed"), p.paid_fixed)?,
                paid_fraction: amount(&f("paid_fraction"), p.paid_fraction)?,
                lag: lag(&f("lag"), p.lag_median_days, p.lag_p90_days)?,
                denial_rate,
                appeal_success_rate: fraction(&f("appeal_success_rate"), p.appeal_success_rate)?,
                appeal,
                name: p.name,
            });
        }
        let total: f64 = payers.iter().map(|p| p.share).sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(bad(
                "payer.share",
                format!("the payers' shares sum to {total}, not 1"),
            ));
        }
        let align = match file.align {
            Some(id) => Some(programs.iter().position(|p| p.id == id).ok_or_else(|| {
                bad(
                    "align",
                    format!(
                        "{id:?} names no program (programs: {})",
                        programs
                            .iter()
                            .map(|p| p.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?),
            None => None,
        };
        Ok(Scenario {
            seed,
            runs,
            horizon_days,
            cap,
            align,
            programs,
            payers,
        })
    }
}
