//! Onboarding as people read it (issue 4, points 4 and 5): the pipeline of every site of every
//! partnership of the person's organization (status, days in onboarding, predicted dates, what
//! blocks it), and a partnership's live plan for a program — the sites' predicted dates and a
//! Gantt chart per strategy with the done items at their real dates and today's line.

use super::gate::today;
use crate::charts::gantt::{Live, furthest_day, gantt_live, legend_live};
use crate::errors::WebError;
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::Ctx;
use axum::extract::{Path, Query};
use axum::response::Response;
use cellpath_app::AppError;
use cellpath_app::onboarding::{LivePlan, Pipeline, PipelineRow, SiteOutlook, days_text as days};
use cellpath_app::plans::Strategy;
use cellpath_domain::PartnershipStatus;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;

fn status_badge(s: &SiteOutlook) -> Markup {
    let (text, tone) = match s.status {
        "authorized" => ("Authorized", Tone::Good),
        "suspended" => ("Suspended", Tone::Waiting),
        _ => ("Onboarding", Tone::Info),
    };
    html! {
        span data-status=(s.status) { (badge(text, tone)) }
        @if let Some(since) = &s.since { br; span.muted { "since " (since) } }
    }
}

/// Warnings first (agreements that lapse too soon, overdue gaps), then the gate's first
/// missing items, and a link to the gate page for all of them.
fn blockers(s: &SiteOutlook, gate: &str) -> Markup {
    const SHOWN: usize = 2;
    html! {
        @if s.blockers.is_empty() && s.lapsing.is_empty() && s.overdue.is_empty() {
            span.muted { "Nothing" }
        } @else {
            ul.blockers {
                @for l in &s.lapsing {
                    li.lapsing data-agreement=(l.agreement_id) { (badge("Lapses", Tone::Waiting)) " " (l.text) }
                }
                @for g in &s.overdue {
                    li.overdue data-gap=(g.gap_id) data-days-overdue=(g.days_overdue) { (badge("Overdue", Tone::Waiting)) " " (g.text) }
                }
                @for b in s.blockers.iter().take(SHOWN) { li { (b.text) } }
            }
            @if !s.blockers.is_empty() {
                a href=(gate) {
                    @if s.blockers.len() > SHOWN { "and " (s.blockers.len() - SHOWN) " more at the gate" }
                    @else { "At the gate" }
                }
            }
        }
    }
}

/// Dates of what has not happened: expected (P50) and safe (P90), never shown as facts.
fn prediction_cells(s: &SiteOutlook) -> Markup {
    html! {
        @match &s.prediction {
            Some(p) => {
                td.num.expected data-planned=(p.planned) { span.expected-word { "expected" } time datetime=(p.p50) { (p.p50) } }
                td.num.expected { time datetime=(p.p90) { (p.p90) } }
            }
            None => {
                td.num { @if let Some(on) = &s.authorized_on { span.expected-word { "authorized" } time datetime=(on) { (on) } } @else { span.muted { "—" } } }
                td.num.muted { "—" }
            }
        }
    }
}

/// Items done as the gate counts them, with what it still lists as missing.
fn done_cell(s: &SiteOutlook) -> Markup {
    html! {
        td.num data-done=(s.done) data-missing=(s.items - s.done) {
            (s.done) " of " (s.items)
            @if s.done < s.items { br; span.muted { (s.items - s.done) " missing" } }
        }
    }
}

/// Partnerships on a page of the pipeline (each with all its sites).
pub const PIPELINE_PAGE: i64 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct PipelineQuery {
    /// Partnerships to skip; anything but a whole number from 0 is the first page.
    offset: Option<String>,
}

/// "Partnerships 26–50 of 201", with links to the pages before and after.
fn pager(pipeline: &Pipeline) -> Markup {
    let (offset, total) = (pipeline.offset, pipeline.partnerships as i64);
    let last = (offset + PIPELINE_PAGE).min(total);
    let earlier = (offset > 0).then(|| (offset - PIPELINE_PAGE).max(0));
    let link = |o: i64| format!("{}?offset={o}", paths::onboarding());
    html! {
        @if total > 0 {
            nav.pager aria-label="Pages of partnerships" {
                @if let Some(o) = earlier { a.button.secondary rel="prev" href=(link(o)) { "← Partnerships " (o + 1) "–" (o + PIPELINE_PAGE) } }
                @else { span {} }
                span.muted #pipeline-page {
                    @if offset + 1 == last { "Partnership " (last) " of " (total) }
                    @else if offset < total { "Partnerships " (offset + 1) "–" (last) " of " (total) }
                    @else { "No partnerships after the " (total) " there are" }
                }
                @if let Some(o) = pipeline.next_offset { a.button.secondary rel="next" href=(link(o)) { "Partnerships " (o + 1) "–" ((o + PIPELINE_PAGE).min(total)) " →" } }
                @else { span {} }
            }
        }
    }
}

