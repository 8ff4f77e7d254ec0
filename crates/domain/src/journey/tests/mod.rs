//! Test builders for the journey engine: the seeded maps as case maps, the people of a demo
//! site and manufacturer, a `Run` that applies commands the way the app will (decide, then
//! fold the events — including a refusal's recorded deviation), and the valid command for any
//! step, which the table tests and the property test both use.

mod adverse;
mod case_moves;
mod kinds;
mod properties;
mod registry;

use super::*;
use crate::events::cases::{CaseEvent, CasePatient, EhrAttestation, ReleaseDecision};
use crate::org::OrgKind;
use crate::process_map::{ProcessMap, Step, StepKind, seeds, validate};
use crate::program::IdentifierKind;
use crate::{Date, Role};

pub(super) const T0: Micros = 1_796_000_000_000_000; // 2026-11-29

pub(super) fn car_t() -> CaseMap {
    let (map, ctx) = seeds::autologous_car_t();
    CaseMap::new(validate(&map, &ctx).expect("the seed is valid"))
}

pub(super) fn in_vivo() -> CaseMap {
    let (map, ctx) = seeds::in_vivo_gene_therapy();
    CaseMap::new(validate(&map, &ctx).expect("the seed is valid"))
}

pub(super) fn person(id: &str, org: OrgKind, roles: &[Role]) -> Actor {
    Actor {
        user_id: id.into(),
        name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
        org,
        roles: roles.to_vec(),
    }
}

/// The people of the demo: two of the bedside and signing roles, so four-eyes rules can be met.
pub(super) fn people() -> Vec<Actor> {
    use OrgKind::*;
    use Role::*;
    vec![
        person("carla", HealthSystem, &[Coordinator]),
        person("pavel", HealthSystem, &[Physician]),
        person("priya", HealthSystem, &[Physician]),
        person("nina", HealthSystem, &[Nurse]),
        person("noah", HealthSystem, &[Nurse]),
        person("celia", HealthSystem, &[CellLab]),
        person("arun", HealthSystem, &[Apheresis]),
        person("fatima", HealthSystem, &[Finance]),
        person("phil", HealthSystem, &[Pharmacy]),
        person("petra", HealthSystem, &[Pharmacy]),
        person("dana", HealthSystem, &[DataManager]),
        person("hugo", HealthSystem, &[Quality]),
        person("olga", Manufacturer, &[PatientOps]),
        person("quinn", Manufacturer, &[Quality]),
    ]
}

pub(super) fn who(id: &str) -> Actor {
    people()
        .into_iter()
        .find(|p| p.user_id == id)
        .expect("one of the demo people")
}

/// The labels of case VAN-LUH-0042: its chain of identity identifier, the DIN of its
/// collection and the manufacturer's order id.
pub(super) const COI: &str = "&/CHW123426A1B2C3";
pub(super) const DIN: &str = "W1234 26 000012";
pub(super) const ORDER: &str = "ORD-7781";
/// Another patient's bag.
pub(super) const OTHER_DIN: &str = "W1234 26 000017";

/// A case being run: the map, the state folded from the log, and the clock.
pub(super) struct Run {
    pub map: CaseMap,
    pub case: Case,
    pub log: Vec<CaseEvent>,
    pub now: Micros,
}

impl Run {
    pub fn new(map: CaseMap) -> Run {
        Run {
            map,
            case: Case::default(),
            log: Vec::new(),
            now: T0,
        }
    }

    /// A case opened with its three labels on record.
    pub fn opened(map: CaseMap) -> Run {
        let mut run = Run::new(map);
        run.ok("carla", open("VAN-LUH-0042"));
        for (kind, text) in [
            (IdentifierKind::Isbt128Coi, COI),
            (IdentifierKind::Isbt128Din, DIN),
            (IdentifierKind::ManufacturerOrderId, ORDER),
        ] {
            run.ok(
                "carla",
                Command::AddIdentifier {
                    kind,
                    text: text.into(),
                    unit: None,
                },
            );
        }
        run
    }

    pub fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<CaseEvent>, Refusal> {
        decide(&self.map, &self.case, command, actor, self.now)
    }

    /// Apply as the app does: the events of an accepted command, or the deviation a refusal
    /// asks to record.
    pub fn apply(&mut self, actor: &Actor, command: &Command) -> Result<Vec<CaseEvent>, Refusal> {
        let result = self.decide(actor, command);
        let events: Vec<CaseEvent> = match &result {
            Ok(events) => events.clone(),
            Err(refusal) => refusal.recorded().cloned().into_iter().collect(),
        };
        for e in &events {
            self.case = evolve(std::mem::take(&mut self.case), e);
        }
        self.log.extend(events);
        result
    }

