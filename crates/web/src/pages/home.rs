//! The home page: where a person lands after signing in. It says which organization they act
//! for and in which role, what that role may do (read from the access policy, not written
//! by hand), and counts what exists: sites, facilities, users and partnerships by status,
//! with the partnerships that wait for someone, and the newest notices (expiry reminders,
//! authorizations).

use super::{NoticeQuery, OrgNames};
use crate::errors::WebError;
use crate::labels;
use crate::layout::notice;
use crate::paths;
use crate::session::Ctx;
use axum::extract::Query;
use axum::response::Response;
use cellpath_app::views::{Page, Partnership};
use cellpath_domain::policy::{Action, Relation, ResourceKind};
use cellpath_domain::{FacilityKind, PartnershipStatus};
use maud::{Markup, html};

pub async fn show(ctx: Ctx, Query(q): Query<NoticeQuery>) -> Result<Response, WebError> {
    let (app, caller, org_id) = (&ctx.app, ctx.caller(), ctx.org.id.as_str());
    let hs = ctx.is_health_system();
    let users = app.users(caller, org_id, Page::all()).await?;
    let partnerships = app.partnerships(caller, org_id, Page::all()).await?;
    let (sites, facilities) = if hs {
        (
            app.sites(caller, org_id, Page::all()).await?,
            app.facilities(caller, org_id, Page::all()).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let names = OrgNames::load(&ctx).await?;
    let notices = super::notices::home_section(&ctx).await?;
    let count =
        |status: PartnershipStatus| partnerships.iter().filter(|p| p.status == status).count();
    let waiting: Vec<&Partnership> = partnerships
        .iter()
        .filter(|p| p.status == PartnershipStatus::Proposed)
        .collect();
    let org = &ctx.org;

    let content = html! {
        header.page-head {
            h1 { (org.name) }
            p.subtitle {
                (labels::org_kind_badge(org.kind))
                span { "You are signed in as " strong { (ctx.session.user.name) } }
                (labels::role_badge(ctx.session.user.role.as_str()))
            }
        }
        (notice(q.notice.as_deref()))
        section.cards #summary {
            @if hs {
                a.card #card-sites href={ (paths::org_sites(&org.id)) } {
                    span.card-count { (sites.len()) }
                    span.card-label { "Sites" }
                    span.card-detail { (sites.iter().filter(|s| s.active).count()) " active" }
                }
                a.card #card-facilities href={ (paths::org_facilities(&org.id)) } {
                    span.card-count { (facilities.len()) }
                    span.card-label { "Facilities" }
                    span.card-detail {
                        @for (i, kind) in FacilityKind::ALL.iter().enumerate() {
                            @if i > 0 { " · " }
                            (facilities.iter().filter(|f| f.kind == *kind).count()) " " (kind)
                        }
                    }
                }
            }
            a.card #card-users href={ (paths::org_users(&org.id)) } {
                span.card-count { (users.len()) }
                span.card-label { "Users" }
                span.card-detail { (users.iter().filter(|u| u.active).count()) " active" }
            }
            a.card #card-partnerships href="/partnerships" {
                span.card-count { (partnerships.len()) }
                span.card-label { "Partnerships" }
                span.card-detail {
                    (count(PartnershipStatus::Active)) " active · " (count(PartnershipStatus::Proposed)) " proposed · " (count(PartnershipStatus::Ended)) " ended"
                }
            }
            a.card #card-figures href=(paths::figures()) {
                span.card-count { "↔" }
                span.card-label { "Vein-to-vein figures" }
                span.card-detail { "collection → infusion, each stage, the waitlist" }
            }
        }
        @if !waiting.is_empty() {
            section.panel #waiting {
                h2 {
                    @if hs { "Proposals waiting for your health system" }
                    @else { "Proposals waiting for the health system" }
                }
                ul.plain {
                    @for p in &waiting {
                        li {
                            a href={ (paths::partnership(&p.id)) } { (p.name) }
                            " — "
                            @if hs { "from " (names.name(&p.manufacturer_id)) }
                            @else { "to " (names.name(&p.health_system_id)) }
                            ", proposed " (crate::time::time_el(p.created_at))
                        }
                    }
                }
            }
        }
        (notices)
        section.panel #role {
            h2 { "What your role may do" }
            p { "As " (labels::role(ctx.session.user.role.as_str())) " of " (org.name) ", you may:" }
            ul.abilities {
                @for a in abilities(&ctx) { li { (a) } }
            }
            p.hint { "Other changes are made by people in other roles; an admin of your organization can change your role." }
        }
    };
    Ok(ctx.render("Home", content))
}

