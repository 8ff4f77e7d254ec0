//! Patients' cases at LUH-MAIN on Vantacel (the one site the demo authorizes), through the
//! same commands a person uses: each patient registered on Lakeshore's ledger, the case opened
//! on the partnership's, then its steps done in order by the role each belongs to — to
//! several stages of the CAR-T map, with one case on hold and one cancelled with a
//! care-transition note. All names are fictional.

use super::{Launch, find, launch, user};
use crate::cases::{CaseInput, NewCase, NewPatient, StepView};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::events::cases::EhrAttestation;
use cellpath_domain::process_map::StepKind;

/// What happens to a case after its steps.
enum Then {
    Nothing,
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
            let input = entry(step, app.now())?;
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
