//! End-to-end tests of cellpath: the real server on a free port, driven over HTTP, through the
//! `cellpath` binary, and in headless Chromium. One test binary for the crate (build time).

mod api;
mod audit_documents;
mod browser;
mod cases;
mod cli;
mod contract;
mod documents_settings;
mod exceptions;
mod figures;
mod finance;
mod first_use;
mod fuzz;
mod inbox;
mod kill9;
mod labels;
mod layers;
mod plan;
mod safety;
mod signed_answers;
mod support;
mod tenancy;
mod tokens;
mod upload_browser;
mod waitlist;
mod webhooks;
