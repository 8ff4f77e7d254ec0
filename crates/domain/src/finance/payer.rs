//! Payer profiles (issue 14, point 2): how one of a health system's payers pays a CAR-T claim —
//! a fixed amount (Medicare's MS-DRG 018) and/or a share of the product's price, how long it
//! takes, how often it denies and how often an appeal wins. `ProfileInput::check` is the only way
//! to a `PayerProfile`: every field checked, every problem named by its field. Rates travel as
//! fractions (0–1) and are kept in basis points, since the ledger holds integers only.

use serde::{Deserialize, Serialize};

/// Basis points in a whole (a rate of 1.0).
pub const WHOLE_BP: i64 = 10_000;
/// The longest lag a profile may name (five years).
pub const MAX_LAG_DAYS: i64 = 1_825;
const MAX_CENTS: i64 = (1 << 53) - 1;
/// MS-DRG 018 when the product was free (a trial, expanded access): 17 % of the full rate
/// (DOMAIN.md, money table).
pub const EXPANDED_ACCESS_DRG_BP: i64 = 1_700;

/// A checked payer profile, as the ledger records it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerProfile {
    pub name: String,
    /// A fixed amount per claim, US cents (e.g. MS-DRG 018).
    pub fixed_cents: i64,
    /// Plus this share of the product's price, basis points (10 000 = the whole price).
    pub price_share_bp: i64,
    /// Days from submission to payment: median and 90th percentile.
    pub lag_median_days: i64,
    pub lag_p90_days: i64,
    /// Share of claims first denied, basis points.
    pub denial_bp: i64,
    /// Share of appeals that win, basis points.
    pub appeal_success_bp: i64,
    /// Days from the appeal to its outcome: median and 90th percentile.
    pub appeal_median_days: i64,
    pub appeal_p90_days: i64,
}

/// A profile as a form or an API call sends it: raw, to be checked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// The payer's name, 1 to 80 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    /// US cents, 0 or more.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub fixed_cents: i64,
    /// Share of the price the payer pays on top of the fixed amount, 0 to 1.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub price_share: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1825))]
    pub lag_median_days: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1825))]
    pub lag_p90_days: i64,
    /// 0 to 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub denial_rate: f64,
    /// 0 to 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub appeal_success_rate: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1825))]
    pub appeal_median_days: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1825))]
    pub appeal_p90_days: i64,
}

type Problems = Vec<(&'static str, String)>;

fn rate(problems: &mut Problems, field: &'static str, value: f64) -> i64 {
    if !(0.0..=1.0).contains(&value) {
        problems.push((field, format!("must be a rate from 0 to 1, not {value}")));
        return 0;
    }
    (value * WHOLE_BP as f64).round() as i64
}

fn lag(problems: &mut Problems, median: (&'static str, i64), p90: (&'static str, i64)) {
    for (field, days) in [median, p90] {
        if !(0..=MAX_LAG_DAYS).contains(&days) {
            problems.push((
                field,
                format!("must be from 0 to {MAX_LAG_DAYS} days, not {days}"),
            ));
        }
    }
    if p90.1 < median.1 {
        problems.push((
            p90.0,
            format!(
                "the 90th percentile ({} days) cannot be less than the median ({} days)",
                p90.1, median.1
            ),
        ));
    }
}

impl ProfileInput {
    /// The profile, or every problem by field.
    pub fn check(&self) -> Result<PayerProfile, Problems> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            problems.push(("name", "must be 1 to 80 characters".to_string()));
        }
        if !(0..=MAX_CENTS).contains(&self.fixed_cents) {
            problems.push((
                "fixed_cents",
                format!("must be 0 cents or more, not {}", self.fixed_cents),
            ));
        }
        let price_share_bp = rate(&mut problems, "price_share", self.price_share);
        if self.fixed_cents == 0 && price_share_bp == 0 && self.price_share.is_finite() {
            problems.push((
                "fixed_cents",
                "a payer pays a fixed amount, a share of the price, or both: give at least one"
                    .to_string(),
            ));
        }
        lag(
            &mut problems,
            ("lag_median_days", self.lag_median_days),
            ("lag_p90_days", self.lag_p90_days),
        );
        let denial_bp = rate(&mut problems, "denial_rate", self.denial_rate);
        let appeal_success_bp = rate(
            &mut problems,
            "appeal_success_rate",
            self.appeal_success_rate,
        );
        lag(
            &mut problems,
            ("appeal_median_days", self.appeal_median_days),
            ("appeal_p90_days", self.appeal_p90_days),
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(PayerProfile {
            name: name.to_string(),
            fixed_cents: self.fixed_cents,
            price_share_bp,
            lag_median_days: self.lag_median_days,
            lag_p90_days: self.lag_p90_days,
            denial_bp,
            appeal_success_bp,
            appeal_median_days: self.appeal_median_days,
            appeal_p90_days: self.appeal_p90_days,
        })
    }
}

