//! Two realistic maps for the demo and the tests, following DOMAIN.md's medication-use process:
//! an autologous CAR-T shipped as two components, and an in vivo gene therapy shipped as one
//! kit. Figures marked "demo value" are plausible, not taken from any product's label.

use super::model::{
    FollowUpSpec, FollowUpTrack, MapContext, ProcessMap, ProductUnit, RecordedIn, SignatureMeaning,
    SignatureSpec, Stage, Step, StepKind, StepParams,
};
use crate::Role;

/// An autologous CAR-T with two product units (CD4 and CD8 components), stored at or below
/// −150 °C with a 120-minute thaw-to-infusion window (demo values, in the range of the labels
/// in DOMAIN.md). Manufacturing runs on one branch (collection → courier → manufacturing →
/// release → shipment → receipt), the patient's clinical course on another (bridging therapy →
/// lymphodepleting chemotherapy, held until the release decision); they join at the physician's
/// order. Both units are thawed together, then verified and given one after the other.
pub fn autologous_car_t() -> (ProcessMap, MapContext) {
    use Role::*;
    use Stage::*;
    use StepKind::*;
    let unit = |key: &str, name: &str| ProductUnit {
        key: key.into(),
        name: name.into(),
        storage_max_celsius: -150,
        thaw_window_minutes: 120,
    };
    let ctx = MapContext {
        units: vec![unit("cd4", "CD4+ component"), unit("cd8", "CD8+ component")],
        requires_dual_verification: true,
    };

    let mut steps = vec![
        step("referral", "Referral received")
            .is(Procurement, Record, Coordinator)
            .fields(&["referring physician", "diagnosis", "prior lines of therapy"])
            .at("CGT clinic"),
        step("benefits_check", "Benefits check and prior authorization")
            .is(Procurement, Record, Finance)
            .after(&["referral"])
            .fields(&[
                "payer",
                "prior authorization number",
                "single-case agreement",
            ]),
        step("consent", "Informed consent")
            .is(Procurement, Record, Physician)
            .after(&["benefits_check"])
            .fields(&["consent form version", "date signed"])
            .ehr()
            .with(|p| p.consent = true),
        step("enrollment", "Enrollment with the manufacturer")
            .is(Procurement, Record, Coordinator)
            .after(&["consent"])
            .fields(&["manufacturer order id", "chain of identity identifier"])
            .controlled(),
        step("apheresis_scheduling", "Apheresis and manufacturing slot")
            .is(Procurement, Schedule, Coordinator)
            .after(&["enrollment"]),
        step("collection", "Apheresis collection")
            .is(Procurement, Record, Apheresis)
            .after(&["apheresis_scheduling"])
            .fields(&[
                "collection date",
                "bag volume (mL)",
                "donation identification number",
            ])
            .at("apheresis unit")
            .controlled(),
        step("courier_handoff", "Handoff to courier")
            .is(Procurement, CustodyHandoff, Apheresis)
            .after(&["collection"])
            .scan_at("apheresis unit")
            .controlled(),
        step("manufacturing_receipt", "Receipt at manufacturing")
            .is(Procurement, CustodyHandoff, PatientOps)
            .after(&["courier_handoff"])
            .scan_at("manufacturing facility")
            .controlled(),
        step("release_decision", "Release decision")
            .is(Procurement, ReleaseDecision, Quality)
            .after(&["manufacturing_receipt"])
            .controlled(),
        step("shipment", "Shipment to the treatment center")
            .is(Procurement, CustodyHandoff, PatientOps)
            .after(&["release_decision"])
            .scan_at("manufacturing facility")
            .controlled(),
        step("receipt_and_storage", "Receipt and storage")
            .is(Storage, CustodyHandoff, CellLab)
            .after(&["shipment"])
            .fields(&["shipper temperature log", "freezer position"])
            .scan_at("cell lab")
            .controlled(),
        step("bridging_therapy", "Bridging therapy")
            .is(Administration, Record, Physician)
            .after(&["collection"])
            .fields(&["regimen"])
            .ehr()
            .optional(),
        step("lymphodepletion", "Lymphodepleting chemotherapy")
            .is(Administration, HoldPoint, Physician)
            .after(&["bridging_therapy"])
            .with(|p| p.hold_until = Some("release_decision".into()))
            .fields(&["regimen", "last dose date"])
            .ehr(),
        step("physician_order", "Physician order")
            .is(Prescribing, Signature, Physician)
            .after(&["receipt_and_storage", "lymphodepletion"])
            .signed(Physician, SignatureMeaning::Approved),
        step("pharmacist_verification", "Pharmacist verification")
            .is(Verification, Signature, Pharmacy)
            .after(&["physician_order"])
            .signed(Pharmacy, SignatureMeaning::Verified),
    ];
    for u in ["cd4", "cd8"] {
        steps.push(
            step(&format!("thaw_{u}"), &format!("Thaw {}", u.to_uppercase()))
                .is(Preparation, Thaw, CellLab)
                .after(&["pharmacist_verification"])
                .unit(u)
                .at("cell lab")
                .controlled(),
        );
    }
    // Given one after the other: CD8 is verified at the bedside once CD4 is in.
    let bedside: [(&str, &[&str]); 2] = [
        ("cd4", &["thaw_cd4"]),
        ("cd8", &["thaw_cd8", "administer_cd4"]),
    ];
    for (u, after) in bedside {
        steps.push(
            step(
                &format!("dual_verification_{u}"),
                &format!("Bedside dual verification {}", u.to_uppercase()),
            )
            .is(Administration, DualVerification, Nurse)
            .after(after)
            .unit(u)
            .scan_at("inpatient unit")
            .controlled(),
        );
        let verified = format!("dual_verification_{u}");
        steps.push(
            step(
                &format!("administer_{u}"),
                &format!("Infuse {}", u.to_uppercase()),
            )
            .is(Administration, Administer, Nurse)
            .after(&[&verified])
            .unit(u)
            .at("inpatient unit")
            .ehr()
            .controlled(),
        );
    }
    steps.push(
        step("monitoring", "Monitoring for CRS and ICANS")
            .is(Monitoring, Monitor, Physician)
            .after(&["administer_cd8"])
            .with(|p| p.monitoring_days = Some(14))
            .at("inpatient unit")
            .ehr()
            .controlled(),
    );
    // A commercial CAR-T is on the CIBMTR standard track (DOMAIN.md): 4000, 4003 and 4006
    // around the infusion, 4100 at day 100, 6 months, yearly to 6 years, then years 8, 10, 12
    // and 14, each with its window; visits yearly for 5 years (integrating vector, DOMAIN.md).
    let forms = crate::registry::track_forms(FollowUpTrack::Standard);
    steps.push(
        step("follow_up", "Long-term follow-up")
            .is(Evaluation, FollowUp, DataManager)
            .after(&["monitoring"])
            .with(|p| {
                p.follow_up = forms;
                p.track = Some(FollowUpTrack::Standard);
                p.visits = (1..=5).map(|year| 365 * year).collect();
            }),
    );
    (ProcessMap { steps }, ctx)
}

