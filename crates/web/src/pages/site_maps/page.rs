//! One site map version's page: where it stands (draft, awaiting a signature, signed), the
//! site's map as a swimlane with the site's details and changes drawn on it, every step with
//! its local details, the proposals with the manufacturer's decisions, the "Add a checklist
//! step" form, the signatures, and the versions of this site's map.

use super::edits::{self, Change};
use super::{
    Loaded, change_badge, notice, proposal_badge, proposed_step, refine, site_role_options,
    status_badge,
};
use crate::charts::swimlane::{scan_burden_badge, swimlane};
use crate::charts::{field_label, kind_label, stage_label};
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
use cellpath_app::sitemaps::Side;
use cellpath_app::views::MapProposal;
use cellpath_app::views::audit::Signature;
use cellpath_domain::Role;
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::policy::{Action, ResourceKind};
use cellpath_domain::process_map::{RecordedIn, Stage, Step, StepKind, StepParams};
use cellpath_domain::refinement::LocalStep;
use cellpath_domain::refinement::SiteMapStatus;
use cellpath_ledger::Meaning;
use maud::{Markup, html};

const CHECKLIST_FIELDS: &[&str] = &["key", "name", "stage", "role", "items", "after", "before"];

/// A form of this page that came back with errors.
enum Returned<'a> {
    Checklist(&'a FormData, &'a FormErrors),
    /// The decision form of one proposal.
    Decide(&'a str, &'a FormData, &'a FormErrors),
    Sign(&'a FormData, &'a FormErrors),
}

pub async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    render(&ctx, &id, None, q.notice.as_deref(), StatusCode::OK).await
}

/// The "Add a checklist step" form as a local step, or what it could not read.
fn read_checklist(form: &FormData) -> Result<LocalStep, FormErrors> {
    let mut errors = FormErrors::default();
    let stage = form
        .get("stage")
        .parse::<Stage>()
        .map_err(|e| errors.field("stage", e.to_string()))
        .ok();
    let role = form
        .get("role")
        .parse::<Role>()
        .map_err(|e| errors.field("role", e.to_string()))
        .ok();
    let after = form.get("after").trim();
    if after.is_empty() {
        errors.field("after", "choose the step it comes after");
    }
    let before = form.get("before").trim();
    if before.is_empty() {
        errors.field(
            "before",
            "choose the step that waits for it (a checklist that leads nowhere would be a second end of the map)",
        );
    }
    let items: Vec<String> = form
        .get("items")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    match (stage, role) {
        (Some(stage), Some(role)) if errors.is_empty() => Ok(LocalStep {
            step: Step {
                key: form.get("key").trim().to_string(),
                name: form.get("name").trim().to_string(),
                stage,
                kind: StepKind::Checklist,
                role,
                after: vec![after.to_string()],
                controlled: false,
                recorded_in: RecordedIn::Cellpath,
                optional: false,
                params: StepParams {
                    items,
                    ..StepParams::default()
                },
            },
            before: vec![before.to_string()],
        }),
        _ => Err(errors),
    }
}

/// Which field of the checklist form a message about the new step belongs beside.
fn checklist_field(message: &str) -> Option<&'static str> {
    let rules: &[(&str, &str)] = &[
        ("step key", "key"),
        ("is already used", "key"),
        ("comes before unknown", "before"),
        ("cycle:", "before"),
        ("ends:", "before"),
        ("no end", "before"),
        ("comes after unknown", "after"),
        ("cannot be reached", "after"),
        ("no items", "items"),
        (": name ", "name"),
    ];
    rules
        .iter()
        .find(|(words, _)| message.contains(words))
        .map(|(_, field)| *field)
}

