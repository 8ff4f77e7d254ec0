//! Programs' projector: programs (and the requirements readiness sets on them) and the
//! versions of their maps, a published version frozen. Each event is read into its type
//! (`cellpath_domain::events::programs`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, record};
use cellpath_domain::events::programs::{
    MapVersionCreated, MapVersionUpdated, ProgramCreated, ProgramUpdated,
};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

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

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    Ok(
        record::<ProgramCreated, ProgramUpdated>(tx, &PROGRAM, event).await?
            || record::<MapVersionCreated, MapVersionUpdated>(tx, &MAP_VERSION, event).await?,
    )
}
