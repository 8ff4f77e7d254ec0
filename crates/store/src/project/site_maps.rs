//! Site maps' projector: site map versions and the proposals made on them, an accepted
//! proposal frozen. Each event is read into its type (`cellpath_domain::events::site_maps`)
//! before its row is written.

use super::{Col, Table, record};
use crate::StoreError;
use cellpath_domain::events::site_maps::{
    MapProposalCreated, MapProposalUpdated, SiteMapVersionCreated, SiteMapVersionUpdated,
};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

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
pub(super) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    Ok(
        record::<SiteMapVersionCreated, SiteMapVersionUpdated>(tx, &SITE_MAP_VERSION, event)
            .await?
            || record::<MapProposalCreated, MapProposalUpdated>(tx, &MAP_PROPOSAL, event).await?,
    )
}