impl PayerProfile {
    /// What the payer is expected to pay for a case whose product costs `price_cents`. Under
    /// expanded access the product was free: no share of a price, and a fixed DRG payment at
    /// 17 % of its rate (DOMAIN.md: "Medicare pays MS-DRG 018 at 17 % (condition code 90)").
    pub fn expected_cents(&self, price_cents: i64, expanded_access: bool) -> i64 {
        if expanded_access {
            return self.fixed_cents * EXPANDED_ACCESS_DRG_BP / WHOLE_BP;
        }
        self.fixed_cents
            + (price_cents as i128 * self.price_share_bp as i128 / WHOLE_BP as i128) as i64
    }

    /// The profile as an input again (a form filled with it).
    pub fn input(&self) -> ProfileInput {
        ProfileInput {
            name: self.name.clone(),
            fixed_cents: self.fixed_cents,
            price_share: self.price_share_bp as f64 / WHOLE_BP as f64,
            lag_median_days: self.lag_median_days,
            lag_p90_days: self.lag_p90_days,
            denial_rate: self.denial_bp as f64 / WHOLE_BP as f64,
            appeal_success_rate: self.appeal_success_bp as f64 / WHOLE_BP as f64,
            appeal_median_days: self.appeal_median_days,
            appeal_p90_days: self.appeal_p90_days,
        }
    }
}

/// The profiles a health system starts from (DOMAIN.md, money table, 2022 denial figures):
/// Medicare pays MS-DRG 018 (FY2026 $314,231) and first denies 8.4 % of claims; commercial
/// plans pay the price and deny 13.9 %; about 54 % of denials are overturned on appeal, after
/// about three rounds of 45–60 days (median 150, 90th percentile 180 days). Lags of 30 days
/// (90th percentile 60) are the simulator's defaults (`planning::cashflow::history`), not a
/// published figure: edit them to what the health system sees.
pub fn default_profiles() -> Vec<PayerProfile> {
    let base = PayerProfile {
        name: String::new(),
        fixed_cents: 0,
        price_share_bp: 0,
        lag_median_days: 30,
        lag_p90_days: 60,
        denial_bp: 0,
        appeal_success_bp: 5_400,
        appeal_median_days: 150,
        appeal_p90_days: 180,
    };
    vec![
        PayerProfile {
            name: "Medicare".into(),
            fixed_cents: 31_423_100,
            denial_bp: 840,
            ..base.clone()
        },
        PayerProfile {
            name: "Commercial".into(),
            price_share_bp: WHOLE_BP,
            denial_bp: 1_390,
            ..base
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(input: &ProfileInput) -> Vec<&'static str> {
        input
            .check()
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn the_defaults_check_and_come_back_the_same() {
        for p in default_profiles() {
            assert_eq!(p.input().check().unwrap(), p);
        }
    }

    #[test]
    fn every_wrong_field_is_named() {
        let good = default_profiles()[0].input();
        let bad = ProfileInput {
            name: " ".into(),
            fixed_cents: -5,
            price_share: 1.5,
            lag_median_days: 60,
            lag_p90_days: 30,
            denial_rate: -0.1,
            appeal_success_rate: 2.0,
            appeal_median_days: 10,
            appeal_p90_days: 5,
        };
        assert_eq!(
            fields(&bad),
            vec![
                "name",
                "fixed_cents",
                "price_share",
                "lag_p90_days",
                "denial_rate",
                "appeal_success_rate",
                "appeal_p90_days"
            ]
        );
        let nothing = ProfileInput {
            fixed_cents: 0,
            price_share: 0.0,
            ..good.clone()
        };
        assert_eq!(fields(&nothing), vec!["fixed_cents"]);
        let nan = ProfileInput {
            denial_rate: f64::NAN,
            ..good
        };
        assert_eq!(fields(&nan), vec!["denial_rate"]);
    }

    #[test]
    fn expanded_access_pays_the_reduced_drg_and_no_share_of_a_price() {
        let [medicare, commercial] = <[PayerProfile; 2]>::try_from(default_profiles()).unwrap();
        assert_eq!(medicare.expected_cents(47_500_000, false), 31_423_100);
        assert_eq!(medicare.expected_cents(47_500_000, true), 5_341_927);
        assert_eq!(commercial.expected_cents(47_500_000, false), 47_500_000);
        assert_eq!(commercial.expected_cents(47_500_000, true), 0);
    }
}
