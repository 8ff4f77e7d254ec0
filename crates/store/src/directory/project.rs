//! The directory's projector: organizations, sites, facilities (and which sites each serves,
//! `site_facilities`), users and partnerships. Each event is read into its type
//! (`cellpath_domain::events::directory`) before its row is written.

use crate::StoreError;
use crate::project::{Col, Table, invalid, record, str_field, typed};
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::Event as _;
use cellpath_domain::events::directory::{
    FacilityCreated, FacilityUpdated, OrganizationCreated, OrganizationUpdated, PartnershipCreated,
    PartnershipUpdated, PasswordChanged, SiteCreated, SiteUpdated, UserCreated, UserUpdated,
};
use cellpath_domain::events::partnerships::PartnershipDeclined;
use cellpath_ledger::Event;
use serde_json::Value;
use sqlx::{Any, Transaction};

const ORGANIZATION: Table = Table {
    name: "organizations",
    kind: "organization",
    columns: &[
        ("kind", Col::Text, false),
        ("name", Col::Text, true),
        ("time_zone", Col::LaterText, true),
    ],
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

/// A proposal declined: ended, with who declined and why, if it is still the proposal at
/// `version - 1` (else someone accepted, ended or declined it first: a conflict).
async fn decline(tx: &mut Transaction<'static, Any>, event: &Event) -> Result<(), StoreError> {
    let d = typed::<PartnershipDeclined>(event)?;
    let done = sqlx::query(
        "UPDATE partnerships SET status = 'ended', declined_by = $1, decline_reason = $2, version = $3, updated_at = $4 WHERE id = $5 AND version = $6 AND status = 'proposed'",
    )
    .bind(&d.by)
    .bind(&d.reason)
    .bind(d.version)
    .bind(event.recorded_at)
    .bind(&d.id)
    .bind(d.version - 1)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done == 0 {
        let current: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM partnerships WHERE id = $1")
                .bind(&d.id)
                .fetch_optional(&mut **tx)
                .await?;
        return Err(match current {
            Some((current,)) => StoreError::Conflict {
                kind: PARTNERSHIP.kind,
                id: d.id,
                current,
            },
            None => StoreError::NotFound {
                kind: PARTNERSHIP.kind,
                id: d.id,
            },
        });
    }
    Ok(())
}

/// The moment a proposal was accepted, kept beside its status: an ended partnership opens
/// what existed when it ended only if it was ever accepted.
async fn note_acceptance(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<(), StoreError> {
    let u = typed::<PartnershipUpdated>(event)?;
    if u.new.status == Some(PartnershipStatus::Active) {
        sqlx::query(
            "UPDATE partnerships SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL",
        )
        .bind(event.recorded_at)
        .bind(&u.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn project(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
) -> Result<bool, StoreError> {
    if event.kind == PartnershipDeclined::KIND {
        decline(tx, event).await?;
        return Ok(true);
    }
    if record::<PartnershipCreated, PartnershipUpdated>(tx, &PARTNERSHIP, event).await? {
        if event.kind == PartnershipUpdated::KIND {
            note_acceptance(tx, event).await?;
        }
        return Ok(true);
    }
    if event.kind == PasswordChanged::KIND {
        // The hash is an operational row; the record only says that it happened.
        typed::<PasswordChanged>(event)?;
        return Ok(true);
    }
    if record::<FacilityCreated, FacilityUpdated>(tx, &FACILITY, event).await? {
        link_sites(tx, event).await?;
        return Ok(true);
    }
    Ok(
        record::<OrganizationCreated, OrganizationUpdated>(tx, &ORGANIZATION, event).await?
            || record::<SiteCreated, SiteUpdated>(tx, &SITE, event).await?
            || record::<UserCreated, UserUpdated>(tx, &USER, event).await?,
    )
}
