//! The rules of cellpath, with no IO: organizations and their roles, validated values that can
//! only hold what is allowed, and the one access policy every read and write goes through.
//! Time and randomness are parameters; nothing here touches a database or the network.

#[macro_use]
mod vocabulary;
#[cfg(feature = "openapi")]
pub mod openapi;

pub mod capacity;
pub mod consent;
pub mod contracting;
pub mod documents;
pub mod events;
pub mod figures;
pub mod finance;
pub mod identifiers;
pub mod journey;
pub mod org;
pub mod outbox;
pub mod policy;
pub mod process_map;
pub mod program;
pub mod readiness;
pub mod refinement;
pub mod registry;
pub mod release_exception;
pub mod toxicity;
pub mod values;
pub mod waitlist;

pub use org::{FacilityKind, OrgKind, PartnershipStatus, Role};
pub use policy::{Action, Decision, Principal, Relation, Resource, ResourceKind, decide};
pub use values::{Code, Date, Email, LedgerInt, Name, Notes, Password, ValueError};
pub use vocabulary::Vocabulary;
