//! Release exceptions in the demo, through the same commands people use: a protocol agreed by
//! both sides on each active partnership as soon as it is accepted ([`protocols`], run by
//! `seed`: the gate's protocol item rests on it); then, in the history (issue 13, point 7), as
//! `cases::over_time` runs, one out-of-specification product remanufactured from retained
//! cells, one infused under expanded access once its four prerequisites were on record, and one
//! late sterility result after shipment that nobody acknowledged in time (escalated to tier 2,
//! the patient told after the protocol's deadline: the SLA record's breach), each closed with a
//! signature from each side ([`Story`]). At the very end, a manufacturing failure left open,
//! escalated to tier 2 ([`open_at_tier_two`]).
//! The stories are told one stage at a time ([`stage`]), each at its moment of the history.

use super::user;
use crate::cases::CaseInput;
use crate::release_exceptions::{
    ExceptionDecision, ExceptionPrerequisite, NewExceptionProtocol, PatientTold,
};
use crate::{App, AppError, Caller};
use cellpath_domain::events::cases::ReleaseDecision;
use cellpath_domain::release_exception::{
    DecisionOption, ExceptionKind, Prerequisite, Protocol, TellMethod,
};
use cellpath_domain::{OrgKind, PartnershipStatus, Role};
use cellpath_store::Page;

const MINUTE: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Agree the usual protocol (three tiers, the coordinator tells the patient within 24 hours,
/// a decision within 72) for every program of every active partnership: drafted and signed by
/// the health system's contracts lead, signed by the manufacturer's.
pub(super) async fn protocols(app: &App) -> Result<(), AppError> {
    let password = super::DEMO_PASSWORD;
    for org in app.store.organizations(Page::all()).await? {
        if org.kind != OrgKind::Manufacturer {
            continue;
        }
        for p in app.store.partnerships_of(&org.id, Page::all()).await? {
            if p.status != PartnershipStatus::Active {
                continue;
            }
            let hs = contracts_lead(app, &p.health_system_id).await?;
            let mfr = contracts_lead(app, &p.manufacturer_id).await?;
            for program in app.programs_in(&p).await? {
                let v = app
                    .draft_exception_protocol(
                        &hs,
                        &p.id,
                        NewExceptionProtocol {
                            program_id: program.id.clone(),
                            protocol: Protocol::usual(),
                        },
                        None,
                    )
                    .await?
                    .fresh()?;
                app.sign_exception_protocol(&hs, &v.id, password, None)
                    .await?
                    .fresh()?;
                app.sign_exception_protocol(&mfr, &v.id, password, None)
                    .await?
                    .fresh()?;
            }
        }
    }
    Ok(())
}

async fn contracts_lead(app: &App, org_id: &str) -> Result<Caller, AppError> {
    let lead = app
        .store
        .users_of(org_id, Page::all())
        .await?
        .into_iter()
        .find(|u| u.active && u.role == Role::Contracts)
        .ok_or_else(|| AppError::Internal(format!("demo: no contracts lead at {org_id}")))?;
    app.caller_for_user(&lead.id, crate::access::Via::System)
        .await
}

/// A Vantacel case's release exception, as the demo's history tells it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Story {
    /// Out of specification (viability below the limit); remanufactured from retained cells.
    Remanufacture,
    /// Out of specification (a CD4:CD8 ratio outside the range); infused under expanded access.
    ExpandedAccess,
    /// After shipment, a late sterility result; acknowledged only after the escalation, the
    /// patient told after the deadline; the case goes on with closer monitoring.
    PostRelease,
}

impl Story {
    /// The step the case waits at until the story begins.
    pub(super) fn at(self) -> &'static str {
        match self {
            Story::Remanufacture | Story::ExpandedAccess => "release_decision",
            Story::PostRelease => "bridging_therapy",
        }
    }
}

/// What follows a stage: the next stage after this long, the case's own steps again after
/// this long, or nothing more.
pub(super) enum After {
    Stage(i64),
    Resume(i64),
}

/// The demo's people in a release exception at Lakeshore.
struct Hands {
    quality: Caller,
    coordinator: Caller,
    cell_lab: Caller,
    physician: Caller,
    nurse: Caller,
}

async fn hands(app: &App) -> Result<Hands, AppError> {
    Ok(Hands {
        quality: user(app, "quality@helixa.example").await?,
        coordinator: user(app, "coordinator@lakeshore.example").await?,
        cell_lab: user(app, "cell.lab@lakeshore.example").await?,
        physician: user(app, "physician@lakeshore.example").await?,
        nurse: user(app, "nurse@lakeshore.example").await?,
    })
}

/// The case's newest exception.
async fn exception_of(app: &App, case_id: &str) -> Result<String, AppError> {
    app.store
        .release_exceptions_of_case(case_id)
        .await?
        .into_iter()
        .max_by_key(|e| e.opened_at)
        .map(|e| e.id)
        .ok_or_else(|| AppError::Internal(format!("demo: no exception on case {case_id}")))
}

