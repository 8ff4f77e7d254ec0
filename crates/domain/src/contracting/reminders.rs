//! Expiry reminders (issue 4): before an executed agreement lapses, both sides are told at
//! fixed thresholds before its expiry date, each threshold once per expiry date. Pure: the app
//! supplies today, the expiry date and the thresholds already sent; this says which is due.

use crate::values::Date;

/// Days before expiry at which a reminder is due, least urgent first.
pub const REMINDER_DAYS: [i64; 3] = [90, 30, 7];

/// Whole days from `today` until `expires_on` (0 on the expiry day, negative after).
pub fn days_left(today: &Date, expires_on: &Date) -> i64 {
    expires_on.days_since_epoch() - today.days_since_epoch()
}

/// The threshold whose reminder is due on `today` for an agreement that expires on
/// `expires_on`, given the thresholds already sent for that same expiry date (a renewal with a
/// new expiry date starts again from none).
///
/// It is the most urgent threshold reached, unless that one or a more urgent one was sent:
/// after a gap (a server down for a week) people get one reminder with the real days left,
/// not a burst of stale ones. Nothing on or after the expiry day: the agreement is no longer
/// in force, and the gate says so.
pub fn reminder_due(today: &Date, expires_on: &Date, sent: &[i64]) -> Option<i64> {
    let left = days_left(today, expires_on);
    if left <= 0 {
        return None;
    }
    let due = REMINDER_DAYS.iter().copied().filter(|t| left <= *t).min()?;
    if sent.iter().any(|s| *s <= due) {
        return None;
    }
    Some(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn the_threshold_due_by_days_left_and_what_was_sent() {
        let expiry = d("2030-05-31");
        let cases: &[(&str, &[i64], Option<i64>)] = &[
            ("2029-12-01", &[], None),          // 181 days left: too early
            ("2030-03-01", &[], None),          // 91 days left
            ("2030-03-02", &[], Some(90)),      // exactly 90
            ("2030-03-02", &[90], None),        // already sent
            ("2030-04-15", &[90], None),        // 46 days left: between thresholds
            ("2030-05-01", &[90], Some(30)),    // exactly 30
            ("2030-05-24", &[90, 30], Some(7)), // exactly 7
            ("2030-05-30", &[90, 30, 7], None), // the day before: all sent
            ("2030-05-30", &[], Some(7)),       // after a long gap: only the most urgent
            ("2030-05-10", &[], Some(30)),      // 21 days left, nothing sent yet
            ("2030-05-10", &[7], None),         // a more urgent one was sent already
            ("2030-05-31", &[], None),          // the expiry day: no longer in force
            ("2030-07-01", &[], None),          // long expired
        ];
        for (today, sent, want) in cases {
            assert_eq!(
                reminder_due(&d(today), &expiry, sent),
                *want,
                "on {today} with {sent:?} sent"
            );
        }
    }

    /// Run the daily job over `runs` (days before expiry on which the job ran, in order) and
    /// return what it sent: (days left, threshold).
    fn simulate(expiry: &Date, runs: &[i64]) -> Vec<(i64, i64)> {
        let mut sent = Vec::new();
        let mut out = Vec::new();
        for before in runs {
            let today = expiry.plus_days(-before);
            if let Some(t) = reminder_due(&today, expiry, &sent) {
                sent.push(t);
                out.push((*before, t));
            }
        }
        out
    }

    #[test]
    fn a_daily_job_sends_each_threshold_once_on_its_day() {
        let expiry = d("2030-05-31");
        let every_day: Vec<i64> = (-10..=200).rev().collect();
        assert_eq!(simulate(&expiry, &every_day), [(90, 90), (30, 30), (7, 7)]);
    }

    #[test]
    fn a_renewal_with_a_new_expiry_date_gets_fresh_reminders() {
        // Sent for the old date; the new date's thresholds start from none.
        let old = d("2030-05-31");
        let new = d("2032-05-31");
        assert_eq!(reminder_due(&d("2030-05-30"), &old, &[90, 30, 7]), None);
        assert_eq!(reminder_due(&d("2032-03-02"), &new, &[]), Some(90));
    }

    proptest! {
        /// Whatever days the job happens to run on (gaps included): each threshold at most
        /// once, ever more urgent, never on or after expiry, each only once reached, and
        /// after any gap the one sent is the most urgent reached.
        #[test]
        fn any_schedule_sends_each_threshold_once_and_only_the_most_urgent(
            mut runs in proptest::collection::vec(-30i64..400, 0..60),
        ) {
            runs.sort_unstable_by(|a, b| b.cmp(a));
            runs.dedup();
            let expiry = d("2030-05-31");
            let sent = simulate(&expiry, &runs);
            for w in sent.windows(2) {
                prop_assert!(w[1].1 < w[0].1, "ever more urgent: {sent:?}");
            }
            for (left, t) in &sent {
                prop_assert!(*left > 0, "nothing on or after expiry: {sent:?}");
                prop_assert!(left <= t, "only once reached: {sent:?}");
                let most_urgent = REMINDER_DAYS.iter().copied().filter(|x| left <= x).min();
                prop_assert_eq!(Some(*t), most_urgent);
            }
            // Every run inside (0, 90] days sees some reminder sent by then.
            if let Some(first) = runs.iter().find(|r| (1..=90).contains(*r)) {
                prop_assert!(sent.iter().any(|(left, _)| left >= first));
            }
        }
    }
}
