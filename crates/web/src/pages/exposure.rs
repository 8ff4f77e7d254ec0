//! Exposure now (issue 14, point 3): a health system's money out to manufacturers minus what
//! came back (claim payments, credits), across all its programs, as a line over time in
//! inline SVG; its days in accounts receivable; the cases waiting longest for their money,
//! each linking to its case. Its admins and finance people only (the app's `exposure`).

use crate::errors::WebError;
use crate::pages::programs::facts_form::dollars;
use crate::paths;
use crate::session::Ctx;
use axum::response::Response;
use cellpath_app::finance::exposure::{ExposureDay, ExposureView};
use maud::{Markup, html};

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The exposure line: days on the x axis (first, middle and last labelled with dates), dollars
/// on the y axis from the lowest to the highest exposure (0 always shown).
fn chart(points: &[ExposureDay]) -> Markup {
    let first = points.first().map_or(0, |p| p.day.days_since_epoch());
    let last = points
        .last()
        .map_or(1, |p| p.day.days_since_epoch())
        .max(first + 1);
    let lo = points
        .iter()
        .map(|p| p.exposure_cents)
        .min()
        .unwrap_or(0)
        .min(0) as f64;
    let hi = (points
        .iter()
        .map(|p| p.exposure_cents)
        .max()
        .unwrap_or(0)
        .max(0) as f64)
        .max(lo + 100.0);
    let x = |day: i64| LEFT + (W - LEFT - RIGHT) * (day - first) as f64 / (last - first) as f64;
    let y = |cents: f64| TOP + (H - TOP - BOTTOM) * (hi - cents) / (hi - lo);
    // A step line: exposure holds from one day money moved until the next.
    let mut path = Vec::new();
    let mut before = 0.0;
    for p in points {
        let (px_, now) = (x(p.day.days_since_epoch()), p.exposure_cents as f64);
        path.push(format!("{} {}", px(px_), px(y(before))));
        path.push(format!("{} {}", px(px_), px(y(now))));
        before = now;
    }
    let desc = points
        .iter()
        .map(|p| format!("{}: {}", p.day.words(), dollars(p.exposure_cents)))
        .collect::<Vec<_>>()
        .join("; ");
    let labelled: Vec<&ExposureDay> = match points.len() {
        0 => vec![],
        1 => vec![&points[0]],
        n => vec![&points[0], &points[n / 2], &points[n - 1]],
    };
    let y_ticks = [hi, (hi + lo) / 2.0, lo];
    html! {
        div.gantt-scroll.figure-chart tabindex="0" role="region" aria-label="Exposure over time (chart)" {
            svg.figure-svg #exposure-chart role="img" aria-labelledby="exposure-title" aria-describedby="exposure-desc"
                width=(px(W)) height=(px(H)) viewBox={ "0 0 " (px(W)) " " (px(H)) } preserveAspectRatio="xMinYMin meet" {
                title #exposure-title { "Exposure: paid out minus received, by day" }
                desc #exposure-desc { (desc) }
                @for t in y_ticks {
                    line.figure-grid x1=(px(LEFT)) x2=(px(W - RIGHT)) y1=(px(y(t))) y2=(px(y(t))) {}
                    text.gantt-tick-label x=(px(LEFT - 6.0)) y=(px(y(t) + 4.0)) text-anchor="end" font-size="11" { (dollars(t as i64)) }
                }
                line.figure-axis x1=(px(LEFT)) x2=(px(W - RIGHT)) y1=(px(y(0.0))) y2=(px(y(0.0))) {}
                @for p in &labelled {
                    text.gantt-tick-label x=(px(x(p.day.days_since_epoch()))) y=(px(H - BOTTOM + 18.0)) text-anchor="middle" font-size="11" { (p.day.words()) }
                }
                polyline.figure-line points=(path.join(" ")) {}
                @for p in points {
                    circle.figure-point cx=(px(x(p.day.days_since_epoch()))) cy=(px(y(p.exposure_cents as f64))) r="3" {
                        title { (p.day.words()) ": " (dollars(p.exposure_cents)) " (paid out " (dollars(p.paid_out_cents)) ", received " (dollars(p.received_cents)) ")" }
                    }
                }
            }
        }
    }
}

