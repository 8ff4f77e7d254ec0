//! No dead links (issue 10, point 8): every demo role walks every page it can reach from the
//! navigation through the router, following each `<a href>` on each page, and no link answers
//! 4xx or 5xx. The demo's partnerships are there in every status: Helixa × Cascade proposed,
//! Northbridge × Cascade declined and Helixa × Piedmont ended (both made here, not in the
//! seed), the rest active. A link a role cannot follow is not shown to that role.
//!
//! Pages of one shape (the same route with other ids, e.g. each of 34 cases) are many; each
//! role reads at most [`PER_SHAPE`] of a shape in full, and checks the status of every other
//! link it finds to one, so the walk stays well under a minute on two cores.

use crate::testing::{Browser, Demo, seeded};
use cellpath_app::Caller;
use cellpath_app::access::Via;
use cellpath_app::records::partnerships::{PartnershipDecline, PartnershipInput, PartnershipPatch};
use cellpath_app::views::Page;
use cellpath_domain::{OrgKind, Role};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Pages of one shape read in full per role; further links to that shape are only checked.
const PER_SHAPE: usize = 2;

/// The internal links of a page: each `<a … href="/…">`, without its fragment.
fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<a ") {
        rest = &rest[start + 3..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(h) = tag.find("href=\"") {
            let value = &tag[h + 6..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            let value = value.split('#').next().unwrap_or("").replace("&amp;", "&");
            if value.starts_with('/') && !value.starts_with("//") {
                out.push(value);
            }
        }
    }
    out
}

/// The route a path is an instance of: segments holding an id (`pship_…`, digits) as `{}`.
fn shape(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut s: Vec<&str> = path
        .split('/')
        .map(|seg| {
            if seg.contains('_') && seg.chars().any(|c| c.is_ascii_digit())
                || (!seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()))
            {
                "{}"
            } else {
                seg
            }
        })
        .collect();
    if !query.is_empty() {
        s.push("?");
    }
    s.join("/")
}

/// What one role's walk found.
struct Walk {
    /// The pages read in full.
    read: BTreeSet<String>,
    pages: usize,
    checked: usize,
    dead: Vec<String>,
}

async fn walk(demo: &Demo, email: &str) -> Walk {
    let mut b = Browser::signed_in(demo, email).await;
    let mut queue: VecDeque<(String, String)> =
        VecDeque::from([("/".to_string(), "(start)".to_string())]);
    let mut seen: BTreeSet<String> = BTreeSet::from(["/".to_string()]);
    let mut read_of_shape: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Walk {
        read: BTreeSet::new(),
        pages: 0,
        checked: 0,
        dead: Vec::new(),
    };
    while let Some((path, from)) = queue.pop_front() {
        let (status, media, bytes) = b.download(&path).await;
        out.checked += 1;
        if status.is_client_error() || status.is_server_error() {
            out.dead.push(format!(
                "{email}: {path} answers {status} (linked from {from})"
            ));
            continue;
        }
        let shape_read = read_of_shape.entry(shape(&path)).or_default();
        if !media.starts_with("text/html") || *shape_read >= PER_SHAPE {
            continue;
        }
        *shape_read += 1;
        out.pages += 1;
        out.read.insert(path.clone());
        let body = String::from_utf8_lossy(&bytes);
        for link in links(&body) {
            // Signing out ends the walk's session: it is a form, never a link, but be sure.
            if link.starts_with("/logout") || link.starts_with("/sign-out") {
                continue;
            }
            if seen.insert(link.clone()) {
                queue.push_back((link, path.clone()));
            }
        }
    }
    out
}

