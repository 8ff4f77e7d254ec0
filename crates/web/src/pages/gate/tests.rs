//! The gate through the router on the demo: Lakeshore's LUH-MAIN is authorized for Vantacel
//! (its agreements executed, its deliverables recorded, its site map signed); LUH-NORTH is not,
//! and its gate page says what is missing; the partnership page lists the agreements; a health
//! system that is not Helixa's partner gets 404; the release-exception protocol is agreed on the
//! partnership's protocols, never recorded on the gate page.

use crate::testing::{Answer, Browser, Demo, seeded, signature_shown as shown};
use axum::http::StatusCode;
use cellpath_domain::contracting::Deliverable;

#[tokio::test]
async fn the_partnership_page_shows_each_sites_authorization_and_the_agreements() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let mut pharmacy = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let page = pharmacy
        .get_saved(
            &format!("/partnerships/{}", pship.id),
            Some("gate-partnership"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let main = page.row(r#"data-site="LUH-MAIN" data-program="Vantacel""#);
    assert!(main.contains(r#"data-authorized="true""#), "{main}");
    assert!(main.contains("Authorized"), "{main}");
    assert!(main.contains("since "), "the day it was recorded: {main}");
    let north = page.row(r#"data-site="LUH-NORTH" data-program="Vantacel""#);
    assert!(north.contains(r#"data-authorized="false""#), "{north}");
    assert!(north.contains("Not authorized"), "{north}");
    assert!(north.contains(" missing</span>"), "{north}");
    assert!(
        north.contains("/gate?program="),
        "links to its gate: {north}"
    );

    // The agreements: three central, LUH-MAIN's two, LUH-NORTH's quality agreement.
    let at = page
        .body
        .find(r#"id="agreements""#)
        .expect("an Agreements section");
    let section = &page.body[at..];
    assert_eq!(section.matches("data-agreement=").count(), 6, "{section}");
    for kind in [
        "Master service agreement",
        "Terms and conditions",
        "Data protection agreement",
        "Quality agreement",
        "Supply agreement",
    ] {
        assert!(section.contains(kind), "{kind}");
    }
    assert_eq!(
        section
            .matches(r#"class="badge agreement-status badge-good" data-status="executed""#)
            .count(),
        5
    );
    assert!(section.contains(r#"data-status="negotiating""#));
    assert!(section.contains("2025-06-01 →<br>2030-05-31"), "{section}");
    assert_eq!(section.matches(r#"data-documents="1""#).count(), 5);
    assert!(section.contains("all current and future sites"));
}

#[tokio::test]
async fn the_gate_page_says_authorized_or_what_is_missing() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let (main, north) = (demo.site("LUH-MAIN").await, demo.site("LUH-NORTH").await);
    let gate = |site: &str| {
        format!(
            "/partnerships/{}/sites/{site}/gate?program={}",
            pship.id, vantacel.id
        )
    };
    let mut onboarding = Browser::signed_in(&demo, "onboarding@helixa.example").await;

    let yes = onboarding
        .get_saved(&gate(&main.id), Some("gate-main"))
        .await;
    assert_eq!(yes.status, StatusCode::OK, "{}", yes.body);
    assert!(yes.body.contains(&format!(
        "Is {} an authorized treatment center for Vantacel?",
        main.name
    )));
    assert!(
        yes.body.contains(r#"class="verdict verdict-yes""#),
        "{}",
        yes.body
    );
    assert!(yes.body.contains("Authorized since"));
    assert!(!yes.body.contains(r#"id="missing""#));
    assert!(yes.body.contains("/readiness?program="));

    let no = onboarding
        .get_saved(&gate(&north.id), Some("gate-north"))
        .await;
    assert_eq!(no.status, StatusCode::OK, "{}", no.body);
    assert!(
        no.body.contains(r#"class="verdict verdict-no""#),
        "{}",
        no.body
    );
    let missing = |what: &str| no.body.contains(what);
    assert!(missing(
        r#"data-missing="agreement" data-kind="quality_agreement""#
    ));
    assert!(missing(
        r#"data-missing="agreement" data-kind="supply_agreement""#
    ));
    assert!(
        !missing(r#"data-kind="master_service_agreement"><strong>"#),
        "the central agreements cover every site"
    );
    assert!(missing("not executed (negotiating)"), "{}", no.body);
    for d in [
        "site_qualification_audit",
        "staff_training",
        "mock_shipment",
        "pharmacy_and_therapeutics",
    ] {
        assert!(
            missing(&format!(
                r#"data-missing="deliverable" data-deliverable="{d}""#
            )),
            "{d}"
        );
    }
    assert!(missing(r#"data-missing="blocking_gaps""#), "{}", no.body);
    // The agreements considered: the central ones and LUH-NORTH's own, not LUH-MAIN's.
    let at = no
        .body
        .find(r#"id="agreements-considered""#)
        .expect("a section");
    assert_eq!(no.body[at..].matches("data-agreement=").count(), 4);
}

#[tokio::test]
async fn a_health_system_that_is_not_a_partner_gets_404() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let main = demo.site("LUH-MAIN").await;
    let mut nurse = Browser::signed_in(&demo, "nurse@piedmont.example").await;
    let gate = nurse
        .get(&format!(
            "/partnerships/{}/sites/{}/gate?program={}",
            pship.id, main.id, vantacel.id
        ))
        .await;
    assert_eq!(gate.status, StatusCode::NOT_FOUND);
    let page = nurse.get(&format!("/partnerships/{}", pship.id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// LUH-NORTH's gate page for Vantacel, the form action that records its deliverables, the
/// program id the forms carry, and what is recorded there now.
struct NorthGate {
    path: String,
    action: String,
    program: String,
    partnership: String,
    site: String,
}

impl NorthGate {
    async fn of(demo: &Demo) -> NorthGate {
        let pship = demo
            .partnership("Helixa Therapeutics", "Lakeshore University Health")
            .await;
        let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
        let north = demo.site("LUH-NORTH").await;
        NorthGate {
            path: format!(
                "/partnerships/{}/sites/{}/gate?program={}",
                pship.id, north.id, vantacel.id
            ),
            action: format!("/partnerships/{}/sites/{}/deliverables", pship.id, north.id),
            program: vantacel.id,
            partnership: pship.id,
            site: north.id,
        }
    }

    async fn recorded(&self, demo: &Demo) -> Vec<cellpath_app::views::DeliverableRecord> {
        demo.app
            .store()
            .deliverable_records_of(&self.partnership, &self.site, &self.program)
            .await
            .expect("query")
            .into_iter()
            .map(cellpath_app::views::DeliverableRecord::unsigned)
            .collect()
    }
}

/// The "Record as done" form of one deliverable.
fn record_form<'a>(page: &'a Answer, deliverable: &str) -> Option<&'a str> {
    let marker = format!(r#"class="record-deliverable-form" data-deliverable="{deliverable}""#);
    let at = page.body.find(&marker)?;
    let end = page.body[at..].find("</form>")? + at;
    Some(&page.body[at..end])
}

#[tokio::test]
async fn a_pharmacist_records_formulary_approval_with_her_password_and_the_gate_shows_it_done() {
    let demo = seeded().await;
    let north = NorthGate::of(&demo).await;
    let mut pharmacist = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let page = pharmacist.get(&north.path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let form = record_form(&page, "pharmacy_and_therapeutics").expect("a form to record it");
    assert!(form.contains("signs it as <strong>"), "{form}");
    assert!(form.contains("meaning <strong>verified</strong>"), "{form}");
    assert!(
        form.contains(r#"name="password" type="password""#),
        "{form}"
    );
    assert!(
        record_form(&page, "site_map_signed").is_none(),
        "the site map is signed, not recorded"
    );
    assert!(
        record_form(&page, "site_qualification_audit").is_none(),
        "the manufacturer qualifies the site"
    );
    assert!(
        page.body
            .contains("Recorded by the manufacturer, who qualifies the site."),
        "{}",
        page.body
    );
    assert!(record_form(&page, "staff_training").is_some());
    let csrf = page.field("csrf");
    let evidence =
        "Vantacel added to the formulary at the P&T meeting of 2025-11-20 (minutes PT-2025-11).";
    let escaped = evidence.replace('&', "&amp;");
    let fields = |password| {
        [
            ("csrf", csrf.as_str()),
            ("deliverable", "pharmacy_and_therapeutics"),
            ("program", north.program.as_str()),
            ("done_on", "2025-11-20"),
            ("evidence", evidence),
            ("password", password),
        ]
    };

    // A wrong password: the message beside the password field, the evidence kept, nothing
    // recorded.
    let refused = pharmacist
        .post_files(
            &north.action,
            &fields("not-her-password"),
            &[],
            Some("gate-deliverable-refused"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let message = refused
        .error_beside("password")
        .expect("beside the password");
    assert!(
        message.contains("does not match your password"),
        "{message}"
    );
    assert!(refused.body.contains(&escaped), "the evidence is kept");
    assert!(
        refused
            .body
            .contains(r#"<details class="record-deliverable" open>"#),
        "the refused form is open"
    );
    assert!(north.recorded(&demo).await.is_empty(), "nothing recorded");

    // A minutes file of a kind not kept: refused beside the document, nothing recorded.
    let wrong = pharmacist
        .post_files(
            &north.action,
            &fields(cellpath_app::demo::DEMO_PASSWORD),
            &[("document", "minutes.gif", b"GIF89a\x01\x00")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .error_beside("document")
            .is_some_and(|m| m.contains("minutes.gif: this kind of file is not kept")),
        "{}",
        wrong.body
    );
    assert!(north.recorded(&demo).await.is_empty(), "nothing recorded");

    // Recorded with the signed minutes: the evidence names them by hash, the page links them.
    let minutes: &[u8] = b"%PDF-1.6\n% P&T minutes PT-2025-11, signed\n%%EOF\n";
    let done = pharmacist
        .post_files(
            &north.action,
            &fields(cellpath_app::demo::DEMO_PASSWORD),
            &[("document", "PT-2025-11 minutes.pdf", minutes)],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let records = north.recorded(&demo).await;
    assert_eq!(records.len(), 1);
    let minutes_sha = cellpath_ledger::hash_bytes(minutes);
    assert_eq!(
        records[0].evidence,
        format!("{evidence}\nDocument: PT-2025-11 minutes.pdf (SHA-256 {minutes_sha})")
    );
    assert_eq!(
        (records[0].deliverable.as_str(), records[0].done_on.as_str()),
        ("pharmacy_and_therapeutics", "2025-11-20")
    );
    let after = pharmacist
        .get_saved(
            done.location.as_deref().expect("back to the gate"),
            Some("gate-deliverable-recorded"),
        )
        .await;
    assert!(after.body.contains("recorded with your signature"));
    assert!(
        after
            .body
            .contains(r#"<tr data-done="pharmacy_and_therapeutics" data-revoked="false""#),
        "{}",
        after.body
    );
    assert!(after.body.contains(&escaped));
    assert!(
        after.body.contains(&format!(
            r#"href="/documents/{minutes_sha}" download="PT-2025-11 minutes.pdf""#
        )),
        "{}",
        after.body
    );
    // The manufacturer's contracts lead reads the deliverables, and so the minutes.
    let mut helixa = Browser::signed_in(&demo, "contracts@helixa.example").await;
    let (status, media, bytes) = helixa.download(&format!("/documents/{minutes_sha}")).await;
    assert_eq!(
        (status, media.as_str(), bytes.as_slice()),
        (StatusCode::OK, "application/pdf", minutes)
    );
    let mut stranger = Browser::signed_in(&demo, "contracts@northbridge.example").await;
    assert_eq!(
        stranger
            .download(&format!("/documents/{minutes_sha}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert!(
        !after
            .body
            .contains(r#"data-deliverable="pharmacy_and_therapeutics""#),
        "no longer missing"
    );
}

#[tokio::test]
async fn a_nurse_sees_no_form_to_record_a_deliverable_and_gets_403_when_posting() {
    let demo = seeded().await;
    let north = NorthGate::of(&demo).await;
    let mut nurse = Browser::signed_in(&demo, "nurse@lakeshore.example").await;
    let page = nurse.get(&north.path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"data-deliverable="pharmacy_and_therapeutics""#),
        "she sees what is missing"
    );
    assert!(
        !page.body.contains("record-deliverable-form"),
        "but no form"
    );
    let csrf = page.field("csrf");
    let posted = nurse
        .post_files(
            &north.action,
            &[
                ("csrf", &csrf),
                ("deliverable", "pharmacy_and_therapeutics"),
                ("program", &north.program),
                ("done_on", "2025-11-20"),
                ("evidence", "Formulary approval."),
                ("password", cellpath_app::demo::DEMO_PASSWORD),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.body);
    assert!(north.recorded(&demo).await.is_empty(), "nothing recorded");
}

#[tokio::test]
async fn the_cell_lab_revokes_lapsed_training_with_her_password_and_the_site_is_suspended() {
    let demo = seeded().await;
    let pship = demo
        .partnership("Helixa Therapeutics", "Lakeshore University Health")
        .await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let main = demo.site("LUH-MAIN").await;
    let path = format!(
        "/partnerships/{}/sites/{}/gate?program={}",
        pship.id, main.id, vantacel.id
    );
    let training = demo
        .app
        .store()
        .deliverable_records_of(&pship.id, &main.id, &vantacel.id)
        .await
        .expect("query")
        .into_iter()
        .find(|r| r.deliverable == Deliverable::StaffTraining)
        .expect("the demo records LUH-MAIN's training");
    let mut cell_lab = Browser::signed_in(&demo, "cell.lab@lakeshore.example").await;
    let page = cell_lab.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let marker = format!(
        r#"class="revoke-deliverable-form" data-record="{}""#,
        training.id
    );
    assert!(page.body.contains(&marker), "{}", page.body);
    // The site qualification audit is the manufacturer's: no revoke form for the hospital.
    let audit = demo
        .app
        .store()
        .deliverable_records_of(&pship.id, &main.id, &vantacel.id)
        .await
        .expect("query")
        .into_iter()
        .find(|r| r.deliverable == Deliverable::SiteQualificationAudit)
        .expect("recorded");
    assert!(
        !page
            .body
            .contains(&format!(r#"data-record="{}""#, audit.id))
    );

    let action = format!(
        "/partnerships/{}/sites/{}/deliverables/{}/revoke",
        pship.id, main.id, training.id
    );
    let csrf = page.field("csrf");
    let version = training.version.to_string();
    let reason = "Two trained infusion nurses left; the roster is not current.";
    let fields = |password| {
        [
            ("csrf", csrf.as_str()),
            ("program", vantacel.id.as_str()),
            ("version", version.as_str()),
            ("reason", reason),
            ("password", password),
        ]
    };
    let refused = cell_lab.post(&action, &fields("not-hers")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let message = refused
        .error_beside("password")
        .expect("beside the password");
    assert!(
        message.contains("does not match your password"),
        "{message}"
    );
    assert!(refused.body.contains(reason), "the reason is kept");
    assert!(
        refused
            .body
            .contains(r#"<details class="revoke-deliverable" open>"#),
        "the refused form is open"
    );

    let done = cell_lab
        .post(&action, &fields(cellpath_app::demo::DEMO_PASSWORD))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // The revocation enqueued the gate's review; the worker runs it.
    demo.app.run_due_jobs().await.expect("the review runs");
    let after = cell_lab
        .get_saved(
            done.location.as_deref().expect("back to the gate"),
            Some("gate-deliverable-revoked"),
        )
        .await;
    assert!(
        after.body.contains("revoked with your signature"),
        "{}",
        after.body
    );
    let row = after.row(r#"data-done="staff_training" data-revoked="true""#);
    assert!(row.contains(reason), "{row}");
    // Both acts' signatures beside the record: the recording (verified), then the
    // revocation (reviewed) by the cell lab lead.
    let revocation = demo.last_signature(&pship.id).await;
    let revoked_by = shown("Ingrid Raman", "reviewed", revocation.signed_at);
    let verified = row
        .find(r#"<span class="meaning">verified</span>"#)
        .expect("the recording's signature");
    let reviewed = row.find(&revoked_by).expect("the revocation's signature");
    assert!(verified < reviewed, "oldest first: {row}");
    assert!(after.body.contains(r#"class="verdict verdict-no""#));
    assert!(after.body.contains("Suspended since"), "{}", after.body);
}

#[tokio::test]
async fn a_recorded_deliverable_shows_its_signature_and_the_pharmacist_who_signed_reads_the_trail_it_links()
 {
    let demo = seeded().await;
    let north = NorthGate::of(&demo).await;
    let mut pharmacist = Browser::signed_in(&demo, "pharmacy@lakeshore.example").await;
    let before = pharmacist.get(&north.path).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert!(
        !before.body.contains("record-signatures"),
        "nothing recorded at LUH-NORTH, so no signature is shown: {}",
        before.body
    );
    let csrf = before.field("csrf");
    let done = pharmacist
        .post_files(
            &north.action,
            &[
                ("csrf", csrf.as_str()),
                ("deliverable", "pharmacy_and_therapeutics"),
                ("program", north.program.as_str()),
                ("done_on", "2025-11-20"),
                (
                    "evidence",
                    "Vantacel added to the formulary (minutes PT-2025-11).",
                ),
                ("password", cellpath_app::demo::DEMO_PASSWORD),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let signature = demo.last_signature(&north.partnership).await;
    assert_eq!(signature.printed_name, "Caleb Novak");

    let after = pharmacist
        .get_saved(&north.path, Some("gate-signed-deliverable"))
        .await;
    let row = after.row(r#"data-done="pharmacy_and_therapeutics""#);
    assert!(
        row.contains(&shown("Caleb Novak", "verified", signature.signed_at)),
        "{row}"
    );
    assert!(row.contains("via web session"), "{row}");
    assert_eq!(after.body.matches(r#"class="signature""#).count(), 1);

    // The page points to the partnership's audit trail; the pharmacist who signed reads it,
    // with the signature on the deliverable's event.
    let trail = format!("/ledgers/{}", north.partnership);
    assert!(
        after.body.contains(&format!(r#"href="{trail}""#)),
        "{}",
        after.body
    );
    let read = pharmacist.get_saved(&trail, Some("audit-trail")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let at = read
        .body
        .find(r#"data-type="deliverable_record.created""#)
        .expect("the deliverable's event, newest first");
    let rest = &read.body[at..];
    let recorded = &rest[..rest.find(r#"<li class="event""#).unwrap_or(rest.len())];
    assert!(
        recorded.contains(&shown("Caleb Novak", "verified", signature.signed_at)),
        "{recorded}"
    );
    assert!(recorded.contains("Caleb Novak"), "{recorded}");
    // A user of another tenant finds no such trail.
    let mut stranger = Browser::signed_in(&demo, "contracts@northbridge.example").await;
    assert_eq!(stranger.get(&trail).await.status, StatusCode::NOT_FOUND);
}

/// The release-exception protocol is not recorded on the gate page: beside it, the page says
/// both sides agree it and links to the partnership's protocols; a post that records it anyway
/// is refused with the reason, and nothing is written.
#[tokio::test]
async fn the_protocol_is_agreed_on_the_partnerships_protocols_not_recorded_on_the_gate() {
    let demo = seeded().await;
    // Helixa × Cascade, accepted: a partnership with no protocol agreed yet.
    let pship = demo
        .partnership("Helixa Therapeutics", "Cascade Regional Medical")
        .await;
    demo.accept(&pship, "contracts@cascade.example").await;
    let vantacel = demo.program("Helixa Therapeutics", "Vantacel").await;
    let site = demo.site("CRM-PDX").await;
    let path = format!(
        "/partnerships/{}/sites/{}/gate?program={}",
        pship.id, site.id, vantacel.id
    );
    let mut contracts = Browser::signed_in(&demo, "contracts@cascade.example").await;
    let page = contracts.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let at = page
        .body
        .find(r#"id="deliverable-release_exception_protocol""#)
        .expect("the protocol is missing");
    let item = &page.body[at..at + page.body[at..].find("</li>").expect("the item ends")];
    assert!(
        item.contains("Fulfilled when both sides sign a release-exception protocol version"),
        "{item}"
    );
    assert!(
        item.contains(&format!(
            r#"href="/partnerships/{}/exception-protocols""#,
            pship.id
        )),
        "{item}"
    );
    assert!(record_form(&page, "release_exception_protocol").is_none());
    assert!(
        record_form(&page, "staff_training").is_some(),
        "the deliverables people record still have their forms"
    );

    let csrf = page.field("csrf");
    let posted = contracts
        .post_files(
            &format!("/partnerships/{}/sites/{}/deliverables", pship.id, site.id),
            &[
                ("csrf", &csrf),
                ("deliverable", "release_exception_protocol"),
                ("program", &vantacel.id),
                ("done_on", "2025-11-20"),
                ("evidence", "Protocol agreed with Helixa quality."),
                ("password", cellpath_app::demo::DEMO_PASSWORD),
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(
        posted.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        posted.body
    );
    posted.assert_has("fulfilled by the protocol version both sides sign for the program");
    assert!(
        demo.app
            .store()
            .deliverable_records_of(&pship.id, &site.id, &vantacel.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing recorded"
    );
}
