//! Site maps: refined, proposed and signed by both sides, by the right people only.

use crate::support::*;
use cellpath_app::AppError;
use cellpath_ledger::{Meaning, Signed};
use cellpath_store::Page;
use cellpath_store::testing::TestDb;

#[tokio::test]
async fn a_site_refines_proposes_and_both_sides_sign() {
    use cellpath_domain::refinement::SiteRefinement;
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let vantacel = app
        .store()
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let sites = app.store().sites_of(&lakeshore, Page::all()).await.unwrap();
    let main = sites
        .iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap()
        .id
        .clone();
    let cancer = sites
        .iter()
        .find(|s| s.code == "LUH-CANCER")
        .unwrap()
        .id
        .clone();
    let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
    let quality = as_user(&app, "quality@helixa.example").await;

    // The seeded main-campus version: signed by both, the accepted proposal in force.
    let signed = app
        .store()
        .site_map_versions(&main, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let view = app.site_map(&pharmacy, &signed.id).await.unwrap();
    assert_eq!(view.status, "signed");
    assert_eq!(
        view.effective
            .as_ref()
            .unwrap()
            .step("monitoring")
            .unwrap()
            .params
            .monitoring_days,
        Some(28)
    );
    assert!(
        view.effective
            .as_ref()
            .unwrap()
            .step("icu_bed_hold")
            .is_some()
    );
    let statuses: Vec<&str> = view.proposals.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(statuses, ["accepted", "rejected"]);
    assert!(view.scan_burden.scans_per_case > 0);
    let refused = app
        .refine_site_map(
            &pharmacy,
            &signed.id,
            signed.version,
            SiteRefinement::default(),
            None,
        )
        .await;
    assert!(refused.unwrap_err().to_string().contains("never changes"));

    // The pavilion's draft: the site cannot decide its own proposal; the manufacturer cannot
    // refine the site's steps.
    let draft = app
        .store()
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let pending = app
        .store()
        .map_proposals_of(&draft.id)
        .await
        .unwrap()
        .remove(0);
    assert!(matches!(
        app.decide_proposal(&pharmacy, &pending.id, pending.version, true, "ok", None)
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        app.refine_site_map(
            &quality,
            &draft.id,
            draft.version,
            SiteRefinement::default(),
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    let accepted = app
        .decide_proposal(
            &quality,
            &pending.id,
            pending.version,
            true,
            "The satellite pharmacy is qualified.",
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(accepted.status, ProposalStatus::Accepted);
    let after = app.site_map(&pharmacy, &draft.id).await.unwrap();
    assert_ne!(
        after.content_hash,
        app.site_map(&pharmacy, &signed.id)
            .await
            .unwrap()
            .content_hash
    );
    // One side signs: awaiting the other. A change afterwards voids that signature.
    app.sign_site_map(
        &pharmacy,
        &draft.id,
        cellpath_ledger::Meaning::Approved,
        cellpath_app::demo::DEMO_PASSWORD,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "awaiting_signature"
    );
    let mut r = after.refinement.clone();
    r.details.get_mut("referral").unwrap().notes =
        Some("Referrals by fax are scanned the same day.".into());
    let draft = app
        .store()
        .site_map_version(&draft.id)
        .await
        .unwrap()
        .unwrap();
    app.refine_site_map(&pharmacy, &draft.id, draft.version, r, None)
        .await
        .unwrap();
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "draft"
    );
    SiteMapSigning::by_both(&draft.id, &pharmacy, &quality)
        .execute(&app)
        .await;
    assert_eq!(
        app.site_map(&pharmacy, &draft.id).await.unwrap().status,
        "signed"
    );
    // A proposal on a site-owned step is refused with the reason.
    let own = after
        .effective
        .as_ref()
        .unwrap()
        .step("referral")
        .unwrap()
        .clone();
    let next = app
        .start_site_map(
            &pharmacy,
            &draft.partnership_id,
            &cancer,
            &vantacel,
            Some(&draft.id),
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(next.number, 2);
    let err = app
        .propose_change(&pharmacy, &next.id, own, "why not", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no proposal needed"), "{err}");
}

#[tokio::test]
async fn a_version_is_signed_only_when_settled_and_by_the_people_who_do_the_work() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let helixa = org_id(&app, "Helixa Therapeutics").await;
    let vantacel = app
        .store()
        .programs_of(&helixa, Page::all())
        .await
        .unwrap()
        .remove(0)
        .id;
    let cancer = app
        .store()
        .sites_of(&lakeshore, Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-CANCER")
        .unwrap()
        .id;
    let draft = app
        .store()
        .site_map_versions(&cancer, &vantacel)
        .await
        .unwrap()
        .remove(0);
    let pw = cellpath_app::demo::DEMO_PASSWORD;
    let pharmacy = as_user(&app, "pharmacy@lakeshore.example").await;
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    let quality = as_user(&app, "quality@helixa.example").await;
    // A proposal is pending: nobody signs yet.
    let err = app
        .sign_site_map(
            &pharmacy,
            &draft.id,
            cellpath_ledger::Meaning::Approved,
            pw,
            None,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("waiting for the manufacturer"),
        "{err}"
    );
    let pending = app
        .store()
        .map_proposals_of(&draft.id)
        .await
        .unwrap()
        .remove(0);
    app.decide_proposal(
        &quality,
        &pending.id,
        pending.version,
        false,
        "Thaw stays in the main cell lab.",
        None,
    )
    .await
    .unwrap();
    // A nurse reads the map but does not sign it for the site.
    assert!(matches!(
        app.sign_site_map(
            &nurse,
            &draft.id,
            cellpath_ledger::Meaning::Approved,
            pw,
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    SiteMapSigning::by_both(&draft.id, &pharmacy, &quality)
        .execute(&app)
        .await;
    // Signed by both: a late proposal decision cannot change it.
    let view = app.site_map(&pharmacy, &draft.id).await.unwrap();
    assert_eq!(view.status, "signed");
    assert!(
        app.propose_change(
            &pharmacy,
            &draft.id,
            view.effective.unwrap().step("enrollment").unwrap().clone(),
            "late",
            None
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn records_are_signed_only_through_their_own_command_and_proposals_open_nothing() {
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let lakeshore = org_id(&app, "Lakeshore University Health").await;
    let cascade = org_id(&app, "Cascade Regional Medical").await;
    let nurse = as_user(&app, "nurse@lakeshore.example").await;
    // A nurse cannot mark any record "signed" by naming its content hash on a ledger.
    let forged = app
        .sign(
            &nurse,
            &lakeshore,
            Signed::Record {
                record_kind: "site_map_version".into(),
                record_id: "smv_x".into(),
                content_hash: "a".repeat(64),
            },
            Meaning::Approved,
            cellpath_app::demo::DEMO_PASSWORD,
            None,
        )
        .await;
    assert!(matches!(forged, Err(AppError::Invalid(_))), "{forged:?}");
    // Helixa has only proposed a partnership to Cascade: Cascade's sites and people stay closed.
    let helixa = as_user(&app, "onboarding@helixa.example").await;
    assert!(matches!(
        app.sites(&helixa, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.users(&helixa, &cascade, Page::all()).await,
        Err(AppError::NotFound(_))
    ));
    // …while each side still sees the other's name on the proposal.
    let cascade_admin = as_user(&app, "admin@cascade.example").await;
    assert!(
        app.organizations(&cascade_admin, Page::all())
            .await
            .unwrap()
            .iter()
            .any(|o| o.name == "Helixa Therapeutics")
    );
}
