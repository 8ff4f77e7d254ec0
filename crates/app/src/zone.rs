//! An organization's time zone: an IANA name (`America/Chicago`) checked against the system's
//! time zone database (`/usr/share/zoneinfo`, read through jiff), and instants read as that
//! zone's wall-clock time with its abbreviation. Stored times stay UTC microseconds; only how
//! a page shows them changes. Calendar days (`Date`) never go through a zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A time zone of the tz database, by its name.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// An instant as a clock in a zone reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallClock {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    /// The zone's abbreviation at that instant (`CST`, `CDT`; `UTC`), or its offset
    /// (`+0530`-like `+05:30`) where the database has none.
    pub abbreviation: String,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// A zone by its IANA name; one the tz database does not know is refused, saying what to
    /// type instead.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("type a time zone, e.g. America/Chicago or UTC".into());
        }
        if name.len() > 64 {
            return Err("a time zone name is at most 64 characters".into());
        }
        match TimeZone::get(name) {
            Ok(tz) => Ok(Zone {
                name: tz.iana_name().unwrap_or(name).to_string(),
                tz,
            }),
            Err(_) => Err(format!(
                "\"{name}\" is not a time zone of the tz database; type its name as in America/Chicago, Europe/Berlin or UTC"
            )),
        }
    }

    /// The zone an organization stored (`None`: never set), UTC when none is set or the
    /// database no longer knows it.
    pub fn of(stored: Option<&str>) -> Zone {
        stored
            .and_then(|name| Zone::parse(name).ok())
            .unwrap_or_else(Zone::utc)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar day it is at `micros` on this zone's clock (what "today" is for the
    /// organization: due and overdue are judged by it).
    pub fn day_of(&self, micros: i64) -> cellpath_domain::Date {
        let w = self.wall_clock(micros);
        cellpath_domain::Date::parse(&format!("{:04}-{:02}-{:02}", w.year, w.month, w.day))
            .expect("a zone's wall clock reads a real calendar day")
    }

    /// `micros` (since the epoch, UTC) on this zone's clock.
    pub fn wall_clock(&self, micros: i64) -> WallClock {
        let at = Timestamp::from_microsecond(micros).unwrap_or(Timestamp::UNIX_EPOCH);
        let local = at.to_zoned(self.tz.clone());
        let abbreviation = local.strftime("%Z").to_string();
        WallClock {
            year: i64::from(local.year()),
            month: i64::from(local.month()),
            day: i64::from(local.day()),
            hour: i64::from(local.hour()),
            minute: i64::from(local.minute()),
            second: i64::from(local.second()),
            abbreviation,
        }
    }
}

/// Which of the two instants a wall-clock time names when the clocks went back and it
/// happened twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// The first time the clock showed it (before the change).
    Earlier,
    /// The second time (after the change).
    Later,
}

impl Fold {
    pub fn parse(text: &str) -> Option<Fold> {
        match text {
            "earlier" => Some(Fold::Earlier),
            "later" => Some(Fold::Later),
            _ => None,
        }
    }
}

/// Why a wall-clock time names no single instant in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTimeError {
    /// The clocks jumped over it (spring forward): it never happened.
    Skipped(String),
    /// The clocks went back over it (fall back): it happened twice; say which.
    Twice(String),
}

impl std::fmt::Display for LocalTimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalTimeError::Skipped(m) | LocalTimeError::Twice(m) => f.write_str(m),
        }
    }
}

