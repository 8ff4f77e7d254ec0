//! People and their roles: an organization keeps its last admin.

use crate::support::*;
use cellpath_app::{AppError, Caller};
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn the_last_admin_of_an_organization_stays_one() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let name = demo_user(&app, "admin@lakeshore.example").await.name;
        let patch =
            |role: Option<&str>, active: Option<bool>| cellpath_app::records::users::UserPatch {
                role: role.map(str::to_string),
                active,
                ..Default::default()
            };
        let refusal = |field: &str, who: &str| {
            vec![cellpath_app::FieldError {
                field: field.into(),
                message: format!(
                    "{who} is the last active admin of Lakeshore University Health: make another user admin first"
                ),
            }]
        };
        // Not by themselves, nor by the operator; neither demoted nor deactivated.
        let op = Caller::system("test");
        for (by, p, field) in [
            (&admin, patch(Some("nurse"), None), "role"),
            (&admin, patch(None, Some(false)), "active"),
            (&op, patch(Some("nurse"), None), "role"),
            (&op, patch(None, Some(false)), "active"),
        ] {
            match patch_user(&app, by, "admin@lakeshore.example", p).await {
                Err(AppError::Invalid(f)) => assert_eq!(f, refusal(field, &name)),
                other => panic!("expected the last-admin refusal, got {other:?}"),
            }
        }
        // Once another user is admin, the first may step down.
        patch_user(
            &app,
            &admin,
            "nurse@lakeshore.example",
            patch(Some("admin"), None),
        )
        .await
        .unwrap();
        let stepped_down = patch_user(
            &app,
            &admin,
            "admin@lakeshore.example",
            patch(Some("nurse"), None),
        )
        .await
        .unwrap();
        assert_eq!(stepped_down.role, Role::Nurse);
        // And now the nurse made admin is the last one.
        let new_admin = as_user(&app, "nurse@lakeshore.example").await;
        let nurse_name = demo_user(&app, "nurse@lakeshore.example").await.name;
        match patch_user(
            &app,
            &new_admin,
            "nurse@lakeshore.example",
            patch(Some("pharmacy"), None),
        )
        .await
        {
            Err(AppError::Invalid(f)) => assert_eq!(f, refusal("role", &nurse_name)),
            other => panic!("expected the last-admin refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn two_admins_stepping_down_at_once_leave_one() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let patch = |role: &str| cellpath_app::records::users::UserPatch {
            role: Some(role.into()),
            ..Default::default()
        };
        patch_user(&app, &admin, "nurse@lakeshore.example", patch("admin"))
            .await
            .unwrap();
        let nurse = as_user(&app, "nurse@lakeshore.example").await;
        // Each demotes the other at the same moment: both pass the early check, and the
        // check inside the write lets exactly one through.
        let (a, b) = tokio::join!(
            patch_user(&app, &admin, "nurse@lakeshore.example", patch("nurse")),
            patch_user(&app, &nurse, "admin@lakeshore.example", patch("nurse")),
        );
        let refused: Vec<AppError> = [a, b].into_iter().filter_map(Result::err).collect();
        assert_eq!(refused.len(), 1, "{refused:?} ({})", db.label);
        assert!(
            refused[0]
                .to_string()
                .contains("is the last active admin of Lakeshore University Health"),
            "{}",
            refused[0]
        );
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        assert_eq!(app.store().active_admins_of(&lakeshore).await.unwrap(), 1);
    }
}