pub async fn add_checklist(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let loaded = Loaded::load(&ctx, &id).await?;
    loaded.refuse_change(&ctx)?;
    let result = match read_checklist(&form) {
        Ok(local) => {
            let next = edits::with_local_step(&loaded.view.refinement, local);
            refine(&ctx, &id, version, next, checklist_field).await?
        }
        Err(errors) => Err(errors),
    };
    match result {
        Ok(v) => Ok(notice_redirect(&paths::site_map(&v.id), "checklist_added")),
        Err(errors) => {
            let back = Returned::Checklist(&form, &errors);
            render(&ctx, &id, Some(back), None, errors.status()).await
        }
    }
}

/// `POST /site-maps/{id}/proposals/{proposal}`: the manufacturer accepts or rejects.
pub async fn decide(
    Path((id, proposal_id)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let version = form.version()?;
    let view = ctx.app.site_map(ctx.caller(), &id).await?;
    let partnership = ctx
        .app
        .partnership(ctx.caller(), &view.version.partnership_id)
        .await?;
    super::refuse_change(&ctx, &partnership)?;
    let accept = match form.get("decision") {
        "accept" => true,
        "reject" => false,
        _ => {
            return Err(WebError::BadRequest(
                "the form did not say whether to accept or reject; reload the page and try again"
                    .into(),
            ));
        }
    };
    if !view.proposals.iter().any(|p| p.id == proposal_id) {
        return Err(AppError::not_found(format!("proposal {proposal_id}")).into());
    }
    match ctx
        .app
        .decide_proposal(
            ctx.caller(),
            &proposal_id,
            version,
            accept,
            form.get("reason"),
            None,
        )
        .await
        .and_then(|o| o.fresh())
    {
        Ok(_) => Ok(notice_redirect(
            &paths::site_map(&id),
            if accept {
                "proposal_accepted"
            } else {
                "proposal_rejected"
            },
        )),
        Err(e) => {
            let errors = FormErrors::from_app(e)?;
            let back = Returned::Decide(&proposal_id, &form, &errors);
            render(&ctx, &id, Some(back), None, errors.status()).await
        }
    }
}

pub async fn sign(Path(id): Path<String>, posted: Posted) -> Result<Response, WebError> {
    let Posted { ctx, form } = posted;
    let result = match form.get("meaning").parse::<Meaning>() {
        Ok(meaning) => ctx
            .app
            .sign_site_map(ctx.caller(), &id, meaning, form.get("password"), None)
            .await
            .and_then(|o| o.fresh())
            .map_err(FormErrors::from_app),
        Err(_) => {
            let mut errors = FormErrors::default();
            errors.field("meaning", "choose what your signature means");
            Err(Ok(errors))
        }
    };
    match result {
        Ok(_) => Ok(notice_redirect(&paths::site_map(&id), "signed")),
        Err(errors) => {
            let errors = errors?;
            let values = FormData::from_pairs([("meaning", form.get("meaning"))]);
            let back = Returned::Sign(&values, &errors);
            render(&ctx, &id, Some(back), None, errors.status()).await
        }
    }
}

/// A signature with the side it was given for.
struct SignedBy<'a> {
    row: &'a Signature,
    side: Option<Side>,
}

async fn signatures<'a>(ctx: &Ctx, loaded: &'a Loaded) -> Vec<SignedBy<'a>> {
    let mut out = Vec::new();
    for row in &loaded.view.signatures {
        let side = match ctx.app.user(ctx.caller(), &row.signer_user_id).await {
            Ok(u) if u.org_id == loaded.partnership.health_system_id => Some(Side::HealthSystem),
            Ok(u) if u.org_id == loaded.partnership.manufacturer_id => Some(Side::Manufacturer),
            _ => None,
        };
        out.push(SignedBy { row, side });
    }
    out
}

