//! A site's consent documents: per program, the consent versions with their status, effective
//! date, the manufacturing-failure section and the form's file; the form that adds a version
//! with its upload; the buttons that make a draft active and retire the active one, each
//! refusal beside its button. The gate's consent item rests on the active version.

use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{self, Tone};
use crate::pages::{NoticeQuery, see_other};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::uploads::PostedFiles;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::consent::{ConsentDocuments, NewConsentVersion, SectionInput};
use cellpath_app::views::ConsentVersion;
use cellpath_app::{AppError, FieldError};
use cellpath_domain::consent::{ConsentStatus, SectionKind};
use maud::{Markup, html};
use std::collections::BTreeSet;

const FIELDS: &[&str] = &[
    "program_id",
    "document",
    "effective_on",
    "failure_heading",
    "failure_text",
    "other_heading",
    "other_text",
];

/// Which form of the page came back with errors.
#[derive(Clone, PartialEq, Eq)]
enum Form {
    Add,
    /// The activate or retire form of this version (its id).
    Version(String),
}

struct Returned {
    form: Form,
    values: FormData,
    errors: FormErrors,
}

pub async fn show(
    ctx: Ctx,
    Path(site_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &site_id, None, q.notice.as_deref(), StatusCode::OK).await
}

fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("consent_added") => "The consent version is added as a draft.",
        Some("consent_activated") => {
            "The consent version is active; the one active before is retired. The gate is judged again."
        }
        Some("consent_retired") => {
            "The consent version is retired; the gate is judged again and a site resting on it is suspended."
        }
        _ => return crate::layout::notice(code),
    };
    html! { div.notice #notice role="status" { (text) } }
}

/// Field names of the app's sections (`sections[0].text`) as the form's.
fn form_field(field: &str, order: &[&str]) -> String {
    let Some(rest) = field.strip_prefix("sections[") else {
        return match field {
            "document_sha256" | "document_name" => "document".into(),
            other => other.into(),
        };
    };
    let Some((i, part)) = rest.split_once("].") else {
        return field.into();
    };
    match i.parse::<usize>().ok().and_then(|i| order.get(i)) {
        Some(which) => format!(
            "{which}_{}",
            if part == "heading" { "heading" } else { "text" }
        ),
        None => field.into(),
    }
}

/// `POST /sites/{id}/consent-documents`: the form's file kept, then the version added.
pub async fn create(
    Path(site_id): Path<String>,
    posted: PostedFiles,
) -> Result<Response, WebError> {
    let (ctx, form) = (&posted.ctx, &posted.form);
    // The sections given, in order: the manufacturing-failure one, another.
    let mut order = Vec::new();
    let mut sections = Vec::new();
    for (which, kind) in [
        ("failure", SectionKind::ManufacturingFailure),
        ("other", SectionKind::Other),
    ] {
        let heading = form.get(&format!("{which}_heading"));
        let text = form.get(&format!("{which}_text"));
        if heading.trim().is_empty() && text.trim().is_empty() {
            continue;
        }
        order.push(which);
        sections.push(SectionInput {
            kind: kind.as_str().into(),
            heading: heading.into(),
            text: text.into(),
        });
    }
    let added = async {
        let docs = posted.upload("document").await?;
        let Some(doc) = docs.first() else {
            return Err(AppError::invalid(
                "document",
                "choose the consent form's file (PDF, Word, PNG, JPEG or plain text)",
            ));
        };
        ctx.app
            .create_consent_version(
                ctx.caller(),
                &site_id,
                NewConsentVersion {
                    program_id: form.get("program_id").into(),
                    document_sha256: doc.sha256.clone(),
                    document_name: doc.name.clone(),
                    effective_on: form.get("effective_on").trim().into(),
                    sections,
                },
                None,
            )
            .await
            .and_then(|o| o.fresh())
    };
    match added.await {
        Ok(v) => Ok(see_other(&format!(
            "{}?notice=consent_added#version-{}",
            paths::site_consent(&site_id),
            v.id
        ))),
        Err(e) => {
            let e = match e {
                AppError::Invalid(fields) => AppError::Invalid(
                    fields
                        .into_iter()
                        .map(|f| FieldError {
                            field: form_field(&f.field, &order),
                            message: f.message,
                        })
                        .collect(),
                ),
                other => other,
            };
            let errors = FormErrors::from_app(e)?;
            let status = errors.status();
            let mut values = form.clone();
            values.set("document", "");
            let back = Returned {
                form: Form::Add,
                values,
                errors,
            };
            render(ctx, &site_id, Some(back), None, status).await
        }
    }
}

