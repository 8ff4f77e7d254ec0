//! The directory's events: organizations (each opens its ledger), sites, facilities and users
//! on a health system's or manufacturer's ledger, partnerships (each opens its own).

use super::{Created, Updated, events};
use crate::{FacilityKind, OrgKind, PartnershipStatus, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationFields {
    pub kind: OrgKind,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its time zone, an IANA name ('' before the first is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFields {
    pub org_id: String,
    pub name: String,
    pub code: String,
    pub city: String,
    pub region: String,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityFields {
    pub org_id: String,
    pub name: String,
    pub kind: FacilityKind,
    /// The sites it serves, of the same health system.
    pub site_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacilityChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<FacilityKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFields {
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A user's password was set anew (the hash is an operational row, never in the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChanged {
    /// The user's id.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipFields {
    pub manufacturer_id: String,
    pub health_system_id: String,
    pub name: String,
    /// The manufacturer's programs the partnership is for, by id.
    pub programs: Vec<String>,
    pub status: PartnershipStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartnershipChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programs: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PartnershipStatus>,
}

pub type OrganizationCreated = Created<OrganizationFields>;
pub type OrganizationUpdated = Updated<OrganizationChanges>;
pub type SiteCreated = Created<SiteFields>;
pub type SiteUpdated = Updated<SiteChanges>;
pub type FacilityCreated = Created<FacilityFields>;
pub type FacilityUpdated = Updated<FacilityChanges>;
pub type UserCreated = Created<UserFields>;
pub type UserUpdated = Updated<UserChanges>;
pub type PartnershipCreated = Created<PartnershipFields>;
pub type PartnershipUpdated = Updated<PartnershipChanges>;

events! {
    OrganizationCreated => "organization.created",
    OrganizationUpdated => "organization.updated",
    SiteCreated => "site.created",
    SiteUpdated => "site.updated",
    FacilityCreated => "facility.created",
    FacilityUpdated => "facility.updated",
    UserCreated => "user.created",
    UserUpdated => "user.updated",
    PasswordChanged => "user.password_changed",
    PartnershipCreated => "partnership.created",
    PartnershipUpdated => "partnership.updated",
}
