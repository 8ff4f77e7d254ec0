//! The release-exception pages as each role sees them: a protocol drafted in a form (a refusal
//! beside its field), read in words, e-signed by each side; an exception's page with its first
//! fact, the tiers told, the acknowledge button for a recipient only, the next steps only for
//! who may take them; the SLA figures on the partnership page and the dashboard; nothing for
//! a proposal's party or another tenant.

use crate::testing::{Browser, Demo, seeded};
use axum::http::StatusCode;
use cellpath_app::demo::DEMO_PASSWORD;
use cellpath_app::release_exceptions::{NewExceptionProtocol, OpenReleaseException};
use cellpath_domain::release_exception::{ExceptionKind, Protocol};
use cellpath_domain::{OrgKind, Role};

/// Every demo person of a side of Helixa × Lakeshore, by e-mail.
fn people(side: OrgKind) -> Vec<String> {
    let domain = match side {
        OrgKind::Manufacturer => "helixa.example",
        OrgKind::HealthSystem => "lakeshore.example",
    };
    Role::for_kind(side)
        .iter()
        .map(|r| format!("{}@{domain}", r.as_str().replace('_', ".")))
        .collect()
}

fn everyone() -> Vec<String> {
    people(OrgKind::Manufacturer)
        .into_iter()
        .chain(people(OrgKind::HealthSystem))
        .collect()
}

/// The usual protocol as the draft form posts it.
fn usual_form(program_id: &str) -> Vec<(String, String)> {
    let p = Protocol::usual();
    let mut f = vec![("program_id".to_string(), program_id.to_string())];
    for (i, t) in p.tiers.iter().enumerate() {
        for r in &t.recipients {
            f.push((
                format!("t{i}_recipients"),
                format!("{}:{}", r.side.as_str(), r.role.as_str()),
            ));
        }
        for c in &t.channels {
            f.push((format!("t{i}_channels"), c.as_str().to_string()));
        }
        f.push((format!("t{i}_notify"), t.notify_within_minutes.to_string()));
        if let Some(h) = t.escalate_after_hours {
            f.push((format!("t{i}_escalate"), h.to_string()));
        }
    }
    f.push(("patient_role".into(), "coordinator".into()));
    f.push(("patient_hours".into(), "24".into()));
    f.push(("decision_hours".into(), "72".into()));
    for o in &p.options {
        for x in &o.options {
            f.push((
                "options".into(),
                format!("{}:{}", o.kind.as_str(), x.as_str()),
            ));
        }
    }
    f
}

