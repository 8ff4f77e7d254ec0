//! One step of a draft map in its own form: saving builds the whole new map (the current one
//! with this step replaced) and hands it to the app, whose validator answers for the whole
//! map; removing it reconnects the steps around it. Messages about this step sit beside its
//! fields, messages about other steps at the top of the page. On a published version, or for
//! someone who may only read, the page shows the step without a form.

use super::map_edits::{followers, remove_step, replace_step};
use super::map_page::{Loaded, details};
use super::step_form::{self, split_errors};
use super::{facts_form, notice};
use crate::charts::{kind_label, recorded_sentence, stage_label};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, csrf_field, hidden};
use crate::labels;
use crate::pages::{NoticeQuery, facts, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::views::MapVersion;
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::process_map::{ProcessMap, Step};
use maud::{Markup, html};

/// What came back from a post: the typed values, the messages for this step's form, and the
/// messages about other steps or the whole map.
struct Returned<'a> {
    values: Option<&'a FormData>,
    errors: &'a FormErrors,
    others: &'a [String],
    /// What the messages about other steps are about.
    others_heading: &'a str,
    /// Why "Remove" was refused.
    removal: Option<&'a FormErrors>,
}

const SAVE_BREAKS: &str = "This change would make other steps of the map invalid:";

pub async fn show(
    ctx: Ctx,
    Path((id, key)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let none = Returned {
        values: None,
        errors: &FormErrors::default(),
        others: &[],
        others_heading: SAVE_BREAKS,
        removal: None,
    };
    render(&ctx, &id, &key, none, q.notice.as_deref(), StatusCode::OK).await
}

/// The step `key` of a loaded map, or 404.
fn step_of<'l>(loaded: &'l Loaded, key: &str) -> Result<&'l Step, WebError> {
    loaded.map.step(key).ok_or_else(|| {
        AppError::not_found(format!(
            "step {key} of map version {}",
            loaded.version.number
        ))
        .into()
    })
}

pub async fn save(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    step_of(&loaded, &key)?;
    let step = match step_form::read(&form, &key) {
        Ok(step) => step,
        Err(errors) => {
            let back = Returned {
                values: Some(&form),
                errors: &errors,
                others: &[],
                others_heading: SAVE_BREAKS,
                removal: None,
            };
            return render(&ctx, &id, &key, back, None, errors.status()).await;
        }
    };
    let next = replace_step(&loaded.map, &key, step);
    match changed(&ctx, &id, &key, version, next).await? {
        Ok(v) => Ok(notice_redirect(
            &paths::map_step(&v.id, &key),
            if v.version == version {
                "unchanged"
            } else {
                "step_saved"
            },
        )),
        Err((mut errors, others)) => {
            if errors.is_empty() && !others.is_empty() {
                errors.form(
                    "this change would make other steps invalid (listed above); nothing was saved",
                );
            }
            let back = Returned {
                values: Some(&form),
                errors: &errors,
                others: &others,
                others_heading: SAVE_BREAKS,
                removal: None,
            };
            render(&ctx, &id, &key, back, None, errors.status()).await
        }
    }
}

pub async fn remove(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    step_of(&loaded, &key)?;
    let next = remove_step(&loaded.map, &key);
    let refused = match ctx
        .app
        .update_map_version(ctx.caller(), &id, version, next, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => return Ok(notice_redirect(&paths::map(&v.id), "step_removed")),
        Err(e) => e,
    };
    // The step is still there; what stands in the way is about the map without it, so every
    // message goes to the top of the page.
    let (errors, others) = match refused {
        AppError::Invalid(list) => {
            let (about_map, about_form): (Vec<_>, Vec<_>) = list
                .into_iter()
                .partition(|f| f.field == "map" || f.field.starts_with("steps."));
            let mut errors = FormErrors::default();
            for f in about_form {
                errors.form(f.message); // e.g. the version is published
            }
            if !about_map.is_empty() {
                errors.form(format!(
                    "{key} was not removed: change the steps named at the top of the page first; nothing was changed"
                ));
            }
            (errors, about_map.into_iter().map(|f| f.message).collect())
        }
        other => (FormErrors::from_app(other)?, Vec::new()),
    };
    let back = Returned {
        values: None,
        errors: &FormErrors::default(),
        others: &others,
        others_heading: "Without this step, the map would not be valid:",
        removal: Some(&errors),
    };
    render(&ctx, &id, &key, back, None, errors.status()).await
}

/// Store a changed map: the new version, or the messages split for the step form.
async fn changed(
    ctx: &Ctx,
    id: &str,
    key: &str,
    version: i64,
    map: ProcessMap,
) -> Result<Result<MapVersion, (FormErrors, Vec<String>)>, WebError> {
    match ctx
        .app
        .update_map_version(ctx.caller(), id, version, map, None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(v) => Ok(Ok(v)),
        Err(e) => Ok(Err(split_errors(e, key)?)),
    }
}

