//! Browser tests (written separately).
