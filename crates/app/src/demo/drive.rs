//! Taking a case forward the way its people would: the next step open on its map, done by
//! someone of the step's role with the entry a careful person makes — the listed fields or
//! the EHR's reference, the right label scanned, the collection's DIN and each unit's lot
//! number added when they exist, signatures with the password, two different nurses at the
//! bedside. The demo takes its cases forward with it and `cellpath case bench` builds and
//! drives its cases with it; every action goes through `act_on_case` (or the API), as a
//! person's action does.

use super::user;
use crate::cases::{CaseInput, ScanInput};
use crate::{App, AppError, Caller};
use cellpath_domain::Date;
use cellpath_domain::Role;
use cellpath_domain::events::cases::{
    EhrAttestation, PriorAuthorization, PriorAuthorizationStatus, ReleaseDecision,
};
use cellpath_domain::journey::{CaseStatus, Disposition, Item, Temperature, available};
use cellpath_domain::process_map::{RecordedIn, Step, StepKind};
use cellpath_domain::program::IdentifierKind;
use std::collections::BTreeMap;

/// The people who act on cases: the health system's staff by role (two nurses, so the bedside
/// verification has its four eyes) and the manufacturer's patient operations and quality,
/// with the password they sign with.
pub struct People {
    health_system: BTreeMap<Role, Vec<Caller>>,
    manufacturer: BTreeMap<Role, Caller>,
    /// Who looks at the case to decide what is next: the first coordinator.
    pub coordinator: Caller,
    password: String,
}

impl People {
    /// The health system's staff and the manufacturer's by role, all signing with `password`;
    /// the health system's first coordinator looks at the cases.
    pub fn new(
        health_system: BTreeMap<Role, Vec<Caller>>,
        manufacturer: BTreeMap<Role, Caller>,
        password: &str,
    ) -> Result<People, AppError> {
        let coordinator = health_system
            .get(&Role::Coordinator)
            .and_then(|c| c.first())
            .cloned()
            .ok_or_else(|| AppError::Internal("no coordinator to look at the cases".into()))?;
        Ok(People {
            health_system,
            manufacturer,
            coordinator,
            password: password.into(),
        })
    }

    /// The password the people sign with (re-entered for signed actions).
    pub fn password(&self) -> &str {
        &self.password
    }

    pub(super) async fn of_demo(app: &App) -> Result<People, AppError> {
        People::of_demo_with(app, "helixa.example").await
    }

    /// Lakeshore's staff with the people of the manufacturer whose users' e-mails end in
    /// `manufacturer_domain`.
    pub(super) async fn of_demo_with(
        app: &App,
        manufacturer_domain: &str,
    ) -> Result<People, AppError> {
        use Role::*;
        let mut lakeshore: BTreeMap<Role, Vec<Caller>> = BTreeMap::new();
        for role in [
            Coordinator,
            Physician,
            Nurse,
            CellLab,
            Apheresis,
            Pharmacy,
            DataManager,
            Finance,
        ] {
            let email = format!("{}@lakeshore.example", role.as_str().replace('_', "."));
            lakeshore
                .entry(role)
                .or_default()
                .push(user(app, &email).await?);
        }
        if let Ok(second) = user(app, SECOND_NURSE).await {
            lakeshore.entry(Nurse).or_default().push(second);
        }
        let mut helixa = BTreeMap::new();
        for role in [PatientOps, Quality] {
            let email = format!("{}@{manufacturer_domain}", role.as_str().replace('_', "."));
            helixa.insert(role, user(app, &email).await?);
        }
        People::new(lakeshore, helixa, super::DEMO_PASSWORD)
    }

