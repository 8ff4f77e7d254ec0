//! Release exceptions (DESIGN.md §4.5, issue 13) on the partnership's ledger: the protocol a
//! partnership agrees for each program (`protocols.rs`: drafted by either side, e-signed by
//! both; the gate's "release-exception protocol agreed" item is derived from the agreed
//! version). The rules are the domain's `release_exception`.

pub mod decisions;
pub mod exceptions;
pub mod protocols;
pub mod views;

pub use decisions::{
    CLOSE_RECORD, ExceptionDecision, ExceptionPrerequisite, ExceptionProgress, ExceptionTimeline,
    ExceptionTimelineEntry, PatientTold,
};
pub use exceptions::OpenReleaseException;
pub use protocols::{NewExceptionProtocol, PROTOCOL_RECORD};
pub use views::{
    ExceptionSla, PartnershipProtocols, PartnershipSla, ProgramName, ProtocolVersionView,
    ReleaseExceptionView, SlaDashboard, TierNotice, span_words,
};
