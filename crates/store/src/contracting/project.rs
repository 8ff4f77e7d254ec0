//! Contracting's projector: agreements, deliverable records, site authorizations, expiry
//! reminders and track templates. Each event is read into its type
//! (`cellpath_domain::events::contracting`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, create, record, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::contracting::{
    AgreementCreated, AgreementUpdated, DeliverableRecordCreated, DeliverableRecordUpdated,
    ExpiryReminderCreated, SiteAuthorizationCreated, SiteAuthorizationUpdated,
    TrackTemplateCreated, TrackTemplateUpdated,
};
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

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    if event.kind == ExpiryReminderCreated::KIND {
        typed::<ExpiryReminderCreated>(event)?;
        create(tx, &EXPIRY_REMINDER, event).await?;
        return Ok(true);
    }
    Ok(
        record::<AgreementCreated, AgreementUpdated>(tx, &AGREEMENT, event).await?
            || record::<DeliverableRecordCreated, DeliverableRecordUpdated>(
                tx,
                &DELIVERABLE_RECORD,
                event,
            )
            .await?
            || record::<SiteAuthorizationCreated, SiteAuthorizationUpdated>(
                tx,
                &SITE_AUTHORIZATION,
                event,
            )
            .await?
            || record::<TrackTemplateCreated, TrackTemplateUpdated>(tx, &TRACK_TEMPLATE, event)
                .await?,
    )
}