impl Zone {
    /// The instant (UTC microseconds) a clock in this zone showed at `wall`, the time typed as
    /// `YYYY-MM-DDTHH:MM[:SS]` read *as if UTC* (`Date::parse_time`). A time the clocks
    /// skipped is refused; one that happened twice needs `fold` to say which.
    pub fn instant_of_wall(&self, wall: i64, fold: Option<Fold>) -> Result<i64, LocalTimeError> {
        use jiff::tz::AmbiguousOffset;
        let civil = Timestamp::from_microsecond(wall)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(TimeZone::UTC)
            .datetime();
        let ambiguous = self.tz.to_ambiguous_timestamp(civil);
        let shown = format!(
            "{} on {}",
            civil.strftime("%H:%M"),
            cellpath_domain::Date::of_micros(wall).words()
        );
        let abbr = |t: Timestamp| t.to_zoned(self.tz.clone()).strftime("%Z").to_string();
        let micros = |t: Timestamp| t.as_microsecond();
        match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { offset } => Ok(micros(
                offset
                    .to_timestamp(civil)
                    .map_err(|e| LocalTimeError::Skipped(e.to_string()))?,
            )),
            AmbiguousOffset::Gap { .. } => {
                let after = ambiguous
                    .later()
                    .map_err(|e| LocalTimeError::Skipped(e.to_string()))?;
                Err(LocalTimeError::Skipped(format!(
                    "{shown} did not happen in {}: the clocks moved forward an hour ({}) over it; type the time the clock showed, e.g. {}",
                    self.name,
                    abbr(after),
                    after.to_zoned(self.tz.clone()).strftime("%H:%M"),
                )))
            }
            AmbiguousOffset::Fold { .. } => {
                let (Ok(earlier), Ok(later)) = (ambiguous.earlier(), ambiguous.later()) else {
                    return Err(LocalTimeError::Skipped(format!("{shown} is out of range")));
                };
                match fold {
                    Some(Fold::Earlier) => Ok(micros(earlier)),
                    Some(Fold::Later) => Ok(micros(later)),
                    None => Err(LocalTimeError::Twice(format!(
                        "{shown} happened twice in {}: first {} ({} UTC), then {} an hour later ({} UTC); choose which below",
                        self.name,
                        abbr(earlier),
                        earlier.to_zoned(TimeZone::UTC).strftime("%H:%M"),
                        abbr(later),
                        later.to_zoned(TimeZone::UTC).strftime("%H:%M"),
                    ))),
                }
            }
        }
    }

    /// The abbreviations of the two readings of a time that happened twice (`CDT`, `CST`).
    pub fn fold_names(&self, wall: i64) -> Option<(String, String)> {
        let civil = Timestamp::from_microsecond(wall)
            .ok()?
            .to_zoned(TimeZone::UTC)
            .datetime();
        let ambiguous = self.tz.to_ambiguous_timestamp(civil);
        let abbr = |t: Timestamp| t.to_zoned(self.tz.clone()).strftime("%Z").to_string();
        Some((
            abbr(ambiguous.earlier().ok()?),
            abbr(ambiguous.later().ok()?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall(text: &str) -> i64 {
        cellpath_domain::Date::parse_time(text).expect("a time")
    }

    #[test]
    fn chicago_wall_clock_times_across_both_changes_are_read_skipped_or_asked_which() {
        let chicago = Zone::parse("America/Chicago").unwrap();
        // An ordinary winter time: 10:00 CST is 16:00 UTC.
        assert_eq!(
            chicago.instant_of_wall(wall("2026-01-15T10:00"), None),
            Ok(wall("2026-01-15T16:00"))
        );
        // 02:30 on 8 March 2026 never happened in Chicago.
        let skipped = chicago
            .instant_of_wall(wall("2026-03-08T02:30"), None)
            .unwrap_err();
        assert!(matches!(skipped, LocalTimeError::Skipped(_)));
        let m = skipped.to_string();
        assert!(
            m.contains("did not happen") && m.contains("8 March 2026") && m.contains("03:30"),
            "{m}"
        );
        // 01:30 on 1 November 2026 happened twice: asked which, then each one read.
        let twice = chicago
            .instant_of_wall(wall("2026-11-01T01:30"), None)
            .unwrap_err();
        assert!(matches!(twice, LocalTimeError::Twice(_)));
        let m = twice.to_string();
        assert!(
            m.contains("CDT") && m.contains("CST") && m.contains("06:30") && m.contains("07:30"),
            "{m}"
        );
        assert_eq!(
            chicago.instant_of_wall(wall("2026-11-01T01:30"), Some(Fold::Earlier)),
            Ok(wall("2026-11-01T06:30"))
        );
        assert_eq!(
            chicago.instant_of_wall(wall("2026-11-01T01:30"), Some(Fold::Later)),
            Ok(wall("2026-11-01T07:30"))
        );
        assert_eq!(
            chicago.fold_names(wall("2026-11-01T01:30")),
            Some(("CDT".to_string(), "CST".to_string()))
        );
        // UTC reads every time as itself.
        assert_eq!(
            Zone::utc().instant_of_wall(wall("2026-03-08T02:30"), None),
            Ok(wall("2026-03-08T02:30"))
        );
    }

    /// 2026-03-08 is the day Chicago moves from CST (UTC−6) to CDT (UTC−5) at 02:00 local.
    #[test]
    fn chicago_reads_an_instant_across_the_spring_change() {
        let chicago = Zone::parse("America/Chicago").expect("in the tz database");
        // 07:59:59 UTC is 01:59:59 CST; a second later it is 03:00:00 CDT.
        let before = 1_772_956_799_000_000;
        let b = chicago.wall_clock(before);
        assert_eq!(
            (b.year, b.month, b.day, b.hour, b.minute, b.second),
            (2026, 3, 8, 1, 59, 59)
        );
        assert_eq!(b.abbreviation, "CST");
        let a = chicago.wall_clock(before + 1_000_000);
        assert_eq!((a.day, a.hour, a.minute, a.second), (8, 3, 0, 0));
        assert_eq!(a.abbreviation, "CDT");
        // And back in November: 06:30 UTC on 1 Nov 2026 is 01:30 CDT, an hour later 01:30 CST.
        let first = 1_793_514_600_000_000;
        let f = chicago.wall_clock(first);
        let s = chicago.wall_clock(first + 3_600_000_000);
        assert_eq!((f.hour, f.minute, f.abbreviation.as_str()), (1, 30, "CDT"));
        assert_eq!((s.hour, s.minute, s.abbreviation.as_str()), (1, 30, "CST"));
    }

    #[test]
    fn a_name_the_database_does_not_know_is_refused() {
        for bad in [
            "America/Chicgo",
            "",
            "Mars/Olympus_Mons",
            "../../etc/passwd",
        ] {
            assert!(Zone::parse(bad).is_err(), "{bad} taken");
        }
        assert_eq!(
            Zone::parse(" Europe/Berlin ").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Zone::of(None).name(), "UTC");
        assert_eq!(Zone::of(Some("Nowhere/Else")).name(), "UTC");
        assert_eq!(Zone::utc().wall_clock(0).abbreviation, "UTC");
    }
}
