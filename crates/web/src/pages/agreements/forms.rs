//! The agreement forms and their handlers: start one (on the partnership page), move its
//! status (only the moves allowed from where it stands are offered), set its dates, add a
//! document version or an amendment, join sites. A refused form comes back on its page with
//! the typed values and each message beside its field; nothing is stored.

use super::{Loaded, render};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::pages::gate::words;
use crate::pages::notice_redirect;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::uploads::PostedFiles;
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::contracting::{AgreementInput, AmendmentInput, DocumentInput};
use cellpath_app::views::{Agreement, Partnership, Site, User};
use cellpath_app::{AppError, FieldError};
use cellpath_domain::contracting::{AgreementKind, AgreementStatus, Coverage};
use maud::{Markup, html};

const START_FIELDS: &[&str] = &[
    "kind",
    "scope",
    "site_id",
    "covers",
    "coverage",
    "owner_manufacturer",
    "owner_health_system",
];

/// Which form of the agreement page came back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    Move,
    Dates,
    Document,
    Amendment,
    Join,
}

pub(super) struct Returned<'a> {
    which: Which,
    values: &'a FormData,
    errors: &'a FormErrors,
}

/// The values and errors of one form: what came back, or its defaults.
fn pick<'a>(
    returned: &'a Option<Returned<'a>>,
    which: Which,
    defaults: &'a (FormData, FormErrors),
) -> (&'a FormData, &'a FormErrors) {
    match returned {
        Some(r) if r.which == which => (r.values, r.errors),
        _ => (&defaults.0, &defaults.1),
    }
}

fn person_options(people: &[User]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "Not named yet".to_string()))
        .chain(people.iter().map(|u| {
            (
                u.id.clone(),
                format!("{} · {}", u.name, labels::role(u.role.as_str())),
            )
        }))
        .collect()
}

fn site_options(sites: &[&Site]) -> Vec<(String, String)> {
    sites
        .iter()
        .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.code)))
        .collect()
}

/// "Start an agreement", under the partnership's agreements.
pub(crate) fn start_form(
    ctx: &Ctx,
    p: &Partnership,
    sites: &[Site],
    people: &(Vec<User>, Vec<User>),
    start: Option<(&FormData, &FormErrors)>,
) -> Markup {
    let defaults = (
        FormData::from_pairs([("scope", "health_system"), ("covers", "all_sites")]),
        FormErrors::default(),
    );
    let (values, errors) = start.unwrap_or((&defaults.0, &defaults.1));
    let view = FormView::new(values, errors, "agreement");
    let kinds: Vec<(String, String)> = std::iter::once((String::new(), "Choose a kind…".into()))
        .chain(
            AgreementKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), labels::agreement_kind(*k))),
        )
        .collect();
    let scopes = [
        ("health_system", "Health system (executed once, centrally)"),
        ("site", "One site"),
    ]
    .map(|(v, t)| (v.to_string(), t.to_string()));
    let all: Vec<&Site> = sites.iter().collect();
    let site_choices: Vec<(String, String)> =
        std::iter::once((String::new(), "— (health-system scope)".to_string()))
            .chain(site_options(&all))
            .collect();
    let covers = [
        ("all_sites", "All current and future sites"),
        ("named", "Only the sites ticked below"),
    ]
    .map(|(v, t)| (v.to_string(), t.to_string()));
    html! {
        details.start-agreement open[start.is_some()] {
            summary { "Start an agreement" }
            (view.summary(START_FIELDS))
            form #agreement-form method="post" action={ (paths::partnership(&p.id)) "/agreements#agreements" } novalidate {
                (csrf_field(ctx.csrf()))
                div.field-grid {
                    (view.select("Kind", "kind", &kinds))
                    (view.select("Scope", "scope", &scopes))
                    (view.select("Site (for a site-scope agreement)", "site_id", &site_choices))
                    (view.select("Covers (for a health-system-scope agreement)", "covers", &covers))
                }
                (view.checkboxes("Sites covered", "coverage", &site_options(&all), "The health system has no sites yet."))
                div.field-grid {
                    (view.select("Owner at the manufacturer", "owner_manufacturer", &person_options(&people.0)))
                    (view.select("Owner at the health system", "owner_health_system", &person_options(&people.1)))
                }
                button.primary type="submit" { "Start the agreement" }
            }
        }
    }
}

