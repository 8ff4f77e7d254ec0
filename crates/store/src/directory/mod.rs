//! The directory's rows and queries: organizations, sites, facilities, users, partnerships, and
//! what a partnership opens of the other side's (filtered in the query: an active partnership
//! opens all, an ended one the rows created before it ended, a proposal none).

pub(crate) mod project;

use crate::decode::{maybe_text, word};
use crate::read::*;
use crate::{Store, StoreError};
use cellpath_domain::{FacilityKind, OrgKind, PartnershipStatus, Role};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, FromRow, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub kind: OrgKind,
    pub name: String,
    /// Its time zone, an IANA name checked by the app (migration 0018); `None` until set.
    pub time_zone: Option<String>,
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
    /// When the health system accepted the proposal; none for one never accepted (ended or
    /// declined as a proposal: it opened nothing).
    pub accepted_at: Option<i64>,
    /// Who declined the proposal (their printed name), for a declined one.
    pub declined_by: Option<String>,
    /// Why it was declined, if they said.
    pub decline_reason: Option<String>,
}

impl Partnership {
    /// Declined by the health system as a proposal (its status is then `ended`).
    pub fn declined(&self) -> bool {
        self.declined_by.is_some()
    }
}

impl FromRow<'_, AnyRow> for Organization {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Organization {
            id: r.try_get("id")?,
            kind: word(r, "kind")?,
            name: r.try_get("name")?,
            time_zone: maybe_text(r, "time_zone")?,
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
            accepted_at: r.try_get("accepted_at")?,
            declined_by: r.try_get("declined_by")?,
            decline_reason: r.try_get("decline_reason")?,
        })
    }
}

/// Counts the active admins of the organization `$1` (also checked inside writes:
/// `Operational::KeepsAnActiveAdmin`).
pub(crate) const ACTIVE_ADMINS: &str = "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE org_id = $1 AND role = 'admin' AND active = 1";

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
}
