//! Process maps (DESIGN.md §4.1): a program's medication-use process as a graph of typed steps.
//! This module owns the map's shape, the validator that turns an authored map into a
//! `ValidMap`, what may be done next, the scan burden, the side-by-side comparison and the seeded
//! maps. Pure: no IO, no clock.
//!
//! **API Boundary:** the model types, `validate` → `ValidMap` (the only way to get one),
//! `available`, `scan_burden`, `compare` and the `seeds`.

mod compare;
mod graph;
mod model;
mod scan_burden;
pub mod seeds;
mod validate;
mod walk;

pub use compare::{FieldChange, StepDiff, compare};
pub use model::{
    FollowUpSpec, FollowUpTrack, KEY_MAX, MapContext, ProcessMap, ProductUnit, RecordedIn,
    SignatureMeaning, SignatureSpec, Stage, Step, StepKind, StepParams, is_valid_key,
};
pub use scan_burden::{ScanBurden, scan_burden};
pub use validate::{MAX_STEPS, MapError, ValidMap, validate};
pub use walk::available;
