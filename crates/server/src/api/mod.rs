//! The JSON API under `/api/v1`.

pub(crate) mod bookings;
pub(crate) mod cases;
pub(crate) mod claims;
pub(crate) mod consent;
pub(crate) mod contracts;
pub(crate) mod documents;
pub(crate) mod exception_decisions;
pub(crate) mod exceptions;
mod extract;
pub(crate) mod figures;
pub(crate) mod finance;
pub(crate) mod identifiers;
pub(crate) mod inbox;
pub(crate) mod ledgers;
pub(crate) mod notices;
pub(crate) mod programs;
pub(crate) mod records;
pub(crate) mod safety;
pub(crate) mod sites;
pub(crate) mod tokens;
pub(crate) mod waitlist;
pub(crate) mod webhooks;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post, put};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(records::me))
        .route("/api/v1/organizations", get(records::list_organizations))
        .route(
            "/api/v1/organizations/{id}",
            get(records::get_organization).patch(records::patch_organization),
        )
        .route(
            "/api/v1/organizations/{id}/sites",
            get(records::list_sites).post(records::create_site),
        )
        .route(
            "/api/v1/organizations/{id}/facilities",
            get(records::list_facilities).post(records::create_facility),
        )
        .route(
            "/api/v1/organizations/{id}/users",
            get(records::list_users).post(records::create_user),
        )
        .route(
            "/api/v1/sites/{id}",
            get(records::get_site).patch(records::patch_site),
        )
        .route(
            "/api/v1/facilities/{id}",
            get(records::get_facility).patch(records::patch_facility),
        )
        .route(
            "/api/v1/users/{id}",
            get(records::get_user).patch(records::patch_user),
        )
        .route(
            "/api/v1/partnerships",
            get(records::list_partnerships).post(records::create_partnership),
        )
        .route(
            "/api/v1/partnerships/{id}",
            get(records::get_partnership).patch(records::patch_partnership),
        )
        .route(
            "/api/v1/partnerships/{id}/decline",
            post(records::decline_partnership),
        )
        .route(
            "/api/v1/programs",
            get(programs::list).post(programs::create),
        )
        .route(
            "/api/v1/programs/{id}",
            get(programs::get).patch(programs::update),
        )
        .route(
            "/api/v1/programs/{id}/maps",
            get(programs::list_maps).post(programs::create_map),
        )
        .route(
            "/api/v1/maps/{id}",
            get(programs::get_map).patch(programs::update_map),
        )
        .route("/api/v1/maps/{id}/publish", post(programs::publish_map))
        .route(
            "/api/v1/programs/{id}/requirements",
            put(sites::set_requirements),
        )
        .route(
            "/api/v1/partnerships/{id}/site-maps",
            get(sites::list_site_maps).post(sites::start_site_map),
        )
        .route(
            "/api/v1/site-maps/{id}",
            get(sites::get_site_map).patch(sites::refine_site_map),
        )
        .route("/api/v1/site-maps/{id}/proposals", post(sites::propose))
        .route(
            "/api/v1/site-maps/{id}/signatures",
            post(sites::sign_site_map),
        )
        .route("/api/v1/proposals/{id}/decision", post(sites::decide))
        .route(
            "/api/v1/partnerships/{id}/visits",
            post(sites::record_visit),
        )
        .route(
            "/api/v1/partnerships/{id}/readiness/{site}/{program}",
            get(sites::readiness),
        )
        .route(
            "/api/v1/partnerships/{id}/readiness/{site}/{program}/analysis",
            post(sites::analyze),
        )
        .route("/api/v1/gaps/{id}/close", post(sites::close_gap))
        .route(
            "/api/v1/programs/{id}/track-template",
            get(contracts::get_track_template).put(contracts::set_track_template),
        )
        .route(
            "/api/v1/partnerships/{id}/agreements",
            get(contracts::list).post(contracts::create),
        )
        .route(
            "/api/v1/partnerships/{id}/agreements/expiring",
            get(contracts::expiring),
        )
        .route("/api/v1/agreements/{id}/moves", post(contracts::move_to))
        .route("/api/v1/agreements/{id}/dates", post(contracts::dates))
        .route(
            "/api/v1/agreements/{id}/documents",
            post(contracts::add_document),
        )
        .route(
            "/api/v1/agreements/{id}/amendments",
            post(contracts::add_amendment),
        )
        .route("/api/v1/agreements/{id}/joinders", post(contracts::join))
        .route(
            "/api/v1/partnerships/{id}/deliverables",
            post(contracts::record_deliverable),
        )
        .route(
            "/api/v1/deliverables/{id}/revoke",
            post(contracts::revoke_deliverable),
        )
        .route(
            "/api/v1/partnerships/{id}/authorizations/review",
            post(contracts::review),
        )
        .route(
            "/api/v1/partnerships/{id}/gate/{site}/{program}",
            get(contracts::gate),
        )
        .route("/api/v1/patients", post(cases::register_patient))
        .route("/api/v1/cases", post(cases::open_case))
        .route("/api/v1/cases/{id}", get(cases::get_case))
        .route("/api/v1/cases/{id}/actions", post(cases::act))
        .route(
            "/api/v1/cases/{id}/adverse-events",
            post(cases::record_adverse_event),
        )
        .route(
            "/api/v1/cases/{id}/adverse-events/{ae}/observations",
            post(cases::observe_adverse_event),
        )
        .route(
            "/api/v1/cases/{id}/adverse-events/{ae}/treatments",
            post(cases::treat_adverse_event),
        )
        .route(
            "/api/v1/cases/{id}/adverse-events/{ae}/outcome",
            post(cases::adverse_event_outcome),
        )
        .route("/api/v1/grading/crs", post(cases::grade_crs))
        .route("/api/v1/grading/icans", post(cases::grade_icans))
        .route(
            "/api/v1/cases/{id}/consent",
            post(consent::record_case_consent),
        )
        .route(
            "/api/v1/partnerships/{id}/payment-terms",
            get(finance::terms).post(finance::propose),
        )
        .route("/api/v1/partnerships/{id}/invoices", get(finance::invoices))
        .route("/api/v1/invoices/{id}/settlements", post(finance::settle))
        .route(
            "/api/v1/payer-profiles",
            get(claims::profiles).post(claims::create_profile),
        )
        .route(
            "/api/v1/payer-profiles/defaults",
            post(claims::start_from_defaults),
        )
        .route("/api/v1/payer-profiles/{id}", put(claims::update_profile))
        .route(
            "/api/v1/cases/{id}/claims",
            get(claims::case_claims).post(claims::submit),
        )
        .route("/api/v1/claims/{id}", get(claims::claim))
        .route("/api/v1/claims/{id}/steps", post(claims::step))
        .route("/api/v1/exposure", get(claims::exposure))
        .route(
            "/api/v1/sites/{id}/consent-documents",
            get(consent::list).post(consent::create),
        )
        .route(
            "/api/v1/consent-documents/{id}/activation",
            post(consent::activate),
        )
        .route(
            "/api/v1/consent-documents/{id}/retirement",
            post(consent::retire),
        )
        .route("/api/v1/sites/{id}/cases", get(cases::list_site_cases))
        .route(
            "/api/v1/sites/{id}/registry-forms",
            get(cases::list_site_registry_forms),
        )
        .route(
            "/api/v1/cases/{id}/registry-forms/{form}/submissions",
            post(cases::submit_registry_form),
        )
        .route(
            "/api/v1/programs/{id}/capacity",
            get(bookings::get_capacity).put(bookings::set_capacity),
        )
        .route(
            "/api/v1/cases/{id}/bookings",
            get(bookings::list_case_bookings).post(bookings::request_booking),
        )
        .route("/api/v1/bookings/{id}/offer", get(bookings::offer))
        .route(
            "/api/v1/bookings/{id}/confirmation",
            post(bookings::confirm),
        )
        .route(
            "/api/v1/bookings/{id}/waitlisting",
            post(bookings::waitlist),
        )
        .route("/api/v1/bookings/{id}/cancellation", post(bookings::cancel))
        .route("/api/v1/safety-reports", get(safety::list))
        .route("/api/v1/safety-reports/{id}", get(safety::get))
        .route(
            "/api/v1/safety-reports/{id}/acknowledgement",
            post(safety::acknowledge),
        )
        .route(
            "/api/v1/release-exceptions/{id}/patient-told",
            post(exception_decisions::patient_told),
        )
        .route(
            "/api/v1/release-exceptions/{id}/decision",
            post(exception_decisions::decide),
        )
        .route(
            "/api/v1/release-exceptions/{id}/prerequisites",
            post(exception_decisions::prerequisite),
        )
        .route(
            "/api/v1/release-exceptions/{id}/signatures",
            post(exception_decisions::sign),
        )
        .route(
            "/api/v1/release-exceptions/{id}/timeline",
            get(exception_decisions::timeline),
        )
        .route("/api/v1/programs/{id}/waitlist", get(waitlist::list))
        .route("/api/v1/bookings/{id}/score", post(waitlist::score))
        .route("/api/v1/bookings/{id}/skip", post(waitlist::skip))
        .route("/api/v1/bookings/{id}/acceptance", post(waitlist::accept))
        .route("/api/v1/bookings/{id}/decline", post(waitlist::decline))
        .route(
            "/api/v1/partnerships/{id}/cases",
            get(cases::list_partnership_cases),
        )
        .route(
            "/api/v1/documents",
            post(documents::upload).layer(DefaultBodyLimit::max(documents::UPLOAD_BODY_LIMIT)),
        )
        .route("/api/v1/documents/{sha256}", get(documents::download))
        .route("/api/v1/notices", get(notices::list))
        .route("/api/v1/figures/vein-to-vein", get(figures::vein_to_vein))
        .route("/api/v1/inbox", get(inbox::show))
        .route("/api/v1/identifiers/check", get(identifiers::check))
        .route(
            "/api/v1/partnerships/{id}/plan/{program}",
            get(contracts::live_plan),
        )
        .route("/api/v1/onboarding", get(contracts::pipeline))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}/revoke", post(tokens::revoke))
        .route(
            "/api/v1/webhook-endpoints",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/api/v1/webhook-endpoints/{id}", get(webhooks::get))
        .route(
            "/api/v1/webhook-endpoints/{id}/rotate-secret",
            post(webhooks::rotate),
        )
        .route(
            "/api/v1/webhook-endpoints/{id}/disable",
            post(webhooks::disable),
        )
        .route(
            "/api/v1/webhook-endpoints/{id}/enable",
            post(webhooks::enable),
        )
        .route(
            "/api/v1/webhook-endpoints/{id}/attempts",
            get(webhooks::attempts),
        )
        .route(
            "/api/v1/partnerships/{id}/exception-protocols",
            get(exceptions::list_protocols).post(exceptions::draft_protocol),
        )
        .route(
            "/api/v1/exception-protocols/{id}",
            get(exceptions::get_protocol),
        )
        .route(
            "/api/v1/exception-protocols/{id}/signatures",
            post(exceptions::sign_protocol),
        )
        .route("/api/v1/release-exceptions", get(exceptions::list))
        .route("/api/v1/release-exceptions/sla", get(exceptions::sla))
        .route("/api/v1/release-exceptions/{id}", get(exceptions::get))
        .route(
            "/api/v1/cases/{id}/release-exceptions",
            post(exceptions::open),
        )
        .route(
            "/api/v1/release-exceptions/{id}/acknowledgement",
            post(exceptions::acknowledge),
        )
        .route("/api/v1/ledgers/{id}", get(ledgers::head))
        .route("/api/v1/ledgers/{id}/events", get(ledgers::events))
        .route("/api/v1/ledgers/{id}/verify", get(ledgers::verify))
        .route("/api/v1/ledgers/{id}/export", get(ledgers::export))
        .route("/api/v1/ledgers/{id}/signatures", post(ledgers::sign))
        .route("/api/openapi.json", get(crate::openapi::document))
        .route("/api/{*rest}", any(extract::not_found))
        .layer(axum::middleware::map_response(
            crate::problem::ensure_problem,
        ))
}
