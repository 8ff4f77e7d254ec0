//! Programs and process maps driven through the router as a browser without JavaScript would:
//! a quality lead drafts, edits, extends, trims and publishes Vantacel's map; a broken edit is
//! refused beside its field; a partner pharmacy reads without an editor and compares two
//! manufacturers' maps; a health system that is not a partner gets 404.
//!
//! `CELLPATH_WEB_SNAPSHOTS=/some/dir` saves the pages named here as HTML (see `crate::testing`).

use super::step_form::value_pairs;
use crate::testing::{Answer, Browser, Demo, borrowed, seeded};
use axum::http::StatusCode;
use cellpath_app::views::{MapVersion, Program};
use cellpath_domain::events::programs::MapVersionStatus;
use cellpath_domain::process_map::ProcessMap;

async fn versions(demo: &Demo, program: &Program) -> Vec<MapVersion> {
    demo.app
        .store()
        .map_versions_of(&program.id)
        .await
        .expect("query")
        .into_iter()
        .map(Into::into)
        .collect()
}

async fn version(demo: &Demo, id: &str) -> MapVersion {
    demo.app
        .store()
        .map_version(id)
        .await
        .expect("query")
        .expect("a stored version")
        .into()
}

fn map_of(v: &MapVersion) -> ProcessMap {
    serde_json::from_value(v.map.clone()).expect("a stored map")
}