/// `POST /consent-documents/{id}/activation` and `…/retirement`: the move, then back to the
/// site's consent documents; a refusal beside the version's button.
pub async fn activate(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    move_version(id, posted, true).await
}

pub async fn retire(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    move_version(id, posted, false).await
}

async fn move_version(id: String, posted: Posted, activate: bool) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let site_id = form.get("site").to_string();
    let version = form.version()?;
    let moved = if activate {
        ctx.app
            .activate_consent_version(ctx.caller(), &id, Some(version), form.get("password"), None)
            .await
    } else {
        ctx.app
            .retire_consent_version(
                ctx.caller(),
                &id,
                Some(version),
                form.get("reason"),
                form.get("password"),
                None,
            )
            .await
    };
    match moved.and_then(|o| o.fresh()) {
        Ok(v) => Ok(see_other(&format!(
            "{}?notice={}#version-{}",
            paths::site_consent(&v.site_id),
            if activate {
                "consent_activated"
            } else {
                "consent_retired"
            },
            v.id
        ))),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let status = errors.status();
            let back = Returned {
                form: Form::Version(id),
                values: form,
                errors,
            };
            render(&ctx, &site_id, Some(back), None, status).await
        }
    }
}

async fn render(
    ctx: &Ctx,
    site_id: &str,
    returned: Option<Returned>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let docs = ctx.app.consent_documents(ctx.caller(), site_id).await?;
    let hashes: Vec<&str> = docs
        .programs
        .iter()
        .flat_map(|p| p.versions.iter().map(|v| v.document_sha256.as_str()))
        .collect();
    let kept: BTreeSet<String> = hashes
        .iter()
        .zip(ctx.app.documents_kept(&hashes).await?)
        .filter(|(_, k)| *k)
        .map(|(h, _)| h.to_string())
        .collect();
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::site(&docs.site_id)) } { (docs.site_name) } }
            h1 { "Consent documents" }
            p.subtitle { "The informed-consent forms of " (docs.site_name) ", per program. The gate counts a program's consent once a version stating the manufacturing-failure language is active." }
        }
        (notice(notice_code))
        @for p in &docs.programs {
            section.panel.consent-program data-program=(p.program_id) {
                h2 { (p.program_name) }
                p.hint { (p.partnership_name) }
                @if p.versions.is_empty() {
                    p.empty { "No consent version yet for this program." }
                } @else {
                    div.table-scroll {
                        table.list.consent-versions {
                            thead { tr {
                                th { "Version" } th { "Status" } th { "Effective" }
                                th { "Manufacturing-failure section" } th { "Form" }
                            } }
                            tbody {
                                @for v in &p.versions {
                                    (version_row(ctx, &docs, v, &kept, &returned))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if docs.programs.is_empty() {
            p.empty { "No program is named by a partnership of this site." }
        }
        @if docs.may_change && !docs.programs.is_empty() {
            (add_form(ctx, &docs, &returned))
        }
    };
    Ok(ctx.render_status(
        status,
        &format!("Consent documents · {}", docs.site_name),
        content,
    ))
}

fn status_badge(s: ConsentStatus) -> Markup {
    let tone = match s {
        ConsentStatus::Draft => Tone::Waiting,
        ConsentStatus::Active => Tone::Good,
        ConsentStatus::Retired => Tone::Quiet,
    };
    let text = match s {
        ConsentStatus::Draft => "Draft",
        ConsentStatus::Active => "Active",
        ConsentStatus::Retired => "Retired",
    };
    labels::badge(text, tone)
}

fn version_row(
    ctx: &Ctx,
    docs: &ConsentDocuments,
    v: &ConsentVersion,
    kept: &BTreeSet<String>,
    returned: &Option<Returned>,
) -> Markup {
    let failure = v
        .sections
        .iter()
        .find(|s| s.kind == SectionKind::ManufacturingFailure);
    let fresh = (FormData::default(), FormErrors::default());
    let (values, errors) = match returned {
        Some(r) if r.form == Form::Version(v.id.clone()) => (&r.values, &r.errors),
        _ => (&fresh.0, &fresh.1),
    };
    let prefix = format!("version-{}", v.id);
    let view = FormView::new(values, errors, &prefix);
    html! {
        tr id={ "version-" (v.id) } data-status=(v.status.as_str()) {
            td { "Version " (v.number) }
            td {
                (status_badge(v.status))
                @if let Some(on) = &v.activated_on { br; span.muted { "active since " (on) } }
                @if let Some(on) = &v.retired_on {
                    br; span.muted { "retired on " (on) ": " (v.retired_reason.as_deref().unwrap_or("")) }
                }
            }
            td.dates { (v.effective_on) }
            td.consent-failure {
                @match failure {
                    Some(s) => { strong { (s.heading) } p { (s.text) } }
                    None => span.muted { "None — this version cannot be made active without it." },
                }
            }
            td {
                @if kept.contains(&v.document_sha256) {
                    a.document href=(paths::document(&v.document_sha256)) download=(v.document_name) { (v.document_name) }
                } @else {
                    (v.document_name)
                }
                br; span.muted.hash { "SHA-256 " code { (v.document_sha256.get(..12).unwrap_or("")) "…" } }
                @if docs.may_change {
                    (view.summary(&["reason", "password"]))
                    @if v.status == ConsentStatus::Draft {
                        form.activate-consent id={ "activate-" (v.id) } method="post" action={ "/consent-documents/" (v.id) "/activation" } novalidate {
                            (csrf_field(ctx.csrf()))
                            (hidden("site", &docs.site_id))
                            (hidden("version", v.version))
                            p.signature-meaning {
                                "Making it active signs it as " strong { (ctx.session.user.name) }
                                ", meaning " strong { "approved" } "."
                            }
                            (view.input("Your password", "password", Input::CurrentPassword,
                                Some("Your password confirms that the signature is yours.")))
                            button.primary type="submit" { "Make version " (v.number) " active" }
                        }
                    }
                    @if v.status == ConsentStatus::Active {
                        details.retire-consent open[!errors.is_empty()] {
                            summary { "Retire" }
                            form.retire-consent-form id={ "retire-" (v.id) } method="post" action={ "/consent-documents/" (v.id) "/retirement" } novalidate {
                                (csrf_field(ctx.csrf()))
                                (hidden("site", &docs.site_id))
                                (hidden("version", v.version))
                                (view.textarea("Why it is retired", "reason",
                                    Some("E.g. the IRB withdrew its approval. Until another version is made active, the gate no longer counts this site's consent and the site is suspended."), 2))
                                p.signature-meaning {
                                    "Retiring it signs it as " strong { (ctx.session.user.name) }
                                    ", meaning " strong { "reviewed" } "."
                                }
                                (view.input("Your password", "password", Input::CurrentPassword,
                                    Some("Your password confirms that the signature is yours.")))
                                button.danger type="submit" { "Retire version " (v.number) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_form(ctx: &Ctx, docs: &ConsentDocuments, returned: &Option<Returned>) -> Markup {
    let fresh = (FormData::default(), FormErrors::default());
    let (values, errors) = match returned {
        Some(r) if r.form == Form::Add => (&r.values, &r.errors),
        _ => (&fresh.0, &fresh.1),
    };
    let view = FormView::new(values, errors, "consent");
    let programs: Vec<(String, String)> = docs
        .programs
        .iter()
        .map(|p| (p.program_id.clone(), p.program_name.clone()))
        .collect();
    html! {
        section.panel #add-consent-version {
            h2 { "Add a consent version" }
            p.hint { "It is added as a draft, numbered after the program's last version; make it active once it is in effect." }
            (view.summary(FIELDS))
            form #consent-form method="post" enctype="multipart/form-data"
                action={ (paths::site_consent(&docs.site_id)) "#add-consent-version" } novalidate {
                (csrf_field(ctx.csrf()))
                (view.select("Program", "program_id", &programs))
                (view.file("Consent form", "document", false,
                    Some("The form as the IRB approved it: PDF, Word (.docx), PNG, JPEG or plain text, at most 10 MiB. It is kept by its SHA-256.")))
                (view.input("Effective", "effective_on", Input::Date, Some("The day the form takes effect.")))
                fieldset {
                    legend { "Manufacturing-failure section" }
                    p.hint { "Required to make the version active: what the patient is told if the product cannot be manufactured or released — the form's own words, at least 40 characters." }
                    (view.text("Heading", "failure_heading"))
                    (view.textarea("Text", "failure_text", None, 4))
                }
                fieldset {
                    legend { "Another section (optional)" }
                    (view.text("Heading", "other_heading"))
                    (view.textarea("Text", "other_text", None, 3))
                }
                button.primary type="submit" { "Add consent version" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::form_field;
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_app::demo::DEMO_PASSWORD;

    const FAILURE: &str = "If your cells cannot be made into the product, or it fails its release testing, your team will tell you and discuss a second collection or other treatment.";

    #[tokio::test]
    async fn a_site_adds_activates_and_retires_consent_versions_and_the_gate_follows() {
        let demo = seeded().await;
        let main = demo.site("LUH-MAIN").await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let pship = demo
            .partnership("Helixa Therapeutics", "Lakeshore University Health")
            .await;
        let page = format!("/sites/{}/consent-documents", main.id);
        let gate = format!(
            "/partnerships/{}/sites/{}/gate?program={}",
            pship.id, main.id, vantacel.id
        );
        let mut contracts = Browser::signed_in(&demo, "contracts@lakeshore.example").await;

        // The demo's version 1: active, its failure section and its form shown.
        let shown = contracts.get_saved(&page, Some("consent-documents")).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        let v1 = shown.row(r#"data-status="active""#).to_string();
        assert!(v1.contains("Version 1"), "{v1}");
        assert!(
            v1.contains("If your cells cannot be made into Vantacel"),
            "{v1}"
        );
        assert!(v1.contains(r#"class="document" href="/documents/"#), "{v1}");
        assert!(v1.contains("active since "), "{v1}");
        let site_page = contracts.get(&format!("/sites/{}", main.id)).await;
        site_page.assert_has(&format!(r#"href="{page}""#));
        let g = contracts.get(&gate).await;
        assert!(g.body.contains(r#"data-authorized="true""#), "{}", g.body);
        g.assert_has("Consent version 1</a>, active since ");

        // A version with no failure section is added as a draft, and is not made active.
        let form = vec![
            ("program_id", vantacel.id.as_str()),
            ("effective_on", "2025-11-01"),
            ("other_heading", "Risks"),
            ("other_text", "Cytokine release syndrome can occur."),
        ];
        let file: &[(&str, &str, &[u8])] = &[("document", "consent v2.txt", b"Consent form v2")];
        let none = contracts
            .submit_files(
                &page,
                "consent-form",
                &page,
                &[("program_id", vantacel.id.as_str())],
                &[],
                None,
            )
            .await;
        assert_eq!(
            none.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            none.body
        );
        assert!(none.error_beside("document").is_some(), "{}", none.body);
        let added = contracts
            .submit_files(&page, "consent-form", &page, &form, file, None)
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let shown = contracts.get(&page).await;
        let draft = shown.row(r#"data-status="draft""#).to_string();
        assert!(draft.contains("Version 2"), "{draft}");
        assert!(
            draft.contains("cannot be made active without it"),
            "{draft}"
        );
        let id = draft
            .split(r#"id="activate-"#)
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("an activate form")
            .to_string();
        let refused = contracts
            .submit(
                &page,
                &format!("activate-{id}"),
                &format!("/consent-documents/{id}/activation"),
                &[("site", main.id.as_str())],
                Some("consent-activation-refused"),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        refused.assert_has("consent version 2 has no manufacturing-failure section");

        // With the section, version 3 is made active and version 1 retired, superseded.
        let mut with = form.clone();
        with.extend([
            ("failure_heading", "If manufacturing fails"),
            ("failure_text", FAILURE),
        ]);
        let added = contracts
            .submit_files(&page, "consent-form", &page, &with, file, None)
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let v3 = added.location.clone().expect("to the version");
        let id3 = v3.rsplit("#version-").next().expect("its id").to_string();
        // Making it active signs it: the password left empty is asked for beside its field.
        let (form_id, action) = (
            format!("activate-{id3}"),
            format!("/consent-documents/{id3}/activation"),
        );
        let unsigned = contracts
            .submit(
                &page,
                &form_id,
                &action,
                &[("site", main.id.as_str()), ("password", "")],
                None,
            )
            .await;
        assert_eq!(
            unsigned.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            unsigned.body
        );
        assert!(
            unsigned
                .error_beside("password")
                .is_some_and(|e| e.contains("enter your password")),
            "{}",
            unsigned.body
        );
        unsigned.assert_has("meaning <strong>approved</strong>");
        let done = contracts
            .submit(
                &page,
                &form_id,
                &action,
                &[("site", main.id.as_str()), ("password", DEMO_PASSWORD)],
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let shown = contracts.get(&page).await;
        assert!(shown.row(r#"data-status="active""#).contains("Version 3"));
        assert!(
            shown.body.contains("superseded by consent version 3"),
            "{}",
            shown.body
        );

        // Retiring needs a reason, given beside its field; then the gate says what is missing.
        let retire = |reason: &'static str| {
            (
                format!("retire-{id3}"),
                format!("/consent-documents/{id3}/retirement"),
                reason,
            )
        };
        let (form_id, action, reason) = retire(" ");
        let refused = contracts
            .submit(
                &page,
                &form_id,
                &action,
                &[("site", main.id.as_str()), ("reason", reason)],
                None,
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.error_beside("reason").is_some(), "{}", refused.body);
        let (form_id, action, reason) = retire("The IRB withdrew its approval.");
        let done = contracts
            .submit(
                &page,
                &form_id,
                &action,
                &[
                    ("site", main.id.as_str()),
                    ("reason", reason),
                    ("password", DEMO_PASSWORD),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let g = contracts.get(&gate).await;
        g.assert_has("No active consent version for this program.");
        assert!(
            g.body
                .contains(r#"data-deliverable="consent_with_failure_language""#),
            "{}",
            g.body
        );

        // The manufacturer reads the versions through the active partnership, with no forms.
        let mut helixa = Browser::signed_in(&demo, "onboarding@helixa.example").await;
        let theirs = helixa.get(&page).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
        assert!(theirs.body.contains("Version 3"), "{}", theirs.body);
        assert!(!theirs.body.contains(r#"id="consent-form""#));
        assert!(!theirs.body.contains("activate-"));
    }

    #[tokio::test]
    async fn the_case_page_shows_the_consent_recorded_against_its_version() {
        let demo = seeded().await;
        let main = demo.site("LUH-MAIN").await;
        let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
        let list = coordinator.get(&format!("/sites/{}/cases", main.id)).await;
        let mut seen = 0;
        for id in list.body.split(r#"href="/cases/"#).skip(1) {
            let id = id.split('"').next().expect("an id");
            let page = coordinator.get(&format!("/cases/{id}")).await;
            if page.body.contains("Consent version</dt>") {
                page.assert_has("Version 1</a>");
                page.assert_has("the patient");
                page.assert_has("Marta Keel, RN");
                seen += 1;
            }
        }
        assert!(seen >= 3, "{seen}: {}", list.body);
    }

    #[test]
    fn the_apps_section_fields_are_named_as_the_form_names_them() {
        let order = ["failure", "other"];
        assert_eq!(form_field("sections[0].text", &order), "failure_text");
        assert_eq!(form_field("sections[1].heading", &order), "other_heading");
        assert_eq!(form_field("sections[0].kind", &["other"]), "other_text");
        assert_eq!(form_field("document_sha256", &order), "document");
        assert_eq!(form_field("effective_on", &order), "effective_on");
    }
}
