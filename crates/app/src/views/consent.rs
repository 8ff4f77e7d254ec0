//! Consent versions as the app answers them (a site's consent documents, a version added,
//! made active or retired): the row's fields, serialized byte for byte as the row was.

use super::schema;
use cellpath_domain::Date;
use cellpath_domain::consent::{ConsentSection, ConsentStatus};
use cellpath_store as rows;
use serde::Serialize;
use utoipa::ToSchema;

/// One consent version of a site for a program: its form, sections and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentVersion {
    pub id: String,
    pub partnership_id: String,
    pub site_id: String,
    pub program_id: String,
    pub number: i64,
    pub document_name: String,
    pub document_sha256: String,
    #[schema(schema_with = schema::date)]
    pub effective_on: Date,
    pub sections: Vec<ConsentSection>,
    pub status: ConsentStatus,
    /// None while a draft.
    #[schema(schema_with = schema::maybe_date)]
    pub activated_on: Option<Date>,
    #[schema(schema_with = schema::maybe_date)]
    pub retired_on: Option<Date>,
    /// None until retired.
    pub retired_reason: Option<String>,
    pub version: i64,
    #[schema(schema_with = schema::micros)]
    pub created_at: i64,
    #[schema(schema_with = schema::micros)]
    pub updated_at: i64,
}

impl From<rows::ConsentVersion> for ConsentVersion {
    fn from(r: rows::ConsentVersion) -> Self {
        ConsentVersion {
            id: r.id,
            partnership_id: r.partnership_id,
            site_id: r.site_id,
            program_id: r.program_id,
            number: r.number,
            document_name: r.document_name,
            document_sha256: r.document_sha256,
            effective_on: r.effective_on,
            sections: r.sections,
            status: r.status,
            activated_on: r.activated_on,
            retired_on: r.retired_on,
            retired_reason: r.retired_reason,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellpath_domain::consent::SectionKind;

    /// The view serializes byte for byte as the row did (answers stored for idempotent replays
    /// stay the same).
    #[test]
    fn the_consent_version_view_serializes_as_its_row() {
        let day = |d: &str| Date::parse(d).expect("a date");
        let row = rows::ConsentVersion {
            id: "cv1".into(),
            partnership_id: "p1".into(),
            site_id: "s1".into(),
            program_id: "g1".into(),
            number: 2,
            document_name: "Consent v2.pdf".into(),
            document_sha256: "ab".repeat(32),
            effective_on: day("2026-11-23"),
            sections: vec![ConsentSection {
                kind: SectionKind::ManufacturingFailure,
                heading: "If the product cannot be made".into(),
                text: "We will tell you and talk about what can be done next.".into(),
            }],
            status: ConsentStatus::Retired,
            activated_on: Some(day("2026-11-24")),
            retired_on: Some(day("2026-12-01")),
            retired_reason: Some("replaced".into()),
            version: 3,
            created_at: 5,
            updated_at: 7,
        };
        crate::views::same_json::<rows::ConsentVersion, ConsentVersion>(&row);
        let draft = rows::ConsentVersion {
            activated_on: None,
            retired_on: None,
            retired_reason: None,
            status: ConsentStatus::Draft,
            ..row
        };
        crate::views::same_json::<rows::ConsentVersion, ConsentVersion>(&draft);
    }
}
