//! Contracting as the API answers it: agreements, gate deliverables and the gate's recorded
//! verdicts, made from the store's rows and serialized exactly as the rows were; the schemas
//! of the app's contracting views that list them (`GateView`, `ExpiryReminder`) and of the
//! gate's missing items.

use super::{empty_if_none, schema};
use crate::signatures::RecordSignatures;
use cellpath_domain::Date;
use cellpath_domain::contracting::gate::AuthorizationStatus;
use cellpath_domain::contracting::{AgreementKind, AgreementStatus, Coverage, Deliverable, Scope};
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::KnownFormat;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub id: String,
    pub partnership_id: String,
    #[schema(schema_with = schema::vocabulary::<AgreementKind>)]
    pub kind: AgreementKind,
    #[schema(schema_with = schema::vocabulary::<Scope>)]
    pub scope: Scope,
    /// `''` for health_system scope.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub site_id: Option<String>,
    #[schema(schema_with = schema::vocabulary::<AgreementStatus>)]
    pub status: AgreementStatus,
    /// User id of the owner on the manufacturer's side, or `''`.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub owner_manufacturer: Option<String>,
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub owner_health_system: Option<String>,
    /// `''` until set.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::day_or_empty, required = true)]
    pub effective_on: Option<Date>,
    /// `''` when it does not expire.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::day_or_empty, required = true)]
    pub expires_on: Option<Date>,
    #[schema(value_type = Coverage)]
    pub coverage: serde_json::Value,
    #[schema(schema_with = documents)]
    pub documents: serde_json::Value,
    #[schema(schema_with = amendments)]
    pub amendments: serde_json::Value,
    pub redline_rounds: i64,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

/// An object of exactly these fields, each required.
fn closed<const N: usize>(fields: [(&str, ObjectBuilder); N]) -> ObjectBuilder {
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for (name, schema) in fields {
        o = o.property(name, schema).required(name);
    }
    o
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The document's versions (`cellpath_domain::events::contracting::Document`).
fn documents() -> RefOr<Schema> {
    let bytes = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)));
    ArrayBuilder::new()
        .items(closed([
            ("name", text()),
            ("sha256", text()),
            ("bytes", bytes),
            ("added_on", text()),
        ]))
        .into()
}

/// Its amendments (`cellpath_domain::events::contracting::Amendment`).
fn amendments() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(closed([("title", text()), ("effective_on", text())]))
        .into()
}