/// `/onboarding?offset=…`: the organization's pipeline, a page of partnerships at a time.
pub async fn pipeline(ctx: Ctx, Query(q): Query<PipelineQuery>) -> Result<Response, WebError> {
    let today = today(&ctx);
    let offset = super::offset_of(q.offset.as_deref());
    let page = cellpath_app::records::page(Some(PIPELINE_PAGE), Some(offset))?;
    let pipeline = ctx
        .app
        .onboarding_pipeline(ctx.caller(), &ctx.org.id, today, page)
        .await?;
    let counts = &pipeline.counts;
    // Rows arrive grouped by partnership and program.
    let mut groups: Vec<Vec<&PipelineRow>> = Vec::new();
    for r in &pipeline.rows {
        match groups.last_mut() {
            Some(g)
                if g[0].partnership_id == r.partnership_id && g[0].program_id == r.program_id =>
            {
                g.push(r)
            }
            _ => groups.push(vec![r]),
        }
    }
    let content = html! {
        header.page-head {
            h1 { "Onboarding" }
            p.subtitle {
                "Every site of every partnership on its way to becoming an authorized treatment center, as of "
                (pipeline.today) ". Predicted dates come from each partnership's record: what is done counts at its "
                "real date, what is open is estimated from today under dual-track contracting."
            }
        }
        section.panel #pipeline-summary {
            ul.pipeline-counts {
                li data-count="authorized" { strong { (counts.authorized) } " authorized" }
                li data-count="onboarding" { strong { (counts.onboarding) } " onboarding" }
                li data-count="suspended" { strong { (counts.suspended) } " suspended" }
            }
            (pager(&pipeline))
        }
        @if groups.is_empty() {
            section.panel { p.empty { "No partnership with sites yet." } }
        }
        @for g in &groups {
            @let first = g[0];
            section.panel.pipeline-group data-partnership=(first.partnership_id) data-program=(first.program_id) {
                h2 {
                    a href={ (paths::partnership(&first.partnership_id)) } { (first.partnership_name) }
                    span.muted { " · " (first.program_name) " · with " (first.partner) }
                    @if first.partnership_status != PartnershipStatus::Active { " " (badge(crate::labels::partnership_status(first.partnership_status), Tone::Quiet)) }
                }
                p.section-links { a href=(paths::plan(&first.partnership_id, &first.program_id)) { "Plan and Gantt chart" } }
                div.table-scroll { table.list.pipeline {
                    thead {
                        tr {
                            th scope="col" { "Site" }
                            th scope="col" { "Status" }
                            th.num scope="col" { "Days in onboarding" }
                            th.num scope="col" { "Items done" }
                            th.num scope="col" { "Expected (P50)" }
                            th.num scope="col" { "Safe date (P90)" }
                            th scope="col" { "What blocks it" }
                        }
                    }
                    tbody {
                        @for r in g {
                            @let gate = paths::gate(&r.partnership_id, &r.site.site_id, &r.program_id);
                            tr data-site=(r.site.site_code) data-status=(r.site.status) {
                                th scope="row" { a href={ (paths::site(&r.site.site_id)) } { (r.site.site_code) } br; span.muted { (r.site.site_name) } }
                                td { (status_badge(&r.site)) }
                                td.num title={ "From " (r.site.started_on) " to " (r.site.authorized_on.as_deref().unwrap_or("today")) } { (days(r.site.days_in_onboarding)) }
                                (done_cell(&r.site))
                                (prediction_cells(&r.site))
                                td { (blockers(&r.site, &gate)) }
                            }
                        }
                    }
                } }
            }
        }
        @if pipeline.next_offset.is_some() || pipeline.offset > 0 { section.panel { (pager(&pipeline)) } }
    };
    Ok(ctx.render("Onboarding", content))
}

#[derive(Debug, Deserialize)]
pub struct PlanQuery {
    pub program: Option<String>,
}

