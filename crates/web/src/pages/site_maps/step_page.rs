//! One step of a site map version, with the site's forms for it: its local details (who does
//! it here, where, in which system, notes); for a step the site owns, "Edit for this site";
//! for a step the manufacturer controls, "Propose a change" with a reason; for a checklist the
//! site added, "Remove". Each form sends the whole refinement (or the proposal) to the app,
//! whose messages come back beside the field they are about.

use super::edits::{self, Change, StepEdit};
use super::page::proposal_changes;
use super::{Loaded, change_badge, notice, proposal_badge, refine, site_role_options, typed_or};
use crate::charts::{field_label, kind_label, recorded_label, recorded_sentence, stage_label};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::pages::{NoticeQuery, facts, notice_redirect};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::time::time_el;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_domain::Role;
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::process_map::{RecordedIn, Step};
use cellpath_domain::refinement::LocalDetail;
use maud::{Markup, html};

const DETAIL_FIELDS: &[&str] = &["owner_role", "location", "system", "notes"];
const EDIT_FIELDS: &[&str] = &["name", "role", "recorded_in", "scan"];
const PROPOSE_FIELDS: &[&str] = &["step", "name", "role", "recorded_in", "scan", "reason"];

/// A form of this page that came back with errors.
enum Returned<'a> {
    Details(&'a FormData, &'a FormErrors),
    Edit(&'a FormData, &'a FormErrors),
    Propose(&'a FormData, &'a FormErrors),
    Remove(&'a FormErrors),
}

pub async fn show(
    ctx: Ctx,
    Path((id, key)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &id, &key, None, q.notice.as_deref(), StatusCode::OK).await
}

fn optional_text(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

fn read_details(form: &FormData) -> Result<LocalDetail, FormErrors> {
    let owner_role = match form.get("owner_role") {
        "" => None,
        r => match r.parse::<Role>() {
            Ok(r) => Some(r),
            Err(e) => {
                let mut errors = FormErrors::default();
                errors.field("owner_role", e.to_string());
                return Err(errors);
            }
        },
    };
    Ok(LocalDetail {
        owner_role,
        location: optional_text(form.get("location")),
        system: optional_text(form.get("system")),
        notes: optional_text(form.get("notes")),
    })
}

fn details_field(message: &str) -> Option<&'static str> {
    ["location", "system", "notes"]
        .into_iter()
        .find(|f| message.contains(&format!(": {f} is longer")))
}

fn read_edit(form: &FormData) -> Result<StepEdit, FormErrors> {
    let mut errors = FormErrors::default();
    let role = form
        .get("role")
        .parse::<Role>()
        .map_err(|e| errors.field("role", e.to_string()))
        .ok();
    let recorded_in = form
        .get("recorded_in")
        .parse::<RecordedIn>()
        .map_err(|e| errors.field("recorded_in", e.to_string()))
        .ok();
    let name = form.get("name").trim().to_string();
    if name.is_empty() {
        errors.field("name", "give the step a name");
    }
    match (role, recorded_in) {
        (Some(role), Some(recorded_in)) if errors.is_empty() => Ok(StepEdit {
            name,
            role,
            recorded_in,
            scan: form.has("scan"),
        }),
        _ => Err(errors),
    }
}

fn edit_values(step: &Step) -> FormData {
    let mut v = FormData::from_pairs([
        ("name", step.name.as_str()),
        ("role", step.role.as_str()),
        ("recorded_in", step.recorded_in.as_str()),
    ]);
    if step.params.scan {
        v.set("scan", "on");
    }
    v
}

fn edit_field(message: &str) -> Option<&'static str> {
    message.contains(": name ").then_some("name")
}

/// The step `key` of the version, or 404.
fn step_of<'l>(loaded: &'l Loaded, key: &str) -> Result<&'l Step, WebError> {
    loaded.effective.step(key).ok_or_else(|| {
        AppError::not_found(format!(
            "step {key} of site map version {}",
            loaded.view.version.number
        ))
        .into()
    })
}

fn back_to(loaded: &Loaded, key: &str) -> String {
    format!("{}/steps/{key}", loaded.path())
}