impl From<rows::Agreement> for Agreement {
    fn from(r: rows::Agreement) -> Self {
        Agreement {
            id: r.id,
            partnership_id: r.partnership_id,
            kind: r.kind,
            scope: r.scope,
            site_id: r.site_id,
            status: r.status,
            owner_manufacturer: r.owner_manufacturer,
            owner_health_system: r.owner_health_system,
            effective_on: r.effective_on,
            expires_on: r.expires_on,
            coverage: r.coverage,
            documents: r.documents,
            amendments: r.amendments,
            redline_rounds: r.redline_rounds,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A gate deliverable recorded done at a site, e-signed; it counts until revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverableRecord {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    #[schema(schema_with = schema::vocabulary::<Deliverable>)]
    pub deliverable: Deliverable,
    #[schema(schema_with = schema::date)]
    pub done_on: Date,
    pub evidence: String,
    /// The day it stopped counting, `''` while it counts.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::day_or_empty, required = true)]
    pub revoked_on: Option<Date>,
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub revoked_reason: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
    /// Its e-signatures, oldest first: recording it (meaning `verified`) and revoking it
    /// (`reviewed`), each with the printed name, the time and the meaning (21 CFR 11.50).
    pub signatures: Vec<super::audit::Signature>,
}

impl DeliverableRecord {
    /// Whether the gate counts it: recorded and not revoked.
    pub fn counts(&self) -> bool {
        self.revoked_on.is_none()
    }

    /// The record with its signatures.
    pub fn signed(r: rows::DeliverableRecord, signatures: &RecordSignatures) -> Self {
        let signatures = signatures.answer(&r.id);
        DeliverableRecord {
            signatures,
            ..DeliverableRecord::unsigned(r)
        }
    }

    /// The record without its signatures: for the app's own judgments and tests, never an
    /// answer.
    pub fn unsigned(r: rows::DeliverableRecord) -> Self {
        DeliverableRecord {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            deliverable: r.deliverable,
            done_on: r.done_on,
            evidence: r.evidence,
            revoked_on: r.revoked_on,
            revoked_reason: r.revoked_reason,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            signatures: Vec::new(),
        }
    }
}

/// The gate's verdict as last recorded for a program at a site.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteAuthorization {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    #[schema(schema_with = schema::vocabulary::<AuthorizationStatus>)]
    pub status: AuthorizationStatus,
    /// The day of the last change of status.
    #[schema(schema_with = schema::date)]
    pub since: Date,
    /// What was missing when it was suspended (sentences); empty when authorized.
    #[schema(schema_with = schema::texts)]
    pub missing: serde_json::Value,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::SiteAuthorization> for SiteAuthorization {
    fn from(r: rows::SiteAuthorization) -> Self {
        SiteAuthorization {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            status: r.status,
            since: r.since,
            missing: r.missing,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A list of the document's agreements (the rows an app view lists serialize as [`Agreement`]).
pub fn agreements() -> RefOr<Schema> {
    schema::list_of("Agreement").into()
}

pub fn agreement() -> RefOr<Schema> {
    schema::named::<Agreement>()
}

pub fn deliverables() -> RefOr<Schema> {
    schema::list_of("DeliverableRecord").into()
}

/// The verdict last recorded, or null.
pub fn recorded() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(schema::named::<SiteAuthorization>())
        .into()
}

/// What keeps a site from authorization (`cellpath_domain::contracting::gate::Missing`, as its
/// serde tag `missing`), with the fields each kind carries.
pub fn missing_item() -> ObjectBuilder {
    ObjectBuilder::new()
        .property(
            "missing",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .enum_values(Some([
                    "partnership",
                    "agreement",
                    "deliverable",
                    "blocking_gaps",
                ])),
        )
        .required("missing")
        .property("text", text())
        .required("text")
        .property("kind", schema::vocabulary::<AgreementKind>())
        .property("reason", text())
        .property("deliverable", schema::vocabulary::<Deliverable>())
        .property(
            "count",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
}

/// The deliverables a person records: not the signed site map, the consent or the
/// release-exception protocol, fulfilled by the site map version both sides sign, the site's
/// active consent version and the protocol version both sides sign (`record_deliverable`
/// refuses them).
pub fn recordable_deliverable() -> RefOr<Schema> {
    let words: Vec<&str> = Deliverable::ALL
        .iter()
        .filter(|d| {
            !matches!(
                d,
                Deliverable::SiteMapSigned
                    | Deliverable::ConsentWithFailureLanguage
                    | Deliverable::ReleaseExceptionProtocol
            )
        })
        .map(|d| d.as_str())
        .collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some(words))
        .into()
}

/// An agreement's expiry as a request sets it: a day, or `''` for none.
pub fn expiry_day() -> RefOr<Schema> {
    text()
        .pattern(Some(format!("^$|{}", schema::DAY)))
        .description(Some(
            "YYYY-MM-DD, the first day the agreement no longer binds (the gate stops counting it that day), or '' for none",
        ))
        .into()
}

/// A new agreement ([`crate::contracting::AgreementInput`]) as the API takes it: a central kind
/// at health_system scope with an optional coverage, or a site's own agreement naming its site.
pub fn agreement_input() -> RefOr<Schema> {
    let one = |word: &'static str| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .enum_values(Some([word]))
    };
    let owners = |o: ObjectBuilder| {
        o.property("owner_manufacturer", text())
            .property("owner_health_system", text())
    };
    let site_kinds: Vec<&str> = AgreementKind::ALL
        .iter()
        .filter(|k| !k.is_central())
        .map(|k| k.as_str())
        .collect();
    let health_system = owners(
        open_object()
            .property("kind", schema::vocabulary::<AgreementKind>())
            .required("kind")
            .property("scope", one("health_system"))
            .required("scope")
            .property(
                "site_id",
                one("").description(Some("a health-system agreement names no site")),
            )
            .property("coverage", schema::named::<Coverage>()),
    );
    let site = owners(
        open_object()
            .property(
                "kind",
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .enum_values(Some(site_kinds))
                    .description(Some(
                        "the central kinds are executed once for the health system",
                    )),
            )
            .required("kind")
            .property("scope", one("site"))
            .required("scope")
            .property(
                "site_id",
                text().min_length(Some(1)).description(Some(
                    "the site it covers (no coverage: it covers its own site)",
                )),
            )
            .required("site_id"),
    );
    OneOfBuilder::new()
        .item(health_system.additional_properties(Some(AdditionalProperties::FreeForm(false))))
        .item(site.additional_properties(Some(AdditionalProperties::FreeForm(false))))
        .into()
}

fn open_object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{same_json, same_json_signed};
    use serde_json::json;

    fn day(s: &str) -> Date {
        Date::parse(s).expect("a day")
    }

    #[test]
    fn views_serialize_as_their_rows() {
        for (site, dates) in [
            (None, None),
            (
                Some("s1".to_string()),
                Some((day("2026-01-01"), day("2027-01-01"))),
            ),
        ] {
            same_json::<_, Agreement>(&rows::Agreement {
                id: "a1".into(),
                partnership_id: "p1".into(),
                kind: AgreementKind::QualityAgreement,
                scope: Scope::Site,
                site_id: site.clone(),
                status: AgreementStatus::Executed,
                owner_manufacturer: site.clone(),
                owner_health_system: None,
                effective_on: dates.as_ref().map(|d| d.0.clone()),
                expires_on: dates.map(|d| d.1),
                coverage: json!({ "covers": "all_sites" }),
                documents: json!([]),
                amendments: json!([]),
                redline_rounds: 2,
                version: 4,
                created_at: 1,
                updated_at: 2,
            });
        }
        for revoked in [None, Some((day("2026-05-01"), "lapsed".to_string()))] {
            same_json_signed(
                &rows::DeliverableRecord {
                    id: "d1".into(),
                    partnership_id: "p1".into(),
                    site_id: "s1".into(),
                    program_id: "g1".into(),
                    deliverable: Deliverable::ALL[0],
                    done_on: day("2026-02-03"),
                    evidence: "signed".into(),
                    revoked_on: revoked.as_ref().map(|r| r.0.clone()),
                    revoked_reason: revoked.map(|r| r.1),
                    version: 1,
                    created_at: 1,
                    updated_at: 1,
                },
                DeliverableRecord::unsigned,
            );
        }
        same_json::<_, SiteAuthorization>(&rows::SiteAuthorization {
            id: "x1".into(),
            partnership_id: "p1".into(),
            site_id: "s1".into(),
            program_id: "g1".into(),
            status: AuthorizationStatus::Suspended,
            since: day("2026-06-01"),
            missing: json!(["Quality agreement: expired"]),
            version: 2,
            created_at: 1,
            updated_at: 2,
        });
    }
}