/// `/partnerships/{id}/plan?program=…`: the live plan.
pub async fn plan(
    ctx: Ctx,
    Path(pid): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, WebError> {
    let p = ctx.app.partnership(ctx.caller(), &pid).await?;
    let programs = ctx.app.partnership_programs(ctx.caller(), &p.id).await?;
    let wanted = q.program.as_deref().filter(|s| !s.is_empty());
    let program = match wanted {
        Some(id) => programs.iter().find(|pr| pr.id == id),
        None => programs.first(),
    }
    .cloned()
    .ok_or_else(|| {
        AppError::not_found(format!(
            "program {} of this partnership",
            wanted.unwrap_or("")
        ))
    })?;
    let plan = ctx
        .app
        .live_plan(ctx.caller(), &p.id, &program.id, today(&ctx))
        .await?;
    let content = html! {
        header.page-head {
            p.breadcrumb { a href={ (paths::partnership(&p.id)) } { (p.name) } " · " a href=(paths::onboarding()) { "Onboarding" } }
            h1 { "When will each site be authorized for " (program.name) "?" }
            p.subtitle {
                "Planned on " (plan.today) " from the partnership's record: "
                (plan.done.len()) " item" @if plan.done.len() != 1 { "s" } " done at their real dates, the open ones "
                "estimated from today with the program's track template."
            }
            p #plan-in-planner { a href=(paths::planner_of_partnership(&p.id, &program.id)) { "Try other estimates for these sites in the contracting planner →" } }
            @if programs.len() > 1 {
                nav.program-switch aria-label="Programs" {
                    @for pr in &programs {
                        @if pr.id == program.id { strong { (pr.name) } }
                        @else { a href=(paths::plan(&p.id, &pr.id)) { (pr.name) } }
                    }
                }
            }
        }
        (sites_table(&plan))
        (charts(&plan))
        (done_list(&plan))
    };
    Ok(ctx.render(&format!("Plan · {}", p.name), content))
}

fn sites_table(plan: &LivePlan) -> Markup {
    let (dual, seq) = (&plan.dual_track, &plan.sequential);
    let [_, saved_p50, saved_p90] = plan.days_saved;
    html! {
        section.panel #sites {
            h2 { "The sites" }
            div.table-scroll { table.list.live-plan {
                thead {
                    tr {
                        th scope="col" { "Site" }
                        th scope="col" { "Status" }
                        th.num scope="col" { "Items done" }
                        th.num scope="col" { "Most likely" }
                        th.num scope="col" { "Expected (P50)" }
                        th.num scope="col" { "Safe date (P90)" }
                        th scope="col" { "What blocks it" }
                    }
                }
                tbody {
                    @for s in &plan.sites {
                        tr data-site=(s.site_code) data-status=(s.status) {
                            th scope="row" { span.site-code { (s.site_code) } br; span.muted { (s.site_name) } }
                            td { (status_badge(s)) }
                            (done_cell(s))
                            @match &s.prediction {
                                Some(p) => td.num.expected { span.expected-word { "expected" } time datetime=(p.planned) { (p.planned) } },
                                None => td.num.muted { "—" },
                            }
                            (prediction_cells(s))
                            td { (blockers(s, &paths::gate(&plan.partnership_id, &s.site_id, &plan.program_id))) }
                        }
                    }
                } }
            }
            p.days-saved #days-saved {
                "All sites expected to be authorized: " strong { (dual.last_site.p50) } " at P50, " strong { (dual.last_site.p90) } " at P90 "
                "with dual-track contracting; " (seq.last_site.p50) " and " (seq.last_site.p90) " if each site negotiated "
                "everything itself. Dual-track saves " strong { (days(saved_p50)) } " at P50 and " (days(saved_p90)) " at P90."
            }
            @if let Some(why) = all_sites_explained(plan) {
                p.hint #all-sites-explained { (why) }
            }
            p.hint {
                "Most likely: every open item at its most-likely duration. P50 and P90 come from " (plan.iterations)
                " simulated runs with durations drawn between each item's minimum and maximum. An item in negotiation "
                "is estimated in full from today. A site whose items are all done but which is still blocked (a readiness "
                "gap, an agreement that does not cover it) shows today until the gate clears; its P90 is never before its "
                "open blocking gaps are due to be closed."
            }
        }
    }
}

