//! The shape of a process map as people author it (DESIGN.md §4.1): steps with a stage, a kind
//! from a closed vocabulary, a role and parameters, plus the program facts a map is checked
//! against. These types round-trip through JSON and TOML; nothing here is checked yet — that is
//! `validate`'s job, which turns a `ProcessMap` into a `ValidMap`.
//!
//! Enumerated fields (stage, kind, role, recorded_in, meaning) are closed vocabularies: an unknown
//! value — a role `surgeon`, a kind `infuse` — fails at parse time with serde's message, which
//! names the value and lists the allowed ones (e.g. "unknown variant `surgeon`, expected one of
//! `admin`, …"). Likewise a negative number where minutes or days are expected fails at parse
//! time ("invalid value: integer `-5`, expected u32"), and so does a misspelled field name.

use crate::Role;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// Where in the medication-use process a step sits (USP's steps, with ASHP's evaluation).
    /// The declaration order is the order of the process; comparisons and swimlanes sort by it.
    Stage, "stage" {
        Procurement => "procurement",
        Storage => "storage",
        Prescribing => "prescribing",
        Verification => "verification",
        Preparation => "preparation",
        Administration => "administration",
        Monitoring => "monitoring",
        Evaluation => "evaluation",
    }
);

vocabulary!(
    /// What a step does. Each kind's rule lives in code (DESIGN.md §4.1 table); the validator
    /// checks the parameters each kind needs.
    StepKind, "step kind" {
        /// The step's role records the listed fields.
        Record => "record",
        /// Material moves between custodians; a scan must match one of the case's identifiers.
        CustodyHandoff => "custody_handoff",
        /// The manufacturer's release decision, made in its own quality system.
        ReleaseDecision => "release_decision",
        /// Books a date or slot (apheresis, manufacturing, infusion).
        Schedule => "schedule",
        /// Named roles sign with a stated meaning.
        Signature => "signature",
        /// Two different users verify a product unit against the patient.
        DualVerification => "dual_verification",
        /// Work that must not start before another step (`hold_until`) is done.
        HoldPoint => "hold_point",
        /// Starts the administration window of one product unit.
        Thaw => "thaw",
        /// Gives one product unit inside its open window.
        Administer => "administer",
        /// Opens a monitoring period with adverse-event entries.
        Monitor => "monitor",
        /// Schedules long-term follow-up: registry forms and visits.
        FollowUp => "follow_up",
        /// A site-added local step: items to tick.
        Checklist => "checklist",
    }
);

vocabulary!(
    /// Where a step is recorded. `ehr`: charted in the hospital's record, and cellpath takes an
    /// attestation with the EHR reference instead of charting it twice. Absent means `cellpath`.
    #[derive(Default)]
    RecordedIn, "system of record" {
        #[default]
        Cellpath => "cellpath",
        Ehr => "ehr",
    }
);

vocabulary!(
    /// What a signature means (21 CFR 11.50 asks that a signature show its meaning).
    SignatureMeaning, "signature meaning" {
        Authored => "authored",
        Reviewed => "reviewed",
        Approved => "approved",
        Verified => "verified",
        Performed => "performed",
    }
);

/// One physical unit a program ships: a component (CD4, CD8) or one dose of a split dose. Thaw
/// windows and administration belong to units (DESIGN.md §4.4).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductUnit {
    /// Step parameters name the unit by this key (same rule as step keys: `a-z0-9_`, 1–40).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::key))]
    pub key: String,
    pub name: String,
    /// The warmest storage the label allows, e.g. -150 for vapor-phase liquid nitrogen.
    pub storage_max_celsius: i32,
    /// Minutes from thaw to the end of administration allowed by the label.
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub thaw_window_minutes: u32,
}

/// The program facts a map is validated against; they live on the program, not in the map, so
/// a site's refined map cannot change them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapContext {
    pub units: Vec<ProductUnit>,
    /// When set, every `administer` step needs a `dual_verification` of its unit before it.
    pub requires_dual_verification: bool,
}

impl MapContext {
    pub fn unit(&self, key: &str) -> Option<&ProductUnit> {
        self.units.iter().find(|u| u.key == key)
    }
}

/// A named role signing with a stated meaning (physician / approved, pharmacy / verified).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    pub role: Role,
    pub meaning: SignatureMeaning,
}

vocabulary!(
    /// The registry's follow-up track a program's products are on (CIBMTR, DOMAIN.md): the
    /// standard track reports the 4100 yearly to 6 years, then at years 8, 10, 12 and 14; the
    /// 15-year track (genetically modified products other than commercial CAR-T) every year to 15.
    FollowUpTrack, "follow-up track" {
        Standard => "standard",
        FifteenYear => "fifteen_year",
    }
);

/// One registry form due a number of days after the first infusion (e.g. CIBMTR 4100 at day
/// 100), with its window: it may be submitted from `opens_days` and is overdue after
/// `closes_days` (each absent: the due day itself). Absent fields are not written, so map
/// versions stored before windows existed keep their bytes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSpec {
    pub form: String,
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub due_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub opens_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub closes_days: Option<u32>,
}

impl FollowUpSpec {
    /// A form due on a day with no window around it.
    pub fn on_day(form: &str, due_days: u32) -> FollowUpSpec {
        FollowUpSpec {
            form: form.into(),
            due_days,
            opens_days: None,
            closes_days: None,
        }
    }

    /// A form due on a day, open from `opens` to `closes` (days from the first infusion).
    pub fn window(form: &str, opens: u32, due_days: u32, closes: u32) -> FollowUpSpec {
        FollowUpSpec {
            form: form.into(),
            due_days,
            opens_days: Some(opens),
            closes_days: Some(closes),
        }
    }

