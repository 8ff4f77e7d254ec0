//! A health system's exposure now (issue 14, point 3), pure: what it paid out to manufacturers
//! minus what it received back (claim payments, the manufacturers' credits), day by day, and
//! its days in accounts receivable.

use crate::Date;

/// Money that moved on one day, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFlow {
    pub day: Date,
    /// Paid to manufacturers (invoice payments).
    pub out_cents: i64,
    /// Received: claim payments and manufacturers' credits.
    pub in_cents: i64,
}

/// Exposure at the end of a day: everything paid out minus everything received, up to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposurePoint {
    pub day: Date,
    pub paid_out_cents: i64,
    pub received_cents: i64,
    pub exposure_cents: i64,
}

/// The running exposure, one point per day that money moved (flows in any order; flows of
/// the same day are added together).
pub fn exposure_series(flows: &[DayFlow]) -> Vec<ExposurePoint> {
    let mut sorted: Vec<&DayFlow> = flows.iter().collect();
    sorted.sort_by(|a, b| a.day.cmp(&b.day));
    let mut out: Vec<ExposurePoint> = Vec::new();
    let (mut paid, mut received) = (0i64, 0i64);
    for f in sorted {
        paid += f.out_cents;
        received += f.in_cents;
        let point = ExposurePoint {
            day: f.day.clone(),
            paid_out_cents: paid,
            received_cents: received,
            exposure_cents: paid - received,
        };
        match out.last_mut() {
            Some(last) if last.day == f.day => *last = point,
            _ => out.push(point),
        }
    }
    out
}

/// The window the average daily payments are taken over: three months, as HFMA's MAP Keys
/// take average daily revenue.
pub const AR_WINDOW_DAYS: i64 = 90;

/// Days in accounts receivable, the standard revenue-cycle measure (HFMA MAP Keys, "net days
/// in accounts receivable": the receivables ÷ the average daily revenue over the last three
/// months). Here the receivables are the open claims' amounts (submitted, denied or appealed,
/// not yet paid or finally unpaid) and the daily revenue is the claim payments received over
/// the last [`AR_WINDOW_DAYS`] days ÷ 90. None when no claim was paid in the window (the
/// measure is undefined, not infinite); rounded to a tenth of a day.
pub fn days_in_ar(open_claims_cents: i64, paid_in_window_cents: i64) -> Option<f64> {
    if paid_in_window_cents <= 0 {
        return None;
    }
    let daily = paid_in_window_cents as f64 / AR_WINDOW_DAYS as f64;
    Some((open_claims_cents as f64 / daily * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(day: &str, out: i64, inn: i64) -> DayFlow {
        DayFlow {
            day: Date::parse(day).unwrap(),
            out_cents: out,
            in_cents: inn,
        }
    }

    #[test]
    fn exposure_runs_day_by_day() {
        let s = exposure_series(&[
            flow("2026-03-10", 0, 300),
            flow("2026-03-01", 1_000, 0),
            flow("2026-03-10", 500, 0),
        ]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].exposure_cents, 1_000);
        assert_eq!(
            (
                s[1].paid_out_cents,
                s[1].received_cents,
                s[1].exposure_cents
            ),
            (1_500, 300, 1_200)
        );
    }

    #[test]
    fn days_in_ar_is_open_claims_over_average_daily_payments() {
        // $900,000 paid over 90 days is $10,000 a day; $300,000 open is 30 days.
        assert_eq!(days_in_ar(30_000_000, 90_000_000), Some(30.0));
        assert_eq!(days_in_ar(10_000_000, 0), None);
        assert_eq!(days_in_ar(0, 90_000_000), Some(0.0));
    }
}
