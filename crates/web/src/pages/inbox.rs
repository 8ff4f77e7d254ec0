//! The inbox (issue 12, point 4): every due action of the signed-in person across all the
//! organization's partnerships, grouped by what it asks (the group with the most urgent item
//! first), most urgent first within each — overdue, then by due day, then the longest
//! waiting —, each a link to where it is done; days in words, waiting times on the reader's
//! clock; for a manufacturer its active cases by stage first. 50 items a page, `?offset=`.

use crate::errors::WebError;
use crate::labels::{Tone, badge};
use crate::paths;
use crate::session::Ctx;
use crate::time::day_el;
use axum::extract::Query;
use axum::response::Response;
use cellpath_app::views::Page;
use cellpath_app::views::inbox::{InboxItem, InboxKind, InboxPage, InboxTarget};
use cellpath_domain::Date;
use maud::{Markup, html};
use serde::Deserialize;

/// Items a page.
const PAGE: i64 = 50;

/// Like every page's query, other parameters are left alone (links may carry them).
#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    offset: Option<i64>,
}

/// Where an item is done, as a page of this site.
pub fn href(item: &InboxItem) -> String {
    match &item.target {
        InboxTarget::Case { case_id } => {
            let anchor = match item.kind {
                InboxKind::AdverseEvent => "#adverse-events",
                InboxKind::RegistryForm => "#registry",
                InboxKind::BookingToConfirm
                | InboxKind::WaitlistDecision
                | InboxKind::OfferToAnswer => "#booking",
                _ => "",
            };
            format!("{}{anchor}", paths::case(case_id))
        }
        InboxTarget::Gate {
            partnership_id,
            site_id,
            program_id,
        } => paths::gate(partnership_id, site_id, program_id),
        InboxTarget::Agreement { agreement_id } => paths::agreement(agreement_id),
        InboxTarget::SafetyReport { report_id } => super::safety::report_path(report_id),
        InboxTarget::ReleaseException { exception_id } => paths::release_exception(exception_id),
        InboxTarget::Invoice {
            partnership_id,
            invoice_id,
        } => paths::invoice(partnership_id, invoice_id),
    }
}

/// "due 9 August 2026 (in 3 days)", "overdue: due by 4 July 2026 (60 days late)", or nothing.
fn due_words(item: &InboxItem, today: &Date) -> Option<(String, Tone)> {
    let due = item.due_on.as_ref()?;
    let days = due.days_since_epoch() - today.days_since_epoch();
    let plural = |n: i64| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    Some(if item.overdue {
        (
            format!("overdue: due by {} ({} late)", due.words(), plural(-days)),
            Tone::Bad,
        )
    } else if days == 0 {
        (format!("due today, {}", due.words()), Tone::Waiting)
    } else {
        (
            format!("due {} (in {})", due.words(), plural(days)),
            Tone::Waiting,
        )
    })
}

/// The page's items grouped by kind, the group holding the most urgent item first.
fn grouped(items: &[InboxItem]) -> Vec<(InboxKind, Vec<&InboxItem>)> {
    let mut groups: Vec<(InboxKind, Vec<&InboxItem>)> = Vec::new();
    for item in items {
        match groups.iter_mut().find(|(k, _)| *k == item.kind) {
            Some((_, list)) => list.push(item),
            None => groups.push((item.kind, vec![item])),
        }
    }
    groups
}

fn item_row(item: &InboxItem, today: &Date) -> Markup {
    html! {
        li.inbox-item data-kind=(serde_plain(item.kind)) {
            a.inbox-title href=(href(item)) { (item.title) }
            @if let Some(p) = &item.pseudonym { " · " code { (p) } }
            @if let Some((words, tone)) = due_words(item, today) { " " (badge(&words, tone)) }
            div.inbox-detail {
                (item.detail)
                @if let Some(since) = item.since { "; waiting since " (day_el(since)) }
            }
            div.inbox-where.muted {
                @if let Some(s) = &item.site_name { (s) " · " }
                @if let Some(p) = &item.program_name { (p) " · " }
                (item.partnership_name)
            }
        }
    }
}

