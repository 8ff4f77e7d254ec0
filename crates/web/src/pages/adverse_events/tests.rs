//! The adverse-events section as the site's nurse uses it, and `/grading`.

use super::record::{form_field, tenths};
use crate::paths;
use crate::testing::{Browser, seeded};
use axum::http::StatusCode;

/// `YYYY-MM-DDTHH:MM:SS` of a time, rounded up to the second.
pub(crate) fn typed(micros: i64) -> String {
    let secs = (micros + 999_999).div_euclid(1_000_000);
    let t = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}",
        cellpath_domain::Date::of_micros(secs * 1_000_000),
        t / 3_600,
        t % 3_600 / 60,
        t % 60
    )
}

#[tokio::test]
async fn a_nurse_records_a_graded_crs_without_script_and_every_reader_sees_its_grade() {
    let demo = seeded().await;
    let site = demo.site("LUH-MAIN").await;
    let case = demo
        .app
        .stored_case(&site.id)
        .await
        .unwrap()
        .expect("the demo's stored case");
    let page = crate::paths::case(&case);
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    // before the infusion: no form
    let before = nurse.get(&page).await;
    before.assert_has("No adverse event recorded");
    assert!(!before.body.contains("adverse-event-form"));
    demo.app.through_first_infusion(&case).await.unwrap();
    let when = typed(demo.app.now());
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let shown = nurse.get(&page).await;
    shown.assert_has("Record an adverse event");
    shown.assert_has(crate::assets::grading_script_src());
    let action = format!("{page}/adverse-events");
    let crs = |temperature: &'static str, litres: &'static str| {
        vec![
            ("kind", "crs"),
            ("temperature", temperature),
            ("oxygen", "nasal_cannula"),
            ("litres_per_minute", litres),
        ]
    };
    let mut fields = crs("389", "7");
    fields.extend([("onset", when.as_str()), ("at", when.as_str())]);
    let refused = nurse
        .submit(&page, "adverse-event-form", &action, &fields, None)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = refused
        .error_beside("temperature")
        .expect("beside the temperature");
    assert!(beside.contains("e.g. 38.9"), "{beside}");
    assert!(
        refused.body.contains(r#"value="389""#),
        "what was typed is kept"
    );
    let mut fields = crs("38.9", "7");
    fields.extend([("onset", "2020-01-01T10:00"), ("at", when.as_str())]);
    let refused = nurse
        .submit(&page, "adverse-event-form", &action, &fields, None)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_beside("onset")
            .expect("beside the onset")
            .contains("first infusion"),
        "{}",
        refused.body
    );
    // the grade of what was typed is shown with the form again, without any script
    refused.assert_has("Grade 3: fever 38.9 °C; nasal cannula at 7 L/min: grade 3");
    let mut fields = crs("38.9", "7");
    fields.extend([("onset", when.as_str()), ("at", when.as_str())]);
    let recorded = nurse
        .submit(&page, "adverse-event-form", &action, &fields, None)
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let after = nurse.get(&page).await;
    let row = after.row(r#"data-adverse-event="1""#);
    assert!(row.contains("CRS #1") && row.contains("Grade 3"), "{row}");
    // the grading answer for the script: JSON, nothing written
    let graded = nurse
        .post(
            "/grading",
            &[
                ("csrf", &after.field("csrf")),
                ("kind", "crs"),
                ("temperature", "38.4"),
                ("oxygen", "nasal_cannula"),
                ("litres_per_minute", "6"),
            ],
        )
        .await;
    assert_eq!(graded.status, StatusCode::OK, "{}", graded.body);
    let answer: serde_json::Value = serde_json::from_str(&graded.body).unwrap();
    assert_eq!(answer["grade"], 2);
    let bad = nurse
        .post(
            "/grading",
            &[
                ("csrf", &after.field("csrf")),
                ("kind", "icans"),
                ("ice_score", "11"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("ice_score"), "{}", bad.body);
    // the manufacturer's quality lead: the grade, no form
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    let read = quality.get(&page).await;
    assert!(read.row(r#"data-adverse-event="1""#).contains("Grade 3"));
    assert!(!read.body.contains("adverse-event-form"));
}

#[test]
fn degrees_are_read_as_tenths() {
    assert_eq!(tenths("38.9"), Some(389));
    assert_eq!(tenths("38,9"), Some(389));
    assert_eq!(tenths("39"), Some(390));
    for bad in ["38.95", "", ".5", "thirty", "-1.0"] {
        assert_eq!(tenths(bad), None, "{bad}");
    }
}

#[test]
fn the_apps_fields_are_the_forms() {
    assert_eq!(
        form_field("observations[0].temperature_tenths_c"),
        "temperature"
    );
    assert_eq!(form_field("observations[0].oxygen"), "litres_per_minute");
    assert_eq!(form_field("observations[0].icans"), "kind");
    assert_eq!(form_field("onset"), "onset");
    assert_eq!(form_field("observations[0].at"), "at");
}

async fn post(
    nurse: &mut Browser<'_>,
    page: &str,
    fields: &[(String, String)],
) -> crate::testing::Answer {
    let action = format!("{page}/adverse-events");
    nurse
        .submit(
            page,
            "adverse-event-form",
            &action,
            &crate::testing::borrowed(fields),
            None,
        )
        .await
}

/// Issue 10, point 12: a date-time is typed on the organization's clock (America/Chicago
/// here) and stored UTC; a time the clocks skipped is refused beside the field, one that
/// happened twice is asked which, beside the field.
#[tokio::test]
async fn times_are_typed_on_the_organizations_clock_across_a_dst_change() {
    let demo = seeded().await;
    let lakeshore = demo.org("Lakeshore University Health").await;
    let org_page = paths::org(&lakeshore.id);
    let mut admin = Browser::signed_in(&demo, "admin@lakeshore.example").await;
    let saved = admin
        .submit(
            &org_page,
            "org-form",
            &org_page,
            &[("name", &lakeshore.name), ("time_zone", "America/Chicago")],
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let site = demo.site("LUH-MAIN").await;
    let case = demo
        .app
        .stored_case(&site.id)
        .await
        .unwrap()
        .expect("stored case");
    let page = crate::paths::case(&case);
    demo.app.through_first_infusion(&case).await.unwrap();
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let shown = nurse.get(&page).await;
    shown.assert_has("Onset (America/Chicago)");
    assert!(!shown.body.contains("Onset (UTC)"));
    let crs = |onset: &str, at: &str, fold: Option<&str>| {
        let mut f: Vec<(String, String)> = [
            ("kind", "crs"),
            ("temperature", "38.9"),
            ("oxygen", "nasal_cannula"),
            ("litres_per_minute", "7"),
            ("onset", onset),
            ("at", at),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(fold) = fold {
            f.push(("onset_fold".into(), fold.into()));
        }
        f
    };
    // The clocks skipped 02:30 on 8 March 2026 in Chicago.
    let fields = crs("2026-03-08T02:30", "2026-03-08T04:00", None);
    let refused = post(&mut nurse, &page, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let m = refused.error_beside("onset").expect("beside the onset");
    assert!(m.contains("did not happen in America/Chicago"), "{m}");
    // 01:30 on 1 November 2026 happened twice: asked which, the choice offered beside it.
    let fields = crs("2026-11-01T01:30", "2026-11-01T04:00", None);
    let refused = post(&mut nurse, &page, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let m = refused.error_beside("onset").expect("beside the onset");
    assert!(
        m.contains("happened twice") && m.contains("CDT") && m.contains("CST"),
        "{m}"
    );
    assert!(
        refused.body.contains(r#"name="onset_fold""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("The first, CDT"));

    // Now on Chicago's clock: recorded at the instant typed, stored UTC.
    let now = demo.app.now();
    let chicago = cellpath_app::zone::Zone::parse("America/Chicago").unwrap();
    let local = |micros: i64| {
        let c = chicago.wall_clock(micros);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    };
    let minute = (now + 999_999).div_euclid(1_000_000) * 1_000_000;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let fields = crs(&local(minute), &local(minute), Some(""));
    let recorded = post(&mut nurse, &page, &fields).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let view = demo
        .app
        .case(&cellpath_app::Caller::system("test"), &case)
        .await
        .expect("the case");
    assert_eq!(
        view.adverse_events[0].onset_at, minute,
        "stored as the UTC instant"
    );
}
