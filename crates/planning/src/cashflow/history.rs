//! A scenario from a health system's observed history (issue 14, point 5: "a scenario can
//! start from a health system's observed history"): volumes per program from its cases, the
//! payer mix, lags, denials and appeals from its claims when there are any, DOMAIN.md's
//! figures otherwise. Pure: the app gathers the history, this maps it.

use super::scenario::{Basis, Lag, Payer, Program, Rebate, Scenario, Terms};

/// Days in the model's month.
const MONTH_DAYS: f64 = 30.0;

/// One program as the health system has lived it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramHistory {
    pub id: String,
    /// The price in force, dollars.
    pub price: f64,
    /// Cases opened over `window_days`.
    pub cases: u32,
    /// Of those shipped, how many were never infused, and how many shipped.
    pub not_infused: u32,
    pub shipped: u32,
    pub terms: Terms,
    pub not_infused_credit_fraction: f64,
    pub rebate: Option<Rebate>,
}

/// One claim as it went: its payer, the days from submission to payment (if paid), whether
/// it was first denied and, if so, whether the appeal won and in how many days.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimHistory {
    pub payer: String,
    pub paid_amount: Option<f64>,
    /// Days from submission to the first answer (payment or denial).
    pub answer_days: Option<f64>,
    pub denied: bool,
    pub appeal_won: Option<bool>,
    pub appeal_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// How many days the observed cases span (at least one month is assumed).
    pub window_days: f64,
    pub programs: Vec<ProgramHistory>,
    pub claims: Vec<ClaimHistory>,
    pub cap: f64,
    pub seed: u64,
    pub runs: u32,
    pub horizon_days: u32,
    pub align: Option<usize>,
}

/// DOMAIN.md's payers when no claim is on record: Medicare's MS-DRG 018 (FY2026 $314,231,
/// 8.4 % initial denials), commercial plans paying the price (13.9 %); ~54 % of denials
/// overturned on appeal, about three rounds of 45–60 days.
pub fn default_payers() -> Vec<Payer> {
    let appeal = Lag {
        median_days: 150.0,
        p90_days: 180.0,
    };
    let lag = Lag {
        median_days: 30.0,
        p90_days: 60.0,
    };
    vec![
        Payer {
            name: "Medicare".into(),
            share: 0.5,
            paid_fixed: 314_231.0,
            paid_fraction: 0.0,
            lag,
            denial_rate: 0.084,
            appeal_success_rate: 0.54,
            appeal,
        },
        Payer {
            name: "Commercial".into(),
            share: 0.5,
            paid_fixed: 0.0,
            paid_fraction: 1.0,
            lag,
            denial_rate: 0.139,
            appeal_success_rate: 0.54,
            appeal,
        },
    ]
}

/// Median and 90th percentile by nearest rank; none for no values.
fn median_p90(mut v: Vec<f64>) -> Option<Lag> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let median = rank(0.5).max(0.0);
    Some(Lag {
        median_days: median,
        p90_days: rank(0.9).max(median),
    })
}

/// The payers the claims show: each payer's share of claims, its paid amount (the median of
/// what it paid, as a fixed amount), lag, denial rate and appeal figures; a figure the claims
/// cannot show (no payment yet, no appeal decided) is the default payers' first.
pub fn payers_from(claims: &[ClaimHistory]) -> Vec<Payer> {
    let defaults = default_payers();
    if claims.is_empty() {
        return defaults;
    }
    let fallback = &defaults[0];
    let mut names: Vec<&str> = claims.iter().map(|c| c.payer.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let own: Vec<&ClaimHistory> = claims.iter().filter(|c| c.payer == name).collect();
            let n = own.len() as f64;
            let denied: Vec<&&ClaimHistory> = own.iter().filter(|c| c.denied).collect();
            let decided: Vec<bool> = denied.iter().filter_map(|c| c.appeal_won).collect();
            let paid = median_p90(own.iter().filter_map(|c| c.paid_amount).collect());
            Payer {
                name: name.to_string(),
                share: n / claims.len() as f64,
                paid_fixed: paid.map_or(fallback.paid_fixed, |p| p.median_days),
                paid_fraction: if paid.is_some() {
                    0.0
                } else {
                    fallback.paid_fraction
                },
                lag: median_p90(
                    own.iter()
                        .filter(|c| !c.denied)
                        .filter_map(|c| c.answer_days)
                        .collect(),
                )
                .unwrap_or(fallback.lag),
                denial_rate: denied.len() as f64 / n,
                appeal_success_rate: if decided.is_empty() {
                    fallback.appeal_success_rate
                } else {
                    decided.iter().filter(|w| **w).count() as f64 / decided.len() as f64
                },
                appeal: median_p90(denied.iter().filter_map(|c| c.appeal_days).collect())
                    .unwrap_or(fallback.appeal),
            }
        })
        .collect()
}