/// "Administration": the stage's word as a heading.
fn stage_words(stage: cellpath_domain::process_map::Stage) -> String {
    let word = stage.as_str();
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The kind's word as the API writes it (for `data-kind`).
fn serde_plain(kind: InboxKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn stages(page: &InboxPage) -> Markup {
    if page.cases_by_stage.is_empty() {
        return html! {};
    }
    html! {
        section.panel #cases-by-stage {
            h2 { "Active cases by stage" }
            p.muted { "The stage of the steps open on each case now, across all sites." }
            table.list {
                thead { tr { th { "Partnership" } th { "Stage" } th.num { "Cases" } } }
                tbody {
                    @for s in &page.cases_by_stage {
                        tr {
                            td { a href=(paths::partnership(&s.partnership_id)) { (s.partnership_name) } }
                            td { (stage_words(s.stage)) }
                            td.num { (s.cases) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show(ctx: Ctx, Query(q): Query<InboxQuery>) -> Result<Response, WebError> {
    let offset = q.offset.unwrap_or(0).max(0);
    let page = ctx
        .app
        .inbox(
            ctx.caller(),
            Page {
                limit: PAGE,
                offset,
            },
        )
        .await?;
    let shown_to = offset + page.items.len() as i64;
    let content = html! {
        header.page-head {
            h1 { "Inbox" }
            p.subtitle {
                @if page.total == 0 { "Nothing is waiting for you." }
                @else if page.total == 1 { "1 thing is waiting for you" }
                @else { (page.total) " things are waiting for you" }
                ", across all your organization's partnerships, most urgent first. Today is " (page.today.words()) "."
            }
        }
        (stages(&page))
        @for (kind, items) in grouped(&page.items) {
            section.panel.inbox-group data-kind=(serde_plain(kind)) {
                h2 { (kind.heading()) }
                ul.inbox { @for item in items { (item_row(item, &page.today)) } }
            }
        }
        @if page.total > PAGE {
            nav.pager aria-label="Pages" {
                @if offset > 0 {
                    a rel="prev" href={ (paths::inbox()) "?offset=" ((offset - PAGE).max(0)) } { "← More urgent" }
                    " "
                }
                "Items " (offset + 1) "–" (shown_to) " of " (page.total)
                @if let Some(next) = page.next_offset {
                    " " a rel="next" href={ (paths::inbox()) "?offset=" (next) } { "Less urgent →" }
                }
            }
        }
    };
    Ok(ctx.render("Inbox", content))
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};
    use axum::http::StatusCode;
    use cellpath_app::views::Page;

    #[tokio::test]
    async fn each_reader_finds_its_inbox_counted_in_the_navigation_and_linked_to_where_it_is_done()
    {
        let demo = seeded().await;
        let app = &demo.app;
        // The demo's patients' names: shown on no one's inbox (it lists pseudonyms).
        let lakeshore = demo.org("Lakeshore University Health").await;
        let main = demo.site("LUH-MAIN").await;
        let names: Vec<String> = {
            let u = app
                .store()
                .user_by_email("coordinator@lakeshore.example")
                .await
                .unwrap()
                .unwrap();
            let c = app
                .caller_for_user(&u.id, cellpath_app::access::Via::Session)
                .await
                .unwrap();
            let mut names = Vec::new();
            for case in app.cases_of_site(&c, &main.id, Page::all()).await.unwrap() {
                if let Some(p) = app.case(&c, &case.id).await.unwrap().patient {
                    names.push(p.name);
                }
            }
            names
        };
        assert!(!names.is_empty(), "{}", lakeshore.name);

        for email in [
            "coordinator@lakeshore.example",
            "cell.lab@lakeshore.example",
            "contracts@lakeshore.example",
            "patient.ops@helixa.example",
            "quality@helixa.example",
        ] {
            let mut b = Browser::signed_in(&demo, email).await;
            let caller = {
                let u = app.store().user_by_email(email).await.unwrap().unwrap();
                app.caller_for_user(&u.id, cellpath_app::access::Via::Session)
                    .await
                    .unwrap()
            };
            let count = app.inbox_count(&caller).await.unwrap();
            let home = b.get("/").await;
            assert_eq!(home.status, StatusCode::OK);
            if count > 0 {
                home.assert_has(&format!(
                    r#"id="nav-inbox-count" aria-label="{count} waiting">{count}<"#
                ));
            } else {
                assert!(!home.body.contains("nav-inbox-count"), "{email}");
            }
            let page = b.get("/inbox").await;
            assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
            page.assert_has(r#"aria-current="page""#);
            let inbox = app.inbox(&caller, Page::first(super::PAGE)).await.unwrap();
            if email.ends_with("lakeshore.example") {
                assert!(count > 0, "{email}: the demo asks something of it");
            }
            for item in &inbox.items {
                page.assert_has(&format!(r#"href="{}""#, super::href(item)));
            }
            for name in &names {
                assert!(
                    !page.body.contains(name.as_str()),
                    "{email}: no patient's name"
                );
            }
            if email.ends_with("helixa.example") {
                page.assert_has("Active cases by stage");
            } else {
                assert!(!page.body.contains("Active cases by stage"), "{email}");
            }
            // Each link opens for the reader.
            if let Some(first) = inbox.items.first() {
                let target = super::href(first);
                let path = target.split('#').next().unwrap();
                assert_eq!(b.get(path).await.status, StatusCode::OK, "{email}: {path}");
            }
        }

        // A proposal asks nothing: Cascade's coordinator has an empty inbox and no count.
        let mut cascade = Browser::signed_in(&demo, "coordinator@cascade.example").await;
        let page = cascade.get("/inbox").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_has("Nothing is waiting for you.");
        assert!(!page.body.contains("nav-inbox-count"));
        assert!(!page.body.contains("VAN-"), "nothing of Lakeshore's cases");
    }
}
