//! `project`: the one function that turns an event into current-state rows. It runs in the
//! event's transaction, and the replay test runs it again over a whole history, so it must
//! depend on nothing but the event.
//!
//! Record events share one shape: `<kind>.created` carries `{id, new: {…}}`;
//! `<kind>.updated` carries `{id, version, old: {…}, new: {…}}` with only the changed fields,
//! and applies only if the row is still at `version - 1` (optimistic concurrency).

use crate::StoreError;
use cellpath_ledger::{Event, SIGNATURE_EVENT_TYPE, SignaturePayload, Signed};
use serde_json::Value;
use sqlx::{Any, AssertSqlSafe, Transaction};

#[derive(Clone, Copy)]
enum Col {
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

struct Table {
    name: &'static str,
    kind: &'static str,
    /// Columns set at creation; the `updatable` ones may change later.
    columns: &'static [(&'static str, Col, bool)],
    /// A row whose column holds this value never changes again (e.g. a published map).
    frozen_when: Option<(&'static str, &'static str)>,
}

const ORGANIZATION: Table = Table {
    name: "organizations",
    kind: "organization",
    columns: &[("kind", Col::Text, false), ("name", Col::Text, true)],
    frozen_when: None,
};
const SITE: Table = Table {
    name: "sites",
    kind: "site",
    columns: &[
        ("org_id", Col::Text, false),
        ("name", Col::Text, true),
        ("code", Col::Text, true),
        ("city", Col::Text, true),
        ("region", Col::Text, true),
        ("active", Col::Bool, true),
    ],
    frozen_when: None,
};
const FACILITY: Table = Table {
    name: "facilities",
    kind: "facility",
    columns: &[
        ("org_id", Col::Text, false),
        ("name", Col::Text, true),
        ("kind", Col::Text, true),
        ("site_ids", Col::Json, true),
    ],
    frozen_when: None,
};
const USER: Table = Table {
    name: "users",
    kind: "user",
    columns: &[
        ("org_id", Col::Text, false),
        ("email", Col::Text, true),
        ("name", Col::Text, true),
        ("role", Col::Text, true),
        ("active", Col::Bool, true),
    ],
    frozen_when: None,
};
const PARTNERSHIP: Table = Table {
    name: "partnerships",
    kind: "partnership",
    columns: &[
        ("manufacturer_id", Col::Text, false),
        ("health_system_id", Col::Text, false),
        ("name", Col::Text, true),
        ("programs", Col::Json, true),
        ("status", Col::Text, true),
    ],
    frozen_when: None,
};

const PROGRAM: Table = Table {
    name: "programs",
    kind: "program",
    columns: &[
        ("org_id", Col::Text, false),
        ("name", Col::Text, true),
        ("modality", Col::Text, true),
        ("units", Col::Json, true),
        ("identifiers", Col::Json, true),
        ("list_prices", Col::Json, true),
        ("requires_dual_verification", Col::Bool, true),
        ("requirements", Col::Json, true),
    ],
    frozen_when: None,
};
const MAP_VERSION: Table = Table {
    name: "map_versions",
    kind: "map_version",
    columns: &[
        ("program_id", Col::Text, false),
        ("number", Col::Int, false),
        ("status", Col::Text, true),
        ("map", Col::Json, true),
        ("content_hash", Col::Text, true),
        ("published_at", Col::Int, true),
    ],
    frozen_when: Some(("status", "published")),
};

const SITE_MAP_VERSION: Table = Table {
    name: "site_map_versions",
    kind: "site_map_version",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("base_map_version_id", Col::Text, false),
        ("number", Col::Int, false),
        ("refinement", Col::Json, true),
    ],
    frozen_when: None,
};
const MAP_PROPOSAL: Table = Table {
    name: "map_proposals",
    kind: "map_proposal",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_map_version_id", Col::Text, false),
        ("step_key", Col::Text, false),
        ("proposed", Col::Json, false),
        ("reason", Col::Text, false),
        ("status", Col::Text, true),
        ("decision_reason", Col::Text, true),
    ],
    frozen_when: Some(("status", "accepted")),
};
const SITE_VISIT: Table = Table {
    name: "site_visits",
    kind: "site_visit",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("visited_on", Col::Text, true),
        ("visitors", Col::Json, true),
        ("facility_ids", Col::Json, true),
        ("observations", Col::Json, true),
        ("findings", Col::Json, true),
        ("attachments", Col::Json, true),
    ],
    frozen_when: None,
};
const GAP: Table = Table {
    name: "gaps",
    kind: "gap",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("facility_id", Col::Text, false),
        ("requirement_key", Col::Text, false),
        ("severity", Col::Text, true),
        ("expected", Col::Text, false),
        ("observed", Col::Text, true),
        ("owner_role", Col::Text, true),
        ("due_on", Col::Text, true),
        ("status", Col::Text, true),
        ("evidence", Col::Text, true),
    ],
    frozen_when: Some(("status", "closed")),
};

