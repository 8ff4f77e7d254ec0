//! Each step kind's rule (DESIGN.md §4.1 table): what doing a step records, and when its
//! attempt is complete. Part of `decide`.

use super::case::Attempt;
use super::command::{Action, Entry, Handoff, LateAdministration, Scan};
use super::engine::{Decider, text};
use super::engine::{kind_part_done, product_released, remaining_signatures, still_needed};
use super::refusal::Refusal;
use super::units::{Disposition, Item, Temperature, Thaw, Unit, UnitState, celsius};
use crate::Date;
use crate::Role;
use crate::events::cases::{
    CaseEvent, CustodyRecorded, DeviationKind, DeviationRecorded, FormDue, Outcome, StepRecorded,
    StepSigned, StepSkipped, StepVerified,
};
use crate::org::OrgKind;
use crate::process_map::{Step, StepKind};
use crate::values::{Name, Notes};

impl Decider<'_> {
    pub(super) fn act(
        &self,
        key: &str,
        entry: &Entry,
        action: &Action,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        let expected = match action {
            Action::Record => StepKind::Record,
            Action::Handoff { .. } => StepKind::CustodyHandoff,
            Action::Release { .. } => StepKind::ReleaseDecision,
            Action::Schedule { .. } => StepKind::Schedule,
            Action::PassHold => StepKind::HoldPoint,
            Action::Thaw => StepKind::Thaw,
            Action::Administer { .. } => StepKind::Administer,
            Action::Monitor { .. } => StepKind::Monitor,
            Action::FollowUp => StepKind::FollowUp,
            Action::Checklist { .. } => StepKind::Checklist,
        };
        if step.kind != expected {
            return Err(Refusal::WrongCommand {
                step: step.name.clone(),
                kind: step.kind,
                what: what_to_do(step.kind),
            });
        }
        let role = self.step_role(step)?;
        let attempt = self.case.attempt_of(key);
        let current = self.case.current(key);
        if let Some(a) = current
            && kind_part_done(step, a)
        {
            return Err(Refusal::AlreadyRecorded {
                step: step.name.clone(),
                attempt,
                waiting: still_needed(self.map, step, a),
            });
        }
        self.entry(step, true, entry)?;
        let record = |outcome: Outcome| -> CaseEvent {
            StepRecorded {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt,
                by: self.by(Some(role)),
                at: self.now,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
                outcome,
            }
            .into()
        };
        let events = match action {
            Action::Record => vec![record(Outcome::Recorded)],
            Action::PassHold => vec![record(Outcome::HoldPassed)],
            Action::Handoff(handoff) => self.handoff(step, role, attempt, entry, handoff)?,
            Action::Release {
                decision,
                certificate_reference,
                certificate_sha256,
            } => {
                let reference = text(
                    "the certificate reference",
                    Name::parse(certificate_reference),
                )?;
                let hash = certificate_sha256.trim().to_ascii_lowercase();
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Refusal::BadValue {
                        what: "the certificate's SHA-256".into(),
                        problem:
                            "it is 64 hexadecimal digits (the hash of the certificate document)"
                                .into(),
                    });
                }
                vec![record(Outcome::Released {
                    decision: *decision,
                    certificate_reference: reference.into_string(),
                    certificate_sha256: hash,
                })]
            }
            Action::Schedule { on, slot } => {
                let today = Date::of_micros(self.now);
                if *on < today {
                    return Err(Refusal::BadValue {
                        what: format!("the date of {}", step.name),
                        problem: format!("{on} is in the past (today is {today})"),
                    });
                }
                let slot = match slot {
                    Some(s) => Some(text("the slot", Name::parse(s))?.into_string()),
                    None => None,
                };
                vec![record(Outcome::Scheduled {
                    on: on.clone(),
                    slot,
                })]
            }
            Action::Thaw => {
                let unit = self.unit_of(step)?;
                if !product_released(self.map.map(), self.case) {
                    return Err(Refusal::NotReleased {
                        what: format!("thawing {}", unit.name),
                    });
                }
                if unit.state() != UnitState::Frozen {
                    return Err(Refusal::UnitState {
                        unit: unit.name.clone(),
                        state: unit_state_words(unit),
                    });
                }
                let minutes = self
                    .map
                    .map()
                    .thaw_window_minutes(key)
                    .expect("a valid map's thaw step has a window");
                let thaw = Thaw::new(self.now, minutes);
                vec![record(Outcome::Thawed {
                    unit: unit.key.clone(),
                    window_ends_at: thaw.window_ends_at,
                })]
            }
            Action::Administer { disposition, late } => {
                self.administer(step, disposition, late.as_ref(), record)?
            }
            Action::Monitor { from } => {
                let days = step
                    .params
                    .monitoring_days
                    .expect("a valid map's monitor step has its days");
                vec![record(Outcome::MonitoringOpened {
                    from: from.clone(),
                    until: from.plus_days(i64::from(days)),
                })]
            }
            Action::FollowUp => {
                let infused = self.case.first_infusion().ok_or(Refusal::NotInfused)?;
                let day = Date::of_micros(infused);
                let (forms, visits) = crate::registry::schedule(&day, &step.params);
                vec![record(Outcome::FollowUpScheduled {
                    infused_on: day,
                    forms: forms
                        .into_iter()
                        .map(|f| FormDue {
                            form: f.form,
                            due_on: f.due_on,
                        })
                        .collect(),
                    visits,
                })]
            }
            Action::Checklist { ticked } => {
                let unknown: Vec<String> = ticked
                    .iter()
                    .filter(|t| !step.params.items.contains(t))
                    .cloned()
                    .collect();
                if !unknown.is_empty() {
                    return Err(Refusal::BadValue {
                        what: format!("the checklist of {}", step.name),
                        problem: format!("it has no item {}", unknown.join(", ")),
                    });
                }
                let open: Vec<String> = step
                    .params
                    .items
                    .iter()
                    .filter(|i| !ticked.contains(i))
                    .cloned()
                    .collect();
                if !open.is_empty() {
                    return Err(Refusal::BadValue {
                        what: format!("the checklist of {}", step.name),
                        problem: format!("tick {} too", open.join(", ")),
                    });
                }
                vec![record(Outcome::Checked {
                    items: step.params.items.clone(),
                })]
            }
        };
        Ok(self.scheduling(self.completing(step, events)))
    }

    pub(super) fn unit_of(&self, step: &Step) -> Result<&Unit, Refusal> {
        let key = step
            .params
            .unit
            .as_deref()
            .expect("a valid map's thaw and administer steps name a unit");
        self.case.units.get(key).ok_or_else(|| Refusal::BadValue {
            what: step.name.clone(),
            problem: format!("unit {key} is not a unit this case was opened with"),
        })
    }

    pub(super) fn administer(
        &self,
        step: &Step,
        disposition: &Disposition,
        late: Option<&LateAdministration>,
        record: impl Fn(Outcome) -> CaseEvent,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let unit = self.unit_of(step)?;
        if unit.state() == UnitState::Ended {
            return Err(Refusal::UnitState {
                unit: unit.name.clone(),
                state: unit_state_words(unit),
            });
        }
        match disposition {
            Disposition::InfusedInPart { volume_ml: 0 } => {
                return Err(Refusal::BadValue {
                    what: format!("the volume of {} infused", unit.name),
                    problem: "more than 0 mL, or record it as not infused".into(),
                });
            }
            other => {
                if let Some(reason) = other.reason() {
                    text("the reason", Notes::parse(reason))?;
                }
            }
        }
        let outcome = Outcome::Administered {
            unit: unit.key.clone(),
            disposition: disposition.clone(),
        };
        if !disposition.infused() {
            if late.is_some() {
                return Err(Refusal::DeviationNotNeeded {
                    unit: unit.name.clone(),
                });
            }
            return Ok(vec![record(outcome)]);
        }
        let thaw = unit.thaw.ok_or_else(|| Refusal::NotThawed {
            unit: unit.name.clone(),
        })?;
        if thaw.is_open(self.now) {
            return match late {
                Some(_) => Err(Refusal::DeviationNotNeeded {
                    unit: unit.name.clone(),
                }),
                None => Ok(vec![record(outcome)]),
            };
        }
        let Some(late) = late else {
            return Err(Refusal::WindowClosed {
                unit: unit.name.clone(),
                minutes: thaw.minutes_late(self.now).max(0),
            });
        };
        if !late.password_reentered {
            return Err(Refusal::PasswordNeeded);
        }
        let reason = text("the reason for giving it late", Notes::parse(&late.reason))?;
        let deviation = DeviationRecorded {
            case_id: self.case.id.clone(),
            kind: DeviationKind::ThawWindow,
            step: Some(step.key.clone()),
            attempt: Some(self.case.attempt_of(&step.key)),
            unit: Some(unit.key.clone()),
            reason: format!(
                "{} given {} minutes after its thaw window closed: {reason}",
                unit.name,
                thaw.minutes_late(self.now)
            ),
            signed: true,
            by: self.by(Some(self.map.role_of(step))),
            at: self.now,
        };
        Ok(vec![deviation.into(), record(outcome)])
    }

    pub(super) fn handoff(
        &self,
        step: &Step,
        role: Role,
        attempt: u32,
        entry: &Entry,
        handoff: &Handoff,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let Handoff {
            items,
            from,
            to,
            location,
            scan,
            temperature,
        } = handoff;
        let from = text("who hands it over", Name::parse(from))?.into_string();
        let to = text("who takes it", Name::parse(to))?.into_string();
        if from == to {
            return Err(Refusal::BadValue {
                what: step.name.clone(),
                problem: format!("{from} hands it to itself: name who takes it"),
            });
        }
        let location = match (location, &step.params.location) {
            (Some(given), _) => {
                text("where the handoff happens", Name::parse(given))?.into_string()
            }
            (None, Some(mapped)) => mapped.clone(),
            (None, None) => {
                return Err(Refusal::BadValue {
                    what: step.name.clone(),
                    problem: "the map names no location for this handoff: say where it happens"
                        .into(),
                });
            }
        };
        let released = product_released(self.map.map(), self.case);
        let items: Vec<Item> = if items.is_empty() {
            if released {
                self.case
                    .units
                    .values()
                    .filter(|u| u.state() != UnitState::Ended)
                    .map(|u| Item::Unit(u.key.clone()))
                    .collect()
            } else {
                vec![Item::StartingMaterial]
            }
        } else {
            let mut i = items.to_vec();
            i.sort();
            i.dedup();
            i
        };
        for item in &items {
            if let Item::Unit(key) = item {
                let unit = self.case.units.get(key).ok_or_else(|| Refusal::BadValue {
                    what: step.name.clone(),
                    problem: format!("{key} is not a unit of this product"),
                })?;
                if !released {
                    return Err(Refusal::NotReleased {
                        what: format!("handing off {}", unit.name),
                    });
                }
                if unit.state() == UnitState::Ended {
                    return Err(Refusal::UnitState {
                        unit: unit.name.clone(),
                        state: unit_state_words(unit),
                    });
                }
            }
            if let Some(holder) = self.case.holders.get(item)
                && *holder != from
            {
                return Err(Refusal::NotHolder {
                    item: item.to_string(),
                    holder: holder.clone(),
                    from,
                });
            }
        }
        if items.is_empty() {
            return Err(Refusal::BadValue {
                what: step.name.clone(),
                problem: "every unit has ended: there is nothing to hand off".into(),
            });
        }
        let unit = match items.as_slice() {
            [Item::Unit(k)] => Some(k.clone()),
            _ => None,
        };
        let scanned = self.scan(step, scan.as_ref(), unit.as_deref())?;
        let by = self.by(Some(role));
        let mut events: Vec<CaseEvent> = vec![
            CustodyRecorded {
                case_id: self.case.id.clone(),
                step: step.key.clone(),
                attempt,
                items,
                from,
                to,
                location,
                by: by.clone(),
                at: self.now,
                scanned,
                temperature: *temperature,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        if let Temperature::Excursion {
            reading_tenths_celsius,
        } = temperature
        {
            events.push(
                DeviationRecorded {
                    case_id: self.case.id.clone(),
                    kind: DeviationKind::TemperatureExcursion,
                    step: Some(step.key.clone()),
                    attempt: Some(attempt),
                    unit,
                    reason: format!(
                        "temperature excursion at {}: {} read",
                        step.name,
                        celsius(*reading_tenths_celsius)
                    ),
                    signed: false,
                    by,
                    at: self.now,
                }
                .into(),
            );
        }
        Ok(events)
    }

    pub(super) fn sign(
        &self,
        key: &str,
        meaning: crate::process_map::SignatureMeaning,
        password_reentered: bool,
        entry: &Entry,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if step.params.signatures.is_empty() {
            return Err(Refusal::NoSignatureAsked {
                step: step.name.clone(),
            });
        }
        let current = self.case.current(key);
        if step.kind != StepKind::Signature && !current.is_some_and(|a| kind_part_done(step, a)) {
            return Err(Refusal::NothingToSign {
                step: step.name.clone(),
            });
        }
        if let Some(a) = current
            && a.signatures
                .iter()
                .any(|s| s.by.user_id == self.actor.user_id)
        {
            return Err(Refusal::AlreadySigned {
                step: step.name.clone(),
                name: self.actor.name.clone(),
            });
        }
        let remaining = remaining_signatures(step, current);
        let Some(spec) = remaining
            .iter()
            .find(|s| s.meaning == meaning && self.actor.holds(s.role))
        else {
            return Err(Refusal::SignatureNotAsked {
                step: step.name.clone(),
                meaning,
                holds: self.actor.roles.clone(),
                remaining: remaining
                    .iter()
                    .map(|s| format!("{} by the {}", s.meaning, s.role.as_str().replace('_', " ")))
                    .collect(),
            });
        };
        let side = if spec.role.allowed_in(OrgKind::HealthSystem) {
            OrgKind::HealthSystem
        } else {
            OrgKind::Manufacturer
        };
        self.side(&step.name, side)?;
        if !password_reentered {
            return Err(Refusal::PasswordNeeded);
        }
        let first = step.kind == StepKind::Signature && !current.is_some_and(Attempt::is_begun);
        self.entry(step, first, entry)?;
        let events = vec![
            StepSigned {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                by: self.by(Some(spec.role)),
                meaning,
                at: self.now,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        Ok(self.completing(step, events))
    }

    pub(super) fn verify(
        &self,
        key: &str,
        scan: Option<&Scan>,
        entry: &Entry,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if step.kind != StepKind::DualVerification {
            return Err(Refusal::WrongCommand {
                step: step.name.clone(),
                kind: step.kind,
                what: what_to_do(step.kind),
            });
        }
        let role = self.step_role(step)?;
        let current = self.case.current(key);
        if let Some(a) = current {
            if a.verifications
                .iter()
                .any(|v| v.by.user_id == self.actor.user_id)
            {
                return Err(Refusal::SameVerifier {
                    step: step.name.clone(),
                    name: self.actor.name.clone(),
                });
            }
            if kind_part_done(step, a) {
                return Err(Refusal::AlreadyRecorded {
                    step: step.name.clone(),
                    attempt: self.case.attempt_of(key),
                    waiting: still_needed(self.map, step, a),
                });
            }
        }
        self.entry(step, !current.is_some_and(Attempt::is_begun), entry)?;
        if let Some(u) = step.params.unit.as_deref() {
            let unit = self.unit_of(step)?;
            if unit.state() == UnitState::Ended {
                return Err(Refusal::UnitState {
                    unit: unit.name.clone(),
                    state: unit_state_words(unit),
                });
            }
            debug_assert_eq!(u, unit.key);
        }
        let scanned = self.scan(step, scan, step.params.unit.as_deref())?;
        let events = vec![
            StepVerified {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                by: self.by(Some(role)),
                at: self.now,
                scanned,
                fields: entry.fields.clone(),
                attestation: entry.attestation.clone(),
            }
            .into(),
        ];
        Ok(self.completing(step, events))
    }

    pub(super) fn skip(&self, key: &str, reason: &str) -> Result<Vec<CaseEvent>, Refusal> {
        let step = self.open_step(key)?;
        if !step.optional {
            return Err(Refusal::NotOptional {
                step: step.name.clone(),
            });
        }
        let role = self.step_role(step)?;
        if self.case.current(key).is_some_and(Attempt::is_begun) {
            return Err(Refusal::AlreadyRecorded {
                step: step.name.clone(),
                attempt: self.case.attempt_of(key),
                waiting: self
                    .case
                    .current(key)
                    .map(|a| still_needed(self.map, step, a))
                    .unwrap_or_default(),
            });
        }
        let reason = text("the reason for leaving it out", Notes::parse(reason))?;
        Ok(vec![
            StepSkipped {
                case_id: self.case.id.clone(),
                step: key.to_string(),
                attempt: self.case.attempt_of(key),
                reason: reason.into_string(),
                by: self.by(Some(role)),
                at: self.now,
            }
            .into(),
        ])
    }
}

pub(super) fn unit_state_words(unit: &Unit) -> String {
    match (&unit.thaw, &unit.disposition) {
        (_, Some(d)) => format!("ended ({d})"),
        (Some(_), None) => "already thawed".into(),
        (None, None) => "still frozen".into(),
    }
}

fn what_to_do(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Signature => "sign it",
        StepKind::DualVerification => "two different people verify it",
        StepKind::Record => "record its fields",
        StepKind::CustodyHandoff => "record the handoff",
        StepKind::ReleaseDecision => "record the release decision",
        StepKind::Schedule => "book its date",
        StepKind::HoldPoint => "start the held work once its condition is met",
        StepKind::Thaw => "record the thaw",
        StepKind::Administer => "record the administration",
        StepKind::Monitor => "open the monitoring period",
        StepKind::FollowUp => "schedule the follow-up",
        StepKind::Checklist => "tick its items",
    }
}
