//! A site added after the partnership was accepted that its central agreements do not cover
//! has not joined the onboarding (issue 10, point 9): no case is opened there, and the refusal
//! says why and what adds it.

use crate::support::*;
use cellpath_app::cases::{NewCase, NewPatient};
use cellpath_app::records::sites::SiteInput;
use cellpath_domain::contracting::Coverage;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn no_case_opens_at_a_new_site_the_partnership_does_not_cover() {
    for db in TestDb::all().await {
        let (app, clock) = demo_app(&db).await;
        clock.advance_secs(3600);
        let ids = gate_ids(&app).await;
        let lakeshore = org_id(&app, "Lakeshore University Health").await;
        // A central agreement that names only the main site: a site added now is left out.
        let contracts = as_user(&app, "contracts@helixa.example").await;
        AgreementBuilder::new(&ids.partnership, "data_protection")
            .with_coverage(Coverage::Named(vec![ids.main.clone()]))
            .create(&app, &contracts)
            .await;
        let admin = as_user(&app, "admin@lakeshore.example").await;
        let west = app
            .create_site(
                &admin,
                &lakeshore,
                SiteInput {
                    name: "Lakeshore West".into(),
                    code: "LUH-WEST".into(),
                    city: "Evanston".into(),
                    region: "IL".into(),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        let coordinator = as_user(&app, "coordinator@lakeshore.example").await;
        let patient_id = app
            .register_patient(
                &coordinator,
                NewPatient {
                    site_id: west.id.clone(),
                    name: "Ada West".into(),
                    date_of_birth: "1961-02-03".into(),
                    mrn: "W-1001".into(),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap()
            .patient_id;
        let err = app
            .open_case(
                &coordinator,
                NewCase {
                    partnership_id: ids.partnership.clone(),
                    site_id: west.id.clone(),
                    program_id: ids.vantacel.clone(),
                    patient_id,
                },
                None,
            )
            .await
            .expect_err("refused");
        let said = err.to_string();
        assert!(
            said.contains("Lakeshore West has not joined this partnership's onboarding")
                && said.contains("Data protection agreement names the sites covered")
                && said.contains("a joinder adds it"),
            "{}: {said}",
            db.label
        );
        // Nothing opened: the site's case list stays empty.
        let cases = app
            .cases_of_site(&coordinator, &west.id, cellpath_store::Page::all())
            .await
            .unwrap();
        assert!(cases.is_empty(), "{}", db.label);
    }
}