/// The versions of this site's map for this program, newest first, with their status.
async fn history(
    ctx: &Ctx,
    loaded: &Loaded,
) -> Result<Vec<(cellpath_app::views::SiteMapVersion, SiteMapStatus)>, WebError> {
    let all = ctx
        .app
        .site_maps(ctx.caller(), &loaded.partnership.id)
        .await?;
    let mut out = Vec::new();
    for v in all.into_iter().filter(|v| {
        v.site_id == loaded.view.version.site_id && v.program_id == loaded.view.version.program_id
    }) {
        let status = if v.id == loaded.id() {
            loaded.view.status
        } else {
            ctx.app.site_map(ctx.caller(), &v.id).await?.status
        };
        out.push((v, status));
    }
    out.sort_by_key(|(v, _)| std::cmp::Reverse(v.number));
    Ok(out)
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn status_callout(ctx: &Ctx, loaded: &Loaded) -> Markup {
    let v = &loaded.view;
    let pending = v
        .proposals
        .iter()
        .filter(|p| p.status == ProposalStatus::Pending)
        .count();
    let (hs, mfr) = (&loaded.health_system_name, &loaded.manufacturer_name);
    html! {
        @match v.status {
            SiteMapStatus::Signed => {
                div.callout.good #status-note {
                    p { strong { "Signed by both sides." } " Version " (v.version.number)
                        " never changes: cases started on it run on it. To change the site's map, start the next version." }
                    @if loaded.may_start_next() { p { (start_next_button(ctx, loaded)) } }
                }
            }
            SiteMapStatus::AwaitingSignature => {
                div.callout.warning #status-note {
                    p {
                        strong { "Signed by " (if v.signed_by_health_system { hs } else { mfr }) "; waiting for the signature of "
                            (if v.signed_by_health_system { mfr } else { hs }) "." }
                        " A change to this version now would void that signature."
                    }
                    p.section-links { a href="#signatures" { "Signatures" } }
                }
            }
            _ => {
                div.callout.warning #status-note {
                    p { strong { "Draft." } " " (hs) " sets each step's local owner, location and system, edits its own steps and adds checklist steps; "
                        "it proposes changes to the steps " (mfr) " controls, and " (mfr) " accepts or rejects each with a reason. Then both sides sign." }
                    @if pending > 0 {
                        p { strong { (pending) " proposal" @if pending > 1 { "s" } " waiting for " (mfr) "." } }
                    }
                    p.section-links {
                        a href="#steps" { "Steps and local details" }
                        @if loaded.may_refine() { a href="#add-checklist" { "Add a checklist step" } }
                        a href="#proposals" { "Proposals" }
                        a href="#signatures" { "Signatures" }
                    }
                }
            }
        }
    }
}

/// "Start version N+1": a new draft carrying this version's site work.
fn start_next_button(ctx: &Ctx, loaded: &Loaded) -> Markup {
    let v = &loaded.view.version;
    html! {
        form.inline.start-next #start-next method="post" action={ (paths::partnership(&v.partnership_id)) "/site-maps" } {
            (csrf_field(ctx.csrf()))
            (hidden("site_id", &v.site_id))
            (hidden("program_id", &v.program_id))
            (hidden("from", &v.id))
            button.primary type="submit" { "Start version " (v.number + 1) " from this one" }
        }
    }
}

