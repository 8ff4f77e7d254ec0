//! Release exceptions' projector: `exception_protocol.created` / `.updated`, each read into its
//! type (`cellpath_domain::events::release_exceptions`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, record};
use cellpath_domain::events::Event as _;
use cellpath_domain::events::release_exceptions::{
    ExceptionProtocolCreated, ExceptionProtocolUpdated, ReleaseExceptionCreated,
    ReleaseExceptionDecided, ReleaseExceptionNotified, ReleaseExceptionPatientTold,
    ReleaseExceptionPrerequisiteRecorded, ReleaseExceptionUpdated,
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

const RELEASE_EXCEPTION: Table = Table {
    name: "release_exceptions",
    kind: "release_exception",
    columns: &[
        ("partnership_id", Col::Text, false),
        ("case_id", Col::Text, false),
        ("site_id", Col::Text, false),
        ("program_id", Col::Text, false),
        ("protocol_id", Col::Text, false),
        ("kind", Col::Text, false),
        ("certificate_reference", Col::Text, false),
        ("certificate_sha256", Col::Text, false),
        ("lymphodepletion_started", Col::Bool, false),
        ("opened_at", Col::Int, false),
        ("tier_reached", Col::Int, true),
        ("tier_notified_at", Col::Int, true),
        ("acknowledged_at", Col::Int, true),
        ("acknowledged_by", Col::Text, true),
        ("status", Col::Text, true),
        // Migration 0033: none at the opening, each set by the command that does it.
        ("patient_told_at", Col::Int, true),
        ("patient_told_by", Col::LaterText, true),
        ("decision", Col::LaterText, true),
        ("decided_at", Col::Int, true),
        ("decided_by", Col::LaterText, true),
        ("prerequisites", Col::Json, true),
        ("manufacturer_signed_at", Col::Int, true),
        ("manufacturer_signed_by", Col::LaterText, true),
        ("health_system_signed_at", Col::Int, true),
        ("health_system_signed_by", Col::LaterText, true),
    ],
    frozen_when: Some(("status", "closed")),
};

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    // Read into its type, so one that does not fit is refused; the ledger is its record (the
    // row's columns change with the `release_exception.updated` of the same command).
    if event.kind == ReleaseExceptionNotified::KIND {
        crate::project::typed::<ReleaseExceptionNotified>(event)?;
        return Ok(true);
    }
    if event.kind == ReleaseExceptionPatientTold::KIND {
        crate::project::typed::<ReleaseExceptionPatientTold>(event)?;
        return Ok(true);
    }
    if event.kind == ReleaseExceptionDecided::KIND {
        crate::project::typed::<ReleaseExceptionDecided>(event)?;
        return Ok(true);
    }
    if event.kind == ReleaseExceptionPrerequisiteRecorded::KIND {
        crate::project::typed::<ReleaseExceptionPrerequisiteRecorded>(event)?;
        return Ok(true);
    }
    Ok(
        record::<ExceptionProtocolCreated, ExceptionProtocolUpdated>(
            tx,
            &EXCEPTION_PROTOCOL,
            event,
        )
        .await?
            || record::<ReleaseExceptionCreated, ReleaseExceptionUpdated>(
                tx,
                &RELEASE_EXCEPTION,
                event,
            )
            .await?,
    )
}
