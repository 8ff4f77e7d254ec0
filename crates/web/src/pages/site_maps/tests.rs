//! Site maps driven through the router as a browser without JavaScript would: Lakeshore's
//! coordinator refines the Cancer Pavilion's draft (local details, a checklist, a proposal on a
//! controlled step), Helixa's quality lead decides the proposals with reasons, both sign, and
//! the signed version shows the change and offers the next version; refusals come back beside
//! their fields; a health system that is not Helixa's partner gets 404.

use crate::testing::{Browser, Demo, seeded};
use axum::http::StatusCode;
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_app::views::{MapProposal, SiteMapVersion};
use cellpath_domain::events::site_maps::ProposalStatus;
use cellpath_domain::refinement::SiteRefinement;

async fn cancer_draft(demo: &Demo) -> SiteMapVersion {
    let site = demo.site("LUH-CANCER").await;
    let program = demo.program("Helixa Therapeutics", "Vantacel").await;
    demo.app
        .store()
        .site_map_versions(&site.id, &program.id)
        .await
        .expect("query")
        .into_iter()
        .next()
        .expect("the seeded draft")
        .into()
}

async fn stored(demo: &Demo, id: &str) -> (SiteMapVersion, SiteRefinement) {
    let v: SiteMapVersion = demo
        .app
        .store()
        .site_map_version(id)
        .await
        .expect("query")
        .expect("stored")
        .into();
    let r = serde_json::from_value(v.refinement.clone()).expect("a refinement");
    (v, r)
}

async fn proposals(demo: &Demo, id: &str) -> Vec<MapProposal> {
    let rows = demo.app.store().map_proposals_of(id).await.expect("query");
    rows.into_iter().map(Into::into).collect()
}

/// The opening tag of a step's box in the swimlane, e.g. `<g class="step controlled changed" …>`.
fn step_box<'b>(body: &'b str, key: &str) -> Option<&'b str> {
    let mark = format!("data-step=\"{key}\"");
    body.match_indices("<g class=\"step")
        .map(|(i, _)| &body[i..i + body[i..].find('>').unwrap_or(0)])
        .find(|tag| tag.contains(&mark))
}

