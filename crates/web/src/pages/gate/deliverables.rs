//! Gate deliverables at a site for a program: the "Record as done" form beside each missing
//! one (done on, evidence, the printed name and meaning of the signature it carries, the
//! password re-entered), the list of those recorded, and the handler that records one and
//! reviews the gate. A signed site map, the consent and the release-exception protocol are not
//! recorded here: the site map both sides sign, the active consent version and the protocol
//! version both sides sign fulfil them (the page says where).

use super::render;
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::pages::see_other;
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::signatures;
use crate::uploads::{self, PostedFiles};
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::contracting::DeliverableInput;
use cellpath_app::signatures::RecordSignatures;
use cellpath_app::views::contracting::DeliverableRecord;
use cellpath_domain::contracting::Deliverable;
use maud::{Markup, html};

const FIELDS: &[&str] = &["done_on", "evidence", "document", "password"];
const REVOKE_FIELDS: &[&str] = &["reason", "password", "version"];

/// Which of the page's forms came back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form<'a> {
    /// "Record as done" for this deliverable.
    Record(&'a str),
    /// "Revoke" for this recorded deliverable (its id).
    Revoke(&'a str),
}

/// A form that came back with errors: its values kept, each error beside its field.
pub(super) struct Returned<'a> {
    pub form: Form<'a>,
    pub values: &'a FormData,
    pub errors: &'a FormErrors,
}

impl Returned<'_> {
    /// This form's values and errors if it is the one that came back, else fresh ones; and
    /// whether it came back (to show it open).
    fn or_fresh<'a>(
        returned: &'a Option<Returned<'a>>,
        form: Form<'_>,
        fresh: &'a (FormData, FormErrors),
    ) -> (&'a FormData, &'a FormErrors, bool) {
        match returned {
            Some(r) if r.form == form => (r.values, r.errors, true),
            _ => (&fresh.0, &fresh.1, false),
        }
    }
}

/// Confirmations after the gate's forms (fixed texts: nothing from the URL reaches the page).
pub(super) fn notice(code: Option<&str>) -> Markup {
    match code {
        Some("deliverable_recorded") => html! {
            div.notice #notice role="status" {
                "The deliverable is recorded with your signature, and the gate is judged again."
            }
        },
        Some("deliverable_revoked") => html! {
            div.notice #notice role="status" {
                "The deliverable is revoked with your signature; the gate no longer counts it and is judged again."
            }
        },
        _ => crate::layout::notice(code),
    }
}

/// What the gate page needs to draw the forms of its missing deliverables.
pub(super) struct Base<'a> {
    pub ctx: &'a Ctx,
    pub partnership_id: &'a str,
    pub site_id: &'a str,
    pub program_id: &'a str,
    /// The newest site map version of this site and program, if one was started.
    pub site_map: Option<&'a str>,
    /// The documents named in the recorded evidence that are kept here (linked).
    pub kept: std::collections::BTreeSet<String>,
    /// The signatures on the recorded deliverables and their revocations, by record.
    pub signatures: RecordSignatures,
    /// Whether the reader may open the site's consent documents (the health system's staff;
    /// a manufacturer while the partnership is active — an ended one no longer shares the
    /// hospital's current forms).
    pub consent_open: bool,
}