fn steps_table(loaded: &Loaded) -> Markup {
    let details = &loaded.view.refinement.details;
    let path = loaded.path();
    html! {
        div.table-scroll {
            table.list.steps.site-steps {
                thead { tr {
                    th.num { "#" }
                    th { "Step" }
                    th { "In the map" }
                    th { "At this site" }
                    th { span.visually-hidden { "Open" } }
                } }
                tbody {
                    @for (i, s) in loaded.effective.steps().enumerate() {
                        @let change = loaded.changes.get(&s.key).copied();
                        @let d = details.get(&s.key);
                        tr #{ "step-" (s.key) } data-step=(s.key) class=[change.map(|c| c.css())] {
                            td.num { (i + 1) }
                            td {
                                strong { (s.name) } br; code.key { (s.key) }
                                @if let Some(c) = change { br; (change_badge(c)) }
                            }
                            td {
                                (stage_label(s.stage)) " · " span.muted { (kind_label(s.kind)) } br;
                                (labels::role_badge(s.role.as_str()))
                                " "
                                @if s.controlled {
                                    span.badge.badge-controlled title="The manufacturer's label or quality agreement governs this step: the site proposes changes" { "Controlled" }
                                } @else if change != Some(Change::Added) {
                                    span.badge.badge-quiet title="The site edits this step itself" { "Site-owned" }
                                }
                            }
                            td.at-site {
                                @match d {
                                    Some(d) => {
                                        dl.local-detail {
                                            @if let Some(r) = d.owner_role { div { dt { "Done by" } dd { (labels::role(r.as_str())) } } }
                                            @if let Some(l) = &d.location { div { dt { "Where" } dd { (l) } } }
                                            @if let Some(x) = &d.system { div { dt { "Recorded in" } dd { (x) } } }
                                            @if let Some(n) = &d.notes { div { dt { "Notes" } dd { (n) } } }
                                        }
                                    }
                                    None => {
                                        span.muted { "No local details yet" }
                                        @if let Some(l) = &s.params.location { br; span.muted { "Where: " (l) " (as in the map)" } }
                                    }
                                }
                            }
                            td {
                                a.button.secondary.small href={ (path) "/steps/" (s.key) }
                                    aria-label={ "Open " (s.name) } {
                                    @if loaded.may_refine() || (s.controlled && loaded.may_propose()) { "Refine" } @else { "Open" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What a proposal changes, field by field, against the published step.
pub(super) fn proposal_changes(loaded: &Loaded, p: &MapProposal) -> Markup {
    let proposed = proposed_step(p);
    let base = loaded.base.step(&p.step_key);
    html! {
        @match (base, proposed) {
            (Some(old), Some(new)) => {
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
            _ => span.muted { "The proposed step can no longer be read." },
        }
    }
}

fn decide_form(ctx: &Ctx, loaded: &Loaded, p: &MapProposal, returned: &Option<Returned>) -> Markup {
    let empty = (FormData::default(), FormErrors::default());
    let (values, errors) = match returned {
        Some(Returned::Decide(id, v, e)) if *id == p.id => (*v, *e),
        _ => (&empty.0, &empty.1),
    };
    let prefix = format!("decide-{}", p.id);
    let view = FormView::new(values, errors, &prefix);
    html! {
        form.decide-form #{ "decide-" (p.id) } method="post" action={ (loaded.path()) "/proposals/" (p.id) "#proposal-" (p.id) } novalidate {
            (csrf_field(ctx.csrf()))
            (hidden("version", p.version))
            (view.summary(&["reason"]))
            (view.textarea("Your reason (the site reads it)", "reason", None, 2))
            div.form-actions {
                button.primary type="submit" name="decision" value="accept" { "Accept" }
                button.danger type="submit" name="decision" value="reject" { "Reject" }
            }
        }
    }
}

fn proposals_panel(ctx: &Ctx, loaded: &Loaded, returned: &Option<Returned>) -> Markup {
    let proposals = &loaded.view.proposals;
    let mfr = &loaded.manufacturer_name;
    html! {
        section.panel #proposals {
            h2 { "Proposed changes to controlled steps" }
            p.hint { "A change to a step " (mfr) " controls (its label or quality agreement governs it) is only a proposal until "
                (mfr) " accepts it. Open a controlled step to propose one." }
            @if proposals.is_empty() {
                p.empty { "No proposals on this version." }
            }
            @for p in proposals {
                article.proposal #{ "proposal-" (p.id) } data-proposal=(p.id) data-status=(p.status) data-step=(p.step_key) {
                    header.proposal-head {
                        a href={ (loaded.path()) "/steps/" (p.step_key) } { strong { (loaded.step_name(&p.step_key)) } }
                        " " (proposal_badge(p.status.as_str()))
                        span.muted.proposal-time { "Proposed " (time_el(p.created_at)) }
                    }
                    div.proposal-body {
                        div {
                            h3 { "What changes" }
                            (proposal_changes(loaded, p))
                            h3 { "The site's reason" }
                            p { (p.reason) }
                        }
                        div.decision {
                            h3 { "Decision of " (mfr) }
                            @if p.status != ProposalStatus::Pending {
                                p { (p.decision_reason.as_deref().unwrap_or("")) }
                                p.muted { (time_el(p.updated_at)) }
                            } @else if loaded.may_decide() {
                                (decide_form(ctx, loaded, p, returned))
                            } @else {
                                p.muted { "Not decided yet." }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn checklist_form(ctx: &Ctx, loaded: &Loaded, returned: &Option<Returned>) -> Markup {
    let defaults = FormData::from_pairs([
        ("stage", Stage::Preparation.as_str()),
        ("role", Role::Coordinator.as_str()),
    ]);
    let empty = FormErrors::default();
    let (values, errors) = match returned {
        Some(Returned::Checklist(v, e)) => (*v, *e),
        _ => (&defaults, &empty),
    };
    let view = FormView::new(values, errors, "checklist");
    let steps: Vec<(String, String)> = std::iter::once((String::new(), "Choose a step…".into()))
        .chain(
            loaded
                .effective
                .steps()
                .map(|s| (s.key.clone(), format!("{} ({})", s.name, s.key))),
        )
        .collect();
    let stages: Vec<(String, String)> = Stage::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), stage_label(*s).to_string()))
        .collect();
    let roles = site_role_options(("", "Choose a role…".into()));
    html! {
        section.panel #add-checklist {
            h2 { "Add a checklist step" }
            p.hint { "A local step with items to tick, e.g. \"ICU bed held\" before the thaw. It is the site's own: "
                (loaded.manufacturer_name) " sees it but does not need to accept it." }
            (view.summary(CHECKLIST_FIELDS))
            form #checklist-form method="post" action={ (loaded.path()) "/checklist#add-checklist" } novalidate {
                (csrf_field(ctx.csrf()))
                (hidden("version", loaded.view.version.version))
                div.field-grid {
                    (view.input("Key", "key", Input::Text, Some("a-z, 0-9 and _, unique in the map, e.g. icu_bed_hold")))
                    (view.text("Name", "name"))
                    (view.select("Stage", "stage", &stages))
                    (view.select("Done by", "role", &roles))
                    (view.select("Comes after", "after", &steps))
                    (view.select("Comes before (this step waits for it)", "before", &steps))
                }
                (view.textarea("Items to tick", "items", Some("One item per line."), 3))
                button.primary type="submit" { "Add checklist step" }
            }
        }
    }
}

fn signatures_panel(
    ctx: &Ctx,
    loaded: &Loaded,
    signed: &[SignedBy],
    returned: &Option<Returned>,
) -> Markup {
    let v = &loaded.view;
    let pending = v
        .proposals
        .iter()
        .filter(|p| p.status == ProposalStatus::Pending)
        .count();
    let sides = [
        (
            Side::HealthSystem,
            &loaded.health_system_name,
            v.signed_by_health_system,
        ),
        (
            Side::Manufacturer,
            &loaded.manufacturer_name,
            v.signed_by_manufacturer,
        ),
    ];
    let mine_signed = match loaded.side {
        Some(Side::HealthSystem) => v.signed_by_health_system,
        Some(Side::Manufacturer) => v.signed_by_manufacturer,
        None => true,
    };
    let may_sign =
        !mine_signed && ctx.may_in(Action::Sign, ResourceKind::Ledger, &loaded.partnership);
    let empty = (FormData::default(), FormErrors::default());
    let (values, errors) = match returned {
        Some(Returned::Sign(v, e)) => (*v, *e),
        _ => (&empty.0, &empty.1),
    };
    let mut values = values.clone();
    if values.get("meaning").is_empty() {
        values.set("meaning", Meaning::Approved.as_str());
    }
    let view = FormView::new(&values, errors, "sign");
    let meanings: Vec<(String, String)> = Meaning::ALL
        .iter()
        .map(|m| (m.as_str().to_string(), labels::sentence(m.as_str())))
        .collect();
    html! {
        section.panel #signatures {
            h2 { "Signatures" }
            p { "Both sides sign this version's content (hash " code.hash title=(v.content_hash) { (short_hash(&v.content_hash)) "…" }
                "): the map as refined, the site's details, and the published version it refines." }
            table.list.signers {
                thead { tr { th { "Side" } th { "Status" } th { "Signed by" } th { "Meaning" } th { "When" } th { "Through" } } }
                tbody {
                    @for (side, name, done) in sides {
                        @let rows: Vec<&SignedBy> = signed.iter().filter(|s| s.side == Some(side)).collect();
                        @if rows.is_empty() {
                            tr data-side=(side_name(side)) {
                                td { (name) }
                                td { @if done { (labels::badge("Signed", labels::Tone::Good)) } @else { (labels::badge("Not signed yet", labels::Tone::Waiting)) } }
                                td { span.muted { "—" } } td { span.muted { "—" } } td { span.muted { "—" } } td { span.muted { "—" } }
                            }
                        }
                        @for s in rows {
                            tr.signature data-side=(side_name(side)) data-meaning=(s.row.meaning) {
                                td { (name) }
                                td { (labels::badge("Signed", labels::Tone::Good)) }
                                td { strong { (s.row.printed_name) } }
                                td { (labels::sentence(s.row.meaning.as_str())) }
                                td { (time_el(s.row.signed_at)) }
                                td.sig-channel { (labels::signature_channel(s.row.channel.as_ref())) }
                            }
                        }
                    }
                }
            }
            p.hint.sign-rule { "Any change after a signature — a local detail, a checklist step, an accepted proposal — voids the signatures made before it, and both sides sign again. "
                "A version signed by both sides never changes: later changes go into the next version." }
            @if may_sign && pending > 0 {
                div.callout.warning #sign-waits {
                    p {
                        @if loaded.side == Some(Side::Manufacturer) {
                            "Decide the " (pending) " pending proposal" @if pending > 1 { "s" } " above first"
                        } @else {
                            "Signing opens once " (loaded.manufacturer_name) " has decided the " (pending) " pending proposal" @if pending > 1 { "s" }
                        }
                        ": a decision changes this version, so a signature given before it would be void."
                    }
                }
            } @else if may_sign {
                h3 { "Sign version " (v.version.number) " for " (ctx.org.name) }
                (view.summary(&["meaning", "password"]))
                form #sign-form method="post" action={ (loaded.path()) "/sign#signatures" } novalidate {
                    (csrf_field(ctx.csrf()))
                    div.field-grid {
                        (view.select("Meaning of your signature", "meaning", &meanings))
                        (view.input("Your password", "password", Input::CurrentPassword, Some("Re-entered for every signature (21 CFR Part 11).")))
                    }
                    p.hint { "Your signature records your printed name (" (ctx.session.user.name) "), its meaning and the time, linked to this version's content hash." }
                    button.primary type="submit" { "Sign version " (v.version.number) }
                }
            }
        }
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::HealthSystem => "health_system",
        Side::Manufacturer => "manufacturer",
    }
}

async fn render(
    ctx: &Ctx,
    id: &str,
    returned: Option<Returned<'_>>,
    notice_code: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let loaded = Loaded::load(ctx, id).await?;
    let signed = signatures(ctx, &loaded).await;
    let versions = history(ctx, &loaded).await?;
    let v = &loaded.view;
    let program = &loaded.program;
    let overlay = loaded.overlay();
    let changed = loaded.changes.len();
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::partnership(&loaded.partnership.id)) "#sites" } { (loaded.partnership.name) } }
            h1 { (loaded.site_name) ": " (program.name) " site map, version " (v.version.number) " " (status_badge(v.status)) }
        }
        (notice(notice_code))
        (status_callout(ctx, &loaded))
        (facts(&[
            ("Site", html! { a href={ (paths::site(&v.version.site_id)) } { (loaded.site_name) } }),
            ("Program", html! { a href={ (paths::program(&program.id)) } { (program.name) } " by " (loaded.manufacturer_name) }),
            ("Refines", html! { a href={ (paths::map(&loaded.base_version.id)) } { "Published map version " (loaded.base_version.number) } }),
            ("Scan burden", scan_burden_badge(&v.scan_burden)),
            ("Content hash", html! { code.hash title=(v.content_hash) { (short_hash(&v.content_hash)) "…" } }),
            ("Last changed", time_el(v.version.updated_at)),
        ]))
        section.panel #swimlane {
            h2 { "The map at " (loaded.site_name) }
            p.hint {
                @if changed == 0 { "The site has not changed any step of the published map yet. " }
                @else { (changed) " step" @if changed > 1 { "s" } " marked " strong { "Changed" } @if changed > 1 { " differ" } @else { " differs" } " from the published map: edited by the site, changed by an accepted proposal, or added as a checklist. " }
                "Boxes show the site's local owner, location and system where it has set them."
            }
            (swimlane(&loaded.effective, Some(&overlay)))
        }
        section.panel #steps {
            h2 { "Steps in the order of the process" }
            @if loaded.may_refine() {
                p.hint { "Open a step to set who does it here, where and in which system; to edit a step the site owns; or to propose a change to a controlled step." }
            }
            (steps_table(&loaded))
        }
        (proposals_panel(ctx, &loaded, &returned))
        @if loaded.may_refine() { (checklist_form(ctx, &loaded, &returned)) }
        (signatures_panel(ctx, &loaded, &signed, &returned))
        section.panel #history {
            h2 { "Versions of this site's map" }
            table.list.versions {
                thead { tr { th { "Version" } th { "Status" } th { "Refines" } th { "Started" } } }
                tbody {
                    @for (h, st) in &versions {
                        tr data-version=(h.number) {
                            td {
                                @if h.id == loaded.id() { strong { "Version " (h.number) } " (this page)" }
                                @else { a href={ (paths::site_map(&h.id)) } { "Version " (h.number) } }
                            }
                            td { (status_badge(*st)) }
                            td { a href={ (paths::map(&h.base_map_version_id)) } { "Published map" } }
                            td { (time_el(h.created_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render_status(status, &loaded.title(), content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checklist_form_needs_where_it_goes() {
        let form = FormData::from_pairs([
            ("key", "icu_bed"),
            ("name", "ICU bed held"),
            ("stage", "preparation"),
            ("role", "coordinator"),
            ("items", "Bed held\n\n Tocilizumab on the unit \n"),
        ]);
        let errors = read_checklist(&form).unwrap_err();
        assert!(errors.has_field("after") && errors.has_field("before"));
        let mut form = form;
        form.set("after", "pharmacist_verification");
        form.set("before", "thaw_cd4");
        let local = read_checklist(&form).expect("readable");
        assert_eq!(local.step.kind, StepKind::Checklist);
        assert_eq!(
            local.step.params.items,
            ["Bed held", "Tocilizumab on the unit"]
        );
        assert_eq!(local.before, ["thaw_cd4"]);
    }

    #[test]
    fn validator_messages_find_the_checklist_field() {
        for (m, field) in [
            ("local step key \"Bad\": use 1–40 characters", Some("key")),
            ("local step key bed is already used", Some("key")),
            (
                "step bed is a checklist with no items: add the items to tick",
                Some("items"),
            ),
            ("cycle: bed → thaw_cd4 → bed", Some("before")),
            ("step bed: name must not be empty", Some("name")),
            ("something else", None),
        ] {
            assert_eq!(checklist_field(m), field, "{m}");
        }
    }
}
