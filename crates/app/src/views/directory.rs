//! The directory as the API answers it: organizations, sites, facilities, users,
//! partnerships. Each view is made from the store's row and serializes exactly as the row did.

use super::schema;
use cellpath_domain::{FacilityKind, OrgKind, PartnershipStatus, Role};
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    #[schema(schema_with = schema::vocabulary::<OrgKind>)]
    pub kind: OrgKind,
    pub name: String,
    /// Its time zone (an IANA name), in which its people's pages show times; null until its
    /// admin sets one: UTC. Times in the API stay UTC.
    pub time_zone: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::Organization> for Organization {
    fn from(r: rows::Organization) -> Self {
        Organization {
            id: r.id,
            kind: r.kind,
            name: r.name,
            time_zone: r.time_zone,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub code: String,
    pub city: String,
    pub region: String,
    pub active: bool,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::Site> for Site {
    fn from(r: rows::Site) -> Self {
        Site {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            code: r.code,
            city: r.city,
            region: r.region,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: String,
    pub org_id: String,
    pub name: String,
    #[schema(schema_with = schema::vocabulary::<FacilityKind>)]
    pub kind: FacilityKind,
    pub site_ids: Vec<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::Facility> for Facility {
    fn from(r: rows::Facility) -> Self {
        Facility {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            kind: r.kind,
            site_ids: r.site_ids,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    #[schema(schema_with = schema::vocabulary::<Role>)]
    pub role: Role,
    pub active: bool,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::User> for User {
    fn from(r: rows::User) -> Self {
        User {
            id: r.id,
            org_id: r.org_id,
            email: r.email,
            name: r.name,
            role: r.role,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The caller and their organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Me {
    pub user: User,
    pub organization: Organization,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    pub id: String,
    pub manufacturer_id: String,
    pub health_system_id: String,
    pub name: String,
    pub programs: Vec<String>,
    #[schema(schema_with = schema::vocabulary::<PartnershipStatus>)]
    pub status: PartnershipStatus,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
    /// When the health system accepted the proposal (microseconds since the Unix epoch);
    /// null for a proposal never accepted.
    pub accepted_at: Option<i64>,
    /// For a proposal the health system declined (its status is then `ended`): who declined
    /// it, by printed name; null otherwise.
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

impl From<rows::Partnership> for Partnership {
    fn from(r: rows::Partnership) -> Self {
        Partnership {
            id: r.id,
            manufacturer_id: r.manufacturer_id,
            health_system_id: r.health_system_id,
            name: r.name,
            programs: r.programs,
            status: r.status,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            accepted_at: r.accepted_at,
            declined_by: r.declined_by,
            decline_reason: r.decline_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A view serializes byte for byte as the row it is made from did (the API's JSON and the
    /// answers stored for idempotent replays stay the same).
    #[test]
    fn views_serialize_as_their_rows() {
        let org = rows::Organization {
            id: "o1".into(),
            kind: OrgKind::HealthSystem,
            name: "Mercy".into(),
            time_zone: Some("America/Chicago".into()),
            version: 2,
            created_at: 10,
            updated_at: 11,
        };
        let user = rows::User {
            id: "u1".into(),
            org_id: "o1".into(),
            email: "a@b.org".into(),
            name: "Ann".into(),
            role: Role::Admin,
            active: true,
            version: 1,
            created_at: 3,
            updated_at: 4,
        };
        let site = rows::Site {
            id: "s1".into(),
            org_id: "o1".into(),
            name: "North".into(),
            code: "N-1".into(),
            city: "Boston".into(),
            region: "MA".into(),
            active: false,
            version: 5,
            created_at: 6,
            updated_at: 7,
        };
        let facility = rows::Facility {
            id: "f1".into(),
            org_id: "o1".into(),
            name: "Lab".into(),
            kind: FacilityKind::Processing,
            site_ids: vec!["s1".into()],
            version: 1,
            created_at: 1,
            updated_at: 2,
        };
        let partnership = rows::Partnership {
            id: "p1".into(),
            manufacturer_id: "m1".into(),
            health_system_id: "o1".into(),
            name: "Mercy × Acme".into(),
            programs: vec!["g1".into()],
            status: PartnershipStatus::Active,
            version: 3,
            created_at: 8,
            updated_at: 9,
            accepted_at: Some(8),
            declined_by: None,
            decline_reason: None,
        };
        fn same<R: Serialize + Clone, V: Serialize + From<R>>(row: &R) {
            let row_json = serde_json::to_string(row).expect("serializes");
            let view_json = serde_json::to_string(&V::from(row.clone())).expect("serializes");
            assert_eq!(row_json, view_json);
        }
        same::<_, Organization>(&org);
        same::<_, User>(&user);
        same::<_, Site>(&site);
        same::<_, Facility>(&facility);
        same::<_, Partnership>(&partnership);
    }
}