impl Base<'_> {
    /// Beside a missing deliverable: for the site map, the consent and the protocol, where
    /// they are fulfilled (with the refusal of a post that recorded one anyway); for the
    /// others, the form that records it.
    pub fn how_to_fulfil(
        &self,
        d: Deliverable,
        may_record: bool,
        returned: &Option<Returned>,
    ) -> Markup {
        let fulfilled_by = match d {
            Deliverable::SiteMapSigned => html! {
                p.hint.fulfilled-by {
                    "Fulfilled when both sides sign this site's map: "
                    @match self.site_map {
                        Some(id) => a href={ (paths::site_map(id)) } { "open the site map" },
                        None => a href={ (paths::partnership(self.partnership_id)) "#sites" } { "start it from the partnership page" },
                    }
                    "."
                }
            },
            Deliverable::ConsentWithFailureLanguage => html! {
                p.hint.fulfilled-by {
                    "Fulfilled when a consent version stating the manufacturing-failure language is active"
                    @if self.consent_open {
                        ": " a href={ (paths::site_consent(self.site_id)) } { "open this site's consent documents" }
                    }
                    "."
                }
            },
            Deliverable::ReleaseExceptionProtocol => html! {
                p.hint.fulfilled-by {
                    "Fulfilled when both sides sign a release-exception protocol version for this program: "
                    a href=(crate::pages::exceptions::protocols::list_path(self.partnership_id)) { "open the partnership's protocols" }
                    "."
                }
            },
            _ => return self.record_form(d, may_record, returned),
        };
        // No form to record it here; a post that tried anyway is refused, said beside the hint.
        let refused = match returned {
            Some(r) if r.form == Form::Record(d.as_str()) => {
                FormView::new(r.values, r.errors, "deliverable").summary(&[])
            }
            _ => html! {},
        };
        html! { (fulfilled_by) (refused) }
    }

    /// The "Record as done" form of a deliverable a person records (or who records it, for
    /// someone of the other side; nothing for a person who may not record deliverables).
    fn record_form(&self, d: Deliverable, may_record: bool, returned: &Option<Returned>) -> Markup {
        if !may_record {
            return html! {};
        }
        if !self.records_it(d) {
            return html! { p.hint.recorded-by { "Recorded by " (d.recorded_by().who()) "." } };
        }
        let fresh = (FormData::default(), FormErrors::default());
        let (values, errors, failed) =
            Returned::or_fresh(returned, Form::Record(d.as_str()), &fresh);
        let prefix = format!("deliverable-{}", d.as_str().replace('_', "-"));
        let view = FormView::new(values, errors, &prefix);
        let label = labels::deliverable(d);
        html! {
            details.record-deliverable open[failed] {
                summary { "Record as done" }
                (view.summary(FIELDS))
                form.record-deliverable-form data-deliverable=(d.as_str()) method="post" enctype="multipart/form-data"
                    action={ (paths::partnership_site(self.partnership_id, self.site_id)) "/deliverables#deliverable-" (d.as_str()) }
                    novalidate {
                    (csrf_field(self.ctx.csrf()))
                    (hidden("deliverable", d.as_str()))
                    (hidden("program", self.program_id))
                    (view.input("Done on", "done_on", Input::Date, Some("The day it was done.")))
                    (view.textarea("Evidence", "evidence",
                        Some("What was done and where the proof is, e.g. the meeting minutes, the training roster or the report number."), 3))
                    (view.file("Document (optional)", "document", false,
                        Some("The proof itself, e.g. the signed minutes: PDF, Word (.docx), PNG, JPEG or plain text, at most 10 MiB. It is named in the evidence by its SHA-256 and both parties can download it.")))
                    p.signature-meaning {
                        "Recording it signs it as " strong { (self.ctx.session.user.name) }
                        ", meaning " strong { "verified" } "."
                    }
                    (view.input("Your password", "password", Input::CurrentPassword,
                        Some("Your password confirms that the signature is yours.")))
                    button.primary type="submit" { "Record " (label.to_lowercase()) " as done" }
                }
            }
        }
    }
}

/// The messages of a form whose deliverable is no longer missing (e.g. someone else recorded
/// it meanwhile), so they are not lost with the form.
pub(super) fn orphaned(returned: &Option<Returned>, missing: &[&str]) -> Markup {
    match returned {
        Some(r) if matches!(r.form, Form::Record(d) if !missing.contains(&d)) => {
            FormView::new(r.values, r.errors, "deliverable").summary(&[])
        }
        _ => html! {},
    }
}

