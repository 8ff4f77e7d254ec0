//! Readiness's projector: site visits and gaps, a closed gap frozen. Each event is read into
//! its type (`cellpath_domain::events::readiness`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, create, record, typed};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::readiness::{GapCreated, GapUpdated, SiteVisitCreated};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

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

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    if event.kind == SiteVisitCreated::KIND {
        typed::<SiteVisitCreated>(event)?;
        create(tx, &SITE_VISIT, event).await?;
        return Ok(true);
    }
    record::<GapCreated, GapUpdated>(tx, &GAP, event).await
}
