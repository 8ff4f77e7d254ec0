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

#[cfg(test)]
mod tests {
    use super::*;

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
