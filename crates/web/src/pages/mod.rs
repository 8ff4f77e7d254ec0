//! The pages, one file per area of the product. Each file owns its routes' handlers and the
//! functions that render them; a form that comes back with errors is rendered by the same
//! function as the page it sits on, with the typed values and the messages.

pub mod adverse_events;
pub mod agreements;
pub mod case_labels;
pub mod cases;
pub mod consent;
pub mod exceptions;
pub mod exposure;
pub mod facilities;
pub mod figures;
pub mod finance;
pub mod gate;
pub mod home;
pub mod inbox;
pub mod ledger;
pub mod login;
pub mod notices;
pub mod onboarding;
pub mod orgs;
pub mod partnerships;
pub mod plans;
pub mod programs;
pub mod readiness;
pub mod registry;
pub mod safety;
pub mod site_maps;
pub mod site_work;
pub mod sites;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::errors::WebError;
use crate::session::Ctx;
use axum::response::{IntoResponse, Redirect, Response};
use cellpath_app::views::Page;
use cellpath_domain::OrgKind;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;

/// `?notice=` after a redirect (see `layout::notice`).
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A list's `?offset=`: anything but a whole number from 0 is the first page.
pub fn offset_of(text: Option<&str>) -> i64 {
    text.and_then(|t| t.trim().parse::<i64>().ok())
        .filter(|o| *o >= 0)
        .unwrap_or(0)
}

/// After a successful POST: 303 to the page to show (so a reload does not post again).
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// After a successful POST: back to a page with a confirmation. The `#notice` fragment matters
/// because forms post to `…#their-panel` (so a form shown again with errors scrolls into view),
/// and a redirect without a fragment would inherit that one.
pub fn notice_redirect(path: &str, notice: &str) -> Response {
    see_other(&format!("{path}?notice={notice}#notice"))
}

/// The most rows a list shows; more would need paging, which the lists do not need yet.
pub const LIST_LIMIT: i64 = Page::MAX_LIMIT;

pub fn list_page() -> Page {
    Page::first(LIST_LIMIT)
}

/// Shown under a list that hit [`LIST_LIMIT`], so a long list is never silently cut.
pub fn list_cut(len: usize) -> Markup {
    html! {
        @if len as i64 >= LIST_LIMIT {
            p.hint { "Showing the first " (LIST_LIMIT) " rows." }
        }
    }
}

/// A definition list of facts about a record.
pub fn facts(rows: &[(&str, Markup)]) -> Markup {
    html! {
        dl.facts {
            @for (term, value) in rows {
                div { dt { (term) } dd { (value) } }
            }
        }
    }
}

/// Names of the organizations a page may mention: the caller's own and its partners', and, for
/// a manufacturer, the operator's directory of health systems (any of which it may propose a
/// partnership to, so their names are not secret to it).
pub struct OrgNames(HashMap<String, (String, OrgKind)>);

impl OrgNames {
    pub async fn load(ctx: &Ctx) -> Result<OrgNames, WebError> {
        let mut names = HashMap::new();
        for o in ctx.app.organizations(ctx.caller(), Page::all()).await? {
            names.insert(o.id, (o.name, o.kind));
        }
        if ctx.org_kind() == OrgKind::Manufacturer {
            for o in health_systems(ctx).await? {
                names.entry(o.id).or_insert((o.name, o.kind));
            }
        }
        Ok(OrgNames(names))
    }

    /// The organization's name, or its id when the caller may no longer see it (e.g. the other
    /// party of an ended partnership).
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.0.get(id).map(|(n, _)| n.as_str()).unwrap_or(id)
    }
}

/// The directory of health systems a manufacturer may propose a partnership to.
pub async fn health_systems(ctx: &Ctx) -> Result<Vec<cellpath_app::views::Organization>, WebError> {
    Ok(ctx.app.health_system_directory(ctx.caller()).await?)
}

/// The notice after saving: "saved", or "unchanged" when the form changed nothing (the app
/// returns the record at the same version).
pub fn saved_notice(before: i64, after: i64) -> &'static str {
    if after == before {
        "unchanged"
    } else {
        "saved"
    }
}
