//! Patients' cases at LUH-MAIN on Vantacel (the one site the demo authorizes), through the
//! same commands a person uses: each patient registered on Lakeshore's ledger, the case opened
//! on the partnership's, then its steps done in order by the role each belongs to — to
//! several stages of the CAR-T map, with one case on hold, one cancelled with a care-transition
//! note, and one through the manufacturer and back into the cell lab (a temperature excursion
//! on the way). All names are fictional.

use super::exceptions::{After, Story};
use super::{Launch, find, launch, user};
use crate::cases::{CaseInput, NewCase, NewPatient, StepView};
use crate::{App, AppError};
use cellpath_domain::Date;
use cellpath_domain::events::cases::EhrAttestation;
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
        let case = open_case(
            app,
            &coordinator,
            (&pship.id, &site.id, &vantacel.id),
            (name, dob, mrn),
        )
        .await?;
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

/// The patient registered on the health system's ledger by `by` (name, date of birth, MRN), and
/// a case opened for them on the partnership's (partnership, site, program ids).
pub(super) async fn open_case(
    app: &App,
    by: &crate::Caller,
    (partnership, site, program): (&str, &str, &str),
    (name, dob, mrn): (&str, &str, &str),
) -> Result<crate::cases::CaseOpenedView, AppError> {
    let patient = app
        .register_patient(
            by,
            NewPatient {
                site_id: site.into(),
                name: name.into(),
                date_of_birth: dob.into(),
                mrn: mrn.into(),
            },
            None,
        )
        .await?
        .fresh()?;
    app.open_case(
        by,
        NewCase {
            partnership_id: partnership.into(),
            site_id: site.into(),
            program_id: program.into(),
            patient_id: patient.patient_id,
        },
        None,
    )
    .await?
    .fresh()
}

/// The patient's consent against the site's active consent version for the case's program
/// (the version's number goes on the map's consent step).
async fn record_consent(
    app: &App,
    coordinator: &crate::Caller,
    case_id: &str,
) -> Result<i64, AppError> {
    let view = app.case(coordinator, case_id).await?;
    let (input, number) =
        super::drive::consent_input(app, &view.partnership_id, &view.site_id, &view.program_id)
            .await?;
    app.act_on_case(coordinator, case_id, input, "", None, None)
        .await?
        .fresh()?;
    Ok(number)
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

pub(super) fn value_of(field: &str) -> &'static str {
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
        "consent form version" => "LUH-VAN-CONSENT v1",
        "date signed" => "on the day of the consent visit",
        "regimen" => "fludarabine 30 mg/m² and cyclophosphamide 500 mg/m² daily for 3 days",
        "last dose date" => "two days before infusion",
        "shipper temperature log" => "reviewed, in range",
        "freezer position" => "LN2-2 rack A",
        _ => "as recorded",
    }
}

