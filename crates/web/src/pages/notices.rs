//! Notices: what the organization is told across its partnerships — expiry reminders before an
//! agreement lapses, and sites authorized, suspended (with what is missing) or reinstated —
//! newest first. The newest few sit on the home page; `/notices` lists them all. Each links to
//! where a person acts on it: the agreement, or the site's gate.

#[cfg(test)]
mod tests;

use crate::errors::WebError;
use crate::labels::{self, Tone, badge};
use crate::paths;
use crate::session::Ctx;
use axum::response::Response;
use cellpath_app::notices::{Notice, NoticeKind};
use cellpath_app::views::Page;
use maud::{Markup, html};

/// How many notices the home page shows.
pub const ON_HOME: i64 = 5;

fn kind_badge(kind: NoticeKind) -> Markup {
    match kind {
        NoticeKind::ExpiryReminder => badge("Expires soon", Tone::Waiting),
        NoticeKind::SiteAuthorized => badge("Authorized", Tone::Good),
        NoticeKind::SiteSuspended => badge("Suspended", Tone::Quiet),
        NoticeKind::SiteReinstated => badge("Reinstated", Tone::Good),
        NoticeKind::SiteJoined => badge("Joined", Tone::Good),
    }
}

fn kind_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::ExpiryReminder => "expiry_reminder",
        NoticeKind::SiteAuthorized => "site_authorized",
        NoticeKind::SiteSuspended => "site_suspended",
        NoticeKind::SiteReinstated => "site_reinstated",
        NoticeKind::SiteJoined => "site_joined",
    }
}

/// Where a person acts on the notice: the agreement about to lapse (to renew or amend it),
/// or the site's gate (what is missing).
fn link(n: &Notice) -> String {
    match (&n.agreement_id, &n.site_id, &n.program_id) {
        (Some(agreement), _, _) => paths::agreement(agreement),
        (None, Some(site), Some(program)) => paths::gate(&n.partnership_id, site, program),
        _ => paths::partnership(&n.partnership_id),
    }
}

/// A calendar day the notice carries (`YYYY-MM-DD`) as a `<time>` in words, e.g. `21 Jan 2027`.
fn on_day(on: &str) -> Markup {
    let shown = cellpath_domain::Date::parse(on)
        .map(|d| crate::time::calendar_day(&d))
        .unwrap_or_else(|_| on.to_string());
    html! { time datetime=(on) { (shown) } }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// One notice, in words.
fn item(n: &Notice) -> Markup {
    let site = n.site_name.as_deref().unwrap_or("");
    let program = n.program_name.as_deref().unwrap_or("");
    html! {
        li.notice-item data-kind=(kind_name(n.kind)) data-notice=(n.id) {
            (kind_badge(n.kind)) " "
            a href=(link(n)) {
                @match n.kind {
                    NoticeKind::ExpiryReminder => {
                        @if let Some(kind) = n.agreement_kind { (labels::agreement_kind(kind)) }
                        @if let Some(site) = &n.site_name { " for " (site) }
                        " with " (n.partner_name)
                        @if let Some(on) = &n.expires_on { " expires on " (on_day(on)) }
                        @if let Some(left) = n.days_left { " — " (days(left)) " left" }
                    }
                    NoticeKind::SiteAuthorized => {
                        (site) " is an authorized treatment center for " (program)
                        " since " (on_day(&n.on))
                    }
                    NoticeKind::SiteSuspended => {
                        (site) " is suspended for " (program)
                        " since " (on_day(&n.on))
                    }
                    NoticeKind::SiteReinstated => {
                        (site) " is reinstated for " (program)
                        " since " (on_day(&n.on))
                    }
                    NoticeKind::SiteJoined => {
                        (site) " joined the onboarding on " (on_day(&n.on))
                        ": the partnership covers all current and future sites"
                    }
                }
            }
            br;
            span.muted {
                (n.partnership_name)
                @if n.kind == NoticeKind::ExpiryReminder { " · reminded on " (on_day(&n.on)) }
            }
            @if !n.missing.is_empty() {
                ul.notice-missing {
                    @for m in &n.missing { li { (m) } }
                }
            }
        }
    }
}

fn list(notices: &[Notice]) -> Markup {
    html! {
        @if notices.is_empty() {
            p.empty { "No notices yet. Reminders before an agreement expires, and sites authorized or suspended, show here for both sides of a partnership." }
        } @else {
            ul.plain.notices { @for n in notices { (item(n)) } }
        }
    }
}

/// The "Notices" section of the home page: the newest few.
pub async fn home_section(ctx: &Ctx) -> Result<Markup, WebError> {
    let notices = ctx
        .app
        .notices(ctx.caller(), &ctx.org.id, Page::first(ON_HOME + 1))
        .await?;
    let more = notices.len() as i64 > ON_HOME;
    let shown = &notices[..notices.len().min(ON_HOME as usize)];
    Ok(html! {
        section.panel #notices {
            h2 { "Notices" }
            (list(shown))
            @if more || !shown.is_empty() {
                p.section-links { a #all-notices href="/notices" { "All notices" } }
            }
        }
    })
}

/// `/notices`: every notice of the organization, newest first.
pub async fn show(ctx: Ctx) -> Result<Response, WebError> {
    let notices = ctx
        .app
        .notices(ctx.caller(), &ctx.org.id, super::list_page())
        .await?;
    let content = html! {
        header.page-head {
            h1 { "Notices" }
            p.subtitle { "What " (ctx.org.name) " is told across its partnerships, newest first. Both sides of a partnership see the same notices." }
        }
        section.panel #notices { (list(&notices)) (super::list_cut(notices.len())) }
    };
    Ok(ctx.render("Notices", content))
}
