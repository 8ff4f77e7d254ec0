//! Registry follow-up forms (DOMAIN.md, CIBMTR): on a case's page, its forms — due, overdue
//! and submitted, in words with dates in words — and, for the site's data manager, the form
//! that marks one submitted (the day and the registry's reference, a message beside the field
//! that is wrong); a site's page of its due and overdue forms, most urgent first, each linking
//! to its case (or its submitted forms, latest first).

use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::cases::{CaseView, FormSubmission, FormsShown, RegistryFormView};
use cellpath_app::views::Page;
use cellpath_domain::Date;
use cellpath_domain::events::cases::CaseState;
use cellpath_domain::registry::FormStatus;
use maud::{Markup, html};
use serde::Deserialize;

fn status_badge(status: FormStatus) -> Markup {
    match status {
        FormStatus::Upcoming => badge("Upcoming", Tone::Quiet),
        FormStatus::Due => badge("Due", Tone::Waiting),
        FormStatus::Overdue => badge("Overdue", Tone::Bad),
        FormStatus::Submitted => badge("Submitted", Tone::Good),
    }
}

/// "3 June 2026 – 3 July 2026", or the one day.
fn window(f: &RegistryFormView) -> String {
    let s = &f.scheduled;
    if s.opens_on == s.closes_on {
        s.opens_on.words()
    } else {
        format!("{} – {}", s.opens_on.words(), s.closes_on.words())
    }
}

/// The case page's registry section; `posted`: the mark-submitted form sent back with its
/// values and messages.
pub fn case_section(
    ctx: &Ctx,
    case: &CaseView,
    posted: Option<(&FormData, &FormErrors)>,
) -> Markup {
    let Some(registry) = &case.registry else {
        return html! {
            section.panel #registry {
                h2 { "Registry follow-up" }
                p.empty { "The registry's forms are scheduled at the first infusion." }
            }
        };
    };
    let open: Vec<(String, String)> = registry
        .forms
        .iter()
        .filter(|f| matches!(f.status, FormStatus::Due | FormStatus::Overdue))
        .map(|f| {
            (
                f.scheduled.key.clone(),
                format!(
                    "{} ({}) — {}",
                    f.scheduled.form, f.scheduled.when, f.status_text
                ),
            )
        })
        .collect();
    let empty = (FormData::default(), FormErrors::default());
    let (values, errors) = posted.unwrap_or((&empty.0, &empty.1));
    let view = FormView::new(values, errors, "registry");
    let may_mark = case.submits_forms && case.status != CaseState::Cancelled && !open.is_empty();
    html! {
        section.panel #registry {
            h2 { "Registry follow-up" }
            p.subtitle {
                "Counted from the infusion on " (registry.infused_on.words())
                @match registry.track {
                    Some(cellpath_domain::process_map::FollowUpTrack::Standard) => " · CIBMTR standard track",
                    Some(cellpath_domain::process_map::FollowUpTrack::FifteenYear) => " · CIBMTR 15-year track",
                    None => "",
                }
            }
            table.list #registry-forms {
                thead { tr { th { "Form" } th { "When" } th { "Window" } th { "Where it stands" } th { "Reference" } } }
                tbody {
                    @for f in &registry.forms {
                        tr data-form=(f.scheduled.key) data-status=(f.status.as_str()) {
                            td { (f.scheduled.form) }
                            td { (f.scheduled.when) }
                            td { (window(f)) }
                            td { (status_badge(f.status)) " " (f.status_text)
                                @if let Some(by) = &f.submitted_by { " by " (by) } }
                            td { @if let Some(r) = &f.reference { code { (r) } } }
                        }
                    }
                }
            }
            @if !registry.visits.is_empty() {
                p.hint { "Follow-up visits: "
                    (registry.visits.iter().map(Date::words).collect::<Vec<_>>().join(", ")) }
            }
            @if may_mark {
                h3 { "Mark a form submitted" }
                (view.summary(&["form", "submitted_on", "reference"]))
                form #registry-form method="post" action={ (paths::case(&case.id)) "/registry-forms#registry" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", case.version))
                    div.field-grid {
                        (view.select("Form", "form", &open))
                        (view.input("Submitted to the registry on", "submitted_on", Input::Date, Some("The day you submitted it; not after today.")))
                        (view.input("Registry's reference", "reference", Input::Text, Some("e.g. the FormsNet reference of the submission")))
                    }
                    button.primary type="submit" { "Mark submitted" }
                }
            }
        }
    }
}