/// Helixa's quality records a release decision that is not "released", with its
/// certificate: the exception opens in the same command.
async fn not_released(
    app: &App,
    h: &Hands,
    case_id: &str,
    decision: ReleaseDecision,
    reference: &str,
) -> Result<(), AppError> {
    let input = CaseInput::Release {
        step: "release_decision".into(),
        decision,
        certificate_reference: reference.into(),
        certificate_sha256: crate::ids::sha256_hex(reference),
    };
    app.act_on_case(&h.quality, case_id, input, "", None, None)
        .await?
        .fresh()?;
    Ok(())
}

async fn acknowledge(app: &App, by: &Caller, case_id: &str) -> Result<(), AppError> {
    let id = exception_of(app, case_id).await?;
    app.acknowledge_release_exception(by, &id, None)
        .await?
        .fresh()?;
    Ok(())
}

/// The coordinator (the usual protocol's teller) tells the patient, now.
async fn tell(
    app: &App,
    h: &Hands,
    case_id: &str,
    method: TellMethod,
    note: &str,
) -> Result<(), AppError> {
    let id = exception_of(app, case_id).await?;
    let told = PatientTold {
        method,
        told_at: app.now(),
        note: note.into(),
    };
    app.record_patient_told(&h.coordinator, &id, told, None)
        .await?
        .fresh()?;
    Ok(())
}

async fn decide(
    app: &App,
    by: &Caller,
    case_id: &str,
    option: DecisionOption,
    note: &str,
) -> Result<(), AppError> {
    let id = exception_of(app, case_id).await?;
    let decision = ExceptionDecision {
        option,
        note: note.into(),
        care_transition_plan: None,
    };
    app.decide_release_exception(by, &id, decision, None)
        .await?
        .fresh()?;
    Ok(())
}

async fn record_prerequisite(
    app: &App,
    by: &Caller,
    case_id: &str,
    p: Prerequisite,
    reference: &str,
) -> Result<(), AppError> {
    let id = exception_of(app, case_id).await?;
    let input = ExceptionPrerequisite {
        prerequisite: p,
        reference: reference.into(),
        document_sha256: Some(crate::ids::sha256_hex(reference)),
        note: String::new(),
    };
    app.record_exception_prerequisite(by, &id, input, None)
        .await?
        .fresh()?;
    Ok(())
}

/// Sign the close from each side: the health system's physician, then Helixa's quality.
async fn close(app: &App, h: &Hands, case_id: &str) -> Result<(), AppError> {
    let id = exception_of(app, case_id).await?;
    let password = super::DEMO_PASSWORD;
    app.sign_release_exception(&h.physician, &id, password, None)
        .await?
        .fresh()?;
    app.sign_release_exception(&h.quality, &id, password, None)
        .await?
        .fresh()?;
    Ok(())
}