/// The network of cases the demo shows people: patients referred over the months of the
/// demo's history, each case taken forward step by step as time passes (the clock moved to
/// each action's moment, cases of both programs interleaved as they would be), so they stand
/// at every stage of their map.
///
/// Vantacel's (the CAR-T map): a few just referred, some collected and waiting on
/// manufacturing, some infused and in monitoring, the first ones in long-term follow-up —
/// with one put on hold, one cancelled with a care-transition note, a scan of the wrong bag, a
/// temperature excursion on the way back and a bag given after its thaw window with a signed
/// deviation. Corvigen's (the in-vivo map, see `in_vivo`): kits ordered, in the freezer,
/// given and monitored, in long-term follow-up, one on hold before its infusion, one
/// cancelled, a kit scanned for another patient, a kit received after an excursion, one given
/// after its thaw window; at the end one just given and one at the bedside.
pub(super) async fn over_time(
    app: &App,
    clock: &crate::ManualClock,
    days: i64,
) -> Result<(), AppError> {
    use super::drive::{Labels, People, Twist, next};
    use super::in_vivo;
    use std::cmp::Reverse;
    use std::collections::{BTreeMap, BinaryHeap};
    let Launch {
        pship,
        vantacel,
        sites,
        ..
    } = launch(app).await?;
    let helixa = People::of_demo(app).await?;
    let northbridge = in_vivo::people(app).await?;
    let corvigen = in_vivo::corvigen(app).await?;
    let patient_ops = super::user(app, "patient.ops@helixa.example").await?;
    let site = find(sites, "LUH-MAIN", |s| s.code == "LUH-MAIN").await?;
    let start = app.now();
    let end = start + (days - 1) * DAY;

    /// A case of the network as it runs.
    struct Running {
        id: String,
        corvigen: bool,
        labels: Labels,
        twists: Vec<Twist>,
        stop: Option<&'static str>,
        last: Option<CaseInput>,
        /// It waits at `stop` (neither held nor cancelled there).
        waits: bool,
        /// How many times each step was done (a signature step once per signature).
        done: BTreeMap<String, usize>,
        /// Its release exception, to be told when it reaches the story's step (and whether
        /// it has begun).
        story: Option<(Story, bool)>,
    }
    /// What happens at a moment: the n-th patient of a program referred, or a case's next step.
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
    enum Next {
        Refer {
            corvigen: bool,
            n: usize,
        },
        Act(usize),
        /// A stage of the case's release exception.
        Story(usize, u8),
    }
    let mut queue = BinaryHeap::new();
    for (n, (_, _, day, _)) in NETWORK.iter().enumerate() {
        let at = start + day * DAY + (n as i64 % 5) * HOUR;
        queue.push(Reverse((at, Next::Refer { corvigen: false, n })));
    }
    for (n, (_, _, day, _)) in in_vivo::NETWORK.iter().enumerate() {
        let at = start + day * DAY + 2 * HOUR + (n as i64 % 3) * HOUR;
        queue.push(Reverse((at, Next::Refer { corvigen: true, n })));
    }
    let mut cases: Vec<Running> = Vec::new();
    while let Some(Reverse((t, what))) = queue.pop() {
        if t > end {
            break;
        }
        advance_to(clock, app, t);
        match what {
            Next::Refer { corvigen: false, n } => {
                let (name, dob, _, until) = &NETWORK[n];
                let case = open_case(
                    app,
                    &helixa.coordinator,
                    (&pship.id, &site.id, &vantacel.id),
                    (name, dob, &format!("LUH-2{:07}", 31_000 + n * 7)),
                )
                .await?;
                cases.push(Running {
                    id: case.id,
                    corvigen: false,
                    labels: Labels::numbered(n),
                    twists: match n % 9 {
                        1 => vec![Twist::ScanMismatch],
                        4 => vec![Twist::Excursion],
                        6 => vec![Twist::LateInfusion],
                        _ => Vec::new(),
                    },
                    stop: story_of(n).map(Story::at).or(until.stop()),
                    last: until.last(),
                    waits: matches!(until, Until::Wait(_)),
                    done: BTreeMap::new(),
                    story: story_of(n).map(|s| (s, false)),
                });
                queue.push(Reverse((t + HOUR, Next::Act(cases.len() - 1))));
            }
            Next::Refer { corvigen: true, n } => {
                let (name, dob, _, until) = &in_vivo::NETWORK[n];
                let id = in_vivo::open(
                    app,
                    &northbridge,
                    &corvigen,
                    (name, dob, &format!("LUH-4{:07}", 52_000 + n * 11)),
                )
                .await?;
                cases.push(Running {
                    id,
                    corvigen: true,
                    labels: Labels::corvigen(n + 10),
                    twists: in_vivo::twists(n),
                    stop: until.stop(),
                    last: until.last(),
                    waits: matches!(until, Until::Wait(_)),
                    done: BTreeMap::new(),
                    story: None,
                });
                queue.push(Reverse((t + DAY, Next::Act(cases.len() - 1))));
            }
            Next::Act(i) => {
                let c = &mut cases[i];
                let people = if c.corvigen { &northbridge } else { &helixa };
                match next(app, people, &c.id, &c.labels, &c.twists, c.stop).await? {
                    Some(step) => {
                        // Enrolled: the coordinator asks for an apheresis day ten days out
                        // (the day the scheduling step books) and Helixa confirms the chain.
                        if step == "enrollment" && !c.corvigen {
                            let day = cellpath_domain::Date::of_micros(t).plus_days(10);
                            super::bookings::book(
                                app,
                                &people.coordinator,
                                &patient_ops,
                                &c.id,
                                &day,
                            )
                            .await?;
                        }
                        let nth = c.done.entry(step.clone()).or_default();
                        *nth += 1;
                        let gap = if c.corvigen {
                            in_vivo::gap_after(&step, *nth, &c.twists)
                        } else {
                            gap_after(&step, &c.twists)
                        };
                        queue.push(Reverse((t + gap, Next::Act(i))));
                    }
                    // At its story's step: the release exception begins.
                    None if matches!(c.story, Some((_, false))) => {
                        if let Some((_, begun)) = c.story.as_mut() {
                            *begun = true;
                        }
                        queue.push(Reverse((t + 2 * HOUR, Next::Story(i, 0))));
                    }
                    None => {
                        if let Some(input) = c.last.take() {
                            let cancelled = matches!(input, CaseInput::Cancel { .. });
                            app.act_on_case(&people.coordinator, &c.id, input, "", None, None)
                                .await?
                                .fresh()?;
                            // A cancelled case's chain is given back to the manufacturer.
                            for b in app.case_bookings(&people.coordinator, &c.id).await? {
                                if cancelled && b.status.is_open() {
                                    app.cancel_booking(
                                        &people.coordinator,
                                        &b.id,
                                        "the case was cancelled before collection",
                                        Some(b.version),
                                        None,
                                    )
                                    .await?
                                    .fresh()?;
                                }
                            }
                        }
                    }
                }
            }
            Next::Story(i, n) => {
                let c = &mut cases[i];
                let Some((story, _)) = c.story else {
                    return Err(AppError::Internal("demo: a story without a case".into()));
                };
                for after in super::exceptions::stage(app, &c.id, story, n).await? {
                    match after {
                        After::Stage(gap) => queue.push(Reverse((t + gap, Next::Story(i, n + 1)))),
                        After::Resume(gap) => {
                            c.stop = None;
                            queue.push(Reverse((t + gap, Next::Act(i))));
                        }
                    }
                }
            }
        }
    }
    // Eleven hours before the end, the case waiting for its release fails manufacturing; its
    // exception is left open, told to tier 2 by the escalation's timer.
    let waiting = cases
        .iter()
        .find(|c| !c.corvigen && c.waits && c.stop == Some("release_decision"))
        .ok_or_else(|| AppError::Internal("demo: no case waits for its release".into()))?;
    super::exceptions::open_at_tier_two(app, clock, &waiting.id, start + days * DAY - 25 * MINUTE)
        .await?;
    // The end of the history, minutes before the demo's now: Corvigen's two kits waiting for
    // their infusion day are taken to the bedside.
    advance_to(clock, app, start + days * DAY - 20 * MINUTE);
    let waiting: Vec<(String, Labels)> = cases
        .iter()
        .filter(|c| c.corvigen && c.waits && c.stop == Some("preparation"))
        .map(|c| (c.id.clone(), c.labels.clone()))
        .collect();
    in_vivo::to_the_bedside(app, &northbridge, &waiting).await?;
    // After the infusions: graded CRS and ICANS on two of the infused CAR-T cases, and the
    // data manager's registry submissions on every other one (the rest show forms due and
    // overdue).
    let mut infused = 0;
    for c in cases.iter().filter(|c| !c.corvigen) {
        let (loaded, _) = app.load_case(&helixa.coordinator, &c.id).await?;
        if loaded.case.first_infusion().is_none() {
            continue;
        }
        if infused < 2 {
            super::adverse_events::adverse_events(app, &c.id).await?;
        }
        if infused % 2 == 0 {
            super::registry::registry_forms(app, &c.id).await?;
        }
        infused += 1;
    }
    Ok(())
}