/// The usual protocol agreed by both sides of Helixa × Lakeshore for Vantacel, and an
/// out-of-specification exception opened on the demo's stored case. (partnership, exception)
async fn opened(demo: &Demo) -> (String, String) {
    let p = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let program = demo.program("Helixa Therapeutics", "Vantacel").await;
    let hs = demo.caller("contracts@lakeshore.example").await;
    let mfr = demo.caller("contracts@helixa.example").await;
    let v = demo
        .app
        .draft_exception_protocol(
            &hs,
            &p.id,
            NewExceptionProtocol {
                program_id: program.id,
                protocol: Protocol::usual(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    for who in [&hs, &mfr] {
        demo.app
            .sign_exception_protocol(who, &v.id, DEMO_PASSWORD, None)
            .await
            .unwrap();
    }
    let site = demo.site("LUH-MAIN").await;
    let case = demo.app.stored_case(&site.id).await.unwrap().unwrap();
    let quality = demo.caller("quality@helixa.example").await;
    let ex = demo
        .app
        .open_release_exception(
            &quality,
            &case,
            OpenReleaseException {
                kind: ExceptionKind::OutOfSpecification,
                certificate_reference: "QA-2026-0204 viability 61 %".into(),
                certificate_sha256: "c0".repeat(32),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    (p.id, ex.id)
}

#[tokio::test]
async fn a_protocol_is_drafted_in_a_form_read_in_words_and_signed_by_each_side() {
    let demo = seeded().await;
    let p = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let program = demo.program("Helixa Therapeutics", "Vantacel").await;
    let page = format!("/partnerships/{}/exception-protocols", p.id);
    let mut contracts = Browser::signed_in(&demo, "contracts@lakeshore.example").await;
    // The demo agreed the usual protocol when the partnership was accepted; a new version may
    // be drafted beside it.
    let first = contracts.get(&page).await;
    assert_eq!(first.status, StatusCode::OK);
    first.assert_has("Agreed by both sides");
    assert!(!first.body.contains("Superseded"), "{}", first.body);
    first.assert_has(r#"id="protocol-form""#);
    let seeded_versions = demo
        .app
        .store()
        .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
        .await
        .unwrap();
    assert_eq!(seeded_versions.len(), 1);
    // The form starts from the usual protocol: the manufacturer's quality is ticked in tier 1.
    assert!(
        first
            .body
            .contains(r#"value="manufacturer:quality" id="protocol-t0-recipients-4" checked"#),
        "{}",
        first.body
    );

    // Tier 1 telling only the health system: refused beside the tier's recipients.
    let mut one_sided: Vec<(String, String)> = usual_form(&program.id)
        .into_iter()
        .filter(|(k, v)| !(k == "t0_recipients" && v.starts_with("manufacturer:")))
        .collect();
    one_sided.push(("t2_escalate".into(), "5".into()));
    let refused = contracts
        .submit(
            &page,
            "protocol-form",
            &page,
            &crate::testing::borrowed(&one_sided),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = refused
        .error_beside("t0_recipients")
        .expect("an error beside tier 1's recipients");
    assert!(
        beside.contains("tier 1 must tell someone on each side"),
        "{beside}"
    );
    let last = refused
        .error_beside("t2_escalate")
        .expect("an error beside tier 3's escalation");
    assert!(last.contains("tier 3 is the last"), "{last}");
    assert_eq!(
        demo.app
            .store()
            .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
            .await
            .unwrap(),
        seeded_versions,
        "nothing drafted"
    );

    let made = contracts
        .submit(
            &page,
            "protocol-form",
            &page,
            &crate::testing::borrowed(&usual_form(&program.id)),
            None,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let version = made
        .location
        .clone()
        .expect("to the version")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(
        version.starts_with("/exception-protocols/exp_"),
        "{version}"
    );

    let shown = contracts.get(&version).await;
    shown.assert_has("Draft: awaiting signatures");
    shown.assert_has("the manufacturer's Quality, the health system's Cell lab and the health system's Coordinator, by in-app notice and e-mail, within 1 hour of the exception.");
    shown.assert_has("If nobody acknowledges within 8 hours, tier 2 is told.");
    shown.assert_has(
        "The health system's Coordinator tells the patient within 24 hours of the exception.",
    );
    shown.assert_has("The decision is due within 3 days of the exception.");
    shown.assert_has("Infuse under expanded access");
    shown.assert_has(r#"id="sign-form""#);

    let wrong = contracts
        .submit(
            &version,
            "sign-form",
            &format!("{version}/sign"),
            &[("password", "not mine")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.error_beside("password").is_some(), "{}", wrong.body);
    let signed = contracts
        .submit(
            &version,
            "sign-form",
            &format!("{version}/sign"),
            &[("password", DEMO_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let after = contracts.get(&version).await;
    assert!(
        !after.body.contains(r#"id="sign-form""#),
        "signed once per side"
    );

    let mut helixa = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let theirs = helixa.get(&version).await;
    theirs.assert_has(r#"id="sign-form""#);
    let signed = helixa
        .submit(
            &version,
            "sign-form",
            &format!("{version}/sign"),
            &[("password", DEMO_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let agreed = helixa.get(&page).await;
    agreed.assert_has("Agreed by both sides");
    agreed.assert_has("Superseded");
    assert!(!agreed.body.contains("No protocol is agreed for Vantacel"));

    // Every role of both sides reads it; only those the policy lets create may draft.
    for email in everyone() {
        let mut b = Browser::signed_in(&demo, &email).await;
        let list = b.get(&page).await;
        assert_eq!(list.status, StatusCode::OK, "{email}");
        list.assert_has("Agreed by both sides");
        assert_eq!(b.get(&version).await.status, StatusCode::OK, "{email}");
    }
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    assert!(
        !nurse
            .get(&page)
            .await
            .body
            .contains(r#"id="protocol-form""#)
    );

    // Another tenant, and a party of a proposal only: not found.
    let mut other = Browser::signed_in(&demo, "quality@northbridge.example").await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&version).await.status, StatusCode::NOT_FOUND);
    let proposal = demo
        .partnership("Helixa Therapeutics", "Cascade Regional Medical")
        .await;
    let mut cascade = Browser::signed_in(&demo, "admin@cascade.example").await;
    let proposal_page = format!("/partnerships/{}/exception-protocols", proposal.id);
    assert_eq!(
        cascade.get(&proposal_page).await.status,
        StatusCode::NOT_FOUND
    );

    // Accepted, it has no protocol yet: the page says so, and offers the form.
    demo.accept(&proposal, "contracts@cascade.example").await;
    let mut cascade = Browser::signed_in(&demo, "contracts@cascade.example").await;
    let empty = cascade.get(&proposal_page).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_has("No protocol is agreed for Vantacel yet");
    empty.assert_has(r#"id="protocol-form""#);
    assert!(!empty.body.contains("Agreed by both sides"));
}

#[tokio::test]
async fn an_exception_shows_its_first_fact_and_a_recipient_acknowledges_it() {
    let demo = seeded().await;
    let (partnership, id) = opened(&demo).await;
    let page = format!("/release-exceptions/{id}");

    // Every role of both sides sees it (each sees the case's patient).
    for email in everyone() {
        let mut b = Browser::signed_in(&demo, &email).await;
        let list = b.get("/release-exceptions").await;
        assert_eq!(list.status, StatusCode::OK, "{email}");
        list.assert_has("VAN-LUH-MAIN-0007");
        let shown = b.get(&page).await;
        assert_eq!(shown.status, StatusCode::OK, "{email}");
        shown.assert_has("Lymphodepleting chemotherapy had started: no.");
        shown.assert_has("Out of specification: VAN-LUH-MAIN-0007");
        // Only tier 1's recipients are offered the acknowledgement.
        let recipient = [
            "quality@helixa.example",
            "cell.lab@lakeshore.example",
            "coordinator@lakeshore.example",
        ]
        .contains(&email.as_str());
        assert_eq!(
            shown.body.contains(r#"id="acknowledge-form""#),
            recipient,
            "{email}"
        );
        // The next steps show for who may take them: the coordinator tells the patient;
        // the physician and the manufacturer's quality decide.
        assert_eq!(
            shown.body.contains(r#"id="to-patient-told""#),
            email == "coordinator@lakeshore.example",
            "{email}"
        );
        assert_eq!(
            shown.body.contains(r#"id="to-decision""#),
            email == "physician@lakeshore.example" || email == "quality@helixa.example",
            "{email}"
        );
    }
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let refused = nurse
        .post_saved(&format!("{page}/acknowledgement"), &[], None)
        .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER);

    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let before = coordinator.get(&page).await;
    before.assert_has("Not acknowledged yet");
    before.assert_has("The next tier is told");
    let acked = coordinator
        .submit(
            &page,
            "acknowledge-form",
            &format!("{page}/acknowledgement"),
            &[],
            None,
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER, "{}", acked.body);
    let after = coordinator
        .get(&format!("{page}?notice=acknowledged"))
        .await;
    after.assert_has("Your acknowledgement is recorded");
    after.assert_has(r#"id="acknowledged""#);
    assert!(!after.body.contains(r#"id="acknowledge-form""#));

    // The SLA figures: on the partnership page and on the dashboard.
    let p = coordinator
        .get(&format!("/partnerships/{partnership}"))
        .await;
    p.assert_has(r#"id="release-exceptions""#);
    p.assert_has("1 exception, 0 breaches of the protocol's times.");
    let sla = coordinator.get("/release-exceptions/sla").await;
    assert_eq!(sla.status, StatusCode::OK);
    sla.assert_has(&format!(
        r#"data-partnership="{partnership}" data-breaches="0""#
    ));

    // Another tenant: not found, not listed, no figures.
    let mut other = Browser::signed_in(&demo, "quality@northbridge.example").await;
    assert_eq!(other.get(&page).await.status, StatusCode::NOT_FOUND);
    assert!(
        !other
            .get("/release-exceptions")
            .await
            .body
            .contains("VAN-LUH-MAIN-0007")
    );
    assert!(
        !other
            .get("/release-exceptions/sla")
            .await
            .body
            .contains(&partnership)
    );
}

#[test]
fn a_step_not_done_in_its_time_reads_as_a_breach() {
    use cellpath_domain::release_exception::{Exception, HOUR, sla};
    // Opened four days ago under the usual protocol; tier 1 told at once, nothing since.
    let exception = Exception::opened(ExceptionKind::ManufacturingFailure, 0);
    let figures = sla(&exception, &Protocol::usual(), 96 * HOUR);
    assert_eq!(
        figures.breaches(),
        3,
        "acknowledge, decide and tell the patient"
    );
    let shown = super::sla::measures_table(&figures, 96 * HOUR).into_string();
    assert_eq!(shown.matches("Breached: not done").count(), 3, "{shown}");
    assert_eq!(shown.matches("Within").count(), 1, "{shown}");
    assert!(shown.contains("<td>1 hour</td>"), "notify allowed: {shown}");
}

/// The usual protocol agreed by both sides of Helixa × Lakeshore for Vantacel.
async fn agree_usual(demo: &Demo) {
    let p = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let program = demo.program("Helixa Therapeutics", "Vantacel").await;
    let hs = demo.caller("contracts@lakeshore.example").await;
    let mfr = demo.caller("contracts@helixa.example").await;
    let v = demo
        .app
        .draft_exception_protocol(
            &hs,
            &p.id,
            NewExceptionProtocol {
                program_id: program.id,
                protocol: Protocol::usual(),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    for who in [&hs, &mfr] {
        demo.app
            .sign_exception_protocol(who, &v.id, DEMO_PASSWORD, None)
            .await
            .unwrap();
    }
}

/// The demo's collected case (VAN-LUH-MAIN-0004) taken to the manufacturer and found out of
/// specification at release: the case stopped there, its exception opened by the release
/// decision itself (as `crates/app/tests/app/exception_decisions.rs` does). (case, exception)
async fn stopped_at_release(demo: &Demo) -> (String, String) {
    use cellpath_app::cases::{CaseInput, ScanInput};
    use cellpath_domain::events::cases::ReleaseDecision;
    use cellpath_domain::journey::Temperature;
    use cellpath_domain::program::IdentifierKind;
    const DIN: &str = "W1234 26 000104";
    agree_usual(demo).await;
    let site = demo.site("LUH-MAIN").await;
    let coordinator = demo.caller("coordinator@lakeshore.example").await;
    let case = demo
        .app
        .cases_of_site(&coordinator, &site.id, cellpath_app::views::Page::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.pseudonym == "VAN-LUH-MAIN-0004")
        .expect("the demo's collected case")
        .id;
    let apheresis = demo.caller("apheresis@lakeshore.example").await;
    let patient_ops = demo.caller("patient.ops@helixa.example").await;
    let quality = demo.caller("quality@helixa.example").await;
    let handoff = |step: &str, from: &str, to: &str| CaseInput::Handoff {
        step: step.into(),
        fields: Default::default(),
        attestation: None,
        items: Vec::new(),
        from: from.into(),
        to: to.into(),
        location: None,
        scan: Some(ScanInput {
            expected: IdentifierKind::Isbt128Din,
            text: DIN.into(),
        }),
        temperature: Temperature::InRange,
    };
    let steps = [
        (
            &apheresis,
            CaseInput::AddIdentifier {
                kind: IdentifierKind::Isbt128Din,
                text: DIN.into(),
                unit: None,
            },
        ),
        (
            &apheresis,
            handoff("courier_handoff", "Apheresis unit", "Polar Courier"),
        ),
        (
            &patient_ops,
            handoff(
                "manufacturing_receipt",
                "Polar Courier",
                "Helixa manufacturing",
            ),
        ),
        (
            &quality,
            CaseInput::Release {
                step: "release_decision".into(),
                decision: ReleaseDecision::OutOfSpecification,
                certificate_reference: "COA-HX-24104".into(),
                certificate_sha256: "cd".repeat(32),
            },
        ),
    ];
    for (by, input) in steps {
        demo.app
            .act_on_case(by, &case, input, "", None, None)
            .await
            .unwrap();
    }
    let mut found = demo
        .app
        .store()
        .release_exceptions_of_case(&case)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "one exception opened with the decision");
    (case, found.remove(0).id)
}

/// Where the exception stands on the record, read behind the pages' back.
async fn exception_row(
    demo: &Demo,
    id: &str,
) -> cellpath_app::release_exceptions::ExceptionProgress {
    demo.app
        .store()
        .release_exception(id)
        .await
        .unwrap()
        .expect("the exception")
        .into()
}

/// A moment as a person types it in a date-time field on their organization's clock, to the
/// second (`2026-12-07T09:20:41`).
async fn typed_on_clock(demo: &Demo, org: &str, at: i64) -> String {
    let org = demo.org(org).await;
    let zone = cellpath_app::zone::Zone::of(org.time_zone.as_deref());
    crate::time::local(&zone, at)[..19].replace(' ', "T")
}

/// The first whole second at or after `at`, once the clock has passed it: a time typed to the
/// second that is neither before the exception nor in the future.
async fn a_second_after(demo: &Demo, at: i64) -> i64 {
    let second = (at + 999_999) / 1_000_000 * 1_000_000;
    while demo.app.now() < second {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    second
}

#[tokio::test]
async fn the_coordinator_records_in_a_form_that_the_patient_was_told() {
    let demo = seeded().await;
    let (_, id) = opened(&demo).await;
    let page = format!("/release-exceptions/{id}");
    let action = format!("{page}/patient-told");

    // The manufacturer tells no patient: no form, and a post is refused with nothing written.
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    let theirs = quality.get(&page).await;
    assert!(!theirs.body.contains(r#"id="patient-told-form""#));
    let refused = quality
        .post(
            &action,
            &[
                ("csrf", &theirs.field("csrf")),
                ("method", "phone"),
                ("told_at", "2026-01-01T10:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(exception_row(&demo, &id).await.patient_told_at.is_none());

    let mut coordinator = Browser::signed_in(&demo, "coordinator@lakeshore.example").await;
    let shown = coordinator.get(&page).await;
    shown.assert_has(r##"<li id="to-patient-told"><a href="#patient-told">Record that the patient was told</a>"##);
    shown.assert_has(r#"id="patient-told-form""#);
    shown.assert_has(r#"<option value="in_person">In person</option>"#);
    shown.assert_has(r#"<option value="video">By video call</option>"#);

    // No way chosen, and a time in the future: each said beside its field, nothing written.
    let tomorrow = typed_on_clock(
        &demo,
        "Lakeshore University Health",
        demo.app.now() + cellpath_domain::release_exception::HOUR * 24,
    )
    .await;
    let bad = coordinator
        .submit(
            &page,
            "patient-told-form",
            &action,
            &[("method", ""), ("told_at", &tomorrow), ("note", "")],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let how = bad.error_beside("method").expect("a message beside how");
    assert!(how.contains("choose how the patient was told"), "{how}");
    assert!(
        bad.body.contains(&format!(r#"value="{tomorrow}""#)),
        "kept as typed"
    );
    let future = coordinator
        .submit(
            &page,
            "patient-told-form",
            &action,
            &[
                ("method", "in_person"),
                ("told_at", &tomorrow),
                ("note", ""),
            ],
            None,
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    let when = future
        .error_beside("told_at")
        .expect("a message beside when");
    assert!(when.contains("in the future"), "{when}");
    assert!(exception_row(&demo, &id).await.patient_told_at.is_none());

    let coordinator_caller = demo.caller("coordinator@lakeshore.example").await;
    let opened_at = demo
        .app
        .release_exception_view(&coordinator_caller, &id)
        .await
        .unwrap()
        .opened_at;
    let told_at = a_second_after(&demo, opened_at).await;
    let typed = typed_on_clock(&demo, "Lakeshore University Health", told_at).await;
    let done = coordinator
        .submit(
            &page,
            "patient-told-form",
            &action,
            &[
                ("method", "in_person"),
                ("told_at", &typed),
                ("note", "with her daughter present"),
            ],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{page}?notice=patient_told#notice").as_str())
    );
    let row = exception_row(&demo, &id).await;
    assert_eq!(row.patient_told_at, Some(told_at));
    let after = coordinator
        .get(&format!("{page}?notice=patient_told"))
        .await;
    after.assert_has("That the patient was told is recorded.");
    after.assert_has("Patient told");
    assert!(
        !after.body.contains(r#"id="patient-told-form""#),
        "told once"
    );
    assert!(!after.body.contains(r#"id="to-patient-told""#));
    let timeline = demo
        .app
        .release_exception_timeline(&demo.caller("coordinator@lakeshore.example").await, &id)
        .await
        .unwrap();
    assert!(
        timeline
            .entries
            .iter()
            .any(|t| t.what == "patient_told" && t.words.contains("in person")),
        "{:?}",
        timeline.entries
    );
}

#[tokio::test]
async fn a_decision_is_chosen_among_the_options_the_protocol_offers() {
    let demo = seeded().await;
    let (_, id) = opened(&demo).await;
    let page = format!("/release-exceptions/{id}");
    let action = format!("{page}/decision");

    // A nurse decides nothing: no form, and a post is refused with nothing written.
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let theirs = nurse.get(&page).await;
    assert!(!theirs.body.contains(r#"id="decision-form""#));
    let refused = nurse
        .post(
            &action,
            &[
                ("csrf", &theirs.field("csrf")),
                ("option", "other_therapy"),
                ("care_transition_plan", "to the lymphoma clinic"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(exception_row(&demo, &id).await.decision.is_none());

    let mut physician = Browser::signed_in(&demo, "physician@lakeshore.example").await;
    let shown = physician.get(&page).await;
    shown.assert_has(r#"id="decision-form""#);
    // The options offered for an out-of-specification product, in words; not monitoring,
    // which answers a product already infused.
    shown.assert_has(r#"<option value="expanded_access">Infuse under expanded access</option>"#);
    shown.assert_has(r#"<option value="remanufacture">Remanufacture from retained cells</option>"#);
    assert!(!shown.body.contains(r#"value="enhanced_monitoring""#));

    // An option the protocol does not offer for the kind: named beside the choice.
    let not_offered = physician
        .submit(
            &page,
            "decision-form",
            &action,
            &[("option", "enhanced_monitoring"), ("note", "")],
            None,
        )
        .await;
    assert_eq!(not_offered.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = not_offered
        .error_beside("option")
        .expect("a message beside the option");
    assert!(beside.contains("does not offer"), "{beside}");
    // A cancellation without its care-transition plan.
    let no_plan = physician
        .submit(
            &page,
            "decision-form",
            &action,
            &[("option", "cancel"), ("care_transition_plan", "  ")],
            None,
        )
        .await;
    assert_eq!(no_plan.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = no_plan
        .error_beside("care_transition_plan")
        .expect("a message beside the plan");
    assert!(
        beside.contains("care-transition plan is required"),
        "{beside}"
    );
    assert!(
        no_plan.body.contains(r#"<option value="cancel" selected>"#),
        "kept as chosen"
    );
    assert!(exception_row(&demo, &id).await.decision.is_none());

    let done = physician
        .submit(
            &page,
            "decision-form",
            &action,
            &[
                ("option", "other_therapy"),
                (
                    "care_transition_plan",
                    "referred to the lymphoma clinic for bispecifics",
                ),
                ("note", "discussed with the patient"),
            ],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let row = exception_row(&demo, &id).await;
    assert_eq!(
        row.decision,
        Some(cellpath_domain::release_exception::DecisionOption::OtherTherapy)
    );
    let after = physician.get(&format!("{page}?notice=decided")).await;
    after.assert_has("The decision is recorded.");
    after.assert_has(r#"data-option="other_therapy">Another therapy</strong>"#);
    assert!(
        !after.body.contains(r#"id="decision-form""#),
        "decided once"
    );

    // The manufacturer's quality, who could have decided, no longer may: it is decided (409),
    // and nothing changes.
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    let theirs = quality.get(&page).await;
    assert!(!theirs.body.contains(r#"id="decision-form""#));
    let late = quality
        .post(
            &action,
            &[("csrf", &theirs.field("csrf")), ("option", "remanufacture")],
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    late.assert_has("already decided: another therapy");
    assert_eq!(
        exception_row(&demo, &id).await.decision,
        Some(cellpath_domain::release_exception::DecisionOption::OtherTherapy)
    );
    // A form that cannot be read, from someone not shown it: refused without reading it.
    let garbled = quality
        .post(
            &action,
            &[("csrf", &theirs.field("csrf")), ("option", "??")],
        )
        .await;
    assert_eq!(garbled.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn expanded_access_is_cleared_prerequisite_by_prerequisite_and_both_sides_sign_the_close() {
    let demo = seeded().await;
    let (case, id) = stopped_at_release(&demo).await;
    let page = format!("/release-exceptions/{id}");
    let coordinator_caller = demo.caller("coordinator@lakeshore.example").await;
    demo.app
        .record_patient_told(
            &coordinator_caller,
            &id,
            cellpath_app::release_exceptions::PatientTold {
                method: cellpath_domain::release_exception::TellMethod::InPerson,
                told_at: demo.app.now(),
                note: String::new(),
            },
            None,
        )
        .await
        .unwrap();

    let mut physician = Browser::signed_in(&demo, "physician@lakeshore.example").await;
    assert!(
        !physician
            .get(&page)
            .await
            .body
            .contains(r#"id="prerequisite-form""#)
    );
    let decided = physician
        .submit(
            &page,
            "decision-form",
            &format!("{page}/decision"),
            &[("option", "expanded_access")],
            None,
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);

    // Each prerequisite is offered to its side and role only.
    let shown = physician.get(&page).await;
    shown.assert_has(r##"<li id="to-prerequisites"><a href="#prerequisites">"##);
    shown.assert_has(r#"data-prerequisite="irb_approval" data-recorded="no""#);
    shown.assert_has(r#"<option value="physician_request">The physician's request</option>"#);
    shown.assert_has(
        r#"<option value="expanded_access_consent">The patient's expanded-access consent</option>"#,
    );
    assert!(
        !shown
            .body
            .contains(r#"<option value="manufacturer_release""#)
    );
    let mut quality = Browser::signed_in(&demo, "quality@helixa.example").await;
    let theirs = quality.get(&page).await;
    theirs.assert_has(r#"<option value="manufacturer_release">The manufacturer's release for expanded access</option>"#);
    assert!(!theirs.body.contains(r#"<option value="physician_request""#));
    let mut patient_ops = Browser::signed_in(&demo, "patient.ops@helixa.example").await;
    let none = patient_ops.get(&page).await;
    assert!(!none.body.contains(r#"id="prerequisite-form""#));
    let refused = patient_ops
        .post(
            &format!("{page}/prerequisites"),
            &[
                ("csrf", &none.field("csrf")),
                ("prerequisite", "manufacturer_release"),
                ("reference", "REL-1"),
                ("document_sha256", &"ab".repeat(32)),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // The consent without its document's SHA-256: said beside that field, nothing written.
    let action = format!("{page}/prerequisites");
    let bad = physician
        .submit(
            &page,
            "prerequisite-form",
            &action,
            &[
                ("prerequisite", "expanded_access_consent"),
                ("reference", "EA-CONSENT-7"),
                ("document_sha256", ""),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let beside = bad
        .error_beside("document_sha256")
        .expect("a message beside the SHA-256");
    assert!(
        beside.contains("recorded with its document's SHA-256"),
        "{beside}"
    );
    assert!(exception_row(&demo, &id).await.prerequisites.is_empty());

    for (p, reference) in [
        ("physician_request", "REQ-2026-11"),
        ("irb_approval", "IRB-EA-0042"),
        ("expanded_access_consent", "EA-CONSENT-7"),
    ] {
        let done = physician
            .submit(
                &page,
                "prerequisite-form",
                &action,
                &[
                    ("prerequisite", p),
                    ("reference", reference),
                    ("document_sha256", &"ef".repeat(32)),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{p}: {}", done.body);
    }
    // Nothing yet to sign: the release is missing.
    assert!(!quality.get(&page).await.body.contains(r#"id="sign-form""#));
    let released = quality
        .submit(
            &page,
            "prerequisite-form",
            &action,
            &[
                ("prerequisite", "manufacturer_release"),
                ("reference", "REL-EA-24104"),
                ("document_sha256", &"EF".repeat(32)),
            ],
            None,
        )
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER, "{}", released.body);
    assert_eq!(exception_row(&demo, &id).await.prerequisites.len(), 4);
    let coordinator_view = demo.app.case(&coordinator_caller, &case).await.unwrap();
    assert_eq!(
        coordinator_view.status,
        cellpath_domain::events::cases::CaseState::Active,
        "the case goes on under expanded access"
    );

    // The close: what is signed shown beside the password; a wrong one signs nothing.
    let sign_page = quality.get(&page).await;
    sign_page.assert_has(r#"id="sign-form""#);
    sign_page.assert_has("meaning <strong>approved</strong>");
    sign_page.assert_has("Out of specification on case VAN-LUH-MAIN-0004");
    sign_page.assert_has("Infuse under expanded access");
    let row = exception_row(&demo, &id).await;
    let close = demo
        .app
        .release_exception_view(&coordinator_caller, &id)
        .await
        .unwrap()
        .close_sha256;
    sign_page.assert_has(&close);
    let wrong = quality
        .submit(
            &page,
            "sign-form",
            &format!("{page}/signatures"),
            &[("password", "not mine")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = wrong.error_beside("password").expect("beside the password");
    assert!(beside.contains("does not match your password"), "{beside}");
    assert!(
        exception_row(&demo, &id)
            .await
            .manufacturer_signed_at
            .is_none()
    );
    assert_eq!(exception_row(&demo, &id).await.version, row.version);

    // Another tenant cannot reach it at all.
    let mut other = Browser::signed_in(&demo, "quality@northbridge.example").await;
    let csrf = other.get("/").await.field("csrf");
    let outside = other
        .post(
            &format!("{page}/signatures"),
            &[("csrf", &csrf), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);

    for (browser, who) in [(&mut quality, "quality"), (&mut physician, "physician")] {
        let signed = browser
            .submit(
                &page,
                "sign-form",
                &format!("{page}/signatures"),
                &[("password", DEMO_PASSWORD)],
                None,
            )
            .await;
        assert_eq!(
            signed.status,
            StatusCode::SEE_OTHER,
            "{who}: {}",
            signed.body
        );
    }
    let row = exception_row(&demo, &id).await;
    assert!(row.manufacturer_signed_at.is_some() && row.health_system_signed_at.is_some());
    assert_eq!(
        row.status,
        cellpath_domain::events::release_exceptions::ExceptionStatus::Closed
    );
    let closed = physician.get(&page).await;
    closed.assert_has("Closed");
    assert!(!closed.body.contains(r#"id="sign-form""#));
    assert!(!closed.body.contains(r#"id="next-steps""#));
}
