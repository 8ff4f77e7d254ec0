//! Release exceptions' projector: `exception_protocol.created` / `.updated`, each read into its
//! type (`cellpath_domain::events::release_exceptions`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, record};
use cellpath_domain::events::release_exceptions::{
    ExceptionProtocolCreated, ExceptionProtocolUpdated,
};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

const EXCEPTION_PROTOCOL: Table = Table {
    name: "exception_protocols",
    kind: "exception_protocol",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("number", Col::Int, false),
        ("protocol", Col::Json, false),
        ("content_sha256", Col::Text, false),
        ("status", Col::Text, true),
        ("manufacturer_signer", Col::Text, true),
        ("health_system_signer", Col::Text, true),
        ("agreed_on", Col::Text, true),
    ],
    // A superseded version never comes back.
    frozen_when: Some(("status", "superseded")),
};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    record::<ExceptionProtocolCreated, ExceptionProtocolUpdated>(tx, &EXCEPTION_PROTOCOL, event)
        .await
}
