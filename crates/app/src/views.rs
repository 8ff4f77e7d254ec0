//! The records as the app answers them: what the API, the web pages and the CLI name. Today
//! they are the store's rows (typed: enums, `Date`, `Option`); the crates above `app` name
//! them only through here, so a view made for the wire can replace a row without their
//! knowing where it came from (issue 9, point 6).

pub use cellpath_store::{
    Agreement, ApiToken, AttemptOutcome, DeliverableRecord, Facility, Gap, JobAttempt, JobCounts,
    JobStatus, MapProposal, MapVersion, Organization, Page, Partnership, Program, SignatureRow,
    Site, SiteAuthorization, SiteMapVersion, SiteVisit, User,
};