pub async fn save_details(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    loaded.refuse_change(&ctx)?;
    step_of(&loaded, &key)?;
    let result = match read_details(&form) {
        Ok(detail) => {
            let next = edits::with_detail(&loaded.view.refinement, &key, detail);
            refine(&ctx, &id, version, next, details_field).await?
        }
        Err(errors) => Err(errors),
    };
    match result {
        Ok(v) => Ok(notice_redirect(
            &back_to(&loaded, &key),
            if v.version == version {
                "unchanged"
            } else {
                "details_saved"
            },
        )),
        Err(errors) => {
            let back = Returned::Details(&form, &errors);
            render(&ctx, &id, &key, Some(back), None, errors.status()).await
        }
    }
}

/// "Edit for this site" on a step the site owns (or "Restore the published step").
pub async fn save_edit(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    loaded.refuse_change(&ctx)?;
    step_of(&loaded, &key)?;
    let Some(published) = loaded.base.step(&key).filter(|s| !s.controlled).cloned() else {
        let mut errors = FormErrors::default();
        errors.form(if loaded.local(&key).is_some() {
            "a checklist the site added is changed by removing it and adding it again"
        } else {
            "this step is controlled by the manufacturer: propose the change instead"
        });
        let back = Returned::Edit(&form, &errors);
        return render(&ctx, &id, &key, Some(back), None, errors.status()).await;
    };
    let restore = form.has("restore");
    let result = if restore {
        let next = edits::with_override(&loaded.view.refinement, &published, published.clone());
        refine(&ctx, &id, version, next, edit_field).await?
    } else {
        match read_edit(&form) {
            Ok(edit) => {
                let current = loaded.map_step(&key).unwrap_or_else(|| published.clone());
                let next =
                    edits::with_override(&loaded.view.refinement, &published, edit.apply(&current));
                refine(&ctx, &id, version, next, edit_field).await?
            }
            Err(errors) => Err(errors),
        }
    };
    match result {
        Ok(v) => Ok(notice_redirect(
            &back_to(&loaded, &key),
            match (v.version == version, restore) {
                (true, _) => "unchanged",
                (false, true) => "step_restored",
                (false, false) => "step_changed",
            },
        )),
        Err(errors) => {
            let back = Returned::Edit(&form, &errors);
            render(&ctx, &id, &key, Some(back), None, errors.status()).await
        }
    }
}

/// "Propose a change" on a controlled step: the whole changed step, with the site's reason.
pub async fn propose(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let loaded = Loaded::load(&ctx, &id).await?;
    loaded.refuse_change(&ctx)?;
    step_of(&loaded, &key)?;
    let result = match read_edit(&form) {
        Ok(edit) => {
            let current = loaded
                .map_step(&key)
                .ok_or_else(|| AppError::not_found(format!("step {key}")))?;
            ctx.app
                .propose_change(
                    ctx.caller(),
                    &id,
                    edit.apply(&current),
                    form.get("reason"),
                    None,
                )
                .await
                .and_then(|o| o.fresh())
                .map_err(FormErrors::from_app)
        }
        Err(errors) => Err(Ok(errors)),
    };
    match result {
        Ok(_) => Ok(notice_redirect(&back_to(&loaded, &key), "proposed")),
        Err(errors) => {
            let errors = errors?;
            let back = Returned::Propose(&form, &errors);
            render(&ctx, &id, &key, Some(back), None, errors.status()).await
        }
    }
}

/// Remove a checklist step the site added.
pub async fn remove(
    Path((id, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    loaded.refuse_change(&ctx)?;
    step_of(&loaded, &key)?;
    let result = if loaded.local(&key).is_some() {
        let next = edits::without_local_step(&loaded.view.refinement, &key);
        refine(&ctx, &id, version, next, |_| None).await?
    } else {
        let mut errors = FormErrors::default();
        errors.form("only a checklist step the site added can be removed");
        Err(errors)
    };
    match result {
        Ok(v) => Ok(notice_redirect(
            &paths::site_map(&v.id),
            "checklist_removed",
        )),
        Err(errors) => {
            let back = Returned::Remove(&errors);
            render(&ctx, &id, &key, Some(back), None, errors.status()).await
        }
    }
}

fn recorded_options() -> Vec<(String, String)> {
    RecordedIn::ALL
        .iter()
        .map(|r| {
            let text = match r {
                RecordedIn::Cellpath => "cellpath",
                RecordedIn::Ehr => "The EHR (cellpath keeps an attestation)",
            };
            (r.as_str().to_string(), text.to_string())
        })
        .collect()
}

fn map_role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), labels::role(r.as_str()).to_string()))
        .collect()
}

