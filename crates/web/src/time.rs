//! Times as people read them: every time cellpath stores is integer microseconds since the
//! Unix epoch, UTC (DESIGN.md §3). A page shows an instant on the clock of the reader's
//! organization's time zone with the zone's abbreviation, and the exact UTC time on hover
//! (`title`), so two partners in different zones can still compare. Calendar days (`Date`)
//! never shift. UTC arithmetic here is Howard Hinnant's civil-from-days; zones are
//! `cellpath_app::zone` (the tz database).
//!
//! The reader's zone rides with the request, not through every call: `finish_response` opens
//! a slot for the request ([`in_reader_zone`]), the `Ctx` extractor fills it from the
//! caller's organization ([`set_reader_zone`]), and [`time_el`]/[`day_el`] read it. Outside a
//! request (a test rendering a fragment) it is UTC.

use cellpath_app::zone::{Fold, LocalTimeError, WallClock, Zone};
use maud::{Markup, html};
use std::cell::RefCell;

tokio::task_local! {
    static READER_ZONE: RefCell<Zone>;
}

/// Run a request with a slot for its reader's zone (UTC until a `Ctx` fills it).
pub async fn in_reader_zone<F: std::future::Future>(f: F) -> F::Output {
    READER_ZONE.scope(RefCell::new(Zone::utc()), f).await
}

/// The zone this request's pages show times in, from here on.
pub fn set_reader_zone(zone: Zone) {
    // Outside a request there is no slot: times stay UTC.
    let _ = READER_ZONE.try_with(|slot| *slot.borrow_mut() = zone);
}

/// The zone times are shown in now.
pub fn reader_zone() -> Zone {
    READER_ZONE
        .try_with(|slot| slot.borrow().clone())
        .unwrap_or_else(|_| Zone::utc())
}

