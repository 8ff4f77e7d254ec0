//! The chrome around every page: the header with who is signed in (name, role, organization),
//! the role-aware navigation, notices after a successful action, and the HTML document itself.
//! What the navigation offers follows the access policy, so nobody is shown a page that would
//! only answer 403.

use crate::labels;
use crate::paths;
use crate::session::Ctx;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{OrgKind, Role};
use maud::{DOCTYPE, Markup, html};
use std::sync::{Arc, Mutex};

/// A section of the product, to mark where the person is in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Inbox,
    Notices,
    Organization,
    Sites,
    Facilities,
    Users,
    Partnerships,
    SafetyReports,
    ReleaseExceptions,
    Onboarding,
    Figures,
    Finance,
    Exposure,
    Programs,
    Planner,
    Audit,
    Tokens,
    Webhooks,
    Other,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub section: Section,
    pub label: &'static str,
    pub href: String,
    /// Stable id for tests and for the skip-link reader.
    pub id: &'static str,
    /// A number beside the label (the inbox's items).
    pub count: Option<i64>,
}

/// What the header and navigation need, kept apart from [`Ctx`] so error pages rendered after
/// a handler can show the same chrome.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user_name: String,
    pub user_id: String,
    pub role: Role,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub current: Section,
    /// The time zone the pages show times in.
    pub zone: String,
}

impl Chrome {
    pub fn for_ctx(ctx: &Ctx) -> Chrome {
        let org = &ctx.org.id;
        let mut nav = vec![
            item(Section::Home, "Home", "/".into(), "nav-home"),
            NavItem {
                count: ctx.inbox_count,
                ..item(Section::Inbox, "Inbox", paths::inbox(), "nav-inbox")
            },
            item(
                Section::Notices,
                "Notices",
                "/notices".into(),
                "nav-notices",
            ),
            item(
                Section::Organization,
                "Organization",
                paths::org(org),
                "nav-org",
            ),
        ];
        if ctx.is_health_system() {
            nav.push(item(
                Section::Sites,
                "Sites",
                paths::org_sites(org),
                "nav-sites",
            ));
            nav.push(item(
                Section::Facilities,
                "Facilities",
                paths::org_facilities(org),
                "nav-facilities",
            ));
        }
        nav.push(item(
            Section::Users,
            "Users",
            paths::org_users(org),
            "nav-users",
        ));
        nav.push(item(
            Section::Programs,
            "Programs",
            "/programs".into(),
            "nav-programs",
        ));
        nav.push(item(
            Section::Partnerships,
            "Partnerships",
            "/partnerships".into(),
            "nav-partnerships",
        ));
        // A manufacturer's safety and quality read the safety reports of its partnerships'
        // cases (the policy's `safety_report party.active read`).
        if !ctx.is_health_system()
            && ctx.may(
                Action::Read,
                ResourceKind::SafetyReport,
                Relation::Party(cellpath_domain::PartnershipStatus::Active),
            )
        {
            nav.push(item(
                Section::SafetyReports,
                "Safety reports",
                "/safety-reports".into(),
                "nav-safety-reports",
            ));
        }
        // Every role of either side reads its partnerships' contracting (the policy's
        // `contract party read`).
        nav.push(item(
            Section::Onboarding,
            "Onboarding",
            "/onboarding".into(),
            "nav-onboarding",
        ));
        // Every role of either side sees the release exceptions of the cases whose patients it
        // may see, and their SLA record (the app cuts them).
        nav.push(item(
            Section::ReleaseExceptions,
            "Release exceptions",
            "/release-exceptions".into(),
            "nav-release-exceptions",
        ));
        // Every role of either side with a partnership sees the figures of the cases whose
        // patients it may see (the app cuts them); with none, the page says so.
        nav.push(item(
            Section::Figures,
            "Figures",
            "/figures".into(),
            "nav-figures",
        ));
        // Each side's money roles read their partnerships' payment terms and invoices (the
        // policy's `payment party.active read`); a health system's also get the what-if.
        if crate::pages::finance::reads_money(ctx) {
            nav.push(item(
                Section::Finance,
                "Finance",
                paths::finance(),
                "nav-finance",
            ));
        }
        // A health system's exposure now: its admins and finance people (the policy's
        // `claim own read`).
        if ctx.is_health_system() && ctx.may(Action::Read, ResourceKind::Claim, Relation::OwnOrg) {
            nav.push(item(
                Section::Exposure,
                "Exposure",
                "/exposure".into(),
                "nav-exposure",
            ));
        }
        // The planner reads only the file it is given: every signed-in person may use it.
        nav.push(item(
            Section::Planner,
            "Planner",
            "/plans".into(),
            "nav-planner",
        ));
        if ctx.may(Action::Read, ResourceKind::Ledger, Relation::OwnOrg) {
            nav.push(item(
                Section::Audit,
                "Audit trail",
                paths::ledger(org),
                "nav-audit",
            ));
        }
        nav.push(item(
            Section::Tokens,
            "API tokens",
            "/tokens".into(),
            "nav-tokens",
        ));
        if ctx.may(
            Action::Read,
            ResourceKind::WebhookEndpoint,
            Relation::OwnOrg,
        ) {
            nav.push(item(
                Section::Webhooks,
                "Webhooks",
                "/webhooks".into(),
                "nav-webhooks",
            ));
        }
        Chrome {
            user_name: ctx.session.user.name.clone(),
            user_id: ctx.session.user.id.clone(),
            role: ctx.session.user.role,
            org_name: ctx.org.name.clone(),
            org_kind: ctx.org.kind,
            csrf: ctx.csrf().to_string(),
            nav,
            current: section_for(&ctx.path, org),
            zone: ctx.zone.name().to_string(),
        }
    }
}

