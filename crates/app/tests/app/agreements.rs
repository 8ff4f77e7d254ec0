//! Agreements: expiry, bad moves, bad hashes and foreign sites.

use crate::support::*;
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn an_agreement_that_expired_yesterday_is_listed_as_expired() {
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let supply = app
            .agreements(&contracts, &ids.partnership)
            .await
            .unwrap()
            .into_iter()
            .find(|a| {
                a.kind == AgreementKind::SupplyAgreement && a.site_id.as_ref() == Some(&ids.main)
            })
            .unwrap();
        let yesterday = today(&app).plus_days(-1);
        app.set_agreement_dates(
            &contracts,
            &supply.id,
            supply.version,
            "2024-01-01",
            yesterday.as_str(),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
        let main = app
            .gate(
                &contracts,
                &ids.partnership,
                &ids.main,
                &ids.vantacel,
                today(&app),
            )
            .await
            .unwrap();
        assert_eq!(
            texts(&main),
            [format!("Supply agreement: expired on {yesterday}")],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn agreements_refuse_bad_moves_bad_hashes_and_foreign_sites() {
    use cellpath_app::contracting::DocumentInput;
    for db in TestDb::all().await {
        let (app, _) = demo_app(&db).await;
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;
        let all = app.agreements(&contracts, &ids.partnership).await.unwrap();
        let north_quality = all
            .iter()
            .find(|a| a.site_id.as_ref() == Some(&ids.north))
            .unwrap();

        // Negotiating cannot go back to drafting; the refusal names where it may go.
        let err = app
            .move_agreement(
                &contracts,
                &north_quality.id,
                north_quality.version,
                "drafting",
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "status: an agreement negotiating cannot move to drafting; it may move to legal_review, executed, withdrawn"
        );
        // Executing needs an effective date.
        let err = app
            .move_agreement(
                &contracts,
                &north_quality.id,
                north_quality.version,
                "executed",
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("effective_on:"), "{err}");

        // A document's hash must be a SHA-256.
        let err = app
            .add_document(
                &contracts,
                &north_quality.id,
                north_quality.version,
                DocumentInput {
                    name: "quality-agreement-v2.docx".into(),
                    sha256: "ABC123".into(),
                    bytes: cellpath_domain::LedgerInt::from(1024),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("sha256:"), "{err}");

        // A joinder may only bring in the health system's own sites.
        let dpa = all
            .iter()
            .find(|a| a.kind == AgreementKind::DataProtection)
            .unwrap()
            .clone();
        let named = AgreementBuilder::new(&ids.partnership, "data_protection")
            .with_coverage(cellpath_domain::contracting::Coverage::Named(vec![
                ids.main.clone(),
            ]))
            .create(&app, &contracts)
            .await;
        let piedmont = org_id(&app, "Piedmont Valley Health").await;
        let foreign = app.store().sites_of(&piedmont, Page::all()).await.unwrap()[0]
            .id
            .clone();
        let err = app
            .join_sites(&contracts, &named.id, named.version, &[foreign], None)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("is not a site of this partnership's health system"),
            "{err}"
        );
        let joined = app
            .join_sites(
                &contracts,
                &named.id,
                named.version,
                std::slice::from_ref(&ids.north),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(
            joined.coverage,
            serde_json::json!({"covers": "named", "site_ids": [ids.main, ids.north]})
        );
        // An agreement covering all sites needs no joinder.
        let err = app
            .join_sites(
                &contracts,
                &dpa.id,
                dpa.version,
                std::slice::from_ref(&ids.north),
                None,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already covers all"), "{err}");
        // A central agreement is never negotiated for one site.
        let err = AgreementBuilder::new(&ids.partnership, "master_service_agreement")
            .with_site(&ids.north)
            .try_create(&app, &contracts)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("use scope health_system"), "{err}");
    }
}
