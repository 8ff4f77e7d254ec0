//! Patients' cases at LUH-MAIN on Vantacel (the one site the demo authorizes), through the
//! same commands a person uses: each patient registered on Lakeshore's ledger, the case opened
//! on the partnership's, then its steps done in order by the role each belongs to — to
//! several stages of the CAR-T map, with one case on hold, one cancelled with a care-transition
//! note, and one through the manufacturer and back into the cell lab (a temperature excursion
//! on the way). All names are fictional.

use super::{Launch, find, launch, user};
use crate::cases::{CaseInput, NewCase, NewPatient, StepView};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::consent::ConsentStatus;
use cellpath_domain::events::cases::{ConsentGiver, EhrAttestation};
use cellpath_domain::process_map::StepKind;

/// What happens to a case after its steps.
enum Then {
    Nothing,
    /// On to the manufacturer and back: the bag handed to the courier and received at
    /// manufacturing, released, shipped back with a temperature excursion, stored in the cell
    /// lab.
    ToStorage,
    Hold(&'static str),
    Cancel(&'static str),
}

/// (name, date of birth, MRN, how many steps are done, then).
const PATIENTS: &[(&str, &str, &str, usize, Then)] = &[
    (
        "Avery Lindqvist",
        "1961-02-11",
        "LUH-10000001",
        0,
        Then::Nothing,
    ),
    (
        "Jordan Okafor",
        "1974-09-03",
        "LUH-10000002",
        2,
        Then::Nothing,
    ),
    (
        "Priya Natarajan",
        "1958-12-19",
        "LUH-10000003",
        4,
        Then::Nothing,
    ),
    (
        "Mateo Alvarez",
        "1983-05-27",
        "LUH-10000004",
        6,
        Then::Nothing,
    ),
    (
        "Grace Whitfield",
        "1969-08-08",
        "LUH-10000005",
        3,
        Then::Hold("fever of 38.9 °C before apheresis; cultures pending"),
    ),
    (
        "Samuel Oyelaran",
        "1952-04-15",
        "LUH-10000006",
        2,
        Then::Cancel(
            "the patient chose hospice care; care returns to Dr. Marsh at Lakeshore Oncology, who has the referral packet",
        ),
    ),
    (
        "Rosa Delgado-Ferreira",
        "1977-10-02",
        "LUH-10000007",
        6,
        Then::ToStorage,
    ),
];

pub(super) async fn cases(app: &App) -> Result<(), AppError> {
    let coordinator = user(app, "coordinator@lakeshore.example").await?;
    let Launch {
        pship,
        vantacel,
        sites,
        ..
    } = launch(app).await?;
    let site = find(sites, "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    for (name, dob, mrn, steps, then) in PATIENTS {
        let patient = app
            .register_patient(
                &coordinator,
                NewPatient {
                    site_id: site.id.clone(),
                    name: (*name).into(),
                    date_of_birth: (*dob).into(),
                    mrn: (*mrn).into(),
                },
                None,
            )
            .await?
            .fresh()?;
        let case = app
            .open_case(
                &coordinator,
                NewCase {
                    partnership_id: pship.id.clone(),
                    site_id: site.id.clone(),
                    program_id: vantacel.id.clone(),
                    patient_id: patient.patient_id,
                },
                None,
            )
            .await?
            .fresh()?;
        for _ in 0..*steps {
            let view = app.case(&coordinator, &case.id).await?;
            let step = view
                .available
                .first()
                .and_then(|a| view.steps.iter().find(|s| s.key == a.step))
                .ok_or_else(|| {
                    AppError::Internal(format!("demo: {} has no open step", case.pseudonym))
                })?;
            let mut input = entry(step, app.now())?;
            if step.key == "consent" {
                let number = record_consent(app, &coordinator, &case.id).await?;
                // Charted in cellpath (not attested from the EHR): the version's number.
                if let CaseInput::Record { fields, .. } = &mut input
                    && let Some(v) = fields.get_mut("consent form version")
                {
                    *v = number.to_string();
                }
            }
            let by = user(
                app,
                &format!("{}@lakeshore.example", step.role.as_str().replace('_', ".")),
            )
            .await?;
            app.act_on_case(&by, &case.id, input, "", None, None)
                .await?
                .fresh()?;
        }
        let last = match then {
            Then::Nothing => None,
            Then::ToStorage => {
                to_storage(app, &case.id).await?;
                None
            }
            Then::Hold(reason) => Some(CaseInput::Hold {
                reason: (*reason).into(),
            }),
            Then::Cancel(note) => Some(CaseInput::Cancel {
                care_transition_note: (*note).into(),
            }),
        };
        if let Some(input) = last {
            app.act_on_case(&coordinator, &case.id, input, "", None, None)
                .await?
                .fresh()?;
        }
    }
    Ok(())
}

/// The patient's consent against the site's active consent version for the case's program
/// (the version's number goes on the map's consent step).
async fn record_consent(
    app: &App,
    coordinator: &crate::Caller,
    case_id: &str,
) -> Result<i64, AppError> {
    let view = app.case(coordinator, case_id).await?;
    let active = app
        .store
        .consent_versions_of(&view.partnership_id, &view.site_id, &view.program_id)
        .await?
        .into_iter()
        .find(|v| v.status == ConsentStatus::Active)
        .ok_or_else(|| AppError::Internal("demo: no active consent version".into()))?;
    app.act_on_case(
        coordinator,
        case_id,
        CaseInput::RecordConsent {
            consent_version_id: active.id.clone(),
            consented_by: ConsentGiver::Patient,
            signed_on: Date::of_micros(app.now()).as_str().into(),
            witness: "Marta Keel, RN".into(),
        },
        "",
        None,
        None,
    )
    .await?
    .fresh()?;
    Ok(active.number)
}

/// The collected bag through the manufacturer and back into the cell lab's freezer, each step
/// by the role it belongs to, every handoff scanned.
async fn to_storage(app: &App, case_id: &str) -> Result<(), AppError> {
    use cellpath_domain::events::cases::ReleaseDecision;
    use cellpath_domain::journey::Temperature;
    use cellpath_domain::program::IdentifierKind;
    let apheresis = user(app, "apheresis@lakeshore.example").await?;
    let patient_ops = user(app, "patient.ops@helixa.example").await?;
    let quality = user(app, "quality@helixa.example").await?;
    let cell_lab = user(app, "cell.lab@lakeshore.example").await?;
    let scan = |expected, text: &str| {
        Some(crate::cases::ScanInput {
            expected,
            text: text.into(),
        })
    };
    let din = "W1234 26 000107";
    let lot = "LOT-HX-24017";
    let handoff = |step: &str, from: &str, to: &str, scanned, temperature| CaseInput::Handoff {
        step: step.into(),
        fields: Default::default(),
        attestation: None,
        items: Vec::new(),
        from: from.into(),
        to: to.into(),
        location: None,
        scan: scanned,
        temperature,
    };
    let mut receipt = handoff(
        "receipt_and_storage",
        "Polar Courier",
        "Lakeshore cell lab",
        scan(IdentifierKind::LotNumber, lot),
        Temperature::InRange,
    );
    if let CaseInput::Handoff { fields, .. } = &mut receipt {
        *fields = [
            (
                "shipper temperature log",
                "reviewed: one excursion to −120.5 °C",
            ),
            ("freezer position", "LN2-3 rack B slot 14"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    }
    let steps: Vec<(&crate::Caller, CaseInput)> = vec![
        (
            &apheresis,
            CaseInput::AddIdentifier {
                kind: IdentifierKind::Isbt128Din,
                text: din.into(),
                unit: None,
            },
        ),
        (
            &apheresis,
            handoff(
                "courier_handoff",
                "Apheresis unit",
                "Polar Courier",
                scan(IdentifierKind::Isbt128Din, din),
                Temperature::InRange,
            ),
        ),
        (
            &patient_ops,
            handoff(
                "manufacturing_receipt",
                "Polar Courier",
                "Helixa manufacturing",
                scan(IdentifierKind::Isbt128Din, din),
                Temperature::InRange,
            ),
        ),
        (
            &patient_ops,
            CaseInput::AddIdentifier {
                kind: IdentifierKind::LotNumber,
                text: lot.into(),
                unit: None,
            },
        ),
        (
            &quality,
            CaseInput::Release {
                step: "release_decision".into(),
                decision: ReleaseDecision::Released,
                certificate_reference: "COA-HX-24017".into(),
                certificate_sha256: crate::ids::sha256_hex("COA-HX-24017"),
            },
        ),
        (
            &patient_ops,
            handoff(
                "shipment",
                "Helixa manufacturing",
                "Polar Courier",
                scan(IdentifierKind::LotNumber, lot),
                Temperature::Excursion {
                    reading_tenths_celsius: -1205,
                },
            ),
        ),
        (&cell_lab, receipt),
    ];
    for (by, input) in steps {
        app.act_on_case(by, case_id, input, "", None, None)
            .await?
            .fresh()?;
    }
    Ok(())
}

/// The demo's entry for a step of the procurement stage: its fields as a person fills them,
/// the EHR's reference for a step charted there, a date two weeks out for a schedule.
fn entry(step: &StepView, now: i64) -> Result<CaseInput, AppError> {
    let attestation = step.ehr.then(|| EhrAttestation {
        reference: format!("EPIC-{}", step.key.to_uppercase()),
        charted_at: now,
    });
    let fields = if step.ehr {
        Default::default()
    } else {
        step.fields
            .iter()
            .map(|f| (f.clone(), value_of(f).to_string()))
            .collect()
    };
    Ok(match step.kind {
        StepKind::Record => CaseInput::Record {
            step: step.key.clone(),
            fields,
            attestation,
        },
        StepKind::Schedule => CaseInput::Schedule {
            step: step.key.clone(),
            fields,
            attestation,
            on: Date::of_micros(now).plus_days(14),
            slot: Some("morning".into()),
        },
        other => {
            return Err(AppError::Internal(format!(
                "demo: no entry for a {other} step"
            )));
        }
    })
}

fn value_of(field: &str) -> &'static str {
    match field {
        "referring physician" => "Dr. Helen Marsh",
        "diagnosis" => "Relapsed diffuse large B-cell lymphoma",
        "prior lines of therapy" => "2",
        "payer" => "Great Lakes Health Plan",
        "prior authorization number" => "PA-2026-118204",
        "single-case agreement" => "not needed",
        "manufacturer order id" => "HLX-ORD-40117",
        "chain of identity identifier" => "recorded on the order",
        "collection date" => "as scheduled",
        "bag volume (mL)" => "212",
        "donation identification number" => "on the bag label",
        _ => "as recorded",
    }
}