/// An in vivo gene therapy (an AAV vector given once) shipped as one patient-specific kit.
/// Demo values: storage at or below −60 °C, 240 minutes from the start of preparation to the end
/// of the infusion, 90 days of monitoring (weekly liver tests), 5 years of follow-up.
pub fn in_vivo_gene_therapy() -> (ProcessMap, MapContext) {
    use Role::*;
    use Stage::*;
    use StepKind::*;
    let ctx = MapContext {
        units: vec![ProductUnit {
            key: "dose".into(),
            name: "Patient-specific vial kit".into(),
            storage_max_celsius: -60,
            thaw_window_minutes: 240,
        }],
        requires_dual_verification: true,
    };
    let steps = vec![
        step("order", "Order (weight-based dose)")
            .is(Prescribing, Signature, Physician)
            .fields(&[
                "patient weight (kg)",
                "vials ordered",
                "manufacturer order id",
            ])
            .signed(Physician, SignatureMeaning::Approved)
            .signed(Pharmacy, SignatureMeaning::Verified),
        step("receipt_and_storage", "Receipt and storage")
            .is(Storage, CustodyHandoff, Pharmacy)
            .after(&["order"])
            .fields(&["shipper temperature log", "freezer position"])
            .scan_at("pharmacy")
            .controlled(),
        step("preparation", "Thaw and prepare the infusion")
            .is(Preparation, Thaw, Pharmacy)
            .after(&["receipt_and_storage"])
            .unit("dose")
            .at("pharmacy clean room")
            .controlled(),
        step("dual_verification", "Bedside dual verification")
            .is(Administration, DualVerification, Nurse)
            .after(&["preparation"])
            .unit("dose")
            .scan_at("infusion center")
            .controlled(),
        step("administration", "Infusion")
            .is(Administration, Administer, Nurse)
            .after(&["dual_verification"])
            .unit("dose")
            .at("infusion center")
            .ehr()
            .controlled(),
        step(
            "monitoring",
            "Monitoring (infusion reactions, liver function)",
        )
        .is(Monitoring, Monitor, Physician)
        .after(&["administration"])
        .with(|p| p.monitoring_days = Some(90))
        .ehr()
        .controlled(),
        step("follow_up", "Long-term follow-up")
            .is(Evaluation, FollowUp, DataManager)
            .after(&["monitoring"])
            .with(|p| {
                // Not a cellular therapy, so no CIBMTR track: the program's own long-term
                // follow-up registry, yearly for 5 years (AAV, DOMAIN.md), each ±30 days.
                p.follow_up = (1..=5)
                    .map(|year| {
                        let day = 365 * year;
                        FollowUpSpec::window(
                            "Gene therapy LTFU registry (demo)",
                            day - 30,
                            day,
                            day + 30,
                        )
                    })
                    .collect();
                p.visits = [182]
                    .into_iter()
                    .chain((1..=5).map(|year| 365 * year))
                    .collect();
            }),
    ];
    (ProcessMap { steps }, ctx)
}

/// A step is begun with its key and name and cannot be used before `is` gives its stage, kind
/// and role.
fn step(key: &str, name: &str) -> Draft {
    Draft {
        key: key.into(),
        name: name.into(),
    }
}

