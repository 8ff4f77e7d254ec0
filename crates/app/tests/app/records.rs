//! Records refuse bad input field by field and taken values in people's words.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_app::records::sites::{SiteInput, SitePatch};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn bad_input_is_refused_field_by_field() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let admin = as_user(&app, "admin@lakeshore.example").await;
    let err = app
        .create_site(
            &admin,
            &lakeshore,
            SiteInput {
                name: "  ".into(),
                code: "9 lives".into(),
                city: "x".repeat(300),
                region: "IL".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    let AppError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["name", "code", "city"]);
    let dup = app
        .create_site(
            &admin,
            &lakeshore,
            SiteInput {
                name: "Another".into(),
                code: "LUH-MAIN".into(),
                city: "Chicago".into(),
                region: "IL".into(),
            },
            None,
        )
        .await;
    assert!(
        matches!(dup, Err(AppError::Duplicate { ref field, .. }) if field == "code"),
        "{dup:?}"
    );
}

/// A value another record already holds is refused in people's words, beside the field they
/// typed, on both databases (the schema's unique keys; the rest, which only races reach, are
/// checked against every key of the migrations in `error.rs`).
#[tokio::test]
async fn a_value_already_taken_is_refused_in_people_s_words() {
    use cellpath_app::records::facilities::FacilityInput;
    use cellpath_app::records::users::UserInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let refused = |e: AppError| match e {
            AppError::Duplicate { field, message } => {
                for word in ["constraint", "UNIQUE", "_key", "sites.", "failed"] {
                    assert!(!message.contains(word), "{}: {message}", db.label);
                }
                (field, message)
            }
            other => panic!("{}: {other:?}", db.label),
        };
        let site = |code: &str| SiteInput {
            name: "Another".into(),
            code: code.into(),
            city: "Chicago".into(),
            region: "IL".into(),
        };
        let err = app
            .create_site(&admin, &lakeshore, site("LUH-MAIN"), None)
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "code".to_string(),
                "a site with code LUH-MAIN already exists".to_string()
            )
        );
        // Renaming a site's code to another's says the same.
        let north = app
            .sites(&admin, &lakeshore, Page::all())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.code == "LUH-NORTH")
            .unwrap();
        let err = app
            .update_site(
                &admin,
                &north.id,
                north.version,
                SitePatch {
                    code: Some("LUH-MAIN".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(refused(err).1, "a site with code LUH-MAIN already exists");

        let facility = app
            .facilities(&admin, &lakeshore, Page::all())
            .await
            .unwrap()
            .remove(0);
        let err = app
            .create_facility(
                &admin,
                &lakeshore,
                FacilityInput {
                    name: facility.name.clone(),
                    kind: facility.kind.as_str().to_string(),
                    site_ids: vec![],
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "name".to_string(),
                "this health system already has a facility with this name".to_string()
            )
        );

        let err = app
            .create_user(
                &admin,
                &lakeshore,
                UserInput {
                    email: "pharmacy@lakeshore.example".into(),
                    name: "Someone Else".into(),
                    role: "nurse".into(),
                    password: "a long enough password 2026".into(),
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused(err),
            (
                "email".to_string(),
                "a user with this e-mail address already exists".to_string()
            )
        );
    }
}

#[tokio::test]
async fn an_organization_s_time_zone_is_a_tz_database_name_set_by_its_admin() {
    use cellpath_app::records::organizations::OrganizationPatch;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let patch = |zone: &str| OrganizationPatch {
            time_zone: Some(zone.into()),
            ..OrganizationPatch::default()
        };
        let org = app.organization(&admin, &lakeshore).await.unwrap();
        assert_eq!(org.time_zone, None, "unset until its admin sets it");

        // Saving UTC over the unset zone records nothing: it already reads as UTC.
        let same = app
            .update_organization(&admin, &lakeshore, org.version, patch("UTC"), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(same.version, org.version);

        for bad in ["America/Chicgo", "Central Time", ""] {
            let err = app
                .update_organization(&admin, &lakeshore, org.version, patch(bad), None)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, AppError::Invalid(f) if f[0].field == "time_zone"),
                "{bad}: {err:?}"
            );
        }
        // Another role of the organization may not set it.
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        assert!(matches!(
            app.update_organization(
                &nurse,
                &lakeshore,
                org.version,
                patch("America/Chicago"),
                None
            )
            .await,
            Err(AppError::Forbidden(_))
        ));

        let set = app
            .update_organization(
                &admin,
                &lakeshore,
                org.version,
                patch("America/Chicago"),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(set.time_zone.as_deref(), Some("America/Chicago"));
        assert_eq!(set.version, org.version + 1);
        let stored = app.organization(&admin, &lakeshore).await.unwrap();
        assert_eq!(
            stored, set,
            "the projection keeps what the command answered"
        );
    }
}