fn content(v: &ExposureView) -> Markup {
    html! {
        header.page-head {
            h1 { "Exposure now" }
            p.subtitle { "What your health system has paid manufacturers and not yet received back, across every program" }
        }
        section.cards #exposure-cards {
            div.card #card-exposure {
                span.card-count { (dollars(v.exposure_cents)) }
                span.card-label { "Exposure on " (v.today.words()) }
                span.card-detail { "paid out " (dollars(v.paid_out_cents)) " · received " (dollars(v.received_cents)) }
            }
            div.card #card-days-in-ar {
                span.card-count { @match v.days_in_ar { Some(d) => { (format!("{d:.1}")) " days" } None => "—" } }
                span.card-label { "Days in accounts receivable" }
                span.card-detail {
                    @match v.days_in_ar {
                        Some(_) => { "open claims " (dollars(v.open_claims_cents)) " ÷ the average day's claim payments over the last 90 days (" (dollars(v.claims_paid_90_days_cents)) " in all)" }
                        None => { "no claim was paid in the last 90 days: not measurable yet (open claims " (dollars(v.open_claims_cents)) ")" }
                    }
                }
            }
        }
        section.panel #exposure-over-time {
            h2 { "Over time" }
            @if v.by_day.is_empty() {
                p.empty { "No money has moved yet: no invoice paid, no credit, no claim paid." }
            } @else {
                (chart(&v.by_day))
                p.hint { "A step on each day money moved: up when you paid a manufacturer, down when a payer paid a claim or a manufacturer credited you." }
            }
        }
        section.panel #exposure-waiting {
            h2 { "Waiting longest" }
            @if v.waiting.is_empty() {
                p.empty { "No infused or invoiced case is waiting for its claim to be paid." }
            } @else {
                table.list #waiting-cases {
                    thead { tr { th { "Case" } th { "Site" } th { "Program" } th { "Waiting since" } th { "Invoice" } th { "Claim" } } }
                    tbody {
                        @for w in &v.waiting {
                            tr {
                                td { a href=(paths::case(&w.case_id)) { (w.pseudonym) } }
                                td { (w.site_name) }
                                td { (w.program_name) }
                                td { (w.waiting_since.words()) span.muted { " (" (w.days_waiting) " days)" } }
                                td { @match w.invoice_price_cents { Some(p) => { (dollars(p)) span.muted { ", paid " (dollars(w.invoice_paid_cents.unwrap_or(0))) } } None => span.muted { "no invoice" } } }
                                td { (w.claim_words) @if let Some(c) = w.claimed_cents { span.muted { ", " (dollars(c)) " claimed" } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show(ctx: Ctx) -> Result<Response, WebError> {
    let v = ctx.app.exposure(ctx.caller()).await?;
    Ok(ctx.render("Exposure now", content(&v)))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;

    #[tokio::test]
    async fn finance_reads_the_exposure_with_its_chart_and_the_waiting_case_and_others_do_not() {
        let demo = seeded().await;
        let main = demo.site("LUH-MAIN").await;
        let app = &demo.app;
        let user = |email: &'static str| async move {
            let u = app.store().user_by_email(email).await.unwrap().unwrap();
            app.caller_for_user(&u.id, cellpath_app::access::Via::Session)
                .await
                .unwrap()
        };
        let coordinator = user("coordinator@lakeshore.example").await;
        let case = app
            .cases_of_site(&coordinator, &main.id, cellpath_app::views::Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.pseudonym == "VAN-LUH-MAIN-0007")
            .unwrap();
        cellpath_app::testing::infuse_stored_demo_case(app, &case.id)
            .await
            .unwrap();
        let finance = user("finance@lakeshore.example").await;
        let medicare = app
            .start_payer_profiles_from_defaults(&finance, None)
            .await
            .unwrap()
            .fresh()
            .unwrap()
            .remove(0);
        let today = cellpath_domain::Date::of_micros(app.now());
        let claim = app
            .submit_claim(
                &finance,
                &case.id,
                cellpath_app::finance::claims::NewClaim {
                    payer_profile_id: medicare.id,
                    submitted_on: today.to_string(),
                    claimed_cents: Some(10_000_000),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();

        let mut b = Browser::signed_in(&demo, "finance@lakeshore.example").await;
        let home = b.get("/").await;
        home.assert_has(r#"href="/exposure""#);
        let page = b.get("/exposure").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_has("Exposure now");
        page.assert_has("VAN-LUH-MAIN-0007");
        page.assert_has(&format!(r#"href="/cases/{}""#, case.id));
        page.assert_has("submitted, waiting for the payer");
        page.assert_has("$100,000.00 claimed");
        page.assert_has("not measurable yet");
        page.assert_has("No money has moved yet");

        app.record_claim_step(
            &finance,
            &claim.id,
            None,
            cellpath_app::finance::claims::NewClaimStep {
                step: "paid".into(),
                on: today.to_string(),
                amount_cents: Some(9_000_000),
                reason: None,
            },
            None,
        )
        .await
        .unwrap();
        let page = b.get("/exposure").await;
        page.assert_has(r#"id="exposure-chart""#);
        page.assert_has(&format!("{}: -$90,000.00", today.words()));
        page.assert_has("0.0 days");
        // Paid: the case waits no longer.
        assert!(!page.body.contains("VAN-LUH-MAIN-0007"));

        // A nurse of the same health system: no link, and the page refuses; the manufacturer
        // does not find it.
        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        assert!(!nurse.get("/").await.body.contains(r#"href="/exposure""#));
        assert_eq!(nurse.get("/exposure").await.status, StatusCode::FORBIDDEN);
        let mut helixa = Browser::signed_in(&demo, "finance@helixa.example").await;
        assert!(!helixa.get("/").await.body.contains(r#"href="/exposure""#));
        assert_eq!(helixa.get("/exposure").await.status, StatusCode::NOT_FOUND);
    }
}
