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
    let empty = contracts.get(&page).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_has("No protocol is agreed for Vantacel yet");
    empty.assert_has(r#"id="protocol-form""#);
    // The form starts from the usual protocol: the manufacturer's quality is ticked in tier 1.
    assert!(
        empty
            .body
            .contains(r#"value="manufacturer:quality" id="protocol-t0-recipients-4" checked"#),
        "{}",
        empty.body
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
    assert!(
        demo.app
            .store()
            .exception_protocols_of_partnerships(std::slice::from_ref(&p.id))
            .await
            .unwrap()
            .is_empty()
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
    assert_eq!(
        cascade
            .get(&format!(
                "/partnerships/{}/exception-protocols",
                proposal.id
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
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
