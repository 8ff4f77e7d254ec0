//! Registry follow-up (CIBMTR cellular therapy forms, DOMAIN.md; DESIGN.md §4.4), pure: the
//! forms a track asks for, and a case's schedule — each form with its window, counted from the
//! day of the first infusion — derived from the map's `follow_up` step, never entered.
//!
//! The CIBMTR schedule: 4000 (pre-infusion data) within 30 days after the infusion, 4003 (the
//! product) and 4006 (the infusion) from the infusion on (DOMAIN.md gives them no window of
//! their own: they are given the 4000's 30 days), 4100 at day 100 (±15), 6 months (±30), 1
//! year (days 365–425), then yearly (±30) to the end of the track: the standard track to 6
//! years, then years 8, 10, 12 and 14; the 15-year track every year to 15.
//!
//! **API Boundary:** `track_forms`, `track_years`, `schedule`, `form_key`, `when_words`,
//! `FormStatus` (with `FormStatus::of`), `status_words`.

use crate::Date;
use crate::events::cases::ScheduledForm;
use crate::process_map::{FollowUpSpec, FollowUpTrack, StepParams};

pub const PRE_INFUSION: &str = "CIBMTR 4000";
pub const PRODUCT: &str = "CIBMTR 4003";
pub const INFUSION: &str = "CIBMTR 4006";
pub const FOLLOW_UP: &str = "CIBMTR 4100";

/// Days in the registry's "6 months".
pub const SIX_MONTHS: u32 = 182;

/// The years after the infusion at which the track reports a yearly 4100.
pub fn track_years(track: FollowUpTrack) -> Vec<u32> {
    match track {
        FollowUpTrack::Standard => (1..=6).chain([8, 10, 12, 14]).collect(),
        FollowUpTrack::FifteenYear => (1..=15).collect(),
    }
}

/// The forms a track asks for, each with its window, in the order they fall due.
pub fn track_forms(track: FollowUpTrack) -> Vec<FollowUpSpec> {
    let mut forms = vec![
        FollowUpSpec::window(INFUSION, 0, 0, 30),
        FollowUpSpec::window(PRODUCT, 0, 0, 30),
        FollowUpSpec::window(PRE_INFUSION, 0, 30, 30),
        FollowUpSpec::window(FOLLOW_UP, 85, 100, 115),
        FollowUpSpec::window(FOLLOW_UP, SIX_MONTHS - 30, SIX_MONTHS, SIX_MONTHS + 30),
    ];
    for year in track_years(track) {
        let day = 365 * year;
        forms.push(if year == 1 {
            FollowUpSpec::window(FOLLOW_UP, 365, 365, 425)
        } else {
            FollowUpSpec::window(FOLLOW_UP, day - 30, day, day + 30)
        });
    }
    forms
}

/// A form's key on a case: its name and due day, e.g. `cibmtr-4100-day-365` (a map lists a
/// form once per due day, so the key is unique on the case and readable in an address).
pub fn form_key(form: &str, due_days: u32) -> String {
    let mut slug = String::new();
    for c in form.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    format!("{slug}-day-{due_days}")
}

/// When a form falls due, as people say it: "at infusion", "day 30", "day 100", "6 months",
/// "1 year", "8 years".
pub fn when_words(due_days: u32) -> String {
    match due_days {
        0 => "at infusion".into(),
        SIX_MONTHS => "6 months".into(),
        365 => "1 year".into(),
        d if d % 365 == 0 => format!("{} years", d / 365),
        d => format!("day {d}"),
    }
}

/// A case's forms and visits, counted from the day of the first infusion, in the order they
/// fall due (ties in the map's order). The occurrence counts each form from 1.
pub fn schedule(infused_on: &Date, params: &StepParams) -> (Vec<ScheduledForm>, Vec<Date>) {
    let on = |days: u32| infused_on.plus_days(i64::from(days));
    let mut specs: Vec<&FollowUpSpec> = params.follow_up.iter().collect();
    specs.sort_by_key(|s| s.due_days);
    let mut forms: Vec<ScheduledForm> = Vec::with_capacity(specs.len());
    for spec in specs {
        let occurrence = 1 + forms.iter().filter(|f| f.form == spec.form).count() as u32;
        forms.push(ScheduledForm {
            key: form_key(&spec.form, spec.due_days),
            form: spec.form.clone(),
            occurrence,
            when: when_words(spec.due_days),
            opens_on: on(spec.opens()),
            due_on: on(spec.due_days),
            closes_on: on(spec.closes()),
        });
    }
    let mut visits: Vec<u32> = params.visits.clone();
    visits.sort_unstable();
    visits.dedup();
    (forms, visits.into_iter().map(on).collect())
}

