//! The case's manufacturing slot: its bookings (the apheresis day asked for, where each stands,
//! the whole chain once confirmed with the expected infusion day marked as a forecast), the
//! site's form to ask for a day, the manufacturer's patient operations' confirm and waitlist,
//! and either side's cancellation — one form route, `POST /cases/{id}/bookings`.

use super::Typed;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::pages::notice_redirect;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::cases::CaseView;
use cellpath_app::views::bookings::BookingView;
use cellpath_domain::capacity::{BookingAct, may_book};
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::events::cases::CaseState;
use maud::{Markup, html};

fn status_words(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Requested => "asked for, waiting for the manufacturer",
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Waitlisted => "on the manufacturer's waitlist",
        BookingStatus::Offered => {
            "offered a whole chain from the waitlist, waiting for the site's answer"
        }
        BookingStatus::Cancelled => "cancelled",
    }
}

/// The section, for whoever sees the case; forms only for the roles that act.
pub(super) async fn section(
    ctx: &Ctx,
    case: &CaseView,
    typed: Option<&Typed>,
) -> Result<Markup, WebError> {
    let bookings: Vec<BookingView> = ctx
        .app
        .case_bookings(ctx.caller(), &case.id)
        .await?
        .into_iter()
        .map(BookingView::from)
        .collect();
    // A map without apheresis (an in-vivo therapy: ordered, not made from the patient's
    // cells) has no manufacturing slot to book.
    if bookings.is_empty() && !case.steps.iter().any(|s| s.key == "apheresis_scheduling") {
        return Ok(html! {});
    }
    // The domain's one rule of who books (the app's commands apply the same).
    let may = |act: BookingAct| {
        ctx.caller()
            .principal
            .as_ref()
            .is_some_and(|p| may_book(act, p.org_kind, p.role))
    };
    let site_staff = may(BookingAct::Request);
    let patient_ops = may(BookingAct::Confirm);
    let open = bookings.iter().find(|b| b.status.is_open());
    let going_on = matches!(case.status, CaseState::Active | CaseState::OnHold);
    let action = format!("{}/bookings", paths::case(&case.id));
    let nothing = (FormData::default(), FormErrors::default());
    let view = |id: &'static str| match typed {
        Some(t) if t.form == id => FormView::new(&t.values, &t.errors, id),
        _ => FormView::new(&nothing.0, &nothing.1, id),
    };
    let (request, waitlist, cancel, decline) = (
        view("booking-request"),
        view("booking-waitlist"),
        view("booking-cancel"),
        view("booking-decline"),
    );
    Ok(html! {
        section.panel #booking {
            h2 { "Manufacturing slot" }
            @if bookings.is_empty() {
                p.empty { "No apheresis day asked for yet." }
            }
            @for b in &bookings {
                div.booking data-status=(b.status.as_str()) {
                    p { "Apheresis asked for " strong { (b.asked_on.words()) } " — " (status_words(b.status))
                        @if let Some(r) = &b.reason { ": " (r) } }
                    @if let Some(p) = &b.priority {
                        p.hint { "Waitlist score " strong { (p.score) } " of 100 (criteria " (p.criteria_version) "): " (p.reason) }
                    }
                    @if let Some(why) = &b.skipped {
                        p.hint { "Passed over for offers: " (why) }
                    }
                    @if let (BookingStatus::Offered, Some(t)) = (b.status, b.offer_expires_at) {
                        p.offer { strong { "Offered: accept by " (crate::time::moment_words(t)) } ", or the chain goes to the next request waiting." }
                    }
                    @if let Some(c) = &b.chain {
                        dl.facts {
                            div { dt { "Apheresis" } dd { (c.apheresis_on.words()) } }
                            div { dt { "Manufacturing starts" } dd { (c.manufacturing_on.words()) } }
                            div { dt { "Ships" } dd { (c.ships_on.words()) } }
                            div { dt { "Arrives" } dd { (c.arrives_on.words()) } }
                            div { dt { "Infusion" } dd { "expected " (c.expected_infusion_on.words()) " (a forecast)" } }
                        }
                    }
                }
            }
            @if site_staff && going_on && open.is_none() {
                form #booking-request method="post" action=(action) {
                    (csrf_field(ctx.csrf()))
                    (hidden("do", "request"))
                    (request.summary(&["asked_on"]))
                    (request.input("Apheresis day asked for", "asked_on", Input::Date, None))
                    button.primary type="submit" { "Ask for this day" }
                }
            }
            @if let Some(b) = open {
                @if patient_ops && matches!(b.status, BookingStatus::Requested | BookingStatus::Waitlisted) {
                    form.inline-action method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "confirm"))
                        (hidden("booking", &b.id))
                        button.primary type="submit" { "Confirm the earliest whole chain" }
                    }
                }
                @if patient_ops && b.status == BookingStatus::Requested {
                    form #booking-waitlist method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "waitlist"))
                        (hidden("booking", &b.id))
                        (waitlist.summary(&["reason"]))
                        (waitlist.input("Why it waits", "reason", Input::Text, None))
                        button type="submit" { "Put on the waitlist" }
                    }
                }
                @if site_staff && b.status == BookingStatus::Offered {
                    form.inline-action #booking-accept method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "accept"))
                        (hidden("booking", &b.id))
                        button.primary type="submit" { "Accept the chain offered" }
                    }
                    form #booking-decline method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "decline"))
                        (hidden("booking", &b.id))
                        (decline.summary(&["reason"]))
                        (decline.input("Why it is declined", "reason", Input::Text, None))
                        button type="submit" { "Decline the offer" }
                    }
                }
                @if site_staff || patient_ops {
                    form #booking-cancel method="post" action=(action) {
                        (csrf_field(ctx.csrf()))
                        (hidden("do", "cancel"))
                        (hidden("booking", &b.id))
                        (cancel.summary(&["reason"]))
                        (cancel.input("Why it is cancelled", "reason", Input::Text, None))
                        button.danger type="submit" { "Cancel the booking" }
                    }
                }
            }
        }
    })
}

/// `POST /cases/{id}/bookings`: ask for a day, confirm, waitlist or cancel; a refusal comes
/// back on the case page in words.
pub async fn act(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let c = ctx.caller();
    let booking = form.get("booking");
    let reason = form.get("reason");
    let done = match form.get("do") {
        "request" => {
            ctx.app
                .request_booking(c, &id, form.get("asked_on"), None)
                .await
        }
        "confirm" => ctx.app.confirm_booking(c, booking, None, None).await,
        "waitlist" => {
            ctx.app
                .waitlist_booking(c, booking, reason, None, None)
                .await
        }
        "cancel" => ctx.app.cancel_booking(c, booking, reason, None, None).await,
        "accept" => ctx.app.accept_offer(c, booking, None, None).await,
        "decline" => ctx.app.decline_offer(c, booking, reason, None, None).await,
        other => Err(AppError::invalid(
            "do",
            format!("this page cannot send {other:?}"),
        )),
    };
    let form_id = match form.get("do") {
        "request" => "booking-request",
        "waitlist" => "booking-waitlist",
        "cancel" => "booking-cancel",
        "decline" => "booking-decline",
        _ => "",
    };
    match done.and_then(|o| o.fresh()) {
        Ok(_) => Ok(notice_redirect(&paths::case(&id), "saved")),
        Err(e) => super::refused(&ctx, &id, form_id, form, e).await,
    }
}
