//! The records as the app answers them: what the API, the web pages and the CLI name. Most are
//! still the store's rows (typed: enums, `Date`, `Option`), re-exported here; a capability whose
//! API answers have their own view types (serialized byte for byte as the rows were, with their
//! OpenAPI schemas derived) has a module here: [`audit`], [`consent`], [`directory`], [`tokens`],
//! [`programs`], [`site_maps`], [`readiness`], [`contracting`]. [`schema`] holds the schemas a
//! derive cannot infer (vocabularies, checked text, the domain's JSON facts) (issue 9, point 6).

pub mod audit;
pub mod bookings;
pub mod consent;
pub use consent::ConsentVersion;
pub use readiness::Gap;
pub mod contracting;
pub mod directory;
pub mod inbox;
pub mod onboarding;
pub mod programs;
pub mod readiness;
pub mod schema;
pub mod site_maps;
pub mod tokens;

pub use cellpath_store::{
    Agreement, ApiToken, AttemptOutcome, DeliverableRecord, Facility, JobAttempt, JobCounts,
    JobStatus, MapProposal, MapVersion, Organization, Page, Partnership, Program, SignatureRow,
    Site, SiteAuthorization, SiteMapVersion, SiteVisit, User,
};

/// `None` as `""`: how these fields have always answered "none" (the rows write it so).
pub(crate) use cellpath_store::empty_if_none;

/// A view serializes byte for byte as the row it is made from did (the API's JSON and the
/// answers stored for idempotent replays stay the same).
#[cfg(test)]
pub(crate) fn same_json<R: serde::Serialize + Clone, V: serde::Serialize + From<R>>(row: &R) {
    let row_json = serde_json::to_string(row).expect("serializes");
    let view_json = serde_json::to_string(&V::from(row.clone())).expect("serializes");
    assert_eq!(row_json, view_json);
}
