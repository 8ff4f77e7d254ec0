//! Graded adverse events on an infused demo case, entered as a nurse and a physician at the
//! bedside would: a CRS that rises from grade 2 (nasal cannula at 4 L/min) to grade 3 (8 L/min)
//! and is treated with tocilizumab, then resolves; and an ICANS graded from its ICE score, on
//! steroids and still ongoing. The times fall between the first infusion and now.

use crate::cases::{NewAdverseEvent, ObservationInput, TreatmentInput};
use crate::demo::user;
use crate::{App, AppError};
use cellpath_domain::events::cases::{AdverseEventKind, AdverseEventOutcome, Treatment};
use cellpath_domain::toxicity::{Consciousness, CrsObservations, IcansObservations, Oxygen};
use cellpath_domain::{Date, Role};

/// `YYYY-MM-DDTHH:MM:SS`, the second rounded up (a time typed is never before the one it
/// follows).
fn typed(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000) + i64::from(micros.rem_euclid(1_000_000) > 0);
    let in_day = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}",
        Date::of_micros(secs * 1_000_000),
        in_day / 3_600,
        in_day % 3_600 / 60,
        in_day % 60
    )
}

/// The case's health system's first active person of each of `roles`, as callers.
pub(super) async fn staff_of_case<const N: usize>(
    app: &App,
    case_id: &str,
    roles: [Role; N],
) -> Result<[crate::Caller; N], AppError> {
    let row = app
        .store
        .case(case_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("case {case_id}")))?;
    let pship = app
        .store
        .partnership(&row.partnership_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("partnership {}", row.partnership_id)))?;
    let staff = app
        .store
        .users_of(&pship.health_system_id, cellpath_store::Page::all())
        .await?;
    let mut out = Vec::with_capacity(N);
    for role in roles {
        let email = staff
            .iter()
            .find(|u| u.role == role && u.active)
            .map(|u| u.email.clone())
            .ok_or_else(|| AppError::Internal(format!("demo: no {role} at the case's site")))?;
        out.push(user(app, &email).await?);
    }
    out.try_into()
        .map_err(|_| AppError::Internal("demo: one caller per role".into()))
}

pub(super) async fn adverse_events(app: &App, case_id: &str) -> Result<(), AppError> {
    let [nurse, physician] = staff_of_case(app, case_id, [Role::Nurse, Role::Physician]).await?;
    let row = app
        .store
        .case(case_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("case {case_id}")))?;
    let (loaded, _) = app.load_case(&nurse, case_id).await?;
    let infused = loaded.case.first_infusion().ok_or_else(|| {
        AppError::Internal(format!("demo: case {} has not been infused", row.pseudonym))
    })?;
    // Eight even moments from the infusion to now, at most two days after it.
    let span = (app.now() - infused).clamp(0, 2 * 86_400_000_000);
    let t = |k: i64| typed(infused + span * k / 8);
    let crs = |litres_per_minute| {
        Some(CrsObservations {
            temperature_tenths_c: Some(389),
            oxygen: Oxygen::NasalCannula { litres_per_minute },
            ..Default::default()
        })
    };
    let recorded = app
        .record_adverse_event(
            &nurse,
            case_id,
            NewAdverseEvent {
                kind: AdverseEventKind::Crs,
                onset: t(1),
                observations: vec![ObservationInput {
                    at: t(1),
                    crs: crs(4),
                    icans: None,
                }],
            },
            None,
            None,
        )
        .await?
        .fresh()?;
    let number = recorded
        .adverse_event
        .map(|a| a.number)
        .ok_or_else(|| AppError::Internal("demo: the CRS has no number".into()))?;
    app.observe_adverse_event(
        &nurse,
        case_id,
        number,
        ObservationInput {
            at: t(2),
            crs: crs(8),
            icans: None,
        },
        None,
        None,
    )
    .await?
    .fresh()?;
    app.treat_adverse_event(
        &physician,
        case_id,
        number,
        TreatmentInput {
            treatment: Treatment::Tocilizumab,
            given_at: t(2),
            detail: "8 mg/kg IV over 1 hour".into(),
        },
        None,
        None,
    )
    .await?
    .fresh()?;
    app.adverse_event_outcome(
        &physician,
        case_id,
        number,
        AdverseEventOutcome::Resolved {
            on: Date::of_micros(infused + span * 5 / 8),
        },
        None,
        None,
    )
    .await?
    .fresh()?;
    let icans = app
        .record_adverse_event(
            &nurse,
            case_id,
            NewAdverseEvent {
                kind: AdverseEventKind::Icans,
                onset: t(6),
                observations: vec![ObservationInput {
                    at: t(6),
                    crs: None,
                    icans: Some(IcansObservations {
                        ice_score: Some(5),
                        consciousness: Consciousness::AwakensToVoice,
                        ..Default::default()
                    }),
                }],
            },
            None,
            None,
        )
        .await?
        .fresh()?;
    let number = icans
        .adverse_event
        .map(|a| a.number)
        .ok_or_else(|| AppError::Internal("demo: the ICANS has no number".into()))?;
    app.treat_adverse_event(
        &physician,
        case_id,
        number,
        TreatmentInput {
            treatment: Treatment::Steroids,
            given_at: t(7),
            detail: "dexamethasone 10 mg IV every 6 hours".into(),
        },
        None,
        None,
    )
    .await?
    .fresh()?;
    Ok(())
}
