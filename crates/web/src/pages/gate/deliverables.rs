//! Gate deliverables at a site for a program: the "Record as done" form beside each missing
//! one (done on, evidence, the printed name and meaning of the signature it carries, the
//! password re-entered), the list of those recorded, and the handler that records one and
//! reviews the gate. A signed site map is not recorded here: signing the site map fulfils it.

use super::{gate_path, render};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels;
use crate::pages::see_other;
use crate::session::{Ctx, Posted};
use axum::extract::Path;
use axum::response::Response;
use cellpath_app::contracting::DeliverableInput;
use cellpath_domain::contracting::{Deliverable, RecordedBy};
use cellpath_store::DeliverableRecord;
use maud::{Markup, html};

const FIELDS: &[&str] = &["done_on", "evidence", "password"];

/// A "Record as done" form that came back with errors.
pub(super) struct Returned<'a> {
    pub deliverable: &'a str,
    pub values: &'a FormData,
    pub errors: &'a FormErrors,
}

/// Confirmations after the gate's forms (fixed texts: nothing from the URL reaches the page).
pub(super) fn notice(code: Option<&str>) -> Markup {
    match code {
        Some("deliverable_recorded") => html! {
            div.notice #notice role="status" {
                "The deliverable is recorded with your signature, and the gate is judged again."
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
    pub today: &'a str,
    /// The newest site map version of this site and program, if one was started.
    pub site_map: Option<&'a str>,
}

impl Base<'_> {
    /// Beside a missing deliverable: the form that records it, or, for the site map, where to
    /// sign it. Nothing for a person who may not record deliverables.
    pub fn how_to_fulfil(
        &self,
        d: Deliverable,
        may_record: bool,
        returned: &Option<Returned>,
    ) -> Markup {
        if d == Deliverable::SiteMapSigned {
            return html! {
                p.hint.fulfilled-by {
                    "Fulfilled when both sides sign this site's map: "
                    @match self.site_map {
                        Some(id) => a href={ "/site-maps/" (id) } { "open the site map" },
                        None => a href={ "/partnerships/" (self.partnership_id) "#sites" } { "start it from the partnership page" },
                    }
                    "."
                }
            };
        }
        if !may_record {
            return html! {};
        }
        match d.recorded_by() {
            RecordedBy::Manufacturer if self.ctx.is_health_system() => {
                return html! { p.hint.recorded-by { "Recorded by the manufacturer, who qualifies the site." } };
            }
            RecordedBy::HealthSystem if !self.ctx.is_health_system() => {
                return html! { p.hint.recorded-by { "Recorded by the health system: its own decision and document." } };
            }
            _ => {}
        }
        let fresh = (
            FormData::from_pairs([("done_on", self.today)]),
            FormErrors::default(),
        );
        let (values, errors, failed) = match returned {
            Some(r) if r.deliverable == d.as_str() => (r.values, r.errors, true),
            _ => (&fresh.0, &fresh.1, false),
        };
        let prefix = format!("deliverable-{}", d.as_str().replace('_', "-"));
        let view = FormView::new(values, errors, &prefix);
        let label = labels::deliverable(d.as_str());
        html! {
            details.record-deliverable open[failed] {
                summary { "Record as done" }
                (view.summary(FIELDS))
                form.record-deliverable-form data-deliverable=(d.as_str()) method="post"
                    action={ "/partnerships/" (self.partnership_id) "/sites/" (self.site_id) "/deliverables#deliverable-" (d.as_str()) }
                    novalidate {
                    (csrf_field(self.ctx.csrf()))
                    (hidden("deliverable", d.as_str()))
                    (hidden("program", self.program_id))
                    (view.input("Done on", "done_on", Input::Text, Some("The day it was done, YYYY-MM-DD.")))
                    (view.textarea("Evidence", "evidence",
                        Some("What was done and where the proof is, e.g. the meeting minutes, the training roster or the report number."), 3))
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
        Some(r) if !missing.contains(&r.deliverable) => {
            FormView::new(r.values, r.errors, "deliverable").summary(&[])
        }
        _ => html! {},
    }
}

/// The deliverables recorded at this site for this program.
pub(super) fn done_panel(records: &[DeliverableRecord]) -> Markup {
    html! {
        section.panel #deliverables-done {
            h2 { "Deliverables recorded" }
            p.hint { "Each was signed by the person who recorded it (meaning: verified); the partnership's audit trail shows the signature." }
            @if records.is_empty() {
                p.empty { "None recorded yet for this site and program." }
            } @else {
                div.table-scroll {
                    table.list.deliverables {
                        thead { tr { th { "Deliverable" } th { "Done on" } th { "Evidence" } } }
                        tbody {
                            @for r in records {
                                tr data-done=(r.deliverable) {
                                    td { (labels::deliverable(&r.deliverable)) " " (labels::badge("Done", labels::Tone::Good)) }
                                    td.dates { (r.done_on) }
                                    td { (r.evidence) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /partnerships/{id}/sites/{site}/deliverables`: record one, e-signed, then review the
/// gate so a site it completes is authorized on the record.
pub async fn record(
    Path((pid, site_id)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let program = form.get("program").to_string();
    let deliverable = form.get("deliverable").to_string();
    let input = DeliverableInput {
        site_id: site_id.clone(),
        program_id: program.clone(),
        deliverable: deliverable.clone(),
        done_on: form.get("done_on").trim().to_string(),
        evidence: form.get("evidence").to_string(),
    };
    match ctx
        .app
        .record_deliverable(ctx.caller(), &pid, input, form.get("password"), None)
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(see_other(&format!(
            "{}&notice=deliverable_recorded#notice",
            gate_path(&pid, &site_id, &program)
        ))),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let values = FormData::from_pairs([
                ("done_on", form.get("done_on")),
                ("evidence", form.get("evidence")),
            ]);
            let status = errors.status();
            let back = Returned {
                deliverable: &deliverable,
                values: &values,
                errors: &errors,
            };
            render(
                &ctx,
                &pid,
                &site_id,
                Some(&program),
                Some(back),
                None,
                status,
            )
            .await
        }
    }
}