/// The fields a site edits on its own step and proposes on a controlled one.
fn step_fields(view: &FormView) -> Markup {
    html! {
        div.field-grid {
            (view.text("Name", "name"))
            (view.select("Responsible role", "role", &map_role_options()))
            (view.select("Recorded in", "recorded_in", &recorded_options()))
        }
        (view.checkbox("Scan checkpoint (someone scans an identifier here)", "scan"))
        p.hint { "Where the step happens here is set in its local details above." }
    }
}

/// What the site's version of the step changes against the published step.
fn differences(loaded: &Loaded, key: &str, change: Option<Change>) -> Markup {
    let Some(change) = change else {
        return html! {};
    };
    let published = loaded.base.step(key);
    let current = loaded.map_step(key);
    html! {
        section.panel #differences {
            h2 { (change.label()) }
            @match (published, current, change) {
                (Some(old), Some(new), Change::SiteEdit | Change::Accepted) => {
                    p.hint { "Against the published map, version " (loaded.base_version.number) ", of " (loaded.manufacturer_name) ":" }
                    ul.field-changes {
                        @for c in edits::field_changes(old, &new) {
                            li data-field=(c.field) {
                                span.field { (field_label(&c.field)) ": " }
                                span.old { (c.old) }
                                span.arrow aria-label="changed to" { " → " }
                                span.new { (c.new) }
                            }
                        }
                    }
                }
                (_, Some(new), Change::Added) => {
                    p { "A checklist step of " (loaded.health_system_name) ", not in the published map. Items to tick:" }
                    ul { @for item in &new.params.items { li { (item) } } }
                }
                _ => {}
            }
        }
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    key: &str,
    returned: Option<Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let loaded = Loaded::load(ctx, id).await?;
    let step = step_of(&loaded, key)?;
    let v = &loaded.view;
    let change = loaded.changes.get(key).copied();
    let detail = v.refinement.details.get(key).cloned().unwrap_or_default();
    let published = loaded.base.step(key);
    let site_owned = published.is_some_and(|s| !s.controlled);
    let controlled = published.is_some_and(|s| s.controlled);
    let added = loaded.local(key).is_some();
    let map_step = loaded.map_step(key).unwrap_or_else(|| step.clone());
    let pending = v
        .proposals
        .iter()
        .find(|p| p.step_key == key && p.status == ProposalStatus::Pending);
    let proposals: Vec<_> = v.proposals.iter().filter(|p| p.step_key == key).collect();
    let no_errors = FormErrors::default();

    let detail_values = typed_or(
        match &returned {
            Some(Returned::Details(values, _)) => Some(*values),
            _ => None,
        },
        || {
            FormData::from_pairs([
                (
                    "owner_role",
                    detail.owner_role.map(|r| r.as_str()).unwrap_or(""),
                ),
                ("location", detail.location.as_deref().unwrap_or("")),
                ("system", detail.system.as_deref().unwrap_or("")),
                ("notes", detail.notes.as_deref().unwrap_or("")),
            ])
        },
    );
    let detail_errors = match &returned {
        Some(Returned::Details(_, e)) => *e,
        _ => &no_errors,
    };
    let edit_values_shown = typed_or(
        match &returned {
            Some(Returned::Edit(values, _)) => Some(*values),
            _ => None,
        },
        || edit_values(&map_step),
    );
    let edit_errors = match &returned {
        Some(Returned::Edit(_, e)) => *e,
        _ => &no_errors,
    };
    let propose_values = typed_or(
        match &returned {
            Some(Returned::Propose(values, _)) => Some(*values),
            _ => None,
        },
        || edit_values(&map_step),
    );
    let propose_errors = match &returned {
        Some(Returned::Propose(_, e)) => *e,
        _ => &no_errors,
    };
    let proposing_back = matches!(returned, Some(Returned::Propose(..)));
    let remove_errors = match &returned {
        Some(Returned::Remove(e)) => *e,
        _ => &no_errors,
    };
    let detail_view = FormView::new(&detail_values, detail_errors, "detail");
    let edit_view = FormView::new(&edit_values_shown, edit_errors, "edit");
    let propose_view = FormView::new(&propose_values, propose_errors, "propose");
    let roles = site_role_options((
        "",
        format!("As in the map ({})", labels::role(step.role.as_str())),
    ));
    let after: Vec<String> = step.after.iter().map(|a| loaded.step_name(a)).collect();
    let (hs, mfr) = (&loaded.health_system_name, &loaded.manufacturer_name);

    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (loaded.path()) "#step-" (key) } { (loaded.site_name) " · " (loaded.program.name) " site map, version " (v.version.number) } }
            h1 { (step.name) " " code.key { (step.key) } }
            p.subtitle {
                (stage_label(step.stage)) " · " (kind_label(step.kind)) " · " (labels::role_badge(step.role.as_str()))
                @if controlled { span.badge.badge-controlled { "Controlled by " (mfr) } }
                @if site_owned { span.badge.badge-quiet { "Owned by the site" } }
                @if let Some(c) = change { (change_badge(c)) }
            }
        }
        (notice(notice_code))
        @if v.status == "signed" {
            div.callout.good { p { "Version " (v.version.number) " is signed by both sides and never changes. Changes go into the next version, started from "
                a href={ (loaded.path()) "#status-note" } { "the version's page" } "." } }
        } @else if loaded.may_refine() || loaded.may_propose() {
            div.callout.info #what-you-can-do {
                @if controlled {
                    p { "The label or quality agreement of " (mfr) " governs this step. Set its local details freely below; to change the step itself, "
                        a href="#propose" { "propose a change" } " with your reason, which " (mfr) " accepts or rejects." }
                } @else if site_owned {
                    p { "This step is owned by " (hs) ": set its local details, and "
                        a href="#site-edit" { "edit it for this site" } " without asking " (mfr) "." }
                } @else if added {
                    p { "A checklist step " (hs) " added: set its local details, or remove it." }
                }
            }
        } @else if loaded.side == Some(cellpath_app::sitemaps::Side::Manufacturer) {
            div.callout.info { p { (hs) " refines its sites' maps. You decide on its proposals on "
                a href={ (loaded.path()) "#proposals" } { "the version's page" } "." } }
        }
        (facts(&[
            ("Done here by", html! {
                @match detail.owner_role {
                    Some(r) => (labels::role(r.as_str())),
                    None => span.muted { (labels::role(step.role.as_str())) " (as in the map)" },
                }
            }),
            ("Where", html! {
                @match (&detail.location, &step.params.location) {
                    (Some(l), _) => (l),
                    (None, Some(l)) => span.muted { (l) " (as in the map)" },
                    (None, None) => span.muted { "—" },
                }
            }),
            ("Recorded in", html! {
                span title=(recorded_sentence(step.recorded_in)) { (recorded_label(step.recorded_in)) }
                @if let Some(s) = &detail.system { " · here in " (s) }
            }),
            ("Scan checkpoint", html! { @if step.params.scan { "Yes: someone scans an identifier here" } @else { "No" } }),
            ("Comes after", html! { @if after.is_empty() { "Nothing: this is the start" } @else { (after.join(", ")) } }),
            ("Notes", html! { @match &detail.notes { Some(n) => (n), None => span.muted { "—" } } }),
        ]))
        (differences(&loaded, key, change))
        @if loaded.may_refine() {
            section.panel #local-details {
                h2 { "Local details" }
                p.hint { "Who does this step at " (loaded.site_name) ", where, and in which system it is recorded. Leave a field empty to keep the map's." }
                (detail_view.summary(DETAIL_FIELDS))
                form #details-form method="post" action={ (back_to(&loaded, key)) "/details#local-details" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", v.version.version))
                    div.field-grid {
                        (detail_view.select("Done here by", "owner_role", &roles))
                        (detail_view.input("Location", "location", Input::Text, Some("e.g. Cell Therapy Laboratory, B2")))
                        (detail_view.input("System", "system", Input::Text, Some("Where it is recorded here, e.g. Epic Beacon, cell lab LIMS")))
                    }
                    (detail_view.textarea("Notes", "notes", None, 2))
                    button.primary type="submit" { "Save local details" }
                }
            }
        }
        @if loaded.may_refine() && site_owned {
            section.panel #site-edit {
                h2 { "Edit for this site" }
                p.hint { "The site owns this step, so the change applies at once (both sides still sign the version)." }
                (edit_view.summary(EDIT_FIELDS))
                form #edit-form method="post" action={ (back_to(&loaded, key)) "/edit#site-edit" } novalidate {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", v.version.version))
                    (step_fields(&edit_view))
                    button.primary type="submit" { "Save the site's change" }
                }
                @if change == Some(Change::SiteEdit) {
                    form.restore-form method="post" action={ (back_to(&loaded, key)) "/edit#site-edit" } {
                        (csrf_field(ctx.csrf()))
                        (hidden("version", v.version.version))
                        (hidden("restore", "on"))
                        button.secondary type="submit" { "Restore the published step" }
                    }
                }
            }
        }
        @if (loaded.may_propose() && controlled) || proposing_back {
            section.panel #propose {
                h2 { "Propose a change" }
                @match pending {
                    Some(p) if !proposing_back => {
                        p { "A proposal for this step is waiting for a decision from " (mfr) ":" }
                        (proposal_changes(&loaded, p))
                        p.muted { "Reason: " (p.reason) }
                    }
                    _ => {
                        p.hint { (mfr) " reads the change and your reason, and accepts or rejects it with its own reason. "
                            "Until then the step stays as it is." }
                        (propose_view.summary(PROPOSE_FIELDS))
                        (propose_view.field_errors("step"))
                        form #propose-form method="post" action={ (back_to(&loaded, key)) "/proposals#propose" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (step_fields(&propose_view))
                            (propose_view.textarea("Your reason", "reason", Some("Why the site needs it; the manufacturer reads it before deciding."), 3))
                            button.primary type="submit" { "Send the proposal" }
                        }
                    }
                }
            }
        }
        @if loaded.may_refine() && added {
            section.panel.danger-zone #remove-step {
                h2 { "Remove this checklist step" }
                p { "The steps after it will no longer wait for it." }
                (FormView::new(&FormData::default(), remove_errors, "remove").summary(&[]))
                form #remove-form method="post" action={ (back_to(&loaded, key)) "/remove#remove-step" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("version", v.version.version))
                    button.danger type="submit" { "Remove " (step.name) }
                }
            }
        }
        @if !proposals.is_empty() {
            section.panel #step-proposals {
                h2 { "Proposals on this step" }
                ul.plain.proposal-history {
                    @for p in &proposals {
                        li data-status=(p.status) {
                            (proposal_badge(p.status.as_str())) " " span.muted { (time_el(p.created_at)) }
                            (proposal_changes(&loaded, p))
                            p { "Reason: " (p.reason) }
                            @if let Some(reason) = &p.decision_reason { p { (mfr) ": " (reason) } }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(
        status,
        &format!("{} · {}", step.name, loaded.title()),
        content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_details_form_is_no_details() {
        let form = FormData::from_pairs([("owner_role", ""), ("location", "  "), ("system", "")]);
        assert_eq!(read_details(&form).unwrap(), LocalDetail::default());
        let form = FormData::from_pairs([("owner_role", "surgeon")]);
        assert!(read_details(&form).unwrap_err().has_field("owner_role"));
    }

    #[test]
    fn the_step_form_reads_back_its_own_values() {
        let (map, _) = cellpath_domain::process_map::seeds::autologous_car_t();
        for step in &map.steps {
            let edit = read_edit(&edit_values(step)).expect("readable");
            assert_eq!(&edit.apply(step), step, "{}", step.key);
        }
    }

    #[test]
    fn length_messages_find_their_field() {
        assert_eq!(
            details_field("step thaw_cd4: notes is longer than 500 characters"),
            Some("notes")
        );
        assert_eq!(details_field("details for unknown step x"), None);
    }
}