    /// The first day it may be submitted.
    pub fn opens(&self) -> u32 {
        self.opens_days.unwrap_or(self.due_days)
    }

    /// The last day before it is overdue.
    pub fn closes(&self) -> u32 {
        self.closes_days.unwrap_or(self.due_days)
    }
}

/// The parameters of a step. Every field has a default, so a TOML step lists only what its kind
/// needs; the validator refuses parameters that belong to another kind (a `window_minutes` on a
/// `monitor` step is a mistake, not something to ignore silently).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepParams {
    /// Fields the step's role records (any kind).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Who signs and with what meaning; required for `signature`, allowed on any kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureSpec>,
    /// The product unit the step concerns: required for `thaw` and `administer`; on a
    /// `dual_verification` it is optional (none = the verification covers every unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `thaw` only: the administration window. When absent, the unit's `thaw_window_minutes`
    /// applies; when present it must be more than 0 and no longer than the unit's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub window_minutes: Option<u32>,
    /// `monitor` only: length of the monitoring period, more than 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295_u64))]
    pub monitoring_days: Option<u32>,
    /// `follow_up` only: registry forms due, counted in days from administration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub follow_up: Vec<FollowUpSpec>,
    /// `follow_up` only: visits, in days from administration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub visits: Vec<u32>,
    /// `follow_up` only: the registry track the program's products are on; when set, the
    /// step's forms must include the track's (`registry::track_forms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<FollowUpTrack>,
    /// A scan checkpoint: someone scans an identifier here (counted in the scan burden).
    #[serde(skip_serializing_if = "is_false")]
    pub scan: bool,
    /// `hold_point` only: the key of the step whose completion releases the hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_until: Option<String>,
    /// `checklist` only: the items to tick.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Where the step happens at the site (e.g. "cell lab"); scan locations are counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The step rests on the patient's informed consent: it is not done before the case
    /// records the consent against the site's active consent version (any kind).
    #[serde(skip_serializing_if = "is_false")]
    pub consent: bool,
}

impl StepParams {
    pub fn is_empty(&self) -> bool {
        *self == StepParams::default()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One step of the medication-use process.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `a-z0-9_`, 1–40 characters, unique in the map; other steps name it in `after`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::key))]
    pub key: String,
    pub name: String,
    pub stage: Stage,
    pub kind: StepKind,
    /// The responsible role. An unknown role fails at parse time (see the module comment).
    pub role: Role,
    /// Keys of the steps that must be done before this one. Only the start step has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// The manufacturer's label or quality agreement governs this step; a site proposes
    /// changes instead of making them.
    #[serde(default)]
    pub controlled: bool,
    #[serde(default)]
    pub recorded_in: RecordedIn,
    /// The step may be skipped for a case (e.g. bridging therapy); skipping still counts as done.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "StepParams::is_empty")]
    pub params: StepParams,
}

/// A process map as authored: the steps in the order a person wrote them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessMap {
    #[serde(default)]
    pub steps: Vec<Step>,
}

impl ProcessMap {
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.key == key)
    }
}

/// Step and unit keys: `a-z0-9_`, 1–40 characters.
pub fn is_valid_key(key: &str) -> bool {
    (1..=KEY_MAX).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub const KEY_MAX: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_letters_digits_and_underscores() {
        assert!(is_valid_key("thaw_cd4"));
        assert!(is_valid_key(&"a".repeat(40)));
        for bad in ["", "Thaw", "thaw-cd4", "thaw cd4", "thäw", &"a".repeat(41)] {
            assert!(!is_valid_key(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_step_lists_only_what_it_needs() {
        let step: Step = serde_json::from_str(
            r#"{"key":"receipt","name":"Receipt","stage":"storage","kind":"record","role":"cell_lab"}"#,
        )
        .expect("minimal step parses");
        assert!(step.after.is_empty() && !step.controlled && !step.optional);
        assert_eq!(step.recorded_in, RecordedIn::Cellpath);
        assert!(step.params.is_empty());
        // and writes back without the defaults, so an exported map stays short
        let json = serde_json::to_string(&step).expect("serializes");
        assert!(
            !json.contains("params") && !json.contains("optional"),
            "{json}"
        );
    }

    #[test]
    fn an_unknown_role_fails_at_parse_time_with_the_allowed_ones() {
        let err = serde_json::from_str::<Step>(
            r#"{"key":"x","name":"X","stage":"storage","kind":"record","role":"surgeon"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("surgeon") && err.contains("pharmacy"), "{err}");
    }

    #[test]
    fn a_misspelled_field_or_a_negative_window_fails_at_parse_time() {
        let misspelled = serde_json::from_str::<Step>(
            r#"{"key":"x","name":"X","stage":"storage","kind":"thaw","role":"cell_lab",
                "params":{"window_minute":30}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(misspelled.contains("window_minute"), "{misspelled}");
        let negative = serde_json::from_str::<Step>(
            r#"{"key":"x","name":"X","stage":"storage","kind":"thaw","role":"cell_lab",
                "params":{"window_minutes":-5}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(negative.contains("-5"), "{negative}");
    }

    #[test]
    fn stages_sort_in_process_order_and_parse_from_text() {
        let mut stages = Stage::ALL.to_vec();
        stages.reverse();
        stages.sort();
        assert_eq!(stages, Stage::ALL);
        assert_eq!("thaw".parse::<StepKind>(), Ok(StepKind::Thaw));
        let err = "infuse".parse::<StepKind>().unwrap_err().to_string();
        assert!(
            err.contains("infuse") && err.contains("administer"),
            "{err}"
        );
    }
}