/// `POST /partnerships/{id}/agreements`.
pub async fn create(Path(pid): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let coverage = (form.get("scope") == "health_system").then(|| {
        if form.get("covers") == "named" {
            Coverage::Named(form.all("coverage"))
        } else {
            Coverage::AllSites
        }
    });
    let some = |name: &str| Some(form.get(name).to_string()).filter(|s| !s.is_empty());
    let input = AgreementInput {
        kind: form.get("kind").into(),
        scope: form.get("scope").into(),
        site_id: some("site_id"),
        coverage,
        owner_manufacturer: some("owner_manufacturer"),
        owner_health_system: some("owner_health_system"),
    };
    match ctx
        .app
        .create_agreement(ctx.caller(), &pid, input, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(a) => Ok(notice_redirect(
            &paths::agreement(&a.id),
            "agreement_started",
        )),
        Err(e) => {
            let errors = FormErrors::from_app(readable(e))?;
            crate::pages::partnerships::render_with_agreement_errors(&ctx, &pid, &form, &errors)
                .await
        }
    }
}

/// The app's messages name statuses and kinds by their wire words (`legal_review`); people
/// read "legal review".
fn readable(e: AppError) -> AppError {
    match e {
        AppError::Invalid(list) => AppError::Invalid(
            list.into_iter()
                .map(|f| FieldError {
                    message: words(&f.message),
                    field: f.field,
                })
                .collect(),
        ),
        other => other,
    }
}

/// The status, dates and coverage forms of the agreement page.
pub(super) fn change_forms(ctx: &Ctx, l: &Loaded, returned: &Option<Returned>) -> Markup {
    let a = &l.agreement;
    let from = Some(a.status);
    let moves: Vec<(String, String)> = AgreementStatus::ALL
        .iter()
        .filter(|to| from.is_some_and(|f| f.may_move_to(**to)))
        .map(|to| {
            (
                to.as_str().to_string(),
                labels::agreement_status(*to).to_string(),
            )
        })
        .collect();
    let may_withdraw = moves.iter().any(|(v, _)| v == "withdrawn");
    let none = (FormData::default(), FormErrors::default());
    let (mv, me) = pick(returned, Which::Move, &none);
    let move_view = FormView::new(mv, me, "move");
    let dates = (
        FormData::from_pairs([
            (
                "effective_on",
                a.effective_on.as_ref().map_or("", |d| d.as_str()),
            ),
            (
                "expires_on",
                a.expires_on.as_ref().map_or("", |d| d.as_str()),
            ),
        ]),
        FormErrors::default(),
    );
    let (dv, de) = pick(returned, Which::Dates, &dates);
    let dates_view = FormView::new(dv, de, "dates");
    let coverage: Option<Coverage> = serde_json::from_value(a.coverage.clone()).ok();
    let joinable: Option<Vec<&Site>> = match (&coverage, a.scope.as_str()) {
        (Some(Coverage::Named(ids)), "health_system") => {
            Some(l.sites.iter().filter(|s| !ids.contains(&s.id)).collect())
        }
        _ => None,
    };
    let (jv, je) = pick(returned, Which::Join, &none);
    let join_view = FormView::new(jv, je, "join");
    let action = |what: &str| format!("{}/{what}", paths::agreement(&a.id));
    html! {
        section.panel #change {
            h2 { "Status and dates" }
            div.actions {
                @if !moves.is_empty() {
                    form #move-form method="post" action={ (action("status")) "#change" } novalidate {
                        (csrf_field(ctx.csrf()))
                        (hidden("version", a.version))
                        (move_view.summary(&["status", "confirm"]))
                        (move_view.select("Move to", "status", &moves))
                        p.hint { (move_hint(from)) }
                        @if may_withdraw {
                            (move_view.checkbox("If withdrawing: I understand that a withdrawn agreement takes no more changes", "confirm"))
                        }
                        button.primary type="submit" { "Move" }
                    }
                }
                form #dates-form method="post" action={ (action("dates")) "#change" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", a.version))
                    (dates_view.summary(&["effective_on", "expires_on"]))
                    (dates_view.input("Effective on", "effective_on", Input::Date, None))
                    (dates_view.input("Expires on", "expires_on", Input::Date, Some("The first day it no longer binds (the gate stops counting it that day); leave empty when it does not expire.")))
                    button.secondary type="submit" { "Set dates" }
                }
            }
        }
        @if let Some(sites) = joinable {
            section.panel #joinder {
                h2 { "Join sites" }
                p.hint { "A joinder extends this agreement to more of the health system's sites." }
                form #join-form method="post" action={ (action("joinders")) "#joinder" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", a.version))
                    (join_view.summary(&["site_ids"]))
                    (join_view.checkboxes("Sites to join", "site_ids", &site_options(&sites),
                        "Every site of the health system is covered already."))
                    @if !sites.is_empty() { button.primary type="submit" { "Join these sites" } }
                }
            }
        }
    }
}

