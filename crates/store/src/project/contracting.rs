//! Contracting's projector: agreements, deliverable records, site authorizations, expiry
//! reminders and track templates. Its events are not types yet: each is written from its
//! payload by the shape every record event shares (`<kind>.created`, `<kind>.updated`).

use super::{Col, Table, create, invalid, update};
use crate::StoreError;
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

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

const TABLES: &[&Table] = &[
    &AGREEMENT,
    &DELIVERABLE_RECORD,
    &SITE_AUTHORIZATION,
    &EXPIRY_REMINDER,
    &TRACK_TEMPLATE,
];

pub(super) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    let Some((record, change)) = event.kind.split_once('.') else {
        return Ok(false);
    };
    let Some(table) = TABLES.iter().find(|t| t.kind == record) else {
        return Ok(false);
    };
    match change {
        "created" => create(tx, table, event).await?,
        "updated" => update(tx, table, event).await?,
        _ => return Err(invalid(event, "unknown event type")),
    }
    Ok(true)
}
