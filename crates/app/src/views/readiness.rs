//! Site visits and gaps as the API answers them, made from the store's rows and serialized
//! exactly as the rows were; the schema of a finding (a domain type the readiness view lists).

use super::{empty_if_none, schema};
use crate::signatures::RecordSignatures;
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::readiness::Severity;
use cellpath_domain::{Date, LedgerInt, Role};
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

/// A site visit: who came, what they observed at which facility, findings and attachments.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteVisit {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    #[schema(schema_with = schema::date)]
    pub visited_on: Date,
    #[schema(schema_with = schema::texts)]
    pub visitors: serde_json::Value,
    #[schema(schema_with = schema::texts)]
    pub facility_ids: serde_json::Value,
    #[schema(schema_with = observations)]
    pub observations: serde_json::Value,
    #[schema(schema_with = findings_by_area)]
    pub findings: serde_json::Value,
    #[schema(schema_with = attachments)]
    pub attachments: serde_json::Value,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

fn observations() -> RefOr<Schema> {
    schema::array("what was observed: facility, capability, value and an optional note")
}

fn findings_by_area() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("area → text"))
        .additional_properties(Some(AdditionalProperties::RefOr(
            ObjectBuilder::new().schema_type(Type::String).into(),
        )))
        .into()
}

fn attachments() -> RefOr<Schema> {
    schema::array("files attached by name, type, size and SHA-256")
}

impl From<rows::SiteVisit> for SiteVisit {
    fn from(r: rows::SiteVisit) -> Self {
        SiteVisit {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            visited_on: r.visited_on,
            visitors: r.visitors,
            facility_ids: r.facility_ids,
            observations: r.observations,
            findings: r.findings,
            attachments: r.attachments,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A readiness gap: a requirement unmet at a site, open until closed with evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    /// `''` when the site lacks the kind of facility the requirement needs.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub facility_id: Option<String>,
    pub requirement_key: String,
    #[schema(schema_with = schema::vocabulary::<Severity>)]
    pub severity: Severity,
    pub expected: String,
    pub observed: String,
    #[schema(schema_with = schema::role)]
    pub owner_role: Role,
    #[schema(schema_with = schema::date)]
    pub due_on: Date,
    #[schema(schema_with = schema::vocabulary::<GapStatus>)]
    pub status: GapStatus,
    /// What closed it; `''` while open.
    #[serde(serialize_with = "empty_if_none")]
    #[schema(schema_with = schema::text_or_empty, required = true)]
    pub evidence: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
    /// Its e-signatures, oldest first: closing it with evidence (meaning `verified`), with
    /// the printed name, the time and the meaning (21 CFR 11.50).
    pub signatures: Vec<super::audit::Signature>,
}

impl From<rows::Gap> for Gap {
    fn from(r: rows::Gap) -> Self {
        Gap::unsigned(r)
    }
}

impl Gap {
    /// The gap with its signatures.
    pub fn signed(r: rows::Gap, signatures: &RecordSignatures) -> Self {
        let signatures = signatures.answer(&r.id);
        Gap {
            signatures,
            ..Gap::unsigned(r)
        }
    }

    /// A gap that carries no signature yet: just opened by an analysis (only closing signs).
    pub fn unsigned(r: rows::Gap) -> Self {
        Gap {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            facility_id: r.facility_id,
            requirement_key: r.requirement_key,
            severity: r.severity,
            expected: r.expected,
            observed: r.observed,
            owner_role: r.owner_role,
            due_on: r.due_on,
            status: r.status,
            evidence: r.evidence,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            signatures: Vec::new(),
        }
    }
}

/// The verdicts on a program's requirements at a site (`cellpath_domain::readiness::Finding`).
pub fn findings() -> RefOr<Schema> {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let finding = ObjectBuilder::new()
        .property("requirement", text())
        .required("requirement")
        .property(
            "facility_id",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
        )
        .required("facility_id")
        .property("severity", schema::vocabulary::<Severity>())
        .required("severity")
        .property("expected", text())
        .required("expected")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .enum_values(Some(["met", "unmet", "not_observed", "no_facility"])),
        )
        .required("status")
        .property(
            "observed",
            ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some(
                "what was observed (met and unmet): yes/no, a whole number, a text or a list of names",
            )),
        );
    ArrayBuilder::new().items(finding).into()
}

/// A list of the document's gaps.
/// What a visit observed, as a request gives it (`cellpath_domain::readiness::Observation`).
pub fn observation_inputs() -> RefOr<Schema> {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let value = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(-LedgerInt::MAX))
                .maximum(Some(LedgerInt::MAX)),
        )
        .item(text())
        .item(ArrayBuilder::new().items(text()))
        .description(Some(
            "yes/no, a whole number, a window HH:MM-HH:MM or a list of names, as the capability takes",
        ));
    ArrayBuilder::new()
        .items(
            closed()
                .property("facility_id", text())
                .required("facility_id")
                .property("capability", text())
                .required("capability")
                .property("value", value)
                .required("value")
                .property("note", text()),
        )
        .into()
}

/// Findings by area, as a request gives them.
pub fn finding_inputs() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("area → text"))
        .additional_properties(Some(AdditionalProperties::RefOr(schema::notes())))
        .into()
}

/// Files attached to a visit by their metadata (`cellpath_domain::readiness::Attachment`).
pub fn attachment_inputs() -> RefOr<Schema> {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    ArrayBuilder::new()
        .items(
            closed()
                .property("name", text())
                .required("name")
                .property("media_type", text())
                .required("media_type")
                .property("bytes", schema::count())
                .required("bytes")
                .property("sha256", text().pattern(Some("^[0-9a-fA-F]{64}$")))
                .required("sha256"),
        )
        .into()
}

fn closed() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// The names of who visited.
pub fn names() -> RefOr<Schema> {
    ArrayBuilder::new().items(schema::name()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{same_json, same_json_signed};
    use serde_json::json;

    #[test]
    fn views_serialize_as_their_rows() {
        same_json::<_, SiteVisit>(&rows::SiteVisit {
            id: "v1".into(),
            partnership_id: "p1".into(),
            site_id: "s1".into(),
            visited_on: Date::parse("2026-03-02").expect("a day"),
            visitors: json!(["Ann"]),
            facility_ids: json!(["f1"]),
            observations: json!([]),
            findings: json!({ "staff": "enough" }),
            attachments: json!([]),
            version: 1,
            created_at: 1,
            updated_at: 2,
        });
        for (facility_id, evidence) in [
            (None, None),
            (Some("f1".to_string()), Some("ok".to_string())),
        ] {
            same_json_signed(
                &rows::Gap {
                    id: "g1".into(),
                    partnership_id: "p1".into(),
                    site_id: "s1".into(),
                    program_id: "r1".into(),
                    facility_id,
                    requirement_key: "freezer".into(),
                    severity: Severity::Blocking,
                    expected: "at least 1".into(),
                    observed: "0".into(),
                    owner_role: Role::CellLab,
                    due_on: Date::parse("2026-04-01").expect("a day"),
                    status: GapStatus::Open,
                    evidence,
                    version: 2,
                    created_at: 3,
                    updated_at: 4,
                },
                Gap::unsigned,
            );
        }
    }
}
