//! Values that can only hold what is allowed ("parse, don't validate"): once a handler holds a
//! `Name` or an `Email`, nothing downstream checks it again.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("must not be empty")]
    Empty,
    #[error("is {len} characters long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("is {len} characters long; at least {min} are needed")]
    TooShort { len: usize, min: usize },
    #[error("must not contain control characters (found U+{0:04X})")]
    ControlCharacter(u32),
    #[error("\"{value}\" is not a valid {what}; use one of: {allowed}")]
    NotInVocabulary {
        what: &'static str,
        value: String,
        allowed: String,
    },
    #[error("the role {role} does not exist in a {kind}; use one of: {allowed}")]
    RoleNotInOrgKind {
        role: &'static str,
        kind: &'static str,
        allowed: String,
    },
    #[error("\"{0}\" is not an e-mail address (expected name@domain.tld)")]
    Email(String),
    #[error("\"{0}\" is not a date: use YYYY-MM-DD, e.g. 2026-03-01")]
    Date(String),
    #[error("\"{0}\" is not a time: use YYYY-MM-DDTHH:MM in UTC, e.g. 2026-03-01T14:30")]
    Time(String),
    #[error("may hold only capital letters, digits and '-', starting with a letter (e.g. MAIN-01)")]
    Code,
    #[error(
        "{0} is outside the range the ledger records: use a whole number from -9007199254740991 to 9007199254740991 (±(2^53 − 1))"
    )]
    OutOfLedgerRange(String),
}

fn bounded(text: &str, max: usize, allow_newlines: bool) -> Result<String, ValueError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ValueError::Empty);
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(ValueError::TooLong { len, max });
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && (*c == '\n' || *c == '\r' || *c == '\t')))
    {
        return Err(ValueError::ControlCharacter(c as u32));
    }
    Ok(trimmed.to_string())
}

macro_rules! text_value {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_value!(
    /// A display name of an organization, site, facility, user or partnership: trimmed, 1–200
    /// characters, one line.
    Name
);
impl Name {
    pub const MAX: usize = 200;
    pub fn parse(text: &str) -> Result<Name, ValueError> {
        bounded(text, Self::MAX, false).map(Name)
    }
}

text_value!(
    /// Free text notes: up to 4,000 characters, lines allowed.
    Notes
);
impl Notes {
    pub const MAX: usize = 4000;
    pub fn parse(text: &str) -> Result<Notes, ValueError> {
        bounded(text, Self::MAX, true).map(Notes)
    }
}

text_value!(
    /// A short code people use on labels and in conversation: `A-Z0-9-`, starting with a letter,
    /// at most 20 characters (e.g. a site code `NORTH-01`).
    Code
);
impl Code {
    pub const MAX: usize = 20;
    pub fn parse(text: &str) -> Result<Code, ValueError> {
        let t = bounded(text, Self::MAX, false)?.to_ascii_uppercase();
        let mut chars = t.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        if !first_ok
            || !t
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ValueError::Code);
        }
        Ok(Code(t))
    }
}

text_value!(
    /// An e-mail address, lower-cased; the login name of a user.
    Email
);
impl Email {
    pub const MAX: usize = 254;
    pub fn parse(text: &str) -> Result<Email, ValueError> {
        let t = bounded(text, Self::MAX, false)?.to_ascii_lowercase();
        let valid = match t.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !t.contains(char::is_whitespace)
                    && !t.contains(['<', '>', '"', '\'', ',', ';'])
            }
            None => false,
        };
        if valid {
            Ok(Email(t))
        } else {
            Err(ValueError::Email(t.chars().take(60).collect()))
        }
    }
}

/// A calendar date `YYYY-MM-DD` (Gregorian), kept as text so it sorts and compares as dates do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(String);

/// With the `openapi` feature: `YYYY-MM-DD`, a real date from 1900 to 2200.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::day()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Date {}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.0
    }
}

impl TryFrom<String> for Date {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Date, ValueError> {
        Date::parse(&s)
    }
}