fn item(section: Section, label: &'static str, href: String, id: &'static str) -> NavItem {
    NavItem {
        section,
        label,
        href,
        id,
        count: None,
    }
}

/// Which section a path belongs to (record pages belong to their list's section).
pub fn section_for(path: &str, own_org: &str) -> Section {
    let own = paths::org(own_org);
    if path == "/" {
        Section::Home
    } else if path == paths::inbox() {
        Section::Inbox
    } else if path == "/notices" {
        Section::Notices
    } else if path.starts_with("/programs") || path.starts_with("/maps/") {
        // Before the suffix rules: a step key may be any word, e.g. `…/steps/sites`.
        Section::Programs
    } else if path == "/onboarding"
        || (path.starts_with("/partnerships/") && path.ends_with("/plan"))
    {
        Section::Onboarding
    } else if path.starts_with("/safety-reports") {
        Section::SafetyReports
    } else if path.starts_with("/release-exceptions") || path.starts_with("/exception-protocols/") {
        Section::ReleaseExceptions
    } else if path == "/figures" || path.starts_with("/figures/") {
        Section::Figures
    } else if path == "/finance"
        || path.starts_with("/finance/")
        || (path.starts_with("/partnerships/")
            && (path.ends_with("/payment-terms")
                || path.ends_with("/invoices")
                || path.ends_with("/settlements")))
    {
        Section::Finance
    } else if path == "/exposure" {
        Section::Exposure
    } else if path.starts_with("/site-maps/") || path.starts_with("/agreements/") {
        // Before the suffix rules, like maps: a step key may be any word.
        Section::Partnerships
    } else if path.starts_with("/sites/") || path.ends_with("/sites") {
        Section::Sites
    } else if path.starts_with("/facilities/") || path.ends_with("/facilities") {
        Section::Facilities
    } else if path.starts_with("/users/") || path.ends_with("/users") {
        Section::Users
    } else if path.starts_with("/partnerships") {
        Section::Partnerships
    } else if path == paths::ledger(own_org)
        || path.starts_with(&format!("{}/", paths::ledger(own_org)))
    {
        Section::Audit
    } else if path.starts_with("/ledgers/") {
        Section::Partnerships
    } else if path == "/plans" || path.starts_with("/plans/") {
        Section::Planner
    } else if path.starts_with("/tokens") {
        Section::Tokens
    } else if path == "/webhooks" || path.starts_with("/webhooks/") {
        Section::Webhooks
    } else if path == own || path.starts_with("/orgs/") {
        Section::Organization
    } else {
        Section::Other
    }
}

/// Where error pages find the chrome of the signed-in person: the response middleware puts an
/// empty slot in the request, the [`Ctx`] extractor fills it.
#[derive(Clone, Default)]
pub struct ChromeSlot(Arc<Mutex<Option<Chrome>>>);

impl ChromeSlot {
    pub fn fill(&self, chrome: Chrome) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(chrome);
        }
    }
    pub fn take(&self) -> Option<Chrome> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// A whole HTML document. With chrome: header, navigation, content. Without (sign-in, or an
/// error before anyone is known): the content alone, centred.
pub fn document(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    document_with(title, chrome, None, content)
}

/// A whole HTML document that links one more stylesheet after the common one (the label
/// page's print sheet).
pub fn document_with(
    title: &str,
    chrome: Option<&Chrome>,
    stylesheet: Option<&str>,
    content: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · cellpath" }
                link rel="stylesheet" href=(crate::assets::stylesheet_href());
                @if let Some(href) = stylesheet { link rel="stylesheet" href=(href); }
            }
            @match chrome {
                Some(chrome) => body.app {
                    a.skip-link href="#main" { "Skip to content" }
                    (header(chrome))
                    div.shell {
                        (navigation(chrome))
                        main #main { (content) }
                    }
                    footer.page-footer { "cellpath · times are shown in " (chrome.zone) "; hover over one for UTC" }
                },
                None => body.bare {
                    main #main.bare-main {
                        p.brand-large { span.brand-mark { "◆" } " cellpath" }
                        (content)
                    }
                },
            }
        }
    }
}

