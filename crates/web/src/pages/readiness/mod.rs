//! Site readiness (DESIGN.md §4.2) for one site and one program of a partnership: the score,
//! the requirements judged at each facility (grouped by the area a visit looks at), the gaps
//! with their owners and due dates, each open one closable with evidence and a signature, and
//! the site visits. The manufacturer records visits here and runs the gap analysis.
//!
//! `visit_form` reads and draws the "Record a visit" form. The score bar and the badges are
//! also used by the partnership, site and facility pages (`site_work`).

#[cfg(test)]
mod tests;
mod visit_form;

use super::{facts, see_other};
use crate::errors::WebError;
use crate::forms::{FormData, FormErrors, FormView, Input, csrf_field, hidden};
use crate::labels::{self, Tone, badge};
use crate::paths;
use crate::session::{Ctx, Posted};
use crate::uploads::PostedFiles;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use cellpath_app::readiness::Attachment;
use cellpath_app::signatures::{RecordSignatures, SignedRecords};
use cellpath_app::views::{Facility, Gap, Partnership, Program, Site, SiteVisit};
use cellpath_app::{AppError, FieldError};
use cellpath_domain::LedgerInt;
use cellpath_domain::PartnershipStatus;
use cellpath_domain::events::readiness::GapStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::readiness::{
    Area, Finding, FindingStatus, Observation, Observed, Requirement, capability,
};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn area_label(area: Area) -> &'static str {
    match area {
        Area::CellLabLayout => "Cell lab layout",
        Area::Equipment => "Equipment",
        Area::DeliveryLogistics => "Delivery logistics",
        Area::RequiredSignatures => "Required signatures",
        Area::InternalTransport => "Internal transport",
        Area::Storage => "Storage",
        Area::Accreditation => "Accreditation",
    }
}

/// The share of requirements met as a bar (inline SVG), with the number beside it.
pub fn score_bar(percent: u32, compact: bool) -> Markup {
    let percent = percent.min(100);
    let (w, h) = if compact { (96, 10) } else { (320, 18) };
    let fill = w * percent as i32 / 100;
    let tone = match percent {
        100 => "score-full",
        60..=99 => "score-mid",
        _ => "score-low",
    };
    html! {
        span class={ "score " (tone) @if compact { " compact" } } data-percent=(percent) {
            @if compact { span.score-number { (percent) "%" } }
            svg.score-bar width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img"
                aria-label={ (percent) "% of requirements met" } {
                rect.score-track x="0" y="0" width=(w) height=(h) rx=(h / 2) {}
                @if fill > 0 { rect.score-fill x="0" y="0" width=(fill.max(h)) height=(h) rx=(h / 2) {} }
            }
        }
    }
}

pub fn blocking_badge(n: usize) -> Markup {
    html! {
        @if n == 0 {
            span.badge.badge-good.blocking data-open-blocking="0" { "No open blocking gaps" }
        } @else {
            span.badge.badge-bad.blocking data-open-blocking=(n) {
                (n) " open blocking gap" @if n > 1 { "s" }
            }
        }
    }
}

pub fn severity_badge(severity: &str) -> Markup {
    html! {
        @match severity {
            "blocking" => span.badge.badge-bad.severity data-severity="blocking" { "Blocking" },
            "major" => span.badge.badge-waiting.severity data-severity="major" { "Major" },
            "minor" => span.badge.badge-quiet.severity data-severity="minor" { "Minor" },
            other => span.badge.badge-quiet.severity data-severity=(other) { (other) },
        }
    }
}

pub fn gap_status_badge(status: &str) -> Markup {
    html! {
        span.gap-status data-status=(status) {
            @match status {
                "open" => (badge("Open", Tone::Waiting)),
                "closed" => (badge("Closed", Tone::Good)),
                other => (badge(other, Tone::Quiet)),
            }
        }
    }
}

