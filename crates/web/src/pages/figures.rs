//! Vein-to-vein figures (issue 12, point 6): for a manufacturer its programs across its partner
//! sites, for a health system its sites across its manufacturers — the network, one program,
//! one site, or both (chosen in a GET form). The distribution of collection → infusion days
//! and its trend by month as inline SVG, each stage's duration, the cases by stage, the time
//! from a booking's request to its slot and the waitlist, a line per site; each figure says how
//! many cases it rests on. The cases behind them download as CSV, by pseudonym.

use crate::charts::figures::{cases, days, histogram, trend};
use crate::errors::WebError;
use crate::paths;
use crate::session::Ctx;
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cellpath_app::figures::{FigureCase, FiguresAsked, VeinToVein};
use cellpath_domain::OrgKind;
use cellpath_domain::figures::{Span, Summary};
use maud::{Markup, html};

/// "median 33 days · P90 44 days (12 cases)", or that no case has it yet.
fn summary_words(s: Option<&Summary>) -> Markup {
    match s {
        Some(s) => html! {
            "median " strong { (days(s.median)) } " · P90 " strong { (days(s.p90)) }
            span.muted { " (" (cases(s.cases)) ", " (s.min) "–" (s.max) " days)" }
        },
        None => html! { span.muted { "no case yet" } },
    }
}

fn scope_form(v: &VeinToVein) -> Markup {
    let chosen = |n: &Option<cellpath_app::figures::Named>| n.as_ref().map(|x| x.id.clone());
    let (program, site) = (chosen(&v.program), chosen(&v.site));
    html! {
        form.compare-form #figures-scope method="get" action=(paths::figures()) {
            div.field {
                label for="figures-program" { "Program" }
                select #figures-program name="program" {
                    option value="" selected[program.is_none()] { "Every program" }
                    @for p in &v.programs {
                        option value=(p.id) selected[program.as_deref() == Some(p.id.as_str())] { (p.name) }
                    }
                }
            }
            div.field {
                label for="figures-site" { "Site" }
                select #figures-site name="site" {
                    option value="" selected[site.is_none()] { "The whole network" }
                    @for s in &v.sites {
                        option value=(s.id) selected[site.as_deref() == Some(s.id.as_str())] { (s.name) }
                    }
                }
            }
            button.secondary type="submit" { "Show" }
        }
    }
}

