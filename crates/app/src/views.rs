//! The records as the app answers them: what the API, the web pages and the CLI name. Each
//! capability's answers have their own view types (typed: enums, `Date`, `Option`; serialized
//! byte for byte as the rows were, with their OpenAPI schemas derived): [`audit`], [`consent`],
//! [`directory`], [`tokens`], [`programs`], [`site_maps`], [`readiness`], [`contracting`]. The
//! app's queries and commands return them, converting at the boundary; the rows stay inside the
//! app; no store row is re-exported (`Page` is the store's paging request, not a row). [`jobs`]
//! is the operator's view of the job queue. [`schema`] holds the schemas a derive cannot
//! infer (vocabularies, checked text, the domain's JSON facts) (issue 9, points 2 and 6).

pub mod audit;
pub mod bookings;
pub mod consent;
pub use consent::ConsentVersion;
pub use readiness::Gap;
pub mod contracting;
pub mod directory;
pub mod inbox;
pub mod jobs;
pub mod onboarding;
pub mod programs;
pub mod readiness;
pub mod schema;
pub mod site_maps;
pub mod tokens;

pub use cellpath_store::Page;
pub use contracting::{Agreement, DeliverableRecord, SiteAuthorization};
pub use directory::{Facility, Organization, Partnership, Site, User};
pub use jobs::{AttemptOutcome, JobAttempt, JobCounts, JobStatus, JobView};
pub use programs::{MapVersion, Program};
pub use readiness::SiteVisit;
pub use site_maps::{MapProposal, SiteMapVersion};
pub use tokens::ApiToken;

/// Rows made into their views (the app's answers are views, never the store's rows).
pub(crate) fn all<R, V: From<R>>(rows: Vec<R>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

/// `None` as `""`: how these fields have always answered "none" (the rows write it so).
pub(crate) use cellpath_store::empty_if_none;

/// [`same_json`] for a view that adds the record's `signatures` (empty here) to the row's
/// fields.
#[cfg(test)]
pub(crate) fn same_json_signed<R: serde::Serialize + Clone, V: serde::Serialize>(
    row: &R,
    unsigned: impl Fn(R) -> V,
) {
    let row_json = serde_json::to_value(row).expect("serializes");
    let mut view_json = serde_json::to_value(unsigned(row.clone())).expect("serializes");
    let signatures = view_json
        .as_object_mut()
        .expect("an object")
        .remove("signatures");
    assert_eq!(signatures, Some(serde_json::json!([])));
    assert_eq!(row_json, view_json);
}

/// A view serializes byte for byte as the row it is made from did (the API's JSON and the
/// answers stored for idempotent replays stay the same).
#[cfg(test)]
pub(crate) fn same_json<R: serde::Serialize + Clone, V: serde::Serialize + From<R>>(row: &R) {
    let row_json = serde_json::to_string(row).expect("serializes");
    let view_json = serde_json::to_string(&V::from(row.clone())).expect("serializes");
    assert_eq!(row_json, view_json);
}