    #[track_caller]
    pub fn ok(&mut self, actor: &str, command: Command) -> Vec<CaseEvent> {
        let actor = who(actor);
        self.apply(&actor, &command)
            .unwrap_or_else(|r| panic!("{command:?} by {} refused: {r}", actor.name))
    }

    #[track_caller]
    pub fn refused(&mut self, actor: &str, command: Command) -> Refusal {
        let actor = who(actor);
        match self.apply(&actor, &command) {
            Ok(events) => panic!("{command:?} by {} accepted: {events:?}", actor.name),
            Err(r) => r,
        }
    }

    pub fn wait(&mut self, minutes: i64) {
        self.now += command::minutes(minutes);
    }

    pub fn step(&self, key: &str) -> &Step {
        self.map.map().step(key).expect("a step of the map")
    }

    /// Do every step up to (not including) `stop` with valid commands, in the map's order.
    #[track_caller]
    pub fn through(&mut self, stop: &str) {
        while !self.case.done().contains(stop) {
            let next = available(&self.map, &self.case);
            let Some(step) = next.iter().find(|a| a.step != stop) else {
                assert!(
                    next.iter().any(|a| a.step == stop),
                    "stuck before {stop}: {:?}",
                    self.case.status
                );
                return;
            };
            let step = self.step(&step.step).clone();
            self.wait(5);
            let (actor, command) =
                valid(&self.map, &self.case, &step, self.now).expect("a valid command exists");
            self.apply(&actor, &command)
                .unwrap_or_else(|r| panic!("valid {command:?} by {} refused: {r}", actor.name));
        }
    }

    /// Do `key` (and the steps it waits for) with valid commands.
    #[track_caller]
    pub fn done(&mut self, key: &str) {
        self.through(key);
        while !self.case.is_done(key) {
            let step = self.step(key).clone();
            let (actor, command) =
                valid(&self.map, &self.case, &step, self.now).expect("a valid command exists");
            self.apply(&actor, &command)
                .unwrap_or_else(|r| panic!("valid {command:?} by {} refused: {r}", actor.name));
        }
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.log.iter().map(CaseEvent::kind).collect()
    }
}

pub(super) fn open(pseudonym: &str) -> Command {
    Command::Open(OpenCase {
        case_id: "case_42".into(),
        partnership_id: "partnership_1".into(),
        site_id: "site_1".into(),
        program_id: "program_1".into(),
        map_version_id: "site_map_version_1".into(),
        pseudonym: pseudonym.into(),
        patient: CasePatient {
            initials: "JD".into(),
            birth_year: 1961,
            identity_sha256: "0".repeat(64),
            registration: "1".repeat(64),
        },
        identifier_kinds: vec![
            IdentifierKind::Isbt128Coi,
            IdentifierKind::Isbt128Din,
            IdentifierKind::ManufacturerOrderId,
        ],
    })
}

/// The entry a step's first command carries: each listed field, or the EHR attestation.
pub(super) fn entry_for(step: &Step, now: Micros) -> Entry {
    match step.recorded_in {
        crate::process_map::RecordedIn::Ehr => Entry {
            fields: Default::default(),
            attestation: Some(EhrAttestation {
                reference: format!("EPIC-{}", step.key.to_uppercase()),
                charted_at: now,
            }),
        },
        crate::process_map::RecordedIn::Cellpath => Entry {
            fields: step
                .params
                .fields
                .iter()
                .map(|f| (f.clone(), format!("{f} value")))
                .collect(),
            attestation: None,
        },
    }
}

/// The scan a careful person makes at a step: the collection's DIN before release, the
/// chain of identity identifier on a product unit after.
pub(super) fn right_scan(case: &Case) -> Scan {
    let released = case.units.values().any(|u| u.thaw.is_some())
        || case.steps.iter().any(|(k, _)| case.usable_release(k));
    if released {
        Scan {
            expected: IdentifierKind::Isbt128Coi,
            text: COI.into(),
        }
    } else {
        Scan {
            expected: IdentifierKind::Isbt128Din,
            text: DIN.into(),
        }
    }
}

pub(super) fn sha() -> String {
    "ab".repeat(32)
}

/// The patient's consent on `case` against version 3 of its site and program, in `status`.
pub(super) fn consent_for(
    case: &Case,
    status: crate::consent::ConsentStatus,
    witness: &str,
) -> Command {
    use crate::consent::{ConsentStatus, ConsentVersionFacts};
    Command::RecordConsent(Box::new(Consent {
        version_id: "cns_3".into(),
        version_site_id: case.site_id.clone(),
        version_program_id: case.program_id.clone(),
        version: ConsentVersionFacts {
            number: 3,
            status,
            effective_on: Date::parse("2026-01-01").unwrap(),
            sections: vec![],
            retired_on: (status == ConsentStatus::Retired)
                .then(|| Date::parse("2026-06-30").unwrap()),
        },
        document_sha256: "ab".repeat(32),
        consented_by: crate::events::cases::ConsentGiver::Patient,
        signed_on: Date::parse("2026-07-01").unwrap(),
        witness: witness.into(),
    }))
}

