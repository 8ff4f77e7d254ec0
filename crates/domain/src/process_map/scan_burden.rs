//! How much scanning a map asks of people per case (DESIGN.md §4.1: checkpoints stay few).
//!
//! The rule: every step with `scan = true` is one scan per case — a scan of the case's label
//! (the apheresis bag, the shipper). A scan step that names a `unit` scans that unit's bag: still
//! one. A scan step of a kind that handles product units (`dual_verification`, `thaw`,
//! `administer`) but names no unit covers every unit, so it is one scan per unit the program
//! ships. Distinct locations are the distinct non-empty `location`s of scan steps, compared
//! without surrounding spaces and case ("Cell lab" and "cell lab " are one place); a scan step
//! without a location adds a scan but no location.

use super::model::{ProcessMap, ProductUnit, StepKind};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScanBurden {
    pub scans_per_case: u32,
    pub distinct_locations: u32,
}

/// Works on any map, valid or a draft, so a site sees the burden while it edits.
pub fn scan_burden(map: &ProcessMap, units: &[ProductUnit]) -> ScanBurden {
    let per_unit = u32::try_from(units.len().max(1)).unwrap_or(u32::MAX);
    let mut scans = 0u32;
    let mut locations = BTreeSet::new();
    for step in map.steps.iter().filter(|s| s.params.scan) {
        let covers_every_unit = step.params.unit.is_none()
            && matches!(
                step.kind,
                StepKind::DualVerification | StepKind::Thaw | StepKind::Administer
            );
        scans = scans.saturating_add(if covers_every_unit { per_unit } else { 1 });
        if let Some(place) = step.params.location.as_deref().map(str::trim)
            && !place.is_empty()
        {
            locations.insert(place.to_lowercase());
        }
    }
    ScanBurden {
        scans_per_case: scans,
        distinct_locations: u32::try_from(locations.len()).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::process_map::model::{Stage, Step, StepParams};

    fn scan_step(key: &str, kind: StepKind, unit: Option<&str>, location: Option<&str>) -> Step {
        Step {
            key: key.into(),
            name: key.into(),
            stage: Stage::Administration,
            kind,
            role: Role::Nurse,
            after: vec![],
            controlled: true,
            recorded_in: Default::default(),
            optional: false,
            params: StepParams {
                scan: true,
                unit: unit.map(Into::into),
                location: location.map(Into::into),
                ..StepParams::default()
            },
        }
    }

    fn units(keys: &[&str]) -> Vec<ProductUnit> {
        keys.iter()
            .map(|k| ProductUnit {
                key: (*k).into(),
                name: (*k).into(),
                storage_max_celsius: -150,
                thaw_window_minutes: 120,
            })
            .collect()
    }

    #[test]
    fn a_bedside_check_of_every_bag_counts_once_per_unit() {
        let map = ProcessMap {
            steps: vec![
                // receipt: one scan of the shipper
                scan_step("receipt", StepKind::CustodyHandoff, None, Some("Cell lab")),
                // one dual verification covering both bags: two scans
                scan_step(
                    "verify",
                    StepKind::DualVerification,
                    None,
                    Some("cell lab "),
                ),
                // administering cd4 names its unit: one scan
                scan_step("give_cd4", StepKind::Administer, Some("cd4"), None),
            ],
        };
        assert_eq!(
            scan_burden(&map, &units(&["cd4", "cd8"])),
            ScanBurden {
                scans_per_case: 4,
                distinct_locations: 1
            }
        );
    }

    #[test]
    fn steps_without_a_scan_cost_nothing() {
        let mut step = scan_step("receipt", StepKind::CustodyHandoff, None, Some("dock"));
        step.params.scan = false;
        let map = ProcessMap { steps: vec![step] };
        assert_eq!(
            scan_burden(&map, &units(&["dose"])),
            ScanBurden {
                scans_per_case: 0,
                distinct_locations: 0
            }
        );
    }
}