pub(super) fn document_form(ctx: &Ctx, a: &Agreement, returned: &Option<Returned>) -> Markup {
    let none = (FormData::default(), FormErrors::default());
    let (values, errors) = pick(returned, Which::Document, &none);
    let view = FormView::new(values, errors, "document");
    html! {
        form #document-form method="post" enctype="multipart/form-data" action={ (paths::agreement(&a.id)) "/documents#documents" } novalidate {
            h3 { "Add a document version" }
            (csrf_field(ctx.csrf()))
            (hidden("version", a.version))
            (view.summary(&["file"]))
            (view.file("File", "file", false, Some("PDF, Word (.docx), PNG, JPEG or plain text, at most 10 MiB. Its SHA-256 is computed and recorded; both parties can download it.")))
            button.secondary type="submit" { "Add document version" }
        }
    }
}

pub(super) fn amendment_form(ctx: &Ctx, a: &Agreement, returned: &Option<Returned>) -> Markup {
    let none = (FormData::default(), FormErrors::default());
    let (values, errors) = pick(returned, Which::Amendment, &none);
    let view = FormView::new(values, errors, "amendment");
    html! {
        form #amendment-form method="post" action={ (paths::agreement(&a.id)) "/amendments#amendments" } novalidate {
            h3 { "Add an amendment" }
            (csrf_field(ctx.csrf()))
            (hidden("version", a.version))
            (view.summary(&["title", "effective_on"]))
            div.field-grid {
                (view.text("Title", "title"))
                (view.input("Effective on", "effective_on", Input::Date, None))
            }
            button.secondary type="submit" { "Add amendment" }
        }
    }
}

/// After an agreement command: review the gate and go back to the page with a confirmation,
/// or show the form again with its messages.
async fn finish(
    ctx: &Ctx,
    id: &str,
    before: i64,
    result: Result<Agreement, AppError>,
    code: &str,
    which: Which,
    values: &FormData,
) -> Result<Response, WebError> {
    match result {
        Ok(a) => {
            if a.version == before {
                return Ok(notice_redirect(&paths::agreement(&a.id), "unchanged"));
            }
            Ok(notice_redirect(&paths::agreement(&a.id), code))
        }
        Err(e) => {
            let errors = FormErrors::from_app(readable(e))?;
            let loaded = Loaded::load(ctx, id).await?;
            let back = Returned {
                which,
                values,
                errors: &errors,
            };
            render(ctx, &loaded, Some(back), None, errors.status()).await
        }
    }
}