fn render_step_facts(step: &Step, loaded: &Loaded) -> Markup {
    let name_of = |key: &str| {
        loaded
            .map
            .step(key)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| key.to_string())
    };
    facts(&[
        ("Stage", html! { (stage_label(step.stage)) }),
        ("Kind", html! { (kind_label(step.kind)) }),
        (
            "Responsible role",
            html! { (labels::role(step.role.as_str())) },
        ),
        (
            "Comes after",
            html! {
                @if step.after.is_empty() { "Nothing: this is the start" }
                @else { (step.after.iter().map(|a| name_of(a)).collect::<Vec<_>>().join(", ")) }
            },
        ),
        (
            "Controlled",
            html! { @if step.controlled { "Yes: the label or quality agreement governs it" } @else { "No: the site owns it" } },
        ),
        (
            "Recorded in",
            html! { (recorded_sentence(step.recorded_in)) },
        ),
        (
            "Location",
            html! { (step.params.location.as_deref().unwrap_or("—")) },
        ),
        (
            "Scan checkpoint",
            html! { @if step.params.scan { "Yes" } @else { "No" } },
        ),
        (
            "Details",
            details(step, loaded.valid.as_ref().ok(), &loaded.map),
        ),
    ])
}

async fn render(
    ctx: &Ctx,
    id: &str,
    key: &str,
    returned: Returned<'_>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let loaded = Loaded::load(ctx, id).await?;
    let step = step_of(&loaded, key)?;
    let (v, program) = (&loaded.version, &loaded.program);
    let units = facts_form::program_units(program);
    let steps = loaded.ordered();
    let mut values = returned
        .values
        .cloned()
        .unwrap_or_else(|| step_form::values_of(step));
    values.set("version", v.version.to_string());
    let view = FormView::new(&values, returned.errors, "step");
    let after_it = followers(&loaded.map, key);
    let name_of = |k: &str| {
        loaded
            .map
            .step(k)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::map(&v.id)) } { (program.name) ", map version " (v.number) } }
            h1 { (step.name) " " code.key { (step.key) } }
            p.subtitle { (stage_label(step.stage)) " · " (kind_label(step.kind)) " · " (labels::role(step.role.as_str())) }
        }
        (notice(notice_code))
        @if !returned.others.is_empty() {
            div.form-errors #map-errors role="alert" {
                p { strong { (returned.others_heading) } }
                @for m in returned.others { p.form-error data-field="map" { (labels::sentence(m)) } }
            }
        }
        @if loaded.may_edit {
            section.panel #edit-step {
                h2 { "Edit this step" }
                p.hint { "Saving checks the whole map again; nothing is stored unless the map stays valid." }
                (view.summary(step_form::FIELDS))
                form #step-form method="post" action={ (paths::map_step(&v.id, &step.key)) "#edit-step" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", values.get("version")))
                    (step_form::fields(&view, key, &steps, &units))
                    div.form-actions {
                        button.primary type="submit" { "Save step" }
                        a.button.secondary href={ (paths::map(&v.id)) "#step-" (step.key) } { "Back to the map" }
                    }
                }
            }
            section.panel.danger-zone #remove-step {
                h2 { "Remove this step" }
                p #remove-consequence {
                    @if after_it.is_empty() {
                        "Nothing comes after " strong { (step.name) } "."
                    } @else {
                        (after_it.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", "))
                        @if after_it.len() == 1 { " comes" } @else { " come" }
                        " after " strong { (step.name) } ". Once it is removed, "
                        @if after_it.len() == 1 { "that step" } @else { "those steps" }
                        @if step.after.is_empty() { " will have nothing before them." }
                        @else {
                            " will come after "
                            (step.after.iter().map(|a| name_of(a)).collect::<Vec<_>>().join(" and "))
                            " instead, so the map stays connected."
                        }
                    }
                }
                @if let Some(errors) = returned.removal {
                    (FormView::new(&FormData::default(), errors, "remove").summary(&[]))
                }
                form #remove-step-form method="post" action={ (paths::map_step(&v.id, &step.key)) "/remove" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", v.version))
                    button.danger type="submit" { "Remove " (step.name) " from draft version " (v.number) }
                }
            }
        } @else {
            (view.summary(step_form::FIELDS))
            @if let Some(errors) = returned.removal {
                (FormView::new(&FormData::default(), errors, "remove").summary(&[]))
            }
            @if v.status == MapVersionStatus::Published {
                div.callout.good { p { "Version " (v.number) " is published and never changes. To change this step, start a new draft from it on "
                    a href={ (paths::map(&v.id)) } { "the version's page" } "." } }
            }
            (render_step_facts(step, &loaded))
        }
    };
    Ok(ctx.render_status(
        status,
        &format!("{} · {}", step.name, loaded.title()),
        content,
    ))
}