vocabulary!(
    /// Where a scheduled form stands on a day.
    FormStatus, "form status" {
        /// Its window has not opened yet.
        Upcoming => "upcoming",
        /// Its window is open.
        Due => "due",
        /// Its window closed and it was not submitted.
        Overdue => "overdue",
        Submitted => "submitted",
    }
);

impl FormStatus {
    /// Where the form stands on `today`, submitted or not.
    pub fn of(form: &ScheduledForm, submitted: bool, today: &Date) -> FormStatus {
        if submitted {
            FormStatus::Submitted
        } else if *today > form.closes_on {
            FormStatus::Overdue
        } else if *today >= form.opens_on {
            FormStatus::Due
        } else {
            FormStatus::Upcoming
        }
    }
}

/// Where a form stands, in words, on `today`: "overdue since 9 April 2026 (72 days)", "due by
/// 3 July 2026 (13 days left)", "opens on 10 March 2027", "submitted on 19 June 2026".
pub fn status_words(form: &ScheduledForm, submitted_on: Option<&Date>, today: &Date) -> String {
    let days = |a: &Date, b: &Date| b.days_since_epoch() - a.days_since_epoch();
    let plural = |n: i64, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    match (
        FormStatus::of(form, submitted_on.is_some(), today),
        submitted_on,
    ) {
        (FormStatus::Submitted, Some(on)) => format!("submitted on {}", on.words()),
        (FormStatus::Overdue, _) => format!(
            "overdue since {} ({} late)",
            form.closes_on.plus_days(1).words(),
            plural(days(&form.closes_on, today), "day")
        ),
        (FormStatus::Due, _) => match days(today, &form.closes_on) {
            0 => format!("due by {} (today is the last day)", form.closes_on.words()),
            n => format!(
                "due by {} ({} left)",
                form.closes_on.words(),
                plural(n, "day")
            ),
        },
        _ => format!("opens on {}", form.opens_on.words()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    fn params(track: FollowUpTrack) -> StepParams {
        StepParams {
            follow_up: track_forms(track),
            visits: vec![730, 365],
            track: Some(track),
            ..StepParams::default()
        }
    }

    /// (key, opens, due, closes)
    fn rows(forms: &[ScheduledForm]) -> Vec<(String, String, String, String)> {
        forms
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.opens_on.to_string(),
                    f.due_on.to_string(),
                    f.closes_on.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_standard_track_counts_every_window_from_the_infusion_day() {
        // 2026 is not a leap year; 2028 is, so the later years drift by the leap day.
        let (forms, visits) = schedule(&date("2026-03-10"), &params(FollowUpTrack::Standard));
        let expected = [
            (
                "cibmtr-4006-day-0",
                "2026-03-10",
                "2026-03-10",
                "2026-04-09",
            ),
            (
                "cibmtr-4003-day-0",
                "2026-03-10",
                "2026-03-10",
                "2026-04-09",
            ),
            (
                "cibmtr-4000-day-30",
                "2026-03-10",
                "2026-04-09",
                "2026-04-09",
            ),
            (
                "cibmtr-4100-day-100",
                "2026-06-03",
                "2026-06-18",
                "2026-07-03",
            ),
            (
                "cibmtr-4100-day-182",
                "2026-08-09",
                "2026-09-08",
                "2026-10-08",
            ),
            (
                "cibmtr-4100-day-365",
                "2027-03-10",
                "2027-03-10",
                "2027-05-09",
            ),
            (
                "cibmtr-4100-day-730",
                "2028-02-08",
                "2028-03-09",
                "2028-04-08",
            ),
            (
                "cibmtr-4100-day-1095",
                "2029-02-07",
                "2029-03-09",
                "2029-04-08",
            ),
            (
                "cibmtr-4100-day-1460",
                "2030-02-07",
                "2030-03-09",
                "2030-04-08",
            ),
            (
                "cibmtr-4100-day-1825",
                "2031-02-07",
                "2031-03-09",
                "2031-04-08",
            ),
            (
                "cibmtr-4100-day-2190",
                "2032-02-07",
                "2032-03-08",
                "2032-04-07",
            ),
            (
                "cibmtr-4100-day-2920",
                "2034-02-06",
                "2034-03-08",
                "2034-04-07",
            ),
            (
                "cibmtr-4100-day-3650",
                "2036-02-06",
                "2036-03-07",
                "2036-04-06",
            ),
            (
                "cibmtr-4100-day-4380",
                "2038-02-05",
                "2038-03-07",
                "2038-04-06",
            ),
            (
                "cibmtr-4100-day-5110",
                "2040-02-05",
                "2040-03-06",
                "2040-04-05",
            ),
        ];
        let expected: Vec<(String, String, String, String)> = expected
            .iter()
            .map(|(k, o, d, c)| (k.to_string(), o.to_string(), d.to_string(), c.to_string()))
            .collect();
        assert_eq!(rows(&forms), expected);
        let whens: Vec<&str> = forms.iter().map(|f| f.when.as_str()).collect();
        assert_eq!(
            whens[..8],
            [
                "at infusion",
                "at infusion",
                "day 30",
                "day 100",
                "6 months",
                "1 year",
                "2 years",
                "3 years"
            ]
        );
        let occurrences: Vec<u32> = forms.iter().map(|f| f.occurrence).collect();
        assert_eq!(
            occurrences,
            [1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        );
        // visits in order, each once
        assert_eq!(visits, [date("2027-03-10"), date("2028-03-09")]);
    }

    #[test]
    fn the_fifteen_year_track_reports_every_year_to_fifteen() {
        let (forms, _) = schedule(&date("2025-12-31"), &params(FollowUpTrack::FifteenYear));
        let yearly: Vec<u32> = forms
            .iter()
            .filter(|f| f.form == FOLLOW_UP)
            .map(|f| (f.due_on.days_since_epoch() - date("2025-12-31").days_since_epoch()) as u32)
            .collect();
        let mut expected = vec![100, SIX_MONTHS];
        expected.extend((1..=15).map(|y| 365 * y));
        assert_eq!(yearly, expected);
        let last = forms.last().expect("forms");
        assert_eq!(last.key, "cibmtr-4100-day-5475");
        assert_eq!(last.when, "15 years");
        assert_eq!(
            (last.opens_on.as_str(), last.closes_on.as_str()),
            ("2040-11-27", "2041-01-26")
        );
        // the standard track stops at 14 years and skips 7, 9, 11 and 13
        assert_eq!(
            track_years(FollowUpTrack::Standard),
            [1, 2, 3, 4, 5, 6, 8, 10, 12, 14]
        );
    }

    #[test]
    fn a_form_is_upcoming_then_due_then_overdue_unless_submitted() {
        let (forms, _) = schedule(&date("2026-03-10"), &params(FollowUpTrack::Standard));
        let day_100 = forms
            .iter()
            .find(|f| f.key == "cibmtr-4100-day-100")
            .expect("day 100");
        let at = |d: &str, submitted: bool| FormStatus::of(day_100, submitted, &date(d));
        assert_eq!(at("2026-06-02", false), FormStatus::Upcoming);
        assert_eq!(at("2026-06-03", false), FormStatus::Due); // day 85 opens it
        assert_eq!(at("2026-07-03", false), FormStatus::Due); // day 115 is its last day
        assert_eq!(at("2026-07-04", false), FormStatus::Overdue);
        assert_eq!(at("2026-07-04", true), FormStatus::Submitted);
    }

    #[test]
    fn where_a_form_stands_reads_in_words_with_dates_in_words() {
        let (forms, _) = schedule(&date("2026-03-10"), &params(FollowUpTrack::Standard));
        let day_100 = &forms[3];
        let on = |d: &str| status_words(day_100, None, &date(d));
        assert_eq!(on("2026-05-01"), "opens on 3 June 2026");
        assert_eq!(on("2026-06-20"), "due by 3 July 2026 (13 days left)");
        assert_eq!(on("2026-07-02"), "due by 3 July 2026 (1 day left)");
        assert_eq!(
            on("2026-07-03"),
            "due by 3 July 2026 (today is the last day)"
        );
        assert_eq!(on("2026-07-04"), "overdue since 4 July 2026 (1 day late)");
        assert_eq!(on("2026-09-01"), "overdue since 4 July 2026 (60 days late)");
        assert_eq!(
            status_words(day_100, Some(&date("2026-06-19")), &date("2026-09-01")),
            "submitted on 19 June 2026"
        );
        assert_eq!(date("2028-02-29").words(), "29 February 2028");
    }

    #[test]
    fn keys_and_words_read_as_people_say_them() {
        assert_eq!(form_key("CIBMTR 4100", 365), "cibmtr-4100-day-365");
        assert_eq!(
            form_key("  Gene therapy LTFU registry (demo)", 730),
            "gene-therapy-ltfu-registry-demo-day-730"
        );
        assert_eq!(when_words(0), "at infusion");
        assert_eq!(when_words(30), "day 30");
        assert_eq!(when_words(182), "6 months");
        assert_eq!(when_words(365), "1 year");
        assert_eq!(when_words(2920), "8 years");
    }

    #[test]
    fn a_form_without_a_window_opens_and_closes_on_its_due_day() {
        let p = StepParams {
            follow_up: vec![FollowUpSpec::on_day("Local registry", 90)],
            ..StepParams::default()
        };
        let (forms, visits) = schedule(&date("2026-01-01"), &p);
        assert_eq!(
            rows(&forms),
            [(
                "local-registry-day-90".to_string(),
                "2026-04-01".to_string(),
                "2026-04-01".to_string(),
                "2026-04-01".to_string()
            )]
        );
        assert!(visits.is_empty());
    }
}
