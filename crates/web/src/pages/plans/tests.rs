//! The planner page as a launch team uses it: the example planned, rows edited and planned,
//! a plan refused beside its field, the help's example checked.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

const CYCLIC: &str = r#"strategy = "dual_track"
seed = 7
sites = ["north"]

[[agreement]]
id = "quality"
scope = "site"
days = [20, 45, 90]
after = ["workflows"]

[[agreement]]
id = "workflows"
scope = "site"
days = [20, 40, 80]
after = ["quality"]
"#;

#[tokio::test]
async fn a_launch_team_plans_the_example_and_sees_what_dual_track_saves() {
    let demo = seeded().await;
    let mut lead = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;

    let page = lead.get_saved("/plans", Some("plans-form")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"id="nav-planner""#),
        "the navigation offers the planner"
    );
    assert!(page.body.contains("<textarea"), "{}", page.body);
    assert!(page.body.contains("id = &quot;msa&quot;") || page.body.contains("id = \"msa\""));
    assert!(
        !page.body.contains("<svg class=\"gantt-svg\""),
        "no chart before a run"
    );

    let plan = super::EXAMPLE_PLAN;
    let done = lead
        .submit(
            "/plans",
            "plan-form",
            "/plans",
            &[("plan", plan)],
            Some("plans"),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body.matches("<svg class=\"gantt-svg\"").count(), 2);
    assert!(done.body.contains(r#"class="gantt-bar critical""#));
    assert!(done.body.contains("Dual-track saves"), "{}", done.body);
    assert!(done.body.contains(" at P50 / "), "{}", done.body);
    assert!(done.body.contains(" at P90"), "{}", done.body);
    assert!(done.body.contains("Critical path"));
    assert!(done.body.contains(r#"data-site="north""#));
    assert!(!done.body.contains("style="), "no inline styles (CSP)");
}

#[tokio::test]
async fn a_cyclic_plan_comes_back_with_the_planners_message_beside_the_text() {
    let demo = seeded().await;
    let mut lead = Browser::signed_in(&demo, "quality@helixa.example").await;
    let back = lead
        .submit(
            "/plans",
            "plan-form",
            "/plans",
            &[("plan", CYCLIC)],
            Some("plans-cycle"),
        )
        .await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    let message = back
        .error_beside("plan")
        .expect("a message beside the plan");
    assert!(message.contains("cycle"), "{message}");
    assert!(message.contains("quality"), "{message}");
    assert!(
        back.body.contains("after = [&quot;workflows&quot;]")
            || back.body.contains("after = [\"workflows\"]"),
        "the typed text is kept"
    );
    assert!(!back.body.contains("<svg class=\"gantt-svg\""));

    let swapped = super::EXAMPLE_PLAN.replace("days = [30, 60, 120]", "days = [90, 60, 120]");
    let back = lead
        .submit("/plans", "plan-form", "/plans", &[("plan", &swapped)], None)
        .await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    let message = back
        .error_beside("plan")
        .expect("a message beside the plan");
    assert!(message.contains("msa"), "{message}");

    let broken = "strategy = \"dual_track\"\nseed = \n";
    let back = lead
        .submit("/plans", "plan-form", "/plans", &[("plan", broken)], None)
        .await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    let message = back
        .error_beside("plan")
        .expect("a message beside the plan");
    assert!(message.starts_with("line 2"), "{message}");
}

#[test]
fn the_helps_example_plans_and_the_help_says_what_the_file_accepts() {
    use cellpath_app::plans::Plan;
    let report = cellpath_app::plans::plan_contracting(super::HELP_EXAMPLE, 1)
        .expect("the help's example plans");
    assert_eq!(report.sites, ["north", "south"]);
    // What the help says is left out takes the defaults it names.
    let plan = Plan::from_toml(super::HELP_EXAMPLE).expect("reads");
    assert_eq!(plan.iterations, 10_000);
    assert_eq!(plan.capacity, 0);
    assert!(plan.entries[0].after.is_empty());
    // What it says is required is refused when missing; an unknown key is refused.
    for required in ["seed = 1\n", "strategy = \"dual_track\"\n"] {
        let without = super::HELP_EXAMPLE.replace(required, "");
        assert!(Plan::from_toml(&without).is_err(), "{without}");
    }
    let extra = format!("owner = \"legal\"\n{}", super::HELP_EXAMPLE);
    assert!(Plan::from_toml(&extra).is_err());
    // The page shows the very example that was checked.
    let help = super::explanation().into_string();
    assert!(help.contains("id=\"plan-example\""));
    assert!(help.contains("after = [&quot;msa&quot;]"), "{help}");
}

/// The value of the input named `name` (whatever its other attributes).
fn value(page: &crate::testing::Answer, name: &str) -> String {
    let at = page
        .body
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no field {name}: {}", page.body));
    let rest = &page.body[at..];
    let tag_end = rest.find('>').expect("the tag ends");
    let start = rest[..tag_end].find(r#"value=""#).expect("a value") + 7;
    rest[start..].split('"').next().expect("quote").to_string()
}

/// The rows form's fields for `rows`, each `(id, scope, after, min, likely, max)`.
fn row_fields(
    sites: &str,
    rows: &[(&str, &str, &str, &str, &str, &str)],
    op: &str,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("mode".into(), "rows".into()),
        ("rows".into(), rows.len().to_string()),
        ("sites".into(), sites.into()),
        ("seed".into(), "3".into()),
        ("iterations".into(), "2000".into()),
        ("capacity".into(), "0".into()),
        ("op".into(), op.into()),
    ];
    for (i, (id, scope, after, min, likely, max)) in rows.iter().enumerate() {
        for (column, value) in [
            ("id", id),
            ("scope", scope),
            ("after", after),
            ("min", min),
            ("likely", likely),
            ("max", max),
        ] {
            out.push((format!("item-{i}-{column}"), value.to_string()));
        }
    }
    out
}

async fn post_rows(
    lead: &mut Browser<'_>,
    sites: &str,
    rows: &[(&str, &str, &str, &str, &str, &str)],
    op: &str,
    snapshot: Option<&str>,
) -> crate::testing::Answer {
    let fields = row_fields(sites, rows, op);
    lead.submit(
        "/plans",
        "rows-form",
        "/plans",
        &crate::testing::borrowed(&fields),
        snapshot,
    )
    .await
}

#[tokio::test]
async fn a_launch_team_starts_from_its_programs_template_and_edits_the_items_in_rows() {
    let demo = seeded().await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let mut lead = Browser::signed_in(&demo, "onboarding@helixa.example").await;

    // The program page offers the planner with its template.
    let program = lead.get(&format!("/programs/{}", vantacel.id)).await;
    let link = crate::paths::planner_of_program(&vantacel.id);
    assert!(
        program.body.contains(&link.replace('&', "&amp;")),
        "{}",
        program.body
    );
    let page = lead.get_saved(&link, Some("plans-from-template")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"started-from\""), "{}", page.body);
    assert!(page.body.contains("the track template of Vantacel"));
    assert_eq!(value(&page, "sites"), "site-1, site-2, site-3");
    let first = value(&page, "item-0-id");
    assert!(!first.is_empty());
    assert!(value(&page, "item-0-likely").parse::<f64>().is_ok());
    // The same plan is in the TOML box.
    assert!(
        page.body.contains(&format!("id = &quot;{first}&quot;")),
        "{}",
        page.body
    );

    // Add a row: one more, empty, the others kept.
    let two = [
        ("msa", "health_system", "", "30", "60", "120"),
        ("quality", "site", "msa", "20", "45", "90"),
    ];
    let added = post_rows(&mut lead, "north, south", &two, "add", None).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("data-row=\"2\""), "{}", added.body);
    assert_eq!(value(&added, "item-1-id"), "quality");
    assert_eq!(value(&added, "sites"), "north, south");

    // Remove the first: the second moves up.
    let removed = post_rows(&mut lead, "north, south", &two, "remove-0", None).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(value(&removed, "item-0-id"), "quality");
    assert!(!removed.body.contains("data-row=\"1\""));

    // Bad numbers and a bad link come back beside their cells, the typed text kept.
    let bad = [
        ("msa", "health_system", "", "30", "sixty", "120"),
        ("quality", "site", "msa", "20", "45", ""),
    ];
    let back = post_rows(&mut lead, "north", &bad, "plan", Some("plans-rows-refused")).await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    assert!(
        back.error_beside("item-0-likely")
            .expect("beside")
            .contains("sixty")
    );
    assert!(
        back.error_beside("item-1-max")
            .expect("beside")
            .contains("number of days")
    );
    assert_eq!(value(&back, "item-0-likely"), "sixty");
    let wrong = [
        ("msa", "health_system", "", "30", "60", "120"),
        ("quality", "site", "legal", "20", "45", "90"),
    ];
    let back = post_rows(&mut lead, "north", &wrong, "plan", None).await;
    assert_eq!(
        back.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        back.body
    );
    let message = back.error_beside("item-1-after").expect("beside the link");
    assert!(message.contains("legal"), "{message}");
    assert!(back.error_beside("sites").is_none());
    let swapped = [("msa", "health_system", "", "70", "60", "120")];
    let back = post_rows(&mut lead, "north", &swapped, "plan", None).await;
    let message = back
        .error_beside("item-0-likely")
        .expect("beside the estimate");
    assert!(
        message.contains("msa") && message.contains("70"),
        "{message}"
    );
    let back = post_rows(&mut lead, "", &two, "plan", None).await;
    assert!(
        back.error_beside("sites")
            .expect("beside the sites")
            .contains("no sites")
    );

    // Plan the rows: both charts, and the TOML box holds the same plan.
    let done = post_rows(&mut lead, "north, south", &two, "plan", Some("plans-rows")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body.matches("<svg class=\"gantt-svg\"").count(), 2);
    assert!(done.body.contains(r#"data-site="south""#));
    assert!(
        done.body.contains("after = [&quot;msa&quot;]"),
        "{}",
        done.body
    );
}

#[tokio::test]
async fn a_partnerships_live_plan_opens_the_planner_with_its_sites_and_others_are_refused() {
    let demo = seeded().await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let link = crate::paths::planner_of_partnership(&pship.id, &vantacel.id);
    for email in ["pharmacy@lakeshore.example", "onboarding@helixa.example"] {
        let mut who = Browser::signed_in(&demo, email).await;
        let live = who.get(&crate::paths::plan(&pship.id, &vantacel.id)).await;
        assert_eq!(live.status, StatusCode::OK, "{email}: {}", live.body);
        assert!(live.body.contains(&link.replace('&', "&amp;")), "{email}");
        let page = who.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
        assert!(page.body.contains(&pship.name), "{email}");
        let sites = value(&page, "sites");
        assert!(!sites.is_empty() && !sites.contains("site-1"), "{sites}");
        assert!(!value(&page, "item-0-id").is_empty());
    }
    // Another health system's people do not learn the partnership exists.
    let mut other = Browser::signed_in(&demo, "admin@piedmont.example").await;
    let refused = other.get(&link).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    let mut other = Browser::signed_in(&demo, "quality@northbridge.example").await;
    let refused = other.get(&link).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    // A partnership without its program is a message, not a 500.
    let lost = other.get(&format!("/plans?partnership={}", pship.id)).await;
    assert_eq!(
        lost.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        lost.body
    );
}

#[tokio::test]
async fn a_post_without_the_form_token_is_refused() {
    let demo = seeded().await;
    let mut lead = Browser::signed_in(&demo, "quality@helixa.example").await;
    let refused = lead.post("/plans", &[("plan", CYCLIC)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}