/// Tell stage `n` of `story` on the case, at the clock's now; what follows.
pub(super) async fn stage(
    app: &App,
    case_id: &str,
    story: Story,
    n: u8,
) -> Result<Vec<After>, AppError> {
    use DecisionOption::{EnhancedMonitoring, ExpandedAccess, Remanufacture};
    use Prerequisite::*;
    use ReleaseDecision::OutOfSpecification;
    let h = hands(app).await?;
    let c = case_id;
    Ok(match (story, n) {
        // Remanufactured from retained cells.
        (Story::Remanufacture, 0) => {
            let reference = "COA-HX-OOS-0412 viability 64 % (limit ≥ 70 %)";
            not_released(app, &h, c, OutOfSpecification, reference).await?;
            vec![After::Stage(40 * MINUTE)]
        }
        (Story::Remanufacture, 1) => {
            acknowledge(app, &h.cell_lab, c).await?;
            vec![After::Stage(5 * HOUR)]
        }
        (Story::Remanufacture, 2) => {
            let note = "in clinic with her daughter; a new manufacturing run from retained cells explained, about three weeks";
            tell(app, &h, c, TellMethod::InPerson, note).await?;
            vec![After::Stage(18 * HOUR)]
        }
        (Story::Remanufacture, 3) => {
            let note =
                "enough retained cells from the original collection; the new run starts tomorrow";
            decide(app, &h.quality, c, Remanufacture, note).await?;
            // The remade product's release comes about two weeks later.
            vec![After::Resume(15 * DAY), After::Stage(DAY)]
        }
        // Infused under expanded access.
        (Story::ExpandedAccess, 0) => {
            let reference = "COA-HX-OOS-0588 CD4:CD8 ratio 3.4 (range 0.5-2.5)";
            not_released(app, &h, c, OutOfSpecification, reference).await?;
            vec![After::Stage(25 * MINUTE)]
        }
        (Story::ExpandedAccess, 1) => {
            acknowledge(app, &h.coordinator, c).await?;
            vec![After::Stage(3 * HOUR)]
        }
        (Story::ExpandedAccess, 2) => {
            let note = "by Dr. Ferreira with the patient and his wife; the options and the expanded-access route explained";
            tell(app, &h, c, TellMethod::InPerson, note).await?;
            vec![After::Stage(20 * HOUR)]
        }
        (Story::ExpandedAccess, 3) => {
            let note = "no retained cells for a new run and progressing disease; the product's potency is within range";
            decide(app, &h.physician, c, ExpandedAccess, note).await?;
            vec![After::Stage(5 * HOUR)]
        }
        (Story::ExpandedAccess, 4) => {
            let reference = "LUH-EAP-2026-007 physician request";
            record_prerequisite(app, &h.physician, c, PhysicianRequest, reference).await?;
            vec![After::Stage(2 * DAY)]
        }
        (Story::ExpandedAccess, 5) => {
            let reference = "LUH IRB-26-0319 single-patient approval";
            record_prerequisite(app, &h.coordinator, c, IrbApproval, reference).await?;
            vec![After::Stage(DAY)]
        }
        (Story::ExpandedAccess, 6) => {
            let reference = "expanded-access consent v1, signed at the bedside";
            record_prerequisite(app, &h.nurse, c, ExpandedAccessConsent, reference).await?;
            vec![After::Stage(6 * HOUR)]
        }
        (Story::ExpandedAccess, 7) => {
            // The fourth: the case goes on to its shipment.
            let reference = "COA-HX-EAP-0588 release for expanded access";
            record_prerequisite(app, &h.quality, c, ManufacturerRelease, reference).await?;
            vec![After::Resume(4 * HOUR), After::Stage(3 * DAY)]
        }
        // A late sterility result after shipment.
        (Story::PostRelease, 0) => {
            app.open_release_exception(
                &h.quality,
                c,
                crate::release_exceptions::OpenReleaseException {
                    kind: ExceptionKind::PostReleaseNotice,
                    certificate_reference: "QA-HX-2026-0133 late sterility result".into(),
                    certificate_sha256: crate::ids::sha256_hex("QA-HX-2026-0133"),
                },
                None,
            )
            .await?
            .fresh()?;
            // Nobody on tier 1 answers: the escalation's timer fires eight hours on.
            vec![After::Stage(8 * HOUR + 2 * MINUTE)]
        }
        (Story::PostRelease, 1) => {
            app.escalate_release_exception(&exception_of(app, c).await?)
                .await?;
            vec![After::Stage(70 * MINUTE)]
        }
        (Story::PostRelease, 2) => {
            acknowledge(app, &h.physician, c).await?;
            vec![After::Stage(20 * HOUR)]
        }
        (Story::PostRelease, 3) => {
            let note = "by phone after two missed calls; the late culture result and the plan to watch closely explained";
            tell(app, &h, c, TellMethod::Phone, note).await?;
            vec![After::Stage(4 * HOUR)]
        }
        (Story::PostRelease, 4) => {
            let note = "organism identified as a skin commensal, susceptible; blood cultures daily for two weeks after infusion";
            decide(app, &h.physician, c, EnhancedMonitoring, note).await?;
            vec![After::Resume(2 * HOUR), After::Stage(DAY)]
        }
        // Closed by both sides.
        (Story::Remanufacture, 4) | (Story::ExpandedAccess, 8) | (Story::PostRelease, 5) => {
            close(app, &h, c).await?;
            Vec::new()
        }
        (story, n) => {
            return Err(AppError::Internal(format!(
                "demo: no stage {n} in {story:?}"
            )));
        }
    })
}

/// A manufacturing failure on a case waiting for its release, opened eleven hours before the
/// history ends and left open: nobody acknowledged tier 1, so the escalation's timer told tier
/// 2 at the eighth hour. The clock ends at `end`.
pub(super) async fn open_at_tier_two(
    app: &App,
    clock: &crate::ManualClock,
    case_id: &str,
    end: i64,
) -> Result<(), AppError> {
    let h = hands(app).await?;
    advance_to(clock, app, end - 11 * HOUR);
    let reference = "QA-HX-MF-0702 expansion stopped on day 6, cell count below the minimum";
    not_released(
        app,
        &h,
        case_id,
        ReleaseDecision::ManufacturingFailure,
        reference,
    )
    .await?;
    advance_to(clock, app, end - 3 * HOUR + MINUTE);
    if !app
        .escalate_release_exception(&exception_of(app, case_id).await?)
        .await?
    {
        return Err(AppError::Internal(
            "demo: the open exception did not escalate".into(),
        ));
    }
    advance_to(clock, app, end);
    Ok(())
}

fn advance_to(clock: &crate::ManualClock, app: &App, at: i64) {
    let now = app.now();
    if at > now {
        clock.advance_secs((at - now) / 1_000_000);
    }
}