#[tokio::test]
async fn a_site_refines_its_map_proposes_a_change_the_manufacturer_accepts_and_both_sign() {
    let demo = seeded().await;
    let draft = cancer_draft(&demo).await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let page = format!("/site-maps/{}", draft.id);
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;

    // The partnership page lists each site's map and readiness, with links.
    let partnership = coordinator
        .get_saved(&format!("/partnerships/{}", pship.id), Some("partnership"))
        .await;
    assert_eq!(partnership.status, StatusCode::OK, "{}", partnership.body);
    assert!(partnership.body.contains(r#"id="sites""#));
    assert!(
        partnership
            .body
            .contains(&format!("/site-maps/{}", draft.id))
    );
    assert!(
        partnership.body.contains("Start site map"),
        "LUH-NORTH has no map yet"
    );
    assert!(partnership.body.contains("/readiness?program="));

    let shown = coordinator.get_saved(&page, Some("site-map-draft")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    for expected in [
        r#"class="swimlane""#,
        "scan-burden",
        r#"data-status="draft""#,
        r#"id="checklist-form""#,
        "Thaw in the Pavilion", // the seeded pending proposal's reason
    ] {
        assert!(shown.body.contains(expected), "{expected} missing");
    }

    // Local details of a step: who does it here, where, in which system.
    let step = format!("{page}/steps/receipt_and_storage");
    let saved = coordinator
        .submit(
            &step,
            "details-form",
            &format!("{step}/details"),
            &[
                ("owner_role", "cell_lab"),
                ("location", "Pavilion cell lab annex, room 2.14"),
                ("system", "Cell lab LIMS"),
                ("notes", "Call the BMT unit <when> the shipper arrives"),
            ],
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.target(), step);
    let (_, r) = stored(&demo, &draft.id).await;
    let detail = &r.details["receipt_and_storage"];
    assert_eq!(
        detail.location.as_deref(),
        Some("Pavilion cell lab annex, room 2.14")
    );
    let shown = coordinator.get(&page).await;
    assert!(shown.body.contains("Pavilion cell lab annex, room 2.14"));
    assert!(
        shown
            .body
            .contains("Call the BMT unit &lt;when&gt; the shipper arrives"),
        "user text is escaped"
    );

    // A checklist step of the site's own, before the first thaw.
    let added = coordinator
        .submit(
            &page,
            "checklist-form",
            &format!("{page}/checklist"),
            &[
                ("key", "pavilion_chair_ready"),
                ("name", "Infusion chair and crash cart ready"),
                ("stage", "preparation"),
                ("role", "nurse"),
                ("after", "pharmacist_verification"),
                ("before", "thaw_cd4"),
                ("items", "Chair 4 held\nCrash cart checked"),
            ],
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let shown = coordinator.get(&page).await;
    assert!(shown.body.contains(r#"data-step="pavilion_chair_ready""#));
    assert!(shown.body.contains("Added by the site"));

    // A checklist key already in the map is refused beside the key field, nothing stored.
    let twice = coordinator
        .submit(
            &page,
            "checklist-form",
            &format!("{page}/checklist"),
            &[
                ("key", "thaw_cd4"),
                ("name", "Again"),
                ("stage", "preparation"),
                ("role", "nurse"),
                ("after", "pharmacist_verification"),
                ("before", "thaw_cd8"),
                ("items", "x"),
            ],
            None,
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice
            .error_beside("key")
            .is_some_and(|m| m.contains("already used")),
        "{}",
        twice.body
    );
    assert_eq!(stored(&demo, &draft.id).await.1.local_steps.len(), 1);

    // A proposal on a step the site owns is refused beside the step: change it directly.
    let refused = coordinator
        .submit(
            &format!("{page}/steps/enrollment"),
            "propose-form",
            &format!("{page}/steps/referral/proposals"),
            &[
                ("name", "Referral in Epic"),
                ("role", "coordinator"),
                ("recorded_in", "ehr"),
                ("reason", "We take referrals in Epic."),
            ],
            Some("site-map-proposal-refused"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_beside("step")
            .is_some_and(|m| m.contains("no proposal needed")),
        "{}",
        refused.body
    );

    // A proposal on a controlled step, with the site's reason.
    let enrollment = format!("{page}/steps/enrollment");
    let proposed = coordinator
        .submit(
            &enrollment,
            "propose-form",
            &format!("{enrollment}/proposals"),
            &[
                ("name", "Enrollment in the Helixa portal by the coordinator"),
                ("role", "coordinator"),
                ("recorded_in", "cellpath"),
                (
                    "reason",
                    "Our coordinators enroll at intake, the same day as consent.",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    let ours = proposals(&demo, &draft.id)
        .await
        .into_iter()
        .find(|p| p.step_key == "enrollment")
        .expect("stored");
    assert_eq!(ours.status, ProposalStatus::Pending);
    let step_page = coordinator.get(&enrollment).await;
    assert!(
        !step_page.body.contains(r#"id="propose-form""#),
        "one pending proposal per step"
    );
    assert!(
        step_page
            .body
            .contains("waiting for a decision from Helixa Therapeutics")
    );

    // Helixa's quality lead decides: a decision without a reason is refused beside it.
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    let waiting = quality
        .get_saved(&page, Some("site-map-manufacturer"))
        .await;
    assert!(
        waiting.body.contains(r#"id="sign-waits""#),
        "signing waits for the decisions"
    );
    let decide = format!("{page}/proposals/{}", ours.id);
    let form_id = format!("decide-{}", ours.id);
    let bare = quality
        .submit(
            &page,
            &form_id,
            &decide,
            &[("decision", "accept"), ("reason", " ")],
            None,
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.error_beside("reason").is_some(), "{}", bare.body);
    let accepted = quality
        .submit(
            &page,
            &form_id,
            &decide,
            &[
                ("decision", "accept"),
                (
                    "reason",
                    "Accepted: enrollment at intake is within the program manual.",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let thaw = proposals(&demo, &draft.id)
        .await
        .into_iter()
        .find(|p| p.step_key == "thaw_cd4")
        .expect("the seeded proposal");
    let rejected = quality
        .submit(
            &page,
            &format!("decide-{}", thaw.id),
            &format!("{page}/proposals/{}", thaw.id),
            &[
                ("decision", "reject"),
                (
                    "reason",
                    "Rejected: the satellite pharmacy has no validated thaw device yet.",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.body);
    let shown = quality.get(&page).await;
    assert!(shown.body.contains("within the program manual"));
    assert!(shown.body.contains("no validated thaw device yet"));
    assert!(
        !shown.body.contains(r#"id="checklist-form""#),
        "the manufacturer does not refine"
    );

    // Both sign; a wrong password is refused beside the field.
    let signed = quality
        .submit(
            &page,
            "sign-form",
            &format!("{page}/sign"),
            &[("meaning", "approved"), ("password", DEMO_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let waiting = coordinator.get(&page).await;
    assert!(waiting.body.contains(r#"data-status="awaiting_signature""#));
    let wrong = coordinator
        .submit(
            &page,
            "sign-form",
            &format!("{page}/sign"),
            &[("meaning", "approved"), ("password", "not my password")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.error_beside("password").is_some(), "{}", wrong.body);
    let signed = coordinator
        .submit(
            &page,
            "sign-form",
            &format!("{page}/sign"),
            &[("meaning", "approved"), ("password", DEMO_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let view = demo
        .app
        .site_map(&cellpath_app::Caller::system("test"), &draft.id)
        .await
        .expect("readable");
    assert_eq!(view.status.as_str(), "signed");

    // The signed version: its swimlane marks the accepted change, its forms are gone, and the
    // next version can be started from it.
    let done = coordinator.get_saved(&page, Some("site-map-signed")).await;
    assert!(done.body.contains(r#"data-status="signed""#));
    // Each signature says the channel it came through: both were signed on the web.
    assert_eq!(
        done.body
            .matches(r#"<td class="sig-channel">via web session</td>"#)
            .count(),
        2,
        "{}",
        done.body
    );
    let enrolled = step_box(&done.body, "enrollment").expect("the enrollment box");
    assert!(enrolled.contains("changed"), "{enrolled}");
    assert!(step_box(&done.body, "pavilion_chair_ready").is_some_and(|t| t.contains("changed")));
    assert!(!step_box(&done.body, "referral").is_some_and(|t| t.contains("changed")));
    assert!(
        done.body
            .contains("Enrollment in the Helixa portal by the coordinator")
    );
    assert!(!done.body.contains(r#"id="checklist-form""#));
    assert!(!done.body.contains(r#"id="sign-form""#));
    let step_page = coordinator
        .get(&format!("{page}/steps/receipt_and_storage"))
        .await;
    assert!(
        !step_page.body.contains(r#"id="details-form""#),
        "a signed version never changes"
    );
    let late = coordinator
        .submit(
            &page,
            "start-next",
            &format!("/partnerships/{}/site-maps", pship.id),
            &[
                ("site_id", &draft.site_id),
                ("program_id", &draft.program_id),
                ("from", &draft.id),
            ],
            None,
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    let next_id = late.target().trim_start_matches("/site-maps/").to_string();
    let (next, r) = stored(&demo, &next_id).await;
    assert_eq!(next.number, 2);
    assert!(
        r.details.contains_key("receipt_and_storage"),
        "the site's work is carried over"
    );
    let next_page = coordinator.get(&late.target()).await;
    assert!(next_page.body.contains(r#"data-status="draft""#));
}

#[tokio::test]
async fn a_site_edits_its_own_step_and_removes_a_checklist() {
    let demo = seeded().await;
    let draft = cancer_draft(&demo).await;
    let page = format!("/site-maps/{}", draft.id);
    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let referral = format!("{page}/steps/referral");
    let shown = pharmacy.get_saved(&referral, Some("site-map-step")).await;
    assert!(
        shown.body.contains(r#"id="edit-form""#) && !shown.body.contains(r#"id="propose-form""#)
    );
    let edited = pharmacy
        .submit(
            &referral,
            "edit-form",
            &format!("{referral}/edit"),
            &[
                ("name", "Referral received in the Epic queue"),
                ("role", "coordinator"),
                ("recorded_in", "ehr"),
            ],
            None,
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let (_, r) = stored(&demo, &draft.id).await;
    assert_eq!(
        r.overrides["referral"].name,
        "Referral received in the Epic queue"
    );
    assert!(
        pharmacy
            .get(&page)
            .await
            .body
            .contains("Changed by the site")
    );
    let restored = pharmacy
        .submit(
            &referral,
            "edit-form",
            &format!("{referral}/edit"),
            &[("restore", "on")],
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER, "{}", restored.body);
    assert!(stored(&demo, &draft.id).await.1.overrides.is_empty());

    // Add and remove a checklist.
    let added = pharmacy
        .submit(
            &page,
            "checklist-form",
            &format!("{page}/checklist"),
            &[
                ("key", "pharmacy_double_check"),
                ("name", "Pharmacy double check"),
                ("stage", "verification"),
                ("role", "pharmacy"),
                ("after", "physician_order"),
                ("before", "pharmacist_verification"),
                ("items", "Order matches the label"),
            ],
            None,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let check = format!("{page}/steps/pharmacy_double_check");
    let removed = pharmacy
        .submit(&check, "remove-form", &format!("{check}/remove"), &[], None)
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(stored(&demo, &draft.id).await.1.local_steps.is_empty());
    assert_eq!(pharmacy.get(&check).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_health_system_that_is_not_a_partner_gets_404() {
    let demo = seeded().await;
    let draft = cancer_draft(&demo).await;
    let page = format!("/site-maps/{}", draft.id);
    let mut stranger = Browser::signed_in(&demo, "nurse@piedmont.example").await;
    for path in [page.clone(), format!("{page}/steps/referral")] {
        let answer = stranger.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("Lakeshore"), "nothing of it is shown");
    }
    let home = stranger.get("/").await;
    let csrf = home.field("csrf");
    let posted = stranger
        .post(
            &format!("{page}/steps/referral/details"),
            &[("csrf", &csrf), ("version", "1"), ("location", "x")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);

    // A Lakeshore nurse reads the map but gets no forms; a forged post is forbidden.
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let shown = nurse.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(!shown.body.contains(r#"id="checklist-form""#));
    let step = nurse.get(&format!("{page}/steps/referral")).await;
    assert!(!step.body.contains(r#"id="details-form""#));
    let csrf = shown.field("csrf");
    let forged = nurse
        .post(
            &format!("{page}/steps/referral/details"),
            &[
                ("csrf", &csrf),
                ("version", &draft.version.to_string()),
                ("location", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
}
