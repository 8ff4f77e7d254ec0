//! `project`: the one function that turns an event into current-state rows, through each
//! capability's projector (`directory/project.rs`, `auth/`, `programs/`, `site_maps/`,
//! `readiness/`, `contracting/`, `consent/`, `bookings/`, `safety/`, `cases/`: its tables and its events, beside its rows and
//! queries). This module keeps the shared record machinery and the dispatch. It runs in the event's transaction, and the
//! replay test runs it again over a whole history, so it must depend on nothing but the event.
//! A typed event is read into its `cellpath_domain::events` type first; the row is still
//! written from the payload as recorded, so JSON columns keep the text they always had.
//!
//! Record events share one shape: `<kind>.created` carries `{id, new: {…}}`;
//! `<kind>.updated` carries `{id, version, old: {…}, new: {…}}` with only the changed fields,
//! and applies only if the row is still at `version - 1` (optimistic concurrency).

pub(crate) use crate::site_maps::project::backfill_site_map_signatures;

use crate::StoreError;
use cellpath_domain::events::Event as DomainEvent;
use cellpath_ledger::Event;
use serde_json::Value;
use sqlx::{Any, AssertSqlSafe, Transaction};

#[derive(Clone, Copy)]
pub(crate) enum Col {
    Text,
    /// Text that a later migration added with the default '': events written before it hold
    /// no value, and get that default.
    LaterText,
    /// An integer, or null.
    Int,
    Bool,
    /// A JSON array or object kept as text.
    Json,
}

pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
    /// Columns set at creation; the `updatable` ones may change later.
    pub(crate) columns: &'static [(&'static str, Col, bool)],
    /// A row whose column holds this value never changes again (e.g. a published map).
    pub(crate) frozen_when: Option<(&'static str, &'static str)>,
}

/// A bound SQL value.
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    NullInt,
}

pub(crate) fn invalid(event: &Event, what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("event {} ({}): {what}", event.seq, event.kind))
}

pub(crate) fn bind_for(
    event: &Event,
    col: &str,
    ty: Col,
    value: &Value,
) -> Result<Bind, StoreError> {
    Ok(match (ty, value) {
        (Col::Text | Col::LaterText, Value::String(s)) => Bind::Text(s.clone()),
        (Col::Int, Value::Null) => Bind::NullInt,
        (Col::Int, Value::Number(n)) => Bind::Int(
            n.as_i64()
                .ok_or_else(|| invalid(event, format!("{col} is not an integer")))?,
        ),
        (Col::Bool, Value::Bool(b)) => Bind::Int(i64::from(*b)),
        (Col::Json, v @ (Value::Array(_) | Value::Object(_))) => Bind::Text(v.to_string()),
        _ => return Err(invalid(event, format!("field {col} has the wrong type"))),
    })
}

pub(crate) fn str_field<'a>(
    event: &'a Event,
    v: &'a Value,
    name: &str,
) -> Result<&'a str, StoreError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(event, format!("missing text field {name}")))
}

pub(crate) fn int_field(event: &Event, v: &Value, name: &str) -> Result<i64, StoreError> {
    v.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid(event, format!("missing integer field {name}")))
}

pub(crate) async fn execute(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    binds: Vec<Bind>,
) -> Result<u64, StoreError> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_string()));
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
            Bind::NullInt => q.bind(None::<i64>),
        };
    }
    Ok(q.execute(&mut **tx)
        .await
        .map_err(StoreError::from_write)?
        .rows_affected())
}

