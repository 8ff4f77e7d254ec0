//! Release exceptions (DESIGN.md §4.5, issue 13), pure: the protocol a partnership signs for a
//! program (`protocol.rs`), one exception as the protocol drives it — tiers, acknowledgements,
//! escalation as a function of (exception, protocol, now), decisions by kind, the close signed
//! by both sides (`exception.rs`) — and the SLA figures (`sla.rs`).

mod exception;
mod protocol;
mod sla;
#[cfg(test)]
mod tests;

pub use exception::{
    Acknowledged, Exception, ExceptionRefusal, HOUR, MINUTE, Micros, Notified, Stage,
};
pub use protocol::{
    Channel, DecisionOption, ExceptionKind, KindOptions, MAX_HOURS, PatientCommunication,
    Prerequisite, Protocol, ProtocolProblem, Recipient, RolesHeld, TellMethod, Tier,
};
pub use sla::{Measure, MeasureSummary, Sla, SlaSummary, sla, summary};