impl Date {
    pub fn parse(text: &str) -> Result<Date, ValueError> {
        let t = text.trim();
        let bad = || ValueError::Date(t.chars().take(30).collect());
        let b = t.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| {
            t.get(r)
                .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|s| s.parse::<u32>().ok())
        };
        let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
            return Err(bad());
        };
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if !(1900..=2200).contains(&y) || d == 0 || d > days {
            return Err(bad());
        }
        Ok(Date(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(&self) -> i64 {
        let n = |r: std::ops::Range<usize>| {
            self.0[r]
                .parse::<i64>()
                .expect("a parsed date holds digits")
        };
        days_from_civil(n(0..4), n(5..7), n(8..10))
    }

    pub fn from_days_since_epoch(days: i64) -> Date {
        let (y, m, d) = civil_from_days(days);
        Date(format!("{y:04}-{m:02}-{d:02}"))
    }

    pub fn plus_days(&self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// A time of day typed as `YYYY-MM-DDTHH:MM` (seconds and a final `Z` allowed), read as
    /// UTC, in microseconds since the epoch — as every time cellpath stores.
    pub fn parse_time(text: &str) -> Result<i64, ValueError> {
        let t = text.trim();
        let bad = || ValueError::Time(t.chars().take(30).collect());
        let t0 = t.strip_suffix('Z').unwrap_or(t);
        let (day, clock) = t0.split_once(['T', ' ']).ok_or_else(bad)?;
        let day = Date::parse(day).map_err(|_| bad())?;
        let parts: Vec<&str> = clock.split(':').collect();
        let num = |s: &str, max: i64| {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i64>().ok())
                .flatten()
                .filter(|n| *n <= max)
        };
        let (h, m, sec) = match parts.as_slice() {
            [h, m] => (num(h, 23), num(m, 59), Some(0)),
            [h, m, s] => (num(h, 23), num(m, 59), num(s, 59)),
            _ => return Err(bad()),
        };
        let (Some(h), Some(m), Some(sec)) = (h, m, sec) else {
            return Err(bad());
        };
        Ok(((day.days_since_epoch() * 86_400) + h * 3_600 + m * 60 + sec) * 1_000_000)
    }

    /// The date as people write it: "10 March 2026".
    pub fn words(&self) -> String {
        let (y, m, d) = civil_from_days(self.days_since_epoch());
        format!("{d} {} {y}", MONTHS[(m - 1) as usize])
    }

    /// The UTC date of a time in microseconds since the epoch.
    pub fn of_micros(micros: i64) -> Date {
        Date::from_days_since_epoch(micros.div_euclid(86_400_000_000))
    }
}

/// The months' names, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password as chosen by a person: 12–200 characters. Never serialized, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);
impl Password {
    pub const MIN: usize = 12;
    pub const MAX: usize = 200;
    pub fn parse(text: &str) -> Result<Password, ValueError> {
        let len = text.chars().count();
        if len < Self::MIN {
            return Err(ValueError::TooShort {
                len,
                min: Self::MIN,
            });
        }
        if len > Self::MAX {
            return Err(ValueError::TooLong {
                len,
                max: Self::MAX,
            });
        }
        Ok(Password(text.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// A whole number the ledger can record: within ±(2^53 − 1), the range every JSON reader keeps
/// exactly (RFC 8785 is defined over I-JSON). Every integer a request carries is one of these,
/// so a number out of range is refused with the field's name when the input is parsed, not
/// when its event is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct LedgerInt(i64);

impl LedgerInt {
    /// 2^53 − 1, the ledger's `MAX_SAFE_INTEGER`.
    pub const MAX: i64 = (1 << 53) - 1;
    pub const MIN: i64 = -Self::MAX;

    pub fn new(n: i64) -> Result<LedgerInt, ValueError> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(LedgerInt(n))
        } else {
            Err(ValueError::OutOfLedgerRange(n.to_string()))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The refusal of a number with a fraction or beyond every integer type (`1.5`, `1e300`).
    pub fn not_whole(n: f64) -> ValueError {
        let shown = if n.abs() < 1e16 {
            n.to_string()
        } else {
            format!("{n:e}")
        };
        ValueError::OutOfLedgerRange(shown)
    }

    /// The refusal of an integer too large for `i64`.
    pub fn too_large(n: u64) -> ValueError {
        ValueError::OutOfLedgerRange(n.to_string())
    }
}

/// With the `openapi` feature: an integer within ±(2^53 − 1).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for LedgerInt {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::ledger_int()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for LedgerInt {}

impl fmt::Display for LedgerInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i32> for LedgerInt {
    fn from(n: i32) -> LedgerInt {
        LedgerInt(i64::from(n))
    }
}

impl<'de> serde::Deserialize<'de> for LedgerInt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LedgerInt, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LedgerInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number from -9007199254740991 to 9007199254740991")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<LedgerInt, E> {
                LedgerInt::new(n).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<LedgerInt, E> {
                i64::try_from(n)
                    .map_err(|_| LedgerInt::too_large(n))
                    .and_then(LedgerInt::new)
                    .map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<LedgerInt, E> {
                Err(E::custom(LedgerInt::not_whole(n)))
            }
        }
        d.deserialize_i64(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ledger_ints_stay_within_two_to_the_53() {
        let parse = |t: &str| serde_json::from_str::<LedgerInt>(t);
        assert_eq!(parse("9007199254740991").unwrap().get(), LedgerInt::MAX);
        assert_eq!(parse("-9007199254740991").unwrap().get(), LedgerInt::MIN);
        for bad in [
            "9007199254740992",
            "-9007199254740992",
            "9223372036854775807",
            "18446744073709551615",
            "1e300",
            "1.5",
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("9007199254740991"), "{bad}: {e}");
        }
        assert!(LedgerInt::new(i64::MAX).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  Lakeside Medical  ").unwrap().as_str(),
            "Lakeside Medical"
        );
        assert_eq!(Name::parse("   "), Err(ValueError::Empty));
        assert!(matches!(
            Name::parse(&"x".repeat(201)),
            Err(ValueError::TooLong { len: 201, max: 200 })
        ));
        assert_eq!(Name::parse("a\u{0}b"), Err(ValueError::ControlCharacter(0)));
    }

    #[test]
    fn html_and_sql_looking_names_are_just_text() {
        // Escaping is the renderer's job; the value keeps what the person typed.
        let n = Name::parse("<script>alert(1)</script>'; DROP TABLE sites;--").unwrap();
        assert!(n.as_str().starts_with("<script>"));
    }

    #[test]
    fn codes_are_upper_case_letters_digits_and_dashes() {
        assert_eq!(Code::parse("north-01").unwrap().as_str(), "NORTH-01");
        assert_eq!(Code::parse("1NORTH"), Err(ValueError::Code));
        assert_eq!(Code::parse("NO RTH"), Err(ValueError::Code));
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-04-31",
            "yesterday",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn dates_count_days() {
        let d = Date::parse("2024-02-28").unwrap();
        assert_eq!(d.plus_days(1).as_str(), "2024-02-29");
        assert_eq!(d.plus_days(2).as_str(), "2024-03-01");
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        assert_eq!(
            Date::of_micros(1_764_000_000_000_000).as_str(),
            "2025-11-24"
        );
        assert_eq!(
            Date::parse("2025-12-31").unwrap().plus_days(30).as_str(),
            "2026-01-30"
        );
    }

    #[test]
    fn times_are_read_as_utc() {
        // 1_764_000_000 s is 2025-11-24 16:00:00 UTC
        for text in [
            "2025-11-24T16:00",
            "2025-11-24T16:00:00Z",
            " 2025-11-24 16:00:00 ",
        ] {
            assert_eq!(Date::parse_time(text), Ok(1_764_000_000_000_000), "{text}");
        }
        assert_eq!(
            Date::parse_time("2025-11-24T16:01:30").unwrap() - 1_764_000_000_000_000,
            90_000_000
        );
        for bad in [
            "2025-11-24",
            "2025-11-24T24:00",
            "2025-11-24T9:00",
            "2025-02-30T10:00",
            "soon",
        ] {
            assert!(
                matches!(Date::parse_time(bad), Err(ValueError::Time(_))),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -40_000i64..80_000) {
            prop_assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Ann.Lee@Lakeside.Org").unwrap().as_str(),
            "ann.lee@lakeside.org"
        );
        for bad in [
            "ann",
            "ann@",
            "@x.org",
            "a@b",
            "a b@c.org",
            "a@b@c.org",
            "a@.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_need_twelve_characters_and_never_print() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(…)");
    }

    proptest! {
        #[test]
        fn a_parsed_name_parses_again_to_itself(s in "\\PC{0,250}") {
            if let Ok(n) = Name::parse(&s) {
                prop_assert_eq!(Name::parse(n.as_str()).unwrap(), n.clone());
                prop_assert!(n.as_str().chars().count() <= Name::MAX);
            }
        }
    }
}
