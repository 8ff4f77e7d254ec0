//! Product units and their custody (DESIGN.md §4.4): a product ships as one or more units (CD4
//! and CD8 components, or split doses), each thawed, given and ended on its own. Custody is who
//! holds each item now; a handoff moves an item only from its holder, so an item never has two.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Microseconds since the epoch, UTC — the ledger's time (`recorded_at`). The engine never
/// reads a clock: `now` comes in with each command.
pub type Micros = i64;

const MICROS_PER_MINUTE: Micros = 60_000_000;

/// What a custody handoff moves: the starting material collected for the case (the apheresis
/// bag, identified by its DIN), or one product unit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    StartingMaterial,
    Unit(String),
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::StartingMaterial => f.write_str("the starting material"),
            Item::Unit(key) => write!(f, "unit {key}"),
        }
    }
}

/// The temperature status a handoff reports. A reading is in tenths of a degree Celsius (the
/// ledger has no floating point).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Temperature {
    InRange,
    Excursion { reading_tenths_celsius: i32 },
}

/// Tenths of a degree as people read them: `-1205` → "−120.5 °C".
/// A time as people read it: `YYYY-MM-DD HH:MM UTC`.
pub fn clock(micros: Micros) -> String {
    let m = micros.div_euclid(60_000_000).rem_euclid(24 * 60);
    format!(
        "{} {:02}:{:02} UTC",
        crate::Date::of_micros(micros).as_str(),
        m / 60,
        m % 60
    )
}

pub fn celsius(tenths: i32) -> String {
    let sign = if tenths < 0 { "−" } else { "" };
    let a = tenths.unsigned_abs();
    format!("{sign}{}.{} °C", a / 10, a % 10)
}

/// How a unit ended, as registries ask (CIBMTR form 4006).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "disposition", rename_all = "snake_case")]
pub enum Disposition {
    InfusedWhole,
    /// Given in part; the volume infused in whole millilitres.
    InfusedInPart {
        volume_ml: u32,
    },
    NotInfused {
        reason: String,
    },
    Returned {
        reason: String,
    },
    Discarded {
        reason: String,
    },
}

impl Disposition {
    /// Whether any of the unit went into the patient (the thaw window applies).
    pub fn infused(&self) -> bool {
        matches!(
            self,
            Disposition::InfusedWhole | Disposition::InfusedInPart { .. }
        )
    }

    pub(crate) fn reason(&self) -> Option<&str> {
        match self {
            Disposition::NotInfused { reason }
            | Disposition::Returned { reason }
            | Disposition::Discarded { reason } => Some(reason),
            Disposition::InfusedWhole | Disposition::InfusedInPart { .. } => None,
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disposition::InfusedWhole => f.write_str("infused whole"),
            Disposition::InfusedInPart { volume_ml } => {
                write!(f, "infused in part ({volume_ml} mL)")
            }
            Disposition::NotInfused { reason } => write!(f, "not infused: {reason}"),
            Disposition::Returned { reason } => write!(f, "returned: {reason}"),
            Disposition::Discarded { reason } => write!(f, "discarded: {reason}"),
        }
    }
}

/// A thaw: when it happened and when the administration window closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thaw {
    pub at: Micros,
    pub window_ends_at: Micros,
}

impl Thaw {
    pub fn new(at: Micros, window_minutes: u32) -> Thaw {
        Thaw {
            at,
            window_ends_at: at + Micros::from(window_minutes) * MICROS_PER_MINUTE,
        }
    }

    /// Open from the thaw up to and including its last minute.
    pub fn is_open(&self, now: Micros) -> bool {
        self.at <= now && now <= self.window_ends_at
    }

    /// Whole minutes since the window closed (rounded up), for a message.
    pub fn minutes_late(&self, now: Micros) -> i64 {
        (now - self.window_ends_at + MICROS_PER_MINUTE - 1) / MICROS_PER_MINUTE
    }
}

/// One product unit of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub key: String,
    pub name: String,
    /// The label's window, from the program; a thaw step may shorten it.
    pub thaw_window_minutes: u32,
    pub thaw: Option<Thaw>,
    pub disposition: Option<Disposition>,
}

impl Unit {
    pub fn state(&self) -> UnitState {
        match (&self.thaw, &self.disposition) {
            (_, Some(_)) => UnitState::Ended,
            (Some(_), None) => UnitState::Thawed,
            (None, None) => UnitState::Frozen,
        }
    }
}

/// Where a unit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    /// Not thawed yet (in storage or in transit).
    Frozen,
    /// Thawed: its administration window is running or has closed.
    Thawed,
    /// Given or otherwise ended, with its disposition.
    Ended,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_open_from_the_thaw_to_its_last_minute() {
        let t = Thaw::new(1_000, 30);
        assert!(!t.is_open(999), "not before the thaw");
        assert!(t.is_open(1_000));
        assert!(t.is_open(1_000 + 30 * MICROS_PER_MINUTE));
        assert!(!t.is_open(1_001 + 30 * MICROS_PER_MINUTE));
        assert_eq!(t.minutes_late(1_001 + 30 * MICROS_PER_MINUTE), 1);
        assert_eq!(t.minutes_late(1_000 + 42 * MICROS_PER_MINUTE), 12);
    }

    #[test]
    fn readings_print_as_degrees() {
        assert_eq!(celsius(-1205), "−120.5 °C");
        assert_eq!(celsius(80), "8.0 °C");
        assert_eq!(celsius(-5), "−0.5 °C");
    }
}