struct Draft {
    key: String,
    name: String,
}

impl Draft {
    fn is(self, stage: Stage, kind: StepKind, role: Role) -> Step {
        Step {
            key: self.key,
            name: self.name,
            stage,
            kind,
            role,
            after: Vec::new(),
            controlled: false,
            recorded_in: RecordedIn::Cellpath,
            optional: false,
            params: StepParams::default(),
        }
    }
}

/// Shorthands that keep the seeds readable as a list of steps.
trait SeedStep: Sized {
    fn with(self, f: impl FnOnce(&mut StepParams)) -> Self;
    fn controlled(self) -> Self;
    fn ehr(self) -> Self;
    fn optional(self) -> Self;
    fn after(self, steps: &[&str]) -> Self;
    fn fields(self, fields: &[&str]) -> Self {
        self.with(|p| p.fields = fields.iter().map(|f| (*f).into()).collect())
    }
    fn at(self, location: &str) -> Self {
        self.with(|p| p.location = Some(location.into()))
    }
    fn scan_at(self, location: &str) -> Self {
        self.at(location).with(|p| p.scan = true)
    }
    fn unit(self, unit: &str) -> Self {
        self.with(|p| p.unit = Some(unit.into()))
    }
    fn signed(self, role: Role, meaning: SignatureMeaning) -> Self {
        self.with(|p| p.signatures.push(SignatureSpec { role, meaning }))
    }
}

impl SeedStep for Step {
    fn with(mut self, f: impl FnOnce(&mut StepParams)) -> Self {
        f(&mut self.params);
        self
    }
    fn controlled(mut self) -> Self {
        self.controlled = true;
        self
    }
    fn ehr(mut self) -> Self {
        self.recorded_in = RecordedIn::Ehr;
        self
    }
    fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    fn after(mut self, steps: &[&str]) -> Self {
        self.after = steps.iter().map(|s| (*s).into()).collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_map::scan_burden::{ScanBurden, scan_burden};
    use crate::process_map::validate::validate;

    #[test]
    fn both_seeds_validate() {
        for (name, (map, ctx)) in [
            ("car-t", autologous_car_t()),
            ("in vivo", in_vivo_gene_therapy()),
        ] {
            if let Err(errors) = validate(&map, &ctx) {
                panic!("{name} seed refused: {errors:#?}");
            }
        }
    }

    #[test]
    fn the_car_t_seed_runs_from_referral_to_follow_up_with_the_hold_before_the_order() {
        let (map, ctx) = autologous_car_t();
        let valid = validate(&map, &ctx).expect("valid");
        assert_eq!(valid.start().key, "referral");
        assert_eq!(valid.end().key, "follow_up");
        assert!(valid.comes_before("release_decision", "lymphodepletion"));
        assert!(valid.comes_before("dual_verification_cd8", "administer_cd8"));
        assert_eq!(valid.thaw_window_minutes("thaw_cd4"), Some(120));
        let follow_up = valid.step("follow_up").expect("follow_up");
        let days: Vec<u32> = follow_up
            .params
            .follow_up
            .iter()
            .map(|f| f.due_days)
            .collect();
        assert_eq!(
            days.len(),
            15,
            "4006, 4003 and 4000, then 4100 at day 100, 6 months and 10 yearly"
        );
        assert_eq!((days[2], days[3], days[14]), (30, 100, 14 * 365));
        assert_eq!(follow_up.params.track, Some(FollowUpTrack::Standard));
    }

    #[test]
    fn seeds_round_trip_through_json() {
        for (map, ctx) in [autologous_car_t(), in_vivo_gene_therapy()] {
            let json = serde_json::to_string_pretty(&map).expect("serializes");
            let back: ProcessMap = serde_json::from_str(&json).expect("parses back");
            assert_eq!(back, map);
            let json = serde_json::to_string(&ctx).expect("serializes");
            let back: MapContext = serde_json::from_str(&json).expect("parses back");
            assert_eq!(back, ctx);
        }
    }

    #[test]
    fn car_t_scan_burden() {
        // Scan steps, each naming at most one unit, so each counts once:
        //   courier_handoff (apheresis unit), manufacturing_receipt (manufacturing facility),
        //   shipment (manufacturing facility), receipt_and_storage (cell lab),
        //   dual_verification_cd4 and dual_verification_cd8 (inpatient unit)
        // = 6 scans per case at 4 distinct locations (the manufacturing facility and the
        // inpatient unit each host two).
        let (map, ctx) = autologous_car_t();
        assert_eq!(
            scan_burden(&map, &ctx.units),
            ScanBurden {
                scans_per_case: 6,
                distinct_locations: 4
            }
        );
    }

    #[test]
    fn in_vivo_scan_burden() {
        // receipt_and_storage (pharmacy) and dual_verification (infusion center): 2 scans, 2 places
        let (map, ctx) = in_vivo_gene_therapy();
        assert_eq!(
            scan_burden(&map, &ctx.units),
            ScanBurden {
                scans_per_case: 2,
                distinct_locations: 2
            }
        );
    }
}