fn finding_badge(status: &FindingStatus) -> Markup {
    html! {
        @match status {
            FindingStatus::Met { .. } => span.badge.badge-good.finding data-finding="met" { "Met" },
            FindingStatus::Unmet { .. } => span.badge.badge-bad.finding data-finding="unmet" { "Not met" },
            FindingStatus::NotObserved => span.badge.badge-waiting.finding data-finding="not_observed" { "Not observed yet" },
            FindingStatus::NoFacility => span.badge.badge-bad.finding data-finding="no_facility" { "No facility of this kind" },
        }
    }
}

/// A value as observed, with its unit: "−175 °C", "yes", "pharmacist, nurse".
fn observed_text(value: &Observed, unit: &str) -> String {
    match value {
        Observed::Number(n) if !unit.is_empty() => format!("{n} {unit}").replace('-', "\u{2212}"),
        other => other.to_string(),
    }
}

/// What a gap says was observed, as a sentence.
pub fn observed_phrase(observed: &str) -> String {
    match observed {
        "not observed" => "Not observed at a visit yet".into(),
        other if other.starts_with("no facility") => labels::sentence(other),
        other => format!("Observed: {other}"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReadinessQuery {
    pub program: Option<String>,
    pub notice: Option<String>,
}

fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("visit_recorded") => {
            "The visit is recorded. Run the gap analysis to open gaps for what it found unmet."
        }
        Some("gaps_opened") => {
            "Gap analysis done: the new gaps are listed below, each with an owner and a due date."
        }
        Some("no_new_gaps") => {
            "Gap analysis done: no new gaps (every unmet requirement already has an open gap)."
        }
        Some("gap_closed") => {
            "The gap is closed; your evidence and signature are on the partnership's ledger."
        }
        _ => return crate::layout::notice(code),
    };
    html! { div.notice #notice role="status" { (text) } }
}

fn redirect(pid: &str, site_id: &str, program_id: &str, code: &str) -> Response {
    see_other(&format!(
        "{}&notice={code}#notice",
        paths::readiness(pid, site_id, program_id)
    ))
}

/// A form of the page that came back with errors.
enum Returned<'a> {
    Visit(&'a FormData, &'a FormErrors),
    Analyze(&'a FormErrors),
    Close(&'a str, &'a FormData, &'a FormErrors),
}

/// What the page is about: the partnership, the site, the chosen program and the others.
struct Scope {
    partnership: Partnership,
    site: Site,
    program: Program,
    programs: Vec<Program>,
    facilities: Vec<Facility>,
}

impl Scope {
    async fn load(
        ctx: &Ctx,
        pid: &str,
        site_id: &str,
        program_id: Option<&str>,
    ) -> Result<Scope, WebError> {
        let partnership = ctx.app.partnership(ctx.caller(), pid).await?;
        let site = ctx
            .app
            .site(ctx.caller(), site_id)
            .await
            .ok()
            .filter(|s| s.org_id == partnership.health_system_id)
            .ok_or_else(|| AppError::not_found(format!("site {site_id} of this partnership")))?;
        // The partnership's programs, read through it: an ended partnership still shows its
        // record to the health system, whose list of programs no longer holds them.
        let programs: Vec<Program> = ctx.app.partnership_programs(ctx.caller(), pid).await?;
        let program = match program_id.filter(|p| !p.is_empty()) {
            Some(id) => programs.iter().find(|p| p.id == id),
            None => programs.first(),
        }
        .cloned()
        .ok_or_else(|| {
            AppError::not_found(format!(
                "program {} of this partnership",
                program_id.unwrap_or("")
            ))
        })?;
        let facilities = ctx.app.facilities_of_site(ctx.caller(), &site.id).await?;
        Ok(Scope {
            partnership,
            site,
            program,
            programs,
            facilities,
        })
    }

    fn base(&self) -> String {
        paths::partnership_site(&self.partnership.id, &self.site.id)
    }

    /// A facility by name; none: a finding or gap of a site that lacks the kind of facility.
    fn facility_name(&self, id: Option<&str>) -> String {
        let Some(id) = id else {
            return "No facility of this kind".into();
        };
        self.facilities
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| id.to_string(), |f| f.name.clone())
    }

    fn open(&self) -> bool {
        self.partnership.status != PartnershipStatus::Ended
    }
}

pub async fn show(
    ctx: Ctx,
    Path((pid, site_id)): Path<(String, String)>,
    Query(q): Query<ReadinessQuery>,
) -> Result<Response, WebError> {
    let scope = Scope::load(&ctx, &pid, &site_id, q.program.as_deref()).await?;
    render(&ctx, &scope, None, q.notice.as_deref(), StatusCode::OK).await
}

pub async fn record_visit(
    Path((pid, site_id)): Path<(String, String)>,
    posted: PostedFiles,
) -> Result<Response, WebError> {
    let (ctx, form) = (&posted.ctx, &posted.form);
    let scope = Scope::load(ctx, &pid, &site_id, Some(form.get("program"))).await?;
    let errors = match visit_form::read(form, &scope.site.id, &scope.facilities) {
        // The files are kept once the fields read, and recorded by hash with the visit.
        Ok(mut read) => match async {
            read.input.attachments = posted
                .upload("attachments")
                .await?
                .into_iter()
                .map(|up| {
                    Ok(Attachment {
                        bytes: LedgerInt::new(up.size)
                            .map_err(|e| AppError::invalid("attachments", e))?,
                        name: up.name,
                        media_type: up.media_type,
                        sha256: up.sha256,
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            ctx.app
                .record_visit(ctx.caller(), &pid, read.input.clone(), None)
                .await
                .and_then(|o| o.fresh())
        }
        .await
        {
            Ok(_) => {
                return Ok(redirect(
                    &pid,
                    &site_id,
                    &scope.program.id,
                    "visit_recorded",
                ));
            }
            Err(AppError::Invalid(list)) => FormErrors::from_app(AppError::Invalid(
                list.into_iter()
                    .map(|f| FieldError {
                        message: visit_form::rename(&f.message, &read.observed),
                        field: f.field,
                    })
                    .collect(),
            ))?,
            Err(e) => FormErrors::from_app(e)?,
        },
        Err(errors) => errors,
    };
    let status = errors.status();
    render(
        ctx,
        &scope,
        Some(Returned::Visit(form, &errors)),
        None,
        status,
    )
    .await
}

pub async fn analyze(
    Path((pid, site_id)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let scope = Scope::load(&ctx, &pid, &site_id, Some(form.get("program"))).await?;
    match ctx
        .app
        .analyze_gaps(ctx.caller(), &pid, &site_id, &scope.program.id)
        .await
    {
        Ok(opened) => Ok(redirect(
            &pid,
            &site_id,
            &scope.program.id,
            if opened.is_empty() {
                "no_new_gaps"
            } else {
                "gaps_opened"
            },
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let status = errors.status();
            render(&ctx, &scope, Some(Returned::Analyze(&errors)), None, status).await
        }
    }
}

pub async fn close_gap(
    Path((pid, site_id, gap_id)): Path<(String, String, String)>,
    posted: PostedFiles,
) -> Result<Response, WebError> {
    let (ctx, form) = (&posted.ctx, &posted.form);
    let version = form.version()?;
    let scope = Scope::load(ctx, &pid, &site_id, Some(form.get("program"))).await?;
    let closed = async {
        let docs = posted.upload("document").await?;
        ctx.app
            .close_gap(
                ctx.caller(),
                &gap_id,
                version,
                &crate::uploads::evidence_naming(form.get("evidence"), &docs),
                form.get("password"),
                None,
            )
            .await
            .and_then(|o| o.fresh())
    };
    match closed.await {
        Ok(_) => Ok(redirect(&pid, &site_id, &scope.program.id, "gap_closed")),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let values = FormData::from_pairs([("evidence", form.get("evidence"))]);
            let status = errors.status();
            let back = Returned::Close(&gap_id, &values, &errors);
            render(ctx, &scope, Some(back), None, status).await
        }
    }
}

/// The requirement a finding judges, and the capability it checks.
fn requirement_of<'r>(
    requirements: &'r [Requirement],
    key: &str,
) -> Option<(
    &'r Requirement,
    &'static cellpath_domain::readiness::Capability,
)> {
    let r = requirements.iter().find(|r| r.key == key)?;
    Some((r, capability(&r.capability)?))
}

fn findings_panel(
    scope: &Scope,
    findings: &[Finding],
    requirements: &[Requirement],
    gaps: &[Gap],
) -> Markup {
    // A gap closed with evidence after the visit: the finding stands until a visit sees it met.
    let closed = |f: &Finding| {
        !f.is_met()
            && gaps.iter().any(|g| {
                g.status == GapStatus::Closed
                    && g.requirement_key == f.requirement
                    && g.facility_id.as_deref() == f.facility_id.as_deref()
            })
            && !gaps.iter().any(|g| {
                g.status == GapStatus::Open
                    && g.requirement_key == f.requirement
                    && g.facility_id.as_deref() == f.facility_id.as_deref()
            })
    };
    let mut by_area: BTreeMap<usize, (Area, Vec<&Finding>)> = BTreeMap::new();
    for f in findings {
        let area = requirement_of(requirements, &f.requirement)
            .map(|(_, c)| c.area)
            .unwrap_or(Area::Equipment);
        let order = Area::ALL.iter().position(|a| *a == area).unwrap_or(0);
        by_area.entry(order).or_insert((area, Vec::new())).1.push(f);
    }
    html! {
        section.panel #findings {
            h2 { "Requirements of " (scope.program.name) ", judged at each facility" }
            @if findings.is_empty() {
                p.empty { (scope.program.name) " lists no requirements." }
            }
            @for (area, rows) in by_area.values() {
                h3.area-heading data-area=(area.as_str()) { (area_label(*area)) }
                div.table-scroll {
                    table.list.findings {
                        thead { tr { th { "Requirement" } th { "Facility" } th { "Expected" } th { "Observed" } th { "Result" } } }
                        tbody {
                            @for f in rows {
                                @let req = requirement_of(requirements, &f.requirement);
                                tr data-requirement=(f.requirement) data-facility=[f.facility_id.as_deref()] {
                                    td {
                                        @match req {
                                            Some((r, c)) => {
                                                strong { (c.name) }
                                                @if !r.description.is_empty() { br; span.muted { (r.description) } }
                                            }
                                            None => (f.requirement),
                                        }
                                        " " (severity_badge(f.severity.as_str()))
                                    }
                                    td { (scope.facility_name(f.facility_id.as_deref())) }
                                    td { @match req { Some((r, c)) => (r.check.describe(c)), None => (f.expected) } }
                                    td {
                                        @match &f.status {
                                            FindingStatus::Met { observed } | FindingStatus::Unmet { observed } =>
                                                (observed_text(observed, req.map(|(_, c)| c.unit).unwrap_or(""))),
                                            _ => span.muted { "—" },
                                        }
                                    }
                                    td {
                                        (finding_badge(&f.status))
                                        @if closed(f) { br; span.badge.badge-info.gap-closed title="The gap was closed with evidence; the next visit confirms it" { "Gap closed with evidence" } }
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

fn close_form(ctx: &Ctx, scope: &Scope, g: &Gap, returned: &Option<Returned>) -> Markup {
    let empty = (FormData::default(), FormErrors::default());
    let (values, errors, failed) = match returned {
        Some(Returned::Close(id, v, e)) if *id == g.id => (*v, *e, true),
        _ => (&empty.0, &empty.1, false),
    };
    let prefix = format!("close-{}", g.id);
    let view = FormView::new(values, errors, &prefix);
    html! {
        details.close-gap open[failed] {
            summary { "Close with evidence" }
            (view.summary(&["evidence", "document", "password"]))
            form.close-gap-form method="post" enctype="multipart/form-data" action={ (scope.base()) "/gaps/" (g.id) "/close#gap-" (g.id) } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("version", g.version))
                (hidden("program", &scope.program.id))
                (view.textarea("Evidence", "evidence", Some("What was done and where the proof is, e.g. the SOP number or the report."), 3))
                (view.file("Document (optional)", "document", false, Some("The proof itself: PDF, Word (.docx), PNG, JPEG or plain text, at most 10 MiB, named in the evidence by its SHA-256.")))
                (view.input("Your password", "password", Input::CurrentPassword, Some("Closing signs the evidence with your name (meaning: verified).")))
                button.primary type="submit" { "Close the gap" }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gaps_panel(
    ctx: &Ctx,
    scope: &Scope,
    gaps: &[Gap],
    kept: &std::collections::BTreeSet<String>,
    signed: &RecordSignatures,
    may_analyze: bool,
    may_close: bool,
    returned: &Option<Returned>,
) -> Markup {
    let mut gaps: Vec<&Gap> = gaps.iter().collect();
    gaps.sort_by(|a, b| {
        (a.status != GapStatus::Open, &a.due_on).cmp(&(b.status != GapStatus::Open, &b.due_on))
    });
    let analyze_errors = match returned {
        Some(Returned::Analyze(e)) => Some(*e),
        _ => None,
    };
    html! {
        section.panel #gaps {
            h2 { "Gaps" }
            p.hint {
                "Gap analysis opens a gap for every requirement that is not met (or not yet observed) and has no open gap, with an owner at the site and a due date. A gap closes only with evidence and a signature, shown beside it and kept in "
                (crate::signatures::trail_link(&scope.partnership.id, "the partnership's audit trail")) "."
            }
            @if let Some(errors) = analyze_errors {
                (FormView::new(&FormData::default(), errors, "analyze").summary(&[]))
            }
            @if may_analyze {
                form #analyze-form method="post" action={ (scope.base()) "/gap-analysis#gaps" } {
                    (csrf_field(ctx.csrf()))
                    (hidden("program", &scope.program.id))
                    button.secondary type="submit" { "Run gap analysis" }
                }
            }
            @if gaps.is_empty() {
                p.empty { "No gaps yet." }
            } @else {
                div.table-scroll {
                    table.list.gaps {
                        thead { tr {
                            th { "Requirement, and where" } th { "Severity" } th { "Owner" } th { "Due" } th { "Status" } th { "Evidence" }
                        } }
                        @for g in &gaps {
                            tbody.gap #{ "gap-" (g.id) } data-gap=(g.id) data-status=(g.status) data-requirement=(g.requirement_key) {
                                tr {
                                    td.requirement {
                                        (g.expected) br;
                                        span.muted { (observed_phrase(&g.observed)) } br;
                                        span.muted { "At " (scope.facility_name(g.facility_id.as_deref())) }
                                    }
                                    td { (severity_badge(g.severity.as_str())) }
                                    td { (labels::role(g.owner_role.as_str())) }
                                    td { (labels::due(&g.due_on, g.status == GapStatus::Open, &super::gate::today(ctx))) }
                                    td { (gap_status_badge(g.status.as_str())) }
                                    td.evidence {
                                        @if g.status == GapStatus::Open { span.muted { "—" } } @else { @if let Some(evidence) = &g.evidence { (crate::uploads::evidence(evidence, kept)) } }
                                        (crate::signatures::list(signed.of(&g.id)))
                                    }
                                }
                                @if g.status == GapStatus::Open && may_close {
                                    tr.close-row { td colspan="6" { (close_form(ctx, scope, g, returned)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One visit as stored, read back into its parts.
struct VisitParts {
    visitors: Vec<String>,
    facility_ids: Vec<String>,
    observations: Vec<Observation>,
    findings: BTreeMap<String, String>,
    attachments: Vec<Attachment>,
}

fn parts(v: &SiteVisit) -> VisitParts {
    VisitParts {
        visitors: serde_json::from_value(v.visitors.clone()).unwrap_or_default(),
        facility_ids: serde_json::from_value(v.facility_ids.clone()).unwrap_or_default(),
        observations: serde_json::from_value(v.observations.clone()).unwrap_or_default(),
        findings: serde_json::from_value(v.findings.clone()).unwrap_or_default(),
        attachments: serde_json::from_value(v.attachments.clone()).unwrap_or_default(),
    }
}

/// The visits, newest first; each file shown links to its download when it is kept here (one
/// described by hash only through the API is kept elsewhere).
fn visits_panel(
    scope: &Scope,
    visits: &[SiteVisit],
    kept: &std::collections::BTreeSet<String>,
) -> Markup {
    html! {
        section.panel #visits {
            h2 { "Site visits" }
            @if visits.is_empty() {
                p.empty { "No visit recorded yet." }
            }
            @for v in visits {
                @let p = parts(v);
                article.visit #{ "visit-" (v.id) } data-visit=(v.id) {
                    h3 { "Visit of " time datetime=(v.visited_on) { (v.visited_on) } }
                    (facts(&[
                        ("Visitors", html! { @for (i, name) in p.visitors.iter().enumerate() { @if i > 0 { br; } (name) } }),
                        ("Facilities seen", html! { @for (i, f) in p.facility_ids.iter().enumerate() { @if i > 0 { br; } (scope.facility_name(Some(f))) } }),
                        ("Observations", html! { (p.observations.len()) " recorded" }),
                    ]))
                    @if !p.findings.is_empty() {
                        dl.visit-findings {
                            @for (area, text) in &p.findings {
                                div {
                                    dt { (area.parse::<Area>().map(area_label).unwrap_or(area)) }
                                    dd { (text) }
                                }
                            }
                        }
                    }
                    @if !p.observations.is_empty() {
                        details.visit-observations {
                            summary { "What was observed" }
                            table.list.observations {
                                thead { tr { th { "Capability" } th { "Facility" } th { "Observed" } } }
                                tbody {
                                    @for o in &p.observations {
                                        @let c = capability(&o.capability);
                                        tr {
                                            td { (c.map(|c| c.name).unwrap_or(&o.capability)) }
                                            td { (scope.facility_name(Some(&o.facility_id))) }
                                            td { (observed_text(&o.value, c.map(|c| c.unit).unwrap_or(""))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if !p.attachments.is_empty() {
                        table.list.attachments {
                            thead { tr { th { "File shown" } th { "Type" } th.num { "Bytes" } th { "SHA-256" } } }
                            tbody {
                                @for a in &p.attachments {
                                    tr {
                                        td {
                                            @if kept.contains(&a.sha256) {
                                                a.document href=(paths::document(&a.sha256)) download=(a.name) { (a.name) }
                                            } @else {
                                                (a.name) " " span.muted { "(kept elsewhere)" }
                                            }
                                        }
                                        td { (a.media_type) }
                                        td.num { (a.bytes) }
                                        td { code.hash title=(a.sha256) { (a.sha256.get(..12).unwrap_or(&a.sha256)) "…" } }
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

fn visit_panel(ctx: &Ctx, scope: &Scope, returned: &Option<Returned>) -> Markup {
    let visitor = format!("{} ({})", ctx.session.user.name, ctx.org.name);
    let defaults = visit_form::defaults(&visitor, &scope.facilities);
    let empty = FormErrors::default();
    let (values, errors) = match returned {
        Some(Returned::Visit(v, e)) => (*v, *e),
        _ => (&defaults, &empty),
    };
    let view = FormView::new(values, errors, "visit");
    html! {
        section.panel #record-visit {
            h2 { "Record a visit to " (scope.site.name) }
            (view.summary(visit_form::FIELDS))
            form #visit-form method="post" enctype="multipart/form-data" action={ (scope.base()) "/visits#record-visit" } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("program", &scope.program.id))
                (visit_form::fields(&view, &scope.facilities))
                button.primary type="submit" { "Record the visit" }
            }
        }
    }
}

async fn render(
    ctx: &Ctx,
    scope: &Scope,
    returned: Option<Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (p, site, program) = (&scope.partnership, &scope.site, &scope.program);
    let view = ctx
        .app
        .readiness(ctx.caller(), &p.id, &site.id, &program.id)
        .await?;
    let visits = ctx.app.site_visits(ctx.caller(), &p.id, &site.id).await?;
    let hashes: Vec<String> = visits
        .iter()
        .flat_map(|v| parts(v).attachments)
        .map(|a| a.sha256)
        .collect();
    let mut kept: std::collections::BTreeSet<String> = hashes
        .iter()
        .zip(
            ctx.app
                .documents_kept(&hashes.iter().map(String::as_str).collect::<Vec<_>>())
                .await?,
        )
        .filter(|(_, kept)| *kept)
        .map(|(h, _)| h.clone())
        .collect();
    kept.extend(
        crate::uploads::kept_in(ctx, view.gaps.iter().filter_map(|g| g.evidence.as_deref()))
            .await?,
    );
    let signed = ctx
        .app
        .record_signatures(ctx.caller(), &p.id, SignedRecords::Gaps)
        .await?;
    let requirements: Vec<Requirement> =
        serde_json::from_value(program.requirements.clone()).unwrap_or_default();
    let names = super::OrgNames::load(ctx).await?;
    let met = view.findings.iter().filter(|f| f.is_met()).count();
    let open = view
        .gaps
        .iter()
        .filter(|g| g.status == GapStatus::Open)
        .count();
    let is_mfr = ctx.org.id == p.manufacturer_id;
    let may_create = scope.open() && ctx.may_in(Action::Create, ResourceKind::Readiness, p);
    let may_close = scope.open() && ctx.may_in(Action::Update, ResourceKind::Readiness, p);
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::partnership(&p.id)) "#sites" } { (p.name) } }
            h1 { "Readiness of " (site.name) " for " (program.name) }
            p.subtitle { (names.name(&p.manufacturer_id)) " × " (names.name(&p.health_system_id)) }
        }
        (notice(notice_code))
        @if scope.programs.len() > 1 {
            form.program-switch method="get" action={ (paths::partnership_site(&p.id, &site.id)) "/readiness" } {
                label for="program-switch" { "Program" }
                select #program-switch name="program" {
                    @for pr in &scope.programs { option value=(pr.id) selected[pr.id == program.id] { (pr.name) } }
                }
                button.secondary.small type="submit" { "Show" }
            }
        }
        section.panel #score {
            h2 { "Readiness score" }
            div.score-head {
                span.score-big data-percent=(view.percent) { (view.percent) "%" }
                div {
                    (score_bar(view.percent, false))
                    p.score-caption { (met) " of " (view.findings.len()) " requirement checks met at the facilities this site uses." }
                }
            }
            p.score-blocking { (blocking_badge(view.open_blocking)) " " span.muted { (open) " open gap" @if open != 1 { "s" } " in all" } }
            p.hint {
                "Judged on the latest observation of each capability from " (view.visits) " visit" @if view.visits != 1 { "s" }
                "; a gap closed with evidence counts once a visit observes it met. An open blocking gap keeps the site from authorization for " (program.name) "."
            }
            p.section-links {
                a href="#findings" { "Requirements" }
                a href="#gaps" { "Gaps" }
                a href="#visits" { "Visits" }
                @if is_mfr && may_create { a href="#record-visit" { "Record a visit" } }
                a href={ (paths::site(&site.id)) } { "Site page" }
            }
        }
        (gaps_panel(ctx, scope, &view.gaps, &kept, &signed, may_create, may_close, &returned))
        (findings_panel(scope, &view.findings, &requirements, &view.gaps))
        (visits_panel(scope, &visits, &kept))
        @if is_mfr && may_create { (visit_panel(ctx, scope, &returned)) }
    };
    Ok(ctx.render_status(
        status,
        &format!("Readiness · {} · {}", site.name, program.name),
        content,
    ))
}