/// The demo with a declined proposal (Northbridge × Cascade) and an ended partnership
/// (Helixa × Piedmont, accepted, then ended) beside the seed's proposal and active ones.
/// Returns the declined and the ended partnership's ids.
async fn every_status(demo: &Demo) -> [String; 2] {
    let app = &demo.app;
    let caller = |email: &'static str| async move {
        let user = app
            .store()
            .user_by_email(email)
            .await
            .expect("query")
            .expect("a demo user");
        app.caller_for_user(&user.id, Via::Session)
            .await
            .expect("a caller")
    };
    let cascade = demo.org("Cascade Regional Medical").await.id;
    let piedmont = demo.org("Piedmont Valley Health").await.id;
    let propose = |by: Caller, to: String, name: &'static str, program: &'static str| async move {
        let input = PartnershipInput {
            health_system_id: to,
            name: name.into(),
            programs: vec![program.into()],
            manufacturer_id: None,
        };
        app.create_partnership(&by, input, None)
            .await
            .and_then(|o| o.fresh())
            .expect("proposed")
    };
    let northbridge = caller("contracts@northbridge.example").await;
    let declined = propose(
        northbridge,
        cascade,
        "Northbridge × Cascade: Corvigen",
        "Corvigen",
    )
    .await;
    app.decline_partnership(
        &caller("contracts@cascade.example").await,
        &declined.id,
        declined.version,
        PartnershipDecline {
            reason: Some("Not this year".into()),
        },
        None,
    )
    .await
    .expect("declined");
    let helixa = caller("contracts@helixa.example").await;
    let ended = propose(
        helixa.clone(),
        piedmont,
        "Helixa × Piedmont: Vantacel",
        "Vantacel",
    )
    .await;
    let status = |status: &str| PartnershipPatch {
        status: Some(status.into()),
        ..Default::default()
    };
    let accepted = app
        .update_partnership(
            &caller("contracts@piedmont.example").await,
            &ended.id,
            ended.version,
            status("active"),
            None,
        )
        .await
        .and_then(|o| o.fresh())
        .expect("accepted");
    app.update_partnership(&helixa, &ended.id, accepted.version, status("ended"), None)
        .await
        .expect("ended");
    [declined.id, ended.id]
}

#[tokio::test]
async fn no_link_on_any_page_answers_an_error_for_any_demo_role() {
    let demo = seeded().await;
    let [declined, ended] = every_status(&demo).await;
    let proposed = demo
        .partnership("Helixa Therapeutics", "Cascade Regional Medical")
        .await
        .id;
    // Each role of each organization of the demo, once: one health system walks every role,
    // the others their admins and contracts people (who see their proposals, the declined
    // and the ended partnership).
    let mut emails: Vec<(String, Role, String)> = Vec::new();
    for org in demo
        .app
        .store()
        .organizations(Page::all())
        .await
        .expect("query")
    {
        let every_role = org.kind == OrgKind::Manufacturer || org.name.starts_with("Lakeshore");
        for u in demo
            .app
            .store()
            .users_of(&org.id, Page::all())
            .await
            .expect("query")
        {
            let walks = u.active && (every_role || matches!(u.role, Role::Admin | Role::Contracts));
            if walks && !emails.iter().any(|(o, r, _)| *o == org.id && *r == u.role) {
                emails.push((org.id.clone(), u.role, u.email));
            }
        }
    }
    assert!(emails.len() >= 25, "only {} roles walk", emails.len());
    let mut dead = Vec::new();
    let (mut pages, mut checked) = (0, 0);
    let mut read = BTreeSet::new();
    for (_, _, email) in &emails {
        let w = walk(&demo, email).await;
        assert!(w.pages >= 5, "{email} reached only {} pages", w.pages);
        pages += w.pages;
        checked += w.checked;
        dead.extend(w.dead);
        read.extend(w.read);
    }
    // The partnership in each status was reached from the navigation and read.
    for id in [&proposed, &declined, &ended] {
        assert!(
            read.contains(&format!("/partnerships/{id}")),
            "{id} was not reached"
        );
    }
    eprintln!(
        "{} roles read {pages} pages and checked {checked} links",
        emails.len()
    );
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[tokio::test]
async fn an_ended_partnerships_gate_links_the_consent_documents_only_for_the_health_system() {
    let demo = seeded().await;
    let [_, ended] = every_status(&demo).await;
    let mut helixa = Browser::signed_in(&demo, "onboarding@helixa.example").await;
    let mut piedmont = Browser::signed_in(&demo, "contracts@piedmont.example").await;
    let page = helixa.get(&format!("/partnerships/{ended}")).await;
    let prefix = format!("href=\"/partnerships/{ended}/sites/");
    let gates: Vec<String> = page
        .body
        .match_indices(&prefix)
        .filter_map(|(at, _)| {
            let link = &page.body[at + 6..];
            let link = &link[..link.find('"')?];
            link.contains("/gate?").then(|| link.replace("&amp;", "&"))
        })
        .collect();
    assert!(
        !gates.is_empty(),
        "the ended partnership's gates are linked"
    );
    for gate in &gates {
        let theirs = helixa.get(gate).await;
        assert_eq!(theirs.status, axum::http::StatusCode::OK, "{gate}");
        assert!(
            !theirs.body.contains("/consent-documents"),
            "{gate}: the manufacturer no longer opens the hospital's consent forms"
        );
        let own = piedmont.get(gate).await;
        assert_eq!(own.status, axum::http::StatusCode::OK, "{gate}");
        assert!(own.body.contains("/consent-documents"), "{gate}");
    }
}