/// A valid command for `step` as the case stands, and someone who may give it; `None` when no
/// one of the demo people can (every signer has signed). A step resting on the patient's
/// consent, before it is recorded: the consent, by the coordinator.
pub(super) fn valid(
    map: &CaseMap,
    case: &Case,
    step: &Step,
    now: Micros,
) -> Option<(Actor, Command)> {
    if step.params.consent && case.consent.is_none() {
        let coordinator = people().into_iter().find(|p| p.holds(Role::Coordinator))?;
        let active = crate::consent::ConsentStatus::Active;
        return Some((coordinator, consent_for(case, active, "Marta Keel, RN")));
    }
    let current = case.current(&step.key);
    let first = !current.is_some_and(Attempt::is_begun);
    let entry = if first {
        entry_for(step, now)
    } else {
        Entry::default()
    };
    let role = map.role_of(step);
    let holder = |role: Role, not: &[String]| {
        people().into_iter().find(|p| {
            p.holds(role)
                && !not.contains(&p.user_id)
                && (p.org == OrgKind::Manufacturer)
                    == (step.kind == StepKind::ReleaseDecision
                        || !role.allowed_in(OrgKind::HealthSystem))
        })
    };
    let act = |action: Action| {
        Some((
            holder(role, &[])?,
            Command::Act {
                step: step.key.clone(),
                entry: entry.clone(),
                action,
            },
        ))
    };
    match step.kind {
        StepKind::Record => act(Action::Record),
        StepKind::CustodyHandoff => {
            let released = map
                .map()
                .steps()
                .filter(|s| s.kind == StepKind::ReleaseDecision)
                .all(|s| case.usable_release(&s.key));
            let item = if released {
                case.units
                    .values()
                    .find(|u| u.state() != UnitState::Ended)
                    .map(|u| Item::Unit(u.key.clone()))
                    .unwrap_or(Item::StartingMaterial)
            } else {
                Item::StartingMaterial
            };
            let from = case
                .holders
                .get(&item)
                .cloned()
                .unwrap_or_else(|| "apheresis unit".into());
            act(Action::Handoff(Handoff {
                items: vec![],
                from,
                to: format!("custodian after {}", step.key),
                scan: Some(right_scan(case)),
                temperature: Temperature::InRange,
                location: None,
            }))
        }
        StepKind::ReleaseDecision => act(Action::Release {
            decision: ReleaseDecision::Released,
            certificate_reference: "CoA-2026-0042".into(),
            certificate_sha256: sha(),
        }),
        StepKind::Schedule => act(Action::Schedule {
            on: Date::of_micros(now).plus_days(7),
            slot: Some("morning".into()),
        }),
        StepKind::Signature => {
            let signed: Vec<String> = current
                .map(|a| a.signatures.iter().map(|s| s.by.user_id.clone()).collect())
                .unwrap_or_default();
            let remaining: Vec<_> = step
                .params
                .signatures
                .iter()
                .filter(|spec| {
                    !current.is_some_and(|a| {
                        a.signatures
                            .iter()
                            .any(|s| s.by.role == Some(spec.role) && s.meaning == spec.meaning)
                    })
                })
                .collect();
            let spec = remaining.first()?;
            Some((
                holder(spec.role, &signed)?,
                Command::Sign {
                    step: step.key.clone(),
                    meaning: spec.meaning,
                    password_reentered: true,
                    entry,
                },
            ))
        }
        StepKind::DualVerification => {
            let verified: Vec<String> = current
                .map(|a| {
                    a.verifications
                        .iter()
                        .map(|v| v.by.user_id.clone())
                        .collect()
                })
                .unwrap_or_default();
            Some((
                holder(role, &verified)?,
                Command::Verify {
                    step: step.key.clone(),
                    scan: Some(Scan {
                        expected: IdentifierKind::Isbt128Coi,
                        text: COI.into(),
                    }),
                    entry,
                },
            ))
        }
        StepKind::HoldPoint => act(Action::PassHold),
        StepKind::Thaw => act(Action::Thaw),
        StepKind::Administer => act(Action::Administer {
            disposition: Disposition::InfusedWhole,
            late: None,
        }),
        StepKind::Monitor => act(Action::Monitor {
            from: Date::of_micros(now),
        }),
        StepKind::FollowUp => act(Action::FollowUp),
        StepKind::Checklist => act(Action::Checklist {
            ticked: step.params.items.clone(),
        }),
    }
}

/// A map of one's own, for rules the seeds do not show.
pub(super) fn map_of(steps: Vec<Step>, ctx: crate::process_map::MapContext) -> CaseMap {
    CaseMap::new(validate(&ProcessMap { steps }, &ctx).expect("a valid test map"))
}