/// Why the day all sites are authorized is none of the sites' own days, when it is not: in
/// each simulated run the last site may be a different one, so the P50 of "all authorized" is
/// the median of the latest, later than the latest median.
fn all_sites_explained(plan: &LivePlan) -> Option<String> {
    let last = &plan.dual_track.last_site;
    let predictions: Vec<_> = plan
        .sites
        .iter()
        .filter_map(|s| s.prediction.as_ref())
        .collect();
    let latest = |f: fn(&cellpath_app::onboarding::Prediction) -> &String| {
        predictions.iter().map(|p| f(p).as_str()).max()
    };
    let (Some(p50), Some(p90)) = (latest(|p| &p.p50), latest(|p| &p.p90)) else {
        return None;
    };
    let differs = |all: &str, f: fn(&cellpath_app::onboarding::Prediction) -> &String| {
        predictions.iter().all(|p| f(p) != all)
    };
    (differs(&last.p50, |p| &p.p50) || differs(&last.p90, |p| &p.p90)).then(|| {
        format!(
            "Why no site shows these dates: each site's P50 and P90 (latest {p50} and {p90}) come from \
             the same simulated runs, but in each run a different site may be the last one authorized. \
             The day all sites are authorized is taken from each run's last site, so it is later than \
             any one site's date."
        )
    })
}

fn charts(plan: &LivePlan) -> Markup {
    let report = &plan.report;
    let far = Strategy::ALL
        .into_iter()
        .map(|s| {
            let r = report.report(s);
            furthest_day(&r.deterministic, &r.monte_carlo)
        })
        .fold(0.0, f64::max);
    // The sites really authorized, by their name in the plan (the same order as `sites`).
    let authorized: BTreeMap<String, String> = report
        .sites
        .iter()
        .zip(&plan.sites)
        .filter_map(|(name, s)| Some((name.clone(), s.authorized_on.clone()?)))
        .collect();
    let live = Live {
        today: plan.today_day as f64,
        start: &plan.start,
        labels: &plan.labels,
        authorized: &authorized,
    };
    html! {
        section.panel.gantt-panel #charts {
            h2 { "The schedules" }
            (legend_live())
            @for (strategy, outlook) in [(Strategy::DualTrack, &plan.dual_track), (Strategy::Sequential, &plan.sequential)] {
                @let r = report.report(strategy);
                @let title = match strategy { Strategy::DualTrack => "Dual-track", Strategy::Sequential => "Sequential" };
                h3.gantt-title #{ "chart-" (strategy.as_str()) } {
                    (title) ": last site expected " (outlook.last_site.planned)
                    span.muted { " (P50 " (outlook.last_site.p50) ", P90 " (outlook.last_site.p90) ")" }
                }
                (gantt_live(&r.deterministic, &r.monte_carlo, title, far, live))
            }
        }
    }
}

