//! Consent documents' projector: `consent_version.created` / `.updated`, each read into its
//! type (`cellpath_domain::events::consent`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, record};
use cellpath_domain::events::consent::{ConsentVersionCreated, ConsentVersionUpdated};
use cellpath_ledger::Event;
use sqlx::{Any, Transaction};

const CONSENT_VERSION: Table = Table {
    name: "consent_versions",
    kind: "consent_version",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("number", Col::Int, false),
        ("document_name", Col::Text, false),
        ("document_sha256", Col::Text, false),
        ("effective_on", Col::Text, false),
        ("sections", Col::Json, false),
        ("status", Col::Text, true),
        ("activated_on", Col::Text, true),
        ("retired_on", Col::Text, true),
        ("retired_reason", Col::Text, true),
    ],
    // A retired version never comes back.
    frozen_when: Some(("status", "retired")),
};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    record::<ConsentVersionCreated, ConsentVersionUpdated>(tx, &CONSENT_VERSION, event).await
}