/// Press "Start a new draft from version N" on the program page (its form has no id of its own).
async fn start_draft(b: &mut Browser<'_>, program_path: &str, from: &str) -> Answer {
    let shown = b.get(program_path).await;
    assert_eq!(
        shown.status,
        StatusCode::OK,
        "{program_path}: {}",
        shown.body
    );
    let csrf = shown.field("csrf");
    b.post(
        &format!("{program_path}/drafts"),
        &[("csrf", &csrf), ("from", from)],
    )
    .await
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The fields of a step's form with some values replaced (`""` clears a field).
fn step_edit(map: &ProcessMap, key: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let step = map.step(key).expect("the step");
    let mut fields: Vec<(String, String)> = value_pairs(step)
        .into_iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .collect();
    fields.extend(pairs(changes));
    fields
}

#[tokio::test]
async fn a_quality_lead_drafts_edits_extends_trims_and_publishes_a_map() {
    let site = seeded().await;
    let vantacel = site.program("Helixa Therapeutics", "Vantacel").await;
    let v1 = versions(&site, &vantacel).await.remove(0);
    let mut quality = Browser::signed_in(&site, "quality@helixa.example").await;

    let list = quality.get_saved("/programs", Some("programs")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Vantacel") && list.body.contains(r#"id="program-form""#));
    assert!(list.body.contains(r#"id="nav-programs""#));

    // The program page: facts, the published map as a swimlane, the versions, the editors.
    let program_path = format!("/programs/{}", vantacel.id);
    let page = quality.get_saved(&program_path, Some("program")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "<svg",
        r#"class="swimlane""#,
        "scan-burden",
        "$425,000.00",
        "2026-01-01",
        "CD4+ component",
        "Start a new draft from version 1",
        r#"id="program-edit-form""#,
    ] {
        assert!(page.body.contains(expected), "{expected} missing");
    }

    // Start a draft from version 1.
    let started = start_draft(&mut quality, &program_path, &v1.id).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let draft_path = started.target();
    let draft_id = draft_path.trim_start_matches("/maps/").to_string();
    let draft = version(&site, &draft_id).await;
    assert_eq!((draft.number, draft.status.as_str()), (2, "draft"));
    let page = quality.get_saved(&draft_path, Some("map-draft")).await;
    assert!(page.body.contains(r#"id="add-step-form""#) && page.body.contains("Publish version 2"));
    assert!(
        page.body
            .contains(&format!("/maps/{draft_id}/steps/thaw_cd4"))
    );

    // Rename a step through its form.
    let step_path = format!("{draft_path}/steps/receipt_and_storage");
    let fields = step_edit(
        &map_of(&draft),
        "receipt_and_storage",
        &[("name", "Receipt into the cell lab")],
    );
    let saved = quality
        .submit(
            &step_path,
            "step-form",
            &step_path,
            &borrowed(&fields),
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = map_of(&version(&site, &draft_id).await);
    assert_eq!(
        stored.step("receipt_and_storage").map(|s| s.name.as_str()),
        Some("Receipt into the cell lab")
    );
    assert!(
        quality
            .get(&draft_path)
            .await
            .body
            .contains("Receipt into the cell lab")
    );

    // Add a pharmacy checklist between the pharmacist's verification and the thaws.
    let added = quality
        .submit(
            &draft_path,
            "add-step-form",
            &format!("{draft_path}/steps"),
            &[
                ("key", "pharmacy_checklist"),
                ("name", "Pharmacy pre-thaw checklist"),
                ("stage", "preparation"),
                ("kind", "checklist"),
                ("role", "pharmacy"),
                ("after", "pharmacist_verification"),
                ("before", "thaw_cd4"),
                ("before", "thaw_cd8"),
                ("items", "Order verified\nCell lab called"),
            ],
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let stored = map_of(&version(&site, &draft_id).await);
    let thaw = stored.step("thaw_cd4").expect("thaw_cd4");
    assert_eq!(thaw.after, ["pharmacy_checklist"]);
    let page = quality.get(&draft_path).await;
    assert!(page.body.contains("Pharmacy pre-thaw checklist"));
    assert!(page.body.contains(r#"data-step="pharmacy_checklist""#));

    // Remove it again: the thaws come after the pharmacist's verification once more.
    let check_path = format!("{draft_path}/steps/pharmacy_checklist");
    let form = quality.get_saved(&check_path, Some("step-form")).await;
    assert!(
        form.body
            .contains("will come after Pharmacist verification instead"),
        "the button says what happens to the steps after it"
    );
    let removed = quality
        .submit(
            &check_path,
            "remove-step-form",
            &format!("{check_path}/remove"),
            &[],
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let stored = map_of(&version(&site, &draft_id).await);
    assert!(stored.step("pharmacy_checklist").is_none());
    assert_eq!(
        stored.step("thaw_cd4").map(|s| s.after.clone()),
        Some(vec!["pharmacist_verification".to_string()])
    );
    assert!(
        !quality
            .get(&draft_path)
            .await
            .body
            .contains("Pharmacy pre-thaw checklist")
    );

    // Publish: the version is frozen, its page offers no editor, the program shows it.
    let published = quality
        .submit(
            &draft_path,
            "publish-form",
            &format!("{draft_path}/publish"),
            &[],
            None,
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert_eq!(
        version(&site, &draft_id).await.status,
        MapVersionStatus::Published
    );
    let page = quality.get_saved(&draft_path, Some("map-published")).await;
    assert!(page.body.contains("never changes"));
    assert!(!page.body.contains(r#"id="add-step-form""#));
    assert!(
        !page
            .body
            .contains(&format!("/maps/{draft_id}/steps/thaw_cd4"))
    );
    assert!(page.body.contains("Start a new draft from version 2"));
    let page = quality.get(&program_path).await;
    assert!(
        page.body.contains("Receipt into the cell lab"),
        "the swimlane shows version 2"
    );

    // A form left open cannot change a published version.
    let current = version(&site, &draft_id).await;
    let mut fields = step_edit(
        &map_of(&current),
        "receipt_and_storage",
        &[("name", "Too late")],
    );
    fields.push(("csrf".into(), page.field("csrf")));
    fields.push(("version".into(), current.version.to_string()));
    let late = quality.post(&step_path, &borrowed(&fields)).await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        late.body
    );
    assert!(
        late.body.contains("is published and never changes"),
        "{}",
        late.body
    );
    assert_eq!(version(&site, &draft_id).await, current, "nothing stored");

    // Two versions compared side by side.
    let compare = quality
        .get_saved(
            &format!("/maps/compare?a={}&b={draft_id}", v1.id),
            Some("compare-versions"),
        )
        .await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    assert!(compare.body.contains("Receipt into the cell lab"));
}

#[tokio::test]
async fn an_edit_that_breaks_the_map_is_refused_beside_its_field_and_stores_nothing() {
    let site = seeded().await;
    let vantacel = site.program("Helixa Therapeutics", "Vantacel").await;
    let v1 = versions(&site, &vantacel).await.remove(0);
    let mut quality = Browser::signed_in(&site, "quality@helixa.example").await;
    let program_path = format!("/programs/{}", vantacel.id);
    let started = start_draft(&mut quality, &program_path, &v1.id).await;
    let draft_id = started.target().trim_start_matches("/maps/").to_string();
    let before = version(&site, &draft_id).await;

    // A thaw with its unit cleared: the validator's message, beside the unit.
    let thaw_path = format!("/maps/{draft_id}/steps/thaw_cd4");
    let fields = step_edit(&map_of(&before), "thaw_cd4", &[("unit", "")]);
    let refused = quality
        .submit(
            &thaw_path,
            "step-form",
            &thaw_path,
            &borrowed(&fields),
            Some("step-with-error"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let unit_error = r#"<p class="field-error" data-field="unit""#;
    assert!(refused.body.contains(unit_error), "{}", refused.body);
    assert!(refused.body.contains("names none: set unit"));
    assert_eq!(version(&site, &draft_id).await, before, "nothing stored");

    // A follow-up form typed without its day: the form's own message, beside the field.
    let fu_path = format!("/maps/{draft_id}/steps/follow_up");
    let fields = step_edit(
        &map_of(&before),
        "follow_up",
        &[("follow_up", "CIBMTR 4006 at day 100")],
    );
    let refused = quality
        .submit(&fu_path, "step-form", &fu_path, &borrowed(&fields), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r#"<p class="field-error" data-field="follow_up""#),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("CIBMTR 4006@100"),
        "the message shows the format"
    );

    // Removing the release decision would leave the hold point waiting on nothing.
    let release_path = format!("/maps/{draft_id}/steps/release_decision");
    let refused = quality
        .submit(
            &release_path,
            "remove-step-form",
            &format!("{release_path}/remove"),
            &[],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("held until unknown step release_decision"),
        "{}",
        refused.body
    );
    assert_eq!(version(&site, &draft_id).await, before, "nothing stored");

    // A new step whose key is taken is refused beside the key.
    let draft_path = format!("/maps/{draft_id}");
    let refused = quality
        .submit(
            &draft_path,
            "add-step-form",
            &format!("{draft_path}/steps"),
            &[
                ("key", "consent"),
                ("name", "<b>Second consent</b>"),
                ("stage", "procurement"),
                ("kind", "checklist"),
                ("role", "coordinator"),
                ("after", "referral"),
                ("items", "Signed"),
            ],
            Some("add-step-with-error"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r#"data-field="key""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("&lt;b&gt;Second consent&lt;/b&gt;"));
    assert!(!refused.body.contains("<b>Second consent</b>"));
    assert_eq!(version(&site, &draft_id).await, before, "nothing stored");
}

#[tokio::test]
async fn a_new_program_is_created_from_the_form_and_bad_amounts_are_named() {
    let site = seeded().await;
    let mut quality = Browser::signed_in(&site, "quality@helixa.example").await;
    let form = |amount: &str, name: &str| {
        pairs(&[
            ("name", name),
            ("modality", "allogeneic_cell"),
            ("unit_0_key", "dose"),
            ("unit_0_name", "Single dose bag"),
            ("unit_0_storage", "-135"),
            ("unit_0_window", "60"),
            ("unit_1_key", ""),
            ("unit_1_name", ""),
            ("unit_1_storage", ""),
            ("unit_1_window", ""),
            ("requires_dual_verification", "on"),
            ("identifier", "isbt128_din"),
            ("issuer_isbt128_din", "collection_facility"),
            ("price_0_date", "2026-03-01"),
            ("price_0_amount", amount),
            ("price_1_date", ""),
            ("price_1_amount", ""),
        ])
    };
    let refused = quality
        .submit(
            "/programs",
            "program-form",
            "/programs",
            &borrowed(&form("12,3x", " ")),
            Some("program-form-errors"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r#"data-field="list_prices""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("is not an amount in dollars"));
    assert!(
        refused.body.contains(r#"data-field="name""#),
        "every problem at once"
    );
    assert!(
        refused.body.contains(r#"value="12,3x""#),
        "the typed amount is kept"
    );

    let created = quality
        .submit(
            "/programs",
            "program-form",
            "/programs",
            &borrowed(&form("$1,234,500.50", "Allocel")),
            None,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page = quality.get(&created.target()).await;
    assert!(page.body.contains("Allocel"));
    assert!(page.body.contains("$1,234,500.50"));
    assert!(
        page.body
            .contains("ISBT 128 donation identification number")
    );
    assert!(page.body.contains("No map is published yet"));
    let program = site.program("Helixa Therapeutics", "Allocel").await;
    assert_eq!(program.list_prices[0]["cents"], 123_450_050);

    // Its facts are edited with the version the page carried.
    let mut edit = super::facts_form::value_pairs(&program);
    edit.retain(|(k, _)| k != "name");
    edit.push(("name".into(), "Allocel-T".into()));
    let path = created.target();
    let saved = quality
        .submit(&path, "program-edit-form", &path, &borrowed(&edit), None)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(quality.get(&path).await.body.contains("Allocel-T"));
}

#[tokio::test]
async fn a_partner_reads_and_compares_without_an_editor_and_a_stranger_gets_404() {
    let site = seeded().await;
    let vantacel = site.program("Helixa Therapeutics", "Vantacel").await;
    let corvigen = site.program("Northbridge Gene Medicines", "Corvigen").await;
    let v1 = versions(&site, &vantacel).await.remove(0);
    let c1 = versions(&site, &corvigen).await.remove(0);

    let mut pharmacy = Browser::signed_in(&site, "pharmacy@lakeshore.example").await;
    let list = pharmacy
        .get_saved("/programs", Some("programs-partner"))
        .await;
    assert!(list.body.contains("Vantacel") && list.body.contains("Corvigen"));
    assert!(
        list.body.contains("Helixa Therapeutics"),
        "the manufacturer is named"
    );
    assert!(!list.body.contains(r#"id="program-form""#));

    let program_path = format!("/programs/{}", vantacel.id);
    let page = pharmacy
        .get_saved(&program_path, Some("program-partner"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"));
    assert!(!page.body.contains(r#"id="program-edit-form""#));
    assert!(!page.body.contains("Start a new draft"));
    let map = pharmacy.get(&format!("/maps/{}", v1.id)).await;
    assert_eq!(map.status, StatusCode::OK);
    assert!(!map.body.contains("/steps/thaw_cd4") && !map.body.contains("add-step-form"));
    let step = pharmacy
        .get(&format!("/maps/{}/steps/thaw_cd4", v1.id))
        .await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(!step.body.contains(r#"id="step-form""#));

    // Asking anyway is refused, and nothing is created.
    let csrf = page.field("csrf");
    let refused = pharmacy
        .post(
            &format!("{program_path}/drafts"),
            &[("csrf", &csrf), ("from", &v1.id)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(versions(&site, &vantacel).await.len(), 1);

    // Two manufacturers' maps side by side.
    let compare = pharmacy
        .get_saved(
            &format!("/maps/compare?a={}&b={}", v1.id, c1.id),
            Some("compare"),
        )
        .await;
    assert_eq!(compare.status, StatusCode::OK, "{}", compare.body);
    assert!(compare.body.contains("Vantacel v1") && compare.body.contains("Corvigen v1"));
    assert!(compare.body.contains("comparison-table"));

    // Piedmont works with Northbridge only: Helixa's program does not exist for it.
    let mut stranger = Browser::signed_in(&site, "pharmacy@piedmont.example").await;
    assert!(!stranger.get("/programs").await.body.contains("Vantacel"));
    for path in [
        program_path.clone(),
        format!("/maps/{}", v1.id),
        format!("/maps/{}/steps/thaw_cd4", v1.id),
        format!("/maps/compare?a={}&b={}", v1.id, c1.id),
    ] {
        let answer = stranger.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("Thaw CD4"), "{path} leaks the map");
    }
}