    /// Someone of the role on the step's side who is not among `not` (user ids).
    fn one(&self, step: &Step, role: Role, not: &[String]) -> Result<&Caller, AppError> {
        let manufacturer = step.kind == StepKind::ReleaseDecision
            || !role.allowed_in(cellpath_domain::OrgKind::HealthSystem);
        let found = if manufacturer {
            self.manufacturer.get(&role).into_iter().collect::<Vec<_>>()
        } else {
            self.health_system
                .get(&role)
                .map(|v| v.iter().collect())
                .unwrap_or_default()
        };
        found
            .into_iter()
            .find(|c| {
                c.principal
                    .as_ref()
                    .is_some_and(|p| !not.contains(&p.user_id))
            })
            .ok_or_else(|| AppError::Internal(format!("demo: no one else to do {}", step.name)))
    }
}

/// The second nurse of Lakeshore's inpatient unit (made with the organizations' people).
pub(super) const SECOND_NURSE: &str = "nurse.nights@lakeshore.example";

/// What a case's labels read: the collection's DIN, the manufacturer's order and each unit's
/// lot number (the CAR-T map's two bags, the in-vivo map's vial kit), numbered by the case's
/// place among the cases driven.
#[derive(Clone)]
pub struct Labels {
    pub din: String,
    pub order: String,
    pub lots: BTreeMap<String, String>,
}

impl Labels {
    pub fn numbered(n: usize) -> Labels {
        Labels {
            // W1234: an example facility identification number (DOMAIN.md); 26: the year.
            din: format!("W1234 26 {:06}", 200 + n),
            order: format!("HLX-ORD-{}", 41000 + n),
            lots: ["cd4", "cd8", "dose"]
                .into_iter()
                .map(|u| {
                    (
                        u.to_string(),
                        format!("LOT-HX-{}-{}", 25000 + n, u.to_uppercase()),
                    )
                })
                .collect(),
        }
    }

    /// Corvigen's labels (Northbridge's order and the vial kit's lot), numbered as above.
    pub fn corvigen(n: usize) -> Labels {
        Labels {
            din: format!("W1234 26 {:06}", 600 + n),
            order: format!("NBG-ORD-{}", 7100 + n),
            lots: [("dose".to_string(), format!("LOT-NB-{}-KIT", 3300 + n))]
                .into_iter()
                .collect(),
        }
    }
}

/// A turn taken differently from the careful path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Twist {
    /// The first handoff's scan reads another patient's bag (refused, a deviation on record).
    ScanMismatch,
    /// The released product's first handoff (the shipment; an in-vivo kit's receipt) comes
    /// with a temperature excursion.
    Excursion,
    /// The CD8 bag is given after its thaw window closed, with a signed deviation.
    LateInfusion,
}

/// Do the next open step of the case, unless it is `stop`; the step done, or `None` when
/// nothing was (the case is done, stopped or on hold, or `stop` is next). The caller moves the
/// clock between steps: a unit given after its thaw window closed gets the signed deviation.
pub(crate) async fn next(
    app: &App,
    people: &People,
    case_id: &str,
    labels: &Labels,
    twists: &[Twist],
    stop: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(next) = plan_next(app, people, case_id, labels, twists, stop).await? else {
        return Ok(None);
    };
    for action in next.actions {
        let done = app
            .act_on_case(
                &action.by,
                case_id,
                action.input,
                &people.password,
                None,
                None,
            )
            .await;
        if !action.refused {
            done?;
        }
    }
    Ok(Some(next.step))
}

/// The next open step of a case as its people take it: the actions in order, each by whom.
pub struct NextStep {
    /// The step's key.
    pub step: String,
    /// The labels added as they come to exist and the benefits verified before consent, then
    /// the step itself (after a twist's scan of the wrong bag, which the engine refuses).
    pub actions: Vec<Planned>,
}

/// One action of a step, by the person who takes it.
pub struct Planned {
    pub by: Caller,
    pub input: CaseInput,
    /// A twist's wrong scan: refused by the engine (a deviation written), not a failure.
    pub refused: bool,
}