/// What the caller's role may do, asked of the access policy itself, so this list cannot drift
/// from what the app enforces.
fn abilities(ctx: &Ctx) -> Vec<Markup> {
    use Action::*;
    use Relation::{OwnOrg, Party, SelfOwned};
    use ResourceKind as K;
    // What the role may do in an active partnership (a proposal is only accepted or ended).
    let party = Party(cellpath_domain::PartnershipStatus::Active);
    let hs = ctx.is_health_system();
    let mut out = vec![if hs {
        html! { "see your organization, its sites, facilities and users, and your partnerships" }
    } else {
        html! { "see your organization, its users, and your partnerships with health systems" }
    }];
    if ctx.may(Update, K::Organization, OwnOrg) {
        out.push(html! { "rename your organization" });
    }
    if hs && ctx.may(Create, K::Site, OwnOrg) {
        out.push(html! { "add and change sites and facilities" });
    }
    if ctx.may(Create, K::User, OwnOrg) {
        out.push(
            html! { "add users, change their roles, deactivate them and reset their passwords" },
        );
    }
    if !hs && ctx.may(Create, K::Partnership, party) {
        out.push(html! { "propose partnerships to health systems" });
    }
    if ctx.may(Update, K::Partnership, party) {
        out.push(if hs {
            html! { "accept proposed partnerships, and end partnerships" }
        } else {
            html! { "end partnerships" }
        });
    }
    if !hs && ctx.may(Create, K::Program, OwnOrg) {
        out.push(html! { "create programs, edit and publish their process maps and contracting track templates" });
    }
    if ctx.may(Update, K::SiteMap, party) {
        out.push(if hs {
            html! { "refine each site's version of a process map, propose changes to controlled steps, and sign it" }
        } else {
            html! { "accept or reject a site's proposed changes to controlled steps, and sign site maps" }
        });
    }
    if ctx.may(Create, K::Readiness, party) {
        out.push(html! { "record site visits, run gap analysis, and close gaps with evidence and your signature" });
    }
    if ctx.may(Create, K::Contract, party) {
        out.push(html! { "start and negotiate agreements with your partners: status, dates, documents, amendments, joinders" });
    }
    if ctx.may(Create, K::Deliverable, party) {
        out.push(html! { "record the gate deliverables your side did, signed, and revoke one that no longer holds" });
    }
    let own_ledger = ctx.may(Read, K::Ledger, OwnOrg);
    let party_ledger = ctx.may(Read, K::Ledger, party);
    if own_ledger {
        out.push(html! { "read and verify your organization's audit trail" });
    }
    if party_ledger {
        out.push(html! { "read and verify the audit trails of your partnerships" });
    }
    if (own_ledger || party_ledger) && ctx.may(Sign, K::Ledger, OwnOrg) {
        out.push(html! { "e-sign events on those audit trails, with your password" });
    }
    if ctx.may(Create, K::ApiToken, SelfOwned) {
        out.push(html! { "create personal API tokens for scripts (a token never signs)" });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::testing::{Browser, seeded};

    /// The list of what the signed-in role may do, from the home page.
    fn abilities(body: &str) -> String {
        let at = body
            .find(r#"class="abilities""#)
            .unwrap_or_else(|| panic!("a list of abilities: {body}"));
        body[at..]
            .split("</ul>")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[tokio::test]
    async fn the_home_page_says_what_each_role_may_do_as_the_policy_does() {
        let demo = seeded().await;
        let mut contracts = Browser::signed_in(&demo, "contracts@lakeshore.example").await;
        let list = abilities(&contracts.get("/").await.body);
        assert!(list.contains("start and negotiate agreements"), "{list}");
        assert!(list.contains("record the gate deliverables"), "{list}");
        assert!(!list.contains("record site visits"), "{list}");

        let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
        let list = abilities(&nurse.get("/").await.body);
        assert!(!list.contains("agreements"), "{list}");
        assert!(!list.contains("gate deliverables"), "{list}");

        let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
        let list = abilities(&quality.get("/").await.body);
        assert!(list.contains("create programs"), "{list}");
        assert!(list.contains("record site visits"), "{list}");
        assert!(list.contains("record the gate deliverables"), "{list}");
        assert!(!list.contains("start and negotiate agreements"), "{list}");
    }
}
