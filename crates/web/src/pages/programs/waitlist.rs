//! A program's waitlist, for its manufacturer (issue 12, point 3): the requests waiting for a
//! manufacturing slot in the order offers follow — scored ones by score, then unscored, each
//! by how long it has waited — with each score's reason and criteria version, who scored it,
//! requests passed over and why, and offers held with their deadlines. The manufacturer's
//! patient operations score a request (score, reason and criteria version, each message beside
//! its field) and pass one over, saying why. `GET`/`POST /programs/{id}/waitlist`.

use super::super::{NoticeQuery, notice_redirect};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::layout::notice;
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::views::bookings::WaitlistEntryView;
use cellpath_domain::Role;
use cellpath_domain::events::bookings::BookingStatus;
use cellpath_domain::waitlist::Priority;
use maud::{Markup, html};

/// A form of the page shown again: its id, what was typed, what was wrong.
struct Typed {
    form: String,
    values: FormData,
    errors: FormErrors,
}

pub fn path(program_id: &str) -> String {
    format!("{}/waitlist", paths::program(program_id))
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &id, None, None, q.notice.as_deref(), StatusCode::OK).await
}

/// `POST /programs/{id}/waitlist`: score a request, or pass it over.
pub async fn act(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let c = ctx.caller();
    let booking = form.get("booking").to_string();
    let (done, form_id) = match form.get("do") {
        "score" => {
            let score = form.get("score").trim();
            let done = match score.parse::<u32>() {
                Ok(score) => {
                    let priority = Priority {
                        score,
                        reason: form.get("reason").into(),
                        criteria_version: form.get("criteria_version").into(),
                    };
                    ctx.app
                        .score_booking(c, &booking, priority, None, None)
                        .await
                }
                Err(_) => Err(AppError::invalid(
                    "score",
                    "a whole number from 0 to 100 (higher is offered first)",
                )),
            };
            (done, format!("score-{booking}"))
        }
        "skip" => (
            ctx.app
                .skip_booking(c, &booking, form.get("reason"), None, None)
                .await,
            format!("skip-{booking}"),
        ),
        other => (
            Err(AppError::invalid(
                "do",
                format!("this page cannot send {other:?}"),
            )),
            String::new(),
        ),
    };
    match done.and_then(|o| o.fresh()) {
        Ok(_) => Ok(notice_redirect(&path(&id), "saved")),
        Err(AppError::Invalid(fields)) if !form_id.is_empty() => {
            let errors = FormErrors::from_app(AppError::Invalid(fields))?;
            let typed = Typed {
                form: form_id,
                values: form,
                errors,
            };
            render(
                &ctx,
                &id,
                Some(&typed),
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ (AppError::State(_) | AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            let status = match e {
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            render(&ctx, &id, None, Some(e.to_string()), None, status).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    typed: Option<&Typed>,
    error: Option<String>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let program = ctx.app.program(ctx.caller(), id).await?;
    let list: Vec<WaitlistEntryView> = ctx
        .app
        .program_waitlist(ctx.caller(), id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let decides = ctx
        .caller()
        .principal
        .as_ref()
        .is_some_and(|p| p.role == Role::PatientOps);
    let nothing = (FormData::default(), FormErrors::default());
    let content = html! {
        header.page-head {
            p.breadcrumb { a href="/programs" { "Programs" } " / " a href=(paths::program(&program.id)) { (program.name) } }
            h1 { "Waitlist for " (program.name) }
            p.subtitle { "Requests waiting for a manufacturing slot, in the order a freed chain is offered: scored requests by score, highest first, then those not yet scored; each by how long it has waited." }
        }
        (notice(notice_code))
        @if let Some(e) = &error { p.form-error role="alert" { (e) } }
        @if list.is_empty() {
            p.empty { "Nobody is waiting for a slot." }
        } @else {
            ol.waitlist {
                @for e in &list {
                    @let b = &e.booking;
                    li.waiting data-booking=(b.id) data-status=(b.status.as_str()) {
                        h2 { "Case " a href=(paths::case(&b.case_id)) { code { (e.case_pseudonym) } } " at " (e.site_name) }
                        p { "Apheresis asked for " strong { (b.asked_on.words()) } "; waiting since " (crate::time::day_el(b.created_at)) "." }
                        @match &b.priority {
                            Some(p) => p.score { "Score " strong { (p.score) } " of 100 by " (e.scored_by.clone().unwrap_or_default()) ", criteria " (p.criteria_version) ": " (p.reason) }
                            None => p.score.muted { "Not scored yet." }
                        }
                        @if let Some(why) = &b.skipped {
                            p.skipped { "Passed over by " (e.skipped_by.clone().unwrap_or_default()) ": " (why) }
                        }
                        @if let (BookingStatus::Offered, Some(c)) = (b.status, &b.chain) {
                            p.offer { "Offered apheresis on " (c.apheresis_on.words()) " with manufacturing from " (c.manufacturing_on.words())
                                @if let Some(t) = b.offer_expires_at { "; the site answers by " (crate::time::moment_words(t)) }
                                "." }
                        }
                        @if decides && b.status == BookingStatus::Waitlisted {
                            @let score_id = format!("score-{}", b.id);
                            @let skip_id = format!("skip-{}", b.id);
                            @let (sv, se) = match typed { Some(t) if t.form == score_id => (&t.values, &t.errors), _ => (&nothing.0, &nothing.1) };
                            @let (kv, ke) = match typed { Some(t) if t.form == skip_id => (&t.values, &t.errors), _ => (&nothing.0, &nothing.1) };
                            @let score = FormView::new(sv, se, &score_id);
                            @let skip = FormView::new(kv, ke, &skip_id);
                            details.case-action open[typed.is_some_and(|t| t.form == score_id)] {
                                summary { "Score this request" }
                                form id=(score_id) method="post" action=(path(&program.id)) {
                                    (csrf_field(ctx.csrf()))
                                    (hidden("do", "score"))
                                    (hidden("booking", &b.id))
                                    (score.summary(&["score", "reason", "criteria_version"]))
                                    div.field-grid {
                                        (score.input("Score (0 to 100)", "score", Input::Number, None))
                                        (score.input("Criteria version", "criteria_version", Input::Text, Some("e.g. BCMA-2026-03")))
                                    }
                                    (score.input("Why, as the committee would sign it", "reason", Input::Text, None))
                                    button.primary type="submit" { "Record the score" }
                                }
                            }
                            details.case-action open[typed.is_some_and(|t| t.form == skip_id)] {
                                summary { "Pass it over for the next offers" }
                                form id=(skip_id) method="post" action=(path(&program.id)) {
                                    (csrf_field(ctx.csrf()))
                                    (hidden("do", "skip"))
                                    (hidden("booking", &b.id))
                                    (skip.summary(&["reason"]))
                                    (skip.input("Why it is passed over", "reason", Input::Text, None))
                                    button type="submit" { "Pass over" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &format!("Waitlist for {}", program.name), content))
}

/// The program page's link, for the program's own manufacturer.
pub fn link(program_id: &str) -> Markup {
    html! {
        section.panel #waitlist {
            h2 { "Waitlist" }
            p { "Requests waiting for a manufacturing slot, scored and ordered; a freed chain is offered to the first eligible one." }
            p { a href=(path(program_id)) { "See the waitlist →" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_app::Caller;

    #[tokio::test]
    async fn patient_ops_score_and_pass_over_on_the_waitlist_and_the_site_answers_an_offer_on_the_case()
     {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let program = demo.program("Helixa Therapeutics", "Vantacel").await;
        let system = Caller::system("test");
        let today = cellpath_domain::Date::of_micros(demo.app.now());
        let x = today.plus_days(20);
        let closed: Vec<String> = (0..450)
            .map(|d| today.plus_days(d))
            .filter(|d| *d != x && *d != x.plus_days(3))
            .map(|d| d.to_string())
            .collect();
        let capacity = serde_json::from_value(serde_json::json!({
            "apheresis_slots_per_day": 1, "manufacturing_slots_per_day": 1, "closed": closed,
            "lead": { "to_start_min_days": 3, "to_start_max_days": 5, "manufacturing_days": 14,
                      "transit_days": 2, "arrival_to_infusion_days": 3 }
        }))
        .unwrap();
        demo.app
            .set_program_capacity(&system, &program.id, capacity, None, None)
            .await
            .unwrap();
        let app = &demo.app;
        let user = |email: &'static str| async move {
            let u = app.store().user_by_email(email).await.unwrap().unwrap();
            app.caller_for_user(&u.id, cellpath_app::access::Via::Session)
                .await
                .unwrap()
        };
        let coordinator_caller = user("coordinator@lakeshore.example").await;
        let ops_caller = user("patient.ops@helixa.example").await;
        // Two active Vantacel cases the demo booked nothing for (one booking in play a case).
        let mut cases: Vec<String> = Vec::new();
        for c in demo
            .app
            .cases_of_site(
                &coordinator_caller,
                &site.id,
                cellpath_app::views::Page::all(),
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.status == cellpath_domain::events::cases::CaseState::Active)
            .filter(|c| c.program_id == program.id)
        {
            let booked = !demo
                .app
                .case_bookings(&coordinator_caller, &c.id)
                .await
                .unwrap()
                .is_empty();
            if !booked && cases.len() < 2 {
                cases.push(c.id);
            }
        }
        assert_eq!(cases.len(), 2, "two cases free to ask for a day");
        let mut ids = Vec::new();
        for case in &cases {
            let b = demo
                .app
                .request_booking(&coordinator_caller, case, x.as_str(), None)
                .await
                .unwrap()
                .fresh()
                .unwrap();
            ids.push(b.id);
        }
        // The first holds the only chain; the second waits.
        demo.app
            .confirm_booking(&ops_caller, &ids[0], None, None)
            .await
            .unwrap();
        demo.app
            .waitlist_booking(&ops_caller, &ids[1], "no slot that week", None, None)
            .await
            .unwrap();

        let mut ops = Browser::signed_in(&demo, "patient.ops@helixa.example").await;
        let page = super::path(&program.id);
        ops.get(&crate::paths::program(&program.id))
            .await
            .assert_has(&format!(r#"href="{page}""#));
        let list = ops.get(&page).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        list.assert_has("Not scored yet.");
        let form = format!("score-{}", ids[1]);
        let bad = ops
            .submit(
                &page,
                &form,
                &page,
                &[
                    ("do", "score"),
                    ("booking", &ids[1]),
                    ("score", "140"),
                    ("reason", "short"),
                    ("criteria_version", ""),
                ],
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        for field in ["score", "reason", "criteria_version"] {
            bad.assert_has(&format!(r#"<p class="field-error" data-field="{field}""#));
        }
        bad.assert_has(r#"value="140""#);
        let good = ops
            .submit(
                &page,
                &form,
                &page,
                &[
                    ("do", "score"),
                    ("booking", &ids[1]),
                    ("score", "75"),
                    ("reason", "rapid progression after two lines"),
                    ("criteria_version", "BCMA-2026-03"),
                ],
                None,
            )
            .await;
        assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
        let shown = ops.get(&page).await;
        shown.assert_has("rapid progression after two lines");
        shown.assert_has("BCMA-2026-03");

        // The site does not see the list.
        let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
        assert_eq!(coordinator.get(&page).await.status, StatusCode::NOT_FOUND);

        // The first cancels: the chain is offered to the second, shown on its case with the
        // deadline and the buttons; the site accepts.
        demo.app
            .cancel_booking(
                &coordinator_caller,
                &ids[0],
                "the patient moved away",
                None,
                None,
            )
            .await
            .unwrap();
        demo.app.run_due_jobs().await.unwrap();
        // Patient operations read the offer's deadline in words on their clock.
        let listed = ops.get(&page).await;
        let deadline = listed
            .body
            .split("the site answers by ")
            .nth(1)
            .expect("the offer's deadline on the waitlist");
        assert!(
            deadline.starts_with(|c: char| c.is_ascii_digit()) && deadline[..20].contains(" at "),
            "a deadline in words: {}",
            &deadline[..40.min(deadline.len())]
        );
        assert!(!deadline[..4].contains('-'), "not a raw timestamp");
        let case_page = crate::paths::case(&cases[1]);
        let seen = coordinator.get(&case_page).await;
        seen.assert_has("Offered: accept by ");
        seen.assert_has("Accept the chain offered");
        seen.assert_has("Decline the offer");
        let declined = coordinator
            .submit(
                &case_page,
                "booking-decline",
                &format!("{case_page}/bookings"),
                &[("do", "decline"), ("booking", &ids[1]), ("reason", "")],
                None,
            )
            .await;
        assert_eq!(
            declined.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            declined.body
        );
        declined.assert_has(r#"data-field="reason""#);
        let accepted = coordinator
            .submit(
                &case_page,
                "booking-accept",
                &format!("{case_page}/bookings"),
                &[("do", "accept"), ("booking", &ids[1])],
                None,
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
        let after = coordinator.get(&case_page).await;
        after.assert_has("Manufacturing starts");
        after.assert_has(&x.words());
    }
}