const HOUR: i64 = 3_600 * 1_000_000;
const DAY: i64 = 24 * HOUR;
const MINUTE: i64 = 60 * 1_000_000;

/// Move the demo's clock forward to `at` (never back: the ledger's times only grow).
fn advance_to(clock: &crate::ManualClock, app: &App, at: i64) {
    let now = app.now();
    if at > now {
        clock.advance_secs((at - now) / 1_000_000);
    }
}

/// How long after a step the next one comes, as a Vantacel case runs at Lakeshore.
fn gap_after(step: &str, twists: &[super::drive::Twist]) -> i64 {
    match step {
        "referral" => 3 * DAY,
        "benefits_check" => 4 * DAY,
        "consent" => 2 * DAY,
        "enrollment" => DAY,
        "apheresis_scheduling" => 10 * DAY,
        "collection" => 2 * HOUR,
        "courier_handoff" => 20 * HOUR,
        "manufacturing_receipt" => 17 * DAY,
        "release_decision" => 4 * HOUR,
        "shipment" => 30 * HOUR,
        "receipt_and_storage" => 2 * DAY,
        "bridging_therapy" => 5 * DAY,
        "lymphodepletion" => 3 * DAY,
        "physician_order" | "pharmacist_verification" => HOUR,
        "thaw_cd4" | "thaw_cd8" => 8 * MINUTE,
        "dual_verification_cd8" if twists.contains(&super::drive::Twist::LateInfusion) => {
            130 * MINUTE
        }
        s if s.starts_with("dual_verification") => 4 * MINUTE,
        "administer_cd4" => 12 * MINUTE,
        "administer_cd8" => DAY,
        "monitoring" => 14 * DAY,
        // A site's own checklist before the bedside (the ICU bed held, say) and the rest.
        _ => 10 * MINUTE,
    }
}