const AGREEMENT: Table = Table {
    name: "agreements",
    kind: "agreement",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("kind", Col::Text, false),
        ("scope", Col::Text, false),
        ("site_id", Col::Text, false),
        ("status", Col::Text, true),
        ("owner_manufacturer", Col::Text, true),
        ("owner_health_system", Col::Text, true),
        ("effective_on", Col::Text, true),
        ("expires_on", Col::Text, true),
        ("coverage", Col::Json, true),
        ("documents", Col::Json, true),
        ("amendments", Col::Json, true),
        ("redline_rounds", Col::Int, true),
    ],
    frozen_when: Some(("status", "withdrawn")),
};
const DELIVERABLE_RECORD: Table = Table {
    name: "deliverable_records",
    kind: "deliverable_record",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("deliverable", Col::Text, false),
        ("done_on", Col::Text, true),
        ("evidence", Col::Text, true),
        ("revoked_on", Col::LaterText, true),
        ("revoked_reason", Col::LaterText, true),
    ],
    frozen_when: None,
};

const SITE_AUTHORIZATION: Table = Table {
    name: "site_authorizations",
    kind: "site_authorization",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("status", Col::Text, true),
        ("since", Col::Text, true),
        ("missing", Col::Json, true),
    ],
    frozen_when: None,
};

/// A reminder given before an agreement lapses: recorded once, never changed.
const EXPIRY_REMINDER: Table = Table {
    name: "expiry_reminders",
    kind: "expiry_reminder",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("agreement_id", Col::Text, false),
        ("agreement_kind", Col::Text, false),
        ("expires_on", Col::Text, false),
        ("days_before", Col::Int, false),
        ("days_left", Col::Int, false),
        ("sent_on", Col::Text, false),
    ],
    frozen_when: None,
};

const TRACK_TEMPLATE: Table = Table {
    name: "track_templates",
    kind: "track_template",
    columns: &[
        ("org_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("items", Col::Json, true),
    ],
    frozen_when: None,
};

const RECORD_TABLES: &[&Table] = &[
    &ORGANIZATION,
    &SITE,
    &FACILITY,
    &USER,
    &PARTNERSHIP,
    &PROGRAM,
    &MAP_VERSION,
    &SITE_MAP_VERSION,
    &MAP_PROPOSAL,
    &SITE_VISIT,
    &GAP,
    &AGREEMENT,
    &DELIVERABLE_RECORD,
    &SITE_AUTHORIZATION,
    &EXPIRY_REMINDER,
    &TRACK_TEMPLATE,
];

/// Events that change no current-state row (they are the record of something that happened).
const NO_PROJECTION: &[&str] = &["user.password_changed"];

/// A bound SQL value.
enum Bind {
    Text(String),
    Int(i64),
    NullInt,
}

fn invalid(event: &Event, what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("event {} ({}): {what}", event.seq, event.kind))
}

fn bind_for(event: &Event, col: &str, ty: Col, value: &Value) -> Result<Bind, StoreError> {
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

fn str_field<'a>(event: &'a Event, v: &'a Value, name: &str) -> Result<&'a str, StoreError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(event, format!("missing text field {name}")))
}

fn int_field(event: &Event, v: &Value, name: &str) -> Result<i64, StoreError> {
    v.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid(event, format!("missing integer field {name}")))
}