pub(crate) async fn create(
    tx: &mut Transaction<'static, Any>,
    table: &Table,
    event: &Event,
) -> Result<(), StoreError> {
    let p = &event.payload;
    let id = str_field(event, p, "id")?.to_string();
    let new = p.get("new").ok_or_else(|| invalid(event, "missing new"))?;
    let mut names = vec!["id"];
    let mut binds = vec![Bind::Text(id)];
    for (col, ty, _) in table.columns {
        names.push(col);
        match (new.get(*col), ty) {
            (Some(v), _) => binds.push(bind_for(event, col, *ty, v)?),
            // A column added by a later migration: events written before it hold no value,
            // and get the migration's default (an empty list, or null).
            (None, Col::Json) => binds.push(Bind::Text("[]".into())),
            (None, Col::Int) => binds.push(Bind::NullInt),
            (None, Col::LaterText) => binds.push(Bind::Text(String::new())),
            (None, _) => return Err(invalid(event, format!("missing field {col}"))),
        }
    }
    names.extend(["version", "created_at", "updated_at"]);
    binds.extend([
        Bind::Int(1),
        Bind::Int(event.recorded_at),
        Bind::Int(event.recorded_at),
    ]);
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        names.join(", "),
        placeholders.join(", ")
    );
    execute(tx, &sql, binds).await?;
    Ok(())
}

pub(crate) async fn update(
    tx: &mut Transaction<'static, Any>,
    table: &Table,
    event: &Event,
) -> Result<(), StoreError> {
    let p = &event.payload;
    let id = str_field(event, p, "id")?.to_string();
    let version = int_field(event, p, "version")?;
    if let Some((col, value)) = table.frozen_when {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {} WHERE id = $1 AND {col} = $2",
            table.name
        );
        let (frozen,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
            .bind(&id)
            .bind(value)
            .fetch_one(&mut **tx)
            .await?;
        if frozen > 0 {
            // Someone else's command froze it after this one read it: a conflict, not a fault.
            let (current,): (i64,) = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT version FROM {} WHERE id = $1",
                table.name
            )))
            .bind(&id)
            .fetch_one(&mut **tx)
            .await?;
            return Err(StoreError::Conflict {
                kind: table.kind,
                id,
                current,
            });
        }
    }
    let new = p
        .get("new")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(event, "missing new"))?;
    let mut sets = Vec::new();
    let mut binds = Vec::new();
    for (name, value) in new {
        let (col, ty, _) = table
            .columns
            .iter()
            .find(|(c, _, updatable)| c == name && *updatable)
            .ok_or_else(|| invalid(event, format!("{name} cannot be changed")))?;
        binds.push(bind_for(event, col, *ty, value)?);
        sets.push(format!("{col} = ${}", binds.len()));
    }
    binds.push(Bind::Int(version));
    sets.push(format!("version = ${}", binds.len()));
    binds.push(Bind::Int(event.recorded_at));
    sets.push(format!("updated_at = ${}", binds.len()));
    binds.push(Bind::Text(id.clone()));
    let id_at = binds.len();
    binds.push(Bind::Int(version - 1));
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ${id_at} AND version = ${}",
        table.name,
        sets.join(", "),
        binds.len()
    );
    if execute(tx, &sql, binds).await? == 0 {
        let current: Option<(i64,)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT version FROM {} WHERE id = $1",
            table.name
        )))
        .bind(&id)
        .fetch_optional(&mut **tx)
        .await?;
        return Err(match current {
            Some((current,)) => StoreError::Conflict {
                kind: table.kind,
                id,
                current,
            },
            None => StoreError::NotFound {
                kind: table.kind,
                id,
            },
        });
    }
    Ok(())
}

/// Read an event's payload into its type: an event that does not fit is refused.
pub(crate) fn typed<E: DomainEvent>(event: &Event) -> Result<E, StoreError> {
    serde_json::from_value(event.payload.clone())
        .map_err(|e| invalid(event, format!("does not fit its type: {e}")))
}