impl History {
    /// The scenario this history makes: patients per month from the cases over the window,
    /// the not-infused rate from the shipments, the payers from the claims.
    pub fn scenario(&self) -> Scenario {
        let months = (self.window_days / MONTH_DAYS).max(1.0);
        let programs = self
            .programs
            .iter()
            .map(|p| Program {
                id: p.id.clone(),
                price: p.price,
                patients_per_month: f64::from(p.cases) / months,
                not_infused_rate: if p.shipped == 0 {
                    0.0
                } else {
                    f64::from(p.not_infused) / f64::from(p.shipped)
                },
                not_infused_credit_fraction: p.not_infused_credit_fraction,
                claim_submit_days: 21.0,
                terms: p.terms.clone(),
                rebate: p.rebate.clone(),
            })
            .collect();
        Scenario {
            seed: self.seed,
            runs: self.runs,
            horizon_days: self.horizon_days,
            cap: self.cap,
            align: self.align.filter(|i| *i < self.programs.len()),
            programs,
            payers: payers_from(&self.claims),
        }
    }
}

/// Terms at net `net_days` on `basis` with the model's usual lead and backstop.
pub fn terms(basis: Basis, net_days: u32, backstop_days: f64, denial_protection: f64) -> Terms {
    Terms {
        basis,
        net_days,
        ship_lead_days: 7.0,
        backstop_days,
        denial_protection_fraction: denial_protection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(cases: u32) -> ProgramHistory {
        ProgramHistory {
            id: "vantacel".into(),
            price: 475_000.0,
            cases,
            not_infused: 1,
            shipped: 20,
            terms: terms(Basis::Infusion, 30, 180.0, 0.0),
            not_infused_credit_fraction: 1.0,
            rebate: None,
        }
    }

    fn history(claims: Vec<ClaimHistory>) -> History {
        History {
            window_days: 360.0,
            programs: vec![program(24)],
            claims,
            cap: 6_000_000.0,
            seed: 7,
            runs: 500,
            horizon_days: 365,
            align: Some(0),
        }
    }

    fn claim(payer: &str, days: f64, denied: bool, won: Option<bool>) -> ClaimHistory {
        ClaimHistory {
            payer: payer.into(),
            paid_amount: (!denied || won == Some(true)).then_some(300_000.0),
            answer_days: Some(days),
            denied,
            appeal_won: won,
            appeal_days: won.map(|_| 120.0),
        }
    }

    #[test]
    fn volumes_come_from_the_cases_and_no_claims_means_domain_defaults() {
        let s = history(Vec::new()).scenario();
        assert_eq!(s.programs[0].patients_per_month, 2.0);
        assert_eq!(s.programs[0].not_infused_rate, 0.05);
        assert_eq!(s.payers, default_payers());
        assert_eq!(s.payers[0].paid_fixed, 314_231.0);
        assert_eq!(s.align, Some(0));
        let shares: f64 = s.payers.iter().map(|p| p.share).sum();
        assert!((shares - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_claims_give_the_payer_mix_lags_denials_and_appeals() {
        let mut claims = vec![
            claim("Medicare", 20.0, false, None),
            claim("Medicare", 30.0, false, None),
            claim("Medicare", 40.0, false, None),
            claim("Medicare", 50.0, true, Some(true)),
        ];
        claims.push(claim("Acme Health", 60.0, true, Some(false)));
        let s = history(claims).scenario();
        let by = |n: &str| s.payers.iter().find(|p| p.name == n).unwrap().clone();
        let medicare = by("Medicare");
        assert_eq!(medicare.share, 0.8);
        assert_eq!(medicare.denial_rate, 0.25);
        assert_eq!(medicare.appeal_success_rate, 1.0);
        assert_eq!(
            (medicare.lag.median_days, medicare.lag.p90_days),
            (30.0, 40.0)
        );
        assert_eq!(medicare.paid_fixed, 300_000.0);
        let acme = by("Acme Health");
        assert_eq!(
            (acme.share, acme.denial_rate, acme.appeal_success_rate),
            (0.2, 1.0, 0.0)
        );
        // Never paid: the default payers' figures stand in for what it would pay and when.
        assert_eq!(acme.paid_fixed, 314_231.0);
        assert_eq!(acme.lag, default_payers()[0].lag);
    }

    #[test]
    fn a_short_window_counts_as_a_month_and_the_scenario_runs() {
        let mut h = history(Vec::new());
        h.window_days = 3.0;
        h.programs = vec![program(3)];
        let s = h.scenario();
        assert_eq!(s.programs[0].patients_per_month, 3.0);
        let report = s.simulate(1, &|_| {}).unwrap();
        assert_eq!(report.runs, 500);
    }
}