/// How far a case goes.
#[derive(Clone, Copy)]
pub(super) enum Until {
    /// As far as time (or the plain seed's instant) allows.
    AsFarAsTime,
    /// It waits at this step (the kit in the freezer, the infusion day set).
    Wait(&'static str),
    /// Put on hold, with the reason, when this step comes.
    Hold(&'static str, &'static str),
    /// Cancelled, with the care-transition note, when this step comes.
    Cancel(&'static str, &'static str),
}

impl Until {
    pub(super) fn stop(self) -> Option<&'static str> {
        match self {
            Until::AsFarAsTime => None,
            Until::Wait(step) | Until::Hold(step, _) | Until::Cancel(step, _) => Some(step),
        }
    }

    /// What is done when the case has gone as far as it goes.
    pub(super) fn last(self) -> Option<CaseInput> {
        match self {
            Until::Hold(_, reason) => Some(CaseInput::Hold {
                reason: reason.into(),
            }),
            Until::Cancel(_, note) => Some(CaseInput::Cancel {
                care_transition_note: note.into(),
            }),
            _ => None,
        }
    }
}

/// (name, date of birth, the day of the demo's history the patient is referred, how far the
/// case goes). Fictional people.
const NETWORK: &[(&str, &str, i64, Until)] = &[
    ("Helena Marchetti", "1959-06-02", 1, Until::AsFarAsTime),
    ("Kwame Asante", "1966-11-21", 4, Until::AsFarAsTime),
    ("Lucía Romero", "1971-03-09", 7, Until::AsFarAsTime),
    ("Bernard Fitzgerald", "1948-08-30", 10, Until::AsFarAsTime),
    ("Aiko Tanaka", "1963-01-17", 13, Until::AsFarAsTime),
    ("Dmitri Volkov", "1957-12-05", 16, Until::AsFarAsTime),
    ("Fatoumata Diallo", "1975-07-24", 19, Until::AsFarAsTime),
    ("George Papadakis", "1952-04-11", 22, Until::AsFarAsTime),
    ("Hannah Birkeland", "1968-09-13", 26, Until::AsFarAsTime),
    ("Ibrahim Haddad", "1961-05-28", 30, Until::AsFarAsTime),
    (
        "Joanna Kowalczyk",
        "1955-10-06",
        34,
        Until::Hold(
            "lymphodepletion",
            "grade 2 pneumonia after bridging therapy; antibiotics started, lymphodepletion waits for clearance",
        ),
    ),
    ("Kenji Morimoto", "1970-02-14", 38, Until::AsFarAsTime),
    ("Leila Farahani", "1964-12-22", 42, Until::AsFarAsTime),
    (
        "Marcus Whitaker",
        "1950-03-03",
        46,
        Until::Cancel(
            "collection",
            "disease progressed to the central nervous system before collection; care returns to Dr. Okoro at Lakeshore Oncology for whole-brain radiotherapy, referral packet sent",
        ),
    ),
    ("Nadia Petrova", "1973-08-19", 50, Until::AsFarAsTime),
    ("Oluwaseun Adeyemi", "1967-06-15", 55, Until::AsFarAsTime),
    ("Paulo Santos", "1962-01-29", 60, Until::AsFarAsTime),
    ("Quinn Harrington", "1976-10-10", 65, Until::AsFarAsTime),
    ("Ruth Abernathy", "1949-05-07", 70, Until::AsFarAsTime),
    ("Sanjay Mehta", "1960-09-25", 75, Until::AsFarAsTime),
    ("Tereza Novak", "1969-04-02", 80, Until::AsFarAsTime),
    ("Umar Siddiqui", "1958-11-16", 86, Until::AsFarAsTime),
    ("Valentina Greco", "1972-07-08", 92, Until::AsFarAsTime),
    ("William Osei", "1954-02-20", 98, Until::AsFarAsTime),
    ("Ximena Duarte", "1965-12-01", 104, Until::AsFarAsTime),
    ("Yusuf Karimi", "1961-08-12", 110, Until::AsFarAsTime),
    ("Zofia Lindgren", "1974-03-27", 114, Until::AsFarAsTime),
    // Waits for a release that fails at the end of the history (`exceptions::open_at_tier_two`).
    (
        "Amara Okonkwo",
        "1971-04-30",
        72,
        Until::Wait("release_decision"),
    ),
];

/// The release exception told on the n-th patient of [`NETWORK`], if any.
fn story_of(n: usize) -> Option<Story> {
    match n {
        8 => Some(Story::Remanufacture),
        12 => Some(Story::ExpandedAccess),
        16 => Some(Story::PostRelease),
        _ => None,
    }
}
