//! The app's stories, run on SQLite and (when configured) PostgreSQL: the demo's ledgers
//! verify and replay, tenants never see each other, sessions and lock-outs expire on the
//! clock, tokens are revocable, signatures need the password, tampering is caught.

mod adverse_events;
mod agreements;
mod auth;
mod booked_chain;
mod bookings;
mod cases;
mod cases_uncovered;
mod claims;
mod consent;
mod deliverables;
mod demo;
mod documents;
mod documents_bucket;
mod documents_reupload;
mod email;
mod exception_decisions;
mod exception_delivery;
mod exception_protocols;
mod exception_views;
mod figures;
mod finance;
mod gate;
mod inbox;
mod inbox_today;
mod jobs;
mod matrix;
mod notices;
mod onboarding;
mod partnerships;
mod people;
mod plans;
mod programs;
mod readiness;
mod records;
mod registry;
mod release_exceptions;
mod safety;
mod site_maps;
mod step_index;
mod support;
mod tenancy;
mod waitlist;
mod webhooks;