/// What the moves from here mean.
fn move_hint(from: Option<AgreementStatus>) -> &'static str {
    match from {
        Some(AgreementStatus::LegalReview) => {
            "Sending it back to negotiation is another redline round. Executing needs the effective date."
        }
        Some(AgreementStatus::Executed) => {
            "An executed agreement can only be withdrawn (terminated): the sites resting on it lose their authorization."
        }
        _ => "Executing needs the effective date.",
    }
}

/// `POST /agreements/{id}/status`.
pub async fn move_to(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    if form.get("status") == "withdrawn" && !form.has("confirm") {
        let mut errors = FormErrors::default();
        errors.field(
            "confirm",
            "tick this box to confirm: a withdrawn agreement takes no more changes, and the sites resting on it lose their authorization",
        );
        let loaded = Loaded::load(&ctx, &id).await?;
        let back = Returned {
            which: Which::Move,
            values: &form,
            errors: &errors,
        };
        return render(&ctx, &loaded, Some(back), None, errors.status()).await;
    }
    let result = ctx
        .app
        .move_agreement(ctx.caller(), &id, version, form.get("status"), None)
        .await
        .and_then(|o| o.fresh())
        // Executing without an effective date: the person acted on the status, so the
        // message stands beside it (the dates form is right next to it).
        .map_err(|e| match e {
            AppError::Invalid(list) => AppError::Invalid(
                list.into_iter()
                    .map(|f| FieldError {
                        field: if f.field == "effective_on" {
                            "status".into()
                        } else {
                            f.field
                        },
                        message: f.message,
                    })
                    .collect(),
            ),
            other => other,
        });
    finish(&ctx, &id, version, result, "moved", Which::Move, &form).await
}

/// `POST /agreements/{id}/dates`.
pub async fn set_dates(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let result = ctx
        .app
        .set_agreement_dates(
            ctx.caller(),
            &id,
            version,
            form.get("effective_on").trim(),
            form.get("expires_on").trim(),
            None,
        )
        .await
        .and_then(|o| o.fresh());
    finish(&ctx, &id, version, result, "dates_set", Which::Dates, &form).await
}

/// `POST /agreements/{id}/documents`: the file kept, then added by its hash.
pub async fn add_document(
    Path(id): Path<String>,
    posted: PostedFiles,
) -> Result<Response, WebError> {
    let version = posted.form.version()?;
    let result = match posted.upload("file").await {
        Err(e) => Err(e),
        Ok(kept) if kept.is_empty() => Err(AppError::invalid("file", "choose the file to add")),
        Ok(kept) => {
            let up = &kept[0];
            match cellpath_domain::LedgerInt::new(up.size) {
                Err(e) => Err(AppError::invalid("file", e)),
                Ok(bytes) => posted
                    .ctx
                    .app
                    .add_document(
                        posted.ctx.caller(),
                        &id,
                        version,
                        DocumentInput {
                            name: up.name.clone(),
                            sha256: up.sha256.clone(),
                            bytes,
                        },
                        None,
                    )
                    .await
                    .and_then(|o| o.fresh()),
            }
        }
    };
    finish(
        &posted.ctx,
        &id,
        version,
        result,
        "document_added",
        Which::Document,
        &posted.form,
    )
    .await
}

/// `POST /agreements/{id}/amendments`.
pub async fn add_amendment(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let result = ctx
        .app
        .add_amendment(
            ctx.caller(),
            &id,
            version,
            AmendmentInput {
                title: form.get("title").into(),
                effective_on: form.get("effective_on").trim().into(),
            },
            None,
        )
        .await
        .and_then(|o| o.fresh());
    finish(
        &ctx,
        &id,
        version,
        result,
        "amendment_added",
        Which::Amendment,
        &form,
    )
    .await
}

/// `POST /agreements/{id}/joinders`.
pub async fn join(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let result = ctx
        .app
        .join_sites(ctx.caller(), &id, version, &form.all("site_ids"), None)
        .await
        .and_then(|o| o.fresh());
    finish(
        &ctx,
        &id,
        version,
        result,
        "sites_joined",
        Which::Join,
        &form,
    )
    .await
}
