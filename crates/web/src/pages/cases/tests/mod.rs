//! The case pages as people use them: opening a case, each step's form by the role that does
//! it (a valid post recorded, a bad one answered beside its field, a role that may not do it
//! sees no form and a forged post is refused), the actions beside the steps and hold/cancel.
//! One module per concern; the helpers they share are here.

mod actions;
mod adverse_events;
mod booking;
mod money;
mod opening;
mod signed;
mod steps;

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

const NAME: &str = "Ines Abernathy-Kowalczyk";
const MRN: &str = "LUH-40021877";

/// The option of the open-case form for Vantacel.
fn vantacel_option(page: &str) -> String {
    let at = page.find("Vantacel (").expect("Vantacel is offered");
    let start = page[..at].rfind("value=\"").expect("its value") + 7;
    let end = start + page[start..].find('"').expect("the value ends");
    page[start..end].to_string()
}

/// The site's cases whose step `key` may be done now, as the coordinator's list and pages show.
async fn cases_at(browser: &mut Browser<'_>, site_id: &str, key: &str) -> Vec<String> {
    let list = browser.get(&crate::paths::site_cases(site_id)).await;
    let mut found = Vec::new();
    for part in list.body.split(r#"href="/cases/"#).skip(1) {
        let id = part.split('"').next().expect("a link").to_string();
        let page = crate::paths::case(&id);
        let shown = browser.get(&page).await;
        if shown
            .body
            .contains(&format!(r#"data-step="{key}" data-progress="current""#))
        {
            found.push(page);
        }
    }
    found
}

/// The demo's case stored in the cell lab: its id and its page.
pub(super) async fn stored_case_page(demo: &crate::testing::Demo) -> (String, String) {
    let site = demo.site("LUH-MAIN").await;
    let case = demo
        .app
        .stored_case(&site.id)
        .await
        .unwrap()
        .expect("the demo's stored case");
    let page = crate::paths::case(&case);
    (case, page)
}

/// The bag's lot number scanned at the CD4 bedside check.
async fn scan(nurse: &mut Browser<'_>, page: &str, text: &str) -> crate::testing::Answer {
    let fields = [
        ("form", "step-dual_verification_cd4"),
        ("command", "verify"),
        ("step", "dual_verification_cd4"),
        ("scan_kind", "lot_number"),
        ("scan", text),
    ];
    let action = format!("{page}/actions");
    nurse
        .submit(page, "step-dual_verification_cd4", &action, &fields, None)
        .await
}

/// A form of the page posted twice: `bad` refused with a message beside `field` (422), then
/// `good` recorded (303); the message.
async fn refused_then_recorded(
    browser: &mut Browser<'_>,
    page: &str,
    form: &str,
    bad: &[(&str, &str)],
    field: &str,
    good: &[(&str, &str)],
) -> String {
    let action = format!("{page}/actions");
    let refused = browser.submit(page, form, &action, bad, None).await;
    assert_refused(&refused);
    let beside = refused
        .error_beside(field)
        .unwrap_or_else(|| panic!("no message beside {field}: {}", refused.body));
    let done = browser.submit(page, form, &action, good, None).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{form}: {}", done.body);
    beside
}

/// A form refused for a bad value (422), the page shown again.
#[track_caller]
fn assert_refused(answer: &crate::testing::Answer) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
}

/// A certificate of analysis as the quality lead uploads it.
const CERTIFICATE: &[u8] = b"%PDF-1.7\n% Certificate of analysis COA-77, released\n%%EOF\n";

/// A form's fields as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// The values of the checkboxes named `name` on a page.
fn values_of(body: &str, name: &str) -> Vec<String> {
    let marker = format!(r#"type="checkbox" name="{name}" value=""#);
    body.split(&marker)
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .expect("a value")
                .replace("&#39;", "'")
        })
        .collect()
}

fn has_form(page: &crate::testing::Answer, id: &str) -> bool {
    page.body.contains(&format!(r#"id="{id}""#))
}

fn is_done(page: &crate::testing::Answer, key: &str) -> bool {
    page.body
        .contains(&format!(r#"data-step="{key}" data-progress="done""#))
}

fn today_of(demo: &crate::testing::Demo) -> cellpath_domain::Date {
    cellpath_domain::Date::of_micros(demo.app.now())
}