/// The data manager marks a form submitted; a bad value comes back beside its field.
pub async fn submit(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let mut errors = FormErrors::default();
    let day = match form.get("submitted_on").trim() {
        "" => {
            errors.field("submitted_on", "say the day it was submitted");
            None
        }
        text => match Date::parse(text) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.field("submitted_on", e.to_string());
                None
            }
        },
    };
    if form.get("form").is_empty() {
        errors.field("form", "choose the form");
    }
    if let (Some(day), true) = (day, errors.is_empty()) {
        let version = form.version().ok();
        let done = ctx
            .app
            .submit_registry_form(
                ctx.caller(),
                &id,
                form.get("form"),
                FormSubmission {
                    submitted_on: day,
                    reference: form.get("reference").to_string(),
                },
                version,
                None,
            )
            .await
            .and_then(|o| o.fresh());
        match done {
            Ok(_) => {
                return Ok(super::notice_redirect(
                    &format!("{}#registry", paths::case(&id)),
                    "saved",
                ));
            }
            Err(cellpath_app::AppError::State(m)) => errors.form(m),
            Err(e) => {
                for (field, message) in FormErrors::from_app(e)?.into_pairs() {
                    match field.as_str() {
                        "" => errors.form(message),
                        f => errors.field(f, message),
                    }
                }
            }
        }
    }
    let status = errors.status();
    super::cases::render_case_with(&ctx, &id, (&form, &errors), status).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFormsQuery {
    status: Option<FormsShown>,
}