/// Plan the next open step of the case, unless it is `stop`, as `next` does it: `None` when
/// nothing is to be done (the case is done, stopped or on hold, or `stop` is next). Nothing is
/// written; each action is meant to be sent in order, the signed ones with the people's
/// password.
pub async fn plan_next(
    app: &App,
    people: &People,
    case_id: &str,
    labels: &Labels,
    twists: &[Twist],
    stop: Option<&str>,
) -> Result<Option<NextStep>, AppError> {
    let (loaded, _) = app.load_case(&people.coordinator, case_id).await?;
    if loaded.case.status != CaseStatus::Active {
        return Ok(None);
    }
    let case = &loaded.case;
    let Some(open) = available(&loaded.map, case).into_iter().next() else {
        return Ok(None);
    };
    if stop == Some(open.step.as_str()) {
        return Ok(None);
    }
    let step = loaded
        .map
        .map()
        .step(&open.step)
        .cloned()
        .ok_or_else(|| AppError::Internal(format!("demo: no step {}", open.step)))?;
    let role = loaded.map.role_of(&step);
    // As the engine reads it: every release decision of the map released (a map without one,
    // the in-vivo kit's, hands off the product units from the start).
    let released = loaded
        .map
        .map()
        .steps()
        .filter(|s| s.kind == StepKind::ReleaseDecision)
        .all(|s| case.usable_release(&s.key));
    // The released product's first handoff: no unit has a holder yet.
    let first_of_product = released && !case.holders.keys().any(|i| matches!(i, Item::Unit(_)));
    let now = app.now();
    // The labels as they come to exist: the order at enrollment, the DIN at collection, each
    // unit's lot at release.
    let add = |kind, text: &str, unit: Option<&str>| CaseInput::AddIdentifier {
        kind,
        text: text.into(),
        unit: unit.map(str::to_string),
    };
    let has = |kind: IdentifierKind| case.identifiers.iter().any(|i| i.kind == kind);
    // Each unit's lot number, added by the manufacturer once the product is released.
    let lots = |case: &cellpath_domain::journey::Case| -> Vec<(Role, CaseInput)> {
        labels
            .lots
            .iter()
            .filter(|(u, _)| case.units.contains_key(*u))
            .map(|(u, lot)| {
                (
                    Role::PatientOps,
                    add(IdentifierKind::LotNumber, lot, Some(u)),
                )
            })
            .collect()
    };
    let pre: Vec<(Role, CaseInput)> = match step.key.as_str() {
        "apheresis_scheduling" | "receipt_and_storage"
            if !has(IdentifierKind::ManufacturerOrderId) =>
        {
            let mut pre = vec![(
                Role::PatientOps,
                add(IdentifierKind::ManufacturerOrderId, &labels.order, None),
            )];
            if first_of_product && !has(IdentifierKind::LotNumber) {
                pre.extend(lots(case));
            }
            pre
        }
        "courier_handoff" if !has(IdentifierKind::Isbt128Din) => vec![(
            Role::Apheresis,
            add(IdentifierKind::Isbt128Din, &labels.din, None),
        )],
        _ if first_of_product
            && step.kind == StepKind::CustodyHandoff
            && !has(IdentifierKind::LotNumber) =>
        {
            lots(case)
        }
        // Finance verifies the benefits once the benefits check is charted.
        "consent" if case.benefits.is_none() => {
            let today = Date::of_micros(now);
            vec![(
                Role::Finance,
                CaseInput::VerifyBenefits {
                    payer: "Great Lakes Health Plan".into(),
                    plan: "PPO Gold".into(),
                    prior_authorization: PriorAuthorization {
                        status: PriorAuthorizationStatus::Approved,
                        requested_on: today.plus_days(-4),
                        decided_on: Some(today),
                        reference: format!(
                            "PA-2026-{}",
                            118_000 + labels.din[12..].parse::<u32>().unwrap_or(0)
                        ),
                    },
                },
            )]
        }
        _ => Vec::new(),
    };
    let mut actions = Vec::new();
    for (role, input) in pre {
        actions.push(Planned {
            by: people.one(&step, role, &[])?.clone(),
            input,
            refused: false,
        });
    }
    // A step resting on the patient's consent: the consent first, against the site's active
    // consent version, taken by the coordinator.
    if step.params.consent && case.consent.is_none() {
        let row = &loaded.row;
        let (input, _) =
            consent_input(app, &row.partnership_id, &row.site_id, &row.program_id).await?;
        actions.push(Planned {
            by: people.one(&step, Role::Coordinator, &[])?.clone(),
            input,
            refused: false,
        });
    }
    let current = case.current(&step.key);
    let first = !current.is_some_and(|a| a.is_begun());
    let (fields, attestation) = if !first {
        (BTreeMap::new(), None)
    } else if step.recorded_in == RecordedIn::Ehr {
        (
            BTreeMap::new(),
            Some(EhrAttestation {
                reference: format!("EPIC-{}-{}", step.key.to_uppercase(), &case_id[5..11]),
                charted_at: now,
            }),
        )
    } else {
        (
            step.params
                .fields
                .iter()
                .map(|f| (f.clone(), super::cases::value_of(f).to_string()))
                .collect(),
            None,
        )
    };
    let key = step.key.clone();
    let mut not = Vec::new();
    let (role, input) = match step.kind {
        StepKind::Record => (
            role,
            CaseInput::Record {
                step: key,
                fields,
                attestation,
            },
        ),
        StepKind::Schedule => (
            role,
            CaseInput::Schedule {
                step: key,
                fields,
                attestation,
                on: Date::of_micros(now).plus_days(10),
                slot: Some("morning".into()),
            },
        ),
        StepKind::CustodyHandoff => {
            let item = if released {
                case.units
                    .keys()
                    .next()
                    .map(|u| Item::Unit(u.clone()))
                    .unwrap_or(Item::StartingMaterial)
            } else {
                Item::StartingMaterial
            };
            let to = match key.as_str() {
                "courier_handoff" | "shipment" => "Polar Courier",
                "manufacturing_receipt" => "Helixa manufacturing, Rockford",
                _ if role == Role::Pharmacy => "Lakeshore investigational pharmacy",
                _ => "Lakeshore cell lab",
            };
            // Who holds it before its first handoff: the apheresis unit (the collection), the
            // manufacturer (a product shipped by courier), the courier (a kit delivered).
            let from = case.holders.get(&item).cloned().unwrap_or_else(|| {
                match (released, to) {
                    (false, _) => "Lakeshore apheresis unit",
                    (true, "Polar Courier") => "Helixa manufacturing, Rockford",
                    (true, _) => "Polar Courier",
                }
                .into()
            });
            let scan = if released {
                let lot = labels.lots.values().next().cloned().unwrap_or_default();
                ScanInput {
                    expected: IdentifierKind::LotNumber,
                    text: lot,
                }
            } else {
                ScanInput {
                    expected: IdentifierKind::Isbt128Din,
                    text: labels.din.clone(),
                }
            };
            // The case's first handoff: the courier's (CAR-T) or the pharmacy's receipt of an
            // in-vivo kit.
            if case.holders.is_empty() && twists.contains(&Twist::ScanMismatch) {
                let wrong = if released {
                    ScanInput {
                        expected: IdentifierKind::LotNumber,
                        text: "LOT-NB-3299-KIT".into(),
                    }
                } else {
                    ScanInput {
                        expected: IdentifierKind::Isbt128Din,
                        text: "W1234 26 000017".into(),
                    }
                };
                let other = CaseInput::Handoff {
                    step: key.clone(),
                    fields: fields.clone(),
                    attestation: attestation.clone(),
                    items: Vec::new(),
                    from: from.clone(),
                    to: to.into(),
                    location: None,
                    scan: Some(wrong),
                    temperature: Temperature::InRange,
                };
                // Refused, with the mismatch written as a deviation: the courier scans again.
                actions.push(Planned {
                    by: people.one(&step, role, &[])?.clone(),
                    input: other,
                    refused: true,
                });
            }
            let temperature = if first_of_product && twists.contains(&Twist::Excursion) {
                Temperature::Excursion {
                    reading_tenths_celsius: -1205,
                }
            } else {
                Temperature::InRange
            };
            (
                role,
                CaseInput::Handoff {
                    step: key,
                    fields,
                    attestation,
                    items: Vec::new(),
                    from,
                    to: to.into(),
                    location: None,
                    scan: Some(scan),
                    temperature,
                },
            )
        }
        StepKind::ReleaseDecision => (
            Role::Quality,
            CaseInput::Release {
                step: key,
                decision: ReleaseDecision::Released,
                certificate_reference: format!("COA-{}", labels.order),
                certificate_sha256: crate::ids::sha256_hex(&format!("COA-{}", labels.order)),
            },
        ),
        StepKind::HoldPoint => (
            role,
            CaseInput::PassHold {
                step: key,
                fields,
                attestation,
            },
        ),
        StepKind::Signature => {
            let spec = step
                .params
                .signatures
                .iter()
                .find(|spec| {
                    !current.is_some_and(|a| {
                        a.signatures
                            .iter()
                            .any(|s| s.by.role == Some(spec.role) && s.meaning == spec.meaning)
                    })
                })
                .ok_or_else(|| AppError::Internal(format!("demo: {} is signed", step.name)))?;
            (
                spec.role,
                CaseInput::Sign {
                    step: key,
                    meaning: spec.meaning,
                    fields,
                    attestation,
                },
            )
        }
        StepKind::DualVerification => {
            not = current
                .map(|a| {
                    a.verifications
                        .iter()
                        .map(|v| v.by.user_id.clone())
                        .collect()
                })
                .unwrap_or_default();
            let unit = step.params.unit.clone().unwrap_or_default();
            (
                role,
                CaseInput::Verify {
                    step: key,
                    scan: Some(ScanInput {
                        expected: IdentifierKind::LotNumber,
                        text: labels.lots.get(&unit).cloned().unwrap_or_default(),
                    }),
                    fields,
                    attestation,
                },
            )
        }
        StepKind::Thaw => (
            role,
            CaseInput::Thaw {
                step: key,
                fields,
                attestation,
            },
        ),
        StepKind::Administer => {
            let unit = step.params.unit.as_deref().and_then(|u| case.units.get(u));
            let late = unit
                .and_then(|u| u.thaw.as_ref())
                .is_some_and(|t| now > t.window_ends_at);
            (
                role,
                CaseInput::Administer {
                    step: key,
                    fields,
                    attestation,
                    disposition: Disposition::InfusedWhole,
                    late_reason: late.then(|| {
                        "the patient's transfer from imaging was delayed; the attending physician approved giving the bag".into()
                    }),
                },
            )
        }
        StepKind::Monitor => (
            role,
            CaseInput::Monitor {
                step: key,
                fields,
                attestation,
                from: Date::of_micros(now),
            },
        ),
        StepKind::FollowUp => (
            role,
            CaseInput::FollowUp {
                step: key,
                fields,
                attestation,
            },
        ),
        StepKind::Checklist => (
            role,
            CaseInput::Checklist {
                step: key,
                fields,
                attestation,
                ticked: step.params.items.clone(),
            },
        ),
    };
    actions.push(Planned {
        by: people.one(&step, role, &not)?.clone(),
        input,
        refused: false,
    });
    Ok(Some(NextStep {
        step: step.key,
        actions,
    }))
}

/// The patient's consent, signed today and witnessed, against the site's active consent
/// version for the program, and that version's number.
pub(super) async fn consent_input(
    app: &App,
    partnership_id: &str,
    site_id: &str,
    program_id: &str,
) -> Result<(CaseInput, i64), AppError> {
    let active = app
        .store
        .consent_versions_of(partnership_id, site_id, program_id)
        .await?
        .into_iter()
        .find(|v| v.status == cellpath_domain::consent::ConsentStatus::Active)
        .ok_or_else(|| {
            AppError::Internal("no active consent version to record the consent against".into())
        })?;
    Ok((
        CaseInput::RecordConsent {
            consent_version_id: active.id.clone(),
            consented_by: cellpath_domain::events::cases::ConsentGiver::Patient,
            signed_on: Date::of_micros(app.now()).as_str().into(),
            witness: "Marta Keel, RN".into(),
        },
        active.number,
    ))
}