impl Base<'_> {
    /// The deliverables recorded at this site for this program, each revoked one with when
    /// and why; beside each that counts, for the side that records it, the form that revokes
    /// it (`may_revoke`: the policy lets the person change deliverables).
    pub fn done_panel(
        &self,
        records: &[DeliverableRecord],
        may_revoke: bool,
        returned: &Option<Returned>,
    ) -> Markup {
        html! {
            section.panel #deliverables-done {
                h2 { "Deliverables recorded" }
                p.hint {
                    "Each is signed by the person who recorded it (meaning: verified), and each revocation by the person who revoked it (meaning: reviewed); "
                    (signatures::trail_link(self.partnership_id, "the partnership's audit trail"))
                    " holds every signature with the event it signs."
                }
                @if records.is_empty() {
                    p.empty { "None recorded yet for this site and program." }
                } @else {
                    div.table-scroll {
                        table.list.deliverables {
                            thead { tr { th { "Deliverable" } th { "Done on" } th { "Evidence" } } }
                            tbody {
                                @for r in records {
                                    tr data-done=(r.deliverable) data-revoked=(!r.counts()) id={ "record-" (r.id) } {
                                        td {
                                            (labels::deliverable(r.deliverable)) " "
                                            @if r.counts() {
                                                (labels::badge("Done", labels::Tone::Good))
                                            } @else {
                                                (labels::badge("Revoked", labels::Tone::Bad))
                                            }
                                        }
                                        td.dates { (r.done_on) }
                                        td {
                                            (uploads::evidence(&r.evidence, &self.kept))
                                            @if !r.counts() {
                                                p.revoked { "Revoked on " (r.revoked_on.as_ref().map_or("", |d| d.as_str())) ": " (r.revoked_reason.as_deref().unwrap_or("")) }
                                            }
                                            // Recorded (verified), revoked (reviewed), recorded again: each act's signature, in order.
                                            (signatures::list(self.signatures.of(&r.id)))
                                            @if may_revoke && r.counts() && self.records_it(r.deliverable) {
                                                (self.revoke_form(r, returned))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether the signed-in person's side records (and so revokes) this deliverable.
    fn records_it(&self, d: Deliverable) -> bool {
        d.recorded_by().allows(self.ctx.org_kind())
    }

    fn revoke_form(&self, r: &DeliverableRecord, returned: &Option<Returned>) -> Markup {
        let fresh = (FormData::default(), FormErrors::default());
        let (values, errors, failed) = Returned::or_fresh(returned, Form::Revoke(&r.id), &fresh);
        let prefix = format!("revoke-{}", r.id);
        let view = FormView::new(values, errors, &prefix);
        html! {
            details.revoke-deliverable open[failed] {
                summary { "Revoke" }
                (view.summary(REVOKE_FIELDS))
                form.revoke-deliverable-form data-record=(r.id) method="post"
                    action={ (paths::partnership_site(self.partnership_id, self.site_id)) "/deliverables/" (r.id) "/revoke#record-" (r.id) }
                    novalidate {
                    (csrf_field(self.ctx.csrf()))
                    (hidden("program", self.program_id))
                    (hidden("version", r.version.to_string()))
                    (view.textarea("Why it no longer holds", "reason",
                        Some("E.g. the re-audit failed, trained staff left, the consent version was withdrawn. The gate stops counting it today."), 2))
                    p.signature-meaning {
                        "Revoking it signs it as " strong { (self.ctx.session.user.name) }
                        ", meaning " strong { "reviewed" } "."
                    }
                    (view.input("Your password", "password", Input::CurrentPassword,
                        Some("Your password confirms that the signature is yours.")))
                    button.danger type="submit" { "Revoke " (labels::deliverable(r.deliverable).to_lowercase()) }
                }
            }
        }
    }
}

/// `POST /partnerships/{id}/sites/{site}/deliverables`: record one, e-signed, then review the
/// gate so a site it completes is authorized on the record.
pub async fn record(
    Path((pid, site_id)): Path<(String, String)>,
    posted: PostedFiles,
) -> Result<Response, WebError> {
    let (ctx, form) = (&posted.ctx, &posted.form);
    let program = form.get("program").to_string();
    let deliverable = form.get("deliverable").to_string();
    let recorded = async {
        let docs = posted.upload("document").await?;
        let input = DeliverableInput {
            site_id: site_id.clone(),
            program_id: program.clone(),
            deliverable: deliverable.clone(),
            done_on: form.get("done_on").trim().to_string(),
            evidence: uploads::evidence_naming(form.get("evidence"), &docs),
        };
        ctx.app
            .record_deliverable(ctx.caller(), &pid, input, form.get("password"), None)
            .await
            .and_then(|o| o.fresh())
    };
    match recorded.await {
        Ok(_) => Ok(see_other(&format!(
            "{}&notice=deliverable_recorded#notice",
            paths::gate(&pid, &site_id, &program)
        ))),
        Err(e) => {
            let values = FormData::from_pairs([
                ("done_on", form.get("done_on")),
                ("evidence", form.get("evidence")),
            ]);
            let back = (Form::Record(&deliverable), values);
            refused(ctx, (&pid, &site_id, &program), back, e).await
        }
    }
}

/// The gate page again, with the form that was refused open: its values kept, the errors
/// beside its fields.
async fn refused(
    ctx: &Ctx,
    (pid, site_id, program): (&str, &str, &str),
    (form, values): (Form<'_>, FormData),
    e: cellpath_app::AppError,
) -> Result<Response, WebError> {
    let errors = FormErrors::from_app(e)?;
    let status = errors.status();
    let back = Returned {
        form,
        values: &values,
        errors: &errors,
    };
    render(ctx, pid, site_id, Some(program), Some(back), None, status).await
}

/// `POST /partnerships/{id}/sites/{site}/deliverables/{record}/revoke`: revoke one, e-signed,
/// then back to the gate page, which is judged again.
pub async fn revoke(
    Path((pid, site_id, record_id)): Path<(String, String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let program = form.get("program").to_string();
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    match ctx
        .app
        .revoke_deliverable(
            ctx.caller(),
            &record_id,
            version,
            form.get("reason"),
            form.get("password"),
            None,
        )
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(see_other(&format!(
            "{}&notice=deliverable_revoked#notice",
            paths::gate(&pid, &site_id, &program)
        ))),
        Err(e) => {
            let values = FormData::from_pairs([("reason", form.get("reason"))]);
            let back = (Form::Revoke(&record_id), values);
            refused(&ctx, (&pid, &site_id, &program), back, e).await
        }
    }
}