/// A site's due and overdue forms, most urgent first (or its submitted ones, latest first).
pub async fn site_forms(
    ctx: Ctx,
    Path(site_id): Path<String>,
    Query(q): Query<SiteFormsQuery>,
) -> Result<Response, WebError> {
    let site = ctx.app.site(ctx.caller(), &site_id).await?;
    let forms = ctx
        .app
        .registry_forms_of_site(ctx.caller(), &site.id, q.status, Page::first(200))
        .await?;
    let submitted = q.status == Some(FormsShown::Submitted);
    let here = format!("{}/registry-forms", paths::site(&site.id));
    let content = html! {
        header.page-head {
            h1 { "Registry forms" }
            p.subtitle { "CIBMTR follow-up forms of the cases at " a href={ (paths::site(&site.id)) } { (site.name) } }
        }
        p.tabs {
            @if submitted {
                a href=(here) { "Due and overdue" } " · " strong { "Submitted" }
            } @else {
                strong { "Due and overdue" } " · " a href={ (here) "?status=submitted" } { "Submitted" }
            }
        }
        @if forms.is_empty() {
            p.empty { @if submitted { "No form submitted yet." } @else { "No form is due or overdue." } }
        } @else {
            table.list #site-registry-forms {
                thead { tr { th { "Case" } th { "Program" } th { "Form" } th { "When" } th { "Where it stands" } @if submitted { th { "Reference" } } } }
                tbody {
                    @for f in &forms {
                        tr data-status=(f.form.status.as_str()) {
                            td { a href={ (paths::case(&f.case_id)) "#registry" } { code { (f.pseudonym) } } }
                            td { (f.program_name) }
                            td { (f.form.scheduled.form) }
                            td { (f.form.scheduled.when) }
                            td { (status_badge(f.form.status)) " " (f.form.status_text) }
                            @if submitted { td { @if let Some(r) = &f.form.reference { code { (r) } } } }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(StatusCode::OK, "Registry forms", content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_domain::Date;

    /// The data manager's mark-submitted form on the case page, for the 4006.
    async fn mark(
        dm: &mut Browser<'_>,
        page: &str,
        on: &str,
        reference: &str,
    ) -> crate::testing::Answer {
        dm.submit(
            page,
            "registry-form",
            &format!("{page}/registry-forms"),
            &[
                ("form", "cibmtr-4006-day-0"),
                ("submitted_on", on),
                ("reference", reference),
            ],
            None,
        )
        .await
    }

    #[tokio::test]
    async fn the_data_manager_marks_a_form_submitted_and_the_site_lists_what_is_due() {
        let demo = seeded().await;
        let site = demo.site("LUH-MAIN").await;
        let coordinator_caller = demo.caller("coordinator@lakeshore.example").await;
        let case = demo
            .app
            .cases_of_site(
                &coordinator_caller,
                &site.id,
                cellpath_app::views::Page::all(),
            )
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.pseudonym == "VAN-LUH-MAIN-0007")
            .unwrap();
        let page_of_case = crate::paths::case(&case.id);
        let mut dm = Browser::signed_in(&demo, "data.manager@lakeshore.example").await;
        dm.get(&page_of_case)
            .await
            .assert_has("The registry's forms are scheduled at the first infusion.");
        cellpath_app::testing::infuse_stored_demo_case(&demo.app, &case.id)
            .await
            .unwrap();
        let today = Date::of_micros(demo.app.now());

        let page = dm.get(&page_of_case).await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_has(&format!("Counted from the infusion on {}", today.words()));
        page.assert_has("CIBMTR standard track");
        let row = page.row(r#"data-form="cibmtr-4100-day-100""#);
        assert!(row.contains("Upcoming"), "{row}");
        assert!(
            row.contains(&format!("opens on {}", today.plus_days(85).words())),
            "{row}"
        );
        assert!(page.row(r#"data-form="cibmtr-4006-day-0""#).contains("Due"));
        page.assert_has(r#"id="registry-form""#);
        // the coordinator reads the forms but has no form to mark them
        let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
        let seen = coordinator.get(&page_of_case).await;
        seen.assert_has(r#"data-form="cibmtr-4006-day-0""#);
        assert!(!seen.body.contains(r#"id="registry-form""#));

        let tomorrow = today.plus_days(1);
        let refused = mark(&mut dm, &page_of_case, tomorrow.as_str(), "FN-4006-1").await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        let beside = refused
            .error_beside("submitted_on")
            .expect("beside the day");
        assert!(beside.contains("is after today"), "{beside}");
        let no_reference = mark(&mut dm, &page_of_case, today.as_str(), "").await;
        assert!(
            no_reference.error_beside("reference").is_some(),
            "{}",
            no_reference.body
        );

        let done = mark(&mut dm, &page_of_case, today.as_str(), "FN-4006-88213").await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let after = dm.get(&page_of_case).await;
        let row = after.row(r#"data-form="cibmtr-4006-day-0""#);
        assert!(row.contains("Submitted"), "{row}");
        assert!(
            row.contains(&format!("submitted on {}", today.words())),
            "{row}"
        );
        assert!(row.contains("FN-4006-88213"), "{row}");

        // the site's page links to its registry forms, which list the due ones by case
        let forms_page = crate::paths::site_registry_forms(&site.id);
        dm.get(&crate::paths::site(&site.id))
            .await
            .assert_has(&format!(r#"href="{forms_page}""#));
        let listed = dm.get(&forms_page).await;
        assert_eq!(listed.status, StatusCode::OK);
        listed.assert_has(&format!(r#"href="{page_of_case}#registry""#));
        listed.assert_has("VAN-LUH-MAIN-0007");
        listed.assert_has("CIBMTR 4003");
        assert!(!listed.body.contains("CIBMTR 4006"), "submitted: not due");
        let submitted = dm.get(&format!("{forms_page}?status=submitted")).await;
        submitted.assert_has("FN-4006-88213");
        // the partner manufacturer's quality (pseudonym view): listed, no reference
        let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
        let theirs = quality.get(&format!("{forms_page}?status=submitted")).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
        theirs.assert_has("VAN-LUH-MAIN-0007");
        assert!(!theirs.body.contains("FN-4006-88213"));
        let mut stranger = Browser::signed_in(&demo, "coordinator@cascade.example").await;
        assert_eq!(
            stranger.get(&forms_page).await.status,
            StatusCode::NOT_FOUND
        );
    }
}