fn done_list(plan: &LivePlan) -> Markup {
    html! {
        section.panel #done {
            h2 { "Done, at their real dates" }
            @if plan.done.is_empty() {
                p.empty { "Nothing yet: every item is estimated from today." }
            } @else {
                table.list {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Track" } th.num scope="col" { "Done on" } } }
                    tbody {
                        @for d in &plan.done {
                            tr data-instance=(d.instance) {
                                // The words of the chart's rows, not the template's keys.
                                td { (plan.labels.get(&d.key).map_or(d.key.as_str(), String::as_str)) }
                                td { @match &d.site { Some(s) => { "Site " (s) }, None => "Central (health system)" } }
                                td.num { time datetime=(d.on) { (d.on) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_domain::contracting::{AgreementKind, AgreementStatus};

    #[tokio::test]
    async fn a_launch_lead_sees_every_site_on_its_way_to_authorization() {
        let demo = seeded().await;
        let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;
        let page = lead.get_saved("/onboarding", Some("onboarding")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(r#"id="nav-onboarding""#));
        let main = page.row(r#"data-site="LUH-MAIN""#);
        assert!(main.contains(r#"data-status="authorized""#), "{main}");
        assert!(main.contains("since "), "{main}");
        let north = page.row(r#"data-site="LUH-NORTH""#);
        assert!(north.contains(r#"data-status="onboarding""#), "{north}");
        assert!(
            north.contains("Quality agreement: not executed (negotiating)"),
            "{north}"
        );
        assert!(north.contains("more at the gate"), "{north}");
        assert!(
            north.contains("data-planned=\"20"),
            "a predicted date: {north}"
        );
        // Cascade has only been proposed to: none of its sites is shown (DESIGN.md §2).
        assert!(!page.body.contains("CRM-KIDS") && !page.body.contains("Cascade Medical Center"));
        // Only Helixa's program: Northbridge's Corvigen is not Helixa's business.
        assert!(!page.body.contains("Corvigen"));
    }

    /// The pipeline comes 25 partnerships a page, by name: a later page shows its own
    /// partnerships and links back, and the counts at the top are every page's.
    #[tokio::test]
    async fn a_later_page_of_the_pipeline_shows_its_partnerships_and_the_same_counts() {
        let demo = seeded().await;
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        let first = nurse.get("/onboarding").await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert!(
            first.body.contains("Partnerships 1–2 of 2"),
            "{}",
            first.body
        );
        assert!(first.body.contains("Helixa × Lakeshore"));
        assert!(first.body.contains("Northbridge × Lakeshore"));
        assert!(!first.body.contains(r#"rel="prev""#));
        let count = |body: &str, status: &str| {
            let at = body
                .find(&format!(r#"data-count="{status}""#))
                .expect("a count");
            body[at..].split("</strong>").next().map(str::to_string)
        };

        let second = nurse.get("/onboarding?offset=1").await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        assert!(
            second.body.contains("Partnership 2 of 2"),
            "{}",
            second.body
        );
        assert!(second.body.contains("Northbridge × Lakeshore"));
        assert!(
            !second.body.contains("Helixa × Lakeshore"),
            "{}",
            second.body
        );
        assert!(
            second
                .body
                .contains(r#"rel="prev" href="/onboarding?offset=0""#),
            "{}",
            second.body
        );
        for status in ["authorized", "onboarding", "suspended"] {
            assert_eq!(count(&first.body, status), count(&second.body, status));
        }
        // A page number that is not one is the first page.
        let odd = nurse.get("/onboarding?offset=-4").await;
        assert!(odd.body.contains("Partnerships 1–2 of 2"), "{}", odd.body);
    }

    /// Forecasts say they are forecasts, facts are dated facts, and an agreement that lapses
    /// before a site is expected to be authorized is flagged on the pipeline, the live plan and
    /// the partnership page.
    #[tokio::test]
    async fn forecasts_say_expected_and_a_lapsing_agreement_is_flagged_everywhere() {
        let demo = seeded().await;
        let pship = demo
            .partnership("Helixa Therapeutics", "Lakeshore University Health")
            .await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        // The central master service agreement now lapses in 30 days, long before LUH-NORTH
        // can be authorized.
        let msa = demo
            .app
            .store()
            .agreements_of(&pship.id)
            .await
            .expect("query")
            .into_iter()
            .find(|a| {
                a.kind == AgreementKind::MasterServiceAgreement
                    && a.status == AgreementStatus::Executed
            })
            .expect("the demo's executed MSA");
        let contracts = demo
            .app
            .store()
            .user_by_email("contracts@lakeshore.example")
            .await
            .expect("query")
            .expect("a demo user");
        let caller = demo
            .app
            .caller_for_user(&contracts.id, cellpath_app::access::Via::Session)
            .await
            .expect("a caller");
        let today = cellpath_domain::Date::of_micros(demo.app.now());
        let expires = today.plus_days(30);
        demo.app
            .set_agreement_dates(
                &caller,
                &msa.id,
                msa.version,
                msa.effective_on.as_ref().map_or("", |d| d.as_str()),
                expires.as_str(),
                None,
            )
            .await
            .expect("new dates");
        let flagged = format!(
            "Master service agreement expires on {}, before the site is expected to be authorized",
            expires.as_str()
        );
        let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;

        let page = lead.get_saved("/onboarding", Some("onboarding")).await;
        assert_eq!(page.status, StatusCode::OK);
        let north = page.row(r#"data-site="LUH-NORTH""#);
        assert!(north.contains(&flagged), "{north}");
        assert!(north.contains("Expected (P50)") || page.body.contains("Expected (P50)"));
        assert!(!page.body.contains("Authorized by (P50)"));
        assert!(
            north.contains(r#"<span class="expected-word">expected</span>"#),
            "{north}"
        );
        // The authorized site shows the day it was authorized, and the days it took.
        let main = page.row(r#"data-site="LUH-MAIN""#);
        assert!(
            main.contains(r#"<span class="expected-word">authorized</span>"#),
            "{main}"
        );
        assert!(!main.contains(">0 days<"), "{main}");

        let plan_path = format!("/partnerships/{}/plan?program={}", pship.id, vantacel.id);
        let page = lead.get_saved(&plan_path, Some("live-plan")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.row(r#"data-site="LUH-NORTH""#).contains(&flagged));
        // The chart: an onboarding site is expected (P50), the authorized one authorized.
        assert!(
            page.body
                .contains(r#"<tspan class="gantt-expected" font-size="11"> · expected "#),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains(r#"<tspan class="gantt-authorized" font-size="11"> · authorized "#)
        );
        // The critical path in calendar dates, never plan days.
        let critical = &page.body[page
            .body
            .find(r#"class="critical-path""#)
            .expect("a critical path")..];
        let critical = &critical[..critical.find("</ol>").expect("its end")];
        assert!(!critical.contains(" day "), "{critical}");
        assert!(critical.contains(" expected 20"), "{critical}");
        // The table of done items in the chart's words.
        let done = &page.body[page.body.find(r#"id="done""#).expect("the done table")..];
        assert!(done.contains("<td>MSA</td>"), "{done}");
        assert!(!done.contains("<code>msa</code>"), "{done}");
        assert!(page.body.contains("All sites expected to be authorized"));
        assert!(page.body.contains("Dual-track: last site expected 20"));
        assert!(!page.body.contains("last site authorized"));
        // A bar's title in the same words as its row.
        assert!(
            page.body
                .contains("<title>LUH-NORTH: Quality agreement: expected 20"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<title>MSA: done on 2025-06-01</title>"));

        let page = lead
            .get_saved(&format!("/partnerships/{}", pship.id), Some("partnership"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let lapsing = &page.body[page
            .body
            .find(r#"id="lapsing-agreements""#)
            .expect("flagged")..];
        assert!(lapsing.contains(&flagged), "{lapsing}");
        assert!(lapsing.contains(&format!("/agreements/{}", msa.id)));
    }

    #[tokio::test]
    async fn the_live_plan_page_shows_dates_done_items_and_both_strategies() {
        let demo = seeded().await;
        let pship = demo
            .partnership("Helixa Therapeutics", "Lakeshore University Health")
            .await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let mut pharmacist = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
        let page = pharmacist
            .get_saved(
                &format!("/partnerships/{}/plan?program={}", pship.id, vantacel.id),
                Some("live-plan"),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.row(r#"data-site="LUH-MAIN""#).contains("Authorized"));
        // The central three and the release-exception protocol the partnership agreed.
        assert!(page.row(r#"data-site="LUH-NORTH""#).contains("4 of 12"));
        assert_eq!(
            page.body.matches("<svg class=\"gantt-svg\"").count(),
            2,
            "a chart per strategy"
        );
        assert!(page.body.contains("class=\"gantt-today\""), "today's line");
        assert!(
            page.body
                .contains(r#"data-instance="msa" data-done="true""#),
            "the master service agreement is drawn as done"
        );
        // Rows and the critical path in people's words, not the template's keys.
        assert!(
            page.body
                .contains(r#"font-size="12">Quality agreement</text>"#),
            "{}",
            page.body
        );
        assert!(
            !page
                .body
                .contains(r#"font-size="12">pharmacy_and_therapeutics</text>"#)
        );
        assert!(
            page.body
                .contains("<code>LUH-NORTH: Quality agreement</code>")
                || page
                    .body
                    .contains("<code>LUH-CANCER: Quality agreement</code>")
        );
        assert!(page.body.contains("days from 2025-06-01 (day 0)"));
        assert!(page.body.contains("Dual-track saves"));
        // The partnership page and a site's gate page lead here.
        let plan_link = format!("/partnerships/{}/plan?program={}", pship.id, vantacel.id);
        let page = pharmacist.get(&format!("/partnerships/{}", pship.id)).await;
        assert!(page.body.contains(&plan_link), "{}", page.body);
        let north = demo.site("LUH-NORTH").await;
        let page = pharmacist
            .get(&format!(
                "/partnerships/{}/sites/{}/gate?program={}",
                pship.id, north.id, vantacel.id
            ))
            .await;
        assert!(page.body.contains(&plan_link), "{}", page.body);
        // A stranger's partnership is not found; so is another maker's program.
        let mut stranger = Browser::signed_in(&demo, "admin@piedmont.example").await;
        let page = stranger
            .get(&format!("/partnerships/{}/plan", pship.id))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        let page = pharmacist
            .get(&format!(
                "/partnerships/{}/plan?program=prg_nothing",
                pship.id
            ))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }
}
