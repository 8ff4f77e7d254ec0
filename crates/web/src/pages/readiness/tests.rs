//! Readiness driven through the router: Helixa's onboarding lead records a visit to the
//! Lakeshore Cancer Pavilion with an unmet observation, runs the gap analysis and sees the new
//! gap; Lakeshore's pharmacy closes it with evidence and its password (a wrong password is
//! refused beside the field); the partnership, site and facility pages show the score and the
//! gaps; a health system that is not Helixa's partner gets 404.

use crate::testing::{Browser, seeded};
use axum::http::StatusCode;
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_domain::FacilityKind;
use cellpath_domain::events::readiness::GapStatus;

#[tokio::test]
async fn a_visit_finds_a_gap_which_the_site_closes_with_evidence() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let site = demo.site("LUH-CANCER").await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let facilities = demo
        .app
        .store()
        .facilities_of_site(&site.id)
        .await
        .expect("query");
    let unit = facilities
        .iter()
        .find(|f| f.kind == FacilityKind::Clinical)
        .expect("the Pavilion's unit");
    let lab = facilities
        .iter()
        .find(|f| f.kind == FacilityKind::Processing)
        .expect("the cell lab");
    let base = format!("/partnerships/{}/sites/{}", pship.id, site.id);
    let page = format!("{base}/readiness?program={}", vantacel.id);

    let mut onboarding = Browser::signed_in(&demo, "onboarding@helixa.example").await;
    let before = onboarding.get_saved(&page, Some("readiness-before")).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert!(
        before.body.contains(r#"data-percent="0""#),
        "nothing observed yet"
    );
    assert!(before.body.contains(r#"id="visit-form""#));
    assert!(
        before
            .body
            .contains(r#"data-capability="tocilizumab_doses_on_hand""#)
    );

    let good: Vec<(&str, &str)> = vec![
        ("program", &vantacel.id),
        (
            "visitors",
            "Marcus Kowalski (Helixa onboarding)\nSamuel Adeyemi (Helixa quality)",
        ),
        ("facility_ids", &unit.id),
        ("facility_ids", &lab.id),
        ("obs.tocilizumab_doses_on_hand", "0"),
        ("obs.tocilizumab_doses_on_hand.facility", &unit.id),
        ("obs.minutes_cell_lab_to_infusion", "10"),
        ("obs.validated_thaw_device", "yes"),
        (
            "finding.storage",
            "No tocilizumab stocked on the Pavilion's unit.",
        ),
    ];

    // A date the app cannot read is refused beside the date; a number the form cannot read
    // beside the observations, named after its capability.
    let mut bad_date = good.clone();
    bad_date.push(("visited_on", "next Tuesday"));
    let refused = onboarding
        .submit(
            &page,
            "visit-form",
            &format!("{base}/visits"),
            &bad_date,
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.error_beside("visited_on").is_some(),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("No tocilizumab stocked on the Pavilion"),
        "what was typed is kept"
    );
    let mut bad_number = good.clone();
    bad_number.push(("visited_on", "2026-11-10"));
    bad_number.push(("obs.ln2_storage_positions", "six"));
    let refused = onboarding
        .submit(
            &page,
            "visit-form",
            &format!("{base}/visits"),
            &bad_number,
            Some("readiness-visit-refused"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_beside("observations")
            .is_some_and(|m| m.contains("LN2 storage positions")),
        "{}",
        refused.body
    );
    assert!(
        demo.app
            .store()
            .site_visits_of(&site.id)
            .await
            .expect("query")
            .is_empty()
    );

    let mut visit = good.clone();
    visit.push(("visited_on", "2026-11-10"));
    let plan: &[u8] = b"%PDF-1.5\n% Pavilion floor plan\n%%EOF\n";
    let photo: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    // A file of another kind is refused beside the files, and the visit is not recorded.
    let wrong = onboarding
        .submit_files(
            &page,
            "visit-form",
            &format!("{base}/visits"),
            &visit,
            &[
                ("attachments", "Pavilion floor plan.pdf", plan),
                ("attachments", "macro.xlsm", b"PK\x03\x04 xl/vbaProject.bin"),
            ],
            None,
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(
        wrong
            .error_beside("attachments")
            .is_some_and(|m| m.contains("macro.xlsm: this kind of file is not kept")),
        "{}",
        wrong.body
    );
    let recorded = onboarding
        .submit_files(
            &page,
            "visit-form",
            &format!("{base}/visits"),
            &visit,
            &[
                ("attachments", "Pavilion floor plan.pdf", plan),
                ("attachments", "LN2 room.png", photo),
            ],
            None,
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let shown = onboarding.get(&page).await;
    let plan_sha = cellpath_ledger::hash_bytes(plan);
    assert!(
        shown.body.contains(&format!(
            r#"href="/documents/{plan_sha}" download="Pavilion floor plan.pdf""#
        )),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("image/png"));
    let (status, media, bytes) = onboarding.download(&format!("/documents/{plan_sha}")).await;
    assert_eq!(
        (status, media.as_str(), bytes.as_slice()),
        (StatusCode::OK, "application/pdf", plan)
    );
    // The site's pharmacist reads the readiness work, and so the files; another tenant not.
    let mut site_pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    assert_eq!(
        site_pharmacy
            .download(&format!("/documents/{plan_sha}"))
            .await
            .0,
        StatusCode::OK
    );
    let mut stranger = Browser::signed_in(&demo, "quality@northbridge.example").await;
    let (status, _, body) = stranger.download(&format!("/documents/{plan_sha}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("Not found"));
    assert!(shown.body.contains("No tocilizumab stocked"));
    assert!(shown.body.contains(r#"data-finding="unmet""#));

    // Gap analysis opens the gap, with an owner and a due date.
    let analyzed = onboarding
        .submit(
            &page,
            "analyze-form",
            &format!("{base}/gap-analysis"),
            &[("program", &vantacel.id)],
            None,
        )
        .await;
    assert_eq!(analyzed.status, StatusCode::SEE_OTHER, "{}", analyzed.body);
    assert!(
        analyzed
            .location
            .as_deref()
            .is_some_and(|l| l.contains("notice=gaps_opened"))
    );
    let gaps = demo
        .app
        .store()
        .gaps_of_site(&site.id)
        .await
        .expect("query");
    let gap = gaps
        .iter()
        .find(|g| g.requirement_key == "tocilizumab")
        .expect("a gap for the missing tocilizumab")
        .clone();
    assert_eq!(
        (gap.severity.as_str(), gap.status.as_str()),
        ("blocking", "open")
    );
    let shown = onboarding.get_saved(&page, Some("readiness")).await;
    assert!(shown.body.contains(&format!(r#"id="gap-{}""#, gap.id)));
    assert!(shown.body.contains("open blocking gap"));
    let again = onboarding
        .submit(
            &page,
            "analyze-form",
            &format!("{base}/gap-analysis"),
            &[("program", &vantacel.id)],
            None,
        )
        .await;
    assert!(
        again
            .location
            .as_deref()
            .is_some_and(|l| l.contains("notice=no_new_gaps"))
    );

    // The site closes it: a wrong password is refused beside the field, nothing changes.
    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let site_view = pharmacy.get_saved(&page, Some("readiness-site")).await;
    assert!(
        !site_view.body.contains(r#"id="visit-form""#),
        "the site does not record visits"
    );
    let gap_rows = |page: &str| -> String {
        let at = page
            .find(&format!(r#"id="gap-{}""#, gap.id))
            .expect("the gap's rows");
        let end = page[at..].find("</tbody>").expect("they end") + at;
        page[at..end].to_string()
    };
    assert!(
        !gap_rows(&site_view.body).contains("record-signatures"),
        "an open gap carries no signature"
    );
    let close = format!("{base}/gaps/{}/close", gap.id);
    let evidence =
        "Par level raised to two doses on the Pavilion unit (Omnicell report 2026-11-20).";
    let wrong = pharmacy
        .post_files(
            &close,
            &[
                ("csrf", &site_view.field("csrf")),
                ("version", &gap.version.to_string()),
                ("program", &vantacel.id),
                ("evidence", evidence),
                ("password", "wrong password"),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.error_beside("password").is_some(), "{}", wrong.body);
    assert!(
        wrong.body.contains("Par level raised"),
        "the evidence typed is kept"
    );
    // Closed with the report itself attached: named in the evidence by its hash.
    let report: &[u8] = b"Omnicell par level report, Pavilion unit: tocilizumab 2 doses.\n";
    let closed = pharmacy
        .post_files(
            &close,
            &[
                ("csrf", &site_view.field("csrf")),
                ("version", &gap.version.to_string()),
                ("program", &vantacel.id),
                ("evidence", evidence),
                ("password", DEMO_PASSWORD),
            ],
            &[("document", "omnicell-report.txt", report)],
            None,
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let stored = demo
        .app
        .store()
        .gap(&gap.id)
        .await
        .expect("query")
        .expect("the gap");
    assert_eq!(stored.status, GapStatus::Closed);
    let report_sha = cellpath_ledger::hash_bytes(report);
    assert_eq!(
        stored.evidence.as_deref(),
        Some(format!("{evidence}\nDocument: omnicell-report.txt (SHA-256 {report_sha})").as_str())
    );
    let shown = pharmacy
        .get_saved(&page, Some("readiness-signed-gap"))
        .await;
    // The closed gap shows its signature: the pharmacist's printed name, when, "verified".
    let signature = demo.last_signature(&gap.partnership_id).await;
    let rows = gap_rows(&shown.body);
    assert!(
        rows.contains(&crate::testing::signature_shown(
            "Caleb Novak",
            "verified",
            signature.signed_at
        )),
        "{rows}"
    );
    assert!(
        shown
            .body
            .contains("Par level raised to two doses on the Pavilion unit")
    );
    assert!(
        shown.body.contains(&format!(
            r#"href="/documents/{report_sha}" download="omnicell-report.txt""#
        )),
        "{}",
        shown.body
    );
    // Both sides read the gap, and so the report; another tenant does not.
    let (status, media, bytes) = onboarding
        .download(&format!("/documents/{report_sha}"))
        .await;
    assert_eq!(
        (status, media.as_str(), bytes.as_slice()),
        (StatusCode::OK, "text/plain; charset=utf-8", report)
    );
    let mut stranger = Browser::signed_in(&demo, "pharmacy@piedmont.example").await;
    assert_eq!(
        stranger
            .download(&format!("/documents/{report_sha}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_site_partnership_and_facility_pages_show_readiness_and_gaps() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let north = demo.site("LUH-NORTH").await;
    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;

    let partnership = coordinator
        .get(&format!("/partnerships/{}", pship.id))
        .await;
    assert!(
        partnership.body.contains(r#"data-open-blocking="1""#),
        "LUH-NORTH's blocking gap"
    );

    let site_page = coordinator
        .get_saved(&format!("/sites/{}", north.id), Some("site"))
        .await;
    assert_eq!(site_page.status, StatusCode::OK);
    assert!(site_page.body.contains(r#"id="site-programs""#));
    assert!(site_page.body.contains("Vantacel"));
    assert!(site_page.body.contains("1 open blocking gap"));
    assert!(site_page.body.contains(&format!(
        "/partnerships/{}/sites/{}/readiness",
        pship.id, north.id
    )));

    // A site with a site map shows the program's map as the site runs it.
    let main = demo
        .app
        .store()
        .sites_of(&north.org_id, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.code == "LUH-MAIN")
        .unwrap();
    let main_page = coordinator
        .get_saved(&format!("/sites/{}", main.id), Some("site-main"))
        .await;
    assert!(main_page.body.contains("Vantacel at this site"));
    assert!(main_page.body.contains("<svg"));
    assert!(
        main_page.body.contains(r#"data-step="icu_bed_hold""#),
        "the site's checklist step is drawn"
    );

    let unit = demo
        .app
        .store()
        .facilities_of_site(&north.id)
        .await
        .expect("query")
        .into_iter()
        .find(|f| f.kind == FacilityKind::Clinical)
        .expect("the North unit");
    let facility = coordinator
        .get_saved(&format!("/facilities/{}", unit.id), Some("facility"))
        .await;
    assert_eq!(facility.status, StatusCode::OK);
    assert!(facility.body.contains(r#"id="facility-gaps""#));
    assert!(
        facility.body.contains("Tocilizumab doses on hand"),
        "{}",
        facility.body
    );
    assert!(facility.body.contains(r#"data-severity="blocking""#));

    // The manufacturer sees the same on its side.
    let mut onboarding = Browser::signed_in(&demo, "onboarding@helixa.example").await;
    let site_page = onboarding.get(&format!("/sites/{}", north.id)).await;
    assert_eq!(site_page.status, StatusCode::OK, "{}", site_page.body);
    assert!(site_page.body.contains("1 open blocking gap"));
}

#[tokio::test]
async fn a_health_system_that_is_not_a_partner_gets_404() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let north = demo.site("LUH-NORTH").await;
    let mut stranger = Browser::signed_in(&demo, "nurse@piedmont.example").await;
    let page = format!("/partnerships/{}/sites/{}/readiness", pship.id, north.id);
    let answer = stranger.get(&page).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(!answer.body.contains("Lakeshore North"));
    let csrf = stranger.get("/").await.field("csrf");
    let gap = demo
        .app
        .store()
        .gaps_of_site(&north.id)
        .await
        .expect("query")
        .into_iter()
        .next()
        .expect("a seeded gap");
    let posted = stranger
        .post_files(
            &format!(
                "/partnerships/{}/sites/{}/gaps/{}/close",
                pship.id, north.id, gap.id
            ),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("evidence", "x"),
                ("password", DEMO_PASSWORD),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);

    // Piedmont's own readiness with Northbridge: the receiving-hours gap.
    let np = demo
        .partnership("Northbridge Gene Medicines", "Piedmont Valley Health")
        .await;
    let pvh = demo.site("PVH-MAIN").await;
    let own = stranger
        .get(&format!(
            "/partnerships/{}/sites/{}/readiness",
            np.id, pvh.id
        ))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(
        own.body.contains(r#"data-requirement="receiving""#),
        "{}",
        own.body
    );
}