/// `YYYY-MM-DD HH:MM:SS ABBR` on `zone`'s clock.
pub fn local(zone: &Zone, micros: i64) -> String {
    let WallClock {
        year,
        month,
        day,
        hour,
        minute,
        second,
        abbreviation,
    } = zone.wall_clock(micros);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} {abbreviation}")
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The parts of a time: (year, month, day, hour, minute, second).
fn parts(micros: i64) -> (i64, i64, i64, i64, i64, i64) {
    let secs = micros.div_euclid(1_000_000);
    let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (y, m, d, in_day / 3_600, in_day % 3_600 / 60, in_day % 60)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(micros: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(micros);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// RFC 3339 for the `datetime` attribute, so a test or a script can read the exact instant.
pub fn rfc3339(micros: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(micros);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// The day in words, e.g. `23 Nov 2026` (UTC).
pub fn day(micros: i64) -> String {
    let (y, mo, d, ..) = parts(micros);
    words(y, mo, d)
}

/// A day as people write it: `23 Nov 2026`.
fn words(y: i64, mo: i64, d: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!("{d} {} {y}", MONTHS[(mo as usize).clamp(1, 12) - 1])
}

/// A calendar day in words, e.g. `23 Nov 2026`: a day, not an instant, so it never shifts.
pub fn calendar_day(d: &cellpath_domain::Date) -> String {
    day(d.days_since_epoch() * 86_400_000_000)
}

/// The day in words on `zone`'s clock, e.g. `23 Nov 2026`.
pub fn local_day(zone: &Zone, micros: i64) -> String {
    let c = zone.wall_clock(micros);
    words(c.year, c.month, c.day)
}

/// A `<time>` element showing the day of an instant on the reader's clock, the exact instant
/// in its `datetime` and, in UTC, its title.
pub fn day_el(micros: i64) -> Markup {
    let day = local_day(&reader_zone(), micros);
    html! { time datetime=(rfc3339(micros)) title=(utc(micros)) { (day) } }
}

/// A `<time>` element showing the time on the reader's clock with the zone's abbreviation,
/// and the UTC time in its title.
pub fn time_el(micros: i64) -> Markup {
    let shown = local(&reader_zone(), micros);
    html! { time datetime=(rfc3339(micros)) title=(utc(micros)) { (shown) } }
}

/// A moment in words on the reader's clock, e.g. "9 August 2026 at 14:30 CEST" (an offer's
/// deadline).
pub fn moment_words(micros: i64) -> String {
    let shown = local(&reader_zone(), micros);
    let day = cellpath_domain::Date::parse(&shown[..10])
        .map(|d| d.words())
        .unwrap_or_else(|_| shown[..10].to_string());
    format!("{day} at {}{}", &shown[11..16], &shown[19..])
}

/// The label of a date-time field read on the reader's clock, e.g. "Onset (America/Chicago)".
pub fn time_label(what: &str) -> String {
    format!("{what} ({})", reader_zone().name())
}

/// A date-time field typed on the reader's clock (`YYYY-MM-DDTHH:MM`), as the UTC text the
/// app reads and stores (`…Z`). What does not read as a time at all passes unchanged, so the
/// app's own message about it stands. A time the clocks skipped is refused; one that happened
/// twice is refused until the field's `{field}_fold` choice (earlier or later) says which —
/// the form then offers that choice ([`fold_choice`]).
pub fn utc_of_typed(form: &mut crate::forms::FormData, field: &str) -> Result<String, String> {
    let typed = form.get(field).trim().to_string();
    let Ok(wall) = cellpath_domain::Date::parse_time(&typed) else {
        return Ok(typed);
    };
    let fold_field = format!("{field}_fold");
    let fold = Fold::parse(form.get(&fold_field));
    match reader_zone().instant_of_wall(wall, fold) {
        Ok(at) => Ok(rfc3339(at)),
        Err(e) => {
            if let LocalTimeError::Twice(_) = e {
                // Offered from now on, even before it is chosen.
                form.set(&fold_field, form.get(&fold_field).to_string());
            }
            Err(e.to_string())
        }
    }
}

/// Beside a date-time field whose time happened twice: which of the two it was.
pub fn fold_choice(values: &crate::forms::FormData, field: &str) -> Markup {
    let fold_field = format!("{field}_fold");
    let wall = cellpath_domain::Date::parse_time(values.get(field).trim()).ok();
    let names = wall.and_then(|w| reader_zone().fold_names(w));
    html! {
        @if let (true, Some((first, second))) = (values.has(&fold_field), names) {
            div.field {
                label for=(format!("fold-{field}")) { "Which one?" }
                select id=(format!("fold-{field}")) name=(fold_field) {
                    option value="" selected[values.get(&fold_field).is_empty()] { "Choose…" }
                    option value="earlier" selected[values.get(&fold_field) == "earlier"] { "The first, " (first) " (before the clocks went back)" }
                    option value="later" selected[values.get(&fold_field) == "later"] { "The second, " (second) " (after the clocks went back)" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_is_midnight_on_new_years_day_1970() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn a_day_in_words() {
        assert_eq!(day(1_764_000_000_000_000), "24 Nov 2025");
        assert_eq!(day(0), "1 Jan 1970");
    }

    #[test]
    fn known_instants() {
        // 1_764_000_000 s = 20_416 days + 57_600 s; day 20_416 is 2025-11-24.
        assert_eq!(utc(1_764_000_000_000_000), "2025-11-24 16:00:00 UTC");
        assert_eq!(utc(951_782_400_000_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(951_868_799_999_999), "2000-02-29 23:59:59 UTC");
        assert_eq!(utc(1_709_251_199_000_000), "2024-02-29 23:59:59 UTC");
        assert_eq!(utc(253_402_300_799_000_000), "9999-12-31 23:59:59 UTC");
        assert_eq!(rfc3339(1_764_000_000_123_456), "2025-11-24T16:00:00Z");
    }

    #[test]
    fn times_before_the_epoch_round_down_not_toward_zero() {
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(-86_400_000_000), "1969-12-31 00:00:00 UTC");
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let _ = utc(i64::MIN);
        let _ = utc(i64::MAX);
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // Walk 1900-01-01 .. 2100-12-31 and check the calendar advances one day at a time.
        let start = -25_567; // 1900-01-01
        let mut prev = civil_from_days(start - 1);
        assert_eq!(prev, (1899, 12, 31));
        for days in start..47_847 {
            let (y, m, d) = civil_from_days(days);
            let next_ok = (y, m, d) == (prev.0, prev.1, prev.2 + 1)
                || (d == 1 && ((y, m) == (prev.0, prev.1 + 1) || (y, m) == (prev.0 + 1, 1)));
            assert!(next_ok, "{prev:?} → {:?}", (y, m, d));
            prev = (y, m, d);
        }
        assert_eq!(prev, (2100, 12, 31));
    }
}
