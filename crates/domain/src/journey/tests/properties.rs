//! Random sequences of commands never leave an inconsistent case.