async fn execute(
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

async fn create(
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

async fn update(
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

/// Keep `site_facilities` equal to the facility's `site_ids`.
async fn link_sites(tx: &mut Transaction<'static, Any>, event: &Event) -> Result<(), StoreError> {
    let p = &event.payload;
    let Some(site_ids) = p
        .get("new")
        .and_then(|n| n.get("site_ids"))
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    let facility_id = str_field(event, p, "id")?;
    sqlx::query("DELETE FROM site_facilities WHERE facility_id = $1")
        .bind(facility_id)
        .execute(&mut **tx)
        .await?;
    for site in site_ids {
        let site = site
            .as_str()
            .ok_or_else(|| invalid(event, "site_ids holds a non-text value"))?;
        sqlx::query("INSERT INTO site_facilities (site_id, facility_id) VALUES ($1, $2)")
            .bind(site)
            .bind(facility_id)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(())
}

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    hash: &str,
) -> Result<(), StoreError> {
    let kind = event.kind.as_str();
    if NO_PROJECTION.contains(&kind) {
        return Ok(());
    }
    if let Some((record, change)) = kind.split_once('.')
        && let Some(table) = RECORD_TABLES.iter().find(|t| t.kind == record)
    {
        match change {
            "created" => create(tx, table, event).await?,
            "updated" => update(tx, table, event).await?,
            _ => return Err(invalid(event, "unknown event type")),
        }
        if record == "facility" {
            link_sites(tx, event).await?;
        }
        return Ok(());
    }
    let p = &event.payload;
    match kind {
        "api_token.created" => {
            let binds = vec![
                Bind::Text(str_field(event, p, "id")?.into()),
                Bind::Text(str_field(event, p, "user_id")?.into()),
                Bind::Text(str_field(event, p, "name")?.into()),
                Bind::Text(str_field(event, p, "token_hash")?.into()),
                Bind::Int(event.recorded_at),
            ];
            execute(
                tx,
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                binds,
            )
            .await?;
        }
        "api_token.revoked" => {
            let id = str_field(event, p, "id")?.to_string();
            let n = execute(
                tx,
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                vec![Bind::Text(id.clone()), Bind::Int(event.recorded_at)],
            )
            .await?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    kind: "active api token",
                    id,
                });
            }
        }
        SIGNATURE_EVENT_TYPE => {
            let sig: SignaturePayload = serde_json::from_value(p.clone())
                .map_err(|e| invalid(event, format!("not a signature: {e}")))?;
            let target = match &sig.signs {
                Signed::Event { event_hash } => event_hash.clone(),
                Signed::Record { content_hash, .. } => content_hash.clone(),
            };
            // The channel as its JSON ('' when the payload predates it), read back by
            // `SignatureRow`.
            let channel = sig
                .channel
                .as_ref()
                .map(|c| c.to_value().to_string())
                .unwrap_or_default();
            site_map_signature(tx, &event.ledger_id, hash, &sig).await?;
            execute(
                tx,
                "INSERT INTO signatures (event_hash, ledger_id, seq, target, signer_user_id, printed_name, meaning, signed_at, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    Bind::Text(hash.into()),
                    Bind::Text(event.ledger_id.clone()),
                    Bind::Int(event.seq),
                    Bind::Text(target),
                    Bind::Text(sig.signer_user_id),
                    Bind::Text(sig.printed_name),
                    Bind::Text(sig.meaning.to_string()),
                    Bind::Int(sig.signed_at),
                    Bind::Text(channel),
                ],
            )
            .await?;
        }
        _ => return Err(invalid(event, "unknown event type")),
    }
    Ok(())
}

/// The record kind a signature on a site map version names (`Signed::Record`).
const SITE_MAP_RECORD: &str = "site_map_version";

/// A signature on a site map version, kept apart with the version and content it is on (the
/// gate's facts: which versions both sides signed, and when).
async fn site_map_signature(
    tx: &mut Transaction<'static, Any>,
    ledger_id: &str,
    hash: &str,
    sig: &SignaturePayload,
) -> Result<(), StoreError> {
    let Signed::Record {
        record_kind,
        record_id,
        content_hash,
    } = &sig.signs
    else {
        return Ok(());
    };
    if record_kind != SITE_MAP_RECORD {
        return Ok(());
    }
    execute(
        tx,
        "INSERT INTO site_map_signatures (event_hash, partnership_id, site_map_version_id, content_hash, signer_user_id, signed_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Bind::Text(hash.into()),
            Bind::Text(ledger_id.into()),
            Bind::Text(record_id.clone()),
            Bind::Text(content_hash.clone()),
            Bind::Text(sig.signer_user_id.clone()),
            Bind::Int(sig.signed_at),
        ],
    )
    .await?;
    Ok(())
}

fn invalid_hash(hash: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("event {hash} is not a signature: {e}"))
}

/// Migration 0010's step: the site map signatures recorded before the table existed, from
/// their events (what `project` would have written).
pub(crate) async fn backfill_site_map_signatures(
    tx: &mut Transaction<'static, Any>,
) -> Result<(), StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT ledger_id, hash, body FROM events WHERE kind = $1 ORDER BY ledger_id, seq",
    )
    .bind(SIGNATURE_EVENT_TYPE)
    .fetch_all(&mut **tx)
    .await?;
    for (ledger_id, hash, body) in rows {
        let event: Event = serde_json::from_str(&body)
            .map_err(|e| StoreError::Invalid(format!("event {hash} is not an event: {e}")))?;
        let sig: SignaturePayload =
            serde_json::from_value(event.payload).map_err(|e| invalid_hash(&hash, e))?;
        site_map_signature(tx, &ledger_id, &hash, &sig).await?;
    }
    Ok(())
}

/// The current-state tables the replay test compares, with the columns that come from events
/// (operational columns such as `last_used_at` are left out).
pub const RECORD_STATE: &[(&str, &str)] = &[
    (
        "organizations",
        "id, kind, name, version, created_at, updated_at",
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
        "id, manufacturer_id, health_system_id, name, programs, status, version, created_at, updated_at",
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
];
