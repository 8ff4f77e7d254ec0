//! Cases' projector: patients' identities (`patient.registered`, on the health system's
//! ledger) and cases (every `case.*` event, on the partnership's ledger). A case's row keeps
//! what lists show — pseudonym, site, program, the map version it runs on, its state, the step
//! it last finished — and a
//! version that counts its events; `case_events` indexes each event under its case, so the app
//! loads a case with one query and folds it with the journey engine's `evolve`.

use crate::StoreError;
use crate::project::{Bind, execute, invalid, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::cases::{CaseEvent, CaseState};
use cellpath_domain::events::patients::PatientRegistered;
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    hash: &str,
) -> Result<bool, StoreError> {
    if event.kind == PatientRegistered::KIND {
        let p: PatientRegistered = typed(event)?;
        let f = p.new;
        execute(
            tx,
            "INSERT INTO patients (id, org_id, site_id, name, date_of_birth, mrn, salt, registration, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)",
            vec![
                Bind::Text(p.id),
                Bind::Text(event.ledger_id.clone()),
                Bind::Text(f.site_id),
                Bind::Text(f.name),
                Bind::Text(f.date_of_birth.into()),
                Bind::Text(f.mrn),
                Bind::Text(f.salt),
                Bind::Text(hash.to_string()),
                Bind::Int(event.recorded_at),
            ],
        )
        .await?;
        return Ok(true);
    }
    let Some(read) = CaseEvent::read(&event.kind, &event.payload) else {
        return Ok(false);
    };
    let case_event = read.map_err(|e| invalid(event, format!("does not fit its type: {e}")))?;
    let case_id = case_event.case_id().to_string();
    if let CaseEvent::Opened(o) = &case_event {
        let f = &o.new;
        execute(
            tx,
            "INSERT INTO cases (id, partnership_id, site_id, program_id, map_version_id, pseudonym, initials, birth_year, identity_sha256, patient_registration, status, opened_at, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13)",
            vec![
                Bind::Text(case_id.clone()),
                Bind::Text(f.partnership_id.clone()),
                Bind::Text(f.site_id.clone()),
                Bind::Text(f.program_id.clone()),
                Bind::Text(f.map_version_id.clone()),
                Bind::Text(f.pseudonym.clone()),
                Bind::Text(f.patient.initials.clone()),
                Bind::Int(i64::from(f.patient.birth_year)),
                Bind::Text(f.patient.identity_sha256.clone()),
                Bind::Text(f.patient.registration.clone()),
                Bind::Text(CaseState::Active.as_str().into()),
                Bind::Int(f.opened_at),
                Bind::Int(event.recorded_at),
            ],
        )
        .await?;
    } else {
        let mut sets = vec![
            "version = version + 1".to_string(),
            "updated_at = $2".into(),
        ];
        let mut binds = vec![Bind::Text(case_id.clone()), Bind::Int(event.recorded_at)];
        if let Some(state) = case_event.moves_to() {
            binds.push(Bind::Text(state.as_str().into()));
            sets.push(format!("status = ${}", binds.len()));
        }
        let finished = match &case_event {
            CaseEvent::StepCompleted(c) => Some((c.step.clone(), c.at)),
            CaseEvent::StepSkipped(s) => Some((s.step.clone(), s.at)),
            _ => None,
        };
        if let Some((step, at)) = finished {
            binds.push(Bind::Text(step));
            sets.push(format!("last_step = ${}", binds.len()));
            binds.push(Bind::Int(at));
            sets.push(format!("last_step_at = ${}", binds.len()));
        }
        if let Some((set, at)) = super::figures::milestone_set(&case_event) {
            binds.push(Bind::Int(at));
            sets.push(set.replace("$N", &format!("${}", binds.len())));
        }
        if let CaseEvent::Migrated(m) = &case_event {
            binds.push(Bind::Text(m.to_version_id.clone()));
            sets.push(format!("map_version_id = ${}", binds.len()));
        }
        let sql = format!("UPDATE cases SET {} WHERE id = $1", sets.join(", "));
        if execute(tx, &sql, binds).await? == 0 {
            return Err(StoreError::NotFound {
                kind: "case",
                id: case_id,
            });
        }
    }
    registry(tx, &case_event).await?;
    crate::safety::project::from_case(tx, event, &case_event).await?;
    crate::inbox::project::adverse_events(tx, &case_event).await?;
    execute(
        tx,
        "INSERT INTO case_events (ledger_id, seq, case_id) VALUES ($1, $2, $3)",
        vec![
            Bind::Text(event.ledger_id.clone()),
            Bind::Int(event.seq),
            Bind::Text(case_id),
        ],
    )
    .await?;
    Ok(true)
}

/// The case's registry forms (migration 0014): scheduled at the first infusion, each marked
/// when submitted, the open ones withdrawn when the case is cancelled. The case's row (already
/// there: a case's first event opens it) gives the site, program and pseudonym.
async fn registry(
    tx: &mut Transaction<'static, Any>,
    case_event: &CaseEvent,
) -> Result<(), StoreError> {
    match case_event {
        CaseEvent::RegistryScheduled(r) => {
            for f in &r.forms {
                execute(
                    tx,
                    "INSERT INTO registry_forms (case_id, form_key, partnership_id, site_id, program_id, pseudonym, form, occurrence, due_when, opens_on, due_on, closes_on) SELECT id, $2, partnership_id, site_id, program_id, pseudonym, $3, $4, $5, $6, $7, $8 FROM cases WHERE id = $1",
                    vec![
                        Bind::Text(r.case_id.clone()),
                        Bind::Text(f.key.clone()),
                        Bind::Text(f.form.clone()),
                        Bind::Int(i64::from(f.occurrence)),
                        Bind::Text(f.when.clone()),
                        Bind::Text(f.opens_on.to_string()),
                        Bind::Text(f.due_on.to_string()),
                        Bind::Text(f.closes_on.to_string()),
                    ],
                )
                .await?;
            }
        }
        CaseEvent::RegistryFormSubmitted(s) => {
            let n = execute(
                tx,
                "UPDATE registry_forms SET submitted_on = $3, reference = $4 WHERE case_id = $1 AND form_key = $2",
                vec![
                    Bind::Text(s.case_id.clone()),
                    Bind::Text(s.key.clone()),
                    Bind::Text(s.submitted_on.to_string()),
                    Bind::Text(s.reference.clone()),
                ],
            )
            .await?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    kind: "registry form",
                    id: format!("{} of case {}", s.key, s.case_id),
                });
            }
        }
        CaseEvent::Cancelled(c) => {
            execute(
                tx,
                "DELETE FROM registry_forms WHERE case_id = $1 AND submitted_on = ''",
                vec![Bind::Text(c.case_id.clone())],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}