fn header(chrome: &Chrome) -> Markup {
    html! {
        header.topbar {
            a.brand href="/" { span.brand-mark aria-hidden="true" { "◆" } " cellpath" }
            div.whoami #whoami {
                a.user-name href={ (paths::user(&chrome.user_id)) } { (chrome.user_name) }
                (labels::role_badge(chrome.role.as_str()))
                span.org-name { (chrome.org_name) }
                (labels::org_kind_badge(chrome.org_kind))
            }
        }
    }
}

fn navigation(chrome: &Chrome) -> Markup {
    html! {
        nav.sidebar aria-label="Main" {
            ul {
                @for item in &chrome.nav {
                    @let current = item.section == chrome.current;
                    li {
                        a #(item.id) href=(item.href) class=[current.then_some("current")]
                            aria-current=[current.then_some("page")] {
                            (item.label)
                            @if let Some(n) = item.count.filter(|n| *n > 0) {
                                " " span.nav-count #(format!("{}-count", item.id)) aria-label={ (n) " waiting" } { (n) }
                            }
                        }
                    }
                }
            }
            form.sign-out method="post" action="/logout" {
                (crate::forms::csrf_field(&chrome.csrf))
                button #sign-out.link-button type="submit" { "Sign out" }
            }
        }
    }
}

/// A confirmation after a redirect (`?notice=saved`): fixed texts, so nothing from the URL is
/// ever echoed into the page.
pub fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("created") => "Created.",
        Some("saved") => "Saved.",
        Some("unchanged") => "Nothing changed.",
        Some("revoked") => "The token is revoked; it no longer works.",
        Some("signed") => "Your signature is recorded on the ledger.",
        Some("acknowledged") => "Your acknowledgement is recorded: the escalation stops.",
        Some("patient_told") => "That the patient was told is recorded.",
        Some("decided") => "The decision is recorded.",
        Some("prerequisite_recorded") => "The prerequisite is recorded.",
        Some("password_changed") => "Your password was changed. Sign in with the new one.",
        Some("password_reset") => "The password was reset; every session of this user has ended.",
        Some("signed_out") => "You are signed out.",
        Some("accepted") => "The partnership is active.",
        Some("ended") => "The partnership has ended.",
        Some("declined") => "You declined the proposal; the manufacturer sees that you did.",
        _ => return html! {},
    };
    html! { div.notice #notice role="status" { (text) } }
}

/// A complete HTML response.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

impl Ctx {
    /// A page with the chrome, 200 OK.
    pub fn render(&self, title: &str, content: Markup) -> Response {
        self.render_status(StatusCode::OK, title, content)
    }
    /// A page with the chrome and another status (e.g. 422 when a form comes back).
    pub fn render_status(&self, status: StatusCode, title: &str, content: Markup) -> Response {
        html_response(status, document(title, Some(&self.chrome()), content))
    }
    /// A page with the chrome and one more stylesheet, 200 OK.
    pub fn render_with(&self, title: &str, stylesheet: &str, content: Markup) -> Response {
        html_response(
            StatusCode::OK,
            document_with(title, Some(&self.chrome()), Some(stylesheet), content),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_pages_belong_to_their_lists_section() {
        assert_eq!(section_for("/", "org_a"), Section::Home);
        assert_eq!(section_for("/sites/site_x", "org_a"), Section::Sites);
        assert_eq!(section_for("/orgs/org_a/sites", "org_a"), Section::Sites);
        assert_eq!(section_for("/orgs/org_a", "org_a"), Section::Organization);
        assert_eq!(section_for("/ledgers/org_a", "org_a"), Section::Audit);
        assert_eq!(section_for("/ledgers/org_a/sign", "org_a"), Section::Audit);
        assert_eq!(
            section_for("/ledgers/pship_x", "org_a"),
            Section::Partnerships
        );
        assert_eq!(section_for("/tokens", "org_a"), Section::Tokens);
        assert_eq!(section_for("/programs/prog_x", "org_a"), Section::Programs);
        assert_eq!(
            section_for("/maps/map_x/steps/thaw", "org_a"),
            Section::Programs
        );
        assert_eq!(
            section_for("/site-maps/smv_x/steps/sites", "org_a"),
            Section::Partnerships
        );
        assert_eq!(
            section_for("/agreements/agr_x/joinders", "org_a"),
            Section::Partnerships
        );
    }

    #[test]
    fn unknown_notices_show_nothing() {
        assert_eq!(notice(Some("<script>")).into_string(), "");
        assert!(notice(Some("saved")).into_string().contains("Saved."));
    }
}
