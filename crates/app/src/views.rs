//! The records as the app answers them: what the API, the web pages and the CLI name. Most are
//! still the store's rows (typed: enums, `Date`, `Option`), re-exported here; a capability whose
//! API answers have their own view types (serialized byte for byte as the rows were, with their
//! OpenAPI schemas derived) has a module here: [`audit`], [`directory`], [`tokens`]. [`schema`] holds the schemas a
//! derive cannot infer (vocabularies, checked text) (issue 9, point 6).

pub mod audit;
pub mod directory;
pub mod schema;
pub mod tokens;

pub use cellpath_store::{
    Agreement, ApiToken, AttemptOutcome, ConsentVersion, DeliverableRecord, Facility, Gap,
    JobAttempt, JobCounts, JobStatus, MapProposal, MapVersion, Organization, Page, Partnership,
    Program, SignatureRow, Site, SiteAuthorization, SiteMapVersion, SiteVisit, User,
};
