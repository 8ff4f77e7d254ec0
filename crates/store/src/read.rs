//! Queries the app reads with. Rows are plain structs; the app decides who may see them.

use crate::decode::{date, empty_if_none, maybe_text, word};
use crate::{Store, StoreError};
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::program::Modality;
use cellpath_domain::readiness::Severity;
use cellpath_domain::{Date, FacilityKind, OrgKind, PartnershipStatus, Role};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

/// Offset pagination: `limit` at most 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const MAX_LIMIT: i64 = 200;
    pub fn first(limit: i64) -> Page {
        Page { limit, offset: 0 }
    }
    pub fn all() -> Page {
        Page {
            limit: i64::MAX / 2,
            offset: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub kind: OrgKind,
    pub name: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub code: String,
    pub city: String,
    pub region: String,
    pub active: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facility {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: FacilityKind,
    pub site_ids: Vec<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partnership {
    pub id: String,
    pub manufacturer_id: String,
    pub health_system_id: String,
    pub name: String,
    pub programs: Vec<String>,
    pub status: PartnershipStatus,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A program; its JSON facts are interpreted by the app (`cellpath_domain::program`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Program {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub modality: Modality,
    pub units: serde_json::Value,
    pub identifiers: serde_json::Value,
    pub list_prices: serde_json::Value,
    pub requires_dual_verification: bool,
    pub requirements: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapVersion {
    pub id: String,
    pub program_id: String,
    pub number: i64,
    pub status: MapVersionStatus,
    pub map: serde_json::Value,
    pub content_hash: String,
    pub published_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteMapVersion {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub base_map_version_id: String,
    pub number: i64,
    pub refinement: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapProposal {
    pub id: String,
    pub partnership_id: String,
    pub site_map_version_id: String,
    pub step_key: String,
    pub proposed: serde_json::Value,
    pub reason: String,
    pub status: ProposalStatus,
    /// Why it was accepted or rejected; none while pending.
    #[serde(serialize_with = "empty_if_none")]
    pub decision_reason: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteVisit {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub visited_on: Date,
    pub visitors: serde_json::Value,
    pub facility_ids: serde_json::Value,
    pub observations: serde_json::Value,
    pub findings: serde_json::Value,
    pub attachments: serde_json::Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// None when the site lacks the kind of facility the requirement needs.
    #[serde(serialize_with = "empty_if_none")]
    pub facility_id: Option<String>,
    pub requirement_key: String,
    pub severity: Severity,
    pub expected: String,
    pub observed: String,
    pub owner_role: Role,
    pub due_on: Date,
    pub status: GapStatus,
    /// What closed it; none while open.
    #[serde(serialize_with = "empty_if_none")]
    pub evidence: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerHead {
    pub ledger_id: String,
    pub kind: String,
    pub seq: i64,
    pub head_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEventRow {
    pub ledger_id: String,
    pub seq: i64,
    pub hash: String,
    pub kind: String,
    pub actor: String,
    pub recorded_at: i64,
    /// The exact canonical bytes that were hashed.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureRow {
    pub event_hash: String,
    pub ledger_id: String,
    pub seq: i64,
    pub target: String,
    pub signer_user_id: String,
    pub printed_name: String,
    pub meaning: String,
    pub signed_at: i64,
    /// Through what the signature came; `None` when it was recorded before the channel was.
    pub channel: Option<cellpath_ledger::Channel>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: String,
    pub password_hash: String,
    /// Wrong passwords at sign-in since the last success or lock, and the sign-in lock.
    pub failed_attempts: i64,
    pub locked_until: i64,
    /// Wrong passwords re-entered to sign, and the signing lock (migration 0008): a separate
    /// count, so wrong signing passwords never lock anyone out of signing in.
    pub signing_failed_attempts: i64,
    pub signing_locked_until: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub(crate) fn json_value(text: String) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn json_list(text: String) -> Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl FromRow<'_, AnyRow> for Organization {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Organization {
            id: r.try_get("id")?,
            kind: word(r, "kind")?,
            name: r.try_get("name")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for Site {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Site {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            name: r.try_get("name")?,
            code: r.try_get("code")?,
            city: r.try_get("city")?,
            region: r.try_get("region")?,
            active: r.try_get::<i64, _>("active")? == 1,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for Facility {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Facility {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            name: r.try_get("name")?,
            kind: word(r, "kind")?,
            site_ids: json_list(r.try_get("site_ids")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for User {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(User {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            email: r.try_get("email")?,
            name: r.try_get("name")?,
            role: word(r, "role")?,
            active: r.try_get::<i64, _>("active")? == 1,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for Partnership {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Partnership {
            id: r.try_get("id")?,
            manufacturer_id: r.try_get("manufacturer_id")?,
            health_system_id: r.try_get("health_system_id")?,
            name: r.try_get("name")?,
            programs: json_list(r.try_get("programs")?)?,
            status: word(r, "status")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for Program {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Program {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            name: r.try_get("name")?,
            modality: word(r, "modality")?,
            units: json_value(r.try_get("units")?)?,
            identifiers: json_value(r.try_get("identifiers")?)?,
            list_prices: json_value(r.try_get("list_prices")?)?,
            requires_dual_verification: r.try_get::<i64, _>("requires_dual_verification")? == 1,
            requirements: json_value(r.try_get("requirements")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for MapVersion {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(MapVersion {
            id: r.try_get("id")?,
            program_id: r.try_get("program_id")?,
            number: r.try_get("number")?,
            status: word(r, "status")?,
            map: json_value(r.try_get("map")?)?,
            content_hash: r.try_get("content_hash")?,
            published_at: r.try_get("published_at")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for SiteMapVersion {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteMapVersion {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            base_map_version_id: r.try_get("base_map_version_id")?,
            number: r.try_get("number")?,
            refinement: json_value(r.try_get("refinement")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for MapProposal {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(MapProposal {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_map_version_id: r.try_get("site_map_version_id")?,
            step_key: r.try_get("step_key")?,
            proposed: json_value(r.try_get("proposed")?)?,
            reason: r.try_get("reason")?,
            status: word(r, "status")?,
            decision_reason: maybe_text(r, "decision_reason")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for SiteVisit {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SiteVisit {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            visited_on: date(r, "visited_on")?,
            visitors: json_value(r.try_get("visitors")?)?,
            facility_ids: json_value(r.try_get("facility_ids")?)?,
            observations: json_value(r.try_get("observations")?)?,
            findings: json_value(r.try_get("findings")?)?,
            attachments: json_value(r.try_get("attachments")?)?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for Gap {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Gap {
            id: r.try_get("id")?,
            partnership_id: r.try_get("partnership_id")?,
            site_id: r.try_get("site_id")?,
            program_id: r.try_get("program_id")?,
            facility_id: maybe_text(r, "facility_id")?,
            requirement_key: r.try_get("requirement_key")?,
            severity: word(r, "severity")?,
            expected: r.try_get("expected")?,
            observed: r.try_get("observed")?,
            owner_role: word(r, "owner_role")?,
            due_on: date(r, "due_on")?,
            status: word(r, "status")?,
            evidence: maybe_text(r, "evidence")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for ApiToken {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ApiToken {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            name: r.try_get("name")?,
            token_hash: r.try_get("token_hash")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
        })
    }
}
impl FromRow<'_, AnyRow> for StoredEventRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(StoredEventRow {
            ledger_id: r.try_get("ledger_id")?,
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
            kind: r.try_get("kind")?,
            actor: r.try_get("actor")?,
            recorded_at: r.try_get("recorded_at")?,
            body: r.try_get("body")?,
        })
    }
}
impl FromRow<'_, AnyRow> for SignatureRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(SignatureRow {
            event_hash: r.try_get("event_hash")?,
            ledger_id: r.try_get("ledger_id")?,
            seq: r.try_get("seq")?,
            target: r.try_get("target")?,
            signer_user_id: r.try_get("signer_user_id")?,
            printed_name: r.try_get("printed_name")?,
            meaning: r.try_get("meaning")?,
            signed_at: r.try_get("signed_at")?,
            channel: {
                let text: String = r.try_get("channel")?;
                if text.is_empty() {
                    None
                } else {
                    Some(
                        serde_json::from_str(&text)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    )
                }
            },
        })
    }
}

/// Counts the active admins of the organization `$1` (also checked inside writes:
/// `Operational::KeepsAnActiveAdmin`).
pub(crate) const ACTIVE_ADMINS: &str = "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE org_id = $1 AND role = 'admin' AND active = 1";

const EVENT_COLS: &str = "ledger_id, seq, hash, kind, actor, recorded_at, body";

/// SQL: partnership `p` opens row `r` of its health system's (or manufacturer's) tables — it
/// is active, or it has ended and the row existed when it did (an ended partnership takes no
/// change, so its `updated_at` is when it ended). A proposal opens nothing.
fn opened_by(p: &str, r: &str) -> String {
    format!(
        "({p}.status = 'active' OR ({p}.status = 'ended' AND {r}.created_at <= {p}.updated_at))"
    )
}

/// SQL: row `r` (with `org_id` and `created_at`) is seen by the organization bound at
/// `viewer`: its own, or opened to it by a partnership between the two ([`opened_by`]).
fn seen_by(r: &str, viewer: &str) -> String {
    format!(
        "({r}.org_id = {viewer} OR EXISTS (SELECT 1 FROM partnerships vp WHERE \
         ((vp.health_system_id = {r}.org_id AND vp.manufacturer_id = {viewer}) \
         OR (vp.manufacturer_id = {r}.org_id AND vp.health_system_id = {viewer})) AND {}))",
        opened_by("vp", r)
    )
}

impl Store {
    pub async fn organization(&self, id: &str) -> Result<Option<Organization>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn organization_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Organization>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM organizations WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub async fn organizations(&self, page: Page) -> Result<Vec<Organization>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM organizations ORDER BY name, id LIMIT $1 OFFSET $2")
                .bind(page.limit)
                .bind(page.offset)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// An organization and the organizations in a partnership with it, whatever its status
    /// (a proposal shows each side the other's name; an ended one keeps its record readable):
    /// each one listed is one the organization may read.
    pub async fn organizations_visible_to(
        &self,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Organization>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM organizations WHERE id = $1 \
             OR id IN (SELECT manufacturer_id FROM partnerships WHERE health_system_id = $1) \
             OR id IN (SELECT health_system_id FROM partnerships WHERE manufacturer_id = $1) \
             ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn site(&self, id: &str) -> Result<Option<Site>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM sites WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn sites_of(&self, org_id: &str, page: Page) -> Result<Vec<Site>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM sites WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn facility(&self, id: &str) -> Result<Option<Facility>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM facilities WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn facilities_of(
        &self,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Facility>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM facilities WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn facilities_of_site(&self, site_id: &str) -> Result<Vec<Facility>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT f.* FROM facilities f JOIN site_facilities sf ON sf.facility_id = f.id WHERE sf.site_id = $1 ORDER BY f.kind, f.name",
        )
        .bind(site_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn users_of(&self, org_id: &str, page: Page) -> Result<Vec<User>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM users WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// How many active admins an organization has.
    pub async fn active_admins_of(&self, org_id: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(ACTIVE_ADMINS)
            .bind(org_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(n)
    }

    pub async fn partnership(&self, id: &str) -> Result<Option<Partnership>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM partnerships WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// Partnerships the organization is party to, on either side.
    pub async fn partnerships_of(
        &self,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Partnership>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM partnerships WHERE manufacturer_id = $1 OR health_system_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The partnerships between two organizations, whichever side each is on.
    pub async fn partnerships_between(
        &self,
        a: &str,
        b: &str,
    ) -> Result<Vec<Partnership>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM partnerships WHERE (manufacturer_id = $1 AND health_system_id = $2) OR (manufacturer_id = $2 AND health_system_id = $1) ORDER BY id",
        )
        .bind(a)
        .bind(b)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Partnerships the organization is party to in one of `statuses`.
    pub async fn partnerships_of_in(
        &self,
        org_id: &str,
        statuses: &[&str],
    ) -> Result<Vec<Partnership>, StoreError> {
        let list = (0..statuses.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT * FROM partnerships WHERE (manufacturer_id = $1 OR health_system_id = $1) AND status IN ({list}) ORDER BY name, id"
        );
        // Only placeholders are put into the text; the statuses are bound.
        let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(org_id);
        for s in statuses {
            q = q.bind(*s);
        }
        Ok(q.fetch_all(&self.reader).await?)
    }

    /// The sites of a partnership's health system that the partnership opens: all of them while
    /// it is active, those that existed when it ended once it has ended (an ended partnership
    /// takes no change, so its `updated_at` is when it ended), none while it is proposed.
    pub async fn sites_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<Site>, StoreError> {
        self.opened_by_partnership("sites", partnership_id).await
    }

    /// The facilities of a partnership's health system that the partnership opens (as
    /// [`Store::sites_of_partnership`]).
    pub async fn facilities_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<Facility>, StoreError> {
        self.opened_by_partnership("facilities", partnership_id)
            .await
    }

    /// Rows of a health system's `table` that a partnership opens ([`opened_by`]).
    async fn opened_by_partnership<T>(
        &self,
        table: &'static str,
        partnership_id: &str,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT r.* FROM {table} r JOIN partnerships p ON p.health_system_id = r.org_id WHERE p.id = $1 AND {} ORDER BY r.name, r.id",
            opened_by("p", "r")
        )))
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// One site, if it is one the partnership opens (as [`Store::sites_of_partnership`]).
    pub async fn site_of_partnership(
        &self,
        partnership_id: &str,
        site_id: &str,
    ) -> Result<Option<Site>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT s.* FROM sites s JOIN partnerships p ON p.health_system_id = s.org_id WHERE p.id = $1 AND s.id = $2 AND {}",
            opened_by("p", "s")
        )))
        .bind(partnership_id)
        .bind(site_id)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// The facilities serving a site that the partnership opens (as
    /// [`Store::sites_of_partnership`]).
    pub async fn facilities_of_site_in_partnership(
        &self,
        partnership_id: &str,
        site_id: &str,
    ) -> Result<Vec<Facility>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT f.* FROM facilities f JOIN site_facilities sf ON sf.facility_id = f.id JOIN partnerships p ON p.health_system_id = f.org_id WHERE p.id = $1 AND sf.site_id = $2 AND {} ORDER BY f.kind, f.name",
            opened_by("p", "f")
        )))
        .bind(partnership_id)
        .bind(site_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The sites of `org_id` that `viewer` sees: all of its own; a partner's through an active
    /// partnership, or through an ended one those that existed when it ended.
    pub async fn sites_of_seen_by(
        &self,
        org_id: &str,
        viewer: &str,
        page: Page,
    ) -> Result<Vec<Site>, StoreError> {
        self.of_org_seen_by("sites", org_id, viewer, page).await
    }

    /// The facilities of `org_id` that `viewer` sees (as [`Store::sites_of_seen_by`]).
    pub async fn facilities_of_seen_by(
        &self,
        org_id: &str,
        viewer: &str,
        page: Page,
    ) -> Result<Vec<Facility>, StoreError> {
        self.of_org_seen_by("facilities", org_id, viewer, page)
            .await
    }

    /// The users of `org_id` that `viewer` sees (as [`Store::sites_of_seen_by`]).
    pub async fn users_of_seen_by(
        &self,
        org_id: &str,
        viewer: &str,
        page: Page,
    ) -> Result<Vec<User>, StoreError> {
        self.of_org_seen_by("users", org_id, viewer, page).await
    }

    /// Rows of `table` owned by `org_id` that `viewer` sees ([`seen_by`]), by name.
    async fn of_org_seen_by<T>(
        &self,
        table: &'static str,
        org_id: &str,
        viewer: &str,
        page: Page,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT * FROM {table} r WHERE r.org_id = $1 AND {} ORDER BY r.name, r.id LIMIT $3 OFFSET $4",
            seen_by("r", "$2")
        )))
        .bind(org_id)
        .bind(viewer)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The facilities serving a site that `viewer` sees (as [`Store::sites_of_seen_by`]).
    pub async fn facilities_of_site_seen_by(
        &self,
        site_id: &str,
        viewer: &str,
    ) -> Result<Vec<Facility>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT r.* FROM facilities r JOIN site_facilities sf ON sf.facility_id = r.id WHERE sf.site_id = $1 AND {} ORDER BY r.kind, r.name",
            seen_by("r", "$2")
        )))
        .bind(site_id)
        .bind(viewer)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn program(&self, id: &str) -> Result<Option<Program>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM programs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn program_by_name(
        &self,
        org_id: &str,
        name: &str,
    ) -> Result<Option<Program>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM programs WHERE org_id = $1 AND name = $2")
                .bind(org_id)
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    pub async fn programs_of(&self, org_id: &str, page: Page) -> Result<Vec<Program>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM programs WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Programs of the manufacturers a health system is in (a not ended) partnership with.
    pub async fn programs_of_partners(
        &self,
        org_id: &str,
        page: Page,
    ) -> Result<Vec<Program>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM programs WHERE org_id IN (SELECT manufacturer_id FROM partnerships WHERE health_system_id = $1 AND status = 'active') ORDER BY name, id LIMIT $2 OFFSET $3",
        )
        .bind(org_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn map_version(&self, id: &str) -> Result<Option<MapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM map_versions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A program's map versions, newest first.
    pub async fn map_versions_of(&self, program_id: &str) -> Result<Vec<MapVersion>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM map_versions WHERE program_id = $1 ORDER BY number DESC")
                .bind(program_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    pub async fn site_map_version(&self, id: &str) -> Result<Option<SiteMapVersion>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM site_map_versions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// A site's versions of a program's map, newest first.
    pub async fn site_map_versions(
        &self,
        site_id: &str,
        program_id: &str,
    ) -> Result<Vec<SiteMapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_map_versions WHERE site_id = $1 AND program_id = $2 ORDER BY number DESC")
            .bind(site_id)
            .bind(program_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn site_map_versions_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<SiteMapVersion>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_map_versions WHERE partnership_id = $1 ORDER BY site_id, program_id, number DESC")
            .bind(partnership_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn map_proposal(&self, id: &str) -> Result<Option<MapProposal>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM map_proposals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn map_proposals_of(
        &self,
        site_map_version_id: &str,
    ) -> Result<Vec<MapProposal>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM map_proposals WHERE site_map_version_id = $1 ORDER BY created_at, id",
        )
        .bind(site_map_version_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn site_visit(&self, id: &str) -> Result<Option<SiteVisit>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_visits WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// A site's visits, newest first.
    pub async fn site_visits_of(&self, site_id: &str) -> Result<Vec<SiteVisit>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM site_visits WHERE site_id = $1 ORDER BY visited_on DESC, created_at DESC")
            .bind(site_id)
            .fetch_all(&self.reader)
            .await?)
    }

    pub async fn gap(&self, id: &str) -> Result<Option<Gap>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM gaps WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// The open gaps of a partnership at every site, for the gate's count of blocking ones.
    pub async fn open_gaps_of_partnership(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<Gap>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM gaps WHERE partnership_id = $1 AND status = 'open' ORDER BY site_id, id",
        )
        .bind(partnership_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn gaps_of_site(&self, site_id: &str) -> Result<Vec<Gap>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT * FROM gaps WHERE site_id = $1 ORDER BY status DESC, due_on, id",
            )
            .bind(site_id)
            .fetch_all(&self.reader)
            .await?,
        )
    }

    pub async fn api_tokens_of(&self, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?)
    }

    pub async fn api_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM api_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// A token with its user and the kind of the user's organization, in one query (it runs
    /// on every API request).
    pub async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User, OrgKind)>, StoreError> {
        let row: Option<AnyRow> = sqlx::query(
            "SELECT t.id AS t_id, t.name AS t_name, t.token_hash, t.created_at AS t_created_at, t.revoked_at, t.last_used_at, \
             u.*, o.kind AS org_kind FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = u.org_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = User::from_row(&r)?;
        let token = ApiToken {
            id: r.try_get("t_id")?,
            user_id: user.id.clone(),
            name: r.try_get("t_name")?,
            token_hash: r.try_get("token_hash")?,
            created_at: r.try_get("t_created_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
        };
        Ok(Some((token, user, word(&r, "org_kind")?)))
    }

    pub async fn ledger_head(&self, ledger_id: &str) -> Result<Option<LedgerHead>, StoreError> {
        let row: Option<(String, String, i64, String)> = sqlx::query_as(
            "SELECT ledger_id, kind, seq, head_hash FROM ledger_heads WHERE ledger_id = $1",
        )
        .bind(ledger_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(ledger_id, kind, seq, head_hash)| LedgerHead {
            ledger_id,
            kind,
            seq,
            head_hash,
        }))
    }

    pub async fn ledgers(&self) -> Result<Vec<LedgerHead>, StoreError> {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT ledger_id, kind, seq, head_hash FROM ledger_heads ORDER BY ledger_id",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(ledger_id, kind, seq, head_hash)| LedgerHead {
                ledger_id,
                kind,
                seq,
                head_hash,
            })
            .collect())
    }

    /// Events of a ledger with `seq > after`, oldest first.
    pub async fn events(
        &self,
        ledger_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        )))
        .bind(ledger_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Events of a ledger newest first, for people reading the audit trail.
    /// A ledger's events whose type starts with `prefix` (e.g. `site_authorization.`), oldest
    /// first.
    pub async fn events_of_type(
        &self,
        ledger_id: &str,
        prefix: &str,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 AND kind LIKE $2 ORDER BY seq"
        )))
        .bind(ledger_id)
        // `_` in a prefix matches itself too (LIKE's one-character wildcard); the prefixes
        // come from the code, never from a person.
        .bind(format!("{prefix}%"))
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn events_newest_first(
        &self,
        ledger_id: &str,
        page: Page,
    ) -> Result<Vec<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE ledger_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
        )))
        .bind(ledger_id)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn event_by_hash(&self, hash: &str) -> Result<Option<StoredEventRow>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM events WHERE hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Signatures on an event or record hash.
    pub async fn signatures_on(&self, target: &str) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM signatures WHERE target = $1 ORDER BY signed_at")
                .bind(target)
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// Signatures on an event or record hash recorded on one ledger.
    pub async fn signatures_on_in(
        &self,
        ledger_id: &str,
        target: &str,
    ) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM signatures WHERE ledger_id = $1 AND target = $2 ORDER BY signed_at",
        )
        .bind(ledger_id)
        .bind(target)
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn signatures_in(&self, ledger_id: &str) -> Result<Vec<SignatureRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM signatures WHERE ledger_id = $1 ORDER BY seq")
                .bind(ledger_id)
                .fetch_all(&self.reader)
                .await?,
        )
    }
}
