//! The bedside check by scanning the bag's label, and a wrong bag named.

use super::*;

/// Submit the focused form with Enter (as a barcode scanner ends what it types) and wait for
/// the page it loads.
async fn type_and_enter(c: &Client, text: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    let focused = c.active_element().await.unwrap();
    if focused.attr("name").await.unwrap().as_deref() != Some("scan") {
        std::fs::write(
            screenshot_dir().join("case-scan-no-focus.png"),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        panic!("the scan field has no focus: {}", text_of(c, "#next").await);
    }
    focused.send_keys(&format!("{text}\u{E007}")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "Enter did not send the form");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_nurse_verifies_the_bag_by_scanning_its_label_and_a_wrong_bag_is_named() {
    use cellpath_app::cases::CaseInput;
    use cellpath_domain::process_map::StepKind;
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    let site = site_id(&s.app, "Lakeshore University Health", "LUH-MAIN").await;
    let case = s
        .app
        .stored_case(&site)
        .await
        .unwrap()
        .expect("the demo's stored case");
    // Up to the bedside, each open step by a person of its role (EHR steps attested, signed
    // ones with the password, the ICU bed checklist ticked, the bags thawed).
    let person = |email: String| {
        let app = s.app.clone();
        async move {
            let user = app.store().user_by_email(&email).await.unwrap().unwrap();
            app.caller_for_user(&user.id, cellpath_app::access::Via::Session)
                .await
                .unwrap()
        }
    };
    let coordinator = person("coordinator@lakeshore.example".into()).await;
    for _ in 0..12 {
        let view = s.app.case(&coordinator, &case).await.unwrap();
        if view
            .available
            .iter()
            .any(|a| a.step == "dual_verification_cd4")
        {
            break;
        }
        let open = view.available.first().expect("an open step");
        let role = open.roles[0];
        let step = view.steps.iter().find(|st| st.key == open.step).unwrap();
        let on_map = view.map.as_ref().and_then(|m| m.step(&step.key)).unwrap();
        let (fields, attestation) = if step.ehr {
            let attested = cellpath_domain::events::cases::EhrAttestation {
                reference: format!("EHR-{}", step.key),
                charted_at: s.app.now(),
            };
            (Default::default(), Some(attested))
        } else {
            let fields = step
                .fields
                .iter()
                .map(|f| (f.clone(), "as recorded".to_string()))
                .collect();
            (fields, None)
        };
        let key = step.key.clone();
        let input = match step.kind {
            StepKind::Signature => CaseInput::Sign {
                step: key,
                meaning: on_map
                    .params
                    .signatures
                    .iter()
                    .find(|sig| sig.role == role)
                    .map(|sig| sig.meaning)
                    .unwrap(),
                fields,
                attestation,
            },
            StepKind::Checklist => CaseInput::Checklist {
                step: key,
                fields,
                attestation,
                ticked: on_map.params.items.clone(),
            },
            StepKind::Thaw => CaseInput::Thaw {
                step: key,
                fields,
                attestation,
            },
            StepKind::HoldPoint => CaseInput::PassHold {
                step: key,
                fields,
                attestation,
            },
            _ => CaseInput::Record {
                step: key,
                fields,
                attestation,
            },
        };
        let by = person(format!(
            "{}@lakeshore.example",
            role.as_str().replace('_', ".")
        ))
        .await;
        s.app
            .act_on_case(
                &by,
                &case,
                input,
                cellpath_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
    }
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    // Another patient's bag: refused, and said beside the scan field in words.
    type_and_enter(c, "W1234 26 000108").await;
    let beside = text_of(
        c,
        "#step-dual_verification_cd4 p.field-error[data-field=scan]",
    )
    .await;
    assert!(
        beside.contains("does not belong to case VAN-LUH-MAIN-0007") && beside.contains("000107"),
        "{beside}"
    );
    c.execute(
        "document.querySelector('#step-dual_verification_cd4').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-scan-mismatch.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // The right bag: the field has the focus again; the scan is recorded.
    type_and_enter(c, "W1234 26 000107").await;
    assert!(
        c.find(Locator::Css("p.field-error[data-field=scan]"))
            .await
            .is_err(),
        "no message after the right bag"
    );
    let timeline = text_of(c, "#timeline").await;
    assert!(
        timeline.contains("Bedside dual verification CD4"),
        "{timeline}"
    );
    // The page comes back after the scan with the focus in the scan field again, so the
    // scanner's next label goes in without a click.
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("name").await.unwrap().as_deref(),
        Some("scan"),
        "after a recorded scan the scan field has the focus again"
    );
    // The second nurse of the seeded demo scans the same bag: the four eyes are complete.
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse.nights@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    type_and_enter(c, "W1234 26 000107").await;
    let view = s.app.case(&coordinator, &case).await.unwrap();
    let cd4 = view
        .steps
        .iter()
        .find(|st| st.key == "dual_verification_cd4")
        .unwrap();
    assert_eq!(cd4.state, "done", "two nurses verified the CD4 bag");
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    // The whole page as the nurse and the coordinator see it, to look at.
    c.set_window_size(1280, 6000).await.unwrap();
    std::fs::write(
        screenshot_dir().join("case-scan-verified.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "coordinator@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    std::fs::write(
        screenshot_dir().join("case-page-coordinator.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Below the timeline: the other actions, then hold and cancel apart.
    c.set_window_size(1280, 1600).await.unwrap();
    c.execute(
        "document.querySelector('#more-actions').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-page-stop.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    // Three hours on, the CD4 bag's 120-minute thaw window has closed. A second nurse verifies
    // (through the app, which stops before the infusion).
    s.clock.advance_secs(3 * 3_600);
    s.app
        .forward_until(&case, "administer_cd4")
        .await
        .expect("the second verification, up to the infusion");
    c.delete_all_cookies().await.unwrap();
    sign_in(c, &s, "nurse@lakeshore.example").await;
    c.goto(&s.url(&format!("/cases/{case}"))).await.unwrap();
    let form = text_of(c, "#step-administer_cd4").await;
    assert!(form.contains("The thaw window closed"), "{form}");
    type_into(
        c,
        "#step-administer_cd4 [name=ehr_reference]",
        "EHR-MAR-2201",
    )
    .await;
    type_into(
        c,
        "#step-administer_cd4 [name=late_reason]",
        "patient febrile at thaw; given once cleared by the physician",
    )
    .await;
    type_into(
        c,
        "#step-administer_cd4 [name=password]",
        cellpath_app::demo::DEMO_PASSWORD,
    )
    .await;
    c.execute(
        "document.querySelector('#step-administer_cd4').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    std::fs::write(
        screenshot_dir().join("case-administer-late.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    click(c, "#step-administer_cd4 button[type=submit]").await;
    let timeline = text_of(c, "#timeline").await;
    assert!(
        timeline.contains("patient febrile at thaw; given once cleared by the physician"),
        "{timeline}"
    );
    driver.client.clone().close().await.unwrap();
    s.shutdown().await;
}
