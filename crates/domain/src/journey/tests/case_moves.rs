//! The case as a whole: opening, the chain of identity's labels, hold and resume, cancel,
//! repeated attempts, deviations and migration to a newer map version.