/// A record's `.created` (`C`) or `.updated` (`U`) event, read into its type, then written to
/// the record's table; `false` when the event is of neither kind.
pub(crate) async fn record<C: DomainEvent, U: DomainEvent>(
    tx: &mut Transaction<'static, Any>,
    table: &Table,
    event: &Event,
) -> Result<bool, StoreError> {
    if event.kind == C::KIND {
        typed::<C>(event)?;
        create(tx, table, event).await?;
    } else if event.kind == U::KIND {
        typed::<U>(event)?;
        update(tx, table, event).await?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Each capability's projector in turn; an event none of them knows is refused.
pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    hash: &str,
) -> Result<(), StoreError> {
    let projected = crate::directory::project::project(tx, event).await?
        || crate::auth::project::project(tx, event, hash).await?
        || crate::programs::project::project(tx, event).await?
        || crate::site_maps::project::project(tx, event).await?
        || crate::readiness::project::project(tx, event).await?
        || crate::contracting::project::project(tx, event).await?
        || crate::consent::project::project(tx, event).await?
        || crate::bookings::project::project(tx, event).await?
        || crate::safety::project::project(tx, event).await?
        || crate::outbox::project::project(tx, event).await?
        || crate::release_exceptions::project::project(tx, event).await?
        || crate::finance::project::project(tx, event).await?
        || crate::cases::project::project(tx, event, hash).await?;
    if !projected {
        return Err(invalid(event, "unknown event type"));
    }
    Ok(())
}

/// The current-state tables the replay test compares, with the columns that come from events
/// (operational columns such as `last_used_at` are left out).
pub const RECORD_STATE: &[(&str, &str)] = &[
    (
        "organizations",
        "id, kind, name, time_zone, version, created_at, updated_at",
    ),
    (
        "sites",
        "id, org_id, name, code, city, region, active, version, created_at, updated_at",
    ),
    (
        "facilities",
        "id, org_id, name, kind, site_ids, version, created_at, updated_at",
    ),
    ("site_facilities", "site_id, facility_id"),
    (
        "users",
        "id, org_id, email, name, role, active, version, created_at, updated_at",
    ),
    (
        "partnerships",
        "id, manufacturer_id, health_system_id, name, programs, status, version, created_at, updated_at, accepted_at, declined_by, decline_reason",
    ),
    (
        "api_tokens",
        "id, user_id, name, token_hash, created_at, revoked_at",
    ),
    (
        "signatures",
        "event_hash, ledger_id, seq, target, signer_user_id, printed_name, meaning, signed_at, channel",
    ),
    (
        "site_map_signatures",
        "event_hash, partnership_id, site_map_version_id, content_hash, signer_user_id, signed_at",
    ),
    (
        "programs",
        "id, org_id, name, modality, units, identifiers, list_prices, requires_dual_verification, requirements, version, created_at, updated_at",
    ),
    (
        "map_versions",
        "id, program_id, number, status, map, content_hash, published_at, version, created_at, updated_at",
    ),
    (
        "site_map_versions",
        "id, partnership_id, site_id, program_id, base_map_version_id, number, refinement, version, created_at, updated_at",
    ),
    (
        "map_proposals",
        "id, partnership_id, site_map_version_id, step_key, proposed, reason, status, decision_reason, version, created_at, updated_at",
    ),
    (
        "site_visits",
        "id, partnership_id, site_id, visited_on, visitors, facility_ids, observations, findings, attachments, version, created_at, updated_at",
    ),
    (
        "gaps",
        "id, partnership_id, site_id, program_id, facility_id, requirement_key, severity, expected, observed, owner_role, due_on, status, evidence, version, created_at, updated_at",
    ),
    (
        "agreements",
        "id, partnership_id, kind, scope, site_id, status, owner_manufacturer, owner_health_system, effective_on, expires_on, coverage, documents, amendments, redline_rounds, version, created_at, updated_at",
    ),
    (
        "deliverable_records",
        "id, partnership_id, site_id, program_id, deliverable, done_on, evidence, revoked_on, revoked_reason, version, created_at, updated_at",
    ),
    (
        "site_authorizations",
        "id, partnership_id, site_id, program_id, status, since, missing, version, created_at, updated_at",
    ),
    (
        "expiry_reminders",
        "id, partnership_id, agreement_id, agreement_kind, expires_on, days_before, days_left, sent_on, version, created_at, updated_at",
    ),
    (
        "track_templates",
        "id, org_id, program_id, items, version, created_at, updated_at",
    ),
    (
        "patients",
        "id, org_id, site_id, name, date_of_birth, mrn, salt, registration, version, created_at, updated_at",
    ),
    (
        "cases",
        "id, partnership_id, site_id, program_id, map_version_id, pseudonym, initials, birth_year, identity_sha256, patient_registration, status, opened_at, version, created_at, updated_at",
    ),
    ("case_events", "ledger_id, seq, case_id"),
    (
        "consent_versions",
        "id, partnership_id, site_id, program_id, number, document_name, document_sha256, effective_on, sections, status, activated_on, retired_on, retired_reason, version, created_at, updated_at",
    ),
    (
        "exception_protocols",
        "id, partnership_id, program_id, number, protocol, content_sha256, status, manufacturer_signer, health_system_signer, agreed_on, version, created_at, updated_at",
    ),
    (
        "release_exceptions",
        "id, partnership_id, case_id, site_id, program_id, protocol_id, kind, certificate_reference, certificate_sha256, lymphodepletion_started, opened_at, tier_reached, tier_notified_at, acknowledged_at, acknowledged_by, status, patient_told_at, patient_told_by, decision, decided_at, decided_by, prerequisites, manufacturer_signed_at, manufacturer_signed_by, health_system_signed_at, health_system_signed_by, version, created_at, updated_at",
    ),
    (
        "program_capacities",
        "id, program_id, capacity, version, created_at, updated_at",
    ),
    (
        "bookings",
        "id, partnership_id, site_id, program_id, case_id, asked_on, status, reason, apheresis_on, apheresis_slot, manufacturing_on, manufacturing_slot, ships_on, arrives_on, expected_infusion_on, version, created_at, updated_at",
    ),
    (
        "slot_reservations",
        "program_id, kind, day, slot, booking_id",
    ),
    (
        "safety_reports",
        "id, case_id, adverse_event, partnership_id, manufacturer_id, site_id, program_id, pseudonym, kind, onset_at, grade, outcome, body, acknowledged_version, acknowledged_by, acknowledged_by_name, acknowledged_at, pending, version, created_at, updated_at",
    ),
    (
        "open_adverse_events",
        "case_id, adverse_event, partnership_id, site_id, program_id, pseudonym, kind, onset_at",
    ),
    (
        "webhook_endpoints",
        "id, org_id, url, kinds, status, created_at, updated_at",
    ),
    (
        "payment_terms",
        "id, partnership_id, program_id, effective_on, terms, version, created_at, updated_at",
    ),
    (
        "invoices",
        "id, partnership_id, case_id, site_id, program_id, terms_id, basis_event, basis_on, price_cents, due_on, paid_cents, credited_cents, version, created_at, updated_at",
    ),
    (
        "invoice_settlements",
        "id, invoice_id, kind, amount_cents, settled_on, by_user, by_name, recorded_at",
    ),
    (
        "payer_profiles",
        "id, org_id, name, profile, version, created_at, updated_at",
    ),
    (
        "claims",
        "id, org_id, case_id, site_id, partnership_id, program_id, payer_profile_id, payer_name, submitted_on, claimed_cents, expanded_access, status, paid_cents, paid_on, denied_on, denial_reason, appealed_on, unpaid_on, last_on, version, created_at, updated_at",
    ),
    (
        "exposure_flows",
        "source_id, org_id, kind, day, out_cents, in_cents",
    ),
    (
        "registry_forms",
        "case_id, form_key, partnership_id, site_id, program_id, pseudonym, form, occurrence, due_when, opens_on, due_on, closes_on, submitted_on, reference",
    ),
];