pub async fn show(ctx: Ctx, Query(asked): Query<FiguresAsked>) -> Result<Response, WebError> {
    let v = ctx.app.vein_to_vein(ctx.caller(), &asked).await?;
    let span = |s: Span| v.figures.spans.iter().find(|x| x.span == s);
    let v2v = span(Span::CollectionToInfusion).and_then(|s| s.days);
    let what = match (&v.program, &v.site) {
        (Some(p), Some(s)) => format!("{} at {}", p.name, s.name),
        (Some(p), None) => format!("{} across the network", p.name),
        (None, Some(s)) => format!("Every program at {}", s.name),
        (None, None) => "Every program across the network".into(),
    };
    let subtitle = match v.side {
        OrgKind::Manufacturer => "Your programs across your partner sites",
        OrgKind::HealthSystem => "Your sites across your manufacturers",
    };
    let csv = paths::figures_csv(
        v.program.as_ref().map(|p| p.id.as_str()),
        v.site.as_ref().map(|s| s.id.as_str()),
    );
    let content = html! {
        header.page-head {
            h1 { "Vein-to-vein figures" }
            p.subtitle { (subtitle) }
        }
        (scope_form(&v))
        section.panel #figures-summary {
            h2 { (what) }
            p {
                "From " (v.figures.since.words()) " to " (v.today.words()) ": the cases open now and those infused, stopped or cancelled since, "
                strong { (cases(v.cases)) } " in all. Days are counted between the days things were recorded, not forecast."
            }
            section.cards {
                div.card #card-vein-to-vein {
                    span.card-count { @match v2v { Some(s) => (days(s.median)), None => "—" } }
                    span.card-label { "Collection → infusion, median" }
                    span.card-detail { @match v2v { Some(s) => { "P90 " (days(s.p90)) " · " (cases(s.cases)) } None => "no infusion in the window" } }
                }
                div.card #card-request-to-slot {
                    span.card-count { @match &v.bookings.request_to_slot { Some(s) => (days(s.median)), None => "—" } }
                    span.card-label { "Request → apheresis slot, median" }
                    span.card-detail { @match &v.bookings.request_to_slot { Some(s) => { "P90 " (days(s.p90)) " · " (cases(s.cases)) } None => "no confirmed booking in the window" } }
                }
                div.card #card-waitlist {
                    span.card-count { (v.bookings.waitlisted) }
                    span.card-label { "On the waitlist" }
                    span.card-detail {
                        @match &v.bookings.waited { Some(s) => { "waiting a median of " (days(s.median)) ", the longest " (days(s.max)) } None => "nobody waiting" }
                        " · " (v.bookings.waiting_for_manufacturer) " requested, not yet answered"
                    }
                }
            }
            p { a #figures-csv href=(csv) download { "Download the cases behind these figures (CSV)" } span.muted { " — by pseudonym, one line a case" } }
        }
        section.panel #figures-distribution {
            h2 { "Collection → infusion" }
            @match v2v {
                Some(s) => {
                    p { "Every case infused since " (v.figures.since.words()) ", a bar a week: " (summary_words(Some(&s))) "." }
                    (histogram(&v.figures.histogram, &s, "Days from collection to infusion"))
                    h3 { "Median by month of infusion" }
                    (trend(&v.figures.trend, "Median days from collection to infusion, by month"))
                    p.hint { "A month without a dot had no infusion. Each dot rests on that month's cases only; a month of one or two cases says little." }
                }
                None => { p.empty { "No case was infused since " (v.figures.since.words()) "." } }
            }
        }
        section.panel #figures-stages {
            h2 { "Each stage's duration" }
            table.list #stage-durations {
                thead { tr { th { "Stage" } th { "Cases" } th { "Median" } th { "P90" } th { "Shortest – longest" } } }
                tbody {
                    @for s in &v.figures.spans {
                        tr data-span=(s.span.as_str()) {
                            td { (s.label) }
                            @match &s.days {
                                Some(d) => { td { (d.cases) } td { (days(d.median)) } td { (days(d.p90)) } td { (d.min) "–" (d.max) " days" } }
                                None => { td { "0" } td colspan="3" { span.muted { "no case yet" } } }
                            }
                        }
                    }
                }
            }
            p.hint { "Each stage counts the cases whose stage ended since " (v.figures.since.words()) "." }
        }
        section.panel #figures-by-stage {
            h2 { "Cases by stage" }
            table.list #cases-by-stage {
                thead { tr { th { "Where the case stands" } th { "Cases" } } }
                tbody {
                    @for s in &v.figures.by_stage {
                        tr data-stage=(s.stage.as_str()) { td { (s.label) } td { (s.cases) } }
                    }
                }
            }
        }
        @if !v.per_site.is_empty() {
            section.panel #figures-sites {
                h2 { "By site" }
                table.list #figures-per-site {
                    thead { tr { th { "Site" } th { "Collection → infusion" } th { "Open cases" } } }
                    tbody {
                        @for l in &v.per_site {
                            tr {
                                td { a href=(paths::figures_of(v.program.as_ref().map(|p| p.id.as_str()), Some(&l.site.id))) { (l.site.name) } }
                                td { (summary_words(l.vein_to_vein.as_ref())) }
                                td { (l.open_cases) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.render("Vein-to-vein figures", content))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(rows: &[FigureCase]) -> String {
    let mut out = String::from(
        "pseudonym,site,program,stage,opened_on,collected_on,released_on,infused_on,collection_to_infusion_days\n",
    );
    let day =
        |d: &Option<cellpath_domain::Date>| d.as_ref().map(|d| d.to_string()).unwrap_or_default();
    for r in rows {
        let line = [
            field(&r.pseudonym),
            field(&r.site),
            field(&r.program),
            r.stage.as_str().to_string(),
            r.opened_on.to_string(),
            day(&r.collected_on),
            day(&r.released_on),
            day(&r.infused_on),
            r.vein_to_vein_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ];
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

pub async fn download(ctx: Ctx, Query(asked): Query<FiguresAsked>) -> Result<Response, WebError> {
    let rows = ctx.app.vein_to_vein_cases(ctx.caller(), &asked).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"vein-to-vein.csv\"",
            ),
        ],
        csv(&rows),
    )
        .into_response())
}

#[cfg(test)]
mod tests;
